"""Put a fitted model (estimator or application) back as it was when a fit call raises.

A fit call changes the model in two ways. It rebinds attributes (a new
``loss_curve_``, a new network on a fresh fit): a shallow copy of ``__dict__``
undoes those. And it changes a few objects in place, which a shallow copy
does not see: a kept network's parameters become views of the training loop's
flat buffer (with ``.grad`` pointing into it) and its norm layers' running
statistics move; ``history_`` is appended to; a dict attribute may gain keys;
a NumPy ``RandomState`` given as ``random_state`` is drawn from (the init, the
early-stopping split, the shuffling seed), and a caller who fixes the data and
fits again should get the model a first successful call would have given.
A callback that raises at epoch 7 of a warm fit would otherwise leave
``history_`` with 7 more epochs while ``loss_curve_`` and ``n_iter_`` say none,
and a network in train mode.

What is saved is what the call can change, by reference where that is safe,
so the guard costs about the same whatever the model's size or age (it sits
on every ``partial_fit``, one per chunk of a streamed fit): a parameter's
tensor by reference, because training never writes into a parameter's own
storage (``FlatParams`` copies it into its buffer and ``release`` gives each
parameter a new one); a History by the lengths of its lists, because fits
only append to them. ``tests/estimators/test_fit.py`` checks both promises.
Buffers (running statistics, updated in place) and dicts are small and copied;
a given ``random_state`` RandomState by its state (``get_state``, ~50 us, so
only then: from an int seed each fit makes a new ``_random_state``).
Lists (``loss_curve_``, ``validation_scores_``, ``transferred_``) and arrays
(``classes_``; ``coefs_`` are read from the network) are rebound by a fit, never
changed in place, and the shallow copy covers them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import torch
from torch import nn

from ..network import snapshot_modes
from ..training import History

Undo = Callable[[], None]


@contextmanager
def restored_on_error(model: Any) -> Iterator[None]:
    """Inside the block ``model`` may change; if it raises, its state is put back as it was and the error re-raised.

    Attributes come back from a shallow copy of ``model.__dict__``; what a fit changes in place is rolled back too: each
    ``nn.Module`` attribute's parameters (in their own storage again, no ``.grad``), buffers and each submodule's
    train/eval mode, each :class:`~hiddenlayers.training.History`'s lists and fields, each dict's items, and the state of
    a NumPy ``RandomState`` given as ``random_state``. Ctrl-C is an error here too; a solver that handles it itself
    (keeping its best weights) returns normally, and nothing is undone.

    Parameters
    ----------
    model : estimator or application
        The model a fit call may change.
    """
    before = dict(model.__dict__)
    undo = [u for u in map(_undo_for, before.values()) if u is not None]
    given = before.get("random_state")
    if isinstance(given, np.random.RandomState):  # only a given one: a fit makes its own _random_state from an int seed
        undo.append(_random_state_undo(given))  # (get_state takes ~50 us: not paid by the usual int seed)
    try:
        yield
    except BaseException:
        model.__dict__.clear()
        model.__dict__.update(before)
        for u in undo:
            u()
        raise


def _undo_for(value: Any) -> Undo | None:
    """How to put back what a fit may change inside ``value`` (None: nothing it changes in place)."""
    if isinstance(value, nn.Module):
        return _network_undo(value)
    if isinstance(value, History):
        return _history_undo(value)
    if isinstance(value, dict):
        return _dict_undo(value)
    return None


def _random_state_undo(rs: np.random.RandomState) -> Undo:
    """Put back ``rs``'s position in its stream (``random_state`` and ``_random_state`` may be the user's one object)."""
    state = rs.get_state()
    return lambda: rs.set_state(state)


def _dict_undo(d: dict[Any, Any]) -> Undo:
    """Put back ``d``'s items (a shallow copy: ``_optimizer_state``, ``provenance_`` are a few keys)."""
    items = dict(d)

    def undo() -> None:
        d.clear()
        d.update(items)

    return undo


def _network_undo(net: nn.Module) -> Undo:
    """Put back ``net``'s parameters (by reference), buffers (cloned: updated in place) and each submodule's train/eval mode."""
    params = {name: p.data for name, p in net.named_parameters()}
    buffers = {name: b.detach().clone() for name, b in net.named_buffers()}
    restore_modes = snapshot_modes(net)  # each submodule's own flag: net.train(net.training) would flatten a frozen part

    def undo() -> None:
        with torch.no_grad():
            for name, p in net.named_parameters():
                if name in params:
                    p.data = params[name]  # its own storage again, not a view of the loop's flat buffer
                    p.grad = None
            for name, b in net.named_buffers():
                if name in buffers:
                    b.copy_(buffers[name])
        for module in net.modules():
            if isinstance(module, nn.RNNBase) and getattr(module, "in_flat_buffer", False):
                module.in_flat_buffer = False  # type: ignore[assignment]  # its weights have their own storage again
                module.flatten_parameters()
        restore_modes()

    return undo


def _history_undo(history: History) -> Undo:
    """Put back ``history``'s fields, its lists (and ``extra``'s) cut to their lengths now: a fit only appends to them."""
    fields = {f.name: getattr(history, f.name) for f in dataclasses.fields(history)}
    lengths = {name: len(v) for name, v in fields.items() if isinstance(v, list)}
    extra = {key: (v, len(v) if isinstance(v, list) else None) for key, v in history.extra.items()}

    def undo() -> None:
        for name, value in fields.items():
            setattr(history, name, value)
            if name in lengths:
                del value[lengths[name]:]
        history.extra.clear()
        for key, (v, n) in extra.items():
            if n is not None:
                del v[n:]
            history.extra[key] = v

    return undo
