"""Look inside hidden layers: recording, statistics, CKA, probes, neurons, timelapse, preferred inputs, attribution, loss landscape, report.

>>> import hiddenlayers as hl
>>> from sklearn.datasets import load_iris
>>> X, y = load_iris(return_X_y=True)
>>> clf = hl.MLPClassifier((16, 8), max_iter=100, random_state=0).fit(X, y)
>>> acts = hl.lens.record(clf, X)          # {"hidden1": (N, units), ...}
>>> acts["hidden1"].shape
(150, 16)
>>> hl.lens.summary(clf, X)                # prints a Rich table: dead / saturated units, effective rank  # doctest: +SKIP
>>> hl.lens.report(clf, X, y).save("report.html")  # writes one self-contained page  # doctest: +SKIP
"""

from __future__ import annotations

from ._advice import ADVICE as REPORT_ADVICE
from ._attribution import BASELINES as ATTRIBUTION_BASELINES
from ._attribution import attribute, feature_importance, layer_attribution, neuron_attribution
from ._freeze_curve import FreezeCurve, freeze_curve
from ._gradflow import KEY as GRADIENT_FLOW_KEY
from ._gradflow import GradientFlow, gradient_flow_table
from ._landscape import loss_landscape
from ._landscape_result import LossLandscape
from ._methods import METHODS as ATTRIBUTION_METHODS
from ._neurons import NeuronMaps, neuron_maps, top_activating
from ._preferred import preferred_inputs
from ._preferred_result import PreferredInputs
from ._probes import ProbeResult, probe
from ._projection import Projection, project, project_2d
from ._record import Recording, record, recording, select_layers
from ._report import REPORT_SECTIONS, Report, report, report_sections
from ._shift import DomainShift, LayerShift, domain_shift
from ._similarity import CKAResult, cka, cka_matrix, layer_similarity
from ._smooth import SMOOTHINGS as ATTRIBUTION_SMOOTHINGS
from ._stats import MIN_DEAD_ROWS, LayerStats, dead_unknown_note, layer_stats
from ._summary import summary
from ._target import Target, as_target
from ._timelapse import Timelapse, TimelapseFrame

__all__ = [
    "ATTRIBUTION_BASELINES",
    "ATTRIBUTION_METHODS",
    "ATTRIBUTION_SMOOTHINGS",
    "GRADIENT_FLOW_KEY",
    "MIN_DEAD_ROWS",
    "REPORT_ADVICE",
    "REPORT_SECTIONS",
    "CKAResult",
    "DomainShift",
    "FreezeCurve",
    "GradientFlow",
    "LayerShift",
    "LayerStats",
    "LossLandscape",
    "NeuronMaps",
    "PreferredInputs",
    "ProbeResult",
    "Projection",
    "Recording",
    "Report",
    "Target",
    "Timelapse",
    "TimelapseFrame",
    "as_target",
    "attribute",
    "cka",
    "cka_matrix",
    "dead_unknown_note",
    "feature_importance",
    "freeze_curve",
    "gradient_flow_table",
    "layer_attribution",
    "domain_shift",
    "layer_similarity",
    "layer_stats",
    "loss_landscape",
    "neuron_attribution",
    "neuron_maps",
    "preferred_inputs",
    "probe",
    "project",
    "project_2d",
    "record",
    "recording",
    "report",
    "report_sections",
    "select_layers",
    "summary",
    "top_activating",
]
