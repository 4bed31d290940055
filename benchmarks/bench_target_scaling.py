"""Target scaling side by side: held-out R² and MAE of four regressors with the same settings.

Peers, each on the same split and standardized X (StandardScaler fitted on the training rows),
``hidden_layer_sizes=(100,)``, adam, ``learning_rate_init=1e-3``, ``alpha=1e-4``, ``max_iter=200``,
no early stopping, seeds 0..N-1:

- scikit-learn ``MLPRegressor`` (y as it is)
- scikit-learn ``TransformedTargetRegressor(MLPRegressor, StandardScaler)`` (its documented recipe)
- hiddenlayers ``MLPRegressor(scale_target=False)`` (the Python default, scikit-learn's behaviour)
- hiddenlayers ``MLPRegressor(scale_target=True)`` (``hiddenlayers train``'s default for regression)

Data: scikit-learn's diabetes (442 rows, target 25-346) and statsmodels' Grunfeld investment
panel (220 rows: invest, 0.9-1486, from value, capital and year). Prints one line per peer and
the ratio of each peer's MAE to the scaled hiddenlayers model's.

    python benchmarks/bench_target_scaling.py --seeds 3
"""

from __future__ import annotations

import argparse
import warnings

import numpy as np


def _datasets() -> dict[str, tuple[np.ndarray, np.ndarray]]:
    from sklearn.datasets import load_diabetes
    from statsmodels.datasets import grunfeld

    X, y = load_diabetes(return_X_y=True)
    g = grunfeld.load_pandas().data
    Xg = g[["value", "capital", "year"]].astype(float).to_numpy()
    return {"diabetes": (X, y), "grunfeld": (Xg, g["invest"].astype(float).to_numpy())}


def _peers(seed: int) -> dict[str, object]:
    from sklearn.compose import TransformedTargetRegressor
    from sklearn.neural_network import MLPRegressor as SkMLP
    from sklearn.preprocessing import StandardScaler

    import hiddenlayers as hl

    common = dict(hidden_layer_sizes=(100,), learning_rate_init=1e-3, alpha=1e-4, max_iter=200, random_state=seed)
    return {
        "sklearn MLPRegressor": SkMLP(**common),
        "sklearn TTR(MLP, StandardScaler)": TransformedTargetRegressor(regressor=SkMLP(**common), transformer=StandardScaler()),
        "hl MLPRegressor(scale_target=False)": hl.MLPRegressor(**common, device="cpu"),
        "hl MLPRegressor(scale_target=True)": hl.MLPRegressor(**common, device="cpu", scale_target=True),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    args = parser.parse_args()
    from sklearn.metrics import mean_absolute_error, r2_score
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    warnings.simplefilter("ignore")  # ConvergenceWarning at max_iter: the plan, for every peer alike
    for name, (X, y) in _datasets().items():
        X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.2, random_state=0)
        sx = StandardScaler().fit(X_tr)
        X_tr, X_te = sx.transform(X_tr), sx.transform(X_te)
        print(f"\n{name}: {len(y_tr)} training rows, {len(y_te)} held out; target mean {y_tr.mean():.1f}, std {y_tr.std():.1f}")
        scores: dict[str, list[tuple[float, float]]] = {}
        for seed in range(args.seeds):
            for peer, model in _peers(seed).items():
                pred = model.fit(X_tr, y_tr).predict(X_te)  # type: ignore[attr-defined]
                scores.setdefault(peer, []).append((r2_score(y_te, pred), mean_absolute_error(y_te, pred)))
        ref = np.mean([m for _, m in scores["hl MLPRegressor(scale_target=True)"]])
        for peer, rows in scores.items():
            r2 = [r for r, _ in rows]
            mae = np.mean([m for _, m in rows])
            print(f"  {peer:36s} R2 mean {np.mean(r2):7.3f} (per seed {', '.join(f'{r:.3f}' for r in r2)})  "
                  f"MAE {mae:8.2f}  MAE / scaled hl MAE {mae / ref:5.2f}")


if __name__ == "__main__":
    main()
