"""Option checks shared by the commands, run by Typer while it parses the line (imports only Typer).

A bad value stops the command before it reads any file or trains anything,
with one line that names the option, what it takes and what it got: the
same rule (and words) for ``--seed`` in every command, say, instead of each
command's library raising its own error (or none) much later.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any

import typer

from ._common import UserError

#: Seeds reach NumPy, scikit-learn and Optuna, which all take 0 .. 2**32 - 1.
MAX_SEED = 2**32 - 1


def check_seed(value: int) -> int:
    """``--seed`` as every command takes it: an integer in 0..4294967295 (NumPy's and scikit-learn's range)."""
    if not 0 <= value <= MAX_SEED:
        raise UserError(f"--seed must be an integer in 0..{MAX_SEED}. Received: {value}.")
    return value


def seed_option(help: str) -> Any:
    """A ``--seed`` option whose value :func:`check_seed` checks."""
    return typer.Option("--seed", help=help, callback=check_seed)


def old_spelling(old: str, new: str) -> Any:
    """A hidden option ``old``, the earlier name of ``new``: it still works, and :func:`renamed` settles the two."""
    return typer.Option(old, hidden=True, show_default=False, help=f"The earlier name of {new}.")


def renamed(value: Any, old_value: Any, *, given: bool, old: str, new: str) -> Any:
    """The value of an option spelt ``new`` across the commands, whose ``old`` spelling stays a hidden alias.

    ``value`` is ``new``'s (its default unless ``given``), ``old_value`` the alias' (None when not typed). Why: the same idea
    had two names (``cost --batch``, ``train --batch-size``); scripts that typed the old one keep working.
    """
    if old_value is None:
        return value
    if given:
        raise UserError(f"{old} is the earlier name of {new}: give {new} once.")
    return old_value


def at_least(option: str, low: int) -> Callable[[int], int]:
    """A callback refusing integers below ``low``: ``--workers must be an integer >= 1. Received: 0.``"""

    def check(value: int) -> int:
        if value < low:
            raise UserError(f"{option} must be an integer >= {low}. Received: {value}.")
        return value

    return check


def positive_seconds(option: str) -> Callable[[float | None], float | None]:
    """A callback refusing a number of seconds that is not finite and > 0 (None, an option left unset, passes)."""

    def check(value: float | None) -> float | None:
        if value is None:
            return None
        if not (value > 0 and math.isfinite(value)):
            raise UserError(f"{option} must be a finite number of seconds > 0. Received: {value}.")
        return value

    return check


def check_schedule(value: str) -> str:
    """``--learning-rate`` names the schedule, as scikit-learn's ``learning_rate``; a number there (Keras' and PyTorch's
    word for the step size) is pointed to ``--lr``. Names are checked by the estimator, with its list."""
    try:
        number = float(value)
    except ValueError:
        return value
    if not math.isfinite(number):
        return value
    raise UserError(f"--learning-rate names the schedule (constant, invscaling, adaptive, cosine, plateau), not the step size. "
                    f"Received: {value}. A number is the step size: pass --lr {value}.")


def check_weight_averaging(value: str | None) -> str | None:
    """``--weight-averaging`` as train takes it: ``ema`` or ``swa`` (any case); None when not given."""
    if value is None:
        return None
    kind = value.strip().lower()
    if kind not in ("ema", "swa"):
        raise UserError(f"--weight-averaging must be ema or swa. Received: {value!r}.")
    return kind


def check_ema_decay(value: float | None) -> float | None:
    """``--ema-decay``: a number in (0, 1), such as 0.999."""
    if value is not None and not 0 < value < 1:
        raise UserError(f"--ema-decay must be a number in (0, 1), e.g. 0.999. Received: {value}.")
    return value


def check_swa_lr(value: float | None) -> float | None:
    """``--swa-lr``: a finite number > 0, such as 0.01."""
    if value is not None and not (value > 0 and math.isfinite(value)):
        raise UserError(f"--swa-lr must be a finite number > 0, e.g. 0.01. Received: {value}.")
    return value


def check_swa_anneal_strategy(value: str | None) -> str | None:
    """``--swa-anneal-strategy``: ``cos`` or ``linear`` (PyTorch SWALR's ``anneal_strategy``)."""
    if value is not None and value not in ("cos", "linear"):
        raise UserError(f"--swa-anneal-strategy must be cos or linear (PyTorch SWALR's names). Received: {value!r}.")
    return value


def check_swa_anneal_epochs(value: int | None) -> int | None:
    """``--swa-anneal-epochs``: a whole number of epochs >= 0."""
    if value is not None and value < 0:
        raise UserError(f"--swa-anneal-epochs must be a whole number of epochs >= 0, e.g. 10 (0: --swa-lr at once). Received: {value}.")
    return value


def check_averaging_options(weight_averaging: str | None, ema_decay: float | None, swa_start: object, swa_lr: float | None = None,
                            swa_anneal_epochs: int | None = None, swa_anneal_strategy: str | None = None) -> None:
    """Refuse ``--ema-decay`` without ``--weight-averaging ema``, ``--swa-start``/``--swa-lr`` without ``swa`` and
    ``--swa-anneal-epochs``/``--swa-anneal-strategy`` without ``--swa-lr``: ``train``'s rule for a table model and for ``--app``.
    ``swa_start``: ``--swa-start`` as its callback parsed it, or None."""
    for option, value, kind in (("--ema-decay", ema_decay, "ema"), ("--swa-start", swa_start, "swa"), ("--swa-lr", swa_lr, "swa")):
        if value is not None and weight_averaging != kind:
            given = f"--weight-averaging {weight_averaging} does not use it" if weight_averaging is not None else "no --weight-averaging was given"
            raise UserError(f"{option} needs --weight-averaging {kind} ({given}): add --weight-averaging {kind}, or drop {option}.")
    check_swa_anneal(swa_lr, swa_anneal_epochs, swa_anneal_strategy)


def check_swa_anneal(swa_lr: float | None, swa_anneal_epochs: int | None, swa_anneal_strategy: str | None = None) -> None:
    """Refuse ``--swa-anneal-epochs`` or ``--swa-anneal-strategy`` without ``--swa-lr``: with the schedule running on there is nothing to anneal to."""
    for option, value in (("--swa-anneal-epochs", swa_anneal_epochs), ("--swa-anneal-strategy", swa_anneal_strategy)):
        if value is not None and swa_lr is None:
            raise UserError(f"{option} sets how --swa-lr is reached, and no --swa-lr was given: add --swa-lr (e.g. --swa-lr 0.01), "
                            f"or drop {option}.")


def parse_swa_start(text: str | None) -> float | int | None:
    """``--swa-start``: a share of the epochs in (0, 1] (``0.75``) or a whole epoch number >= 1 (``30``)."""
    if text is None:
        return None
    raw = text.strip()
    if re.fullmatch(r"[0-9]+", raw) and int(raw) >= 1:
        return int(raw)
    try:
        share = float(raw)
    except ValueError:
        share = math.nan
    if not 0 < share <= 1:
        raise UserError(f"--swa-start must be a share of --epochs in (0, 1] (e.g. 0.75) or an epoch number >= 1 (e.g. 30). Received: {text!r}.")
    return share


def parse_features(text: str | None) -> list[str] | None:
    """``--features`` as a list of column names; ``None`` (not given) means every other column.

    An empty or blank value (``--features ""``, ``--features ,``) is an error rather
    than "all columns": the user asked for a selection and named nothing.
    """
    return parse_names(text, "--features", " to use every other column")


def parse_names(text: str | None, option: str, unset: str = "") -> list[str] | None:
    """A comma-separated list of column names given to ``option`` (``None``: not given); naming nothing is one line,
    which ends with ``unset``, what leaving the option out means."""
    if text is None:
        return None
    names = [f.strip() for f in text.split(",") if f.strip()]
    if not names:
        raise UserError(f"{option} names no column ({text!r}): give comma-separated column names, or leave {option} out{unset}.")
    return names


def check_features(value: str | None) -> str | None:
    """Typer callback of ``--features``: :func:`parse_features` must find a name; the text is passed on unchanged."""
    parse_features(value)
    return value


_DIM = re.compile(r"[1-9][0-9]{0,5}")


def parse_image_shape(text: str | None) -> tuple[int, ...] | None:
    """``--image-shape`` as ``(H, W)`` or ``(C, H, W)``: ``8x8``, ``3x32x32``, ``8 x 8`` (``x``, ``X`` or ``×``; spaces
    around the numbers are fine); None when not given.

    Why a shape at all: a model trained on a table of pixel columns (``digits``)
    reads each image as one flat row, so nothing in the file says how to fold it.
    """
    if text is None:
        return None
    parts = [p.strip() for p in re.split("[x×]", text.lower())]
    if not (2 <= len(parts) <= 3 and all(_DIM.fullmatch(p) for p in parts)):
        raise UserError(
            f"--image-shape must be HxW or CxHxW in pixels, each a whole number >= 1 (e.g. 8x8 or 3x32x32). Received: {text!r}."
        )
    return tuple(int(p) for p in parts)


def check_image_shape(value: str | None) -> str | None:
    """Typer callback of ``--image-shape``: :func:`parse_image_shape` must read it; the text is passed on unchanged."""
    parse_image_shape(value)
    return value


__all__ = [
    "MAX_SEED", "at_least", "check_averaging_options", "check_features", "check_image_shape", "check_seed", "parse_features", "parse_image_shape", "positive_seconds",
    "seed_option",
]
