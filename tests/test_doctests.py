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


def test_modes_examples_run_unskipped() -> None:
    """``network.in_mode``'s example was marked ``+SKIP`` (it used an undefined ``net``): it runs now, as ``snapshot_modes``'s does."""
    from hiddenlayers.network import _modes

    found = {t.name.rsplit(".", 1)[-1]: t for t in doctest.DocTestFinder().find(_modes)}
    for name in ("in_mode", "snapshot_modes"):
        examples = found[name].examples
        assert examples and not any(ex.options.get(doctest.SKIP) for ex in examples), name
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    result = runner.run(found["in_mode"], out=lambda _: None)
    assert result.failed == 0 and result.attempted >= 5
