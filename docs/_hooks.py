"""MkDocs hooks: generate the API reference and the CLI reference at build time.

* ``reference/<package>.md``: the package's docstring, then one mkdocstrings block per
  public name (the package's ``__all__``, i.e. its ``_EXPORTS``), so a new public name
  appears without editing a page.
* ``cli.md``: ``hiddenlayers --help`` and ``hiddenlayers <command> --help`` for every
  command Typer registers, run in-process.

Nothing is written to ``docs/``: the pages exist only in the build.
"""

from __future__ import annotations

import importlib
import inspect
from typing import Any

from mkdocs.structure.files import File, Files

PACKAGES = {
    "index": ("hiddenlayers", "The top-level names: `import hiddenlayers as hl`, then `hl.MLPClassifier`, `hl.cost`, ..."),
    "data": ("hiddenlayers.data", ""),
    "network": ("hiddenlayers.network", ""),
    "training": ("hiddenlayers.training", ""),
    "estimators": ("hiddenlayers.estimators", ""),
    "lens": ("hiddenlayers.lens", ""),
    "rightsize": ("hiddenlayers.rightsize", ""),
    "ship": ("hiddenlayers.ship", ""),
    "apps": ("hiddenlayers.apps", ""),
    "exceptions": ("hiddenlayers.exceptions", ""),
}


def _public_names(module_name: str) -> list[str]:
    module = importlib.import_module(module_name)
    if module_name == "hiddenlayers.exceptions":  # some are made on first use; the top level lists them all
        import hiddenlayers

        return [n for n, m in hiddenlayers._EXPORTS.items() if m == ".exceptions"]
    names = list(getattr(module, "__all__", []))
    return [n for n in names if not n.startswith("_") and n != "__version__"]


def _reference_page(page: str, module_name: str, note: str) -> str:
    lines = [f"# `{module_name}`", ""]
    if note:
        lines += [note, ""]
    if page == "index":
        # the top-level names are re-exports of the stage packages' names, documented on their pages
        module = importlib.import_module(module_name)
        lines += ["| name | where it is documented |", "|---|---|"]
        for name in _public_names(module_name):
            home = module._EXPORTS[name].lstrip(".")
            value = getattr(module, name)
            anchor = f"#hiddenlayers.{home}.{name}" if inspect.isclass(value) or inspect.isfunction(value) else ""
            lines.append(f"| `hl.{name}` | [`hiddenlayers.{home}`]({home}.md{anchor}) |")
        return "\n".join(lines) + "\n"
    module = importlib.import_module(module_name)
    lines += [f"::: {module_name}", "    options:", "      members: false", "      show_root_heading: false", ""]
    constants = []
    for name in _public_names(module_name):
        value = getattr(module, name)
        if inspect.isclass(value) or inspect.isfunction(value):
            lines += [f"::: {module_name}.{name}", ""]
        else:  # tables and type aliases: their value says what they are
            text = repr(value)
            constants.append(f"| `{name}` | `{text if len(text) <= 160 else type(value).__name__ + ' (see the source)'}` |")
    if constants:
        lines += ["## Constants", "", "| name | value |", "|---|---|", *constants, ""]
    return "\n".join(lines)


def _cli_page() -> str:
    import typer
    from typer.testing import CliRunner

    from hiddenlayers.cli import app

    group = typer.main.get_command(app)
    runner = CliRunner()
    env = {"COLUMNS": "100", "TERM": "dumb", "NO_COLOR": "1", "_TYPER_FORCE_DISABLE_TERMINAL": "1"}
    lines = ["# CLI reference", "", "Generated at build time from the `hiddenlayers` command's own `--help` (Typer).", ""]

    def add(path: list[str], command: Any) -> None:
        result = runner.invoke(app, [*path, "--help"], env=env)
        if result.exit_code != 0:
            raise RuntimeError(f"hiddenlayers {' '.join(path)} --help failed: {result.output}")
        title = " ".join(["hiddenlayers", *path])
        lines.extend([f"## `{title}`" if path else "## `hiddenlayers`", "", "```text", result.output.rstrip(), "```", ""])
        subcommands = getattr(command, "commands", {})  # a group (Typer may bring its own click)
        for name in subcommands:  # in --help's order
            if not getattr(subcommands[name], "hidden", False):
                add([*path, name], subcommands[name])

    add([], group)
    return "\n".join(lines)


def on_files(files: Files, config: Any) -> Files:
    # NotFittedError is made on first touch (it subclasses scikit-learn's, slow to import);
    # touch it so that griffe, which inspects the module's namespace, sees it.
    exceptions = importlib.import_module("hiddenlayers.exceptions")
    vars(exceptions)["NotFittedError"] = exceptions.NotFittedError
    for page, (module_name, note) in PACKAGES.items():
        files.append(File.generated(config, f"reference/{page}.md", content=_reference_page(page, module_name, note)))
    files.append(File.generated(config, "cli.md", content=_cli_page()))
    return files
