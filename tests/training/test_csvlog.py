"""``CSVLogger``: the per-epoch log on disk equals ``history_.to_frame()``, grows epoch by epoch, keeps whole rows when a run is killed,
appends for warm fits and ``partial_fit`` loops, refuses another header, and logs streamed fits (rank 0 only)."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sklearn.datasets import load_iris

import hiddenlayers as hl
from hiddenlayers.training import CSVLogger
from hiddenlayers.training._csvlog import COLUMNS, _text


@pytest.fixture(scope="module")
def iris() -> tuple[np.ndarray, np.ndarray]:
    return load_iris(return_X_y=True)


def _clf(callbacks: list[hl.Callback], **kw: Any) -> hl.MLPClassifier:
    settings = {"hidden_layer_sizes": (8,), "max_iter": 6, "random_state": 0, "learning_rate_init": 0.01, "callbacks": callbacks}
    return hl.MLPClassifier(**{**settings, **kw})


def _fit(model: Any, *args: Any, **kw: Any) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # max_iter reached
        return model.fit(*args, **kw)


def _read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, index_col="epoch")


def _same(path: Path, history: hl.History) -> None:
    """The file read back equals the history's frame, number for number (NaN where NaN)."""
    pd.testing.assert_frame_equal(_read(path), history.to_frame(), check_exact=True)


def test_file_equals_history_frame(tmp_path, iris) -> None:
    path = tmp_path / "log.csv"
    model = _fit(_clf([CSVLogger(path)], early_stopping=True), *iris)
    assert path.read_text().splitlines()[0] == ",".join(COLUMNS)
    assert len(path.read_text().splitlines()) == 1 + len(model.history_)
    _same(path, model.history_)
    assert not _read(path)["val_loss"].isna().any()  # early stopping: the held-out loss is recorded


def test_lbfgs_iterations_are_rows(tmp_path, iris) -> None:
    path = tmp_path / "log.csv"
    model = _fit(_clf([CSVLogger(path)], solver="lbfgs", max_iter=4), *iris)
    assert len(model.history_) == 4
    _same(path, model.history_)


@given(st.floats(allow_nan=True, allow_infinity=True) | st.integers(-(2**53), 2**53))
def test_a_cell_reads_back_as_its_number(value: float) -> None:
    """Every float (NaN empty, infinities too) and whole number reads back exactly, as pandas parses a cell."""
    import io

    cell = _text(value)
    read = pd.read_csv(io.StringIO(f"x\n{cell}\n"), dtype={"x": float})["x"].iloc[0]
    assert (np.isnan(read) and np.isnan(float(value))) or read == float(value)


def test_nan_is_an_empty_cell(tmp_path, iris) -> None:
    path = tmp_path / "log.csv"
    model = _fit(_clf([CSVLogger(path)], max_iter=2), *iris)  # no held-out rows: val_loss and val_score NaN
    rows = path.read_text().splitlines()[1:]
    assert all(row.split(",")[2:4] == ["", ""] for row in rows)
    _same(path, model.history_)


class _Reader(hl.Callback):
    """After the logger: read the file at each epoch's end (what ``tail -f`` shows then)."""

    def __init__(self, path: Path) -> None:
        self.path, self.seen = path, []

    def on_epoch_end(self, **kw: Any) -> None:
        frame = _read(self.path)
        self.seen.append((kw["logs"]["epoch"], list(frame.index), frame["train_loss"].iloc[-1]))


def test_rows_appear_epoch_by_epoch(tmp_path, iris) -> None:
    path = tmp_path / "log.csv"
    reader = _Reader(path)
    model = _fit(_clf([CSVLogger(path), reader]), *iris)
    assert [(e, idx) for e, idx, _ in reader.seen] == [(e, list(range(1, e + 1))) for e in range(1, 7)]
    assert [loss for *_, loss in reader.seen] == model.history_.train_loss


class _Boom(hl.Callback):
    def __init__(self, at: int, error: type[BaseException]) -> None:
        self.at, self.error = at, error

    def on_epoch_end(self, **kw: Any) -> None:
        if kw["logs"]["epoch"] == self.at:
            raise self.error("killed")


@pytest.mark.parametrize("error", [RuntimeError, KeyboardInterrupt])
def test_killed_run_keeps_whole_rows(tmp_path, iris, error) -> None:
    path = tmp_path / "log.csv"
    model = _clf([CSVLogger(path), _Boom(3, error)])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            model.fit(*iris)
        except (RuntimeError, KeyboardInterrupt):
            pass
    text = path.read_text()
    assert text.endswith("\n")
    frame = _read(path)
    assert list(frame.index) == [1, 2, 3]  # every epoch that ended, each row whole
    assert frame.notna()[["train_loss", "lr", "time"]].all().all()


def test_replaces_an_existing_file_at_the_first_epoch(tmp_path, iris) -> None:
    path = tmp_path / "log.csv"
    path.write_text("old contents\n")

    class _Before(hl.Callback):
        def on_epoch_begin(self, **kw: Any) -> None:
            self.first = getattr(self, "first", path.read_text())

    before = _Before()
    model = _fit(_clf([before, CSVLogger(path)]), *iris)
    assert before.first == "old contents\n"  # untouched until the first epoch ends
    _same(path, model.history_)


def test_append_with_warm_fits_continues_the_numbering(tmp_path, iris) -> None:
    path = tmp_path / "log.csv"
    model = _fit(_clf([CSVLogger(path)], max_iter=3), *iris)
    model.set_params(warm_start=True, callbacks=[CSVLogger(path, append=True)])
    _fit(model, *iris)
    assert list(_read(path).index) == [1, 2, 3, 4, 5, 6]
    _same(path, model.history_)
    # without append a new logger replaces the file: this call's epochs only
    model.set_params(callbacks=[CSVLogger(path)])
    _fit(model, *iris)
    assert list(_read(path).index) == [7, 8, 9]


def test_one_logger_over_warm_fits_and_partial_fit(tmp_path, iris) -> None:
    path = tmp_path / "log.csv"
    logger = CSVLogger(path)
    model = _clf([logger], max_iter=2, warm_start=True)
    _fit(model, *iris)
    _fit(model, *iris)
    for _ in range(3):  # one row per partial_fit call
        model.partial_fit(*iris)
    assert list(_read(path).index) == list(range(1, 8))
    _same(path, model.history_)
    fresh = _clf([logger], max_iter=2)  # a history that starts over starts the file over
    _fit(fresh, *iris)
    _same(path, fresh.history_)


def test_append_to_a_missing_file_writes_the_header(tmp_path, iris) -> None:
    path = tmp_path / "log.csv"
    model = _fit(_clf([CSVLogger(path, append=True)], max_iter=2), *iris)
    _same(path, model.history_)


def test_append_drops_rows_the_run_writes_again(tmp_path, iris) -> None:
    path = tmp_path / "log.csv"
    path.write_text(",".join(COLUMNS) + "\n1,9.0,,,0.1,1.0\n2,8.0,,,0.1,2.0\n3,7.")  # epoch 3 cut short
    model = _fit(_clf([CSVLogger(path, append=True)], max_iter=2), *iris)  # a fresh run writes epochs 1 and 2 again
    _same(path, model.history_)
    path.write_text(",".join(COLUMNS) + "\n1,9.0,,,0.1,1.0\n")
    model = _fit(_clf([CSVLogger(path, append=True)], max_iter=1), *iris)
    _same(path, model.history_)  # epoch 1 again replaces the old epoch 1


def test_append_refuses_another_header(tmp_path, iris) -> None:
    path = tmp_path / "log.csv"
    path.write_text("step,loss\n1,0.5\n")
    model = _clf([CSVLogger(path, append=True)])
    with pytest.raises(ValueError, match=r"header 'step,loss'.*writes 'epoch,train_loss,val_loss,val_score,lr,time'"):
        _fit(model, *iris)
    assert path.read_text() == "step,loss\n1,0.5\n"  # refused before the first step: the file untouched
    assert not hasattr(model, "history_")


def test_extra_log_numbers_become_columns(tmp_path, iris) -> None:
    class _Adds(hl.Callback):
        def on_epoch_end(self, **kw: Any) -> None:
            kw["logs"].update(grad_norm=np.float32(0.25) * kw["logs"]["epoch"], note="text", flag=True, missing=float("nan"))

    path = tmp_path / "log.csv"
    model = _fit(_clf([_Adds(), CSVLogger(path)], max_iter=3), *iris)
    frame = _read(path)
    assert list(frame.columns) == [*COLUMNS[1:], "grad_norm"]  # finite numbers only: no text, bool or NaN column
    assert frame["grad_norm"].tolist() == [0.25, 0.5, 0.75]
    pd.testing.assert_frame_equal(frame[list(COLUMNS[1:])], model.history_.to_frame(), check_exact=True)


def test_tab_separator(tmp_path, iris) -> None:
    path = tmp_path / "log.tsv"
    model = _fit(_clf([CSVLogger(path, separator="\t")], max_iter=2), *iris)
    pd.testing.assert_frame_equal(pd.read_csv(path, sep="\t", index_col="epoch"), model.history_.to_frame())


def test_diverged_epoch_is_written_at_the_end(tmp_path, iris) -> None:
    path = tmp_path / "log.csv"
    X, y = iris
    # rate 1e-3 diverges at epoch 4 with epoch 2's weights to fall back on; at rate 10, epoch 1's one step (one batch of
    # 150 rows) already exploded, and a fit with no usable epoch raises
    model = hl.MLPRegressor(hidden_layer_sizes=(8,), solver="sgd", learning_rate_init=1e-3, max_iter=20, random_state=0, callbacks=[CSVLogger(path)])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(X, y * 1e3)
    assert model.stop_reason_ == "diverged"
    _same(path, model.history_)


def test_only_rank_zero_writes(tmp_path, iris, monkeypatch) -> None:
    from hiddenlayers.training import _distributed

    monkeypatch.setattr(_distributed, "is_writer", lambda: False)
    path = tmp_path / "log.csv"
    _fit(_clf([CSVLogger(path)], max_iter=2), *iris)
    assert not path.exists()


def test_streamed_fit(tmp_path) -> None:
    from hiddenlayers.data import ParquetSource

    rng = np.random.default_rng(0)
    df = pd.DataFrame(rng.normal(size=(400, 3)), columns=list("abc"))
    df["y"] = (df["a"] + 0.5 * df["b"] > 0).astype(int)
    (tmp_path / "data").mkdir()
    df.to_parquet(tmp_path / "data" / "t.parquet", row_group_size=50)
    path = tmp_path / "log.csv"
    reader = _Reader(path)
    model = _fit(_clf([CSVLogger(path), reader], max_iter=3, early_stopping=True), ParquetSource(str(tmp_path / "data"), target="y"))
    assert [e for e, *_ in reader.seen] == [1, 2, 3]
    assert [idx for _, idx, _ in reader.seen] == [[1], [1, 2], [1, 2, 3]]
    _same(path, model.history_)
    model.set_params(callbacks=[CSVLogger(path, append=True)])
    model.partial_fit(ParquetSource(str(tmp_path / "data"), target="y"))  # one pass: one more row
    assert list(_read(path).index) == [1, 2, 3, 4]
    _same(path, model.history_)


def test_bad_arguments(tmp_path) -> None:
    with pytest.raises(TypeError, match="file path"):
        CSVLogger(None)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="separator must be one character"):
        CSVLogger(tmp_path / "a.csv", separator=",,")


@given(st.text(min_size=1, max_size=1))
def test_separator_is_one_character_outside_numbers(sep: str) -> None:
    try:
        logger = CSVLogger("log.csv", separator=sep)
    except ValueError:
        assert sep in "0123456789.+-eEinfaINFA\"'\r\n"
    else:
        assert float(sep.join(["1.5e-07", "2.0"]).split(logger.separator)[0]) == 1.5e-07


def test_folder_path_refused(tmp_path, iris) -> None:
    with pytest.raises(ValueError, match="is a folder"):
        _fit(_clf([CSVLogger(tmp_path)]), *iris)
    with pytest.raises(ValueError, match="does not exist"):
        _fit(_clf([CSVLogger(tmp_path / "nope" / "log.csv")]), *iris)


def test_a_run_resumed_from_a_checkpoint_replaces_the_epoch_it_trains_again(tmp_path, monkeypatch) -> None:
    """The log's row of epoch 3 was written, then the run died before epoch 3's checkpoint: the resumed run (append=True, as
    `train --max-restarts` gives it) trains epoch 3 again, and the file holds each epoch once, equal to the resumed history."""
    from hiddenlayers.data import ParquetSource

    rng = np.random.default_rng(1)
    df = pd.DataFrame(rng.normal(size=(300, 3)), columns=list("abc"))
    df["y"] = (df["a"] > 0).astype(int)
    (tmp_path / "data").mkdir()
    df.to_parquet(tmp_path / "data" / "t.parquet", row_group_size=50)
    monkeypatch.setenv("HIDDENLAYERS_CHECKPOINT", str(tmp_path / "run.ckpt"))
    path = tmp_path / "log.csv"

    class _DiesBeforeCheckpoint(hl.Callback):  # after the logger's row of epoch 3, before that epoch's checkpoint
        def on_epoch_end(self, **kw: Any) -> None:
            if kw["logs"]["epoch"] == 3:
                raise RuntimeError("worker died")

    with pytest.raises(RuntimeError, match="worker died"):
        _fit(_clf([CSVLogger(path), _DiesBeforeCheckpoint()], max_iter=5), ParquetSource(str(tmp_path / "data"), target="y"))
    assert list(_read(path).index) == [1, 2, 3]
    resumed = _fit(_clf([CSVLogger(path, append=True)], max_iter=5), ParquetSource(str(tmp_path / "data"), target="y"))
    assert len(resumed.history_) == 5
    _same(path, resumed.history_)
