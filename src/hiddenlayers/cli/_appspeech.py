"""A SpeechRecognizer from a long table on the command line: ``train --app speech``, ``predict`` and ``evaluate``.

The table has one row per frame: ``--id-column`` names each row's utterance, ``--order-column`` its frame (absent: the
file's order), ``--features`` the numbers of each frame (default: every other column, e.g. 13 MFCCs) and ``--target``
the utterance's transcript, the same on all its rows (``SpeechRecognizer.fit_long`` reads it; ``train --app speech``:
:mod:`._apptrain_fit`). The file stores those columns (``long_columns_``), so ``predict`` (one transcript per utterance,
greedy or ``--beam-size K``) and ``evaluate`` (character and word error rates, exact-match rate) read a new table of the
same layout with no options; so do ``predict`` and ``evaluate`` of its ONNX export (``export``), whose per-frame
log-probabilities onnxruntime computes and this module decodes, without PyTorch. A transcript column that a CSV reader took for numbers (``314``) is read again as text,
so ``042`` keeps its zero. A problem of the table is one line naming the column, the utterance id and the file lines.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ._common import UserError, one_line

_SEPARATORS = {".csv": ",", ".txt": ",", ".tsv": "\t", ".tab": "\t"}


def read_speech_table(data: str, target: str | None) -> Any:
    """``data`` as a :class:`hiddenlayers.data.Table` of every row, with the transcript column ``target`` (if any, and present) as text.

    pandas reads a CSV column of digit strings as numbers; such a column of a CSV/TSV file is read again as strings
    (every other column as before). Another file type keeps its column types: a numeric transcript column there is
    refused by the reader with the fix (store it as text).
    """
    from ..data import read_table

    table = read_table(data).every_row()
    frame = table.frame
    sep = _SEPARATORS.get(Path(data).suffix.lower())
    if target is None or target not in frame.columns or sep is None or not pd.api.types.is_numeric_dtype(frame[target]) or table.n_dropped:
        return table
    text = pd.read_csv(data, sep=sep, skipinitialspace=True, index_col=False, usecols=[target], dtype=str)[target]
    if len(text) == len(frame):  # no row of the file was dropped, so the rows line up
        table.frame = frame.assign(**{target: text.to_numpy(dtype=object)})
    return table


def _stored(model: Any, path: str) -> dict[str, Any]:
    """The long-table columns the file stores; a SpeechRecognizer fitted on frame arrays (none stored) is one line."""
    if getattr(model, "long_columns_", None) is None:
        raise UserError(f"'{path}' holds a SpeechRecognizer fitted on frame arrays (SpeechRecognizer.fit), which stores no long-table columns "
                        f"to read a data file by: use hl.load('{path}') from Python, or train it from a long table with `hiddenlayers train --app speech`.")
    return dict(model.long_columns_)


def _utterances(model: Any, path: str, table: Any) -> Any:
    """The utterances of ``table`` by the model's stored columns (a problem of the table is one line)."""
    from ..exceptions import DataError

    _stored(model, path)
    try:
        return model.sequences_from_long(table.frame, table.where)
    except DataError as exc:
        raise UserError(one_line(exc)) from None


def read_utterances(model: Any, path: str, data: str) -> Any:
    """The utterances of the long table ``data`` by the columns the file stores (``ids``, ``sequences`` of frames), as ``predict`` reads them."""
    return _utterances(model, path, read_speech_table(data, None))


def long_utterances(model: Any, path: str, data: str) -> list[np.ndarray]:
    """The utterances (frames) of the long table ``data`` by the columns the file stores (``export``'s parity utterances)."""
    return list(read_utterances(model, path, data).sequences)


def transcribe(model: Any, sequences: list[np.ndarray], beam_size: int | None) -> list[str]:
    """The transcripts of ``sequences`` (greedy, or a prefix beam search of ``beam_size``); a frame problem is one line."""
    from ..exceptions import DataError

    try:
        return list(model.predict(sequences, beam_size=1 if beam_size is None else int(beam_size)))
    except (DataError, ValueError) as exc:
        raise UserError(one_line(exc)) from None


def speech_metrics(references: list[str], hypotheses: list[str]) -> dict[str, float]:
    """Corpus CER and WER (``jiwer``, as ``SpeechRecognizer.score``) and the share of utterances transcribed exactly."""
    from ..apps import character_error_rate, word_error_rate

    return {"cer": character_error_rate(references, hypotheses), "wer": word_error_rate(references, hypotheses),
            "exact_match": float(np.mean([h == r for h, r in zip(hypotheses, references)]))}


def predict_speech(model: Any, path: str, data: str, beam_size: int | None) -> pd.DataFrame:
    """One row per utterance of the long table ``data``: its id and ``transcript``."""
    long = _utterances(model, path, read_speech_table(data, None))
    return pd.DataFrame({str(model.long_columns_["id_column"]): long.ids, "transcript": transcribe(model, long.sequences, beam_size)})


def _open_onnx(path: str) -> Any:
    """The SpeechRecognizer export ``path`` (:class:`hiddenlayers.ship.SpeechOnnx`); one that stores no long-table columns is one line."""
    from ..ship import SpeechOnnx

    model = SpeechOnnx(path)
    if model.long_columns is None:
        raise UserError(f"'{path}' is the export of a SpeechRecognizer fitted on frame arrays, which stores no long-table columns to read a data "
                        "file by: run it with onnxruntime (input X, outputs log_probs and frames), or export one trained by `hiddenlayers train --app speech`.")
    return model


def _onnx_transcripts(model: Any, table: Any, beam_size: int | None) -> tuple[Any, list[str]]:
    """``(the utterances of table by the export's stored columns, their transcripts)``: onnxruntime's per-frame
    log-probabilities decoded here (greedy, or a prefix beam search of ``beam_size``); a problem of the table is one line."""
    from ..apps import long_features, long_sequences, utterance_names
    from ..exceptions import DataError

    columns = model.long_columns
    try:
        names = long_features(table.frame, {"the id column": columns["id_column"], "the order column": columns["order_column"]}, columns["features"], "the feature column")
        long = long_sequences(table.frame, columns["id_column"], names, columns["order_column"], table.where)
        return long, model.transcripts(long.sequences, beam_size, utterance_names(long, columns["id_column"], table.where))
    except DataError as exc:
        raise UserError(one_line(exc)) from None


def predict_speech_onnx(path: str, data: str, beam_size: int | None, proba: bool) -> pd.DataFrame:
    """``predict`` with a SpeechRecognizer's ONNX file (onnxruntime, no PyTorch): its per-frame log-probabilities for each
    utterance of the long table ``data``, decoded here (greedy, or ``beam_size``); one row per utterance, as for the ``.safetensors``."""
    if proba:
        raise UserError(f"--proba needs a classifier; '{path}' holds a SpeechRecognizer: drop --proba.")
    model = _open_onnx(path)
    long, texts = _onnx_transcripts(model, read_speech_table(data, None), beam_size)
    return pd.DataFrame({str(model.long_columns["id_column"]): long.ids, "transcript": texts})


def _require_column(frame: Any, name: str) -> None:
    """A UserError (one line, with the closest names) when the transcript column ``name`` is not a column of ``frame``."""
    from ..data import did_you_mean

    names = [str(c) for c in frame.columns]
    if name not in names:
        raise UserError(f"the transcript column '{name}' is not a column of the data; its columns are {', '.join(map(repr, names[:10]))}."
                        f"{did_you_mean([name], names)} Pass --target COLUMN.")


def _references(frame: Any, name: str, long: Any, id_column: str, where: Any) -> list[str]:
    """Each utterance's transcript in the column ``name`` of ``frame`` (a missing column, or a bad transcript, is one line)."""
    from ..apps import long_transcripts
    from ..exceptions import DataError

    _require_column(frame, name)
    try:
        return list(long_transcripts(frame, name, long, id_column, where))
    except DataError as exc:
        raise UserError(one_line(exc)) from None


def evaluate_speech_onnx(path: str, data: str, target: str | None, beam_size: int | None) -> dict[str, Any]:
    """``evaluate`` of a SpeechRecognizer's ONNX file (onnxruntime, no PyTorch) on the long table ``data``: CER, WER and exact
    matches against ``target`` (default: the transcript column the model was trained on), as :func:`evaluate_speech` scores the ``.safetensors``."""
    model = _open_onnx(path)
    columns = model.long_columns
    name = target or str(columns["target"])
    table = read_speech_table(data, name)
    _require_column(table.frame, name)  # before the graph runs
    long, hypotheses = _onnx_transcripts(model, table, beam_size)
    references = _references(table.frame, name, long, columns["id_column"], table.where)
    metrics = speech_metrics(references, hypotheses)
    return {"model": path, "data": data, "rows": len(long.ids), "sequences": len(long.ids), "target": name, "task": "speech recognition", "beam_size": beam_size or 1, "metrics": metrics}


def evaluate_speech(model: Any, path: str, data: str, target: str | None, beam_size: int | None) -> dict[str, Any]:
    """``evaluate``'s result for a SpeechRecognizer on the long table ``data``: CER, WER and exact matches against ``target``
    (default: the transcript column the model was trained on)."""
    columns = _stored(model, path)
    name = target or str(columns["target"])
    table = read_speech_table(data, name)
    long = _utterances(model, path, table)
    references = _references(table.frame, name, long, columns["id_column"], table.where)
    metrics = speech_metrics(references, transcribe(model, long.sequences, beam_size))
    return {"model": path, "data": data, "rows": len(long.ids), "sequences": len(long.ids), "target": name, "task": "speech recognition", "beam_size": beam_size or 1, "metrics": metrics}


__all__ = ["evaluate_speech", "evaluate_speech_onnx", "long_utterances", "predict_speech", "predict_speech_onnx", "read_speech_table", "read_utterances", "speech_metrics", "transcribe"]
