"""GradientFlow in a plain PyTorch training loop: `with flow.epoch(model):` and `flow.step()` after backward."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

import hiddenlayers as hl
from hiddenlayers.lens import GradientFlow, gradient_flow_table


def _model() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(4, 6), nn.Tanh(), nn.Linear(6, 5), nn.ReLU(), nn.Linear(5, 1))


def _data() -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(1)
    return torch.randn(48, 4, generator=g), torch.randn(48, 1, generator=g)


def test_norms_match_autograd_over_every_step_of_three_epochs():
    """SGD, 3 epochs of 4 steps: mean / max of per-step gradient norms, weight norm and update ratio, all by hand."""
    model, (X, y) = _model(), _data()
    opt = torch.optim.SGD(model.parameters(), lr=0.2)
    flow = GradientFlow(X[:32], layers=nn.Linear)
    linears = {"0": model[0], "2": model[2], "4": model[4]}
    by_hand: list[dict[str, dict[str, float]]] = []
    for _ in range(3):
        start = {n: m.weight.detach().clone() for n, m in linears.items()}
        per_step: dict[str, list[float]] = {n: [] for n in linears}
        with flow.epoch(model):
            for i in range(0, 48, 12):
                opt.zero_grad()
                loss = nn.functional.mse_loss(model(X[i:i + 12]), y[i:i + 12])
                grads = torch.autograd.grad(loss, [m.weight for m in linears.values()], retain_graph=True)
                for n, g in zip(linears, grads):
                    per_step[n].append(float(torch.sqrt((g.double() ** 2).sum())))
                loss.backward()
                flow.step()
                opt.step()
        by_hand.append({
            n: {"mean": float(np.mean(per_step[n])), "max": max(per_step[n]), "w": float(m.weight.detach().double().norm()),
                "ratio": float((m.weight.detach() - start[n]).double().norm() / start[n].double().norm())}
            for n, m in linears.items()
        })
    assert [r["epoch"] for r in flow.records] == [1, 2, 3]
    for rec, exp in zip(flow.records, by_hand):
        assert list(rec["layers"]) == ["0", "2", "4"]
        for n, e in exp.items():
            row = rec["layers"][n]
            assert row["steps"] == 4
            assert row["grad_norm"] == pytest.approx(e["mean"], rel=1e-5)
            assert row["grad_norm_max"] == pytest.approx(e["max"], rel=1e-5)
            assert row["weight_norm"] == pytest.approx(e["w"], rel=1e-6)
            assert row["update_ratio"] == pytest.approx(e["ratio"], rel=1e-5)
            assert row["units"] > 0 and 0 <= row["fraction_active"] <= 1
    # the steps differ, so the mean is not the last batch's norm
    assert by_hand[0]["0"]["max"] > by_hand[0]["0"]["mean"]


def test_default_layers_of_any_module_are_its_leaves_with_weights():
    model, (X, y) = _model(), _data()
    flow = GradientFlow()  # no X: gradients and weights only
    with flow.epoch(model):
        nn.functional.mse_loss(model(X), y).backward()
        flow.step()
    row = flow.records[0]["layers"]
    assert list(row) == ["0", "2", "4"] and "fraction_active" not in row["0"]  # Tanh and ReLU hold no weights


def test_layer_selection_is_record_s():
    model, (X, y) = _model(), _data()
    flow = GradientFlow(layers=["2", "4"])
    with flow.epoch(model):
        nn.functional.mse_loss(model(X), y).backward()
        flow.step()
    assert list(flow.records[0]["layers"]) == ["2", "4"]
    with pytest.raises(ValueError, match=re.escape("layers='fc*' matched no layer of Sequential; its layers are: 0 (Linear), 1 (Tanh)")):
        with GradientFlow(layers="fc*").epoch(model):
            pass


def test_selected_layers_without_weights_are_refused_in_one_line():
    model = _model()
    msg = ("GradientFlow found no weight matrices in the selected layers of Sequential: 1 (Tanh), 3 (ReLU); "
           "select layers that hold weights (Linear, Conv, RNN, attention), e.g. layers=torch.nn.Linear.")
    with pytest.raises(ValueError, match=re.escape(msg)):
        with GradientFlow(layers=(nn.Tanh, nn.ReLU)).epoch(model):
            pass
    with pytest.raises(ValueError, match="found no weight matrices in the selected layers of ReLU: relu"):
        with GradientFlow().epoch(nn.ReLU()):
            pass


def test_step_before_backward_outside_an_epoch_and_nested_epochs_are_clear_errors():
    model, (X, y) = _model(), _data()
    flow = GradientFlow()
    with pytest.raises(RuntimeError, match=re.escape("GradientFlow.step() was called outside an epoch: wrap each epoch's steps in `with flow.epoch(model):`.")):
        flow.step()
    msg = "GradientFlow.step() found no gradient on the weights of '0', '2', '4': call it after loss.backward() and before optimizer.zero_grad()."
    with pytest.raises(RuntimeError, match=re.escape(msg)):
        with flow.epoch(model):
            flow.step()
    assert flow.records == []  # the failed epoch is dropped
    with flow.epoch(model):
        with pytest.raises(RuntimeError, match="epochs cannot nest"):
            with flow.epoch(model):
                pass
        nn.functional.mse_loss(model(X), y).backward()
        flow.step()
    assert [r["epoch"] for r in flow.records] == [1]
    with pytest.raises(TypeError, match="takes the torch.nn.Module being trained. Received: str"):
        with flow.epoch("model"):  # type: ignore[arg-type]
            pass


def test_a_frozen_layer_reads_nan_while_the_others_are_measured():
    model, (X, y) = _model(), _data()
    model[0].weight.requires_grad_(False)
    flow = GradientFlow()
    with flow.epoch(model):
        nn.functional.mse_loss(model(X), y).backward()
        flow.step()
    rows = flow.records[0]["layers"]
    assert math.isnan(rows["0"]["grad_norm"]) and rows["0"]["steps"] == 0 and rows["2"]["steps"] == 1


def test_no_hook_mode_or_gradient_is_left_behind_also_on_error():
    model, (X, y) = _model(), _data()
    model[2].eval()  # a mixed mode the tracker must hand back as it was
    modes = [m.training for m in model.modules()]
    flow = GradientFlow(X)
    with flow.epoch(model):
        nn.functional.mse_loss(model(X), y).backward()
        grads = [p.grad for p in model.parameters()]
        flow.step()
    with pytest.raises(ZeroDivisionError), flow.epoch(model):
        raise ZeroDivisionError
    for m in model.modules():
        assert not m._forward_hooks and not m._forward_pre_hooks and not m._backward_hooks
    assert [m.training for m in model.modules()] == modes
    assert all(p.grad is g for p, g in zip(model.parameters(), grads))
    assert flow._epoch is None and len(flow.records) == 1


def test_table_frame_plot_and_report():
    model, (X, y) = _model(), _data()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    flow = GradientFlow(X, layers=nn.Linear)
    with pytest.raises(ValueError, match="has no records yet"):
        flow.plot()
    for _ in range(2):
        with flow.epoch(model):
            for i in range(0, 48, 16):
                opt.zero_grad()
                nn.functional.mse_loss(model(X[i:i + 16]), y[i:i + 16]).backward()
                flow.step()
                opt.step()
    frame = flow.to_frame()
    assert list(frame.columns[:5]) == ["epoch", "layer", "grad_norm", "grad_norm_max", "steps"]
    assert len(frame) == 6 and (frame["steps"] == 3).all()
    table = flow.table()
    assert list(table) == list(gradient_flow_table(flow)) == ["0", "2", "4"]
    np.testing.assert_allclose(table["0"]["grad_norm"], frame[frame.layer == "0"]["grad_norm"].to_numpy())
    assert flow.plot().axes
    html = hl.lens.report(model, X.numpy(), gradient_flow=flow, sections=["gradient-flow"]).html
    assert "gradient norm (mean over the epoch" in html and "train with callbacks" not in html
    plain = hl.lens.report(model, X.numpy(), sections=["gradient-flow"]).html
    assert "pass gradient_flow=flow" in plain
    with pytest.raises(TypeError, match="gradient_flow must be an hl.lens.GradientFlow"):
        hl.lens.report(model, X.numpy(), gradient_flow=flow.records)


def test_fit_loop_callback_averages_every_batch_of_the_epoch():
    """In the estimators' loop too: the mean and max over the epoch's batches, not the last batch's norm."""
    from hiddenlayers import Network
    from hiddenlayers.training import Callback, train

    torch.manual_seed(0)
    net = Network(4, (6, 5), 2)
    X, Y = torch.randn(40, 4), torch.randn(40, 2)
    seen: list[list[float]] = [[]]

    class PerBatch(Callback):  # runs after GradientFlow's on_batch_end: the same .grad
        def on_batch_end(self, **kwargs):
            seen[-1].append(float(net.hidden1.linear.weight.grad.double().norm()))

        def on_epoch_end(self, **kwargs):
            seen.append([])

    result = train(net, X, Y, loss="squared_error", solver="sgd", batch_size=10, max_epochs=2, callbacks=[GradientFlow(), PerBatch()])
    recs = result.history.extra["gradient_flow"]
    for rec, norms in zip(recs, seen):
        row = rec["layers"]["hidden1"]
        assert row["steps"] == 4 == len(norms)
        assert row["grad_norm"] == pytest.approx(np.mean(norms), rel=1e-5)
        assert row["grad_norm_max"] == pytest.approx(max(norms), rel=1e-5)


@given(steps=st.lists(st.lists(st.floats(-100, 100), min_size=6, max_size=6), min_size=1, max_size=6))
@settings(max_examples=40, deadline=None)
def test_aggregate_is_mean_and_max_of_the_steps_norms(steps):
    layer = nn.Linear(3, 2, bias=False)
    flow = GradientFlow()
    with flow.epoch(layer):
        for g in steps:
            layer.weight.grad = torch.tensor(g, dtype=torch.float32).reshape(2, 3)
            flow.step()
    norms = [float(np.linalg.norm(np.float32(g))) for g in steps]
    row = flow.records[0]["layers"]["linear"]
    assert row["steps"] == len(steps)
    assert row["grad_norm"] == pytest.approx(np.mean(norms), rel=1e-5, abs=1e-5)
    assert row["grad_norm_max"] == pytest.approx(max(norms), rel=1e-5, abs=1e-5)



def test_half_precision_gradients_are_summed_in_float32():
    """A bfloat16 model: its norms are taken in float32 (its own square sum would round or overflow)."""
    model, (X, y) = _model().to(torch.bfloat16), _data()
    flow = GradientFlow(layers=["0", "4"])
    with flow.epoch(model):
        nn.functional.mse_loss(model(X.bfloat16()), y.bfloat16()).backward()
        flow.step()
    for name in ("0", "4"):
        expected = float(model[int(name)].weight.grad.float().norm())
        assert flow.records[0]["layers"][name]["grad_norm"] == pytest.approx(expected, rel=1e-5)


def test_activation_statistics_use_rows_drawn_at_random_not_the_first() -> None:
    """X sorted so its first 1024 rows all switch the unit off: the statistics of the first rows read it as never active."""
    model = nn.Sequential(nn.Linear(1, 1))
    with torch.no_grad():
        model[0].weight.fill_(1.0)
        model[0].bias.zero_()
    X = np.concatenate([-np.ones((1024, 1)), np.ones((1024, 1))]).astype(np.float32)
    flow = GradientFlow(X, layers=nn.Linear, max_rows=1024)
    with flow.epoch(model):
        model(torch.from_numpy(X)).sum().backward()
        flow.step()
    active = float(flow.to_frame()["fraction_active"].iloc[0])
    assert 0.4 < active < 0.6  # about half of 1024 rows drawn from both halves; was 0.0 (the first 1024)
    every = GradientFlow(X.tolist(), layers=nn.Linear, max_rows=None)  # a list of rows; None: all of them
    with every.epoch(model):
        model(torch.from_numpy(X)).sum().backward()
        every.step()
    assert float(every.to_frame()["fraction_active"].iloc[0]) == 0.5


def test_a_bare_linear_layers_activation_statistics_are_read_after_its_activation() -> None:
    """``layers=nn.Linear`` on a Sequential: a ReLU unit whose pre-activation is never positive is dead, and the statistics
    are the ReLU's outputs (a Linear's pre-activation is no unit's activation). Before, the Linear's output was read under
    the constant rule: 0 dead where the ReLU after it had one, and the mean/std of pre-activations."""
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.Dropout(0.1), nn.ReLU(), nn.Linear(4, 2), nn.Tanh(), nn.Linear(2, 1))
    with torch.no_grad():
        model[0].bias[1] = -100.0  # unit 1 never on
    X = torch.randn(64, 3)
    flow = GradientFlow(X, layers=nn.Linear)
    with flow.epoch(model):
        model(X).sum().backward()
        flow.step()
    rows = flow.records[0]["layers"]
    model.eval()
    with torch.no_grad():
        relu, tanh = model[:3](X), model[:5](X)
    assert rows["0"]["dead"] == 1 == int((relu.max(0).values <= 0).sum())
    assert rows["0"]["act_mean"] == pytest.approx(float(relu.double().mean()), rel=1e-6)
    assert rows["3"]["act_std"] == pytest.approx(float(tanh.double().std(0, unbiased=False).mean()), rel=1e-5)
    assert math.isnan(rows["5"].get("fraction_active", math.nan)) is False and rows["5"]["dead"] == 0  # the head: its own output


def test_own_loop_rows_the_model_cannot_take_fail_when_the_first_epoch_opens():
    """Before: the first epoch's steps ran and its end failed; now `with flow.epoch(model):` refuses before the body."""
    model = _model()
    flow = GradientFlow(np.zeros((10, 3), dtype=np.float32))
    ran = []
    with pytest.raises(ValueError, match=r"^GradientFlow\(X\): its rows do not fit the network being trained: .*expects \(\.\.\., 4\)"):
        with flow.epoch(model):
            ran.append(1)
    assert ran == [] and flow.records == []
