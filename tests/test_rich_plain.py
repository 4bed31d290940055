"""``_rich_plain``: the user's text prints exactly as given, on the package's consoles and on a user's console with markup
on; the package's own styles still apply."""

from __future__ import annotations

import io

from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console

from hiddenlayers._rich_plain import PlainTable, console, styled

# Rich's markup and emoji syntax, mixed with any text: tags that open, close and never match, escapes, emoji codes
_PIECES = st.sampled_from(["[", "]", "[/]", "[bold]", "[/blue]", "[red on white]", "\\[", "\\", ":x:", ":thumbs_up:", "[link=x]", "a [cm]", " "])
_TEXT = st.lists(st.one_of(_PIECES, st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cs")), max_size=5)), min_size=1,
                 max_size=8).map("".join).filter(lambda s: s.strip() == s and s)


def _out(con: Console) -> str:
    return con.file.getvalue()  # type: ignore[attr-defined]


@settings(max_examples=60, deadline=None)
@given(_TEXT)
def test_console_prints_any_text_as_given(text: str) -> None:
    con = console(file=io.StringIO(), width=500, color_system=None)
    con.print(text, soft_wrap=True)
    assert _out(con) == text + "\n"


@settings(max_examples=60, deadline=None)
@given(cell=_TEXT, header=_TEXT, title=_TEXT, caption=_TEXT)
def test_a_plain_tables_strings_print_as_given_on_a_markup_console(cell: str, header: str, title: str, caption: str) -> None:
    t = PlainTable(title=title, title_justify="left", caption_justify="left", min_width=300)  # no title or caption wraps
    t.add_column(header)
    t.add_row(cell)
    t.caption = caption  # set after the constructor, as the cost and prune reports set it
    con = Console(file=io.StringIO(), width=500, color_system=None)  # markup and emoji codes on: Rich's defaults
    con.print(t)
    lines = [line.strip().strip("┃│").strip() for line in _out(con).splitlines()]
    assert lines[0] == title and header in lines and cell in lines and lines[-1] == caption


def test_our_styles_apply_and_the_users_text_stays_plain() -> None:
    con = Console(file=io.StringIO(), width=80, force_terminal=True, color_system="standard")
    con.print(styled(("warning:", "yellow"), " [bold] stays"))
    t = PlainTable(title="t [/blue]")
    t.add_column("[x]", style="bold")
    t.add_row("[red]")
    con.print(t)
    out = _out(con)
    assert "\x1b[33mwarning:\x1b[0m [bold] stays" in out  # yellow, then the text as given
    assert "\x1b[1m[red]" in out and "t [/blue]" in out and "\x1b[3m" in out  # the column's bold, the title's italic kept


def test_a_closed_pipe_is_a_broken_pipe_error_not_an_exit() -> None:
    """Rich's Console.on_broken_pipe raised SystemExit(1): a library call printing a table into a closed pipe exited the
    caller's program, and the command line exited 1 where `predict FILE | head` exits 0."""
    import pytest

    class Closed(io.StringIO):
        def write(self, s: str) -> int:
            raise BrokenPipeError(32, "Broken pipe")

    con = console(file=Closed())
    with pytest.raises(BrokenPipeError):
        con.print("a line")
    assert con.quiet
