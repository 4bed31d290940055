"""The base of the app graphs that standardise their input by the fitted ``mean_``/``scale_`` before the network.

Kept out of ``_app_base`` because it imports PyTorch at import time (a class deriving from ``nn.Module``),
and ``_app_base`` is read by the torch-free ONNX runners; the graph builders import it inside their functions.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import Tensor, nn


class ScaledGraph(nn.Module):
    """An app's ``network`` and its fitted per-feature ``mean``/``scale`` as buffers of ``dtype`` (float32, or float64 for a
    graph that computes in float64), reshaped to ``shape`` (e.g. ``(1, C, 1, 1)`` for images, to broadcast over the input),
    which a subclass's ``forward`` standardises by.

    The ImageClassifier, Autoencoder, SequenceClassifier and SpeechRecognizer graphs derive from it; each writes its own
    ``forward`` (the layout change before, the softmax or decoding after).
    """

    network: nn.Module
    mean: Tensor
    scale: Tensor

    def __init__(self, network: nn.Module, mean: Any, scale: Any, shape: tuple[int, ...] = (-1,),
                 dtype: torch.dtype = torch.float32) -> None:
        super().__init__()
        self.network = network
        self.register_buffer("mean", torch.tensor(np.asarray(mean), dtype=dtype).reshape(shape))
        self.register_buffer("scale", torch.tensor(np.asarray(scale), dtype=dtype).reshape(shape))


__all__ = ["ScaledGraph"]
