"""``fresh_dispatch()``: run one ONNX export with PyTorch's Python-dispatch caches empty, so no export depends on an earlier one.

Why: for a dynamic axis, ``torch.onnx.export`` swaps the LSTM/GRU kernel
(``aten.lstm.input``/``aten.gru.input``) for a ``while_loop`` one by writing
``op.py_kernels`` directly (``torch/export/_patches.py``,
``_register_rnn_while_loop_decomposition``), without clearing the operator's
memo of resolved kernels, ``OpOverload._dispatch_cache`` (``torch/_ops.py``,
filled by ``_get_dispatch``; ``py_impl`` and ``torch/export/exported_program.py``
clear it when they change kernels, this patch does not). The previous
export's "Run decompositions" step, outside the patch, caches the unrolled
kernel (``torch/_decomp/decompositions.py``: ``gru_impl``/``lstm_impl``) under
``AutogradCPU``, so every later export in the process traces the recurrent
output with the sample's concrete step count: a bidirectional
SequenceClassifier's later graphs bake ``arange(12)`` in (wrong outputs, or
onnxruntime's "GatherElements ... Out of range", at other step counts).

Emptying every cached operator's memo before the export (and after, so the
kernel the export cached does not leak into the caller's own tracing) gives
each export the state of a fresh process; the memo is only a cache, refilled
on the next call.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator


def clear_dispatch_caches() -> int:
    """Empty ``_dispatch_cache`` of every operator PyTorch has cached a Python-dispatch kernel for; returns how many were cleared."""
    import torch._ops as ops

    cached = list(getattr(ops, "get_cached_ops", lambda: ())())
    for op in cached:
        cache = getattr(op, "_dispatch_cache", None)
        if cache is not None:
            cache.clear()
    return len(cached)


@contextlib.contextmanager
def fresh_dispatch() -> Iterator[None]:
    """Run the body (one ``torch.onnx.export``) from empty dispatch caches, and leave them empty afterwards, even on error."""
    clear_dispatch_caches()
    try:
        yield
    finally:
        clear_dispatch_caches()


__all__ = ["clear_dispatch_caches", "fresh_dispatch"]
