"""An app's misspelt column option is named before an existing output (``cli/_header.py``'s ``check_app_columns``).

``--id-column``, ``--order-column`` (sequence, speech), ``--source-column`` (translator) and ``--value-column`` (forecaster:
``train --app`` and ``predict``), and ``--target``, ``--features`` and ``--text-column`` of every app that takes them: before,
``already exists: pass --force`` came first, so the user overwrote the output only to meet the column error next. The words
are those the whole read says: each refusal is checked against the read's own, with the header check switched off.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cli_helpers import assert_user_error, ok, run


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    rng = np.random.default_rng(0)
    root = tmp_path_factory.mktemp("appcolumns")
    steps = pd.DataFrame({"id": np.repeat(np.arange(6), 4), "t": np.tile(np.arange(4), 6), "x1": rng.normal(size=24), "x2": rng.normal(size=24)})
    steps.assign(label=np.repeat(["a", "b"] * 3, 4)).to_csv(root / "steps.csv", index=False)
    steps.assign(label=np.repeat(["a", "b"] * 3, 4)).to_parquet(root / "steps.parquet")
    steps.rename(columns={"id": "utt"}).assign(text=np.repeat(["ab", "ba"] * 3, 4)).to_csv(root / "frames.csv", index=False)
    pd.DataFrame({"en": ["one", "two", "three", "four"] * 3, "es": ["uno", "dos", "tres", "cuatro"] * 3}).to_csv(root / "pairs.csv", index=False)
    series = pd.DataFrame({"day": [f"d{i}" for i in range(40)], "value": np.sin(np.arange(40) / 3.0)})
    series.to_csv(root / "series.csv", index=False)
    series.to_parquet(root / "series.parquet")
    model = root / "f.safetensors"  # a right --value-column still trains
    ok("train", root / "series.csv", "--app", "forecaster", "--value-column", "value", "--window", "4", "--epochs", "1", "-q", "-o", model)
    return {"steps": root / "steps.csv", "frames": root / "frames.csv", "pairs": root / "pairs.csv", "series": root / "series.csv",
            "series_pq": root / "series.parquet", "fmodel": model, "pixels": root / "steps.csv", "steps_pq": root / "steps.parquet"}


_LONG = ("'id', 't', 'x1', 'x2', 'label'", "'utt', 't', 'x1', 'x2', 'text'")


@pytest.mark.parametrize(("command", "words"), [
    (["train", "steps", "--app", "sequence", "--id-column", "idd", "--order-column", "t", "-t", "label"],
     f"--id-column 'idd' is not a column of the data; its columns are {_LONG[0]}. Did you mean 'id'?"),
    (["train", "steps", "--app", "sequence", "--id-column", "id", "--order-column", "tt", "-t", "label"],
     f"--order-column 'tt' is not a column of the data; its columns are {_LONG[0]}. Did you mean 't'?"),
    (["train", "frames", "--app", "speech", "--id-column", "ut", "--order-column", "t", "-t", "text"],
     f"--id-column 'ut' is not a column of the data; its columns are {_LONG[1]}. Did you mean 'utt'?"),
    (["train", "frames", "--app", "speech", "--id-column", "utt", "--order-column", "tt", "-t", "text"],
     f"--order-column 'tt' is not a column of the data; its columns are {_LONG[1]}."),
    (["train", "pairs", "--app", "translator", "--source-column", "enn", "-t", "es"],
     "--source-column 'enn' is not a column of the data; its columns are 'en', 'es'. Did you mean 'en'?"),
    (["train", "series", "--app", "forecaster", "--value-column", "valeu"],
     "--value-column 'valeu' is not a column of the data; the numeric columns are 'value'. Did you mean 'value'?"),
    (["train", "series_pq", "--app", "forecaster", "--value-column", "valeu"], "--value-column 'valeu' is not a column of the data"),
    (["predict", "fmodel", "series", "--value-column", "valeu"],
     "--value-column 'valeu' is not a column of the data; the numeric columns are 'value'. Did you mean 'value'?"),
])
def test_a_misspelt_app_column_is_named_before_an_existing_out(files, tmp_path, monkeypatch, command, words):
    suffix = ".csv" if command[0] == "predict" else ".safetensors"
    out = tmp_path / f"m{suffix}"
    out.write_bytes(b"keep")
    first = run(*[files.get(a, a) for a in command], "-o", out)
    assert_user_error(first, words)
    assert out.read_bytes() == b"keep"
    _without_header_checks(monkeypatch)
    assert run(*[files.get(a, a) for a in command], "-o", tmp_path / f"new{suffix}").stderr == first.stderr  # the whole read's words


@pytest.mark.parametrize("command", [
    ["train", "steps", "--app", "sequence", "--id-column", "id", "--order-column", "t", "-t", "label"],
    ["train", "pairs", "--app", "translator", "--source-column", "en", "-t", "es"],
    ["predict", "fmodel", "series", "--value-column", "value"],
])
def test_right_app_columns_still_meet_the_output_check(files, tmp_path, command):
    out = tmp_path / ("p.csv" if command[0] == "predict" else "m.safetensors")
    out.write_bytes(b"keep")
    assert_user_error(run(*[files.get(a, a) for a in command], "-o", out), "already exists: pass --force")
    assert out.read_bytes() == b"keep"


#: train --app's --target and --features (and a translator's or text app's pair of columns), each app that takes them:
#: (arguments, the words of the refusal). ``steps.csv``: id, t, x1, x2, label; ``frames.csv``: utt, t, x1, x2, text; ``pairs.csv``: en, es
_TARGETS_AND_FEATURES = [
    (["steps", "--app", "sequence", "--id-column", "id", "--order-column", "t", "-t", "lable"],
     f"--target 'lable' is not a column of the data; its columns are {_LONG[0]}. Did you mean 'label'?"),
    (["steps", "--app", "sequence", "--id-column", "id", "-t", "label", "--features", "x1,x3"],
     f"--features 'x3' is not a column of the data; its columns are {_LONG[0]}."),
    (["steps", "--app", "sequence", "--id-column", "id", "--order-column", "t", "-t", "label", "--features", "x1,t"],
     "--features names 't', which is the id, order or label column"),
    (["steps", "--app", "sequence", "--id-column", "id", "--order-column", "id", "-t", "label"], "--id-column, --order-column, --target must name different columns"),
    (["steps_pq", "--app", "sequence", "--id-column", "id", "-t", "label", "--features", "x1,x3"],  # a Parquet footer's names
     f"--features 'x3' is not a column of the data; its columns are {_LONG[0]}."),
    (["frames", "--app", "speech", "--id-column", "utt", "--order-column", "t", "-t", "txet"],
     f"--target 'txet' is not a column of the data; its columns are {_LONG[1]}. Did you mean 'text'?"),
    (["frames", "--app", "speech", "--id-column", "utt", "-t", "text", "--features", "x1,y2"],
     f"--features 'y2' is not a column of the data; its columns are {_LONG[1]}."),
    (["pairs", "--app", "translator", "--source-column", "en", "-t", "ess"],
     "--target 'ess' is not a column of the data; its columns are 'en', 'es'. Did you mean 'es'?"),
    (["pairs", "--app", "translator", "-t", "ess"], "--target 'ess' is not a column of the data; its columns are 'en', 'es'. Did you mean 'es'?"),
    (["pairs", "--app", "translator", "--source-column", "es", "-t", "es"], "--source-column 'es' is the --target column"),
    (["pairs", "--app", "text", "--text-column", "en", "-t", "ess"], "unknown target column 'ess': the table has 'en', 'es'. Did you mean 'es'?"),
    (["pairs", "--app", "text", "--text-column", "enn", "-t", "es"],  # the read looks among the columns but the labels
     "--text-column 'enn' is not a column of the data; its columns are 'en'. Did you mean 'en'?"),
    (["pairs", "--app", "text", "--text-column", "es", "-t", "es"], "--text-column 'es' is the --target column"),
    (["steps", "--app", "autoencoder", "--features", "x1,x3"], "--features names 'x3', which is not a column of the data; its columns are 'id', 't', 'x1', 'x2', 'label'."),
    (["steps", "--app", "autoencoder", "-t", "lable"], "unknown target column 'lable'"),
    (["steps", "--app", "autoencoder", "-t", "label", "--features", "x1,label"], "--features names the --target column 'label': leave it out of --features."),
    (["steps", "--app", "recommender", "-t", "x11", "--features", "id,t"], "unknown target column 'x11': the table has 'id', 't', 'x1', 'x2', 'label'. Did you mean 'x1'?"),
    (["steps", "--app", "recommender", "-t", "x1", "--features", "idd,t"],
     "--features names 'idd', which is not a column of the data; its columns are 'id', 't', 'x1', 'x2', 'label'."),
    (["pixels", "--app", "image", "-t", "lable"], "unknown target column 'lable'"),
    (["pixels", "--app", "image", "-t", "label", "--features", "x1,x2,x3,x4"], "--features names 'x3', which is not a column of the data"),
]


def _without_header_checks(monkeypatch) -> None:
    """The commands as they were before the header checks: only the whole read names a column."""
    import hiddenlayers.cli._apptrain as apptrain
    import hiddenlayers.cli._train as train

    for module in (apptrain, train):  # train --app, predict
        monkeypatch.setattr(module, "check_app_columns", lambda *a, **k: None)


@pytest.mark.parametrize(("args", "words"), _TARGETS_AND_FEATURES)
def test_a_misspelt_target_or_feature_is_named_before_an_existing_out_in_the_reads_words(files, tmp_path, monkeypatch, args, words):
    """--target, --features, --text-column of each app: the header's refusal comes before 'already exists' and is the read's, word for word."""
    command = ["train", *[files.get(a, a) for a in args]]
    out = tmp_path / "m.safetensors"
    out.write_bytes(b"keep")
    first = run(*command, "-o", out)
    assert_user_error(first, words)
    assert out.read_bytes() == b"keep"
    _without_header_checks(monkeypatch)
    read = run(*command, "-o", tmp_path / "new.safetensors")  # no output there: the whole read says it
    assert_user_error(read, words)
    assert read.stderr == first.stderr
    assert not (tmp_path / "new.safetensors").exists()


@pytest.mark.parametrize("args", [
    ["steps", "--app", "sequence", "--id-column", "id", "--order-column", "t", "-t", "label", "--features", "x1,x2"],
    ["frames", "--app", "speech", "--id-column", "utt", "--order-column", "t", "-t", "text", "--features", "x2"],
    ["pairs", "--app", "translator", "-t", "es"],
    ["pairs", "--app", "text", "--text-column", "en", "-t", "es"],
    ["pairs", "--app", "text", "-t", "-1"],  # a position, as the labelled read resolves it
    ["steps", "--app", "autoencoder", "-t", "label", "--features", "x1,x2"],
    ["steps", "--app", "recommender", "-t", "x1", "--features", "id,t"],
    ["pixels", "--app", "image", "-t", "label", "--features", "x1,x2"],
    ["frames", "--app", "sequence", "--id-column", "utt", "-t", "x2", "--features", "x1,text"],  # a text feature: only the rows tell
])
def test_right_target_and_features_still_meet_the_output_check(files, tmp_path, args):
    """Right names (and what only the rows tell: a text feature column) pass the header check: the output check comes next."""
    out = tmp_path / "m.safetensors"
    out.write_bytes(b"keep")
    assert_user_error(run("train", *[files.get(a, a) for a in args], "-o", out), "already exists: pass --force")
    assert out.read_bytes() == b"keep"
