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
    assert _sweep(table, "--label-smoothing", "0.2", "--test-size", "0")["curve"]["loss"][0] == pytest.approx(expected.losses[0], rel=1e-5)


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


# --- the rows swept: those train fits on, never its test rows or early stopping's held-out rows ------------------------------

def _captured(monkeypatch: pytest.MonkeyPatch, module, name: str, *args: object):
    """The X tensor the command ``args`` hands to ``module.name`` (train's fit loop or the sweep), captured."""
    seen = []
    real = getattr(module, name)

    def spy(network, X, *a, **kw):
        seen.append(X.clone())
        return real(network, X, *a, **kw)

    monkeypatch.setattr(module, name, spy)
    result = ok(*args)
    monkeypatch.undo()
    return seen[0], result


@pytest.mark.parametrize(("rows", "extra"), [(1300, []), (150, ["--test-size", "0.3", "--seed", "4"])], ids=["early_stopping", "test_size"])
def test_the_sweep_runs_on_exactly_the_rows_train_fits_on(tmp_path, monkeypatch: pytest.MonkeyPatch, rows: int, extra: list) -> None:
    """Before, lr-find swept every row: train's --test-size rows and, from 1000 training rows, early stopping's held-out rows too."""
    import numpy as np
    import pandas as pd
    import torch

    from hiddenlayers.estimators import _fit, _lr_find

    rng = np.random.default_rng(0)
    a, c = rng.normal(size=rows), rng.choice(["x", "y", "z"], size=rows)
    path = tmp_path / "d.csv"
    pd.DataFrame({"a": a, "b": rng.normal(size=rows), "c": c, "label": np.where(a > 0, "yes", "no")}).to_csv(path, index=False)
    common = [path, "-t", "label", "--hidden", "4", *extra]
    swept, result = _captured(monkeypatch, _lr_find, "lr_find_module", "lr-find", *common, "--num-steps", "5", "--json")
    trained, _ = _captured(monkeypatch, _fit, "train", "train", *common, "--epochs", "1", "--out", tmp_path / "m.safetensors", "--quiet")
    n_train = rows - int(np.ceil(float(extra[extra.index("--test-size") + 1]) * rows) if extra else np.ceil(0.2 * rows))
    fit_rows = n_train - int(np.ceil(0.1 * n_train)) if n_train >= 1000 else n_train
    assert swept.shape[0] == trained.shape[0] == fit_rows
    assert torch.equal(swept, trained)  # the same rows, preprocessed the same way, in the same order
    data = json.loads(result.stdout)
    assert data["rows_swept"] == fit_rows and data["rows"] == rows
    if extra:
        assert "--seed 4" in data["train_command"] and "--test-size 0.3" in data["train_command"]  # the pasted line holds out the same rows


def test_the_table_says_which_rows_were_swept(table, tmp_path) -> None:
    """It said "(its --test-size rows and early stopping's held-out rows left out)" whatever was left out: now it counts them."""
    import pandas as pd

    out = ok("lr-find", table, "-t", "label", "--sizes", "4", "--num-steps", "10").stdout
    assert "swept on the 120 of 150 rows train fits on (30 --test-size rows left out)" in " ".join(out.split())
    frame = pd.read_csv(table).dropna()
    frame.head(8).to_csv(tmp_path / "few.csv", index=False)  # below 10 rows train holds out no test rows
    out = ok("lr-find", tmp_path / "few.csv", "-t", "label", "--sizes", "4", "--num-steps", "10").stdout
    assert "swept on the 8 of 8 rows train fits on (none left out)" in " ".join(out.split())
    frame.head(60).assign(w=[0.0] * 10 + [1.0] * 50).to_csv(tmp_path / "w.csv", index=False)
    out = ok("lr-find", tmp_path / "w.csv", "-t", "label", "--sample-weight", "w", "--sizes", "4", "--num-steps", "10").stdout
    assert "swept on the 40 of 60 rows train fits on (10 rows of weight 0 and 10 --test-size rows left out)" in " ".join(out.split())


def test_ctrl_c_stops_the_sweep_writes_no_plot_and_exits_130(table, tmp_path, monkeypatch) -> None:
    """The sweep has its own loop, which lets Ctrl-C through (it is no fit to keep): nothing is printed or written, exit 130."""
    import hiddenlayers.training._lr_find as lf

    real = lf._batches_forever

    def batches(*args, **kwargs):
        for i, batch in enumerate(real(*args, **kwargs)):
            if i == 3:
                raise KeyboardInterrupt
            yield batch

    monkeypatch.setattr(lf, "_batches_forever", batches)
    plot = tmp_path / "lr.png"
    result = run("lr-find", table, "-t", "label", "--num-steps", "30", "--plot", plot, "--json")
    assert result.exit_code == 130, result.output
    assert result.stderr.strip().splitlines()[-1] == "interrupted" and result.stdout == "" and not plot.exists()


def test_the_title_reads_across_an_80_column_terminal(table, monkeypatch: pytest.MonkeyPatch) -> None:
    """At 80 columns the title ("learning-rate range test: sgd, 40 steps (num_steps)") was wrapped to the three-column table's
    width, its stop reason on a second line; a title wider than its table is a line of its own now (`_common.print_table`),
    as `evaluate`'s are, and `datasets`' title wraps at the terminal's width, not at its table's."""
    monkeypatch.setenv("COLUMNS", "80")
    lines = ok("lr-find", table, "-t", "label", "--sizes", "8", "--solver", "sgd", "--num-steps", "40", "--batch-size", "16").stdout.splitlines()
    assert max(len(line) for line in lines if not line.startswith("  hiddenlayers train ")) <= 80  # the pasted line is whole
    top = next(i for i, line in enumerate(lines) if line.startswith("┏"))
    assert lines[:top] == ["learning-rate range test: sgd, 40 steps (num_steps)"], lines[:top + 2]
    listed = ok("datasets").stdout.splitlines()
    head = listed[:next(i for i, line in enumerate(listed) if line.startswith("┏"))]
    assert max(len(line) for line in listed) <= 80 and len(head) == 2 and len(head[0].rstrip()) > 70, head
    assert " ".join(" ".join(head).split()) == "bundled datasets (use the name wherever a data file goes, e.g. `hiddenlayers train digits`)"
