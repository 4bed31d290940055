"""shape_only_recurrence: LSTM/GRU shapes without PyTorch's step-by-step decomposition, the same ONNX graph."""

from __future__ import annotations

import contextlib

import numpy as np
import onnx
import pytest
import torch
from onnx import numpy_helper
from torch._C import DispatchKey
from torch._decomp import decomposition_table
from torch._subclasses.fake_tensor import FakeTensor, FakeTensorMode

import hiddenlayers as hl
from hiddenlayers.ship import _export
from hiddenlayers.ship._rnn_shapes import fake_outputs, recurrent_ops, shape_only_recurrence

KEYS = (DispatchKey.CompositeImplicitAutograd, DispatchKey.Autograd)


def _kernels() -> list[tuple[object, ...]]:
    return [(*(op.py_kernels.get(k) for k in KEYS), decomposition_table.get(op)) for op in recurrent_ops()]


def test_torchlib_translates_lstm_and_gru_whole() -> None:
    # the premise: the exporter keeps both operators whole, so their decomposition only ever gave shapes
    from torch.onnx._internal.exporter._registration import ONNXRegistry

    registry = ONNXRegistry.from_torchlib(18)
    assert all(registry.is_registered(op) for op in recurrent_ops())


def _rnn_args(cell: str, batch_first: bool, bidirectional: bool, layers: int) -> tuple[torch.nn.Module, tuple[object, ...]]:
    torch.manual_seed(0)
    rnn = (torch.nn.LSTM if cell == "lstm" else torch.nn.GRU)(3, 5, num_layers=layers, bidirectional=bidirectional, batch_first=batch_first)
    x = torch.randn(2, 7, 3) if batch_first else torch.randn(7, 2, 3)
    h = torch.randn(layers * (2 if bidirectional else 1), 2, 5)
    hx = (h, torch.randn_like(h)) if cell == "lstm" else h
    return rnn, (x, hx, list(rnn._flat_weights), True, layers, 0.0, False, bidirectional, batch_first)


CASES = [(cell, bf, bi, layers) for cell in ("lstm", "gru") for bf in (True, False) for bi in (False, True) for layers in (1, 2)]


@pytest.mark.parametrize("cell,batch_first,bidirectional,layers", CASES)
def test_fake_outputs_have_the_decompositions_shapes_dtypes_and_strides(cell: str, batch_first: bool, bidirectional: bool, layers: int) -> None:
    rnn, args = _rnn_args(cell, batch_first, bidirectional, layers)
    op = recurrent_ops()[0 if cell == "lstm" else 1]
    with FakeTensorMode(allow_non_fake_inputs=True) as mode:
        fake = [mode.from_tensor(a) if isinstance(a, torch.Tensor) else a for a in args[:2]]
        fake[1] = tuple(mode.from_tensor(t) for t in args[1]) if cell == "lstm" else mode.from_tensor(args[1])
        expected = decomposition_table[op](fake[0], fake[1], [mode.from_tensor(p) for p in args[2]], *args[3:])
        got = fake_outputs(fake[0], fake[1], bidirectional, batch_first)
    assert len(got) == len(expected) == (3 if cell == "lstm" else 2)
    for g, e in zip(got, expected):
        assert isinstance(g, FakeTensor)
        assert (g.shape, g.dtype, g.stride()) == (e.shape, e.dtype, e.stride())


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_real_tensors_still_run_the_kernel(cell: str) -> None:
    rnn, args = _rnn_args(cell, True, True, 2)
    op = recurrent_ops()[0 if cell == "lstm" else 1]
    before = [t.clone() for t in op.py_kernels[DispatchKey.CompositeImplicitAutograd](*args)]
    with shape_only_recurrence():
        inside = op.py_kernels[DispatchKey.CompositeImplicitAutograd](*args)
        eager = rnn(args[0], args[1])[0]
    assert all(torch.equal(a, b) for a, b in zip(before, inside))
    assert torch.equal(eager, rnn(args[0], args[1])[0])


def test_the_kernels_are_put_back_even_on_error() -> None:
    before = _kernels()
    with pytest.raises(RuntimeError, match="inside"), shape_only_recurrence():
        assert _kernels() != before  # swapped while the block runs
        raise RuntimeError("inside")
    assert _kernels() == before


@pytest.fixture(scope="module")
def fixed_step_gru() -> hl.SequenceClassifier:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(24, 6, 2)).astype(np.float32)
    return hl.SequenceClassifier(hidden_layer_sizes="gru3:bi:seq,gap", max_iter=1, random_state=0).fit(X, np.arange(24) % 2)


def _graph(path: object) -> tuple[list[object], dict[str, np.ndarray]]:
    """The graph's nodes (operator, attributes) in order and its initializers: what does not depend on node names."""
    model = onnx.load(str(path))
    nodes = [(n.op_type, sorted((a.name, str(onnx.helper.get_attribute_value(a))) for a in n.attribute)) for n in model.graph.node]
    return nodes, {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}


def test_a_recurrent_export_decomposes_no_step_and_writes_torchs_graph(fixed_step_gru: hl.SequenceClassifier, tmp_path: object,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    import torch._decomp.decompositions as decompositions
    import torch.export._patches  # noqa: F401  (first: its while_loop kernels, traced once per layer whatever the steps, bind the helper unpatched)

    calls = []
    helper = decompositions._rnn_helper

    def counted(*args: object, **kwargs: object) -> object:
        calls.append(1)
        return helper(*args, **kwargs)

    monkeypatch.setattr(decompositions, "_rnn_helper", counted)
    hl.export_onnx(fixed_step_gru, tmp_path / "fast.onnx")  # type: ignore[operator]
    assert calls == []  # torch's own path ran the step-by-step decomposition 4 times (2 directions x 2 passes)
    monkeypatch.setattr(_export, "shape_only_recurrence", contextlib.nullcontext)
    hl.export_onnx(fixed_step_gru, tmp_path / "torch.onnx")  # type: ignore[operator]
    assert calls  # the comparison ran torch's own path
    (fast_nodes, fast_weights), (torch_nodes, torch_weights) = _graph(tmp_path / "fast.onnx"), _graph(tmp_path / "torch.onnx")  # type: ignore[operator]
    assert fast_nodes == torch_nodes and "GRU" in [n[0] for n in fast_nodes]
    assert fast_weights.keys() == torch_weights.keys()
    assert all(np.array_equal(fast_weights[k], torch_weights[k]) for k in fast_weights)

