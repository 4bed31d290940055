"""Lens benchmarks: recording overhead, CKA timing, full report time.

Run: ``.venv/bin/python benchmarks/bench_lens.py [recording] [cka] [report]`` (default: all three parts, in that
order). Prints medians and ratios.
Goals (issue 4): recording every hidden layer at batch 1,024 on
100->256->128->64->10 costs <= 1.2x a plain forward; the full report for
10,000 rows and 4 hidden layers takes < 30 s on 2 cores. Peers, in the same
process: bare forward hooks (the floor for any hook-based recorder), Captum's
``LayerActivation`` and, when installed (``pip install 'hiddenlayers[bench]'``),
torchlens — measured last, because it wraps torch functions for the rest of
the process. Every peer's activations are checked equal to the network's own.
"""

from __future__ import annotations

import argparse
import statistics
import time
import warnings
from collections.abc import Callable

import numpy as np
import torch


def median_time(fn: Callable[[], object], repeats: int = 30, warmup: int = 5) -> float:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


LAYERS = ("hidden1", "hidden2", "hidden3")


def _peers(net: torch.nn.Module, x: torch.Tensor) -> dict[str, Callable[[], object]]:
    """Ways to get every hidden layer's output in one forward pass, by name (all in the same process)."""
    from captum.attr import LayerActivation

    from hiddenlayers.lens import recording

    def plain() -> object:
        with torch.inference_mode():
            return net(x)

    def ours() -> object:
        with torch.inference_mode(), recording(net, list(LAYERS), pre=False) as rec:
            net(x)
        return [rec.outputs[n][0] for n in LAYERS]

    def ours_pre() -> object:
        with torch.inference_mode(), recording(net, list(LAYERS)) as rec:
            net(x)
        return [rec.outputs[n][0] for n in LAYERS]

    def bare_hooks() -> object:
        # The least any hook-based recorder can do: register, keep a reference, remove.
        outs: list[torch.Tensor] = []
        handles = [getattr(net, n).register_forward_hook(lambda _m, _i, o: outs.append(o)) for n in LAYERS]
        try:
            with torch.inference_mode():
                net(x)
        finally:
            for h in handles:
                h.remove()
        return outs

    captum = LayerActivation(net, [getattr(net, n) for n in LAYERS])

    def captum_layer_activation() -> object:
        with torch.inference_mode():
            return list(captum.attribute(x))

    return {"plain forward": plain, "hiddenlayers, outputs only": ours, "hiddenlayers, + pre-activations": ours_pre,
            "bare forward hooks": bare_hooks, "Captum LayerActivation": captum_layer_activation}


def _check_same(net: torch.nn.Module, x: torch.Tensor, fn: Callable[[], object], name: str) -> None:
    with torch.inference_mode():
        _, expected = net(x, return_hidden=True)
    got = fn()
    if not all(torch.equal(a, b) for a, b in zip(expected, got)) or len(got) != len(expected):  # type: ignore[arg-type]
        raise RuntimeError(f"{name} recorded different activations than the network returns")


def bench_recording() -> None:
    from hiddenlayers import Network
    from hiddenlayers.lens import record

    torch.manual_seed(0)
    net = Network(100, "256,128,64", 10).eval()
    x = torch.randn(1024, 100)
    fns = _peers(net, x)
    for name, fn in fns.items():
        if name != "plain forward":
            _check_same(net, x, fn, name)
    # Interleave the peers so background load on shared cores hits them alike, and
    # keep the fastest round's median of each: the least disturbed by other work.
    times: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(9):
        for name, fn in fns.items():
            times[name].append(median_time(fn, 30))
    best = {name: min(ts) for name, ts in times.items()}
    p = best["plain forward"]
    print("recording hidden1..hidden3, 100->256->128->64->10, batch 1024, same process (ratio = time / plain forward)")
    for name, s in best.items():
        goal = "  (goal <= 1.2)" if name == "hiddenlayers, outputs only" else ""
        print(f"  {name:34s} {s * 1e3:8.3f} ms   x{s / p:.2f}{goal}")
    _bench_torchlens(net, x, p)
    X = np.random.default_rng(0).normal(size=(10_000, 100)).astype(np.float32)
    r = median_time(lambda: record(net, X, stream=True, sample=1), 5, 1)
    print(f"  record(), 10,000 rows, streaming statistics: {r * 1e3:.1f} ms")


def _bench_torchlens(net: torch.nn.Module, x: torch.Tensor, plain_s: float) -> None:
    """torchlens last: it wraps torch functions process-wide on first use, which slows every later forward."""
    try:
        import torchlens as tl
    except ImportError:
        print(f"  {'torchlens':34s} not installed (pip install 'hiddenlayers[bench]')")
        return
    sel = tl.module(LAYERS[0])
    for n in LAYERS[1:]:
        sel = sel | tl.module(n)

    def traced() -> object:
        with torch.no_grad():  # its faster mode here (inference_mode: ~30% slower)
            tr = tl.trace(net, x, save=sel)
        return [tr[n].out for n in LAYERS]

    _check_same(net, x, traced, "torchlens")
    t = median_time(traced, 5, 1)
    print(f"  {'torchlens ' + tl.__version__ + ' trace':34s} {t * 1e3:8.3f} ms   x{t / plain_s:.2f}")

    def plain() -> object:
        with torch.inference_mode():
            return net(x)

    after = min(median_time(plain, 30) for _ in range(5))
    print(f"  {'plain forward after torchlens':34s} {after * 1e3:8.3f} ms   x{after / plain_s:.2f}  (torchlens keeps torch functions wrapped after its first trace)")


def bench_cka() -> None:
    from hiddenlayers.lens import cka

    rng = np.random.default_rng(0)
    A, B = rng.normal(size=(1000, 256)), rng.normal(size=(1000, 128))
    At, Bt = torch.from_numpy(A), torch.from_numpy(B)
    print("linear CKA, 1,000 rows, 256 x 128 features")
    for unbiased in (False, True):
        t = median_time(lambda u=unbiased: cka(At, Bt, unbiased=u), 30, 3)
        print(f"  {'unbiased' if unbiased else 'biased  '}  {t * 1e3:8.3f} ms")
    _bench_cka_peer()


def _bench_cka_peer() -> None:
    """Every hidden layer against every other on one model: ours vs torch-cka, same data, same estimator."""
    try:
        from torch_cka import CKA
    except ImportError:
        print("  (torch-cka not installed: pip install 'hiddenlayers[bench]' to compare with it)")
        return
    from torch.utils.data import DataLoader, TensorDataset

    from hiddenlayers import Network
    from hiddenlayers.lens import layer_similarity

    torch.manual_seed(0)
    net = Network(100, "256,128,64", 10).eval()
    x = torch.randn(1000, 100)
    names = list(LAYERS)
    loader = DataLoader(TensorDataset(x), batch_size=len(x))  # one batch: torch-cka's estimate is then the full-data one

    def peer() -> np.ndarray:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "identical model names", "no second dataloader"
            c = CKA(net, net, model1_layers=names, model2_layers=names)
            import contextlib
            import io

            with contextlib.redirect_stderr(io.StringIO()):  # its tqdm bar
                c.compare(loader)
            for m in net.modules():  # it never removes its hooks; keep the model clean for the next round
                m._forward_hooks.clear()
        return c.hsic_matrix.numpy()

    def ours() -> np.ndarray:
        return layer_similarity(net, x, layers=names, unbiased=True).matrix

    diff = float(np.max(np.abs(peer() - ours())))
    rounds = [(median_time(ours, 10, 2), median_time(peer, 10, 2)) for _ in range(3)]
    t_ours, t_peer = min(r[0] for r in rounds), min(r[1] for r in rounds)
    print(f"every hidden layer vs every other (3x3, unbiased), 1,000 rows, {' -> '.join(['100', '256', '128', '64'])}:")
    print(f"  hiddenlayers layer_similarity  {t_ours * 1e3:8.2f} ms")
    print(f"  torch-cka CKA.compare          {t_peer * 1e3:8.2f} ms   x{t_peer / t_ours:.1f} ours; largest difference {diff:.1e}")


def bench_report() -> None:
    import hiddenlayers as hl
    from hiddenlayers.lens import GradientFlow, report

    rng = np.random.default_rng(0)
    n, d = 10_000, 20
    X = rng.normal(size=(n, d)).astype(np.float32)
    y = (X[:, :3].sum(1) + 0.5 * np.sin(X[:, 3] * 2) > 0).astype(int) + (X[:, 4] > 1).astype(int)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t = time.perf_counter()
        clf = hl.MLPClassifier((128, 64, 32, 16), max_iter=10, random_state=0, callbacks=[GradientFlow(X[:512])]).fit(X, y)
        fit_s = time.perf_counter() - t
        t, c = time.perf_counter(), time.process_time()
        rep = report(clf, X, y)
        html = rep.html
        rep_s, rep_cpu = time.perf_counter() - t, time.process_time() - c
    print(f"full report, {n:,} rows, 4 hidden layers (128,64,32,16): {rep_s:.1f} s (goal < 30 s), {rep_cpu:.1f} CPU s; page {len(html) / 1e6:.2f} MB")
    print("  cumulative by stage: " + ", ".join(f"{k} {v:.1f}s" for k, v in rep.timings.items()))
    print(f"  (training 10 epochs with GradientFlow took {fit_s:.1f} s)")


PARTS: dict[str, Callable[[], None]] = {"recording": bench_recording, "cka": bench_cka, "report": bench_report}


def main() -> None:
    ap = argparse.ArgumentParser(description="Lens benchmarks: recording overhead, CKA timing, full report time.")
    ap.add_argument("parts", nargs="*", metavar="PART", help=f"parts to run, of {', '.join(PARTS)} (default: all three)")
    args = ap.parse_args()
    unknown = [part for part in args.parts if part not in PARTS]
    if unknown:
        ap.error(f"unknown part {unknown[0]!r}: use one of {', '.join(PARTS)}")
    torch.set_num_threads(min(2, torch.get_num_threads()))
    for part in args.parts or list(PARTS):
        PARTS[part]()


if __name__ == "__main__":
    main()
