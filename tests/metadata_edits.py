"""The model-file fuzz both metadata tests share: every field of a saved file's JSON record set to another type or
removed (hypothesis), each edited file either loading into a usable model or refused by one ModelFileError line."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import hiddenlayers as hl

#: the values a field is set to; "__delete__" removes it
EDITS = (None, "x", -1, 2.5, True, 10**12, 1e300, [], {}, [0], ["a", "b"], {"a": 1}, "__delete__")  # 10**12, 1e300: a huge size or scale


def field_paths(node: Any, prefix: tuple = ()) -> list[tuple]:
    """Every field of a JSON record, at any depth, as its path of keys and list positions."""
    out = [prefix] if prefix else []
    if isinstance(node, dict):
        for k, v in node.items():
            out += field_paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += field_paths(v, (*prefix, i))
    return out


def edited(original: dict, path: tuple, value: Any) -> dict:
    """A copy of the JSON record ``original`` with the field at ``path`` set to ``value`` (``"__delete__"``: removed)."""
    meta: dict = json.loads(json.dumps(original))
    node = meta
    for key in path[:-1]:
        node = node[key]
    if value == "__delete__":
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return meta


def edit_file(saved: Path, out: Path, edit: Callable[[dict], None]) -> Path:
    """A copy of the model file ``saved`` at ``out`` whose JSON record ``edit(meta)`` changed in place; its tensors as they were."""
    from safetensors import safe_open
    from safetensors.torch import load_file
    from safetensors.torch import save as st_save

    with safe_open(str(saved), framework="pt") as fh:
        meta = json.loads(fh.metadata()["hiddenlayers"])
    edit(meta)
    out.write_bytes(st_save(load_file(str(saved)), metadata={"hiddenlayers": json.dumps(meta)}))
    return out


def check_every_edit(saved: Path, bad: Path, keep: Callable[[tuple], bool], usable: Callable[[Any], None]) -> None:
    """Hypothesis over the fields of ``saved``'s record that ``keep`` picks: the file written to ``bad`` with one field
    edited loads (and ``usable`` checks the model) or raises a ModelFileError of one line naming ``bad``."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st
    from safetensors import safe_open
    from safetensors.numpy import load_file
    from safetensors.numpy import save as st_save

    with safe_open(str(saved), framework="np") as fh:
        original = json.loads(fh.metadata()["hiddenlayers"])
    tensors = load_file(str(saved))
    paths = [p for p in field_paths(original) if keep(p)]

    @settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
    @given(path=st.sampled_from(paths), value=st.sampled_from(EDITS))
    def check(path: tuple, value: Any) -> None:
        bad.write_bytes(st_save(tensors, metadata={"hiddenlayers": json.dumps(edited(original, path, value))}))
        try:
            model = hl.load(bad)
        except hl.ModelFileError as exc:
            assert str(bad) in str(exc) and "\n" not in str(exc)  # one line naming the file
            return
        usable(model)  # an edit it tolerates still gives a usable model

    check()
