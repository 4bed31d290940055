"""`hiddenlayers explain --model F --data T --row N`: a saved table model on one of the user's rows, every number checked."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import hiddenlayers as hl
from cli_helpers import assert_user_error, ok, run
from hiddenlayers.data import TablePreprocessor


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A CSV with a numeric and a categorical column, a classifier and a (wide) regressor trained on it by `hiddenlayers train`."""
    d = tmp_path_factory.mktemp("explain")
    rng = np.random.default_rng(0)
    n = 120
    frame = pd.DataFrame({"age": rng.normal(40, 10, n).round(1), "city": rng.choice(["paris", "rome", "oslo"], n), "income": rng.normal(50, 15, n).round(2)})
    frame["label"] = np.where((frame["age"] > 40) ^ (frame["city"] == "rome"), "yes", "no")
    frame["y"] = frame["age"] * 0.5 + (frame["city"] == "oslo") * 3
    frame.drop(columns=["y"]).to_csv(d / "cls.csv", index=False)
    frame.drop(columns=["label"]).to_csv(d / "reg.csv", index=False)
    frame.drop(columns=["y"]).assign(label=["maybe"] + list(frame["label"].iloc[1:])).to_csv(d / "odd.csv", index=False)
    ok("train", d / "cls.csv", "--target", "label", "--hidden", "6:tanh,4", "--alpha", "0.01", "--epochs", "20", "--out", d / "cls.safetensors", "-q", "--no-check")
    ok("train", d / "reg.csv", "--target", "y", "--hidden", "128", "--epochs", "5", "--out", d / "reg.safetensors", "-q", "--no-check")
    return {"dir": d, "cls": d / "cls.safetensors", "reg": d / "reg.safetensors", "cls_csv": d / "cls.csv", "reg_csv": d / "reg.csv", "odd": d / "odd.csv"}


def _autograd(model, x: np.ndarray, Y: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """d(loss + ½·alpha·Σ W²)/d(W, b) per layer through a float64 copy of the model's own network and loss, for a batch of this row."""
    net = copy.deepcopy(model.network_).double()
    z = net(torch.tensor(x[None, :]))
    L = model._loss().value(z, torch.tensor(Y[None, :]), None) + 0.5 * model.alpha * sum((lin.weight**2).sum() for lin in net.linears())
    L.backward()
    return [(lin.weight.grad.numpy(), lin.bias.grad.numpy()) for lin in net.linears()]


@pytest.mark.parametrize("kind", ["cls", "reg"])
def test_json_numbers_are_the_models_own_gradients_on_that_row(files, kind):
    data = files[f"{kind}_csv"]
    d = json.loads(ok("explain", "--model", files[kind], "--data", data, "--row", 7, "--json").stdout)
    model = hl.load(files[kind])
    frame = pd.read_csv(data)
    row = frame.iloc[[6]]  # --row 7: the seventh data row, file line 8
    pre = TablePreprocessor.from_dict(model.preprocessing_)
    x = pre.transform(row).matrix[0]
    np.testing.assert_allclose(d["x"], x)
    assert d["source"]["where"] == f"Data: row 7 (line 8 of '{data}')" and d["input_names"] == pre.output_names
    assert d["source"]["raw"]["city"] == row["city"].iloc[0]
    if kind == "cls":
        Y = np.array([1.0 if row["label"].iloc[0] == "yes" else 0.0])  # two classes: one logistic output, P('yes')
        assert d["loss_name"] == "binary_cross_entropy" and d["output_names"] == ["yes"] and d["alpha"] == 0.01
    else:
        Y = row["y"].to_numpy(dtype=np.float64)
        assert model.scale_target  # train's default for regression: the target the model trains on is standardized
        Y = (Y - model.target_mean_) / model.target_scale_
        assert d["loss_name"] == "squared_error" and len(d["forward"][0]["W"]) == 128
    np.testing.assert_allclose(d["target"], Y)
    grads = _autograd(model, x, Y)  # input side first, as "forward" and "updated"
    for i, (fwd, step, new) in enumerate(zip(d["forward"], reversed(d["backward"]), d["updated"])):
        W, gW, gb = np.asarray(fwd["W"]), *grads[i]
        # the chain-rule table is the data loss's; the L2 term's alpha·W is added to the step, stated apart
        np.testing.assert_allclose(np.asarray(step["dL_dW"]) + d["alpha"] * W, gW, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(step["dL_db"], gb, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(new["W"], W - 0.1 * gW, rtol=1e-12, atol=1e-14)
    assert d["agrees"]


def test_prints_the_row_raw_and_after_preprocessing_at_80_columns(files, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    out = ok("explain", "--model", files["reg"], "--data", files["reg_csv"], "--row", 2).stdout
    assert max(len(line) for line in out.splitlines()) <= 80
    flat = " ".join(out.split())
    assert "raw row: age=" in flat and "after preprocessing (the network's input x):" in flat and "city=" in flat
    assert "(hidden1: units 17–128 left out below; --json / to_dict() has them all)" in flat
    assert "One plain gradient-descent step with learning rate 0.1 (--lr / learning_rate), on this row alone: not the model's own optimizer (adam)" in flat


def test_bad_input_is_one_line(files, tmp_path):
    m, csv = files["cls"], files["cls_csv"]
    assert_user_error(run("explain", "--model", m, "--data", csv, "--row", 0), "--row must be between 1 and 120")
    assert_user_error(run("explain", "--model", m, "--data", csv, "--row", 121), "--row must be between 1 and 120")
    assert_user_error(run("explain", "--model", tmp_path / "none.safetensors", "--data", csv), "does not exist")
    assert_user_error(run("explain", "--model", m, "--data", tmp_path / "none.csv"), "is neither a file nor a bundled dataset")
    assert_user_error(run("explain", "--model", m, "--data", files["reg_csv"]), "has no column 'label', the target the model was trained on")
    assert_user_error(run("explain", "--model", m, "--data", files["odd"], "--row", 1), "label 'maybe' is not a class of the model (no, yes)")
    assert ok("explain", "--model", m, "--data", files["odd"], "--row", 2)  # another row's unknown label is no concern of row 2
    assert_user_error(run("explain", "--model", m, "--data", csv, "--target", "age"), "--target 'age' is one of the model's input columns")
    assert_user_error(run("explain", "--model", m), "--model and --data go together")
    assert_user_error(run("explain", "--model", m, "--data", csv, "--sizes", "2,3,2"), "drop --sizes")
    corrupt = tmp_path / "corrupt.safetensors"
    corrupt.write_bytes(m.read_bytes()[:300])
    assert_user_error(run("explain", "--model", corrupt, "--data", csv), "is not a readable safetensors model file")
    assert_user_error(run("explain", "--model", tmp_path / "m.onnx", "--data", csv), "explain supports MLPClassifier and MLPRegressor model files")
    gap = tmp_path / "gap.csv"
    pd.read_csv(csv).assign(label=[None] + ["yes"] * 119).to_csv(gap, index=False)
    assert_user_error(run("explain", "--model", m, "--data", gap, "--row", 1), "row 1 (line 2 of")


def test_a_bad_value_is_led_by_the_option_that_set_it(files):
    """`explain --lr 0` said "learning_rate must be ... Received: learning_rate=0.0", the library's name for --lr (and q, sizes
    for --q, --sizes): the line now leads with the option, as train's parameter errors do; other messages stay as they were."""
    lr = "learning_rate must be a finite number > 0 (the step size of the one gradient-descent step). Received: learning_rate="
    assert_user_error(run("explain", "--lr", "0"), f"error: --lr: {lr}0.0.")
    assert_user_error(run("explain", "--model", files["cls"], "--data", files["cls_csv"], "--lr", "-1"), f"error: --lr: {lr}-1.0.")
    assert_user_error(run("explain", "--q", "0.5"), "error: --q: q is the generalized cross entropy's exponent: it goes with loss=")
    assert_user_error(run("explain", "--sizes", "2"), "error: --sizes: sizes needs at least 3 positive integers")
    assert_user_error(run("explain", "--input", "0.5"), "error: --input: input must have 2 numbers (one per input). Received 1.")
    assert_user_error(run("explain", "--activation", "rleu"), "error: unknown activation 'rleu'")  # names no parameter first


def test_row_without_a_model_is_refused_and_a_tiny_network_option_with_one_is_named(files):
    """`explain --row 5` (no --model) explained the tiny network and ignored --row; `--model ... --activation relu` said
    "--activation describe the tiny network"."""
    assert_user_error(run("explain", "--row", "5"), "error: --row picks a row of --data for --model; the tiny network's input is --input")
    assert_user_error(run("explain", "--row", "1", "--sizes", "2,3,2"), "drop --row, or add --model model.safetensors --data table.csv.")
    m, csv = files["cls"], files["cls_csv"]
    assert_user_error(run("explain", "--model", m, "--data", csv, "--activation", "relu"), "error: --activation describes the tiny network;")
    assert_user_error(run("explain", "--model", m, "--data", csv, "--seed", "1", "--loss", "poisson"), "error: --loss, --seed describe the tiny network;")
    assert json.loads(ok("explain", "--model", m, "--data", csv, "--json").stdout)["source"]["row"] == 1  # --row's default is still 1


def test_application_file_is_refused(files, tmp_path):
    X = np.random.default_rng(0).normal(size=(30, 4))
    path = tmp_path / "ae.safetensors"
    hl.Autoencoder((4,), n_components=2, max_iter=2, random_state=0).fit(X).save(path)
    assert_user_error(run("explain", "--model", path, "--data", files["cls_csv"]),
                      f"'{path}' holds an Autoencoder (an application file); explain --model takes a model trained by `hiddenlayers train`")


def test_a_non_dense_model_is_refused(files, iris, tmp_path):
    X, y = iris
    path = tmp_path / "norm.safetensors"
    hl.MLPClassifier("4:relu:norm=batch", max_iter=2, random_state=0).fit(X, y).save(path)
    csv = tmp_path / "iris.csv"
    pd.DataFrame(X, columns=[f"x{i}" for i in range(4)]).assign(t=y).to_csv(csv, index=False)
    assert_user_error(run("explain", "--model", path, "--data", csv, "--target", "t"), "explain supports MLPClassifier and MLPRegressor models with dense hidden layers")


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.integers(-1000, 1000))
def test_any_row_outside_the_table_is_one_line(files, row):
    result = run("explain", "--model", files["cls"], "--data", files["cls_csv"], "--row", row, "--json")
    if 1 <= row <= 120:
        assert result.exit_code == 0 and json.loads(result.stdout)["source"]["row"] == row
    else:
        assert_user_error(result, f"--row must be between 1 and 120 (the data rows of '{files['cls_csv']}', 1 = the first after the header). Received: {row}.")


@pytest.mark.parametrize(("kind", "loss"), [("cls", ["--loss", "gce", "--gce-q", "0.5"]), ("reg", ["--loss", "poisson"])])
def test_gce_and_poisson_model_files_are_explained_with_their_own_loss(files, tmp_path, kind, loss):
    """A model file trained with --loss gce (its gce_q) or --loss poisson: explain writes out that loss, and its numbers are the
    model's own gradients (autograd through its network and _loss()). Before, one refusal line."""
    path = tmp_path / f"{kind}.safetensors"
    target = "label" if kind == "cls" else "y"
    ok("train", files[f"{kind}_csv"], "--target", target, "--hidden", "5", "--epochs", "5", *loss, "--out", path, "-q", "--no-check")
    d = json.loads(ok("explain", "--model", path, "--data", files[f"{kind}_csv"], "--row", 3, "--json").stdout)
    model = hl.load(path)
    x, Y = np.asarray(d["x"]), np.asarray(d["target"])
    assert d["loss_name"] == ("binary_generalized_cross_entropy" if kind == "cls" else "poisson")
    assert d["gce_q"] == (0.5 if kind == "cls" else None) and d["source"]["estimator_loss"] == model._loss().name
    for i, (step, (gW, gb)) in enumerate(zip(reversed(d["backward"]), _autograd(model, x, Y))):
        np.testing.assert_allclose(np.asarray(step["dL_dW"]) + d["alpha"] * np.asarray(d["forward"][i]["W"]), gW, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(step["dL_db"], gb, rtol=1e-9, atol=1e-12)
    assert d["agrees"]
    text = " ".join(ok("explain", "--model", path, "--data", files[f"{kind}_csv"], "--row", 3).stdout.split())
    assert ("(1 - p_y^q) / q with q = 0.5" if kind == "cls" else "half the Poisson deviance") in text


def _tiny_autograd(d: dict, own) -> tuple[float, list[tuple[np.ndarray, np.ndarray]]]:
    """(loss, [(dL/dW, dL/db)...]) of the printed tiny network through training's own ``own`` Loss, float64 autograd."""
    params = [(torch.tensor(f["W"], dtype=torch.float64, requires_grad=True), torch.tensor(f["b"], dtype=torch.float64, requires_grad=True))
              for f in d["forward"]]
    h = torch.tensor(d["x"], dtype=torch.float64)[None, :]
    for i, (W, b) in enumerate(params):
        h = h @ W.T + b
        if i < len(params) - 1:
            h = torch.tanh(h)
    L = own.value(h, torch.tensor(d["target"], dtype=torch.float64)[None, :], None)
    L.backward()
    return L.item(), [(W.grad.numpy(), b.grad.numpy()) for W, b in params]


@pytest.mark.parametrize(("loss", "q", "used"), [("generalized_cross_entropy", "0.5", 0.5), ("binary_generalized_cross_entropy", None, 0.7),
                                                 ("generalized_cross_entropy", None, 0.7), ("poisson", None, None)])
def test_tiny_network_takes_gce_with_q_and_poisson(loss, q, used):
    """`explain --sizes ... --loss generalized_cross_entropy --q 0.5` (and the binary one, and poisson): every gradient is
    that of training's own loss; --q defaults to 0.7. Before, --loss refused these and --q did not exist."""
    from hiddenlayers.training import generalized_cross_entropy, get_loss

    args = ["explain", "--sizes", "3,4,2", "--loss", loss, "--seed", 3, "--json"] + (["--q", q] if q else [])
    d = json.loads(ok(*args).stdout)
    assert d["loss_name"] == loss and d["gce_q"] == used and d["agrees"]
    own = get_loss("poisson") if used is None else generalized_cross_entropy(used, binary=loss.startswith("binary"))
    value, grads = _tiny_autograd(d, own)
    assert d["loss"] == pytest.approx(value, rel=1e-12)
    for step, (gW, gb) in zip(reversed(d["backward"]), grads):
        np.testing.assert_allclose(step["dL_dW"], gW, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(step["dL_db"], gb, rtol=1e-9, atol=1e-12)


def test_tiny_network_q_errors_are_one_line(files):
    assert_user_error(run("explain", "--loss", "generalized_cross_entropy", "--q", "1.5"), "q must be a finite number in (0, 1]")
    assert_user_error(run("explain", "--loss", "binary_generalized_cross_entropy", "--q", "0"), "q must be a finite number in (0, 1]")
    assert_user_error(run("explain", "--q", "0.5"), "q is the generalized cross entropy's exponent")
    assert_user_error(run("explain", "--loss", "poisson", "--gce-q", "0.5"), "not loss='poisson'. Received: q=0.5; drop it.")
    assert_user_error(run("explain", "--loss", "poisson", "--target", "-1,0"), "with loss='poisson' each target must be >= 0")
    assert_user_error(run("explain", "--model", files["cls"], "--data", files["cls_csv"], "--q", "0.5"), "drop --q")


@pytest.mark.parametrize("name", ["gce", " GCE "])
def test_the_estimators_gce_name_points_to_the_cli_flags(name):
    """The hint named the Python API's q= where the flag is --q."""
    result = run("explain", "--loss", name, "--sizes", "3,4,2")
    assert_user_error(result, "--loss gce is the estimators' name (train --loss gce --gce-q Q); the tiny network calls it "
                              "generalized_cross_entropy: pass --loss generalized_cross_entropy --q Q (Q in (0, 1], default 0.7).")
    assert "q=" not in result.output


def test_tiny_network_gce_title_is_whole_at_80_columns(monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    out = ok("explain", "--sizes", "2,3,2", "--loss", "binary_generalized_cross_entropy").stdout
    lines = out.splitlines()
    assert max(len(line) for line in lines) <= 80 and "…" not in " ".join(lines[:3])
    assert "binary generalized cross entropy (q=0.7) loss" in " ".join(" ".join(lines[:3]).split())


def test_a_row_outside_a_parquet_table_counts_from_the_first_row_not_a_header(files, tmp_path):
    """A Parquet file has no header row: the refusal said "1 = the first after the header" of it too."""
    parquet = tmp_path / "rows.parquet"
    pd.read_csv(files["cls_csv"]).to_parquet(parquet)
    assert_user_error(run("explain", "--model", files["cls"], "--data", parquet, "--row", 999),
                      f"--row must be between 1 and 120 (the data rows of '{parquet}', 1 = the first row). Received: 999.")


def test_tiny_network_takes_alpha_and_a_model_keeps_its_own(files):
    """`explain --alpha 0.2` on the tiny network: the L2 term stated apart and alpha·W in the step (there was no --alpha);
    with --model the model's own alpha is used, so --alpha is refused as the other tiny-network options are."""
    d = json.loads(ok("explain", "--sizes", "2,3,1", "--loss", "binary_cross_entropy", "--target", "1", "--alpha", "0.2", "--json").stdout)
    assert d["alpha"] == 0.2 and d["agrees"]
    W, dW, new = (np.asarray(v) for v in (d["forward"][0]["W"], d["backward"][-1]["dL_dW"], d["updated"][0]["W"]))
    np.testing.assert_allclose(new, W - 0.1 * (dW + 0.2 * W), rtol=1e-12)
    assert d["l2_penalty"] == pytest.approx(0.1 * sum(float((np.asarray(f["W"]) ** 2).sum()) for f in d["forward"]), rel=1e-12)
    text = " ".join(ok("explain", "--alpha", "0.2").stdout.split())
    assert "L2 term (alpha=0.2" in text and "W ← W - 0.1·(dL/dW + 0.2·W)" in text
    assert_user_error(run("explain", "--alpha", "-1"), "error: --alpha: alpha must be a finite number >= 0")
    assert_user_error(run("explain", "--model", files["cls"], "--data", files["cls_csv"], "--alpha", "0.2"),
                      "error: --alpha describes the tiny network; with --model the network, activations, loss and alpha are the model's: drop --alpha.")
