"""The graph that :func:`hiddenlayers.export_onnx` writes: preprocessing + network in one module.

:func:`_exportable` wraps a network with the table preprocessing (median fill,
missing indicators, standardisation) and its output activation so it traces to
ONNX (a scaled regressor's ``out * scale + mean`` last); :func:`_add_string_inputs` then replaces the one-hot input by string columns.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..exceptions import DataError

_FEATURES = "_hl_features"  # the traced graph's float input, before _add_string_inputs replaces it


def _columns(model: Any) -> list[dict[str, Any]] | None:
    """The stored table preprocessing's column dicts, in order (``None`` when the model has none)."""
    pre = getattr(model, "preprocessing_", None)
    if pre is None:
        return None
    if not isinstance(pre, dict) or pre.get("kind") != "table" or not isinstance(pre.get("columns"), list):
        raise DataError("the model's preprocessing_ is not a table preprocessing dict (TablePreprocessor.to_dict()): refit or export with include_preprocessing=False.")
    from ..data import TablePreprocessor

    return [dict(c) for c in TablePreprocessor.from_dict(pre).columns]


def _width(c: dict[str, Any]) -> int:
    """Matrix columns of one preprocessing column."""
    if c["kind"] == "numeric":
        return 1 + int(bool(c["missing_indicator"]))
    return len(c["categories"]) + int(bool(c["other"])) + int(bool(c["missing_indicator"]))


def _exportable(network: Any, out_activation: str, binary: bool, columns: list[dict[str, Any]] | None,
                target: tuple[Any, Any] | None = None) -> Any:
    """Preprocessing + network + output activation (+ the regressor's target scaling) as one traceable module.

    ``target``: ``(target_mean_, target_scale_)`` of an ``MLPRegressor(scale_target=True)``, each
    ``(n_outputs,)``: the graph ends with ``out * scale + mean`` (one Mul and one Add), so it predicts in y's units.

    Input: ``(N, n_numeric + n_onehot)`` in the network's float type (float32, or float64 for a
    ``dtype="float64"`` model, whose graph computes and answers in float64), the raw numeric columns (NaN
    = missing) then the one-hot blocks of the categorical columns (which the
    ONNX graph builds from strings, see :func:`_add_string_inputs`); without
    ``columns``, the matrix the network reads.
    """
    import torch
    from torch import Tensor, nn

    numeric = [c for c in columns or [] if c["kind"] == "numeric"]
    dt = next(network.parameters()).dtype  # the graph's float type, input to output

    class _Exportable(nn.Module):
        fill: Tensor
        mean: Tensor
        scale: Tensor
        target_mean: Tensor
        target_scale: Tensor

        def __init__(self) -> None:
            super().__init__()
            self.network = network
            if numeric:
                self.register_buffer("fill", torch.tensor([c["fill"] for c in numeric], dtype=dt))
                self.register_buffer("mean", torch.tensor([c["mean"] for c in numeric], dtype=dt))
                self.register_buffer("scale", torch.tensor([c["scale"] for c in numeric], dtype=dt))
            if target is not None:  # in the network's dtype, where the head's output is
                self.register_buffer("target_mean", torch.as_tensor(np.asarray(target[0], dtype=np.float64)).to(dt))
                self.register_buffer("target_scale", torch.as_tensor(np.asarray(target[1], dtype=np.float64)).to(dt))

        def forward(self, x: Tensor) -> Tensor:
            if columns is not None:
                n_num = len(numeric)
                if n_num:
                    raw = x[:, :n_num]
                    isnan = torch.isnan(raw)  # (N, n_numeric)
                    z = (torch.where(isnan, self.fill, raw) - self.mean) / self.scale
                parts, i, off = [], 0, n_num
                for c in columns:  # in the preprocessing's column order
                    if c["kind"] == "numeric":
                        parts.append(z[:, i : i + 1])
                        if c["missing_indicator"]:
                            parts.append(isnan[:, i : i + 1].to(z.dtype))
                        i += 1
                    else:
                        w = _width(c)
                        parts.append(x[:, off : off + w])
                        off += w
                x = torch.cat(parts, dim=1) if len(parts) > 1 else parts[0]
            out = self.network(x.to(dt))
            if out_activation == "softmax":
                out = torch.softmax(out, dim=1)
            elif out_activation == "logistic":
                out = torch.sigmoid(out)
                if binary:
                    out = torch.cat([1.0 - out, out], dim=1)
            elif out_activation == "exp":
                out = torch.exp(out)
            if target is not None:
                out = out * self.target_scale + self.target_mean
            return out.to(dt)

    return _Exportable().eval()


def _add_string_inputs(proto: Any, columns: list[dict[str, Any]], token: str, double: bool = False) -> None:
    """Replace the graph input ``_hl_features`` by ``X`` (numeric, float) and ``C`` (categorical, string).

    ``double``: the graph computes in float64, so ``X`` and the one-hot blocks are float64 (else float32).

    Per categorical column: its text -> ``LabelEncoder`` (category -> one-hot
    position; unseen -> ``<other>`` or nowhere; ``token`` -> ``<missing>`` or
    nowhere) -> ``Equal`` against ``0..width-1`` -> float one-hot block.
    """
    from onnx import TensorProto, helper

    real = TensorProto.DOUBLE if double else TensorProto.FLOAT
    g = proto.graph
    feat = next(i for i in g.input if i.name == _FEATURES)
    g.input.remove(feat)
    numeric = [c for c in columns if c["kind"] == "numeric"]
    cats = [c for c in columns if c["kind"] != "numeric"]
    if numeric:
        g.input.append(helper.make_tensor_value_info("X", real, ["batch", len(numeric)]))
    g.input.append(helper.make_tensor_value_info("C", TensorProto.STRING, ["batch", len(cats)]))
    nodes, blocks = [], ["X"] if numeric else []
    for j, c in enumerate(cats):
        k, w = len(c["categories"]), _width(c)
        keys, values = [str(v) for v in c["categories"]], list(range(k))
        if token not in keys:  # missing text: its indicator column, else no column
            keys.append(token)
            values.append(w - 1 if c["missing_indicator"] else w)
        p = f"_hl_cat{j}"
        nodes += [
            helper.make_node("Constant", [], [f"{p}_col"], value=helper.make_tensor(f"{p}_colv", TensorProto.INT64, [1], [j])),
            helper.make_node("Gather", ["C", f"{p}_col"], [f"{p}_text"], axis=1),  # (N, 1) string
            helper.make_node("LabelEncoder", [f"{p}_text"], [f"{p}_code"], domain="ai.onnx.ml", keys_strings=keys,
                             values_int64s=values, default_int64=k if c["other"] else w),  # (N, 1) int64
            helper.make_node("Constant", [], [f"{p}_range"], value=helper.make_tensor(f"{p}_rangev", TensorProto.INT64, [w], list(range(w)))),
            helper.make_node("Equal", [f"{p}_code", f"{p}_range"], [f"{p}_hot"]),  # (N, w) bool
            helper.make_node("Cast", [f"{p}_hot"], [f"{p}_block"], to=real),
        ]
        blocks.append(f"{p}_block")
    nodes.append(helper.make_node("Concat", blocks, [_FEATURES], axis=1))
    old = list(g.node)
    del g.node[:]
    g.node.extend(nodes + old)
    ml = [o for o in proto.opset_import if o.domain == "ai.onnx.ml"]
    if ml:
        ml[0].version = max(ml[0].version, 2)  # LabelEncoder's string -> int64 form starts at version 2
    else:
        proto.opset_import.append(helper.make_opsetid("ai.onnx.ml", 2))


def _cpu_copy(network: Any) -> Any:
    """A CPU copy in eval mode to trace, so the user's network keeps its device and mode."""
    import copy

    return copy.deepcopy(network).to(device="cpu").eval()
