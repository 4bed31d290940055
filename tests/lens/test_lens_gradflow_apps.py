"""GradientFlow as a callback of the sequence applications, written in Python as a user writes it.

The app's fit binds the callback (``set_estimator``): ``X`` is what that app's ``fit`` takes, turned into its network's
input by the app, and a Translator's two-input network is read through its ``lens_network()`` view. The activation
statistics of the epoch whose weights the app keeps equal what ``hl.lens.record`` reads on the fitted app.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import hiddenlayers as hl
from hiddenlayers.lens import GradientFlow

SOURCES = ["a b c", "b c d", "c d e", "d e f a"]
TARGETS = ["x y", "y z w", "z w", "w v"]


def _same_stats(record: dict, fitted: object, X: object) -> None:
    """``record``'s activation statistics are the lens's own on the fitted app (whose weights are that epoch's)."""
    rec = hl.lens.record(fitted, X, stream=True)
    assert set(record["layers"]) == set(rec.stats)
    for name, row in record["layers"].items():
        s = rec.stats[name]
        assert row["units"] == s.units and row["dead"] == s.n_dead
        assert row["fraction_active"] == pytest.approx(float(s.fraction_active.mean()))
        assert row["act_std"] == pytest.approx(float(s.std.mean()))
        assert row["grad_norm"] > 0 and row["steps"] == 1


def test_a_translators_gradient_flow_takes_the_pairs_fit_takes() -> None:
    """It raised a TypeError about Seq2Seq's three inputs: the fit handed the callback its raw two-input network."""
    flow = GradientFlow((SOURCES, TARGETS))
    assert repr(flow).startswith("GradientFlow(X=<4 (source, target) pairs>, ")
    tr = hl.apps.Translator(max_iter=2, random_state=0, callbacks=[flow]).fit(SOURCES, TARGETS)
    assert [r["epoch"] for r in flow.records] == [1, 2] and tr.history_.extra["gradient_flow"] == flow.records
    assert list(flow.records[0]["layers"]) == ["encoder.embedding", "encoder.rnn", "decoder.embedding", "decoder.rnn", "decoder.attentional"]
    held = tr.history_.held_epoch
    _same_stats(flow.records[held - 1], tr, (SOURCES, TARGETS))


def test_a_translators_gradient_flow_without_rows_names_the_lens_layers() -> None:
    """Without X only gradients are kept, under the names the CLI's records and ``inspect`` use."""
    flow = GradientFlow()
    hl.apps.Translator(max_iter=1, random_state=0, callbacks=[flow]).fit(SOURCES, TARGETS)
    layers = flow.records[0]["layers"]
    assert all(n.startswith(("encoder.", "decoder.")) for n in layers) and "encoder.rnn" in layers
    assert all("fraction_active" not in row and row["grad_norm"] > 0 for row in layers.values())


def test_a_sequence_classifiers_gradient_flow_takes_sequences_of_different_lengths() -> None:
    """It refused them (read as a table: "inhomogeneous shape"); the app pads them with NaN steps, which its network
    reads as each sequence's end, so they are read as the app reads them."""
    rng = np.random.default_rng(0)
    X = [rng.normal(size=(n, 2)) for n in (3, 5, 4, 6, 2, 7)]
    y = [0, 1, 0, 1, 0, 1]
    flow = GradientFlow(X)
    assert repr(flow) == "GradientFlow(X=<6 rows>, layers=None, every=1, max_rows=1024)"  # it raised on ragged X
    clf = hl.apps.SequenceClassifier(max_iter=2, random_state=0, callbacks=[flow]).fit(X, y)
    assert [r["epoch"] for r in flow.records] == [1, 2]
    assert all(math.isfinite(row["fraction_active"]) for r in flow.records for row in r["layers"].values())
    _same_stats(flow.records[clf.history_.held_epoch - 1], clf, X)


def test_rows_the_app_cannot_read_are_refused_before_the_first_step() -> None:
    """A Translator given GradientFlow of a plain list (not the (sources, targets) pair) is told what it takes."""
    tr = hl.apps.Translator(max_iter=1, random_state=0, callbacks=[GradientFlow(SOURCES)])
    with pytest.raises(TypeError, match=r"a Translator's pairs are a tuple \(sources, targets\)"):
        tr.fit(SOURCES, TARGETS)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_the_app_a_fit_bound_is_forgotten_when_it_ends(iris) -> None:
    """The same GradientFlow given to an MLP next reads its rows as a table again, not through the Translator."""
    flow = GradientFlow()
    hl.apps.Translator(max_iter=1, random_state=0, callbacks=[flow]).fit(SOURCES, TARGETS)
    X, y = iris
    flow.X = X[:20]
    hl.MLPClassifier((8,), max_iter=1, random_state=0, callbacks=[flow]).fit(X, y)
    assert list(flow.records[0]["layers"]) == ["hidden1"] and math.isfinite(flow.records[0]["layers"]["hidden1"]["fraction_active"])
