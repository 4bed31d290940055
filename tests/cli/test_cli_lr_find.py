"""``hiddenlayers lr-find``: the table, the --lr to paste, the plot, and one-line errors (exit 2)."""

from __future__ import annotations

import json

import pytest

from cli_helpers import assert_user_error, ok, run


def test_prints_a_table_and_a_pasteable_lr(table) -> None:
    result = ok("lr-find", table, "-t", "label", "--sizes", "8", "--solver", "sgd", "--num-steps", "40", "--batch-size", "16")
    out = result.stdout
    assert "learning rate" in out and "smoothed loss" in out and "<- suggestion" in out
    line = next(ln for ln in out.splitlines() if ln.startswith("suggestion: --lr "))
    lr = float(line.split("--lr ")[1])
    assert 1e-7 <= lr <= 10
    assert f"hiddenlayers train {table} --target label --hidden 8 --solver sgd --batch-size 16 --lr" in out


def test_json_and_plot_written(table, tmp_path) -> None:
    plot = tmp_path / "lr.png"
    data = json.loads(ok("lr-find", table, "-t", "label", "--num-steps", "30", "--plot", plot, "--json").stdout)
    assert data["steps"] == len(data["curve"]["lr"]) <= 30 and data["suggestion"] in data["curve"]["lr"]
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert_user_error(run("lr-find", table, "-t", "label", "--num-steps", "30", "--plot", plot), "already exists")
    assert not list(tmp_path.glob(".lr.png.*"))  # no temp file left beside it


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["no-such-file.csv", "-t", "label"], "no-such-file.csv"),
        (["{table}", "-t", "nope"], "unknown target column 'nope'"),
        (["{table}", "-t", "label", "--solver", "lbfgs"], "--solver lbfgs has no learning rate"),
        (["{table}", "-t", "label", "--start-lr", "1", "--end-lr", "0.5"], "--end-lr must be greater than --start-lr"),
        (["{table}", "-t", "label", "--start-lr", "0"], "--start-lr must be a finite number > 0"),
        (["{table}", "-t", "label", "--num-steps", "0"], "--num-steps must be an integer >= 2"),
        (["{table}", "-t", "label", "--batch-size", "-3"], "batch_size"),
        (["{table}", "-t", "label", "--plot", "lr.txt"], "--plot must end in .png, .svg, .pdf"),
    ],
)
def test_user_errors_are_one_line_exit_2(table, args, message) -> None:
    assert_user_error(run("lr-find", *[str(table) if a == "{table}" else a for a in args]), message)


def test_help_has_an_example() -> None:
    result = ok("lr-find", "--help")
    assert "Example: hiddenlayers lr-find" in result.output and "--sizes" in result.output


def test_pasted_train_line_keeps_the_sweeps_columns_task_and_seed(table, tmp_path) -> None:
    import shlex

    from hiddenlayers import load

    args = ["-t", "label", "--features", "a,b", "--task", "classification", "--max-categories", "3", "--seed", "7"]
    data = json.loads(ok("lr-find", table, *args, "--sizes", "4", "--num-steps", "20", "--json").stdout)
    line = shlex.split(data["train_command"])
    assert line[:2] == ["hiddenlayers", "train"]
    for option, value in zip(args[2::2], args[3::2]):
        assert line[line.index(option) + 1] == value, (option, line)
    out = tmp_path / "m.safetensors"
    ok(*line[1:], "--epochs", "2", "--out", out, "--quiet")
    assert load(out).n_features_in_ == 2  # trained on the swept columns, not every column


# --- the loss options, as train takes them: the sweep runs on the loss train will use -------------------------------------

def _sweep(table, *extra: str) -> dict:
    return json.loads(ok("lr-find", table, "-t", "label", "--sizes", "4", "--num-steps", "12", "--json", *extra).stdout)


def test_loss_options_reach_the_sweep_and_the_pasted_train_line(table) -> None:
    import shlex

    plain = _sweep(table)
    smoothed = _sweep(table, "--label-smoothing", "0.2", "--class-weight", "yes=2,no=1")
    gce = _sweep(table, "--loss", "gce", "--gce-q", "0.5")
    assert plain["curve"]["loss"][0] != smoothed["curve"]["loss"][0] != gce["curve"]["loss"][0] != plain["curve"]["loss"][0]
    assert "--label-smoothing" not in plain["train_command"] and "--loss" not in plain["train_command"]
    for found, given in ((smoothed, ["--label-smoothing", "0.2", "--class-weight", "yes=2,no=1"]), (gce, ["--loss", "gce", "--gce-q", "0.5"])):
        line = shlex.split(found["train_command"])
        for option, value in zip(given[::2], given[1::2]):
            assert line[line.index(option) + 1] == value, (option, line)


def test_label_smoothing_sweeps_the_smoothed_loss(table) -> None:
    """The first step's loss is the estimator's own smoothed log loss at the initial weights, not the plain one."""
    import pandas as pd

    import hiddenlayers as hl
    from hiddenlayers.data import TablePreprocessor

    frame = pd.read_csv(table)
    A = TablePreprocessor().fit(frame.drop(columns="label")).transform(frame.drop(columns="label")).matrix
    expected = hl.lr_find(hl.MLPClassifier((4,), label_smoothing=0.2, random_state=0), A, frame["label"].to_numpy(), num_steps=12)
    assert _sweep(table, "--label-smoothing", "0.2")["curve"]["loss"][0] == pytest.approx(expected.losses[0], rel=1e-5)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--label-smoothing", "1"], "--label-smoothing: label_smoothing must be a number in [0, 1). Received: label_smoothing=1.0."),
        (["--class-weight", "maybe=2"], "--class-weight names 'maybe', which is not a class of the target: the classes are ['no', 'yes']."),
        (["--loss", "hinge"], "--loss: loss must be"),
        (["--loss", "gce", "--gce-q", "0"], "--gce-q: gce_q must be"),
        (["--task", "regression", "-t", "a", "--label-smoothing", "0.1"],
         "--label-smoothing applies to classification, and this target is regression: drop it, or pass --task classification."),
    ],
)
def test_loss_option_errors_are_one_line(table, args, message) -> None:
    assert_user_error(run("lr-find", table, "-t", "label", "--num-steps", "12", *args), message)
