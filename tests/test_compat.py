"""hiddenlayers._compat: old module paths import as their new modules and run under ``python -m``."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from hiddenlayers._compat import ALIASES

SRC = Path(__file__).parents[1] / "src"


@pytest.mark.parametrize(("old", "new"), [("apps._sequence", "apps._seq.sequence"), ("apps._seqdata", "apps._seq.data"), ("apps._seqnet", "apps._seq.net")])
def test_the_sequence_classifiers_old_paths_are_its_new_modules(old: str, new: str) -> None:
    assert ALIASES[f"hiddenlayers.{old}"] == f"hiddenlayers.{new}"
    moved = importlib.import_module(f"hiddenlayers.{old}")
    assert moved is importlib.import_module(f"hiddenlayers.{new}")
    assert moved.__spec__.name == f"hiddenlayers.{new}"


def test_the_translators_old_network_path_is_its_new_module() -> None:
    assert ALIASES["hiddenlayers.apps._seq2seq"] == "hiddenlayers.apps._translate.seq2seq"
    moved = importlib.import_module("hiddenlayers.apps._seq2seq")
    assert moved is importlib.import_module("hiddenlayers.apps._translate.seq2seq")
    assert moved.Seq2Seq.__module__ == "hiddenlayers.apps._translate.seq2seq"


def _run_module(name: str, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")])}
    return subprocess.run([sys.executable, "-m", name, *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=120)


def test_python_m_on_an_old_path_runs_the_new_module_as_main(tmp_path: Path) -> None:
    # the search worker's entry point, under its path before rightsize/_search/ existed: its __main__ block
    # reads the job file named on the command line, so a missing one shows that it ran, with our arguments
    job = tmp_path / "no-such-job.json"
    done = _run_module("hiddenlayers.rightsize._search_run", str(job), "0", cwd=tmp_path)
    assert done.returncode == 1
    assert "get_code" not in done.stderr and "No code object" not in done.stderr
    assert "in worker_main" in done.stderr
    assert done.stderr.rstrip().splitlines()[-1] == f"FileNotFoundError: [Errno 2] No such file or directory: '{job}'"


def test_python_m_on_an_old_path_without_a_main_block_does_what_the_new_path_does(tmp_path: Path) -> None:
    old, new = _run_module("hiddenlayers.apps._seqdata", cwd=tmp_path), _run_module("hiddenlayers.apps._seq.data", cwd=tmp_path)
    assert (old.returncode, old.stdout, old.stderr) == (new.returncode, new.stdout, new.stderr) == (0, "", "")
