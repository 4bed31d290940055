"""``random_state`` in every application, with scikit-learn's meaning and the MLP estimators' promises.

An int repeats a fit and leaves PyTorch's (and NumPy's) global generator as it was, for a first and a warm fit;
``None`` draws from NumPy's global generator, so ``np.random.seed(5)`` repeats it, and a ``RandomState(5)`` gives
that same fit (scikit-learn's ``check_random_state(None)`` is the global RandomState); anything else is one
ValueError naming ``random_state``. The applications' networks draw their initial weights and dropout from
PyTorch's global generator, which they seed for the fit only (``apps/_seed.py``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import hiddenlayers as hl
from app_cases import EPOCH_APPS, app_case
from hiddenlayers.apps._seed import keeps_global_rng, seed_everything
from hiddenlayers.estimators import check_random_state_param

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def _weights(model: Any) -> list[torch.Tensor]:
    net = getattr(model, "network_", None) or getattr(model, "model_", None) or model.q_network_
    return [t.detach().clone() for t in net.state_dict().values()]


def _same(a: Any, b: Any) -> bool:
    wa, wb = _weights(a), _weights(b)
    return len(wa) == len(wb) and all(torch.equal(x, y) for x, y in zip(wa, wb)) and list(a.loss_curve_) == list(b.loss_curve_)


@pytest.mark.parametrize("app", EPOCH_APPS)
def test_an_int_seed_leaves_the_global_generators_as_they_were(app: str) -> None:
    model, args = app_case(app, max_iter=2, warm_start=True)
    torch.manual_seed(123)
    np.random.seed(7)
    expected_torch = torch.rand(3, generator=torch.Generator().manual_seed(123))
    expected_numpy = np.random.RandomState(7).rand(3)
    model.fit(*args)
    model.fit(*args)  # a warm fit seeds again
    assert torch.equal(torch.rand(3), expected_torch)  # the user's own torch.manual_seed sequence did not shift
    assert np.array_equal(np.random.rand(3), expected_numpy)


@pytest.mark.parametrize("app", EPOCH_APPS)
def test_none_draws_from_numpys_global_generator_and_a_random_state_is_drawn_from(app: str) -> None:
    np.random.seed(5)
    first = app_case(app, random_state=None)
    first[0].fit(*first[1])
    np.random.seed(5)
    second = app_case(app, random_state=None)
    second[0].fit(*second[1])
    assert _same(first[0], second[0])  # np.random.seed repeats a fit of random_state=None, as in scikit-learn
    rs = np.random.RandomState(5)
    third = app_case(app, random_state=rs)
    third[0].fit(*third[1])
    assert _same(first[0], third[0])  # RandomState(5) is the global generator after np.random.seed(5)
    assert rs.get_state()[2] != np.random.RandomState(5).get_state()[2]  # ... and the fit drew from it
    assert third[0].random_state is rs  # the parameter is stored unchanged


def test_a_random_state_object_is_stored_as_none_in_the_model_file(tmp_path: Path) -> None:
    model, args = app_case("autoencoder", max_iter=1, random_state=np.random.RandomState(0))
    model.fit(*args).save(tmp_path / "ae.safetensors")
    assert hl.load(tmp_path / "ae.safetensors").random_state is None


@pytest.mark.parametrize("bad", [-1, 2**32, 1.5, "0"])
def test_a_bad_random_state_is_one_value_error_naming_it(bad: Any) -> None:
    model, args = app_case("forecaster", random_state=bad)
    with pytest.raises(ValueError, match=rf"^random_state must be None, an int in \[0, 2\*\*32 - 1\] or a np.random.RandomState .*Received: random_state={bad!r}\."):
        model.fit(*args)


@given(st.one_of(st.integers(max_value=-1), st.integers(min_value=2**32), st.floats(allow_nan=True), st.text(max_size=4)))
def test_check_random_state_param_names_the_parameter(value: Any) -> None:
    with pytest.raises(ValueError, match=r"^random_state must be None"):
        check_random_state_param(value)


@given(st.one_of(st.none(), st.integers(min_value=0, max_value=2**32 - 1)))
def test_check_random_state_param_takes_what_scikit_learn_takes(value: Any) -> None:
    check_random_state_param(value)


def test_seed_everything_refuses_to_seed_outside_a_method_that_restores() -> None:
    with pytest.raises(RuntimeError, match="keeps_global_rng"):
        seed_everything(0)


def test_keeps_global_rng_restores_after_an_error() -> None:
    @keeps_global_rng
    def failing() -> None:
        seed_everything(1)
        torch.rand(5)
        raise ValueError("boom")

    torch.manual_seed(3)
    with pytest.raises(ValueError, match="boom"):
        failing()
    assert torch.equal(torch.rand(2), torch.rand(2, generator=torch.Generator().manual_seed(3)))


def test_the_agent_leaves_the_global_generator_and_repeats_from_numpys() -> None:
    pytest.importorskip("gymnasium")

    def fit(rs: Any) -> Any:
        agent = hl.apps.DQNAgent((8,), learning_starts=50, batch_size=16, random_state=rs)
        return agent.fit("CartPole-v1", total_steps=120, eval_every=120, eval_episodes=1)

    torch.manual_seed(11)
    fit(0)
    assert torch.equal(torch.rand(2), torch.rand(2, generator=torch.Generator().manual_seed(11)))
    np.random.seed(2)
    a = fit(None)
    b = fit(np.random.RandomState(2))
    assert all(torch.equal(x, y) for x, y in zip(_weights(a), _weights(b)))
