"""The command line as a whole: usage errors point at the right help, and one idea has one option name in every command."""

from __future__ import annotations

import pytest

from cli_helpers import assert_user_error, run


@pytest.mark.parametrize("args, command", [
    (["train", "data.csv", "--epochs"], "train"),
    (["predict", "m.safetensors", "d.csv", "-o"], "predict"),
    (["--debug", "cost", "m.safetensors", "--calls"], "cost"),
    (["check", "--target"], "check"),
])
def test_an_option_without_its_value_points_at_its_commands_help(args, command):
    """Click's parser refuses an option missing its value before the command's context exists: the line said
    "(see `hiddenlayers --help`)", a page that lists no option."""
    result = run(*args)
    assert result.exit_code == 2, result.output
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("error: Option ") and "requires an argument" in last, last
    assert last.endswith(f"(see `hiddenlayers {command} --help`)"), last


def test_an_unknown_command_still_points_at_the_main_help():
    assert_user_error(run("nosuch", "--epochs"), "No such command 'nosuch'. (see `hiddenlayers --help`)")
