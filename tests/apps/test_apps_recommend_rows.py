"""The Recommender's training step: only the batch's embedding rows move (RowAdam), the MLP by AdamW, frozen tables stay fixed, NumPy and torch arithmetic agree."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from hiddenlayers import Recommender
from hiddenlayers.apps import _recommend_rows
from hiddenlayers.apps._recommend import RecommenderNet, _step
from hiddenlayers.apps._recommend_rows import RowAdam
from hiddenlayers.training import FlatParams, make_optimizer

TABLES = ("user", "item", "user_bias", "item_bias")


def _net() -> RecommenderNet:
    torch.manual_seed(0)
    net = RecommenderNet(6, 5, 4, (8,), "relu", 0.0, 3.0)
    with torch.no_grad():  # biases and head away from zero, so every part has a gradient
        net.user_bias.weight.normal_()
        net.item_bias.weight.normal_()
    return net


def _tables(net: RecommenderNet) -> dict[str, torch.Tensor]:
    return {name: getattr(net, name).weight.detach().clone() for name in TABLES}


def _batch(users: list[int], items: list[int], ratings: list[float]) -> tuple[torch.Tensor, torch.Tensor]:
    return torch.tensor([users, items]).T.contiguous(), torch.tensor(ratings)[:, None]


def test_a_step_moves_the_batchs_rows_and_leaves_every_other_row_bit_identical() -> None:
    # dense Adam (the loop before sparse updates) moved user 1 and item 0 in the second step by their
    # first step's momentum, although the second batch lacks them
    net, est = _net(), Recommender(reg=0.05, learning_rate_init=0.01)
    flat = FlatParams(net.mlp)
    opt, rows = make_optimizer("adamw", flat, weight_decay=est.alpha), RowAdam([net.user, net.item, net.user_bias, net.item_bias])
    start, head = _tables(net), net.mlp.head.weight.detach().clone()
    _step(est, net, flat, opt, rows, *_batch([0, 1, 1], [0, 1, 1], [5.0, 1.0, 2.0]))
    first = _tables(net)
    _step(est, net, flat, opt, rows, *_batch([0, 0], [2, 3], [4.0, 1.0]))
    second = _tables(net)
    for name, side in (("user", [0]), ("item", [2, 3]), ("user_bias", [0]), ("item_bias", [2, 3])):
        n = second[name].shape[0]
        moved = (second[name] != first[name]).any(dim=1)
        assert moved.tolist() == [k in side for k in range(n)], name
    for name, never in (("user", [2, 3, 4, 5]), ("item", [4]), ("user_bias", [2, 3, 4, 5]), ("item_bias", [4])):
        assert torch.equal(second[name][never], start[name][never]), name  # never in a batch: as initialised
    assert not torch.equal(net.mlp.head.weight, head)  # the MLP trains too


def test_a_first_step_equals_dense_adam_on_the_rows_it_touches() -> None:
    # from zero moments lazy and dense Adam agree on the batch's rows (and dense Adam leaves the others as they are)
    est, batch = Recommender(reg=0.05, learning_rate_init=0.01), _batch([0, 4, 4, 2], [1, 1, 3, 0], [5.0, 1.0, 2.0, 3.5])
    lazy, dense = _net(), _net()
    flat = FlatParams(lazy.mlp)
    _step(est, lazy, flat, make_optimizer("adamw", flat, weight_decay=est.alpha), RowAdam([lazy.user, lazy.item, lazy.user_bias, lazy.item_bias]), *batch)
    whole = FlatParams(dense)
    x, y = batch
    u, i = x[:, 0], x[:, 1]
    sq = ((dense(x) - y) ** 2).sum()
    emb = dense.user(u).pow(2).sum() + dense.item(i).pow(2).sum() + dense.user_bias(u).pow(2).sum() + dense.item_bias(i).pow(2).sum()
    ((sq + est.reg * emb) / len(x)).backward()
    make_optimizer("adamw", whole, weight_decay=est.alpha).step(est.learning_rate_init)
    for name in TABLES:
        torch.testing.assert_close(getattr(lazy, name).weight, getattr(dense, name).weight, rtol=0, atol=1e-6)
    torch.testing.assert_close(lazy.mlp.head.weight, dense.mlp.head.weight, rtol=0, atol=1e-6)


def test_a_frozen_table_is_looked_up_but_never_updated() -> None:
    net = _net()
    net.item.weight.requires_grad_(False)
    rows, before = RowAdam([net.user, net.item]), _tables(net)
    codes = [torch.tensor([0, 3, 0]), torch.tensor([1, 1, 4])]
    eu, ei = rows.lookup(codes)
    torch.testing.assert_close(ei, before["item"][codes[1]], rtol=0, atol=0)  # the pairs' rows, duplicates included
    (eu.sum() + ei.sum()).backward()
    rows.step(0.1)
    assert torch.equal(net.item.weight, before["item"])
    assert not torch.equal(net.user.weight[[0, 3]], before["user"][[0, 3]])
    assert torch.equal(net.user.weight[[1, 2, 4, 5]], before["user"][[1, 2, 4, 5]])


def test_the_torch_arithmetic_a_gpu_runs_matches_the_numpy_one(monkeypatch: pytest.MonkeyPatch) -> None:
    # the GPU path (torch ops on the tables themselves) run on the CPU, beside the NumPy path, over three steps
    batches = [_batch([0, 1, 1], [0, 1, 1], [5.0, 1.0, 2.0]), _batch([0, 0, 5], [2, 3, 1], [4.0, 1.0, 3.0]), _batch([1, 2], [4, 4], [2.0, 2.5])]
    est, nets = Recommender(reg=0.05, learning_rate_init=0.01), []
    for module in (np, torch):
        monkeypatch.setattr(_recommend_rows, "array_module", lambda device, module=module: module)
        net = _net()
        flat = FlatParams(net.mlp)
        opt, rows = make_optimizer("adamw", flat, weight_decay=est.alpha), _recommend_rows.RowAdam([net.user, net.item, net.user_bias, net.item_bias])
        assert rows.xp is module
        for batch in batches:
            _step(est, net, flat, opt, rows, *batch)
        nets.append(net)
    for name in TABLES:
        torch.testing.assert_close(getattr(nets[0], name).weight, getattr(nets[1], name).weight, rtol=0, atol=1e-6)
    assert not torch.equal(nets[0].user.weight, _net().user.weight)
