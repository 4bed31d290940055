"""A :class:`~hiddenlayers.lens.Timelapse` shown: one self-contained HTML page with a slider, or one frame as a figure.

The page has no network access and runs one inline script, allowed by its
SHA-256 hash in the page's Content-Security-Policy (nothing else may run).
Each unit's map is a small inline PNG (``resolution²`` pixels, scaled up by the
browser), the data points and the loss curve are inline SVG drawn once; the
script only shows one frame's images and moves the marker on the curve.
"""

from __future__ import annotations

import base64
import hashlib
import io
import math
from typing import TYPE_CHECKING, Any

import numpy as np

from .._html import CSS, esc
from ._plots import OTHER, PALETTE

if TYPE_CHECKING:
    from ._plane import Plane
    from ._timelapse import Timelapse, TimelapseFrame

_POINTS = 300  # data points drawn over the output map
_CURVE = 1000  # most points of the loss curve's line

_STYLE = """
[hidden] { display:none !important; }
.controls { display:flex; gap:14px; align-items:center; margin:6px 0 14px; flex-wrap:wrap; }
.controls input[type=range] { flex:1 1 240px; }
.controls button { font:inherit; padding:4px 14px; }
.stage { display:flex; gap:28px; flex-wrap:wrap; align-items:flex-start; } .stage > div:last-child { flex:1 1 300px; min-width:0; }
.outwrap { position:relative; width:260px; height:260px; }
.outwrap img, .outwrap svg { position:absolute; left:0; top:0; width:260px; height:260px; }
img.map { image-rendering:auto; }
.units img { width:64px; height:64px; margin:0 6px 6px 0; border:1px solid var(--line); }
.units h3 { margin:4px 0; font-size:14px; font-weight:600; }
"""

_SCRIPT = """(function () {
  var s = document.getElementById('slider'), b = document.getElementById('play'), lab = document.getElementById('label');
  var mk = document.getElementById('marker'), fr = document.querySelectorAll('.frame'), out = document.querySelectorAll('.outframe');
  var timer = null;
  function show(k) {
    for (var i = 0; i < fr.length; i++) { fr[i].hidden = i !== k; out[i].hidden = i !== k; }
    lab.textContent = fr[k].getAttribute('data-label');
    mk.setAttribute('x1', fr[k].getAttribute('data-x')); mk.setAttribute('x2', fr[k].getAttribute('data-x'));
  }
  function stop() { clearInterval(timer); timer = null; b.textContent = '\\u25B6 play'; }
  s.addEventListener('input', function () { show(+s.value); });
  b.addEventListener('click', function () {
    if (timer) { stop(); return; }
    if (+s.value >= fr.length - 1) { s.value = 0; show(0); }
    b.textContent = '\\u275A\\u275A pause';
    timer = setInterval(function () {
      var k = +s.value + 1;
      if (k >= fr.length) { stop(); return; }
      s.value = k; show(k);
    }, 300);
  });
  var h = /^#frame=(\\d+)$/.exec(location.hash);
  if (h) { s.value = Math.min(+h[1], fr.length - 1); s.dispatchEvent(new Event('input')); }
})();
"""


def _png(rgb: np.ndarray) -> str:
    """An ``(h, w, 3)`` uint8 image as a ``data:image/png`` URI (Pillow, which matplotlib depends on)."""
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(rgb, "RGB").save(buf, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _rgb(values: np.ndarray, cmap: str, lo: float, hi: float) -> np.ndarray:
    """``(res, res)`` values (grid row 0 = bottom) coloured by ``cmap`` over ``[lo, hi]``, top row first, as uint8 RGB."""
    from matplotlib import colormaps

    span = hi - lo if hi > lo else 1.0
    v = np.nan_to_num((np.flipud(values) - lo) / span, nan=0.5)
    return (colormaps[cmap](np.clip(v, 0.0, 1.0))[..., :3] * 255).round().astype(np.uint8)


def _hex(colour: str) -> np.ndarray:
    return np.array([int(colour[i : i + 2], 16) for i in (1, 3, 5)], dtype=np.float64)


def _class_rgb(index: np.ndarray, n: int) -> np.ndarray:
    """The predicted class per grid point in its class colour, lightened (the points on top keep the full colour)."""
    lut = np.stack([_hex(PALETTE[i]) if i < len(PALETTE) else _hex(OTHER) for i in range(max(n, 1))])
    rgb = lut[np.clip(np.flipud(index).astype(int), 0, len(lut) - 1)]
    return (0.45 * rgb + 0.55 * 255).round().astype(np.uint8)


def unit_scale(frame: TimelapseFrame, layer: str) -> float:
    """The colour scale of one layer in one frame: its largest |output| (red = +scale, blue = −scale)."""
    m = np.abs(frame.maps[layer])
    top = float(np.nanmax(m)) if m.size and np.isfinite(m).any() else 0.0
    return top if top > 0 else 1.0


def _output_range(tl: Timelapse) -> tuple[float, float]:
    if tl.output_kind == "probability":
        return 0.0, 1.0
    vals = np.concatenate([f.output.ravel() for f in tl.frames])
    vals = vals[np.isfinite(vals)]
    return (float(vals.min()), float(vals.max())) if vals.size else (0.0, 1.0)


def _output_rgb(tl: Timelapse, frame: TimelapseFrame, lo: float, hi: float) -> np.ndarray:
    if tl.output_kind == "class":
        return _class_rgb(frame.output, len(tl.classes) if tl.classes is not None else 1)
    return _rgb(frame.output, "RdBu_r" if tl.output_kind == "probability" else "viridis", lo, hi)


def _point_colours(tl: Timelapse, n: int) -> list[str]:
    if tl.labels is None or tl.classes is None:
        return ["#1f2933"] * n
    where = {c: i for i, c in enumerate(tl.classes)}
    return [PALETTE[where[v]] if where.get(v, len(PALETTE)) < len(PALETTE) else OTHER for v in tl.labels[:n]]


def _plane(tl: Timelapse) -> Plane:
    if tl.plane is None:
        raise ValueError("Timelapse has no frames yet: train with it first (callbacks=[tl], or `with tl.epoch(model):`).")
    return tl.plane


def _points_svg(tl: Timelapse) -> str:
    """The data points over the output map: an SVG in the map's 0–100 box (the plane's b axis upwards)."""
    a0, a1, b0, b1 = _plane(tl).extent
    pts = _plane(tl).points[:_POINTS]
    xs = (pts[:, 0] - a0) / (a1 - a0) * 100
    ys = 100 - (pts[:, 1] - b0) / (b1 - b0) * 100
    dots = "".join(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="1.1" fill="{c}" stroke="#fff" stroke-width="0.3"/>'
                   for x, y, c in zip(xs, ys, _point_colours(tl, len(pts))))
    return f'<svg viewBox="0 0 100 100" preserveAspectRatio="none" aria-hidden="true">{dots}</svg>'


def _curve_svg(tl: Timelapse, w: int = 260, h: int = 150) -> tuple[str, dict[int, float]]:
    """The training loss per epoch (and the validation score, dashed, on 0–1) with a marker line; x of each epoch."""
    curve = list(tl.curve) or [(f.epoch, f.train_loss, f.val_score) for f in tl.frames]
    epochs = [e for e, _, _ in curve] + tl.epochs
    e0, e1 = min(epochs), max(epochs)
    pad = 8

    def x(e: float) -> float:
        return pad + (e - e0) / max(e1 - e0, 1) * (w - 2 * pad)

    step = max(1, math.ceil(len(curve) / _CURVE))
    shown = curve[::step] + ([curve[-1]] if (len(curve) - 1) % step else [])
    losses = np.array([loss for _, loss, _ in shown], dtype=np.float64)
    lines = []
    if np.isfinite(losses).any():
        lo, hi = float(np.nanmin(losses)), float(np.nanmax(losses))
        span = hi - lo if hi > lo else 1.0
        pts = " ".join(f"{x(e):.1f},{pad + (hi - loss) / span * (h - 2 * pad):.1f}" for e, loss, _ in shown if math.isfinite(loss))
        lines.append(f'<polyline points="{pts}" fill="none" stroke="#2f6fde" stroke-width="1.5"/>')
        lines.append(f'<text x="{pad}" y="{h - 1}" font-size="10" fill="#616e7c">loss {lo:.3g} – {hi:.3g}</text>')
    vals = [(e, v) for e, _, v in shown if math.isfinite(v)]
    if vals:
        pts = " ".join(f"{x(e):.1f},{pad + (1 - min(max(v, 0.0), 1.0)) * (h - 2 * pad):.1f}" for e, v in vals)
        lines.append(f'<polyline points="{pts}" fill="none" stroke="#2f855a" stroke-width="1.2" stroke-dasharray="3 2"/>')
        lines.append(f'<text x="{w - pad}" y="{h - 1}" font-size="10" fill="#2f855a" text-anchor="end">val score (0–1)</text>')
    last = x(tl.epochs[-1])
    marker = f'<line id="marker" x1="{last:.1f}" x2="{last:.1f}" y1="0" y2="{h - 12}" stroke="#c53030" stroke-width="1.5"/>'
    svg = (f'<svg width="{w}" height="{h}" viewBox="0 0 {w} {h}" role="img" aria-label="training loss per epoch">'
           f'<rect x="0" y="0" width="{w}" height="{h}" fill="#fff" stroke="#e4e7eb"/>{"".join(lines)}{marker}</svg>')
    return svg, {e: x(e) for e in tl.epochs}


def _curve_caption(tl: Timelapse) -> str:
    """What the curve draws: the validation score's dashed line only where a fit scored one (no early stopping, no line)."""
    curve = tl.curve or [(f.epoch, f.train_loss, f.val_score) for f in tl.frames]
    scored = any(math.isfinite(v) for _, _, v in curve)
    return "training loss (blue)" + (", validation score (green, dashed)" if scored else "") + "; red line = this frame"


def _label(frame: TimelapseFrame) -> str:
    parts = [f"epoch {frame.epoch}"]
    if math.isfinite(frame.train_loss):
        parts.append(f"loss {frame.train_loss:.4g}")
    if math.isfinite(frame.val_score):
        parts.append(f"validation score {frame.val_score:.4g}")
    return " · ".join(parts)


def page(tl: Timelapse, title: str) -> str:
    """The whole document (see module doc): one ``.frame`` (unit maps) and one ``.outframe`` (output map) per frame."""
    frames = tl.frames
    lo, hi = _output_range(tl)
    curve, xs = _curve_svg(tl)
    outs, grids = [], []
    last = len(frames) - 1
    for i, f in enumerate(frames):
        hidden = "" if i == last else " hidden"
        outs.append(f'<img class="outframe map" alt="output, epoch {f.epoch}" data-i="{i}" src="{_png(_output_rgb(tl, f, lo, hi))}"{hidden}>')
        rows = []
        for layer, m in f.maps.items():
            s = unit_scale(f, layer)
            imgs = "".join(f'<img class="map" title="{esc(layer)} unit {u}" alt="{esc(layer)} unit {u}" src="{_png(_rgb(m[u], "RdBu_r", -s, s))}">'
                           for u in range(m.shape[0]))
            rows.append(f"<h3>{esc(layer)} <span class=\"mono\">({m.shape[0]} units, colour scale ±{s:.3g})</span></h3><div>{imgs}</div>")
        grids.append(f'<div class="frame units" data-i="{i}" data-epoch="{f.epoch}" data-x="{xs[f.epoch]:.1f}" '
                     f'data-label="{esc(_label(f))}"{hidden}>{"".join(rows)}</div>')
    axes = f"{_plane(tl).axes[0]}–{_plane(tl).axes[1]}"
    note = f'<p class="na">{esc(tl.note)}</p>' if tl.note else ""
    controls = (f'<div class="controls"><button id="play" type="button">\u25B6 play</button>'
                f'<input id="slider" type="range" min="0" max="{last}" value="{last}" step="1" aria-label="frame">'
                f'<span id="label" class="mono">{esc(_label(frames[-1]))}</span></div>')
    left = (f'<div><div class="outwrap">{"".join(outs)}{_points_svg(tl)}</div>'
            f'<p class="lead">{esc(tl.output_label)} over the {esc(axes)} plane; dots = data</p>{curve}'
            f'<p class="lead">{_curve_caption(tl)}</p></div>')
    body = (f"<section><h2>Hidden units during training</h2><p class=\"lead\">Each unit's output over the {esc(axes)} plane "
            f"(red = positive, blue = negative, white = 0; each layer scaled by its largest |output| in that frame). "
            f"{len(frames)} frames, epochs {frames[0].epoch}–{frames[-1].epoch}.</p>{note}{controls}"
            f'<div class="stage">{left}<div>{"".join(grids)}</div></div></section>')
    digest = base64.b64encode(hashlib.sha256(_SCRIPT.encode("utf-8")).digest()).decode("ascii")
    csp = f"default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src 'sha256-{digest}'"
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<meta http-equiv="Content-Security-Policy" content="{csp}">'
        f"<title>{esc(title)}</title><link rel=\"icon\" href=\"data:,\"><style>{CSS}{_STYLE}</style></head><body>"
        f"<header><h1>{esc(title)}</h1><p>Written by hiddenlayers — one self-contained file, no network needed.</p></header>"
        f"<main>{body}</main><script>{_SCRIPT}</script></body></html>\n"
    )


def frame_figure(tl: Timelapse, frame: TimelapseFrame) -> Any:
    """One frame as a matplotlib Figure: output map with the data, loss curve marked at the frame, then each layer's units."""
    from ._plot_text import label
    from ._plots import new_figure

    plane = _plane(tl)
    extent = plane.extent
    cols = 8
    unit_rows = [(layer, u) for layer in frame.maps for u in range(frame.maps[layer].shape[0])]
    rows = max(1, math.ceil(len(unit_rows) / cols))
    fig = new_figure(1.5 * cols, 1.6 * rows + 2.6)
    top, bottom = fig.subfigures(2, 1, height_ratios=[2.4, 1.6 * rows])
    ax = top.add_subplot(1, 3, 1)
    lo, hi = _output_range(tl)
    ax.imshow(_output_rgb(tl, frame, lo, hi), extent=extent, aspect="auto")
    pts = plane.points[:_POINTS]
    ax.scatter(pts[:, 0], pts[:, 1], c=_point_colours(tl, len(pts)), s=4, linewidths=0)
    ax.set_title(label(tl.output_label), fontsize=8)
    ax.set_xticks([])
    ax.set_yticks([])
    ax = top.add_subplot(1, 3, (2, 3))
    curve = tl.curve or [(f.epoch, f.train_loss, f.val_score) for f in tl.frames]
    ax.plot([c[0] for c in curve], [c[1] for c in curve], color="#2f6fde", lw=1.2)
    ax.axvline(frame.epoch, color="#c53030", lw=1.2)
    ax.set_xlabel("epoch", fontsize=8)
    ax.set_ylabel("training loss", fontsize=8)
    ax.tick_params(labelsize=7)
    for i, (layer, u) in enumerate(unit_rows):
        s = unit_scale(frame, layer)
        ax = bottom.add_subplot(rows, cols, i + 1)
        ax.imshow(frame.maps[layer][u], origin="lower", extent=extent, aspect="auto", cmap="RdBu_r", vmin=-s, vmax=s)
        ax.set_title(f"{label(layer, 16)} {u}", fontsize=7)
        ax.set_xticks([])
        ax.set_yticks([])
    fig.suptitle(f"{_label(frame)}: units over the {label(plane.axes[0])}–{label(plane.axes[1])} plane", fontsize=10)
    return fig


__all__ = ["frame_figure", "page", "unit_scale"]
