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


@pytest.fixture
def model(table_model):
    return table_model


def test_cost_takes_batch_size_as_train_does_and_still_its_old_batch(model):
    """`cost` called the batch size `--batch` where train and lr-find say `--batch-size`; the old spelling stays, unlisted."""
    import json

    new = json.loads(run("cost", model, "--calls", "10", "--batch-size", "32", "--json").stdout)
    old = json.loads(run("cost", model, "--calls", "10", "--batch", "32", "--json").stdout)
    assert new["batch_size"] == old["batch_size"] == 32
    assert new["activation_bytes"] == old["activation_bytes"]
    helped = run("cost", "--help").output
    assert "--batch-size" in helped and "--batch " not in helped
    assert_user_error(run("cost", model, "--batch", "8", "--batch-size", "16"), "--batch is the earlier name of --batch-size: give --batch-size once.")


@pytest.mark.parametrize("spelling", ["--patience", "--n-iter-no-change"])
def test_train_takes_patience_as_search_does(spelling, table, tmp_path):
    """search said `--patience` and train only `--n-iter-no-change` for the epochs without improvement before a stop;
    train now takes both (scikit-learn's name stays, listed beside it as --max-iter is beside --epochs)."""
    import json

    out = tmp_path / "m.safetensors"
    result = run("train", table, "-t", "label", "--hidden", "4", "--epochs", "50", "--tol", "100", spelling, "2",
                 "--no-early-stopping", "-q", "-o", out, "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    # scikit-learn's rule: the first epoch sets the best loss, the stop comes at the (patience + 1)th epoch after it that
    # improves by less than --tol
    assert summary["stop_reason"] == "no_improvement_train_loss" and summary["epochs"] == 1 + 2 + 1


def test_train_names_patience_in_its_messages(table, tmp_path):
    out = tmp_path / "m.safetensors"
    assert_user_error(run("train", table, "-t", "label", "--patience", "0", "-q", "-o", out), "--patience: n_iter_no_change must be")
    assert_user_error(run("train", table, "-t", "label", "--set", "n_iter_no_change=3", "-q", "-o", out),
                      "use --patience instead of --set n_iter_no_change=3")


def test_predict_out_dash_is_stdout(model, table, tmp_path, monkeypatch):
    """`predict ... --out -` writes the table to stdout, as `-` means to curl or tar; it was refused ("--out must end in .csv,
    .tsv, .jsonl or .parquet. Received: '-'")."""
    monkeypatch.chdir(tmp_path)
    dashed = run("predict", model, table, "--proba", "--out", "-")
    assert dashed.exit_code == 0, dashed.output
    assert dashed.stdout == run("predict", model, table, "--proba").stdout
    assert dashed.stdout.startswith("predicted_label,proba_")
    assert not list(tmp_path.iterdir())


def test_cost_fits_the_width_columns_sets_without_cutting_a_number(model):
    """Piped, cost's (prune's, export's) tables were drawn 160 columns wide whatever COLUMNS said, and on an 80-column
    terminal Rich cut its ten columns' cells (`15,3…`, two headers `FLOP…`): a table that cannot fit uncut is now printed
    as several, each with the layer column, at the width COLUMNS (or the terminal) sets."""
    import json

    from cli_helpers import runner
    from hiddenlayers.cli import app

    figures = json.loads(run("cost", model, "--calls", "10", "--json").stdout)
    for width in (60, 80):
        shown = runner.invoke(app, ["cost", str(model), "--calls", "10"], env={"COLUMNS": str(width)})
        assert shown.exit_code == 0, shown.output
        lines = shown.stdout.splitlines()
        assert max(len(line) for line in lines) <= width and "…" not in shown.stdout
        for header in ("FLOPs/pred", f"FLOPs/step@{figures['train_batch_size']}", "weights", f"acts@{figures['batch_size']}"):
            assert header in shown.stdout, header
        assert f"{figures['flops_per_train_step']:,}" in shown.stdout and sum("hidden1" in line for line in lines) >= 2
    wide = runner.invoke(app, ["cost", str(model), "--calls", "10"], env={"COLUMNS": None})
    assert max(len(line) for line in wide.stdout.splitlines()) > 80  # piped without COLUMNS: the whole table, one line a row


def test_search_table_on_80_columns_cuts_no_cell(table, tmp_path):
    """search's eleven columns did not fit 80 columns: Rich printed `lr 0.0…`, `params 11,8…`, headers `tri…`."""
    from cli_helpers import runner
    from hiddenlayers.cli import app

    shown = runner.invoke(app, ["search", str(table), "-t", "label", "--trials", "1", "--epochs", "1", "--cv", "1",
                                "--widths", "16", "--layers", "2", "--no-check", "--out-dir", str(tmp_path / "sm")], env={"COLUMNS": "80"})
    assert shown.exit_code == 0, shown.output
    assert "…" not in shown.stdout and max(len(line) for line in shown.stdout.splitlines()) <= 80
    for header in ("trial", "hidden", "activation", "alpha", "params", "flops"):
        assert f" {header} " in shown.stdout, header
    assert "16,16" in shown.stdout


def _option_help(command: str, option: str) -> str:
    """The help of ``option`` in ``hiddenlayers COMMAND --help``, its wrapped lines joined."""
    from typer.main import get_command

    from hiddenlayers.cli import app

    group = get_command(app)
    cmd = group.commands[command]  # type: ignore[attr-defined]
    param = next(p for p in cmd.params if option in p.opts)
    return " ".join(param.help.split())


def test_lr_find_loss_help_names_only_what_lr_find_takes():
    """lr-find's --loss help offered '--app recommender: ... bpr', an option lr-find does not have."""
    said = _option_help("lr-find", "--loss")
    assert "--app" not in said and "bpr" not in said
    assert "log_loss" in said and "poisson" in said and "default" in said
    assert "--app recommender" in _option_help("train", "--loss")


def test_set_shows_what_it_takes():
    """train --help showed `--set <list[str]>`, Python's type, not what to type."""
    helped = run("train", "--help").output
    assert "--set KEY=VALUE" in helped and "list[str]" not in helped



def test_train_help_lists_every_solver_and_schedule_it_takes():
    """train --help said 'adam, sgd, lbfgs, ...' and 'constant, invscaling, adaptive, ...': adamw, rmsprop, cosine and plateau
    were in no help text. Each option's help now names every value the estimator takes, and the options without a default
    say what leaving them out does."""
    from hiddenlayers.training import SCHEDULES, SOLVERS

    assert all(name in _option_help("train", "--solver") for name in SOLVERS)
    assert all(name in _option_help("train", "--learning-rate") for name in SCHEDULES)
    assert "..." not in _option_help("train", "--solver") + _option_help("train", "--learning-rate")
    for option, unset in (("--clip-grad-norm", "no clipping"), ("--loss-threshold", "no such stop"), ("--max-time", "no limit")):
        assert f"(default: {unset})" in _option_help("train", option), option


def test_every_target_option_has_the_short_t():
    """Every command with --target took -t for it but explain: `explain --model m --data d -t label` was refused."""
    from typer.main import get_command

    from hiddenlayers.cli import app

    commands = get_command(app).commands  # type: ignore[attr-defined]
    with_target = {name: next(p for p in cmd.params if "--target" in p.opts) for name, cmd in commands.items()
                   if any("--target" in p.opts for p in cmd.params)}
    assert {"train", "evaluate", "explain", "check", "search"} <= set(with_target)
    assert all("-t" in p.opts for p in with_target.values()), [n for n, p in with_target.items() if "-t" not in p.opts]
    assert run("explain", "--sizes", "2,3,2", "-t", "0,1", "--json").exit_code == 0


STDIN = ("'-' (standard input) is not read here: save the table to a file first (e.g. `cat > new.csv`) and give its path; "
         "`hiddenlayers predict`, `evaluate` and `check` read DATA '-' from a pipe (`check` its --against too).")


@pytest.mark.parametrize("args", [["train", "-", "-t", "label", "-o", "MODEL"], ["train", "-", "-t", "label"], ["train", "DATA", "-t", "label", "--validation", "-", "-o", "MODEL", "--force"]])
def test_a_dash_where_no_pipe_is_read_is_said_to_be_standard_input(args, model, table):
    """`cat new.csv | hiddenlayers train -` said "'-' is neither a file nor a bundled dataset: check the path", as of a
    typo; '-' is the shell's standard input, which train (its data read twice, a resumed run compared by file) and the
    options naming a second table do not read: the line says so and names the commands that do (train's existing
    --out is named after). predict, evaluate and check read DATA '-', check its --against too: tests/cli/test_cli_stdin.py."""
    result = run(*[str(model) if a == "MODEL" else str(table) if a == "DATA" else a for a in args])
    assert_user_error(result, STDIN)


def test_read_table_says_dash_is_standard_input():
    import hiddenlayers as hl

    with pytest.raises(hl.exceptions.DataError, match=r"'-' \(standard input\) is not read here"):
        hl.data.read_table("-")


def test_show_completion_prints_the_shell_script():
    """The app had add_completion=False: no --install-completion/--show-completion, no Tab completion. It now has both
    (benchmarks/bench_completion_startup.py: `--help`'s start-up CPU time is the same with and without)."""
    result = run("--show-completion", "bash")
    assert result.exit_code == 0, result.output
    assert "complete -o default -F _hiddenlayers_completion hiddenlayers" in result.stdout
    assert "_HIDDENLAYERS_COMPLETE=complete_bash" in result.stdout
    assert "--install-completion" in run("--help").stdout


@pytest.mark.parametrize("shell, marker", [("bash", "complete -o default -F _hiddenlayers_completion hiddenlayers"),
                                           ("zsh", "#compdef hiddenlayers"), ("fish", "complete --command hiddenlayers")])
def test_the_shell_named_after_the_completion_options_is_the_one_used(shell, marker, tmp_path, monkeypatch):
    """Typer's options were flags: the shell was always the one detected (here the one running the tests), so
    `--show-completion zsh` typed in bash printed bash's script, and `--install-completion fish` wrote bash's file."""
    shown = run("--show-completion", shell)
    assert shown.exit_code == 0, shown.output
    assert marker in shown.stdout
    monkeypatch.setenv("HOME", str(tmp_path))
    installed = run("--install-completion", shell)
    assert installed.exit_code == 0, installed.output
    assert installed.stdout.startswith(f"{shell} completion installed in {tmp_path}")
    written = {"bash": ".bash_completions/hiddenlayers.sh", "zsh": ".zfunc/_hiddenlayers", "fish": ".config/fish/completions/hiddenlayers.fish"}
    assert sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file() and "hiddenlayers" in p.name) == [written[shell]]
    assert marker in (tmp_path / written[shell]).read_text()


def test_a_shell_not_supported_is_one_line_naming_those_that_are(monkeypatch):
    """`--show-completion tcsh` printed the detected shell's script; under sh (a Dockerfile's RUN) a plain
    `--show-completion` said only "Shell sh not supported."."""
    import hiddenlayers.cli._completion as completion

    assert_user_error(run("--show-completion", "tcsh"), "--show-completion: 'tcsh' is not a shell it supports: name one of bash, zsh, fish, "
                                                        "powershell, pwsh, e.g. `hiddenlayers --show-completion bash`.")
    assert_user_error(run("--install-completion", "bash", "zsh"), "--install-completion takes one shell at most")
    monkeypatch.setattr(completion, "_detected", lambda: "sh")
    assert_user_error(run("--show-completion"), "--show-completion: this shell (sh) is not one it supports: name one of")
    monkeypatch.setattr(completion, "_detected", lambda: "bash")
    assert "_HIDDENLAYERS_COMPLETE=complete_bash" in run("--show-completion").stdout


@pytest.mark.parametrize("words, cword, expected", [("hiddenlayers ev", "1", "evaluate"), ("hiddenlayers predict --pr", "2", "--proba")])
def test_the_completion_script_completes_commands_and_options(words, cword, expected):
    """What the script asks for (_HIDDENLAYERS_COMPLETE=complete_bash): the matching commands and options, through the
    app's own main (its one-line errors and exit codes), one per line."""
    from cli_helpers import runner
    from hiddenlayers.cli import app

    result = runner.invoke(app, [], env={"_HIDDENLAYERS_COMPLETE": "complete_bash", "COMP_WORDS": words, "COMP_CWORD": cword})
    assert result.exit_code == 0, result.output
    assert result.stdout.split() == [expected]


def test_an_option_given_twice_keeps_the_last_as_documented(table, tmp_path):
    """Click keeps the last of a repeated option; kept on purpose (git, docker: a wrapper or alias overrides its defaults),
    and the README says so: `--epochs 5 --epochs 10` trains 10 epochs."""
    import json

    result = run("train", table, "-t", "label", "--hidden", "4", "--epochs", "1", "--epochs", "2", "--no-early-stopping",
                 "--tol", "0", "-q", "--json", "-o", tmp_path / "m.safetensors")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["epochs"] == 2


@pytest.mark.parametrize("command", [["info"], ["evaluate", "TABLE"]])
def test_a_reader_that_leaves_early_ends_a_rich_printing_command_with_exit_0(command, table, table_model):
    """`hiddenlayers info m.safetensors | head -1`: Rich's console met the closed pipe and raised SystemExit(1) (its own
    on_broken_pipe), where `predict FILE | head` exits 0; a `set -o pipefail` script failed. The reader closes its end
    before the command writes."""
    import subprocess
    import sys

    args = [str(table) if a == "TABLE" else a for a in command]
    proc = subprocess.Popen([sys.executable, "-m", "hiddenlayers", args[0], str(table_model), *args[1:]],
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.close()  # type: ignore[union-attr]
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 0 and err == b"", err
