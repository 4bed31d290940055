"""`hiddenlayers explain --solver sgd|adam --steps N`: the optimizer's steps, its options and their refusals."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cli_helpers import assert_user_error, ok, run


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A small regressor trained by `hiddenlayers train` with sgd, learning_rate_init 0.03 and momentum 0.6, and its CSV."""
    d = tmp_path_factory.mktemp("explain_optim")
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"a": rng.normal(size=40).round(2), "b": rng.normal(size=40).round(2)})
    frame["y"] = frame["a"] - 2 * frame["b"]
    frame.to_csv(d / "t.csv", index=False)
    ok("train", d / "t.csv", "--target", "y", "--hidden", "4", "--epochs", "3", "--solver", "sgd", "--set", "momentum=0.6", "--lr", "0.03",
       "--out", d / "m.safetensors", "-q", "--no-check")
    return d / "m.safetensors", d / "t.csv"


def test_tiny_network_adam_steps_in_json():
    d = json.loads(ok("explain", "--solver", "adam", "--steps", "2", "--beta1", "0.8", "--json").stdout)
    o = d["optimizer"]
    assert o["settings"] == {"beta_1": 0.8, "beta_2": 0.999, "epsilon": 1e-8} and len(o["trace"]) == 2 and o["agrees"]
    assert d["loss_after"] == o["loss_after"] < d["loss"]


def test_default_output_has_no_optimizer_section():
    out = ok("explain").stdout
    assert "4. One gradient-descent step" in out and "step t = 1" not in out
    assert "optimizer" not in json.loads(ok("explain", "--json").stdout)


def test_sgd_steps_are_printed_with_the_rule_and_the_check():
    out = " ".join(ok("explain", "--solver", "sgd", "--steps", "2", "--momentum", "0.5", "--no-nesterov").stdout.split())
    assert "velocity v ← 0.5·v - 0.1·g" in out and "update = v (classic momentum)" in out
    assert "step t = 2" in out and "torch.optim.SGD" in out and "agree" in out


def test_model_file_steps_use_the_models_momentum(model):
    path, csv = model
    d = json.loads(ok("explain", "--model", path, "--data", csv, "--row", "2", "--solver", "sgd", "--steps", "2", "--json").stdout)
    assert d["optimizer"]["settings"] == {"momentum": 0.6, "nesterovs_momentum": True} and d["optimizer"]["agrees"]
    out = " ".join(ok("explain", "--model", path, "--data", csv, "--solver", "adam").stdout.split())  # lines wrap at 80 columns
    assert "Steps from zero optimizer state on this row alone (the model was trained with solver=sgd" in out


def test_model_file_steps_use_the_models_learning_rate_and_say_so(model):
    """--solver steps with the model's learning_rate_init (not --lr's 0.1) unless --lr is given; the output names what the model gave."""
    path, csv = model
    d = json.loads(ok("explain", "--model", path, "--data", csv, "--solver", "sgd", "--json").stdout)
    assert d["optimizer"]["learning_rate"] == d["learning_rate"] == 0.03 and d["optimizer"]["agrees"]
    assert d["source"]["from_model"] == {"learning_rate_init": 0.03, "momentum": 0.6, "nesterovs_momentum": True}
    out = " ".join(ok("explain", "--model", path, "--data", csv, "--solver", "sgd").stdout.split())
    assert "learning rate 0.03 (the model's learning_rate_init), momentum=0.6, nesterovs_momentum=True" in out
    assert "velocity v ← 0.6·v - 0.03·g" in out
    assert "The model's own: learning_rate_init=0.03, momentum=0.6, nesterovs_momentum=True; the options (--lr, --momentum" in out
    d = json.loads(ok("explain", "--model", path, "--data", csv, "--solver", "sgd", "--lr", "0.2", "--momentum", "0.5", "--json").stdout)
    assert d["optimizer"]["learning_rate"] == 0.2 and d["optimizer"]["settings"]["momentum"] == 0.5
    assert d["source"]["from_model"] == {"nesterovs_momentum": True}
    out = " ".join(ok("explain", "--model", path, "--data", csv, "--solver", "adam", "--lr", "0.2").stdout.split())
    assert "learning rate 0.2 (--lr / learning_rate), beta_1=0.9" in out and "The model's own" not in out  # another solver: defaults
    d = json.loads(ok("explain", "--model", path, "--data", csv, "--json").stdout)  # the plain step is not the model's optimizer: 0.1
    assert d["learning_rate"] == 0.1 and d["source"]["from_model"] == {} and "optimizer" not in d


@pytest.mark.parametrize(("args", "message"), [
    (["--solver", "adam", "--beta1", "1.0"], "error: --beta1: beta_1 must be a finite number in [0, 1) (the first moment's decay). Received: beta_1=1.0."),
    (["--solver", "sgd", "--steps", "0"], "error: --steps: steps must be an integer >= 1"),
    (["--solver", "adam", "--momentum", "0.9"], "error: --momentum: momentum is a setting of --solver sgd, not of --solver adam: drop --momentum."),
    (["--solver", "adam", "--no-nesterov"], "not of --solver adam: drop --nesterov/--no-nesterov."),
    (["--steps", "3"], "error: --steps: steps=3 needs a solver (the default is one plain gradient-descent step): add --solver sgd or --solver adam"),
    (["--epsilon", "1e-6"], "error: --epsilon: epsilon is a setting of --solver adam, and no solver is chosen"),
    (["--solver", "rmsprop"], "error: --solver: solver must be one of sgd, adam"),
    (["--solver", "adam", "--steps", "11"], "error: --steps: steps must be at most 10"),
])
def test_refusals_are_one_line_led_by_the_option(args, message):
    assert_user_error(run("explain", *args), message)


def test_refusals_come_before_reading_the_model(tmp_path):
    """A bad optimizer option is named even when --model is a file that does not exist: nothing is read first."""
    assert_user_error(run("explain", "--model", tmp_path / "none.safetensors", "--data", tmp_path / "none.csv", "--steps", "2"),
                      "error: --steps: steps=2 needs a solver")


@settings(max_examples=25, deadline=None)
@given(steps=st.integers(-5, 15), beta2=st.floats(-0.5, 1.5, allow_nan=False))
def test_parser_of_the_new_options(steps, beta2):
    """Every --steps and --beta2 either runs (both in range) or is one line naming the first option at fault."""
    result = run("explain", "--solver", "adam", "--steps", steps, "--beta2", repr(beta2), "--json")
    if not 1 <= steps <= 10:
        assert_user_error(result, "error: --steps: steps must be")
    elif not 0 <= beta2 < 1:
        assert_user_error(result, "error: --beta2: beta_2 must be a finite number in [0, 1)")
    else:
        assert result.exit_code == 0, result.output
        o = json.loads(result.stdout)["optimizer"]
        assert len(o["trace"]) == steps and o["settings"]["beta_2"] == beta2
