"""``Network``: input -> named hidden layers (hidden1, hidden2, ...) -> head.

The head is a plain linear layer that returns raw scores (logits); the output
activation (softmax, logistic, identity, exp) belongs to the loss and to the
estimator, so the hidden layers and the head are exactly what a user reads.

Any sequence of layer kinds builds from the input's shape: each layer's input
size is inferred from the one before (dense: by arithmetic; structured kinds:
by one dry run on a zero tensor), and anything multi-dimensional is flattened
before a dense layer or the head.
"""

from __future__ import annotations

import math
import operator
import warnings
from typing import Any

import torch
from torch import Tensor, nn

from .._stacklevel import user_stacklevel
from ..exceptions import DeviceUnavailableError, SpecError
from ._kinds import ConvLayer, EmbedLayer, FlatDense, GlobalPoolLayer, PoolLayer, RecurrentLayer, shape_error
from ._layers import DenseLayer, init_dense_
from ._modes import in_mode
from ._np_dense import NpMap
from ._spec import Conv, Dense, Embed, Flatten, GlobalPool, LayerSpec, Pool, Recurrent, Spec


def _input_shape(in_features: Any) -> tuple[int, ...]:
    """``in_features`` (an int, or a per-sample shape) as a tuple of positive ints."""
    dims = list(in_features) if isinstance(in_features, (tuple, list)) else [in_features]
    shape: tuple[int, ...] = ()
    if 1 <= len(dims) <= 3 and not any(isinstance(d, bool) for d in dims):
        try:
            shape = tuple(operator.index(d) for d in dims)
        except TypeError:
            shape = ()
    if not shape or min(shape) < 1:
        raise ValueError(
            "in_features must be a positive int (table columns, or ids per sample with vocab_size), or a per-sample "
            f"shape: (C, H, W) for images, (steps, channels) for sequences and signals. Received: in_features={in_features!r}."
        )
    return shape


def _check_init(init: Any) -> None:
    """Refuse an ``init`` other than 'auto' or 'none': anything else used to fall back to torch's defaults silently."""
    if not isinstance(init, str) or init not in ("auto", "none"):
        raise ValueError(
            "init must be 'auto' (He/Glorot by activation) or 'none' (torch's defaults). "
            f"Received: init={init!r}."
        )


def _checked_out_features(out_features: Any) -> int:
    """``out_features`` as an int >= 1; a bool, a float or a count below 1 is an error, not a torch warning or crash."""
    try:
        count = None if isinstance(out_features, bool) else operator.index(out_features)
    except TypeError:
        count = None
    if count is None or count < 1:
        raise ValueError(
            "out_features must be an integer >= 1 (the number of outputs: classes or targets). "
            f"Received: out_features={out_features!r}."
        )
    return count



def _conv_shape_pass(layer: ConvLayer, x: Tensor) -> Tensor:
    """``layer``'s convolution alone on ``x``, laid out as the layer's output: its norm, activation and dropout keep the shape."""
    if layer.dims == 1:
        return layer.conv(x.transpose(1, 2)).transpose(1, 2)  # (N, steps, C) -> (N, steps', filters)
    return layer.conv(x)


class Network(nn.Module):
    """A stack of hidden layers built from a :class:`~hiddenlayers.Spec`.

    ``Network(4, "16:tanh,8", 3)`` has children ``hidden1`` (4->16), ``hidden2`` (16->8) and ``head`` (8->3).
    ``forward(x)`` maps ``(N, 4)`` to ``(N, 3)`` logits; ``forward(x, return_hidden=True)`` also returns the list of
    every hidden layer's output from the same pass.

    Parameters
    ----------
    in_features : int or tuple of int
        Inputs per row for tables, or the per-sample shape: ``(C, H, W)`` for images, ``(steps, channels)`` for
        sequences and 1-D signals. With ``vocab_size``: ids per sample (a sequence length; recurrent layers also take
        other lengths).
    spec : Spec, str, int or sequence
        The hidden layers, anything :meth:`Spec.parse` reads.
    out_features : int
        Outputs of the head (raw scores).
    activation : str
        The activation of layers whose spec names none.
    init : {"auto", "none"}
        ``"auto"``: weights initialised to suit each activation; ``"none"``: PyTorch's default (the caller loads
        weights).
    vocab_size : int, optional
        The input is integer ids in ``[0, vocab_size)``, and the spec starts with ``embedD``.

    Examples
    --------
    >>> import torch
    >>> Network((1, 28, 28), "conv32k3,pool2,conv64k3,pool2,128", 10)(torch.zeros(2, 1, 28, 28)).shape
    torch.Size([2, 10])
    >>> Network(50, "embed64,lstm128,64", 2, vocab_size=5000)(torch.zeros(2, 50, dtype=torch.long)).shape
    torch.Size([2, 2])
    """

    def __init__(
        self,
        in_features: int | tuple[int, ...],
        spec: Any,
        out_features: int,
        *,
        activation: str = "relu",
        init: str = "auto",
        vocab_size: int | None = None,
    ) -> None:
        super().__init__()
        _check_init(init)
        self.spec = Spec.parse(spec)
        self.input_shape = _input_shape(in_features)
        self.in_features: int | tuple[int, ...] = self.input_shape if isinstance(in_features, (tuple, list)) else self.input_shape[0]
        self.out_features = _checked_out_features(out_features)
        self.default_activation = activation
        if vocab_size is not None and (isinstance(vocab_size, bool) or not isinstance(vocab_size, int) or vocab_size < 1):
            raise ValueError(f"vocab_size must be None or an integer >= 1 (the number of distinct ids). Received: vocab_size={vocab_size!r}.")
        if vocab_size is not None and len(self.input_shape) != 1:
            raise ValueError(f"with vocab_size the input is ids per sample: in_features must be an int (the sequence length). Received: in_features={in_features!r}.")
        self.vocab_size = vocab_size
        if vocab_size is not None and (not len(self.spec) or not isinstance(self.spec[0], Embed)):
            raise SpecError(f"integer ids (vocab_size={vocab_size}) need an embedding first: start the spec with e.g. 'embed64,'. Received: {self.spec.to_text()!r}.")
        shape = self.input_shape
        self.hidden_names: list[str] = []
        self.hidden_shapes: list[tuple[int, ...]] = []  # each hidden layer's output shape per sample
        for i, layer in enumerate(self.spec, start=1):
            module, shape = self._build(layer, i, shape, activation, init)
            name = f"hidden{i}"
            self.add_module(name, module)
            self.hidden_names.append(name)
            self.hidden_shapes.append(shape)
        self.head = nn.Linear(math.prod(shape), self.out_features)
        if init == "auto":
            init_dense_(self.head, "identity")

    def _build(self, layer: LayerSpec, position: int, shape: tuple[int, ...], activation: str, init: str) -> tuple[nn.Module, tuple[int, ...]]:
        """The module for ``layer`` given its input ``shape`` per sample, and its output shape."""
        text = layer.to_text()
        if isinstance(layer, Dense):
            cls = DenseLayer if len(shape) == 1 else FlatDense
            dense = cls(math.prod(shape), layer.units, layer.activation or activation, dropout=layer.dropout, norm=layer.norm, init=init)
            return dense, (layer.units,)
        module: nn.Module
        if isinstance(layer, Embed):
            if position != 1 or self.vocab_size is None:
                raise SpecError(f"layer {position} ({text}) reads integer ids: it must be the first layer and the network needs vocab_size=V (the number of distinct ids).")
            module = EmbedLayer(self.vocab_size, layer)
        elif isinstance(layer, Conv):
            dims = layer.dims or (2 if len(shape) == 3 else 1)
            if len(shape) != dims + 1:
                need = "an image input (C, H, W)" if dims == 2 else "a sequence input (steps, channels)"
                raise shape_error(position, text, shape, need)
            module = ConvLayer(shape[0] if dims == 2 else shape[-1], layer, dims, activation, init=init)
        elif isinstance(layer, Pool):
            if len(shape) not in (2, 3):
                raise shape_error(position, text, shape, "an image (C, H, W) or sequence (steps, channels) input")
            module = PoolLayer(layer, 2 if len(shape) == 3 else 1)
        elif isinstance(layer, GlobalPool):
            if len(shape) not in (2, 3):
                raise shape_error(position, text, shape, "an image (C, H, W) or sequence (steps, channels) input")
            module = GlobalPoolLayer(layer)
        elif isinstance(layer, Recurrent):
            if len(shape) != 2:
                raise shape_error(position, text, shape, "a sequence input (steps, features)")
            module = RecurrentLayer(shape[-1], layer)
        elif isinstance(layer, Flatten):
            module = nn.Flatten(1)
        else:  # pragma: no cover - every registered kind is handled above
            raise SpecError(f"layer kind {layer.kind!r} is not supported by Network")
        return module, self._dry_run(module, position, text, shape)

    def _dry_run(self, module: nn.Module, position: int, text: str, shape: tuple[int, ...]) -> tuple[int, ...]:
        """Output shape of ``module`` per sample, from one pass on two zero samples.

        On PyTorch's meta device (a model file's shape check, which allocates nothing) only the shape-setting part runs:
        a meta activation, norm or mean imports ``torch._dynamo`` (about 3 s, paid by every ``hl.load`` of a convolutional
        model), and a meta LSTM/GRU is PyTorch's step-by-step Python fallback (about 60 ms a pass). Those keep their
        input's shape, or their output's follows from the layer alone.
        """
        meta = torch.empty(0).is_meta
        if meta and isinstance(module, RecurrentLayer):
            width = module.rnn.hidden_size * (2 if module.bidirectional else 1)
            return (shape[0], width) if module.sequence else (width,)
        if meta and isinstance(module, (EmbedLayer, GlobalPoolLayer)):
            return (*shape, module.embedding.embedding_dim) if isinstance(module, EmbedLayer) else (shape[0] if len(shape) == 3 else shape[-1],)
        dtype = torch.long if isinstance(module, EmbedLayer) else torch.get_default_dtype()
        try:
            with in_mode(module, False), torch.no_grad():
                x = torch.zeros((2, *shape), dtype=dtype)
                out = _conv_shape_pass(module, x) if meta and isinstance(module, ConvLayer) else module(x)
        except RuntimeError as exc:
            reason = str(exc).splitlines()[0]
            raise SpecError(
                f"layer {position} ({text}) cannot take an input of shape {shape} per sample ({reason}): "
                "use padding ('same'), a smaller kernel or stride, or fewer pooling layers."
            ) from None
        if out.numel() == 0:
            raise SpecError(f"layer {position} ({text}) leaves nothing of an input of shape {shape}: use padding ('same') or fewer pooling layers.")
        return tuple(out.shape[1:])

    @property
    def hidden_layers(self) -> list[nn.Module]:
        """The hidden layers in order (``hidden1`` first)."""
        return [getattr(self, name) for name in self.hidden_names]

    def forward(self, x: Tensor, return_hidden: bool = False) -> Any:
        """The head's raw scores ``(N, out_features)``, and with ``return_hidden`` every hidden layer's output too.

        An input PyTorch refuses for its type, width or dtype is one error saying what the network expects.

        Parameters
        ----------
        x : torch.Tensor of shape (N, *input_shape)
            A batch of inputs (integer ids with ``vocab_size``).
        return_hidden : bool
            Return ``(scores, hidden)``: the list of every hidden layer's output from the same pass.
        """
        hidden = []
        h = x  # (N, *input_shape)
        try:  # no check before the pass: a try costs nothing until PyTorch raises, and then says what was wrong with x
            for layer in self.hidden_layers:
                h = layer(h)  # (N, units) or (N, C, H, W) or (N, steps, units)
                if return_hidden:
                    hidden.append(h)
            out = self.head(h.flatten(1) if h.ndim > 2 else h)  # (N, out_features) raw scores
        except (RuntimeError, TypeError):
            problem = self._input_problem(x)
            if problem is None:
                raise  # not x's width, dtype or type: PyTorch's own error is the clearest
            raise problem from None
        return (out, hidden) if return_hidden else out

    def _input_problem(self, x: Any) -> Exception | None:
        """What is wrong with ``x`` for this network, as one line, after PyTorch refused it; None where nothing we can name is.

        A tensor is expected; a table network's ``x`` is ``(N, in_features)`` in the weights' dtype (PyTorch said
        ``mat1 and mat2 shapes cannot be multiplied (2x3 and 4x8)`` or ``... must have the same dtype, but got Double and Float``).
        """
        if not isinstance(x, Tensor):
            return TypeError(f"Network takes a torch.Tensor of shape (N, {_shape_text(self.input_shape)}). Received: {type(x).__name__}; "
                             "convert it first, e.g. torch.as_tensor(X, dtype=torch.float32).")
        if self.vocab_size is not None:
            return None  # ids: the embedding names its own dtype and index errors
        want = self.head.weight.dtype
        given = f"shape {tuple(x.shape)}, dtype {_dtype_text(x.dtype)}"
        if len(self.input_shape) == 1 and (x.ndim != 2 or x.shape[1] != self.input_shape[0]):
            return ValueError(f"Network expects an input of shape (N, {self.input_shape[0]}): {self.input_shape[0]} features per row "
                              f"(in_features={self.input_shape[0]}), {_dtype_text(want)}. Received: {given}; give it rows of "
                              f"{self.input_shape[0]} values.")
        if x.dtype != want:
            other = f", or the network with net.to(torch.{_dtype_text(x.dtype)})" if x.is_floating_point() else ""
            return TypeError(f"Network computes in {_dtype_text(want)}. Received: an input of {given}; convert it with "
                             f"x.to(torch.{_dtype_text(want)}){other}.")
        return None

    def is_plain_dense(self) -> bool:
        """True when every hidden layer is dense with no norm and no dropout, on a table.

        Such a stack can be trained by the hand-written engine in ``_engine``;
        anything else trains through autograd.
        """
        if self.vocab_size is not None or len(self.input_shape) != 1:
            return False
        return all(type(layer) is DenseLayer and layer.norm is None and layer.dropout is None for layer in self.hidden_layers)

    def numpy_norms(self, dtype: Any) -> list[NpMap | None] | None:
        """Each hidden layer's norm as the NumPy map :func:`~._np_dense.dense_forward` applies at inference.

        None where a layer has none (:meth:`DenseLayer.np_norm`), when NumPy computes this network's eval-mode forward: a
        table's stack of dense layers, whose dropout is the identity then. None for any other network (other layer kinds,
        ids, an activation, norm or dropout module replaced by another), which ``predict`` runs through PyTorch.

        Parameters
        ----------
        dtype : numpy dtype
            The float type the maps compute in.
        """
        if self.vocab_size is not None or len(self.input_shape) != 1:
            return None
        norms = []
        for layer in self.hidden_layers:
            if type(layer) is not DenseLayer or not (layer.dropout is None or type(layer.dropout) is nn.Dropout) or not layer.runs_its_activation():
                return None
            try:
                norms.append(layer.np_norm(dtype))
            except ValueError:
                return None
        return norms

    def submodules(self) -> tuple[nn.Module, ...]:
        """Each of this network's children (the hidden layers, the head), each followed by its own children (a dense layer's
        linear map, norm, activation, dropout): the objects whose replacement by hand changes what the network computes.
        ``predict``'s NumPy copies compare them (about 2 µs) to see such a swap."""
        return tuple(m for child in self._modules.values() if child is not None for m in (child, *child._modules.values()) if m is not None)

    def linears(self) -> list[nn.Linear]:
        """Every dense affine map in order, the head last."""
        return [layer.linear for layer in self.hidden_layers if isinstance(layer, DenseLayer)] + [self.head]

    def activation_names(self) -> list[str]:
        """The activation of each dense hidden layer (aligned with :meth:`linears`)."""
        return [layer.activation_name for layer in self.hidden_layers if isinstance(layer, DenseLayer)]

    def config(self) -> dict[str, Any]:
        """The JSON-able constructor arguments that rebuild this network."""
        config: dict[str, Any] = {
            "in_features": self.in_features if isinstance(self.in_features, int) else list(self.in_features),
            "spec": self.spec.to_list(),
            "out_features": self.out_features,
            "activation": self.default_activation,
        }
        if self.vocab_size is not None:
            config["vocab_size"] = self.vocab_size
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Network:
        """A network of the shape :meth:`get_config` describes, its weights not initialised (``init="none"``: the caller
        loads them, as a model file does).

        Parameters
        ----------
        config : dict
            What :meth:`get_config` returned: ``in_features``, ``spec``, ``out_features`` and, when set, ``activation`` and
            ``vocab_size``.
        """
        in_features = config["in_features"]
        return cls(
            tuple(in_features) if isinstance(in_features, list) else in_features,
            config["spec"],
            config["out_features"],
            activation=config.get("activation", "relu"),
            init="none",
            vocab_size=config.get("vocab_size"),
        )


def _dtype_text(dtype: torch.dtype) -> str:
    """``torch.float32`` as ``float32``."""
    return str(dtype).removeprefix("torch.")


def _shape_text(shape: tuple[int, ...]) -> str:
    """A per-sample shape as its numbers, ``4`` or ``1, 8, 8``."""
    return ", ".join(map(str, shape))


def count_parameters(module: nn.Module) -> int:
    """Number of trainable scalars in ``module``.

    Parameters
    ----------
    module : torch.nn.Module
        The module.
    """
    return sum(p.numel() for p in module.parameters() if p.requires_grad)


def resolve_device(device: str | torch.device | None) -> torch.device:
    """``"auto"`` -> CUDA if present, else Apple MPS if present, else CPU; an explicit device must exist here.

    Parameters
    ----------
    device : str, torch.device or None
        ``"auto"`` (or None), ``"cpu"``, ``"cuda"``, ``"cuda:1"``, ``"mps"``, or a device.
    """
    if device is None or device == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        mps = getattr(torch.backends, "mps", None)
        if mps is not None and mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError):
        raise ValueError(
            f"device must be 'auto', 'cpu', 'cuda', 'cuda:N' or 'mps'. Received: device={device!r}."
        ) from None
    # a device this machine lacks fails here, before any work, not deep inside PyTorch mid-fit
    if dev.type == "cuda" and (not torch.cuda.is_available() or (dev.index or 0) >= torch.cuda.device_count()):
        found = f"{torch.cuda.device_count()} CUDA GPU(s)" if torch.cuda.is_available() else "no CUDA GPU"
        raise DeviceUnavailableError(f"device={device!r} but this machine has {found}: use device='auto' (GPU when present, else CPU) or 'cpu'.")
    mps = getattr(torch.backends, "mps", None)
    if dev.type == "mps" and not (mps is not None and mps.is_available()):
        raise DeviceUnavailableError(f"device={device!r} but Apple MPS is not available on this machine: use device='auto' or 'cpu'.")
    return dev


def load_device(saved: Any, requested: Any = None) -> torch.device:
    """Where a loaded model goes.

    ``requested`` when given (it must exist here); else the saved ``device`` parameter, or, when this machine lacks that
    device (a model trained on a GPU, loaded on a laptop), ``"auto"``'s choice with a warning, so the file still loads.

    Parameters
    ----------
    saved : str or None
        The model's saved ``device`` parameter.
    requested : str or torch.device, optional
        The device the caller asks for.
    """
    if requested is not None:
        return resolve_device(requested)
    try:
        return resolve_device(saved)
    except DeviceUnavailableError:
        dev = resolve_device("auto")
        warnings.warn(f"the model was saved with device={saved!r}, which this machine lacks; loaded on {dev} instead (pass device= to choose).", UserWarning, stacklevel=user_stacklevel())
        return dev


__all__ = ["Network", "count_parameters", "load_device", "resolve_device"]
