"""train()'s weight averaging: the EMA and SWA equal averages written out by hand, on both engines; validation scores them."""

from __future__ import annotations

from typing import Any

import pytest
import torch
import torch.nn.functional as F

import hiddenlayers as hl
from hiddenlayers.training import Callback, WeightAveraging, train


def _data(n: int = 60) -> tuple[torch.Tensor, torch.Tensor]:
    X = torch.randn(n, 4)
    return X, F.one_hot((X[:, 0] + X[:, 1] > 0).long(), 2).float()


def _net(spec: str = "8") -> hl.Network:
    torch.manual_seed(3)
    return hl.Network(4, spec, 2)


def _flat(net: torch.nn.Module) -> torch.Tensor:
    return torch.cat([p.detach().flatten() for p in net.parameters()]).clone()


class _Record(Callback):
    """The raw weights after every step and at the end of every epoch (what the callbacks see)."""

    def __init__(self) -> None:
        self.steps: list[torch.Tensor] = []
        self.epochs: list[torch.Tensor] = []

    def on_batch_end(self, *, network: Any, **kwargs: Any) -> None:
        self.steps.append(_flat(network))

    def on_epoch_end(self, *, network: Any, **kwargs: Any) -> None:
        self.epochs.append(_flat(network))


@pytest.mark.parametrize("engine", ["dense", "autograd"])
def test_ema_is_the_exponential_average_of_the_steps(engine: str) -> None:
    X, Y = _data()
    rec = _Record()
    net = _net()
    train(net, X, Y, loss="log_loss", solver="sgd", learning_rate_init=0.2, batch_size=16, max_epochs=3, engine=engine,
          callbacks=[rec], averaging=WeightAveraging("ema", decay=0.7))
    assert len(rec.steps) == 12  # 4 batches x 3 epochs
    ema = rec.steps[0]
    for w in rec.steps[1:]:
        ema = 0.7 * ema + 0.3 * w
    torch.testing.assert_close(_flat(net), ema, rtol=1e-5, atol=1e-6)
    assert not torch.allclose(_flat(net), rec.steps[-1])  # not the raw weights


@pytest.mark.parametrize("engine", ["dense", "autograd"])
def test_swa_is_the_mean_of_the_epochs_from_its_start(engine: str) -> None:
    X, Y = _data()
    rec = _Record()
    net = _net()
    train(net, X, Y, loss="log_loss", solver="adam", learning_rate_init=0.05, batch_size=16, max_epochs=6, engine=engine,
          callbacks=[rec], averaging=WeightAveraging("swa", start_epoch=3))
    torch.testing.assert_close(_flat(net), torch.stack(rec.epochs[2:]).mean(0), rtol=1e-5, atol=1e-6)


def test_validation_scores_the_averaged_weights_and_the_raw_trajectory_is_unchanged() -> None:
    X, Y = _data()
    seen: list[torch.Tensor] = []
    net = _net()

    def validate() -> tuple[float, float]:
        seen.append(_flat(net))
        return float("nan"), 0.0

    rec = _Record()
    plain_net = _net()
    plain = train(plain_net, X, Y, loss="log_loss", solver="sgd", learning_rate_init=0.1, batch_size=20, max_epochs=4, shuffle=False)
    res = train(net, X, Y, loss="log_loss", solver="sgd", learning_rate_init=0.1, batch_size=20, max_epochs=4, shuffle=False,
                validate=validate, callbacks=[rec], averaging=WeightAveraging("swa", start_epoch=2))
    assert res.history.train_loss == plain.history.train_loss  # the steps run on the raw weights, as without averaging
    torch.testing.assert_close(rec.epochs[-1], _flat(plain_net))
    torch.testing.assert_close(seen[0], rec.epochs[0])  # epoch 1: nothing averaged yet, the raw weights
    for k in (1, 2, 3):  # from epoch 2 on: the mean of epochs 2..k+1
        torch.testing.assert_close(seen[k], torch.stack(rec.epochs[1 : k + 1]).mean(0))


def test_batch_norm_statistics_are_recomputed_for_the_averaged_weights() -> None:
    X, Y = _data(64)
    net = _net("8:norm=batch")
    train(net, X, Y, loss="log_loss", solver="adam", learning_rate_init=0.05, batch_size=16, max_epochs=3,
          averaging=WeightAveraging("ema", decay=0.5))
    bn = next(m for m in net.modules() if isinstance(m, torch.nn.BatchNorm1d))
    with torch.no_grad():  # the statistics of the pre-norm activations under the weights the network holds
        pre = net.linears()[0](X)
    torch.testing.assert_close(bn.running_mean, pre.mean(0), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"kind": "polyak"}, "weight averaging must be one of 'ema', 'swa'. Received: 'polyak'."),
    ({"kind": "ema", "decay": 1.0}, "ema_decay must be a number in (0, 1), e.g. 0.999. Received: ema_decay=1.0."),
    ({"kind": "swa", "start_epoch": 0}, "the SWA start epoch must be an integer >= 1. Received: 0."),
])
def test_bad_settings_are_refused(kwargs: dict[str, Any], message: str) -> None:
    kind = kwargs.pop("kind")
    with pytest.raises(ValueError) as err:
        WeightAveraging(kind, **kwargs)
    assert str(err.value) == message
