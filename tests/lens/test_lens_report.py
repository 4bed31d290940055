"""The HTML report: every section present, self-contained, written atomically; neurons and projections."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest
import torch
from torch import nn

import hiddenlayers as hl
from hiddenlayers.lens import neuron_maps, project, report, top_activating
from hiddenlayers.lens._report import SECTIONS


@pytest.fixture(scope="module")
def fitted():
    from sklearn.datasets import load_iris

    X, y = load_iris(return_X_y=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf = hl.MLPClassifier((16, 8), max_iter=15, random_state=0, callbacks=[hl.lens.GradientFlow(X[:50])]).fit(X, y)
    return clf, X, y


def test_report_has_every_section_and_no_network_references(fitted, tmp_path):
    clf, X, y = fitted
    rep = report(clf, X, y)
    path = tmp_path / "report.html"
    rep.save(path)
    text = path.read_text(encoding="utf-8")
    for sid in SECTIONS:
        assert f'<section id="{sid}">' in text
    assert "Not available" not in text  # everything computable here was computed
    assert not re.search(r"(src|href)=\"(https?:)?//", text)  # no CDN, no remote assets
    assert text.count("data:image/png;base64,") >= 8
    assert "Stopped after 15 epochs" in text
    assert list(tmp_path.iterdir()) == [path]  # no temp file left behind


def test_sections_builds_only_the_named_ones_in_page_order(fitted, monkeypatch):
    import hiddenlayers.lens._report as rep_module

    clf, X, y = fitted
    monkeypatch.setattr(rep_module.landscape, "landscape_section", lambda *a: pytest.fail("the loss landscape was computed though not asked for"))
    rep = report(clf, X, y, sections=["probes", "layers"])
    assert [s[0] for s in rep.sections] == ["layers", "probes"]  # page order, whatever the order given
    assert re.findall(r'<section id="([^"]+)">', rep.html) == ["layers", "probes"]
    assert "Held-out accuracy of a linear model" in rep.html
    assert set(rep.timings) == {"record", "stats", "probes"}
    assert report(clf, X, y, sections="data").sections[0][0] == "data"  # one id as a plain string


def test_report_repr_is_one_line_not_the_page(fitted):
    """`hl.lens.report(clf, X, y)` ending a REPL line printed the dataclass repr: every section's HTML with its
    base64 images (about 750 kB for digits) in one line."""
    clf, X, y = fitted
    rep = report(clf, X, y, sections=["layers", "probes"])
    assert repr(rep) == f"Report(title={rep.title!r}, sections=[layers, probes], warnings={len(rep.warnings)}; .save(path) writes the page)"
    assert '<section id="layers">' in rep._repr_html_()  # Jupyter still shows the page


@pytest.mark.parametrize(("sections", "message"), [
    (["layers", "probs"], r"unknown report section 'probs': the sections are architecture, .*, data\. Did you mean 'probes'\?$"),
    (["zzz"], r"unknown report section 'zzz': the sections are architecture, training, .*data\.$"),
    ([], r"sections is empty: name at least one of architecture, "),
])
def test_bad_sections_are_one_line_errors_before_any_work(fitted, sections, message, monkeypatch):
    import hiddenlayers.lens._record as record_module

    monkeypatch.setattr(record_module, "record_prepared", lambda *a, **k: pytest.fail("the layers were recorded before the sections were checked"))
    clf, X, y = fitted
    with pytest.raises(ValueError, match=message):
        report(clf, X, y, sections=sections)


def test_report_on_any_module_without_labels_says_what_is_missing(rng, tmp_path):
    net = nn.Sequential(nn.Linear(3, 6), nn.ReLU(), nn.Linear(6, 2))
    rep = report(net, rng.normal(size=(200, 3)).astype(np.float32), layers=["1"])
    html = rep.html
    assert "pass y (one label per row) to probe the layers." in html
    assert "no training history" in html
    assert "only one hidden layer" in html
    with pytest.raises(ValueError, match="is a folder"):
        rep.save(tmp_path)


def test_report_warns_in_plain_words_about_dead_units(rng):
    net = nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Linear(4, 1))
    import torch

    with torch.no_grad():
        net[0].bias.copy_(torch.tensor([-100.0, -100.0, 0.0, 0.0]))
    rep = report(net, rng.normal(size=(100, 2)).astype(np.float32), layers=["1"], sections=["architecture"])  # the warnings need no layers section
    assert rep.warnings == ["1: 2 of 4 ReLU units are dead on this data (never active)."]
    with pytest.raises(ValueError, match="one label per row"):
        report(net, np.zeros((5, 2), np.float32), np.zeros(4))


def test_top_activating_and_neuron_maps_and_projection(fitted, rng):
    acts = np.array([[0.0, 5.0], [3.0, 1.0], [2.0, 9.0]])
    assert top_activating(acts, 2).tolist() == [[1, 2], [2, 0]]
    with pytest.raises(ValueError, match="k must be"):
        top_activating(acts, 0)
    assert top_activating(acts, np.int64(2)).tolist() == [[1, 2], [2, 0]]  # a NumPy integer (e.g. from np.argmax) is a count
    # a constant (dead) unit: every row ties, so it has no top rows; it got rows 0 and 1 as if they drove it
    with pytest.warns(UserWarning, match=r"^unit\(s\) 1 are constant on these rows \(dead or stuck\): no row activates them"):
        tied = top_activating(np.array([[0.0, 0.0], [3.0, 0.0], [2.0, 0.0]]), 2)
    assert tied.tolist() == [[1, 2], [None, None]] and tied.mask.tolist() == [[False, False], [True, True]]
    for bad in (True, 1.0):  # True used to count as k=1
        with pytest.raises(ValueError, match=r"^k must be an integer >= 1\. Received: k="):
            top_activating(acts, bad)
    clf, X, y = fitted
    nm = neuron_maps(clf, X, resolution=10)
    assert nm.maps["hidden1"].shape == (16, 10, 10) and nm.axes == ("PC1", "PC2")
    assert nm.points.shape == (150, 2)
    # 2-D input: the grid is the input plane itself; a linear unit is a plane over it
    lin = nn.Sequential(nn.Linear(2, 1))
    m = neuron_maps(lin, rng.uniform(size=(50, 2)).astype(np.float32), layers=["0"], resolution=5)
    assert m.axes == ("x1", "x2")
    grid = m.maps["0"][0]
    np.testing.assert_allclose(np.diff(grid, axis=1), np.diff(grid, axis=1)[0, 0], atol=1e-5)
    pts = project(clf, X, method="pca")
    assert pts["hidden2"].shape == (150, 2)
    with pytest.raises(ValueError, match="method must be one of pca, tsne"):
        project(clf, X, method="umap")


def test_report_colours_each_neuron_map_point_by_its_own_rows_label(monkeypatch):
    """Above 2000 rows the plane's points are a random sample: their colours must be the sampled rows' labels, not y's first."""
    import torch

    import hiddenlayers.lens._plots as plots

    rng = np.random.default_rng(0)
    X = rng.normal(size=(2400, 2)).astype(np.float32)
    y = (X[:, 0] > 0).astype(int)  # the label is readable off each point's first coordinate
    seen = []
    real = plots.neuron_grid
    monkeypatch.setattr(plots, "neuron_grid", lambda m, u, e, points, yy, *a: seen.append((points, yy)) or real(m, u, e, points, yy, *a))
    torch.manual_seed(0)
    report(nn.Sequential(nn.Linear(2, 4), nn.Tanh(), nn.Linear(4, 2)), X, y, layers=["1"], sections=["neurons"])  # the maps' section
    (points, labels), = seen
    assert len(points) == len(labels) == 2000
    np.testing.assert_array_equal(labels, (points[:, 0] > 0).astype(int))


def test_neuron_grid_draws_points_from_all_the_rows_not_the_first_300():
    """Rows sorted by label: the map's scatter shows every part of the data (it drew the first 300 rows only)."""
    from hiddenlayers.lens._plots import neuron_grid

    n = 1000
    points = np.column_stack([np.arange(n, dtype=float), np.zeros(n)])
    y = np.repeat([0, 1], n // 2)  # sorted by label
    fig = neuron_grid(np.zeros((1, 5, 5)), [0], (0.0, n - 1.0, -1.0, 1.0), points, y, "hidden1", ("x1", "x2"))
    drawn = fig.axes[0].collections[0]
    xs = drawn.get_offsets()[:, 0]
    assert len(xs) == 300 and xs.min() == 0 and xs.max() == n - 1
    colours = {tuple(c) for c in drawn.get_facecolors().round(6)}
    assert len(colours) == 2  # both classes drawn


def test_the_probes_section_draws_its_rows_at_random_from_sorted_rows(rng):
    """6,000 rows sorted by label (the report keeps X's order under max_rows): the first 5,000 held one class."""
    from hiddenlayers.lens._report import _probe_section

    y = np.repeat([0, 1], [5000, 1000])
    Xa = (rng.normal(size=(6000, 2)) + 3.0 * y[:, None]).astype(np.float32)  # the classes are apart: a probe separates them
    title, body = _probe_section(nn.Linear(2, 2), Xa, y, {"1": Xa})
    assert title.startswith("Held-out accuracy of a linear model on each layer") and "held-out accuracy" in body
    scores = [float(s) for s in re.findall(r"<td>(\d\.\d{3})</td>", body)]
    assert len(scores) == 4 and min(scores) > 0.95  # train and held-out, input and layer "1"; was: ValueError (one class)


def test_the_projections_section_draws_plot_rows_at_random_with_their_labels(rng, monkeypatch):
    """3,000 rows sorted by label, 2,000 plotted: the first 2,000 showed two classes of three."""
    import hiddenlayers.lens._plots as plots
    from hiddenlayers.lens._report import _projections

    y = np.repeat([0, 1, 2], 1000)
    feats = {"1": (rng.normal(size=(3000, 3)) + y[:, None]).astype(np.float32)}
    seen: dict[str, np.ndarray] = {}

    def capture(points, labels, method):
        seen["points"], seen["labels"] = points["1"], labels
        return plots.new_figure(1, 1)

    monkeypatch.setattr(plots, "scatter_grid", capture)
    _projections(feats, y, 2000, "pca")
    assert seen["points"].shape == (2000, 2) and seen["labels"].shape == (2000,)
    counts = np.bincount(seen["labels"], minlength=3)
    assert counts.min() > 550  # about 667 of each class; was [1000, 1000, 0]
    # the labels are the plotted rows' own: the first PC orders the classes, so each label's points sit apart
    means = [seen["points"][seen["labels"] == k, 0].mean() for k in range(3)]
    assert abs(means[0] - means[2]) > 2.0


def test_the_activations_section_histograms_plot_rows_drawn_at_random(monkeypatch):
    """The histograms took the first plot_rows rows: with X sorted so those rows switch a ReLU unit off, it read as all 0."""
    import hiddenlayers.lens._plots as plots

    net = nn.Sequential(nn.Linear(1, 1), nn.ReLU())
    with torch.no_grad():
        net[0].weight.fill_(1.0)
        net[0].bias.zero_()
    X = np.concatenate([-np.ones((300, 1)), np.ones((300, 1))]).astype(np.float32)
    seen: dict[str, np.ndarray] = {}

    def capture(sample):
        seen.update(sample)
        return plots.new_figure(1, 1)

    monkeypatch.setattr(plots, "histograms", capture)
    report(net, X, layers=["1"], plot_rows=300, sections=["activations"])
    assert seen["1"].shape == (300, 1)
    assert 0.35 < float((seen["1"] > 0).mean()) < 0.65  # was 0.0: the first 300 rows


def test_top_rows_are_positions_in_X_when_the_report_draws_a_sample(rng):
    """Past max_rows the report draws rows at random; its 'top rows' were positions in that sample, not in X."""
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    X = rng.normal(size=(400, 3)).astype(np.float32)
    body = report(net, X, max_rows=60, sections=["neurons"]).html
    table = body[body.index("Rows that activate each unit most"):]
    rows = re.findall(r"<tr><td>(\w+)</td><td>(\d+)</td><td>([\d, ]+)</td><td>([^<]+)</td>", table)
    assert len(rows) >= 4
    acts = hl.lens.record(net, X)
    for layer, unit, top, shown in rows:
        first = int(top.split(",")[0])
        assert f"{acts[layer][first, int(unit)]:.3g}" == shown.strip()  # the named row of X gives the value shown
    assert "top rows: positions in X, counted from 0." in table


def test_top_rows_take_the_callers_row_names_and_say_what_they_are(rng):
    """inspect hands the report a sample of the file: row_names gives each row of X its file line, shown and explained."""
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    X = rng.normal(size=(200, 3)).astype(np.float32)
    lines = np.arange(200) * 3 + 7  # any names, one per row
    body = report(net, X, max_rows=60, sections=["neurons"], row_names=lines.tolist(), row_names_note="lines of 'd.csv'").html
    table = body[body.index("Rows that activate each unit most"):]
    rows = re.findall(r"<tr><td>(\w+)</td><td>(\d+)</td><td>([\d, ]+)</td><td>([^<]+)</td>", table)
    assert len(rows) >= 4
    acts = hl.lens.record(net, X)
    for layer, unit, top, shown in rows:
        row = int(np.flatnonzero(lines == int(top.split(",")[0]))[0])
        assert f"{acts[layer][row, int(unit)]:.3g}" == shown.strip()
    assert "top rows: lines of &#x27;d.csv&#x27;." in table
    with pytest.raises(ValueError, match=r"^X gives 200 rows but row_names has 3 names: pass one name per row of X\.$"):
        report(net, X, sections=["neurons"], row_names=[1, 2, 3])


def test_progress_is_told_each_stage_as_it_starts(fitted):
    """``progress`` hears the recording, the model's sections and each analysis section by title, in page order, and only
    the sections built (``hiddenlayers inspect`` prints one line per stage: it printed nothing for 30-45 s)."""
    clf, X, y = fitted
    heard: list[str] = []
    report(clf, X, y, sections=["probes", "layers", "neurons"], progress=heard.append)
    assert heard == ["recording the hidden layers", "Hidden layers", "Linear probes", "Neurons"]


def test_neurons_leave_out_constant_units_instead_of_naming_tied_rows(rng):
    """A dead unit ties on every row: it was listed with 'top rows' 97, 98, 99 (the last positions), and a dead layer's
    maps were flat panels picked as its 'most varying units'."""
    net = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 4), nn.ReLU())
    with torch.no_grad():
        net[0].bias.copy_(torch.tensor([-100.0, -100.0, 0.0, 0.0]))  # units 0 and 1 of layer "1" dead
        net[2].bias.fill_(-100.0)  # layer "3": every unit dead
    X = rng.normal(size=(100, 3)).astype(np.float32)
    body = report(net, X, layers=["1", "3"], sections=["neurons"]).html
    table = body[body.index("Rows that activate each unit most"):]
    rows = re.findall(r"<tr><td>(\w+)</td><td>(\d+)</td><td>([\d, ]+)</td>", table)
    acts = hl.lens.record(net, X, layers=["1"])["1"]
    live = {u for u in range(4) if np.ptp(acts[:, u]) > 0}
    assert live == {2, 3} and {(layer, int(unit)) for layer, unit, _ in rows} == {("1", 2), ("1", 3)}
    assert "units constant on these rows are left out (every unit of 3)." in table
    maps = body[: body.index("Rows that activate each unit most")]
    assert "3: every unit has one output over the whole plane (dead or constant): no map to draw." in maps
    assert "1: the 2 most varying units" in maps


def test_a_bare_leaf_module_gets_its_architecture_table(rng):
    """record names a bare nn.Linear's one layer 'linear' (its type), which is no submodule path: the architecture
    section asked module.get_submodule('linear') and the report died with "AttributeError: Linear has no attribute `linear`"."""
    X = rng.normal(size=(40, 4)).astype(np.float32)
    body = report(nn.Linear(4, 3), X, sections=["architecture", "layers"]).html
    arch = body[body.index('id="architecture"'):body.index('id="layers"')]
    assert re.search(r"<td>linear</td><td>Linear</td><td>3</td>", arch)
    assert "<b>15</b>" in arch  # 4 x 3 weights + 3 biases


def test_a_small_networks_sections_run_on_one_thread_and_the_caller_gets_its_threads_back(fitted, monkeypatch):
    """The sections' small forward passes and products ran on every thread the caller had (iris: the loss landscape took
    0.31 CPU s on two threads, 0.12 on one); a small network's now run on one torch and one BLAS thread, as its training did."""
    from threadpoolctl import threadpool_info, threadpool_limits

    import hiddenlayers.lens._report as rep_module

    clf, X, y = fitted
    seen: list[tuple[int, list[int]]] = []
    real = rep_module.landscape.landscape_section

    def spy(*args):
        seen.append((torch.get_num_threads(), [int(i["num_threads"]) for i in threadpool_info() if i["user_api"] == "blas"]))
        return real(*args)

    monkeypatch.setattr(rep_module.landscape, "landscape_section", spy)
    threads = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        with threadpool_limits(limits=2, user_api="blas"):
            blas = [int(i["num_threads"]) for i in threadpool_info() if i["user_api"] == "blas"]
            rep = report(clf, X, y, sections=["loss-landscape", "layers"])
            assert [int(i["num_threads"]) for i in threadpool_info() if i["user_api"] == "blas"] == blas
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(threads)
    assert seen == [(1, [1] * len(blas))]
    assert "two random filter-normalised directions" in rep.html and "Not available" not in rep.html


def test_a_2d_y_gets_a_probes_note_that_names_its_shape(fitted):
    """y of two columns (a multi-output target) cannot be probed: the note said 'pass y (one label per row)', as if y
    had not been passed; it names the shape and the column to pass."""
    clf, X, y = fitted
    text = report(clf, X, np.c_[y, y], sections=["probes"]).html
    section = text[text.index('<section id="probes">'):]
    assert "y has shape (150, 2)" in section and "y[:, j]" in section
    assert "pass y (one label per row)" not in section
