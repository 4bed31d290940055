"""The house rule on the whole public API, held by test: "Type hints on public functions; every parameter documented
once; docstrings that say what and why".

Walks every public name of ``hiddenlayers`` and of each stage package's ``__all__`` (functions, classes, and the public
methods and properties that hiddenlayers' own classes define or inherit from hiddenlayers' bases) and checks that

* each has a docstring (a method overriding a documented one inherits it, as ``help()`` shows);
* each parameter of the signature (but ``self``/``cls``) is named in the numpydoc "Parameters" section, exactly once
  (a class documents its constructor once: in the class docstring, or in ``__init__``'s, never both; a dataclass may
  document its fields as "Attributes"); ``*args`` and ``**kwargs`` may instead be said in the prose, where the
  docstring tells where they go;
* no documented parameter is missing from the signature (a stale line);
* every parameter and the return carry a type hint.

And every option and argument of every ``hiddenlayers`` command has a help text that says its default (shown by Typer,
or said in the text), and every public name has a place in the generated API reference (``docs/_hooks.py``).

Import-only (griffe's numpydoc parser, which mkdocstrings uses for the reference): no model is built or trained.
"""

from __future__ import annotations

import dataclasses
import importlib
import importlib.util
import inspect
import logging
import types
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import hiddenlayers as hl

griffe = pytest.importorskip("griffe")

PACKAGES = ["hiddenlayers", *(f"hiddenlayers.{p}" for p in hl._SUBPACKAGES)]

def _ours(obj: Any) -> bool:
    return (getattr(obj, "__module__", None) or "").startswith("hiddenlayers")


def _public_objects() -> dict[str, Any]:
    """Every public class and function, once, under the name of the module that defines it (``hl.cost`` and
    ``hl.rightsize.cost`` are one object)."""
    found: dict[str, Any] = {}
    for package in PACKAGES:
        module = importlib.import_module(package)
        for name in module.__all__:
            obj = getattr(module, name)
            if (inspect.isclass(obj) or inspect.isfunction(obj)) and _ours(obj):
                found.setdefault(f"{obj.__module__}.{obj.__qualname__}", obj)
    return dict(sorted(found.items()))


def _members(cls: type) -> Iterator[tuple[str, Any]]:
    """``(qualified name, member)`` for each public method and property ``cls`` has from hiddenlayers' own classes,
    named by the class that defines it (so a method shared through a base is checked once)."""
    seen: set[str] = set()
    for klass in cls.__mro__:
        if not _ours(klass):
            continue
        for name, member in vars(klass).items():
            if name.startswith("_") or name in seen:
                continue
            seen.add(name)
            if isinstance(member, (classmethod, staticmethod)):
                member = member.__func__
            if isinstance(member, property) or inspect.isfunction(member):
                yield f"{klass.__module__}.{klass.__qualname__}.{name}", member


def _callables() -> dict[str, tuple[Callable[..., Any], tuple[str, ...], bool]]:
    """``qualified name -> (callable, its docstrings, whether self/cls leads)`` for every public function, method and
    constructor (a class's constructor reads the class docstring and ``__init__``'s together)."""
    out: dict[str, tuple[Callable[..., Any], tuple[str, ...], bool]] = {}
    for qual, obj in _public_objects().items():
        if inspect.isfunction(obj):
            out[qual] = (obj, (obj.__doc__ or "",), False)
            continue
        init_owner = next(k for k in obj.__mro__ if "__init__" in vars(k))
        if _ours(init_owner):  # a constructor of hiddenlayers' own (not Exception's, torch's or scikit-learn's)
            init = vars(init_owner)["__init__"]
            out[f"{qual}()"] = (obj, (obj.__doc__ or "", init.__doc__ or ""), False)
        for name, member in _members(obj):
            if inspect.isfunction(member):
                out.setdefault(name, (member, (inspect.getdoc(getattr(obj, name.rsplit(".", 1)[1])) or "",), True))
    return out


def _documented(docs: tuple[str, ...], kinds: tuple[str, ...] = ("parameters", "other parameters")) -> list[list[str]]:
    """The names of each numpydoc section of ``docs`` of one of ``kinds`` ("Parameters" and "Other Parameters"), one list
    per section, with ``*``/``**`` stripped (``**kwargs`` -> ``kwargs``)."""
    sections: list[list[str]] = []
    quiet = logging.getLogger("griffe")
    level, quiet.level = quiet.level, logging.CRITICAL  # "no type for parameter x": the signature's hint is the type
    try:
        for part in docs:  # a class docstring and __init__'s, each parsed alone
            parsed = griffe.Docstring(inspect.cleandoc(part), lineno=1).parse("numpy")
            for section in parsed:
                if section.kind.value in kinds:
                    sections.append([n.strip().lstrip("*") for p in section.value for n in p.name.split(",")])
    finally:
        quiet.level = level
    return sections


def _parameter_problems(qual: str, func: Callable[..., Any], docs: tuple[str, ...], bound: bool) -> list[str]:
    try:
        signature = inspect.signature(func)
    except (TypeError, ValueError):  # a builtin's slot wrapper: nothing of ours to check
        return []
    # a leading underscore marks a private parameter (a dataclass's internal field, e.g. Table._lines): not public API
    params = [p for p in list(signature.parameters.values())[1 if bound else 0 :] if not p.name.startswith("_")]
    variadic = {p.name for p in params if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD)}
    # A dataclass's fields are its constructor's parameters; a result users read rather than build (CostReport, History)
    # documents them as numpydoc's "Attributes", which count here as its "Parameters" do (still each once, none stale).
    kinds = ("parameters", "other parameters", "attributes") if dataclasses.is_dataclass(func) else ("parameters", "other parameters")
    sections = _documented(docs, kinds)
    named = [n for section in sections for n in section]
    problems = []
    if not sections and len(params) > len(variadic):
        return [f"{qual}: no Parameters section for {[p.name for p in params if p.name not in variadic]}"]
    missing = [p.name for p in params if p.name not in named and not (p.name in variadic and any(p.name in d for d in docs))]
    if missing:
        problems.append(f"{qual}: parameters not documented: {missing}")
    stale = [n for n in named if n not in {p.name for p in params}]
    if stale:
        problems.append(f"{qual}: documents parameters it does not take: {stale}")
    twice = sorted({n for n in named if named.count(n) > 1})
    if twice:
        problems.append(f"{qual}: documents {twice} more than once (class docstring and __init__, or one section)")
    return problems


def test_every_public_object_has_a_docstring() -> None:
    missing = []
    for qual, obj in _public_objects().items():
        if not (obj.__doc__ or "").strip():
            missing.append(qual)
        if inspect.isclass(obj):
            for name, _ in _members(obj):
                if not (inspect.getdoc(getattr(obj, name.rsplit(".", 1)[1])) or "").strip():
                    missing.append(name)
    assert missing == [], f"{len(missing)} public names have no docstring: {sorted(set(missing))}"


def test_every_parameter_is_documented_once_and_none_is_stale() -> None:
    problems = [p for qual, (func, docs, bound) in _callables().items() for p in _parameter_problems(qual, func, docs, bound)]
    assert problems == [], f"{len(problems)} problems:\n" + "\n".join(problems)


def test_public_functions_carry_type_hints() -> None:
    missing = []
    for qual, (func, _, bound) in _callables().items():
        if inspect.isclass(func):
            func, bound = next(vars(k)["__init__"] for k in func.__mro__ if "__init__" in vars(k)), True
        signature = inspect.signature(func)
        params = list(signature.parameters.values())[1 if bound else 0 :]
        unhinted = [p.name for p in params if p.annotation is p.empty]
        if signature.return_annotation is signature.empty and func.__name__ != "__init__":
            unhinted.append("return")
        if unhinted:
            missing.append(f"{qual}: {unhinted}")
    for obj in _public_objects().values():
        for name, member in _members(obj) if inspect.isclass(obj) else ():
            if isinstance(member, property) and member.fget and inspect.signature(member.fget).return_annotation is inspect.Signature.empty:
                missing.append(f"{name}: ['return']")
    assert missing == [], "no type hint on:\n" + "\n".join(missing)


def _commands(app: Any) -> Iterator[tuple[str, Any]]:
    """``(command line, click command)`` for every visible command of the Typer ``app``, groups walked."""
    import typer

    def walk(path: list[str], command: Any) -> Iterator[tuple[str, Any]]:
        subcommands = getattr(command, "commands", None)  # a group (Typer brings its own click)
        if subcommands is None:
            yield " ".join(["hiddenlayers", *path]), command
        for name, sub in (subcommands or {}).items():
            if not sub.hidden:
                yield from walk([*path, name], sub)

    yield from walk([], typer.main.get_command(app))


def _cli_problems(commands: dict[str, Any]) -> list[str]:
    """A command without help, an option or argument without help, an option whose default is neither shown nor said."""
    problems = []
    for path, command in commands.items():
        if not (command.help or "").strip():
            problems.append(f"{path}: the command has no help")
        for param in command.params:
            if getattr(param, "hidden", False):
                continue
            label = f"{path} {'/'.join(getattr(param, 'opts', [])) or param.name}"
            text = (getattr(param, "help", None) or "").strip()
            if not text:
                problems.append(f"{label}: no help text")
            default = param.default  # 0 and 0.0 are defaults to show (``0 in (False,)`` is True: compare by identity)
            has_default = not (default is None or default is False or default in ((), [])) and not getattr(param, "is_flag", False)
            if param.param_type_name == "option" and has_default and not param.show_default and "default" not in text.lower():
                problems.append(f"{label}: default {param.default!r} neither shown nor said")
    return problems


def test_every_cli_option_has_help_that_shows_its_default() -> None:
    from hiddenlayers.cli import app

    commands = dict(_commands(app))
    assert {"hiddenlayers train", "hiddenlayers predict", "hiddenlayers search"} <= set(commands)
    assert _cli_problems(commands) == []


def test_the_cli_check_finds_an_option_without_help_or_default() -> None:
    import typer

    demo = typer.Typer()

    @demo.command()
    def run(epochs: int = typer.Option(10, help="Epochs."), rate: float = typer.Option(0.1, show_default=False, help="Step size."),
            seed: int = typer.Option(0), workers: int = typer.Option(0, show_default=False, help="Processes.")) -> None:
        """Run."""

    @demo.command()
    def other() -> None:
        """Another command, so that Typer makes a group."""

    problems = _cli_problems(dict(_commands(demo)))
    assert problems == ["hiddenlayers run --rate: default 0.1 neither shown nor said", "hiddenlayers run --seed: no help text",
                        "hiddenlayers run --workers: default 0 neither shown nor said"]


def test_every_public_name_has_a_place_in_the_api_reference() -> None:
    pytest.importorskip("mkdocs")
    spec = importlib.util.spec_from_file_location("docs_hooks", Path(__file__).parents[1] / "docs" / "_hooks.py")
    assert spec and spec.loader
    hooks = types.ModuleType("docs_hooks")
    spec.loader.exec_module(hooks)
    pages = {module: hooks._reference_page(page, module, note) for page, (module, note) in hooks.PACKAGES.items()}
    assert set(PACKAGES) <= set(pages), f"packages with no reference page: {sorted(set(PACKAGES) - set(pages))}"
    for package in PACKAGES:
        module = importlib.import_module(package)
        page = pages[package]  # a class or function has its own block; a constant its row; the top level its table row
        absent = [n for n in module.__all__ if n != "__version__" and not {f"::: {package}.{n}\n", f"| `{n}` |", f"| `hl.{n}` |"} & _lines(page)]
        assert absent == [], f"{package}: not in the API reference: {absent}"


def _lines(page: str) -> set[str]:
    """Each line's start that names a public name: a ``::: block``'s line, or a table row's first cell."""
    starts = set()
    for line in page.splitlines():
        if line.startswith(":::"):
            starts.add(line + "\n")
        elif line.startswith("| `"):
            starts.add(line[: line.index("` |") + 3])
    return starts


def _sample(x: int, y: str = "", *args: Any, **kwargs: Any) -> None:
    """A function for the checker's own test.

    Parameters
    ----------
    x : int
        Documented.
    z : float
        Not in the signature.
    x : int
        Documented again.
    """


def test_the_parameter_check_finds_each_kind_of_problem() -> None:
    problems = "\n".join(_parameter_problems("_sample", _sample, (_sample.__doc__ or "",), False))
    assert "parameters not documented: ['y', 'args', 'kwargs']" in problems
    assert "documents parameters it does not take: ['z']" in problems
    assert "documents ['x'] more than once" in problems
    said = "Parameters\n----------\nx : int\n    The x.\ny : str\n    The y.\n\nNotes\n-----\nExtra ``*args`` and ``**kwargs`` go to print()."
    assert _parameter_problems("_sample", _sample, (said,), False) == []
    assert _parameter_problems("_sample", _sample, ("Prose only: ``x`` and ``y``.",), False) == [
        "_sample: no Parameters section for ['x', 'y']"
    ]
    # a class documents its constructor once: the class docstring and __init__'s both naming x is a problem
    twice = ("Parameters\n----------\nx : int\n    The x.\ny : str\n    The y.", "Parameters\n----------\nx : int\n    The x.")
    assert any("documents ['x'] more than once" in p for p in _parameter_problems("_sample", _sample, twice, False))


@dataclasses.dataclass
class _Result:
    """A result for the checker's own test.

    Attributes
    ----------
    score : float
        The score.
    """

    score: float
    seconds: float = 0.0


def test_a_dataclass_may_document_its_fields_as_attributes_each_once() -> None:
    problems = _parameter_problems("_Result", _Result, (_Result.__doc__ or "",), False)
    assert problems == ["_Result: parameters not documented: ['seconds']"]
    both = inspect.cleandoc(_Result.__doc__ or "") + "\n\nParameters\n----------\nscore : float\n    Again.\nseconds : float\n    Time."
    assert any("documents ['score'] more than once" in p for p in _parameter_problems("_Result", _Result, (both,), False))
    # a plain function's Attributes section documents no parameter
    assert _parameter_problems("_sample", _sample, ("Attributes\n----------\nx : int\n    X.\ny : str\n    Y.",), False) == [
        "_sample: no Parameters section for ['x', 'y']"
    ]


def test_parameters_section_goes_before_the_examples_and_the_function_stays_itself() -> None:
    from hiddenlayers._docsections import parameters_section

    def f(x: int) -> int:
        """Double ``x``.

        More words.

        Examples
        --------
        >>> f(2)
        4
        """
        return 2 * x

    g = parameters_section("Parameters\n----------\nx : int\n    The number.")(f)
    assert g is f and g(2) == 4
    assert f.__doc__ == "Double ``x``.\n\nMore words.\n\nParameters\n----------\nx : int\n    The number.\n\nExamples\n--------\n>>> f(2)\n4\n"
    assert _parameter_problems("f", f, (f.__doc__,), False) == []
    with pytest.raises(ValueError, match="section must start with a 'Parameters' line"):
        parameters_section("x : int\n    The number.")
    # the long entry points carry their section this way: help() shows it whole
    assert "\nParameters\n----------\nX : array-like of shape (n_rows, n_features)\n" in inspect.cleandoc(hl.search.__doc__ or "")
