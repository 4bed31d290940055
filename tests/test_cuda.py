"""The CUDA paths: fit, predict, save/load across devices, cost, export, prune, lens and apps on a GPU.

Skipped, with the reason shown, where no CUDA GPU is present (as in CI); the
rest of the suite also runs on the GPU there, since ``device="auto"`` picks it.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

import hiddenlayers as hl

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA GPU on this machine")


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return train_test_split(X / 16.0, y, test_size=0.25, random_state=0)


@pytest.fixture(scope="module")
def fitted(digits):
    Xtr, Xte, ytr, yte = digits
    return hl.MLPClassifier(hidden_layer_sizes=(64, 32), max_iter=60, random_state=0, device="auto").fit(Xtr, ytr)


def test_auto_picks_cuda_and_learns(fitted, digits):
    _, Xte, _, yte = digits
    assert next(fitted.network_.parameters()).device.type == "cuda"
    assert fitted.score(Xte, yte) >= 0.95
    assert fitted.predict_proba(Xte).shape == (len(Xte), 10)
    assert fitted.transform(Xte, layer=1).shape == (len(Xte), 64)
    assert all(isinstance(c, np.ndarray) for c in fitted.coefs_)


@pytest.mark.parametrize("engine", ["dense", "autograd"])
@pytest.mark.parametrize("solver", ["adam", "sgd", "lbfgs"])
def test_engines_and_solvers_on_cuda(digits, engine, solver):
    Xtr, Xte, ytr, yte = digits
    lr = 0.05 if solver == "sgd" else 0.001
    clf = hl.MLPClassifier(hidden_layer_sizes=(32,), solver=solver, learning_rate_init=lr, max_iter=80, random_state=0, device="cuda", engine=engine)
    assert clf.fit(Xtr, ytr).score(Xte, yte) >= 0.9


def test_cuda_and_cpu_runs_agree(digits):
    Xtr, Xte, ytr, yte = digits
    kw = dict(hidden_layer_sizes=(32,), max_iter=30, random_state=0, dtype="float64", tol=0.0, n_iter_no_change=10**6)
    a = hl.MLPClassifier(**kw, device="cuda").fit(Xtr, ytr)
    b = hl.MLPClassifier(**kw, device="cpu").fit(Xtr, ytr)
    np.testing.assert_allclose(a.loss_curve_, b.loss_curve_, rtol=1e-6)


@pytest.mark.parametrize("engine", ["dense", "autograd"])
def test_gce_loss_on_cuda_agrees_with_the_cpu(digits, engine):
    # the dense engine's full batches replay as CUDA graphs there: GCE's gradient must capture too
    Xtr, _, ytr, _ = digits
    kw = dict(hidden_layer_sizes=(32,), max_iter=20, batch_size=128, random_state=0, dtype="float64", tol=0.0,
              n_iter_no_change=10**6, loss="gce", gce_q=0.3, engine=engine)
    a = hl.MLPClassifier(**kw, device="cuda").fit(Xtr, ytr)
    b = hl.MLPClassifier(**kw, device="cpu").fit(Xtr, ytr)
    np.testing.assert_allclose(a.loss_curve_, b.loss_curve_, rtol=1e-6)


def test_saved_on_cuda_loads_on_cpu(fitted, digits, tmp_path):
    _, Xte, _, _ = digits
    path = tmp_path / "m.safetensors"
    fitted.save(path)
    cpu = hl.load(path, device="cpu")
    assert next(cpu.network_.parameters()).device.type == "cpu"
    np.testing.assert_allclose(cpu.predict_proba(Xte), fitted.predict_proba(Xte), atol=1e-5)
    gpu = hl.load(path)
    np.testing.assert_array_equal(gpu.predict(Xte), fitted.predict(Xte))


def test_partial_fit_and_sparse_on_cuda(digits):
    import scipy.sparse as sp

    Xtr, Xte, ytr, yte = digits
    clf = hl.MLPClassifier(hidden_layer_sizes=(32,), random_state=0, device="cuda")
    for _ in range(40):
        clf.partial_fit(sp.csr_matrix(Xtr), ytr, classes=np.arange(10))
    assert clf.score(sp.csr_matrix(Xte), yte) >= 0.9


def test_cost_on_cuda_measures_with_nvml_or_says_why(fitted):
    report = hl.cost(fitted, n_calls=200, throughput_batch=1024)
    assert report.latency_predict_p50_us > 0
    assert report.energy_per_1000_predictions_j > 0
    assert ("NVML" in report.energy_method) == report.energy_measured or "estimate" in report.energy_method.lower()


def test_export_from_cuda_model(fitted, digits, tmp_path):
    pytest.importorskip("onnxruntime")
    _, Xte, _, yte = digits
    report = hl.export_onnx(fitted, tmp_path / "m.onnx", X=Xte, y=yte)
    assert report.max_abs_diff < 1e-4


def test_prune_on_cuda(fitted, digits):
    Xtr, Xte, ytr, yte = digits
    result = hl.prune(fitted, Xtr, ytr, max_drop=0.01, fine_tune_epochs=3, search_steps=3, latency_calls=100, big_batch=512)
    pruned = result.model if hasattr(result, "model") else result
    assert pruned.score(Xte, yte) >= 0.9


def test_lens_on_cuda(fitted, digits):
    _, Xte, _, yte = digits
    rec = hl.lens.record(fitted, Xte)
    assert len(rec) >= 2
    assert hl.lens.layer_similarity(fitted, Xte).matrix.shape == (2, 2)
    html = hl.lens.report(fitted, Xte, yte).html
    assert "hidden1" in html


def test_gradflow_callback_on_cuda(digits):
    Xtr, _, ytr, _ = digits
    from hiddenlayers.lens import GradientFlow

    for engine in ("dense", "autograd"):
        clf = hl.MLPClassifier((32, 16), max_iter=5, random_state=0, device="cuda", engine=engine, callbacks=[GradientFlow(Xtr[:100])])
        recs = clf.fit(Xtr, ytr).history_.extra["gradient_flow"]
        assert len(recs) == 5


def test_apps_on_cuda(digits):
    Xtr, Xte, ytr, yte = digits
    img = hl.ImageClassifier(hidden_layer_sizes="conv16k3,pool2,64", max_iter=15, random_state=0, device="cuda")
    assert img.fit(Xtr.reshape(-1, 8, 8), ytr).score(Xte.reshape(-1, 8, 8), yte) >= 0.85
    texts = ["good fine great", "bad awful poor", "great good", "poor bad"] * 25
    labels = [1, 0, 1, 0] * 25
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)  # cuDNN's "weights are not contiguous" note included
        txt = hl.TextClassifier(max_iter=10, random_state=0, device="cuda").fit(texts, labels)
        assert txt.score(texts, labels) >= 0.9  # after fit the weights are back in cuDNN's packed layout


def test_dense_apps_on_cuda_load_on_cpu(digits, tmp_path):
    Xtr = digits[0]
    ae = hl.Autoencoder((32,), n_components=4, max_iter=10, random_state=0, device="cuda").fit(Xtr)
    assert next(ae.network_.parameters()).device.type == "cuda"
    ae.save(tmp_path / "a.safetensors")
    cpu_ae = hl.load(tmp_path / "a.safetensors", device="cpu")
    np.testing.assert_allclose(cpu_ae.score_samples(Xtr), ae.score_samples(Xtr), atol=1e-5)
    y = np.sin(np.arange(300) / 4)
    f = hl.Forecaster(window=16, horizon=2, max_iter=30, random_state=0, device="cuda").fit(y)
    f.save(tmp_path / "f.safetensors")
    assert f.score(y) > 0.9
    np.testing.assert_allclose(hl.Forecaster.load(tmp_path / "f.safetensors", device="cpu").predict(y), f.predict(y), atol=1e-5)
    u, i = np.arange(600) % 30, np.arange(600) % 40
    rec = hl.Recommender(n_factors=4, max_iter=5, random_state=0, device="cuda").fit((u, i), 3.0 + (u % 3))
    rec.save(tmp_path / "r.safetensors")
    assert rec.network_.mean.device.type == "cuda"
    np.testing.assert_allclose(hl.Recommender.load(tmp_path / "r.safetensors", device="cpu").predict((u, i)), rec.predict((u, i)), atol=1e-5)
    on_cpu = hl.Recommender.load(tmp_path / "r.safetensors", device="cpu")  # top-N lists: scored on the GPU, rated pairs left out
    lists = rec.recommend([0, 1, 2], n=5)
    np.testing.assert_allclose(lists.score.to_numpy(), on_cpu.recommend([0, 1, 2], n=5).score.to_numpy(), atol=1e-5)
    assert not set(zip(lists.user, lists.item, strict=True)) & set(zip(u, i, strict=True))


def _train_digits(digits, *, cuda_graphs, solver="adam", sample_weight=False, **kw):
    from hiddenlayers.network import Network
    from hiddenlayers.training import get_loss, train

    Xtr, _, ytr, _ = digits
    torch.manual_seed(0)
    net = Network(64, "32,16", 10).cuda()
    X = torch.tensor(Xtr, dtype=torch.float32, device="cuda")
    Y = torch.nn.functional.one_hot(torch.tensor(ytr, device="cuda"), 10).float()
    W = torch.linspace(0.5, 1.5, len(Xtr), device="cuda") if sample_weight else None
    res = train(net, X, Y, loss=get_loss("log_loss"), solver=solver, batch_size=64, max_epochs=5, alpha=1e-3,
                sample_weight=W, generator=torch.Generator().manual_seed(1), cuda_graphs=cuda_graphs, **kw)
    return res, torch.cat([p.detach().reshape(-1) for p in net.parameters()]).cpu()


@pytest.mark.parametrize("solver", ["adam", "sgd", "rmsprop", "adamw"])
@pytest.mark.parametrize("sample_weight", [False, True])
def test_cuda_graph_fit_equals_eager_fit(digits, solver, sample_weight):
    eager, w_eager = _train_digits(digits, cuda_graphs=False, solver=solver, sample_weight=sample_weight)
    graph, w_graph = _train_digits(digits, cuda_graphs=True, solver=solver, sample_weight=sample_weight)
    assert graph.steps == eager.steps and graph.optimizer.t == eager.optimizer.t
    np.testing.assert_allclose(graph.history.train_loss, eager.history.train_loss, rtol=1e-4)
    torch.testing.assert_close(w_graph, w_eager, rtol=1e-4, atol=1e-5)
    # the divergence rule's reference, the first batch's loss, read from the graphs' warm-up step as from the eager one
    assert graph.history.start_loss == pytest.approx(eager.history.start_loss, rel=1e-5)


def test_a_finite_explosion_under_cuda_graphs_stops_as_eagerly(digits):
    with pytest.warns(hl.DivergedWarning, match="the loss (grew to|became)"):
        res, _ = _train_digits(digits, cuda_graphs=True, solver="sgd", learning_rate_init=50.0)
    assert res.history.stop_reason == "diverged" and res.history.start_loss is not None


def test_cuda_graph_is_used_and_skipped_for_batch_callbacks(digits, monkeypatch):
    from hiddenlayers.training import Callback, _cuda_graph

    made = []
    real = _cuda_graph.GraphEpochs.run_epoch
    monkeypatch.setattr(_cuda_graph.GraphEpochs, "run_epoch", lambda self, *a: made.append(1) or real(self, *a))
    _train_digits(digits, cuda_graphs=True)
    assert len(made) == 5

    class PerBatch(Callback):
        def on_batch_end(self, **kw):
            """Reads nothing: that it exists is what turns the graphs off."""

    made.clear()
    _train_digits(digits, cuda_graphs=True, callbacks=[PerBatch()])
    assert made == []


@pytest.mark.parametrize("precision", ["tf32", "bf16"])
@pytest.mark.parametrize("engine", ["dense", "autograd"])
def test_precision_accuracy_close_to_fp32_and_settings_restored(digits, precision, engine):
    Xtr, Xte, ytr, yte = digits
    before = torch.get_float32_matmul_precision()
    kw = dict(hidden_layer_sizes=(128, 64), max_iter=80, random_state=0, device="cuda", engine=engine)
    ref = hl.MLPClassifier(**kw).fit(Xtr, ytr).score(Xte, yte)
    low = hl.MLPClassifier(**kw, precision=precision).fit(Xtr, ytr)
    assert torch.get_float32_matmul_precision() == before
    assert next(low.network_.parameters()).dtype == torch.float32
    assert low.score(Xte, yte) >= ref - 0.002 - 1 / len(yte)  # 0.2 points, and one test row of slack for 450 rows


def test_tf32_setting_restored_after_a_failing_fit(digits):
    from hiddenlayers.training import Callback

    class Boom(Callback):
        def on_epoch_end(self, **kw):
            assert torch.get_float32_matmul_precision() == "high"  # TF32 inside the fit
            raise RuntimeError("boom")

    Xtr, _, ytr, _ = digits
    torch.set_float32_matmul_precision("highest")
    with pytest.raises(RuntimeError, match="boom"):
        hl.MLPClassifier(precision="tf32", device="cuda", max_iter=2, callbacks=[Boom()]).fit(Xtr, ytr)
    assert torch.get_float32_matmul_precision() == "highest"


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_nan_or_inf_checked_on_the_gpu_gives_scikit_learns_error_and_keeps_the_model(digits, bad):
    """X's finite check runs as one sum of the CUDA tensor: scikit-learn's message, and a fitted model left as it was."""
    from sklearn.neural_network import MLPClassifier as SkMLP

    Xtr, _, ytr, _ = digits
    model = hl.MLPClassifier((16,), max_iter=3, random_state=0, device="cuda")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(Xtr, ytr)
    before = [c.copy() for c in model.coefs_]
    X = Xtr.copy()
    X[-1, 5] = bad
    with pytest.raises(ValueError) as ours:
        model.fit(X, ytr)
    with pytest.raises(ValueError) as theirs:
        SkMLP((16,), max_iter=3).fit(X, ytr)
    assert str(ours.value) == str(theirs.value)
    for a, b in zip(before, model.coefs_):
        np.testing.assert_array_equal(a, b)


# -- pickles of GPU-fitted models: CPU tensors only, read on a machine without the GPU ------------------------------------------------
_READ_WITHOUT_GPU = """
import pickle, sys, warnings
import numpy as np
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    model = pickle.load(open(sys.argv[1], "rb"))
X = np.load(sys.argv[2])
assert {p.device.type for p in model.network_.parameters()} == {"cpu"}
lacks = [str(w.message) for w in caught if "which this machine lacks" in str(w.message)]
assert len(lacks) == 1 and "fitted on cuda:0" in lacks[0], lacks
np.save(sys.argv[3], model.predict_proba(X) if hasattr(model, "predict_proba") else model.score_samples(X))
"""


def _read_without_gpu(model, X, tmp_path):
    """What ``model`` pickled here predicts in a fresh process that sees no GPU (``CUDA_VISIBLE_DEVICES=""``)."""
    import os
    import pickle
    import subprocess
    import sys
    from pathlib import Path

    (tmp_path / "m.pkl").write_bytes(pickle.dumps(model))
    np.save(tmp_path / "X.npy", X)
    src = str(Path(hl.__file__).resolve().parents[1])
    env = {**os.environ, "CUDA_VISIBLE_DEVICES": "", "PYTHONPATH": src + os.pathsep + os.environ.get("PYTHONPATH", "")}
    run = subprocess.run([sys.executable, "-c", _READ_WITHOUT_GPU, str(tmp_path / "m.pkl"), str(tmp_path / "X.npy"), str(tmp_path / "p.npy")],
                         env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]
    return np.load(tmp_path / "p.npy")


def test_pickled_on_cuda_unpickles_and_predicts_without_a_gpu(fitted, digits, tmp_path):
    _, Xte, _, _ = digits
    got = _read_without_gpu(fitted, Xte, tmp_path)
    assert next(fitted.network_.parameters()).device.type == "cuda"  # the live model stays where it is
    np.testing.assert_allclose(got, fitted.predict_proba(Xte), rtol=0, atol=1e-6)


def test_an_app_pickled_on_cuda_unpickles_without_a_gpu(digits, tmp_path):
    Xtr = digits[0]
    ae = hl.Autoencoder((32,), n_components=4, max_iter=5, random_state=0, device="cuda").fit(Xtr)
    np.testing.assert_allclose(_read_without_gpu(ae, Xtr, tmp_path), ae.score_samples(Xtr), rtol=1e-6, atol=1e-6)


def test_pickled_on_cuda_unpickles_back_on_cuda_and_partial_fit_goes_on(digits):
    import copy
    import pickle

    Xtr, Xte, ytr, _ = digits
    kw = dict(hidden_layer_sizes=(32,), random_state=0, shuffle=False, dtype="float64", device="cuda")
    a = hl.MLPClassifier(**kw).partial_fit(Xtr[:600], ytr[:600], classes=np.arange(10))
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        b = pickle.loads(pickle.dumps(a))
    assert b._device.type == "cuda" and {p.device.type for p in b.network_.parameters()} == {"cuda"}
    assert all(t.device.type == "cuda" for t in (b._optimizer_state["m"], b._optimizer_state["v"]))
    twin = copy.deepcopy(a)  # a deep copy stays on the GPU (copied there, not through the host)
    assert twin._device.type == "cuda" and {p.device.type for p in twin.network_.parameters()} == {"cuda"}
    for model in (a, b):
        model.partial_fit(Xtr[600:], ytr[600:])
    np.testing.assert_allclose(b.predict_proba(Xte), a.predict_proba(Xte), rtol=0, atol=1e-6)


def test_pickling_a_large_gpu_model_does_not_double_gpu_memory(digits):
    import pickle

    Xtr, _, ytr, _ = digits
    big = hl.MLPClassifier(hidden_layer_sizes=(2048, 2048), max_iter=1, random_state=0, device="cuda").fit(Xtr[:256], ytr[:256])
    model_bytes = sum(p.numel() * p.element_size() for p in big.network_.parameters())  # ~17 MB, Adam's moments twice that
    torch.cuda.synchronize()
    before = torch.cuda.memory_allocated()
    torch.cuda.reset_peak_memory_stats()
    data = pickle.dumps(big)
    torch.cuda.synchronize()
    assert torch.cuda.max_memory_allocated() - before < model_bytes // 10  # copied to the host tensor by tensor
    assert len(data) > 3 * model_bytes  # the weights and both moments were written


def test_a_recurrent_app_unpickles_on_cuda_in_cudnns_layout(tmp_path):
    import pickle

    texts = ["good fine great", "bad awful poor", "great good", "poor bad"] * 25
    labels = [1, 0, 1, 0] * 25
    txt = hl.TextClassifier(max_iter=3, random_state=0, device="cuda").fit(texts, labels)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)  # cuDNN's "weights are not contiguous" note included
        back = pickle.loads(pickle.dumps(txt))
        np.testing.assert_allclose(back.predict_proba(texts), txt.predict_proba(texts), rtol=0, atol=1e-6)


@pytest.mark.parametrize("to", ["cpu", "cuda"])
def test_a_warm_call_after_set_params_device_trains_on_the_new_device(digits, to):
    Xtr, Xte, ytr, _ = digits
    kw = dict(hidden_layer_sizes=(32,), random_state=0, shuffle=False, dtype="float64")
    model = hl.MLPClassifier(**kw, device="cpu" if to == "cuda" else "cuda").partial_fit(Xtr[:600], ytr[:600], classes=np.arange(10))
    twin = hl.MLPClassifier(**kw, device=to).partial_fit(Xtr[:600], ytr[:600], classes=np.arange(10))
    model.set_params(device=to).partial_fit(Xtr[600:], ytr[600:])
    twin.partial_fit(Xtr[600:], ytr[600:])
    assert {p.device.type for p in model.network_.parameters()} == {to} and model._device.type == to
    assert all(model._optimizer_state[k].device.type == to for k in ("m", "v"))
    np.testing.assert_allclose(model.predict_proba(Xte), twin.predict_proba(Xte), rtol=0, atol=1e-6)
