"""What every application's ONNX graph builder returns (:class:`AppGraph`), and the helpers they share.

The builders live in ``_app_graph`` (images, autoencoder, forecaster),
``_app_graph_seq`` (SequenceClassifier) and ``_app_graph_rec`` (Recommender);
``_app_graph`` dispatches to them.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._network_of import network_of

APP_INPUT_KEY = "hiddenlayers_app_input"  # metadata: JSON {"shape": [...], "layout": text, "values": text, "dtype": "float32" | "uint8"}, optionally "inputs"
#: metadata: JSON {"data_columns": ..., "long_columns": ...}, the table columns the app's file keeps (``data_columns_`` of
#: ``train --app``, ``long_columns_`` of ``fit_long``; None where it has none), which ``predict``/``evaluate`` of the export read by
TABLE_COLUMNS_KEY = "hiddenlayers_table_columns"


@dataclass
class AppGraph:
    """One app's exportable module, its parity rows and reference, and its file's metadata."""

    module: Any  # torch.nn.Module: forward(x) -> output tensor, or a tuple (first output, extras...)
    sample: Any  # a torch tensor of the input's shape, batch 2, to trace with (a tuple of them for several inputs)
    feeds: np.ndarray  # the first ONNX input (X) for the parity rows
    reference: np.ndarray  # the app's own output for those rows (first graph output)
    outputs: list[str]
    input_shape: list[int | str]
    metadata: dict[str, str]
    notes: list[str] = field(default_factory=list)
    extra_reference: dict[str, np.ndarray] = field(default_factory=dict)  # later outputs' references, by name
    inputs: list[str] = field(default_factory=lambda: ["X"])  # the ONNX inputs' names; ``feeds`` is the first one's
    other_feeds: dict[str, np.ndarray] = field(default_factory=dict)  # the parity feeds of the inputs after the first
    input_types: list[str] = field(default_factory=lambda: ["float32"])  # each input's element type, as the report shows it
    dynamic_shapes: Any = None  # torch.onnx.export's dynamic_shapes (None: a dynamic batch on ``forward(x)``)
    edit: Callable[[Any], None] | None = None  # changes the exported ModelProto in place (input names, id lookups)
    fallback: Callable[[], AppGraph] | None = None  # the graph to export instead when this one's export fails (a fixed steps axis)
    double: bool = False  # the graph computes and answers in float64 (a dtype="float64" model's), else float32

    def all_feeds(self) -> dict[str, np.ndarray]:
        """The parity feeds of every ONNX input, by name."""
        return {self.inputs[0]: self.feeds, **self.other_feeds}


def base_metadata(model: Any, output: str, shape: list[int | str], layout: str, values: str, dtype: str = "float32") -> dict[str, str]:
    """The ``metadata_props`` every app's file has: its class, output, library version, input (shape, layout, values, element type) and
    the table columns its file keeps (:data:`TABLE_COLUMNS_KEY`)."""
    from .. import __version__

    return {
        "hiddenlayers_estimator": type(model).__name__, "hiddenlayers_output": output, "hiddenlayers_version": __version__,
        APP_INPUT_KEY: json.dumps({"shape": shape, "layout": layout, "values": values, "dtype": dtype}),
        TABLE_COLUMNS_KEY: json.dumps({"data_columns": _plain(getattr(model, "data_columns_", None)), "long_columns": _plain(getattr(model, "long_columns_", None))}),
    }


def _plain(columns: Any) -> Any:
    """A file's column record (a dict of names, lists of names or None) as JSON-able values; None stays None."""
    if columns is None:
        return None
    return {str(k): (None if v is None else [str(c) for c in v] if isinstance(v, (list, tuple)) else str(v)) for k, v in dict(columns).items()}


def cpu_network(network: Any) -> Any:
    """A CPU copy in eval mode to trace, so the user's network keeps its device and mode."""
    import copy

    return copy.deepcopy(network).to(device="cpu").eval()


GRAPH_DTYPES = ("float32", "float64")  # what export_onnx's dtype can ask for (None: the fitted network's own)


def fitted_dtype(model: Any) -> str:
    """The float type a fitted app's network computes in (``"float64"`` for ``dtype="float64"``, else ``"float32"``)."""
    network: Any = network_of(model)
    return "float64" if str(next(network.parameters()).dtype) == "torch.float64" else "float32"


def graph_dtype(model: Any, dtype: str | None) -> str:
    """The float type of ``model``'s ONNX graph: ``dtype`` (``"float32"``/``"float64"``), or the fitted network's for None.

    A float64 graph of a float32 model would only hold float32 weights in float64: refused in one line.
    """
    fitted = fitted_dtype(model)
    if dtype is None or dtype == fitted:
        return fitted
    if dtype == "float64":
        raise ValueError(f"dtype='float64' needs a model that computes in float64, and this {type(model).__name__} computes in float32"
                         + (" (fit it with dtype='float64')" if "dtype" in getattr(model, "get_params", dict)() else "")
                         + ": leave dtype=None, or 'float32'.")
    return dtype


def refuse_float32_scale(model: Any, names: Any = None) -> None:
    """Refuse in one ``ValueError`` line a float32 graph of ``model`` whose fitted per-column ``mean_``/``scale_`` float32
    cannot hold, naming the column and the fix.

    The Autoencoder's and Forecaster's graphs read float32 values and standardise by float32 constants: a column of
    ~1e-300 values (its scale below float32's smallest normal number, ~1.2e-38) is 0 there and ``0 / 0`` is NaN, and one
    of ~1e39 is infinite, so no float32 graph can reproduce the model. ``names``: the columns' names (None: by position).
    """
    f32 = np.finfo(np.float32)
    scale = np.atleast_1d(np.abs(np.asarray(model.scale_, dtype=np.float64)))
    mean = np.atleast_1d(np.asarray(model.mean_, dtype=np.float64))
    bad = np.flatnonzero((scale < f32.tiny) | (scale > f32.max) | (np.abs(mean) > f32.max))
    if not len(bad):
        return
    j = int(bad[0])
    column = f"column {names[j]!r}" if names is not None else ("the series" if scale.size == 1 else f"column {j}")
    size = "below float32's smallest normal number, ~1.2e-38" if scale[j] < f32.tiny else "beyond float32's largest, ~3.4e38"
    raise ValueError(f"{column} of this {type(model).__name__} has fitted mean {mean[j]:.3g} and spread {scale[j]:.3g}, {size}: the ONNX "
                     "graph reads and standardises float32 values, which cannot hold them; rescale those values into float32's "
                     "range (e.g. multiply them by a power of ten) and refit before exporting.")


def graph_network(network: Any, double: bool) -> Any:
    """A CPU copy of ``network`` in eval mode to trace in the graph's float type: float32, or (``double``) float64 with the
    operators onnxruntime has no float64 kernel for rewritten or refused in one line (:func:`._double_ops.double_exportable`)."""
    copy = cpu_network(network)
    if not double:
        return copy.float()
    from ._double_ops import double_exportable

    return double_exportable(copy.double())


__all__ = ["APP_INPUT_KEY", "GRAPH_DTYPES", "TABLE_COLUMNS_KEY", "AppGraph", "base_metadata", "cpu_network", "fitted_dtype", "graph_dtype", "graph_network", "refuse_float32_scale"]
