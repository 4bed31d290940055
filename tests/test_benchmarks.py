"""The scripts of benchmarks/ still load, parse their options, and name what the library has.

No benchmark runs here (they take minutes and measure this machine): each script's ``--help`` is run in this
process (its imports and its parser, the way ``python benchmarks/NAME.py --help`` runs them), every option a
command in ``benchmarks/RESULTS.md``, the README, ``docs/``, the Makefile or ``gpu_check.sh`` gives it must be one its
parser has, and every ``hiddenlayers`` name a script reads (in any function, and in the Python source it hands a
child process) must exist. So an API rename or a dropped option shows here, not on the next benchmark run.
"""

from __future__ import annotations

import ast
import importlib
import re
import runpy
import sys
import textwrap
import types
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "benchmarks"
#: the runnable scripts (``_rss.py`` and other ``_`` modules are helpers they import)
SCRIPTS = sorted(p.name for p in BENCH.glob("*.py") if not p.name.startswith("_"))
HELPERS = sorted(p.name for p in BENCH.glob("_*.py"))
#: the files that give benchmark commands
COMMAND_FILES = [BENCH / "RESULTS.md", ROOT / "README.md", ROOT / "ARCHITECTURE.md", ROOT / "Makefile",
                 BENCH / "gpu_check.sh", *sorted((ROOT / "docs").rglob("*.md"))]


@pytest.fixture
def bench_path(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """``benchmarks/`` first on ``sys.path`` (as Python puts a script's folder), and the benchmark modules a script
    imported (``bench_training``, ``_rss``, ...) dropped again after, so no test sees them."""
    monkeypatch.setattr(sys, "path", [str(BENCH), *sys.path])
    ours = {p.stem for p in BENCH.glob("*.py")}
    yield
    for name in ours & set(sys.modules):
        del sys.modules[name]


def documented_options(script: str) -> dict[str, set[str]]:
    """Each ``--option`` that a command naming ``script`` gives it, by the file and line that give it."""
    found: dict[str, set[str]] = {}
    for path in COMMAND_FILES:
        if not path.exists():
            continue
        text = path.read_text(encoding="utf-8")
        for match in re.finditer(rf"\b{re.escape(script)}([^`\n]*)", text):
            line = text.count("\n", 0, match.start()) + 1
            for option in re.findall(r"(?<![\w-])(--[a-z][\w-]*)", match.group(1)):
                found.setdefault(option, set()).add(f"{path.relative_to(ROOT)}:{line}")
    return found


@pytest.mark.usefixtures("bench_path")
@pytest.mark.parametrize("script", SCRIPTS)
def test_script_parses_its_documented_options(script: str, monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(sys, "argv", [str(BENCH / script), "--help"])
    with pytest.raises(SystemExit) as stop:
        runpy.run_path(str(BENCH / script), run_name="__main__")
    out = capsys.readouterr().out
    assert stop.value.code == 0 and "usage:" in out, f"{script} --help: exit {stop.value.code!r}\n{out}"
    known = set(re.findall(r"(?<![\w-])(--[a-z][\w-]*)", out))
    unknown = {option: where for option, where in documented_options(script).items() if option not in known}
    assert not unknown, f"{script} has no option " + "; ".join(f"{o} (given in {', '.join(sorted(w))})"
                                                               for o, w in sorted(unknown.items()))


@pytest.mark.usefixtures("bench_path")
@pytest.mark.parametrize("helper", HELPERS)
def test_helper_imports(helper: str) -> None:
    assert runpy.run_path(str(BENCH / helper), run_name=Path(helper).stem)


def _aliases(tree: ast.AST) -> tuple[dict[str, object], list[str]]:
    """The names a tree binds to ``hiddenlayers`` objects by its imports (anywhere in it), and the imports that fail."""
    names: dict[str, object] = {}
    wrong: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "hiddenlayers":
                    try:
                        module = importlib.import_module(alias.name)
                    except ImportError as error:
                        wrong.append(f"import {alias.name}: {error}")
                        continue
                    names[alias.asname or "hiddenlayers"] = module if alias.asname else sys.modules["hiddenlayers"]
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "hiddenlayers" and node.level == 0:
            try:
                module = importlib.import_module(node.module or "")
            except ImportError as error:
                wrong.append(f"from {node.module} import ...: {error}")
                continue
            for alias in node.names:
                if hasattr(module, alias.name):
                    names[alias.asname or alias.name] = getattr(module, alias.name)
                    continue
                try:
                    names[alias.asname or alias.name] = importlib.import_module(f"{node.module}.{alias.name}")
                except ImportError:
                    wrong.append(f"from {node.module} import {alias.name}: no such name")
    return names, wrong


def _chain(node: ast.Attribute) -> list[str] | None:
    """``a.b.c`` as ``["a", "b", "c"]``; None where the chain does not start at a plain name."""
    parts: list[str] = []
    current: ast.expr = node
    while isinstance(current, ast.Attribute):
        parts.append(current.attr)
        current = current.value
    if not isinstance(current, ast.Name):
        return None
    return [current.id, *reversed(parts)]


def missing_names(source: str) -> list[str]:
    """The ``hiddenlayers`` imports and attribute reads of ``source`` (and of the Python it hands a child process as a
    string) that do not resolve; attributes are followed through modules and classes (an instance's are not known)."""
    tree = ast.parse(source)
    names, wrong = _aliases(tree)
    seen: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and (chain := _chain(node)) and chain[0] in names:
            obj = names[chain[0]]
            for depth, attr in enumerate(chain[1:], start=1):
                if not isinstance(obj, (types.ModuleType, type)):
                    break
                if not hasattr(obj, attr):
                    read = ".".join(chain[: depth + 1])
                    if read not in seen:
                        seen.add(read)
                        wrong.append(f"{read}: no attribute {attr!r}")
                    break
                obj = getattr(obj, attr)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and "hiddenlayers" in node.value \
                and "\n" in node.value:
            try:  # a child process's code; a string that is no Python (a docstring) is left alone
                wrong += missing_names(textwrap.dedent(node.value))
            except SyntaxError:
                pass
    return wrong


@pytest.mark.parametrize("script", SCRIPTS + HELPERS)
def test_script_names_only_what_the_library_has(script: str) -> None:
    wrong = missing_names((BENCH / script).read_text(encoding="utf-8"))
    assert not wrong, f"benchmarks/{script}: " + "; ".join(wrong)


def test_missing_names_finds_a_renamed_attribute_and_import() -> None:
    source = textwrap.dedent('''
        import hiddenlayers as hl
        from hiddenlayers.estimators import _mlp_base, no_such_helper
        CHILD = """
        import hiddenlayers as h
        h.lens.no_such_report
        """
        def run():
            hl.MLPClassifier, hl.data.load_digits_renamed, _mlp_base.restored_on_error
    ''')
    wrong = missing_names(source)
    assert any("no_such_helper" in w for w in wrong)
    assert any(w.startswith("hl.data.load_digits_renamed:") for w in wrong)
    assert any(w.startswith("h.lens.no_such_report:") for w in wrong)
    assert not any("MLPClassifier" in w or "restored_on_error" in w for w in wrong)


def test_documented_options_reads_commands(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    page = tmp_path / "RESULTS.md"
    page.write_text("## X — `python benchmarks/bench_x.py --rows 10 --old /tmp/a/src`\n"
                    "What `--no-check` saves: `bench_x.py --repeats 3`\n", encoding="utf-8")
    monkeypatch.setattr(sys.modules[__name__], "COMMAND_FILES", [page])
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    assert documented_options("bench_x.py") == {"--rows": {"RESULTS.md:1"}, "--old": {"RESULTS.md:1"},
                                                "--repeats": {"RESULTS.md:2"}}
