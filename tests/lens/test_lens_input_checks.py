"""The lens refuses bad input and bad arguments with one-line messages, before any work is done.

NaN/inf in X or in a layer's activations, row caps, attribution targets,
baselines and step counts, and layer selection by name or hidden-layer index.
"""

from __future__ import annotations

import re
import warnings
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

import hiddenlayers as hl
from hiddenlayers.lens import (
    GradientFlow,
    attribute,
    domain_shift,
    feature_importance,
    layer_attribution,
    layer_similarity,
    layer_stats,
    neuron_attribution,
    neuron_maps,
    probe,
    project,
    record,
    recording,
    select_layers,
    summary,
)

FEW = settings(max_examples=25, deadline=None)


@pytest.fixture(scope="module")
def iris():
    from sklearn.datasets import load_iris

    X, y = load_iris(return_X_y=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf = hl.MLPClassifier((16, 8), max_iter=100, random_state=0).fit(X, y)
    return clf, X, y


def _seq() -> nn.Sequential:
    return nn.Sequential(nn.Linear(4, 5), nn.ReLU(), nn.Linear(5, 2))


def _hook_count(module: nn.Module) -> int:
    return sum(len(m._forward_hooks) for m in module.modules())


def _nan_x(row: int) -> str:
    return re.escape(f"X holds NaN or infinite values (first in row {row}): drop or impute those rows before looking inside the model.")


# ----------------------------------------------------------------- 1. NaN and inf


def test_nan_input_is_an_error_not_dead_units():
    seq = _seq()
    with pytest.raises(ValueError, match=_nan_x(0)):
        record(seq, np.full((3, 4), np.nan, np.float32))
    with pytest.raises(ValueError, match=_nan_x(0)):
        summary(seq, np.full((3, 4), np.nan, np.float32))
    assert _hook_count(seq) == 0


def test_layer_stats_refuses_nan_and_inf():
    msg = re.escape(
        "h (the activations of 'layer') holds NaN or infinite values: check the network's input for NaN "
        "and the network for divergence (retrain with a lower learning rate) before reading its statistics."
    )
    with pytest.raises(ValueError, match=msg):
        layer_stats(np.array([[np.nan, 1.0], [2, 3]]), "relu")
    with pytest.raises(ValueError, match="activations of 'hidden2'"):
        layer_stats(torch.tensor([[1.0, float("inf")]]), "tanh", name="hidden2")


def test_a_diverged_network_is_named_by_its_first_non_finite_layer():
    seq = _seq()
    with torch.no_grad():
        seq[2].weight[0, 0] = float("nan")  # finite input, NaN from the last layer on
    msg = re.escape(
        "layer '2' produced NaN or infinite activations from finite input: the network has diverged "
        "(or its input overflows its dtype); retrain it with a lower learning rate or scaled inputs before looking inside it."
    )
    with pytest.raises(ValueError, match=msg):
        record(seq, np.ones((3, 4), np.float32))
    with pytest.raises(ValueError, match=msg):
        record(seq, np.ones((3, 4), np.float32), stream=True, sample=1)  # streamed statistics too
    with pytest.raises(ValueError, match=msg):
        summary(seq, np.ones((3, 4), np.float32))
    assert _hook_count(seq) == 0 and seq.training  # hooks removed and mode restored after the error
    assert record(seq, np.ones((3, 4), np.float32), "1").stats["1"].n_dead >= 0  # layers before it are still readable


@given(
    n_rows=st.integers(1, 30),
    bad=st.lists(st.tuples(st.integers(0, 29), st.integers(0, 3)), min_size=1, max_size=4),
    value=st.sampled_from([np.nan, np.inf, -np.inf]),
    batch_size=st.integers(1, 8),
)
@FEW
def test_the_first_bad_row_is_named_whatever_the_batching(n_rows, bad, value, batch_size):
    X = np.ones((n_rows, 4), np.float32)
    cells = [(r % n_rows, c) for r, c in bad]
    for r, c in cells:
        X[r, c] = value
    with pytest.raises(ValueError, match=_nan_x(min(r for r, _ in cells))):
        record(_seq(), X, batch_size=batch_size)
    with pytest.raises(ValueError, match=_nan_x(min(r for r, _ in cells))):
        record(_seq(), torch.from_numpy(X), batch_size=batch_size)


def test_every_entry_point_checks_x_first(iris):
    clf, X, y = iris
    Xn = X.copy()
    Xn[7, 2] = np.nan
    calls = [
        lambda: record(clf, Xn),
        lambda: record(clf, pd.DataFrame(Xn)),
        lambda: summary(clf, Xn),
        lambda: layer_similarity(clf, Xn),
        lambda: layer_similarity(clf, X, X_other=Xn),
        lambda: project(clf, Xn),
        lambda: probe(clf, Xn, y),
        lambda: neuron_maps(clf, Xn),
        lambda: attribute(clf, Xn, target=0),
        lambda: layer_attribution(clf, Xn, "hidden1", target=0),
        lambda: neuron_attribution(clf, Xn, "hidden1", 0),
        lambda: feature_importance(clf, Xn),
        lambda: GradientFlow(Xn),
    ]
    for call in calls:
        with pytest.raises(ValueError, match=_nan_x(7)):
            call()
    with pytest.raises(ValueError, match=re.escape("X_target holds NaN or infinite values (first in row 7)")):
        domain_shift(clf, X, Xn, max_rows=10)  # checked in full, not only the sampled rows


def test_scikit_learns_mlp_is_refused_naming_what_to_pass_and_a_pipeline_of_ours_is_taken(iris):
    """scikit-learn's own MLP was "not fitted yet" (unfitted) or told to "wrap your own forward call" (fitted): it names what
    to pass. A Pipeline(StandardScaler(), hl.MLPClassifier()) was an unknown object, then a refusal naming its last step:
    the lens now runs its scaler first (tests/lens/test_lens_pipeline.py has every entry point)."""
    from sklearn.neural_network import MLPClassifier as SkMLP
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    clf, X, y = iris
    with warnings.catch_warnings():  # a few iterations: ConvergenceWarning
        warnings.simplefilter("ignore")
        sk = SkMLP(hidden_layer_sizes=(4,), max_iter=2, random_state=0).fit(X, y)
        pipe = make_pipeline(StandardScaler(), hl.MLPClassifier((6,), max_iter=5, random_state=0)).fit(X, y)
    head = "model must be a fitted estimator or application of hiddenlayers (MLPClassifier, Autoencoder, Forecaster, ...) or a torch.nn.Module. "
    sk_msg = "^" + re.escape(head + "Received: MLPClassifier from sklearn, not hiddenlayers: fit hl.MLPClassifier instead (it takes the same parameters).") + "$"
    for model, message in ((sk, sk_msg), (SkMLP(), sk_msg)):
        for call in (lambda m: record(m, X), lambda m: summary(m, X), lambda m: layer_similarity(m, X), lambda m: probe(m, X, y),
                     lambda m: project(m, X), lambda m: attribute(m, X, target=0), lambda m: hl.lens.report(m, X, y, sections=["layers"])):
            with pytest.raises(TypeError, match=message):
                call(model)
    # the Pipeline records what its model computes on the rows its scaler makes
    got = record(pipe, X)["hidden1"]
    np.testing.assert_allclose(got, pipe[-1].transform(StandardScaler().fit_transform(X), layer=1), rtol=1e-5, atol=1e-6)
    # a Pipeline whose last step is scikit-learn's MLP: named, with ours that takes its parameters
    with pytest.raises(TypeError, match=r"Received: Pipeline \(a scikit-learn Pipeline whose last step is MLPClassifier from sklearn, not hiddenlayers: "
                                        r"fit hl\.MLPClassifier instead \(it takes the same parameters\)\)\.$"):
        record(make_pipeline(StandardScaler(), SkMLP()), X)


@pytest.mark.parametrize(("method", "least"), [("pca", 2), ("tsne", 3)])
def test_project_refuses_fewer_rows_than_it_can_place(iris, method, least):
    """One row projected by PCA came back as zeros, as if placed; t-SNE on 1 or 2 rows failed with scikit-learn's
    'perplexity (2.0) must be less than n_samples', a setting project never takes. Both now name the rows it needs."""
    clf, X, _ = iris
    with pytest.raises(ValueError, match="^" + re.escape(f"project(method={method!r}) needs at least {least} rows of X to place them in "
                                                         f"2-D, relative to each other. Received: {least - 1}; pass more rows.") + "$"):
        project(clf, X[:least - 1], method=method)
    with pytest.raises(ValueError, match=re.escape(f"an integer >= {least} (method={method!r} places at least {least} rows)")):
        project(clf, X, method=method, max_rows=least - 1)
    placed = project(clf, X[:least], method=method, max_rows=least)  # the least it names places them apart
    assert placed["hidden1"].shape == (least, 2) and np.ptp(placed["hidden1"], axis=0).max() > 0


def test_recording_refuses_nan_where_it_summarises():
    """The user's own forward pass under recording(stream=True): a NaN layer is named, not counted as dead units."""
    msg = re.escape(
        "layer '0' produced NaN or infinite activations: check the input of the forward pass for NaN and the network "
        "for divergence (retrain with a lower learning rate) before reading its statistics."
    )
    seq = _seq()
    with pytest.raises(ValueError, match=msg):
        with recording(seq, nn.Linear, stream=True):
            seq(torch.full((3, 4), float("nan")))
    assert _hook_count(seq) == 0
    with torch.no_grad():
        seq[2].weight[0, 0] = float("inf")  # finite input, inf from the last layer on
    with pytest.raises(ValueError, match=re.escape("layer '2' produced NaN or infinite activations: check the input")):
        with recording(seq, nn.Linear, stream=True):
            seq(torch.ones(3, 4))
    with recording(seq, nn.Linear, stream=True, keep=False) as rec:
        seq[:2](torch.ones(3, 4))  # only the finite layer ran: its statistics are there
    assert rec.acc["0"].result("0").samples == 3
    with recording(seq, nn.Linear) as rec:  # raw outputs are kept as they are, NaN included: layer_stats checks them
        seq(torch.full((3, 4), float("nan")))
    assert torch.isnan(rec.outputs["0"][0]).all()
    with pytest.raises(ValueError, match="activations of '0'"):
        layer_stats(rec.outputs["0"][0], name="0")


def test_gradient_flow_skips_activation_statistics_of_a_diverged_epoch(iris):
    _, X, _ = iris
    net = hl.Network(4, (8,), 3)
    with torch.no_grad():
        net.hidden1.linear.weight.fill_(float("nan"))
    history = SimpleNamespace(epoch=[1], extra={})
    GradientFlow(X[:10]).on_epoch_end(network=net, history=history)
    row = history.extra["gradient_flow"][0]["layers"]["hidden1"]
    assert "act_std" not in row and "weight_norm" in row  # training goes on; the table shows NaN there


# ------------------------------------------------------------------ 2. row caps


@given(max_rows=st.integers(max_value=3))
@FEW
def test_layer_similarity_max_rows_below_four_is_refused(iris, max_rows):
    """max_rows=2 was taken, and biased CKA on 2 rows is 1 whatever the layers (3 rows: nearly)."""
    clf, X, _ = iris
    msg = (f"max_rows must be None (every row) or an integer >= 4 (CKA needs at least 4 rows: on 2 it is 1 whatever the data, "
           f"on 3 nearly). Received: max_rows={max_rows!r}.")
    with pytest.raises(ValueError, match=re.escape(msg)):
        layer_similarity(clf, X, max_rows=max_rows)


@pytest.mark.parametrize("max_rows", [2.5, "10", True])
def test_layer_similarity_max_rows_must_be_an_integer(iris, max_rows):
    clf, X, _ = iris
    with pytest.raises(ValueError, match=re.escape(f"Received: max_rows={max_rows!r}.")):
        layer_similarity(clf, X, max_rows=max_rows)


_SHIFT_MSG = "max_rows must be None (every row) or an integer >= 2 (MMD² and the domain probe need 2 rows per domain). Received: max_rows={!r}."


@given(bad=st.one_of(
    st.integers(max_value=1),
    st.floats().filter(lambda f: not (f.is_integer() and f >= 2)),  # fractions, NaN, inf, and whole numbers below 2
    st.booleans(),
    st.text(max_size=4),
    st.just(np.float32(2.5)),
))
@FEW
def test_domain_shift_max_rows_refuses_what_is_not_a_row_count(iris, bad):
    clf, X, _ = iris
    with pytest.raises(ValueError, match=re.escape(_SHIFT_MSG.format(bad))):
        domain_shift(clf, X[:50], X[50:100], max_rows=bad)


@given(rows=st.integers(4, 10**12), as_float=st.booleans())
@FEW
def test_max_rows_takes_whole_numbers_as_ints(rows, as_float):
    from hiddenlayers.lens._target import check_max_rows

    value = float(rows) if as_float else np.int64(rows)
    got = check_max_rows(value, 4)
    assert got == int(value) and type(got) is int


def test_domain_shift_max_rows_as_a_float_or_none(iris):
    """1e5 is read as 100000, 20.0 as 20 (the same rows drawn), None as every row (the same as any cap above the data)."""
    clf, X, _ = iris
    Xt = X[50:110] + 0.5

    def rows(shift=None, **kw):
        return [(r.layer, r.mmd2, r.p_value) for r in (shift or domain_shift(clf, X[:50], Xt, n_permutations=19, **kw)).rows]

    assert rows(max_rows=20.0) == rows(max_rows=20)
    shift = domain_shift(clf, X[:50], Xt, n_permutations=19, max_rows=None)
    assert (shift.n_source, shift.n_target) == (50, 60)
    assert rows(shift) == rows(max_rows=1e5) == rows(max_rows=100_000)  # the max_rows=None shift's rows: no second run of it
    with_labels = {"y_target": np.arange(60) % 2}
    assert rows(max_rows=None, **with_labels) == rows(max_rows=10**9, **with_labels)


def test_other_row_caps_take_integral_floats(iris):
    clf, X, y = iris
    assert project(clf, X, max_rows=30.0)["hidden1"].shape == (30, 2)
    assert layer_similarity(clf, X, max_rows=1e2).matrix.shape == (2, 2)
    assert GradientFlow(X, max_rows=64.0).max_rows == 64


def test_layer_similarity_uses_exactly_max_rows_or_every_row(iris):
    clf, X, _ = iris
    from hiddenlayers.lens import cka

    h = clf.transform(X, layer=1)
    assert layer_similarity(clf, X, max_rows=None).matrix[0, 1] == pytest.approx(cka(h, clf.transform(X, layer=2)), abs=1e-5)
    last_dropped = cka(h[:149], clf.transform(X[:149], layer=2))
    assert layer_similarity(clf, X, max_rows=150).matrix[0, 1] != pytest.approx(last_dropped, abs=1e-9)


@given(max_rows=st.integers(max_value=0))
@FEW
def test_other_row_caps_are_refused_below_their_minimum(iris, max_rows):
    clf, X, _ = iris
    msg = re.escape(f"max_rows must be None (every row) or an integer >= 1. Received: max_rows={max_rows!r}.")
    with pytest.raises(ValueError, match=msg):
        feature_importance(clf, X, max_rows=max_rows)
    with pytest.raises(ValueError, match=re.escape("an integer >= 2 (method='pca' places at least 2 rows)")):
        project(clf, X, max_rows=max_rows)
    with pytest.raises(ValueError, match=msg):
        GradientFlow(X, max_rows=max_rows)
    with pytest.raises(ValueError, match=re.escape("an integer >= 2 (the plane is fitted to at least 2 rows)")):
        neuron_maps(clf, X, max_rows=max_rows)


def test_feature_importance_takes_every_row_with_none(iris):
    clf, X, _ = iris
    assert feature_importance(clf, X[:20], max_rows=None, n_steps=4).shape == (4,)
    np.testing.assert_allclose(feature_importance(clf, X[:20], max_rows=None, n_steps=4), feature_importance(clf, X[:20], max_rows=20, n_steps=4))


# ------------------------------------------------------------ 3. attribution targets


@given(target=st.integers().filter(lambda t: t not in (0, 1, 2)))
@FEW
def test_a_target_that_is_neither_a_class_nor_an_output_lists_both(iris, target):
    clf, X, _ = iris
    msg = re.escape(f"target {target!r} is not a class of this model; classes are [0, 1, 2] (output indices 0..2).")
    with pytest.raises(ValueError, match=msg):
        attribute(clf, X[:5], target=target)
    with pytest.raises(ValueError, match=msg):
        layer_attribution(clf, X[:5], "hidden1", target=target)


def test_unknown_string_target_and_bare_module_targets(iris):
    clf, X, _ = iris
    with pytest.raises(ValueError, match=re.escape("target 'rose' is not a class of this model; classes are [0, 1, 2] (output indices 0..2).")):
        attribute(clf, X[:5], target="rose")
    with pytest.raises(ValueError, match=re.escape("target 2 is not an output of this model; pass an output index 0..1.")):
        attribute(_seq(), X[:5].astype(np.float32), target=2)
    assert attribute(_seq(), X[:5].astype(np.float32), target=1).shape == (5, 4)
    one = torch.nn.Linear(4, 1)  # a regressor's one output: it said "pass an output index 0..0"
    with pytest.raises(ValueError, match=re.escape("target 3 is not an output of this model, which has one output: leave target out (or pass target=0).")):
        attribute(one, X[:5].astype(np.float32), target=3)
    assert attribute(one, X[:5].astype(np.float32), target=0).shape == (5, 4)


# ------------------------------------------------------ 4. baseline, n_steps


@given(shape=st.lists(st.integers(1, 6), min_size=1, max_size=3).filter(lambda s: tuple(s) not in ((4,), (5, 4))))
@FEW
def test_a_baseline_of_another_shape_is_refused(iris, shape):
    clf, X, _ = iris
    msg = re.escape(
        f"baseline must be a number, one row of X (shape (4,)) or X's shape (5, 4). Received shape {tuple(shape)}; "
        "pass e.g. np.zeros(X.shape[1]) or X.mean(axis=0)."
    )
    with pytest.raises(ValueError, match=msg):
        attribute(clf, X[:5], target=1, baseline=np.zeros(shape))


def test_baselines_that_fit_give_the_same_answer_and_nan_is_refused(iris):
    clf, X, _ = iris
    row = X.mean(axis=0)
    a = attribute(clf, X[:5], target=1, baseline=row)
    np.testing.assert_allclose(a, attribute(clf, X[:5], target=1, baseline=np.tile(row, (5, 1))), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(attribute(clf, X[:5], target=1, baseline=0.0), attribute(clf, X[:5], target=1, baseline="zeros"), rtol=1e-5, atol=1e-6)
    msg = re.escape("baseline holds NaN or infinite values: pass a finite reference input, e.g. np.zeros(X.shape[1]) or X.mean(axis=0).")
    with pytest.raises(ValueError, match=msg):
        attribute(clf, X[:5], target=1, baseline=[np.nan, 0, 0, 0])


@given(n_steps=st.one_of(st.integers(max_value=0), st.just(True), st.just(2.5)))
@FEW
def test_n_steps_below_one_is_refused_by_every_attribution(iris, n_steps):
    clf, X, _ = iris
    msg = re.escape(f"n_steps must be an integer >= 1 (integration steps from the baseline to X). Received: n_steps={n_steps!r}.")
    for call in (
        lambda: attribute(clf, X[:5], target=1, n_steps=n_steps),
        lambda: layer_attribution(clf, X[:5], "hidden1", target=1, n_steps=n_steps),
        lambda: neuron_attribution(clf, X[:5], "hidden1", 0, n_steps=n_steps),
        lambda: feature_importance(clf, X[:5], n_steps=n_steps),
    ):
        with pytest.raises(ValueError, match=msg):
            call()


# ------------------------------------------------------------- 5. layer selection


def test_hidden_layer_indices_select_as_transform_does(iris):
    clf, X, _ = iris
    assert list(record(clf, X, layers=1)) == ["hidden1"]
    assert list(record(clf, X, layers=-1)) == ["hidden2"]
    acts = record(clf, X, layers=[2, "hidden1"])
    assert list(acts) == ["hidden2", "hidden1"]
    np.testing.assert_allclose(acts["hidden2"], clf.transform(X, layer=2), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(layer_attribution(clf, X[:5], 1, target=0), layer_attribution(clf, X[:5], "hidden1", target=0))
    np.testing.assert_allclose(neuron_attribution(clf, X[:5], 2, 3), neuron_attribution(clf, X[:5], "hidden2", 3))


@given(index=st.integers().filter(lambda i: not -2 <= i <= 2 or i == 0))
@FEW
def test_a_hidden_layer_index_out_of_range_lists_the_layers(iris, index):
    clf, X, _ = iris
    msg = re.escape(f"layers={index!r} is not a hidden layer of Network: pass 1..2 (or -1..-2 from the end); 1=hidden1, 2=hidden2.")
    with pytest.raises(ValueError, match=msg):
        record(clf, X, layers=index)
    with pytest.raises(ValueError, match=msg):
        record(clf, X, layers=["hidden1", index])
    with pytest.raises(ValueError, match=msg.replace("layers=", "layer=", 1)):  # the argument layer_attribution takes
        layer_attribution(clf, X[:5], index, target=0)


def test_a_module_without_hidden_layers_asks_for_names():
    msg = re.escape("layers=1 is a hidden-layer index, but Sequential names no hidden layers; pass layer names instead: 0 (Linear), 1 (ReLU), 2 (Linear).")
    with pytest.raises(ValueError, match=msg):
        select_layers(_seq(), 1)


def test_an_unmatched_name_in_a_big_model_lists_ten_layers_and_how_to_list_all():
    big = nn.Sequential(*(nn.Sequential(nn.Linear(4, 4), nn.ReLU()) for _ in range(100)))  # 300 named modules
    with pytest.raises(ValueError) as info:
        select_layers(big, "57.O")
    msg = str(info.value)
    assert "\n" not in msg and len(msg) < 500, msg
    assert msg.startswith("layers='57.O' matched no layer of Sequential; its layers are: 0 (Sequential), 0.0 (Linear), 0.1 (ReLU), 1 (Sequential), ")
    assert "3 (Sequential), ... and 290 more (list them all with list(hl.lens.select_layers(model, '*')))." in msg
    assert "99.1" not in msg
    assert re.search(r"Did you mean '57\.[01]'\?$", msg), msg  # the near match is still suggested, though it is not listed
    with pytest.raises(ValueError, match=re.escape("... and 290 more")):
        select_layers(big, lambda name, module: False)
    assert len(select_layers(big, "*")) == 300  # the way the message gives lists them all


def test_select_layers_takes_a_fitted_estimator(iris):
    clf, _, _ = iris
    assert list(select_layers(clf, "hidden?")) == ["hidden1", "hidden2"]
    assert len(select_layers(clf, "*")) == 7


def test_unmatched_list_entries_are_named(iris):
    clf, X, _ = iris
    listing = (
        "its layers are: hidden1 (DenseLayer), hidden1.linear (Linear), hidden1.act (ReLU), "
        "hidden2 (DenseLayer), hidden2.linear (Linear), hidden2.act (ReLU), head (Linear)."
    )
    with pytest.raises(ValueError, match=re.escape(f"layers entry 'nope' matched no layer of Network; {listing}")):
        record(clf, X, ["hidden1", "nope"])
    with pytest.raises(ValueError, match=re.escape(f"layers entries 'nope', 'hiden2' matched no layer of Network; {listing} Did you mean 'hidden2'?")):
        record(clf, X, ["nope", "hidden1", "hiden2"])
    with pytest.raises(ValueError, match=re.escape(f"layer='nope' matched no layer of Network; {listing}")):
        layer_attribution(clf, X[:5], "nope", target=0)
    with pytest.raises(ValueError, match=re.escape("layer='hidden?' matched 2 layers (hidden1 (DenseLayer), hidden2 (DenseLayer)): name one layer.")):
        layer_attribution(clf, X[:5], "hidden?", target=0)


@pytest.mark.parametrize("attribution", ["layer", "neuron"])
def test_a_pattern_matching_many_layers_lists_ten_and_how_to_list_them(attribution: str) -> None:
    """A pattern that matches 100 layers of a big model names ten and how to list the matches, as an unmatched name's
    listing does; before, the one-line error listed all 100."""
    big = nn.Sequential(*(nn.Sequential(nn.Linear(4, 4), nn.ReLU()) for _ in range(100)))
    X = np.ones((3, 4), dtype=np.float32)
    with pytest.raises(ValueError) as info:
        if attribution == "layer":
            layer_attribution(big, X, "*.0", target=0)
        else:
            neuron_attribution(big, X, "*.0", 0)
    msg = str(info.value)
    assert "\n" not in msg and len(msg) < 400, msg
    assert msg.startswith("layer='*.0' matched 100 layers (0.0 (Linear), 1.0 (Linear), ")
    assert msg.endswith("9.0 (Linear), ... and 90 more (list them all with list(hl.lens.select_layers(model, '*.0')))): name one layer.")
    assert "10.0" not in msg and len(hl.lens.select_layers(big, "*.0")) == 100


@given(bad=st.one_of(st.floats(allow_nan=False), st.just(True), st.just(b"hidden1")))
@FEW
def test_other_selector_types_are_type_errors(bad):
    forms = "a layer name or glob pattern, a 1-based hidden-layer index (int), a module type, a list of names and indices, or a predicate"
    with pytest.raises(TypeError, match=re.escape(f"layers must be {forms}. Received: {bad!r}.")):
        select_layers(_seq(), bad)
    msg = f"each entry of a layers list must be a layer name, a glob pattern or a 1-based hidden-layer index. Received: {bad!r}."
    with pytest.raises(TypeError, match=re.escape(msg)):
        select_layers(_seq(), ["0", bad])


def test_project_draws_its_rows_at_random_and_says_which(iris):
    """iris is sorted by label: the first 60 rows hold classes 0 and 1 only; a seeded draw holds all three."""
    clf, X, y = iris
    assert set(y[:60]) == {0, 1}
    out = project(clf, X, max_rows=60)
    assert out["hidden1"].shape == (60, 2)  # still a dict of layer -> (n, 2)
    assert out.rows.shape == (60,) and np.all(np.diff(out.rows) > 0) and set(y[out.rows]) == {0, 1, 2}
    np.testing.assert_array_equal(project(clf, X, max_rows=60).rows, out.rows)  # seeded: the same rows again
    assert not np.array_equal(project(clf, X, max_rows=60, random_state=1).rows, out.rows)
    np.testing.assert_allclose(out["hidden1"], project(clf, X[out.rows], max_rows=None)["hidden1"], atol=1e-6)
    np.testing.assert_array_equal(project(clf, X, max_rows=None).rows, np.arange(len(X)))


def test_a_model_with_stored_table_preprocessing_is_inspected_on_its_raw_frame() -> None:
    """A model of `hiddenlayers train FILE` fills missing cells with its stored preprocessing, as `predict` does; the
    lens refused such a frame ("X holds NaN or infinite values ... drop or impute those rows") and, without NaN,
    failed on its text columns. It now reads the raw frame through that preprocessing, as predict does."""
    from hiddenlayers.data import TablePreprocessor

    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"age": rng.normal(40, 10, 80), "city": rng.choice(["Paris", "Rome"], 80)})
    frame.loc[::5, "age"] = np.nan
    pre = TablePreprocessor().fit(frame)
    A = pre.transform(frame).matrix
    est = hl.MLPClassifier(hidden_layer_sizes=(6,), max_iter=5, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est.fit(A, np.arange(80) % 2)
    est.preprocessing_ = pre.to_dict()  # as the CLI stores it
    (raw,) = hl.lens.summary(est, frame)
    (ready,) = hl.lens.summary(est, A)
    assert np.allclose(raw.mean, ready.mean) and raw.effective_rank == ready.effective_rank
    with pytest.raises(ValueError, match=_nan_x(1)):  # an array is still the network's input: no imputation
        hl.lens.summary(est, np.where(np.arange(80)[:, None] == 1, np.nan, A))


@pytest.mark.parametrize("model", [torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU()), hl.MLPClassifier((4,))], ids=["module", "estimator"])
def test_functions_of_activations_given_a_model_say_to_record_first(model) -> None:
    """cka, layer_stats and top_activating take recorded activations; a model read as an object array
    ("can't convert np.ndarray of type numpy.object_", or "acts must be (n_rows, units). Received shape (2,)")."""
    acts = np.random.default_rng(0).normal(size=(10, 4))
    calls = {
        "cka": lambda: hl.lens.cka(model, acts),
        "layer_stats": lambda: hl.lens.layer_stats(model),
        "top_activating": lambda: hl.lens.top_activating(model),
    }
    for func, call in calls.items():
        with pytest.raises(TypeError, match=rf"^{func} takes activations, .* received a model \({type(model).__name__}\)\. "
                           rf"Record them first: acts = hl.lens.record\(model, X\); {func}\(acts\['layer name'\], \.\.\.\)\.$"):
            call()
    with pytest.raises(TypeError, match=r"^cka takes activations, Y as"):
        hl.lens.cka(acts, model)
    assert hl.lens.cka(acts, acts) == pytest.approx(1.0)  # activations still pass


def test_functions_of_one_layers_activations_given_a_whole_recording_name_its_layers() -> None:
    """top_activating(acts) on what record returns said "acts must be (n_rows, units). Received shape (2,)", and
    layer_stats and cka "can't convert np.ndarray of type numpy.str_": the recording was read as an array of its names."""
    X = np.random.default_rng(0).normal(size=(12, 3))
    net = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2), torch.nn.Tanh())
    acts = hl.lens.record(net, X)
    first = next(iter(acts))
    calls = {
        "top_activating": (lambda: hl.lens.top_activating(acts), "acts"),
        "layer_stats": (lambda: hl.lens.layer_stats(acts), "h"),
        "cka": (lambda: hl.lens.cka(acts, acts[first]), "X"),
    }
    for func, (call, name) in calls.items():
        with pytest.raises(TypeError, match=rf"^{func} takes one layer's activations, {name} as a \(n_rows, units\) array; received a "
                           rf"recording of layers {', '.join(map(re.escape, acts))}: pass one of them, {func}\(acts\['{re.escape(first)}'\], \.\.\.\)"):
            call()
    with pytest.raises(TypeError, match=r"cka_matrix\(acts\) compares every pair of layers"):
        hl.lens.cka(acts[first], dict(acts))
    assert hl.lens.top_activating(acts[first], k=2).shape == (acts[first].shape[1], 2)  # one layer still passes


def test_attribution_of_integer_ids_names_the_embedding_layer_to_attribute_at():
    """Token ids have no gradient: the refusal names the embedding layer and how to run Captum's token attribution there
    (it said only 'token or index inputs have no gradient')."""
    from captum.attr import LayerIntegratedGradients

    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Embedding(10, 4), torch.nn.Flatten(), torch.nn.Linear(12, 2))
    ids = np.array([[1, 2, 3], [4, 5, 6]])
    for call in (lambda: hl.lens.attribute(net, ids, target=1), lambda: hl.lens.layer_attribution(net, ids, "2", target=1)):
        with pytest.raises(TypeError, match=r"integer ids .* LayerIntegratedGradients\(forward, layer\) on its embedding layer '0'"):
            call()
    t = hl.lens.as_target(net)  # the advice runs as written
    attr = LayerIntegratedGradients(t.module, net[0]).attribute(torch.as_tensor(t.prepared(ids)), target=1)
    assert attr.shape == (2, 3, 4)
    no_embedding = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(3, 2))
    with pytest.raises(TypeError, match="record its layers"):
        hl.lens.attribute(no_embedding, ids, target=1)


def test_big_endian_rows_read_as_their_values(iris):
    # a '>f8' array (a file's byte order, np.fromfile(..., '>f8')) was PyTorch's "byte order different from the native byte order"
    clf, X, _ = iris
    for model, rows in ((clf, X), (_seq(), X.astype(np.float32))):
        ref = record(model, rows).arrays
        for order in (">f8", ">f4"):
            got = record(model, rows.astype(order)).arrays
            for name in ref:
                np.testing.assert_allclose(got[name], ref[name], rtol=1e-6, atol=1e-6)


def test_a_meta_tensor_is_one_line_not_pytorchs_item_error(iris):
    # was "RuntimeError: Tensor.item() cannot be called on meta tensors" from the finite check
    clf, X, _ = iris
    meta = torch.empty(X.shape, device="meta")
    for call in (lambda: record(clf, meta), lambda: record(_seq(), meta), lambda: attribute(clf, meta, target=0)):
        with pytest.raises(hl.DataError, match=r"^the data is a tensor on the 'meta' device \(shape \(150, 4\)\), which holds no values"):
            call()


@pytest.mark.parametrize(("X", "words"), [
    (np.array([[1, 2, 3, 4]], dtype="datetime64[D]"), r"dates and times \(datetime64\[D\]\)"),
    (np.array([[1, 2, 3, 4]], dtype="timedelta64[s]"), r"durations \(timedelta64\[s\]\)"),
    (np.ones((2, 4), dtype=complex), r"complex numbers \(complex128\)"),
    (np.array([["a", "b", "c", "d"]]), r"text \(<U1\)"),
    (pd.DataFrame({"when": pd.to_datetime(["2024-01-01"]), "b": [1.0], "c": [2.0], "d": [3.0]}), r"column 'when' holds dates and times"),
])
def test_a_plain_module_given_values_it_cannot_read_is_told_the_dtype_in_one_line(X, words):
    # PyTorch's "can't convert np.ndarray of type numpy.datetime64" (a TypeError) before; a complex array was "X holds integers"
    with pytest.raises(hl.exceptions.DataError, match=words) as info:
        hl.lens.record(_seq(), X)
    assert "\n" not in str(info.value) and ("real numbers" in str(info.value) or "encode it" in str(info.value))


def test_a_complex_tensor_is_not_called_integers():
    with pytest.raises(ValueError, match="X holds complex numbers") as info:
        hl.lens.record(_seq(), torch.ones(2, 4, dtype=torch.complex64))
    assert "integers" not in str(info.value)
