"""ONNX export of a Pipeline of scikit-learn steps then an MLP: the steps as ONNX nodes ahead of the MLP's graph.

The graph's input ``X`` is the Pipeline's raw numeric columns ``(batch, n_features_in_)`` (by name where it was fitted on a
DataFrame: the file's ``input_columns``), NaN = missing where a SimpleImputer fills it; the steps run inside the graph
(:mod:`._pipeline_graph`), then the MLP's dense graph (:mod:`._dense_graph`), all in the MLP's float type. The file is
checked against the **Pipeline's** own ``predict_proba`` (classifiers) or ``predict`` (regressors) on the parity rows, and,
where an imputer fills missing cells, on copies of them with missing cells too; a difference beyond the tolerance refuses
the export. The int8 copy quantises the MLP's weights only.

:func:`pipeline_plan` builds the graph, the parity rows and the Pipeline's answers for them; the exporter
(:func:`._export._export_steps`) checks the graph against them as it checks any export, then :func:`check_missing_rows` on
rows with missing cells, and writes the file with :func:`pipeline_report`'s report.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..exceptions import DataError
from ._export_report import ExportReport, parity_tolerance
from ._onnx_run import FILLS_MISSING_KEY, PIPELINE_META_KEY
from ._pipeline_graph import fills_missing, kept_steps, spread, steps_problem

_N_RANDOM = 256



def numeric_rows(X: Any, n_inputs: int, *, missing_allowed: bool, dtype: Any = np.float32) -> np.ndarray:
    """``X`` as parity rows of ``dtype``, after one-line errors for its type, shape and values (NaN only where the graph fills missing values)."""
    try:
        rows = np.asarray(X, dtype=dtype)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"X must be numbers, (n_rows, {n_inputs}), for this model's ONNX input: {exc}.") from None
    if rows.ndim != 2 or rows.shape[1] != n_inputs or rows.shape[0] == 0:
        raise ValueError(f"X must be (n_rows, {n_inputs}) with at least one row for this model's ONNX input. Received shape {rows.shape}.")
    if np.isinf(rows).any() or (not missing_allowed and np.isnan(rows).any()):
        what = "infinite values" if missing_allowed else "NaN or infinite values"
        raise ValueError(f"X contains {what}: the parity check needs finite rows the model can predict; drop or fill those rows.")
    return np.ascontiguousarray(rows)  # a view with negative strides (X[::-1]), kept by asarray when no conversion is needed, torch refuses



def _raw_rows(X: Any, steps: list[tuple[str, Any]], n: int, names: list[str] | None, fills: bool, dtype: Any) -> np.ndarray:
    """The parity rows ``(rows, n)`` in the graph's ``dtype``: ``X`` (a DataFrame read by the Pipeline's column names, or an
    array in their order), or random rows around what the first step learned, with missing cells where they are filled."""
    import pandas as pd

    if X is None:
        centre, scale = spread(steps, n)
        rows = np.random.default_rng(0).standard_normal((_N_RANDOM, n)) * scale + centre
        if fills:
            rows[::17, 0] = np.nan
        return rows.astype(dtype)
    if isinstance(X, pd.DataFrame) and names is not None:
        from ..data import lacks_columns

        frame = X.rename(columns=str)
        missing = [c for c in names if c not in frame.columns]
        if missing:
            raise DataError(lacks_columns(missing, [c for c in frame.columns if c not in set(names)], fix="add them"))
        X = frame[names]
    return numeric_rows(X, n, missing_allowed=fills, dtype=dtype)


def _with_missing(rows: np.ndarray) -> np.ndarray:
    """Copies of up to 64 of ``rows`` with one cell missing each, column by column in turn: the imputer's path, checked."""
    out = rows[:64].copy()
    out[np.arange(out.shape[0]), np.arange(out.shape[0]) % out.shape[1]] = np.nan
    return out


def _pipeline_out(pipe: Any, rows: np.ndarray, names: list[str] | None, is_clf: bool) -> np.ndarray:
    """The Pipeline's own ``predict_proba`` (a classifier) or ``predict`` ``(rows, k)`` on ``rows``, in float64."""
    import pandas as pd

    X = pd.DataFrame(rows.astype(np.float64), columns=names) if names is not None else rows.astype(np.float64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # scikit-learn's notes (a column without any value seen in fit) were given at fit
        out = pipe.predict_proba(X) if is_clf else pipe.predict(X)
    out = np.asarray(out, dtype=np.float64)
    return out.reshape(-1, 1) if out.ndim == 1 else out


@dataclass
class PipelinePlan:
    """What the exporter checks and writes for a Pipeline of steps then an MLP (:func:`pipeline_plan`).

    ``pipe``/``mlp``/``steps``: the Pipeline, its MLP, its kept steps; ``names``: its raw column names (None: read by
    position); ``fills``: NaN cells are filled in the graph; ``is_clf``/``double``: a classifier, a float64 graph;
    ``tolerance``: the parity tolerance in force; ``rows``: the parity rows ``(n, n_features_in_)`` in the graph's type;
    ``reference``: the Pipeline's answers on them ``(n, k)``; ``proto``: the graph (``ModelProto``), fully checked;
    ``out_name``: its output; ``unit``: a scaled regressor's ``|target_scale_|`` (None otherwise).
    """

    pipe: Any
    mlp: Any
    steps: list[tuple[str, Any]]
    names: list[str] | None
    fills: bool
    is_clf: bool
    double: bool
    tolerance: float
    rows: np.ndarray
    reference: np.ndarray
    proto: Any
    out_name: str
    unit: np.ndarray | None

    def metadata(self, mlp_metadata: Callable[..., dict[str, str]]) -> dict[str, str]:
        """The file's ``metadata_props``: the MLP's by ``mlp_metadata`` (the exporter's: classes, output), then the Pipeline's raw
        columns, its steps in one line, and whether NaN cells are filled."""
        meta = mlp_metadata(self.mlp, None, self.out_name, "")
        meta.pop("input_columns", None)  # the MLP's own names are its steps' outputs: the file reads the Pipeline's
        if self.names is not None:
            meta["input_columns"] = json.dumps(self.names)
        shown = [f"{name}: {type(step).__name__}" for name, step in self.steps] + [f"{self.pipe.steps[-1][0]}: {type(self.mlp).__name__}"]
        meta[PIPELINE_META_KEY] = " -> ".join(shown)
        meta[FILLS_MISSING_KEY] = json.dumps(self.fills)
        return meta


def pipeline_plan(pipe: Any, *, X: Any, y: Any, opset: int, tolerance: float | None, include_preprocessing: bool, quantize: bool) -> PipelinePlan:
    """The graph of the fitted Pipeline ``pipe`` of allow-listed scikit-learn steps then an MLP, its parity rows and the
    Pipeline's answers for them (:class:`PipelinePlan`). ``X``/``y``/``opset``/``tolerance``/``include_preprocessing``: as
    :func:`~hiddenlayers.ship.export_onnx` takes them; ``quantize``: an int8 copy is asked for (refused for a float64 graph).
    A step the graph cannot compute, a network without a direct graph, or bad rows are a one-line ``ValueError``/``DataError``.
    """
    import torch

    from ._dense_graph import dense_graph
    from ._onnx_graph import _cpu_copy

    if not include_preprocessing:
        raise ValueError("include_preprocessing=False leaves a table model's stored preprocessing out; a Pipeline's steps are always in "
                         "its graph: leave it True, or export the MLP alone with hl.export_onnx(pipe[-1], path).")
    mlp, steps = pipe.steps[-1][1], kept_steps(pipe)
    problem = steps_problem(steps)
    if problem is not None:
        raise ValueError(f"export_onnx() cannot write this Pipeline's steps as ONNX: {problem}.")
    double = next(mlp.network_.parameters()).dtype == torch.float64
    if double and quantize:
        raise ValueError("quantize=True needs a float32 graph (onnxruntime quantises float32 only), and this Pipeline's MLP computes in "
                         "float64: export without quantize, or fit it with dtype='float32'.")
    first = steps[0][1]
    names = [str(c) for c in first.feature_names_in_] if hasattr(first, "feature_names_in_") else None
    n, fills, is_clf = int(first.n_features_in_), fills_missing(steps), hasattr(mlp, "classes_")
    rows = _raw_rows(X, steps, n, names, fills, np.float64 if double else np.float32)  # before any export: bad rows are refused at once
    if y is not None and len(y) != rows.shape[0]:
        raise ValueError(f"X and y have different numbers of rows: {rows.shape[0]} and {len(y)}.")
    out_name = "probabilities" if is_clf else "predictions"
    target = (mlp.target_mean_, mlp.target_scale_) if hasattr(mlp, "target_mean_") else None
    proto = dense_graph(_cpu_copy(mlp.network_), mlp.out_activation_, is_clf and mlp.label_type_ == "binary", None, target, opset=opset,
                        input_name="X", out_name=out_name, steps=steps)
    if proto is None:
        raise ValueError(f"this Pipeline's {type(mlp).__name__} has a layer, norm or activation without a direct ONNX form, which its steps "
                         "need: export the MLP alone, hl.export_onnx(pipe[-1], path, X=pipe[:-1].transform(X)), and run the steps before it.")
    return PipelinePlan(pipe=pipe, mlp=mlp, steps=steps, names=names, fills=fills, is_clf=is_clf, double=double,
                        tolerance=parity_tolerance(tolerance, double), rows=rows,
                        reference=_pipeline_out(pipe, rows, names, is_clf), proto=proto, out_name=out_name,
                        unit=np.abs(np.asarray(target[1], dtype=np.float64)) if target is not None else None)


def output_share(got: np.ndarray, ref: np.ndarray, unit: Any = None) -> float:
    """The parity check's measure: the largest ``|got - ref|`` as a share of the output's size, ``max(1, |ref|, unit)`` (relative
    beyond size 1: a prediction of 1e4 in y's units carries float rounding of 1e4 x eps per operation, and one of a scaled regressor
    the network's rounding x ``unit``, its target scale, whatever its own size); 0 for no outputs."""
    size = np.maximum(np.maximum(1.0, np.abs(ref)), np.asarray(unit, dtype=np.float64) if unit is not None else 1.0)
    return float(np.max(np.abs(got - ref) / size)) if got.size else 0.0


def check_missing_rows(plan: PipelinePlan, run: Callable[[np.ndarray], np.ndarray]) -> int:
    """Where the graph fills NaN cells: compare ``run`` (the written graph on rows ``X``) with the Pipeline on copies of the parity
    rows with one missing cell each; a ``ValueError`` beyond the tolerance x the output's size, as the main check. Returns the
    number of rows checked (0 where the graph fills none)."""
    if not plan.fills:
        return 0
    extra = _with_missing(plan.rows)
    ref = _pipeline_out(plan.pipe, extra, plan.names, plan.is_clf)
    got = np.asarray(run(extra), dtype=np.float64)
    share = output_share(got, ref, plan.unit)
    if not share <= plan.tolerance:
        raise ValueError(f"ONNX output differs from the Pipeline's on rows with missing cells by {share:.3g} of the output's size "
                         f"(> tolerance={plan.tolerance}): the export is not faithful; report this Pipeline's steps.")
    return int(extra.shape[0])


def pipeline_report(plan: PipelinePlan, path: Path, opset: int, size: int, diff: float, extra: int) -> ExportReport:
    """The export's report: ``size`` bytes of opset ``opset`` written to ``path``, ``diff`` the largest parity difference,
    ``extra`` rows with missing cells checked beside the parity rows."""
    report = ExportReport(path=str(path), input_name="X", output_name=plan.out_name, n_inputs=int(plan.rows.shape[1]), input_columns=plan.names,
                          opset=opset, bytes=size, max_abs_diff=diff, parity_rows=int(plan.rows.shape[0]) + extra,
                          input_dtype="float64" if plan.double else "float32")
    shown = ", ".join(f"{name} ({type(step).__name__})" for name, step in plan.steps)
    report.notes.append(f"the Pipeline's steps {shown} are in the graph, checked against the Pipeline's own "
                        f"{'predict_proba' if plan.is_clf else 'predict'}; input X is its raw numeric columns"
                        + (" (NaN = missing, filled in the graph)" if plan.fills else " (no missing cells: no imputer fills them first)"))
    return report


__all__ = ["PipelinePlan", "check_missing_rows", "numeric_rows", "pipeline_plan", "pipeline_report"]
