"""The ``check`` command, and the fast data checks ``train`` runs first (heavy imports inside the functions)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

import typer

from ._common import STDIN_ARG, UserError, check_report_output, is_stream_input, note, shown
from ._header import check_named_columns, split_columns
from ._options import check_features, parse_features, seed_option

EXIT_FATAL = 2


def read_checked(data: str) -> tuple[Any, list[Any]]:
    """(:class:`hiddenlayers.data.Table`, file findings) of ``data``, read by ``read_table`` as every command reads it.

    Ragged CSV lines are dropped by the reader, and the ``ragged_rows`` and
    ``empty_rows`` findings come from the same scan, so they name the lines it
    dropped. ``train`` hands the same table on to its preparation (one read).
    """
    from ..data import file_findings, read_table

    table = read_table(data)
    records = table.records()
    return table, (file_findings(records) if records is not None else [])


def _with_file(report: Any, found: list[Any], leave_out: tuple[str, ...] = (), table: Any = None) -> Any:
    """``report`` with the file findings ``found`` first, and without the non-fatal findings named in ``leave_out``.

    ``table``: the :class:`hiddenlayers.data.Table` whose rows the findings count (0-based): their messages then name
    its file lines (``lines 2, 145``; 1-based ``rows`` for a file without lines), as every command names a row.
    """
    from ..data import DataReport, located

    kept = [f for f in found + report.findings if f.check not in leave_out or f.severity == "fatal"]
    if table is not None:
        kept = [located(f, table.lines(), table.unit) for f in kept]
    return DataReport(kept, report.n_rows, report.n_columns, report.task, report.target, report.seconds)


def run_check(data: str, *, target: str | None, features: str | None, against: str | None, task: str, fast: bool,
              as_json: bool, html: str | None, force: bool, seed: int, sample_weight: str | None = None,
              clean: str | None = None, drop: str | None = None) -> int:
    """Check ``data`` (and ``against``); print the report; return the exit status (2 when a finding is fatal).

    ``sample_weight``: the ``--sample-weight`` column, left out of the feature checks (and of ``against``'s) and checked as weights.
    ``clean``: also write ``data`` without what the checks ``drop`` names found there (:mod:`._check_clean`); ``-``: as CSV on
    standard output, the report then on standard error (so ``check data.csv -t y --clean - > clean.csv`` is a filter).
    """
    from .._check import check
    from ._check_clean import CLEAN_STDOUT, check_clean_path, parse_drop, write_clean

    if task not in ("auto", "classification", "regression"):
        raise UserError(f"--task must be one of auto, classification, regression. Received: {task!r}.")
    dropped = parse_drop(drop, clean)
    streamed = is_stream_input(data)
    check_named_columns(data, target=target, features=features, sample_weight=sample_weight)  # before an existing --html or --clean
    html_path = check_report_output(html, force=force, what="--html") if html else None
    clean_path = check_clean_path(clean, force=force, inputs=(data, against or ""), html=html_path, streamed=streamed)
    if streamed:
        if sample_weight is not None:  # as `train DIR` refuses it
            raise UserError("--sample-weight is not supported for streamed data yet (a folder or glob of files): `train` reads no row "
                            "weights from one; check one file, or drop --sample-weight.")
        report = _check_folder(data, target, features, against, task)
        return _show(report, html_path, as_json, data, streamed=True)
    table, found = read_checked(data)
    frame, weight_found = weight_column_findings(table, data, sample_weight, target, features)
    found += weight_found
    X, y, name = split_columns(frame, data, target, features)
    if y is None:
        note("no --target given: checking the features only (no label, leakage or label-error checks)")
    new = None
    if against is not None:
        new_table, new_found = read_checked(against)
        new = new_table.frame
        found += [_against(f) for f in new_found]
        new = new.drop(columns=[c for c in (name, sample_weight) if c is not None and c in new.columns])
    report = _with_file(check(X, y, new, task=task, fast=fast, seed=seed), found, table=table)
    code = _show(report, html_path, as_json, data, to_stderr=clean == CLEAN_STDOUT)
    if clean is not None:  # DATA as read (the target and weight columns too), less what the checks --drop names found
        write_clean(report, table.frame, dropped, clean_path)
    return code


def weight_column_findings(table: Any, data: str, name: str | None, target: str | None, features: str | None) -> tuple[Any, list[Any]]:
    """``(table's frame without the weight column name, its findings)``; ``(frame, [])`` without ``--sample-weight``.

    ``check --sample-weight`` reports them; ``train`` and ``search`` add them to their fast checks' summary.

    The column must exist and be neither the target nor a feature (a :class:`UserError`, as ``train`` says it).
    Its findings are :func:`hiddenlayers.data.weight_findings`' (the rule ``hl.check(sample_weight=)`` uses): ``sample_weight``
    (fatal) when ``fit`` would refuse the values (``train``'s message, with the file line); ``zero_weight`` (info) for rows of
    weight 0, which training leaves out; ``skewed_weights`` (warning) when Kish's effective sample size is under a tenth of the rows.
    """
    from ..data import default_target, resolve_column, weight_findings
    from ._weights import check_weight_column, option_label

    frame = table.frame
    if name is None:
        return frame, []
    columns = [str(c) for c in frame.columns]
    goal = target if target is not None else default_target(data, frame)
    check_weight_column(name, columns, target=resolve_column(goal, columns) if goal is not None else None, features=parse_features(features))
    values = frame[name].reset_index(drop=True)
    found = weight_findings(values, option_label(name), (name,), where=table.where)
    return frame.drop(columns=[name]), found


def _check_folder(data: str, target: str | None, features: str | None, against: str | None, task: str) -> Any:
    """A folder or glob of Parquet/CSV files: the fast checks of every row in one streamed pass, as ``train DIR`` runs them."""
    from ..data import DataReport, Finding, ParquetSource

    if target is None:
        raise UserError(f"'{data}' is a folder of files, which is checked as `train` streams it: pass --target COLUMN.")
    if against is not None:
        raise UserError(f"--against compares two tables in memory; '{data}' is a folder of files: give one file for each.")
    src = ParquetSource(data, target=target, features=parse_features(features))
    note("a folder is checked in one streamed pass: the fast checks only (as `train` runs them; "
         "duplicates, near duplicates and leakage over every row, near duplicates from a second read of the files)")
    report = stream_check(src, task)
    if task == "auto":  # which task the checks judged (class findings or not), by train's rule, and how to overrule it
        classes = src.scan(refuse_infinite=False).classes
        seen = (f"{len(classes)} distinct value{'s' if len(classes) != 1 else ''}" if classes is not None
                else "over 1000 distinct numbers" if report.task == "regression" else "text, too many distinct values to count")
        other = "regression" if report.task == "classification" else "classification"
        note(f"target '{target}' judged {report.task or 'regression'} ({seen}), as `train` judges it: "
             f"pass --task {other} to check it as {'a regression' if other == 'regression' else 'classes'}")
    # CSV rows of the wrong width the pass skipped, in `train DIR`'s words, as findings (the JSON and HTML report have them, as for one file)
    ragged = [Finding("ragged_rows", "warning", msg, "fix or delete those lines: hiddenlayers drops rows of the wrong width when it reads the file")
              for msg in src.drop_notes()]
    return DataReport(ragged + report.findings, report.n_rows, report.n_columns, report.task, report.target, report.seconds)


def _show(report: Any, html_path: Any, as_json: bool, data: str, streamed: bool = False, to_stderr: bool = False) -> int:
    """Write ``report`` (HTML file, JSON or text on stdout), its fixes in command-line words; the exit status (2 when a finding is fatal).
    ``to_stderr``: the text on standard error (``--clean -`` writes the cleaned table to standard output)."""
    from ._check_clean import in_cli_words

    report = in_cli_words(report, shown(data), streamed)  # `hiddenlayers check - ...` for a table piped in
    if html_path is not None:
        report.save(html_path)
        note(f"wrote {html_path}")
    out = sys.stderr if to_stderr else sys.stdout
    out.write((report.to_json() if as_json else report.table()) + "\n")
    out.flush()  # the report before the table that follows on stdout, where both go to one terminal
    return EXIT_FATAL if report.fatal else 0


def _against(f: Any) -> Any:
    from dataclasses import replace

    return replace(f, check=f"against_{f.check}", message=f"--against file: {f.message}")


#: Findings ``train`` leaves out of its summary: its note on the rows dropped while reading names those lines already.
IN_DROP_NOTE = ("ragged_rows", "missing_target")


def fast_check_for_train(frame: Any, found: list[Any], data: str, target: str | None, features: str | None, task: str,
                         table: Any = None) -> Any:
    """The fast checks ``train`` and ``search`` run before training: a :class:`DataReport`, or None without a target.

    Rows the reader drops (ragged, or without a target) are left to ``train``'s
    drop note, so each line is reported once; fatal findings are always kept.
    ``table``: the Table ``frame`` came from (same rows): the findings then name its file lines.
    """
    X, y, _ = split_columns(frame, data, target, features)
    if y is None:
        return None
    return fast_check(X, y, found, task, table)


def fast_check(X: Any, y: Any, found: list[Any], task: str, table: Any = None) -> Any:
    """The fast checks of features ``X`` and target ``y`` (a :class:`DataReport`), the file findings ``found`` first.

    What ``train``, ``search``, ``prune`` and streamed ``train`` share; the findings
    their drop note already names (:data:`IN_DROP_NOTE`) are left out unless fatal; ``table``: as in :func:`_with_file`.
    """
    from ..data import check

    return _with_file(check(X, y, task=task, fast=True), found, leave_out=IN_DROP_NOTE, table=table)


def stream_check(src: Any, task: str) -> Any:
    """The fast checks of a streamed table (a :class:`DataReport` of every row, from the scan's pass; see ``ParquetSource.check``).

    As :func:`fast_check`, the findings the drop note names are left out unless fatal.
    """
    return _with_file(src.check(task), [], leave_out=IN_DROP_NOTE)


def fast_check_for_model(model: Any, frame: Any, found: list[Any], target: str | None, table: Any = None) -> Any:
    """The fast checks of labelled ``frame`` as ``model`` reads it (``prune``): its input columns, its target, its task.

    ``target``: ``--target``, else the model's stored target; None when neither
    names a column of ``frame`` (reading the labels then says why).
    """
    from ..data import resolve_column
    from ..exceptions import DataError
    from ._data import input_columns, stored_target

    name = target or stored_target(model)
    try:
        name = resolve_column(name, [str(c) for c in frame.columns]) if name is not None else None
    except DataError:
        return None
    if name is None:
        return None
    wanted = [c for c in input_columns(model) if c in frame.columns and c != name]
    X = frame[wanted] if wanted else frame.drop(columns=[name])
    return fast_check(X, frame[name], found, "classification" if hasattr(model, "classes_") else "regression", table)


def refuse_fatal(report: Any, dropped: str = "") -> None:
    """A :class:`UserError` with ``report``'s first fatal finding and its fix (and ``dropped``, the rows read but dropped), if it has one."""
    if report is not None and report.fatal:
        f = report.fatal[0]
        raise UserError(f"data check: {f.message}: {f.fix}{f' ({dropped})' if dropped else ''} (see `hiddenlayers check`).")


def print_check_summary(report: Any, covers: str = "", caveat: str = "") -> None:
    """The short summary on stderr: one line, then one per warning (info findings are only counted).

    ``covers``: which rows were checked when not all of them (``"first 65,536 of 1,000,000 rows"``);
    ``caveat``: what some checks saw less of, after the counts (``"duplicates and leakage: first 190 rows"``).
    """
    shown = [f for f in report.findings if f.severity != "info"]
    sys.stderr.write(f"data check{f' ({covers})' if covers else ''}: {report.summary()}{f' ({caveat})' if caveat else ''}"
                     f"{' (details: hiddenlayers check)' if shown else ''}\n")
    for f in shown:
        sys.stderr.write(f"  {f.severity} {f.check}: {f.message}\n")


#: The data checks whose columns the preprocessing's own :class:`~hiddenlayers.ColumnWarning` names too.
HINTED = ("id_columns", "date_text_columns", "numeric_text_columns")


def hinted_columns(report: Any) -> set[str]:
    """The columns ``report`` names as IDs, dates or numbers as text: the preprocessing's warning for them is left out (said once)."""
    return {c for f in (report.findings if report is not None else []) if f.check in HINTED for c in f.columns}


@contextmanager
def without_column_hints(columns: set[str]) -> Iterator[None]:
    """Inside the block, the preprocessing's :class:`~hiddenlayers.ColumnWarning` for ``columns`` is not shown."""
    import re
    import warnings

    from ..exceptions import ColumnWarning

    with warnings.catch_warnings():
        for c in columns:
            warnings.filterwarnings("ignore", message="column '" + re.escape(c) + "'", category=ColumnWarning)
        yield


def check_command(
    data: Annotated[str, typer.Argument(help="Data file (CSV, TSV, Parquet, JSON lines, .npy, .npz), a bundled dataset name, or a folder (glob) of Parquet/CSV files: streamed, the fast checks, as `train` runs them; "
                                        "- reads a table piped into standard input (CSV, TSV, JSON lines or Parquet bytes, told by its first bytes).")],
    target: Annotated[str | None, typer.Option("--target", "-t", help="Target column (name, or position like -1). Without it only the features are checked (a folder needs it, by name).")] = None,
    features: Annotated[str | None, typer.Option(help="Comma-separated feature columns (default: all others).", callback=check_features)] = None,
    against: Annotated[str | None, typer.Option("--against", help="New data (test or production) to compare: shared rows and drift. "
                                                "- reads it from a pipe (then DATA is a file).")] = None,
    task: Annotated[str, typer.Option(help="auto, classification or regression.")] = "auto",
    fast: Annotated[bool, typer.Option("--fast", help="Only the fast checks (no label errors, outliers or domain classifier), as `train` runs them.")] = False,
    html: Annotated[str | None, typer.Option("--html", help="Also write the report as one HTML page here.")] = None,
    seed: Annotated[int, seed_option("Seed of the folds and forests.")] = 0,
    force: Annotated[bool, typer.Option("--force", "-f", help="Overwrite an existing --html file.")] = False,
    json: Annotated[bool, typer.Option("--json", help="Print the report as JSON (for scripts).")] = False,
    sample_weight: Annotated[str | None, typer.Option("--sample-weight", help="Column holding each row's weight, as `train --sample-weight` "
                                                      "takes it: left out of the feature checks, its values checked as weights.")] = None,
    clean: Annotated[str | None, typer.Option("--clean", help="Also write DATA without what the checks found (the rows and columns of the "
                                              "--drop checks) to this new file: .csv, .tsv, .parquet or .jsonl; - writes CSV to standard output (the report then goes "
                                              "to standard error). DATA itself is never written.",
                                              show_default=False)] = None,
    drop: Annotated[str | None, typer.Option("--drop", help="With --clean: the checks whose findings are left out, comma-separated: rows of "
                                             "duplicates, near_duplicates, conflicting_labels, label_issues, outliers, missing_target, missing_rows; "
                                             "columns of empty_columns, constant_columns, id_columns, leakage (as DataReport.clean's drop=). "
                                             "Default: duplicates,conflicting_labels,label_issues.", show_default=False)] = None,
) -> None:
    """Check a table before training: ragged rows, bad numbers, missing values, constant/ID/leaky columns, duplicates, class balance, label errors, outliers, drift.

    Exit status 0 when the data can be trained on (warnings are printed), 2 when a finding is fatal.

    Example: hiddenlayers check data.csv --target label --against new.csv --html data.html

    Example: hiddenlayers check data.csv --target label --clean clean.csv --drop duplicates,label_issues
    """
    from ._stdin import stdin_data

    _refuse_two_pipes(data, against, clean, json)
    with (stdin_data(data, example="cat data.csv | hiddenlayers check - --target label") as path,
          stdin_data(against, example="cat new.csv | hiddenlayers check data.csv --against -", what="--against") as new):
        code = run_check(path or data, target=target, features=features, against=new, task=task, fast=fast, as_json=json, html=html,
                         force=force, seed=seed, sample_weight=sample_weight, clean=clean, drop=drop)
    if code:
        raise typer.Exit(code)


def _refuse_two_pipes(data: str, against: str | None, clean: str | None, as_json: bool) -> None:
    """One line, before standard input is read, where ``-`` asks one pipe for two things: DATA and ``--against`` both read
    standard input (which holds one table), or ``--clean -`` and ``--json`` both write standard output."""
    if data == STDIN_ARG and against == STDIN_ARG:
        raise UserError("DATA and --against are both '-', and standard input holds one table: pipe one of them and give the other "
                        "as a file, e.g. `cat new.csv | hiddenlayers check data.csv --against -`.")
    if clean == STDIN_ARG and as_json:
        raise UserError("--clean - writes the cleaned table to standard output, where --json prints the report: give --clean a file "
                        "(e.g. --clean clean.csv), or drop --json (the report then goes to standard error).")


__all__ = ["check_command", "fast_check", "fast_check_for_model", "fast_check_for_train", "hinted_columns", "print_check_summary",
           "read_checked", "refuse_fatal", "run_check", "stream_check", "weight_column_findings", "without_column_hints"]
