"""Linear probes: how well each hidden layer's representation predicts the labels.

A probe is a linear model fitted on one layer's activations (train split) and
scored on held-out rows. Classification: accuracy of a standardised
``LogisticRegression`` (chance = accuracy on the held-out rows of always
answering the training split's most frequent class). With fewer training
rows than features (a convolution's outputs on a few hundred images), the
logistic regression is solved in the span of the standardised training rows
(:func:`_row_space`): the same L2-penalised problem and optimum, with one
coordinate per row instead of one per feature, so L-BFGS runs on a few
hundred numbers, not tens of thousands.
Regression: R² of ``RidgeCV`` (chance = 0). The input itself is probed too
(``"input"``, depth 0), so the curve shows what each layer adds.

The probes are fitted on one BLAS and OpenMP thread (the caller's limits are
restored after): at the sizes a probe has (at most the report's 5,000 rows,
one layer's units) L-BFGS makes many small matrix-vector products, whose
thread hand-offs cost more than the arithmetic they share. On the 2-core
development machine, 5,000 rows x 128 units took 1.0 CPU s on two threads
and 0.07 on one; 5,000 x 2,048 took 8.6 and 1.1, with the same scores.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass
class ProbeResult:
    """Held-out probe scores by depth; ``layers[0]`` is ``"input"`` when included.

    Attributes
    ----------
    layers : list of str
        The probed layers, input side first.
    train_score : list of float
        Each probe's score on its training rows.
    test_score : list of float
        Each probe's score on the held-out rows.
    chance : float
        The score of always answering the training rows' majority class (regression: 0).
    metric : {"accuracy", "r2"}
        What the scores are.
    """

    layers: list[str]
    train_score: list[float]
    test_score: list[float]
    chance: float
    metric: str  # "accuracy" or "r2"

    def best(self) -> str:
        """The layer whose probe scored highest on the held-out rows (``test_score``)."""
        return self.layers[int(np.argmax(self.test_score))]

    def __repr__(self) -> str:
        body = ", ".join(f"{n}={s:.3f}" for n, s in zip(self.layers, self.test_score))
        return f"ProbeResult({self.metric}: {body}; chance={self.chance:.3f})"


def _is_classification(y: np.ndarray) -> bool:
    from sklearn.utils.multiclass import type_of_target

    return type_of_target(y) in ("binary", "multiclass")


def _is_float(X: Any) -> bool:
    """Whether rows are real-valued features (worth probing as ``input``), not integer ids."""
    dtype = getattr(X, "dtype", None)
    return dtype is None or getattr(dtype, "is_floating_point", False) or getattr(dtype, "kind", "f") == "f"


def model_task(model: Any) -> str | None:
    """``"classification"``/``"regression"`` for scikit-learn-style estimators, ``None`` when unknown."""
    if hasattr(model, "classes_"):
        return "classification"
    from sklearn.base import BaseEstimator, is_regressor

    if isinstance(model, BaseEstimator):  # is_regressor reads scikit-learn tags, which other objects lack
        return "regression" if is_regressor(model) else None
    return None


def probe_task(model: Any, y: np.ndarray, task: str | None = None) -> str | None:
    """The probe's task: ``task`` when given, else the model's own, else ``"regression"`` for real-valued ``y`` with many values.

    Why the last rule: a plain ``nn.Module`` says nothing, and scikit-learn's
    ``type_of_target`` reads whole-number floats (diabetes' 25.0 ... 346.0) as
    classes, so a regression target would be probed as 200+ classes by accuracy.
    More than 20 distinct float values is read as a quantity; ``None`` leaves
    the rest to ``type_of_target``. The report uses the same rule.
    """
    if task not in (None, "classification", "regression"):
        raise ValueError(f"task must be 'classification', 'regression' or None (the model's own, else inferred from y). Received: task={task!r}.")
    if task is not None:
        return task
    own = model_task(model)
    if own is None and y.dtype.kind == "f" and np.unique(y).size > 20:
        return "regression"
    return own


def _can_stratify(y: np.ndarray, test_size: float) -> bool:
    """Whether a stratified split exists: every class twice, and each side with room for one row per class.

    Otherwise scikit-learn raises (e.g. "test_size = 6 should be greater or equal to the number of classes = 10");
    the probe then splits at random, as scikit-learn would without ``stratify``.
    """
    counts = np.unique(y, return_counts=True)[1]
    n_test = int(np.ceil(test_size * y.shape[0]))
    return bool(counts.min() >= 2) and min(n_test, y.shape[0] - n_test) >= counts.size


def refuse_missing_labels(y: np.ndarray, name: str = "y") -> None:
    """One line naming the first row of ``y`` that is NaN, None or infinite, before any probe (scikit-learn's
    "Input y contains NaN." named neither the argument's row nor the fix)."""
    if y.dtype.kind in "fc":
        bad = ~np.isfinite(y)
    elif y.dtype.kind == "O":
        import pandas as pd

        bad = np.asarray(pd.isna(y), dtype=bool) | np.array([isinstance(v, float) and not np.isfinite(v) for v in y.ravel()]).reshape(y.shape)
    else:
        return
    if bad.any():
        first = int(np.flatnonzero(bad.reshape(bad.shape[0], -1).any(1))[0])
        raise ValueError(
            f"{name} holds {int(bad.sum())} missing or infinite label(s) (first in row {first}): "
            "drop those rows (from X too) or fill them in."
        )


#: The most training rows for which :func:`_row_space` solves in the rows' span: its n x n Gram matrix and
#: eigendecomposition cost ~n^2 d, which beyond a few thousand rows outgrows L-BFGS on the features themselves.
ROW_SPACE_MAX_ROWS = 2000


def _row_space(A_train: np.ndarray, A_test: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(A_train, A_test)`` in coordinates of the training rows' span when ``A_train`` (n, d) has fewer rows than columns.

    Why it is the same probe: an L2-penalised linear model's loss sees the weights ``w`` only through
    ``A_train @ w``, and any part of ``w`` outside the rows' span adds to the penalty alone, so the optimum lies
    in the span (the representer theorem). With ``A_train = U S V^T``, ``w = V a`` gives ``A_train @ w = (U S) a``
    and ``|w| = |a|``: fitting on ``U S`` (n, r) is the same problem with r <= n unknowns per class, and a test
    row scores ``A_test @ V a``, with ``V = A_train^T U S^-1``. U and S come from the n x n Gram matrix's
    eigendecomposition (cheaper than an SVD when d >> n); directions with a singular value below 1e-5 of the
    largest (rounding noise in the Gram matrix) are left out. Otherwise (n >= d, or n > :data:`ROW_SPACE_MAX_ROWS`)
    both come back as they are.
    """
    n, d = A_train.shape
    if n >= d or n > ROW_SPACE_MAX_ROWS:
        return A_train, A_test
    eigval, eigvec = np.linalg.eigh(A_train @ A_train.T)
    keep = eigval > max(float(eigval[-1]), 0.0) * 1e-10
    if not keep.any():  # every feature constant on the training rows: one all-zero coordinate, as the features give
        return np.zeros((n, 1)), np.zeros((A_test.shape[0], 1))
    U, s = eigvec[:, keep], np.sqrt(eigval[keep])
    return U * s, (A_test @ (A_train.T @ U)) / s


def probe_features(
    features: dict[str, np.ndarray], y: Any, *, test_size: float = 0.3, random_state: int = 0, max_iter: int = 500,
    task: str | None = None,
) -> ProbeResult:
    """Fit and score one linear probe per ``(n, d)`` feature matrix in ``features``.

    ``task``: ``"classification"`` or ``"regression"``; ``None`` infers it from
    ``y`` (whole-number targets then count as classes, so pass it for a regressor).
    """
    from sklearn.linear_model import LogisticRegression, RidgeCV
    from sklearn.model_selection import train_test_split
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from threadpoolctl import threadpool_limits

    y = np.asarray(y)
    if y.ndim != 1:
        raise ValueError(f"y must be 1-D labels or targets, one per row. Received shape {y.shape}.")
    if not 0.0 < test_size < 1.0:
        raise ValueError(f"test_size must be in (0, 1). Received: test_size={test_size!r}.")
    refuse_missing_labels(y)
    n = y.shape[0]
    if n < 2:
        raise ValueError(f"a probe needs at least 2 rows, one to fit on and one held out to score it. Received {n}; pass more rows.")
    for name, f in features.items():
        if f.shape[0] != n:
            raise ValueError(f"{name} has {f.shape[0]} rows but y has {n}: pass one label per row of X.")
    if task not in (None, "classification", "regression"):
        raise ValueError(f"task must be 'classification', 'regression' or None. Received: task={task!r}.")
    clf = _is_classification(y) if task is None else task == "classification"
    idx = np.arange(n)
    strat = y if clf and _can_stratify(y, test_size) else None
    tr, te = train_test_split(idx, test_size=test_size, random_state=random_state, stratify=strat)
    if clf and np.unique(y[tr]).size < 2:
        raise ValueError("the probe's training split holds a single class: pass more rows or more than one class.")
    train_s, test_s = [], []
    with threadpool_limits(limits=1):  # one BLAS/OpenMP thread (module docstring), restored after
        for f in features.values():
            f2 = f.reshape(n, -1).astype(np.float64)
            if clf:
                scaler = StandardScaler().fit(f2[tr])
                A_tr, A_te = _row_space(scaler.transform(f2[tr]), scaler.transform(f2[te]))
                logistic = LogisticRegression(max_iter=max_iter).fit(A_tr, y[tr])
                train_s.append(float(logistic.score(A_tr, y[tr])))
                test_s.append(float(logistic.score(A_te, y[te])))
                continue
            est = make_pipeline(StandardScaler(), RidgeCV(alphas=np.logspace(-3, 3, 7)))
            est.fit(f2[tr], y[tr])
            train_s.append(float(est.score(f2[tr], y[tr])))
            test_s.append(float(est.score(f2[te], y[te])))
    if clf:  # the training split's most frequent class, scored on the held-out rows (the test labels choose nothing)
        classes, counts = np.unique(y[tr], return_counts=True)
        chance = float(np.mean(y[te] == classes[np.argmax(counts)]))
    else:
        chance = 0.0
    return ProbeResult(list(features), train_s, test_s, chance, "accuracy" if clf else "r2")


def probe(
    model: Any, X: Any, y: Any, *, layers: Any = None, include_input: bool = True, test_size: float = 0.3,
    random_state: int = 0, max_rows: int | None = 20000, task: str | None = None,
) -> ProbeResult:
    """Held-out linear-probe score of every hidden layer of ``model`` on ``(X, y)``.

    Parameters
    ----------
    model : estimator, Network or torch.nn.Module
        The model whose layers are probed (what :func:`record` takes).
    X : array-like of shape (n, ...)
        The rows.
    y : array-like of shape (n,)
        What the probes predict.
    layers : selector, optional
        Which layers, as :func:`record` takes them.
    include_input : bool
        Probe ``X`` itself too (``"input"``, depth 0).
    test_size : float
        The held-out share of the rows, in (0, 1).
    random_state : int
        Seed of the split and of the row sample.
    max_rows : int, optional
        At most this many rows, drawn at random (seeded by ``random_state``), not the first ones (sorted data would
        hide classes); None uses every row.
    task : {None, "classification", "regression"}
        ``"classification"`` (accuracy) or ``"regression"`` (R²); None: the estimator's own, and for a plain module
        real-valued ``y`` with more than 20 distinct values is a regression target (:func:`probe_task`), other ``y`` is
        read by scikit-learn.

    Examples
    --------
    >>> import hiddenlayers as hl
    >>> from sklearn.datasets import load_iris
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = hl.MLPClassifier((16,), max_iter=200, random_state=0).fit(X, y)
    >>> scores = probe(clf, X, y).test_score   # accuracy by depth: input, hidden1, hidden2, ...
    >>> len(scores), all(0.8 < s <= 1 for s in scores)
    (2, True)
    """
    from ._record import as_target, record_prepared
    from ._target import check_max_rows, n_rows, sample_index, take_rows

    cap = check_max_rows(max_rows, 4, " (the probe needs rows to train and to test on)")
    y = np.asarray(y)
    task = probe_task(model, y, task)
    target = as_target(model)
    Xp = target.prepared(X)
    if n_rows(Xp) != y.shape[0]:
        raise ValueError(f"X has {Xp.shape[0]} rows but y has {y.shape[0]}: pass one label per row.")
    refuse_missing_labels(y)  # rows named in y as given, before a sample is drawn
    idx = sample_index(int(Xp.shape[0]), cap, random_state)
    if idx is not None:
        Xp, y = take_rows(Xp, idx), y[idx]
    rec = record_prepared(target, Xp, layers)
    feats: dict[str, np.ndarray] = {}
    if include_input and _is_float(Xp) and bool(np.isfinite(np.asarray(Xp.toarray() if hasattr(Xp, "toarray") else Xp, dtype=float)).all()):
        arr = Xp.toarray() if hasattr(Xp, "toarray") else np.asarray(Xp.detach().cpu() if hasattr(Xp, "detach") else Xp)
        feats["input"] = arr.reshape(arr.shape[0], -1)
    feats.update({n: rec.features(n) for n in rec})
    return probe_features(feats, y, test_size=test_size, random_state=random_state, task=task)


__all__ = ["ProbeResult", "model_task", "probe", "probe_features", "probe_task", "refuse_missing_labels"]
