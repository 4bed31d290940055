"""The ONNX exports of one process build torch's torchlib registry once per opset (ship/_torchlib_registry)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

pytest.importorskip("onnxruntime")
registration = pytest.importorskip("torch.onnx._internal.exporter._registration")

import hiddenlayers as hl  # noqa: E402
from hiddenlayers.ship._torchlib_registry import reused_registry  # noqa: E402

REGISTRY = registration.ONNXRegistry


def _spy(monkeypatch: pytest.MonkeyPatch) -> list[tuple]:
    """Count the real builds: wrap the class method torch ships (the block swaps in its own around it)."""
    built: list[tuple] = []
    build = REGISTRY.__dict__["from_torchlib"].__func__

    def counted(cls: type, *args: object, **kwargs: object) -> object:
        built.append((args, kwargs))
        return build(cls, *args, **kwargs)

    monkeypatch.setattr(REGISTRY, "from_torchlib", classmethod(counted))
    monkeypatch.setattr("hiddenlayers.ship._torchlib_registry._BUILT", {})
    return built


@pytest.mark.filterwarnings("ignore:.*Maximum iterations")
def test_exports_in_one_process_build_the_registry_once_and_write_the_same_graph(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    built = _spy(monkeypatch)
    X = np.random.default_rng(0).normal(size=(40, 3))
    clf = hl.MLPClassifier(hidden_layer_sizes=(4,), max_iter=5, random_state=0).fit(X, (X[:, 0] > 0).astype(int))
    clf.network_.hidden1.act = torch.nn.Hardswish()  # no form in ship/_dense_graph: exported by torch's exporter, as apps are
    for name in ("a.onnx", "b.onnx"):
        assert hl.export_onnx(clf, tmp_path / name).max_abs_diff < 1e-4
    assert len(built) == 1  # before: one build per export
    assert (tmp_path / "a.onnx").read_bytes() == (tmp_path / "b.onnx").read_bytes()
    assert REGISTRY.__dict__["from_torchlib"].__func__.__name__ == "counted"  # torch's own method is back after each export


def test_each_caller_gets_its_own_copy_equal_to_a_fresh_build(monkeypatch: pytest.MonkeyPatch) -> None:
    built = _spy(monkeypatch)
    fresh = REGISTRY.from_torchlib(opset_version=18)
    with reused_registry():
        first = REGISTRY().from_torchlib(opset_version=18)  # as torch.onnx.export calls it
        target = next(iter(first.functions))
        first.functions[target].clear()  # what register_op on a caller's registry may do to a list
        first.functions["custom::op"] = []
        second = REGISTRY().from_torchlib(opset_version=18)
    assert len(built) == 2  # the fresh one above and one inside the block
    assert second is not first and second.opset_version == fresh.opset_version == 18
    assert second.functions.keys() == fresh.functions.keys() and "custom::op" not in second.functions
    assert all(second.functions[k] == fresh.functions[k] for k in fresh.functions)  # the same decompositions, none lost


def test_the_class_method_is_restored_when_the_body_raises(monkeypatch: pytest.MonkeyPatch) -> None:
    _spy(monkeypatch)
    before = REGISTRY.__dict__["from_torchlib"]
    with pytest.raises(RuntimeError, match="boom"), reused_registry():
        assert REGISTRY.__dict__["from_torchlib"] is not before
        raise RuntimeError("boom")
    assert REGISTRY.__dict__["from_torchlib"] is before
