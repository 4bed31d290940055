"""fit(source, X_val=other_source) and fit(source, X_val=, y_val=): a streamed fit's early stopping on the user's own rows
(estimators/_stream_validation): the score is the given rows' through the training source's preprocessing, every
training unit trains, and each refusal is one line that leaves the model as it was."""

from __future__ import annotations

import copy
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import accuracy_score, log_loss, r2_score

import hiddenlayers as hl
from hiddenlayers.data import ParquetSource


def _quiet(fn: Any, *args: Any, **kwargs: Any) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return fn(*args, **kwargs)


def _frame(n: int, seed: int, shift: float = 0.0) -> pd.DataFrame:
    """Three numbers and a category; a label and a number to predict, and a weight column."""
    rng = np.random.default_rng(seed)
    df = pd.DataFrame(rng.normal(loc=shift, size=(n, 3)), columns=list("abc"))
    df["kind"] = rng.choice(["u", "v"], size=n)
    df["y"] = (df["a"] - df["b"] + (df["kind"] == "u") + 0.5 * rng.normal(size=n) > 0.5).astype(int)
    df["t"] = 2 * df["a"] - df["c"] + (df["kind"] == "u") + 0.3 * rng.normal(size=n)
    df["w"] = rng.uniform(0.2, 3.0, size=n)
    return df


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, pd.DataFrame, pd.DataFrame]:
    """``train/`` (600 rows, 6 row groups) and ``valid/`` (150 rows of shifted features, 2 files)."""
    root = tmp_path_factory.mktemp("streamval")
    train, valid = root / "train", root / "valid"
    train.mkdir()
    valid.mkdir()
    tr, va = _frame(600, 0), _frame(150, 1, shift=0.4)
    tr.to_parquet(train / "t.parquet", row_group_size=100, index=False)
    va.iloc[:70].to_parquet(valid / "v1.parquet", index=False)
    va.iloc[70:].to_parquet(valid / "v2.parquet", index=False)
    return train, valid, tr, va


class _ByHand(hl.Callback):
    """The score of the network as each pass left it, from its raw outputs on already preprocessed rows."""

    def __init__(self, A: np.ndarray, score: Any) -> None:
        self.A, self.score, self.scores = torch.as_tensor(A, dtype=torch.float32), score, []

    def on_epoch_end(self, *, network: Any, **kwargs: Any) -> None:
        with torch.no_grad():
            self.scores.append(self.score(network(self.A).numpy()))


def _matrix(src: ParquetSource, frame: pd.DataFrame) -> np.ndarray:
    return src.scan().preprocessor.transform(frame[list(src.features or [])]).matrix  # the training source's preprocessing


def test_a_validation_source_scores_its_weighted_rows_and_every_training_unit_trains(folders) -> None:
    train, valid, _, va = folders
    src = ParquetSource(str(train), target="y", weight="w", features=["a", "b", "c", "kind"])
    val = ParquetSource(str(valid), target="y", weight="w", features=["a", "b", "c", "kind"])
    by_hand = _ByHand(_matrix(src, va), lambda z: accuracy_score(va["y"], (z.ravel() > 0).astype(int), sample_weight=va["w"]))  # one logit
    loss_by_hand = _ByHand(_matrix(src, va), lambda z: log_loss(va["y"], 1 / (1 + np.exp(-z.ravel().astype(np.float64))), sample_weight=va["w"]))
    clf = hl.MLPClassifier((8,), early_stopping=True, max_iter=12, n_iter_no_change=100, learning_rate_init=0.01, batch_size=50,
                           random_state=0, callbacks=[by_hand, loss_by_hand])
    _quiet(clf.fit, src, X_val=val)
    assert list(clf.history_.val_loss) == pytest.approx(loss_by_hand.scores, rel=1e-5)  # the held-out loss of the given rows
    assert clf.n_iter_ == len(by_hand.scores) == 12
    assert clf.validation_scores_ == pytest.approx(by_hand.scores, abs=1e-9)
    assert list(clf.history_.val_score) == clf.validation_scores_
    assert clf.best_validation_score_ == pytest.approx(max(by_hand.scores), abs=1e-9)
    assert len(set(clf.validation_scores_)) > 3  # a weighted accuracy of 150 rows that moved
    assert clf.t_ == 12 * 600  # no training row group held out (validation_fraction unused)


def test_arrays_score_a_regression_in_the_sources_preprocessing(folders) -> None:
    train, _, _, va = folders
    src = ParquetSource(str(train), target="t", features=["a", "b", "c", "kind"])
    wv = np.random.default_rng(2).uniform(0.5, 2.0, len(va))
    by_hand = _ByHand(_matrix(src, va), lambda z: r2_score(va["t"], z.ravel(), sample_weight=wv))
    reg = hl.MLPRegressor(hidden_layer_sizes=(8,), early_stopping=True, max_iter=10, n_iter_no_change=100, learning_rate_init=0.01, batch_size=50,
                          random_state=0, scale_target=False, validation_fraction=0.5, callbacks=[by_hand])
    _quiet(reg.fit, src, X_val=va[["kind", "c", "b", "a"]], y_val=va["t"].to_numpy(), sample_weight_val=wv)  # by name, any order
    assert reg.validation_scores_ == pytest.approx(by_hand.scores, abs=1e-6)  # float32 outputs summed in another order
    assert reg.t_ == 10 * 600
    numeric = ParquetSource(str(train), target="t", features=["a", "b", "c"])
    by_pos = hl.MLPRegressor(hidden_layer_sizes=(4,), early_stopping=True, max_iter=2, random_state=0, scale_target=False)
    _quiet(by_pos.fit, numeric, X_val=va[["a", "b", "c"]].to_numpy(), y_val=va["t"])  # a 2-D array: the source's feature order
    assert len(by_pos.validation_scores_) == 2


def test_one_row_group_trains_with_its_own_validation_source(tmp_path: Path, folders) -> None:
    _, valid, tr, _ = folders
    (tmp_path / "one").mkdir()
    tr.to_parquet(tmp_path / "one" / "t.parquet", index=False)  # one row group: nothing could be held out
    src = ParquetSource(str(tmp_path / "one"), target="y", weight="w")
    clf = _quiet(hl.MLPClassifier((4,), early_stopping=True, max_iter=3, random_state=0).fit, src,
                 X_val=ParquetSource(str(valid), target="y", weight="w"))
    assert clf.t_ == 3 * 600 and len(clf.validation_scores_) == 3
    with pytest.raises(ValueError, match="has only 1"):  # without it, early stopping holds out row groups
        hl.MLPClassifier((4,), early_stopping=True, max_iter=3).fit(src)


def _write(folder: Path, frame: pd.DataFrame) -> str:
    folder.mkdir(exist_ok=True)
    frame.drop(columns="t").to_parquet(folder / "v.parquet", index=False)  # the refusals' training source reads a, b, c, kind
    return str(folder)


@pytest.fixture(scope="module")
def warm_fitted(folders) -> hl.MLPClassifier:
    """A warm-start classifier fitted on ``train/`` (2 passes); tests take a deep copy, never this object itself."""
    src = ParquetSource(str(folders[0]), target="y", weight="w", features=["a", "b", "c", "kind"])
    return _quiet(hl.MLPClassifier((4,), early_stopping=True, max_iter=2, random_state=0, warm_start=True).fit, src)


@pytest.mark.parametrize(("case", "words"), [
    ("no_early_stopping", "X_val, a source of validation rows, is passed to fit while early_stopping=False: its rows are what early "
                          "stopping scores. Set early_stopping=True, or drop X_val."),  # it named a y_val not given
    # y or weights beside a source were ignored: fit(train_src, valid_src) trained with no validation rows, without a word
    ("y_beside_source", "fit(source) reads y from the source's target column 'y', so y given beside it would be ignored: drop y "
                        "(validation rows go in X_val=: fit(source, X_val=other_source))."),
    ("labels_beside_source", "so y given beside it would be ignored: drop y."),
    ("weights_beside_source", "fit(source) reads the rows' weights from the source's weight column (ParquetSource(..., weight='w')), so "
                              "sample_weight given beside it would be ignored"),
    ("y_val_with_source", "y_val is given with a source X_val"),
    ("weights_with_source", "sample_weight_val is given with a source X_val"),
    ("y_val_alone", "y_val is provided, but X_val was not provided"),
    ("other_columns", "has other feature columns than the training source (TRAIN): it lacks 'c'; has besides 'd'"),
    ("other_target", "has the target column 'k' and the training source 'y'"),
    ("no_weight", "has the weight column None and the training source 'w'"),
    ("unseen_label", "holds labels in 'y' that the training source does not (7)"),
    ("empty", "X_val: VALID has no rows to score"),
    ("one_row", "has 1 row(s): early stopping scores at least 2"),
    ("missing_target", "X_val: the target column 'y' has missing values"),
    ("frame_lacks", "X_val lacks column(s) 'kind' that the training source has"),
    ("array_shape", "X_val has shape (150, 3), and a streamed fit reads the 4 feature columns"),
    ("array_labels", "y_val holds labels that y does not (7)"),
    ("array_weights", "sample_weight_val is 0 for every row of X_val"),
    # the training source as its own validation set (or a file of it) was scored without a word: leakage, refused by train DIR
    ("training_source", "X_val (TRAIN) shares 'TRAIN/t.parquet' with the training source (TRAIN), so early stopping would score "
                        "rows the model trains on (leakage): keep the validation files apart from the training files."),
    ("training_file", "X_val (TRAIN/t.parquet) shares 'TRAIN/t.parquet' with the training source (TRAIN), so early stopping"),
])
def test_refusals_in_one_line_and_the_model_unchanged(folders, warm_fitted, tmp_path: Path, case: str, words: str) -> None:
    train, valid, _, va = folders
    src = ParquetSource(str(train), target="y", weight="w", features=["a", "b", "c", "kind"])
    clf = copy.deepcopy(warm_fitted)  # each case refuses on its own copy of the one fitted model
    before = [c.copy() for c in clf.coefs_], clf.n_iter_, list(clf.validation_scores_)
    val = ParquetSource(str(valid), target="y", weight="w", features=["a", "b", "c", "kind"])
    y7 = va["y"].to_numpy().copy()
    y7[3] = 7
    kwargs: dict[str, Any] = {
        "no_early_stopping": {"X_val": val}, "y_val_with_source": {"X_val": val, "y_val": va["y"]},
        "y_beside_source": {"y": val}, "labels_beside_source": {"y": va["y"]}, "weights_beside_source": {"sample_weight": va["w"]},
        "weights_with_source": {"X_val": val, "sample_weight_val": va["w"]}, "y_val_alone": {"y_val": va["y"]},
        "other_columns": {"X_val": ParquetSource(_write(tmp_path / "cols", va.rename(columns={"c": "d"})), target="y", weight="w")},
        "other_target": {"X_val": ParquetSource(_write(tmp_path / "tg", va.rename(columns={"y": "k"})), target="k", weight="w")},
        "no_weight": {"X_val": ParquetSource(str(valid), target="y", features=["a", "b", "c", "kind"])},
        "unseen_label": {"X_val": ParquetSource(_write(tmp_path / "seven", va.assign(y=y7)), target="y", weight="w")},
        "empty": {"X_val": ParquetSource(_write(tmp_path / "empty", va.iloc[:0]), target="y", weight="w")},
        "one_row": {"X_val": ParquetSource(_write(tmp_path / "one", va.iloc[:1]), target="y", weight="w")},
        "missing_target": {"X_val": ParquetSource(_write(tmp_path / "na", va.assign(y=va["y"].where(va.index != 5))), target="y", weight="w")},
        "frame_lacks": {"X_val": va[["a", "b", "c"]], "y_val": va["y"]},
        "array_shape": {"X_val": va[["a", "b", "c"]].to_numpy(), "y_val": va["y"]},
        "array_labels": {"X_val": va[["a", "b", "c", "kind"]], "y_val": y7},
        "array_weights": {"X_val": va[["a", "b", "c", "kind"]], "y_val": va["y"], "sample_weight_val": np.zeros(len(va))},
        "training_source": {"X_val": src},
        "training_file": {"X_val": ParquetSource(str(train / "t.parquet"), target="y", weight="w", features=["a", "b", "c", "kind"])},
    }[case]
    if case == "no_early_stopping":
        clf.set_params(early_stopping=False)
    with pytest.raises(ValueError) as err:
        clf.fit(src, **kwargs)
    message = str(err.value).replace(str(train.resolve()), "TRAIN").replace(str(train), "TRAIN").replace(str(tmp_path / "empty"), "VALID")
    assert words in message and "\n" not in message
    assert all(np.array_equal(a, b) for a, b in zip(before[0], clf.coefs_))
    assert (clf.n_iter_, list(clf.validation_scores_)) == before[1:]  # the model as it was


def test_a_source_as_x_val_of_a_fit_on_arrays_is_refused(folders) -> None:
    train, valid, tr, _ = folders
    clf = hl.MLPClassifier((4,), early_stopping=True, max_iter=2)
    with pytest.raises(ValueError, match=r"^X_val is a streamed source \(ParquetSource\), which only a streamed fit"):
        clf.fit(tr[["a", "b", "c"]], tr["y"], X_val=ParquetSource(str(valid), target="y"))
    assert not hasattr(clf, "network_")


def test_digits_in_two_parquet_folders_learn_on_their_validation_folder(tmp_path: Path) -> None:
    """Learning test: digits' first 1400 images train (7 row groups), the last 397 (another folder) score early stopping."""
    X, y = load_digits(return_X_y=True)
    df = pd.DataFrame(X, columns=[f"p{i}" for i in range(64)]).assign(y=y)
    (tmp_path / "train").mkdir()
    (tmp_path / "valid").mkdir()
    df.iloc[:1400].to_parquet(tmp_path / "train" / "t.parquet", row_group_size=200, index=False)
    df.iloc[1400:].to_parquet(tmp_path / "valid" / "v.parquet", index=False)
    src, val = ParquetSource(str(tmp_path / "train"), target="y"), ParquetSource(str(tmp_path / "valid"), target="y")
    # 12 passes of 28 batches of 50: the kept held-out accuracy is 0.912 to 0.932 over random_state 0-3 (60 passes of 7 batches
    # of 200, stopped after 27 to 43: 0.917 to 0.930)
    clf = _quiet(hl.MLPClassifier((64,), early_stopping=True, max_iter=12, n_iter_no_change=5, learning_rate_init=0.005, batch_size=50,
                                  random_state=0).fit, src, X_val=val)
    assert clf.t_ == clf.n_iter_ * 1400
    A = _matrix(src, df.iloc[1400:])
    kept = accuracy_score(y[1400:], clf.predict(A))
    assert kept == pytest.approx(clf.best_validation_score_, abs=1e-12)  # the kept weights are the best pass's
    assert kept >= 0.9


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_text_in_a_column_numeric_in_training_is_named_by_file_and_row_before_training(folders, tmp_path: Path, fmt: str) -> None:
    # The validation pass types 'a' as a category on its own rows; the training rows' preprocessing reads it as numbers.
    train, _, _, va = folders
    src = ParquetSource(str(train), target="y", weight="w", features=["a", "b", "c", "kind"])
    bad = va.drop(columns="t").assign(a=np.where(np.arange(len(va)) % 2, "high", "low"))
    (tmp_path / "txt").mkdir()
    path = tmp_path / "txt" / f"v.{fmt}"
    bad.to_parquet(path, index=False) if fmt == "parquet" else bad.to_csv(path, index=False)
    clf = hl.MLPClassifier((4,), early_stopping=True, max_iter=2, random_state=0)
    where = f"'{path}' row 1" if fmt == "parquet" else f"'{path}' line 2"  # a CSV file's line: the header is line 1
    with pytest.raises(hl.DataError) as err:
        clf.fit(src, X_val=ParquetSource(str(tmp_path / "txt"), target="y", weight="w"))
    assert str(err.value) == f"X_val: data check: column 'a' must be numeric but {where} holds 'low': fix the value or leave it empty."
    assert not hasattr(clf, "network_")  # refused before the first pass, not when the first pass's score reads the rows


def test_partial_fit_of_a_source_refuses_y_beside_it_and_stays_unfitted(folders) -> None:
    """``partial_fit(source, y)`` dropped y without a word (the classifier's source path passed None on)."""
    src = ParquetSource(str(folders[0]), target="y", weight="w", features=["a", "b", "c", "kind"])
    for est in (hl.MLPClassifier((4,)), hl.MLPRegressor((4,))):
        with pytest.raises(ValueError, match=r"^partial_fit\(source\) reads y from the source's target column 'y'"):
            est.partial_fit(src, folders[2]["y"])
        assert not hasattr(est, "network_")


class _CountReads:
    """``ParquetSource.read_unit`` counting each ``(folder name, unit)`` read (every read of a file goes through it)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.reads: dict[tuple[str, int], int] = {}
        real = ParquetSource.read_unit

        def counted(src: ParquetSource, i: int) -> Any:
            key = (Path(src.path).name, i)
            self.reads[key] = self.reads.get(key, 0) + 1
            return real(src, i)

        monkeypatch.setattr(ParquetSource, "read_unit", counted)

    def of(self, folder: str) -> list[int]:
        return [n for (f, _), n in sorted(self.reads.items()) if f == folder]


def test_a_validation_source_is_read_once_before_training_and_once_a_pass(folders, monkeypatch: pytest.MonkeyPatch) -> None:
    """Before: its statistics pass read every validation row, then refuse_unreadable read them all again through the
    training preprocessing (and train DIR --validation's own check a third time): now both ride on one read. Each epoch's score
    read the rows again; a small validation source is now kept after its first (``data.UnitCache``)."""
    train, valid, _, _ = folders
    count = _CountReads(monkeypatch)
    src, val = ParquetSource(str(train), target="y"), ParquetSource(str(valid), target="y")
    model = _quiet(hl.MLPClassifier((4,), max_iter=3, early_stopping=True, n_iter_no_change=100, random_state=0).fit, src, X_val=val)
    assert model.n_iter_ == 3
    assert count.of("valid") == [1 + 1] * len(val.units)  # the pass (with the readability check), then the first epoch's score (kept: data.UnitCache)
    from hiddenlayers.estimators import stream_validation

    stream_validation(model, src, src.scan(), val, None, None)  # checked again against the same preprocessing: no read
    assert count.of("valid") == [1 + 1] * len(val.units)


def test_held_out_units_are_scored_once_a_pass_over_all_ranks(folders, monkeypatch: pytest.MonkeyPatch) -> None:
    """Before: under torch.distributed every rank read and scored every held-out unit each pass (``world`` reads of each);
    now each rank reads its share and the ranks all-reduce the sums, which add up to one process's sums."""
    from hiddenlayers import training
    from hiddenlayers.estimators import _fit_stream
    from hiddenlayers.training import History

    train, _, _, _ = folders
    src = ParquetSource(str(train), target="y")
    model = _quiet(hl.MLPClassifier((4,), max_iter=1, random_state=0).fit, src)
    scan = src.scan()
    val_units = [0, 2, 5]
    sums: list[list[float]] = []
    monkeypatch.setattr(training, "reduce_sum", lambda values: sums.append(list(values)) or [float(v) for v in values])
    count = _CountReads(monkeypatch)
    for rank, world in [(0, 1), (0, 2), (1, 2)]:
        s = _fit_stream._Stream(src, scan, {}, val_units, [[1, 3, 4]], 32, 96, rank, world)
        _fit_stream._record_pass(model, s, History(), 1, 1.0, 1.0, 1e-3)
    assert count.of("train") == [2, 2, 2]  # units 0, 2, 5: one process's read, then each by one of the two ranks (was 3)
    one, (r0, r1) = sums[1], sums[3::2]  # each _record_pass all-reduces the training loss, then the held-out sums
    np.testing.assert_allclose(np.add(r0, r1), one, rtol=1e-12)
