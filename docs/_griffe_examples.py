"""Griffe extension for the API reference: docstrings written for ``help()`` render well in Markdown.

* Doctest examples in a description (``>>>`` lines without an "Examples" heading)
  become code blocks.
* Sphinx roles (``:class:`Network```, ``:func:`hiddenlayers.cost```) become links to
  the documented public name when the target is one (autorefs checks them: a stale
  path such as ``hiddenlayers.cost.cost`` fails the strict build), else inline code.
"""

from __future__ import annotations

import importlib
import inspect
import re
from types import ModuleType
from typing import Any

import griffe

ROLE = re.compile(r":(?:func|class|meth|mod|attr|data|exc|obj):`(~?)([^`]+)`")


def _resolve(path: str, namespace: ModuleType | None) -> Any:
    """The object ``path`` names (absolute, or relative to ``namespace``), or None."""
    parts = path.split(".")
    start: Any = None
    rest = parts
    if parts[0] == "hiddenlayers":
        for i in range(len(parts), 0, -1):
            name = ".".join(parts[:i])
            try:
                module = importlib.import_module(name)
            except ImportError:
                continue
            if module.__name__ != name:  # an old module path kept for pickles (_compat): stale in a docstring
                return None
            start, rest = module, parts[i:]
            break
    elif namespace is not None and hasattr(namespace, parts[0]):
        start, rest = getattr(namespace, parts[0]), parts[1:]
    if start is None:
        return None
    obj = start
    for name in rest:
        obj = getattr(obj, name, None)
        if obj is None:
            return None
    return obj


def _public_path(obj: Any) -> str | None:
    """``hiddenlayers.<package>.<qualname>`` where the package's reference page documents ``obj``."""
    module, qualname = getattr(obj, "__module__", None), getattr(obj, "__qualname__", None)
    if not (inspect.isclass(obj) or inspect.isfunction(obj) or inspect.ismethod(obj)) or not module or not qualname:
        return None
    parts = module.split(".")
    if parts[0] != "hiddenlayers":
        return None
    package = module if module == "hiddenlayers.exceptions" else ".".join(parts[:2])
    top = qualname.split(".")[0]
    if "<locals>" in qualname or top.startswith("_") or top not in getattr(importlib.import_module(package), "__all__", ()):
        return None
    return f"{package}.{qualname}"


def link_roles(text: str, module_path: str) -> str:
    """Replace the Sphinx roles in ``text`` (a docstring of an object in ``module_path``)."""
    try:
        namespace: ModuleType | None = importlib.import_module(module_path)
    except ImportError:
        namespace = None

    def replace(match: re.Match[str]) -> str:
        tilde, target = match.groups()
        label = target.rsplit(".", 1)[-1] if tilde else target
        obj = _resolve(target, namespace)
        if obj is None and target.startswith("hiddenlayers"):
            return f"[`{label}`][{target}]"  # not found: autorefs reports it and the strict build fails
        home = _public_path(obj)
        return f"[`{label}`][{home}]" if home else f"`{label}`"

    return ROLE.sub(replace, text)


def fence_examples(text: str) -> str:
    """Wrap each run of ``>>>`` lines (with their ``...`` continuations and output, up to a blank line) in a ``pycon`` fence."""
    out: list[str] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.lstrip().startswith(">>>"):
            indent = line[: len(line) - len(line.lstrip())]
            block = []
            while i < len(lines) and lines[i].strip():
                block.append(lines[i][len(indent):] if lines[i].startswith(indent) else lines[i].lstrip())
                i += 1
            out += [f"{indent}```pycon", *(indent + b for b in block), f"{indent}```"]
            continue
        out.append(line)
        i += 1
    return "\n".join(out)


class FenceExamples(griffe.Extension):
    def on_object(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        if obj.docstring is None:
            return
        value = obj.docstring.value
        if ">>>" in value:
            value = fence_examples(value)
        if ":`" in value:
            value = link_roles(value, obj.module.path if not obj.is_module else obj.path)
        obj.docstring.value = value
