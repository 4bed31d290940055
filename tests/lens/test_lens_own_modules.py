"""The lens on a researcher's own ``nn.Module``s: transformers, dict outputs, shared layers, odd dtypes, bad calls.

Looking inside must leave the model exactly as it was (each submodule's mode,
BatchNorm running statistics, ``requires_grad``, hooks), also when the forward
pass raises; a model the lens cannot run gets one line saying how to call it.
"""

from __future__ import annotations

import re
from collections import namedtuple
from dataclasses import dataclass

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

import hiddenlayers as hl
from hiddenlayers.lens import record


def _hooks(module: nn.Module) -> int:
    return sum(len(m._forward_hooks) + len(m._forward_pre_hooks) for m in module.modules())


def _state(module: nn.Module) -> tuple:
    """Everything about ``module`` a look inside could change."""
    return (
        [m.training for m in module.modules()],
        {k: v.clone() for k, v in module.state_dict().items()},
        [p.requires_grad for p in module.parameters()],
        _hooks(module),
    )


def _same(a: tuple, b: tuple) -> bool:
    return a[0] == b[0] and a[2] == b[2] and a[3] == b[3] and all(torch.equal(a[1][k], b[1][k]) for k in a[1])


def _bn_net() -> nn.Sequential:
    return nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Dropout(0.5), nn.Linear(8, 2))


def test_each_submodule_keeps_its_own_mode():
    # eval model with one BatchNorm left training: model.train(False) afterwards would flip the BatchNorm too
    net = _bn_net().eval()
    net[1].train()
    net[0].weight.requires_grad_(False)
    before = _state(net)
    record(net, np.random.randn(16, 4).astype(np.float32))
    hl.lens.feature_importance(net, np.random.randn(16, 4).astype(np.float32), n_steps=4)
    assert _same(before, _state(net))


def test_train_mode_model_is_recorded_in_eval_mode_and_left_untouched():
    net = _bn_net().train()
    with torch.no_grad():
        net[1].running_mean.fill_(3.0)
    X = np.random.randn(32, 4).astype(np.float32)
    before = _state(net)
    a, b = record(net, X), record(net, X)
    assert _same(before, _state(net))
    np.testing.assert_array_equal(a["4"], b["4"])  # no dropout noise
    with torch.no_grad():
        expected = net.eval()(torch.from_numpy(X)).numpy()
    np.testing.assert_allclose(a["4"], expected, rtol=1e-6)  # BatchNorm read its running statistics


def test_model_left_as_it_was_after_an_exception_mid_record():
    class Boom(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.bn, self.calls = nn.BatchNorm1d(4), 0

        def forward(self, x):
            self.calls += 1
            if self.calls == 2:
                raise RuntimeError("boom")
            return self.bn(x)

    net = Boom().train()
    before = _state(net)
    with pytest.raises(RuntimeError, match="boom"):
        record(net, np.random.randn(20, 4).astype(np.float32), batch_size=10)
    assert _same(before, _state(net))
    assert int(net.bn.num_batches_tracked) == 0


def test_transformer_encoder_records_attention_and_every_called_leaf():
    enc = nn.TransformerEncoder(nn.TransformerEncoderLayer(16, 2, 32, dropout=0.0, batch_first=True), 2, enable_nested_tensor=False)
    X = torch.randn(6, 5, 16)
    rec = record(enc, X)
    assert "layers.0.self_attn" in rec and "layers.1.linear1" in rec
    assert not any("out_proj" in n for n in rec)  # read by attention, never called: not a layer of the forward pass
    assert rec["layers.0.self_attn"].shape == (6, 5, 16)  # the output, not the attention weights
    with torch.no_grad():
        attn = enc.layers[0].self_attn
        expected = attn(X, X, X, need_weights=False)[0].numpy()
    np.testing.assert_allclose(rec["layers.0.self_attn"], expected, atol=1e-5)
    with pytest.raises(ValueError, match="out_proj were selected but never ran"):
        record(enc, X, "layers.0.self_attn.out_proj")  # asked for by name: said so


def test_dict_and_namedtuple_outputs_record_their_first_tensor():
    Pair = namedtuple("Pair", "hidden extra")

    class Inner(nn.Module):
        def __init__(self, as_dict: bool) -> None:
            super().__init__()
            self.lin, self.as_dict = nn.Linear(4, 3), as_dict

        def forward(self, x):
            h = self.lin(x)
            return {"mask": None, "hidden": h, "x": x} if self.as_dict else Pair(h, x)

    class Outer(nn.Module):
        def __init__(self, as_dict: bool) -> None:
            super().__init__()
            self.inner = Inner(as_dict)

        def forward(self, x):
            out = self.inner(x)
            return {"logits": out["hidden"] if isinstance(out, dict) else out.hidden}

    X = torch.randn(5, 4)
    for as_dict in (True, False):
        net = Outer(as_dict)
        rec = record(net, X, "inner", keep_output=True)
        expected = net.inner.lin(X).detach().numpy()
        np.testing.assert_allclose(rec["inner"], expected, rtol=1e-6)
        np.testing.assert_allclose(rec.output, expected, rtol=1e-6)  # the top module's dict output too


def test_a_module_called_twice_is_recorded_once_per_call():
    class Tied(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.lin, self.act = nn.Linear(3, 3), nn.ReLU()

        def forward(self, x):
            return self.act(self.lin(self.act(self.lin(x))))

    net, X = Tied(), torch.randn(7, 3)
    rec = record(net, X, batch_size=3)
    with torch.no_grad():
        first = net.act(net.lin(X))
        second = net.act(net.lin(first))
    np.testing.assert_allclose(rec["act"], first.numpy(), rtol=1e-6)
    np.testing.assert_allclose(rec["act#2"], second.numpy(), rtol=1e-6)
    assert rec["lin#2"].shape == (7, 3) and rec.stats["act#2"].activation == "relu"
    assert set(record(net, X, stream=True).stats) == {"lin", "act", "lin#2", "act#2"}


def test_layers_come_in_the_order_the_forward_pass_calls_them():
    """They came in the order __init__ made the modules: a head defined first read as the shallowest layer, and a shared
    activation's second call came after the output layer (the probe's scores "by depth" and CKA's matrix in that order)."""

    class HeadFirst(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.head, self.lin, self.act = nn.Linear(3, 2), nn.Linear(3, 3), nn.ReLU()

        def forward(self, x):
            return self.head(self.act(self.lin(self.act(x))))

    net, X = HeadFirst(), torch.randn(8, 3)
    order = ["act", "lin", "act#2", "head"]
    assert list(record(net, X, batch_size=3)) == order
    assert list(record(net, X, stream=True, sample=2).stats) == order
    assert hl.lens.layer_similarity(net, X).rows == order
    assert list(record(net, X, ["head", "lin"])) == ["head", "lin"]  # a list keeps its own order


def test_low_precision_and_float64_models():
    X = np.random.randn(10, 4)
    for dtype in (torch.bfloat16, torch.float16, torch.float64):
        net = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2)).to(dtype)
        rec = record(net, X)
        with torch.no_grad():
            expected = net[1](net[0](torch.as_tensor(X, dtype=dtype))).float().numpy()
        np.testing.assert_allclose(rec["1"].astype(np.float32), expected, rtol=1e-6)
        assert rec.stats["1"].units == 8


_LOW_PRECISION_CALLS = {  # each public attribution's own path from Captum's tensor to NumPy, and Captum's noise
    "saliency": lambda m, X: hl.lens.attribute(m, X, target=1, method="saliency"),
    "gradient_shap": lambda m, X: hl.lens.attribute(m, X, target=1, method="gradient_shap"),
    "smoothgrad": lambda m, X: hl.lens.attribute(m, X, target=1, smooth="smoothgrad", n_samples=4),
    "layer deeplift": lambda m, X: hl.lens.layer_attribution(m, X, "0", target=1, method="deeplift"),
    "neuron feature_ablation": lambda m, X: hl.lens.neuron_attribution(m, X, "0", 1, method="feature_ablation"),
    "feature_importance gradient_shap": lambda m, X: hl.lens.feature_importance(m, X, method="gradient_shap"),
}


@pytest.mark.parametrize(("dtype", "calls"), [(torch.bfloat16, list(_LOW_PRECISION_CALLS)), (torch.float16, ["gradient_shap", "smoothgrad"])])
def test_attributions_of_low_precision_models_match_their_float32_copy(dtype, calls):
    """A bfloat16 model's attributions failed on NumPy's "Got unsupported ScalarType BFloat16"; GradientSHAP and
    smooth= of a float16 or bfloat16 model on "mat1 and mat2 must have the same dtype" (Captum's float32 noise)."""
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 2)).to(dtype)
    wide = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 2))
    wide.load_state_dict({k: v.float() for k, v in net.state_dict().items()})  # the same (rounded) weights in float32
    X = torch.randn(12, 4).to(dtype).float().numpy()  # rows the low-precision model reads exactly
    before = _state(net)
    for name in calls:
        got, want = _LOW_PRECISION_CALLS[name](net, X), _LOW_PRECISION_CALLS[name](wide, X)
        assert got.shape == want.shape and got.dtype.kind == "f", name
        assert float(np.abs(got.astype(np.float64) - want).max()) <= 0.02 * float(np.abs(want).max()), name
    assert _same(before, _state(net)) and all(p.dtype == dtype for p in net.parameters())


def test_meta_and_mixed_dtype_models_get_one_line():
    with torch.device("meta"):
        meta = nn.Sequential(nn.Linear(4, 8), nn.ReLU())
    with pytest.raises(ValueError, match=r"'0.weight' is on the 'meta' device .* \(model.to_empty\(device='cpu'\) then"):
        record(meta, np.zeros((2, 4), np.float32))
    mixed = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2).double())
    with pytest.raises(ValueError, match=r"mix dtypes \(float32 \('0.weight'\), float64 \('2.weight'\)\); cast the model to one dtype"):
        record(mixed, np.zeros((2, 4), np.float32))


def test_torchscript_module_points_to_the_eager_one():
    scripted = torch.jit.script(nn.Sequential(nn.Linear(4, 2), nn.ReLU()))
    with pytest.raises(TypeError, match=r"is a TorchScript module, which takes no hooks: look inside the eager nn.Module"):
        record(scripted, np.zeros((2, 4), np.float32))


def test_model_with_two_inputs_says_how_to_wrap_it():
    class Two(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.a, self.b = nn.Linear(4, 3), nn.Linear(2, 3)

        def forward(self, x, z):
            return self.a(x) + self.b(z)

    with pytest.raises(TypeError, match=r"Two.forward takes 2 inputs \(x, z\) but the lens feeds one tensor per batch: wrap it"):
        record(Two(), np.zeros((3, 4), np.float32))
    with pytest.raises(TypeError, match="X is a tuple of 2 arrays"):
        record(Two(), (np.zeros((3, 4)), np.zeros((3, 2))))


class _KeywordOnly(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(4, 3)

    def forward(self, *, x):
        return self.fc(x)


def test_a_keyword_only_input_says_how_to_wrap_it():
    """forward(self, *, x) failed on PyTorch's "forward() takes 1 positional argument but 2 were given"."""
    with pytest.raises(TypeError, match=r"^_KeywordOnly.forward requires keyword-only input x= but .* return model\(x=x\)\), or run your own"):
        record(_KeywordOnly(), np.zeros((3, 4), np.float32))


_ATTRIBUTIONS = {
    "attribute": lambda m, X, layer: hl.lens.attribute(m, X, target=0),
    "layer_attribution": lambda m, X, layer: hl.lens.layer_attribution(m, X, layer, target=0),
    "neuron_attribution": lambda m, X, layer: hl.lens.neuron_attribution(m, X, layer, 0),
    "feature_importance": lambda m, X, layer: hl.lens.feature_importance(m, X),
}


@pytest.mark.parametrize("call", list(_ATTRIBUTIONS))
def test_attributions_refuse_what_record_refuses_in_its_one_line(call):
    """The attributions called the model with no check: PyTorch's "forward() missing 1 required positional argument",
    "Cannot copy out of meta tensor; no data!" or "mat1 and mat2 shapes cannot be multiplied" came out of Captum."""
    run, X = _ATTRIBUTIONS[call], np.zeros((6, 4), np.float32)

    class Two(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.fc = nn.Linear(4, 3)

        def forward(self, x, z):
            return self.fc(x) + z

    with pytest.raises(TypeError, match=r"^Two.forward takes 2 inputs \(x, z\) but the lens feeds one tensor per batch"):
        run(Two(), X, "fc")
    with pytest.raises(TypeError, match=r"^_KeywordOnly.forward requires keyword-only input x="):
        run(_KeywordOnly(), X, "fc")
    with torch.device("meta"):
        meta = nn.Sequential(nn.Linear(4, 3))
    with pytest.raises(ValueError, match=r"^Sequential's parameter '0.weight' is on the 'meta' device"):
        run(meta, X, "0")
    net = nn.Sequential(nn.Linear(4, 3))
    with pytest.raises(ValueError, match=r"^Sequential failed on .* \(6, 3\) .* in layer '0' \(Linear\), which expects \(\.\.\., 4\) float32 input"):
        run(net, X[:, :3], "0")


def test_lists_are_refused_with_the_fix_and_loaders_are_read():
    net = nn.Sequential(nn.Linear(4, 2))
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(torch.zeros(6, 4)), batch_size=2)
    assert record(net, loader).n_rows == 6  # tests/lens/test_lens_record_loader.py covers loaders
    with pytest.raises(TypeError, match=r"X is a list: .*np.asarray\(X\)"):
        record(net, [[0.0] * 4] * 3)
    batches = [torch.zeros(2, 4), torch.ones(2, 4)]
    with pytest.raises(TypeError, match=r"^X is a list of 2 arrays: .*for a list of batches, pass torch.cat\(X\), or iter\(X\) to hl.lens.record\.$"):
        record(net, batches)
    assert np.array_equal(record(net, iter(batches))["0"], record(net, torch.cat(batches))["0"])


@pytest.mark.parametrize(
    ("X", "message"),
    [
        (np.zeros((3, 5), np.float32), r"X of shape \(3, 5\) \(fed as float32\) in layer 'body.0' \(Linear\), which expects \(\.\.\., 4\) float32"),
        (np.zeros((3, 4), np.int64), r"\(fed as int64\) in layer 'body.0' .*X holds integers: pass floating-point rows"),
    ],
)
def test_wrong_input_names_the_layer_and_what_it_expects(X, message):
    net = nn.Sequential()
    net.add_module("body", nn.Sequential(nn.Linear(4, 3), nn.ReLU()))
    with pytest.raises(ValueError, match=message):
        record(net, X)
    assert _hooks(net) == 0


def test_conv_input_of_the_wrong_rank_names_the_expected_shape():
    net = nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU())
    with pytest.raises(ValueError, match=r"'0' \(Conv2d\), which expects \(N, 3, H, W\) float32 input"):
        record(net, np.zeros((2, 5, 8, 8), np.float32))


def test_a_wrong_shape_error_gives_x_shape_and_the_batch_size_not_the_batch_shape():
    net = nn.Sequential(nn.Linear(4, 3), nn.ReLU())
    with pytest.raises(ValueError) as info:
        record(net, np.zeros((300, 7)), batch_size=64)
    text = str(info.value)
    assert text.startswith("Sequential failed on X of shape (300, 7) (fed as float32, in batches of 64 rows) in layer '0' (Linear), which expects (..., 4) float32 input")
    assert "(64, 7)" not in text and "\n" not in text
    with pytest.raises(ValueError, match=re.escape("failed on X of shape (3, 2, 5) (fed as float32) in layer '0'")):
        record(net, torch.zeros(3, 2, 5), batch_size=3)  # batch_size >= rows: no batches to mention
    with pytest.raises(ValueError, match=re.escape("failed on X of shape (3, 2, 5) (fed as float32, in batches of 2 rows) in layer '0'")):
        record(net, torch.zeros(3, 2, 5), batch_size=2)


def test_attribution_of_a_sequence_output_asks_for_a_target():
    enc = nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, 16, batch_first=True), 1, enable_nested_tensor=False)
    with pytest.raises(ValueError, match=r"output has shape \(5, 8\) per row: pass target="):
        hl.lens.attribute(enc, torch.randn(3, 5, 8))
    with pytest.raises(ValueError, match=r"this model gives \(5, 8\) per row: pick the output to explain with hl.lens.attribute"):
        hl.lens.feature_importance(enc, torch.randn(3, 5, 8), n_steps=2)


@settings(max_examples=25, deadline=None)
@given(width=st.integers(1, 12).filter(lambda w: w != 4), rows=st.integers(1, 5), lead=st.lists(st.integers(1, 3), max_size=2))
def test_any_wrong_width_names_the_expected_one(width, rows, lead):
    """Whatever the wrong width or extra leading axes, the error is one line naming the shape received and the width expected."""
    net = nn.Sequential(nn.Linear(4, 3), nn.ReLU())
    shape = (rows, *lead, width)
    with pytest.raises(ValueError) as info:
        record(net, np.zeros(shape, np.float32))
    text = str(info.value)
    assert "\n" not in text and f"X of shape {shape} (fed as float32)" in text and "which expects (..., 4) float32 input" in text
    assert _hooks(net) == 0 and net.training  # hooks removed, mode (train) kept


class _ResidualBlock(nn.Module):
    """torchvision's BasicBlock in small: an in-place ReLU after each BatchNorm and an in-place residual sum."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1, self.bn1 = nn.Conv2d(2, 2, 3, padding=1), nn.BatchNorm2d(2)
        self.relu = nn.ReLU(inplace=True)
        self.conv2, self.bn2 = nn.Conv2d(2, 2, 3, padding=1), nn.BatchNorm2d(2)

    def forward(self, x):
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        out += x
        return self.relu(out)


def test_in_place_operations_after_a_layer_do_not_change_its_recorded_output():
    torch.manual_seed(0)
    block, X = _ResidualBlock().eval(), torch.randn(6, 2, 4, 4)
    with torch.no_grad():
        bn1 = block.bn1(block.conv1(X))
        bn2 = block.bn2(block.conv2(torch.relu(bn1)))
    rec = record(block, X, ["bn1", "bn2", "relu"])
    assert bn1.min() < 0 and bn2.min() < 0
    np.testing.assert_allclose(rec["bn1"], bn1.numpy(), rtol=1e-6, atol=1e-6)  # was the ReLU's output: its negatives read 0
    np.testing.assert_allclose(rec["bn2"], bn2.numpy(), rtol=1e-6, atol=1e-6)  # was bn2 + x, then ReLU'd
    np.testing.assert_allclose(rec["relu#2"], torch.relu(bn2 + X).numpy(), rtol=1e-6, atol=1e-6)
    streamed = record(block, X, ["bn1"], stream=True)
    assert streamed.stats["bn1"].mean == pytest.approx(rec.stats["bn1"].mean, rel=1e-5)  # one answer either way
    with hl.lens.recording(block, "bn1") as own:
        with torch.no_grad():
            block(X)
    np.testing.assert_allclose(own.outputs["bn1"][0].numpy(), bn1.numpy(), rtol=1e-6, atol=1e-6)


def test_our_network_with_an_in_place_activation_put_in_by_hand_is_copied_too():
    """Our own Network's outputs are kept without a copy (its forward changes nothing in place); one whose activation was
    swapped by hand for ``ReLU(inplace=True)`` is copied, so the pre-activation is not the ReLU's output."""
    torch.manual_seed(0)
    net, X = hl.Network(3, "5", 2).eval(), torch.randn(16, 3)
    with hl.lens.recording(net, "hidden1") as rec, torch.no_grad():
        net(X)
    assert rec.copy is False
    net.hidden1.act = nn.ReLU(inplace=True)
    with hl.lens.recording(net, "hidden1") as rec, torch.no_grad():
        net(X)
    assert rec.copy is True
    z = net.hidden1.linear(X).detach()
    assert z.min() < 0
    np.testing.assert_allclose(rec.pre["hidden1"][0].numpy(), z.numpy(), rtol=1e-6, atol=1e-6)  # was relu(z) without the copy
    np.testing.assert_allclose(rec.outputs["hidden1"][0].numpy(), torch.relu(z).numpy(), rtol=1e-6, atol=1e-6)


class _TimeFirst(nn.Module):
    """A model that takes (N, T, F) rows and runs a batch_first=False block on them, as older code does."""

    def __init__(self, block: nn.Module) -> None:
        super().__init__()
        self.block = block

    def forward(self, x):
        out = self.block(x.transpose(0, 1))
        return (out[0] if isinstance(out, tuple) else out).transpose(0, 1)


def _encoder(batch_first: bool) -> nn.TransformerEncoder:
    torch.manual_seed(0)
    layer = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, batch_first=batch_first)
    return nn.TransformerEncoder(layer, 2, enable_nested_tensor=False)


def test_time_first_blocks_are_recorded_rows_first():
    X = torch.randn(6, 5, 8)  # 6 rows of 5 steps
    rows_first = record(_encoder(True), X)
    time_first = record(_TimeFirst(_encoder(False)), X, batch_size=4)
    assert rows_first.n_rows == time_first.n_rows == 6
    for name in ("layers.0.self_attn", "layers.0.linear1", "layers.1.norm2"):
        assert time_first[f"block.{name}"].shape[:2] == (6, 5)  # was (5, 6, ...): steps read as rows
        np.testing.assert_allclose(time_first[f"block.{name}"], rows_first[name], rtol=1e-5, atol=1e-5)
    gru = record(_TimeFirst(nn.GRU(8, 3)), X)
    assert gru["block"].shape == (6, 5, 3)


@pytest.mark.parametrize("batch_size", [1024, 4])
def test_x_given_time_first_to_a_time_first_model_is_one_line(batch_size):
    class Classifier(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.rnn, self.head = nn.GRU(4, 8), nn.Linear(8, 2)

        def forward(self, x):  # x: (T, N, F), PyTorch's default order
            return self.head(self.rnn(x)[1][-1])

    net = Classifier().train()
    before = _state(net)
    X = torch.randn(7, 3, 4)  # 7 steps of 3 sequences: was read as 7 rows (or, in batches of 4 steps, a NumPy error)
    with pytest.raises(ValueError) as info:
        record(net, X, batch_size=batch_size)
    text = str(info.value)
    assert "\n" not in text and text.startswith("X of shape (7, 3, 4) reached layer 'rnn' (GRU, batch_first=False) time first")
    assert "here (3, 7, 4), and wrap the model" in text and "batch_first=True" in text
    assert _same(before, _state(net))
    with pytest.raises(ValueError, match=r"^X of shape \(5, 6, 8\) reached TransformerEncoder \(batch_first=False\) time first"):
        hl.lens.summary(_encoder(False), torch.randn(5, 6, 8))
    assert record(Classifier(), torch.randn(3, 3, 4)).n_rows == 3  # as many steps as sequences: no telling, no error
    with pytest.raises(ValueError, match=r"^X of shape \(7, 3, 4\) reached layer 'rnn' \(GRU, batch_first=False\) time first"):
        hl.lens.attribute(net, X, target=0)  # was: 7 "rows" of attributions, one per step


def test_token_ids_past_the_embedding_table_are_one_line():
    class Tokens(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.emb, self.rnn = nn.Embedding(20, 6), nn.GRU(6, 5, batch_first=True)

        def forward(self, ids):
            return self.rnn(self.emb(ids))[0]

    net, ids = Tokens(), torch.randint(0, 20, (30, 7))
    assert record(net, ids)["rnn"].shape == (30, 7, 5)  # integer ids stay int64
    ids[3, 2] = 25  # was PyTorch's bare IndexError: "index out of range in self"
    with pytest.raises(ValueError) as info:
        record(net, ids)
    text = str(info.value)
    assert "\n" not in text and "in layer 'emb' (Embedding), which expects integer ids in 0..19: ids 0..25 were given" in text
    assert _hooks(net) == 0


def test_a_compiled_model_is_looked_at_through_its_own_layers_without_compiling():
    net = _bn_net().train()
    compiled = torch.compile(net)  # lazy: compiles on its first call, which the lens no longer makes
    X = torch.randn(8, 4)
    rec = record(compiled, X)
    assert list(rec) == list(record(net, X)) == ["0", "1", "2", "4"]  # were "_orig_mod.0", ...
    assert list(record(compiled, X, "4")) == ["4"]  # was: layers='4' matched no layer of OptimizedModule
    assert list(hl.lens.select_layers(compiled, "*")) == list(hl.lens.select_layers(net, "*"))
    with hl.lens.recording(compiled, "1") as rec2:
        with torch.no_grad():
            net.eval()(X)
    net.train()
    assert rec2.outputs["1"][0].shape == (8, 8)
    assert net.training and _hooks(net) == 0


@dataclass
class _Scores:
    logits: torch.Tensor
    hidden: torch.Tensor


class _Heads(nn.Module):
    """A model whose forward returns its logits inside a dict or a dataclass, as Hugging Face models do."""

    def __init__(self, form: str) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.body, self.head, self.form = nn.Sequential(nn.Linear(4, 6), nn.Tanh()), nn.Linear(6, 3), form

    def forward(self, x):
        h = self.body(x)
        logits = self.head(h)
        if self.form == "dict":
            return {"logits": logits, "hidden": h}
        return logits if self.form == "tensor" else _Scores(logits, h)


@pytest.mark.parametrize("form", ["dict", "dataclass"])
def test_attributions_of_a_model_returning_a_dict_or_dataclass_use_its_first_tensor(form):
    X = torch.randn(6, 4)
    plain, net = _Heads("tensor"), _Heads(form)
    before = _state(net)
    # each was "'dict' object has no attribute 'ndim'" (or the dataclass's) from the target check
    np.testing.assert_allclose(hl.lens.attribute(net, X, target=1), hl.lens.attribute(plain, X, target=1), rtol=1e-6)
    np.testing.assert_allclose(hl.lens.layer_attribution(net, X, layer="body.1", target=2),
                               hl.lens.layer_attribution(plain, X, layer="body.1", target=2), rtol=1e-6)
    np.testing.assert_allclose(hl.lens.neuron_attribution(net, X, layer="body.0", unit=3),
                               hl.lens.neuron_attribution(plain, X, layer="body.0", unit=3), rtol=1e-6)
    np.testing.assert_allclose(hl.lens.feature_importance(net, X, n_steps=8), hl.lens.feature_importance(plain, X, n_steps=8), rtol=1e-6)
    with pytest.raises(ValueError, match="layer='body.9' matched no layer of _Heads"):
        hl.lens.layer_attribution(net, X, layer="body.9", target=0)
    assert _same(before, _state(net))
    np.testing.assert_allclose(record(net, X, keep_output=True).output, plain(X).detach().numpy(), rtol=1e-6)  # dataclass: was None


@pytest.mark.filterwarnings("ignore:layer integrated gradients did not converge")  # the skip path bypasses bn1: no completeness
def test_attributions_of_a_residual_block_with_in_place_steps():
    torch.manual_seed(0)
    net = nn.Sequential(_ResidualBlock(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(2, 3)).eval()
    copy = nn.Sequential(_ResidualBlock(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(2, 3)).eval()
    copy.load_state_dict(net.state_dict())
    copy[0].relu.inplace = False
    X = torch.randn(4, 2, 5, 5)
    before = _state(net)
    # was PyTorch's "a leaf Variable that requires grad is being used in an in-place operation" (the ReLU after bn1)
    got = hl.lens.layer_attribution(net, X, layer="0.bn1", target=1, method="integrated_gradients", n_steps=8)
    np.testing.assert_allclose(got, hl.lens.layer_attribution(copy, X, layer="0.bn1", target=1, method="integrated_gradients", n_steps=8), rtol=1e-6)
    assert net[0].relu.inplace  # put back
    with pytest.raises(ValueError, match=r"^the layer's output is changed in place later in the forward pass .* method='conductance'"):
        hl.lens.layer_attribution(net, X, layer="0.bn2", target=1, method="integrated_gradients", n_steps=8)  # `out += x`
    with pytest.raises(ValueError, match=r"^method='deeplift' needs each nonlinear module called once .* calls a ReLU\(\) more than once"):
        hl.lens.attribute(net, X, target=1, method="deeplift")
    assert _same(before, _state(net)) and net[0].relu.inplace


def test_a_dict_of_inputs_says_to_pass_the_input_or_wrap_the_model():
    net = nn.Sequential(nn.Linear(4, 2))
    batch = {"input_ids": torch.zeros(3, 4), "attention_mask": torch.ones(3, 4)}  # a tokenizer's output
    message = r"^X is a dict \(keys 'input_ids', 'attention_mask'\): the lens feeds one \(N, \.\.\.\) input per batch\. Pass the model's input, e\.g\. X\['input_ids'\]"
    for look in (lambda: record(net, batch), lambda: hl.lens.summary(net, batch), lambda: hl.lens.attribute(net, batch, target=0)):
        with pytest.raises(TypeError, match=message):  # was "X must be an array, ... Received: dict" and, from attribute, torch's "numpy.object_"
            look()
    assert _hooks(net) == 0


def test_preferred_inputs_of_a_layer_inside_a_time_first_block_read_its_rows():
    X = torch.randn(12, 5, 8)
    kw = {"units": [0, 3], "steps": 4, "seed": 0}
    rows_first = hl.lens.preferred_inputs(_encoder(True), X, layer="layers.0.linear1", **kw)
    time_first = hl.lens.preferred_inputs(_TimeFirst(_encoder(False)), X, layer="block.layers.0.linear1", **kw)
    # was: the (T, N, 16) output read as T rows, each unit's value taken over the steps of one sequence
    np.testing.assert_allclose(time_first.activation_at_mean, rows_first.activation_at_mean, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(time_first.activation, rows_first.activation, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_layer_attributions_of_a_low_precision_model_are_float32_from_every_method(dtype):
    """A float16 model's layer conductance and DeepLIFT came back float16 while its integrated gradients (and every input
    attribution) came back float32; a bfloat16 model's were float32 throughout. Now float32 from each, widened exactly."""
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 2)).to(dtype)
    X = torch.randn(6, 4).to(dtype).float().numpy()
    for method in ("conductance", "integrated_gradients", "deeplift", "gradient_x_activation"):
        assert hl.lens.layer_attribution(net, X, "0", target=1, method=method).dtype == np.float32, method
    got, delta = hl.lens.layer_attribution(net, X, "0", target=1, method="conductance", return_convergence_delta=True)
    assert got.dtype == np.float32 and delta.shape == (6,)
