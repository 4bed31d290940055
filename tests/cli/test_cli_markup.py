"""The user's text prints as given in every command's Rich output: Rich read '[...]' as markup and ':x:' as an emoji code,
so a column 'length [cm]' lost '[cm]', a label '[bold]' vanished (and made the rest bold), and a value '[/blue]' stopped
the command with an internal MarkupError. Every console of the CLI now has markup off (_rich_plain's rule).

One table serves every command: its file name, column names, categories and labels are written in brackets."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cli_helpers import ok

LABELS = ("[bold]", "[/blue]", "a [cm]")


def _flat(text: str) -> str:
    """``text`` with a table's borders and line breaks read as single spaces (a cell may wrap at 80 columns)."""
    for ch in "│┃║":
        text = text.replace(ch, " ")
    return " ".join(text.split())


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    """A folder holding 'd [bold].csv' (columns 'a [cm]', '[bold]', 'n :x:', 'c [/blue]' with categories '[red]' and
    '[/blue]', target 'y [bold]' with the labels LABELS) and 'm [bold].safetensors' trained on it by ``train``."""
    folder = tmp_path_factory.mktemp("markup")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("COLUMNS", "400")  # a wide terminal: CI's longer temporary paths would otherwise wrap inside a cell
        return _trained(folder)


@pytest.fixture(autouse=True)
def _wide(monkeypatch):
    monkeypatch.setenv("COLUMNS", "400")


def _trained(folder):
    rng = np.random.default_rng(0)
    n = 60
    frame = pd.DataFrame({"a [cm]": rng.normal(size=n), "[bold]": rng.normal(size=n), "n :x:": rng.normal(size=n),
                          "c [/blue]": np.where(np.arange(n) % 2, "[red]", "[/blue]"), "y [bold]": np.array(LABELS)[np.arange(n) % 3]})
    frame.to_csv(folder / "d [bold].csv", index=False)
    trained = ok("train", folder / "d [bold].csv", "-t", "y [bold]", "--hidden", "4", "--epochs", "2", "--no-check", "-q",
                 "-o", folder / "m [bold].safetensors")
    text = _flat(trained.stdout)
    assert "target y [bold]" in text and f"saved to {folder / 'm [bold].safetensors'}" in _flat(trained.stdout)
    return folder


def test_info_and_evaluate_print_labels_columns_and_categories_as_given(work):
    text = _flat(ok("info", work / "m [bold].safetensors").stdout)
    assert text.startswith(f"{work / 'm [bold].safetensors'}: MLPClassifier")
    assert "classes [/blue], [bold], a [cm]" in text and "target y [bold] (classification)" in text
    assert "a [cm] numeric" in text and "n :x: numeric" in text and "c [/blue] categorical one-hot 2: [/blue], [red]" in text
    text = _flat(ok("evaluate", work / "m [bold].safetensors", work / "d [bold].csv").stdout)
    assert "[/blue] [bold] a [cm]" in text  # the confusion matrix's columns, then its rows
    assert all(f"{label} " in text.split("predicted)")[1] for label in LABELS)


def test_inspect_names_the_target_and_the_report_as_given(work):
    """The table's title lost the target 'y [bold]', the last line the report's '[bold]'."""
    report = work / "r [bold].html"
    text = _flat(ok("inspect", work / "m [bold].safetensors", work / "d [bold].csv", "--out", report, "--sections", "layers").stdout)
    assert "(labels: y [bold])" in text and f"report written to {report}" in text
    assert report.is_file()


def test_lr_find_prints_the_train_command_as_given(work):
    """The command to paste read "hiddenlayers train 'd .csv' --target 'y '": '[bold]' was taken for markup, twice."""
    text = _flat(ok("lr-find", work / "d [bold].csv", "-t", "y [bold]", "--num-steps", "20").stdout)
    assert f"hiddenlayers train '{work / 'd [bold].csv'}' --target 'y [bold]'" in text


def test_search_names_its_files_as_given(work):
    out, html = work / "o [bold]", work / "s [bold].html"
    out.mkdir()
    text = _flat(ok("search", work / "d [bold].csv", "-t", "y [bold]", "--trials", "1", "--epochs", "1", "--out-dir", out,
                    "--html", html, "--no-check").stdout)
    assert f"saved {out}/" in text and f"wrote {html}" in text


def test_export_and_info_of_the_onnx_file_print_columns_and_categories_as_given(work):
    """Both stopped with an internal MarkupError: the string column 'c [/blue]' closed a tag never opened."""
    onnx = work / "x [bold].onnx"
    export = ok("export", work / "m [bold].safetensors", work / "d [bold].csv", "--out", onnx)
    text = _flat(export.stdout)
    assert f"file {onnx} (" in text and "C: (batch, 1) string (c [/blue])" in text
    text = _flat(ok("info", onnx).stdout)
    assert text.startswith(f"{onnx}: ONNX") and "target y [bold] (classification)" in text
    assert "classes [/blue], [bold], a [cm]" in text and "numeric columns (X) a [cm], [bold], n :x:" in text
    assert "categorical column (C): c [/blue] [/blue], [red]" in text
