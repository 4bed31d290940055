"""Notes that count cells per column, and how a table's record batches say them once with the counts of every batch.

``predict DIR`` and ``evaluate DIR`` read a folder one record batch at a time, and the stored preprocessing (or an
``.onnx`` export's runner) notes per batch what it filled or encoded as unknown: "3 value(s) outside the categories kept
in training (city: 3) ...". Said per batch, those lines differ by their counts, so only the first batches' were shown;
:func:`joined_notes` says each kind once, its counts summed over every batch, with the files they came from. A
:class:`CountNote` is the note's text (a ``str``: printed, compared and written to JSON as it always was) that also keeps
its kind and counts, so nothing has to read the numbers back out of the words.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence


def _unseen_words(counts: dict[str, int]) -> str:
    parts = ", ".join(f"{k}: {v}" for k, v in counts.items())
    return (f"{sum(counts.values())} value(s) outside the categories kept in training (unseen, or rarer than max_categories) ({parts}) "
            "were encoded as unknown / <other>")


def _unlearned_words(counts: dict[str, int]) -> str:
    parts = ", ".join(f"{k}: {v}" for k, v in counts.items())
    return (f"{sum(counts.values())} missing value(s) in column(s) that had none in training ({parts}) were filled with the "
            "stored fill value (the training median; a streamed fit's mean): the model never saw them missing")


#: each kind of counted note and its words, from its counts (column -> cells)
WORDS: dict[str, Callable[[dict[str, int]], str]] = {"unseen": _unseen_words, "unlearned": _unlearned_words}


class CountNote(str):
    """A note's text that also keeps its ``kind`` (a key of :data:`WORDS`) and ``counts`` (column -> cells, in column order)."""

    kind: str
    counts: dict[str, int]

    def __new__(cls, kind: str, counts: dict[str, int]) -> CountNote:
        note = super().__new__(cls, WORDS[kind](counts))
        note.kind, note.counts = kind, dict(counts)
        return note

    def __reduce__(self) -> tuple[type, tuple[str, dict[str, int]]]:  # a copy or pickle keeps the counts
        return CountNote, (self.kind, self.counts)


def unseen_note(counts: dict[str, int]) -> CountNote:
    """The note for category values the stored preprocessing encoded as unknown.

    One wording for the preprocessing's ``transform`` and the ONNX runner.

    Parameters
    ----------
    counts : dict of str to int
        Column -> unseen values.
    """
    return CountNote("unseen", counts)


def unlearned_missing_note(counts: dict[str, int]) -> CountNote:
    """The note for missing cells of numeric columns that had none in training: filled with the stored value, though the model learned no indicator for them.

    One wording for ``transform``, the ONNX runner and the server.

    Parameters
    ----------
    counts : dict of str to int
        Column -> missing cells.
    """
    return CountNote("unlearned", counts)


def joined_notes(notes: Sequence[str], files: Sequence[str], named: bool = True) -> list[str]:
    """``notes`` of a table's record batches, each said once, in the order first said.

    A :class:`CountNote` kind is one line whose counts are summed over every batch, naming the files it came from
    (``"... (in 3 files: 'a.csv', 'b.csv', 'c.csv')"``, the first 3 named); any other note once per text.

    Parameters
    ----------
    notes : sequence of str
        The notes.
    files : sequence of str
        ``files[i]``: the file note ``i`` came from.
    named : bool
        False: a counted note without its files (one file, which the user named: said as the file read whole says it).
    """
    kinds: dict[str, tuple[dict[str, int], dict[str, None]]] = {}
    order: list[str | tuple[str]] = []  # a plain note's text, or (kind,) where that kind's line goes
    for msg, file in zip(notes, files):
        if isinstance(msg, CountNote):
            if msg.kind not in kinds:
                kinds[msg.kind] = ({}, {})
                order.append((msg.kind,))
            counts, seen_in = kinds[msg.kind]
            for column, n in msg.counts.items():
                counts[column] = counts.get(column, 0) + n
            seen_in[file] = None
        elif msg not in order:
            order.append(str(msg))
    out = []
    for item in order:
        if isinstance(item, str):
            out.append(item)
            continue
        counts, seen_in = kinds[item[0]]
        if not named:
            out.append(WORDS[item[0]](counts))
            continue
        shown = ", ".join(f"'{f}'" for f in list(seen_in)[:3]) + (", ..." if len(seen_in) > 3 else "")
        out.append(f"{WORDS[item[0]](counts)} (in {len(seen_in)} file{'s' if len(seen_in) > 1 else ''}: {shown})")
    return out


class BatchNotes(list[str]):
    """The notes of a table's record batches, gathered as they come (a list that a batch's reader appends to), and the file
    each came from (:meth:`read`, after each batch), for :func:`joined_notes`: ``predict DIR``/``evaluate DIR``,
    ``predict(source)`` and ``source.apply`` say them so."""

    def __init__(self) -> None:
        super().__init__()
        self.files: list[str] = []

    def read(self, file: str) -> None:
        """The notes added since the last call came from ``file``.

        Parameters
        ----------
        file : str
            The file just read.
        """
        self.files.extend([file] * (len(self) - len(self.files)))

    def joined(self, named: bool = True) -> list[str]:
        """Each note once, a counted one with its counts summed over every batch (:func:`joined_notes`).

        Parameters
        ----------
        named : bool
            False: without the files a counted note came from (one file).
        """
        return joined_notes(self, self.files, named)


__all__ = ["WORDS", "BatchNotes", "CountNote", "joined_notes", "unlearned_missing_note", "unseen_note"]
