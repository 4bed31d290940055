"""``hiddenlayers.check``: the data checks with our own fast MLP for label errors.

``hiddenlayers.data.check`` cannot import the MLP (``data/`` is the lowest
stage), so this top-level function, like the CLI above every stage, supplies
it: a one-hidden-layer :class:`~hiddenlayers.MLPClassifier` trained briefly on
each fold.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .data import DataReport
from .data import check as _data_check


def fast_mlp(seed: int = 0) -> Callable[[], Any]:
    """A factory of small, quickly trained MLPClassifiers (64 ReLU units, 40 epochs of Adam, no progress output).

    They minimise the generalized cross entropy with q = 0.2, which memorises
    wrong labels less than cross entropy does (chosen on 7 tables: benchmarks/RESULTS.md).
    """

    def make() -> Any:
        from .estimators import MLPClassifier

        return MLPClassifier(hidden_layer_sizes=(64,), max_iter=40, batch_size=128, learning_rate_init=3e-3,
                             alpha=1e-3, early_stopping=False, random_state=seed, progress_bar=False, loss="gce", gce_q=0.2)

    return make


def check(X: Any, y: Any = None, X_new: Any = None, *, task: str = "auto", fast: bool = False,
          label_model: Callable[[], Any] | None = None, source: Any = None, seed: int = 0, sample_weight: Any = None) -> DataReport:
    """Check a table before training (see :func:`hiddenlayers.data.check`); label errors come from our fast MLP, trained on the noise-robust generalized cross entropy.

    Parameters
    ----------
    X, y, X_new, task, fast, source, sample_weight
        As :func:`hiddenlayers.data.check` takes them: the features ``(rows, columns)`` (never modified), the target
        (or its column's name; None skips the target checks), new data for the overlap and drift checks, what ``y``
        is (``"auto"``, ``"classification"``, ``"regression"``), only the fast checks, the CSV/TSV file ``X`` was read
        from, and one weight per row (or its column's name), as ``hiddenlayers check --sample-weight COL`` takes it.
    label_model : callable returning a classifier, optional
        Model for the out-of-fold probabilities of the label-error check; None: a small MLPClassifier (64 ReLU units,
        40 epochs of Adam) minimising the generalized cross entropy with q = 0.2.
    seed : int
        Seed of the folds, forests, samples and the label model.

    Examples
    --------
    >>> import hiddenlayers as hl
    >>> from sklearn.datasets import load_iris
    >>> X, y = load_iris(return_X_y=True)
    >>> report = hl.check(X[::2], y[::2], X_new=X[1::2])
    >>> report.fatal
    []
    >>> X2, y2 = report.clean(X[::2], y[::2], drop=("duplicates",))
    >>> len(X2) <= 75
    True
    """
    import warnings

    model = label_model if label_model is not None else fast_mlp(seed)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*(converge|Maximum iterations|batch_size).*")
        return _data_check(X, y, X_new, task=task, fast=fast, label_model=model, source=source, seed=seed, sample_weight=sample_weight)
