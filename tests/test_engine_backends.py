"""The hand-written engine gives the same loss and gradients on both backends
(NumPy views on the CPU, PyTorch tensors elsewhere) as autograd."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from hiddenlayers._engine import AutogradStep, DenseEngine
from hiddenlayers.layers import ACTIVATIONS
from hiddenlayers.losses import LOSSES, get_loss
from hiddenlayers.network import Network
from hiddenlayers.optim import FlatParams


def _targets(loss: str, n: int, k: int, rng: np.random.Generator) -> np.ndarray:
    if loss == "log_loss":
        return np.eye(k)[rng.integers(0, k, n)]
    if loss == "binary_log_loss":
        return rng.integers(0, 2, (n, k)).astype(float)
    if loss == "poisson":
        return rng.poisson(2.0, (n, k)).astype(float)
    return rng.standard_normal((n, k))


@pytest.mark.parametrize("loss", sorted(LOSSES))
@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
@pytest.mark.parametrize("backend", ["numpy", "torch"])
@pytest.mark.parametrize("weighted", [False, True])
def test_engine_equals_autograd(loss: str, activation: str, backend: str, weighted: bool) -> None:
    rng = np.random.default_rng(0)
    torch.manual_seed(0)
    n, d, k = 7, 4, 3
    net = Network(d, (5, 4), k, activation=activation).double()
    X = torch.from_numpy(rng.standard_normal((n, d)))
    Y = torch.from_numpy(_targets(loss, n, k, rng))
    W = torch.from_numpy(rng.uniform(0.5, 2.0, n)) if weighted else None
    flat = FlatParams(net)
    auto = AutogradStep(net, get_loss(loss), flat, alpha=0.1)
    want_loss = float(auto.step(X, Y, W))
    want_grad = flat.grad.clone()
    eng = DenseEngine(net, get_loss(loss), flat, alpha=0.1, backend=backend)
    cv = eng.convert
    flat.grad.fill_(123.0)  # the engine must overwrite, not accumulate
    got_loss = float(eng.step(cv(X), cv(Y), cv(W) if W is not None else None))
    assert got_loss == pytest.approx(want_loss, rel=1e-10)
    torch.testing.assert_close(flat.grad, want_grad, rtol=1e-9, atol=1e-11)


def test_engine_refuses_norm_and_dropout() -> None:
    net = Network(3, "4:norm=batch", 2)
    with pytest.raises(ValueError, match="needs dense layers without norm or dropout"):
        DenseEngine(net, get_loss("squared_error"), FlatParams(net), 0.0)


@pytest.mark.parametrize("loss", sorted(LOSSES))
@pytest.mark.parametrize("weighted", [False, True])
def test_two_workers_give_the_same_step(loss: str, weighted: bool) -> None:
    """Splitting a batch over two threads changes only the summation order."""
    rng = np.random.default_rng(1)
    torch.manual_seed(1)
    n, d, k = 9, 5, 3  # odd: the halves differ in size
    net = Network(d, "6:tanh,4", k).double()
    X = rng.standard_normal((n, d))
    Y = _targets(loss, n, k, rng)
    W = rng.uniform(0.5, 2.0, n) if weighted else None
    flat = FlatParams(net)
    one = DenseEngine(net, get_loss(loss), flat, alpha=0.1)
    l1 = one.step(X, Y, W)
    g1 = flat.grad.numpy().copy()
    two = DenseEngine(net, get_loss(loss), flat, alpha=0.1, workers=2)
    try:
        l2 = two.step(X, Y, W)
        g2 = flat.grad.numpy().copy()
        assert l2 == pytest.approx(l1, rel=1e-12)
        np.testing.assert_allclose(g2, g1, rtol=1e-10, atol=1e-12)
        two.step(X[:1], Y[:1], None if W is None else W[:1])  # one row: no split, still right
        l_one_row = one.step(X[:1], Y[:1], None if W is None else W[:1])
        assert two.step(X[:1], Y[:1], None if W is None else W[:1]) == pytest.approx(l_one_row)
    finally:
        two.close()
    with pytest.raises(ValueError, match=r"^workers must be 1 or 2\. Received: workers=3\.$"):
        DenseEngine(net, get_loss(loss), flat, alpha=0.1, workers=3)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_fit_uses_two_workers_for_big_dense_steps(monkeypatch: pytest.MonkeyPatch) -> None:
    """A big enough dense fit takes the split path and learns the same as on one worker."""
    import hiddenlayers as hl
    from hiddenlayers import _engine, training

    made: list[int] = []
    real = _engine.DenseEngine.__init__

    def spy(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        real(self, *args, **kwargs)
        made.append(self.workers)

    monkeypatch.setattr(_engine.DenseEngine, "__init__", spy)
    monkeypatch.setattr(training, "_cpu_threads", lambda: 2)
    rng = np.random.default_rng(0)
    X = rng.standard_normal((512, 40)).astype(np.float32)
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    kw = dict(hidden_layer_sizes=(256, 128), batch_size=256, max_iter=3, random_state=0, tol=0.0, n_iter_no_change=99)
    monkeypatch.setattr(training, "SPLIT_MIN_MACS", 1)
    two = hl.MLPClassifier(**kw).fit(X, y)
    monkeypatch.setattr(training, "SPLIT_MIN_MACS", 1 << 60)
    one = hl.MLPClassifier(**kw).fit(X, y)
    assert made == [2, 1]
    np.testing.assert_allclose(two.loss_curve_, one.loss_curve_, rtol=1e-4)
