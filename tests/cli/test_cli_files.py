"""What the commands write and read: output paths checked before any work, and hand-edited model files as one-line errors."""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path

import pytest

from cli_helpers import assert_user_error, ok, run
from metadata_edits import edit_file


@pytest.fixture(scope="module")
def model(table, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("files") / "keep.safetensors"
    ok("train", table, "-t", "label", "--hidden", "4", "--epochs", "2", "-q", "--no-check", "-o", out)
    return out


def _drop_column(meta: dict) -> None:
    meta["preprocessing"]["columns"] = meta["preprocessing"]["columns"][:-1]


@pytest.mark.parametrize(
    "edit, problem",
    [
        (lambda m: m.update(fitted=None), "has inconsistent contents (TypeError: 'fitted' is null, not a JSON object)"),
        (lambda m: m.update(history=None), "has inconsistent contents (TypeError: 'history' is null, not a JSON object)"),
        (lambda m: m.update(params=[]), "has inconsistent contents (TypeError: 'params' is list, not a JSON object)"),
        (lambda m: m.pop("fitted"), "has inconsistent contents (KeyError: 'fitted')"),
        (_drop_column, "does not agree with itself (the preprocessing produces"),
        (lambda m: m["fitted"].update(n_features_in_=99), "does not agree with itself (n_features_in_ is 99 but the network reads"),
        (lambda m: m["fitted"].update(feature_names_in_=["a", "b"]), "does not agree with itself (2 feature names for"),
    ],
    ids=["fitted-null", "history-null", "params-list", "fitted-missing", "preprocessing-width", "n-features", "feature-names"],
)
@pytest.mark.parametrize("command", ["info", "predict", "evaluate"])
def test_an_edited_model_file_is_one_line_in_every_command(model, table, tmp_path, edit, problem, command):
    """info reads the header only, predict and evaluate load the model: the same error, never AttributeError or a feature-count ValueError.
    info showed a file whose recorded n_features_in_ (or feature names) disagreed with its network's input width as sound."""
    bad = edit_file(model, tmp_path / "bad.safetensors", edit)
    args = (bad,) if command == "info" else (bad, table)
    result = run(command, *args)
    assert_user_error(result, f"'{bad}' {problem}")
    assert result.stderr.strip().endswith("the file was altered or is damaged.")


def _units(meta: dict) -> None:
    meta["network"]["spec"][0]["units"] = 10**12


def _deeper(meta: dict) -> None:
    meta["network"]["spec"] = meta["network"]["spec"] * 3


@pytest.mark.parametrize("edit, problem", [
    (_units, "tensor 'hidden1.linear.weight' has shape (4, 6) but its architecture needs (1000000000000, 6): the file was altered."),
    (_deeper, "tensors do not match its architecture (missing ['hidden2.linear.weight']): the file was altered."),
], ids=["units", "layers"])
def test_info_refuses_a_file_whose_layers_are_not_its_tensors_sizes(model, tmp_path, edit, problem):
    """info reads the header only, and showed a file altered to 10**12 hidden units as such (with 7,000,000,000,000
    parameters) where loading it refuses it; it now compares each layer's size with its weight tensor's shape in the
    header, in the loader's words."""
    bad = edit_file(model, tmp_path / "bad.safetensors", edit)
    assert_user_error(run("info", bad), f"'{bad}' {problem}")
    assert_user_error(run("info", bad, "--json"), f"'{bad}' {problem}")


def test_predict_into_a_folder_suggests_a_predictions_file(model, table, tmp_path):
    folder = tmp_path / "adir.safetensors"
    folder.mkdir()
    assert_user_error(run("predict", model, table, "--out", folder), f"--out path '{folder}' is a folder: give a file name, e.g. '{folder / 'predictions.csv'}'.")


@pytest.mark.parametrize("command", ["predict", "train"])
def test_outputs_refuse_a_fifo_and_a_missing_folder(model, table, tmp_path, command):
    """A FIFO (or device) is never replaced through the atomic rename, even with --force; a missing folder is refused before any work."""
    fifo = tmp_path / ("p.csv" if command == "predict" else "m.safetensors")
    os.mkfifo(fifo)
    args = ("predict", model, table) if command == "predict" else ("train", table, "-t", "label", "--epochs", "1", "-q", "--no-check")
    for flags in ((), ("--force",)):
        assert_user_error(run(*args, "--out", fifo, *flags), f"'{fifo}' is not a regular file (a device, FIFO or socket): choose a file path for --out.")
    assert stat.S_ISFIFO(fifo.stat().st_mode)
    missing = tmp_path / "nodir" / fifo.name
    result = run(*args, "--out", missing)
    assert_user_error(result, "does not exist")
    assert result.stderr.strip() == f"error: folder '{missing.parent}' does not exist: create it first or choose another output path"
    assert sorted(p.name for p in tmp_path.iterdir()) == [fifo.name]


@pytest.mark.parametrize("command", ["train", "predict", "prune"])
def test_an_output_on_the_data_file_is_refused_even_with_force(model, table, tmp_path, command):
    """Writing the model or the predictions over the data the command reads would destroy it: refused before any work, --force or not."""
    data = tmp_path / "data.csv"
    data.write_bytes(Path(table).read_bytes())
    link = tmp_path / "same.csv"
    link.symlink_to(data)
    args = {
        "train": ("train", data, "-t", "label", "--epochs", "1", "-q", "--no-check"),
        "predict": ("predict", model, data),
        "prune": ("prune", model, data, "-t", "label"),
    }[command]
    before = data.read_bytes()
    for out in (data, link):
        for flags in ((), ("--force",)):
            assert_user_error(run(*args, "--out", out, *flags), f"--out '{out}' is the data file this command reads: writing there would replace it")
    assert data.read_bytes() == before


def _full_tmpfs(folder: Path, keep: Path) -> Path:
    """A 64 KiB tmpfs at ``folder`` holding a copy of ``keep`` and then filled to the last byte (root only); the copy's path."""
    import shutil
    import subprocess

    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root; tests/test_files.py checks the same code with a monkeypatched ENOSPC")
    folder.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(folder)], capture_output=True).returncode != 0:
        pytest.skip("this container may not mount a tmpfs")
    old = Path(shutil.copyfile(keep, folder / "old.safetensors"))
    with open(folder / "filler", "wb") as fh, contextlib.suppress(OSError):
        fh.write(b"\0" * (1 << 20))
    return old


def test_a_full_disk_is_one_line_and_keeps_the_old_file(model, table, tmp_path):
    """train over an old file, predict and export onto a full disk: one line naming the output and the fix, exit 2 (was
    'internal error OSError: [Errno 28] ... please report it', exit 1), the old file intact, no temp file left."""
    import subprocess

    full = tmp_path / "full"
    old = _full_tmpfs(full, model)
    try:
        before = old.read_bytes()
        for out, args in ((old, ("train", table, "-t", "label", "--hidden", "4", "--epochs", "1", "-q", "--no-check", "--force", "-o")),
                          (full / "pred.csv", ("predict", model, table, "--out")),
                          (full / "m.onnx", ("export", model, "--out"))):
            assert_user_error(run(*args, out), f"no space left on the device while writing '{out}': nothing was written there")
        assert old.read_bytes() == before
        assert sorted(p.name for p in full.iterdir()) == ["filler", "old.safetensors"]
    finally:
        subprocess.run(["umount", str(full)], check=False)


def test_an_output_among_a_folders_data_files_is_refused_even_with_force(model, table, tmp_path):
    """train DIR --out DIR/a.parquet --force wrote the model over a.parquet (data lost); predict DIR or a glob over one of
    its files would replace it too. Refused before any work; a model file beside the data is still allowed."""
    import pandas as pd

    folder = tmp_path / "parts"
    (folder / "year=2024").mkdir(parents=True)
    frame = pd.read_csv(table)
    frame.to_parquet(folder / "a.parquet")
    frame.to_csv(folder / "year=2024" / "b.csv", index=False)
    before = {p: p.read_bytes() for p in (folder / "a.parquet", folder / "year=2024" / "b.csv")}
    for out in before:
        assert_user_error(run("train", folder, "-t", "label", "--epochs", "1", "-q", "--no-check", "--force", "--out", out),
                          f"--out '{out}' is a data file of the folder '{folder}' this command reads: writing there would replace your data")
        assert_user_error(run("predict", model, folder, "--force", "--out", out), f"is a data file of the folder '{folder}'")
    glob = str(folder / "*.parquet")
    assert_user_error(run("predict", model, glob, "--force", "--out", folder / "a.parquet"), "is the data file this command reads")
    assert all(p.read_bytes() == data for p, data in before.items())
    ok("train", folder, "-t", "label", "--epochs", "1", "-q", "--no-check", "--out", folder / "model.safetensors")


def test_the_stream_suffixes_are_the_folder_readers():
    from hiddenlayers.cli._common import STREAM_SUFFIXES
    from hiddenlayers.data._stream_files import EXTENSIONS

    assert STREAM_SUFFIXES == EXTENSIONS["auto"]


def test_a_timelapse_on_the_model_path_is_refused(table, tmp_path):
    """train --out t.html --timelapse t.html saved the model, then wrote the page over it: the model was lost."""
    out = tmp_path / "t.html"
    assert_user_error(run("train", table, "-t", "label", "--epochs", "1", "-q", "--no-check", "--out", out, "--timelapse", out),
                      f"--timelapse '{out}' is the --out path: the page would replace the model file; give each its own path.")
    assert not out.exists()


@pytest.mark.parametrize(
    ("argv", "problem"),
    [
        (["train", "nope.csv", "-t", "label"], "'nope.csv' is neither a file nor a bundled dataset: check the path, or use one of digits"),
        (["train", "nobig/*.parquet", "-t", "y"], "the glob 'nobig/*.parquet' matches no files: check the pattern"),
        (["train", "nope.csv", "--app", "text", "-t", "label"], "'nope.csv' is neither a file nor a bundled dataset"),
        (["prune", "nope.safetensors", "{table}", "-t", "label"], "model file 'nope.safetensors' does not exist: check the path"),
        (["distill", "{model}", "nope.csv", "-t", "label"], "'nope.csv' is neither a file nor a bundled dataset"),
    ],
)
def test_a_missing_input_is_named_before_an_existing_output(model, table, tmp_path, monkeypatch, argv, problem):
    """A first `train` leaves model.safetensors at the default --out; a second run with a mistyped DATA was told
    "'model.safetensors' already exists: pass --force", the wrong fix, which hid the missing file."""
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "model.safetensors"
    out.write_bytes(b"keep")
    args = [a.format(table=table, model=model) for a in argv]
    assert_user_error(run(*args, "--out", out), problem)
    assert out.read_bytes() == b"keep"
    assert_user_error(run("train", table, "-t", "label", "--out", out), "already exists: pass --force")  # a real input: as before


@pytest.mark.parametrize(
    ("argv", "problem"),
    [
        (["train", "{table}", "-t", "label", "--epochs", "0"], "--epochs: max_iter must be an integer >= 1. Received: max_iter=0."),
        (["train", "{table}", "-t", "label", "--lr", "-1"], "--lr: learning_rate_init must be a number > 0"),
        (["train", "{table}", "-t", "label", "--test-size", "1.5"], "--test-size must be in [0, 1). Received: 1.5."),
        (["train", "{table}", "-t", "label", "--task", "clasification"], "--task must be one of auto, classification, regression"),
        (["train", "{table}", "-t", "label", "--set", "momentun=0.8"], "unknown estimator parameter 'momentun' (did you mean 'momentum'?)"),
        (["train", "{table}", "-t", "label", "--init-from", "nope.safetensors"], "nope.safetensors"),
        (["train", "{table}", "--app", "text", "--text-column", "a", "-t", "label", "--epochs", "0"], "--epochs: max_iter must be an integer >= 1"),
        (["train", "--app", "agent", "--env", "CartPole-v1", "--lr", "-1"], "--lr: learning_rate_init must be a number > 0"),
        (["lr-find", "{table}", "-t", "label", "--batch-size", "x", "--plot", "{out}"], "--batch-size must be 'auto' or an integer >= 1"),
        (["demo", "--epochs", "0", "--out", "{out}"], "--epochs must be an integer >= 1. Received: 0."),
        (["search", "{table}", "-t", "label", "--class-weight", "zz", "--html", "{out}"], "--class-weight takes 'balanced' or LABEL=WEIGHT"),
        (["search", "{table}", "-t", "label", "--label-smoothing", "2", "--html", "{out}"], "--label-smoothing"),
    ],
)
def test_an_option_mistake_is_named_before_an_existing_output(table, tmp_path, monkeypatch, argv, problem):
    """`train data.csv --epochs 0` beside a model.safetensors of an earlier run said "'model.safetensors' already exists:
    pass --force" first: the user fixed the wrong thing, and the next run then refused --epochs. Options (and inputs) come first."""
    monkeypatch.chdir(tmp_path)
    out = tmp_path / {"lr-find": "lr.png", "search": "s.html"}.get(argv[0], "model.safetensors")
    out.write_bytes(b"keep")
    args = [a.format(table=table, out=out) for a in argv]
    assert_user_error(run(*args) if "{out}" in argv else run(*args, "--out", out), problem)
    assert out.read_bytes() == b"keep"


def test_a_data_file_whose_name_has_brackets_is_read_as_a_file(table, tmp_path):
    """'d [v2].csv' was taken for a glob (streamed; its '[v2]' one character): train said 'the glob ... matches no files'."""
    import shutil

    data = tmp_path / "d [v2].csv"
    shutil.copy(table, data)
    ok("train", data, "-t", "label", "--hidden", "4", "--epochs", "1", "-q", "--no-check", "-o", tmp_path / "m.safetensors")
    assert ok("check", data, "-t", "label").exit_code == 0


def test_the_init_from_model_is_never_written_over(model, table, tmp_path):
    """`train --init-from m.safetensors --log m.safetensors --force` replaced the model the fit started from with the CSV log
    (and `--out m.safetensors --force` with the new model): --init-from's file is one the command reads, refused as DATA is."""
    import shutil

    import numpy as np
    import pandas as pd

    source = tmp_path / "source.safetensors"
    shutil.copy(model, source)
    kept = source.read_bytes()
    train = ("train", table, "-t", "label", "--epochs", "1", "-q", "--no-check", "--init-from", source, "--force")
    assert_user_error(run(*train, "--log", source, "-o", tmp_path / "new.safetensors"),
                      f"--log '{source}' is the model file this command reads: writing there would replace it; choose another --log path.")
    assert_user_error(run(*train, "-o", source), f"--out '{source}' is the model file this command reads")
    assert source.read_bytes() == kept and not (tmp_path / "new.safetensors").exists()
    # an application's --init-from too
    rng = np.random.default_rng(0)
    pd.DataFrame(rng.normal(size=(40, 3)), columns=["a", "b", "c"]).to_csv(tmp_path / "rows.csv", index=False)
    app = ("train", tmp_path / "rows.csv", "--app", "autoencoder", "--hidden", "4", "--epochs", "1", "-q")
    ok(*app, "-o", tmp_path / "auto.safetensors")
    kept = (tmp_path / "auto.safetensors").read_bytes()
    assert_user_error(run(*app, "--init-from", tmp_path / "auto.safetensors", "--force", "--log", tmp_path / "auto.safetensors",
                          "-o", tmp_path / "new.safetensors"), "--log")
    assert_user_error(run(*app, "--init-from", tmp_path / "auto.safetensors", "--force", "-o", tmp_path / "auto.safetensors"),
                      "is the model file this command reads")
    assert (tmp_path / "auto.safetensors").read_bytes() == kept and not (tmp_path / "new.safetensors").exists()


def test_predict_names_a_wrong_out_suffix_before_an_existing_file(model, table, tmp_path):
    """`predict m.safetensors data.csv --out m.safetensors` said "'m.safetensors' already exists: pass --force", and with
    --force only then that --out must be a table: the first advice, followed, was the wrong one. The model is never touched."""
    import shutil

    source = tmp_path / "m.safetensors"
    shutil.copy(model, source)
    kept = source.read_bytes()
    for force in ((), ("--force",)):
        assert_user_error(run("predict", source, table, "--out", source, *force),
                          f"--out must end in .csv, .tsv, .jsonl or .parquet. Received: '{source}'.")
    assert source.read_bytes() == kept
