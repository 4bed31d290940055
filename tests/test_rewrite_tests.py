""".ci/rewrite_tests.py (``make test-bytecode``): the assert-rewritten bytecode it writes is the file pytest reads."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from _pytest.assertion.rewrite import PYC_TAIL, _read_pyc

SCRIPT = Path(__file__).resolve().parents[1] / ".ci" / "rewrite_tests.py"


@pytest.fixture
def script(monkeypatch: pytest.MonkeyPatch):  # noqa: ANN201  # the script's module, its process pool run in this process
    spec = importlib.util.spec_from_file_location("rewrite_tests", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setattr(module, "ProcessPoolExecutor", _InProcess)  # its workers could not import a module loaded from a path
    return module


def test_test_modules_and_conftests_get_the_rewritten_bytecode_pytest_reads(script, tmp_path: Path, capsys) -> None:  # noqa: ANN001
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "test_a.py").write_text("def test_f():\n    x = 1\n    assert x + 1 == 3\n")
    (tmp_path / "conftest.py").write_text("X = 1\n")
    (tmp_path / "helper.py").write_text("Y = 2\n")  # imported plainly by pytest: not its to rewrite
    (tmp_path / "test_broken.py").write_text("def test_(:\n")  # pytest reports it at collection; skipped here
    assert script.main(str(tmp_path)) == 0
    assert capsys.readouterr().out.strip() == "rewrite_tests: 2 of 3 test modules' rewritten bytecode cached"
    src = tmp_path / "sub" / "test_a.py"
    pyc = tmp_path / "sub" / "__pycache__" / f"test_a{PYC_TAIL}"
    code = _read_pyc(src, pyc)  # pytest's own reader: right name, header and source hash
    assert code is not None
    assert not (tmp_path / "__pycache__" / f"helper{PYC_TAIL}").exists()
    assert not list(tmp_path.rglob("*.pyc.*"))  # no partial file left
    namespace: dict = {}
    exec(code, namespace)
    with pytest.raises(AssertionError, match=r"assert \(1 \+ 1\) == 3"):  # pytest's explanation, not a bare assert
        namespace["test_f"]()
    written = pyc.stat().st_mtime_ns
    assert script.main(str(tmp_path)) == 0 and pyc.stat().st_mtime_ns == written  # current: read, not written again
    src.write_text("def test_f():\n    assert 1\n")  # an edited source: pytest would rewrite it, and so does a rerun
    assert _read_pyc(src, pyc) is None
    assert script.main(str(tmp_path)) == 0 and _read_pyc(src, pyc) is not None


def test_a_failure_is_one_line_and_no_error(script, tmp_path: Path, capsys, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    (tmp_path / "test_a.py").write_text("def test_f():\n    assert 1\n")

    def fails(path: Path) -> bool:
        raise ImportError("cannot import name '_rewrite_test'")

    monkeypatch.setattr(script, "rewrite", fails)
    assert script.main(str(tmp_path)) == 0
    assert capsys.readouterr().out == ("rewrite_tests: nothing cached (ImportError: cannot import name '_rewrite_test'); "
                                       "pytest rewrites the test modules itself\n")


class _InProcess:
    """ProcessPoolExecutor's map, in this process."""

    def __init__(self, **kw: object) -> None:
        pass

    def __enter__(self) -> _InProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def map(self, fn, items, chunksize: int = 1):  # noqa: ANN001, ANN201
        return map(fn, items)
