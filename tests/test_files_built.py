"""_files.built_for_file: a model file whose JSON claims a network its tensors do not fill is refused before that network is built.

A file altered to say 10**9 hidden units (or inputs, or factors) allocated and initialised gigabytes before its shapes were
compared: the tests watch every tensor PyTorch allocates off the meta device, and fail on any one larger than the file's."""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import torch
from torch.utils._python_dispatch import TorchDispatchMode

import hiddenlayers as hl
from hiddenlayers.apps import Autoencoder, Recommender
from metadata_edits import edit_file

_LIMIT = 10**6  # elements: far above any tensor of these tiny models, far below what the altered files claim


_MANY = 10_000  # tensors made (on any device): far above what these tiny models' loads make


class _NoBigAllocation(TorchDispatchMode):
    """Fails any allocation of more than :data:`_LIMIT` elements that is not on the meta device, and the :data:`_MANY`-th
    tensor made at all (an endless build), before it happens."""

    def __init__(self) -> None:
        super().__init__()
        self.made = 0

    def __torch_dispatch__(self, func: Any, types: Any, args: tuple = (), kwargs: dict | None = None) -> Any:
        kwargs = kwargs or {}
        if func.__name__.startswith("empty"):
            self.made += 1
            assert self.made < _MANY, f"{self.made} tensors made for an altered file"
            size = args[0] if args else kwargs.get("size")
            assert str(kwargs.get("device")) == "meta" or size is None or math.prod(size) <= _LIMIT, f"{func} allocated {list(size)} for an altered file"
        return func(*args, **kwargs)


def _mlp_units(meta: dict) -> None:
    meta["network"]["spec"][0]["units"] = 10**9


def _mlp_inputs(meta: dict) -> None:
    meta["network"]["in_features"] = 10**9


def _autoencoder_inputs(meta: dict) -> None:
    meta["state"]["n_features_in_"] = 10**9


def _recommender_factors(meta: dict) -> None:
    meta["params"]["n_factors"] = 10**9


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Tiny fitted models of three kinds, saved."""
    folder = tmp_path_factory.mktemp("built")
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3))
    kw = {"max_iter": 1, "random_state": 0, "device": "cpu"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # one epoch: "has not converged"
        hl.MLPClassifier((4,), **kw).fit(X, X[:, 0] > 0).save(folder / "mlp.safetensors")
    Autoencoder((4,), n_components=2, **kw).fit(X).save(folder / "auto.safetensors")
    ratings = pd.DataFrame({"user": rng.integers(0, 5, 60), "item": rng.integers(0, 6, 60), "rating": rng.uniform(1, 5, 60)})
    Recommender(n_factors=2, hidden_layer_sizes=(4,), **kw).fit(ratings[["user", "item"]], ratings["rating"]).save(folder / "rec.safetensors")
    return {"mlp": folder / "mlp.safetensors", "auto": folder / "auto.safetensors", "rec": folder / "rec.safetensors"}


@pytest.mark.parametrize(("kind", "edit", "named"), [
    ("mlp", _mlp_units, "tensor 'hidden1.linear.weight' has shape (4, 3) but its architecture needs (1000000000, 3)"),
    ("mlp", _mlp_inputs, "tensor 'hidden1.linear.weight' has shape (4, 3) but its architecture needs (4, 1000000000)"),
    ("auto", _autoencoder_inputs, "has shape (4, 3) but its architecture needs (4, 1000000000)"),
    ("rec", _recommender_factors, "but its architecture needs (5, 1000000000)"),
])
def test_a_file_claiming_a_huge_network_is_refused_before_it_is_built(files: dict[str, Path], tmp_path: Path, kind: str,
                                                                      edit: Callable[[dict], None], named: str) -> None:
    bad = edit_file(files[kind], tmp_path / "bad.safetensors", edit)
    with _NoBigAllocation(), pytest.raises(hl.ModelFileError) as info:  # before: the huge network was allocated first
        hl.load(bad)
    message = str(info.value)
    assert message.startswith(f"'{bad}' tensor ") and named in message and message.endswith(": the file was altered."), message
    with _NoBigAllocation():
        hl.load(files[kind])  # the file as saved loads, and allocates no more than its tensors


def test_a_file_claiming_an_endless_network_stops_being_built_at_once(tmp_path: Path) -> None:
    """A SequenceClassifier file altered to 10**12 stacked GRU layers was built layer by layer, for ever (found by fuzzing the
    apps' files); an MLP spec of 100,000 layers took 14 s to refuse. The meta build stops past twice the file's tensors."""
    from sklearn.datasets import load_digits

    from hiddenlayers.apps import SequenceClassifier

    d = load_digits()
    SequenceClassifier("gru4,8", max_iter=1, random_state=0, device="cpu").fit(d.images[:40] / 16, d.target[:40]).save(tmp_path / "s.safetensors")

    def endless(meta: dict) -> None:
        meta["state"]["network"]["spec"][0]["layers"] = 10**12

    mlp = tmp_path / "mlp.safetensors"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # one epoch: "has not converged"
        hl.MLPClassifier((4,), max_iter=1, random_state=0, device="cpu").fit(np.eye(3), [0, 1, 1]).save(mlp)

    def deep(meta: dict) -> None:
        meta["network"]["spec"] = meta["network"]["spec"] * 100_000

    cases = ((edit_file(tmp_path / "s.safetensors", tmp_path / "bad_seq.safetensors", endless), "more than 24 weight tensors, but the file holds 8"),
             (edit_file(mlp, tmp_path / "bad_mlp.safetensors", deep), "more than 16 weight tensors, but the file holds 4"))
    for bad, named in cases:
        with _NoBigAllocation(), pytest.raises(hl.ModelFileError) as info:
            hl.load(bad)
        assert str(info.value) == f"'{bad}' describes a network of {named}: the file was altered."


def test_the_watch_sees_a_real_allocation_and_not_a_meta_one() -> None:
    """The check above can fail: an allocation of the claimed size off the meta device is caught before it happens."""
    with _NoBigAllocation():
        with torch.device("meta"):
            torch.nn.Linear(10**9, 4)
        with pytest.raises(AssertionError, match="allocated"):
            torch.nn.Linear(10**9, 4)


@pytest.mark.parametrize(("kind", "edit"), [
    ("mlp", lambda meta: meta["network"]["spec"][0].__setitem__("units", 2**63 + 5)),
    ("mlp", lambda meta: meta["network"].__setitem__("in_features", 2**64)),
    ("auto", lambda meta: meta["state"].__setitem__("n_features_in_", 2**63)),
])
def test_a_size_pytorch_cannot_make_is_one_short_line(files: dict[str, Path], tmp_path: Path, kind: str, edit: Callable[[dict], None]) -> None:
    """A layer of 2**63 + 5 units in an MLP file was refused with PyTorch's C++ stack in the message ("Exception raised
    from THPUtils_unpackLong at ... frame #0: c10::Error::Error(...)", 2,174 characters); now its first line only."""
    bad = edit_file(files[kind], tmp_path / "bad.safetensors", edit)
    with _NoBigAllocation(), pytest.raises(hl.ModelFileError) as info:
        hl.load(bad)
    message = str(info.value)
    assert message.startswith(f"'{bad}' has inconsistent contents (") and message.endswith("); the file was altered or is damaged."), message
    assert "\n" not in message and "Exception raised from" not in message and len(message) < 200 + 120 + len(str(bad)), message
