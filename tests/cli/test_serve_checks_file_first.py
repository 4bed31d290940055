"""``hiddenlayers serve FILE`` on a file the server refuses names the file's problem even when the port is busy: the file is read
and checked (from its header, no weights loaded) before the port, as the table path loads before it binds."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from cli_helpers import assert_user_error, run


@pytest.fixture()
def busy_port() -> Iterator[int]:
    """A port of 127.0.0.1 that something listens on for the test's length."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        yield int(s.getsockname()[1])


def test_a_file_that_is_no_model_is_named_before_a_busy_port(tmp_path: Path, busy_port: int) -> None:
    (tmp_path / "notes.safetensors").write_bytes(b"not a model file at all")
    result = run("serve", tmp_path / "notes.safetensors", "--port", busy_port)
    assert_user_error(result, "notes.safetensors")
    assert "in use" not in result.stderr


def test_an_onnx_file_that_is_no_model_is_named_before_a_busy_port(tmp_path: Path, busy_port: int) -> None:
    pytest.importorskip("onnxruntime")
    (tmp_path / "f.onnx").write_bytes(b"not an onnx graph")
    result = run("serve", tmp_path / "f.onnx", "--port", busy_port)
    assert_user_error(result, "f.onnx")
    assert "in use" not in result.stderr


def test_a_good_file_on_a_busy_port_still_names_the_port(tmp_path: Path, busy_port: int) -> None:
    from sklearn.datasets import load_iris

    from hiddenlayers import MLPClassifier

    X, y = load_iris(return_X_y=True)
    MLPClassifier((4,), max_iter=50, random_state=0).fit(X, y).save(tmp_path / "iris.safetensors")
    assert_user_error(run("serve", tmp_path / "iris.safetensors", "--port", busy_port), f"--port {busy_port} on 127.0.0.1 is in use")
