"""``reused_registry()``: the ONNX exports of one process build PyTorch's torchlib registry once per opset, not once each.

Why: every ``torch.onnx.export`` builds an ``ONNXRegistry`` from scratch
(``torch/onnx/_internal/exporter/_compat.py`` calls
``ONNXRegistry.from_torchlib``): it walks onnxscript's ~1,000 torchlib
functions, resolves each one's ATen overload and infers its signature: 0.6-1.1 s
of CPU per export (torch 2.13, one thread; a small MLP's whole export 1.57 s
against 0.70 s reused, ``benchmarks/bench_export_registry.py``), the same work
with the same result every time. Within :func:`reused_registry` that class method hands out a
copy of the registry it built first for the opset asked (a new registry object
with its own per-operator lists, so a caller's ``register_op``, e.g. torch's
``custom_translation_table``, changes that copy only); the torchlib functions and
their metadata, which no export changes, are shared as a fresh build shares
onnxscript's. Outside the block, and on a torch without this class method, torch
runs as it ships. The patch is held under a lock, so two threads' exports do not
restore each other's class method mid-export.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from typing import Any

_LOCK = threading.RLock()
_BUILT: dict[tuple[type, Any], Any] = {}


def _registration_module() -> Any:
    """torch's exporter registry module, or None when this torch has none with a ``from_torchlib`` class method."""
    try:
        from torch.onnx._internal.exporter import _registration
    except ImportError:  # pragma: no cover - an older torch: nothing to reuse
        return None
    cls = getattr(_registration, "ONNXRegistry", None)
    return _registration if cls is not None and isinstance(cls.__dict__.get("from_torchlib"), classmethod) else None


def _copy(registry: Any) -> Any:
    """A new registry of ``registry``'s class with its opset and its own lists of the same (unchanged) decompositions."""
    out = type(registry)()
    out._opset_version = registry._opset_version
    out.functions = {target: list(decomps) for target, decomps in registry.functions.items()}
    return out


@contextlib.contextmanager
def reused_registry() -> Iterator[None]:
    """Run the body (ONNX exports) with ``ONNXRegistry.from_torchlib`` giving copies of one registry built per class and opset."""
    module = _registration_module()
    if module is None:
        yield
        return
    cls = module.ONNXRegistry
    with _LOCK:
        original = cls.__dict__["from_torchlib"]
        build = original.__func__

        def from_torchlib(owner: type, *args: Any, **kwargs: Any) -> Any:
            key = (owner, (args, tuple(sorted(kwargs.items()))))
            if key not in _BUILT:
                _BUILT[key] = build(owner, *args, **kwargs)
            return _copy(_BUILT[key])

        cls.from_torchlib = classmethod(from_torchlib)
        try:
            yield
        finally:
            cls.from_torchlib = original


__all__ = ["reused_registry"]
