"""Lazy re-exports for the package and its stage packages.

Each ``__init__.py`` names its public objects and the private module that
defines them; the module is imported on first touch. So ``import hiddenlayers``
(and ``hiddenlayers --help``) load no PyTorch, and a stage package never
imports its siblings at import time, which rules out import circles.

A public name is never the name of a submodule: importing a submodule sets an
attribute of its package, which would replace a function of the same name
(``tests/test_public_api.py`` walks every submodule to prove it cannot happen).
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any


def lazy_exports(package: str, exports: Mapping[str, str]) -> tuple[Callable[[str], Any], Callable[[], list[str]], list[str]]:
    """``(__getattr__, __dir__, __all__)`` for ``package``, whose public
    names are ``exports`` (name -> relative module that defines it)."""

    def __getattr__(name: str) -> Any:
        module = exports.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module, package), name)
        sys.modules[package].__dict__[name] = value  # later look-ups skip this function
        return value

    names = sorted(exports)

    def __dir__() -> list[str]:
        return list(names)

    return __getattr__, __dir__, names
