"""The estimators' PyTorch forward (``transform``, predict off the NumPy path) hands ``network_`` back with every submodule's mode."""

from __future__ import annotations

import warnings

import pytest
import torch
from sklearn.datasets import load_iris

import hiddenlayers as hl
from hiddenlayers.estimators._predict import torch_forward


@pytest.fixture(scope="module")
def data():
    return load_iris(return_X_y=True)


def _fitted(X, y) -> hl.MLPClassifier:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return hl.MLPClassifier((8, 6), max_iter=3, random_state=0).fit(X, y)


def _modes(net: torch.nn.Module) -> dict[str, bool]:
    return {name: m.training for name, m in net.named_modules()}


def test_transform_keeps_every_submodule_mode(data) -> None:
    X, y = data
    clf = _fitted(X, y)
    clf.network_.train()
    clf.network_.hidden1.eval()  # a training network with a frozen first layer
    before = _modes(clf.network_)
    assert clf.transform(X, layer=1).shape == (len(X), 8)
    assert _modes(clf.network_) == before


def test_torch_forward_keeps_modes_when_the_forward_raises(data) -> None:
    X, y = data
    clf = _fitted(X, y)
    clf.network_.hidden2.train()  # an eval network with one layer left training
    before = _modes(clf.network_)

    def fail(module: torch.nn.Module, args: object) -> None:
        raise RuntimeError("forward failed")

    handle = clf.network_.head.register_forward_pre_hook(fail)
    with pytest.raises(RuntimeError, match="forward failed"):
        torch_forward(clf, X.astype("float32"))
    handle.remove()
    assert _modes(clf.network_) == before


def test_a_model_with_stored_table_preprocessing_predicts_a_raw_frame(tmp_path) -> None:
    """A model of `hiddenlayers train` (or fit(ParquetSource)) stores its TablePreprocessor; hl.load(path).predict(frame)
    of the frame training read said "X has non-numeric values ... encode text or category columns as numbers first,
    e.g. with sklearn's OneHotEncoder" (the model encodes them itself). Now every predict method reads the raw frame
    through the stored preprocessing, as `hiddenlayers predict` does."""
    import numpy as np
    import pandas as pd

    from hiddenlayers.data import TablePreprocessor

    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"age": rng.normal(40, 10, 120), "city": rng.choice(["Paris", "Rome, IT"], 120)})
    frame.loc[::7, "age"] = np.nan
    y = np.where((frame["city"] == "Paris") ^ (frame["age"].fillna(40) > 40), "yes", "no")
    pre = TablePreprocessor().fit(frame)
    A = pre.transform(frame).matrix
    for est, target in ((hl.MLPClassifier(hidden_layer_sizes=(8,), max_iter=30, random_state=0), y),
                        (hl.MLPRegressor(hidden_layer_sizes=(8,), max_iter=30, random_state=0), frame["age"].fillna(0).to_numpy())):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            est.fit(A, target)
        est.preprocessing_ = pre.to_dict()  # as the CLI stores it
        path = tmp_path / f"{type(est).__name__}.safetensors"
        est.save(path)
        loaded = hl.load(path)
        new = frame.iloc[:9].assign(extra="ignored")[["extra", "city", "age"]]  # columns in any order, extras ignored
        with warnings.catch_warnings(record=True) as seen:
            warnings.simplefilter("always")  # no "X has feature names, but ... fitted without feature names"
            assert (loaded.predict(new) == est.predict(A[:9])).all()
            assert np.allclose(loaded.transform(new), est.transform(A[:9]))
        assert [(w.category, str(w.message)) for w in seen] == [(hl.TableNoteWarning, "ignored 1 column(s) the model does not use: extra")] * 2
        assert loaded.score(frame, target) == est.score(A, target)
        if hasattr(est, "predict_proba"):
            assert np.allclose(loaded.predict_proba(new), est.predict_proba(A[:9]))
        assert (loaded.predict(A[:9]) == est.predict(A[:9])).all()  # the matrix it reads still works
        with pytest.raises(hl.DataError, match=r"^the data lacks column\(s\) 'city'"):
            loaded.predict(frame[["age"]])
        with pytest.raises(hl.DataError, match=r"^column 'age' must be within ±3.4e38 .* but row 2 holds 1e\+300"):
            loaded.predict(frame.iloc[:3].assign(age=[1.0, 1e300, 2.0]))


def test_a_table_model_given_raw_rows_as_an_array_asks_for_a_frame(tmp_path) -> None:
    """`hl.load(path).predict(frame.values)` (a scikit-learn habit) of a model that stores its table preprocessing said
    "X has non-numeric values ... encode text or category columns as numbers first, e.g. with sklearn's OneHotEncoder",
    though the model encodes them itself from a DataFrame; the encoded matrix itself still predicts."""
    import numpy as np
    import pandas as pd

    from hiddenlayers.data import TablePreprocessor

    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"age": rng.normal(40, 10, 60), "city": rng.choice(["Paris", "Rome"], 60)})
    pre = TablePreprocessor().fit(frame)
    A = pre.transform(frame).matrix
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est = hl.MLPClassifier(hidden_layer_sizes=(4,), max_iter=5, random_state=0).fit(A, frame["city"] == "Paris")
    est.preprocessing_ = pre.to_dict()
    message = (r"^this model reads a table through the preprocessing stored with it: pass a pandas DataFrame of its 2 column\(s\) "
               r"'age', 'city' \(e.g. pd.read_csv\(...\)\), not an array of 2 column\(s\); its encoded matrix has 3 columns\.$")
    for rows, width in ((frame.to_numpy(), 2), (frame.to_numpy().tolist(), 2), (frame[["age"]].to_numpy(), 1)):
        with pytest.raises(hl.DataError, match=message.replace("array of 2", f"array of {width}")):
            est.predict(rows)
    assert (est.predict(A) == est.predict(frame)).all()
