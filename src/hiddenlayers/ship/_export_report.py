"""What :func:`hiddenlayers.ship.export_onnx` reports: the files it wrote, their inputs and outputs, parity with PyTorch and the score before/after int8."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

#: The default parity tolerance of a float32 graph and of a float64 one (the largest ONNX - reference difference accepted).
FLOAT32_TOLERANCE, FLOAT64_TOLERANCE = 1e-4, 1e-8


def parity_tolerance(tolerance: float | None, double: bool) -> float:
    """``tolerance`` as given, or for None the default of the graph's float type: :data:`FLOAT64_TOLERANCE` (1e-8) where it
    computes in float64 (``double``), else :data:`FLOAT32_TOLERANCE` (1e-4); every export path (table, application, Pipeline) asks here."""
    if tolerance is not None:
        return tolerance
    return FLOAT64_TOLERANCE if double else FLOAT32_TOLERANCE


@dataclass
class ExportReport:
    """What :func:`hiddenlayers.ship.export_onnx` wrote and how closely it matches PyTorch.

    Attributes
    ----------
    path : str
        The ONNX file written.
    input_name : str
        The graph's input name (``"X"``; an application's several joined by ``", "``, in ``input_types``' order).
    output_name : str
        The graph's output name (``"probabilities"``, ``"predictions"``, ...; several joined by ``", "``).
    n_inputs : int
        Input columns of a table model's graph.
    input_columns : list of str or None
        The raw columns a graph with its preprocessing inside reads, in order; None for a matrix input.
    opset : int
        The ONNX opset, read back from the file.
    bytes : int
        Size of the file in bytes.
    max_abs_diff : float
        Largest ``|onnx - torch|`` over the parity rows, in the output's units.
    parity_rows : int
        Rows of the parity check.
    string_input_columns : list of str or None
        The text columns the graph reads as strings (input ``C``); None when there are none.
    missing_token : str or None
        The text that stands for a missing value in those columns (``""``, or ``"<missing>"`` when ``""`` is a real
        category); None without text columns.
    quantized_path : str or None
        The int8 copy written; None when none was (not asked, or refused).
    quantized_bytes : int or None
        Size of the int8 copy in bytes.
    quantized_max_abs_diff : float or None
        Largest ``|int8 - model|`` on the parity rows (see ``quantized_compared``).
    quantized_relative_diff : float or None
        The same as a share of the output's size beyond 1: what ``quantized_tolerance`` bounds.
    quantized_tolerance : float or None
        The limit asked for (None: no limit).
    quantized_compared : str or None
        What the int8 parity compared: which output, against what, on which rows.
    quantized_refused : str or None
        Why the int8 file was not written (over ``quantized_tolerance``); ``quantized_path`` is then None.
    score_before : float or None
        The float graph's score on the given ``X``, ``y`` (``metric``); None without ``y``.
    score_after : float or None
        The int8 copy's score on them.
    metric : str or None
        ``"accuracy"`` or ``"r2"``.
    notes : list of str
        What the graph takes and computes (raw columns, what is inside the graph, quantized operators), one line each.
    input_shape : list of int or str, or None
        An application's input ``X`` shape, e.g. ``["batch", 8, 8]`` (None: ``(batch, n_inputs)``).
    input_dtype : str
        ``X``'s element type: ``"uint8"`` for an ImageClassifier exported with ``input_dtype="uint8"``, ``"float64"``
        for a float64 table model.
    input_types : list of str or None
        An application's inputs' element types, in ``input_name``'s order (e.g. ``["int64", "string"]``).
    """

    path: str
    input_name: str
    output_name: str
    n_inputs: int
    input_columns: list[str] | None
    opset: int
    bytes: int
    max_abs_diff: float
    parity_rows: int
    string_input_columns: list[str] | None = None
    missing_token: str | None = None
    quantized_path: str | None = None
    quantized_bytes: int | None = None
    quantized_max_abs_diff: float | None = None  # largest |int8 - model| on the parity rows (see quantized_compared)
    quantized_relative_diff: float | None = None  # the same as a share of the output's size beyond 1: what quantized_tolerance bounds
    quantized_tolerance: float | None = None  # the limit asked for (None: no limit)
    quantized_compared: str | None = None  # what the int8 parity compared: which output, against what, on which rows
    quantized_refused: str | None = None  # why the int8 file was not written (over quantized_tolerance); quantized_path is then None
    score_before: float | None = None
    score_after: float | None = None
    metric: str | None = None
    notes: list[str] = field(default_factory=list)
    input_shape: list[int | str] | None = None  # an application's input X, e.g. ["batch", 8, 8] (None: (batch, n_inputs))
    input_dtype: str = "float32"  # X's element type: "uint8" for an ImageClassifier exported with input_dtype="uint8", "float64" for a float64 table model
    input_types: list[str] | None = None  # an application's inputs' element types, in input_name's order (e.g. ["int64", "string"])

    def to_dict(self) -> dict[str, Any]:
        """Every field as JSON-able values."""
        return asdict(self)

    def table(self) -> Any:
        """A Rich table of the export: the file and its size, the inputs and output, the largest difference from PyTorch."""
        from .._rich_plain import PlainTable  # cells, titles and captions print as given (paths, names)

        t = PlainTable(title="ONNX export", show_header=False)
        t.add_column("what")
        t.add_column("value")
        t.add_row("file", f"{self.path} ({self.bytes:,} bytes)")
        if self.input_shape is not None:
            shape = f"({', '.join(map(str, self.input_shape))}{',' if len(self.input_shape) == 1 else ''})"
            for name, kind in zip(self.input_name.split(", "), self.input_types or ["float32"], strict=False):
                t.add_row("input", f"{name}: {shape} {kind}")
        elif self.n_inputs or not self.string_input_columns:
            t.add_row("input", f"{self.input_name}: (batch, {self.n_inputs}) float32")
        if self.string_input_columns:
            t.add_row("input", f"C: (batch, {len(self.string_input_columns)}) string ({', '.join(self.string_input_columns[:5])})")
        t.add_row("output", self.output_name)
        t.add_row("parity", f"largest |onnx - torch| = {self.max_abs_diff:.3g} over {self.parity_rows} rows")
        if self.quantized_path:
            t.add_row("int8 file", f"{self.quantized_path} ({self.quantized_bytes:,} bytes)")
        elif self.quantized_refused:
            t.add_row("int8 file", f"not written: over the tolerance {self.quantized_tolerance:g}")
        if self.quantized_max_abs_diff is not None:
            share, parts = self.quantized_relative_diff, []
            if share is not None and share != self.quantized_max_abs_diff:
                parts.append(f"{share:.3g} of the output's size")
            if self.quantized_tolerance is not None:
                parts.append(f"tolerance {self.quantized_tolerance:g}")
            said = f" ({'; '.join(parts)})" if parts else ""
            t.add_row("int8 parity", f"largest |int8 - torch| = {self.quantized_max_abs_diff:.3g}{said}")
        if self.score_before is not None:
            after = f" (float) -> {self.score_after:.4f} (int8)" if self.score_after is not None else ""
            t.add_row(self.metric or "score", f"{self.score_before:.4f}{after}")
        for note in self.notes:
            t.add_row("note", note)
        return t

    def __rich__(self) -> Any:
        return self.table()


__all__ = ["FLOAT32_TOLERANCE", "FLOAT64_TOLERANCE", "ExportReport", "parity_tolerance"]
