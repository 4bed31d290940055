"""Recording hidden activations: hooks, layer selection, shapes, batching, streaming."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest
import torch
from torch import nn

import hiddenlayers as hl
from hiddenlayers.lens import record, recording, select_layers


def _hook_count(module: nn.Module) -> int:
    return sum(len(m._forward_hooks) + len(m._forward_pre_hooks) for m in module.modules())


@pytest.fixture(scope="module")
def clf():
    from sklearn.datasets import load_iris

    X, y = load_iris(return_X_y=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return hl.MLPClassifier((8, 6), max_iter=30, random_state=0).fit(X, y), X


def test_estimator_records_every_hidden_layer_post_and_pre_activation(clf):
    model, X = clf
    acts = record(model, X)
    assert list(acts) == ["hidden1", "hidden2"]
    assert acts["hidden1"].shape == (150, 8) and acts["hidden2"].shape == (150, 6)
    np.testing.assert_allclose(acts["hidden2"], model.transform(X, layer=2), rtol=1e-5, atol=1e-6)
    # pre-activations: relu(z) is the recorded output
    np.testing.assert_allclose(np.maximum(acts.pre["hidden1"], 0), acts["hidden1"], atol=1e-6)
    assert acts.kinds == {"hidden1": "dense", "hidden2": "dense"}
    assert acts.activations["hidden1"] == "relu"


def test_a_recording_shows_its_layers_in_one_line_not_its_arrays(clf):
    """The dataclass's own repr printed every array: ``rec`` in a notebook gave a page of numbers per layer."""
    model, X = clf
    assert repr(record(model, X)) == "Recording(150 rows: hidden1 (150, 8) dense relu, hidden2 (150, 6) dense relu)"
    deep = nn.Sequential(*[nn.Linear(4, 4) for _ in range(10)])
    text = repr(record(deep, X.astype(np.float32), stream=True, sample=5))
    assert text.startswith("Recording(150 rows: 0 (5, 4) dense identity, 1 (5, 4) dense identity,")
    assert text.endswith("7 (5, 4) dense identity, ... 2 more (list(rec) names them))") and "\n" not in text


def test_batched_equals_one_batch_and_streaming_stats_match(clf):
    model, X = clf
    full = record(model, X, batch_size=1000)
    small = record(model, X, batch_size=7)
    np.testing.assert_allclose(full["hidden1"], small["hidden1"], rtol=1e-6)
    streamed = record(model, X, batch_size=16, stream=True, sample=10)
    assert streamed["hidden1"].shape == (10, 8)  # only the sample is kept
    a, b = full.stats["hidden1"], streamed.stats["hidden1"]
    assert b.samples == 150
    np.testing.assert_allclose(a.mean, b.mean, rtol=1e-6)
    np.testing.assert_allclose(a.std, b.std, rtol=1e-5, atol=1e-7)
    assert a.effective_rank == pytest.approx(b.effective_rank, rel=1e-6)


def test_no_hook_left_behind_also_after_error():
    net = nn.Sequential(nn.Linear(4, 5), nn.ReLU(), nn.Linear(5, 2))
    before = _hook_count(net)
    record(net, np.zeros((3, 4), np.float32))
    assert _hook_count(net) == before
    with pytest.raises(RuntimeError):
        with recording(net, nn.Linear) as rec:
            assert _hook_count(net) == before + 3  # one per Linear, and the pre-hook on net that numbers repeated calls
            net(torch.zeros(3, 7))  # wrong width: the forward pass raises inside the block
    assert rec.handles == []
    assert _hook_count(net) == before
    with pytest.raises(ValueError, match=r"in layer '0' \(Linear\), which expects \(\.\.\., 4\)"):
        record(net, np.zeros((3, 7), np.float32))
    assert _hook_count(net) == before


def test_no_match_lists_the_layer_names():
    net = nn.Sequential(nn.Linear(4, 5), nn.ReLU())
    with pytest.raises(ValueError, match=r"matched no layer of Sequential; its layers are: 0 \(Linear\), 1 \(ReLU\)\."):
        select_layers(net, "encoder*")
    with pytest.raises(ValueError, match="matched no layer"):
        select_layers(net, nn.Conv2d)
    with pytest.raises(TypeError, match="layers must be"):
        select_layers(net, 3.5)  # type: ignore[arg-type]


def test_selection_by_pattern_type_list_and_predicate():
    net = nn.Sequential(nn.Linear(4, 5), nn.Tanh(), nn.Linear(5, 3), nn.ReLU(), nn.Dropout(0.1))
    assert list(select_layers(net, None)) == ["0", "1", "2", "3"]  # leaves, dropout skipped
    assert list(select_layers(net, nn.Linear)) == ["0", "2"]
    assert list(select_layers(net, ["1", "3"])) == ["1", "3"]
    assert list(select_layers(net, lambda n, m: isinstance(m, nn.Tanh))) == ["1"]
    acts = record(net, np.ones((5, 4), np.float32), "[13]")
    assert acts.activations == {"1": "tanh", "3": "relu"}


def test_conv_and_recurrent_outputs_give_per_channel_and_per_unit_stats():
    conv = nn.Sequential(nn.Conv2d(1, 3, 3), nn.ReLU(), nn.Flatten(), nn.Linear(3 * 4 * 4, 2))
    acts = record(conv, torch.randn(10, 1, 6, 6), ["0", "1", "3"])
    assert acts["1"].shape == (10, 3, 4, 4) and acts.kinds["1"] == "conv"
    assert acts.stats["1"].units == 3 and acts.stats["1"].samples == 10 * 16
    assert acts.features("1").shape == (10, 3)
    assert acts.units("1").shape == (160, 3)
    assert acts.kinds["3"] == "dense"

    lstm = nn.LSTM(4, 5)  # batch_first=False: its (T, N, U) output is turned into (N, T, U)
    acts = record(lstm, torch.randn(3, 3, 4), batch_size=100)
    # a bare module is its own layer; its rows are dimension 0 of X (here as many as its steps:
    # X given time first, (7, 3, 4), is refused, tests/lens/test_lens_own_modules.py)
    assert acts["lstm"].shape == (3, 3, 5) and acts.kinds["lstm"] == "recurrent"
    assert acts.stats["lstm"].units == 5 and acts.stats["lstm"].samples == 9


def test_errors_for_bad_input(clf):
    model, X = clf
    with pytest.raises(hl.NotFittedError, match="not fitted yet"):
        record(hl.MLPClassifier(), X)
    with pytest.raises(TypeError, match="torch.nn.Module"):
        record(object(), X)
    with pytest.raises(ValueError, match="batch_size must be"):
        record(model, X, batch_size=0)
    with pytest.raises(ValueError, match="0 rows"):
        record(nn.Linear(2, 2), np.zeros((0, 2), np.float32))


def test_layers_not_on_the_forward_path_are_reported():
    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.used, self.unused = nn.Linear(2, 2), nn.Linear(2, 2)

        def forward(self, x):
            return self.used(x)

    with pytest.raises(ValueError, match="unused were selected but never ran"):
        record(Net(), np.zeros((2, 2), np.float32), ["used", "unused"])
    # with no selection (every leaf), a leaf the forward pass never calls is not recorded
    assert list(record(Net(), np.zeros((2, 2), np.float32))) == ["used"]


def test_hl_lens_is_lazy_subpackage():
    """``import hiddenlayers`` loads neither torch nor the lens (a fresh process: it stops there, no torch import to pay);
    the first touch of ``hl.lens`` imports it (the module ``__getattr__``, called here as that touch calls it)."""
    import subprocess
    import sys

    code = "import sys, hiddenlayers as hl; assert 'torch' not in sys.modules and 'hiddenlayers.lens' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)
    lens = hl.__getattr__("lens")
    assert lens is sys.modules["hiddenlayers.lens"] and callable(lens.record) and hl.lens is lens


@pytest.mark.parametrize(("net", "one", "layer", "out"), [
    (lambda: nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.Flatten(), nn.Linear(144, 2)), (1, 8, 8), "0", (4, 6, 6)),
    (lambda: nn.Sequential(nn.Conv1d(2, 3, 3), nn.ReLU()), (2, 7), "0", (3, 5)),
    (lambda: nn.GRU(3, 5, batch_first=True), (6, 3), "", (6, 5)),
])
def test_one_image_or_sequence_without_a_rows_axis_is_refused(net, one, layer, out):
    """One (C, H, W) image to a Conv2d, one (C, L) signal to a Conv1d or one (T, F) sequence to a GRU ran unbatched: channels or steps read as rows."""
    torch.manual_seed(0)
    module = net()
    x = np.random.default_rng(0).normal(size=one).astype(np.float32)
    with pytest.raises(ValueError, match=rf"^X has shape \({one[0]}, .*but layer '{layer}' read it as one example \(output shape "
                                         rf"{re.escape(str(out))}\), not {one[0]} rows of shape .*pass one example as X\[None\]"):
        record(module, x, layers=[layer] if layer else None)
    if not isinstance(module, nn.GRU):  # the batched form records one row
        assert record(module, x[None]).n_rows == 1


def test_one_example_without_a_rows_axis_is_refused_not_cut_into_rows():
    """X[0] of shape (3,) ran through nn.Linear(3, 4) as one example; its (4,) output was cut to 3 'rows' of 1 unit."""
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    x = np.array([0.5, -1.0, 2.0], dtype=np.float32)
    for call in (lambda: record(net, x), lambda: hl.lens.summary(net, x)):
        with pytest.raises(ValueError, match=r"^X has one axis, shape \(3,\), but layer '0' read it as one example \(output shape \(4,\)\), "
                                             r"not 3 rows: pass one example as X.reshape\(1, -1\)"):
            call()
    one = record(net, x.reshape(1, -1))
    np.testing.assert_allclose(one["0"][0], net[0](torch.from_numpy(x)).detach().numpy(), rtol=1e-6)
    square = nn.Sequential(nn.Linear(3, 3), nn.ReLU())  # its (3,) output had 3 'rows': the old check compared widths only
    with pytest.raises(ValueError, match=r"^X has one axis, shape \(3,\), but layer '0' read it as one example \(output shape \(3,\)\), not 3 rows"):
        record(square, x)
    ids = nn.Sequential(nn.Embedding(10, 4), nn.Linear(4, 2))  # ids are rows of one value: still recorded
    rec = record(ids, np.array([1, 2, 3, 4, 5]))
    assert rec["0"].shape == (5, 4) and rec["1"].shape == (5, 2) and rec.n_rows == 5


def test_a_block_ending_in_dropout_has_the_activation_before_it():
    """``Sequential(Linear, ReLU, Dropout)`` recorded as one layer is a ReLU layer (eval-mode dropout keeps every sign);
    before, its last child, the dropout, made its activation unknown: "active" n/a and only constant units counted."""
    torch.manual_seed(0)
    m = nn.Sequential(nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Dropout(0.2)), nn.Linear(4, 1))
    with torch.no_grad():
        m[0][0].bias.copy_(torch.tensor([0.0, -100.0, 0.0, 0.0]))
        m[0][0].weight[2].zero_()  # unit 2: constant 0, also never active
    X = np.random.default_rng(0).normal(size=(50, 3)).astype(np.float32)
    rec = hl.lens.record(m, X, ["0"])
    s = rec.stats["0"]
    assert rec.activations["0"] == "relu" and s.dead_rule == "never active"
    h = torch.relu(m[0][0](torch.from_numpy(X))).detach().numpy()
    np.testing.assert_allclose(s.fraction_active, (h > 0).mean(0))
    assert s.dead.tolist() == [False, True, True, False]
