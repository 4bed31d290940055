"""Pickles of fitted models that load on any machine: tensors are written from the CPU and go back to their device where it exists.

scikit-learn users pickle fitted estimators (``pickle``, ``joblib``, ``cloudpickle``). PyTorch pickles a CUDA tensor
with its device, so a model fitted on a GPU could not be unpickled on a machine without one ("Attempting to deserialize
object on a CUDA device"). :class:`PortablePickle`'s ``__getstate__`` returns a copy of the state in which each tensor
off the CPU is copied to the CPU, one tensor at a time (pickling a large GPU model never doubles its GPU memory), and
wrapped in :class:`_OnDevice`, which pickles as "this CPU tensor, fitted on ``cuda:0``". Unpickling puts each such
tensor back on that device when this machine has it, else leaves it on the CPU, and ``__setstate__`` warns once.

:func:`portable_state` walks the state: only the containers on the way from it to a tensor off the CPU are copied
(dicts, lists, tuples); a module or other object pickled from its ``__getstate__`` is written, in their place, as
:class:`_Rebuilt` ("an object of this class, from this state"), so nothing live is copied or changed. Objects that
make themselves portable (another estimator inside the state) are left to their own ``__getstate__``. A view is
copied as its own tensor (no state of this library shares storage between tensors).
"""

from __future__ import annotations

import copy
import threading
import types
import warnings
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor, nn

from .._stacklevel import user_stacklevel

FITTED_DEVICE = "_fitted_device"  # the state's record of the device the model was fitted on (absent: the CPU)
_copying = threading.local()  # depth > 0 inside PortablePickle.__deepcopy__'s __getstate__: the state as it is
_NOT_WALKED = (type, types.FunctionType, types.MethodType, types.BuiltinFunctionType, types.ModuleType)


def placement(device: str | torch.device) -> torch.device:
    """Where a tensor fitted on ``device`` goes on this machine: ``device`` when it exists here, else the CPU."""
    from ._network import resolve_device

    try:
        return resolve_device(str(device))
    except ValueError:  # a GPU (or MPS) this machine lacks, or a device name this PyTorch does not know
        return torch.device("cpu")


def _copied_to(t: Tensor, device: torch.device) -> Tensor:
    """A copy of ``t`` on ``device``, detached; a ``Parameter`` stays one, and ``requires_grad`` is kept."""
    data = t.detach().to(device=device, copy=True)
    if isinstance(t, nn.Parameter):
        return nn.Parameter(data, requires_grad=t.requires_grad)
    return data.requires_grad_(t.requires_grad) if data.is_floating_point() or data.is_complex() else data


class _OnDevice:
    """A CPU copy of a tensor that was on ``device``: it pickles as a call that puts it back there (:func:`_on_fitted_device`)."""

    __slots__ = ("device", "tensor")

    def __init__(self, tensor: Tensor, device: str) -> None:
        self.tensor, self.device = tensor, device

    def __reduce__(self) -> tuple[Any, ...]:
        return (_on_fitted_device, (self.tensor, self.device))


def _on_fitted_device(tensor: Tensor, device: str) -> Tensor:
    """Unpickling an :class:`_OnDevice`: ``tensor`` on ``device`` when this machine has it, else as it is, on the CPU."""
    target = placement(device)
    return tensor if tensor.device == target else _copied_to(tensor, target)


def _walk(obj: Any, leaf: Callable[[Tensor], Any], memo: dict[int, tuple[Any, Any]]) -> Any:
    """``obj`` with ``leaf(t)`` in place of each tensor ``t`` it reaches for which ``leaf`` returns something (None: keep ``t``).
    ``memo`` (id -> (object, result)) makes an object reached twice one object in the result too; it holds each object, so
    that no id is reused while walking (``__getstate__`` makes dicts that would otherwise be freed)."""
    key = id(obj)
    if key in memo:
        return memo[key][1]
    memo[key] = (obj, obj)  # reached again while being walked (a cycle): kept as it is
    new = _walk_one(obj, leaf, memo)
    memo[key] = (obj, new)
    return new


def _walk_one(obj: Any, leaf: Callable[[Tensor], Any], memo: dict[int, tuple[Any, Any]]) -> Any:
    if isinstance(obj, Tensor):
        new = leaf(obj)
        return obj if new is None else new
    kind = type(obj)
    if kind in (dict, OrderedDict):
        items = {k: _walk(v, leaf, memo) for k, v in obj.items()}
        return obj if all(items[k] is v for k, v in obj.items()) else kind(items)
    if kind in (list, tuple):
        values = [_walk(v, leaf, memo) for v in obj]
        return obj if all(a is b for a, b in zip(values, obj)) else kind(values)
    if not _pickled_by_state(obj):
        return obj
    state = obj.__getstate__()
    if not isinstance(state, dict):
        return obj
    walked = _walk(state, leaf, memo)
    return obj if walked is state else _Rebuilt(kind, walked)


def _pickled_by_state(obj: Any) -> bool:
    """Whether pickle writes ``obj`` as "a new object of its class, then ``__setstate__`` (or ``__dict__``) from ``__getstate__()``"
    (modules, plain objects), so :class:`_Rebuilt` with another state pickles alike; objects that make themselves portable are not walked."""
    cls = type(obj)
    return (hasattr(obj, "__dict__") and not isinstance(obj, (*_NOT_WALKED, PortablePickle)) and cls.__reduce_ex__ is object.__reduce_ex__
            and cls.__reduce__ is object.__reduce__ and not hasattr(cls, "__getnewargs_ex__") and not hasattr(cls, "__getnewargs__"))


class _Rebuilt:
    """Pickles as an object of ``cls`` made from ``state``, as pickle writes ``cls``'s objects by default (protocol 2+), with another state."""

    __slots__ = ("cls", "state")

    def __init__(self, cls: type, state: dict[str, Any]) -> None:
        self.cls, self.state = cls, state

    def __reduce__(self) -> tuple[Any, ...]:
        return (_new_object, (self.cls,), self.state)


def _new_object(cls: type) -> Any:
    """A new, empty object of ``cls`` (what ``copyreg.__newobj__`` makes; the pickler refuses that name in another's reduce)."""
    make: Any = cls.__new__  # (typed for ``type`` itself by typeshed)
    return make(cls)


def _on_host(t: Tensor) -> bool:
    """Whether ``t`` is pickled as it is (on the CPU). (Tests replace this and :func:`_device_name` to play a GPU.)"""
    return t.device.type == "cpu"


def _device_name(t: Tensor) -> str:
    """The device ``t`` was fitted on, as recorded in a pickle (``"cuda:0"``)."""
    return str(t.device)


def portable_state(state: dict[str, Any]) -> dict[str, Any]:
    """``state`` to pickle: each tensor off the CPU as a CPU copy that unpickles onto its device (``state`` itself unchanged).

    When there was one, the first such device is recorded under :data:`FITTED_DEVICE`.

    Parameters
    ----------
    state : dict
        An object's ``__dict__`` (or its ``__getstate__``).
    """
    devices: list[str] = []

    def to_host(t: Tensor) -> _OnDevice | None:
        if _on_host(t):
            return None
        devices.append(_device_name(t))
        return _OnDevice(_copied_to(t, torch.device("cpu")), devices[-1])

    out = dict(_walk(state, to_host, {}))
    if devices:
        out[FITTED_DEVICE] = devices[0]
    return out


def unpickled_placement(state: dict[str, Any], owner: str) -> torch.device | None:
    """Pop :data:`FITTED_DEVICE` from an unpickled ``state``; return where its tensors went (None: nothing was recorded).

    When this machine lacks that device the tensors stayed on the CPU: one ``UserWarning`` names the device and how to
    choose.

    Parameters
    ----------
    state : dict
        The unpickled state (changed in place).
    owner : str
        The model's class name, for the message.
    """
    fitted = state.pop(FITTED_DEVICE, None)
    if fitted is None:
        return None
    target = placement(fitted)
    if str(target) != fitted:  # the machine lacks it: the tensors stayed on the CPU
        warnings.warn(f"this {owner} was fitted on {fitted}, which this machine lacks: it was unpickled on the CPU. Choose the device "
                      "of further fits with set_params(device=...), or save it with hl.save and read it with hl.load(path, device=...).",
                      UserWarning, stacklevel=user_stacklevel())
    return target


def _flatten_recurrent(state: dict[str, Any]) -> None:
    """Put the recurrent layers of the state's modules back in cuDNN's one contiguous buffer (their tensors were moved
    one by one; without it each forward pass warns and copies the weights)."""
    for value in state.values():
        if isinstance(value, nn.Module):
            for module in value.modules():
                if isinstance(module, nn.RNNBase):
                    module.flatten_parameters()


class PortablePickle:
    """Mixin (before ``BaseEstimator``): pickles hold CPU tensors only and the device the model was fitted on; unpickling puts
    the tensors back on it where it exists, else on the CPU with one warning. A ``_device`` in the state becomes that placement."""

    def __getstate__(self) -> dict[str, Any]:
        parent: Any = super()
        state = parent.__getstate__() if hasattr(parent, "__getstate__") else self.__dict__
        return dict(state) if getattr(_copying, "depth", 0) else portable_state(dict(state))

    def __deepcopy__(self, memo: dict[int, Any]) -> Any:
        """``copy.deepcopy``: the copy's tensors on the same devices, copied there (not through the CPU, as a pickle's)."""
        _copying.depth = getattr(_copying, "depth", 0) + 1
        try:
            state = self.__getstate__()  # the class's own state (a subclass may leave out caches), tensors where they are
        finally:
            _copying.depth -= 1
        new = type(self).__new__(type(self))
        memo[id(self)] = new
        new.__setstate__(copy.deepcopy(state, memo))
        return new

    def __setstate__(self, state: dict[str, Any]) -> None:
        state = dict(state)
        target = unpickled_placement(state, type(self).__name__)
        if target is not None and "_device" in state:
            state["_device"] = target
        if target is not None and target.type == "cuda":
            _flatten_recurrent(state)
        parent: Any = super()
        if hasattr(parent, "__setstate__"):
            parent.__setstate__(state)
        else:
            self.__dict__.update(state)


__all__ = ["FITTED_DEVICE", "PortablePickle", "placement", "portable_state", "unpickled_placement"]
