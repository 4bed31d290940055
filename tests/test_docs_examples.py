"""The code blocks of README.md and the user guide (docs/**/*.md) run, as written.

Each page is one test. Its blocks run in page order in a fresh temporary working directory:
every ```` ```python ```` block in one namespace shared by the page, and every line of a
```` ```sh ```` block that starts with ``hiddenlayers`` through the command, in-process (Typer's
``CliRunner``; ``> FILE`` writes its output to FILE), which must exit with status 0. Other
shell lines (``make``, ``pip``, ``curl``, ``torchrun``) are not run.

The pages name the user's own tables: ``data.csv``, ``test.csv`` and ``new.csv`` (target
``label``) and ``big/`` (a folder of Parquet files, target ``y``). :func:`_user_files` writes
small ones there before a page runs, so each command has its input; everything else a block
uses comes from an earlier block of the same page or from a bundled dataset (no network).

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
        return f"{self.page.relative_to(ROOT)}:{self.line}"


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


def commands(block: Block) -> list[tuple[list[str], str | None]]:
    """The ``hiddenlayers`` lines of a shell block: (arguments after the program, ``> FILE`` or None)."""
    out = []
    for line in block.code.splitlines():
        words = shlex.split(line, comments=True)
        if not words or words[0] != "hiddenlayers":
            continue
        redirect = None
        if ">" in words:
            k = words.index(">")
            redirect, words = words[k + 1], words[:k]
        out.append((words[1:], redirect))
    return out


def _user_files(where: Path) -> None:
    """Small stand-ins for the tables the pages call the user's own (see the module docstring).

    ``data.csv``/``test.csv``/``new.csv``: a numeric, a money and a categorical column (the
    columns of README's serving example) with a few missing values and a yes/no ``label``;
    ``new.csv`` has no label. ``big/``: four Parquet files of 1,500 rows (two row groups each),
    eight numbers and a 0/1 ``y`` (enough for README's two processes with a global batch of 4096).
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
        frame["y"] = (X[:, 0] + X[:, 1] * X[:, 2] > 0).astype(int)
        frame.to_parquet(where / "big" / f"part{k}.parquet", index=False, row_group_size=750)


def shown_value(line: str) -> tuple[str, object] | None:
    """What a line's comment says its expression gives: ``("==", literal)`` for ``# 'text'``
    or ``# 3``, ``("~", number)`` for ``# ~0.96`` (two decimals); None for a comment in words."""
    comment = line.partition("  #")[2].strip()
    if comment.startswith("~"):
        try:
            return "~", float(comment[1:])
        except ValueError:
            return None
    try:
        return "==", ast.literal_eval(comment)
    except (ValueError, SyntaxError):
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


def _run_sh(block: Block, tmp: Path) -> None:
    for args, redirect in commands(block):
        result = invoke(args)
        shown = "hiddenlayers " + " ".join(args)
        assert result.exit_code == 0, f"{block.where}: `{shown}` exited {result.exit_code}:\n{result.output}"
        if redirect:
            (tmp / redirect).write_text(result.stdout, encoding="utf-8")


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


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_page_examples_run(page: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    # the processes a command starts (search and train --workers) import this same package
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(PACKAGE_DIR), os.environ.get("PYTHONPATH")])))
    _user_files(tmp_path)
    namespace: dict = {"__name__": "__docs__"}
    for block in blocks(page):
        if block.not_run:
            continue
        if block.lang == "python":
            _run_python(block, namespace)
        else:
            _run_sh(block, tmp_path)


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
