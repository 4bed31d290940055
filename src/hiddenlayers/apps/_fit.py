"""Shared fitting helpers of the applications: one call to :func:`hiddenlayers.training.train`."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from ..estimators import averaging_of, warn_nothing_averaged
from ..network import Spec, evaluating
from ..training import (
    Callback,
    History,
    Loss,
    NoImprovement,
    ProgressBar,
    WeightAveraging,
    check_callbacks,
    get_loss,
    refuse_unusable,
    steps_per_epoch,
    time_limit,
    to_tensor,
    train,
)
from ._trimmed import trimmed_mean

#: the remedy after "Lower learning_rate_init" in the divergence messages (the error and the warning) of an app without gradient clipping
DATA_FIX = "or check the data for huge values"


def hidden_spec(hidden_layer_sizes: Any, name: str = "hidden_layer_sizes") -> Spec:
    """Parse a hidden-layer spec (``(64, 32)``, ``"64,32"``, ``[]``) with a clear error."""
    try:
        return Spec.parse(list(hidden_layer_sizes) if isinstance(hidden_layer_sizes, tuple) else hidden_layer_sizes)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be a hidden-layer spec such as (64, 32) or '64,32'. Received: {name}={hidden_layer_sizes!r} ({exc}).") from None


def check_positive_int(value: Any, name: str, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}. Received: {name}={value!r}.")
    return int(value)


def check_fraction(value: Any, name: str, low: float = 0.0, high: float = 1.0) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating)) or not (low < value < high):
        raise ValueError(f"{name} must be a number strictly between {low} and {high}. Received: {name}={value!r}.")
    return float(value)


def device_of(module: nn.Module) -> torch.device:
    """The device ``module``'s parameters live on (CPU for a module without parameters)."""
    param = next(module.parameters(), None)
    return param.device if param is not None else torch.device("cpu")


def float_tensor(a: Any, device: torch.device) -> Tensor:
    """``a`` as a float32 tensor on ``device`` (the applications' networks are float32)."""
    return to_tensor(np.asarray(a), torch.float32, device)


@contextmanager
def one_thread() -> Iterator[None]:
    """Run PyTorch's CPU ops on one thread inside the block, then restore the setting.

    The applications' networks are small: a (256 x 64) layer takes ~15 µs on
    one thread but milliseconds when two threads must meet on a busy machine.
    """
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


@torch.no_grad()
def forward_batches(module: nn.Module, X: Tensor, batch_size: int = 8192) -> Tensor:
    """``module(X)`` in eval mode (each submodule's own mode restored after), ``batch_size`` rows at a time (bounded memory); the result stays on X's device."""
    with evaluating(module), one_thread():
        return torch.cat([module(X[i : i + batch_size]) for i in range(0, X.shape[0], batch_size)]) if X.shape[0] else module(X)


def hidden_layer_index(layer: Any, n_hidden: int) -> int:
    """The 0-based index of ``transform``'s ``layer`` (1-based; ``-1`` = the last) among ``n_hidden`` hidden layers; another value is a ValueError."""
    if isinstance(layer, bool) or not isinstance(layer, (int, np.integer)) or layer == 0 or not -n_hidden <= layer <= n_hidden:
        raise ValueError(f"layer must be 1..{n_hidden} (or -1..-{n_hidden} from the end). Received: layer={layer!r}.")
    return int(layer) - 1 if layer > 0 else n_hidden + int(layer)


#: the validation column of an app that watches an error (its val_score is the error negated): its val_loss, positive
VAL_LOSS: tuple[str, Callable[[dict[str, Any]], Any]] = ("val loss", lambda logs: logs.get("val_loss"))


def progress_callbacks(est: Any, val: tuple[str, Callable[[dict[str, Any]], Any]] | None = None) -> list[Callback]:
    """``est``'s Rich progress bar over its ``max_iter`` epochs (on stderr) when ``est.progress_bar``; else none.
    ``val``: its validation column (:class:`~hiddenlayers.training.ProgressBar`'s; None: the score)."""
    return [ProgressBar(int(est.max_iter), f"training {type(est).__name__}", val)] if getattr(est, "progress_bar", False) else []


def fit_callbacks(est: Any, *own: Callback, val: tuple[str, Callable[[dict[str, Any]], Any]] | None = None) -> list[Callback]:
    """The callbacks of one fit of application ``est``: the user's ``est.callbacks`` (checked: a TypeError in the MLP
    estimators' words), then the app's ``own`` (its ``verbose`` lines), then its progress bar (``val``: its validation
    column, e.g. :data:`VAL_LOSS`), the MLP estimators' order."""
    users = check_callbacks(getattr(est, "callbacks", None))
    for cb in users:  # a GradientFlow(X) prepares X as this app does (its vocabulary, padding, lens view)
        cb.set_estimator(est)
    return [*users, *own, *progress_callbacks(est, val)]


def averaging_for(est: Any, n_train: int, module: nn.Module) -> WeightAveraging | None:
    """Application ``est``'s weight averaging for one :func:`~hiddenlayers.training.train` call on ``n_train`` rows of ``module``
    (None without ``weight_averaging``): the MLP estimators' :func:`~hiddenlayers.estimators.averaging_of`, with its warning
    when an EMA spans more steps than ``max_iter`` epochs of ``batch_size`` rows take."""
    if est.weight_averaging is None:
        return None
    return averaging_of(est, int(est.max_iter) * steps_per_epoch(max(1, int(n_train)), int(est.batch_size), module))


def after_averaging(est: Any, history: History, epochs_before: int) -> None:
    """After a fit call of application ``est`` that ``history`` records (``epochs_before`` of its epochs were earlier calls'):
    the MLP estimators' warning when an SWA stopped before its first averaged epoch."""
    warn_nothing_averaged(est, len(history) - epochs_before, history.stop_reason)


def fit_squared_error(
    module: nn.Module,
    X: Tensor,
    Y: Tensor,
    *,
    validation: tuple[Tensor, Tensor] | None,
    learning_rate_init: float,
    batch_size: int,
    max_epochs: int,
    patience: int,
    tol: float,
    alpha: float,
    generator: torch.Generator,
    loss: Loss | None = None,
    val_trim: float = 0.0,
    callbacks: list[Callback] | None = None,
    history: History | None = None,
    max_time: float | None = None,
    averaging: WeightAveraging | None = None,
) -> History:
    """Train ``module`` to map ``X`` to ``Y`` with half squared error; return its History.

    ``module``, ``X``, ``Y`` and ``validation`` must be on one device (training runs there).
    With ``validation=(X_val, Y_val)`` training stops after ``patience`` epochs
    without the validation loss (mean squared error per row) improving by
    ``tol`` and the best weights are restored; otherwise the training loss is
    watched. A first epoch that diverges (``training``'s rule: NaN/inf, or 1e4 x the first batch's loss), leaving no
    usable weights, is a ``ValueError`` (:func:`~hiddenlayers.training.refuse_unusable`). ``loss`` (default: half squared error) goes to the training loop; ``val_trim`` leaves that fraction of the validation rows with
    the largest error out of the validation loss (the trimmed fits of the Autoencoder); ``callbacks`` (e.g. :func:`progress_callbacks`) get the epochs;
    ``history`` (a warm fit's) goes on, its epochs numbered on, up to ``max_epochs`` more; ``max_time`` (seconds, None: no limit)
    stops it after the epoch in which this call's time reaches it (:func:`~hiddenlayers.training.time_limit`), with the weights any stop keeps.
    ``averaging`` (:func:`averaging_for`): validation scores, and ``module`` ends with, the averaged weights (the loop's own).
    """
    validate = None
    if validation is not None:
        Xv, Yv = validation

        def validate() -> tuple[float, float]:
            per = ((forward_batches(module, Xv) - Yv) ** 2).sum(1)  # (n_val,)
            err = trimmed_mean(per, val_trim) if val_trim else per.mean().item()
            module.train()
            return err, -err

    monitor = "val_loss" if validation is not None else "train_loss"
    with one_thread():
        result = train(
            module, X, Y, loss=loss if loss is not None else get_loss("squared_error"), learning_rate_init=learning_rate_init, batch_size=batch_size,
            max_epochs=max_epochs, alpha=alpha, validate=validate,
            no_improvement=NoImprovement(monitor, tol, patience), stopping=time_limit(max_time, history), generator=generator, restore_best=validation is not None,
            device=Y.device, callbacks=callbacks, history=history, warn_if_diverged_at_start=False,  # no usable epoch: raised below
            diverged_fix=DATA_FIX, averaging=averaging,  # no clip_grad_norm to name
        )
    module.eval()
    refuse_unusable(result.history, learning_rate_init, DATA_FIX)  # a first epoch that diverged: no usable weights
    return result.history


__all__ = ["DATA_FIX", "VAL_LOSS", "after_averaging", "averaging_for", "hidden_layer_index", "fit_callbacks", "progress_callbacks", "check_fraction", "check_positive_int", "device_of", "float_tensor", "fit_squared_error", "forward_batches", "hidden_spec", "one_thread"]
