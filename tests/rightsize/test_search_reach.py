"""search() under a latency limit no network of the space meets: it says so and stops after the first few trials."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import optuna
import pytest

from hiddenlayers.rightsize import SearchSpace, search
from hiddenlayers.rightsize._search.reach import OUT_OF_REACH_AFTER, OUT_OF_REACH_ATTR, OutOfReach, cheapest_spec
from hiddenlayers.rightsize._search.run import probe_cheapest
from hiddenlayers.rightsize._search.storage import make_storage

TINY = SearchSpace(layers=(1, 2), widths=(4, 8, 16), batch_sizes=(16, 32), learning_rate_init=(3e-3, 3e-2))


class _Study:
    """What OutOfReach reads and calls on a study: its complete trials, a user attribute, stop()."""

    def __init__(self, latencies: list[float | None]) -> None:
        self.trials = [SimpleNamespace(user_attrs={} if v is None else {"latency_us": v}) for v in latencies]
        self.user_attrs: dict[str, Any] = {}
        self.stopped = False

    def get_trials(self, deepcopy: bool = False, states: Any = None) -> list[Any]:
        return self.trials

    def set_user_attr(self, key: str, value: Any) -> None:
        self.user_attrs[key] = value

    def stop(self) -> None:
        self.stopped = True


def _reach(probe: tuple[str, float, float], limit: float = 10.0) -> tuple[OutOfReach, list[int]]:
    calls: list[int] = []

    def fake(setup: Any) -> tuple[str, float, float]:
        calls.append(1)
        return probe

    return OutOfReach(SimpleNamespace(max_latency_us=limit), probe=fake), calls


def test_stops_only_when_the_first_trials_and_the_cheapest_spec_are_all_over_the_limit() -> None:
    over = [50.0] * OUT_OF_REACH_AFTER
    reach, calls = _reach(("4", 30.0, 0.5))
    study = _Study(over[:-1])
    reach(study, None)
    assert not study.stopped and not calls  # too few trials yet: nothing timed
    study = _Study(over[:-1] + [9.0])
    reach(study, None)
    assert not study.stopped and not calls  # one trial meets the limit
    study = _Study(over)
    reach(study, None)
    assert study.stopped and calls == [1]
    assert study.user_attrs[OUT_OF_REACH_ATTR] == {"max_latency_us": 10.0, "after": OUT_OF_REACH_AFTER, "spec": "4", "latency_us": 30.0}


@pytest.mark.parametrize("probe", [("4", 8.0, 0.1), ("4", 10.2, 0.5)], ids=["meets", "within-noise"])
def test_a_cheaper_spec_that_may_meet_the_limit_keeps_the_search_going(probe) -> None:
    """Untried specs cheaper than those tried may meet the limit: no stop, and the cheapest spec is timed once only."""
    reach, calls = _reach(probe)
    for n in range(OUT_OF_REACH_AFTER, OUT_OF_REACH_AFTER + 3):
        study = _Study([50.0] * n)
        reach(study, None)
        assert not study.stopped
    assert calls == [1]


def test_the_cheapest_spec_is_timed_as_a_trial_is(iris) -> None:
    from hiddenlayers.rightsize._search.search import _trial_setup

    X, y = iris
    setup = _trial_setup(X, y, ("score",), TINY, task="auto", cv=1, threads=None, max_params=None, max_flops=None, max_epochs=2,
                         validation_fraction=0.2, max_latency_us=1.0, warmup_epochs=5, min_peers=4, random_state=0, patience=3)[0]
    assert cheapest_spec(setup) == "4"
    spec, median, spread = probe_cheapest(setup)
    assert spec == "4" and median > 0 and spread >= 0


def test_a_search_under_a_limit_no_network_meets_stops_after_the_first_trials(iris, tmp_path) -> None:
    """Before: all 8 trials ran, then "no feasible trial finished: all 8 complete trials ..."."""
    X, y = iris
    storage = str(tmp_path / "reach.log")
    with pytest.raises(RuntimeError, match=rf"stopped early: all {OUT_OF_REACH_AFTER} complete trials are over the latency limit of "
                                           r"0\.001 µs, and so is the smallest network the space allows \(hidden layers 4: .*: raise "
                                           r"max_latency_us, or search smaller networks"):
        search(X, y, max_latency_us=0.001, space=TINY, max_epochs=2, refit=False, trials=8, storage=storage, study_name="s")
    study = optuna.load_study(study_name="s", storage=make_storage(storage))
    assert len(study.get_trials()) == OUT_OF_REACH_AFTER
