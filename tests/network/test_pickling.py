"""The walk that writes a state's tensors from the CPU (``portable_state``) and the placement of unpickled tensors.

A GPU is played by ``pickle_helpers.play_gpu`` (every tensor counts as fitted on ``cuda:0``, and there is no GPU); the real GPU round trip is in
``tests/test_cuda.py``.
"""

from __future__ import annotations

import pickle
import warnings
from collections import OrderedDict
from typing import Any

import numpy as np
import pytest
import torch
from torch import nn

from hiddenlayers.network import PortablePickle, _pickling, portable_state, unpickled_placement
from pickle_helpers import play_gpu, tensors_written


@pytest.fixture
def fake_gpu(monkeypatch: pytest.MonkeyPatch) -> None:
    play_gpu(monkeypatch)


class Plain:
    """An object pickled by its ``__dict__``."""

    def __init__(self, **kw: Any) -> None:
        self.__dict__.update(kw)


class Holder(PortablePickle):
    def __init__(self, **kw: Any) -> None:
        self.__dict__.update(kw)


def state() -> dict[str, Any]:
    net = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))
    return {"net": net, "opt": {"m": torch.ones(5), "layout": [(2, 3)]}, "pairs": [torch.zeros(2), (torch.ones(1), "a")],
            "od": OrderedDict(w=torch.ones(2)), "plain": Plain(t=torch.ones(3), n=1), "arr": np.arange(4), "n": 3}


def every_tensor(obj: Any) -> list[torch.Tensor]:
    return tensors_written(obj)[0]


def test_portable_state_leaves_the_live_state_as_it_was_and_copies_only_what_holds_tensors(fake_gpu: None) -> None:
    s = state()
    before = {k: v for k, v in s.items()}
    weight = s["net"][0].weight
    out = portable_state(s)
    assert s == before and s["net"][0].weight is weight and s["plain"].t.device.type == "cpu"  # nothing live changed
    assert out["arr"] is s["arr"] and out["n"] == 3 and out["opt"]["layout"] is s["opt"]["layout"]  # nothing holding no tensor is copied
    assert isinstance(out["net"], _pickling._Rebuilt) and type(out["od"]) is OrderedDict and type(out["pairs"][1]) is tuple


def test_modules_and_plain_objects_unpickle_as_themselves(fake_gpu: None) -> None:
    s = state()
    s["net"].eval()
    with pytest.warns(UserWarning, match="fitted on cuda:0"):
        back = pickle.loads(pickle.dumps(Holder(**s)))
    assert isinstance(back.net[1], nn.BatchNorm1d) and not back.net.training
    assert isinstance(back.net[0].weight, nn.Parameter) and back.net[0].weight.requires_grad
    torch.testing.assert_close(back.net(torch.ones(2, 3)), s["net"](torch.ones(2, 3)))
    assert back.plain.n == 1 and type(back.plain) is Plain and type(back.od) is OrderedDict
    assert back.pairs[1][1] == "a" and back.opt["layout"] == [(2, 3)]


def test_a_tensor_reached_twice_is_one_tensor_after_unpickling(fake_gpu: None) -> None:
    t = torch.ones(3)
    with pytest.warns(UserWarning):
        back = pickle.loads(pickle.dumps(Holder(a=t, b=[t])))
    assert back.a is back.b[0]


def test_a_cycle_does_not_recurse_forever(fake_gpu: None) -> None:
    p = Plain(t=torch.ones(2))
    p.me = p
    with pytest.warns(UserWarning):
        back = pickle.loads(pickle.dumps(Holder(p=p)))
    assert torch.equal(back.p.t, p.t)


def test_objects_that_pickle_themselves_are_left_to_their_own_getstate(fake_gpu: None) -> None:
    inner = Holder(t=torch.ones(2))
    out = portable_state({"inner": inner})
    assert out["inner"] is inner and "_fitted_device" not in out
    seen, wrapped = tensors_written(Holder(inner=inner, u=torch.zeros(1)))
    assert len(seen) == wrapped == 2  # the inner holder's tensor went through its own __getstate__


def test_portable_state_records_the_device_and_wraps_every_tensor(fake_gpu: None) -> None:
    s = state()
    out = portable_state(s)
    assert out["_fitted_device"] == "cuda:0" and "_fitted_device" not in s
    seen, wrapped = tensors_written(out)
    assert len(seen) == wrapped == 12  # every tensor written is a CPU copy that unpickles onto its device


def test_a_cpu_state_is_pickled_as_it_is() -> None:
    s = state()
    out = portable_state(s)
    assert "_fitted_device" not in out and all(out[k] is s[k] for k in s)


def test_unpickled_on_a_machine_without_the_device_stays_on_the_cpu_with_one_warning(fake_gpu: None) -> None:
    h = Holder(net=nn.Linear(2, 2), _device=torch.device("meta"))
    data = pickle.dumps(h)
    with pytest.warns(UserWarning) as record:
        back = pickle.loads(data)
    assert len(record) == 1
    assert str(record[0].message).startswith("this Holder was fitted on cuda:0, which this machine lacks: it was unpickled on the CPU. ")
    assert "set_params(device=...)" in str(record[0].message) and "hl.load(path, device=...)" in str(record[0].message)
    assert back.net.weight.device.type == "cpu" and isinstance(back.net.weight, nn.Parameter)
    assert back._device == torch.device("cpu") and not hasattr(back, "_fitted_device")
    torch.testing.assert_close(back.net.weight, h.net.weight)


def test_unpickled_where_the_device_exists_goes_there_without_a_warning(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_pickling, "_on_host", lambda t: False)
    monkeypatch.setattr(_pickling, "_device_name", lambda t: "cpu")  # recorded as fitted on a device this machine has
    h = Holder(net=nn.Linear(2, 2))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        back = pickle.loads(pickle.dumps(h))
    assert back.net.weight.device.type == "cpu"


def test_unpickled_placement_without_a_record_is_none() -> None:
    s: dict[str, Any] = {"a": 1}
    assert unpickled_placement(s, "X") is None and s == {"a": 1}


def test_deepcopy_keeps_tensors_where_they_are(fake_gpu: None, recwarn: pytest.WarningsRecorder) -> None:
    import copy

    h = Holder(net=nn.Linear(2, 2), _device=torch.device("cpu"))
    h.same = h.net
    twin = copy.deepcopy(h)
    assert not recwarn.list  # not through a pickle's CPU copies (which would warn here that cuda:0 is missing)
    assert twin.net is twin.same and twin.net is not h.net and twin._device == h._device
    torch.testing.assert_close(twin.net.weight, h.net.weight)
    assert pickle.loads(pickle.dumps(h, protocol=4)) is not None and recwarn.list  # a pickle still writes from the CPU, and warns
