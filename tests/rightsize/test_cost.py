"""cost(): parameters, FLOPs, memory, latency and energy, checked against hand counts."""

from __future__ import annotations

import copy
import json
import time
import warnings

import numpy as np
import pytest
import torch
from sklearn.datasets import load_iris

import hiddenlayers as hl
from hiddenlayers.network import Network
from hiddenlayers.rightsize import cost
from hiddenlayers.rightsize._energy import _energy_per_call, _EstimateMeter, _Meter, _RaplMeter


@pytest.fixture(scope="module")
def clf() -> hl.MLPClassifier:
    X, y = load_iris(return_X_y=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return hl.MLPClassifier((16, 8), max_iter=5, batch_size=50, random_state=0, engine="autograd").fit(X, y)


def test_counts_match_hand_arithmetic(clf: hl.MLPClassifier) -> None:
    r = cost(clf, n_calls=50, throughput_batch=64, batch_size=10)
    assert [lc.name for lc in r.layers] == ["hidden1", "hidden2", "head"]
    assert [(lc.in_features, lc.out_features) for lc in r.layers] == [(4, 16), (16, 8), (8, 3)]
    assert r.params == clf.n_parameters_ == (4 * 16 + 16) + (16 * 8 + 8) + (8 * 3 + 3)
    # one multiply-add = 2 FLOPs at batch 1
    assert [lc.flops_per_prediction for lc in r.layers] == [2 * 4 * 16, 2 * 16 * 8, 2 * 8 * 3]
    assert r.flops_per_prediction == 2 * (4 * 16 + 16 * 8 + 8 * 3)
    # training step at batch 50: forward + weight grads everywhere, input grads except the first layer
    b = 50
    fwd = 2 * b * (4 * 16 + 16 * 8 + 8 * 3)
    assert r.train_batch_size == b
    assert r.flops_per_train_step == fwd + fwd + 2 * b * (16 * 8 + 8 * 3)
    assert r.weight_bytes == 4 * r.params  # float32
    # what backward keeps at batch 10: the input and each ReLU's output (the head's matrix product saves hidden2's again), not the head's output
    assert r.activation_bytes == 10 * 4 * (4 + 16 + 8)
    assert [lc.activation_bytes for lc in r.layers] == [10 * 4 * (4 + 16), 10 * 4 * 8, 0]
    assert r.epoch_samples == 150


def test_latency_throughput_energy_are_positive_and_json(clf: hl.MLPClassifier) -> None:
    r = cost(clf, n_calls=100, throughput_batch=256)
    assert 0 < r.latency_predict_p50_us <= r.latency_predict_p99_us
    assert 0 < r.latency_forward_p50_us <= r.latency_forward_p99_us
    assert r.throughput_per_s > 0 and r.energy_per_1000_predictions_j > 0 and r.energy_per_epoch_j > 0
    assert all(lc.latency_p50_us > 0 for lc in r.layers)
    assert sum(lc.energy_share for lc in r.layers) == pytest.approx(1.0)
    if not r.energy_measured:
        assert r.energy_method.startswith("ESTIMATE, not a measurement")
    d = json.loads(json.dumps(r.to_dict()))
    assert d["params"] == r.params and len(d["layers"]) == 3


def test_forced_watts_gives_an_estimate_that_says_so(clf: hl.MLPClassifier) -> None:
    r = cost(clf, n_calls=20, throughput_batch=16, watts=5.0, per_layer_latency=False)
    assert not r.energy_measured
    assert "5 W assumed" in r.energy_method and "ESTIMATE" in r.energy_method


def test_table_renders(clf: hl.MLPClassifier) -> None:
    from rich.console import Console

    r = cost(clf, n_calls=20, throughput_batch=16, per_layer_latency=False)
    console = Console(width=200, record=True)
    console.print(r)
    text = console.export_text()
    assert "hidden1" in text and "total" in text and "per 1,000 predictions" in text
    # the per-layer split is the FLOPs share: never shown as a measured energy, even beside a measured total
    assert "est. energy %" in text and "each layer's share of the FLOPs, not measured per layer" in text


def test_bare_network() -> None:
    net = Network(5, "7,3", 2)
    r = cost(net, n_calls=20, throughput_batch=8, per_layer_latency=False)
    assert r.latency_predict_p50_us is None and r.params == 5 * 7 + 7 + 7 * 3 + 3 + 3 * 2 + 2
    assert r.energy_per_epoch_j is None


def test_rapl_meter_reads_and_handles_wraparound(tmp_path) -> None:
    d = tmp_path / "intel-rapl:0"
    d.mkdir()
    (d / "max_energy_range_uj").write_text("1000000\n")
    (d / "energy_uj").write_text("999000\n")
    m = _RaplMeter([str(d / "energy_uj")])
    assert m.measured and "RAPL" in m.method
    (d / "energy_uj").write_text("1000\n")  # wrapped: 1000 uJ to the top, then 1000 more
    assert m.read() == pytest.approx(2000e-6)


def test_estimate_meter_grows_with_time() -> None:
    import torch

    m = _EstimateMeter(torch.device("cpu"), 100.0, "test")
    a = m.read()
    assert m.read() >= a >= 0


class _SteppedMeter(_Meter):
    """A counter that, like NVML's, moves only every ``step`` seconds (by ``joules`` each time)."""

    measured = True

    def __init__(self, step: float, joules: float, min_window_s: float) -> None:
        self.step, self.joules, self.min_window_s = step, joules, min_window_s
        self.t0 = time.perf_counter()

    def read(self) -> float:
        return (time.perf_counter() - self.t0) // self.step * self.joules


def test_energy_of_a_short_span_waits_for_a_stepped_counter() -> None:
    import torch

    calls = []
    meter = _SteppedMeter(step=0.08, joules=2.0, min_window_s=0.05)
    per_call, n, elapsed = _energy_per_call(lambda: calls.append(1), meter, torch.device("cpu"), min_calls=3, min_seconds=0.01)
    assert per_call > 0 and n == len(calls) >= 3 and elapsed >= 0.05  # never 0 J from a counter that had not ticked
    assert per_call * n == pytest.approx(2.0 * (elapsed // 0.08), abs=2.0)


def test_energy_of_a_counter_that_never_moves_ends_and_reads_zero() -> None:
    import torch

    meter = _SteppedMeter(step=1e9, joules=1.0, min_window_s=0.01)
    per_call, n, elapsed = _energy_per_call(lambda: None, meter, torch.device("cpu"), min_calls=1, min_seconds=0.01)
    assert per_call == 0.0 and 0.1 <= elapsed < 2.0 and n >= 1  # gave it ten windows, then stopped


def test_fewer_calls_measure_throughput_and_energy_proportionally_shorter(clf: hl.MLPClassifier, monkeypatch) -> None:
    """n_calls is how much measuring the caller asks for: the large-batch window (0.3 s) and the training steps' (0.2 s)
    are full at the default 2000 calls and proportionally shorter below (they were 0.3 s and 0.2 s at any n_calls)."""
    from hiddenlayers.rightsize import _energy, _measure

    asked: list[tuple[int, float]] = []

    def record(fn, meter, device, *, min_calls: int, min_seconds: float):
        asked.append((min_calls, min_seconds))
        return _energy_per_call(fn, meter, device, min_calls=min_calls, min_seconds=0.0)

    monkeypatch.setattr(_measure, "_energy_per_call", record)
    monkeypatch.setattr(_energy, "_energy_per_call", record)
    cost(clf, n_calls=200, throughput_batch=16, per_layer_latency=False, epoch_samples=125)  # 2 steps of 50 and one of 25
    assert asked == [(3, pytest.approx(0.03)), (2, pytest.approx(0.02)), (1, pytest.approx(0.02))]
    asked.clear()
    cost(clf, n_calls=2000, throughput_batch=16, per_layer_latency=False, epoch_samples=50)
    assert asked == [(3, pytest.approx(0.3)), (1, pytest.approx(0.2))]
    assert _energy.measuring_window(0.3, 10_000) == 0.3  # more calls time latency longer; the windows stay full


def test_the_timed_training_steps_build_no_torch_optimizer(clf: hl.MLPClassifier, monkeypatch) -> None:
    """Building a torch.optim optimizer imports torch._dynamo (about 3 s a process): the energy per epoch's SGD steps write
    the update out, and move the probe's weights as torch.optim.SGD would."""
    from hiddenlayers.rightsize import _energy

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("torch.optim.SGD built")

    net = copy.deepcopy(clf.network_)
    expected = copy.deepcopy(net)
    monkeypatch.setattr(torch.optim, "SGD", refuse)
    r = cost(clf, n_calls=20, throughput_batch=16, per_layer_latency=False)
    assert r.energy_per_epoch_j is not None and r.energy_per_epoch_j > 0
    monkeypatch.undo()
    meter = _energy._EstimateMeter(torch.device("cpu"), None, "test")

    def one_call(fn, meter, device, *, min_calls: int, min_seconds: float) -> tuple[float, int, float]:
        fn()
        return 0.0, 1, 1.0

    monkeypatch.setattr(_energy, "_energy_per_call", one_call)
    torch.manual_seed(0)
    _energy._step_energy(net, 5, True, meter, torch.device("cpu"), torch.float32, min_calls=1, seconds=0.0)
    opt = torch.optim.SGD(expected.parameters(), lr=1e-6)
    torch.manual_seed(0)
    x = torch.randn(5, 4)
    for _ in range(4):  # 3 warm-up steps and the timed one
        opt.zero_grad()
        expected.train()(x).logsumexp(1).sum().backward()
        opt.step()
    assert all(torch.equal(a, b) for a, b in zip(net.state_dict().values(), expected.state_dict().values()))


def test_errors(clf: hl.MLPClassifier) -> None:
    with pytest.raises(hl.NotFittedError, match=r"cost\(\) needs a fitted model: call MLPClassifier.fit"):
        cost(hl.MLPClassifier())
    with pytest.raises(TypeError, match=r"^cost\(\) takes a fitted hiddenlayers estimator or application, a hiddenlayers Network, or a torch\.nn\.Module\. Received: str\.$"):
        cost("model.safetensors")
    from sklearn.neural_network import MLPRegressor as SkMLP

    with warnings.catch_warnings():  # one iteration: ConvergenceWarning
        warnings.simplefilter("ignore")
        fitted = SkMLP(hidden_layer_sizes=(4,), max_iter=1).fit(np.ones((8, 3)), np.ones(8))
    for sk in (SkMLP(), fitted):  # fitted, it was told to call fit first
        with pytest.raises(TypeError, match=r"Received: MLPRegressor from sklearn, not hiddenlayers: fit hl\.MLPRegressor instead \(it takes the same parameters\)\.$"):
            cost(sk)
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    with pytest.raises(hl.NotFittedError, match=r"^cost\(\) needs a fitted model: this Pipeline's steps before MLPClassifier are not fitted yet; "
                                                r"call pipe\.fit\(X, y\) first\.$"):
        cost(make_pipeline(StandardScaler(), clf))  # a fitted model in an (unfitted) Pipeline: no step could transform its rows
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sk_pipe = make_pipeline(StandardScaler(), SkMLP(hidden_layer_sizes=(4,), max_iter=1)).fit(np.ones((8, 3)), np.ones(8))
    with pytest.raises(TypeError, match=r"^cost\(\) takes a fitted hiddenlayers estimator or application, a hiddenlayers Network, or a "
                                        r"torch\.nn\.Module\. Received: Pipeline \(a scikit-learn Pipeline whose last step is MLPRegressor from sklearn"):
        cost(sk_pipe)  # scikit-learn's own MLP at the end: still refused in one line
    with pytest.raises(ValueError, match=r"^X is empty: pass at least one input to time the model on\.$"):
        cost(clf, X=np.zeros((0, 4)), n_calls=10)
    with pytest.raises(ValueError, match="n_calls must be an integer >= 10. Received: n_calls=3"):
        cost(clf, n_calls=3)
    with pytest.raises(ValueError, match="watts must be a positive number"):
        cost(clf, watts=-1)
    with pytest.raises(ValueError, match=r"^train_batch_size must be an integer >= 1, or None for the model's own\. Received: train_batch_size=0\.$"):
        cost(clf, train_batch_size=0)
    with pytest.raises(ValueError, match=r"^epoch_samples must be an integer >= 1, or None for the model's own\. Received: epoch_samples=-5\.$"):
        cost(clf, epoch_samples=-5)
    with pytest.raises(ValueError, match=r"^train_batch_size must be an integer >= 1, or None for the model's own\. Received: train_batch_size=2\.5\.$"):
        cost(clf, train_batch_size=2.5)


def test_regressor() -> None:
    rng = np.random.default_rng(0)
    X = rng.standard_normal((60, 3))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reg = hl.MLPRegressor(hidden_layer_sizes=(4,), max_iter=2, engine="autograd").fit(X, X.sum(1))
    r = cost(reg, n_calls=20, throughput_batch=16, per_layer_latency=False)
    assert r.flops_per_prediction == 2 * (3 * 4 + 4 * 1)


def test_structured_network_conv() -> None:
    net = Network((1, 8, 8), "conv4k3,pool2,16", 3)
    r = cost(net, n_calls=20, throughput_batch=8, per_layer_latency=False, epoch_samples=32)
    assert [lc.name for lc in r.layers] == ["hidden1", "hidden2", "hidden3", "head"]
    assert r.layers[0].out_features == 4 * 6 * 6 and r.layers[0].flops_per_prediction == 2 * 4 * 9 * 36
    assert r.params == sum(p.numel() for p in net.parameters())
    assert r.energy_per_epoch_j is not None and r.energy_per_epoch_j > 0


def test_recurrent_layers_count_their_gate_products() -> None:
    """An LSTM's FLOPs by hand: 4 gates x (input + state) x units per step, 2 per multiply-add (PyTorch's counter saw 0)."""
    net = Network((12, 5), "lstm8,4", 2)
    r = cost(net, n_calls=20, throughput_batch=8, per_layer_latency=False, train_batch_size=4)
    lstm = 2 * 12 * 4 * 8 * (5 + 8)  # 12 steps; 4 gates of 8 units read 5 inputs + 8 state values
    assert [lc.flops_per_prediction for lc in r.layers] == [lstm, 2 * 8 * 4, 2 * 4 * 2]
    assert r.flops_per_prediction == lstm + 2 * (8 * 4 + 4 * 2)
    # a training step of 4 rows: the backward is two products per forward product (the counter's convention)
    assert r.layers[0].flops_per_train_step == 3 * 4 * lstm
    assert r.flops_per_train_step == 3 * 4 * r.flops_per_prediction


@pytest.mark.parametrize("layers, bidirectional", [(1, False), (2, True)])
def test_rnn_flops_agrees_with_torch_where_its_counter_sees_the_products(layers: int, bidirectional: bool) -> None:
    """The GRU runs as plain matrix products PyTorch counts: the hand count must give the same number."""
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    from hiddenlayers.rightsize._cost import rnn_flops

    gru, x = torch.nn.GRU(5, 8, num_layers=layers, bidirectional=bidirectional, batch_first=True), torch.randn(3, 12, 5)
    with FlopCounterMode(display=False) as counter, torch.no_grad():
        gru(x)
    assert counter.get_total_flops() > 0 and rnn_flops(gru, x) == counter.get_total_flops()
    assert rnn_flops(gru, x) == 2 * 3 * 12 * 3 * 8 * (5 + 8) * (2 if bidirectional else 1) + (
        2 * 3 * 12 * 2 * 3 * 8 * (16 + 8) if layers == 2 else 0)


def test_applications_are_measured_on_their_own_inputs() -> None:
    """Images and variable-length sequences: FLOPs from the network, predict timed on X when given."""
    from hiddenlayers.apps import Autoencoder, ImageClassifier, SequenceClassifier

    rng = np.random.default_rng(0)
    images = rng.random((40, 12, 12)).astype(np.float32)
    img = ImageClassifier(hidden_layer_sizes="conv4k3,pool2,8", max_iter=1, random_state=0).fit(images, rng.integers(0, 2, 40))
    r = cost(img, n_calls=20, throughput_batch=32, per_layer_latency=False)
    conv = r.layers[0]
    assert conv.flops_per_prediction == 2 * 4 * 9 * 10 * 10  # 4 channels x 3x3 kernel x 10x10 outputs, multiply-add
    assert r.latency_predict_p50_us is None and any("pass X=" in n for n in r.notes)
    r = cost(img, X=images[:5], n_calls=20, throughput_batch=32, per_layer_latency=False)
    assert r.latency_predict_p50_us is not None and r.latency_predict_p50_us > 0

    seqs = [rng.standard_normal((int(rng.integers(3, 9)), 5)).astype(np.float32) for _ in range(30)]
    seq = SequenceClassifier(hidden_layer_sizes="gru6", max_iter=1, random_state=0).fit(seqs, rng.integers(0, 2, 30))
    r = cost(seq, X=seqs[:4], n_calls=20, throughput_batch=16, per_layer_latency=False)
    assert r.params == sum(p.numel() for p in seq.network_.parameters())
    # no t_ to read an epoch's rows from: the summary left energy per epoch out without a word
    assert r.energy_per_epoch_j is None and "energy per epoch not measured: SequenceClassifier records no rows per epoch; " \
        "pass epoch_samples= (rows per epoch) for it" in r.notes
    assert cost(seq, X=seqs[:4], n_calls=20, throughput_batch=16, per_layer_latency=False, epoch_samples=30).energy_per_epoch_j > 0
    assert r.latency_predict_p50_us is not None and r.flops_per_prediction > 0

    ae = Autoencoder(max_iter=1).fit(rng.random((30, 4)))
    # the way to measure it names the plain-module path, which takes it whole
    with pytest.raises(TypeError, match=r"^cost\(\) measures models built on one hiddenlayers Network; Autoencoder's network is an AutoencoderNet: "
                       r"measure it as a plain module, cost\(model\.network_, example_input=\.\.\.\) .* or pass one of the Networks inside it\.$"):
        cost(ae)
    whole = cost(ae.network_, example_input=rng.random((5, 4)).astype(np.float32), n_calls=20, throughput_batch=16)
    assert whole.params == sum(p.numel() for p in ae.network_.parameters())


def test_print_shows_the_table() -> None:
    """print(hl.cost(model)) shows the per-layer table and the measurements as plain text, no escape codes."""
    import numpy as np

    import hiddenlayers as hl

    rng = np.random.default_rng(0)
    model = hl.MLPClassifier((6,), max_iter=3, random_state=0).fit(rng.random((30, 4)), np.arange(30) % 2)
    text = str(hl.cost(model, n_calls=10))
    assert "hidden1" in text and "head" in text and "total" in text and "raw forward batch 1" in text
    assert "\x1b[" not in text


def test_the_report_says_the_blas_threads_the_latencies_ran_under(clf: hl.MLPClassifier) -> None:
    """predict's NumPy path multiplies with NumPy's BLAS: its thread count is recorded beside PyTorch's, and shown."""
    from threadpoolctl import threadpool_info, threadpool_limits

    if not any(i.get("user_api") == "blas" for i in threadpool_info()):
        pytest.skip("no BLAS library loaded")
    # from 2 BLAS threads (an xdist worker of the suite runs on one, tests/conftest.py), so the limit is what is read
    with threadpool_limits(limits=2, user_api="blas"), threadpool_limits(limits=1, user_api="blas"):
        r = cost(clf, n_calls=20, throughput_batch=16, per_layer_latency=False)
    assert r.blas_threads == 1 and r.to_dict()["blas_threads"] == 1
    assert f"cost on cpu ({r.threads} torch thread(s), 1 BLAS thread(s))" in str(r)


def test_token_ids_count_at_the_dtype_the_network_is_fed() -> None:
    """An embedding network is fed int64 ids (nn.Embedding's default): 8 bytes per input value, not the weights' 4."""
    net = Network(6, "embed4,5", 2, vocab_size=20)
    r = cost(net, n_calls=20, throughput_batch=8, per_layer_latency=False, batch_size=10)
    # the ids the embedding's backward reads (int64), its output the dense layer's product keeps, the ReLU's output
    assert r.activation_bytes == 10 * (8 * 6 + 4 * (6 * 4 + 5))


def test_default_train_step_is_the_fits_own_batch_capped_at_the_epoch() -> None:
    """fit clips batch_size to the rows (sklearn's min(200, n_samples)); L-BFGS steps on the whole epoch."""
    X, y = load_iris(return_X_y=True)  # 150 rows: "auto" means 150, not 200
    hand_fwd = 2 * (4 * 16 + 16 * 8 + 8 * 3)  # FLOPs per row of one forward pass
    hand_bwd = hand_fwd + 2 * (16 * 8 + 8 * 3)  # weight grads everywhere, input grads except the first layer
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        auto = hl.MLPClassifier((16, 8), max_iter=3, random_state=0, engine="autograd").fit(X, y)
        big = hl.MLPClassifier((16, 8), max_iter=3, batch_size=1000, random_state=0, engine="autograd").fit(X, y)
        lbfgs = hl.MLPClassifier((16, 8), solver="lbfgs", max_iter=3, batch_size=10, random_state=0).fit(X, y)
    for model in (auto, big, lbfgs):
        r = cost(model, n_calls=10, throughput_batch=8, per_layer_latency=False)
        assert r.epoch_samples == 150
        assert r.train_batch_size == 150
        assert r.flops_per_train_step == 150 * (hand_fwd + hand_bwd)
    assert cost(auto, n_calls=10, throughput_batch=8, per_layer_latency=False, train_batch_size=200).train_batch_size == 200  # given: kept
    assert cost(auto, n_calls=10, throughput_batch=8, per_layer_latency=False, epoch_samples=1000).train_batch_size == 200


def test_epoch_rows_after_warm_fits_partial_fit_and_prune() -> None:
    """t_ counts the samples of every fit since the model was built, n_iter_ the last fit's epochs alone:
    their ratio read 3 epochs' rows as one after three warm fits (an L-BFGS step on 3x the rows, 3x the FLOPs)."""
    X, y = load_iris(return_X_y=True)
    hand_step = 150 * (2 * 2 * (4 * 16 + 16 * 8 + 8 * 3) + 2 * (16 * 8 + 8 * 3))  # full batch: forward + backward FLOPs
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        lbfgs = hl.MLPClassifier((16, 8), solver="lbfgs", max_iter=3, warm_start=True, random_state=0).fit(X, y)
        lbfgs.fit(X, y)
        lbfgs.fit(X, y)
        streamed = hl.MLPClassifier((16, 8), random_state=0)
        for _ in range(4):
            streamed.partial_fit(X[:50], y[:50], classes=[0, 1, 2])
    assert lbfgs.t_ == 3 * 3 * 150  # three fits of 3 epochs
    r = cost(lbfgs, n_calls=10, throughput_batch=8, per_layer_latency=False)
    assert (r.epoch_samples, r.train_batch_size, r.flops_per_train_step) == (150, 150, hand_step)
    assert cost(streamed, n_calls=10, throughput_batch=8, per_layer_latency=False).epoch_samples == 50  # 4 calls of 50 rows


def test_the_table_says_what_the_flops_count_and_the_training_steps_batch(clf: hl.MLPClassifier) -> None:
    """'FLOPs/step' had no batch and the report no word on what a FLOP is (fvcore/ptflops count a multiply-add as 1)."""
    r = cost(clf, n_calls=10, throughput_batch=8, per_layer_latency=False, train_batch_size=32)
    assert "FLOPs/step@32" in str(r)
    said = r.summary()  # the table's caption
    assert "2 per multiply-add" in said and "activations, normalisation, bias adds and pooling not counted" in said
    assert "training step at batch 32" in said


class _RowMeter(_Meter):
    """A counter of 1 J per row the network is fed (a forward hook adds them): energy exactly proportional to rows."""

    measured = True

    def __init__(self, net: Network) -> None:
        self.rows = 0.0
        net.register_forward_hook(lambda _m, args, _out: setattr(self, "rows", self.rows + args[0].shape[0]))

    def read(self) -> float:
        return self.rows


@pytest.mark.parametrize(("samples", "norm"), [(201, None), (450, None), (201, "batch")])
def test_an_epochs_last_partial_step_is_costed_on_its_own_rows(samples: int, norm: str | None) -> None:
    """201 rows at batch 200 are a step of 200 rows and one of 1: the epoch was costed as two steps of 200 (400 J here)."""
    from hiddenlayers.network import Dense, Spec
    from hiddenlayers.rightsize._energy import _epoch_energy

    torch.manual_seed(0)
    net = Network(4, Spec((Dense(8, norm=norm),)), 3)
    joules = _epoch_energy(net, 200, samples, True, _RowMeter(net), torch.device("cpu"), torch.float32, n_calls=20)
    expected = samples if norm is None or samples % 200 != 1 else samples + 1  # batch norm's last step of 1 row is timed on 2
    assert joules == pytest.approx(expected)


def test_weight_bytes_hold_batch_norms_running_statistics() -> None:
    """predict needs the running mean and variance (and PyTorch keeps a step count): 'weights' counted parameters alone."""
    from hiddenlayers.network import Dense, Spec

    net = Network(4, Spec((Dense(8, norm="batch"), Dense(6))), 3)
    r = cost(net, n_calls=10, throughput_batch=8, per_layer_latency=False)
    params = (4 * 8 + 8 + 2 * 8) + (8 * 6 + 6) + (6 * 3 + 3)  # linear, batch norm's weight and bias; then plain layers
    buffers = 2 * 8 * 4 + 8  # running mean and variance (float32), num_batches_tracked (int64)
    assert r.params == params and r.weight_bytes == 4 * params + buffers
    assert [lc.weight_bytes for lc in r.layers] == [4 * (4 * 8 + 8 + 2 * 8) + buffers, 4 * (8 * 6 + 6), 4 * (6 * 3 + 3)]
    assert r.weight_bytes == sum(b.numel() * b.element_size() for b in (*net.parameters(), *net.buffers()))


def test_the_cpu_estimate_charges_the_cpu_time_run_not_wall_time_x_threads() -> None:
    """Waiting (a sleep here; a thread without a core on a busy machine) used no energy, yet it was charged 10 W per torch thread."""
    import torch

    m = _EstimateMeter(torch.device("cpu"), None, "test")
    start = m.read()
    time.sleep(0.3)
    assert m.read() - start < 0.3 * 10 * 0.2  # a fifth of one busy thread at most (the old estimate: 3 J per thread)
    cpu0, deadline = time.process_time(), time.perf_counter() + 60
    while time.process_time() - cpu0 < 0.1 and time.perf_counter() < deadline:  # 0.1 s of one busy thread, however shared its core
        pass
    assert m.read() - start >= 0.1 * 10  # what ran is charged
    assert "CPU time of this process" in m.method and "10 W assumed per busy CPU thread" in m.method
    given = _EstimateMeter(torch.device("cpu"), 5.0, "test")  # watts= given: that power for the wall time, as documented
    assert "measured wall time x 5 W assumed" in given.method


def test_repr_is_one_short_line_and_print_shows_the_table(clf: hl.MLPClassifier) -> None:
    """`hl.cost(clf)` ending a REPL line printed every field and layer on one line (kilobytes); print() keeps the table."""
    report = cost(clf, n_calls=20, throughput_batch=64)
    line = repr(report)
    assert "\n" not in line and len(line) < 250
    assert line.startswith(f"CostReport({len(report.layers)} layers, params={report.params:,}, flops_per_prediction={report.flops_per_prediction:,}")
    assert "hidden1" in str(report) and "total" in str(report)  # the table, unchanged


def test_a_pipelines_step_names_print_as_given(clf: hl.MLPClassifier) -> None:
    """The table's title names the user's Pipeline steps: Rich read '[bold] scale' as markup in print() and on a user's
    console, and a step '[/blue] mlp' raised MarkupError there."""
    from rich.console import Console
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    X, y = load_iris(return_X_y=True)
    pipe = Pipeline([("[bold] scale", StandardScaler().fit(X)), ("[/blue] mlp", clf)])
    r = cost(pipe, n_calls=20, throughput_batch=16, per_layer_latency=False)
    console = Console(width=300, record=True)  # markup on, as a notebook's or rich.print's console
    console.print(r)
    for text in (str(r), console.export_text()):
        assert "cost of Pipeline([bold] scale: StandardScaler, [/blue] mlp: MLPClassifier) on cpu" in " ".join(text.split())


def test_the_latency_note_says_a_table_mlps_predict_runs_on_numpy(clf: hl.MLPClassifier) -> None:
    # "batch-1 latency includes Python call overhead" alone read as predict = the forward plus overhead, where predict
    # ran the NumPy copy of the weights and was the faster (digits' 32,16 MLP: 41 µs against the forward's 105 µs)
    r = cost(clf, n_calls=10, throughput_batch=16, per_layer_latency=False)
    assert any(n.startswith("batch-1 predict() runs the MLP's NumPy copy of its weights (no PyTorch op overhead)") for n in r.notes)
    bare = cost(clf.network_, n_calls=10, throughput_batch=16, per_layer_latency=False)  # no predict: the forward alone
    assert "batch-1 latency includes Python call overhead; the raw forward is the PyTorch module alone" in bare.notes
