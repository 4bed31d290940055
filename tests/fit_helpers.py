"""What many test modules share: a fit that hides the ConvergenceWarning of a deliberately short run, digits with wrong labels,
linnerud's three targets standardised,
a callback that presses Ctrl-C at an epoch's end (the backup and resume tests), one that dies at a batch, and fits that return as one Ctrl-C stopped."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
from sklearn.exceptions import ConvergenceWarning

import hiddenlayers as hl


def quiet_fit(est: Any, X: Any, y: Any, **kw: Any) -> Any:
    """``est.fit(X, y, **kw)`` without the ConvergenceWarning a few epochs raise on purpose."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return est.fit(X, y, **kw)


def linnerud_scaled() -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's linnerud, standardised: ``X`` ``(20, 3)`` and a regression target of 3 columns ``(20, 3)``."""
    from sklearn.datasets import load_linnerud

    X, Y = load_linnerud(return_X_y=True)
    return (X - X.mean(0)) / X.std(0), (Y - Y.mean(0)) / Y.std(0)


def noisy_digits(rate: float = 0.4, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Digits scaled to [0, 1], split 70/30 (stratified): ``(X_train, X_test, noisy y_train, clean y_test)``,
    with ``rate`` of the training labels moved to another class at random."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    X, y = load_digits(return_X_y=True)
    Xtr, Xte, ytr, yte = train_test_split(X / 16, y, test_size=0.3, random_state=0, stratify=y)
    rng = np.random.default_rng(seed)
    idx = rng.choice(len(ytr), int(rate * len(ytr)), replace=False)
    noisy = ytr.copy()
    noisy[idx] = (noisy[idx] + rng.integers(1, 10, idx.size)) % 10
    return Xtr, Xte, noisy, yte


LABEL_KINDS = {
    "binary": lambda X, rng: (X[:, 0] > 0).astype(int),
    "multiclass": lambda X, rng: rng.integers(0, 4, len(X)),
    "multilabel": lambda X, rng: (rng.random((len(X), 3)) > 0.5).astype(int),
    "one-class": lambda X, rng: np.zeros(len(X), int),
    "strings": lambda X, rng: np.where(X[:, 1] > 0, "yes", "no"),
    "strings-3": lambda X, rng: np.array(["cat", "dog", "eel"])[rng.integers(0, 3, len(X))],
    "float32": lambda X, rng: rng.integers(0, 3, len(X)),
}


def labelled_classifier(kind: str) -> tuple[Any, np.ndarray]:
    """A small MLPClassifier fitted (5 epochs) on 300 x 5 random rows with labels of ``kind`` (a key of
    LABEL_KINDS; "float32" also makes X float32): ``(estimator, X)``."""
    import hiddenlayers as hl

    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 5))
    y = LABEL_KINDS[kind](X, rng)
    if kind == "float32":
        X = X.astype(np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return hl.MLPClassifier((8,), max_iter=5, random_state=0).fit(X, y), X


def model_state(model: Any) -> dict[str, Any]:
    """Every attribute of ``model`` (its ``__dict__``), deep-copied for :func:`assert_same_state`; a network by its
    ``state_dict`` and train mode (in a list or tuple too), a History by ``to_dict``, a RandomState by its state, the ``callbacks`` by identity."""
    import copy

    import torch

    from hiddenlayers.training import History

    def snap(v: Any) -> Any:
        if isinstance(v, torch.nn.Module):
            return ("module", {k: t.detach().clone() for k, t in v.state_dict().items()}, v.training)
        if isinstance(v, History):
            return ("history", copy.deepcopy(v.to_dict()))
        if isinstance(v, np.random.RandomState):
            return ("random_state", v.get_state())
        if isinstance(v, (list, tuple)) and any(isinstance(x, torch.nn.Module) for x in v):  # predict's cached submodules
            return type(v)(snap(x) for x in v)
        return copy.deepcopy(v)

    return {k: (v if k == "callbacks" else snap(v)) for k, v in vars(model).items()}


def assert_same_state(got: dict[str, Any], want: dict[str, Any]) -> None:
    """``got == want`` for two :func:`model_state` results: the same attributes, equal values (NaN equal to NaN)."""
    import torch

    assert sorted(got) == sorted(want), (sorted(set(got) ^ set(want)))

    def same(a: Any, b: Any) -> bool:
        if isinstance(a, torch.Tensor) or isinstance(b, torch.Tensor):
            if not (isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor)) or a.shape != b.shape or a.dtype != b.dtype:
                return False
            return bool(torch.equal(a, b)) or (a.is_floating_point() and bool(((a == b) | (a.isnan() & b.isnan())).all()))
        if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
            return np.array_equal(np.asarray(a), np.asarray(b), equal_nan=np.asarray(a).dtype.kind == "f")
        if isinstance(a, dict) and isinstance(b, dict):
            return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
        if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
            return type(a) is type(b) and len(a) == len(b) and all(same(x, z) for x, z in zip(a, b))
        if isinstance(a, float) and isinstance(b, float) and a != a and b != b:
            return True
        if hasattr(a, "__dict__") and type(a) is type(b) and not callable(a):
            return same(vars(a), vars(b))
        return bool(a == b) or a is b

    for k in want:
        assert same(got[k], want[k]), f"{k}: {got[k]!r} != {want[k]!r}"


class FakeClock:
    """The fit loop's clock, moved only by the test: ``max_time`` tests that hold under any machine load.

    ``install(monkeypatch)`` makes ``training._loop`` read ``now``; a callback
    calls ``advance(seconds)`` where the real test would sleep.
    """

    def __init__(self) -> None:
        self.now = 0.0

    def perf_counter(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds

    def install(self, monkeypatch: Any) -> FakeClock:
        from hiddenlayers.training import _loop

        monkeypatch.setattr(_loop, "time", self)
        return self


class BreakAt(hl.Callback):
    """Ctrl-C (KeyboardInterrupt) at the end of epoch ``at``, before that epoch's backup is written."""

    def __init__(self, at: int) -> None:
        self.at = at

    def on_epoch_end(self, **kwargs: Any) -> None:
        if kwargs["logs"]["epoch"] == self.at:
            raise KeyboardInterrupt


class CrashAtBatch(hl.Callback):
    """The process dies (``RuntimeError("the process died")``) at the ``at``-th batch this callback sees, over every chunk's
    ``partial_fit`` of a streamed fit (None: never), after the last epoch's checkpoint (the streamed resume tests)."""

    def __init__(self, at: int | None) -> None:
        self.at, self.seen = at, 0

    def on_batch_end(self, **kwargs: Any) -> None:
        self.seen += 1
        if self.at is not None and self.seen == self.at:
            raise RuntimeError("the process died")


def fits_interrupted(monkeypatch: Any, cls: type = hl.MLPClassifier) -> None:
    """From now on every ``cls.fit`` returns as a fit that caught Ctrl-C does: its weights, ``stop_reason_ == "interrupted"``
    (for the jobs made of fits, which must stop rather than go on: prune's refits)."""
    real = cls.fit

    def fit(self: Any, *args: Any, **kwargs: Any) -> Any:
        real(self, *args, **kwargs)
        self.stop_reason_ = "interrupted"
        return self

    monkeypatch.setattr(cls, "fit", fit)
