"""``shape_only_recurrence()``: while torch's exporter traces, an LSTM/GRU on fake tensors gives its output shapes without running its steps.

Why: the exporter keeps ``aten.lstm.input`` and ``aten.gru.input`` as single
operators (onnxscript's torchlib writes each as one ONNX ``LSTM``/``GRU`` node),
but every pass that needs an operator's output shape (torch.export's capture,
the type-promotion pass, ``run_decompositions``) gets it by running PyTorch's
Python decomposition of the layer (``torch/_decomp/decompositions.py``:
``lstm_impl``/``gru_impl``, through ``_rnn_helper``) on fake tensors, one
cell per step, direction and layer, and again in each pass. The result is
only a shape, yet it cost most of a recurrent export and grew with the steps
traced: a bidirectional ``gru16:bi:seq,gap`` SequenceClassifier fitted on
60-step sequences took ~20 s to export, ~3 s without it
(``benchmarks/bench_export_recurrent.py``).

Inside the block the two operators' Python kernels (the CompositeImplicitAutograd
and Autograd ``py_kernels`` and the decomposition table's entry) answer a call
on fake tensors (shape and dtype only) with empty outputs of the
shapes, dtypes and strides the decomposition gives; a call with real tensors
still runs the kernel as it was (bit-identical results). The operators stay whole
in the graph (torchlib translates both), so the ONNX file is the one torch's own
path writes; each export is checked against PyTorch on real rows anyway. The
swap is held under a lock, and restored (with the operators' dispatch caches
emptied) when the block ends, even on error.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from typing import Any

_LOCK = threading.RLock()


def recurrent_ops() -> tuple[Any, ...]:
    """The operators this module answers with shapes: ``aten.lstm.input`` and ``aten.gru.input`` (``nn.LSTM``/``nn.GRU`` on a padded tensor)."""
    import torch

    return (torch.ops.aten.lstm.input, torch.ops.aten.gru.input)


def fake_outputs(input: Any, hx: Any, bidirectional: bool, batch_first: bool) -> tuple[Any, ...]:
    """Empty fake tensors shaped as the layer's outputs: ``(output, *states)``.

    ``input``: ``(batch, steps, features)`` if ``batch_first`` else ``(steps, batch, features)``;
    ``hx``: the initial state, ``(layers * directions, batch, units)`` (LSTM: a pair, hidden then cell state);
    ``bidirectional``: two directions, so ``output``'s last axis is ``2 * units``.
    At least one of ``input`` and ``hx`` is a FakeTensor (a real one among them, e.g. a constant state, is only read for its
    shape). Returns ``output`` (``input``'s layout and dtype, strides as PyTorch's decomposition leaves them: steps-major
    memory) and one tensor shaped as each state in ``hx``.
    """
    from torch._subclasses.fake_tensor import FakeTensor

    states = list(hx) if isinstance(hx, (list, tuple)) else [hx]
    base = next(t for t in (input, *states) if isinstance(t, FakeTensor))  # its fake mode makes the outputs
    steps, batch = (input.shape[1], input.shape[0]) if batch_first else (input.shape[0], input.shape[1])
    directions = 2 if bidirectional else 1
    out = base.new_empty((steps, batch, directions * states[0].shape[2]), dtype=input.dtype)
    return (out.transpose(0, 1) if batch_first else out, *[base.new_empty(s.shape, dtype=s.dtype) for s in states])


def _any_fake(*args: Any) -> bool:
    """Whether ``input`` or a state among ``args`` is a FakeTensor (then the call is shape propagation: its outputs are fake too)."""
    from torch._subclasses.fake_tensor import FakeTensor
    from torch.utils._pytree import tree_leaves

    return any(isinstance(t, FakeTensor) for t in tree_leaves(args))


def _shape_only(kernel: Callable[..., Any]) -> Callable[..., Any]:
    """``kernel`` (an ``aten.lstm.input``/``aten.gru.input`` implementation), answering fake tensors with :func:`fake_outputs`."""

    def shapes_for_fakes(input: Any, hx: Any, params: Any, has_biases: bool, num_layers: int, dropout: float, train: bool,
                         bidirectional: bool, batch_first: bool) -> Any:
        if not _any_fake(input, hx):
            return kernel(input, hx, params, has_biases, num_layers, dropout, train, bidirectional, batch_first)
        return fake_outputs(input, hx, bidirectional, batch_first)

    shapes_for_fakes.wrapped = kernel  # type: ignore[attr-defined]
    return shapes_for_fakes


@contextlib.contextmanager
def shape_only_recurrence() -> Iterator[None]:
    """Run the body (an ONNX export) with LSTM/GRU kernels that answer fake tensors with shapes (see the module's note)."""
    from torch._C import DispatchKey
    from torch._decomp import decomposition_table

    keys = (DispatchKey.CompositeImplicitAutograd, DispatchKey.Autograd)
    with _LOCK:
        saved = [(op, {k: op.py_kernels[k] for k in keys if k in op.py_kernels}, decomposition_table.get(op)) for op in recurrent_ops()]
        try:
            for op, kernels, decomposition in saved:
                for key, kernel in kernels.items():
                    op.py_kernels[key] = _shape_only(kernel)
                if decomposition is not None:
                    decomposition_table[op] = _shape_only(decomposition)
                op._dispatch_cache.clear()  # the memo of resolved kernels (see _fresh_dispatch)
            yield
        finally:
            for op, kernels, decomposition in saved:
                op.py_kernels.update(kernels)
                if decomposition is not None:
                    decomposition_table[op] = decomposition
                op._dispatch_cache.clear()


__all__ = ["fake_outputs", "recurrent_ops", "shape_only_recurrence"]
