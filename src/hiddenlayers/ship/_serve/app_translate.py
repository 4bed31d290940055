"""The served Translator: ``{"texts": [...], "beam_size": k}`` -> ``{"translations": [...]}``, by its own ``predict``.

``texts`` are source sentences (strings; words not seen in fit read as the unknown token, and with the app's
``copy_unknown`` an unknown output word is the source word it attended to most, as ``predict`` does; the answer's
``notes`` count them in ``predict``'s words; an empty text translates to ``""``). ``beam_size``
(optional, default 1: greedy; at most :data:`~.app_base.MAX_BEAM`, the recognizer's bound) is the beam search's width
for the whole request; one batch may join requests of several widths, each decoded as asked. A translation holds at
most the app's ``max_len`` tokens.
"""

from __future__ import annotations

from typing import Any

from .app_base import MAX_BEAM, AppModel, _beam, _body, _per_beam, _texts


class TranslatorModel(AppModel):
    """A Translator: ``{"texts": ["a sentence", ...], "beam_size": k}`` -> ``{"translations": [...]}``."""

    form = '{"texts": ["a sentence", ...], "beam_size": k} (beam_size optional, default 1: greedy)'

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.no_proba = "/predict_proba needs a classifier; a Translator answers /predict with translations."

    def rows(self, body: Any, max_rows: int) -> list[Any]:
        b = _body(body, ("texts",), ("beam_size",), self.form)
        beam = _beam(b.get("beam_size", 1))
        return [(t, beam) for t in _texts(b, max_rows)]

    def notes(self, rows: list[Any]) -> list[str]:
        """``predict``'s warning on source words not seen in fit (the batch silences it), for this request's texts."""
        from ...apps import unknown_words_note

        note = unknown_words_note(self.app.unknown_words([t for t, _ in rows]), self.app.tokenizer)
        return [] if note is None else [note]

    def predict(self, rows: list[Any], proba: bool) -> list[Any]:
        return _per_beam(rows, lambda X, k: self.app.predict(X, beam_size=k))  # one predict per beam width in the batch

    def answer(self, result: list[Any], proba: bool) -> dict[str, Any]:
        return {"translations": result}

    def inputs(self) -> dict[str, Any]:
        return {"body": self.form, "texts": "strings; words not seen in fit read as the unknown token (counted in the answer's notes), an empty one "
                "translates to an empty string", "tokenizer": self.app.tokenizer,
                "lowercase": bool(self.app.lowercase), "normalize": self.app.normalize, "max_tokens": int(self.app.max_len), "beam_size": {"default": 1, "max": MAX_BEAM}}


__all__ = ["TranslatorModel"]
