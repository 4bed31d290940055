"""The docstring examples of the package run, as written (``make test`` runs this file).

Each module whose source holds an example (``>>>``) is one test; examples that need
data a clean machine lacks, or that print a wide table or write a file, say
``# doctest: +SKIP`` and why.
"""

from __future__ import annotations

import doctest
import importlib
import warnings
from pathlib import Path

import pytest

import hiddenlayers

ROOT = Path(hiddenlayers.__file__).parent
MODULES = sorted(
    "hiddenlayers." + ".".join(p.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
    for p in ROOT.rglob("*.py")
    if ">>>" in p.read_text(encoding="utf-8")
)
# the top-level package's name for its __init__.py
MODULES = [m if m != "hiddenlayers.__init__" else "hiddenlayers" for m in MODULES]


def test_modules_found() -> None:
    assert "hiddenlayers.estimators._mlp" in MODULES and len(MODULES) > 20


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning of the examples' short fits
        result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE, verbose=False, report=False)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples failed in {name} (run: python -m doctest -v on it)"
