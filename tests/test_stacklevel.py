"""Warnings meant for the user (Ctrl-C's ``InterruptedWarning``, ``DivergedWarning``, ``ConvergenceWarning``, the data
warnings...) name the user's line on every path to them.

Before, counted ``stacklevel``s named ``estimators/_mlp.py`` for every estimator fit (in memory,
``partial_fit``, streamed, L-BFGS; DANN's ``estimators/_dann.py``), an application's own module for its fit, and the line above
the user's for ``train`` called directly. :func:`hiddenlayers._stacklevel.user_stacklevel` walks out
of the package instead.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest

import hiddenlayers as hl
from hiddenlayers._stacklevel import user_stacklevel
from hiddenlayers.data import ParquetSource


class _CtrlCAtBatch(hl.Callback):
    """Ctrl-C at this callback's ``at``-th batch (counted over the whole run)."""

    def __init__(self, at: int) -> None:
        self.at, self.seen = at, 0

    def on_batch_end(self, **kwargs: Any) -> None:
        self.seen += 1
        if self.seen == self.at:
            raise KeyboardInterrupt


def _warned(category: type[Warning], fit: Callable[[], Any]) -> list[warnings.WarningMessage]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fit()
    return [w for w in caught if issubclass(w.category, category)]


def _data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 3))
    return X, (X[:, 0] > 0).astype(int)


def _clf(at: int, **kw: Any) -> hl.MLPClassifier:
    return hl.MLPClassifier((4,), batch_size=20, max_iter=5, random_state=0, callbacks=[_CtrlCAtBatch(at)], **kw)


@pytest.fixture
def source(tmp_path) -> ParquetSource:  # type: ignore[no-untyped-def]
    X, y = _data()
    df = pd.DataFrame(X, columns=list("abc"))
    df["y"] = y
    df.to_parquet(tmp_path / "t.parquet", row_group_size=50)
    return ParquetSource(str(tmp_path), target="y")


def test_ctrl_c_in_an_in_memory_fit_names_the_users_line() -> None:
    X, y = _data()
    found = _warned(hl.InterruptedWarning, lambda: _clf(15).fit(X, y))
    assert [w.filename for w in found] == [__file__]


def test_ctrl_c_in_a_head_first_fit_names_the_users_line() -> None:
    X, y = _data()
    source = hl.MLPClassifier((4,), max_iter=3, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        source.fit(X, y)
    found = _warned(hl.InterruptedWarning, lambda: _clf(15, init_from=source, freeze="head_first").fit(X, y))
    assert [w.filename for w in found] == [__file__]


def test_ctrl_c_in_partial_fit_names_the_users_line() -> None:
    X, y = _data()
    est = _clf(15)
    est.partial_fit(X, y, classes=[0, 1])
    found = _warned(hl.InterruptedWarning, lambda: est.partial_fit(X, y))
    assert [w.filename for w in found] == [__file__]


@pytest.mark.parametrize("call", ["fit", "partial_fit"])
def test_ctrl_c_in_a_streamed_fit_names_the_users_line(source: ParquetSource, call: str) -> None:
    est = _clf(5)  # in the first pass (10 batches)
    found = _warned(hl.InterruptedWarning, lambda: getattr(est, call)(source))
    assert [w.filename for w in found] == [__file__]
    assert est.history_.stop_reason == "interrupted"


def test_ctrl_c_in_lbfgs_names_the_users_line(monkeypatch: pytest.MonkeyPatch) -> None:
    from hiddenlayers.training import _lbfgs

    real, calls = _lbfgs.make_step, [0]

    def make_step(*args: Any, **kwargs: Any) -> Any:
        stepper = real(*args, **kwargs)
        step = stepper.step

        def interrupted(*a: Any) -> Any:
            calls[0] += 1
            if calls[0] == 10:
                raise KeyboardInterrupt
            return step(*a)

        stepper.step = interrupted
        return stepper

    monkeypatch.setattr(_lbfgs, "make_step", make_step)
    X, y = _data()
    est = hl.MLPClassifier((4,), solver="lbfgs", max_iter=100, random_state=0)
    found = _warned(hl.InterruptedWarning, lambda: est.fit(X, y))
    assert [w.filename for w in found] == [__file__] and est.stop_reason_ == "interrupted"


def test_ctrl_c_in_a_dann_fit_names_the_users_line(monkeypatch: pytest.MonkeyPatch) -> None:
    from hiddenlayers.training import _dann

    real, epochs = _dann._record, [0]

    def record(*args: Any, **kwargs: Any) -> Any:
        epochs[0] += 1
        if epochs[0] == 2:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(_dann, "_record", record)
    X, y = _data()
    est = hl.MLPClassifier((4,), max_iter=5, random_state=0, domain_adaptation="dann")
    found = _warned(hl.InterruptedWarning, lambda: est.fit(X, y, X_target=X + 1.0))
    assert [w.filename for w in found] == [__file__] and est.stop_reason_ == "interrupted"


def _ctrl_c_at_epoch_2(monkeypatch: pytest.MonkeyPatch) -> None:
    """Ctrl-C at the end of the fit loop's second epoch (raised by the loop itself, whatever callbacks the app has)."""
    from hiddenlayers.training import _loop

    real = _loop._record_epoch

    def record(history: Any, epoch: int, *args: Any, **kwargs: Any) -> Any:
        if epoch == 2:
            raise KeyboardInterrupt
        return real(history, epoch, *args, **kwargs)

    monkeypatch.setattr(_loop, "_record_epoch", record)


def test_ctrl_c_in_an_apps_fit_names_the_users_line(monkeypatch: pytest.MonkeyPatch) -> None:
    _ctrl_c_at_epoch_2(monkeypatch)
    X, _ = _data()
    ae = hl.apps.Autoencoder(max_iter=5, random_state=0)
    found = _warned(hl.InterruptedWarning, lambda: ae.fit(X))
    assert [w.filename for w in found] == [__file__] and ae.stop_reason_ == "interrupted"


def test_ctrl_c_in_train_called_directly_names_the_users_line(monkeypatch: pytest.MonkeyPatch) -> None:
    _ctrl_c_at_epoch_2(monkeypatch)
    X, y = _data()
    net = hl.Network(3, hl.Spec.parse([4]), 2)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        line = _line() + 1
        hl.train(net, X.astype(np.float32), np.eye(2, dtype=np.float32)[y], loss="log_loss", max_epochs=4)
    assert [(w.filename, w.lineno) for w in caught if w.category is hl.InterruptedWarning] == [(__file__, line)]


def test_divergence_in_train_called_directly_names_the_users_line() -> None:
    rng = np.random.default_rng(0)
    X = (rng.normal(size=(200, 5)) * 1000.0).astype(np.float32)
    Y = (X @ rng.normal(size=5)).astype(np.float32)[:, None]
    net = hl.Network(5, hl.Spec.parse([16]), 1)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        line = _line() + 1
        hl.train(net, X, Y, loss="squared_error", solver="sgd", learning_rate_init=1e6, max_epochs=50)
    found = [(w.filename, w.lineno) for w in caught if w.category is hl.DivergedWarning]
    assert found == [(__file__, line)]


def _line() -> int:
    """The caller's line number."""
    import sys

    return sys._getframe(1).f_lineno


def test_user_stacklevel_counts_the_callers_own_frame_as_one() -> None:
    assert user_stacklevel() == 1  # called from outside the package: this very frame


# -- warnings other than Ctrl-C's: each names the line that called fit, whatever the path ---------------------------
# On the old code (counted stacklevels) these named hiddenlayers' own files: the head_first and streamed
# ConvergenceWarnings, lbfgs's, the batch_size clipping warning, a DataFrame fit's ColumnWarning and missing-marker
# warning (in memory and streamed), prune's and the device fallback's on load. The in-memory and lbfgs fits'
# ConvergenceWarning, Preprocessor.fit's own warnings and the Recommender's already did; they are tested all the same.
def _filenames(category: type[Warning], fit: Callable[[], Any]) -> list[str]:
    return [w.filename for w in _warned(category, fit)]


def test_convergence_warning_of_an_in_memory_fit_names_the_users_line() -> None:
    from sklearn.exceptions import ConvergenceWarning

    X, y = _data()
    assert _filenames(ConvergenceWarning, lambda: hl.MLPClassifier((4,), max_iter=2, random_state=0).fit(X, y)) == [__file__]


def test_convergence_warning_of_a_head_first_fit_names_the_users_line() -> None:
    from sklearn.exceptions import ConvergenceWarning

    X, y = _data()
    source = hl.MLPClassifier((4,), max_iter=3, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        source.fit(X, y)
    est = hl.MLPClassifier((4,), max_iter=2, random_state=0, init_from=source, freeze="head_first")
    found = _filenames(ConvergenceWarning, lambda: est.fit(X, y))
    assert found and set(found) == {__file__}


@pytest.mark.parametrize("freeze", [None, "head_first"])
def test_convergence_warning_of_a_streamed_fit_names_the_users_line(source: ParquetSource, freeze: str | None) -> None:
    from sklearn.exceptions import ConvergenceWarning

    kw: dict[str, Any] = {}
    if freeze:
        X, y = _data()
        first = hl.MLPClassifier((4,), max_iter=3, random_state=0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            first.fit(pd.DataFrame(X, columns=list("abc")), y)
        kw = {"init_from": first, "freeze": freeze}
    est = hl.MLPClassifier((4,), batch_size=20, max_iter=2, random_state=0, **kw)
    found = _filenames(ConvergenceWarning, lambda: est.fit(source))
    assert found and set(found) == {__file__}


def test_convergence_warning_of_lbfgs_names_the_users_line() -> None:
    from sklearn.exceptions import ConvergenceWarning

    X, y = _data()
    est = hl.MLPClassifier((4,), solver="lbfgs", max_iter=2, random_state=0)
    assert _filenames(ConvergenceWarning, lambda: est.fit(X, y)) == [__file__]


@pytest.mark.parametrize("early_stopping", [False, True])
def test_batch_size_clipping_warning_names_the_users_line(early_stopping: bool) -> None:
    X, y = _data()
    est = hl.MLPClassifier((4,), batch_size=1000, max_iter=50, early_stopping=early_stopping, random_state=0)
    found = [w for w in _warned(UserWarning, lambda: est.fit(X, y)) if "batch_size" in str(w.message)]
    assert [w.filename for w in found] == [__file__]


def _frame_with_hints() -> tuple[pd.DataFrame, np.ndarray]:
    """A table whose 'price' holds numbers as text (a ColumnWarning) and whose 'kind' has the category 'NA' (a UserWarning)."""
    X, y = _data()
    df = pd.DataFrame(X, columns=list("abc"))
    df["price"] = [f"{v:.2f}" for v in np.abs(X[:, 0]) * 10]
    df["kind"] = ["NA" if i % 3 == 0 else "x" for i in range(len(df))]
    return df, y


def _column_filenames(fit: Callable[[], Any]) -> tuple[list[str], list[str]]:
    """(ColumnWarnings' filenames, the missing-marker UserWarnings' filenames)."""
    caught = _warned(Warning, fit)
    return ([w.filename for w in caught if issubclass(w.category, hl.ColumnWarning)],
            [w.filename for w in caught if "read as a missing value" in str(w.message)])


def test_column_warnings_of_fitting_a_dataframe_name_the_users_line() -> None:
    df, _ = _frame_with_hints()
    assert _column_filenames(lambda: hl.TablePreprocessor().fit(df)) == ([__file__], [__file__])


def test_column_warnings_of_a_streamed_fit_name_the_users_line(tmp_path) -> None:  # type: ignore[no-untyped-def]
    df, y = _frame_with_hints()
    df["y"] = y
    df.to_parquet(tmp_path / "t.parquet", row_group_size=50)
    est = hl.MLPClassifier((4,), max_iter=2, random_state=0)  # the warnings come from the data check, before any epoch
    assert _column_filenames(lambda: est.fit(ParquetSource(str(tmp_path), target="y"))) == ([__file__], [__file__])


def test_recommenders_unknown_ids_warning_names_the_users_line() -> None:
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"user": rng.integers(0, 10, 200), "item": rng.integers(0, 10, 200)})
    rec = hl.apps.Recommender(max_iter=2, random_state=0).fit(X, rng.uniform(1, 5, 200))
    found = _filenames(UserWarning, lambda: rec.predict(pd.DataFrame({"user": [99], "item": [1]})))
    assert found == [__file__]


def test_recommenders_repeated_pairs_and_long_n_warnings_name_the_users_line() -> None:
    X = pd.DataFrame({"user": [0, 0, 1, 0], "item": [0, 1, 0, 0]})
    rec = hl.apps.Recommender(n_factors=2, hidden_layer_sizes=(), max_iter=1, random_state=0)
    assert _filenames(UserWarning, lambda: rec.fit(X, [1.0, 2.0, 3.0, 4.0])) == [__file__]
    assert _filenames(UserWarning, lambda: rec.recommend([0, 1], n=5)) == [__file__]


def test_prunes_too_few_rows_warning_names_the_users_line() -> None:
    X, y = _data()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est = hl.MLPClassifier((8,), max_iter=300, random_state=0).fit(X, y)
    found = [w for w in _warned(UserWarning, lambda: hl.prune(est, X[:40], y[:40], max_drop=1e-4, cv=2, search_steps=2, fine_tune_epochs=0, latency_calls=0)) if "cannot confirm" in str(w.message)]
    assert [w.filename for w in found] == [__file__]


@pytest.mark.parametrize("how", ["class", "hl.load", "app"])
def test_the_missing_device_warning_on_load_names_the_users_line(tmp_path, how: str) -> None:  # type: ignore[no-untyped-def]
    X, y = _data()
    path = str(tmp_path / "m.safetensors")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model: Any = hl.apps.Autoencoder(max_iter=2, random_state=0).fit(X) if how == "app" else hl.MLPClassifier((4,), max_iter=2, random_state=0).fit(X, y)
    model.set_params(device="cuda:64")  # saved for a GPU no machine has: load falls back, with a warning
    model.save(path)
    load = {"class": hl.MLPClassifier.load, "hl.load": hl.load, "app": hl.apps.Autoencoder.load}[how]
    found = [w for w in _warned(UserWarning, lambda: load(path)) if "which this machine lacks" in str(w.message)]
    assert [w.filename for w in found] == [__file__]
