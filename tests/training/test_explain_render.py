"""What a student reads: `explain`'s tables at a real terminal width, the chain rule factor by factor, the new weights."""

from __future__ import annotations

import io
import re

import numpy as np
import pytest
from rich.console import Console

from hiddenlayers.training._explain import explain


def rendered(ex, width: int) -> str:
    buf = io.StringIO()
    ex.render(Console(file=buf, width=width, color_system=None))
    return buf.getvalue()


@pytest.mark.parametrize("sizes", [(2, 3, 2), (16, 16, 4), (3, 16, 16, 16, 2)])
@pytest.mark.parametrize("width", [80, 120])
def test_tables_fit_the_terminal_and_never_squeeze_a_number_to_an_ellipsis(sizes, width):
    ex = explain(sizes, activation="tanh", seed=2)
    text = rendered(ex, width)
    assert max(len(line) for line in text.splitlines()) <= width
    # a number cut short by the terminal reads '+0.…' or '…'-only cells everywhere: only whole columns may be left out
    assert not re.search(r"[+-][\d.]*…|d…|\[…|=…", text)
    w = ex.forward[0].W
    assert _f4(w[0, 0]) in text and _f4(ex.forward[0].z[-1]) in text  # the first W column and every z are shown
    if max(sizes) == 16:  # columns were left out: it says which, and where they all are
        assert re.search(rf"\(W columns \d+–16 left out to fit {width} columns; --json / to_dict\(\) has them all\)", text)
    else:
        assert "left out" not in text


def test_a_wide_table_is_fitted_in_a_few_measures_and_shows_the_most_columns_that_fit(monkeypatch) -> None:
    """The widest table that fits is found by bisection (before: one measure per column left out, 12 at 120 columns)."""
    from rich.table import Table

    from hiddenlayers.training import _explain_render

    def build(k: int) -> Table:
        t = Table()
        for c in range(k):
            t.add_column(f"c{c}")
        _explain_render._more(t, k, 40)
        t.add_row(*(["+0.12345678"] * k), *(["…"] if k < 40 else []))  # cells wider than the 9 characters assumed
        return t

    for width in (50, 80, 120):
        measured: list[int] = []
        con = Console(file=io.StringIO(), width=width, color_system=None)
        real = con.measure
        monkeypatch.setattr(con, "measure", lambda r, options=None, real=real, seen=measured: seen.append(1) or real(r, options=options))
        _explain_render._fitted(con, build, 40, "W")
        shown = con.file.getvalue()
        k = len(re.findall(r"\bc\d+\b", shown.splitlines()[1]))  # the header row's column names
        fits = [j for j in range(1, 41) if real(build(j), options=con.options.update_width(10**6)).maximum <= width]
        assert k == max(fits) > 1 and len(measured) <= 4  # ceil(log2(width // 9)) measures at most
        assert ("left out to" in shown) == (k < 40)


def _f4(v: float) -> str:
    return f"{v + 0.0:+.4f}"


def test_chain_rule_is_printed_factor_by_factor():
    ex = explain((2, 3, 2), activation="logistic", x="0.5,-1", target="1,0", seed=0)
    text = rendered(ex, 160)
    assert "hidden1: dL/dz = dL/dh × logistic'(z)" in text and "logistic'(z) = h·(1 - h)" in text
    hid = ex.backward[1]
    h = ex.forward[0].h
    np.testing.assert_allclose(hid.act_grad, h * (1 - h))
    for j in range(3):  # each unit's row: dL/dh, act'(z), their product dL/dz
        assert re.search(rf"│\s+{j + 1} │ {re.escape(_f4(hid.dL_dh[j]))} │\s+{re.escape(_f4(hid.act_grad[j]))} │ {re.escape(_f4(hid.dL_dz[j]))} │", text)
    assert "dL/dW[j,k] = dL/dz[j]·input[k]" in text  # not eaten as Rich markup


def test_the_step_prints_the_new_weights():
    ex = explain((2, 3, 2), seed=0)
    text = rendered(ex, 100)
    assert "hidden1 after the step" in text and "output after the step" in text
    W, b = ex.updated[1]
    np.testing.assert_allclose(W, ex.forward[1].W - 0.1 * ex.backward[0].dL_dW)
    assert all(_f4(v) in text for v in [*W.ravel(), *b])


def test_shapes_are_stated_and_exact_zeros_print_without_a_sign_flip():
    ex = explain((2, 3, 2), activation="relu", x="-1,-1", seed=0)
    text = rendered(ex, 100)
    assert "hidden1: z = W·x + b, h1 = relu(z)   (W: 3×2)" in text and "output: z = W·h1 + b" in text and "(W: 2×3)" in text
    assert "-0.0000" not in text


@pytest.mark.parametrize("name", sorted(__import__("hiddenlayers.network", fromlist=["ACTIVATIONS"]).ACTIVATIONS))
def test_every_activation_prints_its_derivative_formula(name):
    text = rendered(explain((2, 2, 2), activation=name, seed=0), 200)
    assert f"{name}'(z) = " in text and "its derivative" not in text


@pytest.mark.parametrize("loss", ["binary_generalized_cross_entropy", "generalized_cross_entropy", "squared_error"])
def test_the_title_is_whole_at_80_columns(loss):
    """'... binary generalized cross entropy (q=0.7) loss' was cut to '(q…' at 80 columns; a title too long for the rule now
    wraps below it, and a short one stays in it."""
    text = rendered(explain((2, 3, 2), loss=loss, seed=0), 80)
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= 80
    title = " ".join(lines[:3]) if lines[0].strip("─") == "" else lines[0]
    assert "…" not in title and f"{loss.replace('_', ' ')}{' (q=0.7)' if 'generalized' in loss else ''} loss" in " ".join(title.split())
    assert (lines[0].strip("─") == "") == ("generalized" in loss)  # only the long ones leave the rule


def test_a_given_networks_long_title_wraps_instead_of_being_cut():
    """explain_network's title (what a model's explain prints) at 80 columns: whole, not '(q…'."""
    from hiddenlayers.training._explain import explain_network

    pairs = [([[0.5, -0.5], [0.2, 0.1], [0.3, 0.3]], [0.0, 0.1, 0.0]), ([[1.0, -1.0, 0.5]], [0.0])]
    ex = explain_network(pairs, ["relu"], [1.0, 0.0], [1.0], loss="binary_generalized_cross_entropy", q=0.7)
    lines = rendered(ex, 80).splitlines()
    assert "…" not in " ".join(lines[:3]) and "entropy (q=0.7) loss" in " ".join(" ".join(lines[:3]).split())


def test_the_binary_cross_entropy_formula_is_printed_whole():
    """'-Σ [t·log p + (1 - t)·log(1 - p)]' was read as a Rich tag and printed as 'loss L = -Σ  = 1.11'."""
    text = rendered(explain((2, 3, 2), loss="binary_cross_entropy", seed=0), 120)
    assert "loss L = -Σ [t·log p + (1 - t)·log(1 - p)] = " in text


def test_names_labels_and_paths_in_brackets_are_printed_as_given():
    """A model's column 'length [cm]', a category '[red]' and a label '[setosa]' vanished (Rich markup), and a value
    '[/blue]' stopped the command with an internal MarkupError."""
    from hiddenlayers.training._explain import explain_network

    pairs = [([[0.5, -0.5, 0.1], [0.2, 0.1, 0.3]], [0.0, 0.1]), ([[1.0, -1.0], [0.5, 0.2]], [0.0, 0.0])]
    source = {"model": "MLPClassifier", "where": "Data: row 1 (line 2 of 'iris [v2].csv')", "label": "[setosa]",
              "raw": {"length [cm]": 4.9, "color": "[/blue]"}, "notes": ["column [b] left out"]}
    ex = explain_network(pairs, ["relu"], [1.0, 0.0, 1.0], [1.0, 0.0], loss="cross_entropy",
                         input_names=["length [cm]", "color=[/blue]", "color=[red]"], output_names=["[setosa]", "other"], source=source)
    text = " ".join(rendered(ex, 200).split())
    for shown in ("length [cm]=4.9", "color=[/blue]", "color=[red]=+1.0000", "label '[setosa]'", "classes [setosa], other",
                  "'iris [v2].csv'", "note: column [b] left out"):
        assert shown in text


@pytest.mark.parametrize("loss", ["cross_entropy", "binary_cross_entropy", "generalized_cross_entropy", "poisson", "squared_error"])
def test_the_output_table_calls_z_the_prediction_only_where_it_is(loss):
    """The output table had a column 'y' equal to z under every loss, headed 'y = z (raw scores, no activation)': under
    poisson the lines below print y = e^z, other numbers than that column; under a softmax or logistic the prediction is p."""
    ex = explain((2, 3, 2), loss=loss, seed=0)
    text = rendered(ex, 120)
    table = text[text.index("output: z = W·h1 + b"):text.index("2. Backward pass")]
    header = next(line for line in table.splitlines() if "unit" in line)
    assert [c.strip() for c in header.split("┃")[-3:-1]] == (["z", "y"] if loss == "squared_error" else ["b", "z"])
    assert "raw scores, no activation" not in text
    if loss == "poisson":
        assert "y = e^z, below" in table and np.allclose(ex.output, np.exp(ex.forward[-1].z))


def test_the_notation_is_tied_to_the_textbooks_a_and_delta():
    """The tables say h and dL/dz where Nielsen's book and CS231n's notes say a and δ: a student reading both was not told
    they are the same quantities."""
    text = " ".join(rendered(explain((2, 3, 2), seed=0), 80).split())
    assert "h is the activation the textbooks call a" in text and "dL/dz below is their δ" in text


def _one_hidden(W1, b1, activation, x):
    from hiddenlayers.training._explain import explain_network

    W2 = [[1.0] * len(b1)]
    return explain_network([(W1, b1), (W2, [0.0])], [activation], x, [1.0], loss="squared_error")


def test_a_relu_unit_inactive_on_the_row_is_named_and_what_it_means_is_said():
    """A unit with z <= 0 showed relu'(z) = 0 and rows of zeros, with no word on what that does (no gradient to its weights,
    none passed below) nor on what a unit off on every row is (dead)."""
    ex = _one_hidden([[1.0, 0.0], [-1.0, 0.0], [0.5, 0.5], [-2.0, 1.0]], [0.0, 0.0, 0.0, 0.0], "relu", [1.0, 1.0])
    assert list(ex.forward[0].z) == [1.0, -1.0, 1.0, -1.0]  # units 2 and 4 are off; z = 0 exactly would be off too
    text = " ".join(rendered(ex, 80).split())
    assert "units 2, 4: relu'(z) = 0 (z ≤ 0), inactive on this row: this row gives their W and b no gradient" in text
    assert "A unit inactive on every row is dead" in text and "saturated" not in text
    alive = _one_hidden([[1.0, 0.0], [0.5, 0.5]], [0.1, 0.1], "relu", [1.0, 1.0])
    assert "inactive" not in rendered(alive, 80)
    many = _one_hidden([[1.0]] * 4 + [[-1.0]] * 16, [0.0] * 20, "relu", [1.0])  # 16 of 20 off: counted, the first 12 named
    assert "16 of 20 units (5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, …): relu'(z) = 0" in " ".join(rendered(many, 80).split())


@pytest.mark.parametrize(("activation", "limits"), [("tanh", "(-1 or 1)"), ("logistic", "(0 or 1)")])
def test_a_saturated_unit_is_named_by_the_lens_rule(activation, limits):
    """h within 2% of the activation's range from a limit (hl.lens.summary's margin) is called saturated; others are not."""
    ex = _one_hidden([[5.0], [-5.0], [0.1]], [0.0, 0.0, 0.0], activation, [1.0])
    h = ex.forward[0].h
    lo, hi = (-1.0, 1.0) if activation == "tanh" else (0.0, 1.0)
    assert [bool(min(v - lo, hi - v) <= 0.02 * (hi - lo)) for v in h] == [True, True, False]
    text = " ".join(rendered(ex, 80).split())
    assert f"units 1, 2: h is within 2% of {activation}'s limit {limits}, saturated" in text and "inactive" not in text
