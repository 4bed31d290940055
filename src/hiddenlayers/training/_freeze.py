"""Reuse and freeze hidden layers: copy them from a source network, keep them fixed in training.

A frozen layer's parameters get ``requires_grad=False`` for the duration of a
fit, so :class:`FlatParams` leaves them out of the flat buffer: no optimizer
step, L2 term or weight decay can touch them (their weights stay
bit-identical), and the hand-written engine stops its backward pass at the
first trainable layer. A frozen layer's batch norm also runs in inference
mode (its running mean and variance, as Keras does for a layer with
``trainable=False``): in training mode it would normalise by each batch's
statistics and move its running statistics, so the frozen layer would compute
something else after the fit. Works for any network with ``hidden_names``
(dense stacks, convolutions, embeddings, recurrent layers).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np
import torch
from torch import nn


def _layer_kind(layer: nn.Module) -> str:
    return type(layer).__name__


def _shapes(layer: nn.Module) -> dict[str, tuple[int, ...]]:
    return {k: tuple(v.shape) for k, v in layer.state_dict().items()}


def _describe(layer: nn.Module) -> str:
    shapes = _shapes(layer)
    main = shapes.get("linear.weight") or next(iter(shapes.values()), ())
    return f"{_layer_kind(layer)} {main}"


def copy_hidden_layers(
    source: nn.Module,
    target: nn.Module,
    *,
    input_columns: np.ndarray | None = None,
    up_to_mismatch: bool = False,
) -> list[str]:
    """Copy every hidden layer of ``source`` into the layer of the same name in ``target``; returns the names copied.

    Both networks expose ``hidden_names`` (``hidden1``, ``hidden2``, ...). The layers the two share by name are copied, in
    order; a shared layer of a different kind or shape raises a ``ValueError`` naming it and both shapes (never a silent
    re-initialisation). The head is never copied.

    Parameters
    ----------
    source : torch.nn.Module
        The fitted network.
    target : torch.nn.Module
        The network to start from it.
    input_columns : numpy.ndarray, optional
        An index array, one entry per target input column: picks the source's first-layer input columns for a table
        whose columns were matched by name.
    up_to_mismatch : bool
        Copy the shared layers in order up to the first that differs and stop there, without an error (the layers after
        it read its fresh output), as a convolutional network reused on images of another size keeps its convolutions and
        starts the dense layer after the flattening afresh; a first layer that differs still raises.
    """
    src_names = list(getattr(source, "hidden_names", []))
    tgt_names = list(getattr(target, "hidden_names", []))
    if not src_names:
        raise ValueError("init_from: the source model has no hidden layers to copy")
    shared = [n for n in tgt_names if n in src_names]
    if not shared:
        raise ValueError(f"init_from: no hidden layer in common (source has {src_names}, target has {tgt_names})")
    copied: list[str] = []
    for i, name in enumerate(shared):
        s_layer, t_layer = getattr(source, name), getattr(target, name)
        state = {k: v.detach().clone() for k, v in s_layer.state_dict().items()}
        if i == 0 and input_columns is not None and "linear.weight" in state:
            state["linear.weight"] = state["linear.weight"][:, torch.as_tensor(input_columns, dtype=torch.long)]
        want = _shapes(t_layer)
        got = {k: tuple(v.shape) for k, v in state.items()}
        if _layer_kind(s_layer) != _layer_kind(t_layer) or want != got:
            if up_to_mismatch and copied:
                break
            main = "linear.weight" if "linear.weight" in got else next(iter(got), "")
            raise ValueError(
                f"init_from: layer {name} does not match: source {_layer_kind(s_layer)} {got.get(main, ())} "
                f"vs target {_describe(t_layer)} (shapes are (out, in)); give the target the source's layer "
                f"sizes up to {name}, or copy fewer layers."
            )
        ref = next(iter(t_layer.state_dict().values()), None)
        with torch.no_grad():
            t_layer.load_state_dict({k: v.to(dtype=ref.dtype if ref is not None and v.is_floating_point() else v.dtype) for k, v in state.items()})
        copied.append(name)
    return copied


def copy_matching_layers(source: nn.Module, target: nn.Module, names: Sequence[str]) -> tuple[list[str], list[str]]:
    """Copy each listed layer from ``source`` into ``target`` where both have it with the same kind and parameter shapes.

    Leaves the others as ``target`` has them. Returns ``(copied, skipped)``: the names copied, and one
    ``"name (why)"`` per layer not copied, for the caller to warn about or refuse (copying nothing is the caller's error
    to raise).

    Parameters
    ----------
    source, target
        As :func:`copy_hidden_layers` takes them: the fitted network, and the network to start from it.
    names : sequence of str
        Dotted paths, e.g. ``encoder.hidden1``.
    """
    copied: list[str] = []
    skipped: list[str] = []
    for name in names:
        try:
            s_layer, t_layer = source.get_submodule(name), target.get_submodule(name)
        except AttributeError:
            skipped.append(f"{name} (not in the source)")
            continue
        got, want = _shapes(s_layer), _shapes(t_layer)
        if _layer_kind(s_layer) != _layer_kind(t_layer) or got != want:
            skipped.append(f"{name} (source {_describe(s_layer)}, this model {_describe(t_layer)})")
            continue
        with torch.no_grad():
            for key, value in t_layer.state_dict().items():
                value.copy_(s_layer.state_dict()[key])
        copied.append(name)
    return copied, skipped


def resolve_frozen(freeze: Any, hidden_names: Sequence[str]) -> list[str]:
    """The hidden layers that ``freeze`` names; ``ValueError`` for a count out of range or an unknown layer name.

    Parameters
    ----------
    freeze : int, sequence of str or None
        ``k`` (the first k), names, or ``None``/``0`` (none).
    hidden_names : sequence of str
        The network's hidden layers, input side first.
    """
    names = list(hidden_names)
    if freeze is None or freeze is False:
        return []
    if isinstance(freeze, (int, np.integer)) and not isinstance(freeze, bool):
        k = int(freeze)
        if not 0 <= k <= len(names):
            raise ValueError(f"freeze must be 0..{len(names)} (the number of hidden layers to keep fixed). Received: freeze={freeze!r}.")
        return names[:k]
    if isinstance(freeze, str):
        freeze = [freeze]
    if isinstance(freeze, (list, tuple)) and all(isinstance(n, str) for n in freeze):
        unknown = [n for n in freeze if n not in names]
        if unknown:
            raise ValueError(f"freeze names unknown layer(s) {unknown}: the hidden layers are {names}.")
        return [n for n in names if n in freeze]
    raise TypeError(
        "freeze must be an int (freeze the first k hidden layers), a list of layer names, "
        f"'head_first' or None. Received: freeze={freeze!r}."
    )


@contextmanager
def frozen(network: nn.Module, names: Sequence[str]) -> Iterator[None]:
    """Within the block the parameters of hidden layers ``names`` have ``requires_grad=False``.

    Restores each parameter's previous flag afterwards (so the lens, pruning and a later fit see an ordinary network).

    Parameters
    ----------
    network : torch.nn.Module
        The network.
    names : sequence of str
        Its hidden layers to freeze.
    """
    saved: list[tuple[nn.Parameter, bool]] = []
    norms: list[nn.Module] = []
    hooks: list[Any] = []
    try:
        for name in names:
            layer = network.get_submodule(name)  # a dotted name (an autoencoder's ``encoder.hidden1``) too
            for p in layer.parameters():
                saved.append((p, p.requires_grad))
                p.requires_grad_(False)
            for norm in _running_stat_modules(layer):
                norms.append(norm)
                hooks.append(norm.register_forward_pre_hook(_inference_mode_in))
                hooks.append(norm.register_forward_hook(_inference_mode_out))
        yield
    finally:
        for handle in hooks:
            handle.remove()
        for norm in norms:  # a forward that raised between the two hooks
            _inference_mode_out(norm, (), None)
        for p, flag in saved:
            p.requires_grad_(flag)


def _running_stat_modules(layer: nn.Module) -> list[nn.Module]:
    """The modules in ``layer`` that keep running statistics (batch norm, instance norm with ``track_running_stats``)."""
    return [m for m in layer.modules() if getattr(m, "track_running_stats", False) and getattr(m, "running_mean", None) is not None]


def _inference_mode_in(module: nn.Module, args: Any) -> None:
    """Forward pre-hook: this call uses the running statistics and leaves them as they are (the mode is put back after it)."""
    module.__dict__["_hl_was_training"] = module.training
    module.training = False


def _inference_mode_out(module: nn.Module, args: Any, output: Any) -> None:
    """Forward hook: put the mode back as the fit loop set it."""
    module.training = module.__dict__.pop("_hl_was_training", module.training)


def file_sha256(path: Any) -> str:
    """Hex SHA-256 of a file's bytes (the provenance of a model started from it).

    Parameters
    ----------
    path : str or PathLike
        The file.
    """
    import hashlib

    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


__all__ = ["copy_hidden_layers", "copy_matching_layers", "file_sha256", "frozen", "resolve_frozen"]
