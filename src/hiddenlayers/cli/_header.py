"""Column options checked against DATA's header before a command looks at its output (:func:`check_named_columns`).

Why: an existing output was named first ("already exists: pass --force"), so a mistyped ``--target``, ``--features``,
``--sample-weight``, ``--keep`` or an app's column (:func:`check_app_columns`) was found only after the user had overwritten it. The header alone (a CSV/TSV line,
a Parquet footer, a folder's first file's) is cheap to read, where the whole table may not be. The words are those
the full read says later, so the error is the same with or without an output already there: an app's columns are checked
by the read's own check of the names, run here on a zero-row frame of the header (``tests/cli/test_cli_app_columns_first.py``
compares each refusal with the read's).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from ._common import UserError, is_stream_input, one_line
from ._options import parse_features


def check_named_columns(
    data: str, *, target: str | None = None, features: str | None = None, sample_weight: str | None = None, keep: list[str] | None = None,
    text_column: str | None = None,
) -> None:
    """Refuse a column option naming no column of ``data``'s header: ``target`` (a name, or a position in a single file),
    ``features`` (``--features``' comma-separated text), ``sample_weight`` (single files: a folder's weights are the streamed
    read's to check), ``keep`` (``--keep``'s names), ``text_column`` (a TextClassifier's ``--text-column``). Nothing happens
    where the header is not cheap (a bundled dataset, JSON, NumPy, a missing or unreadable file): the read names what is wrong there, in its own words, later.
    """
    if target is None and features is None and sample_weight is None and not keep and text_column is None:
        return
    from ..data import header_columns

    columns = header_columns(data)
    if columns is None:
        return
    feats = parse_features(features)
    if is_stream_input(data):
        from ..data import check_columns

        if target is not None or feats is not None:
            check_columns(data, {data: columns}, target, feats)  # as the streamed read says it ("no target column 'y' in big/: ...")
    else:
        _check_table_columns(data, columns, target, features, sample_weight)
    if is_stream_input(data):
        _check_keep_in_every_file(data, keep)
    _check_keep(columns, keep)
    if text_column is not None and text_column not in columns:  # the words of _appfiles' text column check
        from ..data import did_you_mean

        raise UserError(f"--text-column '{text_column}' is not a column of the data; its columns are {', '.join(map(repr, columns[:10]))}."
                        f"{did_you_mean([text_column], columns)}")


def _check_table_columns(data: str, columns: list[str], target: str | None, features: str | None, sample_weight: str | None) -> None:
    """``--target``, ``--features`` and ``--sample-weight`` against one file's ``columns``, in the words of ``train``/``check``."""
    import pandas as pd

    from ._weights import check_weight_column

    _, _, name = split_columns(pd.DataFrame(columns=columns), data, target, features)
    if sample_weight is not None:
        check_weight_column(sample_weight, columns, target=name, features=parse_features(features))


def split_columns(frame: Any, data: str, target: str | None, features: str | None) -> tuple[Any, Any, str | None]:
    """(features X, target Series or None, the target's name or None) of ``frame``: ``target`` (else the data's default)
    resolved as a name or position, ``features`` (``--features``' text) picked; a DataError names an unknown column.
    A header-only frame (no rows) checks the names alone, before the output (:mod:`._header`)."""
    from ..data import default_target, did_you_mean, resolve_column
    from ..exceptions import DataError

    name = target if target is not None else default_target(data, frame)
    name = resolve_column(name, list(frame.columns)) if name is not None else None
    X = frame.drop(columns=[name]) if name is not None else frame
    feats = parse_features(features)
    if feats is not None:
        if name is not None and name in feats:  # the same words as data.split_target, which train reaches after this check
            raise DataError(f"the target '{name}' is also listed in --features: remove it from --features.")
        unknown = [f for f in feats if f not in X.columns]
        if unknown:
            hint = did_you_mean(unknown, [c for c in X.columns if c not in set(feats)])
            raise DataError(f"unknown feature column(s) {', '.join(map(repr, unknown))}: the table has {', '.join(map(repr, list(X.columns)[:8]))}.{hint}")
        X = X[feats]
    return X, (frame[name] if name is not None else None), name


#: the starts of the names predict's outputs may have (_data.output_columns, _appfiles' apps): a --keep of one is named as
#: a clash with an output by predict's own check, which knows the model's outputs, so the header check leaves it to that
_OUTPUT_STARTS = ("predicted_", "proba_", "reconstruction_error")


def _check_keep(columns: list[str], keep: list[str] | None) -> None:
    """``--keep``'s names against ``columns``, in the words predict says them after reading the rows; a name given twice or
    one that may be an output's is left to predict's own check (its words come first there)."""
    if not keep or len(set(keep)) < len(keep) or any(k.startswith(_OUTPUT_STARTS) for k in keep):
        return
    absent = [k for k in keep if k not in columns]
    if absent:
        from ..data import did_you_mean

        raise UserError(f"--keep: the data has no column {absent[0]!r}.{did_you_mean(absent[:1], columns)}")


def _check_keep_in_every_file(data: str, keep: list[str] | None) -> None:
    """``--keep``'s names against every file of the folder or glob ``data``: a name that some files have and others lack is
    refused naming the files that lack it (the header check read the first file alone, and said the data had no such column).
    A name no file has is left to :func:`_check_keep`; a file that cannot be read, to the read."""
    if not keep or len(set(keep)) < len(keep) or any(k.startswith(_OUTPUT_STARTS) for k in keep):
        return
    from ..data import stream_file_columns
    from ..exceptions import DataError

    try:
        files = stream_file_columns(data)
    except DataError:
        return
    for k in keep:
        lacking = [f for f, names in files.items() if k not in names]
        if lacking and len(lacking) < len(files):
            shown = ", ".join(repr(f) for f in lacking[:3]) + (f" and {len(lacking) - 3} more" if len(lacking) > 3 else "")
            has = next(f for f in files if f not in set(lacking))
            raise UserError(f"--keep: {len(lacking)} of the {len(files)} files have no column {k!r} ({shown}; {has!r} has it): "
                            f"keep a column every file has, or leave those files out of '{data}'.")


def check_app_columns(data: str, app: str, options: dict[str, Any]) -> None:
    """Refuse ``train --app app``'s (or ``predict``'s) column options naming no column of ``data``'s header, in the words the read says later.

    ``options``: the command's options by parameter name (``target``, ``features``, ``text_column``, ``id_column``, ``order_column``,
    ``source_column``, ``value_column``; those not given are None or absent). Each app's check is the read's own check of the names,
    run on a zero-row frame of the header, in the read's order; an option the read asks for first (sequence and speech: ``--id-column``
    and ``--target``; translator, and the apps that read labels: ``--target``) left out leaves the rest to the read. A folder or glob
    (which no app reads) and a source without a cheap header (NumPy, JSON, a bundled dataset) wait for the read too.
    """
    if all(options.get(k) is None for k in _APP_COLUMNS.get(app, ())) or is_stream_input(data):
        return
    from ..data import header_columns

    columns = header_columns(data)
    if columns is None:
        return
    import pandas as pd

    _HEADER_CHECKS[app](data, pd.DataFrame(columns=columns), options)  # no rows: the names alone, checked by the read's own code


def _long_table(data: str, header: Any, options: dict[str, Any]) -> None:
    """sequence, speech: the names as ``long_features`` checks them after the whole read (:func:`hiddenlayers.apps.check_long_columns`)."""
    if options.get("id_column") is None or options.get("target") is None:
        return  # the read asks for them first
    from ..apps import check_long_columns
    from ..exceptions import DataError

    named = {"--id-column": options["id_column"], "--order-column": options.get("order_column"), "--target": options["target"]}
    try:
        check_long_columns(header, named, parse_features(options.get("features")), "--features")
    except DataError as exc:
        raise UserError(one_line(exc)) from None


def _pairs(data: str, header: Any, options: dict[str, Any]) -> None:
    """translator: ``--target`` and ``--source-column`` as the fit checks them first (:func:`._apptranslate.check_pair_columns`)."""
    if options.get("target") is not None:
        from ._apptranslate import check_pair_columns

        check_pair_columns(header, options["target"], options.get("source_column"))


def _series(data: str, header: Any, options: dict[str, Any]) -> None:
    """forecaster: ``--value-column``; its refusal lists the numeric columns, which only the read knows, so a wrong name is read for them."""
    column = options.get("value_column")
    if column is not None and column not in header.columns:
        from ._appfiles import read_series

        read_series(data, column)


def _labelled(data: str, header: Any, options: dict[str, Any], app: str) -> None:
    """text, autoencoder, recommender, image (pixel columns): ``--target`` resolved as the labelled read resolves it (a name or a
    position), then ``--text-column`` or ``--features`` as the fit checks them; no ``--target`` (an autoencoder's is optional) is the read's to say."""
    from ..data import resolve_column
    from ._appcolumns import check_text_column, feature_columns

    target = options.get("target")
    if target is None and app != "autoencoder":
        return
    if app == "image":
        from ._appfiles import check_app_options

        check_app_options("ImageClassifier", image_dtype=options.get("image_dtype"), image_layout=options.get("image_layout"))  # fit_image's first check
    name = resolve_column(target, [str(c) for c in header.columns]) if target is not None else None
    if app != "text":
        feature_columns(header, options.get("features"), name)
        return
    column = options.get("text_column")
    check_text_column(column, str(name))  # a text app's --target is given (else returned above)
    if column is not None:
        from ._appfiles import read_texts

        read_texts(header.drop(columns=[name]), column)  # the read looks for it among the columns but the labels


#: per app, the column options :func:`check_app_columns` checks, and its check of them
_APP_COLUMNS = {"sequence": ("id_column", "order_column", "target", "features"), "speech": ("id_column", "order_column", "target", "features"),
                "translator": ("source_column", "target"), "forecaster": ("value_column",), "text": ("target", "text_column"),
                "autoencoder": ("target", "features"), "recommender": ("target", "features"), "image": ("target", "features")}
_HEADER_CHECKS: dict[str, Callable[[str, Any, dict[str, Any]], None]] = {
    "sequence": _long_table, "speech": _long_table, "translator": _pairs, "forecaster": _series,
    **{app: partial(_labelled, app=app) for app in ("text", "autoencoder", "recommender", "image")},
}


__all__ = ["check_app_columns", "check_named_columns", "split_columns"]
