"""User strings (feature names, class labels, layer names) made safe to draw with Matplotlib.

Matplotlib reads ``$...$`` as mathtext (a name such as ``a_$\\frac$_b`` fails to
draw, ``price $x^$`` is typeset), clips long tick labels at the figure's
edge and draws characters its font lacks (数据 in DejaVu Sans) as empty
boxes. :func:`label` escapes and shortens; :func:`font_families` finds an
installed font that draws the rest, or says there is none, so the report can
show the full names as text beside the chart instead.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable

MAX_CHARS = 30  # longer labels are cut with an ellipsis; the report shows the full name as text


def label(text: object, max_chars: int = MAX_CHARS) -> str:
    """``text`` as Matplotlib should get it: at most ``max_chars`` characters, ``$`` drawn literally."""
    s = str(text)
    if len(s) > max_chars:
        s = s[: max_chars - 1] + "…"
    return s.replace("$", r"\$")


def shortened(text: object, max_chars: int = MAX_CHARS) -> bool:
    return len(str(text)) > max_chars


@functools.cache
def _charmap(path: str) -> frozenset[int]:
    from matplotlib.ft2font import FT2Font

    try:
        return frozenset(FT2Font(path).get_charmap())
    except (OSError, RuntimeError, ValueError):  # a damaged or unreadable font file: it draws nothing
        return frozenset()


@functools.cache
def _fallback(missing: frozenset[int]) -> str | None:
    """The name of an installed font that has every code point in ``missing``, if any."""
    from matplotlib import font_manager

    for entry in font_manager.fontManager.ttflist:
        if missing <= _charmap(entry.fname):
            return str(entry.name)
    return None


def font_families(texts: Iterable[object]) -> list[str] | None:
    """Font families that draw every character of ``texts``: the default font, plus a fallback font
    when the default lacks some (Matplotlib ≥ 3.6 falls back along the list); ``None`` when no installed
    font draws them all."""
    from matplotlib import font_manager, rcParams

    default = font_manager.findfont(font_manager.FontProperties(family=rcParams["font.family"]))
    have = _charmap(default)
    missing = frozenset(ord(c) for t in texts for c in str(t) if not c.isspace()) - have
    families = list(rcParams["font.family"])
    if not missing:
        return families
    extra = _fallback(missing)
    return None if extra is None else [*families, extra]
