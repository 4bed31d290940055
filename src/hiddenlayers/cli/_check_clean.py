"""``check DATA --clean OUT``: DATA without what the checks found, written as a new file, and the findings' fixes in
command-line words (the library's say ``report.clean(X, y, drop=...)``, which a command-line user cannot run)."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

from ._common import UserError, check_output, note

#: the table formats ``--clean`` writes (by the file's suffix, as ``predict --out`` writes them)
CLEAN_SUFFIXES = (".csv", ".tsv", ".parquet", ".jsonl")
#: ``--clean -``: the cleaned table as CSV on standard output (the report then goes to standard error)
CLEAN_STDOUT = "-"

_CLEAN_CALL = re.compile(r"report\.clean\(X, y, drop=\(([^)]*)\)\)")


def parse_drop(text: str | None, clean: str | None) -> tuple[str, ...] | None:
    """``--drop``'s comma-separated check names (None: not given, ``DataReport.clean``'s default); refused without ``--clean``
    or naming a check ``DataReport.clean`` does not take (the list in the error)."""
    if text is None:
        return None
    if clean is None:
        raise UserError("--drop says what --clean leaves out, and no --clean was given: add --clean OUT (e.g. --clean clean.csv), or drop --drop.")
    from ..data import CLEAN_DROPS, did_you_mean

    names = tuple(n.strip().replace("-", "_") for n in text.split(",") if n.strip())
    if not names:
        raise UserError(f"--drop names no check ({text!r}): give comma-separated names from {', '.join(CLEAN_DROPS)}.")
    unknown = [n for n in names if n not in CLEAN_DROPS]
    if unknown:
        raise UserError(f"--drop: unknown check {unknown[0]!r}: use any of {', '.join(CLEAN_DROPS)}.{did_you_mean(unknown[:1], CLEAN_DROPS)}")
    return names


def check_clean_path(clean: str | None, *, force: bool, inputs: tuple[str, ...], html: Path | None, streamed: bool) -> Path | None:
    """``--clean``'s path checked before any work: a table suffix, not a file the command reads (never over DATA, even with
    ``--force``), not ``--html``'s page, not an existing file without ``--force``; a folder of files is refused (checked streamed).
    None: no ``--clean``, or ``--clean -`` (standard output: :func:`write_clean` with no path)."""
    if clean is None:
        return None
    if streamed:
        raise UserError("--clean writes one table in memory; DATA is a folder or glob of files: check and clean one file, or drop --clean.")
    if clean == CLEAN_STDOUT:
        return None
    if Path(clean).suffix.lower() not in CLEAN_SUFFIXES:
        raise UserError(f"--clean must end in {', '.join(CLEAN_SUFFIXES)} (the table's format). Received: {clean!r}.")
    path = check_output(clean, force=force, inputs=inputs, what="--clean", example="clean.csv")
    if html is not None and path.resolve() == html.resolve():
        raise UserError(f"--clean '{clean}' is the --html path: give each its own path.")
    return path


def write_clean(report: Any, frame: Any, drop: tuple[str, ...] | None, path: Path | None) -> None:
    """Write ``frame`` (DATA as read, every column) without the rows and columns ``report``'s findings of the checks ``drop``
    name (``DataReport.clean``), atomically; nothing when a finding is fatal (cleaning would not make the data trainable).
    ``path`` None (``--clean -``): as CSV on standard output, as ``predict --out -`` writes its table."""
    where = "standard output" if path is None else f"'{path}'"
    if report.fatal:
        note(f"--clean: {where} not written: a finding is fatal (see above); fix it first.")
        return
    cleaned = report.clean(frame, None) if drop is None else report.clean(frame, None, drop=drop)
    from ._table_out import write_table

    if path is None:
        cleaned[0].to_csv(sys.stdout, index=False)
        note(f"wrote the cleaned table to standard output: {cleaned.summary}")
        return
    write_table(cleaned[0], path)
    note(f"wrote {path}: {cleaned.summary}")


def in_cli_words(report: Any, data: str, streamed: bool) -> Any:
    """``report`` with each fix's ``report.clean(X, y, drop=('duplicates',))`` as the command that does it:
    ``hiddenlayers check DATA --clean clean.csv --drop duplicates`` (a folder: drop the rows from its files)."""
    from dataclasses import replace

    from ..data import DataReport

    def words(match: re.Match[str]) -> str:
        names = ",".join(re.findall(r"'(\w+)'", match.group(1)))
        if streamed:
            return "remove them from the files; `hiddenlayers check FILE --clean clean.csv` does it for one file"
        target = f" --target {report.target}" if report.target is not None else ""
        return f"hiddenlayers check {data}{target} --clean clean.csv --drop {names}"

    found = [replace(f, fix=_CLEAN_CALL.sub(words, f.fix)) for f in report.findings]
    return DataReport(found, report.n_rows, report.n_columns, report.task, report.target, report.seconds)
