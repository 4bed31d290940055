"""check_search_options: search()'s checks that need no data, run by search() and by the CLI before the table is read."""

from __future__ import annotations

import inspect
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hiddenlayers.rightsize import SearchSpace, check_search_options, search


def test_its_arguments_and_defaults_are_searchs():
    """One rule set: the check takes search()'s settings by the same names, with the same defaults."""
    mine = inspect.signature(check_search_options).parameters
    theirs = inspect.signature(search).parameters
    assert mine and all(name in theirs and p.default == theirs[name].default for name, p in mine.items())


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"storage": "search.txt"}, "storage must be a journal file (*.log, *.journal or journal:PATH)"),
    # in memory (Optuna's heartbeat thread then found no tables, with tracebacks) or too few / many slashes (an internal
    # ArgumentError after the data was read, or a file in a new folder 'sqlite:'): none names a file
    *(({"storage": url}, f"storage={url!r} names no SQLite file: write sqlite:///search.db")
      for url in ("sqlite://", "sqlite:///", "sqlite:///:memory:", "sqlite:", "sqlite:/s.db", "sqlite://host/s.db")),
    ({"storage": "journal:"}, "storage='journal:' names no journal file: write journal:PATH"),
    # None: Optuna named a new study, and search() then said "no trial finished (0 complete of 0)"
    *(({"study_name": name}, f"study_name must be a non-empty string (the study's name in storage, and the model files' prefix). "
                             f"Received: study_name={name!r}.") for name in (None, "", " ")),
    ({"max_params": 10}, "no hidden-layer spec of the space fits max_params=10:"),
    ({"max_flops": 3, "space": SearchSpace(widths=(4,), layers=(1, 1))}, "no hidden-layer spec of the space fits max_flops=3:"),
    ({"workers": 2, "storage": object()}, "workers > 1 needs storage as a URL or file path"),
    ({"objectives": ("latency",)}, "objectives must start with 'score'"),
    ({"space": SearchSpace(layers=(0, 2))}, "layers must be (min, max)"),
])
def test_options_no_data_could_run_are_refused_without_data(kwargs, message, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ValueError, match=None) as info:
        check_search_options(**kwargs)
    assert message in str(info.value)
    assert list(tmp_path.iterdir()) == []  # nothing created


def test_it_returns_the_objectives_and_passes_a_budget_some_data_may_meet():
    assert check_search_options(objectives=("Score", "LATENCY")) == ("score", "latency")
    # the score by its metric's name, as --objectives and DESIGN's sketch write it: search(X, y, objectives=("accuracy", "latency"))
    assert check_search_options(objectives=("accuracy", "latency")) == ("score", "latency")
    assert check_search_options(objectives="R2") == ("score",)
    with pytest.raises(ValueError, match="no repeats"):
        check_search_options(objectives=("accuracy", "score"))
    # 1 input, 16 units, 1 output: 49 parameters; a wider data set may still break it, which search() says
    assert check_search_options(max_params=49, space=SearchSpace(widths=(16,), layers=(1, 1))) == ("score",)
    X = np.random.default_rng(0).normal(size=(40, 5))
    with pytest.raises(ValueError, match="no hidden-layer spec of the space fits max_params=49"):
        search(X, (X[:, 0] > 0).astype(int), trials=1, max_params=49, space=SearchSpace(widths=(16,), layers=(1, 1)))


@settings(max_examples=150, deadline=None)
@given(lo=st.integers(1, 3), extra=st.integers(0, 1), widths=st.lists(st.integers(1, 40), min_size=1, max_size=3),
       max_params=st.none() | st.integers(1, 3000), max_flops=st.none() | st.integers(1, 6000),
       n_in=st.integers(1, 12), n_out=st.integers(1, 5))
def test_fits_budget_is_false_only_when_no_data_fits(lo, extra, widths, max_params, max_flops, n_in, n_out):
    """The data-free refusal is exact at one input and one output, and never refuses what some data allows."""
    space = SearchSpace(layers=(lo, lo + extra), widths=tuple(widths))
    fits = space.fits_budget(max_params, max_flops)
    assert fits == bool(space.hidden_choices(1, 1, max_params, max_flops))
    if not fits:
        assert space.hidden_choices(n_in, n_out, max_params, max_flops) == []


@settings(max_examples=40, deadline=None)
@given(name=st.sampled_from(["trials", "workers", "patience", "threads", "max_epochs", "warmup_epochs", "min_peers", "max_saved", "cv"]),
       value=st.integers(1, 20), kind=st.sampled_from([np.int64, np.int32, np.uint8]))
def test_numpy_integers_pass_as_python_integers_do(name, value, kind):
    """trials=np.int64(20) (from a grid, a config array) was refused as 'must be an integer'."""
    check_search_options(**{name: kind(value)})


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"max_latency_us": True}, "max_latency_us must be a positive number of microseconds or None. Received: max_latency_us=True."),
    ({"timeout": False}, "timeout must be a positive number of seconds or None"),
    ({"trials": 3.0}, "trials must be an integer >= 1. Received: trials=3.0."),
    ({"objectives": None}, "objectives must be a name or a list of names: 'score' followed by any of"),
    ({"objectives": ("score", 3)}, "objectives must be a name or a list of names"),
    ({"cv": np.float64(3.5)}, "cv must be 'auto' or a number of folds"),
])
def test_bools_floats_and_non_names_are_one_line_value_errors(kwargs, message):
    with pytest.raises(ValueError) as info:
        check_search_options(**kwargs)
    assert message in str(info.value) and "\n" not in str(info.value)


def test_numpy_reals_pass():
    check_search_options(max_latency_us=np.float32(50.0), timeout=np.float64(1.5), validation_fraction=np.float64(0.25))


def test_check_search_data_checks_the_budget_with_the_datas_columns_and_outputs() -> None:
    """A budget that fits one input column and one output but not 30 columns and 3 classes: search's own error, before any trial."""
    from hiddenlayers.rightsize import check_search_data

    space = SearchSpace(widths=(8,), layers=(1, 1))
    X, y = np.zeros((12, 30)), np.arange(12) % 3
    check_search_options(max_params=30, space=space)  # 1 in, 1 out: 8 + 8 + 8 + 1 = 25 parameters
    with pytest.raises(ValueError, match=r"no hidden-layer spec of the space fits max_params=30"):
        check_search_data(X, y, space=space, max_params=30)
    check_search_data(X, y, space=space, max_params=30 * 8 + 8 + 8 * 3 + 3)  # the smallest network on this data fits


@pytest.mark.parametrize(("y", "kwargs", "shown"), [
    (np.zeros(30), {}, "0.0) in 30 row(s)"),
    (np.array(["ok"] * 30), {}, "'ok') in 30 row(s)"),
    (np.arange(30) % 2, {"sample_weight": (np.arange(30) % 2).astype(float)}, "1) in 15 row(s) of sample_weight > 0"),
])
def test_labels_of_one_class_are_refused_before_any_trial(y, kwargs, shown, monkeypatch) -> None:
    # every trial scored 1.0 and search() returned a "best" configuration ranked by noise (the CLI refused such a target)
    import hiddenlayers.rightsize._search.search as module

    monkeypatch.setattr(module, "_run_study", lambda *a, **k: pytest.fail("a trial ran"))
    X = np.random.default_rng(0).normal(size=(30, 3))
    with pytest.raises(ValueError, match=r"^y holds one class \(" + re.escape(shown) +
                       r": every trial would score 1\.0 and the search could rank nothing\. Check y \(the labels\)"):
        search(X, y, trials=1, max_epochs=1, cv=1, **kwargs)


def test_save_dir_is_made_where_it_does_not_exist(iris, tmp_path) -> None:
    # a missing folder failed at the first model file, after every trial and refit: the result was lost with the error
    X, y = iris
    found = search(X, y, trials=1, max_epochs=2, cv=1, save_dir=tmp_path / "models" / "iris")
    assert found.paths == [str(tmp_path / "models" / "iris" / "hiddenlayers-trial0.safetensors")]
    assert (tmp_path / "models" / "iris" / "hiddenlayers-trial0.safetensors").is_file()


@pytest.mark.parametrize("below", ["", "sub"])
def test_a_save_dir_that_is_a_file_is_refused_before_any_trial(iris, tmp_path, monkeypatch, below) -> None:
    import hiddenlayers.rightsize._search.search as module

    monkeypatch.setattr(module, "_run_study", lambda *a, **k: pytest.fail("a trial ran"))
    (tmp_path / "notes.txt").write_text("mine")
    given = tmp_path / "notes.txt" / below if below else tmp_path / "notes.txt"
    with pytest.raises(ValueError, match=f"^save_dir={re.escape(repr(str(given)))}: '{re.escape(str(tmp_path / 'notes.txt'))}' "
                                         "is a file, not a folder: give a folder for the model files.$"):
        search(*iris, trials=1, max_epochs=1, cv=1, save_dir=given)
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_a_save_dir_in_a_folder_that_takes_no_file_is_refused_before_any_trial(iris, tmp_path, monkeypatch) -> None:
    import errno
    import tempfile

    import hiddenlayers.rightsize._search.search as module

    def read_only(*args, **kwargs):
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(module, "_run_study", lambda *a, **k: pytest.fail("a trial ran"))
    monkeypatch.setattr(tempfile, "TemporaryFile", read_only)
    with pytest.raises(ValueError, match=f"cannot be written \\(folder '{re.escape(str(tmp_path))}': Read-only file system\\): "
                                         "give a folder you can write to."):
        search(*iris, trials=1, max_epochs=1, cv=1, save_dir=tmp_path / "models")


def test_a_budget_no_spec_meets_names_what_the_smallest_spec_costs(iris) -> None:
    # the error said only "raise the budget": to what, the user found by trial and error
    X, y = iris  # 4 columns, 3 classes: the smallest spec, one layer of 4, has 4*4+4 + 4*3+3 = 35 parameters
    space = SearchSpace(layers=(1, 2), widths=(4, 8))
    with pytest.raises(ValueError, match="^" + re.escape(
            "no hidden-layer spec of the space fits max_params=34: the smallest, hidden layers 4 on 4 input column(s) "
            "and 3 output(s), has 35 parameters and 56 FLOPs per prediction: raise the budget or allow smaller widths.") + "$"):
        search(X, y, space=space, max_params=34, trials=1, max_epochs=1, cv=1)
    with pytest.raises(ValueError, match=re.escape("max_flops=5: the smallest, hidden layers 4, has at least 13 parameters and 16 FLOPs "
                                                   "per prediction (on one input column and one output: more on the data): raise")):
        check_search_options(space=space, max_flops=5)  # no data: no data set has fewer than one column and one output
        # (it said "on 1 input column(s) and 1 output(s)" as if those were the user's data: `search --max-params 5` on iris)
