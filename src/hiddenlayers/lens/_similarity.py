"""Linear CKA (centered kernel alignment) between representations.

Both estimators are computed in feature space, ``O(n·d²)`` instead of the
``O(n²)`` Gram matrices:

- **biased** (Kornblith et al. 2019): ``‖YcᵀXc‖²_F / (‖XcᵀXc‖_F ‖YcᵀYc‖_F)``
  on column-centred ``Xc, Yc``. Exactly 1 for a representation with itself;
  invariant to orthogonal transforms and isotropic scaling; biased upwards for
  few rows and many features (two random matrices score > 0).
- **unbiased**: the same ratio built from the unbiased HSIC estimator of Song
  et al. (2012), which is near 0 for independent representations even when
  features outnumber rows. Needs at least 4 rows.

Rows must correspond: row ``i`` of ``X`` and ``Y`` is the same example.

At least :data:`MIN_ROWS` (4) rows, for both estimators. Centring leaves ``n`` rows ``n - 1`` directions:
on 2 rows both representations are one line through the origin, ``Xc = [u, -u]``, and biased CKA is exactly 1
for any data; on 3 rows it is near 1 for unrelated data too (random 3 x 8 matrices score 0.8 on average, 4 x 8 ones 0.7, 30 x 8 ones 0.2). Neither
Kornblith et al.'s code nor torch-cka checks the row count (the unbiased estimator divides by ``n - 3``
and fails below 4 there); a similarity of 1 that says nothing is worse than no number, so the lens refuses
below 4, the unbiased estimator's own floor, which keeps one rule for both. Biased CKA stays biased upwards on
few rows for many features: the unbiased estimator is the one to read there.

A representation that does not vary over the rows (a layer whose units are all dead or
constant) has no similarity structure: CKA is 0/0 there, NaN (Kornblith et al.'s own code
and torch-cka divide by zero too), not 0, which read as "nothing in common", also for the
layer against itself, where CKA is 1 by definition.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from torch import Tensor

if TYPE_CHECKING:
    from ._record import Recording


MIN_ROWS = 4
"""Fewest rows :func:`cka` takes: on 2 rows biased CKA is 1 whatever the data, on 3 nearly (see the module doc)."""


def _mat(a: Any, name: str) -> Tensor:
    t = a.detach() if isinstance(a, Tensor) else torch.as_tensor(np.asarray(a))
    if t.ndim < 2:
        raise ValueError(f"{name} must have shape (n_rows, n_features). Received shape {tuple(t.shape)}.")
    t = t.reshape(t.shape[0], -1).to(torch.float64)
    if not torch.isfinite(t).all():
        raise ValueError(f"{name} holds NaN or infinite values: clean the data or check the model for divergence.")
    return t


def _centred(t: Tensor) -> Tensor | None:
    """Column-centred ``t`` scaled to max |value| 1; None when every column is constant.

    Why: the unbiased estimator is algebraically centring-invariant but, fed raw
    activations with a large mean, cancels catastrophically (an offset of 1e4 on
    a spread of 1e-3 read as CKA 0); scaling keeps ``‖YᵀX‖²`` from over- or
    underflowing (values near 1e±90). A column whose centred values are within
    rounding of zero (relative to its own magnitude) is constant: its rounding
    noise must not read as structure.
    """
    c = t - t.mean(0)
    spread = c.abs().amax(0)  # (d,)
    size = t.abs().amax(0)
    varies = spread > 1e-12 * size
    if not bool(varies.any()):
        return None
    c = c[:, varies]
    return c / c.abs().max()


def _hsic_biased(X: Tensor, Y: Tensor) -> Tensor:
    return (Y.T @ X).square().sum()


def _hsic_unbiased(X: Tensor, Y: Tensor) -> Tensor:
    # Song et al. (2012), written with K = XXᵀ, L = YYᵀ and zeroed diagonals, in feature space.
    n = X.shape[0]
    k = X.square().sum(1)  # diag(K), (n,)
    l_ = Y.square().sum(1)  # diag(L), (n,)
    tr_kl = (Y.T @ X).square().sum() - (k * l_).sum()
    k1 = X @ X.sum(0) - k  # K̃·1, (n,)
    l1 = Y @ Y.sum(0) - l_  # L̃·1, (n,)
    sum_k, sum_l = k1.sum(), l1.sum()
    return (tr_kl + sum_k * sum_l / ((n - 1) * (n - 2)) - 2.0 / (n - 2) * (k1 @ l1)) / (n * (n - 3))


def cka(X: Any, Y: Any, *, unbiased: bool = False) -> float:
    """Linear CKA between ``X`` and ``Y``, a number in [0, 1] (unbiased: may dip below 0).

    Computed in float64 on column-centred data. NaN where it is undefined: either representation constant over the rows
    (every unit dead or stuck: 0/0), or, unbiased, a self-HSIC estimate at or below 0 (too few rows for the estimator).

    Parameters
    ----------
    X : array-like of shape (n, d1)
        One representation of the rows.
    Y : array-like of shape (n, d2)
        Another representation of the same rows.
    unbiased : bool
        Use the unbiased HSIC estimator (less biased on few rows).

    Examples
    --------
    >>> import numpy as np
    >>> h1 = np.random.default_rng(0).normal(size=(50, 4))
    >>> round(cka(h1, h1), 6)
    1.0
    """
    from ._target import refuse_model

    refuse_model(X, "X", "cka")
    refuse_model(Y, "Y", "cka")
    Xt, Yt = _mat(X, "X"), _mat(Y, "Y")
    if Xt.shape[0] != Yt.shape[0]:
        raise ValueError(
            f"X and Y must have the same rows (the same examples in the same order). Received {Xt.shape[0]} and {Yt.shape[0]} rows."
        )
    n = Xt.shape[0]
    if unbiased and n < MIN_ROWS:
        raise ValueError(f"the unbiased CKA estimator needs at least {MIN_ROWS} rows. Received {n}: pass more rows.")
    if n < MIN_ROWS:
        raise ValueError(f"CKA needs at least {MIN_ROWS} rows: on {n} it is 1 or nearly 1 whatever the data (centred, {n} rows span "
                         f"{max(n - 1, 0)} direction{'' if n == 2 else 's'}). Received {n}: pass more rows.")
    Xc, Yc = _centred(Xt), _centred(Yt)
    if Xc is None or Yc is None:
        return float("nan")  # a constant representation: 0/0, no similarity structure to compare
    hsic = _hsic_unbiased if unbiased else _hsic_biased
    xy, xx, yy = hsic(Xc, Yc), hsic(Xc, Xc), hsic(Yc, Yc)
    denom = torch.sqrt(torch.clamp(xx, min=0.0) * torch.clamp(yy, min=0.0))
    if float(denom) <= 0.0:
        return float("nan")  # unbiased, few rows: a self-HSIC estimate at or below 0
    return float(xy / denom)


@dataclass
class CKAResult:
    """A CKA matrix: ``matrix[i, j]`` = CKA(``rows[i]``, ``cols[j]``); NaN where a layer is constant (see :func:`cka`).

    Attributes
    ----------
    rows : list of str
        The representations down the matrix.
    cols : list of str
        The representations across it.
    matrix : numpy.ndarray of shape (len(rows), len(cols))
        The CKA values, in [0, 1] (unbiased: may dip below 0).
    unbiased : bool
        Whether the unbiased HSIC estimator was used.
    """

    rows: list[str]
    cols: list[str]
    matrix: np.ndarray
    unbiased: bool

    def __repr__(self) -> str:
        return f"CKAResult({len(self.rows)}x{len(self.cols)}, unbiased={self.unbiased})"


def cka_matrix(A: Mapping[str, Any] | Recording, B: Mapping[str, Any] | Recording | None = None, *, unbiased: bool = False) -> CKAResult:
    """CKA between every representation of ``A`` and of ``B``.

    Parameters
    ----------
    A : mapping of str to array, or Recording
        ``{name: (n_rows, features) array}`` (any mapping), the same rows in each, or a
        :class:`~hiddenlayers.lens.Recording` as :func:`~hiddenlayers.lens.record` returns it, read per example as
        :func:`layer_similarity` reads it (``Recording.features``: conv/recurrent layers averaged over space/time); an
        empty one is refused (an empty matrix would read as "nothing to compare").
    B : mapping of str to array, or Recording, optional
        The same forms, on the same rows; None: ``A`` with itself.
    unbiased : bool
        Use the unbiased HSIC estimator.
    """
    same = B is None
    A = _representations(A, "A")
    B = A if B is None else _representations(B, "B")
    ra, rb = list(A), list(B)
    M = np.zeros((len(ra), len(rb)))
    for i, a in enumerate(ra):
        for j, b in enumerate(rb):
            if same and j < i:
                M[i, j] = M[j, i]
            else:
                M[i, j] = cka(A[a], B[b], unbiased=unbiased)
    return CKAResult(ra, rb, M, unbiased)


def _representations(reps: Any, side: str) -> Mapping[str, Any]:
    """``reps`` as ``{name: (n_rows, features)}``: a Recording per example, any other mapping as given; empty or not a mapping: one line."""
    from ._record import Recording

    if isinstance(reps, Recording):
        reps = {n: reps.features(n) for n in reps}
    if not isinstance(reps, Mapping) or not reps:
        raise ValueError(
            f"cka_matrix needs {side} as a non-empty dict {{name: (n_rows, features) array}} or a Recording "
            f"(hl.lens.record(model, X)). Received: {reps!r:.60}."
        )
    return reps


def layer_similarity(
    model: Any,
    X: Any,
    other: Any = None,
    X_other: Any = None,
    *,
    layers: Any = None,
    unbiased: bool = False,
    max_rows: int | None = 5000,
) -> CKAResult:
    """CKA between hidden layers: of one model, of two models, or of one model on two datasets.

    - ``layer_similarity(m, X)``: every layer of ``m`` against every other.
    - ``layer_similarity(m, X, other=m2)``: layers of ``m`` (rows) vs ``m2`` (columns) on ``X``.
    - ``layer_similarity(m, X, X_other=X2)``: layers of ``m`` on ``X`` vs on ``X2``; the diagonal says how much each
      layer's geometry survives the shift.

    Parameters
    ----------
    model : estimator, Network or torch.nn.Module
        The model whose layers are compared (what :func:`record` takes).
    X : array-like of shape (n, ...)
        The rows.
    other : estimator, Network or torch.nn.Module, optional
        A second model, compared on ``X``.
    X_other : array-like of shape (n, ...), optional
        The same examples as ``X`` in another form (e.g. shifted, noised or re-encoded).
    layers : selector, optional
        Which layers, as :func:`record` takes them.
    unbiased : bool
        Use the unbiased HSIC estimator.
    max_rows : int, optional
        Caps the rows used, keeping memory and time bounded: None (every row) or an integer >= :data:`MIN_ROWS` (4: on
        fewer, CKA is 1 or nearly whatever the data); the rows are drawn at random (seed 0, the same rows of ``X`` and
        ``X_other``), not the first ones, so data sorted by label or time is not judged on its first classes.
    """
    from ._record import record
    from ._target import check_max_rows, count_rows, sample_index, take_rows

    max_rows = check_max_rows(max_rows, MIN_ROWS, f" (CKA needs at least {MIN_ROWS} rows: on 2 it is 1 whatever the data, on 3 nearly)")
    idx = sample_index(count_rows(X), max_rows, 0)
    X_use = take_rows(X, idx)
    rec_a = record(model, X_use, layers)
    feats_a = {n: rec_a.features(n) for n in rec_a}
    if other is None and X_other is None:
        return cka_matrix(feats_a, unbiased=unbiased)
    if X_other is not None:
        n_a, n_b = count_rows(X), count_rows(X_other)
        if n_a != n_b:
            raise ValueError(
                f"X_other must hold the same examples as X, row for row (CKA compares paired rows). Received {n_a} and {n_b} rows; "
                "for unrelated datasets compare layer_similarity(model, X) with layer_similarity(model, X_other)."
            )
    X_b = take_rows(X_other, idx) if X_other is not None else X_use
    rec_b = record(other if other is not None else model, X_b, layers)
    feats_b = {n: rec_b.features(n) for n in rec_b}
    return cka_matrix(feats_a, feats_b, unbiased=unbiased)


__all__ = ["CKAResult", "cka", "cka_matrix", "layer_similarity"]
