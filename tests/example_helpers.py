"""A runner for the example scripts' smoke runs: the heavy imports once, then one forked process per script.

Each ``examples/*.py --smoke`` run in a fresh interpreter spent seconds importing
torch, scikit-learn, SciPy, pandas, Matplotlib and hiddenlayers before doing any
work. This runner (``python tests/example_helpers.py``, one per test worker)
imports them once, before any computation (no thread pool is started, so a
fork is safe), then for each request forks a child that runs the script as
``python script.py ARGS`` would: ``__main__``, ``sys.argv``, the script's folder
first on ``sys.path``, its own working directory, stdout and stderr into files,
its exit status as the child's. Each script still runs in its own process, so
no global state (threads, seeds, warning filters) leaks from one to the next.

Protocol, one JSON object per line: request ``{"script", "args", "cwd", "stdout",
"stderr", "timeout"}`` on stdin; reply ``{"returncode", "timed_out"}`` on stdout
(``returncode`` as ``subprocess`` gives it: negative for a signal).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

#: imported once in the runner; each forked script finds them loaded
#: (a name that no longer exists only costs that time again; the private ones are what the lazy public names load on first use)
PRELOAD = ("numpy", "scipy.sparse", "scipy.ndimage", "scipy.io", "pandas", "pyarrow", "sklearn.datasets", "sklearn.linear_model",
           "sklearn.model_selection", "sklearn.pipeline", "sklearn.preprocessing", "sklearn.feature_extraction.text", "sklearn.ensemble",
           "sklearn.neural_network", "matplotlib.figure", "matplotlib.pyplot", "matplotlib.backends.backend_agg", "PIL.Image", "rich.console",
           "tqdm", "torch", "torch._dynamo", "captum.attr", "hiddenlayers", "hiddenlayers.estimators", "hiddenlayers.apps", "hiddenlayers.lens",
           "hiddenlayers.data", "hiddenlayers.estimators._mlp", "hiddenlayers.apps._seq.sequence", "hiddenlayers.data._check.check",
           "hiddenlayers.training._loop", "hiddenlayers.lens._report", "hiddenlayers.lens._plots", "hiddenlayers.apps._agent",
           # the scripts' own data and baseline packages (optional: a missing one is skipped here, and its script by the test)
           "gymnasium", "statsmodels.tsa.ar_model", "sacrebleu", "mlxtend.data")


def _child(req: dict[str, Any]) -> None:
    """In the forked child: run the script as ``__main__`` with its arguments; never returns."""
    import runpy

    code = 0
    try:
        os.chdir(req["cwd"])
        for fd, path in ((1, req["stdout"]), (2, req["stderr"])):
            f = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            os.dup2(f, fd)
            os.close(f)
        script = str(req["script"])
        sys.argv = [script, *req["args"]]
        sys.path[0] = str(Path(script).parent)
        runpy.run_path(script, run_name="__main__")
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        if exc.code is not None and not isinstance(exc.code, int):
            print(exc.code, file=sys.stderr)
    except BaseException:  # noqa: BLE001 - a failing script: its traceback on stderr, status 1, as the interpreter does
        import traceback

        traceback.print_exc()
        code = 1
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:  # noqa: BLE001, S110 - a closed stream: nothing left to write
                pass
    os._exit(code)


def _run(req: dict[str, Any]) -> dict[str, Any]:
    """Fork, run one script, wait at most ``req["timeout"]`` seconds (then kill it)."""
    pid = os.fork()
    if pid == 0:
        _child(req)
    deadline = time.monotonic() + float(req["timeout"])
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return {"returncode": os.waitstatus_to_exitcode(status), "timed_out": False}
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            return {"returncode": -signal.SIGKILL, "timed_out": True}
        time.sleep(0.05)


def serve() -> None:
    """Preload, then answer requests until stdin closes."""
    import importlib

    import matplotlib

    matplotlib.use("Agg")
    for name in PRELOAD:
        try:
            importlib.import_module(name)
        except ImportError:  # an optional package missing: the script that needs it is skipped by the test anyway
            pass
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        if line.strip():
            print(json.dumps(_run(json.loads(line))), flush=True)


class ExampleRunner:
    """The test side: starts the runner process, sends it one script at a time."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen([sys.executable, __file__], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None
        ready = self.proc.stdout.readline()
        if not ready.strip():
            raise RuntimeError(f"the example runner exited before it was ready (status {self.proc.wait()})")

    def run(self, script: Path, args: list[str], cwd: Path, timeout: float) -> tuple[int, bool, str, str]:
        """``(returncode, timed_out, stdout, stderr)`` of ``python script ARGS`` run in ``cwd``."""
        assert self.proc.stdin is not None and self.proc.stdout is not None
        out, err = cwd / ".example_stdout", cwd / ".example_stderr"
        req = {"script": str(script), "args": args, "cwd": str(cwd), "stdout": str(out), "stderr": str(err), "timeout": timeout}
        self.proc.stdin.write(json.dumps(req) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"the example runner died (status {self.proc.wait()})")
        reply = json.loads(line)
        texts = [p.read_text(errors="replace") if p.exists() else "" for p in (out, err)]
        for p in (out, err):
            p.unlink(missing_ok=True)  # the test lists cwd's files: only the script's own
        return int(reply["returncode"]), bool(reply["timed_out"]), texts[0], texts[1]

    def close(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        self.proc.wait(timeout=30)


if __name__ == "__main__":
    serve()
