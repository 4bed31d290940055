"""HTML building blocks of every self-contained report (lens, data check, search): escaping,
tables, inline images, the one page shell with its Content-Security-Policy, and writing a page.

It sits at the top level, below every stage, so ``data/`` may use it as well as ``lens/`` and ``rightsize/``.
"""

from __future__ import annotations

import base64
import html
import io
import os
import re
from collections.abc import Sequence
from typing import Any

#: the names a report page may have (the CLI refuses any other ``--html``/``--out``, so never a model or data file)
HTML_SUFFIXES = (".html", ".htm")

CSS = """
:root { --ink:#1f2933; --muted:#616e7c; --line:#e4e7eb; --accent:#2f6fde; --warn:#b7791f; --bad:#c53030; --bg:#fbfbfc; }
* { box-sizing: border-box; }
body { margin:0; font:15px/1.55 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif; color:var(--ink); background:var(--bg); }
header { padding:28px 40px 18px; background:#fff; border-bottom:1px solid var(--line); }
header h1 { margin:0 0 4px; font-size:26px; }
header p { margin:0; color:var(--muted); }
nav { padding:10px 40px; background:#fff; border-bottom:1px solid var(--line); position:sticky; top:0; z-index:1; }
nav a { color:var(--accent); text-decoration:none; margin-right:16px; font-size:14px; white-space:nowrap; }
main { max-width:1180px; margin:0 auto; padding:8px 40px 60px; }
section { background:#fff; border:1px solid var(--line); border-radius:8px; padding:18px 24px; margin:22px 0; }
section h2 { margin:0 0 6px; font-size:20px; }
section p.lead { margin:0 0 14px; color:var(--muted); }
table { border-collapse:collapse; width:100%; font-size:14px; margin:8px 0; }
th, td { text-align:right; padding:6px 10px; border-bottom:1px solid var(--line); vertical-align:top; max-width:40em; overflow-wrap:break-word; }
td.wrap { overflow-wrap:anywhere; } /* a long unbroken string (a 200-character label) may break anywhere, so the table fits the page */
th:first-child, td:first-child { text-align:left; }
th { background:#f5f7fa; font-weight:600; }
td.bad { color:var(--bad); font-weight:600; } td.warn { color:var(--warn); font-weight:600; }
ul.warnings { margin:10px 0 0; padding-left:20px; } ul.warnings li { color:var(--warn); }
p.ok { color:#2f855a; } p.na { color:var(--muted); font-style:italic; }
figure { margin:10px 0; } figure img, figure svg { max-width:100%; height:auto; display:block; }
.side { display:flex; flex-wrap:wrap; gap:8px 24px; align-items:flex-start; } .side > figure { flex:0 1 auto; } .side > table { flex:1 1 18em; width:auto; }
figcaption { color:var(--muted); font-size:13px; }
.mono { font-family:ui-monospace,"DejaVu Sans Mono",monospace; }
footer { color:var(--muted); font-size:13px; text-align:center; padding:20px; }
"""


def esc(text: Any) -> str:
    return html.escape(str(text), quote=True)


def _layout_once(fig: Any, dpi: float) -> None:
    """Run ``fig``'s layout engine (constrained layout) once at the ``dpi`` it is saved at, then switch it off.

    Why: ``savefig`` on a figure with a layout engine first draws the whole figure without rendering just to
    run the engine, then draws it again for real; the second pass of tick and text layout bought nothing.
    Placed here the engine runs exactly as that hidden pass runs it (same renderer resolution, same figure),
    so the PNG is the same, pixel for pixel, one full draw cheaper (~1/4 of a report figure's time).
    """
    import matplotlib as mpl
    from matplotlib.layout_engine import PlaceHolderLayoutEngine

    engine = fig.get_layout_engine()
    if engine is None or isinstance(engine, PlaceHolderLayoutEngine) or not fig.axes:
        return
    saved = fig.dpi
    fig.dpi = dpi  # the renderer the engine measures text with is the figure's, at the figure's resolution
    try:
        engine.execute(fig)
    except ValueError:  # as Figure.draw: an engine that cannot fit the figure leaves the positions as they are
        pass
    finally:
        fig.dpi = saved
    with mpl.rc_context({"figure.autolayout": False, "figure.constrained_layout.use": False}):
        fig.set_layout_engine(None)  # None, not "none": a placeholder engine makes savefig draw twice again


def figure_html(fig: Any, caption: str = "", *, dpi: int = 90, alt: str = "") -> str:
    """A Matplotlib figure as an inline base64 PNG ``<figure>`` (no external files); ``alt`` defaults to the caption.

    ``fig`` is laid out for ``dpi`` and its layout engine then removed (:func:`_layout_once`): pass a figure made for the page.
    """
    buf = io.BytesIO()
    _layout_once(fig, dpi)
    fig.savefig(buf, format="png", dpi=dpi)  # constrained layout already fits the contents: no second, "tight" draw
    data = base64.b64encode(buf.getvalue()).decode("ascii")
    cap = f"<figcaption>{esc(caption)}</figcaption>" if caption else ""
    alt = esc(alt or caption or "figure")
    return f'<figure><img alt="{alt}" src="data:image/png;base64,{data}">{cap}</figure>'


_LONG_WORD = re.compile(r"\S{25,}")


def wrap_class(text: Any) -> str:
    """``"wrap"`` for a cell holding an unbroken run of 25+ characters (it may then break anywhere), else ``""``.

    Only such cells get ``overflow-wrap:anywhere``: on every cell, short words ("warning") would break too.
    """
    return "wrap" if _LONG_WORD.search(str(text)) else ""


def table_html(header: Sequence[str], rows: Sequence[Sequence[Any]], classes: Sequence[Sequence[str]] | None = None) -> str:
    """A plain table; ``classes[i][j]`` optionally styles cell ``(i, j)`` (``"bad"``, ``"warn"``)."""
    head = "".join(f"<th>{esc(h)}</th>" for h in header)
    body = []
    for i, row in enumerate(rows):
        cells = []
        for j, v in enumerate(row):
            cls = " ".join(c for c in (classes[i][j] if classes else "", wrap_class(v)) if c)
            cells.append(f'<td class="{cls}">{esc(v)}</td>' if cls else f"<td>{esc(v)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def warnings_html(items: Sequence[str], ok: str = "") -> str:
    if not items:
        return f'<p class="ok">{esc(ok)}</p>' if ok else ""
    return '<ul class="warnings">' + "".join(f"<li>{esc(w)}</li>" for w in items) + "</ul>"


def na_html(reason: str) -> str:
    return f'<p class="na">Not available: {esc(reason)}</p>'


def note_html(text: str) -> str:
    """A one-line remark in the muted style (something left out of a section that is otherwise there)."""
    return f'<p class="na">{esc(text)}</p>'


FOOTER = "Written by hiddenlayers — one self-contained file, no network needed."


def page(title: str, subtitle: str, sections: Sequence[tuple[str, str, str, str]], *, footer: str = FOOTER) -> str:
    """The whole document; ``sections`` = (id, title, lead sentence, body HTML).

    Every report goes through this shell: its CSP forbids scripts and any fetch
    (images only as ``data:`` URIs), so a hostile column name can do nothing.
    """
    nav = "".join(f'<a href="#{esc(sid)}">{esc(t)}</a>' for sid, t, _, _ in sections)
    body = "".join(
        f'<section id="{esc(sid)}"><h2>{esc(t)}</h2><p class="lead">{esc(lead)}</p>{content}</section>'
        for sid, t, lead, content in sections
    )
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; img-src data:; style-src 'unsafe-inline'\">"
        f"<title>{esc(title)}</title><link rel=\"icon\" href=\"data:,\"><style>{CSS}</style></head><body>"
        f"<header><h1>{esc(title)}</h1><p>{esc(subtitle)}</p></header><nav>{nav}</nav><main>{body}</main>"
        f"<footer>{esc(footer)}</footer></body></html>\n"
    )


def write_page(path: str | os.PathLike[str], text: str, *, example: str = "report.html") -> None:
    """Write the page ``text`` to ``path`` atomically (UTF-8; temp file in the same folder, then rename).

    A folder is refused with a ``ValueError`` that suggests a file name like
    ``example``; a missing folder or a device is refused by :func:`~hiddenlayers._files.check_writable`.
    """
    from ._files import atomic_write_bytes

    if os.path.isdir(path):
        raise ValueError(f"'{path}' is a folder: give a file path such as {example}.")
    atomic_write_bytes(path, text.encode("utf-8"))
