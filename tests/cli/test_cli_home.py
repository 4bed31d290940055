"""cli/_home: a leading ``~`` in every path the command line takes is the home folder, quoted or not (a quoted glob was
expanded; a quoted folder, model file or --out was not)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import typer.main
from hypothesis import given
from hypothesis import strategies as st

from cli_helpers import ok
from hiddenlayers.cli import app
from hiddenlayers.cli._home import PATH_PARAMS, home_expanded


def _parts(folder) -> None:
    folder.mkdir()
    rng = np.random.default_rng(0)
    for i in range(2):
        a = rng.normal(size=60)
        pd.DataFrame({"a": a, "b": rng.normal(size=60), "y": (a > 0).astype(int)}).to_csv(folder / f"p{i}.csv", index=False)


def test_train_predict_and_evaluate_take_a_quoted_home_folder(tmp_path, monkeypatch) -> None:
    """``train "~/parts"`` said "'~/parts' is neither a file nor a bundled dataset" and ``--out "~/m.safetensors"`` that
    folder '~' does not exist; every path of train DIR, predict DIR and evaluate FILE now starts at the home folder."""
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("HIDDENLAYERS_CHECKPOINT", raising=False)
    _parts(tmp_path / "parts")
    _parts(tmp_path / "valid")
    res = ok("train", "~/parts", "--target", "y", "--epochs", "2", "--hidden", "4", "--no-check", "--validation", "~/valid",
             "--out", "~/m.safetensors", "--log", "~/log.csv")
    assert f"note: saved {tmp_path}/m.safetensors" in res.stderr and (tmp_path / "log.csv").is_file()
    assert f"rows of {tmp_path}/valid" in res.stderr
    ok("predict", "~/m.safetensors", "~/parts", "--out", "~/p.csv")
    assert len(pd.read_csv(tmp_path / "p.csv")) == 120
    assert '"rows": 60' in ok("evaluate", "~/m.safetensors", "~/parts/p0.csv", "--json").stdout
    assert not (tmp_path / "~").exists()


def test_every_path_parameter_of_every_command_expands_the_home_folder(tmp_path, monkeypatch) -> None:
    """The rule is the group's, not each command's: every parameter of PATH_PARAMS in any command expands, and DATA, MODEL
    and --out are among them in every command that takes them."""
    group = typer.main.get_command(app)
    found = {(name, p.name) for name, c in group.commands.items() for p in c.params if p.name in PATH_PARAMS}
    assert {("train", "data"), ("train", "out"), ("train", "validation"), ("predict", "model"), ("predict", "data"), ("predict", "out"),
            ("evaluate", "data"), ("search", "validation"), ("check", "against")} <= found
    monkeypatch.setenv("HOME", str(tmp_path))
    for name, c in group.commands.items():
        for p in c.params:
            if p.name in PATH_PARAMS:
                assert p.callback is not None and p.callback(None, p, "~/x") == f"{tmp_path}/x", (name, p.name)


@given(st.text(max_size=20))
def test_only_a_leading_tilde_changes(value: str) -> None:
    """A dataset name, '-', a URL or a path without a leading '~' is left as it was; one with it is os.path.expanduser's."""
    import os

    assert home_expanded(value) == (os.path.expanduser(value) if value.startswith("~") else value)
    assert home_expanded(None) is None
