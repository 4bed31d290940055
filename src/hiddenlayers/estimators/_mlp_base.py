"""The shared base of ``MLPClassifier`` and ``MLPRegressor``: constructor, fit plumbing and fitted attributes.

``_BaseMLP`` stores scikit-learn's constructor parameters, runs ``fit``/``partial_fit`` on arrays
or a streamed source inside :func:`~._restore.restored_on_error` (validate, build on the first pass,
train by the solver's path, cache the weights), and serves what both estimators share: ``transform``
(hidden activations), ``coefs_``/``intercepts_``, ``network_targets``/``network_loss``, ``save``/``load``
and pickling. The two estimators (their labels, targets, losses and metrics) are in :mod:`._mlp`.
"""

from __future__ import annotations

import math
import numbers
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any

import numpy as np
import scipy.sparse as sp
import torch
from sklearn.base import BaseEstimator, is_regressor
from sklearn.utils import check_random_state

from .._params import Param, missing_defaults
from ..data import is_source
from ..exceptions import NotFittedError
from ..network import Network, PortablePickle, Spec, count_parameters, resolve_device
from ..training import Loss, distributed_world, get_loss
from ._averaging import PARTIAL_FIT_AVERAGING
from ._backup import bind_backup, refuse_backup
from ._checks import check_sample_weight, loss_row_weights, refuse_beyond_float32, validate_params
from ._dann import fit_dann
from ._fit import NON_FINITE, build, checked_training_tensor, fit_lbfgs, fit_stochastic, pass_over_unweighted, setup_threads
from ._fit_stream import fit_source
from ._held_out import loss_sum
from ._mlp_params import SHARED
from ._predict import cache_weights, check_X, raw_output, sparse_hidden, torch_forward
from ._restore import restored_on_error
from ._set_output import HiddenOutput, hidden_output
from ._stream_plan import agreed_random_state
from ._transfer import KeepsFittedSource, fit_frozen, start_from_source
from ._validation_data import check_validation, refuse_misused
from ._warm import follow_device, record_rate, refuse_new_shape, restart_changed_rate
from ._zero_weight import drop_unweighted


def _refuse_averaging(est: _BaseMLP, incremental: bool, streamed: bool, X_target: Any) -> None:
    """``weight_averaging`` needs an in-memory ``fit``: one line naming the combination and the alternative otherwise."""
    if getattr(est, "weight_averaging", None) is None:
        return
    if incremental:  # (partial_fit itself is unavailable: _check_solver)
        raise ValueError(PARTIAL_FIT_AVERAGING)
    if streamed:
        raise ValueError("weight_averaging is not supported with a streamed fit (fit(source)): load the table into memory and fit "
                         "arrays, or set weight_averaging=None.")
    if X_target is not None:
        raise ValueError("weight_averaging is not supported with domain adaptation (fit's X_target): set weight_averaging=None.")


class _BaseMLP(KeepsFittedSource, HiddenOutput, PortablePickle, BaseEstimator, ABC):
    """Shared machinery of the two estimators (not public)."""

    _loss_name = "squared_error"
    _param_table: tuple[Param, ...] = SHARED  # each parameter's constraint, default and meaning
    network_: Network  # set by fit: input -> hidden1..N -> head
    _optimizer_state: dict[str, Any] | None  # the optimizer's moments and rate, carried to warm_start and partial_fit
    _no_improvement_count: int  # epochs without tol progress so far (scikit-learn's), carried to warm_start and partial_fit
    _split_state: Any  # the RandomState state the early-stopping split was drawn from: warm fits hold out the same rows

    def __init__(
        self,
        hidden_layer_sizes: Any = (100,),
        activation: str = "relu",
        *,
        solver: str = "adam",
        alpha: float = 0.0001,
        batch_size: int | str = "auto",
        learning_rate: str = "constant",
        learning_rate_init: float = 0.001,
        power_t: float = 0.5,
        max_iter: int = 200,
        shuffle: bool = True,
        random_state: Any = None,
        tol: float = 1e-4,
        verbose: bool = False,
        warm_start: bool = False,
        momentum: float = 0.9,
        nesterovs_momentum: bool = True,
        early_stopping: bool = False,
        validation_fraction: float = 0.1,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-8,
        n_iter_no_change: int = 10,
        max_fun: int = 15000,
        loss_threshold: float | None = None,
        max_time: float | None = None,
        clip_grad_norm: float | None = None,
        callbacks: Any = None,
        progress_bar: bool = False,
        device: str = "auto",
        dtype: str = "float32",
        init: str = "sklearn",
        engine: str = "auto",
        precision: str = "fp32",
        init_from: Any = None,
        freeze: Any = None,
        domain_adaptation: str | None = None,
        weight_averaging: str | None = None,
        ema_decay: float = 0.99,
        swa_start: float = 0.75, swa_lr: float | None = None, swa_anneal_epochs: int = 10, swa_anneal_strategy: str = "cos",
    ) -> None:
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.max_fun = max_fun
        self.loss_threshold = loss_threshold
        self.max_time = max_time
        self.clip_grad_norm = clip_grad_norm
        self.callbacks = callbacks
        self.progress_bar = progress_bar
        self.device = device
        self.dtype = dtype
        self.init, self.engine, self.precision = init, engine, precision
        self.init_from = init_from
        self.freeze = freeze
        self.domain_adaptation = domain_adaptation
        self.weight_averaging, self.ema_decay, self.swa_start, self.swa_lr, self.swa_anneal_epochs = weight_averaging, ema_decay, swa_start, swa_lr, swa_anneal_epochs
        self.swa_anneal_strategy = swa_anneal_strategy

    # ------------------------------------------------------------------ checks
    def _validate_params(self) -> Spec:  # type: ignore[override]
        return validate_params(self)

    def __sklearn_is_fitted__(self) -> bool:
        return hasattr(self, "network_")

    def _require_fitted(self) -> None:
        """Raise :class:`NotFittedError` (ours, also scikit-learn's) before ``fit``."""
        if not hasattr(self, "network_"):
            raise NotFittedError(
                f"This {type(self).__name__} instance is not fitted yet. Call 'fit' with appropriate arguments before using this estimator."
            )

    def __sklearn_tags__(self) -> Any:
        from sklearn.utils import TransformerTags

        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        # ``transform(X, layer=k)`` makes this a transformer too (hidden
        # activations as features); outputs follow ``dtype``, not X's dtype.
        tags.transformer_tags = TransformerTags(preserves_dtype=[])
        return tags

    # ------------------------------------------------------------- fitting
    def _loss(self) -> Loss:
        return get_loss(self._loss_name)

    @abstractmethod
    def _predict_validated(self, X: Any) -> np.ndarray:
        """``predict`` of an ``X`` that has passed :func:`check_X` already."""

    @abstractmethod
    def _from_raw(self, raw: np.ndarray, X: Any) -> np.ndarray:
        """``predict``'s answer from the head outputs ``raw`` of ``X`` (already checked)."""

    @abstractmethod
    def _score_function(self, y: Any, y_pred: np.ndarray, sample_weight: Any = None) -> float:
        """The metric of ``score`` (accuracy or R²)."""

    def _with_class_weight(self, y: np.ndarray, sample_weight: np.ndarray | None, X: Any, incremental: bool) -> np.ndarray | None:
        """``sample_weight`` times the rows' class weights (the classifier's ``class_weight``); the regressor's as given."""
        return sample_weight

    @abstractmethod
    def _targets(self, y: np.ndarray) -> np.ndarray:
        """``y`` in the loss's form: one-hot / indicator columns for a classifier, 2-D floats for a regressor."""

    def _fit_target_scaling(self, y: np.ndarray | None, sample_weight: np.ndarray | None, *, incremental: bool, first_pass: bool,
                            streamed: bool, moments: Any = None) -> None:
        """Fix the targets' scaling before :meth:`_targets` runs (the regressor's ``scale_target``; ``moments``: a streamed
        target's, from the statistics pass); none here."""

    def _warn_unreachable_threshold(self, n_outputs: int) -> None:
        """Warn when ``loss_threshold`` is below the least loss the targets allow (the classifier's ``label_smoothing``); none here."""

    def _fit(self, X: Any, y: Any, sample_weight: Any = None, incremental: bool = False, X_target: Any = None,
             setup: Callable[[], None] | None = None, val: tuple[Any, Any, Any] = (None, None, None)) -> Any:
        """Fit on arrays or a streamed source; ``setup`` runs first, inside the same guard (``partial_fit``'s first-call classes).

        ``val``: ``fit``'s ``(X_val, y_val, sample_weight_val)``, the rows early stopping scores (:mod:`._validation_data`).
        A call that raises (bad data, a callback's error at epoch 7 of a warm fit, a bad row in a streamed
        file's fifth chunk) leaves the model as it was: fitted as before, or unfitted (no ``classes_`` of a failed first call).
        """
        if is_source(X):
            _refuse_source_arrays(X, y, sample_weight, "partial_fit" if incremental else "fit")
        with restored_on_error(self):
            if setup is not None:
                setup()
            given_val = val if refuse_misused(self, *val, streamed=is_source(X)) else None
            _refuse_averaging(self, incremental, is_source(X), X_target)
            refuse_backup(self, incremental, is_source(X), X_target)
            if hasattr(self, "network_"):  # a warm call (a cold fit's build clears the state)
                restart_changed_rate(self)
            if is_source(X):  # a table streamed from files: y is its target column (each chunk's partial_fit is guarded too)
                self._fit_target_scaling(None, None, incremental=incremental, first_pass=False, streamed=True)
                fitted = fit_source(self, X, incremental, given_val)
            else:
                first_pass = not hasattr(self, "network_") or (not self.warm_start and not incremental)
                fitted = self._fit_arrays(X, y, sample_weight, incremental, X_target, first_pass, given_val)
            record_rate(self)
            return fitted

    def _fit_arrays(self, X: Any, y: Any, sample_weight: Any, incremental: bool, X_target: Any, first_pass: bool,
                    given_val: tuple[Any, Any, Any] | None = None) -> Any:
        """:meth:`_fit` on arrays: validate, build on the first pass, train by the solver's path, cache the weights.

        ``given_val``: ``(X_val, y_val, sample_weight_val)`` that early stopping scores (checked here once ``X`` and ``y`` are).
        """
        spec = self._validate_params()
        self._device = resolve_device(self.device)
        # A dense X going whole to the stochastic solvers is checked for NaN/inf as its training tensor (on a GPU one sum
        # there, not a pass over the host array before the copy), made here, before anything of a fitted model changes
        on_tensor = (self.solver != "lbfgs" and (not self.early_stopping or given_val is not None) and self.domain_adaptation is None
                     and X_target is None and not sp.issparse(X))
        if not first_pass:
            refuse_new_shape(self, spec, incremental)
            follow_device(self)  # set_params(device=...) since the last call: train where it now resolves
        X, y = self._validate_input(X, y, incremental, reset=first_pass, check_finite=not on_tensor)
        refuse_beyond_float32(self, None if on_tensor else X, "X")  # on_tensor: the tensor's check (require_finite)
        refuse_beyond_float32(self, y if is_regressor(self) else None, "y")
        validation = None if given_val is None else check_validation(self, X, y, *given_val)  # before the model is built or trained
        with setup_threads(self, X.shape[0], first_pass):  # a small network's repeat call: its tensor work on one thread
            Xt = checked_training_tensor(self, X) if on_tensor and X.shape[0] else None
            if X.shape[0] == 0:
                raise ValueError("X has 0 samples: at least one sample is required to fit.")
            if sample_weight is not None:
                sample_weight = check_sample_weight(sample_weight, X, allow_all_zero=incremental)  # none negative, unlike sklearn's MLP
            sample_weight = self._with_class_weight(y, sample_weight, X, incremental)
            self._fit_target_scaling(y, sample_weight, incremental=incremental, first_pass=first_pass, streamed=False)
            Y = self._targets(y)
            if self.__dict__.get("_pass_rate") is None:  # weight 0: as if absent (split, t_); a streamed chunk's: per batch, by train()
                X, Xt, y, Y, sample_weight = drop_unweighted(X, Xt, y, Y, sample_weight)
            if not incremental:  # partial_fit has no loss_threshold rule
                self._warn_unreachable_threshold(Y.shape[1])
            distilling = self.__dict__.get("_distilling")  # hl.distill's targets: [y | q | mask] for a k-output head
            n_outputs = Y.shape[1] if distilling is None else distilling.n_outputs(Y)
            # a new model under torchrun: every rank draws from rank 0's seed (its initial weights, split, order, dropout)
            self._random_state = check_random_state(agreed_random_state(self.random_state) if first_pass else self.random_state)
            if first_pass:
                self._split_state = None  # a new model draws its own early-stopping split (split_validation keeps it for warm fits)
                self.n_outputs_ = n_outputs
                self._fit_dtype = X.dtype.name  # coefs_ and predictions take X's float dtype, as in sklearn
                with torch.random.fork_rng(devices=[]):  # nn.Linear's own init draws from the global stream before ours replaces it
                    build(self, spec, X.shape[1], n_outputs, self._random_state)
                start_from_source(self)  # init_from: copy the source's hidden layers
            elif n_outputs != self.n_outputs_:  # partial_fit ignores warm_start: only a fit that starts over changes the head
                fix = ("partial_fit continues the fitted model: pass y with {k} output(s), or call fit() with warm_start=False"
                       if incremental else "pass y with {k} output(s), or set_params(warm_start=False)")
                raise ValueError(f"y has {n_outputs} outputs but the model was fitted with {self.n_outputs_}; "
                                 + fix.format(k=self.n_outputs_) + f" to train a new model on {n_outputs}.")
            bind_backup(self, X, y, sample_weight, validation)  # BackupAndRestore: a backup present must be this fit's (its split is taken back)
            self.n_layers_ = len(self.network_.hidden_names) + 2
            self.out_activation_ = self._loss().out_activation
            if self.early_stopping and incremental:
                raise ValueError("partial_fit does not support early_stopping=True")
            if self.domain_adaptation is not None or X_target is not None:  # (refuses partial_fit and sample_weight)
                fit_frozen(self, lambda lr: fit_dann(self, X, Y, sample_weight, X_target, incremental, lr))
            # a partial_fit chunk of weight 0: a no-op (under torch.distributed this rank still steps with the others, adding nothing)
            elif sample_weight is not None and not (sample_weight > 0).any() and distributed_world()[1] == 1:
                pass_over_unweighted(self, X.shape[0])
            elif self.solver == "lbfgs":
                fit_frozen(self, lambda lr: fit_lbfgs(self, X, Y, sample_weight))
            else:
                fit_frozen(self, lambda lr: fit_stochastic(self, X, Y, y, sample_weight, incremental, lr, Xt=Xt, validation=validation))
            if not all(bool(torch.isfinite(p).all()) for p in self.network_.parameters()):
                raise ValueError(NON_FINITE)
            self._cache_weights()
        return self

    def _held_out(self, X: Any, y: Any, sample_weight: Any = None, loss_rows: tuple[np.ndarray, Any] | None = None) -> tuple[float, float]:
        """``(loss, score)`` of already validated held-out rows from one forward pass: :meth:`_score`'s score and the training
        loss's weighted mean over the rows (``history_.val_loss``; :func:`~._held_out.loss_sum`). ``loss_rows``: ``(targets,
        weights)`` of that loss when they are not ``y``'s and ``sample_weight`` (``hl.distill``'s student: the rows' teacher targets)."""
        raw = raw_output(self, X, check_input=False)
        y_pred = self._from_raw(raw, X)
        if np.issubdtype(y_pred.dtype, np.floating) and not np.isfinite(y_pred).all():
            return math.nan, math.nan
        total, weight = loss_sum(self, raw, y, sample_weight) if loss_rows is None else loss_sum(self, raw, y, loss_rows[1], loss_rows[0])
        return total / weight, float(self._score_function(y, y_pred, sample_weight=sample_weight))

    def _score(self, X: Any, y: Any, sample_weight: Any = None) -> float:
        """Score on an already validated ``X`` (the early-stopping split), as scikit-learn's ``_score``.

        No input checks (so no feature-name warning for the split of a DataFrame),
        and NaN, not an error, when a diverging network predicts non-finite values.
        """
        y_pred = self._predict_validated(X)
        if np.issubdtype(y_pred.dtype, np.floating) and not np.isfinite(y_pred).all():
            return math.nan
        return float(self._score_function(y, y_pred, sample_weight=sample_weight))

    # ----------------------------------------------------------- inference
    def _check_solver(self) -> bool:
        """``partial_fit`` exists for the stochastic solvers only (``available_if``), as in scikit-learn, and without ``weight_averaging``
        (so ``hasattr(model, "partial_fit")`` tells scikit-learn's tools, as for ``solver='lbfgs'``)."""
        if self.solver == "lbfgs":
            raise AttributeError(f"partial_fit is only available for stochastic optimizers. {self.solver} is not stochastic.")
        if getattr(self, "weight_averaging", None) is not None:
            raise AttributeError(PARTIAL_FIT_AVERAGING)
        return True

    def replace_network(self, network: Network) -> None:
        """Make ``network`` (same inputs and outputs) this fitted model's network.

        For tools that edit a fitted network in place or build a smaller one (``hl.prune``): the optimizer state is reset
        (the next ``partial_fit`` starts a fresh one) and ``predict``'s cached weights are refreshed.

        Parameters
        ----------
        network : Network
            The new network.
        """
        self._require_fitted()
        self.network_ = network.eval()
        self._optimizer_state = None
        self._cache_weights()

    def _cache_weights(self) -> None:
        """Refresh the NumPy weight copies ``predict`` uses (after any change to ``network_``)."""
        cache_weights(self)

    def _check_X(self, X: Any) -> Any:
        return check_X(self, X)

    # ------------------------------------------------------- training loss
    def network_targets(self, y: Any) -> np.ndarray:
        """``y`` as the training targets the loss compares ``network_``'s raw outputs with: ``(n, n_outputs_)`` float64.

        One-hot (or 0/1 indicator) columns for a classifier (smoothed by its ``label_smoothing``), values for a regressor.
        For tools that evaluate the training loss outside ``fit`` (``hl.lens.loss_landscape``); labels the model was not
        fitted on are a ValueError.

        Parameters
        ----------
        y : array-like of shape (n,) or (n, n_outputs)
            Labels or targets, one per row of ``X``.
        """
        self._require_fitted()
        Y = self._targets(self._checked_y(y))
        if Y.shape[1] != self.n_outputs_:
            raise ValueError(f"y has {Y.shape[1]} outputs but the model was fitted with {self.n_outputs_}: pass the targets it was trained on.")
        return Y

    def network_loss(self, z: torch.Tensor, targets: torch.Tensor, sample_weight: Any = None) -> torch.Tensor:
        """The training loss summed over rows: raw outputs ``z`` of ``network_`` against :meth:`network_targets`.

        The data term only (cross entropy, generalized cross entropy, squared error ``0.5·Σ(z - y)²`` or Poisson deviance,
        as ``loss`` says), without the L2 term ``alpha`` adds in training; divide by ``n`` for the mean per row.

        Parameters
        ----------
        z : torch.Tensor of shape (n, n_outputs_)
            The network's raw outputs.
        targets : torch.Tensor of shape (n, n_outputs_)
            :meth:`network_targets` of the same rows.
        sample_weight : torch.Tensor or array of shape (n,), optional
            Gives ``Σ w·loss`` instead: divide by ``Σ w`` for the weighted mean, as ``fit`` weights each batch
            (``class_weight``'s rows are the caller's to multiply in).
        """
        self._require_fitted()
        return self._loss().value(z, targets, loss_row_weights(sample_weight, z))

    def _checked_y(self, y: Any) -> np.ndarray:
        """``y`` as an array with one row per sample (the classifier also checks its labels)."""
        return np.asarray(y)

    def transform(self, X: Any, layer: int = -1) -> Any:
        """Activations of hidden layer ``layer``, shape ``(n, units)``.

        A NumPy array, or the frame :meth:`set_output` (or scikit-learn's global ``transform_output``) asks for.

        Parameters
        ----------
        X : array-like of shape (n, n_features)
            The rows.
        layer : int
            Which hidden layer, 1-based; ``-1`` = the last.
        """
        X_checked = self._check_X(X)
        n_hidden = len(self.network_.hidden_names)
        if n_hidden == 0:
            raise ValueError("this model has no hidden layers to transform with")
        if not isinstance(layer, numbers.Integral) or layer == 0 or not (-n_hidden <= layer <= n_hidden):
            raise ValueError(f"layer must be 1..{n_hidden} (or -1..-{n_hidden} from the end). Received: layer={layer!r}.")
        idx = layer - 1 if layer > 0 else n_hidden + layer
        values = sparse_hidden(self, X_checked, idx)
        if values is None:
            values = torch_forward(self, X_checked, layer=idx)[1][0]
        return hidden_output(self, values, X, self.network_.hidden_names[idx])

    def fit_transform(self, X: Any, y: Any, sample_weight: Any = None, layer: int = -1) -> Any:
        """Fit on ``(X, y)``, then return hidden layer ``layer``'s activations of ``X`` (as :meth:`transform`).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The training rows.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            The labels or targets.
        sample_weight : array-like of shape (n_samples,), optional
            As ``fit`` takes it.
        layer : int
            Which hidden layer, 1-based; ``-1`` = the last.
        """
        return self.fit(X, y, sample_weight=sample_weight).transform(X, layer=layer)  # type: ignore[attr-defined, no-any-return]

    def _coef_dtype(self) -> np.dtype:
        # the fit input's float dtype (float64 for a model file saved before it was recorded)
        return np.dtype(getattr(self, "_fit_dtype", "float64"))

    @property
    def coefs_(self) -> list[np.ndarray]:
        """Weight matrices, ``coefs_[i]`` of shape ``(fan_in, fan_out)`` as in scikit-learn, in the fit input's float dtype."""
        self._require_fitted()
        dt = self._coef_dtype()
        return [lin.weight.detach().cpu().numpy().T.astype(dt) for lin in self.network_.linears()]

    @coefs_.setter
    def coefs_(self, value: list[np.ndarray]) -> None:
        with torch.no_grad():
            for lin, w in zip(self.network_.linears(), value):
                lin.weight.copy_(torch.as_tensor(np.asarray(w).T))
        self._cache_weights()

    @property
    def intercepts_(self) -> list[np.ndarray]:
        """Bias vectors, ``intercepts_[i]`` of shape ``(fan_out,)``, in the fit input's float dtype."""
        self._require_fitted()
        dt = self._coef_dtype()
        return [lin.bias.detach().cpu().numpy().astype(dt) for lin in self.network_.linears()]

    @intercepts_.setter
    def intercepts_(self, value: list[np.ndarray]) -> None:
        with torch.no_grad():
            for lin, b in zip(self.network_.linears(), value):
                lin.bias.copy_(torch.as_tensor(np.asarray(b)))
        self._cache_weights()

    @property
    def n_parameters_(self) -> int:
        """Number of trainable parameters of the fitted network."""
        self._require_fitted()
        return count_parameters(self.network_)

    def save(self, path: Any, *, extra: dict[str, Any] | None = None) -> None:
        """Write the fitted model to one ``.safetensors`` file (atomically).

        Parameters
        ----------
        path : str or PathLike
            Where to write the file.
        extra : dict, optional
            JSON-able values stored with the model, read back by ``read_metadata``.
        """
        from ._file import to_file

        to_file(self, path, extra)

    @classmethod
    def load(cls, path: Any, *, device: str | None = None) -> Any:
        """The model saved in ``path`` (JSON and raw tensors only; nothing is unpickled).

        Parameters
        ----------
        path : str or PathLike
            The ``.safetensors`` file :meth:`save` wrote.
        device : str, optional
            Replaces the saved device (``"cpu"``, ``"cuda"``, ``"auto"``); None keeps it.
        """
        from ._file import from_file

        return from_file(cls, path, device)

    def __getstate__(self) -> dict[str, Any]:
        """The state to pickle: tensors on the CPU and the device fitted on (:class:`~hiddenlayers.network.PortablePickle`),
        without ``predict``'s NumPy weight copies (made again on unpickling)."""
        state = super().__getstate__()
        for key in ("_np_layers", "_np_acts", "_np_norms", "_np_net", "_np_params", "_np_modules", "_np_stamp"):
            state.pop(key, None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        """Unpickle: the network on the device fitted on when this machine has it, else on the CPU (one warning)."""
        super().__setstate__({**missing_defaults(type(self), state), **state})  # an older pickle: parameters added since
        if "network_" in state:
            self._cache_weights()


def _refuse_source_arrays(src: Any, y: Any, sample_weight: Any, call: str) -> None:
    """``fit(source, y)`` / ``fit(source, sample_weight=w)``: a source brings its labels (its target column) and weights (its
    ``weight=`` column), and the ``y`` or weights given beside it were ignored without a word (``fit(train_src, valid_src)``,
    Keras' ``fit(x, validation_data)`` habit, trained with no validation rows at all). ``call``: ``"fit"`` or ``"partial_fit"``."""
    from ..data import is_source

    if y is not None:
        also = " (validation rows go in X_val=: fit(source, X_val=other_source))" if is_source(y) else ""
        raise ValueError(f"{call}(source) reads y from the source's target column {src.target!r}, so y given beside it would be ignored: "
                         f"drop y{also}.")
    if sample_weight is not None:
        raise ValueError(f"{call}(source) reads the rows' weights from the source's weight column (ParquetSource(..., weight='w')), so "
                         "sample_weight given beside it would be ignored: drop sample_weight, and name the column with weight=.")
