"""``MLPRegressor(scale_target=True)``: trains on standardized y, predicts in y's units on every path.

The network of a fit on ``y * 1000 + 5000`` sees exactly the standardized targets a fit on ``y`` sees,
so the two networks agree and the predictions differ by that affine map; the fast NumPy path, the
PyTorch path, model files and ONNX all apply it; what cannot be scaled is refused in one line.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.datasets import load_diabetes, load_linnerud

import hiddenlayers as hl
from hiddenlayers.estimators._target_scale import target_statistics


def _reg(**kw):
    params = dict(hidden_layer_sizes=(16,), max_iter=30, random_state=0, device="cpu", dtype="float64", scale_target=True)
    return hl.MLPRegressor(**{**params, **kw})


@pytest.fixture(scope="module")
def diabetes():
    return load_diabetes(return_X_y=True)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_fit_on_affine_y_is_the_same_network_up_to_the_map(diabetes):
    X, y = diabetes
    a = _reg().fit(X, y)
    b = _reg().fit(X, y * 1000 + 5000)
    for wa, wb in zip(a.coefs_, b.coefs_):
        np.testing.assert_allclose(wa, wb, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(b.predict(X), a.predict(X) * 1000 + 5000, rtol=1e-9)
    assert b.target_mean_.shape == (1,) and b.target_scale_ == pytest.approx(a.target_scale_ * 1000)
    assert a.loss_curve_ == pytest.approx(b.loss_curve_, rel=1e-6)  # loss_curve_ is in scaled units


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_a_target_in_small_units_is_scaled_as_any_other(diabetes):
    # a spread under 1e-12 of max(|mean|, 1) was "constant": y * 1e-15 was only centred, and the network fitted values of ~1e-13
    X, y = diabetes
    a = _reg(max_iter=3).fit(X, y)
    b = _reg(max_iter=3).fit(X, y * 1e-15)
    assert b.target_scale_ == pytest.approx(a.target_scale_ * 1e-15, rel=1e-12)
    np.testing.assert_allclose(b.predict(X), a.predict(X) * 1e-15, rtol=1e-9)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_scaling_fixes_the_unscaled_fit(diabetes):
    """The reviewer's case in miniature: targets in the hundreds, lr 1e-3, 200 epochs."""
    X, y = diabetes
    plain = hl.MLPRegressor(hidden_layer_sizes=(32,), max_iter=200, random_state=0, device="cpu").fit(X[:350], y[:350])
    scaled = hl.MLPRegressor(hidden_layer_sizes=(32,), max_iter=200, random_state=0, device="cpu", scale_target=True).fit(X[:350], y[:350])
    assert plain.score(X[350:], y[350:]) < 0 < 0.35 < scaled.score(X[350:], y[350:])


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_default_is_scikit_learns_behaviour(diabetes):
    X, y = diabetes
    m = hl.MLPRegressor(hidden_layer_sizes=(8,), max_iter=5, random_state=0, device="cpu").fit(X, y)
    assert m.get_params()["scale_target"] is False and not hasattr(m, "target_mean_")
    np.testing.assert_allclose(m.network_targets(y[:5]).ravel(), y[:5])


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_multi_output_each_column_scaled_and_every_path_agrees(tmp_path):
    X, Y = load_linnerud(return_X_y=True)
    m = _reg(dtype="float32", max_iter=50).fit(X, Y)
    np.testing.assert_allclose(m.target_mean_, Y.mean(0))
    np.testing.assert_allclose(m.target_scale_, Y.std(0))
    fast = m.predict(X)
    assert m._np_ok  # the NumPy path ran
    with torch.inference_mode():
        out = m.network_(torch.as_tensor(X, dtype=torch.float32)).numpy().astype(np.float64)
    np.testing.assert_allclose(fast, out * m.target_scale_ + m.target_mean_, rtol=1e-5)
    import scipy.sparse as sp

    np.testing.assert_allclose(m.predict(sp.csr_matrix(X)), fast, rtol=1e-5)  # the PyTorch path (sparse input)
    path = tmp_path / "m.safetensors"
    m.save(path)
    back = hl.load(path)
    np.testing.assert_array_equal(back.predict(X), fast)
    np.testing.assert_array_equal(back.target_scale_, m.target_scale_)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_onnx_graph_predicts_in_y_units(tmp_path):
    ort = pytest.importorskip("onnxruntime")
    X, Y = load_linnerud(return_X_y=True)
    m = _reg(dtype="float32", max_iter=50).fit(X, Y * 100 + 3000)
    path = tmp_path / "m.onnx"
    hl.export_onnx(m, path)
    got = ort.InferenceSession(str(path)).run(None, {"X": X.astype(np.float32)})[0]
    np.testing.assert_allclose(got, m.predict(X), rtol=1e-5)
    with torch.inference_mode():
        raw = m.network_(torch.as_tensor(X, dtype=torch.float32)).numpy()
    assert np.abs(got - raw).min() > 1.0  # the graph ends in y's units, not the network's scaled outputs


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_old_files_load_unscaled_and_a_damaged_scaling_is_refused(tmp_path, diabetes):
    import json

    from hiddenlayers._files import read_metadata, write_model_file
    from hiddenlayers.exceptions import ModelFileError

    X, y = diabetes
    m = _reg(max_iter=3).fit(X, y)
    path = tmp_path / "m.safetensors"
    m.save(path)
    meta = read_metadata(path)
    from safetensors.torch import load_file

    tensors = load_file(str(path))
    old = {k: v for k, v in meta.items() if k not in ("target_scaling", "estimator", "format_version", "library_version")}
    old["params"] = {k: v for k, v in old["params"].items() if k != "scale_target"}  # a file from before scale_target
    write_model_file(tmp_path / "old.safetensors", "MLPRegressor", old, tensors)
    back = hl.load(tmp_path / "old.safetensors")
    assert back.scale_target is False and not hasattr(back, "target_mean_")
    np.testing.assert_allclose(back.predict(X), (m.predict(X) - m.target_mean_) / m.target_scale_, rtol=1e-6)
    bad = {**old, "params": meta["params"], "target_scaling": {"mean": [1.0], "scale": [0.0]}}
    write_model_file(tmp_path / "bad.safetensors", "MLPRegressor", bad, tensors)
    with pytest.raises(ModelFileError, match="target scaling is not 1 finite means and positive scales"):
        hl.load(tmp_path / "bad.safetensors")
    json.dumps(meta)  # (the record is plain JSON)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_warm_start_keeps_the_stored_scaling_and_refuses_a_changed_flag(diabetes):
    X, y = diabetes
    m = _reg(max_iter=3, warm_start=True).fit(X, y)
    mean, scale = m.target_mean_.copy(), m.target_scale_.copy()
    m.fit(X[:50], y[:50] * 10)  # other targets: the stored scaling stays
    np.testing.assert_array_equal(m.target_mean_, mean)
    np.testing.assert_array_equal(m.target_scale_, scale)
    m.set_params(scale_target=False)
    with pytest.raises(ValueError, match=r"^scale_target=False but the fitted model was trained with target scaling: set scale_target=True"):
        m.fit(X, y)
    np.testing.assert_array_equal(m.target_mean_, mean)  # the refused call changed nothing
    with pytest.raises(ValueError, match=r"^the fitted model was trained with target scaling \(scale_target=True\), which partial_fit does "
                                         r"not continue: continue it with fit\(\) and warm_start=True, or train a new model"):
        m.partial_fit(X, y)  # it said "set scale_target=True ... or refit with warm_start=False": both refused or ignored here
    np.testing.assert_array_equal(m.target_mean_, mean)
    m.set_params(warm_start=False).fit(X, y)  # a fresh fit without scaling drops it
    assert not hasattr(m, "target_mean_")


def test_refusals_are_one_line(diabetes, tmp_path):
    X, y = diabetes
    with pytest.raises(ValueError, match=r"^scale_target=True is not supported with partial_fit"):
        _reg().partial_fit(X, y)
    with pytest.raises(ValueError, match=r"^scale_target=True works with loss='squared_error' only"):
        _reg(loss="poisson").fit(X, y)
    import pandas as pd

    from hiddenlayers.data import ParquetSource

    pd.DataFrame({"a": X[:, 0], "b": X[:, 1], "y": y}).to_parquet(tmp_path / "p.parquet")
    est = _reg()  # a streamed fit standardizes y from its statistics pass; partial_fit(source) would fix it anew each call
    with pytest.raises(ValueError, match=r"^scale_target=True is not supported with partial_fit\(source\)"):
        est.partial_fit(ParquetSource(str(tmp_path), target="y"))
    assert not hasattr(est, "network_")
    with pytest.raises(ValueError, match=r"^scale_target=True works with loss='squared_error' only"):
        _reg(loss="poisson").fit(ParquetSource(str(tmp_path), target="y"))


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_weighted_statistics_count_a_weight_2_row_twice(diabetes):
    X, y = diabetes
    w = np.r_[np.full(100, 2.0), np.ones(len(y) - 100)]
    m = _reg(max_iter=2).fit(X, y, sample_weight=w)
    doubled = np.r_[y[:100], y]
    assert m.target_mean_[0] == pytest.approx(doubled.mean()) and m.target_scale_[0] == pytest.approx(doubled.std())


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(-1e6, 1e6), min_size=1, max_size=20), st.floats(-1e3, 1e3))
def test_statistics_standardize_or_leave_scale_one(values, shift):
    Y = np.asarray(values)[:, None] + shift
    mean, scale = target_statistics(Y, None)
    assert np.isfinite(mean).all() and (scale > 0).all()
    Z = (Y - mean) / scale
    assert abs(Z.mean()) < 1e-6 * max(1.0, float(np.abs(Y).max()) / scale[0])
    if scale[0] != 1.0 or Y.std() > 1e-9 * max(1.0, abs(Y).max()):
        assert Z.std() == pytest.approx(1.0, rel=1e-6) or scale[0] == 1.0


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_training_loss_tools_see_the_scaled_targets(diabetes):
    X, y = diabetes
    m = _reg(alpha=0.0, max_iter=20, batch_size=len(y), shuffle=False).fit(X, y)
    Y = m.network_targets(y)
    np.testing.assert_allclose(Y.ravel(), (y - m.target_mean_) / m.target_scale_)
    with torch.inference_mode():
        z = m.network_(torch.as_tensor(X))
    mean_loss = float(m.network_loss(z, torch.as_tensor(Y))) / len(y)
    # sklearn's loss_ is half the mean squared error over the rows: the network_loss sum halved per row
    assert mean_loss == pytest.approx(float(0.5 * ((m.predict(X) - y) ** 2 / m.target_scale_**2).mean()), rel=1e-6)
    ex = hl.explain(m, X[3], y[3])
    assert ex.target[0] == pytest.approx((y[3] - m.target_mean_[0]) / m.target_scale_[0])
    assert any("scale_target" in n for n in ex.source["notes"])
    found = hl.lr_find(_reg(), X, y, num_steps=20)
    assert found.losses[0] < 5  # the scaled loss (the raw one starts near 0.5 * 152**2)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_loss_landscape_centre_is_the_scaled_training_loss(diabetes):
    """hl.lens.loss_landscape evaluates the loss fit trained on (half the MSE of the scaled target), reported in y's units:
    times ``target_scale_**2``, so the centre is half the MSE of ``predict`` and its ``unit`` says so."""
    X, y = diabetes
    m = _reg(alpha=0.0, max_iter=20).fit(X, y)
    land = hl.lens.loss_landscape(m, X, y, directions=1, steps=3, max_rows=None, random_state=0)
    half_scaled_mse = float(0.5 * (((m.predict(X) - y) / m.target_scale_[0]) ** 2).mean())
    assert land.center_loss == pytest.approx(half_scaled_mse * m.target_scale_[0] ** 2, rel=1e-6)
    assert land.center_loss == pytest.approx(float(0.5 * ((m.predict(X) - y) ** 2).mean()), rel=1e-6) and land.center_loss > 1
    assert "y" in land.unit
