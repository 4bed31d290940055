"""``--sample-weight COLUMN``: per-row weights from a column of the data file (train, evaluate, search, lr-find, distill).

The column is never a feature, a model file never needs it to predict, its values are checked as
``fit(sample_weight=)`` checks them (one line, exit 2, nothing written), and evaluate's weighted
metrics count a row of weight 2 as that row written twice.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cli_helpers import assert_user_error, ok, run
from hiddenlayers.exceptions import DataError

TRAIN = ("--hidden", "8", "--epochs", "15", "--lr", "0.01", "--no-early-stopping", "--seed", "3", "-q")


@pytest.fixture(scope="module")
def weighted(tmp_path_factory) -> Path:
    """A CSV: numeric ``a``, ``b``, categorical ``color``, text ``label`` and integer weights ``w`` in 0..3 (every class weighted)."""
    rng = np.random.default_rng(1)
    n = 120
    a, color = rng.normal(size=n), rng.choice(["red", "green", "blue"], size=n)
    label = np.where(a + (color == "red") + rng.normal(scale=0.8, size=n) > 0.3, "yes", "no")
    path = tmp_path_factory.mktemp("sw") / "w.csv"
    pd.DataFrame({"a": a, "b": rng.normal(size=n), "color": color, "label": label, "w": rng.integers(0, 4, size=n)}).to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def weighted_model(weighted, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("swm") / "m.safetensors"
    ok("train", weighted, "-t", "label", "--sample-weight", "w", "--test-size", "0", *TRAIN, "-o", out)
    return out


@pytest.fixture(scope="module")
def weighted_onnx(weighted_model, tmp_path_factory) -> Path:
    """``weighted_model``'s ONNX export, read (never changed) by the tests of the export."""
    out = tmp_path_factory.mktemp("swo") / "m.onnx"
    ok("export", weighted_model, "--out", out)
    return out


def _load(path: Path):
    import hiddenlayers as hl

    return hl.load(path)


# --- train --------------------------------------------------------------------------------------------------------


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_train_equals_the_python_fit_with_the_same_weights(weighted, weighted_model):
    """Same seed, same preprocessing, same weights: the CLI's model predicts exactly what ``fit(sample_weight=)`` gives.
    The preprocessing is fitted on the rows of weight > 0 (those of weight 0 are as if absent)."""
    import hiddenlayers as hl
    from hiddenlayers.data import TablePreprocessor

    cli = _load(weighted_model)
    frame = pd.read_csv(weighted)
    X, y, w = frame[["a", "b", "color"]], frame["label"].to_numpy(dtype=object), frame["w"].to_numpy(dtype=np.float64)
    A = TablePreprocessor(max_categories=20).fit(X[w > 0]).transform(X).matrix
    params = cli.get_params()
    fitted = hl.MLPClassifier(**params).fit(A, y, sample_weight=w)
    unweighted = hl.MLPClassifier(**params).fit(A, y)
    got = cli.predict_proba(A)
    np.testing.assert_array_equal(got, fitted.predict_proba(A))
    assert not np.array_equal(got, unweighted.predict_proba(A))  # the weights reached the fit


def test_weight_column_is_no_feature_and_predict_needs_it_not(weighted, weighted_model, tmp_path):
    from hiddenlayers.data import TablePreprocessor

    model = _load(weighted_model)
    assert TablePreprocessor.from_dict(model.preprocessing_).feature_names == ["a", "b", "color"]
    without = tmp_path / "new.csv"
    pd.read_csv(weighted).drop(columns=["w", "label"]).to_csv(without, index=False)
    a = ok("predict", weighted_model, without).stdout
    b = ok("predict", weighted_model, weighted).stdout
    assert a == b and a.startswith("predicted_label") and len(a.splitlines()) == 121


def test_info_shows_the_weight_column(weighted, weighted_model, tmp_path):
    model = tmp_path / "plain.safetensors"
    ok("train", weighted, "-t", "label", *TRAIN, "-o", model)
    assert json.loads(ok("info", weighted_model, "--json").stdout)["training"]["sample_weight"] == "w"
    assert json.loads(ok("info", model, "--json").stdout)["training"]["sample_weight"] is None
    assert "sample weight" in ok("info", weighted_model).stdout


def test_train_summary_says_the_held_out_metrics_are_weighted(weighted, tmp_path):
    s = json.loads(ok("train", weighted, "-t", "label", "--sample-weight", "w", *TRAIN, "--json", "-o", tmp_path / "m.safetensors").stdout)
    assert s["sample_weight"] == "w" and s["test_metrics_weighted"] is True and s["features"] == 3
    text = ok("train", weighted, "-t", "label", "--sample-weight", "w", *TRAIN, "-o", tmp_path / "m2.safetensors").stdout
    assert "held-out weighted accuracy" in text and "column 'w'" in text


def test_rows_of_weight_zero_are_held_out_from_nothing(weighted, tmp_path):
    """The rows the split would hold out, all given weight 0: they are as if absent, so the split holds out a fifth of the
    others and the metrics are weighted. Before, the held-out rows were exactly those (a weighted mean over weights that
    are all 0 is undefined: the metrics fell back to plain ones, with a note)."""
    from sklearn.model_selection import train_test_split

    frame = pd.read_csv(weighted)
    _, held = train_test_split(np.arange(len(frame)), test_size=0.2, random_state=3, stratify=frame["label"])  # train's own split
    frame["w"] = 1
    frame.loc[held, "w"] = 0
    path = tmp_path / "zero_held.csv"
    frame.to_csv(path, index=False)
    result = run("train", path, "-t", "label", "--sample-weight", "w", *TRAIN, "--json", "-o", tmp_path / "m.safetensors")
    assert result.exit_code == 0, result.output
    assert "every held-out row has --sample-weight 0" not in result.stderr
    s = json.loads(result.stdout)
    assert s["test_metrics_weighted"] is True and s["test_rows"] == int(np.ceil(0.2 * (len(frame) - len(held))))


# --- evaluate -----------------------------------------------------------------------------------------------------


def _metrics(*args: object) -> dict:
    return json.loads(ok("evaluate", *args, "--json").stdout)


@pytest.mark.parametrize("task", ["classification", "regression"])
def test_evaluate_weight_two_equals_a_duplicated_row(weighted, tmp_path, task):
    """Each row of weight k counts as the row written k times (weight 0: left out), for every metric and the confusion matrix."""
    frame = pd.read_csv(weighted)
    target = "label" if task == "classification" else "b"
    model = tmp_path / "m.safetensors"
    ok("train", weighted, "-t", target, "--sample-weight", "w", "--task", task, *TRAIN, "-o", model)
    repeated = tmp_path / "rep.csv"
    frame.loc[frame.index.repeat(frame["w"])].to_csv(repeated, index=False)
    got = _metrics(model, weighted, "--sample-weight", "w")
    want = _metrics(model, repeated)
    assert got["weighted_by"] == "w" and want["weighted_by"] is None and got["rows"] == 120
    assert set(got["metrics"]) == set(want["metrics"])
    for key, value in want["metrics"].items():
        if key == "confusion_matrix":
            assert value == got["metrics"][key]  # sums of weights = counts of the written-out rows
        else:
            assert got["metrics"][key] == pytest.approx(value, rel=1e-6, abs=1e-9), key  # float32 predictions of differently batched rows
    plain = _metrics(model, weighted)["metrics"]
    assert any(plain[k] != pytest.approx(want["metrics"][k]) for k in plain if k != "confusion_matrix")


def test_evaluate_says_the_metrics_are_weighted(weighted, weighted_model):
    result = run("evaluate", weighted_model, weighted, "--sample-weight", "w")
    text = " ".join(result.stdout.split())  # the table titles wrap at the terminal's width
    assert result.exit_code == 0 and "metrics on 120 rows (weighted by column 'w')" in text and "sums of weights" in text


def test_evaluate_without_the_option_is_unweighted_and_names_the_training_column(weighted, weighted_model):
    result = run("evaluate", weighted_model, weighted)
    assert result.exit_code == 0, result.output
    assert "these metrics are unweighted: pass --sample-weight w to weight them as the training did." in result.stderr
    # the model's own weight column is named as such, not as "a column the model does not use"
    assert "left out column 'w': the weight column the model was trained with (train --sample-weight w), not an input" in result.stderr
    assert "does not use" not in result.stderr


def test_predict_names_the_model_weight_column_and_still_notes_other_extras(weighted, weighted_model, tmp_path):
    frame = pd.read_csv(weighted).assign(extra=1.0)
    data, out = tmp_path / "extra.csv", tmp_path / "p.csv"
    frame.to_csv(data, index=False)
    result = run("predict", weighted_model, data, "-o", out)
    assert result.exit_code == 0, result.output
    assert "left out column 'w': the weight column the model was trained with" in result.stderr
    assert "ignored 1 column(s) the model does not use: extra" in result.stderr
    without = tmp_path / "plain.csv"
    frame.drop(columns=["w", "extra"]).to_csv(without, index=False)
    assert "weight column" not in run("predict", weighted_model, without, "-o", tmp_path / "q.csv").stderr


def test_an_onnx_export_names_the_weight_column_as_the_model_file_does(weighted, weighted_model, weighted_onnx):
    """The export did not record the weight column: predict/evaluate of the .onnx said "ignored 1 column(s) the model does not use: w",
    and the server called it an unknown column."""
    onnx = weighted_onnx
    said = "left out column 'w': the weight column the model was trained with (train --sample-weight w), not an input"
    via_onnx, via_st = run("predict", onnx, weighted), run("predict", weighted_model, weighted)
    assert via_onnx.exit_code == 0 and said in via_onnx.stderr and "does not use" not in via_onnx.stderr
    assert via_onnx.stderr == via_st.stderr
    assert said in run("evaluate", onnx, weighted).stderr
    from hiddenlayers.ship._serve.model import RequestError, ServedModel

    row = pd.read_csv(weighted).drop(columns=["label"]).iloc[0].to_dict()
    with pytest.raises(RequestError, match="column 'w' is the weight column the model was trained with"):
        ServedModel(onnx).rows({"rows": [row]}, 10)


def test_evaluate_onnx_weighted_as_the_model_file(weighted, weighted_model, weighted_onnx):
    got, want = _metrics(weighted_onnx, weighted, "--sample-weight", "w"), _metrics(weighted_model, weighted, "--sample-weight", "w")
    assert got["weighted_by"] == "w" and got["metrics"]["accuracy"] == pytest.approx(want["metrics"]["accuracy"])


# --- refusals: one line, exit 2, nothing written ------------------------------------------------------------------


def _with(weighted: Path, tmp_path: Path, values: list) -> Path:
    frame = pd.read_csv(weighted)
    w = frame["w"].astype(object)
    for i, v in enumerate(values):
        w.iloc[i + 2] = v
    frame["w"] = w
    path = tmp_path / "bad.csv"
    frame.to_csv(path, index=False)
    return path


BAD_VALUES = [
    (["heavy"], "--sample-weight column 'w' must hold numbers but holds 'heavy' (line 4; 1 row)"),
    ([None, None], "--sample-weight column 'w' has no value on line 4 (2 rows): Input sample_weight contains NaN."),
    (["inf"], "--sample-weight column 'w' holds inf (line 4; 1 row): Input sample_weight contains infinity."),
    (["-2"], "--sample-weight column 'w' holds -2 (line 4; 1 negative row): sample_weight must be >= 0"),
]


@pytest.mark.parametrize("values, message", BAD_VALUES)
@pytest.mark.parametrize("command", ["train", "evaluate"])
def test_bad_weights_are_refused(weighted, weighted_model, tmp_path, values, message, command):
    bad = _with(weighted, tmp_path, values)
    out = tmp_path / "out.safetensors"
    args = ["train", bad, "-t", "label", *TRAIN, "-o", out] if command == "train" else ["evaluate", weighted_model, bad]
    assert_user_error(run(*args, "--sample-weight", "w"), message)
    assert not out.exists()


def test_all_zero_weights_are_refused(weighted, tmp_path):
    frame = pd.read_csv(weighted).assign(w=0)
    path = tmp_path / "zero.csv"
    frame.to_csv(path, index=False)
    out = tmp_path / "m.safetensors"
    assert_user_error(run("train", path, "-t", "label", "--sample-weight", "w", "-o", out),
                      "--sample-weight column 'w' is 0 on every row: Sample weights must contain at least one non-zero number.")
    assert not out.exists()


@pytest.mark.parametrize("extra, message", [
    (["--sample-weight", "ww"], "unknown --sample-weight column 'ww': the table has 'a', 'b', 'color', 'label', 'w'. Did you mean 'w'?"),
    (["--sample-weight", "label"], "--sample-weight 'label' is the target column: the weights must come from another column"),
    (["--sample-weight", "w", "--features", "a,w"], "--sample-weight 'w' is also listed in --features: a weight column is never a feature"),
])
@pytest.mark.parametrize("command", ["train", "lr-find", "search"])
def test_bad_weight_column_is_refused(weighted, tmp_path, extra, message, command):
    out = tmp_path / "out.safetensors"
    outputs = {"train": ["-o", out], "lr-find": [], "search": ["--out-dir", tmp_path / "found", "--trials", "1"]}[command]
    assert_user_error(run(command, weighted, "-t", "label", *extra, *outputs), message)
    assert not out.exists() and not (tmp_path / "found").exists()


def test_evaluate_refuses_a_model_input_and_an_unknown_column(weighted, weighted_model):
    assert_user_error(run("evaluate", weighted_model, weighted, "--sample-weight", "a"),
                      "--sample-weight 'a' is one of the model's input columns: a weight column is never a feature")
    assert_user_error(run("evaluate", weighted_model, weighted, "--sample-weight", "weight"), "unknown --sample-weight column 'weight'")
    assert_user_error(run("evaluate", weighted_model, weighted, "--sample-weight", "label"), "--sample-weight 'label' is the target column")


def _parts(weighted: Path, folder: Path, w: object = None) -> Path:
    """``weighted`` split into two CSV files of ``folder`` (``w``: another weight column)."""
    folder.mkdir()
    frame = pd.read_csv(weighted)
    if w is not None:
        frame["w"] = w
    frame.iloc[:60].to_csv(folder / "p1.csv", index=False)
    frame.iloc[60:].to_csv(folder / "p2.csv", index=False)
    return folder


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning", "ignore:Got `batch_size`:UserWarning")
def test_streamed_train_reads_the_weight_column_as_no_feature_and_records_it(weighted, tmp_path):
    """A folder streams its weight column (before: refused): the model is the Python API's ParquetSource(weight=) fit,
    its inputs leave the column out, the data check never judges it (constant weights are no 'constant column'), and
    the model file records it as the in-memory path does."""
    import hiddenlayers as hl
    from hiddenlayers.data import ParquetSource

    folder = _parts(weighted, tmp_path / "parts")
    out = tmp_path / "m.safetensors"
    res = ok("train", folder, "-t", "label", "--sample-weight", "w", *TRAIN, "-o", out)
    model = _load(out)
    assert model.preprocessing_["sample_weight_column"] == "w"
    assert [c["name"] for c in model.preprocessing_["columns"]] == ["a", "b", "color"]
    assert json.loads(ok("info", out, "--json").stdout)["training"]["sample_weight"] == "w"
    params = {k: v for k, v in model.get_params().items() if k != "callbacks"}
    fitted = hl.MLPClassifier(**params).fit(ParquetSource(str(folder), target="label", weight="w"))
    for p, q in zip(model.coefs_, fitted.coefs_):
        np.testing.assert_allclose(p, q, rtol=0, atol=1e-6)
    ok("train", folder, "-t", "label", "--features", "a,b,color", *TRAIN, "-o", tmp_path / "plain.safetensors")
    assert not np.allclose(_load(tmp_path / "plain.safetensors").coefs_[0], model.coefs_[0])  # the weights changed the fit
    ones = _parts(weighted, tmp_path / "ones", w=1.0)
    res = ok("train", ones, "-t", "label", "--sample-weight", "w", *TRAIN, "-o", tmp_path / "ones.safetensors")
    assert "'w'" not in res.stderr and "constant" not in res.stderr


def test_streamed_train_names_a_bad_weight_by_file_and_line(weighted, tmp_path):
    bad = _parts(weighted, tmp_path / "bad")
    text = (bad / "p2.csv").read_text().splitlines()
    text[3] = text[3].rsplit(",", 1)[0] + ",-1"  # line 4 of p2.csv
    (bad / "p2.csv").write_text("\n".join(text) + "\n")
    out = tmp_path / "m.safetensors"
    res = run("train", bad, "-t", "label", "--sample-weight", "w", *TRAIN, "-o", out)
    assert_user_error(res, "the weight column 'w' holds -1")
    assert "p2.csv' line 4" in res.stderr
    assert_user_error(run("train", bad, "-t", "label", "--sample-weight", "nope", *TRAIN, "-o", out), "no weight column 'nope'")
    assert not out.exists()


def test_prune_refuses_weights(weighted, weighted_model, tmp_path):
    out = tmp_path / "p.safetensors"
    assert_user_error(run("prune", weighted_model, weighted, "--sample-weight", "w", "-o", out), "--sample-weight is not supported by prune")
    assert not out.exists()


# --- search, lr-find, distill -------------------------------------------------------------------------------------


def test_search_gives_the_weights_to_every_trial(weighted, tmp_path):
    found = json.loads(ok("search", weighted, "-t", "label", "--sample-weight", "w", "--trials", "2", "--epochs", "5", "--widths", "8",
                          "--layers", "1", "--out-dir", tmp_path, "--no-check", "--json").stdout)
    assert found["sample_weight"] == "w"  # the result names the column that weighted the ranking score, as train --json does
    model = _load(found["paths"][0])
    from hiddenlayers.data import TablePreprocessor

    assert TablePreprocessor.from_dict(model.preprocessing_).feature_names == ["a", "b", "color"]
    assert json.loads(ok("info", found["paths"][0], "--json").stdout)["training"]["sample_weight"] == "w"


def test_lr_find_sweeps_the_weighted_loss_and_passes_the_column_on(weighted):
    def sweep(*extra: str) -> dict:
        return json.loads(ok("lr-find", weighted, "-t", "label", "--hidden", "8", "--num-steps", "20", "--json", *extra).stdout)

    got, plain = sweep("--sample-weight", "w"), sweep()
    assert "--sample-weight w" in got["train_command"] and "--sample-weight" not in plain["train_command"]
    assert got["curve"]["loss"] != plain["curve"]["loss"]


def test_distill_weights_the_student_and_the_comparison(weighted, weighted_model, tmp_path):
    def distil(*extra: str) -> dict:
        out = tmp_path / f"s{len(extra)}.safetensors"
        return json.loads(ok("distill", weighted_model, weighted, "--epochs", "5", "--seed", "1", "-o", out, "--json", *extra).stdout)

    got, plain = distil("--sample-weight", "w"), distil()
    assert got["weighted_by"] == "w" and plain["weighted_by"] is None
    assert (got["test_accuracy"], got["agreement"]) != (plain["test_accuracy"], plain["agreement"])
    # the student file records its own training's weights, not the (weighted) teacher's
    assert json.loads(ok("info", got["model"], "--json").stdout)["training"]["sample_weight"] == "w"
    assert json.loads(ok("info", plain["model"], "--json").stdout)["training"]["sample_weight"] is None
    assert "these metrics are unweighted" not in run("evaluate", plain["model"], weighted).stderr


def test_distill_from_an_unweighted_teacher_records_the_students_weights(weighted, tmp_path):
    teacher, student = tmp_path / "t.safetensors", tmp_path / "s.safetensors"
    ok("train", weighted, "-t", "label", "--features", "a,b,color", "--test-size", "0", *TRAIN, "-o", teacher)
    ok("distill", teacher, weighted, "--epochs", "3", "--sample-weight", "w", "-o", student, "--json")
    assert json.loads(ok("info", student, "--json").stdout)["training"]["sample_weight"] == "w"


# --- the column's validation --------------------------------------------------------------------------------------

CELLS = st.one_of(st.floats(allow_nan=True, allow_infinity=True, width=64), st.integers(-3, 5), st.none(), st.sampled_from(["x", "1.5", ""]))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(CELLS, min_size=1, max_size=12))
def test_row_weights_accepts_exactly_what_fit_accepts(cells):
    """Accepted iff every cell is a number, finite, >= 0 and not all 0 (``fit``'s rule); then the weights are those numbers."""
    from hiddenlayers.cli._weights import row_weights

    series = pd.Series(cells, dtype=object)
    numbers = pd.to_numeric(series.replace("", None), errors="coerce")
    text = numbers.isna() & series.replace("", None).notna()
    values = numbers.to_numpy(dtype=np.float64)
    good = not text.any() and bool(np.all(np.isfinite(values))) and bool(np.all(values >= 0)) and bool(values.any())
    if good:
        np.testing.assert_array_equal(row_weights(series.replace("", None), "w"), values)
    else:
        with pytest.raises(DataError, match=r"^--sample-weight column 'w' "):
            row_weights(series.replace("", None), "w")


def test_streamed_train_with_two_workers_reads_the_weights(weighted, tmp_path, monkeypatch):
    """`--workers 2 --sample-weight w` (before: refused) trains both processes on their shares' weights; rank 0 saves the
    model, which records the column. `--validation FILE` (before: refused with --workers) is every rank's early stopping rows. (Weighted two-rank equality with one process: tests/training/test_distributed.py.)
    The launcher runs in this process (as README's `train big/ --workers 2` does in tests/test_docs_examples.py); the
    workers are torchrun's processes."""
    import os

    folder = _parts(weighted, tmp_path / "parts")
    out, log = tmp_path / "m.safetensors", tmp_path / "log.csv"
    src = str(Path(__file__).parents[2] / "src")
    for name in ("WORLD_SIZE", "RANK", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PYTHONPATH", src + os.pathsep + os.environ.get("PYTHONPATH", ""))  # the workers import this checkout
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    monkeypatch.setenv("HIDDENLAYERS_BACKEND", "gloo")
    args = ["train", str(folder), "-t", "label", "--sample-weight", "w", "--workers", "2",  # --validation: each rank streams it too
            "--hidden", "8", "--epochs", "3", "--batch-size", "20", "--validation", str(weighted), "-o", str(out), "--log", str(log)]
    monkeypatch.setattr("sys.argv", ["hiddenlayers", *args])  # the launcher passes its command line on to the workers
    res = run(*args)
    assert res.exit_code == 0, res.output[-3000:]
    assert "(2 processes)" in res.stderr
    model = _load(out)
    assert model.preprocessing_["sample_weight_column"] == "w" and np.isfinite(model.loss_)
    assert [c["name"] for c in model.preprocessing_["columns"]] == ["a", "b", "color"]
    assert "early stopping scored 120 rows of " in res.stderr and len(model.validation_scores_) == model.n_iter_ == 3
    logged = pd.read_csv(log, index_col="epoch")  # rank 0's rows only, number for number the saved history
    assert list(logged.index) == [1, 2, 3]
    columns = ["train_loss", "val_loss", "val_score", "lr", "time"]
    pd.testing.assert_frame_equal(logged[columns], model.history_.to_frame()[columns], check_exact=True)


def test_rows_of_weight_zero_are_as_if_absent_from_the_split_and_the_preprocessing(weighted, tmp_path):
    """Weight-0 rows whose ``a`` is 1000 and whose colour is 'violet': the preprocessing counted them (a's mean and scale,
    a 'violet' category) and the --test-size split held some of them out in place of weighted rows. The model is now the
    one trained on the file without them."""
    frame = pd.read_csv(weighted)
    frame = frame[frame["w"] > 0].reset_index(drop=True)
    without, padded = tmp_path / "without.csv", tmp_path / "padded.csv"
    frame.to_csv(without, index=False)
    extra = frame.head(30).assign(a=1000.0, color="violet", w=0)
    pd.concat([frame, extra], ignore_index=True).to_csv(padded, index=False)
    models = []
    for path in (without, padded):
        out = tmp_path / f"{path.stem}.safetensors"
        ok("train", path, "-t", "label", "--sample-weight", "w", "--test-size", "0.25", *TRAIN, "-o", out)
        models.append(_load(out))
    assert models[0].preprocessing_ == models[1].preprocessing_
    X = frame[["a", "b", "color"]]
    np.testing.assert_array_equal(models[0].predict_proba(X), models[1].predict_proba(X))


def _padded(weighted: Path, tmp_path: Path) -> tuple[Path, Path]:
    """The file without its rows of weight 0, and that file with 30 rows of weight 0 whose ``a`` is 1000 and colour 'violet'."""
    frame = pd.read_csv(weighted)
    frame = frame[frame["w"] > 0].reset_index(drop=True)
    without, padded = tmp_path / "without.csv", tmp_path / "padded.csv"
    frame.to_csv(without, index=False)
    pd.concat([frame, frame.head(30).assign(a=1000.0, color="violet", w=0)], ignore_index=True).to_csv(padded, index=False)
    return without, padded


def test_lr_find_leaves_rows_of_weight_zero_out_as_train_does(weighted, tmp_path):
    """lr-find learnt a's mean and scale and a 'violet' category from weight-0 rows, and its split held some of them
    out in place of weighted rows: the sweep differed from the sweep without them. It is now that sweep."""
    got = [json.loads(ok("lr-find", path, "-t", "label", "--sample-weight", "w", "--hidden", "8", "--num-steps", "20", "--json").stdout)
           for path in _padded(weighted, tmp_path)]
    assert got[0]["curve"] == got[1]["curve"] and got[0]["rows_swept"] == got[1]["rows_swept"]


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_search_leaves_rows_of_weight_zero_out_as_train_does(weighted, tmp_path):
    """search's preprocessing counted weight-0 rows (a's scale, a 'violet' category) and its folds drew them: now the
    search, its scores and its model are those of the file without them."""
    found = []
    for path in _padded(weighted, tmp_path):
        out = tmp_path / path.stem
        found.append(json.loads(ok("search", path, "-t", "label", "--sample-weight", "w", "--trials", "2", "--epochs", "4",
                                   "--widths", "8", "--layers", "1", "--out-dir", out, "--no-check", "--json").stdout))
    assert [r["score"] for r in found[0]["rows"]] == [r["score"] for r in found[1]["rows"]]
    models = [_load(f["paths"][0]) for f in found]
    assert models[0].preprocessing_ == models[1].preprocessing_
    X = pd.read_csv(weighted)[["a", "b", "color"]]
    np.testing.assert_array_equal(models[0].predict_proba(X), models[1].predict_proba(X))
