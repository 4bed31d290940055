"""Shared helpers for the command-line tests: run a command in-process and check its outcome."""

from __future__ import annotations

from typer.testing import CliRunner

from hiddenlayers.cli import app

runner = CliRunner()


def run(*args: object):
    """Invoke ``hiddenlayers ARGS...`` in this process; arguments are turned into strings."""
    return runner.invoke(app, [str(a) for a in args])


def ok(*args: object):
    """Like :func:`run`, asserting exit status 0 (the output is shown when it is not)."""
    result = run(*args)
    assert result.exit_code == 0, result.output
    return result


def interrupted_run(*args: object):
    """Like :func:`run`, for a command Ctrl-C stopped after it saved what it had: exit status 130 (so ``a && b`` and a shell
    script stop there), the last line on stderr saying what was saved and where, no traceback."""
    result = run(*args)
    assert result.exit_code == 130, result.output
    assert result.stderr.strip().splitlines()[-1].startswith("interrupted"), result.stderr
    assert "Traceback" not in result.output
    return result


def assert_user_error(result, message: str) -> None:
    """A user mistake: exit status 2, one ``error: ...`` line on stderr containing ``message``, no traceback."""
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert message in lines[0], lines[0]
    assert "Traceback" not in result.output


def add_train_callback(monkeypatch, callback) -> None:
    """The next ``hiddenlayers train``'s estimator gets ``callback`` after its own (e.g. a Ctrl-C at an epoch)."""
    import hiddenlayers.cli._train as ct

    real = ct.make_estimator

    def make(*args, **kwargs):
        model = real(*args, **kwargs)
        return model.set_params(callbacks=[*(model.callbacks or []), callback])

    monkeypatch.setattr(ct, "make_estimator", make)


def bracketed_model(tmp_path):
    """A model trained by ``train`` on columns, categories and labels written in brackets, and its table."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"length [cm]": rng.normal(size=30), "color": np.where(np.arange(30) % 2, "[red]", "[/blue]"),
                          "label": np.where(np.arange(30) % 3, "[ok]", "bad")})
    table, out = tmp_path / "b.csv", tmp_path / "b.safetensors"
    frame.to_csv(table, index=False)
    trained = run("train", table, "--target", "label", "--hidden", "4", "--epochs", "2", "-q", "--out", out)
    assert trained.exit_code == 0, trained.output
    return out, table

