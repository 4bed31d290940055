"""The right-sizing commands: cost, search, prune, export, and predict on an .onnx file."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cli_helpers import assert_user_error, ok, run
from hiddenlayers.cli._common import UserError
from hiddenlayers.cli._rightsize import parse_layers, parse_objectives, parse_widths


@pytest.fixture(scope="module")
def mixed(tmp_path_factory) -> Path:
    """Numeric columns (one with gaps), a categorical one with gaps and a rare value, text labels."""
    rng = np.random.default_rng(1)
    n = 200
    a = rng.normal(size=n)
    color = rng.choice(["red", "green", "blue", "teal"], size=n, p=[0.4, 0.3, 0.25, 0.05]).astype(object)
    label = np.where(a + (color == "red") > 0.3, "yes", "no")
    a[::11] = np.nan
    color[::13] = None
    path = tmp_path_factory.mktemp("rs") / "mixed.csv"
    pd.DataFrame({"a": a, "b": rng.normal(size=n), "color": color, "label": label}).to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def model(mixed) -> Path:
    out = mixed.parent / "m.safetensors"
    ok("train", mixed, "-t", "label", "--hidden", "12,6", "--epochs", "40", "--lr", "0.01", "--max-categories", "3", "-q", "-o", out)
    return out


@pytest.fixture(scope="module")
def onnx_file(model, mixed) -> tuple[Path, dict]:
    out = model.parent / "m.onnx"
    report = json.loads(ok("export", model, mixed, "--out", out, "--int8", "--json").stdout)
    return out, report


@pytest.mark.parametrize("command", ["cost", "search", "prune", "export"])
def test_help_has_an_example(command):
    assert "Example: hiddenlayers" in ok(command, "--help").output


def test_prune_help_says_its_seed_draws_the_folds():
    """prune judges each cut on cross-fitted folds (``prune(random_state=)``: "Seed of the folds"), not on one held-out split."""
    text = " ".join(ok("prune", "--help").output.split())
    assert "--seed <int> Seed of the folds each cut is judged on" in text and "held-out split" not in text


def test_cost_json_and_table(model, monkeypatch):
    monkeypatch.setenv("COLUMNS", "400")  # cost follows COLUMNS: a wide one keeps each caption sentence on one line
    r = json.loads(ok("cost", model, "--calls", "20", "--batch-size", "32", "--json").stdout)
    assert [lc["name"] for lc in r["layers"]] == ["hidden1", "hidden2", "head"]
    assert r["params"] == sum(lc["params"] for lc in r["layers"]) and r["batch_size"] == 32 and r["n_calls"] == 20
    assert r["latency_predict_p50_us"] > 0 and r["latency_predict_p99_us"] >= r["latency_predict_p50_us"] and r["throughput_per_s"] > 0
    assert r["energy_method"].startswith("measured" if r["energy_measured"] else "ESTIMATE")
    text = ok("cost", model, "--calls", "20", "--watts", "15").stdout
    assert "hidden1" in text and "total" in text and "energy (ESTIMATE)" in text and "15 W assumed" in text
    # the file's size on disk, what shipping it takes, beside the weights it holds
    assert r["file_bytes"] == model.stat().st_size > r["weight_bytes"]
    assert f"model file: {model.stat().st_size:,} bytes on disk ({r['weight_bytes']:,} bytes of weights" in text


def test_cost_errors(model, onnx_file):
    assert_user_error(run("cost", model, "--calls", "5"), "--calls must be an integer >= 10 (timed batch-1 calls). Received: 5.")
    assert_user_error(run("cost", model, "--watts", "-1"), "--watts must be a positive power in watts. Received: -1.0.")
    assert_user_error(run("cost", onnx_file[0]), "is an ONNX file: this command needs the .safetensors model file it was exported from.")
    assert_user_error(run("cost", model, "--batch-size", "0"), "--batch-size must be an integer >= 1. Received: 0.")
    assert_user_error(run("cost", "nope.safetensors"), "model file 'nope.safetensors' does not exist")


def test_export_parity_int8_and_metadata(onnx_file):
    import onnx

    path, r = onnx_file
    assert path.exists() and r["max_abs_diff"] < 1e-5 and r["parity_rows"] == 200
    assert r["input_columns"] == ["a", "b", "color"] and r["string_input_columns"] == ["color"] and r["n_inputs"] == 2
    assert r["metric"] == "accuracy" and r["score_after"] >= r["score_before"] - 0.05
    assert Path(r["quantized_path"]).exists() and r["quantized_path"].endswith("m.int8.onnx")
    props = {p.key: p.value for p in onnx.load(str(path)).metadata_props}
    assert json.loads(props["classes"]) == ["no", "yes"] and json.loads(props["target"]) == "label"
    spec = json.loads(props["hiddenlayers_inputs"])
    assert spec["numeric"] == ["a", "b"] and spec["categorical"][0]["name"] == "color" and spec["missing_token"] == ""


def test_predict_onnx_equals_safetensors(model, onnx_file, mixed, tmp_path):
    """numeric + categorical + missing + unseen values: the .onnx file predicts what the .safetensors file does."""
    frame = pd.read_csv(mixed).sample(frac=1.0, random_state=0)
    frame.loc[frame.index[:4], "color"] = "purple"  # unseen in training
    frame.loc[frame.index[4:8], "b"] = np.nan  # missing where training had none
    frame = frame[["label", "color", "b", "a"]].assign(extra=1)  # other order, an extra column
    data = tmp_path / "new.csv"
    frame.to_csv(data, index=False)
    via_onnx = ok("predict", onnx_file[0], data, "--proba")
    via_st = ok("predict", model, data, "--proba")
    a = pd.read_csv(__import__("io").StringIO(via_onnx.stdout))
    b = pd.read_csv(__import__("io").StringIO(via_st.stdout))
    assert list(a.columns) == list(b.columns) == ["predicted_label", "proba_no", "proba_yes"]
    assert (a["predicted_label"] == b["predicted_label"]).all()
    np.testing.assert_allclose(a[["proba_no", "proba_yes"]], b[["proba_no", "proba_yes"]], atol=1e-5)
    assert via_onnx.stderr == via_st.stderr  # the same notes: ignored column, values sent to <other>
    assert "ignored 1 column(s) the model does not use: extra" in via_onnx.stderr and "(color: " in via_onnx.stderr
    assert "4 missing value(s) in column(s) that had none in training (b: 4) were filled" in via_onnx.stderr  # the graph's file knows which
    out = tmp_path / "p.jsonl"
    ok("predict", onnx_file[0], data, "-o", out)
    assert len(out.read_text().splitlines()) == len(frame)
    _assert_float32_text(via_onnx.stdout, via_st.stdout)
    for suffix in (".jsonl", ".tsv"):  # -o writes the same text as stdout, by its format
        paths = [tmp_path / f"{name}{suffix}" for name in ("o", "s")]
        ok("predict", onnx_file[0], data, "--proba", "-o", paths[0])
        ok("predict", model, data, "--proba", "-o", paths[1])
        _assert_float32_text(paths[0].read_text(), paths[1].read_text())
    pq = [tmp_path / f"{name}.parquet" for name in ("o", "s")]
    ok("predict", onnx_file[0], data, "--proba", "-o", pq[0])
    ok("predict", model, data, "--proba", "-o", pq[1])
    assert [str(t) for t in pd.read_parquet(pq[0]).dtypes[1:]] == [str(t) for t in pd.read_parquet(pq[1]).dtypes[1:]] == ["float32"] * 2


def _numbers(text: str) -> list[str]:
    """The number-looking tokens of a CSV, TSV or JSONL text, in order."""
    import re

    return re.findall(r"-?\d+\.?\d*(?:e[-+]?\d+)?", text)


def _assert_float32_text(a: str, b: str) -> None:
    """Both outputs write every value as float32's shortest text (``0.999941``, never a float64 copy's 17 digits), the layout
    is identical, and the values differ by at most a few float32 steps: ONNX Runtime's float32 kernels (the scaling, matmuls,
    softmax inside the graph) and NumPy's do not round alike, so equal text for every value is not promised."""
    na, nb = _numbers(a), _numbers(b)
    assert len(na) == len(nb) > 0
    for text in na + nb:
        assert str(np.float32(text)) == text, text
    fa, fb = np.array(na, np.float32), np.array(nb, np.float32)
    np.testing.assert_allclose(fa, fb, rtol=1e-5, atol=1e-6)
    assert np.mean(fa == fb) > 0.3  # most are equal bit for bit
    strip = __import__("re").compile(r"-?\d+\.?\d*(?:e[-+]?\d+)?")
    assert strip.sub("#", a) == strip.sub("#", b)


def test_predict_onnx_regressor_and_errors(tmp_path, mixed):
    m = tmp_path / "d.safetensors"
    ok("train", "diabetes", "--hidden", "8", "--epochs", "5", "-q", "-o", m)
    o = tmp_path / "d.onnx"
    ok("export", m, "--out", o)
    a = ok("predict", o, "diabetes").stdout.splitlines()
    b = ok("predict", m, "diabetes").stdout.splitlines()
    assert a[0] == b[0] == "predicted_target" and len(a) == len(b) == 443
    np.testing.assert_allclose(np.array(a[1:], float), np.array(b[1:], float), rtol=1e-4, atol=1e-3)
    _assert_float32_text("\n".join(a), "\n".join(b))
    ok("predict", m, "diabetes", "-o", tmp_path / "d.jsonl")
    ok("predict", o, "diabetes", "-o", tmp_path / "o.jsonl")
    _assert_float32_text((tmp_path / "d.jsonl").read_text(), (tmp_path / "o.jsonl").read_text())
    assert_user_error(run("predict", o, "diabetes", "--proba"), "--proba needs a classifier; this model is a regressor: drop --proba.")
    assert_user_error(run("predict", o, mixed), "the data lacks column(s) 'age', 'sex', 'bmi'")
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"not an onnx file")
    assert_user_error(run("predict", bad, mixed), "'" + str(bad) + "' is not a readable ONNX model")
    assert_user_error(run("predict", tmp_path / "none.onnx", mixed), "does not exist: check the path, or write one with `hiddenlayers export`.")


def test_export_errors(model, mixed, onnx_file):
    assert_user_error(run("export", model, "--out", "m.txt"), "--out must end in .onnx. Received: 'm.txt'.")
    assert_user_error(run("export", model, "--out", onnx_file[0]), "already exists: pass --force to overwrite it")
    assert_user_error(run("export", model, "--target", "label", "--out", onnx_file[0].parent / "z.onnx"), "--target needs DATA")
    assert_user_error(run("export", onnx_file[0], "--out", onnx_file[0].parent / "z.onnx"), "is an ONNX file")


def test_ctrl_c_stops_prune_saves_nothing_and_exits_130(model, mixed, tmp_path, monkeypatch):
    """A Ctrl-C landed in one of prune's fits, which took it as "stop this fit" and returned: prune went on with the next
    refit or cut, saved its choice and exited 0. Now the prune stops: nothing written, "interrupted", exit 130."""
    from fit_helpers import fits_interrupted

    fits_interrupted(monkeypatch)
    out = tmp_path / "small.safetensors"
    result = run("prune", model, mixed, "--max-drop", "0.05", "--epochs", "2", "--out", out, "--json")
    assert result.exit_code == 130, result.output
    assert result.stderr.strip().splitlines()[-1] == "interrupted" and not out.exists() and result.stdout == ""


def test_prune_keeps_preprocessing_and_refuses_overwrite(model, mixed, tmp_path):
    out = tmp_path / "small.safetensors"
    r = json.loads(ok("prune", model, mixed, "--max-drop", "0.05", "--epochs", "2", "--out", out, "--json").stdout)
    assert r["units_before"] == [12, 6] and sum(r["units_after"]) <= 18 and r["params_after"] <= r["params_before"]
    assert r["score_after"] >= r["score_before"] - 0.05 - 1e-9
    assert r["drop_low"] <= r["drop"] <= r["drop_high"] <= 0.05 and r["confidence"] == 0.9 and r["cv"] == 5
    assert r["resolved"] is True and r["validation_rows"] == 200
    assert r["latency_b1_before_us"] > 0 and r["latency_b1_after_us"] > 0 and r["model"] == str(out)
    info = json.loads(ok("info", out, "--json").stdout)
    assert info["target"] == "label" and {p["column"] for p in info["preprocessing"]} == {"a", "b", "color"}
    assert [layer["units"] for layer in info["layers"][:-1]] == r["units_after"]
    assert ok("predict", out, mixed).stdout.startswith("predicted_label\n")
    assert_user_error(run("prune", model, mixed, "--out", out), "already exists: pass --force to overwrite it")
    before = model.read_bytes()  # --force over the model being pruned: refused as distill refuses its teacher (it was replaced)
    assert_user_error(run("prune", model, mixed, "--out", model, "--force"), f"--out '{model}' is the model file this command reads")
    assert model.read_bytes() == before
    assert_user_error(run("prune", model, mixed, "--out", tmp_path / "x.safetensors", "--max-drop", "2"), "--max-drop must be a score drop in [0, 1)")
    assert_user_error(run("prune", model, mixed, "-t", "nope", "--out", tmp_path / "x.safetensors"), "nope")
    # 200 rows confirm no drop below 0.0133 for a cut that changes no row: at 0.001 only a cut that gains rows would do (the
    # default 0.005 keeps one here, 12,6 -> 10,5, interval up to +0.0035, where prune said these rows "cannot confirm" it)
    res = ok("prune", model, mixed, "--epochs", "1", "--max-drop", "0.001", "--out", out, "--force")
    assert "hidden units" in res.stdout and "parameters" in res.stdout and "predict batch 1" in res.stdout
    # nothing cut: the table showed "nan" scores and a drop of "+0.0000 [+0.0000, +0.0000]", then "saved the pruned model"
    assert "no cut kept: the model is unchanged" in res.stdout and "pruned" not in res.stdout
    assert "score drop (90% interval)" in res.stdout and "+0.0000" not in res.stdout and "nan" not in res.stdout
    assert "—" in res.stdout and "(— : not measured)" in res.stdout.replace("\n", " ").replace("  ", " ")
    assert "nothing was cut" not in res.stderr and "Traceback" not in res.stderr and "UserWarning" not in res.stderr
    # before: "within max_drop=0.005 ... a larger max_drop", prune()'s parameter, where the command's option is --max-drop
    assert res.stderr.endswith("note: no cut kept: 200 rows cannot confirm any cut within --max-drop 0.001 (some cut's estimate was within it, "
                               "its interval was not; below 0.0133 only a cut that raises the score can be confirmed): pass more rows or a "
                               f"larger --max-drop; the model is unchanged (wrote an unchanged copy of it to {out})\n") and res.stderr.count("no cut kept") == 1
    assert "--max-drop 0.001: a cut is kept" in res.stdout and "max_drop" not in res.stdout
    info = json.loads(ok("info", out, "--json").stdout)
    assert [layer["units"] for layer in info["layers"][:-1]] == [12, 6]
    r = json.loads(ok("prune", model, mixed, "--epochs", "1", "--max-drop", "0.001", "--out", out, "--force", "--json").stdout)
    assert r["cut"] is False and r["model"] == str(out) and r["no_cut_reason"].startswith("200 rows cannot confirm")
    assert r["drop"] is r["drop_low"] is r["drop_high"] is r["score_after"] is r["latency_b1_after_us"] is None
    assert r["latency_b1_before_us"] > 0 and r["units_after"] == r["units_before"] == [12, 6]


@pytest.mark.parametrize("data, message", [
    ("nosuch.csv", "'nosuch.csv' is neither a file nor a bundled dataset: check the path"),
    ("-", "'-' (standard input) is not read here: save the table to a file first"),
])
def test_search_names_a_mistyped_data_before_the_study_files_a_run_left(tmp_path, data, message):
    """`search nosuch.csv` (or `cat x.csv | search -`) where an earlier run left its model files said "'.../s-trial0.safetensors'
    already exists: pass --force to overwrite the model files" (the wrong fix: --force then names the data), as check_output
    already orders it for the other commands' outputs."""
    (tmp_path / "s-trial0.safetensors").write_bytes(b"")
    assert_user_error(run("search", data, "--target", "y", "--trials", "1", "--out-dir", tmp_path, "--study", "s"), message)
    assert_user_error(run("search", "iris", "--trials", "1", "--out-dir", tmp_path, "--study", "s"), "already exists: pass --force")


def test_search_refuses_a_model_file_dropped_into_out_dir_during_the_trials_before_any_refit(tmp_path, monkeypatch):
    """A file another process wrote into --out-dir during the trials was refused only when the models were written,
    after the refits had run for nothing; now it is refused before the first refit, and left as it was."""
    from hiddenlayers.rightsize._search import result as search_result
    from hiddenlayers.rightsize._search import run as search_run

    folder, theirs = tmp_path / "found", tmp_path / "found" / "s-trial7.safetensors"
    trial = search_run.objective

    def dropping(*args):
        folder.mkdir(exist_ok=True)
        theirs.write_bytes(b"another process's model")
        return trial(*args)

    refits: list[tuple] = []
    monkeypatch.setattr(search_run, "objective", dropping)
    monkeypatch.setattr(search_result, "fit_or_interrupt", lambda *args: refits.append(args))
    result = run("search", "iris", "--no-check", "--trials", "1", "--epochs", "2", "--layers", "1", "--widths", "4",
                 "--out-dir", folder, "--study", "s", "--json")
    assert_user_error(result, f"'{theirs}' already exists: pass --force to overwrite the model files of study 's'")
    assert refits == [] and theirs.read_bytes() == b"another process's model" and [p.name for p in folder.iterdir()] == [theirs.name]


def test_search_saves_models_that_predict(tmp_path):
    folder = tmp_path / "found"
    html = tmp_path / "s.html"
    r = json.loads(ok("search", "iris", "--trials", "3", "--epochs", "15", "--layers", "1-2", "--widths", "8,16",
                      "--objectives", "accuracy,params", "--out-dir", folder, "--html", html, "--study", "irs", "--json").stdout)
    assert r["objectives"] == ["score", "params"] and r["n_trials"] == 3 and 1 <= len(r["rows"]) <= 3
    assert all(set(row["hidden"].split(",")) <= {"8", "16"} for row in r["rows"])
    assert len(r["paths"]) == len(r["rows"]) and all(Path(p).name.startswith("irs-trial") for p in r["paths"])
    page = html.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "<svg" in page and "<?xml" not in page and "Content-Security-Policy" in page
    pred = ok("predict", r["paths"][0], "iris").stdout.splitlines()
    assert pred[0] == "predicted_target" and len(pred) == 151 and pred[1] in ("setosa", "versicolor", "virginica")
    assert_user_error(run("search", "iris", "--trials", "1", "--out-dir", folder, "--study", "irs"), "already exists: pass --force to overwrite the model files of study 'irs'")


def test_search_table_output(table, tmp_path):
    text = ok("search", table, "-t", "label", "--trials", "2", "--epochs", "5", "--widths", "4", "--layers", "1",
              "--out-dir", tmp_path, "--max-params", "1000").stdout
    assert "best trial" in text and "saved " in text


@pytest.mark.parametrize(("args", "message"), [
    (["--layers", "0-2"], "--layers must be MIN-MAX with 1 <= MIN <= MAX <= 8. Received: '0-2'."),
    (["--layers", "3-1"], "--layers must be MIN-MAX with 1 <= MIN <= MAX <= 8. Received: '3-1'."),
    (["--layers", "two"], "--layers takes a count or a range like 1-3. Received: 'two'."),
    (["--widths", "16,x"], "--widths takes comma-separated whole numbers like 16,32,64. Received: '16,x'."),
    (["--widths", "0,16"], "--widths must be between 1 and 65536. Received: '0,16'."),
    (["--activations", "relu,tahn"], "--activations: unknown activation 'tahn'"),
    (["--objectives", "accuracy,energy"], "--objectives: unknown objective 'energy'; choose from accuracy (or r2), params, flops, latency"),
    (["--trials", "0"], "--trials must be an integer >= 1. Received: 0."),
    (["--max-latency-us", "0"], "--max-latency-us must be a positive number of microseconds. Received: 0.0."),
    (["--storage", "foo.txt"], "storage must be a journal file"),
    (["--max-params", "10"], "no hidden-layer spec of the space fits --max-params 10:"),
])
def test_search_option_errors(args, message, tmp_path):
    # iris has a duplicate row: the data check's summary would come first, were the options not checked before the data
    assert_user_error(run("search", "iris", "--trials", "1", "--epochs", "2", "--out-dir", tmp_path, *args), message)


def test_search_refuses_an_out_dir_it_cannot_write_before_any_trial(tmp_path, monkeypatch):
    # a read-only --out-dir failed only at the best model's save, after every trial had trained
    import errno
    import tempfile

    def read_only(*args, **kwargs):
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(tempfile, "TemporaryFile", read_only)
    assert_user_error(run("search", "iris", "--trials", "1", "--epochs", "2", "--out-dir", tmp_path / "models"),
                      f"--out-dir '{tmp_path / 'models'}' cannot be written (Read-only file system): choose a folder you can write to.")
    assert not (tmp_path / "models").exists()


@pytest.mark.parametrize("args", [["--storage", "foo.txt"], ["--max-params", "10"], ["--workers", "0"]])
def test_search_option_errors_come_before_the_data_is_read(args, tmp_path, monkeypatch):
    """Data with a warning-level finding (duplicate rows) and a mistyped option: one error line, exit 2,
    and the table never read (the check's summary came first, and a big file was read, before the option's error)."""
    import hiddenlayers.cli._check as check
    import hiddenlayers.cli._data as data

    rows = [f"{i % 7},{(i * 3) % 5},{i % 2}" for i in range(40)]
    (tmp_path / "t.csv").write_text("a,b,label\n" + "\n".join(rows + rows[:10]) + "\n")
    res = run("search", tmp_path / "t.csv", "-t", "label", "--trials", "1", "--epochs", "1", "--out-dir", tmp_path / "m")
    assert res.exit_code == 0 and "duplicate" in res.stderr  # the data has a finding the summary names

    def unread(*a, **k):
        raise AssertionError("the table was read before the options were checked")

    monkeypatch.setattr(check, "read_checked", unread)
    monkeypatch.setattr(data, "prepare", unread)
    res = run("search", tmp_path / "t.csv", "-t", "label", "--trials", "1", "--out-dir", tmp_path / "m2", *args)
    assert res.exit_code == 2 and len(res.stderr.strip().splitlines()) == 1 and res.stderr.startswith("error: "), res.stderr
    assert "Traceback" not in res.output


def test_prune_refuses_a_fatal_finding_before_any_note_on_unseen_values(tmp_path):
    """A model with a category column, data with a value it never saw AND one class only: the refusal is the one line
    (the note on the unseen value came first); with data that prune accepts, the note is still said."""
    rng = np.random.default_rng(0)
    n = 60
    train = pd.DataFrame({"a": rng.normal(size=n), "color": rng.choice(["red", "blue"], size=n), "label": rng.choice(["yes", "no"], size=n)})
    train.to_csv(tmp_path / "train.csv", index=False)
    model = tmp_path / "m.safetensors"
    ok("train", tmp_path / "train.csv", "-t", "label", "--hidden", "4", "--epochs", "2", "-q", "-o", model)
    unseen = train.assign(color=["green"] + list(train.color[1:]))
    unseen.assign(label="yes").to_csv(tmp_path / "one.csv", index=False)
    assert_user_error(run("prune", model, tmp_path / "one.csv", "--epochs", "1", "-o", tmp_path / "x.safetensors"),
                      "data check: the target has only one class ('yes')")
    unseen.to_csv(tmp_path / "fine.csv", index=False)
    res = ok("prune", model, tmp_path / "fine.csv", "--epochs", "1", "--max-drop", "0.5", "-o", tmp_path / "y.safetensors")
    assert "note: 1 value(s) outside the categories kept in training" in res.stderr, res.stderr


def test_parse_objectives():
    assert parse_objectives("params, Accuracy,latency") == ("score", "params", "latency")
    assert parse_objectives("r2") == ("score",) and parse_objectives("latency") == ("score", "latency")


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=12))
def test_parse_layers_garbage_is_clean(text):
    try:
        lo, hi = parse_layers(text)
    except UserError as exc:
        assert str(exc).startswith("--layers ") and "Received:" in str(exc)
    else:
        assert 1 <= lo <= hi <= 8


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 8), st.integers(0, 7))
def test_parse_layers_round_trip(lo, extra):
    hi = min(8, lo + extra)
    assert parse_layers(f"{lo}-{hi}") == (lo, hi) and parse_layers(str(lo)) == (lo, lo)


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.text(max_size=20), st.lists(st.integers(-5, 70000), max_size=6).map(lambda v: ",".join(map(str, v)))))
def test_parse_widths_garbage_is_clean(text):
    try:
        widths = parse_widths(text)
    except UserError as exc:
        assert str(exc).startswith("--widths ") and "Received:" in str(exc)
    else:
        assert widths and list(widths) == sorted(set(widths)) and all(1 <= w <= 65536 for w in widths)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(1, 65536), min_size=1, max_size=8))
def test_parse_widths_round_trip(values):
    assert parse_widths(" , ".join(map(str, values))) == tuple(sorted(set(values)))


# ------------------------------------------------------------------ export: what it writes, and nothing when it fails
def test_export_with_data_and_no_int8_reports_the_score_and_keeps_the_umask(model, mixed, tmp_path):
    """Without --int8 the score is one figure (it crashed formatting the missing int8 one); new files get 0666 less the umask."""
    import os

    out = tmp_path / "e.onnx"
    old = os.umask(0o022)
    try:
        table = ok("export", model, mixed, "--out", out).stdout
        report = json.loads(ok("export", model, mixed, "--out", out, "-f", "--json").stdout)
    finally:
        os.umask(old)
    assert report["metric"] == "accuracy" and report["score_before"] is not None and report["score_after"] is None
    assert f"{report['score_before']:.4f}" in table and "(int8)" not in table
    assert out.stat().st_mode & 0o777 == 0o644
    assert sorted(p.name for p in tmp_path.iterdir()) == ["e.onnx"]


def test_a_failing_export_leaves_the_old_file_and_nothing_else(model, mixed, tmp_path, monkeypatch):
    """Every check runs before a file is written: a failure at the last step (here the score) changes no byte."""
    from hiddenlayers.ship import _export

    out = tmp_path / "e.onnx"
    ok("export", model, "--out", out)
    before = out.read_bytes()

    def fail(*args, **kwargs):
        raise ValueError("scoring failed")

    monkeypatch.setattr(_export, "_score", fail)
    for flags in ((), ("--int8",)):
        result = run("export", model, mixed, "--out", out, "-f", *flags)
        assert result.exit_code == 2 and result.stderr.strip().splitlines()[-1] == "error: scoring failed", result.output  # after the data's note
        assert out.read_bytes() == before
        assert sorted(p.name for p in tmp_path.iterdir()) == ["e.onnx"]


def test_export_int8_tolerance_refuses_the_int8_file_over_it_and_writes_the_float_file(model, mixed, onnx_file, tmp_path):
    measured = onnx_file[1]["quantized_max_abs_diff"]
    assert onnx_file[1]["quantized_tolerance"] is None and "200 parity rows of X" in onnx_file[1]["quantized_compared"]
    out, qout = tmp_path / "t.onnx", tmp_path / "t.int8.onnx"
    result = run("export", model, mixed, "--out", out, "--int8", "--int8-tolerance", measured / 2, "--json")
    assert result.exit_code == 2 and "Traceback" not in result.output  # after the data's note: one error line, last
    assert result.stderr.strip().splitlines()[-1] == (f"error: the int8 copy's answers differ from the model's by {measured:.3g} on 200 parity rows of X, over "
                              f"--int8-tolerance {measured / 2:g}: {qout} was not written (the float file {out} was); ship the float "
                              "file, or raise --int8-tolerance if that difference is acceptable.")
    report = json.loads(result.stdout)  # the float file's report, and why the int8 one is not there
    assert report["quantized_path"] is None and report["quantized_refused"] and report["quantized_tolerance"] == measured / 2
    assert out.exists() and not qout.exists()
    table = run("export", model, mixed, "--out", out, "--int8", "--int8-tolerance", measured / 2, "-f")
    assert table.exit_code == 2 and "not written: over the tolerance" in table.stdout and not qout.exists()
    report = json.loads(ok("export", model, mixed, "--out", out, "--int8", "--int8-tolerance", measured * 2, "-f", "--json").stdout)
    assert report["quantized_path"] == str(qout) and qout.exists() and report["quantized_tolerance"] == measured * 2


def test_export_int8_tolerance_errors(model, tmp_path):
    out = tmp_path / "e.onnx"
    assert_user_error(run("export", model, "--out", out, "--int8-tolerance", "0.1"),
                      "--int8-tolerance bounds the int8 copy's answers: pass --int8 too, or leave --int8-tolerance out.")
    for bad in ("-0.1", "nan"):
        assert_user_error(run("export", model, "--out", out, "--int8", "--int8-tolerance", bad),
                          "--int8-tolerance must be a number >= 0 (the largest difference of the int8 copy's answers from the model's), e.g. 0.05.")
    assert list(tmp_path.iterdir()) == []


def test_export_refuses_a_missing_folder_and_a_fifo(model, tmp_path):
    """Like every writer: a missing folder is not created, and a FIFO (or device) is never replaced by a plain file."""
    import os
    import stat

    assert_user_error(run("export", model, "--out", tmp_path / "nodir" / "e.onnx"),
                      f"folder '{tmp_path / 'nodir'}' does not exist: create it first or choose another output path")
    assert not (tmp_path / "nodir").exists()
    fifo = tmp_path / "f.onnx"
    os.mkfifo(fifo)
    for flags in ((), ("-f",)):
        assert_user_error(run("export", model, "--out", fifo, *flags),
                          f"'{fifo}' is not a regular file (a device, FIFO or socket): choose a file path for --out.")
    int8_fifo = tmp_path / "g.int8.onnx"
    os.mkfifo(int8_fifo)
    assert_user_error(run("export", model, "--out", tmp_path / "g.onnx", "--int8", "-f"),
                      f"'{int8_fifo}' is not a regular file (a device, FIFO or socket): choose a file path for int8 output.")
    assert stat.S_ISFIFO(fifo.stat().st_mode) and stat.S_ISFIFO(int8_fifo.stat().st_mode)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f.onnx", "g.int8.onnx"]
    folder = tmp_path / "x.onnx"
    folder.mkdir()
    assert_user_error(run("export", model, "--out", folder), f"--out path '{folder}' is a folder: give a file name, e.g. '{folder / 'model.onnx'}'.")


# --- search: --storage and --html checked before any trial runs -----------------

@pytest.fixture()
def small(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 3))
    path = tmp_path / "good.csv"
    pd.DataFrame(X, columns=list("abc")).assign(y=(X[:, 0] > 0).astype(int)).to_csv(path, index=False)
    return path


@pytest.mark.parametrize(
    ("name", "content", "option", "message"),
    [
        ("nodir/x.db", None, "--storage", "--storage: folder '{d}/nodir' does not exist: create it first, or give a path in an existing folder."),
        ("nodir/x.log", None, "--storage", "--storage: folder '{d}/nodir' does not exist: create it first"),
        ("random.db", bytes(range(256)) * 8, "--storage", "--storage: '{d}/random.db' is not an Optuna study database or journal: it is not a SQLite file."),
        ("random.log", bytes(range(256)) * 8, "--storage", "--storage: '{d}/random.log' is not an Optuna study database or journal: line 1 is not a JSON record."),
        ("notes.log", b'{"a": 1}\n', "--storage", "'{d}/notes.log' is not an Optuna study database or journal: line 1 is not an Optuna journal record."),
        ("nodir/x.html", None, "--html", "folder '{d}/nodir' of --html '{d}/nodir/x.html' does not exist"),
        ("x.txt", None, "--html", "--html must end in .html (the report is one HTML page). Received: '{d}/x.txt'."),
    ],
)
def test_search_checks_storage_and_html_first(small, tmp_path, monkeypatch, name, content, option, message):
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    import hiddenlayers.rightsize as rs

    monkeypatch.setattr(rs, "search", lambda *a, **k: pytest.fail("the search ran"))
    result = run("search", small, "-t", "y", "--trials", "1", "--epochs", "1", "--out-dir", tmp_path / "sd", option, path)
    assert_user_error(result, message.format(d=tmp_path))
    assert not (tmp_path / "sd").exists()
    if content is not None:
        assert path.read_bytes() == content  # left exactly as it was



@pytest.mark.parametrize("url", ["sqlite:", "sqlite://", "sqlite:/s.db"])
def test_search_refuses_a_sqlite_url_naming_no_file_before_reading_the_table(small, tmp_path, monkeypatch, url):
    """Was an internal error after the data check ('sqlite:'), Optuna's heartbeat tracebacks ('sqlite://', in memory) or a
    new folder 'sqlite:' ('sqlite:/s.db')."""
    import hiddenlayers.cli._data as cli_data

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(cli_data, "prepare", lambda *a, **k: pytest.fail("the table was read"))
    result = run("search", small, "-t", "y", "--trials", "1", "--out-dir", "sd", "--storage", url)
    assert_user_error(result, f"storage={url!r} names no SQLite file: write sqlite:///search.db")
    assert [p.name for p in tmp_path.iterdir()] == [small.name]  # no folder 'sqlite:', no --out-dir


def test_search_refuses_an_empty_study_name_before_reading_the_table(small, tmp_path, monkeypatch):
    import hiddenlayers.cli._data as cli_data

    monkeypatch.setattr(cli_data, "prepare", lambda *a, **k: pytest.fail("the table was read"))
    result = run("search", small, "-t", "y", "--trials", "1", "--out-dir", tmp_path / "sd", "--study", "")
    assert_user_error(result, "--study: study_name must be a non-empty string (the study's name in storage, and the model files' prefix).")
    assert not (tmp_path / "sd").exists()


def test_search_refuses_a_storage_it_cannot_write(small, tmp_path, monkeypatch):
    """Under a file, in a read-only folder, a read-only journal: exit 2 and one line naming the path (was a traceback)."""
    import hiddenlayers.rightsize as rs
    from privilege_helpers import read_only_places, run_unprivileged

    monkeypatch.setattr(rs, "search", lambda *a, **k: pytest.fail("the search ran"))
    (tmp_path / "notes.txt").write_text("x")
    for under in (tmp_path / "notes.txt" / "s.log", tmp_path / "notes.txt" / "runs" / "s.journal"):
        assert_user_error(run("search", small, "-t", "y", "--trials", "1", "--out-dir", tmp_path / "sd", "--storage", under),
                          f"--storage: folder '{under.parent}' cannot be created: '{tmp_path / 'notes.txt'}' is a file. Give a path in a folder.")
    read_only_places(tmp_path)

    def attempt(storage: str):
        def go() -> str:
            r = run("search", small.name, "-t", "y", "--trials", "1", "--out-dir", "sd", "--storage", storage)
            return f"{r.exit_code}|{'Traceback' in r.output}|{r.stderr.strip()}"
        return go

    cases = {
        "ro/s.log": "--storage: folder 'ro' is not writable (the study writes its file and a lock file there): "
                    "give a path in a folder you can write to.",
        "rw/old.log": "--storage: 'rw/old.log' is read-only: make it writable (chmod u+w) to add trials to it, or give a new file name.",
    }
    for storage, message in cases.items():
        assert run_unprivileged(attempt(storage), tmp_path) == f"2|False|error: {message}", storage
    assert not (tmp_path / "sd").exists() and list((tmp_path / "ro").iterdir()) == []

def test_search_refuses_a_foreign_sqlite_database(small, tmp_path):
    import sqlite3

    db = tmp_path / "other.db"
    with sqlite3.connect(db) as con:
        con.execute("CREATE TABLE people (name TEXT)")
    before = db.read_bytes()
    assert_user_error(run("search", small, "-t", "y", "--trials", "1", "--out-dir", tmp_path / "sd", "--storage", db),
                      "is not an Optuna study database or journal: it is a SQLite database with other tables (people).")
    assert db.read_bytes() == before


@settings(max_examples=30, deadline=None)
@given(st.binary(max_size=64))
def test_storage_problem_never_raises_and_leaves_the_file(data):
    import tempfile

    from hiddenlayers.rightsize import storage_problem

    with tempfile.TemporaryDirectory() as d:
        for suffix in (".db", ".log"):
            path = Path(d) / f"s{suffix}"
            path.write_bytes(data)
            why = storage_problem(str(path))
            assert why is None or why.startswith(f"'{path}' is not an Optuna study database or journal: ")
            assert path.read_bytes() == data


def test_predict_refuses_values_beyond_float32(model, onnx_file, mixed, tmp_path):
    """A value the network cannot hold in float32 is one error line (it printed empty probabilities and exited 0)."""
    frame = pd.read_csv(mixed).head(5)
    frame.loc[frame.index[1], "b"] = 1e308
    data = tmp_path / "huge.csv"
    frame.to_csv(data, index=False)
    message = ("error: column 'b' must be within ±3.4e38 (float32, which the model computes in; after the stored scaling) "
               "but line 3 holds 1e+308: fix the value or leave it empty.")  # the file line (it said "row 2")
    for flags in ((), ("--proba",)):
        result = run("predict", model, data, *flags)
        assert result.exit_code == 2 and result.stdout == "" and result.stderr.strip() == message
    result = run("predict", onnx_file[0], data, "--proba")
    assert result.exit_code == 2 and result.stdout == "" and result.stderr.strip() == (
        "error: the model's output for line 3 is not finite (its values are so far from the training data that the network overflows): "
        "fix that row's values.")


def _numbers_as_text(tmp_path: Path) -> Path:
    """A Parquet table whose 'price' is a string column of numbers (a data-check warning) and a text label."""
    rng = np.random.default_rng(3)
    n = 120
    a = rng.normal(size=n)
    frame = pd.DataFrame({"a": a, "price": pd.Series([f"{v:.2f}" for v in rng.normal(50, 10, n)], dtype="string"),
                          "label": np.where(a + rng.normal(size=n) > 0, "yes", "no")})  # noisy: no leak
    path = tmp_path / "prices.parquet"
    frame.to_parquet(path)
    return path


def _infinite(tmp_path: Path) -> Path:
    """A CSV whose column 'a' holds one infinite value (row 4): a fatal finding of the data check."""
    path = tmp_path / "inf.csv"
    rows = [f"{i % 7},{i % 3},{'yes' if i % 2 else 'no'}" for i in range(30)]
    rows[4] = "inf,1,no"
    path.write_text("a,b,label\n" + "\n".join(rows) + "\n")
    return path


def test_search_prints_the_data_check_and_refuses_fatal_findings(tmp_path):
    """search ran no data check: its findings went unsaid, and a fatal one surfaced, if at all, as another error."""
    data, folder = _numbers_as_text(tmp_path), tmp_path / "found"
    args = ("--trials", "1", "--epochs", "2", "--layers", "1", "--widths", "8", "--out-dir", folder, "--json")
    res = ok("search", data, "-t", "label", *args)
    lines = res.stderr.splitlines()
    assert "data check: 120 rows x 2 columns: 1 warning (details: hiddenlayers check)" in lines, res.stderr
    assert any(ln.startswith("  warning numeric_text_columns: 1 column(s) hold numbers as text") for ln in lines), res.stderr
    assert "column 'price'" not in res.stderr  # the preprocessing's own note for it is left out: said once
    res = ok("search", data, "-t", "label", *args, "--force", "--no-check")
    assert "data check" not in res.stderr and "note: column 'price' holds numbers as text" in res.stderr
    bad = _infinite(tmp_path)
    assert_user_error(run("search", bad, "-t", "label", *args, "--force"),
                      "data check: 1 column(s) hold infinite values: a (line 6): replace them")


def test_search_a_budget_the_datas_columns_cannot_fit_is_refused_before_anything_is_printed(tmp_path):
    """--max-params that fits a network on one column (25 parameters at width 8) but not on this table's encoded columns:
    one error line, exit 2, nothing on stdout and nothing written. Before, the data check's summary (a warning here)
    and the notes came first, the error after them."""
    data, folder = _numbers_as_text(tmp_path), tmp_path / "found"
    res = run("search", data, "-t", "label", "--trials", "1", "--epochs", "2", "--layers", "1", "--widths", "8",
              "--max-params", "30", "--out-dir", folder)
    assert_user_error(res, "no hidden-layer spec of the space fits --max-params 30:")
    assert res.stdout == "" and not folder.exists()
    ok("search", data, "-t", "label", "--trials", "1", "--epochs", "2", "--layers", "1", "--widths", "8",
       "--max-params", "1000", "--out-dir", folder, "--json")  # a budget the data fits: the search runs


def test_prune_prints_the_data_check_and_refuses_fatal_findings(tmp_path):
    """prune ran no data check on its data: the same findings as train, on the columns and target the model reads."""
    data = _numbers_as_text(tmp_path)
    model, out = tmp_path / "m.safetensors", tmp_path / "small.safetensors"
    ok("train", data, "-t", "label", "--hidden", "8", "--epochs", "5", "-q", "-o", model)
    res = ok("prune", model, data, "--epochs", "1", "--max-drop", "0.2", "-o", out)
    lines = res.stderr.splitlines()
    assert "data check: 120 rows x 2 columns: 1 warning (details: hiddenlayers check)" in lines, res.stderr
    assert any(ln.startswith("  warning numeric_text_columns: 1 column(s) hold numbers as text") for ln in lines), res.stderr
    res = ok("prune", model, data, "--epochs", "1", "--max-drop", "0.2", "-o", out, "--force", "--no-check")
    assert "data check" not in res.stderr
    nums = tmp_path / "nums.csv"  # numbers only: no note on unseen categories before the error
    pd.read_parquet(data).drop(columns=["price"]).to_csv(nums, index=False)
    ok("train", nums, "-t", "label", "--hidden", "8", "--epochs", "2", "-q", "-o", model, "--force")
    one = tmp_path / "one.csv"  # the model's two classes, but one in this data: refused as train refuses it
    pd.read_csv(nums).assign(label="yes").to_csv(one, index=False)
    res = run("prune", model, one, "--epochs", "1", "-o", tmp_path / "x.safetensors")
    assert_user_error(res, "data check: the target has only one class ('yes')")
    assert not (tmp_path / "x.safetensors").exists()


# --- search: --class-weight and --label-smoothing, as train takes them; info shows them -----------------
def test_search_class_weight_and_label_smoothing_reach_the_saved_models_and_info_shows_them(table, tmp_path):
    r = json.loads(ok("search", table, "-t", "label", "--trials", "2", "--epochs", "3", "--widths", "4", "--layers", "1",
                      "--class-weight", "balanced", "--label-smoothing", "0.1", "--out-dir", tmp_path, "--no-check", "--json").stdout)
    import hiddenlayers as hl

    found = hl.load(r["paths"][0])
    assert found.class_weight == "balanced" and found.label_smoothing == 0.1
    shown = json.loads(ok("info", r["paths"][0], "--json").stdout)["training"]
    assert shown["class_weight"] == "balanced" and shown["label_smoothing"] == 0.1
    text = ok("info", r["paths"][0]).stdout
    assert "class weight" in text and "balanced" in text and "label smoothing" in text and "0.1" in text


def test_search_class_weight_labels_are_matched_to_the_target_s_classes(table, tmp_path):
    labels = sorted(pd.read_csv(table)["label"].astype(str).unique())
    weights = ",".join(f"{c}={i + 1}" for i, c in enumerate(labels))
    r = json.loads(ok("search", table, "-t", "label", "--trials", "1", "--epochs", "2", "--widths", "4", "--layers", "1",
                      "--class-weight", weights, "--out-dir", tmp_path, "--no-check", "--json").stdout)
    shown = json.loads(ok("info", r["paths"][0], "--json").stdout)["training"]
    assert shown["class_weight"] == weights and shown["label_smoothing"] is None  # as --class-weight takes it; 0 is not set


def test_info_says_nothing_of_weights_a_model_was_not_trained_with(model):
    shown = json.loads(ok("info", model, "--json").stdout)["training"]
    assert shown["class_weight"] is None and shown["label_smoothing"] is None
    assert "class weight" not in ok("info", model).stdout


@pytest.mark.parametrize(("args", "message"), [
    (["--class-weight", "setosa=1,x"], "--class-weight takes 'balanced' or LABEL=WEIGHT for every class, e.g. 0=1,1=10. Received: 'setosa=1,x'."),
    (["--class-weight", "setosa=0,versicolor=1,virginica=1"], "--class-weight: class_weight must give each class a finite weight > 0."),
    (["--class-weight", "setosa=1,virginica=2"], "--class-weight gives no weight to the class(es) ['versicolor'] of the target: name every class"),
    (["--class-weight", "rose=1"], "--class-weight names 'rose', which is not a class of the target: the classes are"),
    (["--label-smoothing", "1"], "--label-smoothing: label_smoothing must be a share of each target in [0, 1), e.g. 0.1 (0: none). Received: label_smoothing=1.0."),
])
def test_search_class_weight_and_label_smoothing_errors(args, message, tmp_path, monkeypatch):
    from hiddenlayers.rightsize._search import run as trials

    monkeypatch.setattr(trials, "objective", lambda *a, **k: pytest.fail("a trial ran"))
    assert_user_error(run("search", "iris", "--trials", "1", "--epochs", "1", "--out-dir", tmp_path, "--no-check", *args), message)


def test_search_refuses_class_weight_and_label_smoothing_for_a_regression_target(tmp_path):
    rng = np.random.default_rng(0)
    data = tmp_path / "r.csv"
    pd.DataFrame({"a": rng.normal(size=40), "y": rng.normal(size=40)}).to_csv(data, index=False)
    for option, value in (("--class-weight", "balanced"), ("--label-smoothing", "0.1")):
        assert_user_error(run("search", data, "-t", "y", "--trials", "1", "--out-dir", tmp_path / "m", "--no-check", option, value),
                          f"{option} applies to classification, and this target is regression: drop it.")


@pytest.mark.parametrize("with_storage", [True, False])
def test_search_ctrl_c_stops_with_one_line_and_the_way_to_resume(tmp_path, monkeypatch, with_storage):
    from hiddenlayers.rightsize._search import run as run_module

    real_end = run_module.FoldScore.on_epoch_end

    def on_epoch_end(self, **kwargs):  # Ctrl-C at the second epoch of the first trial, inside the estimator's fit
        real_end(self, **kwargs)
        if len(self.curve) == 2:
            raise KeyboardInterrupt

    monkeypatch.setattr(run_module.FoldScore, "on_epoch_end", on_epoch_end)
    storage = tmp_path / "s.db"
    extra = ["--storage", storage] if with_storage else []
    result = run("search", "iris", "--trials", "4", "--epochs", "5", "--widths", "4", "--layers", "1",
                 "--out-dir", tmp_path / "found", "--study", "st", *extra)
    # before: the fit took Ctrl-C as "stop this fit", and the search ran its 4 trials and exited 0
    assert result.exit_code == 130, result.output
    lines = result.stderr.strip().splitlines()
    assert lines[-1] == "interrupted" and "Traceback" not in result.output
    hint = f"note: the finished trials are kept in {storage}: the same command resumes study 'st'" if with_storage else \
        "note: the trials were in memory and are lost: pass --storage FILE.db to make a search resumable"
    assert lines[-2] == hint
    assert not (tmp_path / "found").exists() or not list((tmp_path / "found").iterdir())


def test_search_force_replaces_the_studys_model_files(tmp_path):
    folder = tmp_path / "found"
    args = ("search", "iris", "--trials", "1", "--epochs", "3", "--widths", "4", "--layers", "1", "--out-dir", folder, "--study", "st", "--json")
    first = json.loads(ok(*args).stdout)["paths"]
    stale, other = folder / "st-trial99.safetensors", folder / "st-trial7x-trial1.safetensors"  # an earlier front's file; another study's
    stale.write_bytes(Path(first[0]).read_bytes())
    other.write_bytes(Path(first[0]).read_bytes())
    Path(first[0]).rename(folder / "st-trial98.safetensors")
    result = ok(*args, "--force")
    paths = json.loads(result.stdout)["paths"]
    # before: st-trial98 and st-trial99 stayed beside the new front, which --force's message says it overwrites
    assert sorted(p.name for p in folder.iterdir()) == sorted([Path(p).name for p in paths] + [other.name])
    assert "note: removed 2 model file(s) of study 'st' no longer chosen: st-trial98.safetensors, st-trial99.safetensors" in result.stderr


def test_search_resumed_study_refusal_names_the_study_option(tmp_path):
    storage = tmp_path / "s.db"
    args = ("search", "iris", "--trials", "1", "--epochs", "2", "--widths", "4", "--layers", "1", "--storage", storage, "--study", "st",
            "--out-dir", tmp_path / "found", "--force", "--no-check")
    ok(*args, "--objectives", "accuracy,params")
    # before: "... use another study_name." (search()'s parameter; the command's option is --study), then the directions
    # "['maximize']" rather than the objectives the study was run with
    assert_user_error(run(*args, "--objectives", "accuracy", "--trials", "2"),
                      "was run for the objectives score, params, and this search has score: their values do not compare. Pass a new --study, "
                      "or the objectives the study was run with.")


def test_search_resumed_on_another_target_is_refused(tmp_path):
    data = tmp_path / "wine.csv"
    from sklearn.datasets import load_wine

    load_wine(as_frame=True).frame.to_csv(data, index=False)
    storage = tmp_path / "s.db"
    args = ("search", data, "--trials", "1", "--epochs", "2", "--widths", "4", "--layers", "1", "--storage", storage,
            "--out-dir", tmp_path / "found", "--force", "--no-check")
    ok(*args, "--target", "target")
    # before: the regression of alcohol resumed the study of the wine classes and saved trial 0 (ranked by its accuracy) refitted on alcohol
    result = run(*args, "--target", "alcohol", "--trials", "2")
    assert_user_error(result, "holds trials scored on other data (classification on 178 rows x 13 columns")
    assert "Pass a new --study, or the data and target the study was run with." in result.stderr


def test_search_resumed_with_other_epochs_is_refused_before_any_trial(tmp_path):
    import optuna

    storage = tmp_path / "s.db"
    args = ("search", "iris", "--widths", "4", "--layers", "1", "--storage", storage, "--study", "st", "--out-dir", tmp_path / "found",
            "--force", "--no-check")
    ok(*args, "--trials", "1", "--epochs", "2")
    # before: accepted, and the best was chosen across trials trained for 2 and for 3 epochs
    result = run(*args, "--trials", "2", "--epochs", "3", "--workers", "2")
    assert_user_error(result, f"study 'st' in {storage} holds trials scored with --epochs 2, and this search has --epochs 3: scores earned "
                              "under another training budget do not rank together. Pass --epochs 2 (the study's), or a new --study.")
    assert len(optuna.load_study(study_name="st", storage=f"sqlite:///{storage}").trials) == 1  # nothing ran
    ok(*args, "--trials", "2", "--epochs", "2", "--timeout", "600")  # the study's epochs go on; --timeout, --workers are no budget
    # a study scored under another patience (from Python): the command's --patience resumes it
    done = optuna.load_study(study_name="st", storage=f"sqlite:///{storage}").trials
    other = optuna.create_study(study_name="py", storage=f"sqlite:///{storage}", direction="maximize")
    for t in done:
        attrs = {**t.user_attrs, "budget": {**t.user_attrs["budget"], "patience": 3}}
        other.add_trial(optuna.trial.create_trial(params=t.params, distributions=t.distributions, value=t.value, state=t.state, user_attrs=attrs))
    result = run(*args[:-6], "--study", "py", "--out-dir", tmp_path / "found", "--force", "--no-check", "--trials", "3", "--epochs", "2")
    assert_user_error(result, "holds trials scored with --patience 3, and this search has --patience 10: scores earned under another training "
                              "budget do not rank together. Pass --patience 3 (the study's), or a new --study.")


def test_search_whose_trials_all_diverge_says_why_in_one_line(tmp_path):
    data = tmp_path / "diabetes.csv"
    from sklearn.datasets import load_diabetes

    load_diabetes(as_frame=True).frame.to_csv(data, index=False)
    result = run("search", data, "--target", "target", "--trials", "2", "--epochs", "2", "--layers", "1",
                 "--lr", "20,50", "--activations", "relu", "--widths", "64", "--no-scale-target", "--out-dir", tmp_path / "found", "--no-check")
    # before: 'no feasible trial finished (0 complete of 2): raise the constraints or run more trials.' (no constraint was given)
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines()[-1].startswith("error: no trial finished: 2 of 2 failed (trial 0: ValueError: training diverged")
    # (Optuna's one line per failed trial, without the traceback: tests/rightsize/test_search_failures.py; in-process, Optuna's
    # handler writes to the stderr of the first command that configured it, so this result's stderr cannot show it)


def test_info_on_a_search_s_model_names_its_study_trial_and_score(tmp_path):
    storage = tmp_path / "s.db"
    found = json.loads(ok("search", "iris", "--trials", "2", "--epochs", "2", "--widths", "4", "--layers", "1", "--storage", storage,
                          "--study", "st", "--out-dir", tmp_path / "found", "--json", "--no-check").stdout)
    best = found["rows"][0]
    shown = json.loads(ok("info", found["paths"][0], "--json").stdout)["training"]["search"]
    # before: nothing in the file said it came from a search, nor which trial of which study, nor its score's noise
    assert shown == (f"study 'st' ({storage}), trial {best['trial']} of 2: validation score {best['score']:.4g} ± {best['score_sd']:.2g}")
    assert ok("predict", found["paths"][0], "iris").exit_code == 0  # the record is no input of the stored preprocessing


def test_search_says_when_timeout_cut_the_trials_short(tmp_path):
    result = ok("search", "iris", "--trials", "5", "--epochs", "2", "--widths", "4", "--layers", "1", "--timeout", "0.001",
                "--out-dir", tmp_path / "found", "--json", "--no-check")
    assert json.loads(result.stdout)["n_trials"] == 1  # Optuna runs the first trial, then starts none after the timeout
    # before: the summary said 1 trial of the 5 asked for, and nothing said why
    assert "note: --timeout 0.001 s stopped the search at 1 of 5 trials" in result.stderr


def test_prune_a_saved_pipeline_file_writes_a_pipeline_file(mixed, tmp_path):
    """`prune` refused a saved Pipeline of scikit-learn steps then an MLP ("this command reads an MLP's file"), and wrote an
    encoder's Pipeline file back as a bare MLP file; now it prunes the MLP on the rows through the steps and writes the Pipeline."""
    import warnings

    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import Pipeline, make_pipeline
    from sklearn.preprocessing import StandardScaler

    import hiddenlayers as hl

    frame = pd.read_csv(mixed)
    with warnings.catch_warnings():  # a few epochs: ConvergenceWarning
        warnings.simplefilter("ignore")
        steps = make_pipeline(SimpleImputer(), StandardScaler(), hl.MLPClassifier((12, 6), max_iter=40, random_state=0)).fit(frame[["a", "b"]], frame["label"])
        encoded = make_pipeline(hl.TableEncoder(max_categories=3), hl.MLPClassifier((12, 6), max_iter=40, random_state=0)).fit(
            frame.drop(columns="label"), frame["label"])
    for pipe, name in ((steps, "steps"), (encoded, "encoded")):
        path, out = tmp_path / f"{name}.safetensors", tmp_path / f"{name}-small.safetensors"
        hl.save(pipe, path)
        r = json.loads(ok("prune", path, mixed, "-t", "label", "--max-drop", "0.2", "--epochs", "1", "--out", out, "--json").stdout)
        assert r["units_before"] == [12, 6] and r["model"] == str(out)
        if name == "steps":  # the whole Pipeline's predict timed on the table's rows, beside the network's alone
            assert r["pipeline"] == ["simpleimputer: SimpleImputer", "standardscaler: StandardScaler", "mlpclassifier: MLPClassifier"]
            assert r["pipeline_b1_before_us"] > 0 and r["latency_b1_before_us"] > 0
        back = hl.load(out)
        assert type(back) is Pipeline and [n for n, _ in back.steps] == [n for n, _ in pipe.steps], name
        assert [layer.out_features for layer in back[-1].network_.hidden_layers] == r["units_after"]
        raw = frame.drop(columns="label")[["a", "b"]] if name == "steps" else frame.drop(columns="label")
        with warnings.catch_warnings():  # the encoder's note on the rare colour
            warnings.simplefilter("ignore")
            assert (back.predict(raw) == pipe.predict(raw)).all() or r["cut"], name  # uncut: the same model, predicting as before
            np.testing.assert_array_equal(back[:-1].transform(raw), pipe[:-1].transform(raw))  # the steps as they were fitted
        assert ok("predict", out, mixed).stdout.startswith("predicted_")


# --- an output in a folder that cannot be written: refused before the work, not after it -----------------

def test_write_problem_reads_a_read_only_folder_as_a_user_without_root(tmp_path):
    from hiddenlayers._files import write_problem
    from privilege_helpers import read_only_places, run_unprivileged

    read_only_places(tmp_path)
    assert run_unprivileged(lambda: str(write_problem(Path("ro"))), tmp_path) == "Permission denied"
    assert run_unprivileged(lambda: str(write_problem(Path("rw"))), tmp_path) == "None"
    assert sorted(p.name for p in (tmp_path / "rw").iterdir()) == ["old.log"]  # the probe left nothing behind


@pytest.fixture()
def read_only(tmp_path, monkeypatch) -> Path:
    """``tmp_path/ro``, a folder that takes no new file (a read-only mount, as root sees one; root passes permission bits)."""
    import errno
    import tempfile

    folder = tmp_path / "ro"
    folder.mkdir()
    real = tempfile.TemporaryFile

    def probe(*args, **kwargs):
        if Path(kwargs.get("dir") or ".").resolve() == folder.resolve():
            raise OSError(errno.EROFS, "Read-only file system")
        return real(*args, **kwargs)

    monkeypatch.setattr(tempfile, "TemporaryFile", probe)
    return folder


@pytest.mark.parametrize(("command", "option", "name"), [
    ("prune", "--out", "p.safetensors"),
    ("export", "--out", "m.onnx"),
    ("distill", "--out", "s.safetensors"),
    ("search", "--html", "s.html"),
])
def test_an_output_in_a_read_only_folder_is_refused_before_the_work(model, mixed, read_only, tmp_path, command, option, name):
    # prune, export, distill, search ran to the end (minutes of a search) and failed only at the write,
    # naming a temporary file ('/sys/.p.safetensors.nb85wdem.tmp'); search's model files were saved by then
    args = {"prune": [model, mixed, "--epochs", "1"], "export": [model], "distill": [model, mixed, "--epochs", "1"],
            "search": [mixed, "-t", "label", "--trials", "1", "--epochs", "1", "--out-dir", tmp_path / "models"]}[command]
    result = run(command, *args, option, read_only / name, "--no-check" if command in ("prune", "search") else "--force")
    assert_user_error(result, f"{option} '{read_only / name}' cannot be written (folder '{read_only}': Read-only file system): "
                              "choose a folder you can write to.")
    assert not (tmp_path / "models").exists() and not list(read_only.iterdir())


def test_search_under_a_latency_limit_no_network_meets_stops_after_the_first_trials(tmp_path):
    result = run("search", "iris", "--max-latency-us", "0.001", "--trials", "8", "--epochs", "2", "--widths", "4,8", "--layers", "1",
                 "--out-dir", tmp_path / "found", "--no-check")
    # before: all 8 trials ran, then "no feasible trial finished: all 8 complete trials of 8 are over the latency limit ..."
    assert_user_error(result, "no feasible trial finished: stopped early: all 3 complete trials are over the latency limit of 0.001 µs, "
                              "and so is the smallest network the space allows (hidden layers 4: ")
    assert "raise --max-latency-us, or search smaller networks" in result.output  # the option, not "the limit" or max_latency_us


def test_prune_and_cost_messages_name_the_options_not_python_parameters():
    from hiddenlayers.cli._rightsize import _cost_words, _prune_words

    # prune()'s words for a model whose layers cannot lose a unit: max_ratio has no option, so it is said as what it does
    said = ("no unit can be removed: every hidden layer keeps at least 1 unit, and max_ratio=0.95 of layers of 1 unit(s) removes none; "
            "fine_tune_epochs must be an integer >= 0. Received: fine_tune_epochs=-1; random_state=3")
    assert _prune_words(said) == ("no unit can be removed: every hidden layer keeps at least 1 unit, and cutting at most 0.95 of the units of "
                                  "layers of 1 unit(s) removes none; --epochs must be an integer >= 0. Received: --epochs -1; --seed 3")
    assert _cost_words("n_calls must be >= 10. Received: n_calls=5; batch_size=0") == "--calls must be >= 10. Received: --calls 5; --batch-size 0"
    assert _prune_words("my_max_drop and max_drops stay") == "my_max_drop and max_drops stay"


def test_search_resumed_writes_over_its_own_model_files_and_refuses_others(tmp_path):
    """`--timeout` says "the same command resumes it", and the same command refused the model files its first run wrote
    ("already exists: pass --force"). The study records the files written for it (path and SHA-256): those, unchanged,
    are written over; a file it did not write, or one changed since, is still refused and left as it was."""
    folder, storage, page = tmp_path / "found", tmp_path / "s.db", tmp_path / "s.html"
    args = ("search", "iris", "--trials", "5", "--epochs", "2", "--widths", "4", "--layers", "1", "--timeout", "0.001",
            "--storage", storage, "--study", "st", "--out-dir", folder, "--html", page, "--json", "--no-check")
    first = json.loads(ok(*args).stdout)
    assert first["n_trials"] == 1 and first["paths"]
    second = json.loads(ok(*args).stdout)  # before: "'.../st-trial0.safetensors' already exists: pass --force ..."
    assert second["n_trials"] == 2 and sorted(p.name for p in folder.iterdir()) == sorted(Path(p).name for p in second["paths"])
    mine = Path(second["paths"][0])
    mine.write_bytes(mine.read_bytes() + b" ")  # changed since the study wrote it
    before = mine.read_bytes()
    assert_user_error(run(*args), f"'{mine}' already exists, and study 'st' in {storage} did not write it (or it was changed since): "
                                  "pass --force to overwrite the model files of study 'st'")
    assert mine.read_bytes() == before
    other = ("search", "iris", "--trials", "1", "--epochs", "2", "--widths", "4", "--layers", "1", "--storage", tmp_path / "t.db",
             "--study", "st", "--out-dir", folder, "--no-check")
    assert_user_error(run(*other), "did not write it (or it was changed since)")  # the same study name in another storage
    assert mine.read_bytes() == before
    third = json.loads(ok(*args, "--force").stdout)  # --force writes over it, and records it: the next resume needs none
    assert json.loads(ok(*args).stdout)["n_trials"] == third["n_trials"] + 1 == 4
    page.write_text(page.read_text(encoding="utf-8") + "<!-- mine -->", encoding="utf-8")  # the --html page, changed since
    assert_user_error(run(*args), f"'{page}' already exists: pass --force to overwrite it, or choose another --html path.")
    assert page.read_text(encoding="utf-8").endswith("<!-- mine -->")
