"""The report's HTML building blocks; they live in the top-level ``hiddenlayers._html`` so every report shares one page shell."""

from __future__ import annotations

from .._html import CSS, esc, figure_html, na_html, note_html, page, table_html, warnings_html, write_page

__all__ = ["CSS", "esc", "figure_html", "na_html", "note_html", "page", "table_html", "warnings_html", "write_page"]
