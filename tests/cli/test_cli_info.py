"""info names the epoch whose weights a model file holds when it is not the last one run: early stopping keeps the best
held-out epoch's weights, but info showed only the epochs run and the last epoch's loss (a file of 30 epochs holding
epoch 26's weights read as the 30th)."""

from __future__ import annotations

import json
import warnings

from sklearn.datasets import load_digits

import hiddenlayers as hl
from cli_helpers import bracketed_model, run


def _saved(tmp_path, **kw):
    X, y = load_digits(return_X_y=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # max_iter reached: not the point here
        clf = hl.MLPClassifier((8,), max_iter=30, random_state=0, **kw).fit(X / 16, y)
    out = tmp_path / "m.safetensors"
    clf.save(out)
    return clf, out


def test_info_names_the_kept_epoch_of_an_early_stopped_model(tmp_path):
    clf, out = _saved(tmp_path, early_stopping=True, learning_rate_init=0.05)
    held, last = clf.history_.held_epoch, clf.history_.epoch[-1]
    assert held < last  # the best held-out epoch is not the last one here
    info = json.loads(run("info", out, "--json").stdout)
    assert info["training"]["weights_of_epoch"] == held and info["training"]["epochs"] == last
    assert f"weights of epoch │ {held}" in " ".join(run("info", out).stdout.split()).replace("│ │", "│")


def test_info_says_nothing_more_when_the_file_holds_the_last_epoch(tmp_path):
    clf, out = _saved(tmp_path)
    assert clf.history_.held_epoch == clf.history_.epoch[-1]
    assert json.loads(run("info", out, "--json").stdout)["training"].get("weights_of_epoch") is None
    assert "weights of epoch" not in run("info", out).stdout


def test_info_counts_one_output_in_the_singular(tmp_path):
    """A two-class model has one logistic output: its summary line read "-> 1 outputs"."""
    X, y = load_digits(return_X_y=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        hl.MLPClassifier((4,), max_iter=2, random_state=0).fit(X / 16, y % 2).save(tmp_path / "two.safetensors")
    _, ten = _saved(tmp_path)
    assert "-> 4:relu -> 1 output, " in " ".join(run("info", tmp_path / "two.safetensors").stdout.split())
    assert "-> 8:relu -> 10 outputs, " in " ".join(run("info", ten).stdout.split())


def test_info_prints_labels_columns_and_categories_in_brackets_as_they_are(tmp_path):
    """Rich read them as markup: the class '[ok]' and the unit '[cm]' vanished, and a category '[/blue]' stopped info
    with an internal MarkupError."""
    out, _ = bracketed_model(tmp_path)
    result = run("info", out)
    assert result.exit_code == 0, result.output
    text = " ".join(result.stdout.split())
    assert "classes │ [ok], bad" in text and "length [cm]" in text and "[/blue], [red]" in text


def test_info_spec_keeps_each_layers_norm_and_dropout(tmp_path):
    """info's spec listed widths and activations only ("16:relu,8:tanh" for a file of batch and layer norms and dropout): given
    back to `train --hidden` or hidden_layer_sizes, it built another network. It is now the spec text the file's network has."""
    X, y = load_digits(return_X_y=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf = hl.MLPClassifier("16:relu:norm=batch:dropout=0.2,8:tanh:norm=layer", max_iter=2, random_state=0).fit(X / 16, y)
    clf.save(tmp_path / "n.safetensors")
    spec = json.loads(run("info", tmp_path / "n.safetensors", "--json").stdout)["spec"]
    assert spec == "16:relu:norm=batch:dropout=0.2,8:tanh:norm=layer"
    assert hl.Spec.parse(spec) == clf.network_.spec
