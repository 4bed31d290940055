"""Transfer sunspots -> CO2 for the Forecaster: start a short CO2 history from a sunspots model's hidden layers.

Source: a Forecaster on the 309 yearly sunspot numbers (statsmodels), 12 past
values per window, ``target="delta"``. Target: Mauna Loa CO2, monthly
(statsmodels, 526 values); the last 60 months are held out and only a short
history before them is given for training (36, 60 or 120 months). Both series
cycle over 11-12 steps (the solar cycle in years, the seasons in months), which
is what the source's hidden layers may carry over. Over seeds it compares:
the naive forecast (last value), the sunspots model as is (no adaptation),
a Forecaster trained from scratch on the short history, and ``init_from`` the
sunspots model with k = 0 / 1 / 2 hidden layers frozen. The metric is the
one-step RMSE (ppm) over the 60 held-out months, each forecast reading the
true history before it. The per-layer domain shift (sunspot windows vs CO2
windows, through the source network; CKA to the fine-tuned k=0 model) goes to
one HTML page.

Run: python examples/transfer_sunspots_co2.py
     python examples/transfer_sunspots_co2.py --smoke   # seconds: 1 seed, 36 months, 30 epochs (not the RESULTS.md numbers)
"""

import argparse
import time
import warnings
from pathlib import Path

import numpy as np
import torch

import hiddenlayers as hl
from hiddenlayers.data import load_co2, load_sunspots

REPORTS = Path(__file__).parent / "reports"
CONFIG = dict(window=12, hidden_layer_sizes=(32, 16), target="delta")
N_TEST = 60


def rmse(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.sqrt(np.mean((np.asarray(a) - np.asarray(b)) ** 2)))


def one_step(f: hl.Forecaster, s: np.ndarray) -> np.ndarray:
    """One-step forecasts of the last ``N_TEST`` values of ``s``, each from the true values before it."""
    return f.predict(s[len(s) - N_TEST - f.window :])[:-1, 0]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--smoke", action="store_true", help="seconds-long check of the same code path (1 seed, 36 months, 30 epochs)")
    p.add_argument("--seeds", type=int, default=5, help="seeds 0..n-1 of the target fits; default 5")
    p.add_argument(
        "--out-dir", type=Path, default=None, help=f"folder for the HTML page (default {REPORTS}, or {REPORTS / 'smoke'} with --smoke)"
    )
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    """Fit the source, then per history length and seed every arm; print the RMSE table; write the page."""
    args = parse_args(argv)
    out_dir = args.out_dir or (REPORTS / "smoke" if args.smoke else REPORTS)
    seeds, histories, cfg = (1, (36,), {**CONFIG, "max_iter": 30}) if args.smoke else (args.seeds, (36, 60, 120), CONFIG)
    torch.set_num_threads(1)  # small networks: one thread is fastest, and the machine is shared
    warnings.simplefilter("ignore")
    t0 = time.perf_counter()
    sun, co2 = load_sunspots().to_numpy(), load_co2().to_numpy()
    src = hl.Forecaster(random_state=0, **cfg).fit(sun)
    test = co2[-N_TEST:]
    print(f"source: sunspots, {len(sun)} years, {src.n_iter_} epochs; target: CO2, the last {N_TEST} months held out")
    print(f"  naive (last value)               RMSE {rmse(co2[-N_TEST - 1 : -1], test):.3f} ppm")
    print(f"  sunspots model as is (no adapt.) RMSE {rmse(one_step(src, co2), test):.3f} ppm")
    arms = {"from scratch": None, "init_from, k=0": 0, "init_from, k=1": 1, "init_from, k=2 (new head only)": 2}
    tuned = None
    for months in histories:
        train = co2[-N_TEST - months : -N_TEST]
        scores: dict[str, list[float]] = {a: [] for a in arms}
        for seed in range(seeds):
            for name, k in arms.items():
                kw = {} if k is None else {"init_from": src, "freeze": k}
                f = hl.Forecaster(random_state=seed, **cfg, **kw).fit(train)
                scores[name].append(rmse(one_step(f, co2), test))
                if k == 0 and seed == 0 and tuned is None:
                    tuned = (f, train)
        print(f"history {months} months ({months - CONFIG['window']} windows), {seeds} seed(s), one-step RMSE (ppm), mean ± std:")
        for name, v in scores.items():
            print(f"  {name:32s} {np.mean(v):.3f} ± {np.std(v):.3f}  ({', '.join(f'{x:.3f}' for x in v)})")
    assert tuned is not None
    f, train = tuned
    shift = hl.lens.domain_shift(
        src.network_,
        src.network_input(sun),
        f.network_input(co2[: len(co2) - N_TEST]),
        tuned=f.network_,
        n_permutations=50 if args.smoke else 200,
    )
    from rich.console import Console

    Console(width=140).print(shift.table())
    page = out_dir / "transfer_sunspots_co2.html"
    page.parent.mkdir(parents=True, exist_ok=True)
    hl.lens.Report("sunspots -> CO2 (Forecaster)" + (" (smoke run)" if args.smoke else ""), [shift.html_section()]).save(page)
    print(f"report: {page}")
    print(f"wall time {time.perf_counter() - t0:.1f} s")


if __name__ == "__main__":
    main()
