"""A database server that cannot hold the study (down, unreachable, its driver missing, a malformed URL) is one
``ValueError`` naming the URL (its password hidden) and the fix, before any trial; on the command line one
``error:`` line, not an internal error to report."""

from __future__ import annotations

import socket

import pytest

from cli_helpers import assert_user_error, run
from hiddenlayers import search


def _closed_port() -> int:
    """A loopback port nothing listens on (bound, then released): a connection there is refused at once."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def refused_url() -> str:
    pytest.importorskip("psycopg2" if __import__("importlib").util.find_spec("psycopg") is None else "psycopg")
    return f"postgresql://hl:secret@127.0.0.1:{_closed_port()}/hl"


def test_a_refused_postgresql_server_is_one_value_error_without_the_password(iris, refused_url) -> None:
    X, y = iris
    with pytest.raises(ValueError, match=r"^storage: cannot connect to 'postgresql://hl:\*\*\*@127\.0\.0\.1:\d+/hl' \(.*refused.*\): "
                                          r"check that the server runs") as err:
        search(X, y, trials=1, max_epochs=1, cv=1, storage=refused_url)
    assert "secret" not in str(err.value)


def test_a_storage_url_whose_driver_is_missing_names_the_driver(iris) -> None:
    pytest.importorskip("sqlalchemy")
    if __import__("importlib").util.find_spec("MySQLdb") is not None:
        pytest.skip("MySQLdb is installed here")
    X, y = iris
    with pytest.raises(ValueError, match=r"storage: the database driver for 'mysql://u@localhost/db' is not installed "
                                          r"\(No module named 'MySQLdb'\): install it"):
        search(X, y, trials=1, max_epochs=1, cv=1, storage="mysql://u@localhost/db")


def test_search_command_on_a_refused_server_is_a_user_error(table, tmp_path, refused_url) -> None:
    result = run("search", table, "--target", "label", "--trials", "1", "--epochs", "1", "--storage", refused_url,
                 "--out-dir", tmp_path / "models", "--no-check")
    assert_user_error(result, "storage: cannot connect to 'postgresql://hl:***@127.0.0.1:")
    assert "internal error" not in result.output and not (tmp_path / "models").exists()
