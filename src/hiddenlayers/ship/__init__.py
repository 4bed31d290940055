"""Ship: model files (safetensors + JSON metadata; loading never runs code),
ONNX export with the preprocessing in the graph (table models, and the
applications named in ``ONNX_APPS``), the PyTorch-free ONNX runner,
the model server (micro-batching, hot reload, graceful drain), and the
pixel rule an ImageClassifier's callers share (``image_input``)."""

from __future__ import annotations

from .._lazy import lazy_exports

_EXPORTS = {
    "FORMAT_VERSION": "._modelfile",
    "load": "._modelfile",
    "read_metadata": "._modelfile",
    "save": "._modelfile",
    "stored_steps": "._pipeline",
    "ExportReport": "._export_report",
    "export_onnx": "._export",
    "ONNX_APPS": "._app_graph",
    "INPUT_DTYPES": "._app_graph",
    "TABLE_COLUMNS_KEY": "._app_base",
    "OnnxModel": "._onnx_run",
    "SpeechOnnx": "._onnx_speech",
    "TokenOnnx": "._onnx_text",
    "TOKENIZER_KEY": "._onnx_text",
    "TOKENS_KEY": "._onnx_text",
    "onnx_estimator": "._onnx_app",
    "describe_onnx": "._onnx_run",
    "image_input": "._pixels",
    "PixelError": "._pixels",
    "PIXEL_DTYPES": "._pixels",
    "IMAGE_LAYOUTS": "._pixels",
    "serve": "._serve.serve",
    "check_listen": "._serve.serve",
    "check_serve_settings": "._serve.settings",
    "check_servable": "._serve.app_model",
    "check_serve_threshold": "._serve.threshold",
    "app_export": "._serve.app_onnx",
}

__getattr__, __dir__, __all__ = lazy_exports(__name__, _EXPORTS)
