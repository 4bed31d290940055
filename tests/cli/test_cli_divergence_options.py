"""A training that diverges, run from ``train``: its error and its note name the options the user typed (``--lr``,
``--clip-grad-norm``), not the Python parameters (``learning_rate_init``), for a table model in memory or streamed and for an app."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from cli_helpers import ok, run
from hiddenlayers.cli._option_words import REMEDY_PARAMS, named_options, option_words


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from sklearn.datasets import load_diabetes

    d = tmp_path_factory.mktemp("diverge")
    frame = load_diabetes(as_frame=True).frame
    (d / "parts").mkdir()
    frame.iloc[:220].to_csv(d / "parts" / "a.csv", index=False)
    frame.iloc[220:].to_csv(d / "parts" / "b.csv", index=False)
    rng = np.random.default_rng(0)
    pd.DataFrame(rng.normal(0, 1, (200, 6)) * 1e3, columns=list("abcdef")).to_csv(d / "big.csv", index=False)
    return d


def _error(result: Any, message: str) -> None:
    """Exit 2 and one ``error:`` line holding ``message`` (the data check's summary and the progress lines come before it), no traceback."""
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert result.exit_code == 2 and len(errors) == 1 and message in errors[0], result.stderr
    assert "Traceback" not in result.output


def test_a_first_epoch_that_diverges_names_lr_and_clip_grad_norm(tmp_path: Path) -> None:
    result = run("train", "diabetes", "--solver", "sgd", "--lr", "1e9", "--epochs", "3", "--out", tmp_path / "m.safetensors")
    _error(result, "Lower --lr (now 1000000000.0), scale the inputs, or set --clip-grad-norm.")
    assert "learning_rate_init" not in result.stderr and "clip_grad_norm" not in result.stderr
    assert not (tmp_path / "m.safetensors").exists()


def test_the_diverged_note_of_a_later_epoch_names_lr(tmp_path: Path) -> None:
    # --lr 1: at 10, epoch 1's last step had already diverged, no usable epoch, an error (test_a_first_epoch_that_diverges_names_lr_and_clip_grad_norm's)
    result = ok("train", "diabetes", "--solver", "sgd", "--lr", "1", "--epochs", "5", "--out", tmp_path / "m.safetensors")
    notes = [line for line in result.stderr.splitlines() if line.startswith("note: training diverged")]
    assert len(notes) == 1 and "Lower --lr (now 1.0)" in notes[0] and "learning_rate_init" not in result.stderr, result.stderr


def test_a_streamed_fit_that_diverges_names_lr(data: Path, tmp_path: Path) -> None:
    result = run("train", data / "parts", "--target", "target", "--solver", "sgd", "--lr", "1e9", "--epochs", "2", "--out", tmp_path / "m.safetensors")
    _error(result, "lower --lr (now 1000000000.0), scale the inputs, or set --clip-grad-norm.")
    assert "learning_rate_init" not in result.stderr


def test_an_app_that_diverges_names_lr(data: Path, tmp_path: Path) -> None:
    result = run("train", data / "big.csv", "--app", "autoencoder", "--lr", "1e6", "--epochs", "2", "--out", tmp_path / "ae.safetensors")
    _error(result, "lower --lr (now 1000000.0), or check the data for huge values.")
    assert "learning_rate_init" not in result.stderr


def test_option_words_names_the_remedies_by_option_and_leaves_other_words() -> None:
    by = {"learning_rate_init": "--lr", "max_grad_norm": "--set max_grad_norm", "loss": "--loss"}
    said = "Lower learning_rate_init (now 10.0), or lower max_grad_norm (now 5.0); the loss became inf"
    assert option_words(said, by) == "Lower --lr (now 10.0), or lower --set max_grad_norm (now 5.0); the loss became inf"
    assert option_words("set clip_grad_norm.", {}) == "set clip_grad_norm."  # no option for it: the parameter's name stays
    assert option_words("my_learning_rate_init_x", by) == "my_learning_rate_init_x"  # only the whole name
    flags = {"early_stopping": "--early-stopping", "validation_fraction": "--validation-fraction"}
    assert option_words("early_stopping=True holds out validation_fraction=0.1; pass early_stopping=False.", flags) == (
        "--early-stopping holds out --validation-fraction=0.1; pass --no-early-stopping.")
    assert option_words("pass early_stopping=False.", {"early_stopping": "--set early_stopping"}) == "pass early_stopping=False."  # no flag to name


@given(st.text())
def test_option_words_leaves_a_message_without_a_remedy_name_as_it_is(text: str) -> None:
    if not any(name in text for name in REMEDY_PARAMS):
        assert option_words(text, {name: "--x" for name in REMEDY_PARAMS}) == text


_WORDS = st.text(alphabet=st.sampled_from("abc_ =.,:;()'-0123456789"), max_size=40)


@given(before=_WORDS, value=st.from_regex(r"[0-9][0-9.e-]{0,8}|None|'[a-z]{0,5}'", fullmatch=True), after=_WORDS)
def test_named_options_names_each_parameter_as_its_option_and_leaves_other_words(before: str, value: str, after: str) -> None:
    """``max_drop=VALUE`` -> ``--max-drop VALUE`` wherever it stands as a word; text without the name is returned unchanged."""
    by = {"max_drop": "--max-drop"}
    plain = named_options(before, by)
    assert "max_drop" in before or plain == before  # nothing to rename: unchanged
    text = f"{before} max_drop={value} {after}"
    got = named_options(text, by)
    assert f" --max-drop {value} " in got and "max_drop" not in got.replace("--max-drop", "")
