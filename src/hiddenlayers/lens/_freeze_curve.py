"""``freeze_curve(model, X_target, y_target)``: Yosinski et al.'s (2014) transfer experiment as one call.

For k = 0..depth, a copy of ``model`` (its parameters, its hidden layers via
``init_from``) is fine-tuned on part of the target rows with the first k
hidden layers frozen, and scored on the rest; over ``n_splits`` random splits
(each its own seed). ``best_k`` is the k with the best mean score; a model
trained from scratch on the same splits is the baseline row.
"""

from __future__ import annotations

import difflib
import numbers
import warnings
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from .._docsections import parameters_section


@dataclass
class FreezeCurve:
    """Mean and spread of the target score for each number of frozen layers ``k``.

    Attributes
    ----------
    ks : list of int
        The numbers of frozen layers tried, 0 to depth.
    layers : list of str
        The hidden layers, input side first (``k`` freezes the first ``k``).
    mean : list of float
        Mean held-out score over the splits, per ``k``.
    std : list of float
        Its standard deviation over the splits, per ``k``.
    scores : list of list of float
        ``scores[k][split]``: every held-out score.
    scratch_mean : float
        Mean held-out score of the same network trained from scratch on the same splits: the baseline row.
    scratch_std : float
        Its standard deviation over the splits.
    metric : {"accuracy", "r2"}
        What the scores are.
    """

    ks: list[int]
    layers: list[str]
    mean: list[float]
    std: list[float]
    scores: list[list[float]]  # scores[k][split]
    scratch_mean: float
    scratch_std: float
    metric: str

    @property
    def best_k(self) -> int:
        """The number of first hidden layers to freeze for the best mean target score."""
        return int(self.ks[int(np.argmax(self.mean))])

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able dict (``best_k`` included)."""
        return {**asdict(self), "best_k": self.best_k}

    def table(self) -> Any:
        """A Rich table: k, the frozen layers, mean ± std of the score; the best k marked."""
        from .._rich_plain import PlainTable

        t = PlainTable(title=f"freeze curve: target {self.metric} by frozen layers (best k = {self.best_k})", title_justify="left")
        for col in ("k", "frozen", self.metric, "± std"):
            t.add_column(col, justify="left" if col == "frozen" else "right")
        for k, m, s in zip(self.ks, self.mean, self.std):
            frozen = ", ".join(self.layers[:k]) or "none"
            mark = " *" if k == self.best_k else ""
            t.add_row(str(k), frozen, f"{m:.4f}{mark}", f"{s:.4f}")
        t.add_section()
        t.add_row("-", "from scratch", f"{self.scratch_mean:.4f}", f"{self.scratch_std:.4f}")
        return t

    def html_section(self) -> tuple[str, str, str, str]:
        """``(id, title, lead, body)`` for a lens report page."""
        from . import _html as H

        rows = [[k, ", ".join(self.layers[:k]) or "none", f"{m:.4f}", f"{s:.4f}"] for k, m, s in zip(self.ks, self.mean, self.std)]
        rows.append(["-", "from scratch", f"{self.scratch_mean:.4f}", f"{self.scratch_std:.4f}"])
        classes = [["ok" if r[0] == self.best_k else ""] * 4 for r in rows]
        lead = f"Target {self.metric} after fine-tuning with the first k hidden layers frozen; best k = {self.best_k}."
        return "freeze-curve", "Freeze curve", lead, H.table_html(["k", "frozen", self.metric, "± std"], rows, classes)


_SET_BY_CURVE = ("init_from", "freeze", "random_state")


def _check_params(model: Any, params: dict[str, Any]) -> None:
    """Refuse ``params`` the curve sets itself (silently overridden otherwise) and names the estimator does not take."""
    if not isinstance(params, dict):
        raise TypeError(f"params must be a dict of {type(model).__name__} parameters, e.g. {{'max_iter': 100}}. Received: {params!r}.")
    taken = [k for k in params if k in _SET_BY_CURVE]
    if taken:
        raise ValueError(
            f"params sets {', '.join(taken)}, which freeze_curve sets for each run (init_from=model, freeze=k, "
            "random_state=random_state + split): drop them from params (pass freeze_curve(..., random_state=...) for the seed)."
        )
    valid = list(model.get_params(deep=False))
    unknown = [k for k in params if k not in valid]
    if unknown:
        near = [c for k in unknown for c in difflib.get_close_matches(str(k), valid, n=1)]
        hint = f" Did you mean {', '.join(repr(c) for c in near)}?" if near else ""
        raise ValueError(f"params names {', '.join(repr(k) for k in unknown)}, not a parameter of {type(model).__name__}.{hint}")


def _last_step(model: Any, X: Any) -> tuple[Any, Any]:
    """``(pipe[-1], pipe[:-1].transform(X))`` for a Pipeline ending in one of ours (the step fine-tuned, on the rows it reads); else ``(model, X)``."""
    from .._pipe import require_fitted_head, split_pipeline, through_head

    parts = split_pipeline(model)
    if parts is None:
        return model, X
    head, last = parts
    require_fitted_head(head, last, "freeze_curve")
    return last, through_head(head, X)


_FREEZE_CURVE_PARAMETERS = """
Parameters
----------
model : MLPClassifier, MLPRegressor or Pipeline
    A fitted :class:`~hiddenlayers.MLPClassifier` or :class:`~hiddenlayers.MLPRegressor`, or a Pipeline ending in
    one (its last step, fine-tuned on ``pipe[:-1].transform(X_target)``); its parameters are reused, but not early
    stopping.
X_target : array-like of shape (n, features)
    Rows with the source's columns.
y_target : array-like of shape (n,)
    One label or value per row.
n_splits : int
    Random splits of the target rows.
test_size : float
    The held-out share of each split, in (0, 1).
params : dict, optional
    Overrides some of the model's parameters, e.g. ``{"max_iter": 100}``, but not ``init_from``, ``freeze`` or
    ``random_state``, which the curve sets for each run.
random_state : int
    Seed of the splits; run ``s`` fits with ``random_state + s``.
"""


@parameters_section(_FREEZE_CURVE_PARAMETERS)
def freeze_curve(
    model: Any,
    X_target: Any,
    y_target: Any,
    *,
    n_splits: int = 3,
    test_size: float = 0.3,
    params: dict[str, Any] | None = None,
    random_state: int = 0,
) -> FreezeCurve:
    """Target score of fine-tuning ``model`` with its first k hidden layers frozen, k = 0..depth.

    Each of ``n_splits`` random splits of the target rows (stratified for classes) holds out ``test_size`` of them for
    scoring (accuracy or R²).

    Examples
    --------
    >>> import hiddenlayers as hl
    >>> from sklearn.datasets import load_digits
    >>> X, y = load_digits(return_X_y=True)
    >>> src = hl.MLPClassifier(hidden_layer_sizes=(32, 16), max_iter=30, random_state=0).fit(X[:900] / 16, y[:900])
    >>> curve = freeze_curve(src, X[900:1100] / 16, y[900:1100], n_splits=2, params={"max_iter": 20})
    >>> curve.best_k in range(3)
    True
    """
    from sklearn.base import is_classifier
    from sklearn.model_selection import ShuffleSplit, StratifiedShuffleSplit

    from ..training import reraise_interrupt
    from ._target import require_finite

    model, X_target = _last_step(model, X_target)
    if not hasattr(model, "network_") or not hasattr(model, "set_params") or "freeze" not in model.get_params():
        raise TypeError(f"freeze_curve takes a fitted MLPClassifier or MLPRegressor. Received: {type(model).__name__}.")
    if isinstance(n_splits, bool) or not isinstance(n_splits, int) or n_splits < 1:
        raise ValueError(f"n_splits must be an integer >= 1. Received: n_splits={n_splits!r}.")
    if isinstance(test_size, bool) or not isinstance(test_size, numbers.Real) or not 0.0 < test_size < 1.0:
        raise ValueError(f"test_size must be a number in (0, 1), the share of target rows held out for scoring. Received: test_size={test_size!r}.")
    _check_params(model, params or {})
    if not hasattr(X_target, "shape"):
        X_target = np.asarray(X_target)  # a list of rows, as scikit-learn takes
    require_finite(X_target, "X_target")
    width = getattr(model, "n_features_in_", None)
    if width is not None and (X_target.ndim != 2 or X_target.shape[1] != width):
        raise ValueError(
            f"X_target has shape {tuple(X_target.shape)} but the model was fitted on {width} columns: "
            "pass the target rows with the source's columns, in the same order."
        )
    y = np.asarray(y_target)
    if y.shape[0] != X_target.shape[0]:
        raise ValueError(f"X_target has {X_target.shape[0]} rows but y_target has {y.shape[0]}: pass one label per row.")
    clf = is_classifier(model)
    splitter_cls = StratifiedShuffleSplit if clf and np.unique(y, return_counts=True)[1].min() >= 2 else ShuffleSplit
    splits = _splits(splitter_cls(n_splits=n_splits, test_size=test_size, random_state=random_state), y, test_size)
    base = {k: v for k, v in model.get_params(deep=False).items() if k not in ("init_from", "freeze", "verbose", "warm_start", "domain_adaptation")}
    base["early_stopping"] = False  # few target rows: a validation split of them stops at noise (params may turn it on)
    base.update(params or {})
    names = list(model.network_.hidden_names)
    take = (lambda X, i: X.iloc[i]) if hasattr(X_target, "iloc") else (lambda X, i: X[i])

    def run(init_from: Any, freeze: Any) -> list[float]:
        out = []
        for seed, (tr, te) in enumerate(splits):
            est = type(model)(**{**base, "random_state": random_state + seed, "init_from": init_from, "freeze": freeze})
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # a short fine-tune rarely "converges": not the point here
                reraise_interrupt(est.fit(take(X_target, tr), y[tr]))  # Ctrl-C stops the curve: a cut fine-tune is no point of it
            out.append(float(est.score(take(X_target, te), y[te])))
        return out

    scores = [run(model, k) for k in range(len(names) + 1)]
    scratch = run(None, None)
    return FreezeCurve(
        ks=list(range(len(names) + 1)), layers=names,
        mean=[float(np.mean(s)) for s in scores], std=[float(np.std(s)) for s in scores], scores=scores,
        scratch_mean=float(np.mean(scratch)), scratch_std=float(np.std(scratch)), metric="accuracy" if clf else "r2",
    )


def _splits(splitter: Any, y: np.ndarray, test_size: float) -> list[tuple[np.ndarray, np.ndarray]]:
    """``splitter``'s (train, test) row positions over ``y``; too few rows for both sides is one line of ours.

    Why: one target row (or a ``test_size`` that leaves none to fine-tune on) raised scikit-learn's "With n_samples=1,
    test_size=0.3 and train_size=None, the resulting train set will be empty. Adjust any of the aforementioned parameters."
    """
    try:
        return list(splitter.split(np.zeros(len(y)), y))
    except ValueError as e:
        if "n_samples" not in str(e):
            raise  # the stratified splitter's own words on the labels, as scikit-learn gives them
        raise ValueError(
            f"X_target has {len(y)} row(s), too few to hold out test_size={test_size} of them for scoring and fine-tune on "
            "the rest: pass more target rows (at least 2), or a test_size that leaves rows on both sides."
        ) from None


__all__ = ["FreezeCurve", "freeze_curve"]
