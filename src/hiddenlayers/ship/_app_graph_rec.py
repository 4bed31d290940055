"""The ONNX graph of a :class:`~hiddenlayers.apps.Recommender`: raw user and item ids in, ratings out.

Inputs ``users`` and ``items``, each ``(batch,)``: the raw ids, ``int64``
when the side was fitted on whole numbers, ``string`` when on text. Two
ONNX-ML ``LabelEncoder`` nodes (domain ``ai.onnx.ml``) map them to the
fitted codes, ``-1`` for an id not seen in fit; PyTorch's exporter cannot
write that lookup, so it is added to the exported graph with
``onnx.helper``. Output ``predictions`` ``(batch,)`` = ``predict``: the
network for known pairs, and for a pair with an unknown side the global mean
plus the known side's bias (``clip`` applied to both), as the app does.
The metadata key :data:`IDS_KEY` lists the ids seen in fit, so a server can say which rows had an unseen id.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from ._app_base import APP_INPUT_KEY, AppGraph, base_metadata, cpu_network

_ML_DOMAIN, _ML_OPSET = "ai.onnx.ml", 2  # LabelEncoder-2: int64 or string keys, int64 values, a default
IDS_KEY = "recommender_ids"  # metadata: JSON {"users": [...], "items": [...]}, the ids seen in fit in code order (the server's unseen list)


def _key_type(side: str, fitted: Any) -> str:
    """``"int64"`` or ``"string"``: the ONNX type of a side's raw ids, from the ids seen in fit; mixed ids are refused."""
    import pandas as pd

    kind = pd.api.types.infer_dtype(fitted, skipna=False)
    if kind in ("integer", "floating", "mixed-integer-float", "boolean"):  # float ids are whole numbers (checked in fit)
        return "int64"
    if kind == "string":
        return "string"
    raise ValueError(f"export_onnx() needs each side's ids to be all numbers or all strings, but the {side} ids seen in fit are {kind} "
                     f"(first: {fitted[0]!r}): refit with ids of one type, e.g. X[col].astype(str).")


def _raw_ids(side: str, ids: Any, key_type: str) -> np.ndarray:
    """The ONNX feed of one side's ids: int64, or an object array of ``str``; a one-line error when they cannot be that type."""
    ids = np.asarray(ids)
    if key_type == "string":
        if ids.dtype.kind not in "OUS" or not all(isinstance(v, str) for v in ids.tolist()):
            raise ValueError(f"X's {side} ids must be strings, as in fit (the ONNX input {side}s is a string tensor). Received dtype {ids.dtype}.")
        return ids.astype(object)
    try:
        out = ids.astype(np.int64)
    except (TypeError, ValueError):
        raise ValueError(f"X's {side} ids must be whole numbers, as in fit (the ONNX input {side}s is int64). Received dtype {ids.dtype}.") from None
    if ids.dtype.kind == "f" and not (out == ids).all():
        raise ValueError(f"X's {side} ids must be whole numbers, as in fit (the ONNX input {side}s is int64).")
    return out


def _pairs(model: Any, X: Any, types: tuple[str, str]) -> tuple[np.ndarray, np.ndarray]:
    """Raw (users, items) for parity: the user's X (a (users, items) tuple, a 2-column frame or array), or
    random pairs of fitted ids with unseen ones on either side and on both."""
    if X is None:
        rng = np.random.default_rng(0)
        sides = []
        for fitted, kind in ((model.users_, types[0]), (model.items_, types[1])):
            ids = np.asarray(fitted, dtype=object)[rng.integers(0, len(fitted), 256)]
            unseen: Any = "<an id unseen in fit>" if kind == "string" else int(np.max(np.asarray(fitted, dtype=np.float64))) + 1
            ids[rng.random(256) < 0.2] = unseen  # 20% unknown on each side: both unknown in ~4% of rows
            sides.append(ids)
        users, items = sides
    elif isinstance(X, tuple) and len(X) == 2:
        users, items = np.asarray(X[0]), np.asarray(X[1])
    else:
        arr = X.to_numpy() if hasattr(X, "to_numpy") else np.asarray(X)
        if arr.ndim != 2 or arr.shape[1] != 2:
            raise ValueError(f"X must be (user, item) pairs: a (users, items) tuple, or a 2-column DataFrame or array. Received shape {arr.shape}.")
        users, items = arr[:, 0], arr[:, 1]
    if users.ndim != 1 or users.shape != items.shape or len(users) == 0:
        raise ValueError(f"X must hold as many users as items, 1-D, at least one pair. Received {users.shape} and {items.shape}.")
    return _raw_ids("user", users, types[0]), _raw_ids("item", items, types[1])


def _fitted_ids(fitted: Any, key_type: str) -> list[Any]:
    """A side's ids seen in fit, in code order, as the graph's lookup and the metadata hold them (``str`` or ``int``)."""
    return [str(v) for v in fitted] if key_type == "string" else [int(v) for v in fitted]


def _label_encoder(onnx: Any, side: str, fitted: Any, key_type: str) -> Any:
    """``LabelEncoder`` node: raw ids ``{side}s`` -> fitted codes ``{side}_codes`` (int64, -1 when unseen)."""
    keys = {f"keys_{'strings' if key_type == 'string' else 'int64s'}": _fitted_ids(fitted, key_type)}
    return onnx.helper.make_node("LabelEncoder", [f"{side}s"], [f"{side}_codes"], name=f"{side}_ids_to_codes", domain=_ML_DOMAIN,
                                 values_int64s=list(range(len(fitted))), default_int64=-1, **keys)


def _add_id_lookup(proto: Any, model: Any, types: tuple[str, str]) -> None:
    """Put the raw-id inputs and their ``LabelEncoder`` nodes in front of the exported graph, whose inputs are the codes."""
    import onnx

    graph = proto.graph
    codes = {"users": "user_codes", "items": "item_codes"}  # the exported graph reads codes under the raw inputs' names
    for node in graph.node:
        node.input[:] = [codes.get(name, name) for name in node.input]
    nodes = [_label_encoder(onnx, "user", model.users_, types[0]), _label_encoder(onnx, "item", model.items_, types[1])]
    elem = {"int64": onnx.TensorProto.INT64, "string": onnx.TensorProto.STRING}
    inputs = [onnx.helper.make_tensor_value_info(f"{side}s", elem[kind], ["batch"]) for side, kind in zip(("user", "item"), types, strict=True)]
    del graph.input[:]
    graph.input.extend(inputs)
    graph.node.insert(0, nodes[1])
    graph.node.insert(0, nodes[0])
    if not any(o.domain == _ML_DOMAIN for o in proto.opset_import):
        proto.opset_import.append(onnx.helper.make_opsetid(_ML_DOMAIN, _ML_OPSET))


def recommender_graph(model: Any, X: Any) -> AppGraph:
    """Recommender: raw ``users`` and ``items`` ``(N,)`` -> ``predictions`` ``(N,)`` = ``predict``, unseen ids included."""
    import warnings

    import torch
    from torch import Tensor, nn

    from ..exceptions import DataError

    types = (_key_type("user", model.users_), _key_type("item", model.items_))
    users, items = _pairs(model, X, types)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # predict counts unseen ids in a warning; here they are the point
            reference = np.asarray(model.predict((users.tolist(), items.tolist())), dtype=np.float64)
    except DataError as exc:
        raise ValueError(f"X cannot be the parity pairs: {exc}") from None
    net = cpu_network(model.network_)
    clip = None if model.clip is None else (float(model.clip[0]), float(model.clip[1]))

    class _Ratings(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.net = net

        def forward(self, u: Tensor, i: Tensor) -> Tensor:
            ku, ki = u >= 0, i >= 0  # (N,) seen in fit
            uc, ic = u.clamp(min=0), i.clamp(min=0)  # any valid code where unseen; masked out below
            pair = self.net(torch.stack([uc, ic], dim=1))[:, 0]  # (N,) the network's rating
            ub, ib = self.net.user_bias(uc)[:, 0], self.net.item_bias(ic)[:, 0]
            zero = torch.zeros_like(ub)
            fallback = self.net.mean + torch.where(ku, ub, zero) + torch.where(ki, ib, zero)
            out = torch.where(ku & ki, pair, fallback)
            return out.clamp(clip[0], clip[1]) if clip is not None else out

    batch = torch.export.Dim("batch")
    meta = base_metadata(model, "predictions", ["batch"], f"users (batch,) {types[0]}, items (batch,) {types[1]}",
                          "raw user and item ids as in fit; an id not seen in fit falls back to the global mean plus the known side's bias")
    app = json.loads(meta[APP_INPUT_KEY])
    meta[APP_INPUT_KEY] = json.dumps({**app, "inputs": {"users": types[0], "items": types[1]}, "dtype": ""})
    meta["recommender"] = json.dumps({"global_mean": float(model.global_mean_), "clip": list(clip) if clip else None, "loss": model.loss,
                                      "n_users": len(model.users_), "n_items": len(model.items_)})
    meta[IDS_KEY] = json.dumps({"users": _fitted_ids(model.users_, types[0]), "items": _fitted_ids(model.items_, types[1])})
    names = getattr(model, "feature_names_in_", None)
    if names is not None:
        meta["input_columns"] = json.dumps([str(c) for c in names])
    notes = [f"inputs users ({types[0]}) and items ({types[1]}) are raw ids; ONNX-ML LabelEncoder nodes map them to the fitted codes in the graph",
             "output predictions = predict: unseen users or items get the global mean plus the known side's bias"
             + (f", clipped to {clip}" if clip else "")]
    return AppGraph(_Ratings().eval(), (torch.zeros(2, dtype=torch.int64), torch.zeros(2, dtype=torch.int64)), users, reference, ["predictions"],
                    ["batch"], meta, notes, inputs=["users", "items"], other_feeds={"items": items}, input_types=list(types),
                    dynamic_shapes={"u": {0: batch}, "i": {0: batch}}, edit=lambda proto: _add_id_lookup(proto, model, types))


__all__ = ["IDS_KEY", "recommender_graph"]
