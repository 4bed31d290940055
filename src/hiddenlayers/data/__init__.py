"""Data: reading tables, the preprocessing stored in model files, loaders
for real datasets that ship inside installed packages (never downloaded), and
the data checks (``check`` -> ``DataReport``)."""

from __future__ import annotations

from .._lazy import lazy_exports

_EXPORTS = {
    "read_ahead": "._read_ahead",
    "file_findings": "._check.table",
    "scan_file": "._check.table",
    "DATASETS": "._table",
    "DATASET_TARGET": "._table",
    "default_target": "._table",
    "infer_task": "._table",
    "mistyped_numeric_target": "._table",
    "load_table": "._table",
    "read_table": "._table",
    "Table": "._table",
    "find_dataset": "._table",
    "resolve_column": "._table",
    "split_target": "._table",
    "TablePreprocessor": "._preprocessing",
    "is_missing": "._cells",
    "numeric_values": "._cells",
    "numeric_matrix": "._cells",
    "BOOL_TEXT": "._cells",
    "category_text": "._cells",
    "category_lookup": "._cells",
    "check_column_names": "._cells",
    "check_readable": "._cells",
    "unreadable_kind": "._cells",
    "MISSING_TEXT": "._preprocessing",
    "check_class_labels": "._labels",
    "check_score_labels": "._labels",
    "require_2d": "._shape",
    "ParquetSource": "._stream",
    "is_source": "._stream",
    "load_shuttle": "._real",
    "load_sunspots": "._real",
    "load_co2": "._real",
    "load_movielens": "._real",
    "load_fashion_mnist": "._images",
    "load_mnist_as_digits": "._mnist8",
    "mnist_to_8x8": "._mnist8",
    "load_image_folder": "._images",
    "load_movie_reviews": "._text",
    "load_gene_families": "._text",
    "load_spoken_digits": "._speech",
    "load_bible_pairs": "._bible",
    "check": "._check.check",
    "DataReport": "._check.report",
    "Finding": "._check.common",
    "preview": "._check.common",
    "F32_MAX": "._float32",
    "first_beyond_float32": "._float32",
    "first_non_finite_row": "._float32",
}

__getattr__, __dir__, __all__ = lazy_exports(__name__, _EXPORTS)
