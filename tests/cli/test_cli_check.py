"""`hiddenlayers check` and the fast checks inside `hiddenlayers train`: output and exit codes pinned."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from cli_helpers import assert_user_error, ok, run


@pytest.fixture()
def messy(tmp_path):
    p = tmp_path / "messy.csv"
    p.write_text("a,b,y\n1,2,0\n3,4\n\n5,6,1\n7,8,1\n2,2,0\n3,1,1\n")
    return p


def test_check_text_output_is_pinned(messy):
    result = ok("check", messy, "--target", "y")
    assert result.stdout.splitlines() == [
        "data check: 5 rows x 2 columns: 2 warnings, 1 info",
        "WARNING  ragged_rows: 1 row(s) (1 short) do not have the header's 3 fields: line(s) 3",
        "           fix: fix or delete those lines: hiddenlayers drops rows of the wrong width when it reads the file",
        "WARNING  rare_classes: 2 class(es) have fewer than 20 rows, too few to appear in a 10% validation split: '0' (2), '1' (3)",
        "           fix: collect more rows of these classes, or merge them with a related class",
        "INFO     empty_rows: 1 empty line(s) in the file: line(s) 4",
        "           fix: delete them (they are skipped when reading)",
    ]


def test_check_json_and_html(messy, tmp_path):
    page = tmp_path / "data.html"
    result = ok("check", messy, "--target", "y", "--json", "--html", page)
    data = json.loads(result.stdout)
    assert [f["check"] for f in data["findings"]] == ["ragged_rows", "rare_classes", "empty_rows"]
    assert data["findings"][0]["rows"] == [3] and data["rows"] == 5
    assert "ragged_rows" in page.read_text() and "note: wrote" in result.stderr
    assert_user_error(run("check", messy, "--target", "y", "--html", page), "already exists: pass --force")


def test_check_long_rows_are_skipped_and_reported(tmp_path):
    p = tmp_path / "long.csv"
    p.write_text("a,b,y\n" + "".join(f"{i},{i % 3},{i % 2}\n" for i in range(30)) + "1,2,3,4\n")
    data = json.loads(ok("check", p, "--target", "y", "--json", "--fast").stdout)
    assert data["rows"] == 30 and data["findings"][0]["message"].startswith("1 row(s) (1 long)")


def test_check_against_finds_overlap_and_drift(tmp_path):
    rng = np.random.default_rng(0)
    train = pd.DataFrame({"a": rng.normal(size=300), "b": rng.normal(size=300), "y": rng.integers(0, 2, 300)})
    new = pd.DataFrame({"a": rng.normal(3, 1, size=200), "b": rng.normal(size=200)})
    new = pd.concat([new, train[["a", "b"]].iloc[:5]], ignore_index=True)
    train.to_csv(tmp_path / "train.csv", index=False)
    new.to_csv(tmp_path / "new.csv", index=False)
    data = json.loads(ok("check", tmp_path / "train.csv", "-t", "y", "--against", tmp_path / "new.csv", "--json").stdout)
    found = {f["check"]: f for f in data["findings"]}
    assert found["train_new_overlap"]["rows"] == [200, 201, 202, 203, 204]
    assert found["feature_drift"]["columns"] == ["a"]
    assert found["domain_drift"]["severity"] == "warning" and found["domain_drift"]["columns"][0] == "a"


def test_check_fatal_exits_2(tmp_path):
    p = tmp_path / "one.csv"
    pd.DataFrame({"a": [1, 2, 3], "y": ["k", "k", "k"]}).to_csv(p, index=False)
    result = run("check", p, "-t", "y")
    assert result.exit_code == 2
    assert result.stdout.splitlines()[1] == "FATAL    single_class: the target has only one class ('k')"


@pytest.mark.parametrize("cell", ["inf", "1e400", "-inf"])
def test_check_and_train_refuse_infinite_values(tmp_path, cell):
    p = tmp_path / "inf.csv"
    rows = [f"{i % 7},{i % 3},{i % 2}" for i in range(30)]
    rows[4] = f"{cell},1,0"
    p.write_text("a,b,y\n" + "\n".join(rows) + "\n")
    for args in ((), ("--fast",)):
        result = run("check", p, "-t", "y", *args)
        assert result.exit_code == 2, result.output
        # the file line (data row 4 is line 6: header line 1), as every command names a row; it said "rows 4" (0-based)
        assert result.stdout.splitlines()[1] == "FATAL    infinite_values: 1 column(s) hold infinite values: a (line 6)"
    out = tmp_path / "m.safetensors"
    assert_user_error(run("train", p, "-t", "y", "-q", "-o", out), "data check: 1 column(s) hold infinite values: a (line 6): replace them")
    assert not out.exists()


@pytest.mark.parametrize("where", ["feature", "target"])
def test_check_and_train_refuse_values_beyond_float32_by_file_line(tmp_path, where):
    """1e39 fits float64 but is infinite in the network's float32: check's fatal beyond_float32 finding names the column
    and file line (JSON: lines, line_unit), train refuses it in one line and writes nothing; train DIR alike. Before:
    check said nothing, train FILE failed with an internal error (a feature) or trained on it (the target)."""
    rows = [f"{i % 7},{i % 3},{i % 5}.5" for i in range(30)]
    rows[4] = "1e39,1,0.5" if where == "feature" else "2,1,-1e39"
    col = "a" if where == "feature" else "y"
    d = tmp_path / "dir"
    d.mkdir()
    for p in (tmp_path / "big.csv", d / "part.csv"):
        p.write_text("a,b,y\n" + "\n".join(rows) + "\n")
    result = run("check", tmp_path / "big.csv", "-t", "y", "--json")
    assert result.exit_code == 2, result.output
    (found,) = [f for f in json.loads(result.stdout)["findings"] if f["check"] == "beyond_float32"]
    assert (found["severity"], found["columns"], found["rows"], found["lines"], found["line_unit"]) == ("fatal", [col], [4], [6], "line")
    out = tmp_path / "m.safetensors"
    assert_user_error(run("train", tmp_path / "big.csv", "-t", "y", "-q", "-o", out),
                      f"data check: 1 column(s) hold values beyond float32's range (±3.4e38, where the network computes): {col} (line 6)")
    assert_user_error(run("train", d, "-t", "y", "-q", "-o", out), f"{col} ('{d / 'part.csv'}' line 6)")
    streamed = run("check", d, "-t", "y", "--json")  # check DIR: the same file line, with the file (rows: across the files)
    (found,) = [f for f in json.loads(streamed.stdout)["findings"] if f["check"] == "beyond_float32"]
    assert (found["rows"], found["lines"], found["line_unit"], found["details"]["files"]) == ([4], [6], "line", [str(d / "part.csv")])
    assert not out.exists()


def test_check_and_train_refuse_1e308_which_float64_holds(tmp_path):
    """A CSV cell of 1e308: check crashed ('internal error ValueError: Input X contains infinity ...'), and train
    --no-check saved a model file that could not be loaded (its stored scale was inf)."""
    p = tmp_path / "big.csv"
    rows = [f"{i % 7},{(i * 13) % 11},{i % 2}" for i in range(60)]
    rows[4] = "1e308,1,0"
    p.write_text("a,b,y\n" + "\n".join(rows) + "\n")
    result = run("check", p, "-t", "y")
    assert result.exit_code == 2, result.output
    assert result.stdout.splitlines()[1] == "FATAL    beyond_float32: 1 column(s) hold values beyond float32's range (±3.4e38, where the network computes): a (line 6)"
    out = tmp_path / "m.safetensors"
    assert_user_error(run("train", p, "-t", "y", "-q", "-o", out), "data check: 1 column(s) hold values beyond float32's range")
    assert_user_error(run("train", p, "-t", "y", "-q", "--no-check", "-o", out),
                      "column 'a' must be within ±3.4e38 (float32, which the model computes in) but line 6 holds 1e+308")
    assert not out.exists()


def test_check_user_errors(messy, tmp_path):
    assert_user_error(run("check", messy, "-t", "nope"), "unknown target column 'nope'")
    assert_user_error(run("check", messy, "-t", "y", "--task", "x"), "--task must be one of auto, classification, regression")
    assert_user_error(run("check", messy, "-t", "y", "--html", tmp_path / "x.txt"), "--html must end in .html")
    missing = tmp_path / "nodir" / "x.html"
    assert_user_error(run("check", messy, "-t", "y", "--html", missing),
                      f"folder '{missing.parent}' of --html '{missing}' does not exist: create it first, or give a path in an existing folder.")
    assert_user_error(run("check", tmp_path / "none.csv"), "is neither a file nor a bundled dataset")


def test_check_without_target_checks_features(tmp_path):
    p = tmp_path / "f.csv"
    pd.DataFrame({"a": range(40), "c": [1.0] * 40}).to_csv(p, index=False)
    result = ok("check", p, "--fast")
    assert "no --target given" in result.stderr
    assert "WARNING  constant_columns: 1 column(s) hold a single value: c" in result.stdout


def test_train_prints_the_fast_check_summary_and_no_check_skips_it(messy, tmp_path):
    result = ok("train", messy, "-t", "y", "-q", "--epochs", "5", "-o", tmp_path / "m.safetensors")
    lines = result.stderr.splitlines()
    assert lines[0].startswith("note: dropped 1 of 6 data rows of ") and lines[0].endswith("1 with fewer fields than the 3 header columns (line 3)")
    at = lines.index("data check: 5 rows x 2 columns: 1 warning, 1 info (details: hiddenlayers check)")
    assert lines[at + 1].startswith("  warning rare_classes: ")
    assert sum("line 3" in line or "line(s) 3" in line for line in lines) == 1  # the drop note only: no ragged_rows finding again
    result = ok("train", messy, "-t", "y", "-q", "--epochs", "5", "--no-check", "-o", tmp_path / "m2.safetensors")
    assert "data check" not in result.stderr


def test_train_reads_the_file_once_with_or_without_checks(messy, tmp_path, monkeypatch):
    import hiddenlayers.data as hl_data

    reads = []
    real = hl_data.read_table
    monkeypatch.setattr(hl_data, "read_table", lambda *a, **k: reads.append(a[0]) or real(*a, **k))
    ok("train", messy, "-t", "y", "-q", "--epochs", "2", "-o", tmp_path / "m.safetensors")
    ok("train", messy, "-t", "y", "-q", "--epochs", "2", "--no-check", "-o", tmp_path / "m2.safetensors")
    assert reads == [str(messy), str(messy)]


def test_train_reports_a_row_without_target_once(tmp_path):
    p = tmp_path / "t.csv"
    p.write_text("a,y\n" + "".join(f"{i},{i % 2}\n" for i in range(40)) + "7,\n")
    lines = ok("train", p, "-t", "y", "-q", "--epochs", "2", "-o", tmp_path / "m.safetensors").stderr.splitlines()
    assert lines[0].endswith("1 with no value in the target column 'y' (line 42)")
    assert not any("missing_target" in line for line in lines)  # the check's finding for the same row is left to the note
    # `check` itself still reports it
    assert "WARNING  missing_target: the target is missing in 1 row(s): line 42" in ok("check", p, "-t", "y", "--fast").stdout  # as the note


def test_train_refuses_only_fatal_findings(tmp_path):
    p = tmp_path / "few.csv"
    pd.DataFrame({"a": [1.0, 2.0, 3.0], "y": ["a", "b", "c"]}).to_csv(p, index=False)
    assert_user_error(run("train", p, "-t", "y", "--task", "classification", "-q", "-o", tmp_path / "m"),
                      "data check: 3 labelled row(s) for 3 classes, one row per class: give several rows per class (better: dozens)")


def test_check_of_a_folder_says_which_csv_rows_of_the_wrong_width_it_skipped(tmp_path) -> None:
    """A folder's streamed pass skips a CSV row of the wrong width (as `train DIR` does and says); check said nothing, only counted one row fewer."""
    import numpy as np
    import pandas as pd

    d = tmp_path / "parts"
    d.mkdir()
    rng = np.random.default_rng(0)
    pd.DataFrame({"a": rng.normal(size=60), "b": rng.normal(size=60), "y": rng.integers(0, 2, 60)}).to_csv(d / "p0.csv", index=False)
    (d / "p1.csv").write_text("a,b,y\n0.5,0.1,1\n1.0,2.0,0,9\n0.2,0.3,0\n")
    res = ok("check", d, "--target", "y")
    assert res.stdout.startswith("data check: 62 rows x 2 columns: 1 warning"), res.stdout
    assert "WARNING  ragged_rows: dropped 1 of 3 data rows of '" in res.stdout, res.stdout
    assert "p1.csv': 1 with more fields than the 3 header columns (line 3)" in res.stdout and "dropped" not in res.stderr
    # a finding as for one file, so --json has it too (it was a note on stderr only)
    found = json.loads(ok("check", d, "--target", "y", "--json").stdout)["findings"]
    assert [(f["check"], f["severity"]) for f in found] == [("ragged_rows", "warning")] and "(line 3)" in found[0]["message"]


def test_check_lists_every_finding_beside_a_fatal_one_and_still_exits_2(tmp_path):
    """The exit code of a fatal finding is kept; the constant column beside the infinite value is listed in the same run."""
    p = tmp_path / "inf.csv"
    rows = [f"{i % 7},{i % 3},1,{i % 2}" for i in range(30)]
    rows[4] = "inf,1,1,0"
    p.write_text("a,b,c,y\n" + "\n".join(rows) + "\n")
    result = run("check", p, "-t", "y", "--json")
    assert result.exit_code == 2
    found = {f["check"]: f for f in json.loads(result.stdout)["findings"]}
    assert found["infinite_values"]["severity"] == "fatal" and found["constant_columns"]["columns"] == ["c"]


@pytest.fixture()
def class_weighted(tmp_path):
    """A CSV whose weight column ``w`` balances the classes (1 for class 0, 3 for class 1): alone, it predicts the label."""
    rng = np.random.default_rng(0)
    y = (rng.random(200) < 0.25).astype(int)
    p = tmp_path / "cw.csv"
    pd.DataFrame({"a": rng.normal(size=200) + y, "b": rng.normal(size=200), "w": 1 + 2 * y, "y": y}).to_csv(p, index=False)
    return p


def test_check_sample_weight_leaves_the_weight_column_out_of_the_feature_checks(class_weighted):
    """Class-balancing weights are a function of the label: judged as a feature, check calls them a leak."""
    plain = json.loads(run("check", class_weighted, "-t", "y", "--fast", "--json").stdout)
    assert any(f["check"] == "leakage" and f["columns"] == ["w"] for f in plain["findings"])
    weighted = json.loads(ok("check", class_weighted, "-t", "y", "--fast", "--json", "--sample-weight", "w").stdout)
    assert weighted["columns"] == 2 and not any("w" in f["columns"] for f in weighted["findings"])


def test_check_sample_weight_finds_what_train_refuses_with_the_file_line(tmp_path):
    p = tmp_path / "bad.csv"
    p.write_text("a,w,y\n" + "".join(f"{i},{'' if i == 5 else 1},{i % 2}\n" for i in range(40)))
    result = run("check", p, "-t", "y", "--json", "--fast", "--sample-weight", "w")
    assert result.exit_code == 2
    fatal = [f for f in json.loads(result.stdout)["findings"] if f["severity"] == "fatal"]
    assert [(f["check"], f["rows"], f["columns"]) for f in fatal] == [("sample_weight", [5], ["w"])]
    assert fatal[0]["message"] == "--sample-weight column 'w' has no value on line 7 (1 row): Input sample_weight contains NaN."
    trained = run("train", p, "-t", "y", "--sample-weight", "w", "-q", "-o", tmp_path / "m.safetensors")
    assert trained.exit_code == 2 and fatal[0]["message"] in trained.stderr  # the same words as train


def test_check_sample_weight_counts_zero_weights_and_warns_of_uneven_ones(tmp_path):
    w = np.full(100, 0.01)
    w[:2], w[10:13] = 100.0, 0.0
    p = tmp_path / "skew.csv"
    pd.DataFrame({"a": np.arange(100) % 7, "w": w, "y": np.arange(100) % 2}).to_csv(p, index=False)
    found = {f["check"]: f for f in json.loads(ok("check", p, "-t", "y", "--fast", "--json", "--sample-weight", "w").stdout)["findings"]}
    assert found["zero_weight"]["rows"] == [10, 11, 12] and found["zero_weight"]["severity"] == "info"
    assert found["skewed_weights"]["severity"] == "warning" and found["skewed_weights"]["details"]["effective_rows"] < 3
    even = tmp_path / "even.csv"
    pd.DataFrame({"a": np.arange(100) % 7, "w": np.linspace(1, 3, 100), "y": np.arange(100) % 2}).to_csv(even, index=False)
    assert not {"zero_weight", "skewed_weights"} & {f["check"] for f in json.loads(
        ok("check", even, "-t", "y", "--fast", "--json", "--sample-weight", "w").stdout)["findings"]}


@pytest.mark.parametrize(("options", "message"), [
    (["--sample-weight", "ww"], "unknown --sample-weight column 'ww'"),
    (["--sample-weight", "y"], "--sample-weight 'y' is the target column"),
    (["--sample-weight", "w", "--features", "a,w"], "--sample-weight 'w' is also listed in --features"),
])
def test_check_sample_weight_refuses_a_column_train_would_refuse(class_weighted, options, message):
    assert_user_error(run("check", class_weighted, "-t", "y", "--fast", *options), message)


def test_check_sample_weight_of_a_folder_is_refused_as_train_refuses_it(class_weighted, tmp_path):
    folder = tmp_path / "parts"
    folder.mkdir()
    pd.read_csv(class_weighted).to_parquet(folder / "a.parquet")
    assert_user_error(run("check", folder, "-t", "y", "--sample-weight", "w"), "--sample-weight is not supported for streamed data yet")


def test_train_and_search_summaries_carry_the_weight_findings(tmp_path):
    """train --sample-weight checked the features without the weight column but said nothing of weights a few rows dominate."""
    w = np.full(100, 0.01)
    w[:2] = 100.0
    p = tmp_path / "skew.csv"
    pd.DataFrame({"a": np.arange(100) % 7, "w": w, "y": np.arange(100) % 2}).to_csv(p, index=False)
    trained = ok("train", p, "-t", "y", "--sample-weight", "w", "--hidden", "4", "--epochs", "2", "-q", "-o", tmp_path / "m.safetensors")
    assert "warning skewed_weights: the weights in --sample-weight column 'w' are so uneven that 100 rows count as" in trained.stderr
    searched = ok("search", p, "-t", "y", "--sample-weight", "w", "--trials", "1", "--epochs", "2", "--widths", "4", "--layers", "1",
                  "--out-dir", tmp_path / "found", "--json")
    assert "warning skewed_weights" in searched.stderr


def test_a_mistyped_number_is_a_fatal_finding_and_train_stops_on_it(tmp_path):
    # the check called it a warning ("read as text (categories)") while train refused the column, naming a row of its
    # shuffled training split ('row 13') instead of the file's
    frame = pd.DataFrame({"a": [str(float(i)) for i in range(40)], "b": np.arange(40) % 7, "y": np.arange(40) % 2})
    frame.loc[5, "a"] = "abc"
    frame.to_csv(tmp_path / "t.csv", index=False)
    result = run("check", tmp_path / "t.csv", "--target", "y")
    assert result.exit_code == 2 and "FATAL    unparseable_numbers: column 'a'" in result.stdout and "(line 7)" in result.stdout
    assert_user_error(run("train", tmp_path / "t.csv", "--target", "y", "--out", tmp_path / "m.safetensors"),
                      "data check: column 'a' is numeric except 1 value(s) that do not parse as numbers, e.g. 'abc' (line 7): "
                      "fix those values or make them empty: training refuses 'a' as it is")
    assert not (tmp_path / "m.safetensors").exists()


@pytest.mark.parametrize("name, task, seen", [("diabetes", "regression", 214), ("breast_cancer", "classification", 2)])
def test_check_of_a_folder_judges_the_task_as_train_of_it_does_and_says_so(tmp_path, name, task, seen) -> None:
    """`check DIR` and `train DIR` agree on the same folder (diabetes: 214 whole-number targets are a regression; before,
    check called them 214 classes and reported rare_classes), and check says which task it judged and how to overrule it."""
    from sklearn import datasets

    frame = getattr(datasets, f"load_{name}")(as_frame=True).frame
    d = tmp_path / name
    d.mkdir()
    frame.iloc[:200].to_parquet(d / "a.parquet")
    frame.iloc[200:].to_parquet(d / "b.parquet")
    res = ok("check", d, "--target", "target", "--json")
    report = json.loads(res.stdout)
    assert report["task"] == task and [f["check"] for f in report["findings"]] == []
    other = "classification" if task == "regression" else "regression"
    assert (f"note: target 'target' judged {task} ({seen} distinct values), as `train` judges it: pass --task {other} "
            f"to check it as {'classes' if other == 'classification' else 'a regression'}") in res.stderr
    summary = json.loads(ok("train", d, "--target", "target", "--epochs", "1", "--hidden", "4", "--json",
                            "-o", tmp_path / "m.safetensors").stdout)
    assert summary["task"] == task
    forced = json.loads(ok("check", d, "--target", "target", "--task", "classification", "--json").stdout)
    assert forced["task"] == "classification" and "judged" not in ok("check", d, "--target", "target", "--task", task).stderr


def test_every_command_names_a_row_by_its_file_line(tmp_path):
    # check counted rows from 0 ("rows 150"), train --no-check named a row of its shuffled training split, predict
    # counted from 1 ("row 151"): the user's file has it on line 152 (header = line 1), and every command now says so
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"a": rng.normal(size=200).round(3).astype(object), "b": rng.normal(size=200).round(3), "y": np.arange(200) % 2})
    frame.loc[150, "a"] = "oops"
    bad = tmp_path / "bad.csv"
    frame.to_csv(bad, index=False)
    out = tmp_path / "m.safetensors"
    checked = run("check", bad, "-t", "y", "--fast", "--json")
    finding = next(f for f in json.loads(checked.stdout)["findings"] if f["check"] == "unparseable_numbers")
    assert "(line 152)" in finding["message"] and finding["rows"] == [150] and finding["lines"] == [152] and finding["line_unit"] == "line"
    assert_user_error(run("train", bad, "-t", "y", "-q", "-o", out), "e.g. 'oops' (line 152)")
    assert_user_error(run("train", bad, "-t", "y", "-q", "--no-check", "-o", out), "column 'a' is numeric but holds text in 1 row(s) (e.g. 'oops' at line 152)")
    assert_user_error(run("lr-find", bad, "-t", "y"), "(e.g. 'oops' at line 152)")  # its training split too
    assert_user_error(run("search", bad, "-t", "y", "--no-check", "--trials", "1", "--out-dir", tmp_path / "found"), "(e.g. 'oops' at line 152)")
    good = tmp_path / "good.csv"
    frame.assign(a=rng.normal(size=200).round(3)).to_csv(good, index=False)
    ok("train", good, "-t", "y", "-q", "--epochs", "2", "-o", out)
    assert_user_error(run("predict", out, bad), "column 'a' must be numeric but line 152 holds 'oops'")
    assert_user_error(run("evaluate", out, bad), "column 'a' must be numeric but line 152 holds 'oops'")
    assert_user_error(run("explain", "--model", out, "--data", bad, "--row", "151"), "column 'a' must be numeric but row 151 (line 152 of ")
    onnx = tmp_path / "m.onnx"
    ok("export", out, "--out", onnx)
    assert_user_error(run("predict", onnx, bad), "column 'a' must be numeric but line 152 holds 'oops'")
    assert_user_error(run("evaluate", onnx, bad), "column 'a' must be numeric but line 152 holds 'oops'")
    frame.astype({"a": str}).to_parquet(tmp_path / "bad.parquet")  # no lines: the data row, counted from 1
    assert_user_error(run("predict", out, tmp_path / "bad.parquet"), "column 'a' must be numeric but row 151 holds 'oops'")
    reg = tmp_path / "reg.safetensors"
    ok("train", good, "-t", "b", "-q", "--epochs", "2", "-o", reg)
    frame.assign(a=rng.normal(size=200), b=frame["b"].astype(object)).assign(b=lambda f: f["b"].where(f.index != 9, "high")).to_csv(tmp_path / "t.csv", index=False)
    assert_user_error(run("inspect", reg, tmp_path / "t.csv", "-o", tmp_path / "r.html"), "holds 'high' (line 11)")  # was "(row 10)"


def test_check_and_train_warn_of_extreme_regression_targets_by_file_line(tmp_path):
    """Five 1e6 among values around 1e4: training reached R² about 0 and neither check nor train said anything."""
    rng = np.random.default_rng(0)
    n = 300
    table = pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n)})
    table["price"] = (1e4 + 2e3 * table["a"] + rng.normal(size=n) * 300).round(2)
    table.loc[[7, 50, 120, 200, 290], "price"] = 1e6
    p = tmp_path / "t.csv"
    table.to_csv(p, index=False)
    r = json.loads(ok("check", p, "-t", "price", "--json").stdout)
    (f,) = [f for f in r["findings"] if f["check"] == "extreme_target"]
    assert (f["severity"], f["rows"], f["lines"], f["line_unit"], f["columns"]) == ("warning", [7, 50, 120, 200, 290], [9, 52, 122, 202, 292], "line", ["price"])
    assert f["message"].endswith("which dominate a squared-error fit: lines 9, 52, 122, 202, 292") and "np.log1p" in f["fix"]
    result = ok("train", p, "-t", "price", "-q", "--epochs", "2", "-o", tmp_path / "m.safetensors")
    assert "warning extreme_target: the target 'price' has 5 value(s) more than 20 robust SDs" in result.stderr
    assert (tmp_path / "m.safetensors").exists()  # a warning: training goes on


@pytest.fixture()
def repeated(tmp_path):
    """iris with its first 20 rows repeated at the end and an ID column: duplicates and an id_columns finding."""
    from sklearn.datasets import load_iris

    frame = load_iris(as_frame=True).frame
    frame = pd.concat([frame, frame.head(20)], ignore_index=True)
    frame.insert(0, "row_id", [f"r{i:04d}" for i in range(len(frame))])
    p = tmp_path / "repeated.csv"
    frame.to_csv(p, index=False)
    return p


def test_check_clean_writes_the_data_without_what_drop_names(repeated, tmp_path):
    """`check --clean OUT --drop ...` does what the findings' fixes ask for (DataReport.clean), in command-line words."""
    out = tmp_path / "clean.csv"
    before = repeated.read_bytes()
    result = ok("check", repeated, "--target", "target", "--fast", "--clean", out, "--drop", "duplicates,id_columns")
    cleaned, original = pd.read_csv(out), pd.read_csv(repeated)
    assert len(cleaned) == len(original.drop(columns="row_id").drop_duplicates()) <= 150  # every repeat gone, the first of each kept
    assert list(cleaned.columns) == [c for c in original.columns if c != "row_id"]  # the target column kept, the ID column gone
    assert not cleaned.duplicated().any() and repeated.read_bytes() == before
    assert "note: wrote" in result.stderr and "row(s) (duplicates)" in result.stderr
    assert "report.clean(" not in result.stdout  # the fix is a command, not Python
    assert f"hiddenlayers check {repeated} --target target --clean clean.csv --drop duplicates" in result.stdout
    parquet = tmp_path / "clean.parquet"
    ok("check", repeated, "--target", "target", "--fast", "--clean", parquet)  # the default drop: duplicates, conflicting labels, label issues
    assert len(pd.read_parquet(parquet)) == len(cleaned) and "row_id" in pd.read_parquet(parquet).columns


@pytest.mark.parametrize(
    ("args", "problem"),
    [
        (["--drop", "duplicates"], "--drop says what --clean leaves out, and no --clean was given"),
        (["--clean", "{tmp}/c.csv", "--drop", "dupes"], "--drop: unknown check 'dupes': use any of duplicates"),
        (["--clean", "{tmp}/c.txt"], "--clean must end in .csv, .tsv, .parquet, .jsonl"),
        (["--clean", "{data}", "--force"], "is the data file this command reads"),
        (["--clean", "{tmp}/old.csv"], "'{tmp}/old.csv' already exists: pass --force"),
    ],
)
def test_check_clean_refusals(repeated, tmp_path, args, problem):
    (tmp_path / "old.csv").write_text("keep")
    before = repeated.read_bytes()
    fill = {"tmp": tmp_path, "data": repeated}
    assert_user_error(run("check", repeated, "--target", "target", *[a.format(**fill) for a in args]), problem.format(**fill))
    assert repeated.read_bytes() == before and (tmp_path / "old.csv").read_text() == "keep" and not (tmp_path / "c.csv").exists()
