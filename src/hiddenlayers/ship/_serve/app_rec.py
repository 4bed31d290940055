"""The served Recommender: ``{"users": [...], "items": [...]}`` checked (ids of the kind fitted), then ``predict``.

Answered with ``predictions`` and ``unseen``, the rows whose user or item was not seen in fit (rated from the global
mean and the known side's bias, as ``Recommender.predict`` does). Its own module so that :mod:`.app_onnx` (a
Recommender's export) and :mod:`.app_model` (which opens both) share it without importing each other.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .app_base import AppModel, _body, _call, _items
from .model import RequestError, _require_finite


class RecommenderModel(AppModel):
    """A Recommender: ``{"users": [...], "items": [...]}`` -> predicted ratings, and which rows had an unseen id."""

    form = '{"users": [id, ...], "items": [id, ...]} (ids as fitted, one user and one item per row)'

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        import pandas as pd

        kinds: dict[str, type] = {"integer": int, "string": str}
        self.kinds: dict[str, type | None] = {side: kinds.get(pd.api.types.infer_dtype(getattr(self.app, f"{side}s_"), skipna=True)) for side in ("user", "item")}
        self.no_proba = "/predict_proba needs a classifier; a Recommender answers /predict with ratings."

    def rows(self, body: Any, max_rows: int) -> list[Any]:
        b = _body(body, ("users", "items"), (), self.form)
        users = _items(b, "users", "ids", max_rows)
        items = _items(b, "items", "ids", max_rows)
        if len(users) != len(items):
            raise RequestError(400, f'"users" has {len(users)} ids but "items" has {len(items)}: send one user and one item per row.')
        return [(self._id("user", u, k), self._id("item", i, k)) for k, (u, i) in enumerate(zip(users, items))]

    def _id(self, side: str, v: Any, k: int) -> Any:
        """One id, checked: an integer (a whole float is one) or a string, of the kind the model was fitted on."""
        if isinstance(v, float) and v == v and v not in (float("inf"), float("-inf")) and v.is_integer():
            v = int(v)
        if isinstance(v, bool) or not isinstance(v, (int, str)):
            raise RequestError(422, f"{side}s[{k}] must be an id (an integer or a string). Received: {v!r:.40}.")
        want = self.kinds[side]
        if want is not None and not isinstance(v, want):
            fitted = "integers" if want is int else "strings"
            raise RequestError(422, f"{side}s[{k}] is {v!r:.40}, but the model's {side} ids are {fitted}: send them as {fitted}, so that known ids are found.")
        return v

    def predict(self, rows: list[Any], proba: bool) -> list[Any]:
        cols = []
        for side in (0, 1):
            ids = [r[side] for r in rows]
            cols.append(np.asarray(ids) if self.kinds["user" if side == 0 else "item"] is not None else np.array(ids, dtype=object))
        ratings = _call(self.app.predict, tuple(cols))
        seen = (self.app.users_.get_indexer(cols[0]) >= 0) & (self.app.items_.get_indexer(cols[1]) >= 0)
        return _require_finite(ratings, [[r, bool(s)] for r, s in zip(self.numbers(ratings), seen.tolist())])

    def answer(self, result: list[Any], proba: bool) -> dict[str, Any]:
        return {"predictions": [r for r, _ in result], "unseen": [k for k, (_, s) in enumerate(result) if not s]}

    def inputs(self) -> dict[str, Any]:
        shown: dict[type | None, str] = {None: "integers or strings", int: "integers", str: "strings"}
        return {"body": self.form, "user_ids": shown[self.kinds["user"]], "item_ids": shown[self.kinds["item"]],
                "n_users": len(self.app.users_), "n_items": len(self.app.items_),
                "unseen": "an id not seen in fit is rated from the global mean plus the known side's bias; the answer's 'unseen' lists those rows"}


__all__ = ["RecommenderModel"]
