"""Which layers of a module the lens looks at: ``select_layers`` and the forms a selection takes.

A selection is ``None`` (the default layers), a glob pattern (``"hidden*"``),
a 1-based hidden-layer index (``1``, or ``-1`` for the last, as
``clf.transform(X, layer=1)`` takes), a module type or tuple of types, a list
of names, patterns and indices, or a predicate ``f(name, module) -> bool``.
An entry that matches nothing is named in the error, with the nearest names and
the first :data:`LISTED` layers there are (a 12-layer transformer has hundreds).
"""

from __future__ import annotations

import difflib
import fnmatch
import numbers
from collections.abc import Callable
from typing import Any

from torch import nn

from ._target import as_target, default_layers, eager

Selector = str | int | type | tuple | list | Callable[[str, nn.Module], bool] | None

_SKIP_DEFAULT = (nn.Dropout, nn.Identity, nn.Flatten)
LISTED = 10  # layers an error lists before it says how many more there are
_FORMS = "a layer name or glob pattern, a 1-based hidden-layer index (int), a module type, a list of names and indices, or a predicate"


def _is_index(value: object) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def layer_listing(module: nn.Module, named: dict[str, nn.Module], pattern: str = "*") -> str:
    """The first ``LISTED`` layers as ``name (Type)``, then how many more and how to list them all.

    ``named``: the layers to list (every layer, or those ``pattern`` matched, which the hint then lists).
    """
    shown = ", ".join(f"{n} ({type(m).__name__})" for n, m in list(named.items())[:LISTED]) or "(none)"
    more = len(named) - LISTED
    if more <= 0:
        return shown
    return f"{shown}, ... and {more} more (list them all with list(hl.lens.select_layers(model, {pattern!r})))"



def hidden_name(module: nn.Module, index: int, named: dict[str, nn.Module], param: str = "layers") -> str:
    """The name of hidden layer ``index`` (1-based; negative counts from the end, as ``transform`` does); ``param``: the argument named in errors."""
    hidden = default_layers(module)
    kind = type(module).__name__
    if not hidden:
        raise ValueError(
            f"{param}={index!r} is a hidden-layer index, but {kind} names no hidden layers; "
            f"pass layer names instead: {layer_listing(module, named)}."
        )
    n = len(hidden)
    if index == 0 or not -n <= index <= n:
        numbered = ", ".join(f"{i}={name}" for i, name in enumerate(hidden, 1))
        raise ValueError(f"{param}={index!r} is not a hidden layer of {kind}: pass 1..{n} (or -1..-{n} from the end); {numbered}.")
    return hidden[index - 1 if index > 0 else n + index]


def _unmatched_error(module: nn.Module, named: dict[str, nn.Module], missing: list[str], *, single: bool, param: str = "layers") -> ValueError:
    """One line naming each entry that matched nothing, the nearest names, and every layer."""
    near = [c for pat in missing for c in difflib.get_close_matches(pat, list(named), n=1)]
    hint = f" Did you mean {', '.join(repr(c) for c in near)}?" if near else ""
    if single:
        what = f"{param}={missing[0]!r}"
    else:
        what = f"{param} {'entry' if len(missing) == 1 else 'entries'} {', '.join(repr(p) for p in missing)}"
    return ValueError(f"{what} matched no layer of {type(module).__name__}; its layers are: {layer_listing(module, named)}.{hint}")


def _by_names(
    module: nn.Module, named: dict[str, nn.Module], entries: list | tuple, *, single: bool = False, param: str = "layers"
) -> dict[str, nn.Module]:
    """Layers picked by a list of names, patterns and hidden-layer indices, in the list's order."""
    chosen: dict[str, nn.Module] = {}
    missing: list[str] = []
    for entry in entries:
        if _is_index(entry):
            name = hidden_name(module, int(entry), named, param)
            chosen[name] = named[name]
            continue
        if not isinstance(entry, str):
            raise TypeError(f"each entry of a layers list must be a layer name, a glob pattern or a 1-based hidden-layer index. Received: {entry!r}.")
        hits = {n: m for n, m in named.items() if fnmatch.fnmatchcase(n, entry)}
        if not hits:
            missing.append(entry)
        chosen.update(hits)
    if missing:
        raise _unmatched_error(module, named, missing, single=single, param=param)
    return chosen


def _leaves(named: dict[str, nn.Module]) -> dict[str, nn.Module]:
    """Every leaf except dropout, identity and flatten; an ``nn.MultiheadAttention`` counts as one leaf.

    Why: its forward reads ``out_proj``'s weights without calling it, so the
    attention output is only seen on the attention module itself.
    """
    attn = [n for n, m in named.items() if isinstance(m, nn.MultiheadAttention)]
    return {
        n: m for n, m in named.items()
        if (isinstance(m, nn.MultiheadAttention) or not list(m.children()))
        and not isinstance(m, _SKIP_DEFAULT) and not any(n.startswith(a + ".") for a in attn)
    }


def select_layers(module: nn.Module | Any, layers: Selector, default: list[str] | None = None, *, param: str = "layers") -> dict[str, nn.Module]:
    """Named submodules picked by ``layers`` (see the module docstring); no match raises and lists the names.

    ``list(select_layers(model, "*"))`` lists every layer name.

    Parameters
    ----------
    module : torch.nn.Module, estimator or application
        Any ``nn.Module``, or a fitted estimator or application (its network is used).
    layers : selector
        Names, glob patterns, 1-based hidden-layer indices, a module type, a list, a predicate. None picks ``default``
        when given, else every leaf module except dropout, identity and flatten (an attention module counts as a leaf).
    default : list of str, optional
        The names None picks.
    param : str
        The argument the errors name (``"layer"`` where one layer is taken).
    """
    module = as_target(module).module if not isinstance(module, nn.Module) else eager(module)
    named = {n: m for n, m in module.named_modules() if n}
    if not named:  # a single leaf module (e.g. a bare nn.GRU) is its own only layer
        named = {type(module).__name__.lower(): module}
    if layers is None:
        if default:
            return {n: named[n] for n in default}
        chosen = _leaves(named)
    elif isinstance(layers, str) or _is_index(layers):
        return _by_names(module, named, [layers], single=True, param=param)
    elif isinstance(layers, type) or (isinstance(layers, tuple) and layers and all(isinstance(t, type) for t in layers)):
        chosen = {n: named[n] for n in named if isinstance(named[n], layers)}
    elif isinstance(layers, (list, tuple)):
        chosen = _by_names(module, named, layers, param=param)
    elif callable(layers):
        chosen = {n: m for n, m in named.items() if layers(n, m)}
    else:
        raise TypeError(f"{param} must be {_FORMS}. Received: {layers!r}.")
    if not chosen:
        raise ValueError(f"{param}={layers!r} matched no layer of {type(module).__name__}; its layers are: {layer_listing(module, named)}.")
    return chosen


__all__ = ["Selector", "hidden_name", "select_layers"]
