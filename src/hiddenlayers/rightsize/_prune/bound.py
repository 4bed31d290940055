"""An honest estimate of the score a prune loses: cross-fitted, paired, with an interval.

The rows :func:`~hiddenlayers.rightsize.prune` receives are the model's own
training rows, so the model has memorised them: comparing pruned and unpruned
predictions there hides what pruning costs on new data (on digits a cut that
changes none of those rows loses a point on unseen ones). So the model is
refitted ``cv`` times, each time on all folds but one (same parameters, so the
same recipe); each refit is pruned the same way and both are compared on the
left-out fold, which neither saw. Every row is left out once, so all rows count.

The comparison is paired, row by row (``d_i`` = the row's score before minus
after; the score drop is ``mean(d)``): most rows agree, so the interval is much
tighter than for two independent scores. For accuracy ``d_i`` is -1, 0 or 1 and
the interval is Tango's score interval for paired proportions (it stays honest
when no or few rows change, where a plain t interval collapses to zero width,
and its upper end, the one ``max_drop`` is judged by, keeps its nominal error
rate when a cut only loses rows, where Agresti and Min's adjusted Wald interval
missed the true drop up to 12% of the time for a nominal 5%); for R² it is a
Student t interval of ``d_i = (e_after² - e_before²) / var(y)``.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import optimize, stats

from ...training import reraise_interrupt


@dataclass(frozen=True)
class DropEstimate:
    """Score drop ``drop`` (before - after) with its two-sided ``confidence`` interval ``[low, high]``."""

    drop: float
    low: float
    high: float
    score_before: float
    score_after: float
    rows: int
    changed_rows: int


def row_loss(y: np.ndarray, pred: np.ndarray, classifier: bool, var: np.ndarray | None = None) -> np.ndarray:
    """Per-row loss (shape ``(n,)``) whose mean is ``1 - score``.

    Classifier: 1 where the row is wrong (a multilabel row is right when every
    label is), so ``1 - mean`` is accuracy. Regressor: each output's squared
    error over ``var`` (the target's variance per output, pooled over all rows),
    averaged over outputs, so ``1 - mean`` is scikit-learn's R² (uniform average).
    The paired drop of a row is its loss after minus before.
    """
    if classifier:
        eq = np.asarray(pred) == np.asarray(y)
        return (~eq.reshape(len(y), -1).all(axis=1)).astype(float)
    y2 = np.asarray(y, dtype=float).reshape(len(y), -1)
    if var is None:
        var = y2.var(axis=0)
    var = np.where(var > 0, var, 1.0)  # a constant target: R² is undefined; squared errors still compare
    return (((y2 - np.asarray(pred, dtype=float).reshape(y2.shape)) ** 2) / var).mean(axis=1)


def tango_statistic(delta: float, lost: int, gained: int, n: int) -> float:
    """Tango's score statistic for a paired accuracy drop of ``delta``: about N(0, 1) when the true drop is ``delta``.

    ``lost``/``gained``: rows right before and wrong after / the reverse, of
    ``n``. The variance is taken at the restricted maximum-likelihood share of
    gained rows ``q`` given the drop ``delta`` (Tango 1998, Stat Med 17:891).
    """
    num = lost - gained - n * delta
    if num == 0:
        return 0.0
    b = -lost - gained + (2 * n - lost + gained) * delta
    c = -gained * delta * (1 - delta)
    q = (math.sqrt(max(0.0, b * b - 8 * n * c)) - b) / (4 * n)  # the root in [0, 1] of 2n q² + b q + c = 0
    var = n * (2 * q + delta * (1 - delta))
    return num / math.sqrt(var) if var > 0 else math.copysign(math.inf, num)


def _tango_interval(lost: int, gained: int, n: int, confidence: float) -> tuple[float, float]:
    """``(low, high)``: the drops whose Tango statistic is within ``±z`` (the statistic falls as the drop rises)."""
    z = float(stats.norm.ppf(0.5 + confidence / 2))
    est, edge = (lost - gained) / n, 1.0 - 1e-12

    def high_f(delta: float) -> float:
        return tango_statistic(delta, lost, gained, n) + z

    def low_f(delta: float) -> float:
        return tango_statistic(delta, lost, gained, n) - z

    high = 1.0 if high_f(edge) >= 0 else float(optimize.brentq(high_f, est, edge, xtol=1e-12))
    low = -1.0 if low_f(-edge) <= 0 else float(optimize.brentq(low_f, -edge, est, xtol=1e-12))
    return low, high


def drop_interval(d: np.ndarray, confidence: float, classifier: bool) -> tuple[float, float, float]:
    """``(estimate, low, high)`` of ``mean(d)``: a two-sided ``confidence`` interval.

    Classifier: Tango's score interval of a paired difference of proportions
    (:func:`tango_statistic`), within [-1, 1]; with no row changed its upper
    end is ``z² / (n + z²)``. Regressor: Student t with ``n - 1`` degrees of
    freedom (infinite below 2 rows).
    """
    n = int(d.size)
    est = float(d.mean()) if n else math.nan
    if classifier:
        if n == 0:
            return est, -1.0, 1.0
        low, high = _tango_interval(int(np.sum(d > 0)), int(np.sum(d < 0)), n, confidence)
        return est, low, high
    if n < 2:
        return est, -math.inf, math.inf
    t = float(stats.t.ppf(0.5 + confidence / 2, n - 1))
    half = t * float(d.std(ddof=1)) / math.sqrt(n)
    return est, float(est - half), float(est + half)


def resolution(rows: int, confidence: float, classifier: bool) -> float:
    """The smallest accuracy drop ``rows`` paired rows can show: the interval's high end when no row changes.

    A cut that changes no row, or loses as many rows as it gains, confirms no
    ``max_drop`` below it; only a cut that raises the score (gains more rows than
    it loses) can: its upper end lies below this, below 0 when it gains enough.
    NaN for a regressor (R² differences are continuous: no such floor).
    """
    if not classifier:
        return math.nan
    return drop_interval(np.zeros(rows), confidence, True)[2]


def fold_models(model: Any, X: np.ndarray, y: np.ndarray, cv: int, random_state: int | None) -> list[tuple[Any, np.ndarray, np.ndarray]]:
    """``cv`` refits of ``model``'s parameters: ``[(fitted clone, train rows, left-out rows)]``.

    Folds are stratified when every class has at least ``cv`` rows. The clones
    are quiet (``verbose=False``, no callbacks): they are an estimate, not the result.
    """
    from sklearn.base import clone
    from sklearn.model_selection import KFold, StratifiedKFold

    classifier = hasattr(model, "classes_")
    stratify = classifier and y.ndim == 1 and np.unique(y, return_counts=True)[1].min() >= cv
    splitter = (StratifiedKFold if stratify else KFold)(n_splits=cv, shuffle=True, random_state=random_state)
    out = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a refit that stops at max_iter warns; the original was fitted the same way
        for train, test in splitter.split(X, y if stratify else None):
            m = clone(model)
            params = m.get_params()
            m.set_params(**{k: v for k, v in (("verbose", False), ("callbacks", None)) if k in params})
            out.append((reraise_interrupt(m.fit(X[train], y[train])), train, test))  # Ctrl-C stops prune, not this refit alone
    return out


def cross_fitted_drop(folds: list[tuple[Any, np.ndarray, np.ndarray]], cut: Callable[[int], Any], X: np.ndarray,
                      y: np.ndarray, confidence: float, classifier: bool) -> DropEstimate:
    """Paired drop of ``cut(k)`` (fold ``k``'s pruned model) against fold ``k``'s model on its left-out rows, pooled.

    ``score_before`` / ``score_after`` are the pooled left-out scores (accuracy or R²).
    """
    var = None if classifier else np.asarray(y, dtype=float).reshape(len(y), -1).var(axis=0)
    before, after = np.empty(len(y)), np.empty(len(y))
    for k, (m, _, test) in enumerate(folds):
        before[test] = row_loss(y[test], m.predict(X[test]), classifier, var)
        after[test] = row_loss(y[test], cut(k).predict(X[test]), classifier, var)
    d = after - before
    est, low, high = drop_interval(d, confidence, classifier)
    return DropEstimate(est, low, high, 1.0 - float(before.mean()), 1.0 - float(after.mean()), int(d.size),
                        int(np.count_nonzero(d)))


def search_ratio(evaluate: Callable[[float], DropEstimate], max_drop: float, max_ratio: float,
                 steps: int, removes: Callable[[float], bool] | None = None) -> tuple[float, DropEstimate | None, list[dict[str, Any]]]:
    """Binary search for the largest share of units removed whose ``evaluate(ratio).high <= max_drop``.

    Tries ``max_ratio`` first (often it is enough), then halves the interval
    ``steps - 1`` times. Returns ``(ratio, its estimate, tried)``; ``(0.0, None, tried)``
    when no share passed. Each candidate is judged at the interval's confidence.
    ``removes(ratio)``: False where that share rounds to no unit removed; the search stops there (no smaller share
    removes one either), as such a "cut" is only a fine-tuning and was kept as a prune of 0% that changed the weights.
    """
    best_ratio, best = 0.0, None
    tried: list[dict[str, Any]] = []
    lo, hi = 0.0, max_ratio
    for step in range(steps):
        ratio = hi if step == 0 else (lo + hi) / 2
        if removes is not None and not removes(ratio):
            break
        e = evaluate(ratio)
        ok = e.high <= max_drop
        tried.append({"ratio": round(ratio, 4), "drop": e.drop, "drop_low": e.low, "drop_high": e.high,
                      "score": e.score_after, "changed_rows": e.changed_rows, "accepted": ok})
        if ok:
            best_ratio, best, lo = ratio, e, ratio
            if step == 0:
                break
        else:
            hi = ratio
    return best_ratio, best, tried
