"""A search whose trials diverge: the failure text the command prints names its options (``--lr``), as ``train``'s does,
not the Python parameters (``learning_rate_init``), and drops the ``clip_grad_norm`` remedy search has no option for."""

from __future__ import annotations

from pathlib import Path

from cli_helpers import run


def test_trials_that_all_diverge_name_lr_in_the_error(tmp_path: Path) -> None:
    result = run("search", "diabetes", "--solvers", "sgd", "--lr", "1e8,1e9", "--trials", "2", "--epochs", "2", "--cv", "1", "--layers", "1",
                 "--widths", "4", "--no-check", "--json", "--out-dir", tmp_path / "s")
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]  # after Optuna's line for each failed trial
    assert result.exit_code == 2 and len(errors) == 1 and "no trial finished: 2 of 2 failed" in errors[0], result.stderr
    assert "--lr (now " in errors[0] and "), or scale the inputs.)" in errors[0], errors[0]
    logged = [line for line in result.stderr.splitlines() if "failed with parameters" in line]  # where Optuna's handler writes here
    assert all("--lr (now " in line for line in logged), result.stderr
    assert "learning_rate_init (now" not in result.stderr and "clip_grad_norm" not in result.stderr and "Traceback" not in result.output


def test_the_failures_note_names_lr_and_leaves_other_words() -> None:
    from hiddenlayers.cli._rightsize import trial_words

    note = ("2 trial(s) failed: trial 0: ValueError: training diverged in its first epoch: the loss grew 1e3 times, and no epoch is "
            "usable. Lower learning_rate_init (now 0.5), scale the inputs, or set clip_grad_norm.; trial 3: worker process 7 died "
            "(search --json: each trial's failed_because)")
    said = trial_words(note)
    assert "Lower --lr (now 0.5), or scale the inputs.;" in said and "learning_rate_init" not in said and "clip_grad_norm" not in said
    assert said.endswith("trial 3: worker process 7 died (search --json: each trial's failed_because)")
    assert trial_words("trial 1: ValueError: the loss became nan") == "trial 1: ValueError: the loss became nan"


def test_optunas_line_for_a_failed_trial_names_lr_and_keeps_the_sampled_parameters() -> None:
    """Optuna logs each failed trial with its exception on stderr; inside the search its reason is worded as the command's."""
    import logging

    from hiddenlayers.cli._rightsize import _trial_log_in_option_words

    logger, seen = logging.getLogger("optuna.study._optimize"), []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            seen.append(record.getMessage())

    keep = Keep()
    logger.addHandler(keep)
    try:
        with _trial_log_in_option_words():
            logger.warning("Trial 0 failed with parameters: {'learning_rate_init': 5.0} because of the following error: "
                           "ValueError('Lower learning_rate_init (now 5.0), scale the inputs, or set clip_grad_norm.').")
        logger.warning("after: set clip_grad_norm")  # the filter is gone once the search returns
    finally:
        logger.removeHandler(keep)
    assert seen == ["Trial 0 failed with parameters: {'learning_rate_init': 5.0} because of the following error: "
                    "ValueError('Lower --lr (now 5.0), or scale the inputs.').", "after: set clip_grad_norm"]
