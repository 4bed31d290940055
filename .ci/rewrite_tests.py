"""Write pytest's assert-rewritten bytecode of a test tree before the suite runs, on every core.

``python .ci/rewrite_tests.py tests``: each pytest process rewrites the asserts of every test module it imports
(~13 CPU-s for tests/ in one process, and both xdist workers of ``make test`` import every module) and keeps the result
in ``__pycache__/NAME.<tag>-pytest-<version>.pyc``, checked against the source's hash, unless bytecode writing is off
(``PYTHONDONTWRITEBYTECODE``, as on this project's machines); it reads such a file either way. This writes those files
with pytest's own functions, one module per task (the same code pytest makes: this project sets no assertion-pass hook,
the one setting the rewrite reads), so the workers import instead of rewriting.

Best effort: an optimisation, never a gate. On an error (a pytest whose internals moved, a read-only tree) it prints
one line and stops, and the suite rewrites as it did; a module that does not parse is left to pytest to report.
"""

from __future__ import annotations

import os
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path


def modules(root: Path) -> list[Path]:
    """The files under ``root`` pytest rewrites on import: its test modules (``test_*.py``) and ``conftest.py`` files."""
    return sorted(p for p in root.rglob("*.py") if p.name.startswith("test_") or p.name == "conftest.py")


def rewrite(path: Path) -> bool:
    """Write ``path``'s rewritten bytecode where pytest looks for it (atomically), unless the file there is current (its
    source's hash: a rerun reads, not rewrites); False if its source does not parse."""
    from _pytest.assertion.rewrite import PYC_TAIL, _read_pyc, _rewrite_test, _write_pyc_fp, get_cache_dir

    cache = get_cache_dir(path)
    pyc = cache / (path.name[:-3] + PYC_TAIL)
    if _read_pyc(path, pyc) is not None:
        return True
    try:
        source_hash, code = _rewrite_test(path, None)  # type: ignore[arg-type]  # None: no assertion-pass hook
    except SyntaxError:
        return False
    cache.mkdir(exist_ok=True)
    part = pyc.with_name(f"{pyc.name}.{os.getpid()}")
    with open(part, "wb") as fp:
        _write_pyc_fp(fp, source_hash, code)
    os.replace(part, pyc)
    return True


def main(root: str) -> int:
    """Rewrite every test module under ``root`` on every core; say how many, or why none."""
    files = [p.absolute() for p in modules(Path(root))]
    try:
        with ProcessPoolExecutor(max_workers=len(os.sched_getaffinity(0))) as pool:
            done = sum(pool.map(rewrite, files, chunksize=8))
    except Exception as exc:  # noqa: BLE001  # best effort: the suite rewrites what is not cached
        print(f"rewrite_tests: nothing cached ({type(exc).__name__}: {exc}); pytest rewrites the test modules itself")
        return 0
    print(f"rewrite_tests: {done} of {len(files)} test modules' rewritten bytecode cached")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "tests"))
