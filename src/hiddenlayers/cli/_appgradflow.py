"""``train --app KIND --gradient-flow``: record the app network's gradient flow each epoch into its ``history_`` (kept in its file).

The callback is :class:`hiddenlayers.lens.GradientFlow`; its activation statistics run the network on a sample of the
training inputs (512 rows drawn with ``--seed``, as ``train --gradient-flow`` draws a table MLP's) in the network's input
form: ``hl.lens.as_target(app).prepared(rows)``, the preparation ``hl.lens.report`` uses (scaled rows, id codes, lag windows,
padded sequences; a Translator's ``(sources, targets)`` pairs as ``(N, 2, W)`` ids, read by its ``lens_network()`` view, whose
``encoder.*`` and ``decoder.*`` layers the records name). An app prepares its inputs inside ``fit`` (its scaler, vocabulary or id codes are learnt there), so the
sample is prepared at the end of the first epoch (the app's ``network_input`` where it has one), or, for an app whose
preprocessing exists only once ``fit`` returns, after it, each epoch's kept weights replayed on it (a SpeechRecognizer's: its padded frames, whose NaN steps mark each utterance's end
as its network reads them). A DQNAgent learns from play, not rows: it refuses the option in one line.
"""

from __future__ import annotations

import copy
from types import SimpleNamespace
from typing import Any

import numpy as np
from torch import nn

from ..exceptions import NotFittedError
from ..lens import GradientFlow, as_target
from ._common import UserError

#: apps with no training rows for the lens to feed their network -> why (the refusal's words)
REFUSED = {"agent": "a DQNAgent learns from play, not from rows of a data file, and has no epochs to record"}
#: rows of the training inputs the activation statistics use
ROWS = 512


def refuse_gradient_flow(app: str) -> None:
    """One line for ``--gradient-flow`` with an app in :data:`REFUSED`, naming why and what to do instead."""
    if app in REFUSED:
        raise UserError(f"--gradient-flow does not apply to train --app {app}: {REFUSED[app]}; drop --gradient-flow.")


class _Replay(GradientFlow):
    """A GradientFlow whose ``X`` is already the network's input (the app's NaN-padded sequences among them, which the network
    reads as each row's end), taken as it is, not prepared again as the base would: :meth:`AppGradientFlow.finish`'s probe of
    one kept epoch, and :class:`AppGradientFlow` itself (its ``X`` set by :meth:`~AppGradientFlow._prepare`)."""

    def _network_rows(self) -> Any:
        return self.X


class AppGradientFlow(_Replay):
    """A :class:`~hiddenlayers.lens.GradientFlow` for an application: ``raw`` (rows as the app's ``fit`` takes them) is turned
    into the network's input by ``app`` when the first epoch ends, and used from then on.

    An app that sets its preprocessing only when ``fit`` returns (an Autoencoder's scaling, a Recommender's id codes: its
    ``network_input`` says it is not fitted yet) cannot prepare them mid-fit: then each epoch's weights are kept (a CPU copy)
    and :meth:`finish`, called once ``fit`` has returned, adds every epoch's activation statistics to its record.
    """

    def __init__(self, app: Any, raw: Any) -> None:
        super().__init__(None, max_rows=ROWS)
        self.app, self.raw = app, raw
        self.replay: list[tuple[int, dict[str, Any]]] = []  # (epoch, its weights) while the app cannot prepare ``raw`` yet
        self.network: nn.Module | None = None
        super().set_estimator(app)  # the base's binding: a Translator's network read through its lens view (encoder.*, decoder.*)

    def on_train_end(self, **kwargs: Any) -> None:
        """The base's end of a fit, which forgets the bound app; this callback's app stays bound (it was given when it was made,
        and a fit in phases, or :meth:`finish`'s replay, reads the same network again)."""
        super().on_train_end(**kwargs)
        super().set_estimator(self.app)

    def _prepare(self) -> None:
        """``raw`` as the network's input, once: the app's public ``network_input`` where it has one, else the lens's
        preparation (``as_target(app).prepared``: an ImageClassifier's, a SequenceClassifier's checked arrays)."""
        if self.X is None and self.raw is not None:
            prepare = getattr(self.app, "network_input", None)
            self.X = prepare(self.raw) if prepare is not None else as_target(self.app).prepared(self.raw)
            self.raw = None

    def on_epoch_end(self, **kwargs: Any) -> None:
        network, history = self._lens_view(kwargs).get("network"), kwargs.get("history")
        if network is not None and self.X is None and self.raw is not None:
            try:
                self._prepare()
            except NotFittedError:  # the app's preprocessing exists only once fit returns: replayed by finish()
                if history is not None and history.epoch:
                    self.network = network
                    self.replay.append((int(history.epoch[-1]), {k: v.detach().to("cpu", copy=True) for k, v in network.state_dict().items()}))
        super().on_epoch_end(**kwargs)

    def finish(self) -> None:
        """After ``fit`` returned: each kept epoch's weights run on the prepared sample, their activation statistics added to
        that epoch's record (the same records the app's ``history_`` holds); the gradient and weight figures stay the fit's."""
        if not self.replay or self.network is None:
            return
        self._prepare()
        network = copy.deepcopy(self.network)  # the app's own network keeps its final weights
        by_epoch = {int(r["epoch"]): r for r in self.records}
        for epoch, weights in self.replay:
            network.load_state_dict(weights)
            probe = _Replay(None, layers=self.layers, max_rows=self.max_rows)
            probe.X = self.X  # the app's own input form, set as __init__ sets it: a padded sequence's NaN steps are no bad rows
            probe.on_epoch_end(network=network, history=SimpleNamespace(epoch=[epoch], extra={}))
            record = by_epoch.get(epoch)
            if record is None or not probe.records:
                continue
            for name, stats in probe.records[-1]["layers"].items():
                layer = record["layers"].setdefault(name, {})
                for key, value in stats.items():
                    layer.setdefault(key, value)
        self.replay, self.network = [], None


def sample_rows(X: Any, seed: int, rows: int = ROWS) -> Any:
    """At most ``rows`` of ``X`` (a DataFrame, an array or a list: what the app's ``fit`` takes; or a tuple of such, a
    Translator's ``(sources, targets)``, the same rows of each), drawn at random with ``seed``, in order."""
    if isinstance(X, tuple):
        return tuple(sample_rows(part, seed, rows) for part in X)  # one length, one seed: the same positions in each part
    n = len(X)
    if n <= rows:
        return X
    idx = np.sort(np.random.default_rng(seed).permutation(n)[:rows])
    if hasattr(X, "iloc"):
        return X.iloc[idx]
    if isinstance(X, np.ndarray):
        return X[idx]
    return [X[i] for i in idx]


def add_gradient_flow(app: str, model: Any, X: Any, seed: int) -> AppGradientFlow:
    """Add an :class:`AppGradientFlow` to ``model``'s callbacks, on a sample of its training inputs ``X``; returned, for its
    :meth:`~AppGradientFlow.finish` once ``fit`` has returned.

    A Forecaster's ``X`` is its series, whose network input is every lag window: the whole series is kept and
    GradientFlow draws ``ROWS`` of the windows; other apps' rows are sampled here.
    """
    raw = X if app == "forecaster" else sample_rows(X, seed)
    flow = AppGradientFlow(model, raw)
    model.set_params(callbacks=[*(model.callbacks or []), flow])
    return flow


def recorded_epochs(model: Any) -> int:
    """How many epochs of gradient flow ``model.history_`` holds."""
    history = getattr(model, "history_", None)
    return len((getattr(history, "extra", None) or {}).get("gradient_flow", []))


__all__ = ["AppGradientFlow", "REFUSED", "add_gradient_flow", "recorded_epochs", "refuse_gradient_flow", "sample_rows"]
