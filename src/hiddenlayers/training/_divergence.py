"""When a training loss counts as diverged, and the one message that says so.

A NaN or infinite loss has diverged (Keras' ``TerminateOnNaN``, Lightning's
``check_finite``). So has a finite one that has exploded: an epoch's mean loss
above :data:`DIVERGENCE_FACTOR` times the history's start loss
(``History.start_loss``: the mean loss, L2 penalty included, of the first batch at the weights the
history's first run began from, an untrained network's loss for a fresh fit).
Lightning's ``divergence_threshold`` is the same test with a threshold the user
picks; here it follows from the start, so no setting is needed. A loss 10,000
times the untrained network's is no fit at all (its predictions are off by about
100 times the targets' scale, or its log loss is thousands of nats a row), and
an exploding run passes it within an epoch or two (RMSprop at rate 1e6 on
diabetes: 1e30 after one epoch; SGD at rate 10: 3e15), long before float32 reaches
inf; every bundled dataset x stochastic solver at default settings stays below 20 x its start
(the highest: SGD on raw wine, 18 x in its third epoch; ``tests/estimators/test_fit_divergence.py``). A loss that can be negative or 0 at the
start (a custom loss) is judged by finiteness only.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ._stopping import History

#: a finite epoch loss above this many times the start loss counts as diverged
DIVERGENCE_FACTOR = 1e4

#: the end of the messages' fix for a model whose gradients can be clipped by ``clip_grad_norm``
CLIP_FIX = "scale the inputs, or set clip_grad_norm"


def has_diverged(loss: float, start_loss: float | None) -> bool:
    """Whether an epoch's mean training ``loss`` has diverged: NaN/inf, or above :data:`DIVERGENCE_FACTOR` x ``start_loss``.

    Parameters
    ----------
    loss : float
        The epoch's mean training loss.
    start_loss : float or None
        The reference, when a positive finite number; None: not known (histories from before it was kept).
    """
    if not math.isfinite(loss):
        return True
    return start_loss is not None and math.isfinite(start_loss) and start_loss > 0 and loss > DIVERGENCE_FACTOR * start_loss


def divergence_words(loss: float, start_loss: float | None) -> str:
    """What the loss did, for a message: ``"the loss became inf"``, or ``"the loss grew to 3.3e+15, more than 10000 times
    its start (1.45e+04)"`` for a finite explosion."""
    if not math.isfinite(loss):
        return f"the loss became {loss}"
    return f"the loss grew to {loss:.3g}, more than {DIVERGENCE_FACTOR:g} times its start ({start_loss:.3g})"


def diverged_message(epoch: int, loss: float, start_loss: float | None, where: str, learning_rate_init: float, fix: str = CLIP_FIX) -> str:
    """The :class:`~hiddenlayers.exceptions.DivergedWarning`'s text: the epoch, what the loss did, the weights restored and the fix.

    Parameters
    ----------
    epoch : int
        The epoch that diverged.
    loss : float
        Its mean training loss.
    start_loss : float or None
        The history's reference loss.
    where : str
        The weights restored (from :func:`~._stopping.kept_weights`).
    learning_rate_init : float
        The step size, which the fix lowers first.
    fix : str
        The model's other remedies, e.g. ``"or lower max_grad_norm (now 5.0)"`` (default :data:`CLIP_FIX`).
    """
    return (f"training diverged at epoch {epoch}: {divergence_words(loss, start_loss)}; restored the weights of {where}. "
            f"Lower learning_rate_init (now {learning_rate_init}), {fix}.")


def no_usable_epoch(loss: float, start_loss: float | None, learning_rate_init: float, fix: str = CLIP_FIX, epoch: int = 1,
                    best_epoch: int | None = None) -> str:
    """The ``ValueError`` text of a fresh fit that diverged with nothing to fall back on.

    scikit-learn's words for a non-finite loss, then what the loss did and the fix (sklearn's words blame the data alone,
    where a step size too large is as likely), and for a finite explosion what the loss did and the fix (the weights are
    finite, so sklearn's "non-finite parameter weights" would not be true).

    Parameters
    ----------
    loss, start_loss, learning_rate_init, fix
        As :func:`diverged_message` takes them.
    epoch : int
        The epoch whose training loss diverged (1: the first). A later one has no usable epoch before it when the best
        weights are chosen by a held-out score and none of the earlier epochs had a finite one (an Autoencoder whose
        first step sent the weights to inf).
    best_epoch : int, optional
        The epoch judged best by its training loss whose weights proved diverged (the loop's ``_check_best``: one batch
        per epoch, the loss of epoch 1 is the untrained network's and its step exploded): the words name it instead of
        the held-out score.
    """
    why = f"the weights epoch {best_epoch} ended with had already diverged" if best_epoch else "none had a finite held-out score"
    when = "in the first epoch" if epoch <= 1 else f"at epoch {epoch}, and no earlier epoch is usable ({why})"
    if not math.isfinite(loss):
        return ("Solver produced non-finite parameter weights. The input data may contain large values and need to be preprocessed. "
                f"The loss became {loss} {when}: lower learning_rate_init (now {learning_rate_init}), {fix}.")
    if epoch <= 1:
        return (f"training diverged in its first epoch: {divergence_words(loss, start_loss)}, and no epoch is usable. "
                f"Lower learning_rate_init (now {learning_rate_init}), {fix}.")
    return (f"training diverged at epoch {epoch}: {divergence_words(loss, start_loss)}, and no earlier epoch is usable ({why}). "
            f"Lower learning_rate_init (now {learning_rate_init}), {fix}.")


def note_start_loss(history: History, batch_loss: float) -> None:
    """For a loop of its own: keep ``batch_loss`` as ``history.start_loss`` when it is the first batch of the history's first run.

    A warm run on a history that has epochs keeps the reference it has (None for a history from before it was kept: such
    a run is judged by finiteness only), as :func:`~._loop.train` does.

    Parameters
    ----------
    history : History
        The run's history (no epoch recorded, none kept yet: the first run).
    batch_loss : float
        A batch's mean loss at the weights before its step.
    """
    if history.start_loss is None and not history.epoch:
        history.start_loss = float(batch_loss)


def left_unusable(history: History) -> bool:
    """Whether the run on ``history`` diverged and left the network no epoch's weights (``held_epoch`` 0 or None: a fresh
    fit's untrained start), so that no epoch is usable: the rule :func:`refuse_unusable` raises on and the progress bar words."""
    return history.stop_reason == "diverged" and not history.held_epoch


def refuse_unusable(history: History, learning_rate_init: float, fix: str = CLIP_FIX) -> None:
    """Raise :func:`no_usable_epoch`'s ``ValueError`` when the run diverged and the weights it was left with are no epoch's.

    ``held_epoch`` 0: a fresh fit's untrained start. A warm run that falls back on the weights it began with has a
    usable epoch (its ``held_epoch`` is an earlier call's) and is kept, with the ``DivergedWarning`` alone. The caller
    raises before it sets a fitted attribute (or inside ``restored_on_error``), so the model stays as it was.

    Parameters
    ----------
    history : History
        The run's history.
    learning_rate_init, fix
        As :func:`diverged_message` takes them.
    """
    if left_unusable(history):
        raise ValueError(no_usable_epoch(history.train_loss[-1], history.start_loss, learning_rate_init, fix, epoch=history.epoch[-1] if history.epoch else 1,
                                         best_epoch=history.best_epoch))


__all__ = ["CLIP_FIX", "DIVERGENCE_FACTOR", "diverged_message", "divergence_words", "has_diverged", "left_unusable", "no_usable_epoch", "note_start_loss", "refuse_unusable"]
