"""A streamed fit (``fit(ParquetSource)``) calls callbacks and runs ``freeze="head_first"`` per pass, as an in-memory fit per epoch.

The source is 400 rows in 4 row groups; with ``CHUNK_BATCHES = 2`` and ``batch_size=50`` a pass is 4 chunks of
2 batches. With ``shuffle=False``, SGD and float64 a streamed fit takes the same steps as the in-memory fit on
the same rows (``tests/data/test_data_stream.py`` shows it), so the two are compared number for number.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd
import pytest
import torch

import hiddenlayers as hl
from hiddenlayers.data import ParquetSource

BATCHES_PER_PASS = 8


@pytest.fixture
def stream(tmp_path, monkeypatch) -> tuple[ParquetSource, np.ndarray, np.ndarray]:
    """The source, and its rows as the stream reads them (preprocessed, in order), for the in-memory fit."""
    from hiddenlayers.estimators import _fit_stream

    monkeypatch.setattr(_fit_stream, "CHUNK_BATCHES", 2)  # 4 chunks a pass
    rng = np.random.default_rng(0)
    df = pd.DataFrame(rng.normal(size=(400, 3)), columns=list("abc"))
    df["y"] = (df["a"] + 0.5 * df["b"] > 0).astype(int)
    df.to_parquet(tmp_path / "t.parquet", row_group_size=100)
    src = ParquetSource(str(tmp_path), target="y")
    X, y = next(src.chunks(range(len(src.units)), rows=400))
    return src, X, y


def _clf(**kw: Any) -> hl.MLPClassifier:
    settings = {"hidden_layer_sizes": (5,), "solver": "sgd", "learning_rate_init": 0.1, "shuffle": False, "batch_size": 50,
                "random_state": 0, "dtype": "float64", "n_iter_no_change": 100}
    return hl.MLPClassifier(**{**settings, **kw})


def _quiet(fit: Any, *args: Any) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # max_iter reached
        return fit(*args)


class _Recorder(hl.Callback):
    """Every hook call: its name, ``state.epoch``, the history's length and, at an epoch's end, its logs."""

    def __init__(self) -> None:
        self.calls: list[tuple[Any, ...]] = []
        self.batches: list[int] = []  # on_batch_end calls, per epoch

    def on_train_begin(self, **kw: Any) -> None:
        self.calls.append(("train_begin", len(kw["history"])))

    def on_epoch_begin(self, **kw: Any) -> None:
        assert kw["state"].epoch == kw["epoch"]
        self.calls.append(("epoch_begin", kw["epoch"], len(kw["history"])))
        self.batches.append(0)

    def on_batch_end(self, **kw: Any) -> None:
        assert kw["network"] is not None and kw["history"] is not None
        self.batches[-1] += 1

    def on_epoch_end(self, **kw: Any) -> None:
        logs = kw["logs"]
        assert kw["history"].epoch[-1] == logs["epoch"] == kw["state"].epoch
        self.calls.append(("epoch_end", logs["epoch"], round(logs["train_loss"], 9), logs["lr"]))

    def on_train_end(self, **kw: Any) -> None:
        self.calls.append(("train_end", len(kw["history"]), kw["history"].stop_reason))


def test_a_streamed_fit_calls_each_epoch_hook_once_per_pass_as_in_memory(stream) -> None:
    """Before, each chunk's partial_fit ran every hook: 4 on_epoch_end per pass, numbered from the chunk's own history."""
    src, X, y = stream
    mem, streamed = _Recorder(), _Recorder()
    _quiet(_clf(max_iter=3, callbacks=[mem]).fit, X, y)
    _quiet(_clf(max_iter=3, callbacks=[streamed]).fit, src)
    assert streamed.calls == mem.calls
    assert [c[0] for c in mem.calls] == ["train_begin"] + ["epoch_begin", "epoch_end"] * 3 + ["train_end"]
    assert streamed.batches == mem.batches == [BATCHES_PER_PASS] * 3


def test_a_streamed_partial_fit_is_one_epoch_to_callbacks(stream) -> None:
    src, X, y = stream
    mem, streamed = _Recorder(), _Recorder()
    m, s = _clf(callbacks=[mem]), _clf(callbacks=[streamed])
    for _ in range(2):
        m.partial_fit(X, y, classes=[0, 1])
        s.partial_fit(src)
    assert streamed.calls == mem.calls  # on_train_end's history says "partial_fit" in both (before, "max_epochs" in memory)
    assert [c for c in mem.calls if c[0] == "epoch_end"][1][1] == 2  # the second call's epoch is 2: the history runs on


def test_partial_fit_records_partial_fit_as_the_histories_reason_in_memory_as_streamed(stream) -> None:
    """``history_.stop_reason`` after ``partial_fit`` is "partial_fit" (STOP_REASONS: one epoch of partial_fit) in memory too,
    when a no-improvement rule (which only counts in partial_fit) fired at that epoch as well. Before, in memory it
    named the rule: "max_epochs" or "no_improvement_train_loss"."""
    src, X, y = stream
    for stalls in (False, True):
        kw = {"tol": 10.0, "n_iter_no_change": 1} if stalls else {}
        mem, streamed = _clf(**kw), _clf(**kw)
        for _ in range(3):
            mem.partial_fit(X, y, classes=[0, 1])
            streamed.partial_fit(src)
            assert mem.history_.stop_reason == streamed.history_.stop_reason == "partial_fit"
            assert mem.history_.stop_message == streamed.history_.stop_message == "one epoch of partial_fit"
            assert mem.stop_reason_ == streamed.stop_reason_ == "partial_fit"


class _StopAt(hl.Callback):
    """Sets ``state.stop_training`` in ``hook`` at epoch ``at``; keeps each epoch's weights."""

    def __init__(self, hook: str, at: int) -> None:
        self.hook, self.at = hook, at
        self.weights: list[dict[str, torch.Tensor]] = []

    def _maybe(self, kw: dict[str, Any]) -> None:
        if kw["state"].epoch == self.at:
            kw["state"].stop_training = True

    def on_epoch_begin(self, **kw: Any) -> None:
        if self.hook == "on_epoch_begin":
            self._maybe(kw)

    def on_batch_end(self, **kw: Any) -> None:
        if self.hook == "on_batch_end":
            self._maybe(kw)

    def on_epoch_end(self, **kw: Any) -> None:
        self.weights.append({k: v.clone() for k, v in kw["network"].state_dict().items()})
        if self.hook == "on_epoch_end":
            self._maybe(kw)


@pytest.mark.parametrize("hook", ["on_epoch_begin", "on_batch_end", "on_epoch_end"])
def test_a_callback_stops_a_streamed_fit_after_that_pass_as_in_memory(stream, hook: str) -> None:
    """state.stop_training stops the fit after the pass it was set in (stop_reason_ 'callback', no ConvergenceWarning), with
    that pass's weights, as in memory; before, the chunk's own run took the flag and the fit read on to max_iter."""
    src, X, y = stream
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no ConvergenceWarning: the fit stopped on its own
        mem = _clf(max_iter=10, callbacks=[_StopAt(hook, 2)]).fit(X, y)
        streamed = _clf(max_iter=10, callbacks=[_StopAt(hook, 2)]).fit(src)
    assert streamed.stop_reason_ == mem.stop_reason_ == "callback" and streamed.n_iter_ == mem.n_iter_ == 2
    assert streamed.history_.stop_message == mem.history_.stop_message == "a callback asked to stop"
    np.testing.assert_allclose(streamed.loss_curve_, mem.loss_curve_, rtol=1e-9)
    np.testing.assert_allclose(streamed.predict_proba(X), mem.predict_proba(X), rtol=1e-9)
    # and a streamed partial_fit: one pass anyway, stop_reason_ and the history say why it ended, as in memory
    one = _clf(callbacks=[_StopAt(hook, 1)]).partial_fit(src)
    mem_one = _clf(callbacks=[_StopAt(hook, 1)]).partial_fit(X, y, classes=np.unique(y))
    assert one.stop_reason_ == one.history_.stop_reason == mem_one.stop_reason_ == mem_one.history_.stop_reason == "callback"


def test_a_callback_stop_with_held_out_units_keeps_the_best_passes_weights(stream) -> None:
    src, X, y = stream
    cb = _StopAt("on_epoch_end", 4)
    est = _clf(max_iter=10, early_stopping=True, validation_fraction=0.25, learning_rate_init=1.0, callbacks=[cb]).fit(src)
    assert est.stop_reason_ == "callback" and len(est.history_) == 4 and len(cb.weights) == 4
    best = est.history_.best_epoch
    assert est.history_.val_score[best - 1] == max(est.history_.val_score)
    for k, v in est.network_.state_dict().items():
        assert torch.equal(v, cb.weights[best - 1][k]), k


def test_gradient_flow_records_each_pass_of_a_streamed_fit_as_each_epoch_in_memory(stream) -> None:
    """One record per pass (its steps: every batch of the pass) in the callback and in history_.extra; before, one per
    chunk, each numbered epoch 1, and none in history_ (they went to the chunks' scratch histories)."""
    src, X, y = stream
    mem_flow, flow = hl.lens.GradientFlow(X[:64]), hl.lens.GradientFlow(X[:64])
    mem = _quiet(_clf(max_iter=3, callbacks=[mem_flow]).fit, X, y)
    streamed = _quiet(_clf(max_iter=3, callbacks=[flow]).fit, src)
    assert [r["epoch"] for r in flow.records] == [r["epoch"] for r in mem_flow.records] == [1, 2, 3]
    assert streamed.history_.extra["gradient_flow"] == flow.records
    assert mem.history_.extra["gradient_flow"] == mem_flow.records
    got, want = flow.table(), mem_flow.table()
    assert got.keys() == want.keys() == {"hidden1"}
    for metric in ("grad_norm", "grad_norm_max", "steps", "weight_norm", "update_ratio", "fraction_active"):
        np.testing.assert_allclose(got["hidden1"][metric], want["hidden1"][metric], rtol=1e-7, err_msg=metric)
    assert list(got["hidden1"]["steps"]) == [BATCHES_PER_PASS] * 3


def test_verbose_prints_scikit_learns_lines_once_per_pass(stream, capsys) -> None:
    """Before, a streamed fit printed nothing with verbose=True (each chunk's lines were turned off, and nothing replaced them)."""
    src, X, y = stream
    _quiet(_clf(max_iter=3, verbose=True).fit, X, y)
    mem = capsys.readouterr().out.splitlines()
    _quiet(_clf(max_iter=3, verbose=True).fit, src)
    streamed = capsys.readouterr().out.splitlines()
    assert [line.split(" = ")[0] for line in streamed] == [line.split(" = ")[0] for line in mem] == [f"Iteration {k}, loss" for k in (1, 2, 3)]
    np.testing.assert_allclose([float(line.split(" = ")[1]) for line in streamed], [float(line.split(" = ")[1]) for line in mem], rtol=1e-7)


# --------------------------------------------------------------------------- freeze="head_first" on a stream


@pytest.fixture
def source_model(stream) -> hl.MLPClassifier:
    _, X, y = stream
    return _quiet(_clf(hidden_layer_sizes=(6, 4), max_iter=5, random_state=1).fit, X, y)


def _head_first(source_model: hl.MLPClassifier, **kw: Any) -> hl.MLPClassifier:
    return _clf(hidden_layer_sizes=(6, 4), init_from=source_model, freeze="head_first", **kw)


class _Weights(hl.Callback):
    """Each epoch's hidden-layer and head weights at its end."""

    def __init__(self) -> None:
        self.epochs: list[dict[str, torch.Tensor]] = []

    def on_epoch_end(self, **kw: Any) -> None:
        self.epochs.append({k: v.clone() for k, v in kw["network"].state_dict().items()})


def test_head_first_on_a_stream_runs_both_phases_as_in_memory(stream, source_model) -> None:
    """Phase 1 (the head alone, up to max_iter passes) then phase 2 (every layer at a tenth of the rate): n_iter_,
    history_, the rates and the weights are the in-memory fit's, and one ConvergenceWarning (phase 2's) names the
    caller's line. Before, each chunk ran both phases (one batch-epoch each), n_iter_ was 3, every pass trained at lr0."""
    from sklearn.exceptions import ConvergenceWarning

    src, X, y = stream
    mem_w, w = _Weights(), _Weights()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        mem = _head_first(source_model, max_iter=3, callbacks=[mem_w]).fit(X, y)
        streamed = _head_first(source_model, max_iter=3, callbacks=[w]).fit(src)
    found = [x for x in caught if issubclass(x.category, ConvergenceWarning)]
    assert len(found) == 2 and [x.filename for x in found] == [__file__] * 2  # one per fit, pointing here
    assert streamed.n_iter_ == mem.n_iter_ == 6 and len(streamed.history_) == 6 and streamed.stop_reason_ == "max_epochs"
    assert streamed.history_.lr == pytest.approx(mem.history_.lr, rel=1e-12) and mem.history_.lr == pytest.approx([0.1] * 3 + [0.01] * 3)
    np.testing.assert_allclose(streamed.loss_curve_, mem.loss_curve_, rtol=1e-9)
    np.testing.assert_allclose(streamed.predict_proba(X), mem.predict_proba(X), rtol=1e-9)
    assert streamed.frozen_ == mem.frozen_ == [] and streamed.provenance_["frozen"] == [] and streamed.transferred_ == ["hidden1", "hidden2"]
    # phase 1: the hidden layers are the source's, bit for bit, while the head trains; phase 2 trains them
    src_state = source_model.network_.state_dict()
    hidden = [k for k in src_state if k.startswith("hidden")]
    assert len(w.epochs) == 6 and hidden
    for state in w.epochs[:3]:
        assert all(torch.equal(state[k], src_state[k]) for k in hidden)
    assert not torch.equal(w.epochs[0]["head.weight"], w.epochs[2]["head.weight"])  # the head trains
    assert all(not torch.equal(w.epochs[5][k], src_state[k]) for k in hidden if k.endswith("weight"))


def test_a_streamed_head_first_partial_fit_is_one_pass_per_phase_as_in_memory(stream, source_model) -> None:
    src, X, y = stream
    mem = _head_first(source_model).partial_fit(X, y, classes=[0, 1])
    streamed = _head_first(source_model).partial_fit(src)
    assert streamed.n_iter_ == mem.n_iter_ == 2 and streamed.history_.lr == pytest.approx(mem.history_.lr) == [0.1, 0.01]
    np.testing.assert_allclose(streamed.loss_curve_, mem.loss_curve_, rtol=1e-9)
    np.testing.assert_allclose(streamed.predict_proba(X), mem.predict_proba(X), rtol=1e-9)


class _CtrlCAtBatch(hl.Callback):
    def __init__(self, at: int | None) -> None:
        self.at, self.seen = at, 0

    def on_batch_end(self, **kw: Any) -> None:
        self.seen += 1
        if self.at is not None and self.seen == self.at:
            raise KeyboardInterrupt


def test_ctrl_c_in_a_streamed_head_first_phase_one_ends_the_fit(stream, source_model) -> None:
    src, _, _ = stream
    est = _head_first(source_model, max_iter=3, callbacks=[_CtrlCAtBatch(BATCHES_PER_PASS + 3)])
    with pytest.warns(hl.InterruptedWarning, match=r"restored the weights of epoch 1\.$"):
        est.fit(src)
    assert est.stop_reason_ == "interrupted" and est.n_iter_ == 1 and est.frozen_ == ["hidden1", "hidden2"]
    src_state = source_model.network_.state_dict()
    assert all(torch.equal(v, src_state[k]) for k, v in est.network_.state_dict().items() if k.startswith("hidden"))


class _CrashAtBatch(_CtrlCAtBatch):
    def on_batch_end(self, **kw: Any) -> None:
        self.seen += 1
        if self.at is not None and self.seen == self.at:
            raise RuntimeError("the process died")


def test_a_restarted_streamed_head_first_fit_resumes_phase_two_from_its_checkpoint(stream, source_model, tmp_path, monkeypatch) -> None:
    """$HIDDENLAYERS_CHECKPOINT: phase 1 keeps none (a restart trains it again, the same passes); phase 2 resumes from its
    last whole pass, so the model is the unbroken run's."""
    from hiddenlayers.estimators import _fit_stream

    src, X, _ = stream
    unbroken = _quiet(_head_first(source_model, max_iter=3, callbacks=[_CrashAtBatch(None)]).fit, src)
    monkeypatch.setenv(_fit_stream.CHECKPOINT_ENV, str(tmp_path / "ckpt.pt"))
    with pytest.raises(RuntimeError, match="the process died"):  # in phase 2's second pass
        _quiet(_head_first(source_model, max_iter=3, callbacks=[_CrashAtBatch(4 * BATCHES_PER_PASS + 3)]).fit, src)
    resumed = _quiet(_head_first(source_model, max_iter=3, callbacks=[_CrashAtBatch(None)]).fit, src)
    assert resumed.n_iter_ == unbroken.n_iter_ == 6 and resumed.history_.lr == pytest.approx(unbroken.history_.lr)
    np.testing.assert_allclose(resumed.loss_curve_, unbroken.loss_curve_, rtol=1e-9)
    np.testing.assert_allclose(resumed.predict_proba(X), unbroken.predict_proba(X), rtol=1e-9)


class _BatchLosses(hl.Callback):
    """Each batch's ``batch_loss`` as a float, per epoch."""

    def __init__(self) -> None:
        self.losses: list[list[float]] = []

    def on_epoch_begin(self, **kw: Any) -> None:
        self.losses.append([])

    def on_batch_end(self, **kw: Any) -> None:
        self.losses[-1].append(float(kw["batch_loss"]))


def test_batch_loss_runs_over_the_pass_as_over_the_epoch_in_memory(stream) -> None:
    """``on_batch_end``'s ``batch_loss`` is the pass's running sum of per-row losses, number for number the in-memory fit's
    (same rows, same order, same steps). Before, it started again at each chunk (every 2 batches here)."""
    src, X, y = stream
    mem, streamed = _BatchLosses(), _BatchLosses()
    _quiet(_clf(max_iter=2, callbacks=[mem]).fit, X, y)
    _quiet(_clf(max_iter=2, callbacks=[streamed]).fit, src)
    assert [len(e) for e in streamed.losses] == [len(e) for e in mem.losses] == [BATCHES_PER_PASS] * 2
    np.testing.assert_allclose(streamed.losses, mem.losses, rtol=1e-9)
    assert all(np.all(np.diff(e) > 0) for e in streamed.losses)  # a running sum: it grows through the pass, never restarts
    # and partial_fit calls: each call's pass from zero, as each in-memory call's epoch
    mem, streamed = _BatchLosses(), _BatchLosses()
    m, s = _clf(callbacks=[mem]), _clf(callbacks=[streamed])
    for _ in range(2):
        m.partial_fit(X, y, classes=[0, 1])
        s.partial_fit(src)
    np.testing.assert_allclose(streamed.losses, mem.losses, rtol=1e-9)
