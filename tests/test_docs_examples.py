"""The code blocks of README.md and the user guide (docs/**/*.md) run, as written.

Every ```` ```python ```` block and every line of a ```` ```sh ```` block that starts with
``hiddenlayers`` is a step; steps run in page order, in a fresh temporary working directory,
python blocks in one namespace, commands in-process (Typer's ``CliRunner``; ``> FILE`` writes
its output to FILE), and each command must exit with status 0. Other shell lines (``make``,
``pip``, ``curl``, ``torchrun``) are not run. A step that uses what an earlier step of its page
made (a name bound by an earlier block, a file an earlier step names) runs in the same test as
that step (:func:`chains`); the other steps are tests of their own, so pytest-xdist spreads a
long page over its workers. Imports of earlier blocks are run again where a chain starts.

The pages name the user's own tables: ``data.csv``, ``test.csv`` and ``new.csv`` (target
``label``) and ``big/`` (a folder of Parquet files, target ``y``). :func:`_user_files` writes
small ones (once per test process; each test gets its own copy) there before a page runs, so each
command has its input; everything else a block uses comes from an earlier block of the same page or
from a bundled dataset (no network).

A block that cannot run on a machine like this one (it needs a GPU, a server left running, a
download, several machines) says why in an HTML comment just before its fence, e.g.
``<!-- not run: needs a GPU -->``; the page's test skips that block alone, and
:func:`test_block_not_run` reports each one as a skipped test, with its reason.

A Python expression whose comment shows a value gives it: ``# '128:relu'`` (equal) or
``# ~0.96`` (within 0.015). The other tests check what the text names without running it: every
``hiddenlayers`` command and option, every `--option` named alone, every ``hl.`` name and every
repository file exists, and README shows every command ``hiddenlayers --help`` lists.
"""

from __future__ import annotations

import ast
import os
import re
import shlex
import shutil
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner, Result

import hiddenlayers
from hiddenlayers.cli import app

ROOT = Path(__file__).resolve().parent.parent
PACKAGE_DIR = Path(hiddenlayers.__file__).resolve().parent.parent  # src/, or site-packages
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
FENCE = re.compile(r"^```(\w*)\s*$")
NOT_RUN = re.compile(r"^<!--\s*not run:\s*(.+?)\s*-->$")


@dataclass(frozen=True)
class Block:
    """One fenced code block: its page, 1-based line of the opening fence, language and text."""

    page: Path
    line: int
    lang: str
    code: str
    not_run: str | None  # the reason, from a `<!-- not run: ... -->` just before the fence

    @property
    def where(self) -> str:
        return f"{_shown(self.page)}:{self.line}"


def _shown(page: Path) -> str:
    """The page's path from the repository root (a page made by a test: its name)."""
    return page.relative_to(ROOT).as_posix() if page.is_relative_to(ROOT) else page.name


def blocks(page: Path) -> list[Block]:
    """The ```python and ```sh blocks of a markdown page, in page order."""
    found: list[Block] = []
    lines = page.read_text(encoding="utf-8").splitlines()
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        start, lang = i, m.group(1)
        end = next((j for j in range(i + 1, len(lines)) if lines[j].startswith("```")), len(lines))
        prev = next((lines[j].strip() for j in range(start - 1, -1, -1) if lines[j].strip()), "")
        reason = NOT_RUN.match(prev)
        if lang in ("python", "sh"):
            found.append(Block(page, start + 1, lang, "\n".join(lines[start + 1 : end]) + "\n", reason.group(1) if reason else None))
        i = end + 1
    return found


def _command_lines(block: Block) -> list[tuple[int, list[str], str | None]]:
    """The ``hiddenlayers`` lines of a shell block: (page line, arguments after the program, ``> FILE`` or None)."""
    out = []
    for k, line in enumerate(block.code.splitlines()):
        words = shlex.split(line, comments=True)
        if not words or words[0] != "hiddenlayers":
            continue
        redirect = None
        if ">" in words:
            j = words.index(">")
            redirect, words = words[j + 1], words[:j]
        out.append((block.line + 1 + k, words[1:], redirect))
    return out


def commands(block: Block) -> list[tuple[list[str], str | None]]:
    """The ``hiddenlayers`` lines of a shell block: (arguments after the program, ``> FILE`` or None)."""
    return [(args, redirect) for _, args, redirect in _command_lines(block)]


# a file a step names (the pages' tables, models, reports); the user's own tables are made before every test
FILE = re.compile(r"[\w./*-]*[\w*]\.(?:safetensors|onnx|csv|html|json|db|parquet|pt|npy|npz)")
USER_FILES = ("data.csv", "test.csv", "new.csv", "big/")


@dataclass(frozen=True)
class Step:
    """One thing a page runs: a python block (``args`` None) or one ``hiddenlayers`` line of a shell block.

    ``binds``: the names a python block binds (imports apart); ``uses``: those it reads before binding them;
    ``imports``: the names its imports bind; ``files``: the files it names, the user's own tables left out.
    """

    block: Block
    line: int
    args: tuple[str, ...] | None = None
    redirect: str | None = None
    binds: frozenset[str] = frozenset()
    uses: frozenset[str] = frozenset()
    imports: frozenset[str] = frozenset()
    files: frozenset[str] = frozenset()

    @property
    def where(self) -> str:
        return f"{_shown(self.block.page)}:{self.line}"


def _own_files(words: list[str]) -> frozenset[str]:
    return frozenset(w for w in words if FILE.fullmatch(w) and not w.startswith(USER_FILES))


class _Names(ast.NodeVisitor):
    """A block's names, visited in the order Python evaluates them: ``free`` are read before the block binds
    them (so an earlier block must have), ``binds`` are bound at the top level, ``imports`` by its imports."""

    def __init__(self) -> None:
        self.free: set[str] = set()
        self.binds: set[str] = set()
        self.imports: set[str] = set()
        self.strings: list[str] = []
        self._local: list[set[str]] = []  # the names of the comprehensions and functions being visited

    def _bound(self, name: str) -> bool:
        return name in self.binds or any(name in scope for scope in self._local)

    def visit_Name(self, node: ast.Name) -> None:
        if isinstance(node.ctx, ast.Load):
            if not self._bound(node.id):
                self.free.add(node.id)
        else:
            (self._local[-1] if self._local else self.binds).add(node.id)

    def visit_Constant(self, node: ast.Constant) -> None:
        if isinstance(node.value, str):
            self.strings.append(node.value)

    def visit_Import(self, node: ast.Import | ast.ImportFrom) -> None:
        self.imports.update((a.asname or a.name).split(".")[0] for a in node.names)

    visit_ImportFrom = visit_Import

    def visit_Assign(self, node: ast.Assign) -> None:
        self.visit(node.value)
        for target in node.targets:
            self.visit(target)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        if isinstance(node.target, ast.Name) and not self._bound(node.target.id):
            self.free.add(node.target.id)
        self.visit(node.value)
        self.visit(node.target)

    def visit_For(self, node: ast.For) -> None:
        self.visit(node.iter)
        self.visit(node.target)
        for stmt in [*node.body, *node.orelse]:
            self.visit(stmt)

    def _comprehension(self, node: ast.ListComp | ast.SetComp | ast.GeneratorExp | ast.DictComp) -> None:
        self._local.append(set())
        for gen in node.generators:
            self.visit(gen.iter)
            self.visit(gen.target)
            for cond in gen.ifs:
                self.visit(cond)
        for part in (node.key, node.value) if isinstance(node, ast.DictComp) else (node.elt,):
            self.visit(part)
        self._local.pop()

    visit_ListComp = visit_SetComp = visit_GeneratorExp = visit_DictComp = _comprehension

    def _function(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda) -> None:
        for default in [*node.args.defaults, *filter(None, node.args.kw_defaults)]:
            self.visit(default)
        if not isinstance(node, ast.Lambda):
            self.binds.add(node.name)
        args = [*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs, *filter(None, [node.args.vararg, node.args.kwarg])]
        self._local.append({a.arg for a in args})
        for stmt in node.body if isinstance(node.body, list) else [node.body]:
            self.visit(stmt)
        self._local.pop()

    visit_FunctionDef = visit_AsyncFunctionDef = visit_Lambda = _function

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self.generic_visit(node)
        self.binds.add(node.name)


def _python_step(block: Block) -> Step:
    names = _Names()
    names.visit(ast.parse(block.code, block.where))
    return Step(block, block.line, binds=frozenset(names.binds), uses=frozenset(names.free),
                imports=frozenset(names.imports), files=_own_files(names.strings))


def steps(page: Path) -> list[Step]:
    """What a page runs, in page order: its python blocks and the ``hiddenlayers`` lines of its shell blocks
    (the blocks marked not run left out)."""
    found: list[Step] = []
    for block in blocks(page):
        if block.not_run:
            continue
        if block.lang == "python":
            found.append(_python_step(block))
        else:
            found += [Step(block, line, tuple(args), redirect, files=_own_files([*args, *filter(None, [redirect])]))
                      for line, args, redirect in _command_lines(block)]
    return found


def chains(page: Path) -> list[list[Step]]:
    """The page's steps grouped so that each runs after every earlier step whose names or files it uses:
    a step joins the group of the last step that bound a name it reads (imports apart) and of every
    earlier step that named one of its files. Groups, and the steps in each, in page order."""
    found = steps(page)
    group = list(range(len(found)))

    def root(i: int) -> int:
        while group[i] != i:
            i = group[i]
        return i

    def join(i: int, j: int) -> None:
        group[root(i)] = root(j)

    bound_by: dict[str, int] = {}
    named_by: dict[str, int] = {}
    for i, step in enumerate(found):
        for name in step.uses & bound_by.keys():
            join(i, bound_by[name])
        for path in step.files:
            join(i, named_by.setdefault(path, i))
        bound_by.update(dict.fromkeys(step.binds, i))
    grouped: dict[int, list[Step]] = {}
    for i, step in enumerate(found):
        grouped.setdefault(root(i), []).append(step)
    return sorted(grouped.values(), key=lambda g: g[0].line)


def _user_files(where: Path) -> None:
    """Small stand-ins for the tables the pages call the user's own (see the module docstring).

    ``data.csv``/``test.csv``/``new.csv``: a numeric, a money and a categorical column (the
    columns of README's serving example) with a few missing values and a yes/no ``label``;
    ``new.csv`` has no label. ``big/``: four Parquet files of 1,500 rows (two row groups each),
    eight numbers and a 0/1 ``y`` from a noisy linear rule (enough rows for README's two processes with a global
    batch of 4096); ``valid/``: two more such files of 500 rows, the pages' own validation folder (``--validation valid/``).
    ``photos/`` and ``test-photos/``: 8 x 8 grayscale PNGs, dark ``cat`` and light ``dog`` images in a sub-folder per class
    (24 and 8 of them), README's folder of images; ``new-photos/``: 6 more, flat, with no class sub-folders.
    """
    rng = np.random.default_rng(0)

    def table(n: int) -> pd.DataFrame:
        age = rng.integers(18, 80, size=n).astype(float)
        income = rng.normal(45000, 15000, size=n).round(-2)
        city = rng.choice(["Lyon", "Paris", "Nantes"], size=n).astype(object)
        score = (age - 45) / 15 + (income - 45000) / 15000 + (city == "Lyon") + rng.normal(0, 0.5, size=n)
        age[rng.random(n) < 0.03] = np.nan
        return pd.DataFrame({"age": age, "income": income, "city": city, "label": np.where(score > 0, "yes", "no")})

    table(400).to_csv(where / "data.csv", index=False)
    table(150).to_csv(where / "test.csv", index=False)
    table(50).drop(columns="label").to_csv(where / "new.csv", index=False)
    (where / "big").mkdir()
    for k in range(4):
        X = rng.normal(size=(1500, 8))
        frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(8)])
        # a noisy linear rule: the held-out score levels off within tens of epochs, so early stopping ends the pages' fits
        frame["y"] = (X[:, 0] + X[:, 1] - X[:, 2] + rng.normal(0, 0.5, size=1500) > 0).astype(int)
        frame.to_parquet(where / "big" / f"part{k}.parquet", index=False, row_group_size=750)
    (where / "valid").mkdir()
    for k in range(2):
        X = rng.normal(size=(500, 8))
        frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(8)])
        frame["y"] = (X[:, 0] + X[:, 1] - X[:, 2] + rng.normal(0, 0.5, size=500) > 0).astype(int)
        frame.to_parquet(where / "valid" / f"part{k}.parquet", index=False)
    _photos(where, rng)


def _photos(where: Path, rng: np.random.Generator) -> None:
    """:func:`_user_files`' folders of images: ``photos/`` and ``test-photos/`` by class, ``new-photos/`` flat."""
    from PIL import Image

    for folder, n, nested in (("photos", 24, True), ("test-photos", 8, True), ("new-photos", 6, False)):
        for i in range(n):
            label = ("cat", "dog")[i % 2]
            place = where / folder / label if nested else where / folder
            place.mkdir(parents=True, exist_ok=True)
            Image.fromarray((rng.integers(0, 80, (8, 8)) + 170 * (i % 2)).astype(np.uint8)).save(place / f"{label}{i}.png")


def shown_value(line: str) -> tuple[str, object] | None:
    """What a line's comment says its expression gives: ``("==", literal)`` for ``# 'text'``
    or ``# 3``, also before a colon that explains it (``# True: the hand-written gradients ...``,
    ``# 'interrupted': ...``; a literal with ``...`` in it is an abbreviation, not a value), ``("~", number)``
    for ``# ~0.96`` (two decimals); None for a comment in words."""
    comment = line.partition("  #")[2].strip()
    if comment.startswith("~"):
        try:
            return "~", float(comment[1:])
        except ValueError:
            return None
    for text in (comment, comment.partition(": ")[0]):
        try:
            value = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            continue
        if "..." not in text:
            return "==", value
    return None


def _run_python(block: Block, namespace: dict) -> None:
    """Run the block statement by statement; an expression whose comment shows its value must give it."""
    lines = block.code.splitlines()
    tree = ast.parse(block.code, block.where)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning of short fits, as the doctests do
        for stmt in tree.body:
            shown = shown_value(lines[stmt.end_lineno - 1]) if isinstance(stmt, ast.Expr) and stmt.end_lineno else None
            if shown is None:
                module = ast.Module(body=[stmt], type_ignores=[])
                exec(compile(ast.increment_lineno(module, block.line), block.where, "exec"), namespace)
                continue
            expression = ast.increment_lineno(ast.Expression(body=stmt.value), block.line)
            value = eval(compile(expression, block.where, "eval"), namespace)
            kind, expected = shown
            line = block.line + stmt.lineno
            if kind == "~":
                assert isinstance(expected, float)
                assert abs(float(value) - expected) <= 0.015, f"{block.where}, line {line}: {value!r}, the page says ~{expected}"
            else:
                assert value == expected, f"{block.where}, line {line}: {value!r}, the page says {expected!r}"


def invoke(args: list[str]) -> Result:
    """``hiddenlayers ARGS`` in this process, with the ``sys.argv`` a shell would give it
    (``train --workers N`` passes its own arguments on to the processes it starts)."""
    saved = sys.argv
    sys.argv = ["hiddenlayers", *args]
    try:
        return CliRunner().invoke(app, args)
    finally:
        sys.argv = saved


def _run_command(step: Step, tmp: Path) -> None:
    assert step.args is not None
    result = invoke(list(step.args))
    shown = "hiddenlayers " + " ".join(step.args)
    assert result.exit_code == 0, f"{step.where}: `{shown}` exited {result.exit_code}:\n{result.output}"
    if step.redirect:
        (tmp / step.redirect).write_text(result.stdout, encoding="utf-8")


def _run_imports(step: Step, chain: list[Step], namespace: dict) -> None:
    """The imports of the page's earlier python blocks that ``chain`` does not hold, for the names ``step`` reads
    (a block written after ``import hiddenlayers as hl`` on its page uses ``hl`` without importing it)."""
    for earlier in steps(step.block.page):
        if earlier.line >= step.line:
            break
        if earlier.args is None and earlier not in chain and earlier.imports & step.uses:
            tree = ast.parse(earlier.block.code, earlier.block.where)
            module = ast.Module(body=[s for s in tree.body if isinstance(s, (ast.Import, ast.ImportFrom))], type_ignores=[])
            exec(compile(ast.increment_lineno(module, earlier.block.line), earlier.block.where, "exec"), namespace)


def test_pages_found() -> None:
    names = {p.relative_to(ROOT).as_posix() for p in PAGES}
    assert {"README.md", "docs/index.md", "docs/guide/train.md"} <= names
    assert sum(len(blocks(p)) for p in PAGES) > 15
    # a ```bash or ```py block would be left out silently: the pages use python, sh or none
    fences = {m.group(1) for p in PAGES for m in re.finditer(r"^```(\w*)", p.read_text(encoding="utf-8"), re.M)}
    assert fences <= {"python", "sh", ""}, fences


def test_blocks_parsed(tmp_path: Path) -> None:
    page = tmp_path / "p.md"
    page.write_text(
        "text\n```python\nx = 1\n```\n\n<!-- not run: needs a GPU -->\n\n```sh\n"
        "hiddenlayers predict m.safetensors new.csv --proba > out.csv   # comment\nmake demo\n```\n```\nplain\n```\n",
        encoding="utf-8",
    )
    found = blocks(page)
    assert [(b.line, b.lang, b.not_run) for b in found] == [(2, "python", None), (8, "sh", "needs a GPU")]
    assert commands(found[1]) == [(["predict", "m.safetensors", "new.csv", "--proba"], "out.csv")]


CHAINS = [chain for page in PAGES for chain in chains(page)]


def _chain_id(chain: list[Step]) -> str:
    return chain[0].where + (f"+{len(chain) - 1}" if len(chain) > 1 else "")


def test_chains_cover_every_step() -> None:
    """Every step of every page runs once, and the chains keep page order."""
    assert sorted(s.where for c in CHAINS for s in c) == sorted(s.where for p in PAGES for s in steps(p))
    assert all([s.line for s in c] == sorted(s.line for s in c) for c in CHAINS)
    assert len(CHAINS) > len(PAGES)


def test_chains_follow_names_and_files(tmp_path: Path) -> None:
    page = tmp_path / "p.md"
    page.write_text(
        "```python\nimport numpy as np\nX = np.ones(3)\n```\n"  # 1: binds X
        "```python\nn = len(np.zeros(2))\n```\n"  # 5: only an import of 1: its own chain
        "```python\nY = X * 2\n```\n"  # 8: reads X: after 1
        "```sh\nhiddenlayers train data.csv --target label --out m.safetensors\n"  # 12: names m.safetensors
        "hiddenlayers datasets\n"  # 13: alone
        "hiddenlayers predict m.safetensors new.csv > p.csv\n```\n"  # 14: after 12
        "```python\nimport pandas as pd\npd.read_csv('p.csv')\n```\n",  # 16: reads p.csv: after 14
        encoding="utf-8",
    )
    lines = [[s.line for s in c] for c in chains(page)]
    assert lines == [[1, 8], [5], [12, 14, 16], [13]], lines


@pytest.fixture(scope="session")
def user_files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """:func:`_user_files` written once per test process (the same seed, so the same bytes): each page's test copies
    them (~1 ms) where writing them took ~25 ms of pandas and Parquet, 68 times."""
    where = tmp_path_factory.mktemp("user_files")
    _user_files(where)
    return where


@pytest.mark.parametrize("chain", CHAINS, ids=_chain_id)
def test_page_examples_run(chain: list[Step], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, user_files: Path) -> None:
    monkeypatch.chdir(tmp_path)
    # the processes a command starts (search and train --workers) import this same package
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(PACKAGE_DIR), os.environ.get("PYTHONPATH")])))
    shutil.copytree(user_files, tmp_path, dirs_exist_ok=True)  # a step may overwrite or delete one: each test has its own copy
    namespace: dict = {"__name__": "__docs__"}
    for step in chain:
        if step.args is None:
            _run_imports(step, chain, namespace)
            _run_python(step.block, namespace)
        else:
            _run_command(step, tmp_path)


NOT_RUN_BLOCKS = [b for p in PAGES for b in blocks(p) if b.not_run]


@pytest.mark.parametrize("block", NOT_RUN_BLOCKS, ids=lambda b: b.where)
def test_block_not_run(block: Block) -> None:
    pytest.skip(f"{block.where} not run: {block.not_run}")


# --- names the pages mention: every one must exist -------------------------------------------

SPAN = re.compile(r"`([^`\n]+)`")


def _cli_options() -> dict[str, set[str]]:
    """Each registered command's option names (``--out``, ``-o``, ...), ``--help`` and ``--debug`` included."""
    import typer

    group = typer.main.get_command(app)
    assert isinstance(group, typer.core.TyperGroup)
    return {
        name: {o for p in cmd.params for o in (*p.opts, *p.secondary_opts)} | {"--help", "-h", "--debug"}
        for name, cmd in group.commands.items()
    }


def _cli_mentions() -> list[tuple[str, str]]:
    """(page, text) of every ``hiddenlayers ...`` line of a shell block and every inline `hiddenlayers ...` span."""
    found = []
    for page in PAGES:
        name = page.relative_to(ROOT).as_posix()
        for block in blocks(page):
            found += [(f"{block.where}", line) for line in block.code.splitlines() if line.startswith("hiddenlayers ")]
        found += [(name, m.group(1)) for m in SPAN.finditer(page.read_text(encoding="utf-8")) if m.group(1).startswith("hiddenlayers ")]
    return found


def test_cli_mentions_name_real_commands_and_options() -> None:
    options = _cli_options()
    wrong = []
    for where, text in _cli_mentions():
        words = shlex.split(text, comments=True)
        if words[1:2] in (["--show-completion"], ["--install-completion"]):
            assert words[2:] in ([], ["bash"], ["zsh"], ["fish"], ["powershell"], ["pwsh"]), f"{where}: `{text}`"  # a shell's name
            continue
        command = next((w for w in words[1:] if not w.startswith("-")), None)
        if command is None:
            continue  # `hiddenlayers --help`
        if command not in options:
            wrong.append(f"{where}: `{text}`: no command {command!r}")
            continue
        for word in words[2:]:
            if word.startswith("-") and not re.fullmatch(r"-\d.*", word) and word.split("=")[0] not in options[command]:
                wrong.append(f"{where}: `{text}`: {command} has no option {word.split('=')[0]}")
    assert not wrong, "\n".join(wrong)


def test_inline_options_exist() -> None:
    """An option named alone in the text (`--max-batch`, `--workers N`) is an option of some command."""
    every = set().union(*_cli_options().values())
    wrong = []
    for page in PAGES:
        # another program's options, shown on its own line of the page (torchrun's --master-addr)
        others = {w.split("=")[0] for b in blocks(page) if b.lang == "sh" for line in b.code.splitlines()
                  if not line.startswith("hiddenlayers ") for w in line.split() if w.startswith("--")}
        for m in SPAN.finditer(page.read_text(encoding="utf-8")):
            first = m.group(1).split()[0].split("=")[0]
            if re.fullmatch(r"--[a-z][a-z0-9-]*", first) and first not in every | others:
                wrong.append(f"{page.relative_to(ROOT)}: `{m.group(1)}`")
    assert not wrong, "no command has these options:\n" + "\n".join(wrong)


def test_readme_names_every_command() -> None:
    """README's command-line quick start covers what `hiddenlayers --help` lists, and nothing else."""
    readme = [text for where, text in _cli_mentions() if where.startswith("README.md")]
    named = {shlex.split(t, comments=True)[1] for t in readme if len(shlex.split(t, comments=True)) > 1}
    assert set(_cli_options()) <= named, f"README never shows: {sorted(set(_cli_options()) - named)}"


def test_python_names_resolve() -> None:
    """Every `hl.name` or `hl.package.name` the pages use exists."""
    wrong = []
    for page in PAGES:
        for dotted in set(re.findall(r"\bhl((?:\.[A-Za-z_]\w*)+)", page.read_text(encoding="utf-8"))):
            obj: object = hiddenlayers
            for part in dotted.strip(".").split("."):
                if not hasattr(obj, part):
                    wrong.append(f"{page.relative_to(ROOT)}: hl{dotted}")
                    break
                obj = getattr(obj, part)
    assert not wrong, "\n".join(sorted(wrong))


def test_shown_values_read() -> None:
    assert shown_value("x.to_text()     # '128:relu'") == ("==", "128:relu")
    assert shown_value("clf.score(X, y)  # ~0.96") == ("~", 0.96)
    assert shown_value("clf.stop_reason_  # e.g. 'no_improvement'") is None
    assert shown_value("clf.fit(X, y)  # forward, loss") is None
    # a value, then a colon and what it means: the value is checked (the guide's `ex.agrees  # True: ...` was not)
    assert shown_value("ex.agrees  # True: the hand-written gradients are autograd's") == ("==", True)
    assert shown_value("broken.stop_reason_  # 'interrupted': the backup of epoch 2 is kept") == ("==", "interrupted")
    assert shown_value("list(log['epoch'])  # [1, 2, ..., 10]: numbered on") is None
    assert shown_value("lists = f(x)  # 15 rows: user, rank") is None


def test_named_files_exist() -> None:
    """Every repository file a page names (`tests/...py`, `benchmarks/RESULTS.md`, `bench_lens.py`) is there."""
    wrong = []
    for page in PAGES:
        text = page.read_text(encoding="utf-8")
        for path in set(re.findall(r"\b((?:benchmarks|examples|tests|docs|src)/[\w./-]+\.(?:py|md))\b", text)):
            if not (ROOT / path).exists():
                wrong.append(f"{page.relative_to(ROOT)}: {path}")
        for script in set(re.findall(r"\b(bench_\w+\.py)\b", text)):
            if not (ROOT / "benchmarks" / script).exists():
                wrong.append(f"{page.relative_to(ROOT)}: benchmarks/{script}")
    assert not wrong, "\n".join(sorted(wrong))
