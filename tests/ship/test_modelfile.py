"""Model files: exact round trips, one clear error per kind of bad file, atomic writes, no pickle."""

from __future__ import annotations

import json
import os
import pickle
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from safetensors import safe_open
from safetensors.torch import load_file
from safetensors.torch import save as st_save

import hiddenlayers as hl
from fit_helpers import quiet_fit as _fit
from hiddenlayers._files import atomic_write_bytes
from hiddenlayers.ship import FORMAT_VERSION, read_metadata
from metadata_edits import check_every_edit


@pytest.fixture
def saved(iris: tuple[np.ndarray, np.ndarray], tmp_path: Path) -> Path:
    X, y = iris
    path = tmp_path / "model.safetensors"
    _fit(hl.MLPClassifier("8:tanh,4", max_iter=3, random_state=0), X, y).save(path)
    return path


def _rewrite(path: Path, out: Path, edit: Any) -> None:
    """Copy a model file with its JSON metadata changed by ``edit(meta) -> meta``."""
    with safe_open(str(path), framework="pt") as fh:
        raw = fh.metadata()["hiddenlayers"]
    text = edit(json.loads(raw))
    out.write_bytes(st_save(load_file(str(path)), metadata={"hiddenlayers": text if isinstance(text, str) else json.dumps(text)}))


# ------------------------------------------------------------------ round trips
@pytest.mark.parametrize("labels", ["int", "str", "bool", "multilabel"])
def test_classifier_round_trip(iris: tuple[np.ndarray, np.ndarray], tmp_path: Path, labels: str) -> None:
    X, y = iris
    target: Any = {
        "int": y,
        "str": np.array(["setosa", "versicolor", "virginica"])[y],
        "bool": y == 1,
        "multilabel": np.stack([y == 0, y == 1, y > 0], axis=1).astype(int),
    }[labels]
    clf = _fit(hl.MLPClassifier((6,), max_iter=5, early_stopping=labels == "int", random_state=0), X, target)
    path = tmp_path / "c.safetensors"
    clf.save(path)
    again = hl.load(path)
    assert type(again) is hl.MLPClassifier
    np.testing.assert_array_equal(again.predict(X), clf.predict(X))
    np.testing.assert_array_equal(again.predict_proba(X), clf.predict_proba(X))
    np.testing.assert_array_equal(again.classes_, clf.classes_)
    assert again.classes_.dtype == clf.classes_.dtype
    assert again.get_params() == {**clf.get_params(), "callbacks": None}
    for name in ("n_iter_", "t_", "loss_", "best_loss_", "loss_curve_", "validation_scores_", "best_validation_score_", "n_layers_", "n_outputs_", "out_activation_", "stop_reason_", "n_features_in_"):
        assert getattr(again, name) == getattr(clf, name), name
    assert json.dumps(again.history_.to_dict()) == json.dumps(clf.history_.to_dict())  # NaN-aware equality
    assert all(isinstance(v, float) for v in again.history_.val_loss)
    np.testing.assert_array_equal(again.transform(X, layer=1), clf.transform(X, layer=1))


def test_regressor_round_trip_with_feature_names(tmp_path: Path) -> None:
    import pandas as pd

    rng = np.random.default_rng(0)
    df = pd.DataFrame(rng.normal(size=(60, 3)), columns=["a", "b", "c"])
    Y = np.stack([df.a - df.b, df.c], axis=1)
    reg = _fit(hl.MLPRegressor(hidden_layer_sizes="5:gelu:layernorm", max_iter=5, dtype="float64", random_state=0), df, Y)
    reg.preprocessing_ = {"scale": [1.0, 2.0, 3.0]}
    reg.save(tmp_path / "r.safetensors")
    again = hl.load(tmp_path / "r.safetensors")
    np.testing.assert_array_equal(again.predict(df), reg.predict(df))
    np.testing.assert_array_equal(again.feature_names_in_, reg.feature_names_in_)
    assert again.preprocessing_ == {"scale": [1.0, 2.0, 3.0]}
    assert again.coefs_[0].dtype == np.float64
    assert again.get_params()["hidden_layer_sizes"] == "5:gelu:layernorm"


def test_file_is_safetensors_with_json_metadata(saved: Path) -> None:
    with safe_open(str(saved), framework="pt") as fh:
        keys = set(fh.keys())
        meta = json.loads(fh.metadata()["hiddenlayers"])
    assert keys == {"hidden1.linear.weight", "hidden1.linear.bias", "hidden2.linear.weight", "hidden2.linear.bias", "head.weight", "head.bias"}
    assert meta["format"] == "hiddenlayers" and meta["format_version"] == 1 < FORMAT_VERSION  # version 2 is a Pipeline of scikit-learn steps' only
    assert meta["library_version"] == hl.__version__ and meta["estimator"] == "MLPClassifier"
    assert meta["network"]["spec"] == [
        {"kind": "dense", "units": 8, "activation": "tanh", "dropout": 0.0, "norm": None},
        {"kind": "dense", "units": 4, "activation": None, "dropout": 0.0, "norm": None},
    ]
    assert meta["classes"]["values"] == [0, 1, 2]
    assert meta["history"]["stop_reason"] == "max_epochs"
    assert read_metadata(saved) == meta


# ------------------------------------------------------------------ bad files
def test_missing_path_and_folder(tmp_path: Path) -> None:
    missing = tmp_path / "nope.safetensors"
    with pytest.raises(hl.ModelFileError) as info:
        hl.load(missing)
    assert str(info.value) == f"model file '{missing}' does not exist: check the path, or train one with `hiddenlayers train`."
    with pytest.raises(hl.ModelFileError) as info:
        hl.load(tmp_path)
    assert str(info.value) == f"'{tmp_path}' is a folder, not a model file: give the path of a .safetensors file."


@pytest.mark.parametrize("kind", ["truncated", "random", "empty", "text"])
def test_unreadable_files(saved: Path, tmp_path: Path, kind: str) -> None:
    bad = tmp_path / "bad.safetensors"
    data = saved.read_bytes()
    bad.write_bytes({"truncated": data[: len(data) // 2], "random": os.urandom(4096), "empty": b"", "text": b"hello, world\n" * 10}[kind])
    fix = ("it is empty \\(0 bytes: a save or copy that never finished\\?\\): copy or save it again\\." if kind == "empty" else  # was: what to do unsaid
           "it may be truncated, corrupt or of another format: copy or save it again \\(a copy or download that stopped leaves a truncated file\\)\\.")
    with pytest.raises(hl.ModelFileError, match=rf"^'.*bad\.safetensors' is not a readable safetensors model file \(\w+\): {fix}$"):
        hl.load(bad)


def _onnx_bytes() -> bytes:
    from onnx import TensorProto, helper

    graph = helper.make_graph([helper.make_node("Relu", ["X"], ["Y"])], "g",
                              [helper.make_tensor_value_info("X", TensorProto.FLOAT, ["batch", 2])],
                              [helper.make_tensor_value_info("Y", TensorProto.FLOAT, ["batch", 2])])
    return helper.make_model(graph, producer_name="pytorch", opset_imports=[helper.make_opsetid("", 18)]).SerializeToString()


@pytest.mark.parametrize("protocol", [2, 3, 4, 5])
def test_a_pickle_is_named_and_never_opened(tmp_path: Path, protocol: int) -> None:
    import pickle

    bad = tmp_path / "model.pkl"
    bad.write_bytes(pickle.dumps({"coefs_": [1.0, 2.0]}, protocol=protocol))
    # before: "... it may be truncated, corrupt or of another format." (which one, and what to do, unsaid)
    with pytest.raises(hl.ModelFileError, match=r"it is a Python pickle, which is never loaded \(unpickling runs code\): save the fitted "
                       r"model with its \.save\(path\) to a \.safetensors file, and load that\.$"):
        hl.load(bad)


def test_a_torch_checkpoint_and_an_onnx_file_are_named(tmp_path: Path) -> None:
    ckpt = tmp_path / "ckpt.pt"
    torch.save({"w": torch.zeros(2)}, ckpt)
    with pytest.raises(hl.ModelFileError, match=r"it is a zip archive \(a torch\.save checkpoint\?\): read a checkpoint with "
                       r"torch\.load\(path, weights_only=True\)"):
        hl.load(ckpt)
    for name in ("model.onnx", "renamed.safetensors"):  # by its suffix, and by its first bytes
        path = tmp_path / name
        path.write_bytes(_onnx_bytes())
        with pytest.raises(hl.ModelFileError, match=r"it looks like an ONNX file: run it with hl\.ship\.OnnxModel\(path\) or "
                           r"`hiddenlayers predict FILE\.onnx`"):
            hl.load(path)


def test_a_data_file_is_named_as_data_not_as_a_damaged_model(tmp_path: Path) -> None:
    """hl.load("data.csv") (or the paths of a command swapped) said "it may be truncated, corrupt or of another format: copy
    or save it again": by its suffix (CSV has no magic bytes) or Parquet's and NumPy's first bytes, it is now named as data."""
    import pandas as pd

    frame = pd.DataFrame({"a": [1.0, 2.0], "label": ["x", "y"]})
    frame.to_csv(tmp_path / "data.csv", index=False)
    frame.to_parquet(tmp_path / "data.parquet")
    np.save(tmp_path / "X.npy", np.zeros((2, 3)))
    (tmp_path / "renamed.safetensors").write_bytes((tmp_path / "data.parquet").read_bytes())  # by its first bytes alone
    for name in ("data.csv", "data.parquet", "X.npy", "renamed.safetensors"):
        with pytest.raises(hl.ModelFileError, match=rf"^'.*{re.escape(name)}' is not a readable safetensors model file \(\w+\): it is a data "
                           r"file, not a model: a command takes the model file first \(hiddenlayers predict MODEL DATA\), and a model file "
                           r"is the \.safetensors file that `hiddenlayers train --out` or \.save\(path\) writes\.$"):
            hl.load(tmp_path / name)


def test_scikit_learns_own_mlp_is_refused_by_save_naming_its_drop_in(tmp_path: Path, iris: tuple[np.ndarray, np.ndarray]) -> None:
    """scikit-learn's MLPClassifier has our class name: save() passed its name check, then failed with "AttributeError:
    'MLPClassifier' object has no attribute 'save'"."""
    from sklearn.neural_network import MLPClassifier as SkMLP

    sk = _fit(SkMLP(hidden_layer_sizes=(4,), max_iter=3, random_state=0), *iris)
    message = ("save() takes a fitted hiddenlayers estimator or application, or a Pipeline of a TableEncoder (or scikit-learn scalers, "
               "imputers, PCA) then an MLP. Received: MLPClassifier from sklearn, not hiddenlayers: fit hl.MLPClassifier instead (it "
               "takes the same parameters).")
    with pytest.raises(TypeError, match="^" + re.escape(message) + "$"):
        hl.save(sk, tmp_path / "sk.safetensors")
    assert not list(tmp_path.iterdir())


def test_truncated_tensor_data(saved: Path, tmp_path: Path) -> None:
    bad = tmp_path / "short.safetensors"
    bad.write_bytes(saved.read_bytes()[:-8])  # header intact, last tensor cut
    with pytest.raises(hl.ModelFileError, match=r"^'.*short\.safetensors' is not a readable safetensors model file"):
        hl.load(bad)


def test_foreign_safetensors_file(tmp_path: Path) -> None:
    foreign = tmp_path / "foreign.safetensors"
    foreign.write_bytes(st_save({"w": torch.zeros(2, 2)}))
    with pytest.raises(hl.ModelFileError) as info:
        hl.load(foreign)
    assert str(info.value) == (f"'{foreign}' is a safetensors file but not a hiddenlayers model (no 'hiddenlayers' metadata): read its tensors "
                               "with safetensors.torch.load_file(path); hiddenlayers loads the files its save() and `hiddenlayers train` write.")


#: a record under the 'hiddenlayers' key that is not ours: what happened and what to do (before: the first sentence alone)
_NOT_OURS = ("metadata is not in the hiddenlayers format (its 'hiddenlayers' entry is no hiddenlayers record): the file was altered or "
             "written by another tool; save the model again with .save(path) or `hiddenlayers train`.")


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda m: "{not json", "has damaged hiddenlayers metadata (not valid JSON): the file was altered."),
        (lambda m: "[1, 2]", _NOT_OURS),
        (lambda m: {**m, "format": "other"}, _NOT_OURS),
        (lambda m: {**m, "format_version": 99}, "uses model-file format 99, newer than this hiddenlayers reads (2): upgrade hiddenlayers."),
        # before: a version of another type was "newer than this hiddenlayers reads (2): upgrade hiddenlayers", and true read as 1
        (lambda m: {**m, "format_version": "1"}, "has the model-file format version '1', not a whole number >= 1: the file was altered; save the model again."),
        (lambda m: {**m, "format_version": True}, "has the model-file format version True, not a whole number >= 1: the file was altered; save the model again."),
        (lambda m: {**m, "format_version": 0}, "has the model-file format version 0, not a whole number >= 1: the file was altered; save the model again."),
        (lambda m: {**m, "estimator": "os.system"}, "holds an unknown model kind 'os.system': a newer hiddenlayers may know it (upgrade hiddenlayers); "
                                                    "else the file was altered."),
    ],
    ids=["not-json", "not-object", "format", "newer", "version-type", "version-true", "version-0", "estimator"],
)
def test_tampered_metadata(saved: Path, tmp_path: Path, edit: Any, message: str) -> None:
    bad = tmp_path / "t.safetensors"
    _rewrite(saved, bad, edit)
    with pytest.raises(hl.ModelFileError) as info:
        hl.load(bad)
    assert str(info.value) == f"'{bad}' {message}"


@pytest.mark.parametrize("q", [None, 2.0, "x"])
def test_a_gce_q_predict_proba_would_refuse_is_refused_at_load(saved: Path, tmp_path: Path, q: Any) -> None:
    """A generalized-cross-entropy classifier's file whose gce_q is not in (0, 1]: hl.load gave a model whose predict_proba
    crashed (TypeError: float() of None; "q must lie in (0, 1]"); it is the file's fault, refused at load in one line."""
    bad = tmp_path / "q.safetensors"
    _rewrite(saved, bad, lambda m: {**m, "params": {**m["params"], "loss": "gce", "gce_q": q}})
    with pytest.raises(hl.ModelFileError, match=r"has inconsistent contents \((TypeError|ValueError): .*\); the file was altered or is damaged\.$"):
        hl.load(bad)
    _rewrite(saved, bad, lambda m: {**m, "params": {**m["params"], "loss": "gce", "gce_q": 0.5}})
    assert hl.load(bad).predict_proba(np.zeros((1, 4))).shape == (1, 3)


@pytest.mark.parametrize("loss", [[], "x", None])
def test_a_regressor_loss_predict_cannot_apply_is_refused_at_load(iris: tuple[np.ndarray, np.ndarray], tmp_path: Path, loss: Any) -> None:
    """A regressor's file whose loss is not a regression loss it knows: hl.load gave a model whose predict crashed (TypeError:
    unhashable type 'list'; "loss must be one of ..."), as its output activation comes from the loss; refused at load in one
    line. Found by test_serve_dense's metadata fuzz (unseeded) of a regressor's file."""
    X, y = iris
    saved, bad = tmp_path / "reg.safetensors", tmp_path / "loss.safetensors"
    _fit(hl.MLPRegressor(hidden_layer_sizes=(4,), max_iter=3, random_state=0), X[:, 1:], X[:, 0]).save(saved)
    _rewrite(saved, bad, lambda m: {**m, "params": {**m["params"], "loss": loss}})
    with pytest.raises(hl.ModelFileError, match=r"has inconsistent contents \(ValueError: loss must be one of .*\); the file was altered"):
        hl.load(bad)
    _rewrite(saved, bad, lambda m: {**m, "params": {**m["params"], "loss": "poisson"}})
    assert hl.load(bad).predict(X[:2, 1:]).shape == (2,)


@pytest.mark.parametrize("dtype", [None, "x", "int64", [1]])
def test_a_fit_dtype_predictions_cannot_take_is_refused_at_load(saved: Path, tmp_path: Path, dtype: Any) -> None:
    """A file whose fitted ``_fit_dtype`` (the float type of the rows it was fitted on, which predictions are cast to) is not
    float32 or float64: hl.load gave a model whose predict_proba crashed (TypeError: data type 'x' not understood); it is
    the file's fault, refused at load in one line. Found by test_serve_dense's fuzz of a norm model's file."""
    bad = tmp_path / "fit_dtype.safetensors"
    _rewrite(saved, bad, lambda m: {**m, "fitted": {**m["fitted"], "_fit_dtype": dtype}})
    with pytest.raises(hl.ModelFileError, match=r"has inconsistent contents \(ValueError: _fit_dtype is .*, not 'float32' or 'float64'\); "
                                                 r"the file was altered or is damaged\.$"):
        hl.load(bad)
    _rewrite(saved, bad, lambda m: {**m, "fitted": {**m["fitted"], "_fit_dtype": "float32"}})
    assert hl.load(bad).predict_proba(np.zeros((1, 4), dtype=np.float32)).dtype == np.float32


def test_tampered_architecture_and_params(saved: Path, tmp_path: Path) -> None:
    bad = tmp_path / "arch.safetensors"

    def widen(m: dict) -> dict:
        m["network"]["spec"][0]["units"] = 9
        return m

    _rewrite(saved, bad, widen)
    with pytest.raises(hl.ModelFileError, match=r"^'.*arch\.safetensors' tensor 'hidden1\.linear\.weight' has shape \(8, 4\) but its architecture needs \(9, 4\): the file was altered\.$"):
        hl.load(bad)

    def drop_layer(m: dict) -> dict:
        m["network"]["spec"] = m["network"]["spec"][:1]
        return m

    _rewrite(saved, bad, drop_layer)
    with pytest.raises(hl.ModelFileError, match=re.escape("arch.safetensors' tensor 'head.weight' has shape (3, 4) but its architecture needs (3, 8): the file was altered.")):
        hl.load(bad)

    with safe_open(str(saved), framework="pt") as fh:
        metadata = fh.metadata()
    tensors = load_file(str(saved))
    tensors["extra"] = tensors.pop("head.bias")
    bad.write_bytes(st_save(tensors, metadata=metadata))
    with pytest.raises(hl.ModelFileError, match=re.escape("arch.safetensors' tensors do not match its architecture (missing ['head.bias'], unexpected ['extra']): the file was altered.")):
        hl.load(bad)

    _rewrite(saved, bad, lambda m: {**m, "params": {**m["params"], "solver": 5}})
    hl.load(bad)  # params are stored, not executed: a bad value only fails at the next fit

    _rewrite(saved, bad, lambda m: {k: v for k, v in m.items() if k != "network"})
    with pytest.raises(hl.ModelFileError, match=r"has inconsistent contents \(KeyError: 'network'\)"):
        hl.load(bad)


def _set(path: list[str], value: Any):  # type: ignore[no-untyped-def]
    def edit(m: dict) -> dict:
        node = m
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value
        return m

    return edit


@pytest.mark.parametrize(
    "edit, problem",
    [
        (_set(["classes", "values"], [0, 1]), "2 classes need 1 output(s) but the network has 3"),
        (_set(["classes", "values"], [0, 1, 2, 3]), "4 classes need 4 output(s) but the network has 3"),
        (_set(["fitted", "n_features_in_"], 5), "n_features_in_ is 5 but the network reads 4 inputs"),
        (_set(["fitted", "feature_names_in_"], ["a", "b"]), "2 feature names for 4 features"),
        (_set(["fitted", "n_outputs_"], 2), "n_outputs_ is 2 but the network has 3 outputs"),
    ],
    ids=["fewer-classes", "more-classes", "n-features", "feature-names", "n-outputs"],
)
def test_records_that_disagree_with_the_network(saved: Path, tmp_path: Path, edit: Any, problem: str) -> None:
    """An edited file whose classes or widths no longer fit its network: an error, not wrong labels."""
    bad = tmp_path / "t.safetensors"
    _rewrite(saved, bad, edit)
    with pytest.raises(hl.ModelFileError) as info:
        hl.load(bad)
    assert str(info.value) == f"'{bad}' does not agree with itself ({problem}): the file was altered or is damaged."


# ------------------------------------------------------------------ safety
def test_write_is_atomic(saved: Path, iris: tuple[np.ndarray, np.ndarray], monkeypatch: pytest.MonkeyPatch) -> None:
    X, y = iris
    before = saved.read_bytes()
    other = _fit(hl.MLPClassifier((3,), max_iter=2, random_state=1), X, y)

    def crash(fd: int) -> None:  # the new bytes are written, then the disk "fails" before the rename
        raise OSError("disk full")

    monkeypatch.setattr(os, "fsync", crash)
    with pytest.raises(OSError, match="disk full"):
        other.save(saved)
    monkeypatch.undo()
    assert saved.read_bytes() == before
    assert sorted(p.name for p in saved.parent.iterdir()) == ["model.safetensors"]

    def no_rename(src: str, dst: str) -> None:
        raise PermissionError("rename refused")

    monkeypatch.setattr(os, "replace", no_rename)
    with pytest.raises(PermissionError):
        atomic_write_bytes(saved, b"x" * 100)
    monkeypatch.undo()
    assert saved.read_bytes() == before
    assert sorted(p.name for p in saved.parent.iterdir()) == ["model.safetensors"]
    other.save(saved)
    assert hl.load(saved).n_iter_ == 2


def test_load_never_unpickles(saved: Path, iris: tuple[np.ndarray, np.ndarray], monkeypatch: pytest.MonkeyPatch) -> None:
    X, _ = iris

    def forbidden(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("load() must not unpickle")

    for mod, name in ((pickle, "load"), (pickle, "loads"), (pickle, "Unpickler"), (torch, "load"), (np, "load")):
        monkeypatch.setattr(mod, name, forbidden)
    model = hl.load(saved)
    assert model.predict(X).shape == (150,)


def test_save_rejects_other_objects(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match=r"^save\(\) takes a fitted hiddenlayers estimator or application, or a Pipeline of a TableEncoder \(or scikit-learn scalers, imputers, PCA\) then an MLP\. "
                                        r"Received: dict\.$"):
        hl.save({}, tmp_path / "x.safetensors")


def test_atomic_write_keeps_the_usual_file_mode(tmp_path: Path) -> None:
    """A new file gets 0666 less the umask (not mkstemp's 0600); a replaced file keeps its mode."""
    old_umask = os.umask(0o022)
    try:
        fresh = tmp_path / "fresh.bin"
        atomic_write_bytes(fresh, b"x")
        assert fresh.stat().st_mode & 0o777 == 0o644
        shared = tmp_path / "shared.bin"
        shared.write_bytes(b"old")
        shared.chmod(0o664)
        atomic_write_bytes(shared, b"new")
        assert shared.stat().st_mode & 0o777 == 0o664
        assert shared.read_bytes() == b"new"
    finally:
        os.umask(old_umask)


def test_strings_that_spell_nonfinite_floats_stay_strings(tmp_path: Path) -> None:
    """Labels "nan"/"inf" are strings after load; a non-finite float (best_validation_score_) stays a float."""
    X = np.array([[0.0, 1.0], [1.0, 0.0], [0.2, 0.9], [0.9, 0.1]] * 10)
    y = np.array(["nan", "inf", "nan", "inf"] * 10, dtype=object)
    clf = hl.MLPClassifier((4,), max_iter=3, random_state=0).fit(X, y)
    clf.best_loss_ = float("inf")
    clf.save(tmp_path / "m.safetensors")
    back = hl.load(tmp_path / "m.safetensors")
    assert list(back.classes_) == ["inf", "nan"] and all(isinstance(c, str) for c in back.classes_)
    assert back.best_loss_ == float("inf")
    assert list(back.predict(X)) == list(clf.predict(X))


def test_load_passes_device_to_applications(tmp_path) -> None:
    import numpy as np

    series = np.sin(np.arange(120) / 5)
    f = hl.Forecaster(window=8, max_iter=3, random_state=0).fit(series)
    f.save(tmp_path / "f.safetensors")
    again = hl.load(tmp_path / "f.safetensors", device="cpu")
    assert again.device == "cpu" and next(again.network_.parameters()).device.type == "cpu"
    np.testing.assert_allclose(again.predict(series), f.predict(series), atol=1e-6)
    with pytest.raises(ValueError, match="Received: device='gpu'"):
        hl.load(tmp_path / "f.safetensors", device="gpu")


@pytest.mark.skipif(__import__("torch").cuda.is_available(), reason="this machine has a CUDA GPU")
def test_a_model_saved_for_a_gpu_loads_on_a_machine_without_one(tmp_path) -> None:
    import numpy as np

    X, y = np.random.default_rng(0).normal(size=(60, 4)), np.arange(60) % 3
    clf = hl.MLPClassifier((8,), max_iter=5, random_state=0).fit(X, y)
    clf.set_params(device="cuda")  # as if trained on a GPU machine
    clf.save(tmp_path / "m.safetensors")
    with pytest.warns(UserWarning, match=r"saved with device='cuda', which this machine lacks; loaded on cpu instead \(pass device= to choose\)"):
        again = hl.load(tmp_path / "m.safetensors")
    np.testing.assert_array_equal(again.predict_proba(X), clf.predict_proba(X))
    with pytest.raises(ValueError, match=r"^device='cuda' but this machine has no CUDA GPU"):
        hl.load(tmp_path / "m.safetensors", device="cuda")  # asked for explicitly: no fallback
    f = hl.Forecaster(window=8, max_iter=3, random_state=0).fit(np.sin(np.arange(80) / 5))
    f.set_params(device="cuda")
    f.save(tmp_path / "f.safetensors")
    with pytest.warns(UserWarning, match="which this machine lacks"):
        assert hl.load(tmp_path / "f.safetensors").predict(np.sin(np.arange(80) / 5)).shape[0] > 0


def test_save_and_load_take_applications_and_refuse_the_wrong_class(tmp_path: Path) -> None:
    X = np.random.default_rng(0).normal(size=(40, 3))
    ae = hl.Autoencoder((4,), n_components=2, max_iter=2, random_state=0).fit(X)
    hl.save(ae, tmp_path / "ae.safetensors")
    np.testing.assert_allclose(hl.load(tmp_path / "ae.safetensors").score_samples(X), ae.score_samples(X), rtol=1e-6)
    with pytest.raises(TypeError, match=r"^extra= is stored only with MLPClassifier and MLPRegressor\. Received an Autoencoder\.$"):
        hl.save(ae, tmp_path / "ae2.safetensors", extra={"a": 1})
    clf = hl.MLPClassifier(hidden_layer_sizes=(4,), max_iter=3, random_state=0).fit(X, X[:, 0] > 0)
    clf.save(tmp_path / "clf.safetensors")
    with pytest.raises(hl.ModelFileError, match=r"holds an 'MLPClassifier' model, not an MLPRegressor: load it with hiddenlayers\.load\(path\)\.$"):
        hl.MLPRegressor.load(tmp_path / "clf.safetensors")


# ------------------------------------------------------------------ hand-edited metadata: ModelFileError, never another exception
def _drop(key: str):  # type: ignore[no-untyped-def]
    return lambda m: {k: v for k, v in m.items() if k != key}


@pytest.mark.parametrize("section", ["params", "network", "fitted", "history", "classes"])
@pytest.mark.parametrize("value", [None, "text", 3, [1, 2]], ids=["null", "string", "number", "list"])
def test_a_section_that_is_not_an_object(saved: Path, tmp_path: Path, section: str, value: Any) -> None:
    """``"fitted": null`` and the like: a ModelFileError naming the section (it was AttributeError 'NoneType' has no attribute 'items')."""
    bad = tmp_path / "t.safetensors"
    _rewrite(saved, bad, _set([section], value))
    with pytest.raises(hl.ModelFileError) as info:
        hl.load(bad)
    kind = "null" if value is None else type(value).__name__
    assert str(info.value) == f"'{bad}' has inconsistent contents (TypeError: '{section}' is {kind}, not a JSON object); the file was altered or is damaged."


@pytest.mark.parametrize("section", ["params", "fitted", "history", "classes"])
def test_a_missing_section(saved: Path, tmp_path: Path, section: str) -> None:
    bad = tmp_path / "t.safetensors"
    _rewrite(saved, bad, _drop(section))
    with pytest.raises(hl.ModelFileError) as info:
        hl.load(bad)
    assert str(info.value) == f"'{bad}' has inconsistent contents (KeyError: '{section}'); the file was altered or is damaged."


@pytest.mark.parametrize(
    "edit",
    [_set(["fitted", "loss_curve_"], None), _set(["history", "loss"], None), _set(["fitted", "n_features_in_"], None),
     _set(["network", "spec"], None), _set(["classes", "values"], None), _set(["params", "hidden_layer_sizes"], None)],
    ids=["loss-curve", "history-loss", "n-features", "spec", "class-values", "sizes"],
)
def test_a_null_field_inside_a_section(saved: Path, tmp_path: Path, edit: Any) -> None:
    """Nulls deeper down: loaded as they are where harmless, else a ModelFileError; never another exception."""
    bad = tmp_path / "t.safetensors"
    _rewrite(saved, bad, edit)
    try:
        hl.load(bad)
    except hl.ModelFileError as exc:
        assert str(exc).startswith(f"'{bad}' ") and str(exc).endswith("the file was altered or is damaged.")


@pytest.fixture
def with_preprocessing(iris: tuple[np.ndarray, np.ndarray], tmp_path: Path) -> Path:
    """An MLP file with table preprocessing of the 4 iris columns, as `hiddenlayers train` writes it."""
    import pandas as pd

    from hiddenlayers.data import TablePreprocessor

    X, y = iris
    frame = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    pre = TablePreprocessor().fit(frame)
    clf = _fit(hl.MLPClassifier((4,), max_iter=2, random_state=0), pre.transform(frame).matrix, y)
    clf.preprocessing_ = {**pre.to_dict(), "target": "y", "task": "classification"}
    path = tmp_path / "pre.safetensors"
    clf.save(path)
    return path


def test_preprocessing_that_feeds_the_network_another_width(with_preprocessing: Path, tmp_path: Path) -> None:
    """A column removed from the stored preprocessing: an error on load (it was ValueError 'X has 3 features' at predict)."""
    hl.load(with_preprocessing)
    bad = tmp_path / "t.safetensors"

    def drop_column(m: dict) -> dict:
        m["preprocessing"]["columns"] = m["preprocessing"]["columns"][:3]
        return m

    _rewrite(with_preprocessing, bad, drop_column)
    with pytest.raises(hl.ModelFileError) as info:
        hl.load(bad)
    assert str(info.value) == f"'{bad}' does not agree with itself (the preprocessing produces 3 features but the network reads 4 inputs): the file was altered or is damaged."
    _rewrite(with_preprocessing, bad, _set(["preprocessing", "columns"], None))
    with pytest.raises(hl.ModelFileError, match=re.escape(f"'{bad}' has inconsistent contents (ValueError: the stored preprocessing is damaged (TypeError")):
        hl.load(bad)


def test_any_edit_of_the_metadata_loads_or_is_a_model_file_error(with_preprocessing: Path, tmp_path: Path) -> None:
    """Hypothesis: set any field (at any depth) to null or a value of another type, or remove it; loading either
    succeeds or raises ModelFileError, never AttributeError, ValueError, IndexError, ..."""

    def usable(model: Any) -> None:
        assert hasattr(model, "predict") and model.n_features_in_ >= 1

    check_every_edit(with_preprocessing, tmp_path / "h.safetensors",
                     lambda p: p[0] not in ("format", "format_version", "estimator", "library_version"), usable)


def test_save_refuses_a_fifo_and_leaves_it_alone(saved: Path, tmp_path: Path) -> None:
    """The atomic rename would replace a FIFO or device (``/dev/null`` as root) with a plain file: refused instead."""
    import stat

    fifo = tmp_path / "f.safetensors"
    os.mkfifo(fifo)
    model = hl.load(saved)
    message = f"'{fifo}' is not a regular file (a device, FIFO or socket): choose a file path for the output."
    with pytest.raises(FileExistsError, match=re.escape(message)):
        model.save(fifo)
    with pytest.raises(FileExistsError, match=re.escape(message)):
        atomic_write_bytes(fifo, b"x")
    assert stat.S_ISFIFO(fifo.stat().st_mode)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f.safetensors", "model.safetensors"]


# ------------------------------------------------------------------ tensors altered in kind or values: refused, never cast
def _with_tensor(path: Path, out: Path, key: str, value: torch.Tensor) -> None:
    """Copy a model file with tensor ``key`` replaced by ``value`` (the metadata kept)."""
    with safe_open(str(path), framework="pt") as fh:
        metadata = fh.metadata()
    tensors = load_file(str(path))
    tensors[key] = value
    out.write_bytes(st_save(tensors, metadata=metadata))


@pytest.mark.parametrize(("change", "message"), [
    (lambda w: w.to(torch.int32), "is int32 but the model's is float32: the file was altered; copy or save it again."),
    (lambda w: w.to(torch.float16), "is float16 but the model's is float32: the file was altered; copy or save it again."),
    (lambda w: torch.full_like(w, float("nan")), "holds NaN or infinite values, so every prediction would be NaN or infinite"),
    (lambda w: torch.full_like(w, float("inf")), "holds NaN or infinite values, so every prediction would be NaN or infinite"),
], ids=["int32", "float16", "nan", "inf"])
def test_weights_of_another_kind_or_not_finite_are_refused(saved: Path, tmp_path: Path, change: Any, message: str) -> None:
    # load_state_dict cast them: int32 weights loaded and predicted one class for every row, NaN weights NaN probabilities
    bad = tmp_path / "w.safetensors"
    _with_tensor(saved, bad, "hidden1.linear.weight", change(load_file(str(saved))["hidden1.linear.weight"]))
    with pytest.raises(hl.ModelFileError, match=r"^'.*w\.safetensors' tensor 'hidden1\.linear\.weight' " + re.escape(message)):
        hl.load(bad)


def test_an_application_file_with_int32_weights_is_refused(tmp_path: Path) -> None:
    X = np.random.default_rng(0).normal(size=(40, 3))
    path, bad = tmp_path / "ae.safetensors", tmp_path / "bad.safetensors"
    hl.Autoencoder((4,), n_components=2, max_iter=2, random_state=0).fit(X).save(path)
    key = next(k for k, v in load_file(str(path)).items() if v.is_floating_point() and v.ndim == 2)
    _with_tensor(path, bad, key, load_file(str(path))[key].to(torch.int32))
    with pytest.raises(hl.ModelFileError, match=re.escape(f"tensor {key.split('.', 1)[1]!r} is int32 but the model's is float32: the file was altered")):
        hl.load(bad)
