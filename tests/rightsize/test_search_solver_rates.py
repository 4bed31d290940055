"""search() with a learning-rate range per solver: each trial samples its rate in its solver's range under its solver's
name (TPE models each apart), one range for all keeps the name ``learning_rate_init``; rows and the trials table show
one ``learning_rate_init`` column; a resumed study of the other layout is refused in one line."""

from __future__ import annotations

import json

import numpy as np
import optuna
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hiddenlayers.rightsize import DEFAULT_LEARNING_RATES, SearchSpace, search
from hiddenlayers.rightsize._search import run
from hiddenlayers.rightsize._search.result import _row

SMALL = dict(layers=(1, 1), widths=(8,), activations=("relu",), batch_sizes=(32,))


def _setup(space: SearchSpace) -> run.TrialSetup:
    X = np.zeros((10, 2))
    return run.TrialSetup(X=X, y=np.arange(10) % 2, classifier=True, objectives=("score",), choices=["8"], space=space, max_epochs=2,
                          validation_fraction=0.2, max_latency_us=None, warmup=5, min_peers=4, random_state=0, latency_calls=1)


def _sampled(space: SearchSpace, n: int = 24) -> list[tuple[dict, optuna.trial.Trial]]:
    """``n`` configurations sampled as the trials sample them (no training): ``(cfg, trial)`` each."""
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(direction="maximize", sampler=optuna.samplers.TPESampler(seed=0, n_startup_trials=8))
    out = []
    for i in range(n):
        trial = study.ask()
        cfg = run.suggest(trial, _setup(space))
        study.tell(trial, float(i % 5))
        out.append((cfg, trial))
    return out


def test_the_default_ranges_are_per_solver_and_sgd_s_are_larger() -> None:
    space = SearchSpace(solvers=("adam", "sgd"))
    assert space.learning_rates() == {"adam": (3e-4, 3e-2), "sgd": DEFAULT_LEARNING_RATES["sgd"]}
    assert DEFAULT_LEARNING_RATES["sgd"][0] > DEFAULT_LEARNING_RATES["adam"][0]
    assert (space.rate_name_of("sgd"), space.rate_name_of("adam")) == ("learning_rate_init[sgd]", "learning_rate_init[adam]")
    assert SearchSpace().rate_name_of("adam") == "learning_rate_init"  # one solver: the old name
    assert SearchSpace(solvers=("adam", "rmsprop")).rate_name_of("adam") == "learning_rate_init"  # equal ranges: shared
    assert SearchSpace(solvers=("adam", "sgd"), learning_rate_init=(1e-3, 1e-1)).rate_name_of("sgd") == "learning_rate_init"
    assert hash(SearchSpace()) == hash(SearchSpace()) and SearchSpace() in {SearchSpace()}  # hashable, as a frozen dataclass was


def test_each_trial_samples_its_solver_s_rate_in_its_range_under_its_name() -> None:
    space = SearchSpace(**SMALL, solvers=("adam", "sgd"))
    seen = set()
    for cfg, trial in _sampled(space):
        solver = cfg["solver"]
        rates = {k: v for k, v in trial.params.items() if k.startswith("learning_rate_init")}
        assert rates == {f"learning_rate_init[{solver}]": cfg["learning_rate_init"]}
        lo, hi = DEFAULT_LEARNING_RATES[solver]
        assert lo <= cfg["learning_rate_init"] <= hi
        seen.add(solver)
    assert seen == {"adam", "sgd"}


def test_one_range_for_all_keeps_the_name_and_order_old_studies_sampled() -> None:
    space = SearchSpace(**SMALL, solvers=("adam", "sgd"), learning_rate_init=(1e-3, 1e-1))
    for cfg, trial in _sampled(space, 10):
        assert trial.params["learning_rate_init"] == cfg["learning_rate_init"]
        assert list(trial.params)[:3] == ["hidden", "activation", "learning_rate_init"]  # the solver after, as before


def test_a_solver_whose_range_is_one_point_is_fixed_for_its_trials() -> None:
    space = SearchSpace(**SMALL, solvers=("adam", "sgd"), learning_rate_init={"adam": (1e-3, 1e-2), "sgd": (0.05, 0.05)})
    for cfg, trial in _sampled(space, 12):
        if cfg["solver"] == "sgd":
            assert cfg["learning_rate_init"] == 0.05 and not any(k.startswith("learning_rate_init") for k in trial.params)
            assert trial.user_attrs["fixed"]["learning_rate_init"] == 0.05
        frozen = optuna.trial.FrozenTrial(number=trial.number, state=optuna.trial.TrialState.COMPLETE, value=1.0, values=None,
                                          datetime_start=None, datetime_complete=None, params=trial.params,
                                          distributions=trial.distributions, user_attrs=trial.user_attrs, system_attrs={},
                                          intermediate_values={}, trial_id=trial._trial_id)
        assert _row(frozen, space.fixed())["learning_rate_init"] == cfg["learning_rate_init"]
    assert SearchSpace(learning_rate_init={"adam": (0.01, 0.01), "sgd": (0.01, 0.01)}, solvers=("adam", "sgd")).fixed()[
        "learning_rate_init"] == 0.01


@pytest.mark.parametrize(("lr", "solvers", "message"), [
    ({"adam": (3e-4, 3e-2)}, ("adam", "sgd"), "learning_rate_init has no range for solver 'sgd', which solvers tries: add one, e.g. "
                                              "{'sgd': (0.003, 0.1)}, or give one (low, high) for every solver."),
    ({"adam": (3e-4, 3e-2), "sdg": (0.01, 0.1)}, ("adam",), "learning_rate_init keys must be solvers, each one of adam, adamw, "
                                                           "rmsprop, sgd. Did you mean 'sgd'?"),
    ({"adam": (3e-4, 3e-2), "sgd": (0.0, 0.1)}, ("adam", "sgd"), "learning_rate_init for solver 'sgd': learning_rate_init['sgd'] "
                                                                 "must be (low, high) with both > 0"),
    ({"sgd": (0.1, 0.01)}, ("sgd",), "learning_rate_init for solver 'sgd': learning_rate_init['sgd'] must be (low, high) with low <= high"),
    ((0.0, 1e-2), ("adam",), "learning_rate_init must be (low, high) with both > 0"),
])
def test_a_bad_rate_layout_is_one_line_naming_the_solver(lr, solvers, message) -> None:
    with pytest.raises(ValueError) as err:
        SearchSpace(learning_rate_init=lr, solvers=solvers).check()
    assert str(err.value).startswith(message) and "\n" not in str(err.value)


def test_rows_and_the_trials_table_show_one_rate_column_beside_the_solver(iris) -> None:
    X, y = iris
    r = search(X, y, trials=6, max_epochs=3, cv=1, space=SearchSpace(**SMALL, solvers=("adam", "sgd")), random_state=0)
    table = r.trials_table()
    assert len(table) == 6 and not any(c.startswith("learning_rate_init[") for c in table.columns)
    assert set(table["solver"]) == {"adam", "sgd"}
    for t, (_, row) in zip(r.study.trials, table.iterrows()):
        assert row["learning_rate_init"] == t.params[f"learning_rate_init[{row['solver']}]"]
    assert r.best["learning_rate_init"] == table.set_index("trial").loc[r.best["trial"], "learning_rate_init"]
    assert r.best_model.learning_rate_init == pytest.approx(r.best["learning_rate_init"])  # the refit trains with it
    assert "solver" in [c.header for c in r.table().columns]


@pytest.mark.parametrize(("first", "then", "message"), [
    ((1e-3, 1e-1), None, r"sampled its learning rates as learning_rate_init, and this search samples learning_rate_init\[adam\], "
                         r"learning_rate_init\[sgd\]: one range for every solver against a range per solver, .* Pass a new "
                         r"study_name, or one learning_rate_init range for every solver \(CLI: --lr LOW,HIGH\)"),
    (None, (1e-3, 1e-1), r"sampled its learning rates as learning_rate_init\[(adam|sgd)\].*, and this search "
                         r"samples learning_rate_init: a range per solver against one range for every solver, .* per-solver"),
])
def test_a_resumed_study_of_the_other_rate_layout_is_refused_in_one_line(iris, tmp_path, first, then, message) -> None:
    X, y = iris
    kw = dict(max_epochs=2, cv=1, refit=False, storage=str(tmp_path / "s.log"), study_name="s")
    space = {} if first is None else {"learning_rate_init": first}
    search(X, y, trials=2, space=SearchSpace(**SMALL, solvers=("adam", "sgd"), **space), **kw)
    other = {} if then is None else {"learning_rate_init": then}
    with pytest.raises(ValueError, match=r"^study 's' in .*s\.log " + message):
        search(X, y, trials=3, space=SearchSpace(**SMALL, solvers=("adam", "sgd"), **other), **kw)
    r = search(X, y, trials=3, space=SearchSpace(**SMALL, solvers=("adam", "sgd"), **space), **kw)  # its own layout resumes
    assert r.n_complete == 3
    fixed = search(X, y, trials=4, space=SearchSpace(**SMALL, solvers=("adam", "sgd"), learning_rate_init=(0.01, 0.01)), **kw)
    assert fixed.n_complete == 4  # a fixed rate samples none: nothing to refuse


def test_a_worker_process_reads_per_solver_ranges_back(tmp_path, monkeypatch) -> None:
    space = SearchSpace(**SMALL, solvers=("adam", "sgd"), learning_rate_init={"adam": (1e-3, 1e-2), "sgd": (0.02, 0.2)})
    path = run.write_job(_setup(space), str(tmp_path), str(tmp_path / "s.log"), "s", ["maximize"], 1, None)
    assert json.loads(open(path).read())["space"]["learning_rate_init"]["sgd"] == [0.02, 0.2]
    got = []
    monkeypatch.setattr(run, "run_worker", lambda setup, *a, **k: got.append(setup.space))
    run.worker_main(path, 0)
    assert got[0] == space and got[0].learning_rates()["sgd"] == (0.02, 0.2)


_PAIR = st.tuples(st.floats(-1.0, 1.0), st.floats(-1.0, 1.0))


@settings(max_examples=200, deadline=None)
@given(st.one_of(_PAIR, st.dictionaries(st.sampled_from(["adam", "adamw", "rmsprop", "sgd", "sdg", "lbfgs", ""]), _PAIR, max_size=4)),
       st.lists(st.sampled_from(["adam", "adamw", "rmsprop", "sgd"]), min_size=1, max_size=3, unique=True))
def test_any_rate_layout_is_searchable_or_one_line_naming_learning_rate_init(lr, solvers) -> None:
    space = SearchSpace(learning_rate_init=lr, solvers=tuple(solvers))
    try:
        space.check()
    except ValueError as exc:
        assert str(exc).startswith("learning_rate_init ") and "\n" not in str(exc)
    else:
        rates = space.learning_rates()
        assert list(rates) == solvers and all(0 < lo <= hi for lo, hi in rates.values())
        names = {space.rate_name_of(s) for s in solvers}
        assert names == {"learning_rate_init"} or names == {f"learning_rate_init[{s}]" for s in solvers}
