"""What a streamed fit's checkpoint was trained on, and the one check that a run resuming it trains on the same.

A streamed checkpoint (``$HIDDENLAYERS_CHECKPOINT``, ``train DIR``'s ``OUT.ckpt``, a ``BackupAndRestore``'s ``backup.pt``)
keeps one record, ``"trained_on"``, plain data (dicts, lists, text, numbers, read back with ``weights_only=True``):

- ``settings``: the class and every setting that changes training, as text (``max_iter`` aside: the checkpoint's
  ``epochs`` record judges it, :func:`~._checkpoint.check_epochs`);
- ``columns``: the source's target, weight and feature columns, as text;
- ``files``: the training source's files (:meth:`~hiddenlayers.data.ParquetSource.fingerprint`: paths within their folder,
  sizes, Parquet rows and footer digests, CSV modification times; no row read);
- ``statistics``: a digest of what the statistics pass learned from every row, per part (each feature column's mean, scale,
  fill, missing rate or categories and their frequencies; the target's classes, counts and moments; the row weights'
  sums), so a file edited in place that kept its size, rows and Parquet footer (a few values changed inside their
  column's range: the footer holds no digest of the values) is refused when the resumed run's pass finds other statistics.
  It costs no read: every run, resumed or not, makes that pass before training. It misses only an edit that leaves every
  statistic as it was (values swapped between rows of one column), which only a digest of every value would show;
- ``held_out``: the units (row groups or CSV files, by their place in the source: the files are judged first) early stopping
  holds out and scores, drawn from ``random_state`` and ``validation_fraction``: a resume with another seed or fraction (or
  early stopping turned on or off) trained on the rows the old epochs were scored on, silently;
- ``validation``: the rows early stopping scores when the fit was given its own (``fit(src, X_val=...)``, ``train DIR
  --validation``): a validation source's files (``{"files": ...}``), or in-memory rows' count and digest
  (``{"rows": "50 rows, digest ..."}``); None for held-out units or none (they are the training files' own units).

:func:`check_trained_on` names the first difference in one line with the fix, in this order: columns, files, statistics,
validation, held-out units,
then (a ``BackupAndRestore``'s checkpoint only, judged as its in-memory backup is) settings. ``$HIDDENLAYERS_CHECKPOINT``'s is
not judged by its settings, so a re-run may change a stopping rule or the rate (its network, target scaling and epochs are
judged by :mod:`._checkpoint`). The files and the validation set are judged for both: resuming on other rows would go on
with the old rows' epochs, statistics, held-out units, and early stopping's best score and patience measured on other rows.

Checkpoints of the two earlier layouts, merged from two branches, are judged as they were: ``"inputs"`` (the files'
fingerprint) is compared as ``files``; ``"identity"`` (settings, columns, rows per unit with a digest, the count of
``X_val``'s rows) only for a ``BackupAndRestore``'s checkpoint, by its own keys; one without ``"inputs"`` resumes with a
warning that its files were not compared.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..data import ParquetSource
    from ._mlp_base import _BaseMLP

RECORD = "trained_on"  # the checkpoint's key
_SAME_ROWS = "it resumes only the same model on the same rows; delete it to train from the start."


def fit_settings(est: _BaseMLP) -> dict[str, str]:
    """The class and every setting of ``est`` that changes training, as text (``max_iter`` aside)."""
    from ._backup import training_settings

    return {name: text for name, text in training_settings(est).items() if name != "max_iter"}


def source_columns(src: ParquetSource) -> str:
    """The columns ``src`` trains on, as the record keeps them: ``"target 'y', weight None, features ['a', 'b']"``."""
    return f"target {src.target!r}, weight {src.weight!r}, features {list(src.features or [])!r}"


def trained_on(src: ParquetSource, est: _BaseMLP | None = None, validation: dict[str, Any] | None = None,
               scan: Any = None, held_out: list[int] | None = None) -> dict[str, Any]:
    """The record of a fit of ``est`` on ``src`` scored on ``validation``.

    Parameters
    ----------
    src : ParquetSource
        The training source.
    est : MLPClassifier or MLPRegressor, optional
        None: a record without settings, which :func:`check_trained_on` then does not judge (``train DIR``'s check
        before the estimator is made).
    validation : dict, optional
        :func:`validation_files` or :func:`validation_rows`; None: no validation set of its own.
    scan : Scan, optional
        The statistics pass over ``src`` (:func:`scan_statistics`), None before it ran: then the statistics are not
        judged.
    held_out : list of int, optional
        The units early stopping holds out (their indices in ``src.units``; empty: none), None before they are drawn:
        then not judged.
    """
    record: dict[str, Any] = {"columns": source_columns(src), "files": src.fingerprint()["files"], "validation": validation}
    if est is not None:
        record["settings"] = fit_settings(est)
    if scan is not None:
        record["statistics"] = scan_statistics(scan)
    if held_out is not None:
        record["held_out"] = [int(u) for u in held_out]
    return record


def scan_statistics(scan: Any) -> dict[str, str]:
    """``{part: digest}`` of what the statistics pass ``scan`` learned (a :class:`~hiddenlayers.data.Scan`): one part per
    feature column (``"column 'a'"``: its mean, scale, fill and missing rate, or categories and frequencies), then
    ``"the target"`` (classes, their counts, a numeric target's moments) and ``"the row weights"`` (each unit's sum). The
    same files read in the same order give the same floats bit for bit, on every rank (rank 0's pass, sent as plain data)."""
    import hashlib
    import json

    plain = scan.to_plain()
    parts: dict[str, Any] = {f"column {c.get('name')!r}": c for c in plain["preprocessor"]["columns"]}
    parts["the target"] = [plain["classes"], plain["counts"], plain["target_moments"]]
    parts["the row weights"] = plain["units_weight"]
    return {name: hashlib.sha256(json.dumps(value, sort_keys=True, default=repr).encode()).hexdigest()[:16]
            for name, value in parts.items()}


def validation_files(val: ParquetSource) -> dict[str, Any]:
    """The record of a validation source: its files' fingerprint.

    Parameters
    ----------
    val : ParquetSource
        The validation source.
    """
    return {"files": val.fingerprint()["files"]}


def validation_rows(n_rows: int, digest: str) -> dict[str, Any]:
    """The record of validation rows in memory: their count and digest (:func:`~hiddenlayers.data.rows_digest`)."""
    return {"rows": f"{n_rows} rows, digest {digest}"}


def older_rows(scan: Any, val_rows: int | None) -> dict[str, str]:
    """What an ``"identity"`` record of the earlier layout said of the rows, as this fit would have said it: the source's rows
    per unit (a digest) and the count of the user's validation rows (``val_rows``; None: none). Judges those checkpoints only."""
    import hashlib

    digest = hashlib.sha256(repr(list(scan.units_rows)).encode()).hexdigest()[:16]
    rows = {"rows": f"{scan.n_rows} rows in {len(scan.units_rows)} row groups or files, digest {digest}"}
    if val_rows is not None:
        rows["X_val rows"] = str(val_rows)
    return rows


def check_trained_on(saved: dict[str, Any] | None, ours: dict[str, Any], path: str, *, strict: bool = False,
                     rows: dict[str, str] | None = None, warn_unrecorded: bool = True) -> dict[str, Any] | None:
    """``saved`` when it was trained on what ``ours`` records, else one ValueError naming the first difference and the fix.

    Nothing is changed.

    Parameters
    ----------
    saved : dict or None
        A checkpoint's record, or None.
    ours : dict
        This fit's record (:func:`trained_on`).
    path : str
        The checkpoint, for the message.
    strict : bool
        A ``BackupAndRestore``'s checkpoint, judged by its settings too.
    rows : dict, optional
        :func:`older_rows`, to judge a strict checkpoint of the earlier ``"identity"`` layout (None: not judged by them).
    warn_unrecorded : bool
        Warn that a checkpoint recording no files resumes unchecked (the fit warns; a check before it does not, so it is
        said once).
    """
    if saved is None:
        return None
    record = saved.get(RECORD)
    if isinstance(record, dict):
        refusal = (_differs(record, ours, "columns") or _files_changed(record.get("files"), ours["files"])
                   or _statistics_changed(record.get("statistics"), ours.get("statistics"))
                   or _validation_changed(record.get("validation"), ours.get("validation"))
                   or _held_out_changed(record.get("held_out"), ours.get("held_out"))
                   or (_settings_changed(record.get("settings"), ours.get("settings")) if strict else None))
    else:
        refusal = _older_changed(saved, ours, path, strict, rows, warn_unrecorded)
    if refusal is not None:
        raise ValueError(f"checkpoint '{path}' was written by {refusal}")
    return saved


def retimed_files(saved: dict[str, Any] | None, ours: dict[str, Any]) -> list[str]:
    """The Parquet files the checkpoint records with the same size, rows and footer as ours but another modification time.

    DATA's, then the validation source's (:func:`~hiddenlayers.data.retimed`): resumed as the same files, though an edit
    in place inside the columns' ranges would look the same. Empty for an older record.

    Parameters
    ----------
    saved : dict or None
        The checkpoint's record.
    ours : dict
        This fit's record (:func:`trained_on`).
    """
    from ..data import retimed

    record = saved.get(RECORD) if isinstance(saved, dict) else None
    if not isinstance(record, dict):
        return []
    names = retimed({"files": record.get("files")}, {"files": ours["files"]})
    then, now = record.get("validation"), ours.get("validation")
    if _validation_kind(then) == "files" and _validation_kind(now) == "files":
        names += retimed(then, now)
    return names


def _differs(theirs: dict[str, Any], ours: dict[str, Any], key: str) -> str | None:
    """``theirs[key]`` against ``ours[key]`` (text), in the words of a refusal; None when equal."""
    if theirs.get(key) == ours[key]:
        return None
    return f"another fit ({key}: {theirs.get(key, 'absent')} there, {ours[key]} here): {_SAME_ROWS}"


def _settings_changed(theirs: Any, ours: dict[str, str] | None) -> str | None:
    """The first of ``ours`` settings that ``theirs`` records otherwise; None when ``ours`` is None (not known yet)."""
    if ours is None:
        return None
    theirs = theirs if isinstance(theirs, dict) else {}
    return next((_differs(theirs, ours, key) for key in ours if theirs.get(key) != ours[key]), None)


def _files_changed(theirs: Any, ours: dict[str, Any]) -> str | None:
    """What differs from the training files ``theirs`` records to ``ours``, as a refusal; None when nothing does."""
    from ..data import fingerprint_change

    changed = fingerprint_change({"files": theirs}, {"files": ours})
    if changed is None:
        return None
    return (f"a run on other files: since then {changed}. Resuming would go on with the old files' epochs and statistics: "
            "delete the checkpoint to train from the start on these files, or put back the files it was trained on.")


def _statistics_changed(theirs: Any, ours: dict[str, str] | None) -> str | None:
    """The first part of the statistics pass (:func:`scan_statistics`) whose digest differs from ``theirs`` (the checkpoint's)
    to ``ours``, as a refusal; None when they agree, or either is not known (a record before the pass, or an older checkpoint)."""
    if not isinstance(theirs, dict) or ours is None:
        return None
    part = next((name for name in ours if theirs.get(name) != ours[name]), None)
    if part is None:
        return None
    return (f"a run on other rows: the files are those it recorded (names, sizes, Parquet footers), but {part} reads with "
            "other statistics now (a file edited in place after the checkpoint was written, or another max_categories). Resuming "
            "would go on training its weights on other values under other statistics: delete the checkpoint to train from the "
            "start on these files, or put back the files it was trained on.")


def _held_out_changed(theirs: Any, ours: list[int] | None) -> str | None:
    """Other held-out units than ``theirs`` (the checkpoint's) in ``ours``, as a refusal; None when they agree or either is
    not known (a record before the draw, or an older checkpoint)."""
    if not isinstance(theirs, list) or ours is None or theirs == ours:
        return None

    def said(units: list[Any], place: str) -> str:
        shown = ", ".join(str(u) for u in units[:6]) + (", ..." if len(units) > 6 else "")
        return f"{len(units)} {place}" + (f" (units {shown})" if units else "")

    return (f"a run that held out other row groups (or CSV files) for early stopping ({said(theirs, 'there')}, {said(ours, 'here')}: "
            "another seed or validation_fraction, or early stopping turned on or off). "
            "Resuming would train on the rows its epochs were scored on, and score rows it trained on: resume with the settings "
            "it was written with, or delete the checkpoint to train from the start.")


def _validation_changed(theirs: Any, ours: dict[str, Any] | None) -> str | None:
    """What differs from the validation set ``theirs`` records to ``ours``, as a refusal; None when nothing does."""
    from ..data import fingerprint_change

    fix = ("Resuming would go on with early stopping's best score and patience measured on other rows: delete the checkpoint to "
           "train from the start, or resume with the validation set it was written with.")
    kind_then, kind_now = _validation_kind(theirs), _validation_kind(ours)
    if kind_then != kind_now:
        return f"a run with {_validation_said(theirs)}, and this run has {_validation_said(ours)}. {fix}"
    then: dict[str, Any] = theirs if isinstance(theirs, dict) else {}
    now: dict[str, Any] = ours or {}
    if kind_now == "files":
        changed = fingerprint_change(then, now)
        return None if changed is None else f"a run scored on other validation files: since then {changed}. {fix}"
    if kind_now == "rows" and then["rows"] != now["rows"]:
        return f"a run scored on other validation rows ({then['rows']} there, {now['rows']} here). {fix}"
    return None


def _validation_kind(record: Any) -> str | None:
    """``"files"`` (a validation source), ``"rows"`` (rows in memory) or None (no validation set of its own)."""
    if isinstance(record, dict):
        return "files" if "files" in record else "rows" if "rows" in record else None
    return None


def _validation_said(record: Any) -> str:
    """A validation record in words, for a refusal."""
    kind = _validation_kind(record)
    if kind == "files":
        n = len(record["files"]) if isinstance(record["files"], dict) else 0
        return f"validation files ({n} file{'' if n == 1 else 's'})"
    return f"validation rows in memory ({record['rows']})" if kind == "rows" else "no validation set of its own"


def _older_changed(saved: dict[str, Any], ours: dict[str, Any], path: str, strict: bool, rows: dict[str, str] | None,
                   warn_unrecorded: bool) -> str | None:
    """A checkpoint of the earlier layouts judged as it was: ``"inputs"`` as the files, then, for a strict checkpoint,
    ``"identity"`` by its own keys (the settings, the columns, and ``rows``' when given); one it does not refuse that records
    no files resumes with a warning that they were not compared."""
    inputs = saved.get("inputs")
    refusal = None if "inputs" not in saved else _files_changed(inputs.get("files") if isinstance(inputs, dict) else None, ours["files"])
    identity = saved.get("identity")
    if refusal is None and strict and isinstance(identity, dict) and ours.get("settings") is not None:
        then = {**ours["settings"], "columns": ours["columns"], **(rows or {})}
        refusal = next((_differs(identity, then, key) for key in then if identity.get(key) != then[key]), None)
    if refusal is None and "inputs" not in saved and warn_unrecorded:
        import warnings

        from .._stacklevel import user_stacklevel

        warnings.warn(f"checkpoint '{path}' records no fingerprint of the files it was trained on (an older hiddenlayers wrote it): "
                      "resuming without checking that they are these files.", UserWarning, stacklevel=user_stacklevel())
    return refusal


__all__ = ["RECORD", "check_trained_on", "fit_settings", "older_rows", "retimed_files", "scan_statistics", "source_columns",
           "trained_on", "validation_files", "validation_rows"]
