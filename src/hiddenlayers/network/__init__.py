"""Build: activations, the dense hidden layer, the other layer kinds, the
hidden-layer spec (objects <-> JSON <-> text) and the ``Network`` they make."""

from __future__ import annotations

from .._lazy import lazy_exports

_EXPORTS = {
    "ACTIVATIONS": "._layers",
    "SATURATION_MARGIN": "._layers",
    "Activation": "._layers",
    "DenseLayer": "._layers",
    "activation_names": "._np_dense",
    "canonical_activation": "._np_dense",
    "get_activation": "._layers",
    "init_dense_": "._layers",
    "np_sigmoid": "._np_dense",
    # the NumPy forward of each activation, of the norms in eval mode and of a table's dense network (no PyTorch: predict's
    # CPU path and the server's)
    "NP_FORWARD": "._np_dense",
    "NORM_EPS": "._np_dense",
    "batch_norm_map": "._np_dense",
    "layer_norm_map": "._np_dense",
    "dense_forward": "._np_dense",
    "sklearn_init_": "._layers",
    "RNN_GATES": "._macs",
    "recurrent_macs": "._macs",
    "ConvLayer": "._kinds",
    "EmbedLayer": "._kinds",
    "FlatDense": "._kinds",
    "GlobalPoolLayer": "._kinds",
    "PoolLayer": "._kinds",
    "RecurrentLayer": "._kinds",
    "Spec": "._spec",
    "LayerSpec": "._spec",
    "LAYER_KINDS": "._spec",
    "Dense": "._spec",
    "Conv": "._spec",
    "Pool": "._spec",
    "Flatten": "._spec",
    "GlobalPool": "._spec",
    "Recurrent": "._spec",
    "Embed": "._spec",
    "evaluating": "._modes",
    "in_mode": "._modes",
    "snapshot_modes": "._modes",
    "Network": "._network",
    "count_parameters": "._network",
    "load_device": "._network",
    "resolve_device": "._network",
    "PortablePickle": "._pickling",
    "portable_state": "._pickling",
    "unpickled_placement": "._pickling",
}

__getattr__, __dir__, __all__ = lazy_exports(__name__, _EXPORTS)
