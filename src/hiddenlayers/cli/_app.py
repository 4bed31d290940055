"""The ``hiddenlayers`` command: train, lr-find, predict, evaluate, inspect, info, datasets, explain, demo, cost, search, prune, export, serve, check, distill.

Start-up is kept fast: this module imports only Typer and the standard
library; each command imports PyTorch, scikit-learn or pandas when it runs.
Every user mistake ends as one ``error: ...`` line and exit status 2 (with
``--debug``, the traceback too); internal errors exit with status 1. A Python
warning raised while a command runs (the preprocessing's, a library's) is one
``note: ...`` line, as the commands' own notes, not Python's
``file:line: UserWarning: ...`` text; Python users still get the warning itself.
"""

from __future__ import annotations

import os
import sys
import traceback
import warnings
from collections.abc import Collection
from typing import Annotated, Any

import typer
from typer._click.core import ParameterSource
from typer.core import TyperGroup

from ._binary import check_threshold
from ._common import EXIT_INTERRUPTED, Interrupted, UserError, is_user_error, note, one_line
from ._options import (
    at_least,
    check_averaging_options,
    check_ema_decay,
    check_features,
    check_image_shape,
    check_schedule,
    check_seed,
    check_swa_anneal_epochs,
    check_swa_anneal_strategy,
    check_swa_lr,
    check_weight_averaging,
    old_spelling,
    parse_image_shape,
    parse_swa_start,
    positive_seconds,
    renamed,
    seed_option,
)

EXIT_USER = 2
EXIT_INTERNAL = 1


class _Group(TyperGroup):
    """Runs Typer without its own exit handling so every failure gets our one-line form; a path's leading ``~`` is the
    home folder in every command (:mod:`._home`: a quoted ``"~/big"`` reached the commands unexpanded)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from ._home import expand_home_paths

        expand_home_paths(self.commands.values())

    def invoke(self, ctx: Any) -> Any:
        """The command; a reader of its stdout that left early (`hiddenlayers info m.safetensors | head -1`) ends it quietly, exit 0.

        Why: Click's own handling of that broken pipe exits 1, so `set -o pipefail` failed a pipeline whose reader had
        all it wanted, where `predict FILE | head` exited 0. Standard output then goes to /dev/null, so the
        interpreter's last flush does not fail on the closed pipe (Python's documented way)."""
        try:
            return super().invoke(ctx)
        except BrokenPipeError:
            devnull = os.open(os.devnull, os.O_WRONLY)
            try:
                os.dup2(devnull, sys.stdout.fileno())
            except (OSError, ValueError):  # no real stdout (a test runner's): nothing left to flush there
                pass
            finally:
                os.close(devnull)
            return 0

    def get_params(self, ctx: Any) -> Any:
        """The group's options, Typer's completion flags (added after ``__init__``) saying they take a shell's name (:mod:`._completion`)."""
        params = super().get_params(ctx)
        for param in params:
            if param.name in ("install_completion", "show_completion"):
                what = "Install" if param.name == "install_completion" else "Show"
                param.help = f"{what} completion for the current shell, or for the one named after it (bash, zsh, fish, powershell, pwsh)."  # type: ignore[attr-defined]
        return params

    def main(  # type: ignore[override]  # we always exit, with our own error handling
        self, args: Any = None, prog_name: str | None = None, complete_var: str | None = None, standalone_mode: bool = True, **extra: Any
    ) -> Any:
        from typer import Abort, Exit
        from typer._click.exceptions import NoArgsIsHelpError, UsageError

        argv = list(sys.argv[1:] if args is None else args)
        debug = "--debug" in argv or bool(os.environ.get("HIDDENLAYERS_DEBUG"))
        argv = [a for a in argv if a != "--debug"]
        code: int = 0
        try:
            from ._completion import completion_command

            if completion_command(argv):  # --show-completion/--install-completion [SHELL]: the shell named
                sys.exit(0)
            with warnings.catch_warnings():  # the command's warnings as notes; Python's own display is back after it
                _SAID.clear()
                warnings.showwarning = _warning_note
                # the commands match a table's columns to a model's by name (cli/_data.py's model_inputs) and hand it a matrix, so
                # scikit-learn's warning that the matrix has no column names (a model fitted on a DataFrame) is noise on stderr
                warnings.filterwarnings("ignore", message="X does not have valid feature names", category=UserWarning)
                rv = super().main(args=argv, prog_name=prog_name or "hiddenlayers", complete_var=complete_var, standalone_mode=False, **extra)
            code = rv if isinstance(rv, int) else 0
            if code == EXIT_INTERRUPTED:  # Typer turns a KeyboardInterrupt into Exit(130) itself, and says nothing
                sys.stderr.write("interrupted\n")
        except NoArgsIsHelpError as exc:
            sys.stdout.write(exc.ctx.get_help() + "\n") if exc.ctx else None
            code = 0
        except UsageError as exc:
            cmd = exc.ctx.command_path if exc.ctx else self._command_of(argv)
            code = _fail(f"{exc.format_message().strip()}{_set_hint(exc, argv)} (see `{cmd} --help`)", EXIT_USER, exc if debug else None)
        except Exit as exc:
            code = int(exc.exit_code or 0)
        except (Abort, KeyboardInterrupt):
            sys.stderr.write("interrupted\n")
            code = EXIT_INTERRUPTED
        except Interrupted as exc:  # Ctrl-C, after the command saved what it had: its line says what and where
            sys.stderr.write(f"{exc}\n")
            code = EXIT_INTERRUPTED
        except Exception as exc:
            lost = _lost_peer(exc)
            if is_user_error(exc):
                code = _fail(one_line(exc), EXIT_USER, exc if debug else None)
            elif lost is not None:  # a worker whose peer died mid-run: the cause is on the peer's machine, not a bug here
                code = _fail(lost, EXIT_INTERNAL, exc if debug else None)
            else:
                code = _fail(
                    f"internal error {type(exc).__name__}: {one_line(exc)} (rerun with --debug for the traceback, and please report it)",
                    EXIT_INTERNAL, exc if debug else None,
                )
        sys.exit(code)


    def _command_of(self, argv: list[str]) -> str:
        """``hiddenlayers COMMAND``, the command ``argv`` runs, for a usage error Click raised without its context.

        Why: an option missing its value (``train --epochs``, ``predict m.safetensors d.csv -o``) is refused by Click's parser
        before the command's context exists, and the line sent the user to ``hiddenlayers --help``, which lists no option.
        """
        name = next((a for a in argv if not a.startswith("-")), None)
        return f"hiddenlayers {name}" if name in self.commands else "hiddenlayers"


def _set_hint(exc: Exception, argv: list[str]) -> str:
    """For ``train --momentum 0.8``: the estimator parameter that option names, and the ``--set`` that sets it ("" otherwise).

    Why: ``train`` has options for the common parameters and ``--set KEY=VALUE`` for the rest (momentum, beta_1,
    nesterovs_momentum, ...); a scikit-learn user types ``--momentum`` and read only "No such option: --momentum".
    """
    from typer._click.exceptions import NoSuchOption

    ctx = getattr(exc, "ctx", None)
    if not isinstance(exc, NoSuchOption) or ctx is None or ctx.command.name != "train":
        return ""
    from ._train import DEDICATED

    key = exc.option_name.lstrip("-").replace("-", "_")
    if key in DEDICATED:
        return f": {DEDICATED[key]} sets {key}"
    if key not in _trained_params(argv):
        return ""
    at = next((i for i, a in enumerate(argv) if a == exc.option_name or a.startswith(exc.option_name + "=")), None)
    given = argv[at].partition("=")[2] if at is not None and "=" in argv[at] else None
    if at is not None and given is None and at + 1 < len(argv) and not argv[at + 1].startswith("--"):
        given = argv[at + 1]
    return f": {key} is an estimator parameter without an option of its own; pass --set {key}={given if given is not None else 'VALUE'}"


def _trained_params(argv: list[str]) -> set[str]:
    """The parameters ``train``'s ``--set`` takes on the command line ``argv``: the ``--app`` it names (a TextClassifier has
    no ``momentum``), else the table MLPs'; none for an ``--app`` that is no app (its own error comes once the option is fixed)."""
    from ._apptrain import APPS

    at = next((i for i, a in enumerate(argv) if a == "--app" or a.startswith("--app=")), None)
    app = None if at is None else argv[at].partition("=")[2] if "=" in argv[at] else argv[at + 1] if at + 1 < len(argv) else ""
    if app is None:
        from ..estimators import MLPClassifier, MLPRegressor

        return set(MLPClassifier().get_params()) | set(MLPRegressor().get_params())
    if app not in APPS:
        return set()
    from .. import apps

    return set(getattr(apps, APPS[app])().get_params())


#: the notes a command's warnings gave so far (cleared as each command starts)
_SAID: set[str] = set()


def _warning_note(message: Warning | str, category: type[Warning], filename: str, lineno: int, file: Any = None, line: str | None = None) -> None:
    """``warnings.showwarning`` inside a command: the warning's text as one ``note:`` line on stderr, once: a warning the
    command's steps repeat (an Autoencoder's scores and its flags read the same rows) says nothing new the second time."""
    text = one_line(message) if isinstance(message, Warning) else " ".join(str(message).split())
    if text not in _SAID:
        _SAID.add(text)
        note(text)


def _lost_peer(exc: BaseException) -> str | None:
    """:func:`hiddenlayers.training.lost_peer_line` for a worker of a process group (imports PyTorch only then)."""
    if int(os.environ.get("WORLD_SIZE", "1") or 1) <= 1:
        return None
    from ..training import lost_peer_line

    return lost_peer_line(exc)


def _fail(message: str, code: int, exc: BaseException | None) -> int:
    if exc is not None:
        traceback.print_exception(type(exc), exc, exc.__traceback__, file=sys.stderr)
    sys.stderr.write(f"error: {message}\n")
    return code


app = typer.Typer(
    cls=_Group,
    name="hiddenlayers",
    help="Build, train, look inside and right-size the hidden layers of neural networks.\n\n"
    "Example: hiddenlayers train digits --hidden 128,64 --out digits.safetensors",
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _show_version(value: bool) -> None:
    """``--version``: this package's version and those of what it runs on (read from the installed metadata: torch is not imported)."""
    if not value:
        return
    import platform
    from importlib.metadata import PackageNotFoundError, version

    def installed(name: str) -> str:
        try:
            return version(name)
        except PackageNotFoundError:
            return "not installed"

    from .. import __version__

    print(f"hiddenlayers {__version__} (torch {installed('torch')}, scikit-learn {installed('scikit-learn')}, Python {platform.python_version()})")
    raise typer.Exit()


@app.callback()
def _root(
    debug: Annotated[bool, typer.Option("--debug", help="Show the full traceback of an error (works anywhere on the line).")] = False,
    version: Annotated[bool, typer.Option("--version", help="Print the version (and torch's, scikit-learn's, Python's) and exit.",
                                          callback=_show_version, is_eager=True)] = False,
) -> None:
    """Build, train, look inside and right-size the hidden layers of neural networks."""


Force = Annotated[bool, typer.Option("--force", "-f", help="Overwrite an existing output file.")]
Json = Annotated[bool, typer.Option("--json", help="Print the result as JSON (for scripts).")]
#: the classifier's class_weight and label_smoothing, as train, lr-find and search take them (parsed by _train.classifier_options)
ClassWeight = Annotated[str | None, typer.Option("--class-weight", help="Classification: 'balanced' (each class weighted n_rows / (n_classes x its rows), for imbalanced data) or LABEL=WEIGHT for every class, e.g. 'fraud=20,ok=1'.", show_default=False)]
LabelSmoothing = Annotated[float | None, typer.Option("--label-smoothing", help="Classification: share of each target spread over the classes, in [0, 1), e.g. 0.1 (PyTorch's label_smoothing; default 0).", show_default=False)]
#: the regressor's target scaling, as train, lr-find and search take it (decided by _train.target_scaling_option)
ScaleTarget = Annotated[bool | None, typer.Option("--scale-target/--no-scale-target", help="Regression: standardize the target for training and "
                                                  "predict in its units (default: on for --loss squared_error, in memory or streamed; the model file keeps the scaling).", show_default=False)]
#: train's own validation file (cli/_validation.py): the rows early stopping scores
Validation = Annotated[str | None, typer.Option("--validation", help="Your own validation file (DATA's columns, e.g. a later time span; a folder "
                                                 "or glob where DATA is streamed, none of DATA's files): early stopping scores its rows instead of "
                                                 "holding out --validation-fraction; every training row trains.",
                                                 show_default=False)]
#: per-row weights from a column of the data file (cli/_weights.py), as train, lr-find, search, distill and evaluate take it
SampleWeight = Annotated[str | None, typer.Option("--sample-weight", help="Column of the data file holding each row's weight (survey weights, exposure, importance): "
                                                  "numbers >= 0, none missing, not all 0; never a feature, and not needed to predict.", show_default=False)]
#: the training loss, as train and lr-find take it (a sweep runs on the loss the training will use; lr-find has no --app)
_TABLE_LOSSES = "Training loss: log_loss or gce (classification; gce is robust to wrong labels), squared_error or poisson (regression)"
Loss = Annotated[str | None, typer.Option("--loss", help=f"{_TABLE_LOSSES}; --app recommender: squared_error (fits the ratings) or bpr (ranks items from implicit feedback, scored by top-10 lists).", show_default=False)]
TableLoss = Annotated[str | None, typer.Option("--loss", help=f"{_TABLE_LOSSES}, as train's --loss. [default: log_loss or squared_error]", show_default=False)]
#: weight averaging of the in-memory fit (the estimators' weight_averaging, ema_decay, swa_start, swa_lr, swa_anneal_epochs)
LearningRate = Annotated[str, typer.Option("--learning-rate", help="Learning-rate schedule: constant, invscaling, adaptive, cosine or plateau (the step size is --lr).",
                                           callback=check_schedule)]
WeightAveraging = Annotated[str | None, typer.Option("--weight-averaging", help="Average the weights while training: ema (after every step) or swa (each epoch from --swa-start on); the model keeps the averaged weights, early stopping scores them.", show_default=False, callback=check_weight_averaging)]
EmaDecay = Annotated[float | None, typer.Option("--ema-decay", help="With --weight-averaging ema: weight of the old average at each step, in (0, 1) (default 0.99).", show_default=False, callback=check_ema_decay)]
SwaStart = Annotated[str | None, typer.Option("--swa-start", help="With --weight-averaging swa: first averaged epoch, a share of --epochs in (0, 1] or an epoch number (default 0.75).", show_default=False, callback=parse_swa_start)]
SwaLr = Annotated[float | None, typer.Option("--swa-lr", help="With --weight-averaging swa: SWA's own learning rate, > 0; from --swa-start the rate anneals to it (--swa-anneal-strategy, as PyTorch's SWALR) "
                                             "over --swa-anneal-epochs, then stays (the --learning-rate schedule stops there). Default: the schedule runs on.", show_default=False, callback=check_swa_lr)]
SwaAnnealEpochs = Annotated[int | None, typer.Option("--swa-anneal-epochs", help="With --swa-lr: epochs over which the rate anneals to it, >= 0 (default 10, as SWALR's; 0: at once).",
                                                     show_default=False, callback=check_swa_anneal_epochs)]
SwaAnnealStrategy = Annotated[str | None, typer.Option("--swa-anneal-strategy", help="With --swa-lr: how the rate anneals to it, cos (a half cosine, "
                                                       "the default, as SWALR's) or linear (equal steps).", show_default=False,
                                                       callback=check_swa_anneal_strategy)]
Threshold = Annotated[float | None, typer.Option("--threshold", help="A two-class table model (or its .onnx export): predict the positive "
                                                "class (--pos-label; default the second label) where its probability is at least this, in (0, 1); "
                                                "default: the more probable class.", show_default=False, callback=check_threshold)]
#: the application files' options of predict and evaluate (checked by _appfiles.check_app_options)
TextColumn = Annotated[str | None, typer.Option("--text-column", help="TextClassifier file: the column of texts (default: the one a file of "
                                                "`train --app text` keeps, where the data has it, else the only text column).", show_default=False)]
ImageDtype = Annotated[str | None, typer.Option("--image-dtype", help="ImageClassifier file: float32 (pixels as given) or uint8 (whole numbers 0-255, "
                                                "scaled by 1/255), as the server's dtype (default float32; a uint8 .npy: uint8).", show_default=False)]
ImageLayout = Annotated[str | None, typer.Option("--image-layout", help="ImageClassifier file: the order of each image's pixel columns (or .npy axes): hwc "
                                                  "(numpy's H, W, C; the default) or chw (PyTorch's C, H, W).", show_default=False)]
Steps = Annotated[int | None, typer.Option("--steps", help="Forecaster file: values to forecast after the series (default: its horizon); evaluate: "
                                           "the last values held out and forecast from the rest (default: as train --app forecaster holds out, "
                                           "0.2 of the series, at least its horizon; with --folds above 1: its horizon).", show_default=False)]
Folds = Annotated[int | None, typer.Option("--folds", help="Forecaster file, evaluate: forecast origins scored (rolling origin, each --stride before the next; "
                                           "the metrics are their mean). [default: 1, the one hold-out of the last --steps values]", show_default=False)]
Stride = Annotated[int | None, typer.Option("--stride", help="Forecaster file, evaluate: values between one fold's forecast origin and the next "
                                             "(below --steps: overlapping folds). [default: --steps]", show_default=False)]
Season = Annotated[int | None, typer.Option("--season", help="Forecaster file, evaluate: the seasonal period (12 for monthly values with a "
                                             "yearly cycle, 7 for daily ones with a weekly cycle): MASE is scaled by the seasonal naive forecast's "
                                             "in-sample error (sktime's sp), and a snaive mae column scores that forecast, each value the one a "
                                             "season earlier. [default: 1, no season]", show_default=False)]
EvalTestSize = Annotated[float | None, typer.Option("--test-size", help="Forecaster file, evaluate: the share of the series' last values held out and "
                                                    "forecast from the rest, in (0, 1), at least its horizon, as train --app forecaster's --test-size "
                                                    "(instead of --steps, a count). [default: 0.2]", show_default=False)]
ValueColumn = Annotated[str | None, typer.Option("--value-column", help="Forecaster file: the series' column, oldest first (default: the one the "
                                                 "model was trained on, where the data has it, else the only numeric column).",
                                                 show_default=False)]
GceQ = Annotated[float | None, typer.Option("--gce-q", help="q of --loss gce, in (0, 1] (default 0.7).", show_default=False)]
#: train --app's own options (cli/_apptrain.py): the names predict and evaluate read the same app's file with
AppTextColumn = Annotated[str | None, typer.Option("--text-column", help="--app text: the column of texts (default: the only text column "
                                                   "besides --target).", show_default=False)]
AppValueColumn = Annotated[str | None, typer.Option("--value-column", help="--app forecaster: the series' column, oldest first (default: the only "
                                                    "numeric column), read in the file's order: the first column of dates (or ISO 8601 "
                                                    "date text), if any, checks it (a date going back, or one repeated as in a table of several series, is refused; skipped dates are noted).",
                                                    show_default=False)]
Window = Annotated[int | None, typer.Option("--window", help="--app forecaster: past values each forecast reads (default 24).", show_default=False)]
Horizon = Annotated[int | None, typer.Option("--horizon", help="--app forecaster: future values each forecast gives (default 1).", show_default=False)]
AppImageShape = Annotated[str | None, typer.Option("--image-shape", callback=check_image_shape, help="--app image: each image's shape, HxW or CxHxW "
                                                   "(default: one channel, square, when the pixel columns are a square count, e.g. 64 -> 8x8).", show_default=False)]
AppImageDtype = Annotated[str | None, typer.Option("--image-dtype", help="--app image: float32 (pixels as given) or uint8 (whole numbers 0-255, "
                                                   "scaled by 1/255), as predict reads them (default float32).", show_default=False)]
AppImageLayout = Annotated[str | None, typer.Option("--image-layout", help="--app image: the order of each image's pixel columns: hwc (numpy's "
                                                    "H, W, C; the default) or chw (PyTorch's C, H, W), as predict reads them.", show_default=False)]
AppIdColumn = Annotated[str | None, typer.Option("--id-column", help="--app sequence / speech: the column naming each row's sequence "
                                                 "(utterance) in a long table (one row per time step).", show_default=False)]
AppOrderColumn = Annotated[str | None, typer.Option("--order-column", help="--app sequence / speech: the column ordering each sequence's steps "
                                                    "(default: the file's order). A forecaster has none: its series is read in the "
                                                    "file's order, checked by its date column (see --value-column).", show_default=False)]
AppSourceColumn = Annotated[str | None, typer.Option("--source-column", help="--app translator: the column of sentences to translate "
                                                     "(default: the only text column besides --target).", show_default=False)]
BeamSize = Annotated[int | None, typer.Option("--beam-size", help="Translator or SpeechRecognizer file: beam search of this width "
                                            "(default 1: greedy).", show_default=False)]
AppSteps = Annotated[int | None, typer.Option("--steps", help="--app forecaster: the series' last values held out and forecast from the rest "
                                              "for the held-out MAE, as evaluate --steps's backtest (default: --test-size of the series, 0.2, "
                                              "at least --horizon values; --test-size 0: none).", show_default=False)]
#: train --app agent's options (cli/_appagent.py): the environment it plays and its play budget; evaluate plays an agent's file with --env too
AppEnv = Annotated[str | None, typer.Option("--env", help="--app agent: the gymnasium environment to play, e.g. CartPole-v1 (discrete actions).", show_default=False)]
TotalSteps = Annotated[int | None, typer.Option("--total-steps", help="--app agent: environment steps to learn from (default 100000; fewer once "
                                                "--target-return or --max-time is reached).", show_default=False)]
EvalEvery = Annotated[int | None, typer.Option("--eval-every", help="--app agent: steps between greedy evaluations, whose best weights are kept "
                                               "(default 5000).", show_default=False)]
EvalEpisodes = Annotated[int | None, typer.Option("--eval-episodes", help="--app agent: greedy episodes per evaluation (default 10).", show_default=False)]
MaxEpisodeSteps = Annotated[int | None, typer.Option("--max-episode-steps", help="--app agent: steps after which an episode (training's or "
                                                     "an evaluation's) that has not ended is cut, as gymnasium's TimeLimit (default: the "
                                                     "environment's own limit, else 10000).", show_default=False)]
TargetReturn = Annotated[float | None, typer.Option("--target-return", help="--app agent: stop once an evaluation's mean return reaches this "
                                                    "(e.g. 500 for CartPole-v1).", show_default=False)]


def _given(**options: Any) -> dict[str, Any]:
    """The options the user set: an unset one (None) is left out, so the estimator's own default holds."""
    return {k: v for k, v in options.items() if v is not None}


def _check_in_memory(timelapse: str | None, weight_averaging: str | None, *, workers: int, streamed: bool) -> None:
    """``--timelapse`` (its frames come from the in-memory fit's callback) and ``--weight-averaging`` (the in-memory fit averages)
    need one process and a table in memory. (``--sample-weight`` works everywhere: a folder of files, in one process or
    several, streams its weight column, ``ParquetSource(weight=)``.)"""
    if workers <= 1 and not streamed:
        return
    if timelapse is not None:
        raise UserError("--timelapse needs one process and a table that fits in memory (not --workers or a folder of files): drop one of them.")
    if weight_averaging is not None:
        raise UserError("--weight-averaging needs one process and a table that fits in memory (not --workers or a folder of files): "
                        "drop one of them.")


def _check_workers(workers: int, max_restarts: int, batch_size: str, given: Collection[str], out: str, nnodes: int = 1) -> None:
    """Before any worker starts: ``--max-restarts`` restarts ``--workers`` processes (one process was run once, the option ignored),
    and a given ``--batch-size``, the global batch, shares out equally over the ``workers * nnodes`` ranks of every machine
    (refused after every rank's start-up and data check)."""
    under_torchrun = "TORCHELASTIC_RUN_ID" in os.environ  # a worker of --workers (its argv keeps the option) or of torchrun by hand
    if "max_restarts" in given and max_restarts > 0 and workers <= 1 and not under_torchrun:
        raise UserError(f"--max-restarts {max_restarts} restarts the processes of --workers N (2 or more), and this run has one: "
                        f"add --workers 2, or drop --max-restarts (a killed run resumes from {out}.ckpt when the same command runs again).")
    size, world = batch_size.strip(), workers * nnodes
    if world > 1 and size.isdigit() and int(size) % world:
        lower, upper = int(size) - int(size) % world, int(size) - int(size) % world + world
        fits = f"{lower} or {upper}" if lower else f"{upper}"
        over = f"the {world} processes of --workers" if nnodes == 1 else f"the {world} processes of --workers {workers} on --nnodes {nnodes} machines"
        raise UserError(f"--batch-size {int(size)} is the global batch, shared out equally over {over}, so it "
                        f"must be a multiple of {world}: use --batch-size {fits}.")


def _check_gce_q(loss: str | None, gce_q: float | None) -> None:
    """Refuse ``--gce-q`` without ``--loss gce``: the q would be ignored, so an explicit one is a mistake (the estimator ignores it silently)."""
    if gce_q is not None and (loss or "").strip().lower() != "gce":
        given = f"--loss {loss}" if loss is not None else "the default --loss log_loss"
        raise UserError(f"--gce-q needs --loss gce ({given} has no q): add --loss gce, or drop --gce-q.")


def _check_settings(loss: str | None, gce_q: float | None, weight_averaging: str | None, ema_decay: float | None, swa_start: object,
                    swa_lr: float | None = None, swa_anneal_epochs: int | None = None, swa_anneal_strategy: str | None = None) -> None:
    """Refuse a setting the fit would ignore: ``--gce-q`` without ``--loss gce`` (:func:`_check_gce_q`), ``--ema-decay`` without
    ``--weight-averaging ema``, ``--swa-start``/``--swa-lr`` without ``swa`` and ``--swa-anneal-epochs``/``--swa-anneal-strategy`` without ``--swa-lr``
    (the estimators refuse them too, as a setting the fit would ignore; checked here before any data is read).
    ``swa_start``: ``--swa-start`` as its callback parsed it, or None."""
    _check_gce_q(loss, gce_q)
    check_averaging_options(weight_averaging, ema_decay, swa_start, swa_lr, swa_anneal_epochs, swa_anneal_strategy)


def _check_early_stopping(solver: str, early_stopping: bool | None) -> None:
    """Refuse ``--early-stopping`` with ``--solver lbfgs``: L-BFGS trains on every row, so the estimator ignores it (as scikit-learn's)."""
    if early_stopping and solver == "lbfgs":
        raise UserError("--early-stopping needs a stochastic --solver (sgd, adam, adamw or rmsprop): L-BFGS trains on every row and holds "
                        "none out, so it would be ignored; drop --early-stopping, or pick another --solver.")


def _check_validation(o: dict[str, Any], given: Collection[str]) -> None:
    """``--validation FILE`` (or a folder or glob, where DATA is streamed) with what early stopping on its rows needs: early
    stopping on, a stochastic solver, no ``--validation-fraction`` (no rows of DATA are held out for it); each refusal one line
    naming the fix."""
    if o["validation"] is None:
        return
    for bad, why in (
        (o["early_stopping"] is False, "its rows are scored by early stopping, which --no-early-stopping turns off: drop one of them"),
        (o["solver"] == "lbfgs", "its rows are scored by early stopping, and --solver lbfgs runs none: pick adam or sgd, or drop --validation"),
        ("validation_fraction" in given, "its rows replace the --validation-fraction share of DATA, which would be ignored: drop --validation-fraction"),
    ):
        if bad:
            raise UserError(f"--validation {o['validation']}: {why}.")


# train's other examples, one paragraph each (click rewraps a paragraph's lines into one), after its options
_TRAIN_EXAMPLES = "\n\n".join((
    "More examples:",
    "A directory (or glob) of Parquet or CSV files is streamed: hiddenlayers train big/ --target y --workers 2",
    "An application: hiddenlayers train reviews.csv --app text --text-column review --target label --out reviews.safetensors",
    "Sequences from a long table (one row per step): hiddenlayers train steps.csv --app sequence --id-column id --order-column t --target label",
    "A translator from sentence pairs: hiddenlayers train pairs.tsv --app translator --source-column en --target es --out tr.safetensors",
    "Speech to text from MFCC frames (one row per frame): hiddenlayers train frames.csv --app speech --id-column utt --order-column t --target text",
    "A game agent (no data file): hiddenlayers train --app agent --env CartPole-v1 --hidden 128,128 --total-steps 100000 "
    "--target-return 500 --out agent.safetensors",
))


TrainPosLabel = Annotated[str | None, typer.Option("--pos-label", help="A two-class target (a table, or --app text, image, sequence): the class "
                                                   "whose held-out average precision, sensitivity and specificity are reported, as evaluate's "
                                                   "--pos-label; default the second of the two sorted labels (1 of 0/1).", show_default=False)]


@app.command(epilog=_TRAIN_EXAMPLES)
def train(
    ctx: typer.Context,
    data: Annotated[str | None, typer.Argument(help="Data file (CSV, TSV, Parquet, JSON lines, .npy, .npz) or a bundled dataset name "
                                               "(none with --app agent, which plays --env).", show_default=False)] = None,
    app_: Annotated[str | None, typer.Option("--app", help="Train an application instead of a table MLP: text (a text column -> --target labels), "
                                             "autoencoder (numeric columns; anomaly threshold), recommender (user and item columns -> "
                                             "--target rating), forecaster (a --value-column series), image (pixel columns -> --target labels, or a folder with one sub-folder of images per class), "
                                             "sequence (a long table), translator (sentence pairs), speech (MFCC frames -> --target transcripts), agent (a DQNAgent playing --env).", show_default=False)] = None,
    target: Annotated[str | None, typer.Option("--target", "-t", help="Column to predict (name, or position like -1). Bundled datasets: 'target'.")] = None,
    features: Annotated[str | None, typer.Option(help="Comma-separated feature columns (default: all others).", callback=check_features)] = None,
    out: Annotated[str, typer.Option("--out", "-o", help="Model file to write.")] = "model.safetensors",
    hidden: Annotated[str | None, typer.Option("--hidden", help="Hidden layers, e.g. '128,64' or '256:gelu:dropout=0.1,64'; '' for none, a linear model (default 100, or the --init-from model's).", show_default=False)] = None,
    init_from: Annotated[str | None, typer.Option("--init-from", help="Model file whose hidden layers start this one (its stored preprocessing is reused).")] = None,
    freeze: Annotated[str | None, typer.Option("--freeze", help="With --init-from: first K hidden layers fixed, layer names (hidden1,hidden2), or head_first.")] = None,
    activation: Annotated[str, typer.Option(help="Default activation of hidden layers (relu, tanh, logistic, gelu, ...).")] = "relu",
    task: Annotated[str, typer.Option(help="auto, classification or regression.")] = "auto",
    solver: Annotated[str, typer.Option(help="adam, adamw, sgd, rmsprop or lbfgs (full batch: no epochs of mini-batches, no early stopping).")] = "adam",
    alpha: Annotated[float, typer.Option(help="L2 penalty.")] = 0.0001,
    batch_size: Annotated[str, typer.Option(help="Minibatch size or 'auto' (200 rows, or every row when fewer). With --workers: the global batch, a multiple of --workers ('auto' rounds up to one).")] = "auto",
    learning_rate: LearningRate = "constant",
    learning_rate_init: Annotated[float, typer.Option("--lr", "--learning-rate-init", help="Initial learning rate.")] = 0.001,
    max_iter: Annotated[int, typer.Option("--epochs", "--max-iter", help="Maximum number of epochs.")] = 200,
    early_stopping: Annotated[bool | None, typer.Option("--early-stopping/--no-early-stopping", help="Hold out --validation-fraction and stop when its score stalls (default: on from 1000 training rows, or for a folder from 4 row groups or CSV files; the stochastic solvers only, not lbfgs).", show_default=False)] = None,
    validation_fraction: Annotated[float, typer.Option(help="Share of training rows for early stopping (a folder: of its row groups or CSV files, held out whole, at least one).")] = 0.1,
    n_iter_no_change: Annotated[int, typer.Option("--patience", "--n-iter-no-change", help="Epochs without improvement before stopping (search's --patience; scikit-learn's n_iter_no_change).")] = 10,
    tol: Annotated[float, typer.Option(help="Minimum improvement that counts: of the training loss, or with early stopping of the validation score.")] = 1e-4,
    loss_threshold: Annotated[float | None, typer.Option(help="Stop once the training loss is below this (default: no such stop).")] = None,
    max_time: Annotated[float | None, typer.Option(help="Stop after the epoch (pass) in which this many seconds of training are reached (default: no limit); with --app, the app's max_time (an agent's: seconds of play).")] = None,
    clip_grad_norm: Annotated[float | None, typer.Option(help="Clip the gradient norm to this, > 0 (default: no clipping).")] = None,
    loss: Loss = None, gce_q: GceQ = None,
    class_weight: ClassWeight = None, pos_label: TrainPosLabel = None,
    label_smoothing: LabelSmoothing = None,
    sample_weight: SampleWeight = None, scale_target: ScaleTarget = None, weight_averaging: WeightAveraging = None,
    ema_decay: EmaDecay = None, swa_start: SwaStart = None, swa_lr: SwaLr = None, swa_anneal_epochs: SwaAnnealEpochs = None,
    swa_anneal_strategy: SwaAnnealStrategy = None, validation: Validation = None,
    device: Annotated[str, typer.Option(help="auto, cpu, cuda, mps.")] = "auto",
    dtype: Annotated[str, typer.Option(help="float32 or float64.")] = "float32",
    set_: Annotated[list[str] | None, typer.Option("--set", metavar="KEY=VALUE", help="Any other estimator parameter as KEY=VALUE, repeatable (e.g. --set momentum=0.8 --set shuffle=false).")] = None,
    test_size: Annotated[float, typer.Option(help="Share of rows held out to report the final metric (0 = none); --app forecaster: "
                                             "of the series' last values (at least --horizon), forecast from the rest.")] = 0.2,
    max_categories: Annotated[int, typer.Option(help="One-hot columns per categorical feature (rest -> <other>).")] = 20,
    seed: Annotated[int, seed_option("Random seed (split, initial weights, shuffling).")] = 0,
    gradient_flow: Annotated[bool, typer.Option("--gradient-flow", help="Record per-layer gradient flow each epoch (kept in the model file; see `inspect`).")] = False,
    timelapse: Annotated[str | None, typer.Option("--timelapse", help="Also write this .html page: the hidden units' maps at every epoch, with a slider (hl.lens.Timelapse).", show_default=False)] = None,
    log: Annotated[str | None, typer.Option("--log", "--log-file", help="Also write this CSV file as training runs: one row per epoch (epoch, train_loss, val_loss, val_score, lr, time) of a table model or of --app (all but agent); `tail -f` it (hl.CSVLogger).", show_default=False)] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
    workers: Annotated[int, typer.Option(help="Processes on this machine (torch.distributed, gloo); a directory of Parquet/CSV files is streamed. With --nnodes: on each machine.", callback=at_least("--workers", 1))] = 1,
    max_restarts: Annotated[int, typer.Option(help="With --workers on one machine: restart a failed run this often, resuming from the last epoch's checkpoint.", callback=at_least("--max-restarts", 0))] = 0,
    nnodes: Annotated[int, typer.Option("--nnodes", help="Machines in the run, each starting --workers processes (the same command on each, with its own --node-rank): the launcher runs torch.distributed.run with static rendezvous at --master-addr.", callback=at_least("--nnodes", 1))] = 1,
    node_rank: Annotated[int | None, typer.Option("--node-rank", help="With --nnodes: this machine's number: 0 on the machine --master-addr names, 1 to N-1 on the others (started in any order).", show_default=False)] = None,
    master_addr: Annotated[str | None, typer.Option("--master-addr", help="With --nnodes: node 0's host name or IP address, the same on every machine (checked before launch: on node 0 it must be this machine's).", show_default=False)] = None,
    master_port: Annotated[int, typer.Option("--master-port", help="With --nnodes: the free port node 0 listens on, the same on every machine.")] = 29500,
    join_timeout: Annotated[float | None, typer.Option(help="Seconds to wait for every worker to join the process group (default 60; with --nnodes 300: also how long a machine waits for node 0 to answer, and node 0 for the others). The join only: then each collective waits PyTorch's default (30 min on CPU), and rank 0's statistics pass as long as it runs.", callback=positive_seconds("--join-timeout"), show_default=False)] = None,
    no_check: Annotated[bool, typer.Option("--no-check", help="Skip the fast data checks run before training (see `hiddenlayers check`).")] = False,
    text_column: AppTextColumn = None, value_column: AppValueColumn = None, window: Window = None, horizon: Horizon = None, steps: AppSteps = None,
    image_shape: AppImageShape = None, image_dtype: AppImageDtype = None, image_layout: AppImageLayout = None,
    id_column: AppIdColumn = None, order_column: AppOrderColumn = None, source_column: AppSourceColumn = None,
    env: AppEnv = None, total_steps: TotalSteps = None, eval_every: EvalEvery = None, eval_episodes: EvalEpisodes = None, target_return: TargetReturn = None,
    max_episode_steps: MaxEpisodeSteps = None, force: Force = False,
    json: Json = False,
) -> None:
    """Train a network on a table and save it as one model file.

    The fast data checks run first and print a short summary; only fatal findings (e.g. fewer rows than classes) stop training.
    --app trains an application on its data (no data checks); `predict`, `evaluate` and `inspect` read its file with the same options.
    With --app an option not given keeps the app's own default (e.g. a Recommender's 100 epochs): the defaults shown below are a table model's.

    Example: hiddenlayers train data.csv --target label --hidden 64,32 --out model.safetensors (killed or Ctrl-C, a file or a folder? the same command resumes: OUT.ckpt)
    """
    from ._apptrain import refuse_app_options

    options = {k: v for k, v in locals().items() if k != "ctx"}  # every option by its parameter name, for the path taken below
    if app_ is not None:
        _train_app(ctx, data, app_, options)
        return
    refuse_app_options(text_column=text_column, value_column=value_column, window=window, horizon=horizon, steps=steps, image_shape=image_shape,
                       image_dtype=image_dtype, image_layout=image_layout, id_column=id_column, order_column=order_column,
                       source_column=source_column, env=env, total_steps=total_steps, eval_every=eval_every, eval_episodes=eval_episodes,
                       target_return=target_return, max_episode_steps=max_episode_steps)
    _train_table(data, options, _typed(ctx, options))


def _typed(ctx: typer.Context, names: Collection[str]) -> set[str]:
    """The options among ``names`` the user typed (Click's parameter source), not left at their defaults."""
    return {n for n in names if ctx.get_parameter_source(n) not in (ParameterSource.DEFAULT, None)}


def _train_app(ctx: typer.Context, data: str | None, app: str, options: dict[str, Any]) -> None:
    """``train --app``: the options typed told from the defaults (Click's parameter source); an agent plays ``--env``, the other apps read DATA."""
    flags = {p.name: p.opts[0] for p in ctx.command.params if p.name in options and p.opts}
    given = _typed(ctx, flags)
    if options.get("gradient_flow"):  # an app with no training rows for the lens (an agent's): why, in one line
        from ._appgradflow import refuse_gradient_flow

        refuse_gradient_flow(app)
    if app == "agent":
        from ._apptrain_agent import run_agent_train

        run_agent_train(data, options, flags, given)
        return
    from ._apptrain import run_app_train

    run_app_train(data, app, options, flags, given)


#: the estimator parameters ``train`` of a table MLP sets from its options of the same name (``--hidden`` sets hidden_layer_sizes);
#: the optional ones only when given, so the estimator's own default holds
TABLE_PARAMS = ("activation", "solver", "alpha", "batch_size", "learning_rate", "learning_rate_init", "max_iter", "early_stopping", "validation_fraction",
                "n_iter_no_change", "tol", "loss_threshold", "max_time", "clip_grad_norm", "device", "dtype", "init_from", "freeze")
TABLE_OPTIONAL = ("loss", "gce_q", "class_weight", "label_smoothing", "weight_averaging", "ema_decay", "swa_start", "swa_lr", "swa_anneal_epochs", "swa_anneal_strategy",
                  "scale_target")


def _train_table(data: str | None, o: dict[str, Any], given: Collection[str] = ()) -> None:
    """``train`` of a table MLP (in memory, streamed, or ``--workers`` processes) from the command's options ``o`` by parameter name;
    ``given``: the options typed (not left at their defaults)."""
    from ._train import parse_set, run_train
    from ._train_nodes import nodes_from_options
    from ._train_stream import is_stream_input, launch_workers, run_train_stream

    if data is None:
        raise UserError("train needs DATA: a data file (CSV, TSV, Parquet, JSON lines, .npy, .npz) or a bundled dataset name, e.g. "
                        "`hiddenlayers train digits`; only --app agent, which plays --env, reads none.")
    _check_settings(o["loss"], o["gce_q"], o["weight_averaging"], o["ema_decay"], o["swa_start"], o["swa_lr"], o["swa_anneal_epochs"],
                    o["swa_anneal_strategy"])
    _check_early_stopping(o["solver"], o["early_stopping"])
    _check_validation(o, given)
    nodes = nodes_from_options(o, given, under_torchrun="TORCHELASTIC_RUN_ID" in os.environ)
    launched = o["workers"] > 1 or nodes.nnodes > 1  # torchrun starts the processes (--workers 1 on each of several machines too)
    _check_in_memory(o["timelapse"], o["weight_averaging"], workers=o["workers"] * nodes.nnodes, streamed=is_stream_input(data))
    _check_workers(o["workers"], o["max_restarts"], o["batch_size"], given, o["out"], nodes.nnodes)
    if "test_size" in given and (launched or is_stream_input(data)):  # the streamed fit trains on every row: it was ignored
        raise UserError("--test-size holds out rows of a table in memory; a folder of files (or --workers) trains on every row, and early "
                        "stopping holds out whole row groups (--validation-fraction): keep test files out of the folder and score them "
                        "with `hiddenlayers evaluate MODEL FILE`, and drop --test-size.")
    if launched or is_stream_input(data):
        _refuse_streamed_pos_label(o["pos_label"])
    if launched:
        code = launch_workers(o["workers"], o["max_restarts"], [a for a in sys.argv[1:] if a != "--debug"], nodes)
        if code:
            raise typer.Exit(code)
        return
    params: dict[str, Any] = {"hidden_layer_sizes": o["hidden"], **{k: o[k] for k in TABLE_PARAMS}, **_given(**{k: o[k] for k in TABLE_OPTIONAL})}
    common = dict(target=o["target"], features=o["features"], out=o["out"], task=o["task"], max_categories=o["max_categories"], seed=o["seed"],
                  force=o["force"], as_json=o["json"], check=not o["no_check"], sample_weight=o["sample_weight"], gradient_flow=o["gradient_flow"],
                  log=o["log"])
    if is_stream_input(data):
        run_train_stream(data, params={**params, **parse_set(o["set_"] or [])}, join_timeout=nodes.join_timeout, validation=o["validation"],
                         typed=given, **common)
        return
    run_train(data, params=params, extra=o["set_"] or [], test_size=o["test_size"], quiet=o["quiet"] or o["json"], timelapse=o["timelapse"],
              validation=o["validation"], pos_label=o["pos_label"], **common)


def _refuse_streamed_pos_label(pos_label: str | None) -> None:
    """``train``'s ``--pos-label`` names the positive class of the held-out metrics; a streamed fit (a folder, ``--workers``) holds none out."""
    if pos_label is not None:
        raise UserError("--pos-label picks the positive class of the held-out metrics; a folder of files (or --workers) trains on every row and "
                        "holds none out: score test files with `hiddenlayers evaluate MODEL FILE --pos-label LABEL`, and drop --pos-label.")


@app.command(name="lr-find")
def lr_find(
    data: Annotated[str, typer.Argument(help="Data file (CSV, TSV, Parquet, JSON lines, .npy, .npz) or a bundled dataset name.")],
    target: Annotated[str | None, typer.Option("--target", "-t", help="Column to predict (name, or position like -1). Bundled datasets: 'target'.")] = None,
    features: Annotated[str | None, typer.Option(help="Comma-separated feature columns (default: all others).", callback=check_features)] = None,
    hidden: Annotated[str, typer.Option("--hidden", "--sizes", help="Hidden layers, as `train --hidden` takes them, e.g. '64,32'.")] = "100",
    activation: Annotated[str, typer.Option(help="Default activation of hidden layers (relu, tanh, logistic, gelu, ...).")] = "relu",
    task: Annotated[str, typer.Option(help="auto, classification or regression.")] = "auto",
    solver: Annotated[str, typer.Option(help="sgd, adam, adamw or rmsprop (lbfgs has no learning rate).")] = "adam",
    alpha: Annotated[float, typer.Option(help="L2 penalty.")] = 0.0001,
    batch_size: Annotated[str, typer.Option(help="Minibatch size or 'auto'.")] = "auto",
    start_lr: Annotated[float, typer.Option("--start-lr", help="First learning rate tried.")] = 1e-7,
    end_lr: Annotated[float, typer.Option("--end-lr", help="Last learning rate tried (the sweep stops earlier if the loss blows up).")] = 10.0,
    num_steps: Annotated[int, typer.Option("--num-steps", help="Mini-batch steps, one learning rate each.")] = 100,
    plot: Annotated[str | None, typer.Option("--plot", help="Also write the loss-against-rate plot here (.png, .svg or .pdf).", show_default=False)] = None,
    max_categories: Annotated[int, typer.Option(help="One-hot columns per categorical feature (rest -> <other>).")] = 20,
    seed: Annotated[int, seed_option("Random seed (initial weights, batch order), as train's.")] = 0,
    test_size: Annotated[float, typer.Option(help="Share of rows train holds out to report the final metric (0 = none): left out of the sweep, as train leaves them out of the fit.")] = 0.2,
    device: Annotated[str, typer.Option(help="auto, cpu, cuda, mps.")] = "auto",
    loss: TableLoss = None,
    gce_q: GceQ = None,
    class_weight: ClassWeight = None,
    label_smoothing: LabelSmoothing = None,
    sample_weight: SampleWeight = None,
    scale_target: ScaleTarget = None,
    force: Force = False,
    json: Json = False,
) -> None:
    """Find a learning rate: sweep it upwards over mini-batch steps, print the loss curve and a --lr for `train`.

    The rate grows geometrically from --start-lr to --end-lr, one step each; the suggestion is the
    rate where the smoothed loss falls fastest (fastai's and Lightning's lr_find).
    --loss, --gce-q, --class-weight, --label-smoothing and --sample-weight set the loss swept, as `train` takes them.
    The sweep runs on the rows `train` fits on: the --test-size rows and, from 1000 training rows
    (where `train` turns early stopping on), the rows early stopping holds out are left out.

    Example: hiddenlayers lr-find data.csv --target label --hidden 64,32 --solver sgd --plot lr.png
    """
    from ._lr_find import run_lr_find

    _check_gce_q(loss, gce_q)
    params: dict[str, Any] = dict(hidden_layer_sizes=hidden, activation=activation, solver=solver, alpha=alpha, batch_size=batch_size, device=device)
    params.update(_given(loss=loss, gce_q=gce_q, class_weight=class_weight, label_smoothing=label_smoothing, scale_target=scale_target))
    run_lr_find(data, target=target, features=features, params=params, task=task, max_categories=max_categories, seed=seed,
                start_lr=start_lr, end_lr=end_lr, num_steps=num_steps, plot=plot, force=force, as_json=json, test_size=test_size,
                sample_weight=sample_weight)


@app.command()
def predict(
    model: Annotated[str, typer.Argument(help="Model file written by `hiddenlayers train` (.safetensors), or by `hiddenlayers export` (.onnx).")],
    data: Annotated[str, typer.Argument(help="Data file or bundled dataset name (the target column, if present, is ignored; a table model's "
                                        "CSV, TSV, .csv.gz, JSON lines or Parquet file is read batch by batch, the same output in a batch's memory); "
                                        "or a folder or glob of Parquet/CSV files, read batch by batch in file order (table models' .safetensors files "
                                        "and .onnx exports); or - for a table piped into standard input (CSV, TSV, JSON lines or Parquet bytes, told "
                                        "by its first bytes; a table model's read batch by batch, as that file would be).")],
    proba: Annotated[bool, typer.Option("--proba", help="Also write class probabilities (classifiers).")] = False,
    out: Annotated[str | None, typer.Option("--out", "-o", help="Write predictions here (.csv, .tsv, .jsonl, .parquet); default (or -): stdout as CSV.")] = None,
    text_column: TextColumn = None,
    image_dtype: ImageDtype = None,
    image_layout: ImageLayout = None,
    steps: Steps = None,
    value_column: ValueColumn = None,
    beam_size: BeamSize = None,
    feature_errors: Annotated[bool, typer.Option("--feature-errors", help="Autoencoder file: also write each feature's squared reconstruction error "
                                                 "(standardized units; their row mean is reconstruction_error), error_<column>: which features "
                                                 "make a row anomalous.")] = False,
    keep: Annotated[str | None, typer.Option("--keep", help="Input columns to write in front of each prediction, comma-separated "
                                             "(an ID to join the predictions back on); table models, their .onnx files, and Text, Image, Autoencoder, Recommender files.", show_default=False)] = None,
    threshold: Threshold = None,
    pos_label: Annotated[str | None, typer.Option("--pos-label", help="With --threshold: the class whose probability it cuts; default the "
                                                  "second of the two sorted labels (1 of 0/1).", show_default=False)] = None,
    force: Force = False,
) -> None:
    """Predict with a saved model; CSV on stdout by default (pipe-friendly).

    An .onnx file runs with onnxruntime (no PyTorch), its preprocessing inside; a Recommender's, Forecaster's,
    SequenceClassifier's, Autoencoder's, ImageClassifier's or SpeechRecognizer's export reads the table its .safetensors file reads, with the same options and output.
    Application files: a TextClassifier reads a text column, an ImageClassifier pixel columns (H, W, C order; C, H, W with
    --image-layout chw), an .npy array or a folder of image files (flat or nested: one row per file, its path below the folder),
    an Autoencoder its numeric columns (-> reconstruction_error, predicted_anomaly: -1 for an anomaly, 1 for a normal row, as scikit-learn's
    outlier detectors; --feature-errors: each feature's error), a Recommender its user and item
    columns (-> rating), a Forecaster a value column (--value-column; -> the next --steps values, one row per step, dated where the table has dates), a SequenceClassifier of
    `train --app sequence` a long table by its stored id, order and feature columns (-> one row per sequence), a Translator
    of `train --app translator` its stored source column (-> the translations; --beam-size K: beam search), a SpeechRecognizer
    of `train --app speech` a long table of frames by its stored columns (-> one transcript per utterance; --beam-size K).

    --threshold T (a two-class table model, or its .onnx export): predict the positive class where its probability is at least T,
    not where it is the larger (a screening test's operating point; scikit-learn's FixedThresholdClassifier).

    Example: hiddenlayers predict model.safetensors new.csv --proba > preds.csv

    As a filter: cat new.csv | hiddenlayers predict model.safetensors - > preds.csv
    """
    from ._common import stdout_if_dash
    from ._options import parse_names
    from ._stdin import stdin_data
    from ._train import run_predict

    options = _given(text_column=text_column, image_dtype=image_dtype, image_layout=image_layout, steps=steps, value_column=value_column, beam_size=beam_size,
                     feature_errors=feature_errors or None)
    with stdin_data(data, example="cat new.csv | hiddenlayers predict model.safetensors - > preds.csv") as path:
        run_predict(model, path or data, proba=proba, out=stdout_if_dash(out), force=force, app_options=options, keep=parse_names(keep, "--keep"),
                    threshold=threshold, pos_label=pos_label)


def _evaluate_onnx(model: str, data: str | None, target: str | None, sample_weight: str | None, options: dict[str, Any], as_json: bool,
                   pos_label: str | None = None, threshold: float | None = None) -> None:
    """``evaluate`` of an ``.onnx`` file: a table model's export (:mod:`._onnx`), a SpeechRecognizer's (:mod:`._appspeech`), or a
    Recommender's, Forecaster's, SequenceClassifier's, Autoencoder's or ImageClassifier's (:mod:`._apponnx`, scored as its ``.safetensors`` file).

    ``options``: the app options given (one the export's app does not take is refused in one line); ``pos_label``: ``--pos-label``;
    ``threshold``: ``--threshold`` (a table model's export only)."""
    from ._appfiles import check_app_options
    from ._apponnx import export_app
    from ._data import show_evaluation

    kind = export_app(model)  # an app export read here (None: a table model's)
    check_app_options(kind, model, **options)
    if data is None:
        raise UserError("evaluate needs DATA: the labelled data file (or bundled dataset name) to score the model on, after the model file.")
    from .._words import article
    from ._appfolder import evaluate_folder, is_image_folder
    from ._score_stream import evaluate_stream, is_folder_input, refuse_folder, streamed_file

    if kind is not None:
        if not is_image_folder(kind, data):  # an ImageClassifier's export reads a folder of images (._appfolder)
            refuse_folder(data, f"the export of {article(kind)}")
    elif is_folder_input(data) or streamed_file(data):  # a table model's export: batch by batch, as its .safetensors file
        streamed = evaluate_stream(model, data, target=target, sample_weight=sample_weight, pos_label=pos_label, threshold=threshold)
        if streamed is not None:  # None: an export that records no column names, read whole below
            show_evaluation(streamed, as_json, pos_label)
            return
    for given, option, what in ((sample_weight, "--sample-weight", "weights"), (threshold, "--threshold", "cuts")):
        if kind is not None and given is not None:
            raise UserError(f"{option} {what} a table model's metrics; '{model}' is the export of {article(kind)}: drop {option}.")
    if kind == "SpeechRecognizer":
        from ._appspeech import evaluate_speech_onnx

        show_evaluation(evaluate_speech_onnx(model, data, target, options.get("beam_size")), as_json, pos_label)
        return
    if kind is not None:  # an app export of ._apponnx.TABLE_EXPORTS, scored as its .safetensors file is
        from ._appfiles import evaluate_app
        from ._apponnx import exported_app

        scored = evaluate_folder if is_image_folder(kind, data) else evaluate_app
        show_evaluation(scored(exported_app(model), model, data, target, options, pos_label), as_json, pos_label)
        return
    from ._onnx import run_evaluate_onnx

    run_evaluate_onnx(model, data, target=target, as_json=as_json, sample_weight=sample_weight, pos_label=pos_label, threshold=threshold)


@app.command()
def evaluate(
    model: Annotated[str, typer.Argument(help="Model file written by `hiddenlayers train` (.safetensors), or by `hiddenlayers export` (.onnx).")],
    data: Annotated[str | None, typer.Argument(help="Labelled data file or bundled dataset name (none for a DQNAgent file, which plays its environment); "
                                               "or a folder or glob of Parquet/CSV files, scored batch by batch (table models' .safetensors files and .onnx exports); "
                                               "or - for a table piped into standard input (CSV, TSV, JSON lines or Parquet bytes, told by its "
                                               "first bytes; a table model's CSV, TSV or Parquet scored batch by batch, as a folder).",
                                               show_default=False)] = None,
    target: Annotated[str | None, typer.Option("--target", "-t", help="Target column (default: the one used in training).")] = None,
    sample_weight: Annotated[str | None, typer.Option("--sample-weight", help="Column of DATA weighting each row in every metric (a row of weight 2 "
                                                      "counts as two); not the training's column unless named.", show_default=False)] = None,
    pos_label: Annotated[str | None, typer.Option("--pos-label", help="A two-class target: the class whose recall is the sensitivity (the other's: "
                                                  "the specificity); default the second of the two sorted labels, scikit-learn's pos_label "
                                                  "(1 of 0/1); the class average precision ranks and --threshold cuts.", show_default=False)] = None,
    threshold: Threshold = None,
    text_column: TextColumn = None,
    image_dtype: ImageDtype = None,
    image_layout: ImageLayout = None,
    steps: Steps = None,
    folds: Folds = None,
    stride: Stride = None,
    season: Season = None,
    test_size: EvalTestSize = None,
    value_column: ValueColumn = None,
    beam_size: BeamSize = None,
    env: Annotated[str | None, typer.Option("--env", help="DQNAgent file: the gymnasium environment to play (default: the one it learned; same "
                                            "observation size and action count).", show_default=False)] = None,
    episodes: Annotated[int | None, typer.Option("--episodes", help="DQNAgent file: greedy episodes to play (default 100).", show_default=False)] = None,
    max_episode_steps: Annotated[int | None, typer.Option("--max-episode-steps", help="DQNAgent file: steps after which an episode that has "
                                                          "not ended is cut (default: the environment's own limit, else 10000).",
                                                          show_default=False)] = None,
    seed: Annotated[int | None, typer.Option("--seed", help="DQNAgent file: the first episode's seed; episode k plays seed + k (default 10000, "
                                             "as DQNAgent.evaluate).", show_default=False, callback=lambda v: v if v is None else check_seed(v))] = None,
    json: Json = False,
) -> None:
    """Metrics of a saved model on labelled data (accuracy, F1, ROC-AUC, confusion matrix / R², MAE, RMSE).

    A classifier's ROC-AUC ranks its probabilities (two classes: the positive one's, with its average precision; more: one-vs-rest,
    macro); --threshold T predicts a two-class model's positive class where its probability is at least T.

    An .onnx file runs with onnxruntime (no PyTorch), its preprocessing inside; a SpeechRecognizer's, Recommender's, Forecaster's,
    SequenceClassifier's, Autoencoder's or ImageClassifier's export is scored as its .safetensors is (below), its numbers from the graph.
    --sample-weight COLUMN gives weighted metrics (scikit-learn's sample_weight), and says so.
    Application files read their inputs as `predict` does: a TextClassifier or ImageClassifier is scored against the
    labels --target (an ImageClassifier on a folder of class sub-folders: against their names; ROC-AUC and average precision
    as for a table classifier, --pos-label too), a Recommender's ratings against the rating column --target (RMSE, MAE; overall, and apart on the
    rows of known users and items and the cold-start rows), an Autoencoder's reconstruction error against the anomaly
    column --target (0/1; ROC-AUC, average precision), and a Forecaster by a rolling-origin backtest: --folds origins
    (default 1: the last --steps values, or --test-size of the series, forecast from the rest; default 0.2 of the series,
    at least its horizon, as train --app forecaster holds out), each --stride (default --steps) before the next (MAE, RMSE, MASE per fold, and their mean; the naive forecast's MAE
    beside them, and with --season M the seasonal naive forecast's). A SequenceClassifier of `train --app sequence` reads a long table as predict does and is scored
    per sequence against its label column (default: the training's); a Translator's translations against the target column
    (default: the training's) by corpus BLEU and chrF (sacrebleu), exact matches and the mean log-probability of the references;
    a SpeechRecognizer's transcripts against its transcript column (default: the training's) by CER, WER and exact matches.
    A DQNAgent file (`train --app agent`) takes no DATA: it plays --episodes greedy episodes of its environment (or --env),
    each cut after --max-episode-steps steps (default: the environment's own limit, else 10000), and reports the returns
    (mean, median, min, max, SD) and the episode lengths.

    Example: hiddenlayers evaluate model.safetensors test.csv

    A game agent: hiddenlayers evaluate agent.safetensors --episodes 20
    """

    from ._stdin import stdin_data

    options = _given(text_column=text_column, image_dtype=image_dtype, image_layout=image_layout, steps=steps, folds=folds, stride=stride,
                     season=season, test_size=test_size, value_column=value_column, beam_size=beam_size, env=env, episodes=episodes, seed=seed,
                     max_episode_steps=max_episode_steps)
    with stdin_data(data, example="cat test.csv | hiddenlayers evaluate model.safetensors -") as path:
        if model.lower().endswith(".onnx"):
            _evaluate_onnx(model, path, target, sample_weight, options, json, pos_label, threshold)
            return
        from ._train import run_evaluate

        run_evaluate(model, path, target=target, as_json=json, sample_weight=sample_weight, app_options=options, pos_label=pos_label,
                     threshold=threshold)


@app.command()
def inspect(
    model: Annotated[str, typer.Argument(help="Model file written by `hiddenlayers train`.")],
    data: Annotated[str, typer.Argument(help="Data file or bundled dataset name (read with the model's stored preprocessing).")],
    target: Annotated[str | None, typer.Option("--target", "-t", help="Label column for probes and colours (default: the one used in training, if present); a Translator file: the translations' column.")] = None,
    out: Annotated[str, typer.Option("--out", "-o", help="HTML report to write.")] = "report.html",
    shift_from: Annotated[str | None, typer.Option("--shift-from", help="Source-domain data: add the per-layer domain shift (source vs DATA) to the report.")] = None,
    image_shape: Annotated[str | None, typer.Option("--image-shape", callback=check_image_shape,
                                                    help="Rows are flattened images of this shape, HxW or CxHxW (digits: 8x8): "
                                                         "the report draws each unit's preferred input as an image.")] = None,
    landscape: Annotated[str | None, typer.Option("--landscape", help="Also draw the training loss on a plane through the fitted weights "
                                                  "(filter-normalised random directions) to this .png/.svg/.pdf; needs the target column.")] = None,
    sections: Annotated[str | None, typer.Option("--sections", help="Build only these report sections, comma-separated, in page order whatever the order given "
                                                 "(default: all): architecture, training, gradient-flow, layers, activations, loss-landscape, similarity, "
                                                 "probes, projections, neurons, preferred-inputs, features, data. E.g. layers,probes for a quick look.")] = None,
    baseline: Annotated[str, typer.Option("--baseline", help="Reference input of the 'Top features' attribution: auto (default: the mean for "
                                          "table rows, zeros for images), mean, median or zeros. The mean is the training rows' (category frequencies included) "
                                          "for a model of hiddenlayers train, else the rows'. A column that never changes gets 0 from the mean.")] = "auto",
    method: Annotated[str, typer.Option("--method", help="Captum attribution of the 'Top features' section: integrated_gradients (default; complete), "
                                        "saliency (|gradient|, one pass), input_x_gradient, deeplift (complete, one pass), gradient_shap (baselines "
                                        "drawn from the rows, seeded), feature_ablation (each column set to the baseline in turn) or occlusion "
                                        "(a 3x3 window, stride 2, slid over each image and filled with the baseline; 3 steps for "
                                        "sequences; one column of a table: feature ablation). Images and sequences get a map.")] = "integrated_gradients",
    smooth: Annotated[str | None, typer.Option("--smooth", help="Run --method inside Captum's NoiseTunnel: smoothgrad (the mean over 20 "
                                               "noisy copies of each row, noise 15% of the network input's range), smoothgrad_sq or "
                                               "vargrad (no sign). Not with gradient_shap.")] = None,
    text_column: TextColumn = None,
    image_dtype: ImageDtype = None,
    image_layout: ImageLayout = None,
    value_column: ValueColumn = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress line on stderr while the report is built (shown on a terminal only; --json has none either).")] = False,
    force: Force = False,
    json: Json = False,
) -> None:
    """Look inside a saved model: write the one-page HTML report and list dead or saturated units.

    Application files read their examples as `predict` does: a TextClassifier or ImageClassifier its texts or pixel
    columns (labels: --target), an Autoencoder its numeric columns, a SequenceClassifier of `train --app sequence` a long
    table by its stored columns (one example per sequence; labels: its label column), a SpeechRecognizer of `train --app
    speech` its long table of frames (one example per utterance), a Forecaster the series of --value-column (one example
    per lag window, labelled by the value after it), a Recommender its user and item columns (labels: the ratings; users
    or items not seen in fit are left out), a Translator its table of sentence pairs as `evaluate` reads it (the encoder's
    layers on the sources, the decoder's on the teacher-forced targets; --target: the translations' column), a DQNAgent a
    table of observation columns (labels: --target).

    Example: hiddenlayers inspect model.safetensors data.csv --out report.html --landscape landscape.png
    """
    from ._common import Steps
    from ._inspect import run_inspect

    with Steps("inspect", quiet or json) as steps:  # the status line on stderr goes before the results (or an error) print
        run_inspect(model, data, target=target, out=out, force=force, as_json=json, shift_from=shift_from, image_shape=parse_image_shape(image_shape),
                    landscape=landscape, app_options=_given(text_column=text_column, image_dtype=image_dtype, image_layout=image_layout,
                                                             value_column=value_column),
                    sections=sections, baseline=baseline, steps=steps, method=method, smooth=smooth)


@app.command()
def info(
    model: Annotated[str, typer.Argument(help="Model file (.safetensors), or an .onnx file written by `hiddenlayers export`.")],
    json: Json = False,
) -> None:
    """Spec, layer table, training summary and preprocessing of a model file (reads only its header).

    For an .onnx file: opset, size, graph inputs and outputs, columns, classes, int8 or not, and the dense layers found in the graph.
    An application's file or export also shows the data columns `train --app` kept (a Forecaster's value column, and the step of
    its training dates, which predict and evaluate hold new dates to).

    Example: hiddenlayers info model.safetensors
    """
    from ._info import run_info

    run_info(model, as_json=json)


@app.command()
def datasets(json: Json = False) -> None:
    """List the real datasets bundled with installed packages (usable wherever a file path is).

    Example: hiddenlayers datasets
    """
    from ._info import run_datasets

    run_datasets(as_json=json)


@app.command()
def explain(
    model: Annotated[str | None, typer.Option("--model", "-m", help="A model file of MLPClassifier/MLPRegressor (.safetensors): explain it on --data's --row.")] = None,
    data: Annotated[str | None, typer.Option("--data", help="With --model: the table holding the row (CSV, Parquet, ...; raw columns, as for predict).")] = None,
    row: Annotated[int | None, typer.Option("--row", help="With --model: the data row, 1 = the first after the header (messages name its file line). "
                                            "[default: 1]", show_default=False)] = None,
    sizes: Annotated[str | None, typer.Option(help="Tiny network: layer widths, inputs, hidden..., outputs (at most 8 hidden layers, 16 units each). [default: 2,3,2]", show_default=False)] = None,
    activation: Annotated[str | None, typer.Option(help="Tiny network: hidden activation (tanh, relu, logistic, gelu, ...). [default: tanh]", show_default=False)] = None,
    input_: Annotated[str | None, typer.Option("--input", help="Tiny network: input values, comma-separated, within ±1e6 (default: random in [-1, 1]).")] = None,
    target: Annotated[str | None, typer.Option("--target", "-t", help="Tiny network: target values, comma-separated (default: one-hot first class). With --model: the target column (default: the one used in training).")] = None,
    loss: Annotated[str | None, typer.Option(help="Tiny network: squared_error, cross_entropy (2+ outputs, softmax), binary_cross_entropy (logistic per output), "
                                             "generalized_cross_entropy, binary_generalized_cross_entropy (with --q), poisson (y = e^z) or logistic_squared_error "
                                             "(y = σ(z), ½·Σ(y - t)²: the textbooks' quadratic cost). [default: squared_error]",
                                             show_default=False)] = None,
    q: Annotated[float | None, typer.Option("--q", "--gce-q", help="Tiny network: the generalized cross entropy's exponent, in (0, 1] (only with those losses). "
                                            "[default: 0.7]", show_default=False)] = None,
    lr: Annotated[float | None, typer.Option("--lr", help="Learning rate of the step(s) shown: one plain gradient-descent step, or --solver's. "
                                             "[default: 0.1; with --model and --solver the model's learning_rate_init]", show_default=False)] = None,
    seed: Annotated[int | None, typer.Option("--seed", help="Tiny network: seed of the weights and default input. [default: 0]", show_default=False,
                                             callback=lambda v: v if v is None else check_seed(v))] = None,
    solver: Annotated[str | None, typer.Option("--solver", help="sgd or adam: show that optimizer's update(s), its state written out and checked "
                                               "against torch.optim and fit's optimizer, instead of one plain step.")] = None,
    steps: Annotated[int, typer.Option("--steps", help="With --solver: updates on the same row, 1 to 10.")] = 1,
    momentum: Annotated[float | None, typer.Option("--momentum", help="--solver sgd: the velocity's decay, in [0, 1]. [default: 0.9, or the model's]",
                                                   show_default=False)] = None,
    nesterov: Annotated[bool | None, typer.Option("--nesterov/--no-nesterov", help="--solver sgd: Nesterov's momentum (nesterovs_momentum). "
                                                  "[default: on, or the model's]", show_default=False)] = None,
    beta_1: Annotated[float | None, typer.Option("--beta1", "--beta-1", help="--solver adam: the first moment's decay, in [0, 1). "
                                                 "[default: 0.9, or the model's]", show_default=False)] = None,
    beta_2: Annotated[float | None, typer.Option("--beta2", "--beta-2", help="--solver adam: the second moment's decay, in [0, 1). "
                                                 "[default: 0.999, or the model's]", show_default=False)] = None,
    epsilon: Annotated[float | None, typer.Option("--epsilon", help="--solver adam: added to √v so no step divides by 0, > 0. "
                                                  "[default: 1e-8, or the model's]", show_default=False)] = None,
    alpha: Annotated[float | None, typer.Option("--alpha", help="Tiny network: L2 strength (the estimators' alpha), >= 0: ½·alpha·Σ W² is stated "
                                                "apart and alpha·W added to the step. [default: 0; with --model the model's own]",
                                                show_default=False)] = None,
    json: Json = False,
) -> None:
    """One forward and backward pass by hand, checked against PyTorch autograd: of your saved model on one of your rows, or of a tiny drawn network.

    For one sample, float64: each layer's z and h, the loss, the backward pass factor by factor
    (dL/dh, act'(z), dL/dz, dL/dW, dL/db), the autograd check and the weights after one plain
    gradient-descent step with --lr. With --model the weights, activations, loss and L2 term
    (alpha, stated apart) are the model's, the row is shown raw and after the stored
    preprocessing, and its label comes from the target column the file records.
    --solver sgd|adam shows --steps updates of that optimizer instead (gradient, velocity or
    m, v, m^, v^, update, per layer and step), checked against torch.optim and fit's optimizer;
    with --model they step with the model's learning_rate_init (and its momentum or betas
    when --solver is its solver) unless --lr and the others are given, and the output says which.
    Columns and units that do not fit the terminal are left out, and it says so; --json has every number.

    Example: hiddenlayers explain --model model.safetensors --data data.csv --row 3

    Example: hiddenlayers explain --sizes 2,3,2 --activation relu --input 0.5,-1

    Example: hiddenlayers explain --sizes 2,3,2 --loss generalized_cross_entropy --q 0.5

    Example: hiddenlayers explain --sizes 2,3,2 --solver adam --steps 2
    """
    optim = {"solver": solver, "steps": steps, "momentum": momentum, "nesterovs_momentum": nesterov, "beta_1": beta_1, "beta_2": beta_2,
             "epsilon": epsilon}
    from ._explain import check_optim_options

    check_optim_options(optim)
    if model is not None or data is not None:
        if model is None or data is None:
            raise UserError("--model and --data go together: hiddenlayers explain --model model.safetensors --data table.csv --row N.")
        from ._explain import refuse_tiny_options, run_explain_model

        refuse_tiny_options({"--sizes": sizes, "--activation": activation, "--input": input_, "--loss": loss, "--q": q, "--seed": seed, "--alpha": alpha})

        run_explain_model(model, data, row=1 if row is None else row, target=target, learning_rate=lr, as_json=json, optim=optim)
        return
    if row is not None:  # the tiny network has no table: --row 5 was ignored, and row 1 of nothing explained
        raise UserError("--row picks a row of --data for --model; the tiny network's input is --input: drop --row, or add "
                        "--model model.safetensors --data table.csv.")
    from ._explain import run_explain_tiny

    run_explain_tiny(sizes=sizes, activation=activation, input_=input_, target=target, loss=loss, q=q, learning_rate=lr, seed=seed,
                     as_json=json, optim=optim, alpha=alpha)

@app.command()
def demo(
    out: Annotated[str | None, typer.Option("--out", "-o", help="Model file (default out/demo-digits.safetensors).")] = None,
    epochs: Annotated[int, typer.Option("--epochs", help="Maximum epochs.")] = 200,
    seed: Annotated[int, seed_option("Random seed.")] = 0,
    force: Force = False,
    json: Json = False,
) -> None:
    """Train on the bundled digits data, compare with scikit-learn's MLP, save the model and the report.

    Example: hiddenlayers demo
    """
    from ._demo import run_demo

    run_demo(out=out, epochs=epochs, seed=seed, force=force, as_json=json)


@app.command()
def cost(
    ctx: typer.Context,
    model: Annotated[str, typer.Argument(help="Model file (.safetensors) written by `hiddenlayers train`, `search` or `prune`, or an application's file.")],
    batch: Annotated[int, typer.Option("--batch-size", help="Batch size (rows) for the activation-memory figure, as train's --batch-size.")] = 256,
    batch_old: Annotated[int | None, old_spelling("--batch", "--batch-size")] = None,
    calls: Annotated[int, typer.Option("--calls", help="Timed batch-1 calls for the p50/p99 latency (after a warm-up); "
                                       "below 2000, throughput and energy are measured proportionally shorter (a quick estimate).")] = 2000,
    watts: Annotated[float | None, typer.Option("--watts", help="Estimate energy at this power instead of reading RAPL/NVML counters.")] = None,
    json: Json = False,
) -> None:
    """Parameters, FLOPs, memory, latency p50/p99, throughput and energy, per hidden layer and in total; the file's size on disk.

    Energy is measured where RAPL (CPU) or NVML (GPU) counters can be read, and otherwise estimated; the note says which.
    An application file is measured on inputs of its fitted form (an Autoencoder's network on rows of its fitted columns,
    a Recommender's on pairs of its fitted user and item codes); a Translator's, which reads several inputs, is refused.

    Example: hiddenlayers cost model.safetensors --calls 5000
    """
    from ._rightsize import run_cost

    batch = renamed(batch, batch_old, given="batch" in _typed(ctx, ["batch"]), old="--batch", new="--batch-size")
    run_cost(model, batch=batch, calls=calls, watts=watts, as_json=json)


@app.command()
def search(
    data: Annotated[str, typer.Argument(help="Data file (CSV, TSV, Parquet, JSON lines, .npy, .npz) or a bundled dataset name.")],
    target: Annotated[str | None, typer.Option("--target", "-t", help="Column to predict (name, or position like -1). Bundled datasets: 'target'.")] = None,
    features: Annotated[str | None, typer.Option(help="Comma-separated feature columns (default: all others).", callback=check_features)] = None,
    objectives: Annotated[str, typer.Option(help="accuracy (r2 for regression) then any of params, flops, latency; several give a Pareto front.")] = "accuracy",
    trials: Annotated[int, typer.Option(help="Trials in the study, failed ones included, as Optuna's n_trials counts them (a resumed study counts its earlier ones).")] = 30,
    timeout: Annotated[float | None, typer.Option(help="Stop starting trials after this many seconds.")] = None,
    storage: Annotated[str | None, typer.Option(help="Share/resume the search: journal file (*.log), SQLite file (*.db) or postgresql://... URL.")] = None,
    study: Annotated[str, typer.Option(help="Study name in the storage (also the model files' prefix).")] = "hiddenlayers",
    workers: Annotated[int, typer.Option(help="Local worker processes (more than 1 shares a journal file, or --storage).")] = 1,
    max_params: Annotated[int | None, typer.Option(help="Only configurations with at most this many parameters.")] = None,
    max_latency_us: Annotated[float | None, typer.Option(help="Constraint: batch-1 predict latency (p50) at most this many microseconds.")] = None,
    layers: Annotated[str, typer.Option(help="Number of hidden layers: a range like 1-3, or one count.")] = "1-3",
    widths: Annotated[str, typer.Option(help="Widths a hidden layer may take, comma-separated.")] = "16,32,64,128,256",
    activations: Annotated[str, typer.Option(help="Activations to try, comma-separated.")] = "relu,tanh",
    weight_averaging: Annotated[str, typer.Option("--weight-averaging", help="Weight averaging to try, comma-separated: none, ema, swa "
                                                  "(swa starts at 3/4 of --epochs; its trials run at least that far).")] = "none",
    solvers: Annotated[str, typer.Option(help="Solvers to try, comma-separated: adam, adamw, rmsprop, sgd (not lbfgs: no epochs to score).")] = "adam",
    lr: Annotated[str | None, typer.Option("--lr", help="Learning-rate range (log scale): LOW,HIGH for every solver, or SOLVER=LOW:HIGH,... per solver "
                                           "(unnamed solvers keep theirs). Default per solver: adam/adamw/rmsprop 3e-4:3e-2, sgd 3e-3:0.1.")] = None,
    epochs: Annotated[int, typer.Option("--epochs", help="Maximum epochs per trial (hopeless trials stop earlier).")] = 100,
    cv: Annotated[str, typer.Option("--cv", help="Folds per trial: auto (3 up to 20,000 rows, else 1), a number, or 1 (one --validation-fraction split).")] = "auto",
    patience: Annotated[int, typer.Option(help="Epochs without improvement before a trial's fold stops.")] = 10,
    validation_fraction: Annotated[float | None, typer.Option(help="With --cv 1: share of rows held out to score each trial (default 0.2).",
                                                              show_default=False)] = None,
    validation: Annotated[str | None, typer.Option("--validation", help="Your own validation file (DATA's columns, e.g. a later time span): every trial "
                                                   "is scored on its rows, not on folds of DATA; the refit trains on all of DATA.", show_default=False)] = None,
    max_flops: Annotated[int | None, typer.Option(help="Only configurations with at most this many FLOPs per prediction.")] = None,
    max_saved: Annotated[int, typer.Option(help="How many of the chosen configurations are refitted and saved.")] = 10,
    max_categories: Annotated[int, typer.Option(help="One-hot columns per categorical feature (rest -> <other>).")] = 20,
    class_weight: ClassWeight = None,
    label_smoothing: LabelSmoothing = None,
    sample_weight: SampleWeight = None,
    scale_target: ScaleTarget = None,
    seed: Annotated[int, seed_option("Random seed (sampler, splits, initial weights).")] = 0,
    out_dir: Annotated[str, typer.Option("--out-dir", help="Folder for the chosen model files (STUDY-trialN.safetensors).")] = "search-models",
    html: Annotated[str | None, typer.Option("--html", help="Also write a one-page HTML report (table and plot) here.")] = None,
    no_check: Annotated[bool, typer.Option("--no-check", help="Skip the fast data checks run before the search (see `hiddenlayers check`).")] = False,
    force: Annotated[bool, typer.Option("--force", "-f", help="Replace the study's model files in --out-dir (an earlier search's files no longer chosen are removed) and the HTML page; a resumed --storage study writes over the files it wrote itself (unchanged) without it.")] = False,
    json: Json = False,
) -> None:
    """Search the number and width of hidden layers (and activation, learning rate, ...) against accuracy and cost.

    The fast data checks run first, as for `train`; only fatal findings stop the search.
    --class-weight, --label-smoothing and --sample-weight reach every trial, and the score that ranks them is weighted alike;
    a regression's trials standardize the target as `train` does (--no-scale-target: not).

    Example: hiddenlayers search data.csv --target label --objectives accuracy,latency --trials 40 --html search.html

    Example: hiddenlayers search data.csv --target label --weight-averaging none,swa --solvers adam,sgd

    Example: hiddenlayers search train.csv --target label --validation later.csv --patience 5
    """
    from ._rightsize import run_search

    run_search(
        data, target=target, features=features, objectives=objectives, trials=trials, timeout=timeout, storage=storage, study=study,
        workers=workers, max_params=max_params, max_latency_us=max_latency_us, layers=layers, widths=widths, activations=activations,
        epochs=epochs, max_categories=max_categories, seed=seed, out_dir=out_dir, html=html, force=force, as_json=json,
        check=not no_check, class_weight=class_weight, label_smoothing=label_smoothing, sample_weight=sample_weight,
        scale_target=scale_target, weight_averaging=weight_averaging, solvers=solvers, lr=lr,
        budget={"cv": cv, "patience": patience, "validation_fraction": validation_fraction, "max_flops": max_flops, "max_saved": max_saved},
        validation=validation,
    )


@app.command()
def prune(
    model: Annotated[str, typer.Argument(help="Model file (.safetensors) to prune.")],
    data: Annotated[str, typer.Argument(help="Labelled data file or bundled dataset name (read with the model's stored preprocessing).")],
    target: Annotated[str | None, typer.Option("--target", "-t", help="Target column (default: the one used in training).")] = None,
    max_drop: Annotated[float, typer.Option("--max-drop", help="Largest held-out score drop allowed (0.005 = half a point of accuracy).")] = 0.005,
    out: Annotated[str, typer.Option("--out", "-o", help="Pruned model file to write.")] = "pruned.safetensors",
    epochs: Annotated[int, typer.Option("--epochs", help="Fine-tuning epochs after each cut.")] = 10,
    seed: Annotated[int, seed_option("Seed of the folds each cut is judged on (prune cross-fits: each row is scored by a refit that never saw it).")] = 0,
    no_check: Annotated[bool, typer.Option("--no-check", help="Skip the fast data checks run before pruning (see `hiddenlayers check`).")] = False,
    sample_weight: Annotated[str | None, typer.Option("--sample-weight", hidden=True, help="Not supported by prune (refused in one line).")] = None,
    force: Force = False,
    json: Json = False,
) -> None:
    """Remove hidden units structurally while the held-out score stays within --max-drop; report units, parameters, latency.

    The fast data checks run first on DATA as the model reads it; only fatal findings stop pruning.

    Example: hiddenlayers prune model.safetensors data.csv --max-drop 0.005 --out small.safetensors
    """
    if sample_weight is not None:
        raise UserError("--sample-weight is not supported by prune: its bound on the accuracy drop (a cross-fitted paired drop and its "
                        "interval) and its fine-tuning count every row once; prune without it, then `hiddenlayers evaluate --sample-weight "
                        f"{sample_weight}` the pruned model.")
    from ._rightsize import run_prune

    run_prune(model, data, target=target, max_drop=max_drop, out=out, epochs=epochs, seed=seed, force=force, as_json=json, check=not no_check)


@app.command()
def export(
    model: Annotated[str, typer.Argument(help="Model file (.safetensors) to export: from `hiddenlayers train`, or a saved ImageClassifier, Autoencoder, Forecaster, SequenceClassifier, TextClassifier, Recommender, SpeechRecognizer or DQNAgent.")],
    data: Annotated[str | None, typer.Argument(help="Optional data: a table model's rows (the parity rows; with the target column, "
                                               "also the score before/after --int8); "
                                               "an app's inputs as predict reads them (its parity rows: a Recommender's user and item columns, "
                                               "a Forecaster's series, a long table of frames, a TextClassifier's text column, a DQNAgent's observation columns).")] = None,
    target: Annotated[str | None, typer.Option("--target", "-t", help="Target column of DATA (default: the one used in training).")] = None,
    out: Annotated[str, typer.Option("--out", "-o", help="ONNX file to write.")] = "model.onnx",
    int8: Annotated[bool, typer.Option("--int8", help="Also write an int8 copy (OUT stem + .int8.onnx): weights stored as int8, computed in float32, each row's answer independent of its batch.")] = False,
    int8_tolerance: Annotated[float | None, typer.Option("--int8-tolerance", help="With --int8: the largest difference of the int8 copy's answers "
                                                         "from the model's on the parity rows (DATA, else generated), as a share of the output's "
                                                         "size beyond 1; over it the int8 file is not written (the float one is) and the "
                                                         "command fails. Default: no limit.")] = None,
    input_dtype: Annotated[str, typer.Option("--input-dtype", help="The ONNX input X's element type: float32, or uint8 for a saved "
                                             "ImageClassifier's 0-255 pixels as a camera gives them (the division by 255 runs in the graph).")] = "float32",
    dtype: Annotated[str | None, typer.Option("--dtype", help="An application's graph float type: float32 or float64 (default: the model's own; "
                                              "float32 exports a float64 app whose layers onnxruntime cannot run in float64, e.g. LSTM/GRU).")] = None,
    text_column: TextColumn = None,
    force: Force = False,
    json: Json = False,
) -> None:
    """Write the model as ONNX (dynamic batch, preprocessing inside), checked against PyTorch with onnxruntime.

    Example: hiddenlayers export model.safetensors test.csv --out model.onnx --int8
    """
    from ._rightsize import run_export

    run_export(model, data, target=target, out=out, int8=int8, force=force, as_json=json, input_dtype=input_dtype, dtype=dtype,
               int8_tolerance=int8_tolerance, text_column=text_column)


from ._serve import serve as _serve  # noqa: E402  (imports only Typer)

app.command(name="serve")(_serve)

from ._check import check_command as _check  # noqa: E402  (imports only Typer)

app.command(name="check")(_check)

from ._distill import distill_command as _distill  # noqa: E402  (imports only Typer)

app.command(name="distill")(_distill)

from ._recommend import recommend_command as _recommend  # noqa: E402  (imports only Typer)

app.command(name="recommend")(_recommend)


def main() -> None:
    """Entry point of the ``hiddenlayers`` console script."""
    app()


__all__ = ["app", "main"]
