"""Stopping conditions and callbacks for the fit loop.

A stopping rule is a small object: after each epoch it looks at the
:class:`History` and returns a reason string to stop, or ``None``. Rules
combine with ``|`` (stop when any fires). Callbacks have do-nothing hooks
that take ``**kwargs``; they stop training by setting
``state.stop_training = True``, never by raising.

>>> rule = MaxEpochs(100) | LossBelow(0.01) | NoImprovement(patience=10)
"""

from __future__ import annotations

import difflib
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any

from ._numbers import real, whole

if TYPE_CHECKING:
    from ._averaging import WeightAveraging

#: what LossBelow and NoImprovement can watch: History's per-epoch lists
MONITORS = ("train_loss", "val_score", "val_loss")

# Reasons recorded in History.stop_reason (and estimators' stop_reason_).
STOP_REASONS = {
    "max_epochs": "reached the maximum number of epochs",
    "loss_below": "training loss fell below the threshold",
    "no_improvement_train_loss": "training loss stopped improving",
    "no_improvement_validation_score": "validation score stopped improving",
    "no_improvement_validation_loss": "validation loss stopped improving",
    "time_limit": "reached the time limit",
    "diverged": "the loss became NaN or infinite, or grew past 1e4 times its start; best weights restored",
    "interrupted": "interrupted by the user (Ctrl-C); best weights restored",
    "callback": "a callback asked to stop",
    "converged": "the optimizer converged (L-BFGS)",
    "max_fun": "reached the maximum number of loss evaluations, max_fun, before max_iter (L-BFGS)",
    "not_converged": "the optimizer stopped before max_iter without converging, e.g. a failed line search (L-BFGS)",
    "partial_fit": "one epoch of partial_fit",
}


def warn_interrupted(where: str) -> None:
    """Warn (:class:`~hiddenlayers.exceptions.InterruptedWarning`) that Ctrl-C stopped training and whose weights were kept.

    One message for every solver. The warning names the user's line (the first frame outside hiddenlayers: the call of
    ``fit``, ``partial_fit``, ``train``), whatever the path to here.

    Parameters
    ----------
    where : str
        Names the weights (``"epoch 3"``, ``"the start of this run"``).
    """
    import warnings

    from .._stacklevel import user_stacklevel
    from ..exceptions import InterruptedWarning

    warnings.warn(f"training interrupted by the user; restored the weights of {where}.", InterruptedWarning, stacklevel=user_stacklevel())


def held_at_start(history: History) -> int | None:
    """The epoch whose weights a network holds as a run on ``history`` begins (0 or None: its starting weights).

    The epoch the last run kept (``history.held_epoch``); for a history from before that was recorded, its last epoch
    (what a run without Ctrl-C, divergence or restored best weights ends on).

    Parameters
    ----------
    history : History
        The history the run goes on.
    """
    if history.held_epoch is not None:
        return history.held_epoch
    return history.epoch[-1] if history.epoch else None


def kept_weights(epoch: int | None, this_run: bool) -> str:
    """How a warning names the weights kept: ``"epoch 3"``, ``"epoch 6 (the weights this call began with)"``, or ``"the start of this run"``.

    Parameters
    ----------
    epoch : int or None
        The epoch whose weights were kept (None or 0: no epoch's).
    this_run : bool
        Whether this run reached it (else it was held from an earlier call).
    """
    if not epoch:
        return "the start of this run"
    return f"epoch {epoch}" if this_run else f"epoch {epoch} (the weights this call began with)"


@dataclass(repr=False)
class History:
    """Per-epoch record of a training run, JSON-able through :meth:`to_dict`.

    Its repr is one line (epochs, first and last training loss, best validation score, stop reason), not every epoch's
    lists: ``clf.history_`` ending a REPL line printed kilobytes. ``str()`` is the per-epoch table (:meth:`to_frame`), as
    is the notebook view (``_repr_html_``).

    Attributes
    ----------
    epoch : list of int
        Each recorded epoch's number, from 1 (counted on over warm fits).
    train_loss : list of float
        Each epoch's mean training loss.
    val_loss : list of float
        Each epoch's validation loss (NaN without validation).
    val_score : list of float
        Each epoch's validation score: accuracy for classifiers, R² for regressors.
    lr : list of float
        The learning rate each epoch trained at.
    time : list of float
        Seconds since training started, at each epoch's end.
    stop_reason : str or None
        Why the last run stopped (one of ``STOP_REASONS``).
    stop_message : str
        The same in words.
    best_epoch : int or None
        The best epoch by the no-improvement rule.
    held_epoch : int or None
        The epoch whose weights the network held when the last run ended (0: its starting weights; None: not recorded,
        as in files written before it was kept), which differs from the last epoch after Ctrl-C, a divergence or
        restored best weights.
    start_loss : float or None
        The mean loss of the first batch at the weights the history's first run began from, with its L2 penalty as the
        epoch loss counts it (None: not known yet, or a history from before it was kept): the reference of the
        divergence rule (``_divergence``).
    extra : dict of str to list
        Per-epoch records of callbacks (e.g. gradient flow), by name.
    """

    epoch: list[int] = field(default_factory=list)
    train_loss: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_score: list[float] = field(default_factory=list)
    lr: list[float] = field(default_factory=list)
    time: list[float] = field(default_factory=list)
    stop_reason: str | None = None
    stop_message: str = ""
    best_epoch: int | None = None
    held_epoch: int | None = None
    start_loss: float | None = None
    extra: dict[str, list[Any]] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.epoch)

    def __repr__(self) -> str:
        parts = [f"epochs={len(self.epoch)}"]
        if self.train_loss:
            parts.append(f"train_loss {self.train_loss[0]:.4g} -> {self.train_loss[-1]:.4g}")
        scores = [(v, e) for v, e in zip(self.val_score, self.epoch) if v == v]  # NaN: an epoch without a validation score
        if scores:
            best, at = max(scores)
            parts.append(f"best val_score {best:.4g} at epoch {at}")
        if self.stop_reason:
            parts.append(f"stop_reason={self.stop_reason!r}")
        return f"History({', '.join(parts)}; .to_frame() has every epoch)"

    def __str__(self) -> str:
        return self.to_frame().to_string()

    def _repr_html_(self) -> str:  # Jupyter
        return str(self.to_frame()._repr_html_())

    def to_dict(self) -> dict[str, Any]:
        """Every field (the per-epoch lists, ``extra`` and the run's scalars) as plain values, read back by :meth:`from_dict`."""
        return {k: (dict(v) if isinstance(v, dict) else list(v) if isinstance(v, list) else v) for k, v in vars(self).items()}

    def to_frame(self) -> Any:
        """The per-epoch record as a pandas DataFrame indexed by ``epoch``: columns ``train_loss``, ``val_loss``,
        ``val_score``, ``lr`` and ``time`` (seconds), one row per epoch, for ``history_.to_frame().plot()`` as Keras users
        plot ``pd.DataFrame(history.history)``. A column not recorded for every epoch (a history read from an older
        file) is left out; ``extra`` (callbacks' records) and the run's scalars stay in :meth:`to_dict`."""
        import pandas as pd

        columns = {name: list(getattr(self, name)) for name in ("train_loss", "val_loss", "val_score", "lr", "time")
                   if len(getattr(self, name)) == len(self.epoch)}
        return pd.DataFrame(columns, index=pd.Index(list(self.epoch), name="epoch"))

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> History:
        """The history :meth:`to_dict` wrote; keys this version does not know are left out (a file from a newer one).

        Parameters
        ----------
        d : dict
            What :meth:`to_dict` returned.
        """
        known = {k: d[k] for k in cls.__dataclass_fields__ if k in d}
        return cls(**known)


class StoppingRule(ABC):
    """Base class; ``__call__(history)`` returns a reason to stop or ``None``."""

    def reset(self) -> None:  # noqa: B027 - an optional hook: stateless rules keep this no-op
        """Forget state before a new training run."""

    @abstractmethod
    def __call__(self, history: History) -> str | None:
        """The reason to stop after the last epoch of ``history``, or ``None`` to go on."""

    def __or__(self, other: StoppingRule) -> AnyOf:
        return AnyOf(self, other)

    def leaves(self) -> list[StoppingRule]:
        """The single rules this rule is made of (itself, unless it combines others)."""
        return [self]


def check_rule(name: str, rule: Any) -> None:
    """One TypeError unless ``rule`` is a stopping rule (``MaxEpochs(3) | 5`` and ``stopping=5`` end here)."""
    if not isinstance(rule, StoppingRule):
        hint = f"; for a number of epochs pass hl.MaxEpochs({rule!r})" if isinstance(rule, int) and not isinstance(rule, bool) else ""
        raise TypeError(
            f"{name} must be a stopping rule (hl.MaxEpochs, hl.LossBelow, hl.NoImprovement, hl.TimeLimit, "
            f"or several joined with |). Received: {rule!r}{hint}."
        )


def _check_monitor(rule: str, monitor: Any) -> str:
    """``monitor`` if it names one of History's lists, else one ValueError with the nearest valid name."""
    if monitor not in MONITORS:
        near = difflib.get_close_matches(str(monitor), MONITORS, n=1)
        hint = f" Did you mean {near[0]!r}?" if near else ""
        raise ValueError(f"{rule} monitor must be 'train_loss', 'val_score' or 'val_loss'. Received: monitor={monitor!r}.{hint}")
    return str(monitor)


class AnyOf(StoppingRule):
    """Stop when any of ``rules`` fires (first one in order wins)."""

    rules: list[StoppingRule]

    def __init__(self, *rules: StoppingRule) -> None:
        flat: list[StoppingRule] = []
        for r in rules:
            check_rule("each rule joined with | (AnyOf)", r)
            flat.extend(r.rules if isinstance(r, AnyOf) else [r])
        self.rules = flat

    def reset(self) -> None:
        for r in self.rules:
            r.reset()

    def leaves(self) -> list[StoppingRule]:
        return [leaf for r in self.rules for leaf in r.leaves()]

    def __call__(self, history: History) -> str | None:
        for r in self.rules:
            reason = r(history)
            if reason:
                return reason
        return None

    def __repr__(self) -> str:
        return " | ".join(map(repr, self.rules))


class MaxEpochs(StoppingRule):
    """Stop after ``n`` epochs.

    Parameters
    ----------
    n : int
        Epochs, >= 1.
    """

    def __init__(self, n: int) -> None:
        self.n = whole("MaxEpochs n", n, 1, "the epoch after which training stops")

    def __call__(self, history: History) -> str | None:
        return "max_epochs" if history.epoch and history.epoch[-1] >= self.n else None

    def __repr__(self) -> str:
        return f"MaxEpochs({self.n})"


class LossBelow(StoppingRule):
    """Stop once the training loss (or ``monitor``) is below ``threshold``.

    Parameters
    ----------
    threshold : float
        The value to get below.
    monitor : {"train_loss", "val_loss", "val_score"}
        The history column watched.
    """

    def __init__(self, threshold: float, monitor: str = "train_loss") -> None:
        self.threshold = real("LossBelow threshold", threshold, finite=False, meaning="the value to fall below")
        self.monitor = _check_monitor("LossBelow", monitor)

    def __call__(self, history: History) -> str | None:
        values = getattr(history, self.monitor)
        return "loss_below" if values and values[-1] < self.threshold else None

    def __repr__(self) -> str:
        return f"LossBelow({self.threshold})"


class NoImprovement(StoppingRule):
    """scikit-learn's rule: stop when ``monitor`` has not improved by ``tol`` for more than ``patience`` consecutive epochs.

    Parameters
    ----------
    monitor : {"train_loss", "val_loss", "val_score"}
        The history column watched: ``"train_loss"`` or ``"val_loss"`` (lower is better), ``"val_score"`` (higher is
        better).
    tol : float
        The least change that counts as an improvement, in ``monitor``'s units.
    patience : int
        Epochs without improvement allowed before stopping.
    """

    def __init__(self, monitor: str = "train_loss", tol: float = 1e-4, patience: int = 10) -> None:
        self.monitor = _check_monitor("NoImprovement", monitor)
        self.tol = real("NoImprovement tol", tol, low=0, meaning="the least change that counts as progress")
        self.patience = whole("NoImprovement patience", patience, 0, "epochs without progress before stopping")
        self.reset()

    def reset(self) -> None:
        self.best = float("inf") if self.monitor != "val_score" else -float("inf")
        self.count = 0

    def update(self, value: float) -> bool:
        """Feed one epoch's value; True when it is a new best (improved at all).

        A NaN value is no progress: it counts as an epoch without improvement (before, its failed comparison reset the
        count, as if a NaN held-out score were progress).

        Parameters
        ----------
        value : float
            The epoch's ``monitor`` value.
        """
        if self.monitor == "val_score":
            progress, better = value >= self.best + self.tol, value > self.best
        else:
            progress, better = value <= self.best - self.tol, value < self.best
        self.count = 0 if progress else self.count + 1
        if better:
            self.best = value
        return better

    def __call__(self, history: History) -> str | None:
        if self.count > self.patience:
            return {
                "val_score": "no_improvement_validation_score",
                "val_loss": "no_improvement_validation_loss",
            }.get(self.monitor, "no_improvement_train_loss")
        return None

    def __repr__(self) -> str:
        return f"NoImprovement(monitor={self.monitor!r}, tol={self.tol}, patience={self.patience})"


class TimeLimit(StoppingRule):
    """Stop after ``seconds`` of wall time (checked at the end of each epoch).

    Parameters
    ----------
    seconds : float
        The time budget in seconds, > 0 (``inf``: none).
    """

    def __init__(self, seconds: float) -> None:
        self.seconds = real("TimeLimit seconds", seconds, low=0, low_open=True, finite=False, meaning="wall time; inf for none")

    def __call__(self, history: History) -> str | None:
        return "time_limit" if history.time and history.time[-1] >= self.seconds else None

    def __repr__(self) -> str:
        return f"TimeLimit({self.seconds})"


def time_limit(max_time: float | None, history: History | None) -> TimeLimit | None:
    """``max_time``'s rule for one fit call: stop after the epoch in which ``max_time`` seconds of this call are reached.

    A fit's :class:`History` clock runs on over warm fits (``history.time`` counts seconds from the history's first run),
    so the limit is the seconds ``history`` already holds plus ``max_time``. The one rule of the MLP estimators'
    ``max_time`` and the applications' (``time_limit`` is the stop reason).

    Parameters
    ----------
    max_time : float or None
        Seconds for this call; None: no limit (returns None).
    history : History or None
        The history the call goes on.
    """
    if max_time is None:
        return None
    started = history.time[-1] if history is not None and history.time else 0.0
    return TimeLimit(started + float(max_time))


@dataclass
class TrainState:
    """Mutable state a callback may read, and the flag it sets to stop.

    Attributes
    ----------
    epoch : int
        The current epoch.
    stop_training : bool
        Set it True to stop after this epoch.
    start_time : float
        When the run started (``time.perf_counter``).
    averaging : WeightAveraging or None
        The run's :class:`~hiddenlayers.training.WeightAveraging` (EMA or SWA). The callbacks' ``on_epoch_end`` sees the
        raw weights in the network (the ones the steps run on); a callback that scores the model as the run's own
        validation does scores inside ``state.averaging.swapped()``.
    resumed_epochs : int
        The epochs of this call that a broken run had done before a :class:`~hiddenlayers.training.BackupAndRestore`
        resumed it (0 for a call that starts afresh), so a progress display starts at them, not at 0.
    """

    epoch: int = 0
    stop_training: bool = False
    start_time: float = field(default_factory=time.perf_counter)
    averaging: WeightAveraging | None = None
    resumed_epochs: int = 0

    def __setattr__(self, name: str, value: Any) -> None:
        """Set one of the fields; any other name is an AttributeError naming the nearest field.

        Why: the loops read ``stop_training`` only, so ``state.stop_trainng = True`` (or Lightning's ``should_stop``)
        set a new attribute that nothing read, and the fit ran on to ``max_iter`` with no sign of the typo.
        """
        names = [f.name for f in fields(self)]
        if name not in names:
            near = difflib.get_close_matches(name, names, n=1)
            hint = f"did you mean {near[0]!r}? " if near else ""
            raise AttributeError(
                f"TrainState has no attribute {name!r}: {hint}its attributes are {', '.join(names)}; "
                "a callback stops the fit with state.stop_training = True (keep your own values on the callback, self.NAME)."
            )
        object.__setattr__(self, name, value)


class Callback:
    """Base callback: every hook does nothing and accepts ``**kwargs``.

    Hooks receive ``network``, ``history``, ``state`` and, at epoch end,
    ``logs`` (the epoch's numbers). ``on_batch_end`` also gets ``batch_loss``: the
    epoch's running sum of the (sample-weighted) per-row losses so far, without the L2
    term, a float or a 0-d tensor (a streamed fit's: the pass's). Set ``state.stop_training = True`` to stop.
    """

    def set_estimator(self, estimator: Any) -> None:
        """Called by an application's ``fit`` before its loop starts, with the application itself; does nothing here.

        A callback that reads the app's inputs can prepare them as the app does (Keras' ``set_model``):
        :class:`hiddenlayers.lens.GradientFlow` turns the ``(sources, targets)`` or variable-length sequences it was given
        into the network's input with it.

        Parameters
        ----------
        estimator : estimator or application
            The model being fitted (``Translator``, ``SequenceClassifier``, ...).
        """

    def on_train_begin(self, **kwargs: Any) -> None:
        """Called once before the first epoch. ``**kwargs``: ``network``, ``history`` and ``state`` (see :class:`Callback`)."""

    def on_epoch_begin(self, **kwargs: Any) -> None:
        """Called before each epoch's first batch. ``**kwargs``: ``network``, ``history`` and ``state``."""

    def on_batch_end(self, **kwargs: Any) -> None:
        """Called after each optimizer step. ``**kwargs``: ``network``, ``history``, ``state`` and ``batch_loss`` (the
        epoch's running sum of the per-row losses so far, see :class:`Callback`)."""

    def on_epoch_end(self, **kwargs: Any) -> None:
        """Called after each epoch is recorded. ``**kwargs``: ``network``, ``history``, ``state`` and ``logs`` (the
        epoch's numbers by name, e.g. ``loss``, ``val_loss``); set ``state.stop_training = True`` to stop."""

    def on_train_end(self, **kwargs: Any) -> None:
        """Called once when the loop ends, however it ended. ``**kwargs``: ``network``, ``history`` and ``state``."""


def check_callbacks(callbacks: Any) -> list[Callback]:
    """``callbacks`` as a list, each a :class:`Callback` (one clear TypeError otherwise).

    The loop finds which hooks a callback overrides on its class, so a plain function or duck-typed object cannot stand
    in for a subclass.

    Parameters
    ----------
    callbacks : Callback, sequence of Callback or None
        What the fit was given.
    """
    if callbacks is None:
        return []
    if isinstance(callbacks, (str, bytes, Callback)) or not hasattr(callbacks, "__iter__"):
        raise TypeError(f"callbacks must be a list of hl.Callback objects. Received: {callbacks!r}; wrap one in a list: callbacks=[cb].")
    out = list(callbacks)
    for i, cb in enumerate(out):
        if isinstance(cb, type) and issubclass(cb, Callback):  # callbacks=[hl.CSVLogger]: "subclass hl.Callback" would be no fix
            raise TypeError(f"callbacks[{i}] is the class {cb.__name__}, not a callback made from it: "
                            f"pass callbacks=[{cb.__name__}({_example_arguments(cb)})].")
        if isinstance(cb, StoppingRule):  # Keras passes EarlyStopping as a callback; here a rule is a setting of its own
            raise TypeError(
                f"callbacks[{i}] is {cb!r}, a stopping rule, not a callback: pass it to hl.train(..., stopping={cb!r}); "
                "an estimator takes the same rules as its max_iter, loss_threshold, max_time and n_iter_no_change "
                "(with early_stopping=True for the validation score)."
            )
        if not isinstance(cb, Callback):
            raise TypeError(
                f"callbacks[{i}] is {cb!r}, not an hl.Callback: subclass hiddenlayers.Callback and override the hooks you need "
                "(on_train_begin, on_epoch_begin, on_batch_end, on_epoch_end, on_train_end)."
            )
        _check_hooks(i, cb)
    return out


def _example_arguments(cls: type) -> str:
    """The required arguments of ``cls(...)`` by name, for the fix in :func:`check_callbacks` (``CSVLogger`` -> ``path``)."""
    import inspect

    try:
        params = inspect.signature(cls).parameters.values()
    except (TypeError, ValueError):
        return ""
    kinds = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    return ", ".join(p.name for p in params if p.default is inspect.Parameter.empty and p.kind in kinds)


_HOOKS = ("on_train_begin", "on_epoch_begin", "on_batch_end", "on_epoch_end", "on_train_end")


def _check_hooks(i: int, cb: Callback) -> None:
    """Each hook ``cb`` overrides takes ``**kwargs`` (one TypeError naming the hook otherwise), before any step.

    Why: the loops call hooks with keywords only (``network=``, ``history=``, ``state=``, ``logs=``, and more as
    loops grow), so a Keras-style ``on_epoch_end(self, epoch, logs=None)`` failed after the first epoch had run,
    with Python's "unexpected keyword argument 'network'", which did not say what the hook should look like.
    """
    import inspect

    for name in _HOOKS:
        if getattr(type(cb), name, None) is getattr(Callback, name):
            continue  # not overridden: the base's do-nothing hook
        hook = getattr(cb, name)
        try:
            params = inspect.signature(hook).parameters.values()
        except (TypeError, ValueError):
            continue  # a callable whose signature Python cannot read: called as it is
        if not any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params):
            raise TypeError(
                f"callbacks[{i}] ({type(cb).__name__}).{name}{inspect.signature(hook)} must take **kwargs: the fit calls each "
                f"hook with keywords only (network=, history=, state=, and logs= at an epoch's end), not Keras' (epoch, logs); "
                f"define it as def {name}(self, **kwargs) and read what it needs, e.g. def on_epoch_end(self, *, logs, **kwargs)."
            )


__all__ = [
    "STOP_REASONS",
    "AnyOf",
    "Callback",
    "History",
    "check_callbacks",
    "LossBelow",
    "MaxEpochs",
    "NoImprovement",
    "StoppingRule",
    "TimeLimit",
    "TrainState",
    "time_limit",
    "held_at_start",
    "kept_weights",
    "warn_interrupted",
]
