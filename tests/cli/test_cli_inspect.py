"""`hiddenlayers inspect`: the lens report of a saved model on a data file; every user error (exit 2, one line)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cli_helpers import assert_user_error, run
from hiddenlayers.lens._report import SECTIONS

TITLES = ["Architecture", "Training", "Gradient flow", "Hidden layers", "Activations", "The loss around the fitted weights",
          "Layer similarity", "Linear probes", "Projections", "Neurons", "What each unit responds to most", "Top features", "Data"]


@pytest.fixture(scope="module")
def model(table, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("models") / "m.safetensors"
    result = run("train", table, "-t", "label", "--hidden", "8,4:tanh", "--epochs", "20", "--lr", "0.01", "-q", "-o", out)
    assert result.exit_code == 0, result.output
    return out


def section_titles(html: str) -> dict[str, str]:
    return dict(re.findall(r'<section id="([^"]+)"><h2>([^<]+)</h2>', html))


def test_inspect_writes_report_with_every_section(model, table, tmp_path):
    out = tmp_path / "r.html"
    result = run("inspect", model, table, "-o", out)
    assert result.exit_code == 0, result.output
    html = out.read_text(encoding="utf-8")
    assert section_titles(html) == dict(zip(SECTIONS, TITLES))
    assert f"report written to {out}" in result.stdout
    for word in ["hidden1", "hidden2", "tanh", "dead", "saturated", "(labels: label)"]:
        assert word in result.stdout
    assert "gradient flow: not recorded" in result.stdout
    # labels were found (the model's stored target), so the probes ran on every layer
    assert "pass y (one label per row)" not in html and "Held-out accuracy of a linear model" in html


def test_inspect_json(model, table, tmp_path):
    out = tmp_path / "r.html"
    img = tmp_path / "land.png"  # --landscape rides along: one report build for both
    result = run("inspect", model, table, "-o", out, "--json", "--landscape", img, "--sections", "layers")  # the page's sections: the test above
    assert result.exit_code == 0, result.output
    d = json.loads(result.stdout)
    assert d["report"] == str(out) and out.exists()
    land = d["landscape"]
    assert land["path"] == str(img) and land["rows"] == 150 and land["steps"] == 21 and img.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert 0 < land["min_loss"] <= land["center_loss"] < 5  # the fitted weights' cross entropy; the grid holds it
    assert d["rows"] == 150 and d["target"] == "label" and d["gradient_flow_epochs"] == 0
    assert [la["name"] for la in d["layers"]] == ["hidden1", "hidden2"]
    assert [la["units"] for la in d["layers"]] == [8, 4] and d["layers"][1]["activation"] == "tanh"
    for la in d["layers"]:
        assert 0 <= la["fraction_active"] <= 1 and 0 <= la["dead"] <= la["units"] and la["effective_rank"] > 0
    assert isinstance(d["warnings"], list) and all(w.startswith("hidden") for w in d["warnings"])


def test_inspect_without_labels_notes_it(model, table, tmp_path):
    unlabelled = tmp_path / "x.csv"
    pd.read_csv(table).drop(columns=["label"]).sample(frac=1, axis=1, random_state=0).to_csv(unlabelled, index=False)
    out = tmp_path / "r.html"
    result = run("inspect", model, unlabelled, "-o", out, "--json", "--sections", "probes")
    assert result.exit_code == 0, result.output
    assert "note: the data has no 'label' column (the model's target)" in result.stderr
    assert json.loads(result.stdout)["target"] is None
    html = out.read_text(encoding="utf-8")
    assert list(section_titles(html)) == ["probes"]
    assert "pass --target COLUMN (a column of labels in the data) to probe the layers." in html and "pass y" not in html  # the command's option


def test_inspect_bundled_dataset_regressor(tmp_path):
    m = tmp_path / "d.safetensors"
    assert run("train", "diabetes", "--hidden", "8", "--epochs", "3", "-q", "-o", m).exit_code == 0
    result = run("inspect", m, "diabetes", "-o", tmp_path / "d.html", "--json", "--sections", "probes", "--landscape", tmp_path / "l.png")
    assert result.exit_code == 0, result.output
    d = json.loads(result.stdout)
    assert d["rows"] == 442 and d["target"] == "target"
    # train scales the target (scale_target on): the loss was in standard deviations of y; now y's units, and said
    from sklearn.datasets import load_diabetes

    import hiddenlayers as hl

    X, y = load_diabetes(return_X_y=True, as_frame=True)
    half_mse = 0.5 * float(np.mean((hl.load(m).predict(X) - y.to_numpy()) ** 2))
    assert d["landscape"]["loss_unit"] == "half squared error per row, in y's units squared"
    assert d["landscape"]["center_loss"] == pytest.approx(half_mse, rel=1e-3) and half_mse > 1000
    assert "Held-out r2 of a linear model" in (tmp_path / "d.html").read_text(encoding="utf-8")


def preferred_section(html: str) -> str:
    return html.split('<section id="preferred-inputs">')[1].split("</section>")[0]


def test_inspect_shows_what_each_unit_responds_to_with_the_tables_column_names(model, table, tmp_path):
    out = tmp_path / "r.html"
    assert run("inspect", model, table, "-o", out, "--sections", "preferred-inputs").exit_code == 0
    body = preferred_section(out.read_text(encoding="utf-8"))
    assert "<img" in body and "bars:" in body and 'class="na"' not in body
    alt = re.search(r'<img alt="([^"]*)"', body).group(1)
    assert "preferred inputs of hidden1" in alt and "color" in alt and " x0 " not in alt  # the encoded columns' names, not x0, x1, ...


def test_inspect_image_shape_draws_digits_as_images(tmp_path):
    from sklearn.datasets import load_digits

    frame = load_digits(as_frame=True).frame.sample(400, random_state=0)
    data = tmp_path / "digits.csv"
    frame.to_csv(data, index=False)
    m = tmp_path / "d.safetensors"
    assert run("train", data, "-t", "target", "--hidden", "24", "--epochs", "5", "-q", "-o", m).exit_code == 0
    out = tmp_path / "d.html"
    result = run("inspect", m, data, "-o", out, "--image-shape", "8 x 8", "--sections", "preferred-inputs")  # spaces were refused
    assert result.exit_code == 0, result.output
    body = preferred_section(out.read_text(encoding="utf-8"))
    assert "<img" in body and "each image is the input" in body and "bars:" not in body
    assert_user_error(run("inspect", m, data, "-o", tmp_path / "e.html", "--image-shape", "8x9"),
                      "--image-shape 8x9 holds 72 values but the model reads 64 per row")
    assert_user_error(run("inspect", m, data, "-o", tmp_path / "e.html", "--image-shape", "8 by 8"),
                      "--image-shape must be HxW or CxHxW in pixels")
    assert not (tmp_path / "e.html").exists()


def test_inspect_force_overwrites(model, table, tmp_path):
    out = tmp_path / "r.html"
    out.write_text("old")
    assert run("inspect", model, table, "-o", out, "--force", "--sections", "architecture").exit_code == 0
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_inspect_too_few_rows_to_probe_goes_on_without_labels(model, table, tmp_path):
    frame = pd.read_csv(table)
    two = tmp_path / "two.csv"
    pd.concat([frame[frame.label == "yes"].head(1), frame[frame.label == "no"].head(1)]).to_csv(two, index=False)
    out = tmp_path / "r.html"
    result = run("inspect", model, two, "-o", out, "--sections", "probes,projections")
    assert result.exit_code == 0, result.output
    assert "note: built the report without labels (the probe's training split holds a single class" in result.stderr
    html = out.read_text(encoding="utf-8")
    assert list(section_titles(html)) == ["probes", "projections"] and "pass --target COLUMN (a column of labels in the data) to probe the layers." in html


def test_inspect_sections_builds_only_those_and_still_lists_the_layers(model, table, tmp_path):
    out = tmp_path / "r.html"
    result = run("inspect", model, table, "-o", out, "--sections", " probes, layers ")
    assert result.exit_code == 0, result.output
    assert list(section_titles(out.read_text(encoding="utf-8"))) == ["layers", "probes"]  # page order
    assert "hidden1" in result.stdout and f"report written to {out}" in result.stdout  # the layer table is printed whatever the page holds


@pytest.mark.parametrize(("sections", "message"), [
    ("layers,probs", "--sections: unknown report section 'probs': the sections are architecture, training,"),
    # it said "(or pass None for all of them)", Python's words in the CLI
    (" , ", "--sections names no section: name at least one of architecture,"),
])
def test_inspect_bad_sections_are_one_line_before_reading_anything(tmp_path, sections, message):
    result = run("inspect", tmp_path / "absent.safetensors", tmp_path / "absent.csv", "-o", tmp_path / "r.html", "--sections", sections)
    assert_user_error(result, message)
    assert "Did you mean 'probes'?" in result.stderr or "probs" not in sections
    assert "None" not in result.stderr and ("leave --sections out for all of them" in result.stderr or "probs" in sections)
    assert not (tmp_path / "r.html").exists()


def test_inspect_baseline_names_the_features_reference(model, table, tmp_path):
    leads = {}
    for baseline in ("auto", "zeros", "Median"):
        out = tmp_path / f"{baseline}.html"
        result = run("inspect", model, table, "-o", out, "--sections", "features", "--baseline", baseline)
        assert result.exit_code == 0, result.output
        leads[baseline] = re.search(r"integrated gradients from ([^,]+), Captum", out.read_text(encoding="utf-8")).group(1)
    # a train-made model stores its training rows' mean (category frequencies included): auto reads it, not the rows'
    assert leads == {"auto": "the training mean", "zeros": "zeros", "Median": "the rows&#x27; median"}
    import hiddenlayers as hl

    color = next(c for c in hl.load(model).preprocessing_["columns"] if c["name"] == "color")
    counts = pd.read_csv(table)["color"].value_counts(dropna=False, normalize=True)  # train holds some rows out: close, not equal
    assert len(color["frequencies"]) == len(color["categories"]) + 1 and sum(color["frequencies"]) == pytest.approx(1.0)
    for cat, f in zip(color["categories"], color["frequencies"], strict=False):
        assert f == pytest.approx(counts[cat], abs=0.1)


def test_inspect_of_a_sampled_file_names_top_rows_by_their_file_line(model, table, tmp_path, monkeypatch):
    """Past the CLI's row cap the report got a random sample: its 'top rows' were positions in that sample."""
    import hiddenlayers as hl
    from hiddenlayers.cli import _inspect

    monkeypatch.setattr(_inspect, "MAX_ROWS", 60)  # the 10,000-row cap, on a 150-row file
    out = tmp_path / "r.html"
    result = run("inspect", model, table, "-o", out, "--sections", "neurons")
    assert result.exit_code == 0, result.output
    page = out.read_text(encoding="utf-8")
    assert f"top rows: lines of &#x27;{table}&#x27; (the file line, header = line 1)." in page
    rows = re.findall(r"<tr><td>(\w+)</td><td>(\d+)</td><td>([\d, ]+)</td><td>([^<]+)</td>", page[page.index("Rows that activate"):])
    assert len(rows) >= 4
    clf, frame = hl.load(model), pd.read_csv(table).drop(columns=["label"])
    for layer, unit, top, shown in rows:
        line = int(top.split(",")[0])  # line 2 is the first data row
        acts = hl.lens.record(clf, frame.iloc[[line - 2]], layers=[layer])
        assert f"{acts[layer][0, int(unit)]:.3g}" == shown.strip()


def test_inspect_bad_baseline_is_one_line_before_reading_anything(tmp_path):
    result = run("inspect", tmp_path / "absent.safetensors", tmp_path / "absent.csv", "-o", tmp_path / "r.html", "--baseline", "average")
    assert_user_error(result, "--baseline must be one of auto, mean, median, zeros. Received: 'average'.")
    assert not (tmp_path / "r.html").exists()


# ------------------------------------------------------------------ errors
def test_error_missing_model(table, tmp_path):
    assert_user_error(run("inspect", tmp_path / "nope.safetensors", table, "-o", tmp_path / "r.html"), "nope.safetensors' does not exist")


def test_error_corrupt_model(table, tmp_path):
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(b"\x00" * 40)
    assert_user_error(run("inspect", bad, table, "-o", tmp_path / "r.html"), "is not a readable safetensors model file")


def test_error_missing_data(model, tmp_path):
    assert_user_error(run("inspect", model, "nope.csv", "-o", tmp_path / "r.html"), "'nope.csv' is neither a file nor a bundled dataset")


def test_error_report_exists(model, table, tmp_path):
    out = tmp_path / "r.html"
    out.write_text("precious")
    assert_user_error(run("inspect", model, table, "-o", out), f"'{out}' already exists: pass --force to overwrite it")
    assert out.read_text() == "precious"


def test_error_out_not_html(model, table, tmp_path):
    assert_user_error(run("inspect", model, table, "-o", tmp_path / "r.csv"), "--out must end in .html (the report is one HTML page)")


def test_error_out_in_a_missing_folder_names_the_option(model, table, tmp_path):
    missing = tmp_path / "nodir" / "r.html"
    assert_user_error(run("inspect", model, table, "-o", missing), f"folder '{missing.parent}' of --out '{missing}' does not exist")
    assert not missing.parent.exists()


def test_error_out_is_folder(model, table, tmp_path):
    (tmp_path / "dir.html").mkdir()
    assert_user_error(run("inspect", model, table, "-o", tmp_path / "dir.html"), "is a folder")


def test_error_unknown_target(model, table, tmp_path):
    assert_user_error(run("inspect", model, table, "-t", "labl", "-o", tmp_path / "r.html"), "unknown target column 'labl'")


def test_error_missing_feature_columns(model, table, tmp_path):
    partial = tmp_path / "p.csv"
    pd.read_csv(table).drop(columns=["color"]).to_csv(partial, index=False)
    assert_user_error(run("inspect", model, partial, "-o", tmp_path / "r.html"), "the data lacks column(s) 'color' that the model was trained on")


def test_error_empty_target(model, table, tmp_path):
    empty = tmp_path / "e.csv"
    pd.read_csv(table).assign(label=np.nan).to_csv(empty, index=False)
    assert_user_error(run("inspect", model, empty, "-o", tmp_path / "r.html"), "the target column 'label' is empty")


def test_error_too_few_rows(model, table, tmp_path):
    one = tmp_path / "one.csv"
    pd.read_csv(table).head(1).to_csv(one, index=False)
    assert_user_error(run("inspect", model, one, "-o", tmp_path / "r.html"), "the report needs at least 2")


def test_help_has_an_example():
    result = run("inspect", "--help")
    assert result.exit_code == 0 and "Example: hiddenlayers inspect" in result.output


def test_inspect_data_section_checks_the_files_columns(model, table, tmp_path):
    """The Data section checks the CSV's own columns (names, counts), not the encoded model matrix (x0, x1, ...)."""
    frame = pd.read_csv(table).assign(b=1.5)  # a constant column, named in the finding
    data = tmp_path / "const.csv"
    frame.to_csv(data, index=False)
    out = tmp_path / "r.html"
    assert run("inspect", model, data, "-o", out, "--sections", "data").exit_code == 0  # every section: the first test
    page = out.read_text(encoding="utf-8")
    body = page[page.index('<section id="data">'):]
    body = body[: body.index("</section>")]
    assert f"{len(frame)} rows x 3 columns" in body and "1 column(s) hold a single value: b</td>" in body
    assert not re.search(r"\bx\d+\b", body)


def test_inspect_page_gives_the_cli_hint_for_gradient_flow(model, table, tmp_path):
    out = tmp_path / "r.html"
    result = run("inspect", model, table, "-o", out, "--sections", "gradient-flow")  # the terminal's summary is the same for any sections
    hint = "train with `hiddenlayers train --gradient-flow` to record gradient flow per epoch."
    page = out.read_text(encoding="utf-8")
    assert hint in page and "hl.lens.GradientFlow" not in page
    assert hint in " ".join(result.stdout.split())  # the terminal says the same
    assert "Content-Security-Policy" in page and "overflow-wrap:anywhere" in page


def test_inspect_landscape_user_errors(model, table, tmp_path):
    assert_user_error(run("inspect", model, table, "-o", tmp_path / "r.html", "--landscape", tmp_path / "land.jpg"), "--landscape must end in .png")
    (tmp_path / "old.png").write_bytes(b"keep")
    assert_user_error(run("inspect", model, table, "-o", tmp_path / "r.html", "--landscape", tmp_path / "old.png"), "already exists")
    assert (tmp_path / "old.png").read_bytes() == b"keep"
    unlabelled = tmp_path / "x.csv"
    pd.read_csv(table).drop(columns=["label"]).to_csv(unlabelled, index=False)
    result = run("inspect", model, unlabelled, "-o", tmp_path / "r.html", "--landscape", tmp_path / "l.png")
    assert result.exit_code == 2 and "Traceback" not in result.output  # a note that labels are missing, then the error
    assert result.stderr.strip().splitlines()[-1].startswith("error: --landscape needs the model's target column")
    assert not (tmp_path / "r.html").exists() and not (tmp_path / "l.png").exists()


@pytest.mark.parametrize("label", ["label", "species"])
def test_another_datasets_table_is_refused_for_its_columns_before_its_labels(model, tmp_path, label):
    """A wine-like table with labels the model never saw (or no 'label' column): the missing columns are named, not the labels."""
    other = tmp_path / "other.csv"
    pd.DataFrame({"alcohol": [13.2, 12.4, 14.1], "hue": [1.0, 0.9, 1.1], label: ["class_0", "class_1", "class_0"]}).to_csv(other, index=False)
    message = "the data lacks column(s) 'a', 'b', 'color' that the model was trained on"
    out = tmp_path / "r.html"
    assert_user_error(run("inspect", model, other, "-o", out), message)
    assert not out.exists()
    assert_user_error(run("evaluate", model, other), message)
    assert_user_error(run("prune", model, other, "-o", tmp_path / "small.safetensors"), message)
    assert not (tmp_path / "small.safetensors").exists()


def test_inspect_shows_its_progress_on_a_terminal_unless_quiet_or_json(model, table, tmp_path, monkeypatch):
    """inspect printed nothing for 30-45 s while it built the report; on a terminal a status line on stderr now names
    each step as it starts, and goes before the results print (never on stdout; --quiet and --json: none)."""
    import io

    from rich.console import Console

    import hiddenlayers.cli._common as common

    screens: list[io.StringIO] = []

    def terminal() -> Console:
        screens.append(io.StringIO())
        return Console(file=screens[-1], force_terminal=True, width=200)

    monkeypatch.setattr(common, "stderr_console", terminal)
    out = tmp_path / "r.html"
    result = run("inspect", model, table, "-o", out, "--sections", "layers,probes")
    assert result.exit_code == 0, result.output
    shown = screens[0].getvalue()
    said = [s for s in ("reading the model and the data", "recording the hidden layers", "Hidden layers", "Linear probes", f"writing {out}")
            if f"inspect: {s} (" in shown]
    assert said == ["reading the model and the data", "recording the hidden layers", "Hidden layers", "Linear probes", f"writing {out}"]
    assert "inspect:" not in result.stdout + result.stderr
    for flag in ("--quiet", "--json"):
        screens.clear()
        again = run("inspect", model, table, "-o", out, "--sections", "layers", "--force", flag)
        assert again.exit_code == 0 and "inspect:" not in "".join(s.getvalue() for s in screens)
    assert json.loads(again.stdout)["report"] == str(out)
    screens.clear()
    assert_user_error(run("inspect", model, table, "-o", out, "--image-shape", "8x9", "--sections", "preferred-inputs", "--force"),
                      "--image-shape 8x9 holds 72 values")  # an error is still one line; the status line went with it


def test_inspect_method_picks_the_features_attribution(model, table, tmp_path):
    """--method: the 'Top features' section by Captum's DeepLift (or saliency, which reads no baseline), not only IG."""
    out = tmp_path / "d.html"
    result = run("inspect", model, table, "-o", out, "--sections", "features", "--method", "DeepLift")
    assert result.exit_code == 0, result.output
    page = out.read_text(encoding="utf-8")
    assert "(DeepLift from the training mean, Captum)" in page
    out2 = tmp_path / "s.html"
    assert run("inspect", model, table, "-o", out2, "--sections", "features", "--method", "saliency").exit_code == 0
    assert "(saliency, Captum)" in out2.read_text(encoding="utf-8")


def test_inspect_smooth_names_the_smoothed_method_and_bad_ones_are_one_line(model, table, tmp_path):
    """--smooth: the 'Top features' section's method inside Captum's NoiseTunnel, named on the page; a misspelt smoothing, or
    one around gradient_shap (already an average over noisy copies), is one line before any work."""
    out = tmp_path / "sg.html"
    result = run("inspect", model, table, "-o", out, "--sections", "features", "--method", "saliency", "--smooth", "smoothgrad-sq")
    assert result.exit_code == 0, result.output
    assert "(SmoothGrad² of saliency, Captum)" in out.read_text(encoding="utf-8")
    assert_user_error(run("inspect", model, table, "-o", tmp_path / "x.html", "--smooth", "smothgrad"),
                      "--smooth must be one of smoothgrad, smoothgrad_sq, vargrad. Received: 'smothgrad'. Did you mean 'smoothgrad'?")
    assert_user_error(run("inspect", model, table, "-o", tmp_path / "x.html", "--method", "gradient_shap", "--smooth", "vargrad"),
                      "--smooth does not apply to --method gradient_shap, which already averages over noisy copies")
    assert not (tmp_path / "x.html").exists()


def test_inspect_bad_method_is_one_line_before_reading_anything(tmp_path):
    result = run("inspect", tmp_path / "absent.safetensors", tmp_path / "absent.csv", "-o", tmp_path / "r.html", "--method", "deep-lfit")
    assert_user_error(result, "--method must be one of integrated_gradients, saliency, input_x_gradient, deeplift, gradient_shap, "
                              "feature_ablation, occlusion. Received: 'deep-lfit'. Did you mean 'deeplift'?")
    assert not (tmp_path / "r.html").exists()


@pytest.mark.parametrize(("activation", "rule", "never"), [("relu", "never active", 4), ("gelu", "constant", 4)])
def test_inspect_json_never_active_agrees_with_the_dead_rule_and_the_table(table, tmp_path, activation, rule, never):
    """A ReLU layer read `dead: 4, never_active: 0` with `dead_rule: "never active"`: ReLU's never-active units were left out
    of the count. The JSON's never_active counts them now, and the table's dead column and the warnings say the same."""
    import torch

    import hiddenlayers as hl

    path = tmp_path / f"{activation}.safetensors"
    assert run("train", table, "-t", "label", "--hidden", f"8:{activation}", "--epochs", "1", "-q", "-o", path).exit_code == 0
    clf = hl.load(path)
    first = next(m for m in clf.network_.modules() if isinstance(m, torch.nn.Linear))
    with torch.no_grad():
        first.bias[:4] = -100.0  # four units off on every row: dead for ReLU, constant (so dead) for GELU
    clf.save(path)
    result = run("inspect", path, table, "-o", tmp_path / "r.html", "--json", "--sections", "layers")
    assert result.exit_code == 0, result.output
    layer = json.loads(result.stdout)["layers"][0]
    assert (layer["activation"], layer["dead_rule"], layer["dead"], layer["never_active"]) == (activation, rule, 4, never)
    shown = run("inspect", path, table, "-o", tmp_path / "r.html", "--force", "--sections", "layers").stdout
    assert re.search(rf"│ hidden1 │ {activation}\s+│\s+8 │\s+\d+% │\s+4 │", shown), shown
    assert f"4 of 8 {'ReLU' if activation == 'relu' else 'GELU'} units are dead on this data ({rule})." in shown


def test_inspect_on_too_few_rows_to_call_a_unit_dead_prints_the_note_that_says_why(model, table, tmp_path):
    """`inspect` on fewer than MIN_DEAD_ROWS rows printed a dead column of "n/a" without the note the page and lens.summary
    give under the same table; it prints that note now (not with --json, where each layer's dead_known says it)."""
    from hiddenlayers.lens import MIN_DEAD_ROWS, dead_unknown_note

    few = tmp_path / "few.csv"
    pd.read_csv(table).head(MIN_DEAD_ROWS - 1).to_csv(few, index=False)
    result = run("inspect", model, few, "-o", tmp_path / "r.html", "--sections", "layers")
    assert result.exit_code == 0, result.output
    out = " ".join(result.stdout.split())
    assert f"note: {dead_unknown_note(MIN_DEAD_ROWS - 1)}" in out and out.startswith("hidden layers on 29 rows"), out
    assert "dead is n/a: 29 rows are too few to call a ReLU unit dead (it takes 30" in out
    assert "n/a" in result.stdout.split("note:")[0]  # the table's dead column the note explains
    as_json = run("inspect", model, few, "-o", tmp_path / "j.html", "--sections", "layers", "--json")
    assert as_json.exit_code == 0 and "dead is n/a" not in as_json.stdout
    assert json.loads(as_json.stdout)["layers"][0]["dead_known"] is False
    enough = run("inspect", model, table, "-o", tmp_path / "e.html", "--sections", "layers")
    assert enough.exit_code == 0 and "dead is n/a" not in enough.stdout


def test_a_misspelt_baseline_names_the_closest_one():
    """--baseline and baseline= name the closest name, as --method and --sections do (they listed the names only)."""
    import torch

    import hiddenlayers as hl
    from hiddenlayers.cli._common import UserError
    from hiddenlayers.cli._inspect import parse_baseline

    assert parse_baseline(" Median ") == "median"
    with pytest.raises(UserError, match="Received: 'Medain'. Did you mean 'median'"):
        parse_baseline("Medain")
    with pytest.raises(ValueError, match="Received: baseline='meen'. Did you mean 'mean'"):
        hl.lens.attribute(torch.nn.Linear(3, 2), np.ones((2, 3)), target=1, baseline="meen")
