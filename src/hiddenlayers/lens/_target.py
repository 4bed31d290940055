"""What the lens runs: the network inside a model, how rows become its input, and its default layers.

The lens looks at one ``nn.Module``. A model hands it over in one of these ways:

- a fitted estimator or application: its network is ``network_`` (or
  ``q_network_`` for :class:`~hiddenlayers.apps.DQNAgent`, or the one-input
  view ``lens_network()`` makes of a network of several inputs: a
  :class:`~hiddenlayers.apps.Translator`'s encoder-decoder reads its (source,
  target) pairs packed as one ``(N, 2, W)`` block of ids); rows are turned
  into what that network reads by ``model.network_input(X)`` when the model
  has it (an Autoencoder's standardised rows, a Forecaster's lag windows, a
  Recommender's (user, item) codes), else by ``model._check_X(X)``
  (scikit-learn-style validation);
- a fitted scikit-learn ``Pipeline`` whose last step is one of those (``make_pipeline(hl.TableEncoder(),
  hl.MLPClassifier())``, or what ``hl.load`` gives back for a saved Pipeline): rows go through the earlier
  steps first (``pipe[:-1].transform(X)``, as ``pipe.predict`` sends them), then as that step takes them;
  ``Target.feature_names`` are then the columns the network reads, ``pipe[:-1].get_feature_names_out()``
  (``color=red``), and whatever the lens makes in the network's input space (preferred inputs) is in those
  encoded columns, not the raw ones: no step is inverted;
- any ``torch.nn.Module``: rows are used as they are.

Default layers: a module's ``lens_layers`` (a list of names) when it has
one, else a :class:`~hiddenlayers.Network`'s ``hidden_names``, else the
hidden layers of every Network nested inside (``"mlp.hidden1"``), else every
leaf module except dropout, identity and flatten.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from .._network_of import NETWORK_ATTRS
from ..data import refuse_meta, row_count
from ..estimators import refuse_unreadable_columns


@dataclass
class Target:
    """What to run: the module, how to turn (prepared) rows into tensors, and defaults.

    Attributes
    ----------
    module : torch.nn.Module
        The network run.
    to_tensor : callable
        Maps a block of prepared rows to a tensor on the module's device (floating point in the module's dtype; integer
        ids kept as int64).
    default_layers : list of str or None
        The layers recorded when none are named.
    estimator : object, optional
        The estimator or application the module belongs to.
    prepare : callable, optional
        Maps the user's rows to the module's input rows (``(n, ...)``).
    head : object, optional
        A Pipeline's steps before ``estimator`` (``pipe[:-1]``), run on the user's rows before anything else.
    feature_names : list of str or None
        One name per value of the network's input row when known (a Pipeline's encoded columns, else the estimator's
        ``feature_names_in_``).
    """

    module: nn.Module
    to_tensor: Callable[[Any], Tensor]
    default_layers: list[str] | None
    estimator: Any = None
    prepare: Callable[[Any], Any] | None = None
    head: Any = None
    feature_names: list[str] | None = None

    def prepared(self, X: Any, *, offset: int = 0) -> Any:
        """``X`` as rows of the network's input (validated, scaled, windowed: whatever the model does).

        Numeric ``X`` is checked for NaN and inf first, before the model's own checks, so every model gives the same
        message: a NaN row would otherwise run through the network and read as dead units. A Pipeline's earlier steps run
        first, and the check reads their output: an imputer's step fills the NaN that ``pipe.predict`` would fill.

        Parameters
        ----------
        X : array-like
            The user's rows.
        offset : int
            The row number of ``X[0]`` in the message (a loader's later batches).
        """
        refuse_meta(X)  # a tensor of no values: PyTorch's "Tensor.item() cannot be called on meta tensors" from the finite check
        if self.head is not None:
            X = self.head.transform(X)
        refuse_unreadable_columns(X)  # dates, durations, complex numbers: one line naming the dtype (or column), not PyTorch's TypeError
        own_padding = self.prepare is not None and nan_padded(X)  # a sequence app's NaN-padded form: its own reader checks it
        try:
            if self.prepare is not None:
                require_padding(X, offset=offset)  # a missing value among padded rows: its row, not the first padded one
            if not (own_padding or _stored_table_input(self.estimator, X)):  # stored preprocessing imputes missing cells, refuses inf
                require_finite(X, offset=offset)
        except ValueError:
            if not offset:  # (a loader's later batch: the app would number its rows from 0)
                self._own_words(X)
            raise
        if self.prepare is not None:
            return self.prepare(X)
        if hasattr(X, "to_numpy") and not isinstance(X, Tensor):
            return X.to_numpy()
        return X

    def _own_words(self, X: Any) -> None:
        """Raise the application's own :class:`~hiddenlayers.exceptions.DataError` for ``X``, where its reader has one.

        Why: a sequence app's reader names the sequence and the step of a NaN (and a lone ``(T, F)`` sequence's shape,
        which the lens's check read as T rows and named a step as "row 10"); the lens's words are only the fallback.
        """
        from ..exceptions import DataError

        if self.prepare is None or self.estimator is None:
            return
        try:
            self.prepare(X)
        except DataError as exc:
            raise exc from None  # (not chained to the lens's check it replaces)
        except Exception:  # noqa: BLE001 - its other errors (scikit-learn's NaN words) say less than the lens's
            return

    @property
    def as_module(self) -> Target:
        """The same network with no preparation step: for rows that are already prepared."""
        return Target(self.module, self.to_tensor, self.default_layers, None, None, None, self.feature_names)

    @property
    def input_space(self) -> str | None:
        """What the network's input values are when a Pipeline's steps made them (for results in that space); None otherwise."""
        if self.head is None:
            return None
        from .._pipe import step_classes

        return f"the encoded columns the network reads (the output of the Pipeline's {step_classes(self.head.steps)}), not the raw columns"


def _stored_table_input(estimator: Any, X: Any) -> bool:
    """Whether ``X`` is a raw DataFrame that ``estimator`` reads through its stored table ``preprocessing_``
    (``hiddenlayers train FILE``'s models: missing cells are its to fill, as ``predict`` fills them)."""
    import pandas as pd

    state = getattr(estimator, "preprocessing_", None)
    return isinstance(X, pd.DataFrame) and isinstance(state, dict) and state.get("kind") == "table"


def _network_of(model: Any) -> nn.Module | None:
    """The module the lens runs for a fitted ``model``: its ``network_`` (``q_network_``), else the one-input view its
    ``lens_network()`` makes of a network of several inputs (a Translator's encoder-decoder); None before fit."""
    for attr in NETWORK_ATTRS:
        net = getattr(model, attr, None)
        if isinstance(net, nn.Module):
            return net
    if _has_lens_view(model) and _looks_fitted(model):
        net = model.lens_network()
        return net if isinstance(net, nn.Module) else None
    return None


def _has_lens_view(model: Any) -> bool:
    """Whether ``model`` (not a module) hands the lens a one-input view of its network: ``lens_network()`` with ``network_input(X)``."""
    return not isinstance(model, nn.Module) and callable(getattr(model, "lens_network", None)) and callable(getattr(model, "network_input", None))


def _is_estimator(model: Any) -> bool:
    if isinstance(model, nn.Module):
        return False
    return _network_of(model) is not None or _has_lens_view(model) or (hasattr(model, "get_params") and hasattr(model, "hidden_layer_sizes"))


def refuse_model(value: Any, name: str, func: str) -> None:
    """Raise a one-line ``TypeError`` when ``value`` (an argument meant to hold activations) is a model, or a whole recording.

    :func:`~hiddenlayers.lens.cka`, :func:`~hiddenlayers.lens.layer_stats` and
    :func:`~hiddenlayers.lens.top_activating` take recorded activations, while their neighbours take a
    model and X: a model there read as an array of objects ("can't convert np.ndarray of type numpy.object_").
    """
    if isinstance(value, nn.Module) or _is_estimator(value) or (hasattr(value, "get_params") and hasattr(value, "fit")):  # an app with no network_ (a Translator)
        raise TypeError(
            f"{func} takes activations, {name} as a (n_rows, units) array; received a model ({type(value).__name__}). "
            f"Record them first: acts = hl.lens.record(model, X); {func}(acts['layer name'], ...)."
        )
    if isinstance(value, Mapping):  # what record returns, whole: read as an array of its layer names ("numpy.str_", "shape (2,)")
        names = [str(k) for k in value]
        shown = ", ".join(names[:8]) + (f", ... ({len(names)})" if len(names) > 8 else "")
        first = names[0] if names else "layer name"
        whole = " (cka_matrix(acts) compares every pair of layers)" if func == "cka" else ""
        raise TypeError(
            f"{func} takes one layer's activations, {name} as a (n_rows, units) array; received a recording of layers {shown or '(none)'}: "
            f"pass one of them, {func}(acts[{first!r}], ...){whole}."
        )


def _looks_fitted(model: Any) -> bool:
    """scikit-learn's rule: a fitted estimator has attributes ending in one underscore."""
    return any(k.endswith("_") and not k.startswith("__") for k in vars(model))


def default_layers(module: nn.Module) -> list[str] | None:
    """The layers the lens records when none are named (see the module docstring); None = every leaf."""
    listed = getattr(module, "lens_layers", None)
    if isinstance(listed, (list, tuple)) and listed:
        return [str(n) for n in listed]
    own = getattr(module, "hidden_names", None)
    if isinstance(own, (list, tuple)) and own:
        return [str(n) for n in own]
    found: list[str] = []
    covered: list[str] = []
    for name, sub in module.named_modules():
        if not name or any(name.startswith(c + ".") for c in covered):
            continue
        names = getattr(sub, "hidden_names", None)
        if isinstance(names, (list, tuple)) and names:
            found.extend(f"{name}.{h}" for h in names)
            covered.append(name)
    return found or None


def _tensor_fn(module: nn.Module) -> Callable[[Any], Tensor]:
    try:
        param = next(module.parameters())
        dtype, device = param.dtype, param.device
    except StopIteration:
        dtype, device = torch.get_default_dtype(), torch.device("cpu")

    def to_tensor(block: Any) -> Tensor:
        if hasattr(block, "toarray"):  # scipy sparse rows
            block = block.toarray()
        if not isinstance(block, Tensor):
            block = np.asarray(block)
            if block.dtype.kind in "US":  # PyTorch's "can't convert np.ndarray of type numpy.str_" otherwise
                from ..exceptions import DataError

                raise DataError(f"X holds text ({block.dtype}), which the network cannot read: encode it as numbers first (e.g. one-hot, or ids).")
            if not block.dtype.isnative:  # big-endian ('>f8', a file's byte order): PyTorch refuses it ("byte order different")
                block = block.astype(block.dtype.newbyteorder("="))
        t = block.to(device) if isinstance(block, Tensor) else torch.as_tensor(np.ascontiguousarray(block), device=device)
        return t.to(dtype) if t.is_floating_point() or t.dtype == torch.bool else t

    return to_tensor


def _refuse_not_ours(model: Any) -> None:
    """A one-line ``TypeError`` for scikit-learn's own MLP or a Pipeline around one of ours, naming what to pass instead.

    Why: scikit-learn's ``MLPClassifier`` has no PyTorch network (the lens said "not fitted yet" or "wrap your own forward call"),
    and a ``Pipeline(StandardScaler(), hl.MLPClassifier())`` read as an unknown object with no hint of its last step.
    """
    from .._words import foreign, foreign_note, pipeline_note

    if isinstance(model, nn.Module) or not foreign(model):
        return
    note = foreign_note(model) or pipeline_note(model, "model=pipe[-1] and X=pipe[:-1].transform(X), the rows it reads")
    if note:
        raise TypeError(
            "model must be a fitted estimator or application of hiddenlayers (MLPClassifier, Autoencoder, Forecaster, ...) "
            f"or a torch.nn.Module. Received: {type(model).__name__}{note}."
        )


def _head_names(head: Any, estimator: Any, width: int | None) -> list[str] | None:
    """The names of the ``width`` columns the network reads: ``head.get_feature_names_out()`` when the steps give them,
    else the estimator's ``feature_names_in_`` (None when neither has ``width`` names)."""
    from .._pipe import head_names

    found: Any = head_names(head, width)
    if found is None:
        found = getattr(estimator, "feature_names_in_", None)
    if found is None or (width is not None and len(found) != width):
        return None
    return [str(n) for n in found]


def _pipeline_target(model: Any, parts: tuple[Any, Any]) -> Target:
    """The Target of a Pipeline's last step whose rows pass through the steps before it first."""
    from .._pipe import require_fitted_head

    head, last = parts
    if not isinstance(last, nn.Module) and _network_of(last) is None and not _looks_fitted(last):
        from ..exceptions import NotFittedError

        raise NotFittedError(f"This Pipeline's last step, {type(last).__name__}, is not fitted yet: call pipe.fit(X, y) before looking inside it.")
    require_fitted_head(head, last, "the lens")  # else scikit-learn's NotFittedError of the first step, from the first batch
    inner = as_target(last)
    width = getattr(last, "n_features_in_", None)
    names = _head_names(head, last, int(width) if isinstance(width, numbers.Integral) else None)
    return Target(inner.module, inner.to_tensor, inner.default_layers, inner.estimator, inner.prepare, head, names)


def as_target(model: Any) -> Target:
    """Resolve an estimator or application, a Pipeline ending in one, a :class:`~hiddenlayers.Network` or any ``nn.Module``.

    Parameters
    ----------
    model : estimator, application, Pipeline, Network or torch.nn.Module
        The model to look inside.
    """
    from .._pipe import split_pipeline

    parts = split_pipeline(model)  # the rule cost, prune and explain share; another library's model's Pipeline is refused below
    if parts is not None:
        return _pipeline_target(model, parts)
    _refuse_not_ours(model)
    if _is_estimator(model):
        net = _network_of(model)
        if net is None and _looks_fitted(model):
            raise TypeError(
                f"{type(model).__name__} has no single-input network (network_) that the lens can run on X: "
                "wrap your own forward call in hl.lens.recording(module, layers) to record its layers."
            )
        if net is None:
            from ..exceptions import NotFittedError

            raise NotFittedError(f"This {type(model).__name__} instance is not fitted yet: call fit(X, y) before looking inside it.")
        prepare = getattr(model, "network_input", None) or getattr(model, "_check_X", None)
        return Target(net, _tensor_fn(net), default_layers(net), model, prepare)
    if not isinstance(model, nn.Module):
        if hasattr(model, "get_params") and _looks_fitted(model):
            raise TypeError(
                f"{type(model).__name__} has no single-input network (network_) that the lens can run on X: "
                "wrap your own forward call in hl.lens.recording(module, layers) to record its layers."
            )
        raise TypeError(
            "model must be a fitted estimator or application of hiddenlayers (MLPClassifier, Autoencoder, Forecaster, ...) "
            f"or a torch.nn.Module. Received: {type(model).__name__}."
        )
    model = eager(model)
    return Target(model, _tensor_fn(model), default_layers(model), None, None)


def eager(module: nn.Module) -> nn.Module:
    """The module a ``torch.compile``'d one wraps (``OptimizedModule._orig_mod``), else ``module`` itself.

    Why: the lens hooks layers, and hooks on a compiled module break its graph and compile it again (tens of
    seconds, a screen of dynamo warnings) to compute what the eager module computes with the same weights;
    its layers were also named ``_orig_mod.0`` where the user's model says ``0``.
    """
    inner = getattr(module, "_orig_mod", None)
    return inner if type(module).__name__ == "OptimizedModule" and isinstance(inner, nn.Module) else module


def first_bad_row(values: Any) -> int | None:
    """Index of the first row of ``values`` that holds NaN or inf; None when all are finite (or not numeric)."""
    if isinstance(values, Tensor):
        if not (values.is_floating_point() or values.is_complex()) or values.numel() == 0:
            return None
        bad_t = ~torch.isfinite(values.detach()).reshape(values.shape[0] if values.ndim else 1, -1).all(1)
        return int(bad_t.nonzero()[0, 0]) if bool(bad_t.any()) else None
    if hasattr(values, "select_dtypes"):  # a DataFrame: its numeric columns, rows by position
        values = values.select_dtypes("number").to_numpy()
    if hasattr(values, "tocsr"):  # scipy sparse: only the stored values can be non-finite
        coo = values.tocoo()
        bad_s = ~np.isfinite(coo.data)
        return int(coo.row[bad_s].min()) if bad_s.any() else None
    try:
        arr = np.asarray(values)
    except (TypeError, ValueError):  # ragged lists: whatever reads them reports their shape
        return None
    if arr.dtype.kind not in "fc" or arr.size == 0:
        return None  # ids, text and objects cannot hold NaN in a way the network reads
    bad = ~np.isfinite(arr).reshape(arr.shape[0] if arr.ndim else 1, -1).all(1)
    return int(np.flatnonzero(bad)[0]) if bad.any() else None


def _padding_rows(values: Any) -> tuple[np.ndarray, np.ndarray] | None:
    """For a 3-D float array ``(n, T, F)``: ``(padded, misfit)``, per row whether it ends in NaN padding (whole NaN steps
    after its last real step, nothing else non-finite) and whether it holds NaN or inf that is no such padding; None for
    anything else."""
    if not isinstance(values, np.ndarray) or values.ndim != 3 or values.dtype.kind != "f" or values.size == 0:
        return None
    nan = np.isnan(values)
    whole = np.asarray(nan.all(axis=2))  # (n, T) steps that are all NaN
    trailing = (whole[:, :-1] <= whole[:, 1:]).all(axis=1)  # once a row's padding begins, it runs to the end
    clean = (whole == nan.any(axis=2)).all(axis=1) & trailing & ~np.isinf(values).any(axis=(1, 2))
    return whole.any(axis=1) & clean, ~clean


def nan_padded(values: Any) -> bool:
    """Whether ``values`` is a 3-D float array ``(n, T, F)`` holding NaN, all of it whole steps after each row's last real step.

    Why: that is the padded form a ``SequenceClassifier`` (and a ``SpeechRecognizer``) reads, as ``predict`` takes it;
    the NaN check refused it as missing values. Such a model's own reader strips the padding and refuses NaN anywhere
    else; a model without one (a plain module) still gets the NaN check. Infinity is never padding.
    """
    rows = _padding_rows(values)
    return rows is not None and bool(rows[0].any()) and not bool(rows[1].any())


def require_padding(values: Any, *, offset: int = 0) -> None:
    """Raise ``ValueError`` naming the first row of a NaN-padded ``(n, T, F)`` array whose NaN or inf is no padding.

    Why: the plain check named the first row holding NaN, a padded row there, not the one with the missing value.
    Nothing happens for an array with no padded row (the plain check words it) or no misfit.
    """
    rows = _padding_rows(values)
    if rows is None or not rows[0].any() or not rows[1].any():
        return
    row = int(np.flatnonzero(rows[1])[0])
    raise ValueError(
        f"X holds NaN or infinite values that are not padding (first in row {offset + row}; padding is whole NaN steps after a "
        "sequence's last real one): drop or impute those values before looking inside the model."
    )


def require_finite(values: Any, name: str = "X", *, offset: int = 0) -> None:
    """Raise ``ValueError`` when numeric ``values`` hold NaN or inf (``offset``: the row number of ``values[0]``).

    Why: the lens would run them through the network and report NaN
    activations as dead units, which is wrong rather than missing.
    """
    row = first_bad_row(values)
    if row is not None:
        raise ValueError(
            f"{name} holds NaN or infinite values (first in row {offset + row}): drop or impute those rows before looking inside the model."
        )


def check_max_rows(max_rows: Any, minimum: int = 1, why: str = "") -> int | None:
    """``max_rows`` as an int ``>= minimum``, or None (every row); a float with no fraction counts (``1e5`` is 100000).

    Why: ``X[:max_rows]`` reads 0 and negative numbers as "from the end", so a
    bad cap would silently drop rows or take none; ``2.5``, NaN, inf, ``True``
    and strings are refused too. ``why`` ends the message (the reason for ``minimum``).
    """
    if max_rows is None:
        return None
    integral = isinstance(max_rows, numbers.Integral) or (isinstance(max_rows, numbers.Real) and float(max_rows).is_integer())
    if isinstance(max_rows, bool) or not integral or int(max_rows) < minimum:
        raise ValueError(f"max_rows must be None (every row) or an integer >= {minimum}{why}. Received: max_rows={max_rows!r}.")
    return int(max_rows)


def n_rows(X: Any) -> int:
    """The rows of ``X`` (an array, tensor, sparse matrix or DataFrame); a loader, a list or several arrays is one TypeError saying what to pass."""
    shape = getattr(X, "shape", None)
    if isinstance(X, (tuple, list)) and X and all(hasattr(x, "shape") for x in X):
        raise TypeError(
            f"X is a {type(X).__name__} of {len(X)} arrays: the lens feeds one (N, ...) input per batch. For a model with "
            "several inputs, wrap it in a module whose forward(x) takes one tensor, or run it inside hl.lens.recording(model, layers); "
            "for a list of batches, pass torch.cat(X), or iter(X) to hl.lens.record."
        )
    if isinstance(X, list):
        raise TypeError("X is a list: pass the rows as one (N, ...) array or tensor (np.asarray(X) or torch.stack(X)).")
    if isinstance(X, Mapping):  # a tokenizer's {"input_ids": ..., "attention_mask": ...}
        keys = ", ".join(map(repr, list(X)[:6]))
        raise TypeError(
            f"X is a dict (keys {keys}): the lens feeds one (N, ...) input per batch. Pass the model's input, e.g. X[{next(iter(X), 'x')!r}], "
            "after wrapping a model of several inputs in a module whose forward(x) takes that one tensor; or run your own forward call "
            "inside `with hl.lens.recording(model, layers) as rec:`."
        )
    if shape is None and hasattr(X, "__iter__") and not isinstance(X, (str, bytes, dict)):
        raise TypeError(
            f"X is a {type(X).__name__}, not rows: pass the inputs as one (N, ...) array or tensor "
            "(e.g. torch.cat([xb for xb, _ in loader])); hl.lens.record and hl.lens.summary read a DataLoader; or run your own loop inside "
            "`with hl.lens.recording(model, layers, stream=True) as rec:` for data that does not fit in memory."
        )
    if shape is None or len(shape) == 0:
        raise TypeError(f"X must be an array, tensor or DataFrame with rows. Received: {type(X).__name__}.")
    return int(shape[0])


def count_rows(X: Any) -> int:
    """The rows of ``X`` as :func:`n_rows` counts them, and of a list of examples (an application's texts or
    sequences: ``len(X)``), for functions that draw rows before :func:`~hiddenlayers.lens.record`, which
    reads such a list through the model (a plain module's list is refused there, in one line). The count is
    :func:`hiddenlayers.data.row_count`, which ``cost`` shares; what it cannot count gets :func:`n_rows`' TypeError."""
    n = row_count(X)
    return n_rows(X) if n is None else n


def sample_index(n: int, cap: int | None, rng: np.random.Generator | int = 0) -> np.ndarray | None:
    """Sorted indices of ``cap`` rows of ``n`` drawn at random, or None when every row fits under ``cap``.

    Why not the first ``cap`` rows: data sorted by label or time (iris, a log
    file) would then show the lens only its first classes or its first days.
    """
    if cap is None or n <= cap:
        return None
    gen = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    return np.sort(gen.choice(n, size=cap, replace=False))


def take_rows(X: Any, idx: np.ndarray | None) -> Any:
    """Rows ``idx`` of ``X`` (an array, tensor, sparse matrix, DataFrame or list of examples, by position); ``X`` itself for None."""
    if idx is None:
        return X
    if isinstance(X, list):  # an application's texts or sequences (see count_rows)
        return [X[int(i)] for i in idx]
    if hasattr(X, "iloc"):
        return X.iloc[idx]
    if isinstance(X, Tensor):
        return X[torch.as_tensor(idx, device=X.device)]
    return X[idx]


def prepare_X(target: Target, X: Any) -> Any:
    """The rows ``target.module`` reads (see :meth:`Target.prepared`)."""
    return target.prepared(X)


__all__ = [
    "Target", "as_target", "check_max_rows", "count_rows", "eager", "refuse_model", "default_layers", "first_bad_row", "nan_padded", "prepare_X", "require_finite",
    "sample_index", "take_rows",
]
