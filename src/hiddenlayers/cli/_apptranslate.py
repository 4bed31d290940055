"""A Translator from a table of sentence pairs on the command line: ``train --app translator``, ``predict`` and ``evaluate``.

A table of pairs has a source column (``--source-column``) and a target column (``--target``) of sentences; the
file stores both names (``Translator.source_column_``, ``target_column_``), so ``predict`` translates a new table's
source column with no options (greedy, or beam search with ``--beam-size K``) and ``evaluate`` scores the translations
against its target column: corpus BLEU (``sacrebleu``, the ``apps`` extra: evaluate refuses in one line without it),
the share of exact translations, and the mean log-probability the model gives each reference (``Translator.log_probability``).
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from ._common import UserError


def read_sentences(frame: pd.DataFrame, column: str, option: str, where: Callable[[int], str] | None = None, *,
                   blank: bool = False) -> list[str]:
    """The sentences of ``column`` (named by ``option`` in a message): a missing column (with the closest name), a column of
    numbers or a missing sentence (its file line, ``where``) is one line.

    ``blank``: a missing or blank sentence reads as ``""`` (the empty source, whose translation is empty, as
    ``Translator.predict``'s), counted in one note naming the first line, instead of being refused."""
    from ..data import at_row, did_you_mean

    columns = [str(c) for c in frame.columns]
    if column not in columns:
        raise UserError(f"{option} '{column}' is not a column of the data; its columns are {', '.join(map(repr, columns[:10]))}.{did_you_mean([column], columns)}")
    values = frame[column]
    if pd.api.types.is_numeric_dtype(values):
        raise UserError(f"{option} '{column}' holds numbers, not sentences: a Translator reads text; pass the column of sentences.")
    missing = np.flatnonzero(values.isna().to_numpy() | (values.astype(str).str.strip() == "").to_numpy())
    if missing.size and blank:
        from ._common import note

        note(f"column '{column}' has no sentence on {at_row(int(missing[0]), where)} ({missing.size} row(s)): "
             "their translation is empty.")
        empty = set(missing.tolist())
        return ["" if i in empty else str(v) for i, v in enumerate(values)]
    if missing.size:
        raise UserError(f"column '{column}' has no sentence on {at_row(int(missing[0]), where)} ({missing.size} row(s)): fill or drop those rows.")
    return [str(v) for v in values]


def check_pair_columns(frame: pd.DataFrame, target: str, source: str | None) -> None:
    """The names of ``train --app translator``'s columns, before a sentence is read: ``source`` (``--source-column``, None: found
    later from the column types) is not the ``target`` (``--target``), and each is a column of ``frame`` (:func:`read_sentences`' words).

    The fit runs it on the read table, the CLI on a zero-row frame of the file's header first (``cli/_header.py``), so the words are one.
    """
    if source is not None and source == target:
        raise UserError(f"--source-column '{source}' is the --target column: pass the sentences to translate, and their translations as --target.")
    names = pd.DataFrame(columns=list(frame.columns))  # no row, no type: the names alone, as a header gives them, by read_sentences' check
    read_sentences(names, target, "--target")
    if source is not None:
        read_sentences(names, source, "--source-column")


def stored_columns(model: Any, path: str) -> tuple[str, str]:
    """The source and target column names the file stores; a Translator fitted on lists (none stored) is one line."""
    if getattr(model, "source_column_", None) is None:
        raise UserError(f"'{path}' holds a Translator fitted on lists of sentences, which stores no column names to read a data file by: "
                        f"use hl.load('{path}') from Python, or train it from a table with `hiddenlayers train --app translator`.")
    return str(model.source_column_), str(model.target_column_)


def _translate(model: Any, sources: list[str], beam_size: int | None) -> list[str]:
    try:
        return list(model.predict(sources, beam_size=1 if beam_size is None else int(beam_size)))
    except (ValueError, TypeError) as exc:
        from ._common import one_line

        raise UserError(one_line(exc)) from None


def predict_translations(model: Any, path: str, data: str, beam_size: int | None) -> pd.DataFrame:
    """The translation of each row's source sentence of ``data``: columns the source column and ``translation``."""
    from ..data import read_table

    source, _ = stored_columns(model, path)
    table = read_table(data).every_row()
    sources = read_sentences(table.frame, source, "the source column", table.where, blank=True)
    return pd.DataFrame({source: sources, "translation": _translate(model, sources, beam_size)})


def translation_metrics(model: Any, sources: list[str], references: list[str], beam_size: int | None) -> dict[str, float]:
    """Corpus BLEU (0-100, sacrebleu, as ``Translator.score``), corpus chrF (0-100, character 6-grams: unlike BLEU not 0 when every
    sentence is under 4 words), the share of exact translations and the mean log-probability of the references."""
    import sacrebleu

    hyps = _translate(model, sources, beam_size)
    fold = (lambda t: " ".join(t.lower().split())) if model.lowercase else (lambda t: " ".join(t.split()))
    return {"bleu": float(sacrebleu.corpus_bleu(hyps, [references], lowercase=bool(model.lowercase)).score),
            "chrf": float(sacrebleu.corpus_chrf([fold(h) for h in hyps], [[fold(r) for r in references]]).score),
            "exact_match": float(np.mean([fold(h) == fold(r) for h, r in zip(hyps, references)])),
            "mean_log_probability": float(np.mean(model.log_probability(sources, references)))}


def need_sacrebleu(command: str) -> None:
    """One line when ``sacrebleu`` (BLEU) is not installed: it is in the ``apps`` extra."""
    if importlib.util.find_spec("sacrebleu") is None:
        raise UserError(f"{command} of a Translator reports BLEU, which needs sacrebleu: pip install 'hiddenlayers[apps]' (or sacrebleu).")


def read_pairs(model: Any, path: str, data: str, target: str | None, *, blank: bool = False) -> tuple[Any, str, str, str, list[str], list[str]]:
    """``(table, source, stored, name, sources, references)`` of a table of pairs for a Translator: the stored source column's
    sentences and those of ``target`` (``name``; default the stored target column, ``stored``), as ``evaluate`` and ``inspect`` read them.
    ``blank``: a blank source reads as ``""`` (``evaluate``: its translation is empty), as :func:`read_sentences` says."""
    from ..data import read_table

    source, stored = stored_columns(model, path)
    table = read_table(data).every_row()
    name = target or stored
    sources = read_sentences(table.frame, source, "the source column", table.where, blank=blank)
    references = read_sentences(table.frame, name, "--target" if target else "the target column", table.where)
    return table, source, stored, name, sources, references


def evaluate_translations(model: Any, path: str, data: str, target: str | None, beam_size: int | None) -> dict[str, Any]:
    """``evaluate``'s result for a Translator on a table of pairs: the stored source column against ``target`` (default the stored one)."""
    need_sacrebleu("evaluate")
    _, _, _, name, sources, references = read_pairs(model, path, data, target, blank=True)
    metrics = translation_metrics(model, sources, references, beam_size)
    return {"model": path, "data": data, "rows": len(sources), "target": name, "task": "translation", "beam_size": beam_size or 1, "metrics": metrics}


__all__ = ["check_pair_columns", "stored_columns", "evaluate_translations", "need_sacrebleu", "predict_translations", "read_pairs", "read_sentences", "translation_metrics"]
