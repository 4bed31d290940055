"""``MLPClassifier``/``MLPRegressor(callbacks=[hl.BackupAndRestore(dir)])``: a fit broken at epoch k (Ctrl-C, or a process
killed with SIGKILL) and fitted again resumes from the backup and ends with the weights and ``history_`` of the unbroken fit;
a backup of another model or other rows, and the fits a backup cannot resume, are refused in one line, the model and the
backup as they were."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
import warnings
from pathlib import Path

import numpy as np
import pytest
from sklearn.datasets import load_diabetes, load_digits
from sklearn.exceptions import ConvergenceWarning

import hiddenlayers as hl
from fit_helpers import BreakAt


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return X[:300] / 16, y[:300]


def _fit(model, X, y, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return model.fit(X, y, **kw)


def _same(a, b) -> None:
    """Bit-equal weights, equal ``history_`` (its clock aside) and fitted counters."""
    for p, q in zip(a.coefs_ + a.intercepts_, b.coefs_ + b.intercepts_):
        np.testing.assert_array_equal(p, q)
    ha, hb = a.history_.to_dict(), b.history_.to_dict()
    ha.pop("time"), hb.pop("time")
    assert repr(ha) == repr(hb)
    assert (a.n_iter_, a.t_, a.stop_reason_, repr(a.loss_curve_)) == (b.n_iter_, b.t_, b.stop_reason_, repr(b.loss_curve_))


CASES = {
    "adam": {},
    "dropout": {"hidden_layer_sizes": "16:dropout=0.3"},
    "early stopping": {"early_stopping": True, "n_iter_no_change": 3, "max_iter": 12},
    "sgd adaptive": {"solver": "sgd", "learning_rate": "adaptive", "n_iter_no_change": 2, "tol": 0.05},
    "ema": {"weight_averaging": "ema", "ema_decay": 0.9},
    "swa": {"weight_averaging": "swa", "swa_start": 2, "swa_lr": 0.01},
}


@pytest.mark.parametrize("case", list(CASES))
def test_interrupted_and_resumed_fit_equals_the_unbroken_fit(digits, tmp_path, case) -> None:
    X, y = digits
    kw = {"hidden_layer_sizes": (16,), "max_iter": 8, "random_state": 0, **CASES[case]}
    ref = _fit(hl.MLPClassifier(**kw), X, y)
    backup = hl.BackupAndRestore(tmp_path / "bk")
    model = _fit(hl.MLPClassifier(**kw, callbacks=[backup, BreakAt(4)]), X, y)
    assert model.stop_reason_ == "interrupted" and backup.path.exists()
    _fit(model.set_params(callbacks=[backup, BreakAt(6)]), X, y)  # broken again, after a resume
    _fit(model.set_params(callbacks=[backup]), X, y)
    _same(ref, model)
    assert not backup.path.exists()


def test_random_state_none_resumes_the_same_split(digits, tmp_path) -> None:
    """With ``random_state=None`` the resumed fit holds out the rows the broken fit held out (the split's state is in the backup)."""
    X, y = digits
    kw = {"hidden_layer_sizes": (16,), "max_iter": 8, "early_stopping": True, "n_iter_no_change": 50}
    np.random.seed(5)
    ref = _fit(hl.MLPClassifier(**kw), X, y)
    backup = hl.BackupAndRestore(tmp_path / "bk")
    np.random.seed(5)
    model = _fit(hl.MLPClassifier(**kw, callbacks=[backup, BreakAt(3)]), X, y)
    np.random.seed(99)  # another global state: the split and the batches must come from the backup
    _fit(model.set_params(callbacks=[backup]), X, y)
    _same(ref, model)


def test_regressor_resumes(tmp_path) -> None:
    X, y = load_diabetes(return_X_y=True)
    kw = {"hidden_layer_sizes": (8,), "max_iter": 6, "random_state": 0, "scale_target": True, "learning_rate_init": 0.01}
    ref = _fit(hl.MLPRegressor(**kw), X[:200], y[:200])
    backup = hl.BackupAndRestore(tmp_path / "bk", delete_checkpoint=False)
    model = _fit(hl.MLPRegressor(**kw, callbacks=[backup, BreakAt(2)]), X[:200], y[:200])
    _fit(model.set_params(callbacks=[backup]), X[:200], y[:200])
    _same(ref, model)
    assert backup.path.exists()  # delete_checkpoint=False


def _broken(X, y, tmp_path, **kw):
    backup = hl.BackupAndRestore(tmp_path / "bk")
    model = _fit(hl.MLPClassifier(hidden_layer_sizes=(16,), max_iter=6, random_state=0, callbacks=[backup, BreakAt(3)], **kw), X, y)
    return model, backup


@pytest.mark.parametrize("change, message", [
    ({"hidden_layer_sizes": (17,)}, "was written by another fit (hidden_layer_sizes: (16,) there, (17,) here)"),
    ({"alpha": 0.5}, "was written by another fit (alpha: 0.0001 there, 0.5 here)"),
    ("rows", "was written by another fit (rows: 300 rows, digest"),
    ("weights", "was written by another fit (rows: 300 rows, digest"),
])
def test_backup_of_another_model_or_rows_is_refused(digits, tmp_path, change, message) -> None:
    X, y = digits
    model, backup = _broken(X, y, tmp_path)
    before, coefs = backup.path.read_bytes(), [c.copy() for c in model.coefs_]
    data = {"X": X, "y": y}
    if change == "rows":
        data["X"] = X[::-1].copy()
        data["y"] = y[::-1].copy()
    elif change == "weights":
        data["sample_weight"] = np.linspace(0.5, 1.5, len(y))
    else:
        model.set_params(**change)
    model.set_params(callbacks=[backup])
    with pytest.raises(ValueError) as info:
        _fit(model, **data)
    assert message in str(info.value) and "delete it" in str(info.value) and "\n" not in str(info.value)
    assert backup.path.read_bytes() == before
    assert all(np.array_equal(a, b) for a, b in zip(coefs, model.coefs_))


def test_backup_scored_on_other_validation_rows_is_refused(digits, tmp_path) -> None:
    X, y = digits
    backup = hl.BackupAndRestore(tmp_path / "bk")
    model = hl.MLPClassifier(hidden_layer_sizes=(8,), max_iter=6, random_state=0, early_stopping=True, callbacks=[backup, BreakAt(2)])
    _fit(model, X[:250], y[:250], X_val=X[250:], y_val=y[250:])
    model.set_params(callbacks=[backup])
    with pytest.raises(ValueError, match=r"another fit \(X_val rows: 50 rows, digest \w+ there, 49 rows"):
        _fit(model, X[:250], y[:250], X_val=X[251:], y_val=y[251:])
    _fit(model, X[:250], y[:250], X_val=X[250:], y_val=y[250:])  # the same rows: resumed
    assert model.stop_reason_ != "interrupted" and not backup.path.exists()


@pytest.mark.parametrize("how, kw, message", [
    ("partial_fit", {}, "partial_fit trains one epoch per call"),
    ("fit", {"solver": "lbfgs"}, "solver='lbfgs' keeps its curvature pairs inside SciPy's minimize"),
    ("warm", {"warm_start": True}, "warm_start=True continues this fitted model"),
    ("fit", {"freeze": "head_first"}, "freeze='head_first' trains in two runs"),
])
def test_fits_a_backup_cannot_resume_are_refused(digits, tmp_path, how, kw, message) -> None:
    X, y = digits
    backup = hl.BackupAndRestore(tmp_path / "bk")
    model = hl.MLPClassifier(hidden_layer_sizes=(8,), max_iter=2, random_state=0, **kw)
    if how == "warm":
        _fit(model, X, y)
    model.set_params(callbacks=[backup])
    with pytest.raises(ValueError, match=f"^BackupAndRestore cannot back this fit up: {message}.*drop BackupAndRestore from callbacks.$"):
        if how == "partial_fit":
            model.partial_fit(X, y, classes=np.arange(10))
        else:
            _fit(model, X, y)
    assert not (tmp_path / "bk").exists()


class _Die(hl.Callback):
    """The process dies (an error) at the end of epoch ``at``, before that epoch's backup is written."""

    def __init__(self, at: int) -> None:
        self.at = at

    def on_epoch_end(self, **kwargs) -> None:
        if kwargs["logs"]["epoch"] == self.at:
            raise RuntimeError("the process died")


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    """A Parquet file of 600 rows in 6 row groups (a numeric target too), and a validation file of 100 rows."""
    import pandas as pd

    d = tmp_path_factory.mktemp("streamed_backup")
    rng = np.random.default_rng(0)
    a = rng.normal(size=(700, 3))
    frame = pd.DataFrame({"a": a[:, 0], "b": a[:, 1], "k": rng.choice(["u", "v"], 700), "y": (a.sum(1) > 0).astype(int), "t": a @ [1.0, -2.0, 0.5]})
    (d / "train").mkdir()
    (d / "valid").mkdir()
    frame.iloc[:600].to_parquet(d / "train" / "t.parquet", row_group_size=100)
    frame.iloc[600:].to_parquet(d / "valid" / "v.parquet")
    return d


STREAMED = {
    "dropout, held-out row groups": (hl.MLPClassifier, "y", {"hidden_layer_sizes": "8:dropout=0.2", "early_stopping": True}),
    "a validation source": (hl.MLPClassifier, "y", {"early_stopping": True, "learning_rate": "plateau"}),
    "scaled regression target": (hl.MLPRegressor, "t", {"scale_target": True, "solver": "sgd", "learning_rate": "adaptive", "tol": 0.05}),
}


@pytest.mark.parametrize("case", list(STREAMED))
def test_a_streamed_fit_broken_and_resumed_equals_the_unbroken_fit(folder, tmp_path, case) -> None:
    """Before: BackupAndRestore was refused for a streamed fit. Now it keeps the streamed fit's own per-epoch checkpoint in
    backup_dir/backup.pt: a fit broken at epoch 3, fitted again, resumes at epoch 3 and ends with the unbroken fit's weights,
    history_ (its clock aside) and counters, bit for bit; the ended fit deletes the backup."""
    from hiddenlayers.data import ParquetSource

    cls, target, extra = STREAMED[case]
    kw = {"hidden_layer_sizes": (8,), "max_iter": 5, "random_state": 0, "batch_size": 32, "n_iter_no_change": 100, **extra}
    val = {"X_val": ParquetSource(str(folder / "valid"), target=target, features=["a", "b", "k"])} if case == "a validation source" else {}

    def src() -> ParquetSource:
        return ParquetSource(str(folder / "train"), target=target, features=["a", "b", "k"], read_rows=50)

    ref = _fit(cls(**kw), src(), None, **val)
    backup = hl.BackupAndRestore(tmp_path / "bk")
    model = cls(**kw, callbacks=[backup, _Die(3)])
    with pytest.raises(RuntimeError, match="the process died"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(src(), **val)
    assert backup.path.is_file() and not hasattr(model, "network_")  # epoch 2's checkpoint; the model as it was
    _fit(model.set_params(callbacks=[backup]), src(), None, **val)
    _same(ref, model)
    assert not backup.path.exists() and not (tmp_path / "bk").exists()


def test_a_streamed_backup_of_another_fit_is_refused_and_partial_fit_keeps_none(folder, tmp_path, monkeypatch) -> None:
    from hiddenlayers.data import ParquetSource

    src = ParquetSource(str(folder / "train"), target="y", features=["a", "b", "k"])
    backup = hl.BackupAndRestore(tmp_path / "bk", delete_checkpoint=False)
    kw = {"hidden_layer_sizes": (8,), "max_iter": 2, "random_state": 0, "callbacks": [backup]}
    _fit(hl.MLPClassifier(**kw), src, None)
    assert backup.path.is_file()  # delete_checkpoint=False keeps it
    with pytest.raises(ValueError, match=r"was written by another fit \(alpha: 0.0001 there, 0.01 here\): it resumes only the same model"):
        _fit(hl.MLPClassifier(**kw, alpha=0.01), src, None)
    fewer = ParquetSource(str(folder / "train" / "t.parquet"), target="y", features=["a", "b"])
    with pytest.raises(ValueError, match=r"was written by another fit \(columns: "):
        _fit(hl.MLPClassifier(**kw), fewer, None)
    with pytest.raises(ValueError, match="^BackupAndRestore cannot back this fit up: partial_fit trains one epoch per call"):
        hl.MLPClassifier(**kw).partial_fit(src)
    memory = hl.BackupAndRestore(tmp_path / "mem", delete_checkpoint=False)
    _fit(hl.MLPClassifier(hidden_layer_sizes=(8,), max_iter=2, random_state=0, callbacks=[memory]), np.ones((20, 2)), np.arange(20) % 2)
    with pytest.raises(ValueError, match="is an in-memory fit's backup .* which a streamed fit cannot resume"):
        _fit(hl.MLPClassifier(**{**kw, "callbacks": [memory]}), src, None)
    monkeypatch.setenv("HIDDENLAYERS_CHECKPOINT", str(tmp_path / "other.ckpt"))
    with pytest.raises(ValueError, match="a fit keeps one checkpoint, so unset HIDDENLAYERS_CHECKPOINT or drop BackupAndRestore"):
        _fit(hl.MLPClassifier(**kw), src, None)


def test_an_in_memory_fit_under_torchrun_is_refused_naming_the_streamed_fit(digits, tmp_path, monkeypatch) -> None:
    from hiddenlayers import training

    monkeypatch.setattr(training, "distributed_world", lambda: (0, 2))
    model = hl.MLPClassifier(hidden_layer_sizes=(8,), max_iter=2, random_state=0, callbacks=[hl.BackupAndRestore(tmp_path / "bk")])
    with pytest.raises(ValueError, match="under torchrun, several processes train a streamed source: fit a ParquetSource, whose checkpoint"):
        _fit(model, *digits)


_KILLED_FIT = textwrap.dedent("""
    import sys, time
    import hiddenlayers as hl
    from sklearn.datasets import load_digits

    class Stall(hl.Callback):  # at epoch 5's start (epoch 4's backup written): say so, then wait to be killed
        def on_epoch_begin(self, *, epoch, **kwargs):
            if epoch == 5:
                open(sys.argv[2], "w").close()
                time.sleep(120)

    X, y = load_digits(return_X_y=True)
    hl.MLPClassifier(hidden_layer_sizes=(16,), max_iter=8, random_state=0,
                     callbacks=[hl.BackupAndRestore(sys.argv[1]), Stall()]).fit(X[:300] / 16, y[:300])
""")


def test_fit_killed_with_sigkill_resumes(digits, tmp_path) -> None:
    X, y = digits
    src = str(Path(hl.__file__).resolve().parents[1])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([src, os.environ.get("PYTHONPATH", "")])}
    marker, folder = tmp_path / "at-epoch-5", tmp_path / "bk"
    proc = subprocess.Popen([sys.executable, "-c", _KILLED_FIT, str(folder), str(marker)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 120
        while not marker.exists() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert marker.exists(), proc.stderr.read().decode() if proc.poll() is not None else "no epoch 5 within 120 s"
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    kw = {"hidden_layer_sizes": (16,), "max_iter": 8, "random_state": 0}
    model = _fit(hl.MLPClassifier(**kw, callbacks=[hl.BackupAndRestore(folder)]), X, y)
    _same(_fit(hl.MLPClassifier(**kw), X, y), model)
    assert not folder.exists()


MORE_EPOCHS = {
    "adam": {},
    "early stopping": {"early_stopping": True, "n_iter_no_change": 3},
    "sgd adaptive": {"solver": "sgd", "learning_rate": "adaptive", "n_iter_no_change": 2, "tol": 0.05},
    "invscaling": {"solver": "sgd", "learning_rate": "invscaling", "learning_rate_init": 0.05},
    "plateau": {"learning_rate": "plateau", "n_iter_no_change": 2, "tol": 0.05},
    "ema": {"weight_averaging": "ema", "ema_decay": 0.9},
    "swa from an epoch": {"weight_averaging": "swa", "swa_start": 2, "swa_lr": 0.01},
    # swa_start=0.75: epoch 5 of 6, 7 of 9; the backup of epoch 3 is the last that neither start reaches (the refusal's edge)
    "swa share not reached": {"weight_averaging": "swa", "swa_start": 0.75, "swa_lr": 0.01, "swa_anneal_epochs": 0, "broken_at": 4},
}


@pytest.mark.parametrize("case", list(MORE_EPOCHS))
def test_resumed_with_a_larger_max_iter_equals_the_unbroken_fit_of_it(digits, tmp_path, case) -> None:
    """Keras' rule: a fit broken at epoch 3 of 6 and fitted again with max_iter=9 trains on to 9, bit-equal to a fit of 9
    epochs never broken."""
    X, y = digits
    kw = {"hidden_layer_sizes": (16,), "random_state": 0, **MORE_EPOCHS[case]}
    broken_at = kw.pop("broken_at", 3)
    ref = _fit(hl.MLPClassifier(max_iter=9, **kw), X, y)
    backup = hl.BackupAndRestore(tmp_path / "bk")
    model = _fit(hl.MLPClassifier(max_iter=6, **kw, callbacks=[backup, BreakAt(broken_at)]), X, y)
    assert model.stop_reason_ == "interrupted" and backup.path.exists()
    _fit(model.set_params(max_iter=9, callbacks=[backup]), X, y)
    _same(ref, model)
    assert not backup.path.exists()


@pytest.mark.parametrize("max_iter", [4, 2])
def test_resumed_with_max_iter_at_or_below_the_backup_ends_at_once(digits, tmp_path, max_iter) -> None:
    """A backup of epoch 4 resumed with max_iter=4 or 2: no step, the fit ends as the one that reached epoch 4 ended (its
    weights, history_, n_iter_=4, 'max_epochs', scikit-learn's ConvergenceWarning), and the backup is deleted."""
    X, y = digits
    kw = {"hidden_layer_sizes": (16,), "random_state": 0, "early_stopping": True, "n_iter_no_change": 50}
    ref = _fit(hl.MLPClassifier(max_iter=4, **kw), X, y)
    backup = hl.BackupAndRestore(tmp_path / "bk")
    model = _fit(hl.MLPClassifier(max_iter=8, **kw, callbacks=[backup, BreakAt(5)]), X, y)
    assert model.stop_reason_ == "interrupted" and backup.path.exists()
    with pytest.warns(ConvergenceWarning, match=rf"Maximum iterations \({max_iter}\) reached"):
        model.set_params(max_iter=max_iter, callbacks=[backup]).fit(X, y)
    _same(ref, model)
    assert (model.n_iter_, model.stop_reason_, len(model.loss_curve_)) == (4, "max_epochs", 4)
    assert not backup.path.exists()


@pytest.mark.parametrize("kw, broken_at, message", [
    ({"learning_rate": "cosine"}, 3,
     "max_iter changed from 6 to 9, but learning_rate='cosine' anneals over max_iter, so the resumed fit would not equal a fit of 9 "
     "epochs: keep max_iter=6, or delete it"),
    ({"learning_rate": "cosine", "solver": "sgd"}, 5,
     "max_iter changed from 6 to 4, but learning_rate='cosine' anneals over max_iter, so the resumed fit would not equal a fit of 4 "
     "epochs: keep max_iter=6, or delete it"),
    ({"weight_averaging": "swa", "swa_start": 0.75}, 5,
     "max_iter changed from 6 to 9, but SWA's first averaged epoch (swa_start) follows it, epoch 5 there and 7 here, and the backup's "
     "4 epochs ran up to it, so the resumed fit would not equal a fit of 9 epochs: keep max_iter=6, or delete it"),
])
def test_another_max_iter_that_the_saved_epochs_depend_on_is_refused(digits, tmp_path, kw, broken_at, message) -> None:
    X, y = digits
    backup = hl.BackupAndRestore(tmp_path / "bk")
    model = _fit(hl.MLPClassifier(hidden_layer_sizes=(16,), max_iter=6, random_state=0, callbacks=[backup, BreakAt(broken_at)], **kw), X, y)
    before, coefs, curve = backup.path.read_bytes(), [c.copy() for c in model.coefs_], list(model.loss_curve_)
    new = 4 if "to 4" in message else 9
    with pytest.raises(ValueError) as info:
        _fit(model.set_params(max_iter=new, callbacks=[backup]), X, y)
    assert str(info.value) == f"backup '{backup.path}': {message} (or point BackupAndRestore at another folder) to train from the start."
    assert backup.path.read_bytes() == before and model.loss_curve_ == curve
    assert all(np.array_equal(a, b) for a, b in zip(coefs, model.coefs_))
    _fit(model.set_params(max_iter=6), X, y)  # the broken fit's max_iter: resumed
    assert model.n_iter_ == 6 and not backup.path.exists()
