"""The served TextClassifier: ``{"texts": ["a fine film", ...]}``, checked, then its own ``predict_proba`` (a fitted app's, or
an export's :class:`~.._onnx_text.TokenOnnx`, :mod:`.app_onnx`)."""

from __future__ import annotations

from typing import Any

from .app_base import _body, _Classifier, _texts


class TextModel(_Classifier):
    """A TextClassifier: ``{"texts": [...]}``."""

    form = '{"texts": ["a text", ...]}'

    def rows(self, body: Any, max_rows: int) -> list[Any]:
        return _texts(_body(body, ("texts",), (), self.form), max_rows)

    def _X(self, rows: list[Any]) -> Any:
        return list(rows)

    def inputs(self) -> dict[str, Any]:
        return {"body": self.form, "texts": "strings; words not seen in fit read as the unknown token"}


__all__ = ["TextModel"]
