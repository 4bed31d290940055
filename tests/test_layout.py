"""The stage layout holds (issue 13): read every ``import`` in src/ (module
level and inside functions alike) and check that lower stages never import
higher ones, that no package reaches into another's private modules, and
that no two modules import each other, directly or through others."""

from __future__ import annotations

import ast
import functools
from collections.abc import Iterator
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
# The import order of the stage packages: data flows left to right. The
# applications sit right after the estimators (they are built from the same
# network and training pieces), so the lens can look inside them, and search,
# prune and model files can take them.
STAGES = ["data", "network", "training", "estimators", "apps", "lens", "rightsize", "ship", "cli"]


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@functools.lru_cache(maxsize=1)
def _imports() -> tuple[tuple[str, str, int], ...]:
    """(importing module, imported module, line) for every hiddenlayers import.

    Read once per process (three tests share it). An import is a statement, so only
    statement bodies are walked, never expressions: the same imports as a walk of every node.
    """
    found = []
    for path in sorted(SRC.rglob("*.py")):
        mod = _module_name(path)
        package = mod.split(".") if path.name == "__init__.py" else mod.split(".")[:-1]
        tree = ast.parse(path.read_text(), str(path))
        for node in _statements(tree.body):
            if isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package[: len(package) - node.level + 1]
                    target = ".".join(base + ([node.module] if node.module else []))
                else:
                    target = node.module or ""
                if target.startswith("hiddenlayers"):
                    # "from . import x": x may itself be a module
                    subs = [f"{target}.{a.name}" for a in node.names]
                    found += [(mod, s if _exists(s) else target, node.lineno) for s in subs]
            elif isinstance(node, ast.Import):
                found += [(mod, a.name, node.lineno) for a in node.names if a.name.startswith("hiddenlayers")]
    return tuple(found)


def _statements(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    """Every statement in ``body`` and in the bodies nested in it (functions, classes, if/try/with/for/match).

    Imports under `if TYPE_CHECKING:` are for type hints only (a helper module naming the
    class it serves); they never run, so they make no circle: such a block is left out whole.
    """
    for node in body:
        if _is_type_checking(node):
            continue
        yield node
        for field in ("body", "orelse", "finalbody"):
            inner = getattr(node, field, None)
            if isinstance(inner, list):
                yield from _statements(inner)
        for block in (*getattr(node, "handlers", ()), *getattr(node, "cases", ())):
            yield from _statements(block.body)


def _is_type_checking(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"


def _exists(module: str) -> bool:
    path = SRC.joinpath(*module.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def _stage(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in STAGES else None


def test_lower_stages_never_import_higher_ones() -> None:
    upward = [
        f"{a}:{line} imports {b}"
        for a, b, line in _imports()
        if _stage(a) and _stage(b) and STAGES.index(_stage(b)) > STAGES.index(_stage(a))  # type: ignore[arg-type]
    ]
    assert not upward, "\n".join(upward)


def test_no_package_imports_another_packages_private_modules() -> None:
    private = [
        f"{a}:{line} imports {b}: import the public name from hiddenlayers.{_stage(b)} instead"
        for a, b, line in _imports()
        if _stage(b) and _stage(a) != _stage(b) and len(b.split(".")) > 2
    ]
    assert not private, "\n".join(private)


def test_no_import_circles() -> None:
    graph: dict[str, set[str]] = {}
    for a, b, _ in _imports():
        if a != b and _exists(b):
            graph.setdefault(a, set()).add(b)
    # A package's __init__ only names where its public objects live; follow through it
    # to those modules, so "a -> pkg -> pkg._b -> a" counts as the circle it is.
    cycles: list[list[str]] = []
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                cycles.append(stack[stack.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node)
    assert not cycles, "\n".join(" -> ".join(c) for c in cycles)


def _from_imports(path: Path, bound: bool = False) -> Iterator[tuple[str, str, int]]:
    """(module imported from, name, line) of every ``from ... import name`` in ``path`` (nested ones too, not TYPE_CHECKING's);
    ``bound``: the name it is bound to there (``as`` names) rather than the name imported."""
    mod = _module_name(path)
    package = mod.split(".") if path.name == "__init__.py" else mod.split(".")[:-1]
    for node in _statements(ast.parse(path.read_text(), str(path)).body):
        if isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            source = ".".join(base + ([node.module] if node.module else [])) if node.level else node.module or ""
            yield from ((source, (a.asname or a.name) if bound else a.name, node.lineno) for a in node.names)


def test_no_cli_module_takes_a_lower_stages_name_through_another_cli_module() -> None:
    # a name of hiddenlayers.data (or any lower stage) is imported from that stage, not from the cli module that imported
    # it first (cli/_train took check_float32 from cli/_data's namespace)
    cli = SRC / "hiddenlayers" / "cli"
    lower = {path.stem: {name: source for source, name, _ in _from_imports(path, bound=True) if _stage(source) not in (None, "cli")}
             for path in cli.glob("_*.py")}
    found = [
        f"cli/{path.name}:{line} imports {name} from {source}: import it from {lower[source.rsplit('.', 1)[1]][name]}"
        for path in sorted(cli.glob("*.py"))
        for source, name, line in _from_imports(path)
        if source.startswith("hiddenlayers.cli._") and name in lower.get(source.rsplit(".", 1)[1], {})
    ]
    assert not found, "\n".join(found)


@pytest.mark.parametrize("stage", STAGES)
def test_each_stage_is_a_package_with_a_docstring(stage: str) -> None:
    init = SRC / "hiddenlayers" / stage / "__init__.py"
    assert init.is_file() and ast.get_docstring(ast.parse(init.read_text()))


def test_no_tracked_text_file_holds_a_merge_conflict_marker() -> None:
    """A merge resolved by `git add` alone once left markers in ARCHITECTURE.md, and no other test read it."""
    import subprocess

    root = Path(__file__).resolve().parents[1]
    listed = subprocess.run(["git", "ls-files", "*.py", "*.md", "*.toml", "*.yml", "*.cfg", "Makefile"], cwd=root,
                            capture_output=True, text=True)
    if listed.returncode:
        pytest.skip("not a git checkout")
    files = listed.stdout.split()
    marked = [f"{name}:{i}" for name in files if (root / name).is_file()
              for i, line in enumerate((root / name).read_text(encoding="utf-8").splitlines(), start=1)
              if line.startswith(("<<<<<<< ", ">>>>>>> ")) or line == "======="]
    assert not marked, marked


def test_the_statement_walk_finds_every_nested_import_but_type_checking_ones() -> None:
    """The layout tests read imports through _statements: one it missed would hide an upward import or a circle."""
    source = '''
import a0
if TYPE_CHECKING:
    import hidden
def f():
    import a1
    class C:
        import a2
try:
    import a3
except ImportError:
    import a4
else:
    import a5
finally:
    import a6
with x:
    import a7
for i in y:
    import a8
else:
    import a9
while z:
    import a10
match v:
    case 1:
        import a11
async def g():
    async with w:
        import a12
'''
    names = {a.name for node in _statements(ast.parse(source).body) if isinstance(node, ast.Import) for a in node.names}
    assert names == {f"a{i}" for i in range(13)}
