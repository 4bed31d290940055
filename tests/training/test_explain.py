"""explain: one forward + backward pass by hand, checked against autograd."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console

from hiddenlayers.network import ACTIVATIONS
from hiddenlayers.training._explain import explain, parse_sizes


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
@pytest.mark.parametrize("loss", ["squared_error", "cross_entropy", "binary_cross_entropy"])
def test_matches_autograd_for_every_activation(activation, loss):
    ex = explain((3, 4, 3, 2), activation=activation, loss=loss, seed=1)
    assert ex.max_abs_diff < 1e-7
    assert ex.loss_after < ex.loss  # one small step downhill


def test_hand_numbers_of_a_known_network():
    ex = explain((2, 3, 2), activation="tanh", x="0.5,-1", target="1,0", seed=0)
    h1 = ex.forward[0]
    np.testing.assert_allclose(h1.z, h1.W @ np.array([0.5, -1.0]) + h1.b)
    np.testing.assert_allclose(h1.h, np.tanh(h1.z))
    y = ex.forward[1].z
    assert ex.loss == pytest.approx(0.5 * ((y - [1, 0]) ** 2).sum())
    out, hid = ex.backward
    np.testing.assert_allclose(out.dL_dz, y - [1, 0])
    np.testing.assert_allclose(out.dL_dW, np.outer(y - [1, 0], h1.h))
    np.testing.assert_allclose(hid.dL_dz, (ex.forward[1].W.T @ out.dL_dz) * (1 - h1.h**2))


def test_to_dict_is_json_and_render_prints_every_step():
    ex = explain(seed=3)
    d = json.loads(json.dumps(ex.to_dict()))
    assert d["sizes"] == [2, 3, 2] and d["max_abs_diff"] < 1e-7
    assert [u["layer"] for u in d["updated"]] == ["hidden1", "output"] and len(d["updated"][0]["W"]) == 3
    assert d["backward"][0]["dL_dh"] is None and len(d["backward"][1]["act_grad"]) == 3  # the output layer has no activation
    buf = io.StringIO()
    ex.render(Console(file=buf, width=120))
    text = buf.getvalue()
    for part in ["1. Forward pass", "2. Backward pass", "3. Check against PyTorch autograd", "4. One gradient-descent step", "loss before"]:
        assert part in text


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"sizes": "2,3"}, "sizes needs at least 3 positive integers"),
        ({"sizes": "2,a,2"}, "sizes must be integers separated by commas"),
        # '2,0,2' has 3 numbers: it was told "sizes needs at least 3 positive integers", not which one was wrong
        ({"sizes": "2,0,2"}, r"^sizes must be positive integers: hidden layer 1 cannot have 0 units \(every layer has at least 1\)"),
        ({"sizes": "0,3,2"}, r"^sizes must be positive integers: the inputs cannot have 0 units"),
        ({"sizes": (2, 3, 3, -1)}, r"^sizes must be positive integers: the outputs cannot have -1 units"),
        ({"sizes": "2,99,2"}, "capped at 16 units"),
        ({"x": "1,2,3"}, "input must have 2 numbers"),
        ({"x": "1,b"}, "input must be 2 comma-separated numbers"),
        ({"loss": "hinge"}, "loss must be one of squared_error, cross_entropy, binary_cross_entropy"),
        ({"loss": "binary_cross_entropy", "target": "1.5,0"}, r"each target must be in \[0, 1\]"),
        ({"loss": "cross_entropy", "target": "2,0"}, "probabilities summing to 1"),
        # a class index, as fit takes a label, was told only "target must have 2 numbers (one per output). Received 1."
        ({"loss": "cross_entropy", "target": "1"}, r"class 1 \(counted from 0\) is the one-hot '0,1'\. Received: '1'\.$"),
        ({"loss": "generalized_cross_entropy", "target": 0}, r"class 0 \(counted from 0\) is the one-hot '1,0'\. Received: 0\.$"),
        ({"loss": "cross_entropy", "target": "5"}, r"^target must have 2 numbers \(one per output\)\. Received 1\.$"),  # no class 5
        ({"target": "1"}, r"^target must have 2 numbers \(one per output\)\. Received 1\.$"),  # squared error: values, no classes
        ({"learning_rate": -1.0}, "learning_rate must be a finite number > 0"),
        ({"activation": "rleu"}, "unknown activation 'rleu'"),
    ],
)
def test_errors(kwargs, message):
    sizes = kwargs.pop("sizes", (2, 3, 2))
    with pytest.raises(ValueError, match=message):
        explain(sizes, **kwargs)


def test_parse_sizes():
    assert parse_sizes("2, 4,3 ,1") == [2, 4, 3, 1]


CE_ONE_OUTPUT = (
    "loss='cross_entropy' needs at least 2 outputs (a softmax over one output is always 1: loss and gradients 0); "
    "for one output use loss='binary_cross_entropy' (logistic), or end sizes with 2 or more. Received: sizes=2,3,1."
)


def test_cross_entropy_over_one_output_is_refused():
    with pytest.raises(ValueError) as info:
        explain((2, 3, 1), loss="cross_entropy")
    assert str(info.value) == CE_ONE_OUTPUT


def test_binary_cross_entropy_is_the_one_output_loss():
    ex = explain((2, 3, 1), loss="binary_cross_entropy", x="0.5,-1", target="1", seed=0)
    z = ex.forward[-1].z
    p = 1 / (1 + np.exp(-z))
    assert ex.loss == pytest.approx(float(-np.log(p[0])))
    np.testing.assert_allclose(ex.dL_dout, p - 1)
    assert np.abs(ex.backward[0].dL_dW).max() > 0 and ex.max_abs_diff < 1e-12 and ex.loss_after < ex.loss


def test_cross_entropy_loss_is_exact_when_a_probability_underflows():
    """Logits 1000s apart: p of the target class is 0 in float64, but the loss is the log-softmax, not log(clip(p))."""
    import torch

    ex = explain((2, 2, 2), activation="identity", loss="cross_entropy", x="20000,-20000", target="0,1", seed=0)
    z = torch.tensor(ex.forward[-1].z)
    exact = float(-torch.log_softmax(z, 0)[1])
    assert exact > 1000  # the case in hand: exp(-exact) underflows
    assert ex.loss == pytest.approx(exact, rel=1e-12)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"x": "1e300,1e300", "activation": "relu"},
         "input values must be within ±1e+06, so every printed number keeps its digits and float64 does not overflow; "
         "scale the values first (e.g. standardise the column). Received: [1e+300, 1e+300]."),
        ({"target": "1e7,0"}, "target values must be within ±1e+06"),
        ({"learning_rate": 1e300},
         "learning_rate=1e+300 is so large that the step overflows float64 (the loss after it is inf): choose a smaller learning rate, e.g. 0.1."),
        ({"loss": "cross-entropy"},
         "loss must be one of squared_error, cross_entropy, binary_cross_entropy, generalized_cross_entropy, binary_generalized_cross_entropy, "
         "poisson, logistic_squared_error. Received: loss='cross-entropy'. Did you mean 'cross_entropy'?"),
        ({"seed": -1}, "seed must be an integer >= 0 (the seed of the weights and the default input). Received: seed=-1."),
    ],
)
def test_numbers_that_would_print_inf_or_a_foreign_error_are_refused(kwargs, message):
    with pytest.raises(ValueError) as info:
        explain((2, 3, 2), **kwargs)
    assert str(info.value).startswith(message)


@pytest.mark.parametrize(("kwargs", "message"), [({"seed": 1.5}, "seed must be an integer >= 0"), ({"learning_rate": True}, "learning_rate must be a number > 0")])
def test_wrong_types_are_named(kwargs, message):
    with pytest.raises(TypeError, match=message):
        explain((2, 3, 2), **kwargs)


def test_depth_is_capped_before_anything_is_built():
    sizes = "2," + "16," * 3000 + "2"
    with pytest.raises(ValueError) as info:
        explain(sizes)
    assert str(info.value) == ("sizes allows at most 8 hidden layers (10 numbers with the inputs and outputs) so the walk-through "
                               "stays readable, e.g. '2,3,3,2'. Received: 3002 numbers.")
    assert len(explain([2] + [3] * 8 + [2]).backward) == 9  # 8 hidden layers are fine


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(-3, 20), min_size=0, max_size=12), st.booleans())
def test_parse_sizes_accepts_exactly_the_documented_range(sizes, as_text):
    value = ",".join(map(str, sizes)) if as_text else sizes
    ok = 3 <= len(sizes) <= 10 and all(1 <= s <= 16 for s in sizes)
    if ok:
        assert parse_sizes(value) == sizes
    else:
        with pytest.raises(ValueError, match="^sizes "):
            parse_sizes(value)


def test_parse_sizes_refuses_fractions_instead_of_truncating():
    with pytest.raises(ValueError, match="sizes must be integers"):
        parse_sizes([2, 2.7, 2])
    assert parse_sizes([2, 3.0, 2]) == [2, 3, 2]


def test_large_inputs_agree_with_autograd_to_rounding_not_to_an_absolute_1e_7():
    """Inputs near 1e6 make gradients near 1e12: rounding alone differs by ~1e-4, which the check called DISAGREE."""
    ex = explain((4, 16, 16, 16, 3), activation="identity", x="1e6,-1e6,5e5,-3e5", seed=0)
    assert ex.max_abs_diff > 1e-7 and ex.agrees
    assert max(ex.autograd_sizes.values()) > 1e9
    buf = io.StringIO()
    ex.render(Console(file=buf, width=200))
    assert "DISAGREE" not in buf.getvalue() and "autograd agree" in buf.getvalue()


def test_a_wrong_hand_gradient_is_still_caught():
    ex = explain(seed=0)
    ex.autograd_diffs["hidden1.W"] = 1e-6  # what a wrong derivative would leave, at this scale
    assert not ex.agrees


def test_binary_cross_entropy_of_a_very_negative_logit_warns_nothing():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ex = explain((2, 3, 1), activation="identity", loss="binary_cross_entropy", x="-1e6,1e6", target="1", seed=1)
    assert ex.forward[-1].z[0] < -800 and np.isfinite(ex.loss) and ex.agrees


def _training_loss_grads(weights, acts, x, t, loss):
    """(value, [(dL/dW, dL/db)...]) through the training stage's own Loss (``value`` for a batch of one row), float64 autograd."""
    import torch

    from hiddenlayers.network import get_activation

    params = [(torch.tensor(W, requires_grad=True), torch.tensor(b, requires_grad=True)) for W, b in weights]
    h = torch.tensor(x)[None, :]
    for i, (W, b) in enumerate(params):
        h = h @ W.T + b
        if i < len(params) - 1:
            h = get_activation(acts[i]).forward(h)
    L = loss.value(h, torch.tensor(t)[None, :], None)
    L.backward()
    return float(L), [(W.grad.numpy(), b.grad.numpy()) for W, b in params]


@settings(max_examples=30, deadline=None)
@given(st.sampled_from(["generalized_cross_entropy", "binary_generalized_cross_entropy", "poisson"]),
       st.floats(0.05, 1.0), st.integers(0, 2**16), st.integers(2, 4))
def test_explain_network_gce_and_poisson_are_the_training_losses(loss, q, seed, n_out):
    """For any weights, row and q: the loss and every gradient explain_network writes out are those of training's own
    generalized_cross_entropy(q, binary) / get_loss('poisson'), and dL/dz is the formula printed. Before, loss was refused."""
    from hiddenlayers.training import generalized_cross_entropy, get_loss
    from hiddenlayers.training._explain import explain_network

    rng = np.random.default_rng(seed)
    weights = [(rng.normal(size=(3, 2)), rng.normal(size=3)), (rng.normal(size=(n_out, 3)) * 0.5, rng.normal(size=n_out) * 0.5)]
    x = rng.uniform(-1, 1, 2)
    if loss == "poisson":
        t, own, kw = rng.poisson(2.0, n_out).astype(float), get_loss("poisson"), {}
    elif loss == "generalized_cross_entropy":
        t, own, kw = np.eye(n_out)[rng.integers(n_out)], generalized_cross_entropy(q), {"q": q}
    else:
        t, own, kw = rng.integers(0, 2, n_out).astype(float), generalized_cross_entropy(q, binary=True), {"q": q}
    ex = explain_network(weights, ["tanh"], x, t, loss=loss, **kw)
    value, grads = _training_loss_grads(weights, ["tanh"], x, t, own)
    assert ex.loss == pytest.approx(value, rel=1e-12, abs=1e-15) and ex.agrees
    for step, (gW, gb) in zip(reversed(ex.backward), grads):
        np.testing.assert_allclose(step.dL_dW, gW, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(step.dL_db, gb, rtol=1e-9, atol=1e-12)
    z = ex.forward[-1].z
    if loss == "poisson":
        np.testing.assert_allclose(ex.output, np.exp(z), rtol=1e-12)
        np.testing.assert_allclose(ex.dL_dout, np.exp(z) - t, rtol=1e-12, atol=1e-15)
    else:
        np.testing.assert_allclose(ex.dL_dout, ex.p_y**q * (ex.output - t), rtol=1e-12, atol=1e-15)
    assert json.loads(json.dumps(ex.to_dict()))["gce_q"] == kw.get("q")


def test_explain_network_q_goes_with_the_generalized_cross_entropy_only():
    from hiddenlayers.training._explain import explain_network

    pairs = [([[0.5, -0.5], [0.2, 0.1]], [0.0, 0.1]), ([[1.0, -1.0], [0.3, 0.2]], [0.0, 0.0])]
    with pytest.raises(ValueError, match=r"^loss='generalized_cross_entropy' needs q, its exponent in \(0, 1\] \(the classifier's gce_q\), e\.g\. q=0\.7\.$"):
        explain_network(pairs, ["relu"], [1.0, 0.0], [1.0, 0.0], loss="generalized_cross_entropy")
    for bad in (0.0, 1.5, -0.2, float("nan")):
        with pytest.raises(ValueError, match=r"^q must be a finite number in \(0, 1\]"):
            explain_network(pairs, ["relu"], [1.0, 0.0], [1.0, 0.0], loss="generalized_cross_entropy", q=bad)
    with pytest.raises(ValueError, match=r"^q is the generalized cross entropy's exponent: .* not loss='cross_entropy'\. Received: q=0\.7; drop it\.$"):
        explain_network(pairs, ["relu"], [1.0, 0.0], [1.0, 0.0], loss="cross_entropy", q=0.7)
    with pytest.raises(ValueError, match=r"the target must be probabilities summing to 1"):
        explain_network(pairs, ["relu"], [1.0, 0.0], [1.0, 1.0], loss="generalized_cross_entropy", q=0.7)
    with pytest.raises(ValueError, match=r"each target must be in \[0, 1\]"):
        explain_network(pairs, ["relu"], [1.0, 0.0], [2.0, 0.0], loss="binary_generalized_cross_entropy", q=0.7)
    with pytest.raises(ValueError, match=r"each target must be >= 0 \(a count or a rate\)"):
        explain_network(pairs, ["relu"], [1.0, 0.0], [-1.0, 0.0], loss="poisson")
    with pytest.raises(ValueError, match=r"loss must be one of .*poisson, logistic_squared_error\. Received: loss='huber'\."):
        explain_network(pairs, ["relu"], [1.0, 0.0], [1.0, 0.0], loss="huber")
    huge = [([[800.0, 0.0], [0.0, 0.0]], [0.0, 0.0]), ([[1.0, 0.0], [0.0, 1.0]], [0.0, 0.0])]
    with pytest.raises(ValueError, match=r"overflows float64 in the poisson loss: explain needs a network whose outputs stay within"):
        explain_network(huge, ["relu"], [1.0, 0.0], [1.0, 0.0], loss="poisson")


@settings(max_examples=30, deadline=None)
@given(st.sampled_from(["generalized_cross_entropy", "binary_generalized_cross_entropy", "poisson"]),
       st.one_of(st.none(), st.floats(0.05, 1.0)), st.integers(0, 2**16), st.sampled_from([(2, 3, 2), (3, 4, 3, 2), (2, 5, 1)]))
def test_the_tiny_network_takes_gce_and_poisson_and_its_numbers_are_the_training_losses(loss, q, seed, sizes):
    """explain (the drawn network) now takes the generalized cross entropy (q, 0.7 by default) and Poisson too; the loss
    and every gradient are those of training's own loss through autograd. Before, these losses were refused."""
    from hiddenlayers.training import generalized_cross_entropy, get_loss

    if loss == "generalized_cross_entropy" and sizes[-1] < 2:
        sizes = (2, 3, 2)  # a softmax over one output is refused (tested below)
    kw = {} if loss == "poisson" or q is None else {"q": q}
    ex = explain(sizes, activation="tanh", loss=loss, seed=seed, **kw)
    used = None if loss == "poisson" else (0.7 if q is None else q)
    assert ex.q == used and ex.agrees and ex.loss_name == loss
    own = get_loss("poisson") if loss == "poisson" else generalized_cross_entropy(used, binary=loss.startswith("binary"))
    weights = [(s.W, s.b) for s in ex.forward]
    value, grads = _training_loss_grads(weights, ["tanh"] * (len(sizes) - 2), ex.x, ex.target, own)
    assert ex.loss == pytest.approx(value, rel=1e-12, abs=1e-15)
    for step, (gW, gb) in zip(reversed(ex.backward), grads):
        np.testing.assert_allclose(step.dL_dW, gW, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(step.dL_db, gb, rtol=1e-9, atol=1e-12)
    assert json.loads(json.dumps(ex.to_dict()))["gce_q"] == used


def test_the_tiny_networks_q_is_checked_as_explain_networks():
    for bad in (0.0, 1.5, -0.2, float("nan")):
        with pytest.raises(ValueError, match=r"^q must be a finite number in \(0, 1\]"):
            explain(loss="generalized_cross_entropy", q=bad)
    with pytest.raises(ValueError, match=r"^q is the generalized cross entropy's exponent: .* not loss='poisson'\. Received: q=0\.5; drop it\.$"):
        explain(loss="poisson", q=0.5)
    with pytest.raises(ValueError, match=r"^q is the generalized cross entropy's exponent: .* not loss='squared_error'\."):
        explain(q=0.5)
    with pytest.raises(ValueError, match=r"loss='generalized_cross_entropy' needs at least 2 outputs"):
        explain((2, 3, 1), loss="generalized_cross_entropy")
    with pytest.raises(ValueError, match=r"with loss='poisson' each target must be >= 0"):
        explain(loss="poisson", target="-1,0")
    with pytest.raises(ValueError, match=r"Did you mean 'poisson'\?"):
        explain(loss="Poison")
    assert explain(loss="binary_generalized_cross_entropy", q=1).q == 1.0


def test_hl_explain_passes_q_to_the_tiny_network_and_refuses_it_for_a_model():
    import hiddenlayers as hl

    assert hl.explain((2, 3, 2), loss="generalized_cross_entropy", q=0.3, seed=1).q == 0.3
    clf = hl.MLPClassifier((3,), max_iter=5).fit(np.random.RandomState(0).rand(20, 2), [0, 1] * 10)
    with pytest.raises(TypeError, match=r"drop q\.$"):
        hl.explain(clf, [0.1, 0.2], 1, q=0.5)


@settings(max_examples=25, deadline=None)
@given(n=st.integers(2, 16), bad=st.sets(st.integers(0, 15), min_size=1), value=st.sampled_from([np.nan, np.inf, -np.inf]))
def test_a_non_finite_input_is_one_short_line_naming_the_positions(n, bad, value):
    x = np.linspace(-1, 1, n)
    bad = sorted(b for b in bad if b < n) or [0]
    x[bad] = value
    with pytest.raises(ValueError) as info:
        explain((n, 3, 2), x=x)
    msg = str(info.value)
    assert "\n" not in msg and len(msg) < 200
    assert f"{len(bad)} of its {n} values are NaN or infinite (at position {bad[0] + 1}" in msg


def test_the_estimators_gce_name_points_to_the_tiny_networks_loss():
    with pytest.raises(ValueError, match=r"The estimators' loss='gce' is loss='generalized_cross_entropy' here, with q= for their gce_q\.$"):
        explain((2, 3, 2), loss="gce")


def test_repr_is_one_line_and_print_shows_the_tables() -> None:
    """`hl.explain(...)` ending a REPL line printed every array (~9 kB); the repr is the sizes, losses and the autograd check."""
    ex = explain((2, 3, 2), seed=0)
    line = repr(ex)
    assert "\n" not in line and len(line) < 250
    assert line.startswith(f"Explanation(sizes 2-3-2, tanh, squared_error loss {ex.loss:.6g} -> {ex.loss_after:.6g} after one step")
    assert "gradients agree with autograd" in line
    text = str(ex)
    assert len(text.splitlines()) > 10 and "\x1b[" not in text  # the rendered tables, without colour codes


@pytest.mark.parametrize("solver", [None, "sgd"])
def test_the_tiny_network_takes_alpha_and_steps_along_the_penalised_objectives_gradient(solver):
    """explain() had no alpha: the L2 term, written out for a model, could not be shown on the tiny network a lab starts
    from. Its step must follow d(L + ½·alpha·Σ W²)/dW, checked here against central finite differences of that sum."""
    from hiddenlayers.training._explain import explain_network

    alpha, lr = 0.3, 0.05
    optim = {} if solver is None else {"solver": "sgd", "momentum": 0.0}
    ex = explain((2, 3, 2), activation="tanh", alpha=alpha, learning_rate=lr, seed=1, **optim)
    weights = [(s.W.copy(), s.b.copy()) for s in ex.forward]
    assert ex.alpha == alpha and ex.penalty == pytest.approx(0.5 * alpha * sum(float((W**2).sum()) for W, _ in weights), rel=1e-12)

    def objective(ws):
        e = explain_network(ws, ["tanh"], ex.x, ex.target, loss="squared_error", alpha=alpha)
        return e.loss + e.penalty

    eps = 1e-6
    for i, (W, b) in enumerate(weights):
        numeric = np.zeros_like(W)
        for idx in np.ndindex(W.shape):
            up = [(w.copy(), c) for w, c in weights]
            down = [(w.copy(), c) for w, c in weights]
            up[i][0][idx] += eps
            down[i][0][idx] -= eps
            numeric[idx] = (objective(up) - objective(down)) / (2 * eps)
        new_W, new_b = ex.updated[i]
        np.testing.assert_allclose((W - new_W) / lr, numeric, rtol=1e-6, atol=1e-8)  # the step is -lr·(that gradient)
        np.testing.assert_allclose(new_b, b - lr * ex.backward[len(weights) - 1 - i].dL_db, rtol=1e-12)  # biases: no L2
    assert ex.to_dict()["alpha"] == alpha and ex.penalty_after < ex.penalty
    with pytest.raises(ValueError, match=r"^alpha must be a finite number >= 0"):
        explain((2, 3, 2), alpha=-0.1)


def test_mazurs_worked_example_is_reproduced_to_his_printed_digits():
    """Mazur's 'A Step by Step Backpropagation Example' (and Nielsen's chapter 2) put a logistic on the outputs and take the
    squared error of that: explain's outputs were linear under squared_error, so from the output layer on its numbers were
    not his and a student could not check one against the other. loss="logistic_squared_error" is that network; his
    published figures (biases kept fixed in his update, which leaves the new weights as they are) are literals here."""
    from hiddenlayers.training._explain import explain_network

    W1, b1 = [[0.15, 0.20], [0.25, 0.30]], [0.35, 0.35]
    W2, b2 = [[0.40, 0.45], [0.50, 0.55]], [0.60, 0.60]
    ex = explain_network([(W1, b1), (W2, b2)], ["logistic"], [0.05, 0.10], [0.01, 0.99], loss="logistic_squared_error", learning_rate=0.5)
    np.testing.assert_allclose(ex.forward[0].h, [0.593269992, 0.596884378], atol=5e-10)  # out_h1, out_h2
    np.testing.assert_allclose(ex.output, [0.75136507, 0.772928465], atol=5e-9)  # out_o1, out_o2
    assert ex.loss == pytest.approx(0.298371109, abs=5e-10)  # E_total
    np.testing.assert_allclose(ex.backward[0].dL_dW[0, 0], 0.082167041, atol=5e-10)  # dE_total/dw5
    np.testing.assert_allclose(ex.updated[1][0], [[0.35891648, 0.408666186], [0.511301270, 0.561370121]], atol=5e-9)  # w5..w8
    np.testing.assert_allclose(ex.updated[0][0], [[0.149780716, 0.19956143], [0.24975114, 0.29950229]], atol=5e-9)  # w1..w4
    assert ex.agrees
    with pytest.raises(ValueError, match=r"each target must be in \[0, 1\] \(e\.g\. '1' or '0\.8': a logistic output never leaves \(0, 1\)\)"):
        explain((2, 2, 2), loss="logistic_squared_error", target=[2.0, 0.0])
