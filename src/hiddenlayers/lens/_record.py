"""Record hidden activations of any ``torch.nn.Module`` (or a fitted estimator).

Forward hooks are registered inside a context manager on the layers a
selector picks (name pattern, module type, list, or predicate) and removed in
``finally`` — also when the forward pass raises. Outputs are classified as
``dense`` ``(N, units)``, ``conv`` ``(N, C, H, W)`` (units = channels) or
``recurrent`` ``(N, T, units)`` (units over time), so statistics always see a
``(samples, units)`` matrix.

>>> import hiddenlayers as hl
>>> from sklearn.datasets import load_iris
>>> X, y = load_iris(return_X_y=True)
>>> clf = hl.MLPClassifier((64,), max_iter=100, random_state=0).fit(X, y)
>>> acts = record(clf, X)            # {"hidden1": (N, 64) array, ...}
>>> acts["hidden1"].shape
(150, 64)
>>> 0 <= acts.stats["hidden1"].n_dead <= 64
True
"""

from __future__ import annotations

import dataclasses
from collections.abc import Hashable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np
import torch
from torch import Tensor, nn

from ..network import GlobalPoolLayer, Network
from ._batches import is_batch_source, loader_batches
from ._one_example import check_rows, watching
from ._runnable import check_runnable, diagnosed
from ._select import Selector, select_layers
from ._state import evaluating
from ._stats import LayerStats, UnitAccumulator
from ._target import Target, as_target, check_max_rows, default_layers, eager, n_rows
from ._time_first import time_first_guard, time_first_modules

_ACT_TYPES: dict[type, str] = {
    nn.ReLU: "relu", nn.LeakyReLU: "leaky_relu", nn.ELU: "elu", nn.GELU: "gelu", nn.SiLU: "silu",
    nn.Tanh: "tanh", nn.Sigmoid: "logistic", nn.Softplus: "softplus", nn.Identity: "identity",
    nn.Linear: "identity",  # a bare linear layer (e.g. a bottleneck or a head): no activation after it
    nn.Embedding: "identity",  # looked-up vectors: any sign is "active"
    # bare convolutions and normalisations are affine too: a channel below 0 on every row is not "dead"
    nn.Conv1d: "identity", nn.Conv2d: "identity", nn.Conv3d: "identity",
    nn.BatchNorm1d: "identity", nn.BatchNorm2d: "identity", nn.BatchNorm3d: "identity", nn.LayerNorm: "identity",
    nn.GroupNorm: "identity", nn.RMSNorm: "identity", nn.InstanceNorm1d: "identity", nn.InstanceNorm2d: "identity", nn.InstanceNorm3d: "identity",
    nn.LSTM: "tanh", nn.GRU: "tanh",  # outputs in (-1, 1), as the network's own RecurrentLayer says
}


_DROPOUT = (nn.Dropout, nn.Dropout1d, nn.Dropout2d, nn.Dropout3d, nn.AlphaDropout, nn.FeatureAlphaDropout)
_POOLS = (nn.MaxPool1d, nn.MaxPool2d, nn.MaxPool3d, nn.AvgPool1d, nn.AvgPool2d, nn.AvgPool3d, nn.LPPool1d, nn.LPPool2d,
          nn.AdaptiveMaxPool1d, nn.AdaptiveMaxPool2d, nn.AdaptiveMaxPool3d, nn.AdaptiveAvgPool1d, nn.AdaptiveAvgPool2d, nn.AdaptiveAvgPool3d)


def activation_of(module: nn.Module) -> str | None:
    """The activation name a module's output passes through, when known (a block ending in dropout: its last other child's)."""
    name = getattr(module, "activation_name", None)
    if isinstance(name, str):
        return name
    if type(module) is nn.RNN:
        return "relu" if module.nonlinearity == "relu" else "tanh"
    for t, act in _ACT_TYPES.items():
        if type(module) is t:
            return act
    children = [c for c in module.children() if not isinstance(c, _DROPOUT)]  # dropout keeps the sign: look before it
    return activation_of(children[-1]) if children else None


def layer_role(module: nn.Module) -> str | None:
    """What a layer with no activation of its own is (``"pooling"``, ``"flatten"``, ``"dropout"``), else None.

    Why: such a layer passes the units before it on (pooled, reshaped, dropped in training), so there is no threshold
    for "active" and no limit to saturate at; the lens shows it as ``(pooling)``, counts only constant units as dead,
    and says nothing of an unknown activation. A block ending in one is that kind too, as :func:`activation_of` reads it.
    """
    if activation_of(module) is not None:
        return None
    if isinstance(module, (*_POOLS, GlobalPoolLayer)):
        return "pooling"
    if isinstance(module, (nn.Flatten, nn.Unflatten)):
        return "flatten"
    if isinstance(module, _DROPOUT):
        return "dropout"
    children = [c for c in module.children() if not isinstance(c, _DROPOUT)]
    return layer_role(children[-1]) if children else None


def _kind(module: nn.Module, out: Tensor) -> str:
    if out.ndim <= 2:
        return "dense"
    if isinstance(module, (nn.Conv1d, nn.Conv2d, nn.Conv3d, nn.BatchNorm2d, nn.MaxPool2d, nn.AvgPool2d)) or (
        out.ndim == 4 and not isinstance(module, nn.RNNBase)
    ):
        return "conv"
    return "recurrent"


def _first_tensor(out: Any) -> Tensor | None:
    """The tensor the lens records of a layer's output: the output itself, else the first tensor inside it.

    A tuple, list or namedtuple gives its first item (``nn.MultiheadAttention``'s
    ``(output, weights)``, an LSTM's ``(output, (h, c))``); a dict gives its first
    tensor value in order (a Hugging Face ``ModelOutput``'s ``last_hidden_state``), and a
    dataclass its first tensor field.
    """
    if isinstance(out, Tensor):
        return out
    if isinstance(out, Mapping):
        return next((t for t in map(_first_tensor, out.values()) if t is not None), None)
    if dataclasses.is_dataclass(out) and not isinstance(out, type):  # a dataclass of outputs: its fields in order
        return next((t for t in (_first_tensor(getattr(out, f.name)) for f in dataclasses.fields(out)) if t is not None), None)
    if isinstance(out, (tuple, list)) and out:
        return _first_tensor(out[0])
    return None  # e.g. a PackedSequence: not recorded


def to_numpy(t: Tensor) -> np.ndarray:
    """``t`` as a host NumPy array; bfloat16 (which NumPy has no type for) widened to float32."""
    t = t.detach()
    return (t.float() if t.dtype == torch.bfloat16 else t).cpu().numpy()


def as_units(x: Tensor, kind: str, lengths: Tensor | None = None) -> Tensor:
    """``(samples, units)`` view of one layer output: channels or last axis are the units.

    ``lengths``: ``(N,)`` real steps per row of a recurrent ``(N, T, units)`` output whose rows are padded
    sequences (see :class:`Recording`); only those steps are samples, the padding after them is left out.
    """
    if kind == "dense":
        return x.reshape(x.shape[0], -1) if x.ndim != 2 else x
    if kind == "conv":
        return x.movedim(1, -1).reshape(-1, x.shape[1])  # (N*H*W, C)
    if lengths is not None and x.ndim == 3:
        return x[step_mask(lengths, x.shape[1]).to(x.device)]  # (Σ lengths, units)
    return x.reshape(-1, x.shape[-1])  # (N*T, units)


def step_mask(lengths: Tensor, steps: int) -> Tensor:
    """``(N, steps)`` bool: True at each row's real steps (the first ``lengths[i]``)."""
    return torch.arange(steps)[None, :] < lengths.detach().cpu().to(torch.int64)[:, None]


def _output_lengths(module: nn.Module, args: tuple, kwargs: dict[str, Any]) -> Tensor | None:
    """The real steps per row of ``module``'s output when it is a length-aware sequence layer, else None.

    The protocol: a layer called as ``layer(x, lengths)`` (or ``lengths=``) with an ``output_lengths(lengths)``
    method (the sequence applications' recurrent, convolution and embedding layers, which zero their output
    past each sequence's end) says how many of its output steps are real; the padding is no data.
    """
    out_lengths = getattr(module, "output_lengths", None)
    lengths = args[1] if len(args) > 1 else kwargs.get("lengths")
    if not callable(out_lengths) or not isinstance(lengths, Tensor):
        return None
    return cast(Tensor, out_lengths(lengths)).detach()


class NonFiniteActivations(ValueError):
    """A recorded layer produced NaN or inf from finite input: the network has diverged."""


def _changes_nothing_in_place(root: nn.Module | None, modules: list[nn.Module]) -> bool:
    """Whether a forward pass of ``root`` (its ``modules``, listed) surely changes no layer's output in place after the
    layer returned it: a :class:`~hiddenlayers.network.Network` (whose forward and layers use no in-place operation) with
    no module set ``inplace`` (an ``nn.ReLU(inplace=True)`` put in by hand). Any other model may (``ReLU(inplace=True)``,
    ResNet's ``out += identity``), so the recorder copies each output as it is made; for our own networks it keeps the
    tensors themselves, which costs no copy (``benchmarks/bench_lens.py recording``)."""
    # __dict__, not getattr: a module's missing attribute goes through nn.Module.__getattr__'s slow miss
    return isinstance(root, Network) and not any(m.__dict__.get("inplace", False) for m in modules)


class Recorder:
    """Hook bookkeeping; use through :func:`recording`.

    ``outputs[name]`` is a list of per-batch tensors (post-activation),
    ``pre[name]`` the pre-activations where cheap (our DenseLayer), and
    ``kinds[name]`` is ``dense``/``conv``/``recurrent``. A layer called more
    than once in one forward pass of ``root`` (one ``nn.ReLU`` shared by every
    block, tied weights) is recorded once per call: ``name``, ``name#2``, ...;
    ``ran`` holds the selected layers that were called at all.
    """

    def __init__(
        self, layers: dict[str, nn.Module], *, keep: bool = True, pre: bool = True, stream: bool = False, root: nn.Module | None = None
    ) -> None:
        self.layers = layers
        self.root = root
        self.keep, self.want_pre, self.stream = keep, pre, stream
        self.outputs: dict[str, list[Tensor]] = {n: [] for n in layers}
        self.steps: dict[str, list[Tensor]] = {}  # per batch, each row's real steps of a padded sequence output
        self.pre: dict[str, list[Tensor]] = {}
        self.kinds: dict[str, str] = {}
        self.acts: dict[str, str | None] = {n: activation_of(m) for n, m in layers.items()}
        self.roles: dict[str, str | None] = {n: layer_role(m) for n, m in layers.items()}  # a layer with no activation: what it is
        self.acc: dict[str, UnitAccumulator] = {}
        self.handles: list[Any] = []
        self.calls: dict[str, int] = {}  # calls of each layer in the current forward pass of root
        self.ran: set[str] = set()
        self.order: dict[str, None] = {}  # the outputs' names in the order the forward pass first made them
        self.finite = False  # record() sets it: a NaN activation raises instead of reading as a dead unit
        modules = [m for top in ([root] if root is not None else layers.values()) for m in top.modules()]  # one walk, read twice
        self.time_first = time_first_modules(modules)  # ids of modules whose (T, N, U) output is turned
        self.copy = not _changes_nothing_in_place(root, modules)  # keep copies of the outputs, not the layers' own tensors (see _take)

    def _key(self, name: str) -> str:
        """``name`` on a layer's first call in this forward pass, ``name#k`` on its k-th."""
        k = self.calls[name] = self.calls.get(name, 0) + 1
        self.ran.add(name)
        key = name if k == 1 else f"{name}#{k}"
        self.order.setdefault(key, None)
        if k == 1:
            return name
        if key not in self.outputs:
            self.outputs[key] = []
            self.acts[key], self.roles[key] = self.acts[name], self.roles[name]
        return key

    def _batch_first(self, name: str, out: Tensor) -> Tensor:
        if id(self.layers[name]) in self.time_first and out.ndim == 3:
            return out.transpose(0, 1)  # (T, N, U) -> (N, T, U): a batch_first=False RNN, attention or transformer block
        return out

    def _check_finite(self, name: str, t: Tensor) -> None:
        """Raise :class:`NonFiniteActivations` naming the layer when ``t`` holds NaN or inf and it would be summarised.

        Checked under :func:`record` (whose input was checked, so the network
        diverged) and whenever statistics accumulate (``stream=True``): compared
        with the threshold, NaN reads as "never active", so a diverged layer
        would be reported as dead units. Kept raw outputs (``stream=False`` in
        :func:`recording`) are the caller's; :func:`layer_stats` checks them.
        """
        if not (self.finite or self.stream) or not t.is_floating_point() or bool(torch.isfinite(t).all()):
            return
        if self.finite:
            raise NonFiniteActivations(
                f"layer {name!r} produced NaN or infinite activations from finite input: the network has diverged "
                "(or its input overflows its dtype); retrain it with a lower learning rate or scaled inputs before looking inside it."
            )
        raise NonFiniteActivations(
            f"layer {name!r} produced NaN or infinite activations: check the input of the forward pass for NaN and the network "
            "for divergence (retrain with a lower learning rate) before reading its statistics."
        )

    def _take(self, name: str, out: Any, lengths: Tensor | None = None) -> None:
        key = self._key(name)
        t = _first_tensor(out)
        if t is None:
            return
        t = self._batch_first(name, t.detach())
        self._check_finite(key, t)
        if key not in self.kinds:
            self.kinds[key] = _kind(self.layers[name], t)
        if lengths is not None and (self.kinds[key] != "recurrent" or t.ndim != 3 or lengths.shape != t.shape[:1]):
            lengths = None  # only a (N, T, units) output is padded by steps
        if self.stream:
            acc = self.acc.get(key)
            if acc is None:
                acc = self.acc[key] = UnitAccumulator(self.acts[key], role=self.roles[key])
            acc.update(as_units(t, self.kinds[key], lengths), rows=t.shape[0])
        if self.keep:
            # A copy, not the layer's own tensor: the forward pass may still change that in place after this hook
            # (a ReLU(inplace=True) after a BatchNorm, ResNet's `out += identity`), and the lens reads it after the pass.
            self.outputs[key].append(t.clone() if self.copy else t)
            if lengths is not None:
                self.steps.setdefault(key, []).append(lengths)

    def attach(self) -> None:
        if self.root is not None:
            self.handles.append(self.root.register_forward_pre_hook(lambda *_: self.calls.clear()))
        for name, mod in self.layers.items():
            act = getattr(mod, "act", None)
            if self.want_pre and isinstance(act, nn.Module) and hasattr(mod, "activation_name"):
                # DenseLayer: the act module's input is the pre-activation, its output the activation.
                self.pre[name] = []

                def dense_hook(_m: nn.Module, inp: tuple, name: str = name) -> None:
                    if self.keep:  # before the activation runs: an in-place one (ReLU(inplace=True)) turns its input into its output
                        self.pre[name].append(inp[0].detach().clone() if self.copy else inp[0].detach())  # see _take

                self.handles.append(act.register_forward_pre_hook(dense_hook))

            def hook(m: nn.Module, args: tuple, kwargs: dict[str, Any], out: Any, name: str = name) -> None:
                self._take(name, out, _output_lengths(m, args, kwargs))

            self.handles.append(mod.register_forward_hook(hook, with_kwargs=True))

    def detach(self) -> None:
        while self.handles:
            self.handles.pop().remove()


@contextmanager
def recording(module: nn.Module, layers: Selector = None, *, keep: bool = True, pre: bool = True, stream: bool = False) -> Iterator[Recorder]:
    """Hook the selected layers of ``module`` for the ``with`` block; hooks always removed.

    A streamed layer that outputs NaN or inf raises :class:`NonFiniteActivations` naming it (a ``ValueError``), out of
    the forward call, rather than counting the NaN as dead units.

    Parameters
    ----------
    module : torch.nn.Module
        The module to hook.
    layers : selector, optional
        Which layers, as :func:`record` takes them.
    keep : bool
        Keep each batch's outputs in ``rec.outputs``, NaN included: copies taken as each layer returns them, so a later
        in-place operation of the forward pass (``ReLU(inplace=True)``) does not change them; our own ``Network``'s,
        which change nothing in place, as they are.
    pre : bool
        Also keep the pre-activations of our dense layers.
    stream : bool
        Accumulate per-unit statistics in ``rec.acc`` as batches pass.

    Examples
    --------
    >>> import torch
    >>> from hiddenlayers import Network
    >>> net, x = Network(4, (8, 8), 3), torch.randn(5, 4)
    >>> with recording(net, "hidden*") as rec:
    ...     _ = net(x)
    >>> rec.outputs["hidden1"][0].shape   # (N, units)
    torch.Size([5, 8])
    """
    module = eager(module)  # a torch.compile'd model: the module it wraps (see _target.eager)
    rec = Recorder(select_layers(module, layers, default_layers(module)), keep=keep, pre=pre, stream=stream, root=module)
    try:
        rec.attach()
        yield rec
    finally:
        rec.detach()


REPR_LAYERS = 8
"""Most layers a :class:`Recording`'s repr names."""


@dataclass
class Recording(Mapping):
    """``{layer name: activations}`` as NumPy arrays, plus what was learned on the way.

    With ``stream=True`` only the first ``sample`` rows are kept as arrays; statistics cover every row.

    Attributes
    ----------
    arrays : dict of str to numpy.ndarray
        Each layer's outputs, ``(N, ...)``.
    kinds : dict of str to str
        ``"dense"``, ``"conv"`` or ``"recurrent"`` per layer.
    activations : dict of str to str or None
        The activation name per layer, None where unknown.
    stats : dict of str to LayerStats
        :class:`~hiddenlayers.lens.LayerStats` per layer.
    n_rows : int
        Rows seen.
    pre : dict of str to numpy.ndarray
        Pre-activations (our dense layers only).
    output : numpy.ndarray or None
        The model's output (its first tensor), as many rows as the arrays, with ``keep_output``.
    lengths : dict of str to numpy.ndarray
        For a recurrent layer of padded sequences of different lengths (a SequenceClassifier's or TextClassifier's),
        ``(N,)`` real steps per row: its array keeps the padding (zeros), but its statistics, :meth:`units` and
        :meth:`features` read only each row's real steps.
    """

    arrays: dict[str, np.ndarray]
    kinds: dict[str, str]
    activations: dict[str, str | None]
    stats: dict[str, LayerStats]
    n_rows: int
    pre: dict[str, np.ndarray] = field(default_factory=dict)
    output: np.ndarray | None = None
    lengths: dict[str, np.ndarray] = field(default_factory=dict)

    def __repr__(self) -> str:
        """One line: the rows and each layer's shape, kind and activation (the dataclass's own repr printed every array,
        a page of numbers in a notebook); the first :data:`REPR_LAYERS` layers, then how many more."""
        shown = [f"{n} {tuple(a.shape)} {self.kinds.get(n, '')} {self.activations.get(n) or '?'}" for n, a in list(self.arrays.items())[:REPR_LAYERS]]
        more = f", ... {len(self.arrays) - REPR_LAYERS} more (list(rec) names them)" if len(self.arrays) > REPR_LAYERS else ""
        return f"Recording({self.n_rows} rows: {', '.join(shown)}{more})"

    def __getitem__(self, key: str) -> np.ndarray:
        return self.arrays[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.arrays)

    def __len__(self) -> int:
        return len(self.arrays)

    def units(self, name: str, rows: np.ndarray | None = None) -> np.ndarray:
        """``(samples, units)`` matrix of one layer (conv: per position, recurrent: per real step).

        Parameters
        ----------
        name : str
            The layer.
        rows : numpy.ndarray of int, optional
            Of these rows only.
        """
        a, lengths = self.arrays[name], self.lengths.get(name)
        if rows is not None:
            a, lengths = a[rows], (lengths[rows] if lengths is not None else None)
        return as_units(torch.from_numpy(a), self.kinds[name], None if lengths is None else torch.from_numpy(lengths)).numpy()

    def features(self, name: str) -> np.ndarray:
        """``(N, features)`` per example: dense as is; conv/recurrent averaged over space/time (a padded sequence over its real steps).

        Parameters
        ----------
        name : str
            The layer.
        """
        a = self.arrays[name]
        if self.kinds[name] == "dense":
            return a.reshape(a.shape[0], -1)
        if self.kinds[name] == "conv":
            return a.reshape(a.shape[0], a.shape[1], -1).mean(axis=2)
        lengths = self.lengths.get(name)
        if lengths is None or a.ndim != 3:
            return a.mean(axis=1)
        mask = step_mask(torch.from_numpy(lengths), a.shape[1]).numpy()[..., None]  # (N, T, 1)
        return (a * mask).sum(axis=1) / np.maximum(lengths, 1)[:, None].astype(a.dtype)


def _check_ran(module: nn.Module, rec: Recorder, *, every_leaf: bool, got: set[str]) -> None:
    """Raise when a selected layer was never called, or was called but returned no tensor.

    With no selection at all (every leaf of a plain module), a leaf the forward
    pass never calls is simply not recorded: ``nn.MultiheadAttention`` reads its
    ``out_proj`` weights without calling it, and a model may hold an unused head.
    """
    never = [name for name in rec.layers if name not in rec.ran]
    if never and every_leaf:
        if len(never) == len(rec.layers):
            raise ValueError(f"no layer of {type(module).__name__} ran in forward() ({', '.join(never)}): check that its forward() calls its submodules.")
        for name in never:
            rec.layers.pop(name)
        never = []
    if never:
        raise ValueError(f"layers {', '.join(never)} were selected but never ran in forward(): pick layers on the forward path.")
    empty = [name for name in rec.layers if name not in got]
    if empty:
        raise ValueError(
            f"layers {', '.join(empty)} ran but returned no tensor to record (e.g. a PackedSequence): "
            "select the submodule that computes the tensor you want, or a module that returns it."
        )


def _depth_order(arrays: dict[str, Any], rec: Recorder, selection: Selector) -> list[str]:
    """The recorded names in the order the forward pass made them (a list of layers: in the list's order, repeated calls
    after it).

    Why: the probe's scores "by depth", CKA's matrix and the report read the layers in this order; the modules' own
    order (as ``__init__`` made them) put a shared layer's second call, ``act#2``, after the output layer, and a head
    defined before the body first.
    """
    if isinstance(selection, (list, tuple)):
        return list(arrays)
    called = {name: i for i, name in enumerate(rec.order)}
    return sorted(arrays, key=lambda n: called.get(n, len(called)))


def _joined(parts: list[np.ndarray]) -> np.ndarray:
    """The batches' arrays as one; a single batch's as it is (the hook's copy already: no second one)."""
    return parts[0] if len(parts) == 1 else np.concatenate(parts)


def _check_sizes(batch_size: Any, sample: Any) -> None:
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be an integer >= 1. Received: batch_size={batch_size!r}.")
    if sample is not None and (isinstance(sample, bool) or not isinstance(sample, int) or sample < 1):
        raise ValueError(f"sample must be None or an integer >= 1. Received: sample={sample!r}.")


def record(
    model: Any,
    X: Any,
    layers: Selector = None,
    *,
    batch_size: int = 1024,
    stream: bool = False,
    sample: int | None = None,
    pre: bool = True,
    keep_output: bool = False,
    max_rows: int | None = None,
    input_key: Hashable | None = None,
) -> Recording:
    """Run ``X`` through ``model`` in batches and return the hidden activations.

    The model runs in eval mode under ``torch.inference_mode`` and is handed back as it was (each submodule's mode,
    BatchNorm statistics, no hooks left), also when its forward pass or the loader raises. A layer's output that is a
    tuple, dict or dataclass is recorded as its first tensor; a layer called k times in one forward pass (a shared activation, tied
    weights) as ``name``, ``name#2``, ... ``name#k``. The layers come in the order the forward pass calls them (a list
    of layers: in the list's order). ``forward`` must take one tensor: a model with several inputs or a
    wrong input shape is refused in one line that says what to pass.

    Parameters
    ----------
    model : estimator, Network, torch.nn.Module or Pipeline
        A fitted estimator, a :class:`~hiddenlayers.Network` or any ``nn.Module``, or a fitted scikit-learn
        ``Pipeline`` ending in an estimator (``X`` goes through its earlier steps first, as ``pipe.predict`` sends it).
    X : array-like of shape (N, ...), or an iterable of batches
        An array/tensor/DataFrame, or a ``torch.utils.data.DataLoader`` (any iterable of batches, e.g. a generator)
        whose batches are fed as they come: each batch is the input tensor/array, a tuple or list whose first item is
        the input (``(x, y)``), or a dict whose ``input_key`` item is the input. Batches must share one feature shape;
        the result is the same as recording ``torch.cat`` of their inputs.
    layers : selector, optional
        Which layers (``select_layers``'s forms: names, glob patterns, 1-based hidden-layer indices, a module type, a
        list, a predicate; None: the hidden layers, or every leaf of a plain module).
    batch_size : int
        Rows per forward pass of an array ``X`` (unused for a loader).
    stream : bool
        Keep per-unit statistics over all rows but arrays only for the first ``sample`` rows: bounded memory on big
        data.
    sample : int, optional
        With ``stream``: the rows whose arrays are kept (default 2,000).
    pre : bool
        Also keep our dense layers' pre-activations, ``z`` before the activation (after batch norm), in
        ``Recording.pre``.
    keep_output : bool
        Also keep the model's output (its first tensor) in ``Recording.output``, as many rows as the arrays.
    max_rows : int, optional
        Record only the first rows (None: every row); a loader is not read past them.
    input_key : hashable, optional
        The key of the input in a loader's dict batches.

    Examples
    --------
    >>> import hiddenlayers as hl
    >>> from sklearn.datasets import load_iris
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = hl.MLPClassifier((32, 64), max_iter=100, random_state=0).fit(X, y)
    >>> acts = record(clf, X)
    >>> acts["hidden2"].shape
    (150, 64)
    """
    target = as_target(model)
    max_rows = check_max_rows(max_rows)
    if is_batch_source(X):
        _check_sizes(batch_size, sample)
        blocks = loader_batches(target, X, input_key=input_key, max_rows=max_rows)
        return _record_blocks(target, blocks, layers, rows=None, batch_size=None, stream=stream, sample=sample, pre=pre, keep_output=keep_output)
    if input_key is not None:
        raise TypeError(f"input_key={input_key!r} names the input in a DataLoader's dict batches, but X is a {type(X).__name__}: leave input_key out.")
    rows = getattr(X, "shape", None) is not None
    if max_rows is not None and rows:
        X = X.iloc[:max_rows] if hasattr(X, "iloc") else X[:max_rows]
    prepared = target.prepared(X)
    if max_rows is not None and not rows:  # an app's list of texts or sequences, a Translator's (sources, targets): its first examples
        prepared = prepared[:max_rows]
    return record_prepared(target, prepared, layers, batch_size=batch_size, stream=stream, sample=sample, pre=pre, keep_output=keep_output)


def record_prepared(
    target: Target,
    X: Any,
    layers: Selector = None,
    *,
    batch_size: int = 1024,
    stream: bool = False,
    sample: int | None = None,
    pre: bool = True,
    keep_output: bool = False,
) -> Recording:
    """:func:`record` on rows that are already the network's input (``target.prepared(X)``).

    ``target.prepared`` checked the user's X for NaN; the prepared rows are not
    checked again, since a model may mark padding with NaN (a SequenceClassifier's
    short sequences). A recorded layer that outputs NaN or inf raises.
    """
    _check_sizes(batch_size, sample)
    n = n_rows(X)
    if n == 0:
        raise ValueError("X has 0 rows: pass at least one row to record.")
    blocks = (target.to_tensor(X[start : start + batch_size]) for start in range(0, n, batch_size))
    return _record_blocks(target, blocks, layers, rows=n, batch_size=batch_size, stream=stream, sample=sample, pre=pre, keep_output=keep_output)


def _record_blocks(
    target: Target,
    blocks: Iterator[Tensor],
    layers: Selector,
    *,
    rows: int | None,
    batch_size: int | None,
    stream: bool,
    sample: int | None,
    pre: bool,
    keep_output: bool,
) -> Recording:
    """Feed each ``(B, ...)`` block to ``target.module`` and gather the recording; ``rows``: the total when known (for messages)."""
    cap: float = (sample or 2000) if stream else (sample or float("inf"))
    module = target.module
    check_runnable(module)
    selection = layers if layers is not None else target.default_layers
    arrays: dict[str, list[np.ndarray]] = {}
    pres: dict[str, list[np.ndarray]] = {}
    steps: dict[str, list[np.ndarray]] = {}
    outs: list[np.ndarray] = []
    kept = n = 0
    with (evaluating(module), torch.inference_mode(), diagnosed(module, rows=rows, batch_size=batch_size) as forward,
          recording(module, selection, pre=pre, stream=stream) as rec, watching(module) as watch, time_first_guard(module) as order):
        rec.finite = True
        for xb in blocks:
            rec.keep = kept < cap
            watch.block = tuple(xb.shape) if rows is None else (rows, *xb.shape[1:])  # X's shape in the message, not the batch's
            order.rows, order.shape = xb.shape[0], watch.block  # X fed to a batch_first=False layer time first: one line
            out = forward(xb)  # X[0], one image or one sequence given as rows: one line (watching, check_rows)
            check_rows(xb, rec.outputs)
            n += xb.shape[0]
            if rec.keep:
                take = int(min(cap - kept, xb.shape[0]))
                for name, lst in rec.outputs.items():
                    if lst:
                        arrays.setdefault(name, []).append(to_numpy(lst.pop()[:take]))
                for name, lst in rec.pre.items():
                    if lst:
                        pres.setdefault(name, []).append(to_numpy(lst.pop()[:take]))
                for name, lst in rec.steps.items():
                    if lst:
                        steps.setdefault(name, []).append(lst.pop()[:take].cpu().numpy())
                first = _first_tensor(out)
                if keep_output and first is not None:
                    outs.append(to_numpy(first[:take]))
                kept += take
    _check_ran(module, rec, every_leaf=selection is None, got=set(arrays) | set(rec.acc))
    full = {name: _joined(arrays[name]) for name in _depth_order(arrays, rec, selection)}
    lengths = {name: np.concatenate(parts) for name, parts in steps.items() if name in full and sum(map(len, parts)) == len(full[name])}
    if stream:
        stats = {name: acc.result(name) for name, acc in rec.acc.items()}
    else:
        stats = {}
        for name, a in full.items():
            acc = UnitAccumulator(rec.acts[name], role=rec.roles.get(name))
            ln = lengths.get(name)
            acc.update(as_units(torch.from_numpy(a), rec.kinds[name], None if ln is None else torch.from_numpy(ln)), rows=a.shape[0])
            stats[name] = acc.result(name)
    return Recording(
        arrays=full,
        kinds=dict(rec.kinds),
        activations=dict(rec.acts),
        stats=stats,
        n_rows=n,
        pre={name: _joined(p) for name, p in pres.items() if p},
        output=np.concatenate(outs) if outs else None,  # a copy: the model's output may be X itself (an nn.Identity)
        lengths=lengths,
    )


__all__ = ["NonFiniteActivations", "Recorder", "Recording", "Target", "as_target", "as_units", "record", "record_prepared", "recording", "select_layers"]
