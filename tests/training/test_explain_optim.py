"""`explain(..., solver="sgd"|"adam", steps=N)`: the optimizer's steps written out, against a NumPy re-derivation that shares no code.

The reference below is a plain NumPy 2-3-2 tanh network with squared error (forward, hand-derived gradients) and the
update rules written from scikit-learn's documentation; each step's gradient, state, update and new weights, and the
loss after, must match. scikit-learn's own optimizers (``_stochastic_optimizers``) check the reference itself.
"""

from __future__ import annotations

import io
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console
from sklearn.neural_network._stochastic_optimizers import AdamOptimizer, SGDOptimizer

import hiddenlayers as hl
from hiddenlayers.training import _explain_optim, check_optim, explain, explain_network

W1 = np.array([[0.3, -0.2], [0.1, 0.4], [-0.5, 0.25]])
B1 = np.array([0.05, -0.1, 0.2])
W2 = np.array([[0.6, -0.3, 0.2], [-0.4, 0.5, 0.1]])
B2 = np.array([0.0, 0.1])
X = np.array([0.8, -0.6])
T = np.array([1.0, -0.5])


def _loss_grads(p: list[np.ndarray]) -> tuple[float, list[np.ndarray]]:
    """½·Σ(y - t)² of the tanh 2-3-2 net and its gradients [dW1, db1, dW2, db2], by hand."""
    w1, b1, w2, b2 = p
    h = np.tanh(w1 @ X + b1)
    y = w2 @ h + b2
    dy = y - T
    dh = (w2.T @ dy) * (1 - h**2)
    return 0.5 * float(dy @ dy), [np.outer(dh, X), dh, np.outer(dy, h), dy]


def _reference(solver: str, steps: int, lr: float, alpha: float, **kw: float) -> list[dict]:
    """Each step's gradient, state, update and new parameters, as scikit-learn's rules define them."""
    p = [W1.copy(), B1.copy(), W2.copy(), B2.copy()]
    vel = [np.zeros_like(a) for a in p]
    m = [np.zeros_like(a) for a in p]
    v = [np.zeros_like(a) for a in p]
    out = []
    for t in range(1, steps + 1):
        loss, g = _loss_grads(p)
        g = [gi + (alpha * pi if i % 2 == 0 else 0.0) for i, (gi, pi) in enumerate(zip(g, p))]
        rec: dict = {"loss": loss, "grad": g}
        if solver == "sgd":
            mu = kw["momentum"]
            vel = [mu * vi - lr * gi for vi, gi in zip(vel, g)]
            upd = [mu * vi - lr * gi for vi, gi in zip(vel, g)] if kw["nesterov"] else list(vel)
            rec["velocity"] = vel
        else:
            b1, b2, eps = kw["beta_1"], kw["beta_2"], kw["epsilon"]
            m = [b1 * mi + (1 - b1) * gi for mi, gi in zip(m, g)]
            v = [b2 * vi + (1 - b2) * gi**2 for vi, gi in zip(v, g)]
            lr_t = lr * math.sqrt(1 - b2**t) / (1 - b1**t)
            upd = [-lr_t * mi / (np.sqrt(vi) + eps) for mi, vi in zip(m, v)]
            rec.update(m=m, v=v, m_hat=[mi / (1 - b1**t) for mi in m], v_hat=[vi / (1 - b2**t) for vi in v])
        p = [pi + ui for pi, ui in zip(p, upd)]
        rec.update(update=upd, new=p)
        out.append(rec)
    out.append({"loss": _loss_grads(p)[0]})
    return out


CASES = [
    ("sgd", {"momentum": 0.9, "nesterov": False}),
    ("sgd", {"momentum": 0.7, "nesterov": True}),
    ("adam", {"beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-8}),
    ("adam", {"beta_1": 0.5, "beta_2": 0.9, "epsilon": 1e-3}),  # a large ε: its place (outside the bias correction) shows
]


def _api_kwargs(solver: str, kw: dict) -> dict:
    if solver == "sgd":
        return {"momentum": kw["momentum"], "nesterovs_momentum": kw["nesterov"]}
    return dict(kw)


@pytest.mark.parametrize("alpha", [0.0, 0.05])
@pytest.mark.parametrize(("solver", "kw"), CASES)
def test_two_steps_match_the_numpy_rederivation(solver, kw, alpha):
    ex = explain_network([(W1, B1), (W2, B2)], ["tanh"], X, T, loss="squared_error", learning_rate=0.1, alpha=alpha,
                         solver=solver, steps=2, **_api_kwargs(solver, kw))
    ref = _reference(solver, 2, 0.1, alpha, **kw)
    o = ex.optim
    assert o is not None and o.agrees and ex.agrees
    for step, r in zip(o.steps, ref):
        assert step.loss == pytest.approx(r["loss"], rel=1e-12)
        for li, u in enumerate(step.layers):
            for key in ["grad", "update", "new", *u.state]:
                got = getattr(u, key) if key in ("grad", "update", "new") else u.state[key]
                np.testing.assert_allclose(got[0], r[key][2 * li], rtol=1e-10, atol=1e-13, err_msg=f"{key} W {u.name}")
                np.testing.assert_allclose(got[1], r[key][2 * li + 1], rtol=1e-10, atol=1e-13, err_msg=f"{key} b {u.name}")
        assert set(step.layers[0].state) == ({"velocity"} if solver == "sgd" else {"m", "v", "m_hat", "v_hat"})
    assert o.loss_after == pytest.approx(ref[-1]["loss"], rel=1e-12) and ex.loss_after == o.loss_after
    np.testing.assert_allclose(ex.updated[1][0], ref[1]["new"][2], rtol=1e-10)


@pytest.mark.parametrize(("solver", "kw"), CASES)
def test_the_reference_is_scikit_learns_optimizer(solver, kw):
    """The re-derivation above agrees with scikit-learn's own SGDOptimizer / AdamOptimizer (no alpha: they take the gradient as given)."""
    ref = _reference(solver, 2, 0.1, 0.0, **kw)
    p = [W1.copy(), B1.copy(), W2.copy(), B2.copy()]
    opt = SGDOptimizer(p, 0.1, momentum=kw["momentum"], nesterov=kw["nesterov"]) if solver == "sgd" else AdamOptimizer(p, 0.1, **kw)
    for r in ref[:2]:
        opt.update_params(p, _loss_grads(p)[1])
        for a, b in zip(p, r["new"]):
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15)


def test_one_adam_step_is_lr_times_the_sign_of_the_gradient():
    """At t = 1, m^ = g and v^ = g², so each update is -lr·g/(|g| + ε^): -lr·sign(g) up to ε."""
    ex = explain(solver="adam", learning_rate=0.01, seed=3)
    for u in ex.optim.steps[0].layers:
        np.testing.assert_allclose(u.state["m_hat"][0], u.grad[0], rtol=1e-12)
        np.testing.assert_allclose(u.state["v_hat"][0], u.grad[0] ** 2, rtol=1e-12)
        np.testing.assert_allclose(u.update[0], -0.01 * np.sign(u.grad[0]), atol=1e-6)


def test_frozen_layers_keep_their_weights_and_have_no_state():
    ex = explain_network([(W1, B1), (W2, B2)], ["tanh"], X, T, loss="squared_error", solver="adam", steps=2, fixed=[0], alpha=0.1)
    for step in ex.optim.steps:
        hidden, out = step.layers
        assert hidden.fixed and hidden.state == {} and not hidden.update[0].any()
        np.testing.assert_array_equal(hidden.new[0], W1)
        assert not out.fixed and out.update[0].any()
    assert ex.optim.agrees  # torch.optim and fit's optimizer froze it too
    np.testing.assert_array_equal(ex.updated[0][0], W1)


def test_default_is_the_plain_step_and_its_json_has_no_optimizer():
    plain = explain(seed=1)
    assert plain.optim is None and "optimizer" not in plain.to_dict()
    np.testing.assert_allclose(plain.updated[0][0], plain.forward[0].W - 0.1 * plain.backward[-1].dL_dW)
    # momentum 0 sgd is the plain step: same new weights
    sgd0 = explain(seed=1, solver="sgd", momentum=0.0)
    for (Wa, ba), (Wb, bb) in zip(plain.updated, sgd0.updated):
        np.testing.assert_allclose(Wa, Wb, rtol=1e-13)
        np.testing.assert_allclose(ba, bb, rtol=1e-13)


def test_json_carries_every_number():
    d = explain(solver="adam", steps=3).to_dict()["optimizer"]
    assert d["solver"] == "adam" and d["settings"] == {"beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-8} and len(d["trace"]) == 3
    layer = d["trace"][2]["layers"][1]
    assert set(layer["state"]) == {"m", "v", "m_hat", "v_hat"} and np.asarray(layer["state"]["v_hat"]["W"]).shape == (2, 3)
    assert d["agrees"] and len(d["torch_optim_diffs"]) == len(d["fit_optimizer_diffs"]) == 3
    assert d["trace"][2]["scalars"]["bias_correction_1"] == pytest.approx(1 - 0.9**3)


def test_a_disagreement_is_loud(monkeypatch):
    """A hand step that differs from fit's optimizer makes ``agrees`` False, and the CLI ends with an error after the tables."""
    real = _explain_optim._fit_optimizer_steps

    def off(*args):
        out = real(*args)
        out[-1][0][0][0, 0] += 1e-6
        return out

    monkeypatch.setattr(_explain_optim, "_fit_optimizer_steps", off)
    ex = explain(solver="sgd", steps=2)
    assert not ex.optim.agrees and not ex.agrees and "DIFFER" in repr(ex)
    from cli_helpers import run

    res = run("explain", "--solver", "sgd", "--steps", "2")
    assert res.exit_code != 0 and "DISAGREE" in res.output and "differ from torch.optim's" in res.output


def test_renders_within_80_columns_and_says_what_it_left_out():
    rng = np.random.default_rng(0)
    weights = [(rng.normal(size=(5, 4)), rng.normal(size=5)), (rng.normal(size=(2, 5)), rng.normal(size=2))]
    ex = explain_network(weights, ["relu"], [0.1, 0.2, 0.3, 0.4], [1.0, 0.0], loss="cross_entropy", solver="adam", steps=2)
    buf = io.StringIO()
    ex.render(Console(file=buf, width=80, color_system=None))
    text = buf.getvalue()
    assert max(len(line) for line in text.splitlines()) <= 80
    assert "hidden1: parameters 17–25 of 25 left out; --json / to_dict() has them all" in text
    assert "m^" in text and "v^" in text and "step t = 2" in text and "torch.optim.Adam" in text
    wide = io.StringIO()
    ex.render(Console(file=wide, width=140, color_system=None))
    assert "(continued)" in text and "(continued)" not in wide.getvalue()  # split only where it does not fit


def test_model_settings_are_the_models_own():
    Xs = np.array([[0.0, 1.0], [1.0, 0.0], [1.0, 1.0], [0.0, 0.0]])
    clf = hl.MLPClassifier((3,), solver="sgd", momentum=0.5, nesterovs_momentum=False, max_iter=3, random_state=0)
    with pytest.warns(Warning):
        clf.fit(Xs, ["a", "b", "a", "b"])
    ex = hl.explain(clf, Xs[0], "a", solver="sgd", steps=2)
    assert ex.optim.spec.momentum == 0.5 and ex.optim.spec.nesterovs_momentum is False and ex.optim.agrees
    assert hl.explain(clf, Xs[0], "a", solver="sgd", momentum=0.2).optim.spec.momentum == 0.2
    assert hl.explain(clf, Xs[0], "a", solver="adam").optim.spec.beta_1 == 0.9  # not the model's solver: the defaults


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"solver": "adam", "beta_1": 1.0}, "beta_1 must be a finite number in [0, 1)"),
    ({"solver": "sgd", "steps": 0}, "steps must be an integer >= 1"),
    ({"solver": "adam", "steps": 11}, "steps must be at most 10"),
    ({"solver": "adam", "momentum": 0.9}, "momentum is a setting of solver='sgd', not of solver='adam': drop momentum."),
    ({"solver": "sgd", "epsilon": 1e-6}, "epsilon is a setting of solver='adam', not of solver='sgd'"),
    ({"beta_2": 0.99}, "beta_2 is a setting of solver='adam', and no solver is chosen"),
    ({"steps": 2}, "steps=2 needs a solver (the default is one plain gradient-descent step): add solver='sgd' or solver='adam' (solver='sgd' with momentum=0 steps plainly)."),  # it said momentum='0', a string
    ({"solver": "rmsprop"}, "solver must be one of sgd, adam"),
    ({"solver": "adam", "epsilon": 0.0}, "epsilon must be a finite number > 0"),
    ({"solver": "sgd", "momentum": 1.5}, "momentum must be a finite number in [0, 1]"),
])
def test_refusals(kwargs, message):
    with pytest.raises(ValueError, match=None) as info:
        explain(**kwargs)
    assert message in str(info.value)


def test_nesterov_must_be_a_bool_and_steps_whole():
    with pytest.raises(TypeError, match="nesterovs_momentum must be True or False"):
        check_optim("sgd", nesterovs_momentum="yes")
    with pytest.raises(TypeError, match="steps must be an integer"):
        check_optim("sgd", steps=2.5)


@settings(max_examples=60, deadline=None)
@given(solver=st.sampled_from(["sgd", "adam", None]), steps=st.integers(-3, 14),
       value=st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-2, 2)),
       key=st.sampled_from(["momentum", "beta_1", "beta_2", "epsilon"]))
def test_check_optim_accepts_exactly_the_valid_options(solver, steps, value, key):
    """Every combination is either a spec holding the value given or a ValueError naming the parameter at fault first."""
    wants = "sgd" if key == "momentum" else "adam"
    in_range = (math.isfinite(value) and ((key == "momentum" and 0 <= value <= 1) or (key in ("beta_1", "beta_2") and 0 <= value < 1)
                                          or (key == "epsilon" and value > 0)))
    valid = solver == wants and 1 <= steps <= 10 and in_range
    try:
        spec = check_optim(solver, steps, **{key: value})
    except ValueError as exc:
        assert not valid
        assert str(exc).split()[0].split("=")[0] in (key, "steps", "solver")
        return
    assert valid and spec is not None and getattr(spec, key) == value and spec.steps == steps


@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_an_overflowing_step_is_one_error_without_numpy_warnings(solver, recwarn):
    """A learning rate so large that a step overflows float64 is refused in one line; NumPy's overflow warnings, which the
    CLI printed as `note: overflow encountered in multiply` lines before it, are not raised."""
    with pytest.raises(ValueError, match=f"learning_rate=1e\\+300 is so large that step 2 of {solver} overflows float64"):
        explain(solver=solver, steps=3, learning_rate=1e300)
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]


def test_a_diverging_loss_is_printed_in_exponent_form():
    ex = explain(solver="sgd", steps=10, learning_rate=1e6)
    buf = io.StringIO()
    ex.render(Console(file=buf, width=200, color_system=None))
    text = buf.getvalue()
    assert f"after 10 steps {ex.optim.loss_after:.6e}" in text and ex.optim.agrees
