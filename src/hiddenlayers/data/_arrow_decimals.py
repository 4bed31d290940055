"""Arrow decimal columns (``decimal32/64/128/256``: a database's NUMERIC in a Parquet file) as float64, the way a
numeric column is read.

pandas would give each such column as an object column of ``decimal.Decimal``
cells; here the whole column is cast by Arrow's compute kernels instead, once
per batch, before ``to_pandas``. The cast goes through the decimal's text
(``"355.7041204026"``) rather than Arrow's direct decimal-to-double cast:
that one divides a rounded integer by a power of ten and lands one unit in
the last place off the correctly rounded float for about one value in ten,
while the text is parsed correctly rounded, so a value here is exactly
``float(Decimal(...))``, the float a CSV file's same text gives and what
:func:`~._cells.numeric_values` gives a ``Decimal`` cell.

>>> import pyarrow as pa
>>> from decimal import Decimal
>>> t = pa.table({"amount": pa.array([Decimal("1.25"), None], pa.decimal128(10, 2))})
>>> decimals_as_float(t).column("amount").to_pylist()
[1.25, None]
"""

from __future__ import annotations

from typing import Any, TypeVar

T = TypeVar("T")


def has_decimals(schema: Any) -> bool:
    """Whether an Arrow ``schema`` has a decimal column (of any width)."""
    import pyarrow as pa

    return any(pa.types.is_decimal(f.type) for f in schema)


def decimals_as_float(data: T) -> T:
    """``data`` with each decimal column cast to float64, nulls kept; else as is.

    Other columns, the column order and the schema's metadata (pandas' index) are kept.

    Parameters
    ----------
    data : pyarrow.Table or pyarrow.RecordBatch
        The Arrow data.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    schema = data.schema  # type: ignore[attr-defined]
    for i, f in enumerate(schema):
        if pa.types.is_decimal(f.type):
            floats = pc.cast(pc.cast(data.column(i), pa.string()), pa.float64())  # type: ignore[attr-defined]
            data = data.set_column(i, pa.field(f.name, pa.float64(), f.nullable, f.metadata), floats)  # type: ignore[attr-defined]
    return data


__all__ = ["decimals_as_float", "has_decimals"]
