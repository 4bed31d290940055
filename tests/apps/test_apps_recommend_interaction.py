"""Recommender(interaction="dot"): the hidden layers read the elementwise product of the user and item vectors, and with no
hidden layer the score is matrix factorization's (the biases plus the dot product; NCF's GMF with its weights fixed at 1),
against the formula, learnt with loss='bpr', through the model file, a warm fit, the parameter checks, the CLI's parameter
table and the ONNX export."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from test_apps_recommend_bpr import _clustered, _hit_share

from cli_helpers import assert_user_error, ok, run
from hiddenlayers import Recommender
from hiddenlayers.apps._recommend import RecommenderNet


@pytest.fixture(scope="module")
def gmf() -> tuple[pd.DataFrame, dict[int, set[int]], Recommender]:
    df, held = _clustered()
    rec = Recommender(n_factors=8, hidden_layer_sizes=(), interaction="dot", loss="bpr", positive_threshold=4.0, learning_rate_init=0.01,
                      max_iter=40, early_stopping=False, random_state=0)
    return df, held, rec.fit(df[["user", "item"]], df.rating)


def test_dot_feeds_the_hidden_layers_the_elementwise_product() -> None:
    torch.manual_seed(0)
    net = RecommenderNet(3, 4, 5, (6,), "tanh", 0.0, 2.5, interaction="dot")
    assert net.mlp.hidden1.in_features == 5 and RecommenderNet(3, 4, 5, (6,), "tanh", 0.0, 2.5).mlp.hidden1.in_features == 10
    pairs = torch.tensor([[0, 0], [1, 3], [2, 1], [2, 2]])
    with torch.no_grad():
        u, i = net.user(pairs[:, 0]), net.item(pairs[:, 1])
        biases = 2.5 + net.user_bias(pairs[:, 0]) + net.item_bias(pairs[:, 1])
        torch.testing.assert_close(net(pairs), biases + net.mlp(u * i))
        gmf = RecommenderNet(3, 4, 5, (), "tanh", 0.0, 2.5, interaction="dot")  # no hidden layer: h·(e_u ⊙ e_i) + c
        gmf.load_state_dict({**gmf.state_dict(), **{k: v for k, v in net.state_dict().items() if not k.startswith("mlp.")}})
        assert gmf.gmf and not net.gmf
        torch.testing.assert_close(gmf(pairs), biases + (u * i).sum(1, keepdim=True))  # h = 1, c = 0: the plain dot product
    assert not gmf.mlp.head.weight.requires_grad and gmf.mlp.head.bias.requires_grad  # h is fixed, c (an offset) is trained
    assert Recommender().interaction == "concat"


def test_bpr_with_the_dot_product_recovers_each_users_own_cluster(gmf: tuple[pd.DataFrame, dict[int, set[int]], Recommender]) -> None:
    """With no hidden layer the model is matrix factorization: its fitted scores are the biases plus the dot product (and the
    head's one trained offset), its head's weights still exactly 1."""
    df, held, rec = gmf
    net = rec.network_
    assert net.interaction == "dot" and torch.equal(net.mlp.head.weight, torch.ones(1, 8))
    assert _hit_share(rec, held) >= 0.9
    codes = torch.as_tensor(np.stack([rec.users_.get_indexer(df.user), rec.items_.get_indexer(df["item"])], axis=1))
    with torch.no_grad():
        u, i = net.user(codes[:, 0]), net.item(codes[:, 1])
        by_hand = (net.user_bias(codes[:, 0]) + net.item_bias(codes[:, 1]) + (u * i).sum(1, keepdim=True) + net.mlp.head.bias)[:, 0]
    np.testing.assert_allclose(rec.predict(df[["user", "item"]]), by_hand.numpy(), rtol=1e-5, atol=1e-6)


def test_a_rating_model_with_the_dot_interaction_fits_the_ratings() -> None:
    df, _ = _clustered()
    X = df[["user", "item"]]
    rec = Recommender(n_factors=8, hidden_layer_sizes=(16,), interaction="dot", max_iter=40, learning_rate_init=0.01, early_stopping=False,
                      random_state=0).fit(X, df.rating)
    assert rec.rmse(X, df.rating) < 0.5 * float(np.std(df.rating))
    gmf = Recommender(n_factors=8, hidden_layer_sizes=(), interaction="dot", max_iter=1, random_state=0).fit(X, df.rating)
    assert gmf.network_.gmf and torch.equal(gmf.network_.mlp.head.weight, torch.ones(1, 8))  # the rating fit's start keeps h = 1


def test_the_file_keeps_the_interaction_and_a_warm_fit_refuses_another(gmf: tuple[pd.DataFrame, dict[int, set[int]], Recommender],
                                                                        tmp_path: Path) -> None:
    df, _, rec = gmf
    X = df[["user", "item"]]
    path = tmp_path / "gmf.safetensors"
    rec.save(path)
    back = Recommender.load(path)
    assert back.interaction == "dot" and back.network_.interaction == "dot"
    assert np.array_equal(back.predict(X), rec.predict(X))
    pd.testing.assert_frame_equal(back.recommend([0, 5], n=3), rec.recommend([0, 5], n=3))
    back.set_params(warm_start=True, max_iter=1, interaction="concat")
    with pytest.raises(ValueError, match="interaction"):
        back.fit(X, df.rating)
    back.set_params(interaction="dot")
    assert back.fit(X, df.rating).n_iter_ == rec.n_iter_ + 1
    head = back.network_.mlp.head.weight
    assert torch.equal(head, torch.ones(1, 8)) and not head.requires_grad  # a loaded model's h stays fixed through a warm fit


@pytest.mark.parametrize("value", ["product", "DOT", None, 1])
def test_another_interaction_is_refused_before_any_work(value: object) -> None:
    df, _ = _clustered()
    rec = Recommender(interaction=value)
    with pytest.raises(ValueError, match=r"interaction must be 'concat' or 'dot'"):
        rec.fit(df[["user", "item"]], df.rating)
    assert not hasattr(rec, "network_")


def test_the_cli_sets_the_interaction_through_the_parameter_table(tmp_path: Path) -> None:
    df, _ = _clustered()
    data = tmp_path / "ratings.csv"
    df.to_csv(data, index=False)
    model = tmp_path / "gmf.safetensors"
    ok("train", data, "--app", "recommender", "--target", "rating", "--loss", "bpr", "--set", "interaction=dot", "--epochs", "2",
       "--seed", "0", "--out", model, "--quiet")
    assert Recommender.load(model).interaction == "dot"
    assert_user_error(run("train", data, "--app", "recommender", "--target", "rating", "--set", "interaction=product",
                          "--out", tmp_path / "bad.safetensors"), "interaction must be 'concat' or 'dot'")


def test_the_onnx_export_scores_as_the_dot_model_does(gmf: tuple[pd.DataFrame, dict[int, set[int]], Recommender], tmp_path: Path) -> None:
    pytest.importorskip("onnxruntime")
    import onnxruntime as ort

    from hiddenlayers.ship import export_onnx

    df, _, rec = gmf
    path = tmp_path / "gmf.onnx"
    report = export_onnx(rec, path)  # parity on random pairs, unseen ids on either side included
    assert report.max_abs_diff < 1e-4
    users, items = df.user.to_numpy(np.int64)[:50], df["item"].to_numpy(np.int64)[:50]
    out = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"]).run(None, {"users": users, "items": items})[0]
    np.testing.assert_allclose(out, rec.predict((users, items)), atol=1e-4)
