"""The int8 copy's answers against the float model's, and the limit a user may set on them (``quantized_tolerance``).

:func:`~hiddenlayers.ship.export_onnx` runs the int8 copy (:mod:`._int8`) on the parity rows and compares its first
output with the reference the float export was checked against: the fitted model's own answers (PyTorch; a Pipeline's
own ``predict_proba``/``predict``), not the float ONNX file's. The difference is measured as the float parity's is
(:func:`._export_pipeline.output_share`: absolute up to size 1, relative to the output beyond it), so
``quantized_tolerance`` reads as ``tolerance`` does. Over the limit the int8 file is not written, the float file still is,
and :class:`~hiddenlayers.exceptions.QuantizedToleranceError` says by how much, carrying the report.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from ._export_pipeline import output_share
from ._export_report import ExportReport


def check_quantized_tolerance(quantized_tolerance: Any, quantize: bool) -> None:
    """One-line errors for ``quantized_tolerance``: None, or a number >= 0 given with ``quantize=True``."""
    value = quantized_tolerance
    if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 0):
        raise ValueError("quantized_tolerance must be a number >= 0 (the largest |int8 - model| difference accepted, relative to outputs "
                         f"beyond size 1), e.g. 0.05, or None for no limit. Received: quantized_tolerance={value!r}.")
    if value is not None and not quantize:
        raise ValueError("quantized_tolerance was given but quantize=False: pass quantize=True to write (and check) the int8 model.")


def record_int8_parity(report: ExportReport, got: np.ndarray, ref: np.ndarray, *, unit: Any, given: bool, limit: float | None,
                       qpath: Path) -> str | None:
    """Put the int8 copy's parity in ``report``; return the one line that refuses its file at ``qpath`` when it is over ``limit``.

    ``got``: the int8 copy's first output on the parity rows, ``ref``: the reference the float export was checked against
    (both ``(rows, ...)`` float64); ``unit``: the output columns' own unit or None (as :func:`output_share` takes it);
    ``given``: the rows are the caller's ``X`` (else generated); ``limit``: ``quantized_tolerance`` (None: no limit, and
    None is returned)."""
    rows = int(got.shape[0]) if got.ndim else 1
    diff = report.quantized_max_abs_diff = float(np.max(np.abs(got - ref))) if got.size else 0.0
    share = report.quantized_relative_diff = output_share(got, ref, unit)
    report.quantized_tolerance = limit
    where = f"{rows} parity rows " + ("of X" if given else "generated around the training data (no X given)")
    report.quantized_compared = f"the int8 file's {report.output_name.split(', ')[0]!r} vs the model's own answers (as the float file's) on {where}"
    if limit is None or share <= limit:
        return None
    beyond = "" if share == diff else f" ({share:.3g} of the output's size)"
    # a file already at qpath (an earlier export's, --force) is left as it is: said, so it is not shipped as this model's copy
    kept = f"; the {qpath.name} there is an earlier export's, left as it was, not this model's" if qpath.exists() else ""
    return (f"the int8 copy's answers differ from the model's by {diff:.3g}{beyond} on {where}, over quantized_tolerance={limit:g}: "
            f"{qpath} was not written (the float file {report.path} was{kept}); ship the float file, or raise quantized_tolerance "
            "if that difference is acceptable.")


__all__ = ["check_quantized_tolerance", "record_int8_parity"]
