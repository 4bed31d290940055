"""Look inside hidden layers: recording, statistics, CKA, probes, neurons, attribution, report.

>>> import hiddenlayers as hl
>>> acts = hl.lens.record(clf, X)          # {"hidden1": (N, units), ...}
>>> hl.lens.summary(clf, X)                # Rich table: dead / saturated units, effective rank
>>> hl.lens.report(clf, X, y).save("report.html")
"""

from __future__ import annotations

from .attribution import attribute, feature_importance, layer_attribution, neuron_attribution
from .gradflow import GradientFlow, gradient_flow_table
from .neurons import NeuronMaps, neuron_maps, top_activating
from .probes import ProbeResult, probe
from .projection import project, project_2d
from .record import Recording, record, recording, select_layers
from .report import Report, report
from .similarity import CKAResult, cka, cka_matrix, layer_similarity
from .stats import LayerStats, layer_stats
from .summary import summary

__all__ = [
    "CKAResult",
    "GradientFlow",
    "LayerStats",
    "NeuronMaps",
    "ProbeResult",
    "Recording",
    "Report",
    "attribute",
    "cka",
    "cka_matrix",
    "feature_importance",
    "gradient_flow_table",
    "layer_attribution",
    "layer_similarity",
    "layer_stats",
    "neuron_attribution",
    "neuron_maps",
    "probe",
    "project",
    "project_2d",
    "record",
    "recording",
    "report",
    "select_layers",
    "summary",
    "top_activating",
]
