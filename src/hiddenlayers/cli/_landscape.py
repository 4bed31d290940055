"""``inspect --landscape PATH``: the training loss on a plane through the fitted weights, drawn to an image file.

A 2-D surface (Li et al. 2018, filter-normalised random directions) of
:func:`hiddenlayers.lens.loss_landscape` on at most :data:`ROWS` rows of the
data, with the model's own training loss on its own target column. The path is
checked before any work and the image written atomically (a temp file beside
it, then renamed).
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import numpy as np

from ._common import UserError, check_output, one_line

#: the image's formats, by the file's suffix (matplotlib writes each)
SUFFIXES = (".png", ".svg", ".pdf")
ROWS = 2000  # rows the loss is taken on (drawn at random): enough for a smooth surface, quick on a CPU
STEPS = 21  # grid points per direction: 441 evaluations


def check_landscape_output(path: str, *, data: str, force: bool) -> Path:
    """``--landscape`` as a writable image path, checked before the model or data is read."""
    if Path(path).suffix.lower() not in SUFFIXES:
        raise UserError(f"--landscape must end in {', '.join(SUFFIXES)} (the image's format). Received: {path!r}.")
    return check_output(path, force=force, inputs=(data,), what="--landscape", example="landscape.png")


def check_landscape_labels(y: Any, *, target: str | None, model_target: str | None) -> None:
    """The labels ``y`` (from column ``target``) can give the training loss: present, and the model's own target column ``model_target``.

    Checked before the report is built, so a wrong column fails at once.
    """
    if y is None:
        raise UserError("--landscape needs the model's target column in the data (the loss compares predictions with it): "
                        "pass data with that column, or --target NAME.")
    if model_target is not None and target != model_target:
        raise UserError(f"--landscape needs the model's own target column '{model_target}' (the one it was trained on), not '{target}': "
                        f"drop --target or pass --target {model_target}.")


def write_landscape(model: Any, A: np.ndarray, y: Any, path: Path) -> dict[str, Any]:
    """Draw the loss surface of ``model`` on rows ``A`` (network input, ``(n, features)``) and its target ``y`` to ``path``; returns its summary."""
    from .._files import atomic_write_bytes
    from ..lens import loss_landscape

    try:
        land = loss_landscape(model, A, y, directions=2, steps=STEPS, max_rows=ROWS, random_state=0)
    except (ValueError, TypeError) as exc:
        raise UserError(f"could not draw the loss landscape: {one_line(exc)}") from None
    ax = land.plot()
    ax.set_title(f"training loss around the fitted weights ({land.rows:,} rows)" + (f"\n{land.unit}" if land.unit else ""), fontsize=9)
    buf = io.BytesIO()
    ax.figure.savefig(buf, format=path.suffix.lower().lstrip("."), dpi=120, bbox_inches="tight")
    atomic_write_bytes(path, buf.getvalue())
    finite = land.losses[np.isfinite(land.losses)]
    return {"path": str(path), "rows": land.rows, "center_loss": land.center_loss,
            "min_loss": float(finite.min()) if finite.size else None, "steps": STEPS, "loss_unit": land.unit}


__all__ = ["check_landscape_labels", "check_landscape_output", "write_landscape"]
