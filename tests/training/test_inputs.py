"""train() checks its data, numbers, solver and rules before the first step: one clear error, and nothing changes."""

from __future__ import annotations

import math
import re
from typing import Any

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

import hiddenlayers as hl
from hiddenlayers.training import History, LossBelow, MaxEpochs, NoImprovement, train


def _data(n: int = 100) -> tuple[torch.Tensor, torch.Tensor]:
    X = torch.randn(n, 4)
    return X, F.one_hot((X[:, 0] > 0).long(), 2).float()


def _refused(exc: type[Exception], message: str, X: Any = None, Y: Any = None, **kwargs: Any) -> None:
    """train raises ``exc`` with exactly ``message``, and neither the weights nor a given History moved."""
    Xd, Yd = _data()
    net = hl.Network(4, "8", 2)
    before = [p.detach().clone() for p in net.parameters()]
    history = kwargs.pop("history", None)
    kwargs.setdefault("loss", "log_loss")
    with pytest.raises(exc, match="^" + re.escape(message) + "$"):
        train(net, Xd if X is None else X, Yd if Y is None else Y, history=history, **kwargs)
    assert all(torch.equal(a, b) for a, b in zip(before, net.parameters()))
    if history is not None:
        assert len(history) == 0


_NAN_X = "X holds NaN or infinite values (first in row {row}, counted from 0): drop or impute those rows (sklearn's SimpleImputer) " \
         "before training; the loss would be NaN from the first step."


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_non_finite_rows_are_refused_before_the_first_step_not_reported_as_divergence(bad: float) -> None:
    """Before: train ran on a NaN row, the loss was NaN from the first step, and the DivergedWarning said to lower
    the learning rate or scale the inputs. Now one line naming the first bad row; no weight moves."""
    X, Y = _data()
    X[7, 2] = bad
    X[30, 0] = bad
    _refused(ValueError, _NAN_X.format(row=7), X, Y, history=History())
    import scipy.sparse as sp

    _refused(ValueError, _NAN_X.format(row=7), sp.csr_matrix(X.numpy()), Y)
    X, Y = _data()
    Y[12, 1] = bad
    _refused(ValueError, "Y holds NaN or infinite values (first in row 12, counted from 0): drop those rows, or give them a finite "
             "target, before training; the loss would be NaN from the first step.", X, Y)


def test_finite_rows_whose_sum_overflows_pass_the_check() -> None:
    """The check reads one sum; a sum that overflows while every value is finite is no NaN."""
    from hiddenlayers.training import get_loss
    from hiddenlayers.training._inputs import check_finite

    X = torch.full((4, 4), 3e38)
    check_finite(hl.Network(4, "8", 2), X, torch.zeros(4, 2), get_loss("log_loss"))


def test_lengths_must_match() -> None:
    X, Y = _data()
    _refused(ValueError, "X has 100 rows but Y has 80: give one row of Y per row of X.", X, Y[:80])
    _refused(ValueError, "sample_weight must be (100,), one weight per row of X. Received: shape (80,); pass one weight per row, "
             "or sample_weight=None.", sample_weight=torch.ones(80), history=History())


def test_empty_x() -> None:
    X, Y = _data()
    _refused(ValueError, "X has no rows: train needs at least one sample.", X[:0], Y[:0])


@pytest.mark.parametrize(("weights", "message"), [
    (-torch.ones(100), "sample_weight must be >= 0. Received: a weight of -1; drop the row or give it weight 0."),
    (torch.zeros(100), "sample_weight is all zeros: at least one row needs a weight > 0."),
    (torch.full((100,), math.nan), "sample_weight holds NaN or infinite values: give every row a finite weight >= 0."),
    (torch.full((100,), math.inf), "sample_weight holds NaN or infinite values: give every row a finite weight >= 0."),
])
def test_bad_sample_weights(weights: torch.Tensor, message: str) -> None:
    _refused(ValueError, message, sample_weight=weights)


def test_shapes_say_what_is_needed() -> None:
    X, Y = _data()
    # one class index per row (what F.cross_entropy takes): the message gives the line that one-hots it, and that line works
    indices = Y.argmax(1)
    _refused(ValueError, "Y must be (n, 2) for this network's 2 outputs (one-hot for log_loss); got (100,): for class indices 0..1, "
             "pass Y = torch.nn.functional.one_hot(Y.long(), 2).float().", X, indices)
    assert torch.equal(torch.nn.functional.one_hot(indices.long(), 2).float(), Y)
    _refused(ValueError, "Y must be (n, 2) for this network's 2 outputs (one-hot for log_loss); got (100, 3).", X, torch.zeros(100, 3))
    _refused(ValueError, "X must be (n, 4) for this network's in_features=4; got (100, 3).", X[:, :3], Y)
    _refused(ValueError, "Y must be (n, 2) for this network's 2 outputs (one column per output for squared_error); got (100,).",
             X, Y[:, 0], loss="squared_error")
    net = hl.Network(4, "8", 1)
    with pytest.raises(ValueError, match=re.escape("Y must be (n, 1) for this network's 1 output (one column per output for squared_error; "
                                                   "reshape a 1-D Y with Y.reshape(-1, 1)); got (100,).")):
        train(net, X, Y[:, 0], loss="squared_error")


def test_numpy_inputs_are_converted() -> None:
    X, Y = _data()
    net = hl.Network(4, "8", 2).double()
    res = train(net, X.numpy(), Y.numpy(), sample_weight=np.ones(100), loss="log_loss", max_epochs=2)
    assert len(res.history) == 2 and net.head.weight.dtype == torch.float64
    _refused(TypeError, "X must be a torch tensor, a NumPy array or a SciPy sparse matrix. Received: list; "
             "wrap it with np.asarray(...) or torch.as_tensor(...).", X.tolist())


def test_lbfgs_points_to_fit_lbfgs() -> None:
    _refused(ValueError, "solver='lbfgs' is not a step-by-step solver, so train() cannot run it: use hl.training.fit_lbfgs "
             "(or an estimator's solver='lbfgs'), or one of sgd, adam, adamw, rmsprop here.", solver="lbfgs")
    _refused(ValueError, "solver must be one of sgd, adam, adamw, rmsprop. Received: solver='adma'.", solver="adma")


@pytest.mark.parametrize(("kwargs", "exc", "message"), [
    ({"batch_size": 0}, ValueError, "batch_size must be an integer >= 1 (rows per step; capped at the rows of X). Received: batch_size=0."),
    ({"batch_size": -5}, ValueError, "batch_size must be an integer >= 1 (rows per step; capped at the rows of X). Received: batch_size=-5."),
    ({"learning_rate_init": -1}, ValueError, "learning_rate_init must be a finite number > 0 (the step size). Received: learning_rate_init=-1."),
    ({"alpha": -1}, ValueError, "alpha must be a finite number >= 0 (the L2 strength; 0 for none). Received: alpha=-1."),
    ({"max_epochs": 2.7}, TypeError, "max_epochs must be an integer >= 1 (the most epochs this call trains). Received: max_epochs=2.7; pass a whole number."),
    ({"clip_grad_norm": -1}, ValueError,
     "clip_grad_norm must be a finite number > 0 (the largest gradient norm; None for no clipping). Received: clip_grad_norm=-1."),
    ({"optimizer_kwargs": {"beta_1": 2.0}}, ValueError, "optimizer_kwargs['beta_1'] must be a finite number in [0, 1). Received: optimizer_kwargs['beta_1']=2.0."),
    ({"optimizer_kwargs": {"epsilon": 0}}, ValueError, "optimizer_kwargs['epsilon'] must be a finite number > 0. Received: optimizer_kwargs['epsilon']=0."),
    ({"optimizer_kwargs": {"momentum": 1.5}, "solver": "sgd"}, ValueError,
     "optimizer_kwargs['momentum'] must be a finite number in [0, 1]. Received: optimizer_kwargs['momentum']=1.5."),
    ({"optimizer_kwargs": {"beta1": 0.5}}, ValueError, "optimizer_kwargs has 'beta1', which solver='adam' does not take; its keys are beta_1, beta_2, epsilon."),
    ({"stopping": 5}, TypeError, "stopping must be a stopping rule (hl.MaxEpochs, hl.LossBelow, hl.NoImprovement, hl.TimeLimit, "
     "or several joined with |). Received: 5; for a number of epochs pass hl.MaxEpochs(5)."),
    ({"no_improvement": MaxEpochs(3)}, TypeError, "no_improvement must be an hl.NoImprovement or None. Received: MaxEpochs(3); put other rules in stopping=."),
    ({"no_improvement": NoImprovement("val_score")}, ValueError,
     "NoImprovement(monitor='val_score') needs validate=: pass a function returning (val_loss, val_score), or monitor='train_loss'."),
    ({"stopping": MaxEpochs(9) | LossBelow(0.1, monitor="val_loss")}, ValueError,
     "LossBelow(monitor='val_loss') needs validate=: pass a function returning (val_loss, val_score), or monitor='train_loss'."),
])
def test_bad_arguments_fail_before_the_first_step(kwargs: dict[str, Any], exc: type[Exception], message: str) -> None:
    _refused(exc, message, history=History(), **kwargs)


@settings(max_examples=25, deadline=None)
@given(st.one_of(st.integers(max_value=0), st.floats(allow_nan=True).filter(lambda v: not (v >= 1 and float(v).is_integer()))))
def test_any_bad_batch_size_or_max_epochs_is_refused(value: float) -> None:
    for name in ("batch_size", "max_epochs"):
        with pytest.raises((ValueError, TypeError), match=f"^{name} must be an integer >= 1 .*Received: {name}="):
            train(hl.Network(4, "8", 2), *_data(10), loss="log_loss", **{name: value})


@settings(max_examples=25, deadline=None)
@given(st.floats(allow_nan=True, allow_infinity=True).filter(lambda v: not 0 <= v < 1))
def test_any_beta_outside_the_unit_interval_is_refused(beta: float) -> None:
    with pytest.raises(ValueError, match=r"^optimizer_kwargs\['beta_2'\] must be a finite number in \[0, 1\)\."):
        train(hl.Network(4, "8", 2), *_data(10), loss="log_loss", optimizer_kwargs={"beta_2": beta})


def test_to_tensor_is_the_one_conversion_every_stage_uses() -> None:
    """Contiguous, right dtype and device, no copy when already right; a reversed (negative-stride) array works."""
    from hiddenlayers.apps._fit import float_tensor
    from hiddenlayers.training import to_tensor

    a = np.arange(12.0).reshape(4, 3)
    t = to_tensor(a[::-1], torch.float32, torch.device("cpu"))
    assert t.dtype == torch.float32 and t.is_contiguous() and t.tolist() == a[::-1].tolist()
    assert to_tensor(a, torch.float64, torch.device("cpu")).data_ptr() == a.ctypes.data  # shares the array's memory
    assert float_tensor(a[:, ::-1], torch.device("cpu")).tolist() == a[:, ::-1].tolist()  # the apps' float32 helper goes through it


def test_read_only_targets_and_weights_fit_without_pytorchs_not_writable_warning() -> None:
    """pandas (Copy-on-Write) hands out read-only arrays: ``MLPRegressor().fit(X, df.y)`` printed PyTorch's
    "The given NumPy array is not writable ... undefined behavior" UserWarning (the targets, the weights, an
    lbfgs X), which the user can do nothing about. PyTorch warns once per process, so the fits run in a fresh one."""
    import subprocess
    import sys

    code = """
import warnings
import numpy as np, pandas as pd
import hiddenlayers as hl
rng = np.random.default_rng(0)
df = pd.DataFrame({"a": rng.normal(size=60), "b": rng.normal(size=60)})
df["y"] = df.a * 2.0 + 0.1
df["w"] = 1.0
warnings.simplefilter("ignore")
warnings.filterwarnings("error", message=".*not writable")
assert not df["y"].to_numpy().flags.writeable
for solver in ("adam", "lbfgs"):
    r = hl.MLPRegressor(hidden_layer_sizes=(4,), max_iter=3, solver=solver, random_state=0)
    r.fit(df[["a", "b"]], df["y"], sample_weight=df["w"])
    hl.MLPClassifier(hidden_layer_sizes=(4,), max_iter=3, solver=solver, random_state=0).fit(df[["a", "b"]], df["y"] > 0, sample_weight=df["w"])
hl.lr_find(hl.MLPRegressor(hidden_layer_sizes=(4,), random_state=0), df[["a", "b"]], df["y"], num_steps=5)
print("clean")
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0 and done.stdout.strip() == "clean", done.stderr[-2000:]


@given(steps=st.integers(1, 12), features=st.integers(1, 4), any_length=st.booleans())
@settings(max_examples=40, deadline=None)
def test_a_network_of_any_length_takes_other_steps_but_not_other_features(steps: int, features: int, any_length: bool) -> None:
    """check_shapes: a network that states ``any_length`` (the sequence apps' when no layer flattens time) takes batches of any
    number of steps; the features per step are checked as before, and a network without it still needs its input_shape."""
    from hiddenlayers.training._inputs import check_shapes

    class Steps(torch.nn.Module):
        input_shape = (5, 2)
        out_features = 2

        def __init__(self) -> None:
            super().__init__()
            self.any_length = any_length

    X, Y, loss = torch.zeros(3, steps, features), torch.zeros(3, 2), hl.training.get_loss("log_loss")
    if features == 2 and (any_length or steps == 5):
        check_shapes(Steps(), X, Y, loss)
    else:
        with pytest.raises(ValueError, match=rf"^X must be \(n, {steps if any_length else 5}, 2\) .*got \(3, {steps}, {features}\)"):
            check_shapes(Steps(), X, Y, loss)
