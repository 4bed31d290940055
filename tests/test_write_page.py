"""Every report page is written by one helper (``hiddenlayers._html.write_page``): the same refusals everywhere."""

from __future__ import annotations

import pytest

from hiddenlayers.data import DataReport
from hiddenlayers.lens import DomainShift, Report

PAGES = {
    "lens report": (lambda: Report("Inside x", []), "save", "report.html"),
    "data check": (lambda: DataReport([], 10, 2), "save", "data.html"),
    "domain shift": (lambda: DomainShift([], 10, 10, 19), "save", "shift.html"),
}


@pytest.mark.parametrize("kind", list(PAGES))
def test_a_page_is_written_whole_and_a_folder_or_missing_folder_is_refused(kind, tmp_path):
    make, method, example = PAGES[kind]
    save = getattr(make(), method)
    with pytest.raises(ValueError, match=f"^'{tmp_path}' is a folder: give a file path such as {example}\\.$"):
        save(tmp_path)
    with pytest.raises(FileNotFoundError, match="does not exist: create it first"):
        save(tmp_path / "nodir" / "p.html")
    path = tmp_path / "p.html"
    path.write_text("old")
    save(path)
    page = path.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "Content-Security-Policy" in page
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.html"]  # replaced in place, no temp file left behind
