"""What :func:`~._loop.train` checks before its first step: the data, the numbers, the stopping rules.

Every check is O(1) or one pass (the sample weights' min and sum, read
together), so the estimators, which pass valid inputs, pay nothing that
shows. Each failure is one ``ValueError``/``TypeError`` line naming the
parameter, what was received and the fix; since they all run before the
flat buffer is made, a call that fails changes no weight and no ``History``.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
import scipy.sparse as sp
import torch
from torch import Tensor

from ._losses import Loss
from ._numbers import real, whole
from ._stopping import LossBelow, NoImprovement, StoppingRule, check_rule

DENSE_LIMIT = 2**31
"""The most bytes a whole sparse ``X`` may take once made dense (2 GiB): beyond it :func:`dense_rows` refuses."""


def dense_rows(X: Any, dtype: torch.dtype, why: str, fix: str) -> Any:
    """A SciPy sparse ``X`` ``(n, d)`` as one dense NumPy array of ``dtype``'s NumPy type, for a computation that needs all
    of it at once; other ``X`` as it is.

    Why: a hashed or one-hot ``X`` (200,000 rows of 2**18 columns) is a few MB stored sparse and 210 GB dense; L-BFGS on
    a network only autograd runs, or on a GPU, and DANN made it dense without a word, until the machine ran out of memory.
    Past :data:`DENSE_LIMIT` bytes it is a one-line :class:`~hiddenlayers.exceptions.DataError` with the size, ``why`` it
    would be made dense and the ``fix``.

    Parameters
    ----------
    X : array-like or scipy.sparse matrix of shape (n, d)
        The rows.
    dtype : torch.dtype
        The dtype the dense copy is made in (the network's).
    why : str
        What makes it dense, for the message (``"solver='lbfgs' on this network"``).
    fix : str
        What to do instead, for the message.
    """
    if not sp.issparse(X):
        return X
    from ..exceptions import DataError

    np_dtype = torch.empty(0, dtype=dtype).numpy().dtype
    n, d = X.shape
    size = n * d * np_dtype.itemsize
    if size > DENSE_LIMIT:
        raise DataError(f"X is a sparse matrix of {n:,} x {d:,} with {X.nnz:,} stored values; {why} needs it dense, "
                        f"{size / 2**30:,.1f} GiB of {np_dtype} (more than {DENSE_LIMIT / 2**30:.0f} GiB): {fix}.")
    return X.toarray().astype(np_dtype, copy=False)


def to_tensor(a: np.ndarray, dtype: torch.dtype, device: torch.device) -> Tensor:
    """``a`` as a contiguous tensor of ``dtype`` on ``device`` (no copy when already right).

    The one NumPy-to-tensor conversion of every stage: ``np.ascontiguousarray`` first, because ``torch.as_tensor``
    refuses arrays with negative strides (``a[::-1]``). A read-only array (pandas' ``Series.to_numpy()`` under
    Copy-on-Write) is taken without PyTorch's "not writable" UserWarning: the fit reads its inputs, targets and weights
    and never writes them, so the warning would only alarm the user.

    Parameters
    ----------
    a : numpy.ndarray of shape (n, ...)
        The array.
    dtype : torch.dtype
        The tensor's type.
    device : torch.device
        Where it goes.
    """
    a = np.ascontiguousarray(a)
    if a.flags.writeable:
        return torch.as_tensor(a, dtype=dtype, device=device)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="The given NumPy array is not writable")
        return torch.as_tensor(a, dtype=dtype, device=device)


def as_tensor(name: str, a: Any, dtype: torch.dtype, device: torch.device, *, sparse_ok: bool = False) -> Any:
    """``a`` as a tensor: NumPy arrays are converted to ``dtype`` on ``device``; tensors (and, for X, SciPy sparse) pass."""
    if isinstance(a, Tensor) or (sparse_ok and sp.issparse(a)):
        return a
    if isinstance(a, np.ndarray):
        if not np.issubdtype(a.dtype, np.number) and a.dtype != np.bool_:
            raise TypeError(f"{name} must hold numbers. Received: a NumPy array of dtype {a.dtype}; encode it as numbers first.")
        return to_tensor(a, dtype, device)
    kinds = "a torch tensor, a NumPy array or a SciPy sparse matrix" if sparse_ok else "a torch tensor or a NumPy array"
    raise TypeError(f"{name} must be {kinds}. Received: {type(a).__name__}; wrap it with np.asarray(...) or torch.as_tensor(...).")


def check_lengths(X: Any, Y: Any, sample_weight: Any) -> int:
    """The row count shared by ``X``, ``Y`` and ``sample_weight`` (clear errors for an empty X or a mismatch)."""
    n = int(X.shape[0])
    if n == 0:
        raise ValueError("X has no rows: train needs at least one sample.")
    if int(Y.shape[0]) != n:
        raise ValueError(f"X has {n} rows but Y has {int(Y.shape[0])}: give one row of Y per row of X.")
    if sample_weight is not None and (sample_weight.ndim != 1 or int(sample_weight.shape[0]) != n):
        raise ValueError(
            f"sample_weight must be ({n},), one weight per row of X. Received: shape {tuple(sample_weight.shape)}; "
            "pass one weight per row, or sample_weight=None."
        )
    return n


def check_shapes(network: torch.nn.Module, X: Any, Y: Any, loss: Loss) -> None:
    """``X``'s and ``Y``'s widths against the network's ``input_shape`` and ``out_features``, where it states them.

    Networks that do not state them (the applications' own modules) are
    trusted: their inputs are made by code, not typed in by a user. A network whose
    ``any_length`` is true (a sequence network that reads sequences of any length) states
    the steps of its first fit in ``input_shape``: ``X``'s steps axis (``X.shape[1]``) is free.
    """
    shape = getattr(network, "input_shape", None)
    if shape is not None and getattr(network, "any_length", False) and X.ndim >= 2:
        shape = (int(X.shape[1]), *tuple(shape)[1:])  # the steps are free; the features per step are not
    if shape is not None and tuple(X.shape[1:]) != tuple(shape):
        want = ", ".join(["n", *map(str, shape)])
        raise ValueError(f"X must be ({want}) for this network's in_features={getattr(network, 'in_features', shape)}; got {tuple(X.shape)}.")
    k = getattr(network, "out_features", None)
    if k is not None and (Y.ndim != 2 or int(Y.shape[1]) != loss.y_columns(k)):
        raise ValueError(
            f"Y must be (n, {loss.y_columns(k)}) for this network's {k} output{'s' * (k != 1)} ({_y_form(loss, k)}); got {tuple(Y.shape)}"
            f"{_one_hot_fix(loss, k, Y)}."
        )


def check_finite(network: torch.nn.Module, X: Any, Y: Any, loss: Loss) -> None:
    """No NaN or inf in a table network's ``X``, nor in ``Y`` for a plain loss: one reduction each (a sum).

    Why: ``train`` on rows with a NaN ran, the loss was NaN from the first step, and the ``DivergedWarning`` said to
    lower the learning rate or scale the inputs, which was no fix. The estimators refuse such rows before (scikit-learn's
    check); this is for ``hl.train`` called on tensors. Only a network stating a 1-D ``input_shape`` (table columns, or ids)
    is checked: sequence and speech networks read NaN as the padding past each sequence's end. ``Y`` of a loss with
    masked targets (``target_width``) or of CTC is left as it is. The rows are searched only when a sum is not finite
    (and a sum that overflowed while every value is finite passes).
    """
    shape = getattr(network, "input_shape", None)
    if shape is None or len(tuple(shape)) != 1 or getattr(network, "any_length", False):
        return
    _refuse_non_finite("X", X, "drop or impute those rows (sklearn's SimpleImputer) before training")
    if loss.target_width is None and loss.name != "ctc":
        _refuse_non_finite("Y", Y, "drop those rows, or give them a finite target, before training")


def _refuse_non_finite(name: str, a: Any, fix: str) -> None:
    """One ValueError naming the first row of ``a`` (a float tensor or SciPy sparse matrix) that holds NaN or inf."""
    if sp.issparse(a):
        if not np.issubdtype(a.dtype, np.floating) or np.isfinite(a.sum()):  # the dense branch's shortcut: no copy for the usual case
            return
        coo = a.tocoo()
        rows = coo.row[~np.isfinite(coo.data)] if np.issubdtype(coo.data.dtype, np.floating) else coo.row[:0]
        first = int(rows.min()) if rows.size else None
    elif isinstance(a, Tensor) and a.is_floating_point() and not a.is_sparse and a.numel():
        if bool(torch.isfinite(a.sum())):
            return
        bad = (~torch.isfinite(a)).reshape(a.shape[0], -1).any(dim=1).nonzero()
        first = int(bad[0, 0]) if len(bad) else None
    else:
        return
    if first is not None:
        raise ValueError(
            f"{name} holds NaN or infinite values (first in row {first}, counted from 0): {fix}; "
            "the loss would be NaN from the first step."
        )


def _one_hot_fix(loss: Loss, k: int, Y: Any) -> str:
    """The conversion to add when ``Y`` is one class index per row for a softmax loss, as PyTorch's ``cross_entropy`` takes it.

    Why: a PyTorch user passes ``y`` of class indices (``F.cross_entropy(logits, y)``), and "must be (n, 3) ... one-hot"
    alone left them to find the one line that makes it.
    """
    if loss.out_activation != "softmax" or loss.target_width is not None or Y.ndim != 1:
        return ""
    return f": for class indices 0..{k - 1}, pass Y = torch.nn.functional.one_hot(Y.long(), {k}).float()"


def _y_form(loss: Loss, k: int) -> str:
    """How ``Y`` is written for ``loss``: what the shape message adds."""
    if loss.name == "ctc":
        return "output frames, label length and label ids per row for ctc"
    if loss.target_width is not None:
        return f"labels, soft targets and a labelled-row mask for {loss.name}"
    if loss.out_activation == "softmax":
        return f"one-hot for {loss.name}"
    if loss.out_activation == "logistic":
        return f"0/1 per output for {loss.name}"
    return f"one column per output for {loss.name}" + ("; reshape a 1-D Y with Y.reshape(-1, 1)" if k == 1 else "")


def check_weights(sample_weight: Tensor, allow_zero: bool = False) -> float:
    """The sum of ``sample_weight``: finite, none negative, not all zero unless ``allow_zero`` (one host read of its min and sum)."""
    low, total = (float(v) for v in torch.stack([sample_weight.min(), sample_weight.sum()]).tolist())
    if not (math.isfinite(low) and math.isfinite(total)):
        raise ValueError("sample_weight holds NaN or infinite values: give every row a finite weight >= 0.")
    if low < 0:
        raise ValueError(f"sample_weight must be >= 0. Received: a weight of {low:g}; drop the row or give it weight 0.")
    if total <= 0 and not allow_zero:
        raise ValueError("sample_weight is all zeros: at least one row needs a weight > 0.")
    return total


def check_numbers(*, batch_size: Any, learning_rate_init: Any, alpha: Any, max_epochs: Any, clip_grad_norm: Any) -> None:
    """:func:`~._loop.train`'s plain numbers, each in its range."""
    whole("batch_size", batch_size, 1, "rows per step; capped at the rows of X")
    real("learning_rate_init", learning_rate_init, low=0, low_open=True, meaning="the step size")
    real("alpha", alpha, low=0, meaning="the L2 strength; 0 for none")
    whole("max_epochs", max_epochs, 1, "the most epochs this call trains")
    if clip_grad_norm is not None:
        real("clip_grad_norm", clip_grad_norm, low=0, low_open=True, meaning="the largest gradient norm; None for no clipping")


def check_rules(stopping: Any, no_improvement: Any, validate: Any) -> list[NoImprovement]:
    """The no-improvement rules of this call, the ``no_improvement=`` one first, after checking every rule's type.

    Rules that watch a validation figure need ``validate=``: without it the
    figure is NaN every epoch and the rule would never fire.
    """
    leaves: list[StoppingRule] = []
    if stopping is not None:
        check_rule("stopping", stopping)
        leaves = stopping.leaves()
    if no_improvement is not None and not isinstance(no_improvement, NoImprovement):
        raise TypeError(f"no_improvement must be an hl.NoImprovement or None. Received: {no_improvement!r}; put other rules in stopping=.")
    monitors = [no_improvement] if no_improvement is not None else []
    monitors += [r for r in leaves if isinstance(r, NoImprovement) and all(r is not m for m in monitors)]
    if validate is None:
        for r in [*monitors, *leaves]:
            if isinstance(r, (NoImprovement, LossBelow)) and r.monitor != "train_loss":
                raise ValueError(f"{type(r).__name__}(monitor={r.monitor!r}) needs validate=: pass a function returning (val_loss, val_score), or monitor='train_loss'.")
    return monitors


__all__: list[str] = []
