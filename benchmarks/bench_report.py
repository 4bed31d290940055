"""The lens HTML report (``hl.lens.report``, what ``hiddenlayers inspect`` writes): this checkout beside another one.

    python benchmarks/bench_report.py                                   # this checkout only, medians of 3
    python benchmarks/bench_report.py --old /tmp/oldsrc/src             # also the src folder of another checkout
    python benchmarks/bench_report.py --figures iris                    # where the figures' time goes (one process)

Three fitted MLPClassifiers, trained in the child process before the clock starts (fixed seeds, a
GradientFlow callback so every section has something to draw): iris (4 inputs, hidden 8,4), wine (13
inputs, hidden 8,4), digits (64 inputs, hidden 32,16, ``image_shape=(8, 8)``), breast_cancer (30 inputs,
hidden 16,8), iris_tiny (100 iris rows drawn at random, hidden 8: the size of the tests' reports) and
digits_image (an ``hl.apps.ImageClassifier`` CNN on the 8 x 8 images). Each variant runs in
its own process per repeat (``PYTHONPATH`` picks the code) and times one report, the first of the
process, as ``inspect`` pays it (Matplotlib's font and mathtext caches are cold). Printed: the median
wall and CPU seconds (CPU time of the process is steadier than wall time on a shared machine), old /
new, the page size, the median CPU seconds of every section, old -> new, and whether both pages have the
same text (the page with its inline PNGs and the generation time removed: same sections, tables, numbers
and captions) and byte-identical PNGs.

``--figures NAME`` renders NAME's report once, keeps every figure (pickled) and times its ``savefig``
as the report does it, and alongside: without a layout engine (the lower bound of any cheaper layout;
labels may overlap, so for measurement only), with PNG ``compress_level=1``, and with minor ticks off.
Each is the minimum CPU seconds of ``--repeats`` renders of a fresh copy of the figure.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys

_SETUP = r"""
import warnings
warnings.simplefilter("ignore")
import torch
import hiddenlayers as hl
from sklearn.datasets import load_breast_cancer, load_digits, load_iris, load_wine
name = sys.argv[1]
data = {"iris": load_iris, "iris_tiny": load_iris, "wine": load_wine, "digits": load_digits, "breast_cancer": load_breast_cancer,
        "digits_image": load_digits}[name]()
X, y = data.data.astype("float32"), data.target
if name == "iris_tiny":  # the tests' size: 100 rows drawn at random, one hidden layer of 8
    import numpy as np
    keep = np.random.default_rng(0).permutation(len(X))[:100]
    X, y = X[keep], y[keep]
if name == "digits_image":  # an application: a small CNN on the 8 x 8 images
    X = X.reshape(-1, 8, 8)
    clf = hl.apps.ImageClassifier("conv8k3:same,pool2,32", max_iter=10, random_state=0).fit(X, y)
    kw = {}
else:
    hidden = {"digits": (32, 16), "breast_cancer": (16, 8), "iris_tiny": (8,)}.get(name, (8, 4))
    clf = hl.MLPClassifier(hidden, max_iter=50, random_state=0, callbacks=[hl.lens.GradientFlow(X[:50])]).fit(X, y)
    kw = {"feature_names": [str(f) for f in data.feature_names]} | ({"image_shape": (8, 8)} if name == "digits" else {})
"""

_CHILD = r"""
import hashlib, json, re, sys, time
""" + _SETUP + r"""
import types
import hiddenlayers.lens._report as report_module
# the report's own stage clock (Report.timings) reads CPU seconds here: wall time is mostly other jobs' on a shared machine
report_module.time = types.SimpleNamespace(perf_counter=time.process_time, strftime=time.strftime)
w0, c0 = time.perf_counter(), time.process_time()
rep = hl.lens.report(clf, X, y, **kw)
page = rep.html
wall, cpu = time.perf_counter() - w0, time.process_time() - c0
pngs = re.findall(r"data:image/png;base64,[A-Za-z0-9+/=]+", page)
text = re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "", page)
text = re.sub(r"generated \d{4}-\d\d-\d\d \d\d:\d\d", "", text)
prev, sections = 0.0, {}
for key, end in rep.timings.items():
    sections[key], prev = end - prev, end
print(json.dumps({"wall": wall, "cpu": cpu, "bytes": len(page.encode()), "text": hashlib.sha256(text.encode()).hexdigest(),
                  "pngs": [hashlib.sha256(p.encode()).hexdigest() for p in pngs],
                  "sections": sections}))
"""

_FIGURES = r"""
import io, json, pickle, sys, time
""" + _SETUP + r"""
import hiddenlayers._html as shared_html
repeats, figures = int(sys.argv[2]), []
real = shared_html.figure_html
def keep(fig, caption="", **kwargs):
    figures.append((f"{len(fig.axes)} axes: {caption[:40] or '(no caption)'}", pickle.dumps(fig)))
    return real(fig, caption, **kwargs)
shared_html.figure_html = keep
from hiddenlayers.lens import _html as lens_html
lens_html.figure_html = keep
for mod in ("_report", "_report_preferred", "_report_landscape"):
    setattr(sys.modules[f"hiddenlayers.lens.{mod}"].H, "figure_html", keep)
hl.lens.report(clf, X, y, **kw)
def render(fig, variant):
    extra = {"pil_kwargs": {"compress_level": 1}} if variant == "png level 1" else {}
    if variant == "layout once":  # what figure_html does now: the engine run once, no hidden measuring draw
        from hiddenlayers._html import _layout_once
        _layout_once(fig, 90)
    if variant == "no layout":
        fig.set_layout_engine("none")
    if variant == "no minor ticks":
        for ax in fig.axes:
            ax.minorticks_off()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, **extra)
    return buf.tell()
VARIANTS = ("as built", "layout once", "no layout", "png level 1", "no minor ticks")
rows = []
for what, blob in figures:
    row = {"figure": what}
    for variant in VARIANTS:
        times = []
        for _ in range(repeats):
            fig = pickle.loads(blob)
            t = time.process_time()
            size = render(fig, variant)
            times.append(time.process_time() - t)
        row[variant] = (min(times), size)
    rows.append(row)
print(json.dumps(rows))
"""

VARIANTS = ("as built", "layout once", "no layout", "png level 1", "no minor ticks")
DATASETS = ("iris", "iris_tiny", "wine", "digits", "breast_cancer", "digits_image")


def _child(src: str, code: str, *args: str) -> object:
    env = dict(os.environ, PYTHONPATH=src)
    out = subprocess.run([sys.executable, "-c", code, *args], env=env, capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def _runs(src: str, name: str, repeats: int) -> list[dict]:
    return [dict(_child(src, _CHILD, name)) for _ in range(repeats)]  # type: ignore[call-overload]


def _median(runs: list[dict], key: str) -> float:
    return statistics.median(float(r[key]) for r in runs)


def _sections(runs: list[dict]) -> dict[str, float]:
    """Median CPU seconds of each report stage over ``runs``."""
    return {k: statistics.median(r["sections"][k] for r in runs) for k in runs[0]["sections"]}


def _line(label: str, runs: list[dict]) -> str:
    sec = _sections(runs)
    top = ", ".join(f"{k} {v:.2f}" for k, v in sorted(sec.items(), key=lambda kv: -kv[1])[:4])
    return (f"  {label:4s} wall {_median(runs, 'wall'):6.2f} s  cpu {_median(runs, 'cpu'):6.2f} s  page {runs[0]['bytes'] / 1e3:6.0f} kB"
            f"  slowest stages (cpu s): {top}")


def end_to_end(new_src: str, old_src: str | None, repeats: int, names: list[str]) -> None:
    """Print, per data set, this checkout's (and ``old_src``'s) median seconds and old / new."""
    for name in names:
        print(f"{name}: median of {repeats} processes, one report each" + (", new and old alternating" if old_src else ""))
        new, old = [], []
        for _ in range(repeats):  # alternate, so a change in the machine's load hits both alike
            new += _runs(new_src, name, 1)
            old += _runs(old_src, name, 1) if old_src else []
        print(_line("new", new), flush=True)
        if old_src:
            print(_line("old", old))
            same = "same page text" if old[0]["text"] == new[0]["text"] else "PAGE TEXT DIFFERS"
            diff = sum(a != b for a, b in zip(old[0]["pngs"], new[0]["pngs"])) + abs(len(old[0]["pngs"]) - len(new[0]["pngs"]))
            same += f", {len(new[0]['pngs'])} figures, " + ("every PNG byte-identical" if not diff else f"{diff} PNG(s) DIFFER")
            sec_new, sec_old = _sections(new), _sections(old)
            print("  per section, cpu s old -> new (old / new): " + ", ".join(
                f"{k} {sec_old[k]:.2f} -> {sec_new[k]:.2f} (x{sec_old[k] / max(sec_new[k], 1e-9):.2f})" for k in sec_new if k in sec_old))
            print(f"  old / new: wall x{_median(old, 'wall') / _median(new, 'wall'):.2f}, cpu x{_median(old, 'cpu') / _median(new, 'cpu'):.2f}; {same}",
                  flush=True)


def figures(src: str, name: str, repeats: int) -> None:
    """Print each figure of ``name``'s report: CPU seconds of its savefig as built and in the variants, and the PNG size."""
    rows = _child(src, _FIGURES, name, str(repeats))
    variants = VARIANTS
    totals = dict.fromkeys(variants, 0.0)
    for row in rows:  # type: ignore[attr-defined]
        cells = []
        for v in variants:
            secs, size = row[v]
            totals[v] += secs
            cells.append(f"{v} {secs:.3f} s {size / 1e3:4.0f} kB")
        print(f"  {row['figure']:52s} " + " | ".join(cells))
    base = totals["as built"]
    print("  total: " + " | ".join(f"{v} {t:.3f} s (x{base / t:.2f})" for v, t in totals.items()))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--old", help="src folder of another checkout (e.g. git archive of main's src), run the same way")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--data", nargs="+", choices=DATASETS, default=list(DATASETS))
    ap.add_argument("--figures", choices=DATASETS, help="time each figure of this data set's report and the variants instead")
    args = ap.parse_args()
    src = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "src")
    print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
    if args.figures:
        figures(src, args.figures, max(args.repeats, 5))
    else:
        end_to_end(src, args.old, args.repeats, args.data)
    print(f"load average at the end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
