"""Open an ONNX file of ours with onnxruntime (no PyTorch), and run an application's export (:data:`~._app_graph.ONNX_APPS`).

:func:`session` is the one way the runners open a file (a missing or unreadable one is a one-line ModelFileError;
``threads`` for a server); :class:`AppOnnx` is an application's export as its metadata describes it (the estimator, its
input ``X``'s shape and element type, the app's own keys) with :meth:`AppOnnx.run`, its first output for a batch.
The SpeechRecognizer's export, which needs padding and decoding, has its own runner (:mod:`._onnx_speech`).
:func:`empty_refusal` is the runners' one line for an empty sequence; :func:`unreadable` their one line for a file that is no
ONNX model, saying what it is where that shows (a safetensors model file named ``.onnx``, a pickle, a zip).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from .._meta import UNREADABLE
from ..exceptions import ModelFileError
from ._app_base import APP_INPUT_KEY


def session(path: str | Path, threads: int | None = None) -> Any:
    """An onnxruntime session of ``path`` on the CPU; a missing or unreadable file is a ModelFileError.

    ``threads``: onnxruntime's threads per run, without spin-waiting between runs (a server's passes; None: onnxruntime's
    defaults, one spinning thread per core).
    """
    import onnxruntime as ort

    p = Path(path)
    if not p.is_file():
        raise ModelFileError(f"model file '{p}' does not exist: check the path, or write one with `hiddenlayers export`.")
    opts = ort.SessionOptions()
    opts.log_severity_level = 3
    if threads is not None:
        opts.intra_op_num_threads, opts.inter_op_num_threads = int(threads), 1
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
    try:
        return ort.InferenceSession(str(p), opts, providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime raises its own exception types for any bad file
        raise ModelFileError(unreadable(p, f" ({type(exc).__name__})")) from None


def unreadable(path: Path, detail: str = "") -> str:
    """The one line for ``path``, a file onnxruntime or onnx cannot read (``detail``: the reader's error type, in brackets).

    Why: a model file saved as ``model.onnx`` (``clf.save("model.onnx")``) was "truncated, corrupt or of another format", which
    sent its user to copy a file that was whole. A safetensors file opens with its header's length (8 bytes, little-endian),
    then the header's JSON object; other formats are named as ``hl.load`` names them (:func:`~hiddenlayers._files.foreign_format`).
    """
    from .._files import foreign_format

    with path.open("rb") as fh:
        head = fh.read(9)
    if len(head) == 9 and head[8:] == b"{" and int.from_bytes(head[:8], "little") <= path.stat().st_size - 8:
        why = ("it is a safetensors file (as .save(path) and `train --out` write), not an ONNX export: give it a .safetensors name to read it, "
               "or write its ONNX export with `hiddenlayers export FILE --out model.onnx`.")
    else:
        why = foreign_format(path) or UNREADABLE
        why = UNREADABLE if why.startswith("it looks like an ONNX file") else why
    return f"'{path}' is not a readable ONNX model{detail}: {why}"


def empty_refusal(where: str, unit: str, least: int) -> str:
    """The one line refusing ``where`` (``"sequence 3"``, ``"utterance 3"``) with no ``unit`` (plural: ``"ids"``, ``"frames"``).

    Said as empty, whatever the model: ``least`` (the fewest the model reads) is 1 for one without convolution/pooling
    layers, which the line then does not name (it said "too few for the model's convolution/pooling layers" of a GRU's).
    """
    need = f"at least {least} {unit} (the model's convolution/pooling layers need them)" if least > 1 else f"at least one {unit[:-1]}"
    return f"{where} is empty (0 {unit}): drop it or give it {need}."


def onnx_estimator(path: str | Path) -> str | None:
    """The estimator an ONNX file of ours was exported from (``"SpeechRecognizer"``, ``"MLPClassifier"``, ...).

    None for a missing, unreadable or foreign file (left to the command's own loading and its one-line error).

    Parameters
    ----------
    path : str or Path
        The ``.onnx`` file.
    """
    try:
        meta = session(path).get_modelmeta().custom_metadata_map
    except ModelFileError:
        return None
    return meta.get("hiddenlayers_estimator")


class AppOnnx:
    """An application's ONNX export: ``estimator``, ``shape`` (one input's shape, without the batch axis; -1 for a dynamic axis), ``dtype`` (``X``'s
    element type, ``"float32"``, ``"float64"`` (a float64 graph's) or ``"uint8"``), ``double`` (the graph computes in float64),
    :meth:`info` (a JSON metadata key of the app), :meth:`run`. ``opened``: the file's onnxruntime session where the caller has
    made it (None: made here by :func:`session`, with ``threads``)."""

    def __init__(self, path: str | Path, threads: int | None = None, opened: Any = None) -> None:
        self.session = session(path, threads) if opened is None else opened  # opened: this file's session, already made
        self.metadata = dict(self.session.get_modelmeta().custom_metadata_map)
        self.path = str(path)
        self.estimator = str(self.metadata.get("hiddenlayers_estimator"))
        x = self.info(APP_INPUT_KEY)
        self.shape = tuple(-1 if isinstance(d, str) else int(d) for d in x["shape"][1:])  # -1: a named (dynamic) axis, e.g. "steps"
        self.dtype = str(x.get("dtype", "float32"))
        # the graph's float type, from its first output (an ImageClassifier's uint8 X feeds a float64 graph too)
        self.double = self.session.get_outputs()[0].type == "tensor(double)"

    def info(self, key: str, default: Any = ...) -> Any:
        """Metadata ``key`` decoded from JSON; ``default`` where the file has none (older exports), else a ModelFileError.

        Parameters
        ----------
        key : str
            The metadata key, as the file stores it.
        default : object, optional
            What a file without ``key`` gives; not given: such a file (or damaged JSON) is a ModelFileError.
        """
        if key not in self.metadata and default is not ...:
            return default
        try:
            return json.loads(self.metadata[key])
        except (KeyError, ValueError) as exc:
            raise ModelFileError(f"'{self.path}' has damaged hiddenlayers metadata ({type(exc).__name__}: {key}): export the model again.") from None

    def run(self, X: np.ndarray) -> np.ndarray:
        """The graph's first output for the batch ``X``.

        Parameters
        ----------
        X : numpy.ndarray of shape (n, *shape)
            The batch, in the graph's input ``dtype``.
        """
        return np.asarray(self.session.run(None, {"X": X})[0])


__all__ = ["AppOnnx", "empty_refusal", "onnx_estimator", "session"]
