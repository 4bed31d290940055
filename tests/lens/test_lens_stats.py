"""Activation statistics against known answers (hand-set weights)."""

from __future__ import annotations

import io

import numpy as np
import pytest
import torch

from hiddenlayers import Network
from hiddenlayers.lens import MIN_DEAD_ROWS, layer_stats, record, summary
from hiddenlayers.lens._stats import UnitAccumulator


def _net() -> Network:
    """2 inputs in [0, 1] -> hidden1: 4 ReLU units (units 0 and 3 dead) -> hidden2: 3 tanh units (unit 1 saturated)."""
    net = Network(2, "4:relu,3:tanh", 1)
    with torch.no_grad():
        net.hidden1.linear.weight.copy_(torch.tensor([[-1.0, -1.0], [1.0, 0.0], [0.0, 1.0], [0.5, 0.5]]))
        net.hidden1.linear.bias.copy_(torch.tensor([-0.1, 0.0, 0.0, -5.0]))
        net.hidden2.linear.weight.copy_(torch.tensor([[1.0, -1.0, 0.0, 0.0], [0.0, 10.0, 0.0, 0.0], [0.2, 0.2, 0.0, 0.0]]))
        net.hidden2.linear.bias.copy_(torch.tensor([0.0, 6.0, 0.0]))
    return net


def test_hand_set_dead_and_saturated_units(rng):
    X = rng.uniform(0.0, 1.0, size=(500, 2)).astype(np.float32)
    acts = record(_net(), X)
    s1, s2 = acts.stats["hidden1"], acts.stats["hidden2"]
    assert s1.dead.tolist() == [True, False, False, True]
    assert s1.n_dead == 2 and s1.n_saturated == 0
    assert s1.fraction_active[0] == 0.0 and s1.fraction_active[1] > 0.99
    assert s1.sparsity == pytest.approx(float((acts["hidden1"] == 0).mean()))
    # hidden2 unit 1 = tanh(10*x1 + 6) >= tanh(6) = 0.99999: stuck at the upper limit on every row
    assert s2.saturated.tolist() == [False, True, False]
    assert s2.n_dead == 0
    assert "hidden2: 1 of 3 tanh units is saturated (stuck near a limit); scale the inputs or lower the learning rate." in s2.warnings()
    assert "hidden1: 2 of 4 ReLU units are dead on this data (never active)." in s1.warnings()


def test_saturated_but_varying_tanh_units_are_flagged(rng):
    z = rng.normal(size=(1000, 3)) * np.array([0.3, 100.0, 1.0]) + np.array([0.0, 0.0, 0.0])
    s = layer_stats(np.tanh(z), "tanh", name="h")
    assert s.saturated.tolist() == [False, True, False]
    assert s.n_dead == 0
    assert s.fraction_saturated is not None and s.fraction_saturated[1] > 0.95
    assert any("1 of 3 tanh units is saturated" in w for w in s.warnings())
    sig = layer_stats(1 / (1 + np.exp(-z)), "logistic")
    assert sig.saturated.tolist() == [False, True, False]
    assert sig.fraction_active[0] == pytest.approx((z[:, 0] > 0).mean())  # logistic: active = output above 0.5


def test_effective_rank_known_answers(rng):
    iso = rng.normal(size=(20000, 8))
    assert layer_stats(iso).effective_rank == pytest.approx(8.0, rel=0.02)
    rank1 = np.outer(rng.normal(size=5000), rng.normal(size=6))
    assert layer_stats(rank1).effective_rank == pytest.approx(1.0, abs=1e-6)
    two = np.hstack([rng.normal(size=(5000, 2)), np.zeros((5000, 3))])
    assert layer_stats(two).effective_rank == pytest.approx(2.0, rel=0.05)


def test_mean_std_match_numpy(rng):
    h = rng.normal(loc=2.0, size=(300, 4))
    s = layer_stats(h, "identity")
    np.testing.assert_allclose(s.mean, h.mean(0), rtol=1e-10)
    np.testing.assert_allclose(s.std, h.std(0), rtol=1e-8)
    with pytest.raises(ValueError, match=r"\(samples, units\) matrix"):
        layer_stats(np.zeros(3))


class _Float64Copies(torch.overrides.TorchFunctionMode):
    """Notes the most values of any float64 tensor made inside it."""

    def __init__(self) -> None:
        super().__init__()
        self.most = 0

    def __torch_function__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        if isinstance(out, torch.Tensor) and out.dtype == torch.float64:
            self.most = max(self.most, out.numel())
        return out


def test_statistics_of_a_big_matrix_are_summed_in_chunks_with_the_same_answer(rng, monkeypatch):
    """layer_stats and record() turned the whole (samples, units) matrix into float64 copies at once: record() of
    100,000 rows of 2,048 units (0.8 GB) peaked 7.0 GB above its start; in chunks, 2.3 GB."""
    import hiddenlayers.lens._stats as stats_module

    h = np.maximum(rng.normal(loc=0.3, size=(96, 8)), 0.0).astype(np.float32)
    h[:, 2] = 0.0  # a dead unit
    monkeypatch.setattr(stats_module, "CHUNK_VALUES", 8 * 32, raising=False)  # 32 rows at a time
    with _Float64Copies() as seen:
        s = layer_stats(torch.from_numpy(h), "relu")
    assert 0 < seen.most <= 8 * 32
    h64 = h.astype(np.float64)
    np.testing.assert_allclose(s.mean, h64.mean(0), rtol=1e-10)
    np.testing.assert_allclose(s.std, h64.std(0), rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(s.fraction_active, (h64 > 0).mean(0))
    assert s.n_dead == 1 and s.samples == 96
    cov = np.cov(h64, rowvar=False, bias=True)
    assert s.effective_rank == pytest.approx(np.trace(cov) ** 2 / (cov**2).sum(), rel=1e-9)
    acc = stats_module.UnitAccumulator("relu")
    acc.update(torch.from_numpy(h), rows=24)  # 24 examples of 4 positions each, as a conv layer gives them
    assert acc.result("conv").rows == 24


def test_summary_prints_a_table_with_warnings(rng):
    from rich.console import Console

    buf = io.StringIO()
    stats = summary(_net(), rng.uniform(size=(200, 2)).astype(np.float32), console=Console(file=buf, width=140))
    text = buf.getvalue()
    assert [s.name for s in stats] == ["hidden1", "hidden2"]
    assert "hidden1" in text and "eff. rank" in text and "saturated" in text
    assert "2 of 4 ReLU units are dead" in text


def test_layer_stats_repr_is_one_line_of_layer_numbers(rng):
    """`hl.lens.summary(clf, X)` as a notebook cell's last line echoes its list: each LayerStats printed its per-unit
    arrays (mean, std, min, max, ... of every unit), pages of numbers after the table."""
    from rich.console import Console

    stats = summary(_net(), rng.uniform(size=(200, 2)).astype(np.float32), console=Console(file=io.StringIO()))
    text = repr(stats)
    assert "array" not in text and text.count("\n") == 0
    assert repr(stats[0]) == ("LayerStats(name='hidden1', activation='relu', units=4, samples=200, dead=2, saturated=0, "
                              f"sparsity={stats[0].sparsity:.3g}, effective_rank={stats[0].effective_rank:.3g})")


def test_summary_off_a_terminal_prints_whole_cells(rng, capsys, monkeypatch):
    """Printed to a pipe or a log (no console given), the table is not squeezed into 80 columns of ellipses."""
    monkeypatch.delenv("COLUMNS", raising=False)
    summary(_net(), rng.uniform(size=(200, 2)).astype(np.float32))
    text = capsys.readouterr().out
    # before: "│ hid… │ den… │ relu │ ..." under the header "lay…", "kind", "act…"
    assert "…" not in text and "hidden1" in text and "activation" in text and "eff. rank" in text


def test_one_row_judges_activity_not_variation():
    """One row cannot show that a unit is constant: a ReLU unit active on it is alive, a saturated tanh unit is saturated;
    one off on it is inactive there, not dead (it said "2 of 4 ReLU units are dead on this data")."""
    s = layer_stats(np.array([[0.0, 1.0, 2.0, -1.0]]), "relu")
    assert s.dead.tolist() == [True, False, False, True] and not s.dead_known and s.dead_text == "n/a"
    assert s.warnings() == ["layer: 2 of 4 ReLU units are inactive on this 1 row, too few to call a unit dead (that takes at least 30 rows): "
                            "look again on more rows."]
    t = layer_stats(np.tanh(np.array([[0.1, 5.0]])), "tanh")
    assert t.dead.tolist() == [False, False] and t.saturated.tolist() == [False, True]


def test_dead_means_never_active_for_relu_and_constant_otherwise():
    # ReLU: a unit stuck at one positive value is active (and still learns); only "never > 0" is dead
    s = layer_stats(np.tile([[0.0, 2.0, 3.0]], (MIN_DEAD_ROWS, 1)), "relu")
    assert s.dead.tolist() == [True, False, False] and s.dead_known
    assert s.warnings() == [
        "layer: 1 of 3 ReLU units is dead on this data (never active).",
        "layer: the representation does not vary on this data (every unit is constant).",
    ]
    # tanh / linear: a constant output carries nothing, whatever its value
    varying = np.linspace(-0.5, 0.5, 6)
    t = layer_stats(np.column_stack([np.full(6, 0.3), varying, np.full(6, -0.2)]), "tanh")
    assert t.dead.tolist() == [True, False, True]
    assert "layer: 2 of 3 tanh units are dead on this data (constant)." in t.warnings()
    lin = layer_stats(np.column_stack([-1.0 - varying ** 2, varying]), "identity")  # negative on every row, but varying
    assert lin.n_dead == 0


def test_bare_torch_layers_get_their_activation():
    """Convolutions and normalisations are affine (a channel below 0 is not dead); LSTM/GRU/RNN outputs are tanh-like."""
    from torch import nn

    from hiddenlayers.lens._record import activation_of

    conv = nn.Conv2d(1, 2, 3)
    with torch.no_grad():
        conv.weight.copy_(torch.stack([torch.randn(1, 3, 3), torch.ones(1, 3, 3)]))
        conv.bias.copy_(torch.tensor([-50.0, 0.0]))  # channel 0 is below 0 everywhere, yet varies
    X = np.random.default_rng(0).uniform(size=(8, 1, 5, 5)).astype(np.float32)
    stats = record(nn.Sequential(conv, nn.ReLU()), X).stats
    assert stats["0"].activation == "identity" and stats["0"].dead.tolist() == [False, False]
    assert stats["1"].dead.tolist() == [True, False]  # after the ReLU, channel 0 is dead
    assert [activation_of(m) for m in (nn.LSTM(2, 3), nn.GRU(2, 3), nn.RNN(2, 3), nn.RNN(2, 3, nonlinearity="relu"))] == [
        "tanh", "tanh", "tanh", "relu"
    ]
    assert activation_of(nn.BatchNorm1d(3)) == activation_of(nn.LayerNorm(3)) == "identity"


def test_all_zero_input():
    """X = 0: hidden1 = relu(b) with b <= 0 (never active: dead); hidden2 = tanh(b2), constant on every row (dead, not saturated)."""
    acts = record(_net(), np.zeros((20, 2), np.float32))
    s1, s2 = acts.stats["hidden1"], acts.stats["hidden2"]
    assert s1.dead.all() and s1.sparsity == 1.0 and s1.effective_rank == 0.0
    assert s2.dead.all() and not s2.saturated.any()
    assert s2.warnings() == [
        "hidden2: 3 of 3 tanh units are dead on this data (constant).",
        "hidden2: the representation does not vary on this data (every unit is constant).",
    ]


def test_unknown_activation_counts_constant_units_only():
    """No activation given: a unit below 0 on every row is not "dead" by the ReLU rule; only a constant one is counted."""
    from hiddenlayers.lens._stats import UNKNOWN_RULE

    varying = np.linspace(-3.0, -1.0, 6)
    s = layer_stats(np.column_stack([varying, np.full(6, -2.0), varying + 5.0]))
    assert s.activation is None and s.dead_rule == UNKNOWN_RULE == "activation unknown: constant units only"
    assert s.dead.tolist() == [False, True, False]
    assert s.warnings()[0] == "layer: 1 of 3 units is constant on this data (activation unknown: constant units only)."
    assert s.to_dict()["dead_rule"] == UNKNOWN_RULE
    assert np.isnan(s.fraction_active).all() and s.to_dict()["fraction_active"] is None  # no threshold: not h > 0
    assert layer_stats(np.array([[-1.0, -2.0]])).n_dead == 0  # one row cannot show a constant unit
    assert layer_stats(np.tile([[0.0, 2.0]], (4, 1)), "relu").dead_rule == "never active"


class _Shift(torch.nn.Module):
    """A custom leaf module: no children, no activation_name (its activation is unknown)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x - 10.0


def test_maxpool_and_custom_module_are_not_judged_like_relu(rng):
    from torch import nn

    conv = nn.Conv2d(1, 3, 3)
    with torch.no_grad():
        conv.weight.copy_(torch.stack([torch.randn(1, 3, 3), torch.ones(1, 3, 3), torch.zeros(1, 3, 3)]))
        conv.bias.copy_(torch.tensor([-50.0, 0.0, -1.0]))  # channel 0 below 0 everywhere; channel 2 constant -1
    net = nn.Sequential(conv, nn.MaxPool2d(2), _Shift())
    X = rng.uniform(size=(8, 1, 6, 6)).astype(np.float32)
    stats = record(net, X).stats
    pool, custom = stats["1"], stats["2"]
    assert pool.activation is None and custom.activation is None
    assert (pool.role, custom.role) == ("pooling", None)  # a pool has no activation by nature; the custom module's is unknown
    # ReLU rule would call channels 0 and 2 of the pool (and every channel of _Shift) dead
    assert pool.dead.tolist() == [False, False, True]
    assert custom.dead.tolist() == [False, False, True]
    assert "1: 1 of 3 units is constant on this data (constant)." in pool.warnings()
    assert "2: 1 of 3 units is constant on this data (activation unknown: constant units only)." in custom.warnings()
    buf = io.StringIO()
    from rich.console import Console

    summary(net, X, console=Console(file=buf, width=200))
    text = buf.getvalue()
    assert "note: 2: activation unknown: constant units only (the dead column counts units that do not vary over >= 2 rows; " in text
    # the active column: a percentage where the activation defines "active", n/a for the pool and the custom module
    cells = [[c.strip() for c in line.split("│")[1:-1]] for line in text.splitlines() if line.count("│") > 2]
    rows = {c[0]: c for c in cells}
    assert (rows["1"][2], rows["2"][2]) == ("(pooling)", "unknown")
    assert rows["1"][6] == "n/a" and rows["2"][6] == "n/a" and rows["0"][6] == "n/a"  # a bare conv is affine: no "on"
    # every number about "active" says the same: not applicable, not the share above 0
    assert np.isnan(pool.fraction_active).all() and pool.to_dict()["fraction_active"] is None and pool.active_text == "n/a"
    assert stats["0"].activation == "identity" and stats["0"].active_text == "n/a"


def test_layers_without_an_activation_are_shown_as_what_they_are(rng):
    """Pooling, flatten and dropout layers (a Network's own and torch's) have no activation: the table said "unknown" and a
    note about an unknown activation followed. Now their kind shows, they count constant units as dead with no note, and no
    saturation (no limit to saturate at); norms and embeddings are affine, shown as identity."""
    from torch import nn

    from hiddenlayers.lens import report

    net = Network((1, 6, 6), "conv3k3,pool2,gap", 2)  # hidden2: the network's PoolLayer, hidden3 its global pool
    X = rng.uniform(size=(12, 1, 6, 6)).astype(np.float32)
    stats = record(net, X).stats
    assert {n: (s.activation, s.role, s.activation_text) for n, s in stats.items()} == {
        "hidden1": ("relu", None, "relu"), "hidden2": (None, "pooling", "(pooling)"), "hidden3": (None, "pooling", "(pooling)")}
    seq = nn.Sequential(nn.Linear(3, 4), nn.Flatten(), nn.Dropout(0.5), nn.GroupNorm(2, 4), nn.Tanh())
    rows, every = rng.normal(size=(20, 3)).astype(np.float32), ["0", "1", "2", "3", "4"]
    plain = record(seq, rows, every).stats
    assert {n: (s.activation, s.role) for n, s in plain.items()} == {
        "0": ("identity", None), "1": (None, "flatten"), "2": (None, "dropout"), "3": ("identity", None), "4": ("tanh", None)}
    for s in (stats["hidden2"], stats["hidden3"], plain["1"], plain["2"]):
        assert s.dead_rule == "constant" and s.active_text == "n/a" and s.fraction_saturated is None and s.n_saturated == 0
        assert s.to_dict()["role"] == s.role and s.to_dict()["activation"] is None
    buf = io.StringIO()
    from rich.console import Console

    summary(seq, rows, layers=every, console=Console(file=buf, width=200))
    text = buf.getvalue()
    assert "(flatten)" in text and "(dropout)" in text and "unknown" not in text and "note:" not in text
    html = report(net, X, sections=["layers"]).html
    assert "<td>(pooling)</td>" in html and "activation unknown" not in html


def test_report_says_which_dead_rule_it_applied(rng):
    from torch import nn

    from hiddenlayers.lens import report

    net = nn.Sequential(nn.Linear(4, 6), nn.ReLU(), _Shift())
    html = report(net, rng.normal(size=(40, 4)).astype(np.float32), sections=["layers"]).html
    assert "2: activation unknown: constant units only" in html


def test_a_wide_layer_of_a_few_directions_is_low_dimensional_not_one_dimensional(rng):
    """Rank about 4 of 100 units was reported as 'nearly one-dimensional' (the 5% rule's words for rank < 1.5)."""
    few = rng.normal(size=(300, 4)) @ rng.normal(size=(4, 100))  # four directions spread over 100 units
    s = layer_stats(few, "identity", name="h")
    assert 2.5 < s.effective_rank < 4.5
    (w,) = s.warnings()
    assert w.startswith(f"h: the representation is low-dimensional (effective rank {s.effective_rank:.1f} of 100 units, under 5%)")
    assert "one-dimensional" not in w
    line = rng.normal(size=(300, 1)) @ rng.normal(size=(1, 100)) + 0.01 * rng.normal(size=(300, 100))
    (w1,) = layer_stats(line, "identity", name="h").warnings()
    assert w1.startswith("h: the representation is nearly one-dimensional (effective rank 1.0 of 100 units)")
    assert layer_stats(rng.normal(size=(300, 8)) @ rng.normal(size=(8, 100)), "identity").warnings() == []  # 8 of 100: no warning


def test_summary_keeps_layer_names_whole_and_prints_in_full_to_a_pipe(rng, capsys):
    """Printed to a pipe or log file (Rich's default 80 columns), every layer name was cut to 'hid…',
    the same for hidden1 and hidden2, and every header and number to its first letters."""
    from rich.console import Console

    X = rng.uniform(size=(50, 2)).astype(np.float32)
    summary(_net(), X)  # no console: pytest's captured stdout is not a terminal, as a pipe is not
    out = capsys.readouterr().out
    for word in ("hidden1", "hidden2", "activation", "saturated", "sparsity", "eff. rank", "tanh"):
        assert word in out, word
    assert "…" not in out
    buf = io.StringIO()  # a console the caller sized keeps its width, but never cuts a layer's name
    summary(_net(), X, console=Console(file=buf, width=60))
    narrow = buf.getvalue()
    assert "hidden1" in narrow and "hidden2" in narrow
    assert max(len(line) for line in narrow.splitlines()) <= 60


@pytest.mark.parametrize("rows", [1, 5, MIN_DEAD_ROWS - 1])
def test_summary_calls_no_relu_unit_dead_on_too_few_rows(rows, rng, capsys):
    """summary on one row printed "dead (never active)" for every unit off on that row: a unit off on a few rows may be on
    for others (one on for a tenth of the rows is off on all of 5 rows 59% of the time), so below MIN_DEAD_ROWS rows the
    dead column reads n/a, a note says why, and the warnings count the units inactive on these rows."""
    net = _net()
    (s1, _) = summary(net, rng.uniform(size=(rows, 2)).astype(np.float32))
    assert s1.n_dead == 2 and not s1.dead_known and s1.to_dict()["dead_known"] is False
    text = " ".join(capsys.readouterr().out.split())
    these = "this 1 row" if rows == 1 else f"these {rows} rows"
    assert f"hidden1: 2 of 4 ReLU units are inactive on {these}, too few to call a unit dead (that takes at least 30 rows)" in text
    assert "never active" not in text and "dead on this data" not in text
    assert f"note: dead is n/a: {'1 row is' if rows == 1 else f'{rows} rows are'} too few to call a ReLU unit dead (it takes 30" in text
    assert (1 - 0.1) ** MIN_DEAD_ROWS < 0.05 <= (1 - 0.1) ** 28  # the reason for 30, as the note gives it
    many = summary(net, rng.uniform(size=(MIN_DEAD_ROWS, 2)).astype(np.float32))[0]
    assert many.dead_known and "hidden1: 2 of 4 ReLU units are dead on this data (never active)." in many.warnings()


def test_summary_prints_layer_names_in_brackets_as_given(rng) -> None:
    """Any nn.Module's layer names reach the table and the warnings: '[bold]' vanished as Rich markup (on the caller's
    console too), and '[/blue]' raised MarkupError."""
    from collections import OrderedDict

    from rich.console import Console
    from torch import nn

    net = nn.Sequential(OrderedDict([("[bold]", nn.Linear(2, 4)), ("a [cm]", nn.ReLU()), ("[/blue]", nn.Linear(4, 1))]))
    buf = io.StringIO()
    summary(net, rng.uniform(size=(50, 2)).astype(np.float32), console=Console(file=buf, width=140))  # markup on
    lines = [" ".join(line.replace("│", " ").split()) for line in buf.getvalue().splitlines()]
    assert [line.split()[0] for line in lines if line.startswith(("[bold] dense", "[/blue] dense"))] == ["[bold]", "[/blue]"]
    assert any(line.startswith("a [cm] dense relu") for line in lines)
    assert any(line.startswith("warning: a [cm]: ") for line in lines)


@pytest.mark.parametrize("offset", [1e5, -3e6])
def test_std_and_effective_rank_survive_a_large_mean(rng, offset):
    """The variance was E[h²] - E[h]², which cancels when the mean dwarfs the spread (a unit at 1e5 ± 0.01 read its std 1%
    off in float64, and the effective rank with it); a streamed pass gives the numbers of numpy's two-pass formulas."""
    h = offset + 0.01 * rng.normal(size=(500, 6)) @ np.diag([3.0, 1.0, 1.0, 0.5, 0.2, 0.1])
    s = layer_stats(h, "identity")
    np.testing.assert_allclose(s.std, h.std(0), rtol=1e-7)
    lam = np.linalg.eigvalsh(np.cov(h.T, bias=True))
    assert s.effective_rank == pytest.approx(lam.sum() ** 2 / (lam**2).sum(), rel=1e-7)
    acc = UnitAccumulator("identity")
    for part in np.array_split(h, 7):  # batches as record(stream=True) feeds them
        acc.update(torch.from_numpy(part))
    streamed = acc.result("layer")
    np.testing.assert_allclose(streamed.std, h.std(0), rtol=1e-7)
    np.testing.assert_allclose(streamed.mean, h.mean(0), rtol=1e-12)
    assert streamed.effective_rank == pytest.approx(s.effective_rank, rel=1e-7)


@pytest.mark.parametrize("stream", [False, True])
def test_a_conv_channel_is_judged_dead_on_images_not_on_their_positions(rng, stream, capsys):
    """Each of a conv layer's positions was counted as a row: on one 8x8 image (64 positions) a channel off there was
    called dead, though the next image may turn it on; the 30-row rule counts images (and sequences), not positions."""
    net = torch.nn.Sequential(torch.nn.Conv2d(1, 3, 3, padding=1), torch.nn.ReLU())
    with torch.no_grad():
        net[0].bias.copy_(torch.tensor([-50.0, 0.0, 0.0]))  # channel 0 off everywhere
    few = record(net, rng.uniform(size=(2, 1, 8, 8)).astype(np.float32), stream=stream).stats["1"]
    assert few.samples == 128 and few.n_rows == 2 and few.to_dict()["rows"] == 2
    assert few.n_dead == 1 and not few.dead_known and few.dead_text == "n/a"
    assert few.warnings()[0].startswith("1: 1 of 3 ReLU units is inactive on these 2 rows, too few to call a unit dead")
    many = record(net, rng.uniform(size=(MIN_DEAD_ROWS, 1, 8, 8)).astype(np.float32), stream=stream).stats["1"]
    assert many.n_rows == MIN_DEAD_ROWS and many.dead_known and many.n_dead == 1
    one = record(torch.nn.Sequential(torch.nn.Conv2d(1, 2, 3), torch.nn.Tanh()), np.ones((1, 1, 6, 6), np.float32)).stats["1"]
    assert one.n_dead == 0  # a constant image's channel is constant over its positions: one example cannot show variation


@pytest.mark.parametrize(("activation", "label", "f"), [
    ("gelu", "GELU", torch.nn.functional.gelu), ("silu", "SiLU", torch.nn.functional.silu),
    ("elu", "ELU", torch.nn.functional.elu), ("leaky_relu", "leaky ReLU", torch.nn.functional.leaky_relu),
])
def test_units_that_still_pass_gradient_are_never_active_not_dead(activation, label, f, rng):
    """GELU/SiLU/ELU/leaky-ReLU units whose pre-activation is never positive were called "dead", yet they pass gradient
    there: they are "never active", and dead only when constant, as for any activation with gradient below 0."""
    z = torch.as_tensor(np.column_stack([rng.uniform(-3.0, -0.5, 40), rng.normal(size=40), np.full(40, -2.0)]))
    s = layer_stats(f(z), activation)
    assert s.dead.tolist() == [False, False, True] and s.dead_rule == "constant"
    assert s.never_active is not None and s.never_active.tolist() == [True, False, True] and s.n_never_active_alive == 1
    assert f"layer: 1 of 3 {label} units is never active on these 40 rows (pre-activation never positive); not dead: {label} passes gradient " \
           "below 0, so it can still learn." in s.warnings()
    assert f"layer: 1 of 3 {label} units is dead on this data (constant)." in s.warnings()
    assert s.to_dict()["never_active"] == 2 and s.to_dict()["dead"] == 1  # every unit never active; the constant one dead too
    relu = layer_stats(torch.relu(z), "relu")  # zero gradient below 0: never active is dead
    assert relu.dead.tolist() == [True, False, True] and relu.n_never_active_alive == 0


@pytest.mark.parametrize(("activation", "f", "rule", "dead"), [
    ("relu", torch.relu, "never active", 2), ("gelu", torch.nn.functional.gelu, "constant", 1),
])
def test_never_active_counts_what_its_name_says_beside_the_dead_rule(activation, f, rule, dead, rng):
    """`inspect --json` read `dead: 4, never_active: 0` for a ReLU layer whose dead_rule is "never active": the count
    left out ReLU, whose never-active units are its dead ones. It counts every never-active unit now, for ReLU and the
    leaky family; and is None where the dead rule does not look at activity."""
    z = torch.as_tensor(np.column_stack([rng.uniform(-3.0, -0.5, 40), rng.normal(size=40), np.full(40, -2.0)]))
    d = layer_stats(f(z), activation).to_dict()
    assert (d["dead_rule"], d["dead"], d["never_active"]) == (rule, dead, 2)
    if rule == "never active":
        assert d["never_active"] == d["dead"]  # the rule's own count
    assert layer_stats(torch.tanh(z), "tanh").to_dict()["never_active"] is None
    assert layer_stats(f(z)).to_dict()["never_active"] is None  # activation unknown: no threshold for "active"


def test_a_linear_layer_of_a_sequential_shows_no_active_fraction(rng, capsys):
    """A bare nn.Linear (activation "identity") showed "active 50%": the sign of a linear output says nothing of a unit
    being on. The summary of one row is titled "on 1 row" (it said "1 rows")."""
    net = torch.nn.Sequential(torch.nn.Linear(2, 4), torch.nn.ReLU(), torch.nn.Linear(4, 3))
    stats = summary(net, rng.normal(size=(1, 2)).astype(np.float32))
    text = capsys.readouterr().out
    assert "hidden layers on 1 row " in text and "1 rows" not in text
    lin = {s.name: s for s in stats}["0"]
    assert lin.activation == "identity" and lin.active_text == "n/a" and lin.to_dict()["fraction_active"] is None
    line = next(ln for ln in text.splitlines() if ln.strip("│ ").startswith("0 "))
    assert "n/a" in line and "%" not in line.replace("0%", "")  # sparsity's "0%" is the only percent on the row
    assert {s.name: s for s in stats}["1"].active_text.endswith("%")
