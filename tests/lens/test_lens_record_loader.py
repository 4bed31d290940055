"""record() on a DataLoader or any iterable of batches: same arrays as on torch.cat of the inputs, max_rows, guards, errors."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn
from torch.utils.data import DataLoader, IterableDataset, TensorDataset

import hiddenlayers as hl
from hiddenlayers.lens import as_target, record
from hiddenlayers.lens._record import record_prepared


def _net() -> nn.Module:
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.BatchNorm1d(8), nn.Linear(8, 3))
    with torch.no_grad():
        net[2].running_mean.uniform_(-0.5, 0.5)
    return net


def _data(n: int = 50) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(1)
    return torch.randn(n, 4, generator=g), torch.randint(0, 3, (n,), generator=g)


def _same(a, b) -> None:
    assert list(a) == list(b) and a.n_rows == b.n_rows and a.kinds == b.kinds
    for k in a:
        np.testing.assert_array_equal(a[k], b[k])
    assert set(a.pre) == set(b.pre)
    for k in a.pre:
        np.testing.assert_array_equal(a.pre[k], b.pre[k])


def _hook_count(module: nn.Module) -> int:
    return sum(len(m._forward_hooks) + len(m._forward_pre_hooks) for m in module.modules())


def test_dataloader_of_x_y_records_the_same_arrays_as_the_concatenated_tensor():
    net, (X, y) = _net(), _data()
    loader = DataLoader(TensorDataset(X, y), batch_size=16)
    got = record(net, loader, keep_output=True)
    cat = torch.cat([xb for xb, _ in loader])
    _same(got, record(net, cat, batch_size=16, keep_output=True))
    # one forward pass of all 50 rows: equal up to the summation order the BLAS picks for a batch of 50 against one
    # of 16 or 2 (on some CPUs the last block of 2 rows differs in the last bit of float32)
    np.testing.assert_allclose(got.output, net.eval()(cat).detach().numpy(), rtol=1e-5, atol=1e-6)
    # default batch_size (one block of 50 rows): equal up to float32 summation order
    ref = record(net, cat)
    for k in ref:
        np.testing.assert_allclose(got[k], ref[k], rtol=1e-6, atol=1e-6)
        np.testing.assert_allclose(got.stats[k].mean, ref.stats[k].mean, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("form", ["tensor", "ndarray", "list", "tuple", "dict"])
def test_every_batch_form_reads_its_input(form):
    net, (X, y) = _net(), _data(30)
    parts = [(X[i : i + 7], y[i : i + 7]) for i in range(0, 30, 7)]
    make = {
        "tensor": lambda x, t: x,
        "ndarray": lambda x, t: x.numpy(),
        "list": lambda x, t: [x, t],
        "tuple": lambda x, t: (x, t),
        "dict": lambda x, t: {"label": t, "pixels": x},
    }[form]
    batches = (make(x, t) for x, t in parts)
    got = record(net, batches, input_key="pixels" if form == "dict" else None)
    _same(got, record(net, X, batch_size=7))


def test_max_rows_stops_reading_the_loader():
    net, (X, _) = _net(), _data(40)
    pulled: list[int] = []

    def batches():
        for i in range(10_000):  # far more than needed: reading them all would show in `pulled`
            pulled.append(i)
            yield X[(i * 8) % 40 : (i * 8) % 40 + 8]

    got = record(net, batches(), max_rows=20)
    assert pulled == [0, 1, 2] and got.n_rows == 20  # the third batch is cut to 4 rows
    _same(got, record(net, X[:20], batch_size=8))
    # the same cap on an array: the first rows
    _same(record(net, X, max_rows=20, batch_size=8), got)
    with pytest.raises(ValueError, match=r"max_rows must be None \(every row\) or an integer >= 1. Received: max_rows=0"):
        record(net, iter([X]), max_rows=0)


def test_stream_on_a_loader_keeps_statistics_over_every_row_and_arrays_for_sample():
    net, (X, y) = _net(), _data()
    loader = DataLoader(TensorDataset(X, y), batch_size=16)
    got = record(net, loader, stream=True, sample=10)
    ref = record(net, X, stream=True, sample=10, batch_size=16)
    assert got.n_rows == 50 and got["1"].shape == (10, 8)
    for k in ref:
        np.testing.assert_array_equal(got[k], ref[k])
        np.testing.assert_allclose(got.stats[k].mean, ref.stats[k].mean, rtol=1e-6)
        assert got.stats[k].n_dead == ref.stats[k].n_dead


def test_estimator_batches_are_prepared_like_rows_and_nan_rows_are_counted_across_batches():
    from sklearn.datasets import load_iris

    X, y = load_iris(return_X_y=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf = hl.MLPClassifier((8, 6), max_iter=30, random_state=0).fit(X, y)
    got = record(clf, (X[i : i + 32] for i in range(0, 150, 32)))
    _same(got, record(clf, X, batch_size=32))
    bad = X.copy()
    bad[70, 1] = np.nan
    with pytest.raises(ValueError, match=r"X holds NaN or infinite values \(first in row 70\)"):
        record(clf, (bad[i : i + 32] for i in range(0, 150, 32)))


class _Spy(nn.Module):
    """Notes whether gradients were on during its forward pass."""

    def __init__(self) -> None:
        super().__init__()
        self.lin, self.grad_seen = nn.Linear(4, 4), []

    def forward(self, x):
        self.grad_seen.append(torch.is_grad_enabled())
        return self.lin(x)


def test_model_is_left_as_it_was_also_when_the_loader_fails_midway():
    net, (X, _) = _net(), _data(24)
    net.train()
    net[0].eval()  # a mixed-mode model: restored per submodule
    modes = [m.training for m in net.modules()]
    state = {k: v.clone() for k, v in net.state_dict().items()}
    hooks = _hook_count(net)
    with pytest.raises(ValueError, match=r"batch 2 has input shape \(8, 5\) but batch 0 had \(8, 4\)"):
        record(net, iter([X[:8], X[8:16], torch.zeros(8, 5)]))
    record(net, iter([X[:8], X[8:16]]))
    assert [m.training for m in net.modules()] == modes and _hook_count(net) == hooks
    for k, v in net.state_dict().items():
        assert torch.equal(v, state[k]), k  # BatchNorm statistics untouched
    spy = _Spy()
    record(spy, DataLoader(TensorDataset(X), batch_size=10), layers="lin")
    assert spy.grad_seen == [False, False, False] and spy.lin.weight.grad is None


@pytest.mark.parametrize(
    ("batches", "kwargs", "error", "message"),
    [
        ([], {}, ValueError, r"X \(list_iterator\) yielded no rows: pass a loader with at least one non-empty batch"),
        ([torch.zeros(0, 4)], {}, ValueError, r"yielded no rows"),
        ([{"x": torch.zeros(2, 4), "y": torch.zeros(2)}], {}, ValueError, r"batch 0 is a dict \(keys 'x', 'y'\): pass input_key= .*input_key='x'"),
        ([{"x": torch.zeros(2, 4)}], {"input_key": "image"}, ValueError, r"batch 0 has no key input_key='image': pick one of its keys \('x'\)"),
        ([torch.zeros(2, 4)], {"input_key": "x"}, TypeError, r"input_key='x' names the input in dict batches, but batch 0 is a Tensor"),
        ([("a", 1)], {}, TypeError, r"the first item of batch 0 is a str, not an array-like input with a rows axis"),
        ([torch.zeros(2, 4), None], {}, TypeError, r"batch 1 is a NoneType, not an array-like input"),
        ([torch.tensor(1.0)], {}, TypeError, r"batch 0 is a 0-d Tensor, not an array-like input"),
        ([()], {}, TypeError, r"batch 0 is an empty tuple"),
        ([{"x": [1.0, 2.0]}], {"input_key": "x"}, TypeError, r"batch 0\['x'\] is a list, not an array-like input"),
    ],
)
def test_bad_batches_get_one_line_errors(batches, kwargs, error, message):
    net = _net()
    with pytest.raises(error, match=message) as info:
        record(net, iter(batches), **kwargs)
    assert "\n" not in str(info.value)


def test_datasets_and_input_key_on_rows_are_refused_with_the_fix():
    class Stream(IterableDataset):
        def __iter__(self):
            return iter(torch.zeros(3, 4))

    with pytest.raises(TypeError, match=r"X is a Stream, which yields single examples: wrap it in torch.utils.data.DataLoader"):
        record(_net(), Stream())
    with pytest.raises(TypeError, match=r"input_key='x' names the input in a DataLoader's dict batches, but X is a ndarray"):
        record(_net(), np.zeros((3, 4), np.float32), input_key="x")


def test_other_lens_paths_keep_refusing_a_loader():
    net = _net()
    loader = DataLoader(TensorDataset(torch.zeros(6, 4)), batch_size=2)
    with pytest.raises(TypeError, match=r"X is a DataLoader, not rows: .*torch.cat"):
        record_prepared(as_target(net), loader)


@settings(max_examples=25, deadline=None)
@given(sizes=st.lists(st.integers(0, 9), min_size=1, max_size=6), cap=st.one_of(st.none(), st.integers(1, 40)))
def test_any_split_into_batches_records_the_concatenated_rows(sizes, cap):
    net = _net()
    X = torch.randn(sum(sizes), 4, generator=torch.Generator().manual_seed(2))
    edges = np.cumsum([0, *sizes])
    batches = [(X[a:b], torch.zeros(b - a)) for a, b in zip(edges[:-1], edges[1:])]
    want = X if cap is None else X[:cap]
    if want.shape[0] == 0:
        with pytest.raises(ValueError, match="yielded no rows"):
            record(net, iter(batches), max_rows=cap)
        return
    got = record(net, iter(batches), max_rows=cap)
    ref = record(net, want, batch_size=1)  # one row at a time: batch-size independent reference
    assert got.n_rows == want.shape[0]
    for k in ref:
        np.testing.assert_allclose(got[k], ref[k], rtol=1e-5, atol=1e-6)


def test_summary_shares_records_input_path_and_reads_a_loader():
    import io

    from rich.console import Console

    net, (X, y) = _net(), _data()
    out = io.StringIO()
    stats = hl.lens.summary(net, DataLoader(TensorDataset(X, y), batch_size=16), console=Console(file=out, width=200))
    assert "hidden layers on 50 rows" in out.getvalue()
    ref = hl.lens.summary(net, X, console=Console(file=io.StringIO()))
    assert [s.n_dead for s in stats] == [s.n_dead for s in ref]


@pytest.mark.parametrize("call", ["layer_similarity", "probe", "domain_shift", "report"])
def test_the_lens_functions_that_take_rows_refuse_a_loader_in_one_line(call: str) -> None:
    """They draw rows at random, which a loader cannot give: one TypeError saying what to pass (was AttributeError: no 'shape')."""
    X, y = _data()
    loader = DataLoader(TensorDataset(X, y), batch_size=16)
    net = _net()
    calls = {
        "layer_similarity": lambda: hl.lens.layer_similarity(net, loader),
        "probe": lambda: hl.lens.probe(net, loader, y.numpy()),
        "domain_shift": lambda: hl.lens.domain_shift(net, loader, loader),
        "report": lambda: hl.lens.report(net, loader),
    }
    with pytest.raises(TypeError, match=r"^X is a DataLoader, not rows: pass the inputs as one \(N, \.\.\.\) array or tensor [^\n]*record[^\n]*$"):
        calls[call]()
