"""The :class:`~hiddenlayers.apps.SequenceClassifier` application, one idea per module.

``sequence``: the ``SequenceClassifier`` estimator (fit, predict, its model
file); ``data``: the accepted forms of ``X`` and their padding; ``net``: the
``SequenceNetwork`` whose layers read only each sample's own steps; ``long``: the sequences
of a long table (one row per time step), for ``SequenceClassifier.fit_long``.
:class:`~hiddenlayers.apps.TextClassifier` (``apps/_text.py``) builds on all
three. The public class is re-exported by :mod:`hiddenlayers.apps`; the old
module paths (``apps._sequence``, ``apps._seqdata``, ``apps._seqnet``) are
aliased in ``hiddenlayers/_compat.py`` so pickles made before this package
existed still load.
"""
