"""The served ImageClassifier: ``{"images": [...], "dtype": "float32" | "uint8"}``, each image checked by the command line's pixel rule.

See :mod:`.app_model` for the request form; :mod:`.app_onnx` serves the classifier's ONNX export with this same adapter.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._pixels import PIXEL_DTYPES, PixelError, image_input, image_shapes
from .app_base import RequestError, _body, _Classifier, _items
from .model import Refusal, RowsRefused


class ImageModel(_Classifier):
    """An ImageClassifier: ``{"images": [...], "dtype": ...}``, each image at the fitted size."""

    form = '{"images": [image, ...], "dtype": "float32" or "uint8"} with each image nested lists (H, W), (H, W, C) or (C, H, W)'
    double = False  # float pixels read in float64 (a dtype='float64' app, or its float64 ONNX graph): no float32 range check
    uint8_scaled = True  # uint8 pixels reach the network divided by 255 (predict's rule); an export's graph may read them as given

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.shape = tuple(int(d) for d in self.app.image_shape_)  # (C, H, W)
        self.accepted = image_shapes(self.app)  # each image's shape may say its layout: (H, W[, C]) or (C, H, W)
        from ...apps import fitted_beyond_unit_scale, fitted_on_unit_scale  # here, not at import: the ONNX path imports no torch

        self.unit_scale = fitted_on_unit_scale(self.app)  # float pixels above UNIT_SCALE_MAX are then refused
        self.beyond_unit = fitted_beyond_unit_scale(self.app)  # uint8 pixels scaled by 1/255 are then refused

    def rows(self, body: Any, max_rows: int) -> list[Any]:
        b = _body(body, ("images",), ("dtype",), self.form)
        dtype = b.get("dtype", "float32")
        if dtype not in PIXEL_DTYPES:
            raise RequestError(400, f'"dtype" must be "float32" (pixels as given) or "uint8" (whole numbers 0-255, scaled by 1/255). Received: {dtype!r:.40}.')
        self.refuse_dtype(dtype)
        return [(dtype, self._image(x, i, dtype)) for i, x in enumerate(_items(b, "images", "images (nested lists of numbers)", max_rows))]

    def refuse_dtype(self, dtype: str) -> None:
        """A RequestError when the model cannot read pixels of request ``dtype`` at all, before any pixel is checked, so the
        refusal names the dtype rather than a pixel rule the fix would not satisfy: uint8 pixels (scaled by 1/255) for a model
        fitted on float pixels beyond 0-1 (0-255 images given as floats), which it would read 255 times too dark, as
        ``predict`` warns and the command line refuses."""
        if dtype == "uint8" and self.uint8_scaled and self.beyond_unit:
            span = getattr(self.app, "pixel_range_", None)
            fitted = f"from {span[0]:.4g} to {span[1]:.4g}" if span is not None else "beyond 0-1"
            raise RequestError(422, f'"dtype": "uint8" pixels are read as 0-1 (scaled by 1/255), but the model was fitted on float pixels {fitted}: '
                                    'send pixels on its training scale with "dtype": "float32" (0-255 pixels: as given).')

    def _image(self, x: Any, i: int, dtype: str) -> np.ndarray:
        """Image ``i`` by :func:`~hiddenlayers.ship.image_input`'s rule, in the shape the app reads; a broken rule is a 422 in the request's words."""
        try:
            return image_input(self.app, [x], dtype, layout="any", float64=self.double)[0]
        except PixelError as exc:
            raise RequestError(422, self._says(exc, i, np.asarray(x).shape if exc.problem == "shape" else ())) from None

    def _says(self, exc: PixelError, i: int, shape: tuple[int, ...]) -> str:
        """The 422 text of pixel rule ``exc.problem`` broken by image ``i`` (``shape``: its shape, for the shape rule)."""
        if exc.problem == "numbers":
            return f"images[{i}] must be nested lists of numbers of one shape {self._shapes()}: check for text, null or rows of different lengths."
        if exc.problem == "shape":
            return (f"images[{i}] has shape {shape}, but the model reads {self.shape[1]} x {self.shape[2]} pixels with "
                    f"{self.shape[0]} channel(s): send {self._shapes()}, resized as in fit.")
        if exc.problem == "finite":
            return f"images[{i}] holds NaN or infinity: send finite pixel values."
        if exc.problem == "float32_range":
            return f"images[{i}] holds values beyond float32's range (largest {exc.value:.3g}): send pixels as fitted, e.g. 0-1 or 0-255."
        if exc.problem == "standardised":  # torchvision's Normalize: the model standardises its pixels itself
            from ...apps import standardised_advice

            return f"images[{i}] holds float pixels down to {exc.value:.4g}, but " + standardised_advice('send 0-255 pixels with "dtype": "uint8"')
        if exc.problem == "unit_scale":  # the fix from the model's own training range; a file without it: the generic 0-1 advice
            from ...apps import scale_advice

            said = scale_advice(self.app, float(exc.value or 0.0), 'send 0-255 pixels with "dtype": "uint8"')
            return f"images[{i}] holds float pixels up to {exc.value:.4g}, but " + (said or 'the model was fitted on pixels 0-1 (uint8 '
                                                                                 'images scaled by 1/255): send 0-255 pixels with "dtype": "uint8", or float pixels divided by 255.')
        return f'images[{i}] holds values that are not whole numbers 0-255, as "dtype": "uint8" needs: send such pixels, or "dtype": "float32".'

    def _shapes(self) -> str:
        return " or ".join(str(list(s)) for s in self.accepted)

    def predict(self, rows: list[Any], proba: bool) -> list[Any]:
        if len({kind for kind, _ in rows}) < 2:
            return super().predict(rows, proba)
        out: list[Any] = [None] * len(rows)  # a batch of uint8 and float32 requests: one pass each, answers in order
        refused: dict[int, Refusal] = {}
        for kind in ("float32", "uint8"):
            idx = [k for k, (d, _) in enumerate(rows) if d == kind]
            try:
                res = super().predict([rows[k] for k in idx], proba)
            except RowsRefused as exc:  # the pass's row numbers -> the batch's
                res = exc.results
                refused.update({idx[r]: msg for r, msg in exc.refused.items()})
            for k, r in zip(idx, res):
                out[k] = r
        if refused:
            raise RowsRefused(out, refused)
        return out

    def _X(self, rows: list[Any]) -> Any:
        return np.stack([a for _, a in rows])

    def inputs(self) -> dict[str, Any]:
        pixels = ('float32: 0-1, as fitted (0-255 pixels: send "dtype": "uint8")' if self.unit_scale
                  else "float32: as fitted; uint8: whole numbers 0-255, scaled by 1/255")
        return {"body": self.form, "image_shape": list(self.shape), "shapes": [list(s) for s in self.accepted], "dtype": ["float32", "uint8"],
                "pixels": pixels}


__all__ = ["ImageModel"]
