"""Shared fixtures: every test starts from the same random state."""

from __future__ import annotations

import os
import random
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from hypothesis import settings

# The suite is deterministic: hypothesis draws the same examples on every run,
# so a red CI run is a real regression, not a new draw. `make fuzz` runs the
# property tests with fresh random examples to look for new failures.
# No deadline: the tests assert behaviour, not speed, and a busy 2-core CI
# machine made a 200 ms per-example limit fail tests that were right.
settings.register_profile("default", derandomize=True, deadline=None)
settings.register_profile("fuzz", derandomize=False, deadline=None)
settings.load_profile("default")

#: the variables that size the thread pools of OpenMP (PyTorch), OpenBLAS and MKL in a process started from a test
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def worker_threads() -> int | None:
    """CPU threads for each test process: the cores shared out among pytest-xdist's workers, at least one;
    None outside xdist (``-n0``) or when the caller set ``OMP_NUM_THREADS`` (then their choice stands).

    ``make test`` runs 2 workers on a 2-core machine: with PyTorch's and the BLAS's default of one thread per core
    in each, 4 busy threads shared 2 cores and their spin-waits stalled each other (README's digits quick start on the
    shared machine: 21-23 CPU seconds with the defaults, 14-15 on one thread; its lens report 8 s, 4 s; its prune 5 s,
    2 s). The work, and what each test asserts, is the same.
    """
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "0"))
    if workers < 1 or "OMP_NUM_THREADS" in os.environ:
        return None
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return max(1, cores // workers)


def pytest_configure(config: pytest.Config) -> None:
    """In an xdist worker, size PyTorch's and the BLAS's thread pools by :func:`worker_threads`, in this process and,
    through the environment, in the processes tests start (CLI runs, torchrun ranks, servers, example scripts)."""
    threads = worker_threads()
    if threads is None:
        return
    from threadpoolctl import threadpool_limits

    for name in THREAD_VARIABLES:
        os.environ.setdefault(name, str(threads))
    torch.set_num_threads(threads)
    threadpool_limits(limits=threads)  # kept for the session: the already loaded BLAS and OpenMP libraries


@pytest.fixture(autouse=True, scope="session")
def cli_command_built_once() -> Iterator[None]:
    """Typer's ``CliRunner.invoke(app, ...)`` turns the Typer app into its click command on every call: it reads
    every command's signature and evaluates its annotations again, ~0.1-0.3 s a call (most of a short command's
    in-process run; tests/ holds ~1,100 run/ok/invoke call sites, many in loops and parametrized tests). The built command is kept per app for
    the session, as the ``hiddenlayers`` process builds it once: click commands are made to be invoked many times,
    and each invocation still gets its own context and streams. (Patches typer.testing's name for Typer's
    ``get_command``; a Typer that renames it makes this setattr fail loudly, not the suite slow silently.)"""
    import typer.testing

    build = typer.testing._get_command
    built: dict[int, tuple[object, object]] = {}

    def get_command(app: object) -> object:
        if id(app) not in built:
            built[id(app)] = (app, build(app))  # the app kept beside its command: its id is not reused
        return built[id(app)][1]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(typer.testing, "_get_command", get_command)
        yield


#: whether PyTorch sees a CUDA, XPU or MPS device (asked once: :func:`seed` runs before every test)
ACCELERATOR = torch.cuda.is_available() or torch.backends.mps.is_available() or torch.xpu.is_available()


@pytest.fixture(autouse=True)
def seed() -> int:
    """Seed Python, NumPy and PyTorch so each test is reproducible on its own.

    Without an accelerator only PyTorch's CPU generator: ``torch.manual_seed`` would also queue a seed for each
    device kind not yet initialised and format the caller's stack for each (~1-2 ms under pytest's deep stack, paid
    by every one of the suite's ~5,500 tests; devices that are absent are never initialised, so those seeds never
    apply). With one, ``torch.manual_seed`` as before, so a test that starts CUDA gets its seeded generators.
    """
    random.seed(0)
    np.random.seed(0)
    if ACCELERATOR:
        torch.manual_seed(0)
    else:
        torch.default_generator.manual_seed(0)
    return 0


@pytest.fixture
def rng() -> np.random.Generator:
    """A fresh seeded NumPy generator for test data."""
    return np.random.default_rng(0)


@pytest.fixture(scope="session")
def table(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small mixed CSV for the CLI tests: numeric columns ``a``, ``b``, a
    categorical ``color`` with missing values, and text labels ``label``."""
    rng = np.random.default_rng(0)
    n = 150
    a = rng.normal(size=n)
    color = rng.choice(["red", "green", "blue"], size=n).astype(object)
    color[:5] = None
    label = np.where(a + (color == "red") > 0.3, "yes", "no")
    path = tmp_path_factory.mktemp("data") / "t.csv"
    pd.DataFrame({"a": a, "b": rng.normal(size=n), "color": color, "label": label}).to_csv(path, index=False)
    return path


@pytest.fixture(scope="session")
def table_model(table: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny classifier ``hiddenlayers train`` fitted on :func:`table` (4 hidden units, 2 epochs), for the CLI tests that
    need a model file and not what it learned; none of them writes over it."""
    from typer.testing import CliRunner

    from hiddenlayers.cli import app

    out = tmp_path_factory.mktemp("models") / "m.safetensors"
    result = CliRunner().invoke(app, ["train", str(table), "-t", "label", "--hidden", "4", "--epochs", "2", "-q", "-o", str(out)])
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="session")
def iris() -> tuple[np.ndarray, np.ndarray]:
    """Iris, standardised (what most estimator tests fit on)."""
    from sklearn.datasets import load_iris
    from sklearn.preprocessing import StandardScaler

    X, y = load_iris(return_X_y=True)
    return StandardScaler().fit_transform(X), y


@pytest.fixture(scope="session")
def bible_pairs(tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    """The installed WEB and Reina-Valera verse pairs as ``hl.data.load_bible_pairs`` returns them, read once a session (read only).

    Each read runs ``mod2imp`` on both modules and parses them (~3 CPU-s and ~8 s on the loaded 2-core machine);
    tests/data/test_datasets_bible.py checks what it reads and tests/apps/test_apps_translate_init.py learns from it.
    The tests that take it skip first where the modules or ``mod2imp`` are missing."""
    from hiddenlayers.data import load_bible_pairs

    return load_bible_pairs(cache_dir=tmp_path_factory.mktemp("bible"))


@pytest.fixture(scope="session")
def toy_speech_export(tmp_path_factory: pytest.TempPathFactory) -> tuple:
    """A SpeechRecognizer that emits symbols (``toy_utterances(40)``, 15 epochs) exported once a session, with parity on 21
    held-out utterances, the last longer than any in fit: ``(recognizer, ONNX path, held-out utterances, their texts, report)``.
    Read only. tests/ship/test_export_speech.py checks the export and tests/ship/test_serve_app_onnx.py serves it: one
    export (~3 CPU-s of torch's exporter) where each made its own of the same model."""
    pytest.importorskip("onnxruntime")
    import hiddenlayers as hl
    from hiddenlayers.apps import SpeechRecognizer
    from speech_helpers import toy_utterances

    X, y = toy_utterances(40)
    held_out, texts = toy_utterances(20, seed=1)
    held_out.append(np.concatenate([held_out[0], held_out[1]]))  # longer than any in fit
    texts.append(texts[0] + texts[1])
    rec = SpeechRecognizer("conv8k3:same,pool2,conv8k3:same", max_iter=15, learning_rate_init=1e-2, early_stopping=False, random_state=0,
                           device="cpu").fit(X, y)
    path = tmp_path_factory.mktemp("speech_onnx") / "asr.onnx"
    return rec, path, held_out, texts, hl.export_onnx(rec, path, X=held_out)


@pytest.fixture(scope="session")
def iris_raw() -> tuple[np.ndarray, np.ndarray]:
    """Iris as scikit-learn ships it (for side-by-side runs with scikit-learn's MLP)."""
    from sklearn.datasets import load_iris

    return load_iris(return_X_y=True)
