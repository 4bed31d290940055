"""Rich renderables as plain text: what ``print()`` of a report shows outside Rich (no colours, a fixed width)."""

from __future__ import annotations

from typing import Any

#: columns of the plain-text tables ``str(report)`` gives
PLAIN_WIDTH = 140


def plain_text(renderable: Any, width: int = PLAIN_WIDTH) -> str:
    """``renderable`` (a Rich table, say) rendered as plain text ``width`` columns wide, without the trailing newline."""
    import io

    from .._rich_plain import console

    buf = io.StringIO()
    console(file=buf, width=width, color_system=None, force_terminal=False).print(renderable)
    return buf.getvalue().rstrip("\n")


__all__ = ["PLAIN_WIDTH", "plain_text"]
