"""`hiddenlayers train DIR`: a folder of Parquet/CSV files streamed, with the in-memory path's defaults and one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import hiddenlayers as hl
from cli_helpers import assert_user_error, ok, run


def _folder(tmp_path, kind: str = "parquet"):
    d = tmp_path / "good"
    d.mkdir()
    rng = np.random.default_rng(0)
    for i in range(2):
        a = rng.normal(size=200)
        frame = pd.DataFrame({"a": a, "b": rng.normal(size=200), "y": (a > 0).astype(int)})
        if kind == "parquet":
            frame.to_parquet(d / f"part{i}.parquet", row_group_size=100)
        else:
            frame.to_csv(d / f"part{i}.csv", index=False)
    return d


def test_the_readme_command_works_as_written_with_the_default_hidden_layer(tmp_path):
    d, out = _folder(tmp_path), tmp_path / "model.safetensors"
    res = ok("train", d, "--target", "y", "--epochs", "2", "--out", out)
    assert hl.load(out).hidden_layer_sizes == "100"
    assert "(1 process): 2 epochs," in res.stderr  # nouns in their number, not "process(es)" or "1 epochs"


def test_a_file_without_the_target_is_one_line_exit_2(tmp_path):
    d = _folder(tmp_path)
    pd.DataFrame({"a": [1.0], "b": [2.0]}).to_parquet(d / "part2.parquet")
    assert_user_error(run("train", d, "--target", "y", "--out", tmp_path / "m.safetensors"),
                      f"'{d}/part2.parquet' has no column 'y' (the target; '{d}/part0.parquet' has it)")


def test_a_bad_csv_value_is_one_line_exit_2_and_ragged_rows_are_noted(tmp_path):
    d = _folder(tmp_path, "csv")
    (d / "part2.csv").write_text("a,b,y\n1,2,0\n3\n4,5,1\n")
    result = ok("train", d, "--target", "y", "--epochs", "1", "--out", tmp_path / "m.safetensors")
    assert f"note: dropped 1 of 3 data rows of '{d}/part2.csv': 1 with fewer fields than the 3 header columns (line 3)" in result.stderr
    (d / "part2.csv").write_text("a,b,y\n1,oops,0\n")
    assert_user_error(run("train", d, "--target", "y", "--out", tmp_path / "m2.safetensors"),
                      f"'{d}/part2.csv' line 2: column 'b' holds 'oops', not a number as in '{d}/part0.csv'")


def test_the_checkpoint_path_does_not_outlive_the_command(tmp_path, monkeypatch):
    """The CLI sets $HIDDENLAYERS_CHECKPOINT for its own fit only: a later fit in the same process must not resume from it."""
    import os

    monkeypatch.delenv("HIDDENLAYERS_CHECKPOINT", raising=False)
    d, out = _folder(tmp_path), tmp_path / "model.safetensors"
    ok("train", d, "--target", "y", "--epochs", "1", "--hidden", "4", "--out", out)
    assert "HIDDENLAYERS_CHECKPOINT" not in os.environ
    mine = str(tmp_path / "mine.ckpt")
    monkeypatch.setenv("HIDDENLAYERS_CHECKPOINT", mine)
    ok("train", d, "--target", "y", "--epochs", "1", "--hidden", "4", "--out", out, "--force")
    assert os.environ["HIDDENLAYERS_CHECKPOINT"] == mine  # the user's (or torchrun's) value is kept


def test_a_stale_damaged_or_foreign_checkpoint_is_one_line_exit_2(tmp_path):
    """A checkpoint left by a run of another network, or not a checkpoint at all: a clear error, never an internal one."""
    import torch

    d, out = _folder(tmp_path), tmp_path / "model.safetensors"
    ckpt = tmp_path / "model.safetensors.ckpt"
    stale = {"network": {"hidden1.linear.weight": torch.zeros(9, 2)}, "optimizer": {}, "t": 0, "history": {}, "no_improvement": (0.0, 0), "best": None}
    torch.save(stale, ckpt)
    # y is a > 0 here (a leak warning): the checkpoint is checked before the data check, so its error is the one line
    assert_user_error(run("train", d, "--target", "y", "--epochs", "2", "--hidden", "4", "--out", out),
                      f"checkpoint '{ckpt}' holds another network than this fit builds (hidden1.linear.weight: (9, 2) there, (4, 2) here)")
    ckpt.write_bytes(b"not a checkpoint")
    assert_user_error(run("train", d, "--target", "y", "--epochs", "2", "--hidden", "4", "--out", out),
                      f"checkpoint '{ckpt}' cannot be read (")
    torch.save({"weights": torch.zeros(2)}, ckpt)
    assert_user_error(run("train", d, "--target", "y", "--epochs", "2", "--hidden", "4", "--out", out),
                      f"checkpoint '{ckpt}' is not a hiddenlayers checkpoint")
    assert not out.exists()


class _Killed(hl.Callback):
    """The process dies at the end of epoch 2, before that epoch's checkpoint is written (it holds epoch 1)."""

    def on_epoch_end(self, *, logs, **kwargs) -> None:
        if logs["epoch"] == 2:
            raise RuntimeError("killed")


def _killed_run(tmp_path, monkeypatch):
    """``(folder, model path, checkpoint)`` of a streamed fit of :func:`_folder` killed at epoch 2, its checkpoint left."""
    from hiddenlayers.data import ParquetSource

    d, out = _folder(tmp_path), tmp_path / "model.safetensors"
    ckpt = tmp_path / "model.safetensors.ckpt"
    with monkeypatch.context() as mp:
        mp.setenv("HIDDENLAYERS_CHECKPOINT", str(ckpt))
        with pytest.raises(RuntimeError, match="killed"):
            hl.MLPClassifier(hidden_layer_sizes=(4,), max_iter=3, callbacks=[_Killed()]).fit(ParquetSource(str(d), target="y"))
    return d, out, ckpt


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_a_checkpoint_of_other_files_is_one_line_exit_2_before_the_data_check(tmp_path, monkeypatch):
    """A run killed mid-fit, then a file added to the folder: the re-run resumed silently on the new files; now one line naming
    the file and the fix, the checkpoint kept."""
    from hiddenlayers.data import ParquetSource

    d, out, ckpt = _killed_run(tmp_path, monkeypatch)
    pd.read_parquet(d / "part1.parquet").to_parquet(d / "part2.parquet")

    def no_pass(*args, **kwargs):
        raise AssertionError("the statistics pass ran")

    monkeypatch.setattr(ParquetSource, "scan", no_pass)  # refused from the files' fingerprint, before any row is read
    result = run("train", d, "--target", "y", "--epochs", "3", "--hidden", "4", "--out", out)
    assert_user_error(result, f"checkpoint '{ckpt}' was written by a run on other files: since then 'part2.parquet' was added")
    assert "data check" not in result.stderr and ckpt.is_file() and not out.exists()


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_a_checkpoint_scored_on_other_validation_files_is_one_line_exit_2_before_the_data_check(tmp_path, monkeypatch):
    """train DIR --validation V killed mid-fit, then a file added to V: the re-run resumed silently with early stopping's best
    score and patience measured on V's old rows (V was in no record); now one line naming the file, before any row is read."""
    from hiddenlayers.data import ParquetSource

    d, out = _folder(tmp_path), tmp_path / "model.safetensors"
    v = tmp_path / "valid"
    v.mkdir()
    pd.read_parquet(d / "part1.parquet")[:80].to_parquet(v / "v1.parquet")
    (d / "part1.parquet").rename(tmp_path / "held.parquet")  # (no file both in DATA and --validation)
    ckpt = tmp_path / "model.safetensors.ckpt"
    with monkeypatch.context() as mp:
        mp.setenv("HIDDENLAYERS_CHECKPOINT", str(ckpt))
        with pytest.raises(RuntimeError, match="killed"):
            hl.MLPClassifier(hidden_layer_sizes=(4,), max_iter=3, early_stopping=True, callbacks=[_Killed()]).fit(
                ParquetSource(str(d), target="y"), X_val=ParquetSource(str(v), target="y"))
    pd.read_parquet(tmp_path / "held.parquet")[80:].to_parquet(v / "v2.parquet")

    def no_pass(*args, **kwargs):
        raise AssertionError("a statistics pass ran")

    monkeypatch.setattr(ParquetSource, "scan", no_pass)  # refused from the files' fingerprints, before any row is read
    result = run("train", d, "--target", "y", "--validation", v, "--epochs", "3", "--hidden", "4", "--out", out)
    assert_user_error(result, f"training failed: checkpoint '{ckpt}' was written by a run scored on other validation files: since then "
                              "'v2.parquet' was added. Resuming would go on with early stopping's best score and patience measured on other rows")
    assert "data check" not in result.stderr and ckpt.is_file() and not out.exists()


def test_streamed_train_prints_the_data_check_of_every_row_and_refuses_fatal_findings(tmp_path):
    """Streamed train ran no data check where in-memory train does: its findings went unsaid. It checks every row
    from the streaming pass (near duplicates too, from a second read: the summary has no first-batch caveat), and leaves out the
    preprocessing's note for a column it named."""
    d = _folder(tmp_path)
    for i, f in enumerate(sorted(d.glob("*.parquet"))):
        frame = pd.read_parquet(f)
        frame["price"] = pd.Series([f"{v:.2f}" for v in np.random.default_rng(i).normal(50, 10, len(frame))], dtype="string")
        frame.to_parquet(f, row_group_size=100)
    out = tmp_path / "m.safetensors"
    res = ok("train", d, "--target", "y", "--epochs", "2", "--out", out)
    lines = res.stderr.splitlines()
    assert any(ln.startswith("data check: 400 rows x 3 columns: 2 warnings (details: hiddenlayers check)")
               for ln in lines), res.stderr
    assert any(ln.startswith("  warning numeric_text_columns: 1 column(s) hold numbers as text") and ln.endswith(": price") for ln in lines)
    assert "column 'price'" not in res.stderr, res.stderr
    res = ok("train", d, "--target", "y", "--epochs", "2", "--out", out, "--force", "--no-check")
    assert "data check" not in res.stderr and "note: column 'price' holds numbers as text" in res.stderr
    few = tmp_path / "few"
    few.mkdir()
    pd.DataFrame({"a": [1.0, 2.0, 3.0], "y": ["a", "b", "c"]}).to_parquet(few / "p.parquet")
    assert_user_error(run("train", few, "--target", "y", "--out", tmp_path / "f.safetensors"),
                      "data check: 3 labelled row(s) for 3 classes, one row per class: give several rows per class (better: dozens)")
    assert not (tmp_path / "f.safetensors").exists()


def test_problems_in_the_last_file_only_are_in_the_data_check(tmp_path):
    """The check covered the first record batch: a column of numbers as text, text among numbers and a new label
    in the last file went unsaid; an infinite value in it stopped the scan without naming the file. Now every row is checked."""
    d = _folder(tmp_path)
    rng = np.random.default_rng(3)
    for i, f in enumerate(sorted(d.glob("*.parquet"))):
        frame = pd.read_parquet(f)
        frame["s"] = pd.Series(rng.choice(["1", "2"], len(frame)), dtype=object)
        if i == 1:
            frame["s"] = pd.Series([f"{v:.2f}" for v in rng.normal(size=len(frame))], dtype=object)
            frame.loc[150, "y"] = 7
        frame.to_parquet(f, row_group_size=100)
    res = ok("train", d, "--target", "y", "--epochs", "1", "--hidden", "4", "--out", tmp_path / "m.safetensors")
    lines = res.stderr.splitlines()
    assert any(ln.startswith("  warning numeric_text_columns:") and ln.endswith(": s") for ln in lines), res.stderr
    assert any(ln.startswith("  warning rare_classes:") and "'7' (1)" in ln for ln in lines), res.stderr
    last = sorted(d.glob("*.parquet"))[-1]
    frame = pd.read_parquet(last)
    frame.loc[120, "b"] = np.inf
    frame.to_parquet(last, row_group_size=100)
    assert_user_error(run("train", d, "--target", "y", "--out", tmp_path / "n.safetensors"),
                      f"data check: 1 column(s) hold infinite values: b ('{last}' row 121)")
    assert not (tmp_path / "n.safetensors").exists()


@pytest.mark.parametrize("kind", ["parquet", "csv"])
def test_check_reads_a_folder_as_train_streams_it_and_a_clean_one_says_only_that(tmp_path, kind):
    """train DIR's summary says "details: hiddenlayers check", but check refused a folder ("give a data file").
    It now runs the same streamed checks; a clean folder's train line is the counts (no caveat: near duplicates cover
    every row now; with two noise columns, 400 rows hold two within 0.01 SD, as check() of them finds: three columns here)."""
    d = tmp_path / "clean"
    d.mkdir()
    rng = np.random.default_rng(1)
    for i in range(2):  # no leakage: the label is noise
        frame = pd.DataFrame({"a": rng.normal(size=200), "b": rng.normal(size=200), "c": rng.normal(size=200), "y": rng.integers(0, 2, 200)})
        frame.to_parquet(d / f"part{i}.parquet", row_group_size=100) if kind == "parquet" else frame.to_csv(d / f"part{i}.csv", index=False)
    res = ok("check", d, "--target", "y")
    assert res.stdout.startswith("data check: 400 rows x 3 columns: no findings"), res.stdout
    assert "duplicates, near duplicates and leakage over every row, near duplicates from a second read of the files)" in res.stderr, res.stderr
    res = ok("train", d, "--target", "y", "--epochs", "1", "--hidden", "4", "--out", tmp_path / "m.safetensors")
    said = [ln for ln in res.stderr.splitlines() if not ln.startswith(("note: trained on", "note: saved"))]
    assert said == ["data check: 400 rows x 3 columns: no findings"], res.stderr
    frame = pd.read_csv(d / "part1.csv") if kind == "csv" else pd.read_parquet(d / "part1.parquet")
    frame.loc[5, "a"] = np.inf
    frame.to_csv(d / "part1.csv", index=False) if kind == "csv" else frame.to_parquet(d / "part1.parquet")
    assert_user_error(run("train", d, "--target", "y", "--out", tmp_path / "n.safetensors"), "data check: 1 column(s) hold infinite values: a ('")
    assert_user_error(run("check", d), "is a folder of files, which is checked as `train` streams it: pass --target COLUMN")
    assert_user_error(run("check", d, "-t", "y", "--against", d / "part0.parquet"), "--against compares two tables in memory")


def test_check_of_a_folder_with_an_infinite_value_gives_the_whole_report_exit_2(tmp_path):
    """check DIR stopped at the first infinite value with a one-line error; it now prints the report, the infinite
    value (in the last file) as its fatal finding beside an earlier file's, and exits 2 as check FILE does; train still refuses."""
    d = _folder(tmp_path)
    files = sorted(d.glob("*.parquet"))
    for i, f in enumerate(files):
        frame = pd.read_parquet(f)
        frame["u"] = pd.Series(["1.5"] * len(frame), dtype=object)
        if i == 0:
            frame.loc[[3, 4], "u"] = "oops"  # the first file: text among numbers
        else:
            frame.loc[120, "b"] = np.inf
        frame.to_parquet(f, row_group_size=100)
    res = run("check", d, "--target", "y")
    assert res.exit_code == 2 and "Traceback" not in res.output, res.output
    assert res.stdout.startswith("data check: 400 rows x 3 columns"), res.stdout
    assert f"infinite_values: 1 column(s) hold infinite values: b ('{files[1]}' row 121)" in res.stdout, res.stdout
    assert f"e.g. 'oops' ('{files[0]}' rows 4, 5)" in res.stdout, res.stdout
    as_json = run("check", d, "--target", "y", "--json")
    assert as_json.exit_code == 2 and '"infinite_values"' in as_json.stdout and '"unparseable_numbers"' in as_json.stdout
    # rows across the files (0-based, as check() numbers the files read one after another), and each one's file and data row
    found = {f["check"]: f for f in json.loads(as_json.stdout)["findings"]}
    assert {k: found["infinite_values"][k] for k in ("rows", "lines", "line_unit")} == {"rows": [320], "lines": [121], "line_unit": "row"}
    assert found["infinite_values"]["details"]["files"] == [str(files[1])]
    assert (found["unparseable_numbers"]["rows"], found["unparseable_numbers"]["lines"]) == ([3, 4], [4, 5])
    assert_user_error(run("train", d, "--target", "y", "--out", tmp_path / "m.safetensors"),
                      f"data check: 1 column(s) hold infinite values: b ('{files[1]}' row 121)")
    assert not (tmp_path / "m.safetensors").exists()


def test_check_of_a_folder_with_a_missing_target_gives_the_report_exit_2(tmp_path):
    """check DIR stopped at the first missing target with a one-line error; it now prints the report with the fatal
    missing_target finding (as check FILE words it, and where the first is) and exits 2; train still refuses, as before."""
    d = _folder(tmp_path)
    files = sorted(d.glob("*.parquet"))
    frame = pd.read_parquet(files[1])
    frame["y"] = frame["y"].astype("float64")
    frame.loc[[120, 150], "y"] = np.nan
    frame.to_parquet(files[1], row_group_size=100)
    first = pd.read_parquet(files[0])
    first["y"] = first["y"].astype("float64")  # one target type in every file
    first.to_parquet(files[0], row_group_size=100)
    res = run("check", d, "--target", "y")
    assert res.exit_code == 2 and "Traceback" not in res.output, res.output
    assert res.stdout.startswith("data check: 400 rows x 2 columns"), res.stdout
    assert f"missing_target: the target is missing in 2 row(s): '{files[1]}' rows 121, 151" in res.stdout, res.stdout
    as_json = run("check", d, "--target", "y", "--json")
    assert as_json.exit_code == 2 and '"missing_target"' in as_json.stdout
    assert_user_error(run("train", d, "--target", "y", "--out", tmp_path / "m.safetensors"),
                      f"the target column 'y' has missing values (first at '{files[1]}' row 121): drop those rows.")
    assert not (tmp_path / "m.safetensors").exists()


def test_streamed_train_json_with_verbose_keeps_stdout_one_document(tmp_path):
    """--set verbose=true's per-epoch lines go to stderr: stdout is the JSON document alone, as in memory."""
    import json

    d, out = _folder(tmp_path), tmp_path / "model.safetensors"
    result = ok("train", d, "--target", "y", "--epochs", "2", "--hidden", "4", "--json", "--set", "verbose=true", "--out", out)
    assert json.loads(result.stdout)["epochs"] == 2  # the whole of stdout
    assert "Iteration 2, loss = " in result.stderr


def test_gradient_flow_is_recorded_and_test_size_refused_for_a_folder(tmp_path):
    """Both were ignored without a word for a folder: --gradient-flow recorded nothing, --test-size held out nothing
    and reported no test metric. Now the flow is recorded each pass, and --test-size is one line naming what to do."""
    d, out = _folder(tmp_path), tmp_path / "m.safetensors"
    ok("train", d, "--target", "y", "--epochs", "2", "--gradient-flow", "--out", out)
    assert len(hl.load(out).history_.extra["gradient_flow"]) == 2
    res = run("train", d, "--target", "y", "--test-size", "0.2", "--out", tmp_path / "t.safetensors")
    assert_user_error(res, "--test-size holds out rows of a table in memory; a folder of files (or --workers) trains on every row")
    assert not (tmp_path / "t.safetensors").exists()


def test_no_check_makes_a_source_whose_pass_keeps_no_check_bookkeeping(tmp_path, monkeypatch):
    """train DIR --no-check passed nothing to the source, so its statistics pass still kept the data check's per-row arrays."""
    made = []
    real = hl.data.ParquetSource

    def spy(*args, **kwargs):
        made.append(kwargs.get("data_checks", True))
        return real(*args, **kwargs)

    monkeypatch.setattr(hl.data, "ParquetSource", spy)
    d = _folder(tmp_path)
    ok("train", d, "--target", "y", "--epochs", "1", "--no-check", "--out", tmp_path / "a.safetensors")
    ok("train", d, "--target", "y", "--epochs", "1", "--out", tmp_path / "b.safetensors")
    assert made == [False, True]


def test_a_validation_fraction_early_stopping_would_ignore_is_refused(tmp_path):
    """Two CSV files (two units): early stopping stays off by default, and a typed --validation-fraction was ignored without a
    word; --no-early-stopping with it too. Both one line, before any row is read; with --early-stopping it holds out a file."""
    d, out = _folder(tmp_path, "csv"), tmp_path / "m.safetensors"
    result = run("train", d, "--target", "y", "--validation-fraction", "0.3", "--out", out)
    assert_user_error(result, f"--validation-fraction 0.3 would be ignored: early stopping is off for {d}, which has 2 row group(s) or "
                              "CSV file(s) (it turns on from 4): add --early-stopping to hold out whole row groups, or drop --validation-fraction.")
    assert "data check" not in result.stderr
    (tmp_path / "p").mkdir()
    assert_user_error(run("train", _folder(tmp_path / "p"), "--target", "y", "--validation-fraction", "0.3", "--no-early-stopping", "--out", out),
                      "--validation-fraction 0.3 would be ignored: early stopping is off, so nothing is held out")
    ok("train", d, "--target", "y", "--validation-fraction", "0.3", "--early-stopping", "--epochs", "1", "--hidden", "3", "--out", out)
    assert len(hl.load(out).validation_scores_) == 1


def test_too_few_files_for_early_stopping_is_refused_before_the_data_check(tmp_path):
    """One CSV file with --early-stopping holds out the only unit: the refusal came after the data check had read every row
    (its summary printed first); now from the file count, before it."""
    d = tmp_path / "one"
    d.mkdir()
    pd.DataFrame({"a": np.arange(50.0), "b": np.ones(50), "y": np.arange(50) % 2}).to_csv(d / "a.csv", index=False)
    result = run("train", d, "--target", "y", "--early-stopping", "--out", tmp_path / "m.safetensors")
    assert_user_error(result, f"training failed: early stopping holds out whole row groups (or CSV files), and {d} has only 1")
    assert "data check" not in result.stderr


def test_under_workers_rank_0s_fatal_data_check_stops_every_worker_in_one_line(tmp_path, monkeypatch):
    """Rank 0 alone runs the statistics pass and the data check now (each worker read every file for them before); its fatal
    finding reaches the other rank through the process group, so both stop with the same line, which the launcher says once."""
    import os
    from pathlib import Path

    d = tmp_path / "few"
    d.mkdir()
    pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0], "y": ["a", "b", "c", "d"]}).to_parquet(d / "p.parquet", row_group_size=2)
    for name in ("WORLD_SIZE", "RANK", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT"):
        monkeypatch.delenv(name, raising=False)
    src = str(Path(__file__).parents[2] / "src")
    monkeypatch.setenv("PYTHONPATH", src + os.pathsep + os.environ.get("PYTHONPATH", ""))  # the workers import this checkout
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    args = ["train", str(d), "--target", "y", "--workers", "2", "--batch-size", "2", "--out", str(tmp_path / "f.safetensors")]
    monkeypatch.setattr("sys.argv", ["hiddenlayers", *args])  # the launcher passes its command line on to the workers
    result = run(*args)
    assert_user_error(result, "data check: 4 labelled row(s) for 4 classes, one row per class: give several rows per class (better: dozens)")
    assert result.stderr.count("4 labelled row(s)") == 1 and not (tmp_path / "f.safetensors").exists()


def test_a_parquet_file_edited_in_place_with_its_footer_kept_is_refused_a_copy_resumes(tmp_path, monkeypatch):
    """A label corrected in place keeps the Parquet footer (sizes, rows, min/max), so the re-run resumed on the edited file
    with a note only, as it resumes a copy that did not keep times (the two look the same from the footer): the old rows'
    weights went on training on other rows. The checkpoint records a digest of the statistics pass (here the class counts
    differ), and the resumed run's pass compares: the edit is refused in one line, the checkpoint kept; a copy resumes."""
    import os
    import shutil

    d, out, ckpt = _killed_run(tmp_path, monkeypatch)
    kept = tmp_path / "kept.parquet"
    shutil.copy(d / "part1.parquet", kept)
    frame = pd.read_parquet(d / "part1.parquet")
    frame.loc[7, "y"] = 1 - frame.loc[7, "y"]  # a corrected label: same size, rows and footer
    frame.to_parquet(d / "part1.parquet", row_group_size=100)
    assert (d / "part1.parquet").stat().st_size == kept.stat().st_size
    st = os.stat(d / "part1.parquet")
    os.utime(d / "part1.parquet", ns=(st.st_atime_ns, st.st_mtime_ns + 10**10))  # a time the checkpoint did not record, for sure
    saved = ckpt.read_bytes()
    result = run("train", d, "--target", "y", "--epochs", "3", "--hidden", "4", "--no-early-stopping", "--out", out)
    assert_user_error(result, f"training failed: checkpoint '{ckpt}' was written by a run on other rows: the files are those it "
                              "recorded (names, sizes, Parquet footers), but the target reads with other statistics now (a file "
                              "edited in place after the checkpoint was written, or another max_categories). Resuming would go on training "
                              "its weights on other "
                              "values under other statistics: delete the checkpoint to train from the start on these files")
    assert ckpt.read_bytes() == saved and not out.exists() and "resuming from the checkpoint" not in result.stderr
    shutil.copy(kept, d / "part1.parquet")  # the file put back, as a copy does it: another time, the same values
    os.utime(d / "part1.parquet", ns=(st.st_atime_ns, st.st_mtime_ns + 2 * 10**10))
    result = ok("train", d, "--target", "y", "--epochs", "3", "--hidden", "4", "--no-early-stopping", "--out", out)
    assert "note: resuming from the checkpoint" in result.stderr
    assert (f"note: 'part1.parquet' has another modification time than when {ckpt} was written, with the same size, rows and "
            "Parquet footer (DATA's files: and statistics): resuming with it as the same file (a copy). An edit in place that "
            f"keeps all of them (values swapped between rows of a column; any edit of --validation's files) is not seen: delete "
            f"{ckpt} after one.") in result.stderr
    assert len(hl.load(out).loss_curve_) == 3


def test_a_rerun_that_would_hold_out_other_row_groups_is_one_line_before_the_data_check(tmp_path, monkeypatch):
    """A fit killed without early stopping, re-run by `train DIR`, which turns it on from 4 row groups: the re-run resumed,
    holding out a row group the old epochs trained on, and scored it. Refused now in one line, before the data check and
    without the "resuming" note; the checkpoint kept."""
    d, out, ckpt = _killed_run(tmp_path, monkeypatch)
    saved = ckpt.read_bytes()
    result = run("train", d, "--target", "y", "--epochs", "3", "--hidden", "4", "--out", out)
    assert_user_error(result, f"training failed: checkpoint '{ckpt}' was written by a run that held out other row groups (or CSV files) "
                              "for early stopping (0 there, 1 here (units 2): another seed or --validation-fraction, or early "
                              "stopping turned on or off). Resuming would train on the rows its epochs were scored on")
    assert "data check" not in result.stderr and ckpt.read_bytes() == saved and not out.exists()
    ok("train", d, "--target", "y", "--epochs", "3", "--hidden", "4", "--no-early-stopping", "--out", out)


def test_a_checkpoint_path_that_is_a_folder_names_a_fix_one_can_give(tmp_path):
    """OUT.ckpt is --out's name + .ckpt: a folder there said "give a file name, e.g. 'OUT.ckpt/model.safetensors'", a path no
    option gives. The line is train FILE's now: a file through HIDDENLAYERS_CHECKPOINT, or another --out."""
    d = _folder(tmp_path)
    out = tmp_path / "m.safetensors"
    Path(f"{out}.ckpt").mkdir()
    assert_user_error(run("train", d, "--target", "y", "--out", out),
                      f"the checkpoint path '{out}.ckpt' is a folder: give a file (HIDDENLAYERS_CHECKPOINT), or another --out.")
    assert not out.exists()
