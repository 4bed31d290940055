"""Checks of the target: fatal problems (no target, one class, fewer rows than
classes), class imbalance and classes too rare for a validation split, and
likely label errors found by confident learning on out-of-fold probabilities.

Label errors (Northcutt et al., "Confident Learning", 2021): each row gets
class probabilities from a model that did not see it (K-fold). The threshold
of class j is the mean probability of j over rows labelled j; the confident
joint counts rows labelled i whose most probable class above its threshold is
j. Calibrated to the class counts, its off-diagonal entry (i, j) estimates how
many rows labelled i really are j; those many rows labelled i with the widest
margin p(j) - p(i) are flagged ("prune by noise rate"), when the model's best
guess is not their label. Rows are ranked by how little probability their own
label gets.

The estimates are fractional. Rounding each (i, j) on its own would drop every
pair under one half, however many such pairs there are (rare classes lose all
theirs), so the counts are apportioned by largest remainder (Hamilton's method)
at two levels: the estimated total of errors is rounded once and shared among
the given classes, then each class's share among its pairs. Every count is the
floor or the ceiling of its estimate, and the totals are kept, as cleanlab's
``round_preserving_row_totals`` keeps the row totals of its joint.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .common import Finding, preview


def check_target(y_raw: Any, n_features: int, task: str | None) -> list[Finding]:
    """Fatal problems that make training impossible, and rows without a target."""
    import pandas as pd

    out: list[Finding] = []
    n = len(y_raw)
    if n_features == 0:
        out.append(Finding("no_features", "fatal", "the table has no feature columns besides the target",
                           "give at least one feature column"))
    if n == 0:
        out.append(Finding("no_rows", "fatal", "the table has no rows", "give data with at least one row"))
        return out
    miss = pd.isna(pd.Series(y_raw)).to_numpy()
    if miss.all():
        out.append(Finding("missing_target", "fatal", "the target is missing in every row", "fill the target column, or choose another --target"))
        return out
    if miss.any():
        rows = np.flatnonzero(miss)
        out.append(Finding("missing_target", "warning", f"the target is missing in {rows.size} row(s): rows {preview(rows)}",
                           "these rows cannot be learned from and are dropped; fill them if you can", rows=tuple(int(r) for r in rows)))
    if task == "classification":
        labels, counts = np.unique(np.asarray(y_raw)[~miss].astype(str), return_counts=True)
        if labels.size < 2:
            out.append(Finding("single_class", "fatal", f"the target has only one class ('{labels[0]}')",
                               "classification needs at least 2 different labels: check the target column"))
        elif (~miss).sum() <= labels.size:  # each class a single row: nothing to generalise from
            out.append(Finding("too_few_rows", "fatal", f"{int((~miss).sum())} labelled row(s) for {labels.size} classes, one row per class",
                               "give several rows per class (better: dozens)"))
    return out


def spelled_alike(labels: Any) -> list[list[str]]:
    """Groups of two or more of ``labels`` (distinct class names) that differ only in surrounding spaces or letter case.

    ``'yes'``, ``'yes '`` and ``'Yes'`` are one answer typed three ways (a spreadsheet cell with a trailing space),
    but a classifier learns them as three classes and splits their rows between them. Each group is sorted.
    """
    groups: dict[str, list[str]] = {}
    for label in labels:
        groups.setdefault(str(label).strip().casefold(), []).append(str(label))
    return [sorted(g) for g in groups.values() if len(g) > 1]


def _spelling_finding(labels: Any) -> list[Finding]:
    """The ``label_spelling`` warning when some classes are one label spelled differently (see :func:`spelled_alike`)."""
    groups = spelled_alike(labels)
    if not groups:
        return []
    shown = preview([" / ".join(repr(v) for v in g) for g in groups], n=3)
    return [Finding("label_spelling", "warning",
                    f"{len(groups)} label(s) are spelled more than one way (surrounding spaces or letter case), each spelling learned "
                    f"as a class of its own: {shown}",
                    "make each label one spelling before training, e.g. df[target] = df[target].str.strip() (and .str.lower() "
                    "if case does not matter)", details={"groups": groups})]


def check_classes(y: np.ndarray, validation_fraction: float = 0.1) -> list[Finding]:
    """Class imbalance (smallest class under a tenth of the largest), classes too rare for a validation split, and one label spelled two ways."""
    labels, counts = np.unique(y.astype(str), return_counts=True)
    if labels.size < 2:
        return []
    out = _spelling_finding(labels)
    ratio = counts.min() / counts.max()
    if ratio < 0.1:
        out.append(Finding("class_imbalance", "warning",
                           f"classes are imbalanced: '{labels[counts.argmin()]}' has {counts.min()} rows, '{labels[counts.argmax()]}' {counts.max()} (ratio 1:{counts.max() / counts.min():.0f})",
                           "judge the model by balanced accuracy or F1, and consider class weights or resampling",
                           details={"counts": dict(zip(labels.tolist(), counts.tolist()))}))
    need = int(np.ceil(2 / validation_fraction))
    rare = [(str(lab), int(c)) for lab, c in zip(labels, counts) if c < need]
    if rare:
        shown = preview([f"'{lab}' ({c})" for lab, c in rare])
        out.append(Finding("rare_classes", "warning",
                           f"{len(rare)} class(es) have fewer than {need} rows, too few to appear in a {validation_fraction:.0%} validation split: {shown}",
                           "collect more rows of these classes, or merge them with a related class",
                           details={"classes": {str(k): v for k, v in rare}}))
    return out


def out_of_fold_proba(A: np.ndarray, codes: np.ndarray, make_model: Callable[[], Any], folds: int = 5,
                      max_train: int = 10000, seed: int = 0) -> np.ndarray:
    """Class probabilities of each row from a model fit on the other folds; shape (rows, classes).

    Each fold's model trains on at most ``max_train`` rows of the other folds
    (so the cost stays bounded on large tables) and predicts its whole fold.
    """
    from sklearn.model_selection import StratifiedKFold

    k = int(codes.max()) + 1
    P = np.zeros((len(codes), k), dtype=np.float64)
    rng = np.random.default_rng(seed)
    n_splits = int(min(folds, np.bincount(codes).min()))
    if n_splits < 2:
        raise ValueError("every class needs at least 2 rows for out-of-fold probabilities")
    for tr, te in StratifiedKFold(n_splits, shuffle=True, random_state=seed).split(A, codes):
        if tr.size > max_train:
            tr = rng.choice(tr, max_train, replace=False)
        model = make_model()
        model.fit(A[tr], codes[tr])
        seen = np.asarray(model.classes_, dtype=np.int64)
        P[np.ix_(te, seen)] = model.predict_proba(A[te])
    return P


def apportion(values: np.ndarray, total: int) -> np.ndarray:
    """Whole numbers, each the floor or the ceiling of its value, that add up to ``total``.

    Largest remainder (Hamilton's method): every value gets its floor, and the
    rows still missing go to the largest fractional parts (ties: the first).
    ``total`` must lie between the sums of the floors and of the ceilings.
    """
    values = np.asarray(values, dtype=np.float64)
    floors = np.floor(values)
    short = int(total - floors.sum())
    if short < 0 or short > int(np.count_nonzero(values > floors)):  # past the sum of the ceilings
        raise ValueError(f"total={total} cannot be reached by rounding values that add up to {values.sum():.3f}")
    out = floors.astype(np.int64)
    out[np.argsort(-(values - floors), kind="stable")[:short]] += 1
    return out


def prune_counts(noise: np.ndarray) -> np.ndarray:
    """How many rows to flag per (given i, true j) pair, from the fractional estimates ``noise`` (k, k).

    The total is rounded once and apportioned to the given classes, then each
    class's count to its pairs (see the module docstring); the diagonal must be 0.
    """
    noise = np.clip(np.asarray(noise, dtype=np.float64), 0.0, None)
    per_class = apportion(noise.sum(axis=1), int(np.floor(noise.sum() + 0.5)))
    return np.stack([apportion(row, int(n)) for row, n in zip(noise, per_class)])


def find_label_issues(P: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """Rows whose label is likely wrong (confident learning, see the module docstring), most likely first.

    ``P``: ``(n, k)`` out-of-fold class probabilities; ``codes``: ``(n,)`` given labels as 0..k-1.
    """
    k = P.shape[1]
    thresholds = np.array([P[codes == j, j].mean() if np.any(codes == j) else 1.0 for j in range(k)])
    above = P >= thresholds[None, :]
    confident = np.where(above, P, -1.0).argmax(axis=1)
    has = above.any(axis=1)
    joint = np.zeros((k, k))
    np.add.at(joint, (codes[has], confident[has]), 1.0)
    # calibrate: row i of the confident joint sums to the number of rows labelled i
    counts = np.bincount(codes, minlength=k).astype(float)
    joint *= (counts / np.maximum(joint.sum(axis=1), 1.0))[:, None]
    np.fill_diagonal(joint, 0.0)
    prune = prune_counts(joint)
    flagged: list[np.ndarray] = []
    for i in range(k):
        given = np.flatnonzero(codes == i)
        for j in range(k):
            n_ij = int(prune[i, j])
            if n_ij > 0:  # the n_ij rows labelled i that j beats by the widest margin
                margin = P[given, j] - P[given, i]
                flagged.append(given[np.argsort(-margin, kind="stable")[:n_ij]])
    rows = np.unique(np.concatenate(flagged)) if flagged else np.empty(0, dtype=np.int64)
    rows = rows[P[rows].argmax(axis=1) != codes[rows]]  # and the model's own best guess is another class
    return rows[np.argsort(P[rows, codes[rows]], kind="stable")]


def check_label_errors(A: np.ndarray, y: np.ndarray, make_model: Callable[[], Any], folds: int = 5, seed: int = 0,
                       left_out: tuple[str, ...] = ()) -> list[Finding]:
    """Likely label errors of a classification target, ranked (see the module docstring).

    Only when the out-of-fold model beats always guessing the commonest class
    (by two standard errors): a model that learned nothing disagrees with half
    the labels, which is no evidence against them (an info finding says so,
    naming ``left_out``, the leaky or ID columns the model did not see).
    """
    labels, codes = np.unique(y.astype(str), return_inverse=True)
    if labels.size < 2 or A.shape[1] == 0 or np.bincount(codes).min() < 2 or len(y) < 20:
        return []
    P = out_of_fold_proba(A, codes, make_model, folds=folds, seed=seed)
    inconclusive = _no_better_than_chance(P, codes, left_out)
    if inconclusive:
        return inconclusive
    rows = find_label_issues(P, codes)
    if rows.size == 0:
        return []
    suggested = labels[P[rows].argmax(axis=1)]
    return [Finding("label_issues", "warning",
                    f"{rows.size} row(s) ({rows.size / len(y):.1%}) look mislabelled (out-of-fold probabilities disagree confidently): rows {preview(rows)}",
                    "review these labels, most suspicious first; or drop them (report.clean(X, y, drop=('label_issues',)))",
                    rows=tuple(int(r) for r in rows),
                    details={"suggested": [str(s) for s in suggested[:100]], "given_label_probability": [round(float(P[r, codes[r]]), 4) for r in rows[:100]]})]


def _no_better_than_chance(P: np.ndarray, codes: np.ndarray, left_out: tuple[str, ...]) -> list[Finding]:
    """An info finding when the out-of-fold accuracy is within two standard errors of the commonest class's share."""
    n = len(codes)
    acc = float(np.mean(P.argmax(axis=1) == codes))
    base = float(np.bincount(codes).max() / n)
    if acc > base + 2.0 * np.sqrt(base * (1.0 - base) / n):
        return []
    without = f" without the column(s) {preview(list(left_out))} (leaky or ID-like, left out)" if left_out else ""
    return [Finding("label_issues_inconclusive", "info",
                    f"label errors not judged: the out-of-fold label model{without} predicts no better than always "
                    f"guessing the commonest class (accuracy {acc:.3f} against {base:.3f}), so its disagreements say nothing about the labels",
                    "look at the leaky columns first; where all the signal is in them, check the labels they contradict by hand"
                    if left_out else "the features may not predict the target: check the target column and the features",
                    details={"oof_accuracy": round(acc, 4), "majority_share": round(base, 4)})]
