"""Small helpers shared by the CLI commands; imports nothing heavy (start-up time)."""

from __future__ import annotations

import errno
import json
import os
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

from .._meta import SEARCH_KEY as SEARCH_KEY
from .._meta import WEIGHT_COLUMN_KEY as WEIGHT_COLUMN_KEY  # a light module: info reads the key without pandas

# errno values the disk, not the program, raises: ENOSPC, EDQUOT, EFBIG, EROFS, EIO (as _files.DISK_ERRORS,
# whose messages name the output; kept here as numbers so this module imports nothing heavy)
_DISK_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS, errno.EIO})


class UserError(Exception):
    """A mistake the user can fix: printed as one ``error: ...`` line, exit status 2."""


#: the exit status of a command Ctrl-C (SIGINT) stopped: 128 + 2, the shell's own for a child a SIGINT killed
EXIT_INTERRUPTED = 130


class Interrupted(Exception):
    """Ctrl-C stopped a command after it saved what it had: the message is its last line on stderr (what was saved,
    where), and the command exits 130, as one a SIGINT stopped does, so ``a && b``, ``make`` or a script stops there too
    (bash goes on after a child that exits 0 after a SIGINT: it takes the signal as handled)."""


def stop_if_interrupted(stop_reason: str | None, line: str) -> None:
    """Raise :class:`Interrupted` with ``line`` (what was saved, where) when ``stop_reason`` is a Ctrl-C's (``"interrupted"``).

    Called once the command has saved its file and printed its summary (``--json`` too), so both are there before exit 130.
    """
    if stop_reason == "interrupted":
        raise Interrupted(line)


def saved_line(out: Any) -> str:
    """Ctrl-C's line of a command that saved the best model its fit kept (the fit restores the best weights on Ctrl-C)."""
    return f"interrupted: the best model so far was saved to {out}"


def is_user_error(exc: BaseException) -> bool:
    """True for errors caused by input (ours, and hiddenlayers' own exception tree)."""
    if isinstance(exc, (UserError, FileNotFoundError, FileExistsError, IsADirectoryError, PermissionError)):
        return True
    if isinstance(exc, OSError) and exc.errno in _DISK_ERRNOS:  # a full disk, a quota, a read-only mount: the user's to fix
        return True
    exceptions = sys.modules.get("hiddenlayers.exceptions")  # loaded only if a command needed it
    return exceptions is not None and isinstance(exc, exceptions.HiddenLayersError)


def one_line(exc: BaseException) -> str:
    """The exception's message on one line (first line, trimmed).

    An OS error names its file after the system's reason (``"Permission denied: 'x'"``);
    one whose reason is already our sentence naming the file is that sentence alone.
    """
    text = str(exc).strip() or type(exc).__name__
    if isinstance(exc, OSError) and exc.filename:
        reason = exc.strerror or type(exc).__name__
        text = reason if f"'{exc.filename}'" in reason else f"{reason}: '{exc.filename}'"
    line = " ".join(ln.strip() for ln in text.splitlines() if ln.strip())
    if len(line) <= ONE_LINE_MAX:
        return line
    cut = line.rfind(" ", 0, ONE_LINE_MAX - 1)  # between words where there is a space to cut at
    return line[: cut if cut > 0 else ONE_LINE_MAX - 2].rstrip(" ,;:") + " …"  # and said to be cut


# A message past this many characters (a foreign library's dump of an array, say) is cut between words and ends in " …".
# Our own sentences put the fix last and name the user's paths, which run long in deep folders: 500 cut
# "... delete the checkpoint to train from the start on these fi" off a checkpoint refusal under a pytest worker's folder.
ONE_LINE_MAX = 1000


def stdout_if_dash(out: str | None) -> str | None:
    """``--out -`` of a command that writes its table to stdout by default (``predict``, ``recommend``): stdout (None), as
    ``-`` means in ``curl -o -``, ``tar -f -`` or ``sort -o``'s kin; any other path as given."""
    return None if out == "-" else out


def check_output(
    out: str | os.PathLike[str], *, force: bool, inputs: tuple[str, ...] = (), what: str = "output", example: str | None = None,
) -> Path:
    """``out`` as a path that may be written, checked before any work is done.

    Refused: a folder (suggesting ``out/example``, a name of the kind the
    command writes: by default a report for ``--html``, else a model file), a missing folder, something that is not a regular file
    (a device, FIFO or socket, which the atomic rename would replace), one of
    the files the command reads (``inputs``: the user's data, even with
    ``force``; a file a glob of them would match, written or not), and an existing file unless ``force``.
    """
    from .._files import check_writable, write_problem

    path = Path(out)
    if path.is_dir():
        example = example or ("report.html" if what == "--html" else "model.safetensors")
        raise UserError(f"{what} path '{path}' is a folder: give a file name, e.g. '{path / example}'.")
    try:
        check_writable(path, what=what)
    except OSError as exc:
        raise UserError(one_line(exc)) from None
    unwritable = write_problem(path.parent)
    if unwritable is not None:
        raise UserError(f"{what} '{path}' cannot be written (folder '{path.parent}': {unwritable}): choose a folder you can write to.")
    for given in inputs:
        if given and Path(given).is_dir() and _inside(path, Path(given)):
            raise UserError(f"{what} '{path}' is a data file of the folder '{given}' this command reads: writing there would replace "
                            f"your data (and train on the output next time); choose a path outside '{given}'.")
        if given and any(_same_file(path, Path(i)) for i in _matches(str(given))):
            kind = "model" if Path(given).suffix.lower() in (".safetensors", ".onnx") else "data"  # distill's teacher was 'the data file'
            raise UserError(f"{what} '{path}' is the {kind} file this command reads: writing there would replace it; choose another {what} path.")
        if given and _in_glob(path, str(given)):
            raise UserError(f"{what} '{path}' is a file the glob '{given}' this command reads matches: the next run would read it as "
                            "data; choose a path the glob does not match.")
    if path.exists() and not force:
        # a mistyped DATA (or model) is the problem to name, not the output a first run left at the default --out:
        # "pass --force" was the wrong fix for it, and every later error of the run hid behind it
        refuse_absent_inputs(inputs)
        raise UserError(f"'{path}' already exists: pass --force to overwrite it, or choose another {what} path.")
    return path


def refuse_absent_inputs(inputs: tuple[str | None, ...]) -> None:
    """A UserError in the read's own words for the first of ``inputs`` (data sources, model files; None: not given) that is
    not there, ``-`` where it is not read included: called before an existing output is refused, since "pass --force" is the
    wrong fix for a mistyped input.

    Parameters
    ----------
    inputs : tuple of str or None
        What the command reads.
    """
    for given in inputs:
        if given and _absent(given):
            raise UserError(_absent_message(given))


def _absent(given: str) -> bool:
    """True where ``given`` is no file or folder, matches no file as a glob, and names no bundled dataset."""
    from ..data import find_dataset

    return len(_matches(given)) == 1 and not Path(given).exists() and find_dataset(given) is None


#: ``-`` where a command reads no pipe (train's DATA, --against, --validation, ...: read twice, resumed, compared by file);
#: predict, evaluate and check read DATA ``-`` (:mod:`._stdin`)
STDIN_REFUSED = ("'-' (standard input) is not read here: save the table to a file first (e.g. `cat > new.csv`) and give its path; "
                 "`hiddenlayers predict`, `evaluate` and `check` read DATA '-' from a pipe (`check` its --against too).")


def _absent_message(given: str) -> str:
    """The read's own words for an input that is not there (a model file's, or a data source's with the bundled names)."""
    if Path(given).suffix.lower() in (".safetensors", ".onnx"):
        return f"model file '{given}' does not exist: check the path, or train one with `hiddenlayers train`."
    if any(c in given for c in "*?["):
        return f"the glob '{given}' matches no files: check the pattern (and quote it, so the shell leaves it to hiddenlayers)."
    if given == "-":
        return STDIN_REFUSED
    from ..data import DATASETS

    return f"'{given}' is neither a file nor a bundled dataset: check the path, or use one of {', '.join(DATASETS)}."


def check_report_output(
    out: str | os.PathLike[str], *, force: bool, what: str, inputs: tuple[str, ...] = (), page: str = "report"
) -> Path:
    """An HTML page's path (``--html``, ``inspect --out``, ``train --timelapse``), checked before any work is done.

    ``page`` names what the page is in the errors (``"report"``, ``"timelapse"``).

    An ``.html``/``.htm`` name (so never the model or data file), in a folder
    that exists (named with the option), then :func:`check_output`: not a
    folder or device, not overwritten without ``force``.
    """
    from .._html import HTML_SUFFIXES

    if Path(out).suffix.lower() not in HTML_SUFFIXES:
        raise UserError(f"{what} must end in .html (the {page} is one HTML page). Received: {str(out)!r}.")
    folder = Path(out).parent
    if not folder.is_dir():
        raise UserError(f"folder '{folder}' of {what} '{out}' does not exist: create it first, or give a path in an existing folder.")
    return check_output(out, force=force, inputs=inputs, what=what, example=f"{page}.html")


# the files a folder of data is read as (data/_stream_files.EXTENSIONS['auto'], kept equal by tests/cli/test_cli_files.py)
STREAM_SUFFIXES = (".parquet", ".pq", ".csv", ".csv.gz")


def _inside(path: Path, folder: Path) -> bool:
    """True where ``path`` is a file the folder ``folder`` is read as (a data suffix, at any depth: hive partitions)."""
    try:
        return path.resolve().is_relative_to(folder.resolve()) and path.name.lower().endswith(STREAM_SUFFIXES)
    except OSError:
        return False


def _matches(given: str) -> list[str]:
    """The files ``given`` names: itself, or what it matches where it is a glob (``predict m.safetensors 'parts/*.parquet'``)."""
    import glob

    return [given, *glob.glob(given)] if any(c in given for c in "*?[") else [given]


def _in_glob(path: Path, pattern: str) -> bool:
    """True where the glob ``pattern`` matches ``path``, written or not: its name matches the pattern's last part and its
    folder is one the pattern's folder part matches (``valid/*.csv`` reads ``valid/m.csv`` the next time it runs)."""
    import fnmatch
    import glob

    if not any(c in pattern for c in "*?[") or os.path.isfile(pattern):  # a file named 'd [v2].csv' is no glob
        return False
    head, tail = os.path.split(pattern)
    folders = glob.glob(head) if any(c in head for c in "*?[") else [head or "."]
    return fnmatch.fnmatch(path.name, tail) and any(_same_file(path.parent, Path(f)) for f in folders)


def _same_file(a: Path, b: Path) -> bool:
    try:
        return b.exists() and os.path.samefile(a, b)
    except OSError:
        return False


def print_json(data: Any) -> None:
    """Write ``data`` as JSON on stdout (for ``--json``)."""
    sys.stdout.write(json.dumps(data, indent=2, default=_default, allow_nan=False) + "\n")


def _default(value: Any) -> Any:
    if hasattr(value, "tolist"):
        return value.tolist()
    if hasattr(value, "item"):
        return value.item()
    return str(value)


def clean(value: Any) -> Any:
    """``value`` with non-finite floats replaced by ``None`` (valid JSON)."""
    if isinstance(value, float):
        return value if value == value and abs(value) != float("inf") else None
    if isinstance(value, dict):
        return {str(k): clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [clean(v) for v in value]
    if hasattr(value, "item") and not hasattr(value, "__len__"):
        return clean(value.item())
    return value


def stderr_console() -> Any:
    """The Rich console of a command's lines on stderr: no markup, no emoji codes (``_rich_plain``'s rule)."""
    from .._rich_plain import console

    return console(stderr=True)


def stdout_console() -> Any:
    """The Rich console of a command's tables and lines on stdout: no markup, no emoji codes, so a column ``length [cm]``, a
    label ``[setosa]`` or a path ``runs [v2]/m.safetensors`` prints as given (``_rich_plain``'s rule)."""
    from .._rich_plain import console

    return console()


def print_table(con: Any, table: Any) -> None:
    """Print the Rich ``table`` on ``con`` with its title and caption whole: a title (caption) wider than the table is printed
    as a line of its own above (below) it, wrapped at the console's width, where Rich wraps it to its table's width (an
    ``evaluate`` of a Forecaster printed a 22-column-wide block of title above its two-column table; ``prune``'s caption,
    a 59-column block of eight lines). A title or caption that fits stays the table's.

    A table whose columns cannot all fit the console's width without cutting a cell (Rich would end ``15,360`` as ``15,3…``
    and both FLOPs headers as ``FLOP…``: ``cost`` on an 80-column terminal) is printed as several tables, each with the
    first column and as many of the others as fit, as pandas prints a wide frame.
    """
    groups = _column_groups(con, table)
    if groups is not None:
        _print_in_groups(con, table, groups)
        return
    width = con.measure(table).maximum
    title, caption = table.title, table.caption
    title_apart = isinstance(title, str) and len(title) > width
    caption_apart = isinstance(caption, str) and len(caption) > width
    if title_apart:
        table.title = None
        con.print(title, highlight=False)
    if caption_apart:
        table.caption = None
    con.print(table)
    if caption_apart:
        con.print(caption, highlight=False)


def _column_groups(con: Any, table: Any) -> list[list[int]] | None:
    """The columns of ``table`` split into groups that each fit ``con``'s width uncut, the first column in every group; None
    where the whole table fits (Rich wraps a cell's words, never needing less than its longest word: the minimum measured)."""
    from rich.measure import Measurement
    from rich.text import Text

    def least(cell: Any) -> int:
        return int(Measurement.get(con, con.options, Text(cell) if isinstance(cell, str) else cell).minimum)

    pad = sum(table.padding[1::2]) if isinstance(table.padding, tuple) and len(table.padding) == 4 else 2
    needs = [max([least(c.header)] + [least(cell) for cell in c.cells]) + pad + 1 for c in table.columns]
    if len(needs) < 3 or sum(needs) + 1 <= con.width:
        return None
    groups: list[list[int]] = [[0]]
    for i in range(1, len(needs)):
        if len(groups[-1]) > 1 and sum(needs[j] for j in groups[-1]) + needs[i] + 1 > con.width:
            groups.append([0])
        groups[-1].append(i)
    return groups


def _print_in_groups(con: Any, table: Any, groups: list[list[int]]) -> None:
    """Print ``table`` as one table per group of its columns (:func:`_column_groups`), its title above and caption below."""
    import copy

    if table.title:
        con.print(table.title, highlight=False)
    for group in groups:
        part = copy.copy(table)
        part.columns = [table.columns[i] for i in group]
        part.title = part.caption = None
        con.print(part)
    if table.caption:
        con.print(table.caption, highlight=False)


def summary_table(summary: dict[str, Any], as_json: bool) -> Any:
    """The start of a command's training summary: with ``as_json`` the summary printed as JSON and None, else the empty
    two-column Rich table (name, value) titled "training summary" that the caller fills and prints (``train``, ``train --app``)."""
    if as_json:
        print_json(clean(summary))
        return None
    from .._rich_plain import PlainTable

    t = PlainTable(title="training summary", show_header=False, title_justify="left")
    t.add_column("", style="bold")
    t.add_column("", overflow="fold")  # a long path wraps whole rather than ending in an ellipsis
    return t


#: how messages name a table piped into standard input (DATA ``-``, :mod:`._stdin`), and how a command line shown to the user writes it
STDIN_WORDS, STDIN_ARG = "standard input", "-"
#: the temporary files standing for standard input while a command runs (:func:`._stdin.stdin_data`; usually none, at most one)
STDIN_FILES: set[str] = set()


def shown(text: str) -> str:
    """``text`` with each temporary file standing for standard input named as the user gave it: a quoted path
    (``'/tmp/.../stdin.csv'``, how messages quote a file) as ``standard input``, a bare one (a command line) as ``-``."""
    for path in STDIN_FILES:
        name = re.escape(os.path.basename(path))  # a command run on the file by its name: in the pipe instead
        text = re.sub(rf"`(iconv -f \S+ -t utf-8) {name} > utf8-{name}`", r"`\1` in the pipe, before hiddenlayers", text)
        text = text.replace(f"'{path}'", STDIN_WORDS).replace(path, STDIN_ARG)
    return text


def note(message: str) -> None:
    """A one-line note for the user on stderr (never mixed into piped output); a table piped into standard input named so
    (:func:`shown`), not by its temporary file."""
    sys.stderr.write(f"note: {shown(message)}\n")


class Steps:
    """Progress of a long command on stderr: a Rich live status line (spinner) naming the step under way and the seconds since
    the command began, ``inspect: Linear probes (8.7 s)``. Why: ``inspect`` printed nothing for 30-45 s while it drew the report.

    Shown only on a terminal and not ``quiet`` (``--quiet``, ``--json``); transient, so what stays on the screen (and any
    ``error:`` line) is the command's own output; never on stdout. Use as a context manager: the line goes when it ends.
    ``console``: where to draw it (default: stderr).
    """

    def __init__(self, command: str, quiet: bool, console: Any = None) -> None:
        import time

        self.command, self.start = command, time.perf_counter()
        self.status: Any = None  # the rich.live.Live once a step is shown
        self.console = None if quiet else (console or stderr_console())
        if self.console is not None and not self.console.is_terminal:
            self.console = None

    def __call__(self, step: str) -> None:
        import time

        if self.console is None:
            return
        from rich.live import Live
        from rich.spinner import Spinner
        from rich.text import Text

        line = Spinner("dots", Text(f"{self.command}: {step} ({time.perf_counter() - self.start:.1f} s)"))  # a Spinner reads a str as markup
        if self.status is None:
            self.status = Live(line, console=self.console, transient=True, refresh_per_second=8)
            self.status.start(refresh=True)
        else:
            self.status.update(line, refresh=True)  # drawn now: a quick step is shown too, not skipped until the next tick

    def __enter__(self) -> Steps:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.status is not None:
            self.status.stop()
            self.status = None


class Labelled(NamedTuple):
    """Labelled data as the commands use it: features, target, and the :class:`hiddenlayers.data.Table` it came from."""

    X: Any
    y: Any
    name: str
    table: Any  # its drop_summary() for the note, lines() to name a bad row's line

    def where(self, row: int) -> str:
        """``"line 7"`` (CSV/TSV: the file line, header = line 1) or ``"row 6"`` (other formats, counted from 1):
        where row ``row`` (0-based, of ``y``) is in the user's file."""
        return str(self.table.where(row))


def rows_of(where: Callable[[int], str], index: Any) -> Callable[[int], str]:
    """``where`` for a subset of a table's rows (a shuffled split): row ``i`` of the subset is row ``index[i]`` of the table.

    So an error in ``train``'s training split names the file line of the original row, not a position in the split.
    """
    return lambda i: where(int(index[i]))


def read_labelled(
    data: str, target: str | None, stored: str | None, missing: str | Callable[[list[str]], str], *, min_rows: int = 1, purpose: str = "this command",
    table: Any = None,
) -> Labelled:
    """The features and target of labelled ``data``; see :func:`labelled_table`."""
    table, name = labelled_table(data, target, stored, missing, min_rows=min_rows, purpose=purpose, table=table)
    return Labelled(table.frame.drop(columns=[name]), table.frame[name], name, table)


def labelled_table(
    data: str, target: str | None, stored: str | None, missing: str | Callable[[list[str]], str], *, min_rows: int = 1, purpose: str = "this command",
    table: Any = None,
) -> tuple[Any, str]:
    """(:class:`hiddenlayers.data.Table` with its target column, the target's name) of labelled ``data``, for every command that reads labels.

    The target is ``target``, else ``stored`` (what the model file records),
    else a bundled dataset's own; with none of them, :class:`UserError` with
    ``missing`` (or ``missing(columns)``). Rows with too few or too many fields
    and rows without a target value are dropped; the table's ``drop_summary()``
    says how many, why and on which lines (empty if none), for the caller to
    :func:`note` once its own checks pass (an error is one line, no note before it).
    Fewer than ``min_rows`` rows left is a DataError naming ``purpose`` and the dropped lines.
    ``table``: ``data`` as ``read_table`` already returned it (not read again).
    """
    from ..data import default_target, missing_target_reason, read_table, resolve_column
    from ..exceptions import DataError

    table = read_table(data) if table is None else table
    columns = [str(c) for c in table.frame.columns]
    name = target or stored or default_target(data, table.frame)
    if name is None:
        raise UserError(missing(columns) if callable(missing) else missing)
    if target is None and name == stored and stored not in columns:  # not "unknown target column": the user named none
        raise no_stored_target(name, columns)  # name is stored here
    name = resolve_column(name, columns)
    table = table.drop_missing(name, missing_target_reason(name))
    n, summary = len(table.frame), table.drop_summary()
    if n == 0 and table.dropped.get(missing_target_reason(name)) and len(table.dropped) == 1:
        raise DataError(f"the target column '{name}' is empty (every value is missing).")
    if n < min_rows:
        if n == 0:
            raise DataError(f"no usable rows left: {summary}. Fix those lines.")
        have = f"{n} {'row is' if n == 1 else 'rows are'} left"
        if summary:
            raise DataError(f"{purpose} needs at least {min_rows} rows but {have}: {summary}. Fix those lines or add rows.")
        raise DataError(f"{purpose} needs at least {min_rows} rows but '{data}' has {n}: add rows.")
    return table, name


def no_stored_target(stored: str, columns: list[str]) -> Exception:
    """The DataError of labelled data (``evaluate``'s, one file or a folder) lacking ``stored``, the target column the model
    records, when no ``--target`` was given: not "unknown target column", a name the user never typed. ``columns``: the data's."""
    from ..data import did_you_mean
    from ..exceptions import DataError

    return DataError(f"the data has no column '{stored}', the target the model was trained on: give labelled rows (with a "
                     f"'{stored}' column), or pass --target COLUMN naming the labels' column.{did_you_mean([stored], columns)}")


def is_stream_input(data: str) -> bool:
    """A directory or a glob: streamed rather than loaded (a single file keeps the in-memory path); ``train`` and ``check`` share it.

    A file that is there is a file, whatever its name: ``runs [v2].csv`` is no glob (as a glob, ``[v2]`` matches one character).
    """
    return os.path.isdir(data) or (any(ch in data for ch in "*?[") and not os.path.isfile(data)) or int(os.environ.get("WORLD_SIZE", "1")) > 1


def averaging_text(params: dict[str, Any]) -> str | None:
    """``"ema (ema_decay=0.99)"``, ``"swa (swa_start=0.75)"``, ``"swa (swa_start=0.75, swa_lr=0.01, swa_anneal_epochs=10)"``
    from an estimator's ``params``; None without weight averaging (files before it too).

    As ``info`` and ``train``'s summary show it.
    """
    kind = params.get("weight_averaging")
    if kind is None:
        return None
    setting = "ema_decay" if kind == "ema" else "swa_start"
    rate = "" if params.get("swa_lr") is None else f", swa_lr={params['swa_lr']}, swa_anneal_epochs={params.get('swa_anneal_epochs', 10)}"
    rate += f", swa_anneal_strategy={params['swa_anneal_strategy']}" if rate and params.get("swa_anneal_strategy", "cos") != "cos" else ""
    return f"{kind} ({setting}={params.get(setting)}{rate})"


def scaling_text(stored: Any) -> str | None:
    """A scale_target model's scaling (``{"mean": [...], "scale": [...]}``, as its file stores it) as one line,
    ``"standardized y (mean 152.1, std 77.03)"``; None for an unscaled model. As ``info`` and streamed ``train`` show it."""
    if not isinstance(stored, dict):
        return None
    pairs = [f"mean {float(m):.4g}, std {float(s):.4g}" for m, s in zip(stored["mean"], stored["scale"])]
    return "standardized y (" + "; ".join(pairs) + ")"
