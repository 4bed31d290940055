"""The draws of a streamed fit's chunks (batch order, dropout masks): each chunk and pass its own, repeatable, resumable."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd
import pytest
import torch

import hiddenlayers as hl
from fit_helpers import CrashAtBatch
from hiddenlayers.data import ParquetSource
from hiddenlayers.estimators import _fit, _fit_stream


class _Draws:
    """Each stochastic fit call's draws, in call order: ``orders[i]`` the row orders it drew (``torch.randperm`` with its
    generator), ``masks[i]`` its first training batch's dropout mask (1: dropped; ``tanh`` before the dropout is 0 only there)
    and ``rows[i]`` its rows."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.orders: list[list[list[int]]] = []
        self.masks: list[list[int]] = []
        self.rows: list[int] = []
        train, randperm = _fit.train, torch.randperm

        def drawn_order(n: int, *args: Any, **kw: Any) -> torch.Tensor:
            perm = randperm(n, *args, **kw)
            if kw.get("generator") is not None and self.orders:
                self.orders[-1].append(perm.tolist())
            return perm

        def recorded(network: torch.nn.Module, X: torch.Tensor, *args: Any, **kw: Any) -> Any:
            self.orders.append([])
            self.rows.append(int(X.shape[0]))
            first: list[list[int]] = []

            def hook(module: torch.nn.Module, _: Any, out: torch.Tensor) -> None:
                if module.training and not first:
                    first.append((out == 0).flatten().int().tolist())

            handles = [m.register_forward_hook(hook) for m in network.modules() if isinstance(m, torch.nn.Dropout)]
            try:
                return train(network, X, *args, **kw)
            finally:
                for h in handles:
                    h.remove()
                self.masks.append(first[0])

        monkeypatch.setattr(_fit, "train", recorded)
        monkeypatch.setattr(torch, "randperm", drawn_order)

    def take(self) -> tuple[list[list[list[int]]], list[list[int]], list[int]]:
        """``(orders, masks, rows)`` recorded so far, the record started afresh."""
        taken = self.orders, self.masks, self.rows
        self.orders, self.masks, self.rows = [], [], []
        return taken


@pytest.fixture
def source(tmp_path, monkeypatch: pytest.MonkeyPatch) -> ParquetSource:
    """400 rows in 4 row groups, read in chunks of 2 batches of 50: 4 chunks (4 ``partial_fit`` calls) a pass."""
    monkeypatch.setattr(_fit_stream, "CHUNK_BATCHES", 2)
    rng = np.random.default_rng(0)
    df = pd.DataFrame(rng.normal(size=(400, 3)), columns=list("abc"))
    df["y"] = (df["a"] > 0).astype(int)
    df.to_parquet(tmp_path / "t.parquet", row_group_size=100)
    return ParquetSource(str(tmp_path), target="y")


def _dropping(**kw: Any) -> hl.MLPClassifier:
    settings = {"batch_size": 50, "random_state": 0, "dtype": "float64", "n_iter_no_change": 100, "early_stopping": False,
                "progress_bar": False}
    return hl.MLPClassifier("16:tanh:dropout=0.5", **{**settings, **kw})


@pytest.mark.parametrize("call", ["fit", "partial_fit"])
def test_each_chunk_and_pass_of_a_streamed_fit_draws_its_own_order_and_dropout(source, monkeypatch, call: str) -> None:
    """Every chunk's ``partial_fit`` made its generator afresh from the int ``random_state``, so every chunk of every pass
    but a new model's first (whose weights came first) took the same row order and dropped the same units; now each of the
    8 chunks of 2 passes (a fit's, or two ``partial_fit(source)`` calls') draws its own (the passes go in their own order)."""
    draws = _Draws(monkeypatch)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # 2 epochs do not converge
        if call == "fit":
            _dropping(max_iter=2).fit(source)
        else:
            _dropping().partial_fit(source).partial_fit(source)
    assert draws.rows == [100] * 8
    orders = [tuple(o[0]) for o in draws.orders]
    assert len(set(orders)) == 8, orders
    assert len({tuple(m) for m in draws.masks}) == 8
    assert all(0.3 < np.mean(m) < 0.7 for m in draws.masks)  # dropout=0.5's masks


def test_a_streamed_fit_repeats_for_its_random_state_and_not_for_another(source, monkeypatch) -> None:
    """Drawn from ``(random_state, epoch, chunk)``, two fits with one ``random_state`` draw alike and end on the same weights."""
    runs = []
    draws = _Draws(monkeypatch)
    for seed in (0, 0, 1):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = _dropping(max_iter=2, random_state=seed).fit(source)
        orders, masks, _ = draws.take()
        runs.append((orders, masks, [w.copy() for w in (*model.coefs_, *model.intercepts_)]))
    (orders, masks, weights), again, other = runs
    assert again[0] == orders and again[1] == masks
    for a, b in zip(weights, again[2]):
        np.testing.assert_array_equal(a, b)
    assert other[0] != orders and other[1] != masks


def test_a_resumed_streamed_fit_draws_what_the_unbroken_one_drew(source, monkeypatch, tmp_path) -> None:
    """$HIDDENLAYERS_CHECKPOINT: a run that dies in pass 2 resumes from pass 1's checkpoint and draws, chunk by chunk, the
    unbroken run's orders and masks of passes 2 and 3 (its set-up chunk of one batch aside), ending on its weights."""
    draws = _Draws(monkeypatch)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        whole = _dropping(max_iter=3, callbacks=[CrashAtBatch(None)]).fit(source)
        orders, masks, _ = draws.take()
        monkeypatch.setenv(_fit_stream.CHECKPOINT_ENV, str(tmp_path / "ckpt.pt"))
        with pytest.raises(RuntimeError, match="the process died"):
            _dropping(max_iter=3, callbacks=[CrashAtBatch(8 + 5)]).fit(source)  # the third chunk of pass 2
        draws.take()
        again = _dropping(max_iter=3, callbacks=[CrashAtBatch(None)]).fit(source)
    resumed_orders, resumed_masks, rows = draws.take()
    assert rows == [50] + [100] * 8  # the set-up chunk, then passes 2 and 3
    assert resumed_orders[1:] == orders[4:] and resumed_masks[1:] == masks[4:]
    np.testing.assert_allclose(again.loss_curve_, whole.loss_curve_, rtol=1e-12)
    for a, b in zip((*whole.coefs_, *whole.intercepts_), (*again.coefs_, *again.intercepts_)):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-12)


def test_partial_fit_calls_on_arrays_repeat_one_order_as_scikit_learns_do() -> None:
    """scikit-learn's ``_fit`` makes ``_random_state`` afresh from an int ``random_state`` on each call, so its
    ``partial_fit`` calls after the first (whose initial weights drew first) shuffle alike; ours keep that rule (a streamed
    fit's chunks draw their own seeds instead: above)."""
    import sklearn.neural_network._multilayer_perceptron as sk_mlp
    from sklearn.neural_network import MLPClassifier as SkMLP

    X = np.random.default_rng(0).normal(size=(60, 3))
    y = (X[:, 0] > 0).astype(int)
    theirs: list[list[int]] = []
    shuffle = sk_mlp.shuffle
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(sk_mlp, "shuffle", lambda idx, random_state=None: theirs.append(list(shuffle(idx, random_state=random_state))) or theirs[-1])
        sk = SkMLP((4,), batch_size=20, random_state=0)
        for _ in range(3):
            sk.partial_fit(X, y, classes=[0, 1])
    ours: list[list[int]] = []
    with pytest.MonkeyPatch.context() as mp:
        randperm = torch.randperm
        mp.setattr(torch, "randperm", lambda n, *a, **kw: ours.append(randperm(n, *a, **kw).tolist()) or torch.tensor(ours[-1]))
        model = hl.MLPClassifier((4,), batch_size=20, random_state=0, progress_bar=False)
        for _ in range(3):
            model.partial_fit(X, y, classes=[0, 1])
    for orders in (theirs, ours):
        assert len(orders) == 3 and orders[0] != orders[1] == orders[2]
