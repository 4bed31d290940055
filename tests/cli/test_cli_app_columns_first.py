"""An app's misspelt column option is named before an existing output (``cli/_header.py``'s ``check_app_columns``).

``--id-column``, ``--order-column`` (sequence, speech), ``--source-column`` (translator) and ``--value-column`` (forecaster:
``train --app`` and ``predict``): before, ``already exists: pass --force`` came first, so the user overwrote the output only to
meet the column error next. The words are those the whole read says.
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
    steps.rename(columns={"id": "utt"}).assign(text=np.repeat(["ab", "ba"] * 3, 4)).to_csv(root / "frames.csv", index=False)
    pd.DataFrame({"en": ["one", "two", "three", "four"] * 3, "es": ["uno", "dos", "tres", "cuatro"] * 3}).to_csv(root / "pairs.csv", index=False)
    series = pd.DataFrame({"day": [f"d{i}" for i in range(40)], "value": np.sin(np.arange(40) / 3.0)})
    series.to_csv(root / "series.csv", index=False)
    series.to_parquet(root / "series.parquet")
    model = root / "f.safetensors"  # a right --value-column still trains
    ok("train", root / "series.csv", "--app", "forecaster", "--value-column", "value", "--window", "4", "--epochs", "1", "-q", "-o", model)
    return {"steps": root / "steps.csv", "frames": root / "frames.csv", "pairs": root / "pairs.csv", "series": root / "series.csv",
            "series_pq": root / "series.parquet", "fmodel": model}


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
def test_a_misspelt_app_column_is_named_before_an_existing_out(files, tmp_path, command, words):
    out = tmp_path / ("p.csv" if command[0] == "predict" else "m.safetensors")
    out.write_bytes(b"keep")
    assert_user_error(run(*[files.get(a, a) for a in command], "-o", out), words)
    assert out.read_bytes() == b"keep"


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
