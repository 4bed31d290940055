"""One-step and 5-step forecasts of yearly sunspots and monthly Mauna Loa CO2 (statsmodels' data sets).

The last stretch of each series is held out (sunspots 1960-2008, CO2 the
last 60 months). Each model sees the true history before every forecast
(rolling one-step). Baselines: naive (last value) and AutoReg with the lag
order chosen by AIC on the training part. The hiddenlayers number is the
average forecast of 5 Forecasters (seeds 0-4); the single models' mean and
spread are printed too. A second column scores the same models by a
rolling-origin backtest over the held-out stretch (``Forecaster.backtest``,
as sktime's ``evaluate`` and darts' ``backtest``): from every origin in it
(stride 1), forecast the next 5 values from the true values before it (recursively,
no refit) and average the MAE over the origins; AutoReg forecasts dynamically
from each origin, naive repeats the last value. The lens report of the first sunspots Forecaster
(seed 0), on every lag window of the series labelled with the value that
follows it, is written to examples/reports/forecast_sunspots.html.

Run: python examples/forecast_sunspots.py
     python examples/forecast_sunspots.py --smoke   # seconds: the last 160/240 values, 30 epochs (not the RESULTS.md numbers)
"""

import argparse
import time
from pathlib import Path

import numpy as np
import torch
from statsmodels.tsa.ar_model import AutoReg, ar_select_order

import hiddenlayers as hl
from hiddenlayers.data import load_co2, load_sunspots

REPORTS = Path(__file__).parent / "reports"


def rmse(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.sqrt(np.mean((np.asarray(a) - np.asarray(b)) ** 2)))


#: Values each backtest fold forecasts (years for sunspots, months for CO2).
STEPS = 5


def backtest_maes(s: np.ndarray, n_test: int, ar: object, models: list) -> dict[str, object]:
    """The rolling-origin backtest over the last ``n_test`` values of ``s``: each origin's ``STEPS``-step MAE, averaged.

    Every origin in the test part with ``STEPS`` values after it (stride 1); the models use only the values
    before it. Returns the folds, the naive and AutoReg MAEs (``ar``: AutoReg's results applied to all of
    ``s``), each Forecaster's (``Forecaster.backtest``) and the MAE of their averaged forecasts.
    """
    window = models[0].window
    folds = n_test - STEPS + 1
    held = s[-n_test - window :]  # the test part and a window before it: the first origin is the first test value
    bts = [f.backtest(held, steps=STEPS, folds=folds, stride=1) for f in models]
    origins = len(s) - n_test + bts[0].folds["origin"].to_numpy() - window  # positions in s
    truth = np.stack([s[o : o + STEPS] for o in origins])
    ar_pred = np.stack([ar.predict(start=o, end=o + STEPS - 1, dynamic=True) for o in origins])
    windows = np.stack([s[o - window : o] for o in origins])
    mean_pred = np.mean([f.forecast_many(STEPS, windows) for f in models], axis=0)  # (folds, STEPS)
    return {"folds": folds, "naive": bts[0].mean["naive_mae"], "ar": float(np.mean(np.abs(ar_pred - truth))),
            "single": [bt.mean["mae"] for bt in bts], "mean": float(np.mean(np.abs(mean_pred - truth)))}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command line: ``--smoke`` for a seconds-long run on short series, ``--out-dir`` for the lens report's folder."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--smoke", action="store_true", help="seconds-long check of the same code path: the last 160 (sunspots) / 240 (CO2) values, 30 epochs")
    p.add_argument("--out-dir", type=Path, default=None, help=f"folder for the lens report (default {REPORTS}, or {REPORTS / 'smoke'} with --smoke)")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    """Fit the baselines and 5 Forecasters per series, print the RMSE table, write the lens report."""
    args = parse_args(argv)
    out_dir = args.out_dir or (REPORTS / "smoke" if args.smoke else REPORTS)
    torch.set_num_threads(1)  # small networks: one thread is fastest, and the machine is shared
    t0 = time.perf_counter()
    cases = [
        ("sunspots (yearly)", load_sunspots().to_numpy(), 49, dict(window=10, hidden_layer_sizes=(32,), target="delta")),
        ("co2 (monthly ppm)", load_co2().to_numpy(), 60, dict(window=24, hidden_layer_sizes=(64,), target="delta")),
    ]
    if args.smoke:  # short series (the most recent values), short test parts, few epochs
        cases = [(name, s[-keep:], n_test, dict(cfg, max_iter=30)) for (name, s, _, cfg), keep, n_test in zip(cases, (160, 240), (20, 24))]
    first: dict = {}  # the seed-0 model of each series
    for name, s, n_test, cfg in cases:
        t = time.perf_counter()
        train, test = s[:-n_test], s[-n_test:]
        naive = rmse(s[-n_test - 1 : -1], test)
        lags = ar_select_order(train, maxlag=30, ic="aic").ar_lags
        p = max(lags) if lags else 1
        ar_fit = AutoReg(train, lags=p).fit().apply(s)  # the training part's coefficients, on the whole series
        ar = ar_fit.predict(start=len(train), end=len(s) - 1)
        preds, models = [], []
        for seed in range(5):
            f = hl.Forecaster(random_state=seed, **cfg).fit(train)
            first.setdefault(name, (f, s))
            models.append(f)
            preds.append(f.predict(s[len(train) - f.window :])[:-1, 0])  # one-step forecasts of the test values
        single = [rmse(pr, test) for pr in preds]
        bt = backtest_maes(s, n_test, ar_fit, models)
        print(f"{name}: train {len(train)}, test {n_test}; one-step RMSE | backtest: mean {STEPS}-step MAE over {bt['folds']} origins (stride 1)")
        print(f"  naive (last value)        {naive:.3f} | {bt['naive']:.3f}")
        print(f"  AutoReg({p}) (AIC)         {rmse(ar, test):.3f} | {bt['ar']:.3f}")
        print(f"  Forecaster x5 (mean)      {rmse(np.mean(preds, 0), test):.3f} | {bt['mean']:.3f}   single models {np.mean(single):.3f} ± {np.std(single):.3f}"
              f" | {np.mean(bt['single']):.3f} ± {np.std(bt['single']):.3f}  ({time.perf_counter() - t:.1f} s)")
    t = time.perf_counter()
    f, s = first["sunspots (yearly)"]
    report_path = out_dir / "forecast_sunspots.html"
    report_path.parent.mkdir(parents=True, exist_ok=True)
    # The network reads lag windows (f.network_input(series)); each window of s[:-1] is labelled with the value after it.
    lags = [f"t-{k}" for k in range(f.window, 0, -1)]
    title = "Inside the sunspots Forecaster (label: next year's sunspots)" + (" (smoke run)" if args.smoke else "")
    hl.lens.report(f, s[:-1], s[f.window :], title=title, feature_names=lags).save(report_path)
    print(f"lens report: {report_path} ({time.perf_counter() - t:.1f} s)")
    print(f"wall time {time.perf_counter() - t0:.1f} s")


if __name__ == "__main__":
    main()
