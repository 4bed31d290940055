"""Watch the hidden units' maps change during training (TensorFlow Playground style).

:class:`Timelapse` records, at epoch 0 (the starting weights) and at the end
of every ``every``-th epoch, each selected hidden unit evaluated on a grid over
one fixed input plane (see ``_plane``: fitted once, at the first frame, so the
frames line up), the output map, and the epoch's training loss and validation
score. ``save(path)`` writes one self-contained HTML page with a slider and a
play button; :attr:`Timelapse.frames`, :meth:`Timelapse.to_frame`,
:meth:`Timelapse.maps` and :meth:`Timelapse.plot` give the numbers and a
figure. It is a training callback of the estimators, or, in your own PyTorch
loop, ``with tl.epoch(model):`` around each epoch and ``tl.step(loss)`` after
each batch:

>>> import torch, hiddenlayers as hl
>>> from sklearn.datasets import make_moons
>>> X, y = make_moons(200, noise=0.2, random_state=0)
>>> Xt, yt = torch.tensor(X, dtype=torch.float32), torch.tensor(y, dtype=torch.float32)
>>> torch.manual_seed(0)  # doctest: +ELLIPSIS
<torch._C.Generator object at ...>
>>> model = torch.nn.Sequential(torch.nn.Linear(2, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1))
>>> opt = torch.optim.Adam(model.parameters(), lr=0.05)
>>> tl = hl.lens.Timelapse(X, y, layers=["1"], resolution=20)
>>> for _ in range(3):
...     with tl.epoch(model):
...         for i in range(0, 200, 50):
...             opt.zero_grad()
...             loss = torch.nn.functional.binary_cross_entropy_with_logits(model(Xt[i:i + 50])[:, 0], yt[i:i + 50])
...             loss.backward()
...             opt.step()
...             tl.step(loss)
>>> tl.epochs, tl.maps("1").shape
([0, 1, 2, 3], (4, 8, 20, 20))
"""

from __future__ import annotations

import hashlib
import math
import numbers
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import torch
from torch import nn

from ..training import Callback, held_at_start
from ._grid_pass import RowOutputs, dead_on_rows, grid_pass
from ._plane import PLANE_MAX_ROWS, Plane, fit_plane, plane_rows
from ._record import NonFiniteActivations
from ._select import Selector
from ._target import as_target, check_max_rows, n_rows, require_finite, take_rows

#: the most grid points per side: 128² points per frame already draws every unit finer than the page shows it
MAX_RESOLUTION = 128


@dataclass(frozen=True)
class TimelapseFrame:
    """One recorded epoch over the plane: grid row = the plane's second axis (bottom to top), column = the first.

    Attributes
    ----------
    epoch : int
        The epoch (0: the starting weights).
    train_loss : float
        Its training loss (NaN where there is none: epoch 0).
    val_score : float
        Its validation score (NaN without validation).
    maps : dict of str to numpy.ndarray
        ``maps[layer]`` ``(units, res, res)``.
    output : numpy.ndarray of shape (res, res)
        P(positive class), the predicted class's index in ``classes``, or the first output value (see
        :attr:`Timelapse.output_kind`).
    rows : dict or None
        Per layer, the outputs on the plane's data rows with their activation (for :attr:`Timelapse.died`); None where
        not kept.
    """

    epoch: int
    train_loss: float
    val_score: float
    maps: dict[str, np.ndarray]
    output: np.ndarray
    #: the layers' outputs on the timelapse's rows, kept for the first and the latest frame only (:attr:`Timelapse.died`)
    rows: RowOutputs | None = field(default=None, repr=False, compare=False)


def _whole(value: Any, name: str, low: int, high: int | None = None) -> int:
    ok = isinstance(value, numbers.Integral) and not isinstance(value, bool) and low <= int(value) and (high is None or int(value) <= high)
    if not ok:
        allowed = f"an integer >= {low}" if high is None else f"an integer from {low} to {high}"
        raise ValueError(f"{name} must be {allowed}. Received: {name}={value!r}.")
    return int(value)


def _rows(X: Any, idx: np.ndarray | None) -> np.ndarray:
    """Rows ``idx`` of ``X`` (None: all) as a ``(n, features)`` NumPy array; one-line errors for what has no plane."""
    X = take_rows(X, idx)
    if isinstance(X, torch.Tensor):
        X = X.detach().cpu().numpy()
    elif hasattr(X, "toarray"):
        X = X.toarray()
    elif hasattr(X, "to_numpy"):
        X = X.to_numpy()
    Xa = np.asarray(X)
    if Xa.dtype.kind not in "biuf":
        raise ValueError(
            f"Timelapse needs real-valued input rows; X holds {Xa.dtype} values (text or ids), which have no plane between them: "
            "watch a model that reads numeric features."
        )
    if Xa.ndim != 2:
        raise ValueError(f"Timelapse needs tabular X of shape (n_rows, n_features). Received shape {Xa.shape}.")
    if Xa.shape[1] < 2:
        raise ValueError(
            f"Timelapse needs X with 2 or more features to draw maps over a plane. Received {Xa.shape[1]} feature: "
            "plot each unit's output against that one feature instead (hl.lens.record on a sorted X)."
        )
    if Xa.shape[0] < 2:
        raise ValueError(f"Timelapse fits its plane to 2 or more rows of X. Received {Xa.shape[0]} row.")
    require_finite(Xa)
    return Xa


def _labels(y: Any, n: int) -> tuple[np.ndarray | None, np.ndarray | None]:
    """``(y as an array, its sorted classes)``; classes None for continuous or multi-output targets (``type_of_target``)."""
    if y is None:
        return None, None
    from sklearn.utils.multiclass import type_of_target

    ya = np.asarray(y.detach().cpu().numpy() if isinstance(y, torch.Tensor) else y)
    if ya.ndim == 0 or ya.shape[0] != n:
        raise ValueError(f"y must have one target per row of X: X has {n} rows, y has shape {ya.shape}.")
    return ya, (np.unique(ya) if type_of_target(ya) in ("binary", "multiclass") else None)


class Timelapse(Callback):
    """Frames of every hidden unit's map over a fixed input plane, during training: a page with a slider, or arrays.

    Cost: one forward pass over ``resolution²`` grid points and the plane's rows per frame (the rows' outputs of the
    first and the latest frame are kept, ``4·units·rows`` bytes each, for :attr:`died`), with no gradient and no
    statistics, on the training device: about 2–3 ms per frame on the CPU at resolution 30. Measured on a (16, 8)
    MLPClassifier, 1000 make_moons rows, 200 epochs (2 shared cores, medians of 9 fits): 0.25 s alone, 0.66 s with a
    frame every epoch (2.6x: each epoch is only ~1.3 ms), 0.38 s with ``every=5`` (1.5x). Memory:
    ``4·units·resolution²`` bytes per frame (29 KB for 8 units at 30). The page: 0.7 MB for 60 frames of an (8, 8)
    network at resolution 30, 1.2 MB at 60. Training is not disturbed: the pass runs in eval mode (every submodule's mode
    put back after, also on error) under ``torch.inference_mode`` and draws no random numbers, so the fitted weights are
    bit-identical to a fit without it.

    A second fit from scratch starts a new timelapse (same plane); a warm fit goes on (an L-BFGS warm fit too: its
    ``history_`` goes on). A run whose history starts over at epoch 1 on the very network and weights the last fit ended
    with (``train`` called again on the same module without its history) goes on too, its epochs numbered after the last
    one seen, so they differ from that call's own history's epochs.

    Parameters
    ----------
    X : array-like of shape (n, features)
        Real-valued rows as the network reads them (an estimator's ``fit`` X; for an application whose network reads
        other rows, such as an Autoencoder's standardised ones, its raw rows with ``epoch(app)``), 2 or more features.
    y : array-like of shape (n,), optional
        Targets: class labels make the output map the probability of the positive class (one output column, read as a
        logit) or the predicted class (one column per class), and colour the data points; without them, for continuous
        targets, or when the network's outputs do not match the classes (a regressor fitted to whole numbers), the
        output map is the first output value.
    every : int
        A frame at epoch 0 and every ``every``-th epoch, and at the last epoch.
    layers : selector, optional
        As :func:`~hiddenlayers.lens.record` takes them (None: a Network's hidden layers, else every leaf module).
    resolution : int
        Grid points per side of the plane.
    max_frames : int
        When a frame more would exceed it, every second frame is dropped (the frames then are every ``2·every``-th
        epoch, then ``4·every``, ...) and :attr:`note` says so.
    max_rows : int, optional
        Above this many rows, a seeded random sample of them fits the plane, as in
        :func:`~hiddenlayers.lens.neuron_maps` (same rule, same default), so the last frame is ``neuron_maps`` of the
        fitted model; None: every row.
    """

    def __init__(self, X: Any, y: Any = None, *, every: int = 1, layers: Selector = None, resolution: int = 30,
                 max_frames: int = 60, max_rows: int | None = PLANE_MAX_ROWS) -> None:
        self.every = _whole(every, "every", 1)
        self.resolution = _whole(resolution, "resolution", 2, MAX_RESOLUTION)
        self.max_frames = _whole(max_frames, "max_frames", 2)
        self.max_rows = check_max_rows(max_rows, 2, " (the plane is fitted to at least 2 rows)")
        n = n_rows(X)
        labels, self.classes = _labels(y, n)
        idx = plane_rows(n, self.max_rows)  # the rows neuron_maps(model, X, max_rows=max_rows) fits its plane to
        self.X = _rows(X, idx)
        self.labels = labels if labels is None or idx is None else labels[idx]  # the rows of X kept, for the points' colours
        #: what the output map holds: "probability" (of the last class: one logit column), "class" (index into classes), "value"
        self.output_kind = "class" if self.classes is not None else "value"
        self.layers = layers
        self.plane: Plane | None = None
        self.curve: list[tuple[int, float, float]] = []  # every epoch seen: (epoch, train loss, validation score)
        self.held_epoch: int | None = None  # the epoch whose weights the fit kept, when not its last one
        self._held_note = ""  # held_epoch in words: which weights and why
        self._offset = 0  # added to the fit's epochs: a fit that went on from the last one with a fresh history
        self._began = 0  # the epoch whose weights this fit began with (numbered as the frames are)
        self._ended: tuple[Any, str, int] | None = None  # as the last fit ended: (weak reference to the network, digest of its weights, epoch held)
        self.skipped: list[int] = []  # epochs whose activations were not finite (a diverging run): no frame
        self._frames: list[TimelapseFrame] = []
        self._grid = np.empty((0, self.X.shape[1]), dtype=np.float32)
        self._stride = 1
        self._open: _OpenEpoch | None = None
        self._prepared = False  # X turned into a model's network input (epoch(model) given an estimator or application)

    def __repr__(self) -> str:
        """The arguments, the plane's rows by their shape: an estimator's repr shows its callbacks (it showed ``<... object at 0x...>``)."""
        layers = self.layers.__qualname__ if isinstance(self.layers, type) else repr(self.layers)
        return (f"Timelapse(X=<{'x'.join(map(str, np.shape(self.X)))} rows>, y={'None' if self.labels is None else '<labels>'}, "
                f"every={self.every}, layers={layers}, resolution={self.resolution}, max_frames={self.max_frames}, max_rows={self.max_rows})")

    # ------------------------------------------------------------------ results

    @property
    def frames(self) -> list[TimelapseFrame]:
        """The recorded frames, oldest first (a new list; the frames themselves are read-only records)."""
        return list(self._frames)

    @property
    def epochs(self) -> list[int]:
        """The recorded frames' epochs."""
        return [f.epoch for f in self._frames]

    @property
    def note(self) -> str:
        """What was left out: thinned frames and the weights the fit kept, one sentence each; ``""`` when nothing."""
        parts = []
        if self._stride > 1:
            parts.append(f"More than max_frames={self.max_frames} frames: every second one was dropped, "
                         f"so there is a frame every {self.every * self._stride} epochs (and at the last).")
        if self.held_epoch is not None:
            parts.append(self._held_note or f"The fit kept the weights of epoch {self.held_epoch}, not of its last epoch.")
        if self.skipped:
            parts.append(f"No frame for epoch(s) {', '.join(map(str, self.skipped))}: the activations were not finite.")
        died = self.died
        if died:
            n = sum(len(u) for u in died.values())
            which = "; ".join(f"{layer} unit{'s' if len(u) > 1 else ''} {', '.join(map(str, u))}" for layer, u in died.items())
            parts.append(f"{n} unit{'s' if n > 1 else ''} died during training (alive on the rows at epoch {self._frames[0].epoch}, "
                         f"dead at epoch {self._frames[-1].epoch}): {which}.")
        return " ".join(parts)

    @property
    def died(self) -> dict[str, list[int]]:
        """``{layer: [unit, ...]}``: units alive on the timelapse's rows in the first frame and dead in the last (the lens's
        rule: a ReLU unit never active, another constant; on rows enough to say so); layers with none left out."""
        if len(self._frames) < 2 or self._frames[0].rows is None or self._frames[-1].rows is None:
            return {}  # the first frame thinned away (a warm fit's, not epoch 0): nothing to compare with
        first, last = dead_on_rows(self._frames[0].rows), dead_on_rows(self._frames[-1].rows)
        out = {n: np.flatnonzero(~first[n] & last[n]).tolist() for n in last if n in first and first[n].shape == last[n].shape}
        return {n: u for n, u in out.items() if u}

    def maps(self, layer: str) -> np.ndarray:
        """``(frames, units, res, res)``: one layer's unit maps at every recorded epoch.

        Parameters
        ----------
        layer : str
            The layer.
        """
        if not self._frames:
            raise ValueError("Timelapse has no frames yet: train with it first (callbacks=[tl], or `with tl.epoch(model):`).")
        names = list(self._frames[-1].maps)
        if layer not in names:
            raise ValueError(f"layer {layer!r} was not recorded; recorded layers: {', '.join(names)}.")
        return np.stack([f.maps[layer] for f in self._frames])

    def to_frame(self) -> Any:
        """The frames as a pandas DataFrame: ``epoch``, ``train_loss``, ``val_score`` (one row per frame)."""
        import pandas as pd

        return pd.DataFrame([(f.epoch, f.train_loss, f.val_score) for f in self._frames], columns=["epoch", "train_loss", "val_score"])

    def frame(self, epoch: int | None = None) -> TimelapseFrame:
        """The frame of ``epoch``; an epoch with no frame is a ValueError listing those there are.

        Parameters
        ----------
        epoch : int, optional
            The epoch (None: the last).
        """
        if not self._frames:
            raise ValueError("Timelapse has no frames yet: train with it first (callbacks=[tl], or `with tl.epoch(model):`).")
        if epoch is None:
            return self._frames[-1]
        for f in self._frames:
            if f.epoch == epoch:
                return f
        raise ValueError(f"epoch {epoch!r} has no frame; recorded epochs: {', '.join(map(str, self.epochs))}.")

    def plot(self, epoch: int | None = None) -> Any:
        """One frame as a matplotlib Figure (Agg, no pyplot): output map, loss curve marked at ``epoch``, each unit's map.

        Parameters
        ----------
        epoch : int, optional
            The frame's epoch (None: the last).
        """
        from ._timelapse_view import frame_figure

        return frame_figure(self, self.frame(epoch))

    def html(self, title: str = "Training timelapse") -> str:
        """The self-contained page :meth:`save` writes (inline PNG frames and SVG, one small inline script).

        Parameters
        ----------
        title : str
            The page's title.
        """
        from ._timelapse_view import page

        if not self._frames:
            raise ValueError("Timelapse has no frames yet: train with it first (callbacks=[tl], or `with tl.epoch(model):`).")
        return page(self, title)

    def save(self, path: Any, title: str = "Training timelapse") -> None:
        """Write :meth:`html` to ``path`` atomically (temp file beside it, then rename); a folder is refused.

        About 0.7 MB for 60 frames of an (8, 8) network at resolution 30 (1.7 MB: 100 frames of (16, 8)).

        Parameters
        ----------
        path : str or PathLike
            The HTML file to write.
        title : str
            The page's title.
        """
        from .._html import write_page

        write_page(path, self.html(title), example="timelapse.html")

    # ------------------------------------------------------------------ recording

    def _due(self, epoch: int) -> bool:
        return epoch % (self.every * self._stride) == 0

    def _capture(self, module: nn.Module, epoch: int, loss: float, val: float) -> None:
        """Record the frame of ``epoch`` from ``module`` as it is now, then thin the frames when over ``max_frames``."""
        if self._frames and self._frames[-1].epoch == epoch:
            return
        if self.X.dtype.kind != "f" and any(isinstance(m, (nn.Embedding, nn.EmbeddingBag)) for m in module.modules()):
            raise ValueError(
                f"Timelapse cannot draw maps for {type(module).__name__}: it reads integer ids (embeddings), "
                "which have no plane between them; watch a model that reads numeric features."
            )
        if self.plane is None:
            self.plane = fit_plane(self.X, self.resolution)
            self._grid = self.plane.grid().astype(np.float32)  # (res², features), as neuron_maps feeds it
        try:
            maps, out, rows = grid_pass(module, self._grid, self.layers, self.resolution, rows=self.X)  # and on the data's rows
        except NonFiniteActivations:
            self.skipped.append(epoch)
            return
        if len(self._frames) > 1:
            self._frames[-1] = replace(self._frames[-1], rows=None)  # no longer the latest: only the first and last are compared
        self._frames.append(TimelapseFrame(epoch, loss, val, maps, self._output(out), rows))
        while len(self._frames) > self.max_frames:
            self._stride *= 2
            last = self._frames[-1]
            self._frames = [f for f in self._frames[:-1] if self._due(f.epoch)] + [last]

    def _output(self, out: Any) -> np.ndarray:
        """The output map ``(res, res)`` from the network's raw outputs on the grid."""
        res = self.resolution
        if out is None:
            return np.full((res, res), np.nan, dtype=np.float32)
        z = np.asarray(out, dtype=np.float64).reshape(res * res, -1)
        if self.classes is not None:  # class labels: one column is a binary logit, one column per class are scores
            if z.shape[1] == 1 and len(self.classes) == 2:
                self.output_kind = "probability"
            elif z.shape[1] == len(self.classes):
                self.output_kind = "class"
            else:  # whole-number targets of a regressor (type_of_target says 'multiclass'): not class labels of this network
                self.classes, self.output_kind = None, "value"
        if self.output_kind == "probability":
            v = 1.0 / (1.0 + np.exp(-z[:, 0]))
        elif self.output_kind == "class":
            v = z.argmax(1).astype(np.float64)  # index into classes
        else:
            v = z[:, 0]
        return v.reshape(res, res).astype(np.float32)

    @property
    def output_label(self) -> str:
        """What the output map shows, in words."""
        if self.output_kind == "probability" and self.classes is not None:
            return f"P(y = {self.classes[-1]})"
        return {"class": "predicted class", "probability": "P(positive class)"}.get(self.output_kind, "output (first column)")

    # ------------------------------------------------------------------ the fit loop's callback hooks

    def on_train_begin(self, **kwargs: Any) -> None:
        network, history = kwargs.get("network"), kwargs.get("history")
        if network is None:
            return
        start = int(history.epoch[-1]) if history is not None and history.epoch else 0
        if start == 0 and (self._frames or self.curve):
            if self._goes_on(network):  # a fresh history on the weights the last fit ended with (a warm L-BFGS call): go on
                self._offset = max([e for e, _, _ in self.curve] + self.epochs)
                self._began = self._ended[2] if self._ended is not None else self._offset
                return
            # a new fit from scratch (not warm_start): a new timelapse, same plane
            self._frames, self.curve, self.skipped, self.held_epoch, self._stride, self._offset = [], [], [], None, 1, 0
        if start == 0:
            self._offset = 0
        self._began = self._offset + ((held_at_start(history) or 0) if history is not None else 0)
        start += self._offset
        if start not in self.epochs and self._due(start):
            loss = float(history.train_loss[-1]) if start and history is not None else math.nan
            val = float(history.val_score[-1]) if start and history is not None else math.nan
            self._capture(network, start, loss, val)

    def on_epoch_end(self, **kwargs: Any) -> None:
        network, history = kwargs.get("network"), kwargs.get("history")
        if network is None or history is None or not history.epoch:
            return
        epoch, loss, val = self._offset + int(history.epoch[-1]), float(history.train_loss[-1]), float(history.val_score[-1])
        self.curve.append((epoch, loss, val))
        if self._due(epoch):
            self._capture(network, epoch, loss, val)

    def on_train_end(self, **kwargs: Any) -> None:
        network, history = kwargs.get("network"), kwargs.get("history")
        if network is None:
            return
        if history is None or not history.epoch:
            self._ended = (weakref.ref(network), _digest(network), self._began)
            return
        last = self._offset + int(history.epoch[-1])
        held = None if history.held_epoch is None else self._offset + int(history.held_epoch)
        self._ended = (weakref.ref(network), _digest(network), last if held is None else held)
        if held is not None and held != last:
            self.held_epoch = held  # the network holds an earlier epoch's weights: no frame of them as "last"
            self._held_note = _held_sentence(held, self._began, history.stop_reason)
            return
        self.held_epoch, self._held_note = None, ""  # this fit ended on its last epoch: an earlier fit's held epoch no longer holds
        if last not in self.epochs:
            self._capture(network, last, float(history.train_loss[-1]), float(history.val_score[-1]))

    def _goes_on(self, network: nn.Module) -> bool:
        """Whether ``network`` is the module the last fit ended with, holding the same weights (not re-initialised)."""
        if self._ended is None:
            return False
        ref, digest, _ = self._ended
        return ref() is network and _digest(network) == digest

    # ------------------------------------------------------------------ your own loop

    @contextmanager
    def epoch(self, model: Any) -> Iterator[Timelapse]:
        """One epoch of your own loop: call :meth:`step` after each batch (or :meth:`log` once) inside.

        The first call records epoch 0 (the starting weights) first. On a clean exit the epoch's loss is kept and, on a due
        epoch, a frame is recorded (epochs numbered from 1); when the block raises, nothing is kept.

        Parameters
        ----------
        model : torch.nn.Module, estimator or application
            The module being trained, or a fitted estimator or application whose network (``network_``) you train on: then
            ``X`` is the model's raw rows, turned into what its network reads as the lens' other functions turn them (an
            Autoencoder's standardised rows), once, before the plane is fitted.
        """
        model = self._module_of(model)
        if self._open is not None:
            raise RuntimeError("Timelapse.epoch() is already open: epochs cannot nest; close the previous `with tl.epoch(model):` first.")
        number = self.curve[-1][0] + 1 if self.curve else 1
        if not self.curve and not self._frames:
            self._capture(model, 0, math.nan, math.nan)
        self._open = _OpenEpoch()
        try:
            yield self
            loss, val = self._open.result()
            self.curve.append((number, loss, val))
            if self._due(number):
                self._capture(model, number, loss, val)
        finally:
            self._open = None

    def _module_of(self, model: Any) -> nn.Module:
        """The module ``epoch`` watches; for an estimator or application, ``X`` becomes its network's input rows (once)."""
        if isinstance(model, nn.Module):
            return model
        if not hasattr(model, "get_params"):
            raise TypeError("Timelapse.epoch takes the torch.nn.Module being trained, or a fitted estimator or application of hiddenlayers. "
                            f"Received: {type(model).__name__}.")
        target = as_target(model)
        if target.prepare is not None and self.plane is None and not self._prepared:
            self.X = _rows(target.prepared(self.X), None)  # the rows the network reads: the plane lies among them, as neuron_maps' does
            self._grid = np.empty((0, self.X.shape[1]), dtype=np.float32)
            self._prepared = True
        return target.module

    def step(self, loss: Any, n: int = 1) -> None:
        """Add one batch's mean loss (read once at the epoch's end), weighted by its rows.

        Parameters
        ----------
        loss : float or torch.Tensor
            The batch's mean loss (a float or a 0-d tensor).
        n : int
            The batch's rows.
        """
        if self._open is None:
            raise RuntimeError("Timelapse.step() was called outside an epoch: wrap each epoch's steps in `with tl.epoch(model):`.")
        self._open.add(loss, n)

    def log(self, *, loss: float | None = None, val_score: float | None = None) -> None:
        """Set this epoch's training loss and/or validation score (instead of, or besides, :meth:`step`).

        Parameters
        ----------
        loss : float, optional
            The epoch's training loss.
        val_score : float, optional
            The epoch's validation score.
        """
        if self._open is None:
            raise RuntimeError("Timelapse.log() was called outside an epoch: call it inside `with tl.epoch(model):`.")
        if loss is not None:
            self._open.loss = float(loss)
        if val_score is not None:
            self._open.val = float(val_score)


def _digest(module: nn.Module) -> str:
    """A hash of every parameter's and buffer's values: the same module object with new weights is a new fit."""
    h = hashlib.blake2b(digest_size=16)
    for t in (*module.parameters(), *module.buffers()):
        h.update(t.detach().cpu().contiguous().reshape(-1).view(torch.uint8).numpy().tobytes())
    return h.hexdigest()


def _held_sentence(held: int, began: int, reason: str | None) -> str:
    """Which weights the fit kept instead of its last epoch's, and why, in one sentence (the epoch numbered as the frames)."""
    why = {"diverged": "the loss diverged", "interrupted": "training was interrupted (Ctrl-C)"}.get(reason or "")
    if held == began:
        what = "its starting weights (epoch 0)" if held == 0 else f"the weights it began with (epoch {held})"
        cause = f"{why} before any epoch improved on them" if why else "none of its epochs improved on them"
        return f"The fit kept {what}, not those of its last epoch: {cause}."
    best = f"the best before {why}" if why else "the best"
    return f"The fit kept the weights of epoch {held} ({best}), not of its last epoch."


class _OpenEpoch:
    """One epoch of the user's loop: the batches' summed losses (kept as tensors: no host sync per step)."""

    def __init__(self) -> None:
        self.total: Any = 0.0
        self.rows = 0
        self.loss: float | None = None
        self.val = math.nan

    def add(self, loss: Any, n: int) -> None:
        _whole(n, "n", 1)
        self.total = self.total + (loss.detach().double() if isinstance(loss, torch.Tensor) else float(loss)) * n
        self.rows += n

    def result(self) -> tuple[float, float]:
        if self.loss is not None:
            return self.loss, self.val
        return (float(self.total) / self.rows if self.rows else math.nan), self.val


__all__ = ["TimelapseFrame", "Timelapse"]
