"""Rich output that prints the user's text as given: the one rule every Rich line, table and bar of the package follows.

Why: Rich reads ``[...]`` in a string as markup, and ``:name:`` as an emoji code, by default. Column names, class labels,
categories, file paths, app vocabularies and option values reach nearly every table and line the package prints: a column
``length [cm]`` printed as ``length``, a label ``[setosa]`` vanished, a value ``[/blue]`` stopped a command with an
internal ``MarkupError``. Escaping each such string (``rich.markup.escape``) was done in a few places and missed in some
thirty; the rule below makes plain text the default instead.

* :func:`console`: every ``Console`` the package prints through (the CLI's and the library's own) has markup and emoji
  codes off, so every plain string (a line, a table cell, a title, a caption) prints exactly as given.
* :class:`PlainTable`: the tables the package builds draw their strings as ``rich.text.Text``, so they print as given on
  any console, a user's too (``rich.print(hl.cost(clf))``, a notebook's display, ``print(report)``).
* The styles the package adds are ``style=`` arguments or ``Text`` objects (:func:`styled`), never ``[tag]`` strings.

``training``'s ``explain`` walk-through is the one renderer that writes markup (its formulas' bold and dim parts), on a
console of its own, with every user string escaped (``rich.markup.escape``).
"""

from __future__ import annotations

import copy
from dataclasses import replace
from typing import Any

from rich.console import Console, ConsoleOptions, RenderResult
from rich.measure import Measurement
from rich.style import Style
from rich.table import Table
from rich.text import Text


def console(**kwargs: Any) -> Console:
    """A ``rich.console.Console`` (``kwargs`` as Rich takes them: ``stderr``, ``file``, ``width``, ...) that reads no markup
    and no emoji codes: ``console().print("length [cm] :x:")`` prints ``length [cm] :x:``."""
    return _Console(markup=False, emoji=False, **kwargs)


class _Console(Console):
    """A Console whose closed pipe (``hiddenlayers info m.safetensors | head -1``) raises ``BrokenPipeError``, which the command
    line ends quietly with exit 0 (as ``predict FILE | head``), where Rich's own ``on_broken_pipe`` raised ``SystemExit(1)``
    (Rich documents the method as one to override): from a library call too, a closed pipe is an error, not an exit. A
    console on stderr (a progress bar, notes) keeps Rich's exit 1: the command's work stops unfinished there."""

    def on_broken_pipe(self) -> None:
        if self.stderr:
            super().on_broken_pipe()
        self.quiet = True  # nothing more to write there
        raise BrokenPipeError("the reader of this output closed it")


def styled(*parts: str | tuple[str, str]) -> Text:
    """One line of plain parts and ``(text, style)`` pairs, e.g. ``styled(("warning:", "yellow"), " ", message)``: the styles
    are ours, the text is never read as markup."""
    return Text.assemble(*parts)


def _plain(value: Any, style: Any = "") -> Any:
    """``value`` as ``Text`` when it is a string (styled ``style``), else as it is (a renderable, None)."""
    return Text(value, style=style or "") if isinstance(value, str) else value


class PlainTable(Table):
    """A ``rich.table.Table`` whose strings print as plain text on any console: its cells, column headers and footers, title
    and caption (set in the constructor or later) are drawn as ``Text``, so a cell ``[setosa]`` or a title naming
    ``runs [v2]/m.onnx`` prints as given. The strings stay what they were (``table.columns[0].header == "layer"``): the
    ``Text`` copy is made when the table is drawn or measured. The title and caption keep Rich's table styles."""

    def _drawn(self) -> Table:
        """A plain ``Table`` copy of this one with every string as ``Text`` (the copy's columns are new; the rows shared)."""
        drawn: Table = copy.copy(self)
        drawn.__class__ = Table
        drawn.title = _plain(self.title, Style.pick_first(self.title_style, "table.title"))
        drawn.caption = _plain(self.caption, Style.pick_first(self.caption_style, "table.caption"))
        drawn.columns = [replace(c, header=_plain(c.header), footer=_plain(c.footer), _cells=[_plain(x) for x in c._cells])
                         for c in self.columns]
        return drawn

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield from self._drawn().__rich_console__(console, options)

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        return self._drawn().__rich_measure__(console, options)


__all__ = ["PlainTable", "console", "styled"]
