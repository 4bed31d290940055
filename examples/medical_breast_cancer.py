"""Breast-cancer diagnosis (scikit-learn's Wisconsin data): 5-fold accuracy, hiddenlayers vs scikit-learn MLP.

Both are the same Pipeline(StandardScaler, MLP with one hidden layer of 100
units, adam, max_iter=500, random_state=0) scored on the same stratified
5 folds. Finally one hiddenlayers model is fitted on all rows (with gradient
flow recorded) and its lens report is written to
examples/reports/medical_breast_cancer.html.

Run: python examples/medical_breast_cancer.py
"""

import time
import warnings
from pathlib import Path

import torch
from sklearn.datasets import load_breast_cancer
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.neural_network import MLPClassifier as SkMLP
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import hiddenlayers as hl

torch.set_num_threads(1)  # small networks: one thread is fastest, and the machine is shared
warnings.filterwarnings("ignore", category=ConvergenceWarning)
t0 = time.perf_counter()
data = load_breast_cancer()
X, y = data.data, data.target
folds = StratifiedKFold(5, shuffle=True, random_state=0)
print(f"breast cancer: {X.shape[0]} patients, {X.shape[1]} features, {y.mean():.1%} benign")
for name, clf in [("hiddenlayers.MLPClassifier", hl.MLPClassifier((100,), max_iter=500, random_state=0)), ("sklearn MLPClassifier", SkMLP((100,), max_iter=500, random_state=0))]:
    t = time.perf_counter()
    acc = cross_val_score(make_pipeline(StandardScaler(), clf), X, y, cv=folds)
    print(f"  {name:28s} 5-fold accuracy {acc.mean():.4f} ± {acc.std():.4f}  ({time.perf_counter() - t:.1f} s)")

# Look inside: one model on all rows (standardized, as in the pipeline), 300 rows for the report.
t = time.perf_counter()
Xs = StandardScaler().fit_transform(X)
clf = hl.MLPClassifier((100,), max_iter=500, random_state=0, callbacks=[hl.lens.GradientFlow(Xs[:200])]).fit(Xs, y)
report_path = Path(__file__).parent / "reports" / "medical_breast_cancer.html"
report_path.parent.mkdir(exist_ok=True)
sample = slice(0, 300)
hl.lens.report(clf, Xs[sample], y[sample], title="Inside a breast-cancer MLP", feature_names=list(data.feature_names)).save(report_path)
print(f"lens report: {report_path} ({time.perf_counter() - t:.1f} s)")
print(f"wall time {time.perf_counter() - t0:.1f} s")
