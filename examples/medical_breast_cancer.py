"""Breast-cancer diagnosis (scikit-learn's Wisconsin data): 5-fold accuracy, hiddenlayers vs scikit-learn MLP.

Both are the same Pipeline(StandardScaler, MLP with one hidden layer of 100
units, adam, max_iter=500, random_state=0) scored on the same stratified
5 folds.

Run: python examples/medical_breast_cancer.py
"""

import time
import warnings

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
X, y = load_breast_cancer(return_X_y=True)
folds = StratifiedKFold(5, shuffle=True, random_state=0)
print(f"breast cancer: {X.shape[0]} patients, {X.shape[1]} features, {y.mean():.1%} benign")
for name, clf in [("hiddenlayers.MLPClassifier", hl.MLPClassifier((100,), max_iter=500, random_state=0)), ("sklearn MLPClassifier", SkMLP((100,), max_iter=500, random_state=0))]:
    t = time.perf_counter()
    acc = cross_val_score(make_pipeline(StandardScaler(), clf), X, y, cv=folds)
    print(f"  {name:28s} 5-fold accuracy {acc.mean():.4f} ± {acc.std():.4f}  ({time.perf_counter() - t:.1f} s)")
print(f"wall time {time.perf_counter() - t0:.1f} s")
