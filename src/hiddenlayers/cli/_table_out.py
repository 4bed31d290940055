"""How ``predict`` writes its table: one text for one float32 value, whichever file (``.safetensors`` or ``.onnx``) computed it.

A float32 network's outputs carry float32's precision, so both paths hand them on as float32 and
each value is written as float32's shortest round-trip text (``0.999941``, not the 17 digits of a
float64 copy, ``0.999940955477221``): CSV/TSV and stdout by pandas (which writes a float32 column
so), JSONL here (pandas' ``to_json`` would print 10 digits of the float64 copy), Parquet keeps the
float32 dtype.
"""

from __future__ import annotations

import io
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..data import float32_numbers


def network_precision(model: Any, values: np.ndarray) -> np.ndarray:
    """``values`` (predictions or probabilities of ``model``) as float32 where the network computes in float32, else unchanged.

    The estimators return float64 for float64 input (scikit-learn's promotion) though a float32
    network made them; the digits past float32's are noise, and the ``.onnx`` export returns float32.
    A model without a ``dtype`` parameter (an Autoencoder, Recommender or Forecaster) is judged by its fitted network's weights.
    """
    if _network_dtype(model) == "float32" and np.issubdtype(np.asarray(values).dtype, np.floating):
        return np.asarray(values, dtype=np.float32)
    return values


def final_estimator(model: Any) -> Any:
    """``model``'s network: the last step of a Pipeline (:func:`~._data.load_model`'s for a file of scikit-learn steps), else ``model``."""
    steps = getattr(model, "steps", None)
    return steps[-1][1] if isinstance(steps, list) and steps else model


def _network_dtype(model: Any) -> str | None:
    """``model.dtype`` (``"float32"``, ``"float64"``), else the element type of its ``network_``'s first weight; None when neither is known.
    A Pipeline's is its last step's."""
    model = final_estimator(model)
    dtype = getattr(model, "dtype", None)
    if dtype is not None:
        return str(dtype)
    parameters = getattr(getattr(model, "network_", None), "parameters", None)
    first = next(iter(parameters()), None) if callable(parameters) else None
    return None if first is None else str(first.dtype).removeprefix("torch.")


def jsonl_bytes(frame: pd.DataFrame) -> bytes:
    """``frame`` as JSON lines, one object per row; float32 columns as their shortest float32 text, dates as ISO 8601 text (pandas'
    default, milliseconds since 1970, read as a number; a time zone's dates with its offset, :func:`_local_iso`), others as pandas writes them."""
    f32 = [c for c in frame.columns if frame[c].dtype == np.float32]
    zoned = {c: _local_iso(frame[c]) for c in frame.columns if isinstance(frame[c].dtype, pd.DatetimeTZDtype) and str(frame[c].dt.tz) != "UTC"}
    text = (frame.assign(**zoned) if zoned else frame).to_json(orient="records", lines=True, date_format="iso")
    if not f32:
        return text.encode()
    # data.float32_numbers, the server's rule too: json writes each float with float32's shortest digits; NaN is null, as pandas writes it
    columns = {c: [v if math.isfinite(v) else None for v in float32_numbers(frame[c].to_numpy())] for c in f32}
    lines = []
    for i, line in enumerate(x for x in text.splitlines() if x):  # pandas writes one bare newline for no rows
        row = json.loads(line)
        for c in f32:
            row[str(c)] = columns[c][i]
        lines.append(json.dumps(row, separators=(",", ":")))
    return ("\n".join(lines) + "\n").encode() if lines else text.encode()


def _local_iso(dates: pd.Series) -> pd.Series:
    """Time-zone-aware ``dates`` as ISO 8601 text in their own zone, ``2024-03-31T00:00:00.000+01:00``, as the CSV writes them.

    pandas' ``to_json`` writes such dates in UTC (``2024-03-30T23:00:00.000Z``): the right instant, but a daily forecast in
    Berlin read as the day before its date. UTC dates keep pandas' ``Z`` form; a missing date stays null.
    """
    offset = dates.dt.strftime("%z").str.replace(r"(\d{2})$", r":\1", regex=True)  # +0100 -> +01:00
    return dates.dt.strftime("%Y-%m-%dT%H:%M:%S.%f").str[:-3] + offset


def write_table(frame: pd.DataFrame, path: Path) -> None:
    """Write ``frame`` atomically to ``path`` by its suffix: ``.parquet``, ``.jsonl``, ``.tsv``, else CSV."""
    from .._files import atomic_write_bytes

    suffix = path.suffix.lower()
    if suffix == ".parquet":
        buf = io.BytesIO()
        frame.to_parquet(buf, index=False)
        data = buf.getvalue()
    elif suffix == ".jsonl":
        data = jsonl_bytes(frame)
    else:
        data = frame.to_csv(index=False, sep="\t" if suffix == ".tsv" else ",").encode()
    atomic_write_bytes(path, data)
