"""``SequenceNetwork``: a :class:`~hiddenlayers.Network` whose sequence layers respect each sample's length.

Sequences of different lengths travel in one padded tensor that says where
each one ends, so the training loop, the lens and ``network_(x)`` need no
side channel:

* token ids ``(N, T)`` int64 are padded with id ``0`` (real ids are >= 1);
* feature frames ``(N, T, F)`` float are padded with whole steps of NaN
  (inputs are checked finite, so NaN can only mean "no step here").

Inside, padding never changes a sample's result: recurrent layers return
each sequence's state at its own last step (a ``PackedSequence`` when bidirectional),
convolution, pooling and embedding outputs are zeroed past each sample's
length (so a following convolution sees the same zeros as its own padding),
and global pooling averages or takes the maximum over real steps only.
Dense layers that flatten the time axis need every sequence to have the
fitted length (:attr:`SequenceNetwork.fixed_length`).
"""

from __future__ import annotations

from typing import Any, cast

import torch
from torch import Tensor, nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from ...network import ConvLayer, EmbedLayer, FlatDense, GlobalPoolLayer, LayerSpec, Network, PoolLayer, RecurrentLayer


def _first(v: Any) -> int:
    return int(v[0]) if isinstance(v, (tuple, list)) else int(v)


def step_lengths(module: nn.Module, lengths: Tensor) -> Tensor:
    """Each sample's number of real steps after ``module`` (conv and pooling shorten sequences)."""
    if isinstance(module, ConvLayer):
        conv = module.conv
        if conv.padding == "same":
            return lengths
        k, s, p, d = _first(conv.kernel_size), _first(conv.stride), _first(conv.padding), _first(conv.dilation)
        return torch.div(lengths + 2 * p - d * (k - 1) - 1, s, rounding_mode="floor") + 1
    if isinstance(module, PoolLayer):
        k, s = _first(module.pool.kernel_size), _first(module.pool.stride)
        return torch.div(lengths - k, s, rounding_mode="floor") + 1
    return lengths


def zero_padding(h: Tensor, lengths: Tensor) -> Tensor:
    """``h`` ``(N, T, C)`` with every step at or past a sample's length set to 0."""
    steps = torch.arange(h.shape[1], device=h.device)
    keep = steps[None, :] < lengths.to(h.device)[:, None]  # (N, T)
    return h * keep[..., None].to(h.dtype)


class _Masked:
    """Mixin: run the layer, then zero its output past each sample's new length."""

    def output_lengths(self, lengths: Tensor) -> Tensor:
        """Each sample's real steps in this layer's output, ``(N,)``, given its input's: the lens counts only those steps."""
        return step_lengths(cast(nn.Module, self), lengths)

    def forward(self, x: Tensor, lengths: Tensor | None = None) -> Tensor:
        h = super().forward(x)  # type: ignore[misc]
        if lengths is None or h.ndim != 3:
            return h
        return zero_padding(h, step_lengths(self, lengths))  # type: ignore[arg-type]


class MaskedEmbed(_Masked, EmbedLayer):
    """:class:`EmbedLayer` whose output is 0 at padding."""


class MaskedConv(_Masked, ConvLayer):
    """1-D :class:`ConvLayer` whose output is 0 past each sample's length."""


class MaskedPool(_Masked, PoolLayer):
    """1-D :class:`PoolLayer` whose output is 0 past each sample's length."""


class PackedRecurrent(RecurrentLayer):
    """:class:`RecurrentLayer` whose result at each sample's end ignores the padding after it.

    One direction reads steps in order, so steps after a sample's end cannot
    change its earlier outputs: the layer runs on the padded batch and takes
    the output at each sample's last step (on one CPU thread this is ~5x
    faster than a packed sequence). A bidirectional layer's backward
    direction would start in the padding, so it runs on a ``PackedSequence``.
    """

    def output_lengths(self, lengths: Tensor) -> Tensor:
        """Each sample's real steps in a ``:seq`` output, ``(N,)`` (zeros after them): the lens counts only those steps."""
        return lengths

    def forward(self, x: Tensor, lengths: Tensor | None = None) -> Tensor:
        if lengths is None:
            return super().forward(x)
        if self.bidirectional:
            packed = pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=False)
            out, state = self.run_rnn(packed)
            if self.sequence:
                h, _ = pad_packed_sequence(out, batch_first=True, total_length=x.shape[1])  # zeros past each end
            else:
                h_n = state[0] if self.cell == "lstm" else state  # (layers * 2, N, units)
                h = torch.cat((h_n[-2], h_n[-1]), dim=1)
        else:
            out, _ = self.run_rnn(x)  # (N, T, units): the top layer's state after every step
            if self.sequence:
                h = zero_padding(out, lengths)
            else:
                last = (lengths.to(out.device) - 1).view(-1, 1, 1).expand(-1, 1, out.shape[2])
                h = out.gather(1, last).squeeze(1)  # (N, units): each sample's own last step
        if self.dropout is not None:
            h = self.dropout(h)
        return h


class MaskedGlobalPool(GlobalPoolLayer):
    """Global average or max over each sample's real steps only."""

    def forward(self, x: Tensor, lengths: Tensor | None = None) -> Tensor:
        if lengths is None or x.ndim != 3:
            return super().forward(x)
        steps = torch.arange(x.shape[1], device=x.device)
        keep = (steps[None, :] < lengths.to(x.device)[:, None])[..., None]  # (N, T, 1)
        if self.op == "avg":
            return (x * keep.to(x.dtype)).sum(1) / lengths.to(x.device, x.dtype)[:, None]
        return x.masked_fill(~keep, float("-inf")).amax(1)


_LENGTH_AWARE: dict[type, type] = {
    EmbedLayer: MaskedEmbed, ConvLayer: MaskedConv, PoolLayer: MaskedPool,
    RecurrentLayer: PackedRecurrent, GlobalPoolLayer: MaskedGlobalPool,
}


class SequenceNetwork(Network):
    """A :class:`Network` over padded sequences whose results do not depend on the padding.

    ``forward(x)`` reads the lengths from ``x`` itself (id 0 / NaN steps are
    padding, see the module docstring); ``forward(x, lengths=...)`` takes them
    explicitly. In training mode each batch is first cut to its longest sample.
    """

    def _build(self, layer: LayerSpec, position: int, shape: tuple[int, ...], activation: str, init: str) -> tuple[nn.Module, tuple[int, ...]]:
        module, out_shape = super()._build(layer, position, shape, activation, init)
        aware = _LENGTH_AWARE.get(type(module))
        if aware is not None and (len(shape) == 2 or isinstance(module, EmbedLayer)):
            module.__class__ = aware  # same parameters and init; forward also takes lengths
        return module, out_shape

    @property
    def fixed_length(self) -> bool:
        """True when the time axis is flattened into a dense layer or the head: every sequence needs the fitted length."""
        if any(isinstance(m, (FlatDense, nn.Flatten)) for m in self.hidden_layers):
            return True
        last = self.hidden_shapes[-1] if self.hidden_shapes else self.input_shape
        return len(last) > 1

    @property
    def any_length(self) -> bool:
        """True when the network reads sequences of any length (no layer flattens time): ``input_shape``'s steps are the first
        fit's longest, and ``training.train`` takes batches of other lengths (a warm fit on longer sequences, as predict reads them)."""
        return not self.fixed_length

    def split_padding(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """``(x with padding as zeros, lengths (N,) int64)`` from a padded batch.

        Parameters
        ----------
        x : torch.Tensor
            A padded batch: ids padded with 0, or frames with whole NaN steps.
        """
        if self.vocab_size is not None:
            if x.is_floating_point():
                x = x.long()  # ids handed over as floats (e.g. by a generic recorder)
            valid = x != 0
        else:
            nan = torch.isnan(x)
            valid = ~nan[..., 0]
            x = x.masked_fill(nan, 0.0)
        return x, valid.sum(1).clamp_min(1)

    def run_hidden(self, x: Tensor, lengths: Tensor | None = None, keep: bool = False) -> tuple[Tensor, Tensor, list[Tensor]]:
        """``(last hidden output, each sample's steps there (N,), every hidden output if keep)`` for a padded batch ``x``.

        Parameters
        ----------
        x : torch.Tensor
            A padded batch: ``(N, T)`` ids or ``(N, T, F)`` frames.
        lengths : torch.Tensor of shape (N,), optional
            Each sample's steps; None: read from the padding.
        keep : bool
            Also return every hidden layer's output.
        """
        if lengths is None:
            x, lengths = self.split_padding(x)
        if self.training and not self.fixed_length and x.shape[1] > int(lengths.max()):
            x = x[:, : int(lengths.max())]  # a shuffled batch: drop the steps no sample uses
        hidden = []
        h = x  # (N, T) ids or (N, T, F) frames
        for layer in self.hidden_layers:
            if isinstance(layer, tuple(_LENGTH_AWARE.values())):
                aware = cast(nn.Module, layer)  # isinstance with a built tuple leaves mypy with object
                h, lengths = aware(h, lengths), step_lengths(aware, lengths)
            else:
                h = layer(h)
            if keep:
                hidden.append(h)
        return h, lengths, hidden

    def forward(self, x: Tensor, return_hidden: bool = False, lengths: Tensor | None = None) -> Any:
        h, _, hidden = self.run_hidden(x, lengths, return_hidden)
        out = self.head(h.flatten(1) if h.ndim > 2 else h)  # (N, classes) raw scores
        return (out, hidden) if return_hidden else out

    def min_length(self, longest: int = 100_000) -> int:
        """The fewest steps a sequence needs so that every layer keeps at least one.

        Parameters
        ----------
        longest : int
            The most steps tried; ``longest + 1`` when none of them is enough.
        """
        for n in range(1, longest + 1):
            lengths = torch.tensor([n])
            for layer in self.hidden_layers:
                lengths = step_lengths(layer, lengths)
            if int(lengths[0]) >= 1:
                return n
        return longest + 1


__all__ = ["SequenceNetwork", "step_lengths", "zero_padding"]
