"""Predicting with the MLP estimators: NumPy copies of the weights and the forward passes.

Functions of the fitted estimator (``est``): a table's dense networks on the CPU (dropout
and batch or layer norms included, in their eval-mode form) run as NumPy matrix products
on cached weights (fast for small batches; a sparse ``X`` by scipy's sparse product,
never made dense); other networks, and a dense ``X``'s hidden activations, go through
the PyTorch network in blocks.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np
import scipy.sparse as sp
import torch

from .._stacklevel import user_stacklevel
from ..data import TablePreprocessor, at_row, first_beyond_float32, is_source, non_finite_rows
from ..exceptions import DataError, NonFiniteOutputError, TableNoteWarning
from ..network import dense_forward, evaluating, get_activation
from ..training import to_tensor
from ._checks import _validate, refuse_beyond_float32

if TYPE_CHECKING:
    from ._mlp_base import _BaseMLP

_T = TypeVar("_T")


def _stamp(params: tuple[torch.Tensor, ...]) -> tuple[tuple[int, int], ...]:
    """Each parameter's in-place version counter (bumped by an optimizer's step, ``load_state_dict``, ``mul_`` under
    ``no_grad``, ``nn.init``) and data pointer (moved by ``.to()``, ``.double()``, ``p.data = ...``): about a microsecond."""
    return tuple((p._version, p.data_ptr()) for p in params)


def cache_weights(est: _BaseMLP) -> None:
    """Copy the network's weights to NumPy (``est._np_layers``, and each norm's eval-mode map, ``est._np_norms``) for
    :func:`raw_output`, with what :func:`weights_fresh` compares to know they still hold (the network, its modules, its
    parameters and buffers, a batch norm's running statistics among them, and their :func:`_stamp`)."""
    net = est.network_
    est._np_net, est._np_params, est._np_modules = net, (*net.parameters(), *net.buffers()), net.submodules()
    est._np_stamp = _stamp(est._np_params)
    dt = np.float64 if network_dtype(net) == torch.float64 else np.float32
    norms = net.numpy_norms(dt)  # None: not a table's dense stack NumPy runs (predict goes through PyTorch)
    est._np_ok = norms is not None and est._device.type == "cpu"
    est._np_layers = [(lin.weight.detach().cpu().numpy().T.astype(dt), lin.bias.detach().cpu().numpy().astype(dt)) for lin in net.linears()]
    est._np_acts = [get_activation(a).np_forward for a in net.activation_names()]
    est._np_norms = norms or []
    est._np_dtype = dt


def network_dtype(net: torch.nn.Module) -> torch.dtype:
    """The dtype ``net``'s weights hold, which inference computes in: the fitted network's, not the ``dtype`` parameter
    (a ``set_params(dtype=...)`` since the fit is for the next fit, as every scikit-learn parameter is)."""
    first = next(net.parameters(), None)
    return first.dtype if first is not None else torch.float32


def weights_fresh(est: _BaseMLP) -> bool:
    """Whether the NumPy copies still hold ``network_``'s weights: the same network, none of its parameters changed in
    place or moved since :func:`cache_weights` (nor a batch norm's running statistics, which a forward pass in training mode
    updates in place), none of its layers or their modules (an activation, a norm) replaced by hand (``Network.submodules``).
    A parameter object swapped inside a module is not seen (:meth:`~._mlp_base._BaseMLP.replace_network` takes such a network)."""
    d = est.__dict__
    net = est.network_
    return d.get("_np_modules") == net.submodules() and d.get("_np_net") is net and d.get("_np_stamp") == _stamp(d["_np_params"])


def check_X(est: _BaseMLP, X: Any, where: Callable[[int], str] | None = None, notes: list[str] | None = None) -> Any:
    """``X`` ready for the network: a clean float ndarray passes as is, else scikit-learn's checks. ``where(i)``: row ``i`` of a
    DataFrame ``X`` by its file and line, for an error (a streamed source's record batch); None: ``row N``. ``notes``: a list
    the stored preprocessing's notes on ``X`` are appended to (:func:`stored_table_matrix`)."""
    est._require_fitted()
    if is_source(X):  # before: "X must be 2-D ... Received shape ()", from scikit-learn's check of an object it cannot read
        raise DataError(f"this method takes rows in memory (a DataFrame or an array), not {X!r}: predict, predict_proba and score "
                        "take a source and stream it batch by batch (as `hiddenlayers predict MODEL DIR` does), or read the rows "
                        "into a DataFrame (pd.read_parquet(path)).")
    X = stored_table_matrix(est, X, where, notes)
    if (
        type(X) is np.ndarray
        and X.ndim == 2
        and X.dtype.kind == "f"
        and X.shape[1] == est.n_features_in_
        and X.shape[0] > 0
        and not hasattr(est, "feature_names_in_")
        and np.isfinite(X.sum())
    ):
        return X
    return _validate(est, X, accept_sparse=["csr", "csc"], dtype=(np.float64, np.float32), reset=False)


def stored_table_matrix(est: _BaseMLP, X: Any, where: Callable[[int], str] | None = None, notes: list[str] | None = None) -> Any:
    """A raw table ``X`` (a DataFrame of the training columns) through ``est``'s stored table preprocessing; other ``X`` as is.

    A model trained by ``hiddenlayers train`` on a file, or by ``fit(ParquetSource)``, reads its columns through the
    :class:`~hiddenlayers.data.TablePreprocessor` it stores (``preprocessing_``), as ``hiddenlayers predict`` does:
    so ``hl.load(path).predict(frame)`` takes the frame that training read, text columns and missing cells included
    (extra columns are ignored; unseen categories go to ``<other>``). Shape ``(n, n_features_in_)``. ``where``: as :func:`check_X`.
    ``notes``: where the preprocessing's notes (ignored columns, unseen categories, missing cells it never saw) are appended,
    for a streamed source's methods to say once over every batch (:mod:`._predict_source`); None: each is a
    :class:`~hiddenlayers.TableNoteWarning` now, as a ``TableEncoder`` step warns them.
    """
    import pandas as pd

    state = getattr(est, "preprocessing_", None)
    if not (isinstance(state, dict) and state.get("kind") == "table"):
        return X
    if not isinstance(X, pd.DataFrame):
        _refuse_raw_rows(est, X, TablePreprocessor.from_dict(state).feature_names)
        return X
    pre = TablePreprocessor.from_dict(state)
    out = pre.transform(X, where)
    A = out.matrix
    if notes is not None:
        notes.extend(out.notes)
    else:  # rows in memory: said here, as a TableEncoder step says them, not dropped
        for msg in out.notes:
            warnings.warn(msg, TableNoteWarning, stacklevel=user_stacklevel())
    # infinite inside a float32 network: NaN outputs; `hiddenlayers predict` refuses it alike (a float64 network takes it, as its .onnx export does)
    beyond = first_beyond_float32(A) if network_dtype(est.network_) != torch.float64 else None
    if beyond is not None:
        r, k = beyond
        name = pre.output_names[k]  # a numeric column's own name: one-hot outputs are 0 or 1
        raw = X[name].iloc[r]
        shown = repr(raw) if isinstance(raw, str) else f"{float(raw):.3g}"
        raise DataError(f"column '{name}' must be within ±3.4e38 (float32, which the model computes in; after the stored scaling) "
                        f"but {at_row(r, where)} holds {shown}: fix the value or leave it empty.")
    return A


def _refuse_raw_rows(est: _BaseMLP, X: Any, columns: list[str]) -> None:
    """A table model given rows that are not a DataFrame (``frame.values``, a list of rows) of another width than its
    encoded matrix: the rows are its raw columns, which only a DataFrame names. scikit-learn's check said "encode text
    or category columns ... with sklearn's OneHotEncoder", or "X has 3 features, but ... is expecting 6", for a model
    that encodes them itself."""
    try:
        shape = np.shape(X) if isinstance(X, (np.ndarray, list, tuple)) else None
    except ValueError:  # ragged rows: scikit-learn's check names them
        return
    if shape is None or len(shape) != 2 or shape[1] == est.n_features_in_:
        return  # the encoded matrix itself (n_features_in_ columns), or scikit-learn's own message
    shown = ", ".join(repr(c) for c in columns[:8]) + (", ..." if len(columns) > 8 else "")
    raise DataError(f"this model reads a table through the preprocessing stored with it: pass a pandas DataFrame of its "
                    f"{len(columns)} column(s) {shown} (e.g. pd.read_csv(...)), not an array of {shape[1]} column(s); "
                    f"its encoded matrix has {est.n_features_in_} columns.")


def output_dtype(est: _BaseMLP, X: Any) -> np.dtype:
    """The dtype of predictions for ``X``: scikit-learn's ``X @ coefs_`` promotion (float32 only when both are)."""
    return np.result_type(X.dtype, getattr(est, "_fit_dtype", "float64"))


def raw_output(est: _BaseMLP, X: Any, check_input: bool = True) -> np.ndarray:
    """Head outputs ``(n, n_outputs)`` (before the output activation) as NumPy, in the network's dtype.

    The NumPy copies of the weights are made again when ``network_``'s weights changed since they were taken (a user's
    own PyTorch steps on it, ``load_state_dict``, ``nn.init``, ``.double()``) or ``network_`` was replaced: ``predict``
    computes with what ``network_`` holds.
    """
    if check_input:
        X = check_X(est, X)
    if not weights_fresh(est):
        cache_weights(est)
    if getattr(est, "_np_ok", False):  # a sparse X too: its product with the first layer is scipy's, on the stored values
        out = numpy_forward(est, X)
    else:
        out = torch_forward(est, X)[0]
    if not np.isfinite(out).all():  # one pass over the small output; only then is X looked at
        refuse_beyond_float32(est, X, "X")  # finite in X, infinite in the float32 network: as fit refuses it
    return out


def overflow_checked(est: _BaseMLP, out: np.ndarray, answer: Callable[[np.ndarray], _T]) -> _T:
    """``answer(out)``, the answer of ``predict``, ``predict_proba`` or their kin from :func:`raw_output`'s head outputs
    ``out``, once no row of ``out`` is NaN or infinite while the network's weights are finite; else a one-line
    :class:`~hiddenlayers.exceptions.NonFiniteOutputError` naming the first such row, never a NaN answer.

    Finite input within the network's float range can still overflow inside it: a float32 layer norm squares its
    inputs' spread, so a row of 1e30 (after a table's standardisation, still ~1e29 at the first layer) makes the
    variance infinite and the outputs NaN, where the ``.onnx`` export's ``LayerNormalization`` answers.
    ``hiddenlayers predict`` and the server refuse such a row in their own words, row by row (the error carries the
    answer and the rows); the estimators now refuse it too. A network whose own weights are NaN (set by hand) still
    answers NaN, as ``predict`` decides it; fitting's scoring (early stopping) keeps :func:`raw_output` alone, whose
    NaN marks a diverged network.
    """
    result = answer(out)
    if np.isfinite(out).all():  # the usual case in one pass; only a non-finite output is looked at row by row
        return result
    rows = non_finite_rows(out)
    if not rows.size or not all(bool(torch.isfinite(p).all()) for p in est.network_.parameters()):
        return result
    dtype = "float64" if network_dtype(est.network_) == torch.float64 else "float32"
    fix = "rescale that row's values (other units, a log)" + (", or fit with dtype='float64'" if dtype == "float32" else "")
    raise NonFiniteOutputError(f"X[{int(rows[0])}] gives a network output that is not finite, though its values are: they are so large that "
                               f"the network overflows {dtype} inside (a layer norm's variance, say), so its answer would be NaN: {fix}.",
                               rows, result)


def numpy_forward(est: _BaseMLP, X: Any, layer: int | None = None) -> np.ndarray:
    """Head outputs ``(n, n_outputs)``, or hidden layer ``layer``'s activations (0-based), from the NumPy copies of a table's
    dense network (``est._np_ok``; fresh: :func:`weights_fresh`), its norms' eval-mode maps and no dropout, as its eval-mode
    forward; a sparse ``X`` is multiplied as it is stored."""
    return dense_forward(est._np_layers, est._np_acts, X, est._np_dtype, layer, est._np_norms)


def sparse_hidden(est: _BaseMLP, X: Any, layer: int) -> np.ndarray | None:
    """Hidden layer ``layer``'s activations (0-based) of a sparse ``X`` on the NumPy path, never made dense (a PyTorch block
    of 8192 rows of 2**18 hashed columns is 8 GB); None for a dense ``X`` or a network that needs PyTorch."""
    if not sp.issparse(X):
        return None
    if not weights_fresh(est):
        cache_weights(est)
    return numpy_forward(est, X, layer) if est._np_ok else None


def torch_forward(est: _BaseMLP, X: Any, layer: int | None = None) -> tuple[np.ndarray, list[np.ndarray]]:
    """Head outputs and (for ``layer``, 0-based) ``[hidden activations]`` through PyTorch, 8192 rows at a time, fewer for a
    sparse ``X`` so wide that a dense block would pass 256 MB (8192 rows of 2**18 hashed columns were 8 GB at once)."""
    dtype = network_dtype(est.network_)
    outs, hiddens = [], []
    rows = 8192 if not sp.issparse(X) else max(1, min(8192, 2**28 // (max(1, X.shape[1]) * dtype.itemsize)))
    with evaluating(est.network_), torch.inference_mode():  # each submodule's own mode comes back after
        for start in range(0, X.shape[0], rows):
            block = X[start : start + rows]
            block = block.toarray() if sp.issparse(block) else block
            xt = to_tensor(block, dtype, est._device)
            out, hidden = est.network_(xt, return_hidden=True)
            outs.append(out.cpu().numpy())
            if layer is not None:
                hiddens.append(hidden[layer].cpu().numpy())
    n_out = est.network_.out_features
    raw = np.concatenate(outs) if outs else np.zeros((0, n_out))
    return raw, ([np.concatenate(hiddens)] if hiddens else [])
