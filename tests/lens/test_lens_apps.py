"""The lens on every application model: record, summary and the HTML report, each fitted tiny.

For each application the report is written, is well-formed HTML naming
every recorded layer, and a section that cannot apply carries its one-line
reason; the recorded activations equal the application's own forward pass
on its network input (no double scaling or windowing).
"""

from __future__ import annotations

import html
import io
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from rich.console import Console

import hiddenlayers as hl
from hiddenlayers.apps import Autoencoder, DQNAgent, Forecaster, ImageClassifier, Recommender
from hiddenlayers.exceptions import DataError
from hiddenlayers.lens._report import SECTIONS

VOID = {"meta", "link", "img", "br", "hr", "input", "col", "area", "base", "source", "wbr"}


class _Balance(HTMLParser):
    """Fails on a closing tag that does not match the innermost open element."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.errors: list[str] = []

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag not in VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1:] or 'nothing'}")
        else:
            self.stack.pop()


def check_page(path: Path, layers: list[str], reasons: list[str]) -> str:
    """Well-formed, self-contained, every section and layer name present, each expected reason shown."""
    text = path.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>")
    parser = _Balance()
    parser.feed(text)
    parser.close()
    assert parser.errors == [] and parser.stack == []
    assert not re.search(r"(src|href)=\"(https?:)?//", text)
    for sid in SECTIONS:
        assert f'<section id="{sid}">' in text
    for name in layers:
        assert f"<td>{name}</td>" in text, name
    shown = [html.unescape(s) for s in re.findall(r'<p class="na">([^<]*)</p>', text)]
    for reason in reasons:
        assert any(reason in s for s in shown), (reason, shown)
    assert "could not be computed" not in text  # every skip here is a known, explained one
    return text


def quiet_summary(model: Any, X: Any) -> list[str]:
    console = Console(file=io.StringIO(), width=160)
    return [s.name for s in hl.lens.summary(model, X, console=console)]


# ------------------------------------------------------------------ Autoencoder
@pytest.fixture(scope="module")
def autoencoder() -> tuple[Autoencoder, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(240, 5)) * [1.0, 2.0, 5.0, 0.5, 3.0] + 10.0
    label = (np.abs(X - 10.0).max(1) > 6).astype(int)  # an "anomaly" label, for colour and probes
    return Autoencoder((12, 6), n_components=2, max_iter=4, random_state=0).fit(X), X, label


def test_autoencoder_records_encoder_bottleneck_and_decoder(autoencoder) -> None:
    ae, X, _ = autoencoder
    names = ["encoder.hidden1", "encoder.hidden2", "encoder.head", "decoder.hidden1", "decoder.hidden2"]
    rec = hl.lens.record(ae, X)
    assert list(rec) == names
    assert rec["encoder.head"].shape == (240, 2)
    np.testing.assert_allclose(rec["encoder.head"], ae.transform(X), rtol=1e-5, atol=1e-5)  # scaled once, not twice
    np.testing.assert_allclose(ae.network_input(X), (X - ae.mean_) / ae.scale_, rtol=1e-5, atol=1e-5)
    assert rec.activations["encoder.head"] == "identity"  # a linear bottleneck is never "dead" for being negative
    assert quiet_summary(ae, X) == names


def test_autoencoder_report(autoencoder, tmp_path: Path) -> None:
    ae, X, label = autoencoder
    path = tmp_path / "ae.html"
    hl.lens.report(ae, X, units_per_layer=3).save(path)  # labels are optional for an autoencoder
    names = ["encoder.hidden1", "encoder.head", "decoder.hidden2"]
    check_page(path, names, [
        "train with callbacks=[hl.lens.GradientFlow(X_sample)] to record gradient flow per epoch.",  # apps take callbacks now
        "pass y (one label per row) to probe the layers.",
    ])
    assert label.sum() > 0  # (the example passes such a label: it colours the projections and is probed)


# ------------------------------------------------------------------- Forecaster
@pytest.fixture(scope="module")
def forecaster() -> tuple[Forecaster, np.ndarray]:
    rng = np.random.default_rng(0)
    s = 50 + 20 * np.sin(np.arange(160) / 6) + rng.normal(size=160)
    return Forecaster(window=6, hidden_layer_sizes=(10, 6), target="delta", max_iter=4, random_state=0).fit(s), s


def test_forecaster_lens_sees_the_lag_windows(forecaster) -> None:
    f, s = forecaster
    windows = f.network_input(s)
    assert windows.shape == (len(s) - 6 + 1, 6) and windows.dtype == np.float32
    np.testing.assert_allclose(windows[:, -1], 0.0, atol=1e-6)  # target="delta": relative to the last value
    rec = hl.lens.record(f, s)
    with torch.no_grad():
        _, hidden = f.network_(torch.as_tensor(windows, device=next(f.network_.parameters()).device), return_hidden=True)
    np.testing.assert_allclose(rec["hidden2"], hidden[1].cpu().numpy(), rtol=1e-6)
    assert quiet_summary(f, s) == ["hidden1", "hidden2"]
    with pytest.raises(DataError, match="network_input needs a series"):
        f.network_input(5)


def test_forecaster_report_labels_each_window(forecaster, tmp_path: Path) -> None:
    f, s = forecaster
    path = tmp_path / "f.html"
    lags = [f"t-{k}" for k in range(6, 0, -1)]
    hl.lens.report(f, s[:-1], s[6:], feature_names=lags, units_per_layer=3).save(path)  # window i of s[:-1] -> the value after it
    text = check_page(path, ["hidden1", "hidden2"], ["train with callbacks=[hl.lens.GradientFlow(X_sample)]"])
    assert "Held-out r2" in text  # real-valued next values are probed by regression, not as 150 classes
    with pytest.raises(ValueError, match=r"X gives 155 network-input rows \(Forecaster.network_input\(X\)\) but y has 160: pass one label per row\."):
        hl.lens.report(f, s, s)


# ------------------------------------------------------------------ Recommender
@pytest.fixture(scope="module")
def recommender() -> tuple[Recommender, tuple[np.ndarray, np.ndarray], np.ndarray]:
    rng = np.random.default_rng(0)
    users, items = rng.integers(0, 15, 300), rng.integers(0, 25, 300)
    ratings = np.clip(np.round(3 + (users % 3) - (items % 2) + rng.normal(size=300) * 0.5), 1, 5)
    rec = Recommender(n_factors=4, hidden_layer_sizes=(8,), max_iter=3, random_state=0).fit((users, items), ratings)
    return rec, (users, items), ratings


def test_recommender_records_embeddings_and_hidden_layers(recommender) -> None:
    model, pairs, _ = recommender
    codes = model.network_input(pairs)
    assert codes.dtype == np.int64 and codes.shape == (300, 2)
    rec = hl.lens.record(model, pairs)
    assert list(rec) == ["user", "item", "mlp.hidden1"]
    assert rec["user"].shape == (300, 4) and rec.kinds["mlp.hidden1"] == "dense"
    assert quiet_summary(model, pairs) == ["user", "item", "mlp.hidden1"]
    with pytest.raises(DataError, match=r"1 of 2 rows have a user or item not seen in fit, which has no embedding"):
        model.network_input(([0, 999], [0, 0]))


def test_recommender_report_explains_what_ids_rule_out(recommender, tmp_path: Path) -> None:
    model, pairs, ratings = recommender
    path = tmp_path / "r.html"
    hl.lens.report(model, pairs, ratings).save(path)
    check_page(path, ["user", "item", "mlp.hidden1"], [
        "The input itself is not probed: it is integer ids, not features.",
        "neuron maps need real-valued inputs; this model reads integer ids",
        "attribution needs real-valued inputs; this model reads integer ids (embeddings), which have no gradient.",
        "preferred inputs need real-valued inputs; this model reads integer ids (embeddings), which have no gradient between them.",
    ])


# --------------------------------------------------------------------- DQNAgent
@pytest.fixture(scope="module")
def agent() -> DQNAgent:
    pytest.importorskip("gymnasium")
    return DQNAgent((12, 8), learning_starts=50, batch_size=16, random_state=0).fit("CartPole-v1", total_steps=200, eval_every=200, eval_episodes=1)


def test_agent_rollout_and_report(agent: DQNAgent, tmp_path: Path) -> None:
    states, actions = agent.rollout("CartPole-v1", episodes=2, seed=0)
    assert states.shape[1] == 4 and states.shape[0] == actions.shape[0] >= 2
    assert set(actions.tolist()) <= {0, 1}
    rec = hl.lens.record(agent, states)
    assert list(rec) == ["hidden1", "hidden2"]
    np.testing.assert_allclose(rec["hidden2"].shape, (len(states), 8))
    assert quiet_summary(agent, states) == ["hidden1", "hidden2"]
    path = tmp_path / "a.html"
    hl.lens.report(agent, states, actions, units_per_layer=3).save(path)
    text = check_page(path, ["hidden1", "hidden2"], ["DQNAgent's fit loop takes no callbacks"])
    assert "training episodes over 200 steps" in text  # an agent's history: returns per episode
    with pytest.raises(DataError, match=r"observations must have 4 values each"):
        agent.network_input(np.zeros((3, 5)))


# -------------------------------------------------------------- ImageClassifier
@pytest.fixture(scope="module")
def images() -> tuple[ImageClassifier, np.ndarray, np.ndarray]:
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    X = (X.reshape(-1, 8, 8) * 16).clip(0, 255).astype(np.uint8)
    clf = ImageClassifier("conv4k3,pool2,12", max_iter=2, early_stopping=False, random_state=0).fit(X[:300], y[:300])
    return clf, X[300:420], y[300:420]


def test_image_classifier_records_conv_channels_once_scaled(images, tmp_path: Path) -> None:
    clf, X, y = images
    rec = hl.lens.record(clf, X)
    assert rec.kinds == {"hidden1": "conv", "hidden2": "conv", "hidden3": "dense"}
    assert rec["hidden1"].shape == (120, 4, 6, 6) and rec.stats["hidden1"].units == 4  # one unit per channel
    np.testing.assert_allclose(rec["hidden3"], clf.transform(X, layer=3), rtol=1e-5, atol=1e-6)
    assert quiet_summary(clf, X) == ["hidden1", "hidden2", "hidden3"]
    path = tmp_path / "i.html"
    hl.lens.report(clf, X, y).save(path)
    text = check_page(path, ["hidden1", "hidden2", "hidden3"], [
        "neuron maps need tabular inputs with two or more features; this model reads 1 × 8 × 8 arrays per example.",
    ])
    assert "Where in each image the outputs look (integrated gradients from a black image, Captum)" in text  # a map, not bars
    preferred = text.split('<section id="preferred-inputs">')[1].split("</section>")[0]
    assert "<img" in preferred and "each image is the input" in preferred  # (N, C, H, W) input: images without image_shape


# ------------------------------------------------------------------ cross-cutting
def _landscape_centre(rep: Any) -> str:
    """The loss at the fitted weights in the report's loss-landscape table (the "at 0" cell of its first curve)."""
    body = next(b for sid, _, _, b in rep.sections if sid == "loss-landscape")
    cells = re.findall(r"<td>([^<]*)</td>", body)
    assert cells[:1] == ["direction 1"], body[:300]
    return cells[2]


def test_report_draws_the_loss_landscape_of_a_model_whose_targets_come_from_its_input(forecaster, autoencoder) -> None:
    """A Forecaster's (Autoencoder's) report has its series (rows) in X: its training targets are there. The section said
    'Forecaster takes its targets from X: call hl.lens.loss_landscape(model, X)' instead of drawing it; it now draws it,
    at the loss hl.lens.loss_landscape finds at the fitted weights on the same windows (rows)."""
    for model, X in ((forecaster[0], forecaster[1]), (autoencoder[0], autoencoder[1])):
        rep = hl.lens.report(model, X, sections=["loss-landscape"])
        assert "takes its targets from X" not in rep.html
        expected = hl.lens.loss_landscape(model, X, max_rows=2000, steps=5, random_state=0).center_loss
        assert _landscape_centre(rep) == f"{expected:.4g}"
        assert np.isfinite(expected) and expected > 0


def test_activation_functions_refuse_an_application_without_a_network() -> None:
    """layer_stats and cka take activations; a fitted Translator (no single network_) there was numpy's
    "can't convert np.ndarray of type numpy.object_" instead of the line that says to record first."""
    from hiddenlayers.apps import Translator

    tr = Translator(hidden_size=4, embed_dim=4, max_iter=1, early_stopping=False, random_state=0).fit(["a b", "c d"] * 3, ["x y", "z w"] * 3)
    with pytest.raises(TypeError, match=r"layer_stats takes activations, h as a \(n_rows, units\) array; received a model \(Translator\)"):
        hl.lens.layer_stats(tr, ["a b"])
    with pytest.raises(TypeError, match=r"received a model \(Translator\)"):
        hl.lens.cka(tr, np.zeros((2, 2)))


def test_unfitted_application_is_a_clear_error() -> None:
    with pytest.raises(hl.NotFittedError, match="This Forecaster instance is not fitted yet"):
        hl.lens.record(Forecaster(), np.arange(30.0))
    with pytest.raises(hl.NotFittedError, match="This DQNAgent instance is not fitted yet"):
        hl.lens.report(DQNAgent(), np.zeros((3, 4)))


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_a_fitted_model_without_a_single_input_network_is_named() -> None:
    from sklearn.neural_network import MLPClassifier
    from sklearn.preprocessing import StandardScaler

    X = np.random.default_rng(0).normal(size=(20, 3))
    sk = MLPClassifier((4,), max_iter=5).fit(X, (X[:, 0] > 0).astype(int))
    with pytest.raises(TypeError, match=r"Received: MLPClassifier from sklearn, not hiddenlayers: fit hl.MLPClassifier instead"):
        hl.lens.record(sk, X)  # scikit-learn's own MLP has our class name: named as another library's
    with pytest.raises(TypeError, match=r"StandardScaler has no single-input network \(network_\) that the lens can run on X"):
        hl.lens.record(StandardScaler().fit(X), X)


# ---------------------------------------------- sequence and text classifiers (apps/sequence.py, apps/text.py)
def test_sequence_classifier_records_its_recurrent_layer(tmp_path: Path) -> None:
    seq = pytest.importorskip("hiddenlayers.apps._seq.sequence")
    rng = np.random.default_rng(0)
    seqs = [rng.normal(size=(int(rng.integers(5, 12)), 3)).astype(np.float32) for _ in range(90)]  # varying lengths
    y = np.array([int(s[:, 0].mean() > 0) for s in seqs])
    clf = seq.SequenceClassifier("gru8,6", max_iter=2, early_stopping=False, random_state=0).fit(seqs, y)
    rec = hl.lens.record(clf, seqs)
    assert list(rec) == ["hidden1", "hidden2"] and rec["hidden1"].shape == (90, 8)  # the GRU's last state
    assert rec.activations["hidden1"] == "tanh"
    path = tmp_path / "s.html"
    hl.lens.report(clf, seqs, y, units_per_layer=3).save(path)
    text = check_page(path, ["hidden1", "hidden2"], [
        "The input itself is not probed: its padded steps (NaN) are not features.",
        "neuron maps need tabular inputs with two or more features; this model reads 11 × 3 arrays per example.",
    ])
    assert ("Where in each sequence the outputs look (integrated gradients from zeros, Captum), for 4 of the rows, each for its "
            "predicted output over its own steps") in text  # padded: a map per shown row (test_lens_report_padded.py)


def test_text_classifier_records_embedding_over_time_and_lstm() -> None:
    text = pytest.importorskip("hiddenlayers.apps._text")
    texts = ["good movie great fun", "bad boring awful", "great acting good plot", "awful bad film"] * 15
    y = np.array([1, 0, 1, 0] * 15)
    clf = text.TextClassifier("embed8,lstm8,6", max_iter=2, early_stopping=False, random_state=0).fit(texts, y)
    rec = hl.lens.record(clf, texts)
    assert rec["hidden1"].shape == (60, 4, 8) and rec.kinds["hidden1"] == "recurrent"  # (N, steps, dim): units over time
    assert rec.stats["hidden1"].units == 8 and rec.activations["hidden1"] == "identity"
    assert rec["hidden2"].shape == (60, 8)
    assert quiet_summary(clf, texts) == ["hidden1", "hidden2", "hidden3"]
    html_text = hl.lens.report(clf, texts, y, units_per_layer=3).html
    assert "attribution needs real-valued inputs; this model reads integer ids (embeddings)" in html_text


def test_lens_functions_that_draw_rows_take_an_applications_list_of_examples() -> None:
    """record, summary and probe read a TextClassifier's list of texts (a SequenceClassifier's list of sequences);
    layer_similarity, project and domain_shift refused the same list ('X is a list: pass the rows as one array')."""
    text = pytest.importorskip("hiddenlayers.apps._text")
    texts = ["good movie great fun", "bad boring awful", "great acting good plot", "awful bad film"] * 15
    y = np.array([1, 0, 1, 0] * 15)
    clf = text.TextClassifier("embed8,lstm8,6", max_iter=2, early_stopping=False, random_state=0).fit(texts, y)
    as_array = np.asarray(texts)  # an array of strings was the workaround
    np.testing.assert_allclose(hl.lens.layer_similarity(clf, texts).matrix, hl.lens.layer_similarity(clf, as_array).matrix)
    paired = hl.lens.layer_similarity(clf, texts, X_other=[t.upper() for t in texts])
    assert np.allclose(np.diag(paired.matrix), 1.0)  # the vocabulary is lower-cased: the same rows
    proj = hl.lens.project(clf, texts, max_rows=20)
    assert len(proj.rows) == 20 and proj["hidden2"].shape == (20, 2)
    np.testing.assert_allclose(proj["hidden2"], hl.lens.project(clf, as_array, max_rows=20)["hidden2"])
    shift = hl.lens.domain_shift(clf, texts[:30], texts[30:], y_target=y[30:], n_permutations=20, max_rows=25)
    assert (shift.n_source, shift.n_target) == (25, 25)
    seq = pytest.importorskip("hiddenlayers.apps._seq.sequence")
    rng = np.random.default_rng(0)
    seqs = [rng.normal(size=(int(rng.integers(5, 12)), 3)).astype(np.float32) for _ in range(40)]  # varying lengths: no one array
    sc = seq.SequenceClassifier("gru8,6", max_iter=2, early_stopping=False, random_state=0).fit(seqs, y[:40])
    sim = hl.lens.layer_similarity(sc, seqs, max_rows=30)
    assert sim.rows == ["hidden1", "hidden2"] and np.allclose(np.diag(sim.matrix), 1.0)
    with pytest.raises(TypeError, match="X is a list: pass the rows as one"):  # a plain module still says what to pass
        hl.lens.layer_similarity(torch.nn.Sequential(torch.nn.Linear(2, 3)), [[0.0, 1.0], [1.0, 0.0]])


def test_padded_sequence_steps_are_no_data_for_stats_features_or_cka() -> None:
    """A ``:seq`` recurrent layer of sequences of different lengths: its output is zero past each end. The
    statistics, features (for CKA, probes, projections) and units count only each row's real steps; before,
    the padding's zeros were samples (661 real steps read as 1140, active 30% instead of 52%, features off by 0.2)."""
    seq = pytest.importorskip("hiddenlayers.apps._seq.sequence")
    rng = np.random.default_rng(0)
    lengths = rng.integers(3, 20, size=60)
    seqs = [rng.normal(size=(int(t), 3)) + i % 2 for i, t in enumerate(lengths)]
    clf = seq.SequenceClassifier("lstm8:seq,lstm6,4", max_iter=3, early_stopping=False, random_state=0).fit(seqs, np.tile([0, 1], 30))
    rec = hl.lens.record(clf, seqs)
    a = rec["hidden1"]  # (60, 19, 8), zeros past each sequence's end
    real = np.concatenate([a[i, : lengths[i]] for i in range(60)])  # (661, 8): the real steps only
    s = rec.stats["hidden1"]
    assert s.samples == int(lengths.sum()) and np.array_equal(rec.lengths["hidden1"], lengths)
    np.testing.assert_allclose(s.fraction_active, (real > 0).mean(0), atol=1e-12)
    np.testing.assert_allclose(s.std, real.std(0), atol=1e-5)
    assert s.sparsity == pytest.approx(float((np.abs(real) <= 1e-7).mean()))
    np.testing.assert_array_equal(rec.units("hidden1"), real)
    per_row = np.stack([a[i, : lengths[i]].mean(0) for i in range(60)])
    np.testing.assert_allclose(rec.features("hidden1"), per_row, atol=1e-6)
    sim = hl.lens.layer_similarity(clf, seqs, layers=["hidden1", "hidden2"])
    assert sim.matrix[0, 1] == pytest.approx(hl.lens.cka(per_row, rec["hidden2"]), abs=1e-6)
    streamed = hl.lens.record(clf, seqs, stream=True, sample=10).stats["hidden1"]
    assert streamed.samples == int(lengths.sum()) and np.allclose(streamed.fraction_active, s.fraction_active)
