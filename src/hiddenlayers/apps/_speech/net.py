"""``CTCNetwork``: sequence layers over MFCC frames and a softmax over the alphabet and the blank at every output frame.

The hidden layers are a :class:`~hiddenlayers.apps._seq.net.SequenceNetwork`'s, from the same
spec grammar (``conv64k5:same``, ``pool2``, ``lstm64:bi``, ``gru32``); every recurrent layer
returns all its steps (``:seq`` is implied), since CTC reads one distribution per frame. Layers
that summarise or flatten the time axis (dense, global pooling, flatten, embeddings) have no
place in such a stack and are refused by name. The head is one ``Linear`` applied frame by frame:
``(N, T', units) -> (N, T', symbols)`` raw scores, symbol 0 the blank.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from torch import Tensor, nn

from ...network import Dense, Embed, Flatten, GlobalPool, Recurrent, Spec
from .._seq.net import SequenceNetwork, step_lengths


def ctc_spec(spec: Any) -> Spec:
    """``spec`` with every recurrent layer returning every step; a layer that summarises or flattens time is a ValueError naming it."""
    layers = []
    for i, layer in enumerate(Spec.parse(spec), start=1):
        if isinstance(layer, Recurrent):
            layer = dataclasses.replace(layer, sequence=True)
        elif isinstance(layer, (Dense, GlobalPool, Flatten, Embed)):
            raise ValueError(
                f"hidden layer {i} ({layer.to_text()}) does not keep the time axis, but a speech recognizer reads one distribution per frame: "
                "use only conv1d, pooling and (bi)LSTM/GRU layers (e.g. 'conv64k5:same,lstm64:bi'); the per-frame softmax is added after them."
            )
        layers.append(layer)
    return Spec(tuple(layers))


class CTCNetwork(SequenceNetwork):
    """Frames ``(N, T, F)`` (whole NaN steps past each end are padding) -> per-frame scores ``(N, T', symbols)``.

    ``T'`` is ``T`` after the spec's convolutions and pooling (:meth:`output_lengths` gives each sample's own); scores
    past a sample's ``T'`` are padding.

    Parameters
    ----------
    in_features : int or tuple of int
        The per-frame shape, as :class:`~hiddenlayers.Network` takes it.
    spec : Spec, str or sequence
        The hidden layers (each keeps the time axis).
    out_features : int
        The symbols, blank included.
    activation, init
        As :class:`~hiddenlayers.Network` takes them.
    vocab_size : None
        Must stay None: a CTCNetwork reads feature frames, not token ids.
    """

    def __init__(self, in_features: Any, spec: Any, out_features: int, *, activation: str = "relu", init: str = "auto",
                 vocab_size: int | None = None) -> None:
        if vocab_size is not None:
            raise ValueError("a CTCNetwork reads feature frames (T, F), not token ids: vocab_size must be None.")
        super().__init__(in_features, ctc_spec(spec), out_features, activation=activation, init=init)
        width = self.hidden_shapes[-1][-1] if self.hidden_shapes else self.input_shape[-1]
        self.head = nn.Linear(width, self.out_features)  # per frame: the frame axis is kept

    @property
    def fixed_length(self) -> bool:
        """Always False: nothing flattens the time axis, so any length at or above :meth:`min_length` is read."""
        return False

    def output_lengths(self, lengths: Tensor) -> Tensor:
        """Each sample's output frames ``(N,)``.

        Parameters
        ----------
        lengths : torch.Tensor of shape (N,)
            Each sample's input frames.
        """
        for layer in self.hidden_layers:
            lengths = step_lengths(layer, lengths)
        return lengths

    def forward(self, x: Tensor, return_hidden: bool = False, lengths: Tensor | None = None) -> Any:
        """Raw per-frame scores ``(N, T', symbols)``, and with ``return_hidden`` every hidden layer's output too.

        Parameters
        ----------
        x : torch.Tensor of shape (N, T, F)
            A padded batch of frames (whole NaN steps past each end are padding).
        return_hidden : bool
            Return ``(scores, hidden)``: the list of every hidden layer's output from the same pass.
        lengths : torch.Tensor of shape (N,), optional
            Each sample's steps in ``x``; None: read from the NaN padding.
        """
        h, _, hidden = self.run_hidden(x, lengths, return_hidden)  # h: (N, T', units)
        out = self.head(h)  # (N, T', symbols) raw scores
        return (out, hidden) if return_hidden else out


__all__ = ["CTCNetwork", "ctc_spec"]
