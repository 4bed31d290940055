"""``Autoencoder``: dense encoder -> bottleneck -> mirrored decoder, with the scikit-learn API.

``transform`` encodes to the bottleneck, ``inverse_transform`` decodes, and
``score_samples`` is the negative mean squared reconstruction error per row
(in standardized units), so, as with scikit-learn's outlier detectors, a
higher score means "more normal". ``predict`` returns +1 (inlier) / -1
(outlier) using the threshold that flags a ``contamination`` fraction of
the training rows.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from numbers import Real
from typing import Any

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, OutlierMixin, TransformerMixin
from sklearn.model_selection import train_test_split
from sklearn.utils.validation import check_array
from torch import Tensor, nn

from .._docsections import parameters_section
from .._params import Bool, DefaultsOnUnpickle, Interval, Param, document, validate
from ..data import center_spread, require_2d, row_count, unit_scale
from ..estimators import (
    KeepsFittedSource,
    as_values,
    check_averaging,
    fit_keywords,
    refuse_frozen_fresh,
    refuse_unreadable_columns,
    restored_on_error,
)
from ..exceptions import DataError
from ..network import Network, PortablePickle, load_device, resolve_device
from ..training import History, frozen, get_loss
from ._app_params import averaging_rows, positive_int, row
from ._appfile import (
    LOAD_PARAMETERS,
    columns_state,
    file_errors,
    forget_columns,
    history_state,
    load_app,
    names_state,
    restore_columns,
    restore_history,
    restore_names,
    restore_state,
    save_fitted,
    split_prefix,
)
from ._autoencoder_file import file_column_indices, file_offset, file_standardization
from ._columns import check_column_names, column_names, set_fitted_names
from ._constant_columns import constant_columns, warn_constant_at_fit, warn_moved_constants, warn_validation_moves_constants
from ._fit import (
    after_averaging,
    averaging_for,
    device_of,
    fit_callbacks,
    fit_squared_error,
    float_tensor,
    forward_batches,
    hidden_spec,
)
from ._fitted import FitRequired, refuses_empty
from ._seed import keeps_global_rng, seed_everything
from ._trimmed import trimmed_squared_error
from ._warm import copy_layers, frozen_names, open_source, provenance_record
from ._warm_fit import continues, mark_built, past_history, refuse_rebuilt, warm_frozen

_BUILT_FROM = ("hidden_layer_sizes", "n_components", "activation", "standardize")  # what shaped the network and its input: a warm fit refuses another value


class AutoencoderNet(nn.Module):
    """``encoder`` (``Network(d, spec, k)``) then ``decoder`` (``Network(k, reversed spec, d)``)."""

    def __init__(self, n_features: int, spec: Any, n_components: int, activation: str, init: str = "auto") -> None:
        super().__init__()
        parsed = hidden_spec(spec)
        self.encoder = Network(n_features, parsed, n_components, activation=activation, init=init)
        self.decoder = Network(n_components, parsed.to_list()[::-1], n_features, activation=activation, init=init)

    def forward(self, x: Tensor) -> Tensor:
        return self.decoder(self.encoder(x))  # (N, d) -> (N, k) -> (N, d)

    @property
    def lens_layers(self) -> list[str]:
        """Layers the lens records by default: encoder hidden layers, the bottleneck (``encoder.head``), decoder hidden layers."""
        enc = [f"encoder.{n}" for n in self.encoder.hidden_names]
        return [*enc, "encoder.head", *(f"decoder.{n}" for n in self.decoder.hidden_names)]

    @property
    def inner_layers(self) -> list[str]:
        """Every layer between input and output in data order (the lens's layers): what ``freeze=k`` counts the first k of."""
        return self.lens_layers


def _rows(X: Any, model: Any, name: str = "X") -> np.ndarray:
    """``X`` as float64 rows ``(n, n_features)`` by scikit-learn's ``check_array``; NaN or infinity is one ``DataError``.

    A 1-D or scalar ``X`` is a one-line ``DataError`` naming its shape and both
    reshapes, where scikit-learn's message spans lines and prints the values.
    """
    X = as_values(X)  # a tensor detached, on the CPU, widened from bfloat16; one on the meta device refused
    require_2d(X, name)
    shape = getattr(X, "shape", ())
    if len(shape) > 2:  # scikit-learn's "Found array with dim 3" names no fix
        raise DataError(f"{name} must be 2-D (n_samples, n_features). Received shape {tuple(shape)}: an Autoencoder reads rows of numbers; "
                        f"flatten each sample with {name}.reshape(len({name}), -1).")
    refuse_unreadable_columns(X)  # dates, durations, complex numbers: by the column's name, not NumPy's promotion error
    try:
        rows = check_array(X, dtype=np.float64, estimator=model, ensure_all_finite=False)
    except ValueError as exc:  # scikit-learn's "could not convert string to float: 'x'" names neither the column nor the fix
        if not str(exc).startswith("could not convert string to float"):
            raise
        from ..estimators import first_text_column

        raise DataError(f"{name} has non-numeric values ({exc}{first_text_column(X)}): an autoencoder reads numbers; drop text columns, or encode "
                        "them first, e.g. make_pipeline(hl.TableEncoder(), Autoencoder(...)) or sklearn's OneHotEncoder.") from None
    X = rows
    bad = ~np.isfinite(X).all(axis=1)
    if bad.any():
        fix = ("pass the output of transform()" if name == "codes" else
               "impute them (e.g. sklearn.impute.SimpleImputer in a Pipeline) or drop those rows")
        raise DataError(f"{name} contains NaN or infinity in {int(bad.sum())} of {len(X)} rows (first: row {int(np.flatnonzero(bad)[0])}): "
                        f"an autoencoder needs finite values; {fix}.")
    return X



def _within_float32(Z: np.ndarray, X: np.ndarray, names: Any, name: str = "X") -> np.ndarray:
    """The standardized rows ``Z`` of raw rows ``X`` (both ``(n, d)``, float64), or a one-line ``DataError`` naming the first value
    float32, which the network computes in, cannot hold (beyond ±3.4e38 after standardizing): it became infinite there and
    the row's score NaN, which ``predict`` flagged and no metric can rank. ``names``: the columns' names (None: by position)."""
    big = np.abs(Z) > np.finfo(np.float32).max
    if big.any():
        i, j = (int(k) for k in np.argwhere(big)[0])
        column = repr(str(names[j])) if names is not None else str(j)
        raise DataError(f"{name} row {i}, column {column} holds {X[i, j]:.3g}, {Z[i, j]:.3g} times its fitted spread from its fitted mean: beyond "
                        f"float32's range (±3.4e38), which the network computes in, so its score would be NaN ({int(big.any(axis=1).sum())} "
                        "row(s)); drop those rows or fix their values.")
    return Z

def warn_if_identity(net: AutoencoderNet, n_features: int, n_components: int) -> None:
    """One ``UserWarning`` (at the caller's line) when every layer of ``net``'s encoder is at least ``n_features`` wide: the
    bottleneck is then no bottleneck, the network can learn to pass each row through unchanged (the identity), and the
    reconstruction error, the anomaly score, says little about a row. The code is one of those layers, so ``n_components``
    is at least ``n_features`` then, and is what the fix changes; a narrower hidden layer is itself the bottleneck (no warning).

    ``n_features``: the input's width (columns); ``n_components``: the code's width.
    """
    import warnings

    from .._stacklevel import user_stacklevel

    widths = [m.out_features for m in net.encoder.modules() if isinstance(m, nn.Linear)]  # the hidden layers', then the code's
    if widths and min(widths) >= n_features:
        narrower = "" if min(widths) == n_components else f", as is every hidden layer (the narrowest: {min(widths)})"
        warnings.warn(f"n_components={n_components} is at least the input's width, {n_features} columns{narrower}: the autoencoder can "
                      f"learn to copy each row through (the identity), so its reconstruction error and anomaly score say little. "
                      f"Set n_components below {n_features} (e.g. {max(1, n_features // 4)}).", UserWarning, stacklevel=user_stacklevel())


def _reconstruction_error(net: AutoencoderNet, Z: Tensor) -> np.ndarray:
    """Mean squared error of ``net``'s reconstruction of each standardized row of ``Z`` (n, d): shape (n,)."""
    return ((forward_batches(net, Z) - Z) ** 2).mean(1).cpu().numpy().astype(np.float64)


def _feature_errors(net: AutoencoderNet, Z: Tensor) -> np.ndarray:
    """Squared error of ``net``'s reconstruction of each cell of the standardized rows ``Z`` (n, d): shape (n, d); its row mean
    is :func:`_reconstruction_error`."""
    return ((forward_batches(net, Z) - Z) ** 2).cpu().numpy().astype(np.float64)


AUTOENCODER_PARAMS: tuple[Param, ...] = (
    row("hidden_layer_sizes", (64, 32), "Encoder hidden layers, e.g. (64, 32); the decoder mirrors them"),
    Param("n_components", positive_int(), 8, "Width of the linear bottleneck (the code transform returns); below the number of columns, or fit warns (a code as "
                                                    "wide as the input can learn the identity)"),
    row("activation", "relu"),
    Param("contamination", Interval(Real, 0.0, 0.5, closed="right", bools=False, text="a number > 0 and <= 0.5"), 0.1, "Expected fraction of outliers in the training data; sets offset_"),
    Param("trim_fraction", Interval(Real, 0.0, 0.5, closed="left", bools=False), 0.0,
          "Robust fit on contaminated rows: each batch leaves this fraction of its rows with the largest reconstruction error "
          "out of the loss (early stopping's validation loss too), so the network does not learn to reconstruct the anomalies; "
          "set it above the expected anomaly share (on the shuttle data, 7% anomalies: 0.2 helped, 0.1 did not reliably); "
          "0: plain squared error, best on clean rows"),
    Param("standardize", Bool(), True, "Scale each feature to zero mean, unit variance before encoding (stored in the file)", check=False),
    row("alpha", 1e-4),
    row("learning_rate_init", 1e-3),
    row("batch_size", 256),
    row("max_iter", 200),
    row("max_time", None),
    row("tol", 1e-5),
    row("n_iter_no_change", 10),
    row("early_stopping", True, "Hold out validation_fraction of the rows and stop when their reconstruction error stops falling"),
    row("validation_fraction", 0.1),
    row("device", "auto"),
    row("random_state", None),
    row("callbacks", None),
    row("progress_bar", False, "Show a Rich progress bar over epochs on stderr while fitting, as the MLP estimators' (loss: the training loss; "
        "val error: the validation rows' mean squared reconstruction error, reconstruction_error's units)"),
    row("warm_start", False, "fit goes on from the fitted network's weights for max_iter epochs more on the rows given (the optimizer "
        "restarts, as scikit-learn's MLP's); the first fit's columns, mean_ and scale_ are kept, offset_ is set from these rows"),
    row("init_from", None, "Start from this fitted Autoencoder (or its saved file): each layer whose shape matches is copied (the decoder's "
        "output layer too: it reconstructs the same columns); the others start fresh, named in one warning (checked by fit)"),
    row("freeze", None, "Layers kept fixed during fit: the first k of encoder.hidden1.., encoder.head (the bottleneck), decoder.hidden1.. "
        "(the decoder's output layer always trains), or these names (checked by fit)"),
    *averaging_rows(),
)


@document(AUTOENCODER_PARAMS)
class Autoencoder(KeepsFittedSource, FitRequired, DefaultsOnUnpickle, PortablePickle, OutlierMixin, ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    """Dense autoencoder for representation learning and anomaly detection.

    ``transform`` returns the bottleneck code; ``score_samples`` the negative
    reconstruction error; ``predict`` 1 for inliers and -1 for outliers.

    Example
    -------
    >>> import numpy as np, hiddenlayers as hl
    >>> X = np.random.default_rng(0).normal(size=(500, 6))
    >>> ae = hl.Autoencoder((16,), n_components=3, max_iter=20, random_state=0).fit(X)
    >>> ae.transform(X).shape, ae.predict(X[:3]).tolist()  # doctest: +SKIP
    ((500, 3), [1, 1, 1])
    """

    network_: AutoencoderNet  # fitted attributes, set by fit and load
    mean_: np.ndarray
    scale_: np.ndarray
    constant_columns_: list[int]  # positions of the columns constant in fit (scale 1: their own units; see _constant_columns)

    def __init__(
        self,
        hidden_layer_sizes: Any = (64, 32),
        n_components: int = 8,
        *,
        activation: str = "relu",
        contamination: float = 0.1,
        trim_fraction: float = 0.0,
        standardize: bool = True,
        alpha: float = 1e-4,
        learning_rate_init: float = 1e-3,
        batch_size: int = 256,
        max_iter: int = 200,
        max_time: float | None = None,
        tol: float = 1e-5,
        n_iter_no_change: int = 10,
        early_stopping: bool = True,
        validation_fraction: float = 0.1,
        device: str = "auto",
        random_state: int | np.random.RandomState | None = None,
        callbacks: Any = None,
        progress_bar: bool = False,
        warm_start: bool = False,
        init_from: Any = None,
        freeze: Any = None,
        weight_averaging: str | None = None,
        ema_decay: float = 0.99,
        swa_start: float = 0.75,
        swa_lr: float | None = None,
        swa_anneal_epochs: int = 10,
        swa_anneal_strategy: str = "cos",
    ) -> None:
        self.weight_averaging, self.ema_decay, self.swa_start, self.swa_lr = weight_averaging, ema_decay, swa_start, swa_lr
        self.swa_anneal_epochs, self.swa_anneal_strategy = swa_anneal_epochs, swa_anneal_strategy
        self.warm_start = warm_start
        self.init_from = init_from
        self.freeze = freeze
        self.hidden_layer_sizes = hidden_layer_sizes
        self.n_components = n_components
        self.activation = activation
        self.contamination = contamination
        self.trim_fraction = trim_fraction
        self.standardize = standardize
        self.alpha = alpha
        self.learning_rate_init = learning_rate_init
        self.batch_size = batch_size
        self.max_iter = max_iter
        self.max_time = max_time
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.device = device
        self.random_state = random_state
        self.callbacks = callbacks
        self.progress_bar = progress_bar

    @property
    def _n_features_out(self) -> int:
        """Columns of :meth:`transform`'s output; names ``autoencoder0`` ... from ``get_feature_names_out`` (``set_output`` works)."""
        self._require_fitted()  # NotFittedError is an AttributeError: scikit-learn's fitted check reads this property
        return int(self.n_components)

    # ------------------------------------------------------------ fitting
    def _check_params(self) -> torch.device:
        """Validate the parameters; return the resolved ``device`` (a GPU this machine lacks fails here, before any data work)."""
        validate(self, AUTOENCODER_PARAMS)
        check_averaging(self)  # the MLP estimators' rules and words
        return resolve_device(self.device)

    @fit_keywords
    @keeps_global_rng
    def fit(self, X: Any, y: Any = None, *, X_val: Any = None) -> Autoencoder:
        """Learn to reconstruct ``X``.

        A DataFrame's string column names become ``feature_names_in_``. Everything is checked and trained before the model
        changes, so a failed refit leaves it as it was.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The training rows.
        y : None
            Ignored (unsupervised): scikit-learn's slot.
        X_val : array-like of shape (n_val, n_features), optional
            Your own held-out rows (a later period), whose reconstruction error early stopping scores instead of a
            ``validation_fraction`` split (every row of ``X`` trains); standardized as ``X`` is, never learnt from. Rows
            that move a column constant in ``X`` (scale 1) are said in one ``UserWarning``, as scoring says them.
        """
        device = self._check_params()
        names = column_names(X)
        warm = continues(self)  # warm_start: the fitted network, columns, mean_ and scale_ go on; init_from is not read again
        if warm:
            refuse_rebuilt(self, _BUILT_FROM)
        X = self._input(X) if warm else _rows(X, self)  # a warm fit's columns are checked as transform's
        if X.shape[0] < 2:
            raise DataError(f"Autoencoder.fit needs at least 2 rows (n_samples={X.shape[0]}): the scaling and the loss need a spread.")
        Xv = None if X_val is None else self._validation_rows(X_val, X.shape[1], names)
        source, provenance = (None, None) if warm else open_source(self)
        gen = seed_everything(self.random_state, device_of(self.network_) if warm else device)  # before the network is built: its initial weights come from this seed
        if warm:
            mean, scale, net = self.mean_, self.scale_, self.network_
            device, fixed = device_of(net), []
        else:
            # each column's spread at any magnitude, constant only relative to its level: a column in units of 1e-13 keeps its signal
            mean, std = center_spread(X) if self.standardize else (np.zeros(X.shape[1]), np.ones(X.shape[1]))
            scale = unit_scale(mean, std)
            # built on the CPU, then moved: the same random_state gives the same initial weights on every device
            net = AutoencoderNet(X.shape[1], self.hidden_layer_sizes, self.n_components, self.activation).to(device)
            fixed = frozen_names(self, net.inner_layers)
        copied = copy_layers(source.network_, net, [*net.inner_layers, "decoder.head"]) if source is not None else []
        if source is not None:
            refuse_frozen_fresh(fixed, copied, net.inner_layers)
        Zn = _within_float32((X - mean) / scale, X, names)  # standardized rows, for training and the offset's errors (a warm fit: by the first fit's scaling)
        layers = warm_frozen(self, net, net.inner_layers) if warm else frozen(net, fixed)  # a warm fit: the layers freeze names now
        with restored_on_error(self), layers:  # a warm fit's weights go back if training fails
            history = self._train(net, Zn, device, gen, past_history(self) if warm else None, None if Xv is None else _within_float32((Xv - mean) / scale, Xv, names, "X_val"))
        errors = _reconstruction_error(net, float_tensor(Zn, device))
        self.network_, self.mean_, self.scale_, self.history_ = net, mean, scale, history
        if not warm:  # a fresh network's, once it trained (a refusal says nothing more); a warm fit goes on with the same network
            warn_if_identity(net, X.shape[1], int(self.n_components))
            self.constant_columns_ = constant_columns(X) if self.standardize else []  # kept in raw units (scale 1): said here and at scoring
            warn_constant_at_fit(self.constant_columns_, names)
            self.transferred_, self.frozen_, self.provenance_ = copied, fixed, provenance_record(provenance, copied, fixed)
        if Xv is not None:  # early stopping scored them: a move of a column constant in X weighed on when it stopped (a warm fit's too)
            warn_validation_moves_constants(Xv, mean, getattr(self, "constant_columns_", []), names)
        self.n_features_in_ = X.shape[1]
        set_fitted_names(self, names)
        self.n_iter_ = len(history)
        self.loss_curve_ = list(history.train_loss)
        self.stop_reason_ = history.stop_reason
        self.offset_ = float(np.percentile(-errors, 100.0 * self.contamination))
        mark_built(self, _BUILT_FROM)
        return forget_columns(self)  # the columns train --app read describe an earlier fit

    def _validation_rows(self, X_val: Any, n_features: int, names: Any) -> np.ndarray:
        """``X_val`` checked as ``X``: finite numbers, ``n_features`` columns, ``X``'s column ``names`` in order (when both have names),
        at least 2 rows, and ``early_stopping=True`` (its rows are what early stopping scores)."""
        if not self.early_stopping:
            raise ValueError("X_val is passed to fit while early_stopping=False: its rows are what early stopping scores. "
                             "Set early_stopping=True, or drop X_val.")
        rows = row_count(X_val)
        if rows is not None and rows < 2:  # before check_array, whose words for none ("Found array with 0 sample(s)") do not name X_val
            raise DataError(f"X_val has {rows} row(s): early stopping scores at least 2. Pass more validation rows.")
        try:
            Xv = _rows(X_val, self, "X_val")
        except DataError as exc:
            raise DataError(str(exc) if str(exc).startswith("X_val") else f"X_val: {exc}") from None
        given = column_names(X_val)
        if names is not None and given is not None and list(given) != list(names):
            raise DataError(f"X_val's columns {list(given)[:8]} are not X's {list(names)[:8]} in the same order: pass X's columns.")
        if Xv.shape[1] != n_features:
            raise DataError(f"X_val has {Xv.shape[1]} columns and X {n_features}: pass the same columns.")
        return Xv

    def _train(self, net: AutoencoderNet, Zn: np.ndarray, device: torch.device, gen: torch.Generator, history: History | None = None,
               Zvn: np.ndarray | None = None) -> History:
        """Fit ``net`` to reproduce the standardized rows ``Zn``, holding out ``validation_fraction`` for early stopping;
        ``history``: a warm fit's, which goes on; ``Zvn``: fit's ``X_val`` standardized, scored instead of a split."""
        trim = float(self.trim_fraction)
        validation = None
        if Zvn is not None:
            Zv = float_tensor(Zvn, device)
            validation = (Zv, Zv)
        elif self.early_stopping and Zn.shape[0] >= 20:
            Zn, Zvn = train_test_split(Zn, test_size=self.validation_fraction, random_state=self.random_state)
            Zv = float_tensor(Zvn, device)
            validation = (Zv, Zv)
        Z = float_tensor(Zn, device)
        before = len(history) if history is not None else 0
        fitted = fit_squared_error(
            net, Z, Z, validation=validation, learning_rate_init=self.learning_rate_init, batch_size=self.batch_size,
            max_epochs=self.max_iter, patience=self.n_iter_no_change, tol=self.tol, alpha=self.alpha, generator=gen,
            loss=trimmed_squared_error(trim) if trim else None, val_trim=trim, callbacks=fit_callbacks(self, val=self._val_column(Z.shape[1])), history=history,
            max_time=self.max_time, averaging=averaging_for(self, Z.shape[0], net),
        )
        after_averaging(self, fitted, before)
        return fitted

    @staticmethod
    def _val_column(n_features: int) -> tuple[str, Callable[[dict[str, Any]], Any]]:
        """The progress bar's validation column: the validation rows' mean squared reconstruction error in standardized units
        (``reconstruction_error``'s, trimmed as early stopping trims it), where the score (its negation, summed over the
        ``n_features`` columns) showed as a negative "val"."""
        return "val error", lambda logs: None if logs.get("val_loss") is None else logs["val_loss"] / n_features

    def _scaled(self, X: np.ndarray, device: torch.device | None = None) -> Tensor:
        """Standardized rows (n, n_features) as float32 on ``device`` (default: the network's); a warning where they move a column
        that held one value in fit (:mod:`._constant_columns`)."""
        names = getattr(self, "feature_names_in_", None)
        warn_moved_constants(X, self.mean_, getattr(self, "constant_columns_", []), names)
        return float_tensor(_within_float32((X - self.mean_) / self.scale_, X, names), device_of(self.network_) if device is None else device)

    def _input(self, X: Any) -> np.ndarray:
        """``X`` checked against the fit: fitted model, column names (scikit-learn's rules), finite numbers, column count."""
        self._require_fitted()
        check_column_names(self, X)
        X = _rows(X, self)
        if X.shape[1] != self.n_features_in_:
            raise DataError(f"X has {X.shape[1]} features, but Autoencoder is expecting {self.n_features_in_} features as input (scikit-learn's "
                            "words): pass the same columns as in fit.")
        return X

    def network_input(self, X: Any) -> np.ndarray:
        """``X`` as the network reads it: standardized float32 rows ``(n, n_features)`` (the lens uses this).

        Parameters
        ----------
        X : array-like of shape (n, n_features)
            Raw rows.
        """
        return self._scaled(self._input(X), torch.device("cpu")).numpy()

    # ------------------------------------------------------- training loss
    def network_targets(self, X: Any) -> np.ndarray:
        """What the network must reproduce for rows ``X``: the rows standardized as in fit, float64 ``(n, n_features)``.

        An autoencoder's targets are its own inputs, so this takes ``X`` (fit's ``y`` is ignored). Row ``i`` pairs with row
        ``i`` of :meth:`network_input`. For tools that evaluate the training loss outside ``fit``
        (``hl.lens.loss_landscape``).

        Parameters
        ----------
        X : array-like of shape (n, n_features)
            Raw rows.
        """
        return (self._input(X) - self.mean_) / self.scale_

    def network_loss(self, z: Tensor, targets: Tensor) -> Tensor:
        """The training loss summed over rows: reconstructions ``z`` against :meth:`network_targets`.

        Half squared error ``0.5·Σ(z - x)²`` per row, the data term fit minimises (without the L2 term ``alpha``); divide
        by ``n`` for the mean. With ``trim_fraction > 0`` it is fit's trimmed objective on these rows taken as one batch: the
        ``trim_fraction`` rows with the largest error are left out and the rest scaled by ``n / kept``, so the mean is the
        mean over the kept rows.

        Parameters
        ----------
        z : torch.Tensor of shape (n, n_features)
            The network's reconstructions.
        targets : torch.Tensor of shape (n, n_features)
            :meth:`network_targets` of the same rows.
        """
        self._require_fitted()
        trim = float(self.trim_fraction)
        return (trimmed_squared_error(trim) if trim else get_loss("squared_error")).value(z, targets, None)

    # -------------------------------------------------------- transforming
    @refuses_empty
    def transform(self, X: Any) -> np.ndarray:
        """Encode ``X`` to the bottleneck codes, shape ``(n, n_components)``.

        Parameters
        ----------
        X : array-like of shape (n, n_features)
            The rows to encode.
        """
        Z = self._scaled(self._input(X))  # checked first: self.network_ exists only once fitted
        return forward_batches(self.network_.encoder, Z).cpu().numpy().astype(np.float64)

    @refuses_empty
    def inverse_transform(self, X: Any) -> np.ndarray:
        """Decode codes back to the original feature units, shape ``(n, n_features)``.

        Parameters
        ----------
        X : array-like of shape (n, n_components)
            Bottleneck codes, as :meth:`transform` gives them.
        """
        self._require_fitted()
        codes = _rows(X, self, "codes")
        if codes.shape[1] != self.n_components:
            raise DataError(f"codes have {codes.shape[1]} columns, but n_components={self.n_components}: pass the output of transform().")
        out = forward_batches(self.network_.decoder, float_tensor(codes, device_of(self.network_))).cpu().numpy().astype(np.float64)
        return out * self.scale_ + self.mean_

    @refuses_empty
    def reconstruction_error(self, X: Any) -> np.ndarray:
        """Mean squared reconstruction error of each row, in standardized units: shape (n,).

        Parameters
        ----------
        X : array-like of shape (n, n_features)
            The rows to reconstruct.
        """
        Z = self._scaled(self._input(X))  # checked first: self.network_ exists only once fitted
        return _reconstruction_error(self.network_, Z)

    @refuses_empty
    def feature_errors(self, X: Any) -> np.ndarray:
        """Squared reconstruction error of each feature of each row, in standardized units: shape ``(n, n_features)``.

        Which features make a row anomalous: column ``j`` is ``((x̂_j - x_j) / scale_j)²``, ``x̂`` the reconstruction, so a
        feature far from what the network rebuilt from the other features stands out whatever its units. Each row's mean
        is :meth:`reconstruction_error` (the anomaly score, ``-score_samples``); the columns are in ``feature_names_in_``'s
        order (fit's). ``np.argsort(-ae.feature_errors(X), axis=1)`` ranks each row's features, worst first.

        Parameters
        ----------
        X : array-like of shape (n, n_features)
            The rows whose features to score, in fit's columns.
        """
        return _feature_errors(self.network_, self._scaled(self._input(X)))  # X checked first: self.network_ exists only once fitted

    # ----------------------------------------------------- outlier detector
    @refuses_empty
    def score_samples(self, X: Any) -> np.ndarray:
        """Negative reconstruction error, shape ``(n,)``: higher is more normal (scikit-learn's convention).

        Parameters
        ----------
        X : array-like of shape (n, n_features)
            The rows to score.
        """
        return -self.reconstruction_error(X)

    @refuses_empty
    def decision_function(self, X: Any) -> np.ndarray:
        """``score_samples(X) - offset_``: negative for outliers, shape ``(n,)``.

        Parameters
        ----------
        X : array-like of shape (n, n_features)
            The rows to score.
        """
        return self.score_samples(X) - self.offset_

    @refuses_empty
    def predict(self, X: Any) -> np.ndarray:
        """+1 for inliers, -1 for outliers, shape ``(n,)`` (the ``contamination`` share of training rows is flagged).

        Parameters
        ----------
        X : array-like of shape (n, n_features)
            The rows to judge.
        """
        return np.where(self.decision_function(X) >= 0, 1, -1)

    # --------------------------------------------------------------- files
    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the fitted model to one ``.safetensors`` file (atomic; no pickle), column names included.

        Parameters
        ----------
        path : str or PathLike
            Where to write the file.
        """
        self._require_fitted()
        tensors = {f"net.{k}": v for k, v in self.network_.state_dict().items()}
        tensors["mean"], tensors["scale"] = torch.as_tensor(self.mean_), torch.as_tensor(self.scale_)
        state = {"n_features_in_": self.n_features_in_, "offset_": self.offset_, "n_iter_": self.n_iter_, "loss_curve_": self.loss_curve_, "stop_reason_": self.stop_reason_,
                 "constant_columns_": list(getattr(self, "constant_columns_", [])), **names_state(self), **columns_state(self), **history_state(self)}
        save_fitted(path, self, state, tensors, estimator="Autoencoder")

    @classmethod
    @file_errors
    @parameters_section(LOAD_PARAMETERS)
    def load(cls, path: str | os.PathLike[str], *, device: str | None = None) -> Autoencoder:
        """Read a model written by :meth:`save`; its scores match exactly."""
        params, state, tensors = load_app(path, "Autoencoder", device)
        model = cls(**params)
        net = restore_state(lambda: AutoencoderNet(state["n_features_in_"], params["hidden_layer_sizes"], params["n_components"], params["activation"], init="none"),
                            split_prefix(tensors, "net"), path)
        model.network_ = net.to(load_device(model.device, device))
        model.mean_, model.scale_ = file_standardization(tensors["mean"], tensors["scale"], state["n_features_in_"])
        restore_names(model, state, path, state["n_features_in_"])
        restore_columns(model, state, path)
        restore_history(model, state, path)
        for k, v in state.items():
            setattr(model, k, v)
        model.offset_ = file_offset(state.get("offset_"))
        model.constant_columns_ = file_column_indices(state.get("constant_columns_", []), state["n_features_in_"])  # none in a file written before
        mark_built(model, _BUILT_FROM)
        return model


__all__ = ["Autoencoder", "AutoencoderNet"]
