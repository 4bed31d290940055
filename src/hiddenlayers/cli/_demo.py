"""The ``demo`` command: the main job on the bundled digits data, in well under a minute."""

from __future__ import annotations

import statistics
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ._common import Steps, UserError, check_output, clean, note, print_json, print_table, stdout_console

DEFAULT_OUT = Path("out") / "demo-digits.safetensors"
DIGIT_SHAPE = (8, 8)  # digits' 64 pixel columns, pixel_0_0 .. pixel_7_7, row by row
HIDDEN = "128,64"
#: Bare fits per library for the speed comparison (the median is shown): a few, so the demo stays short.
REPEATS = 3
#: CPU threads each library gets for the timed fits. One: digits' matrices (batch 200 x 128) gain little from more,
#: and a multi-threaded BLAS on a busy machine can stall (scikit-learn's fit here: 7.7 s on 2 threads, 0.36 s on 1).
TIMING_THREADS = 1
TIMING = "bare fit vs bare fit (same split and settings, no callbacks, no progress bar, {threads} CPU thread{s} each), median of {n} runs"


def run_demo(*, out: str | None, epochs: int, seed: int, force: bool, as_json: bool) -> dict[str, Any]:
    """Train on digits, compare bare fits with scikit-learn's MLP fairly, save the model and the lens report.

    The model the user watches train (progress bar, gradient flow recorded
    for the report) is the one saved. The speed comparison times *bare* fits
    on both sides (same split, hidden sizes, solver, early stopping, epoch
    limit and :data:`TIMING_THREADS` CPU threads; median of :data:`REPEATS`);
    what the extras cost (progress bar with gradient-flow recording, writing
    the report) is shown apart.
    """
    # The demo may replace its own default output on a re-run; a path the user names is protected.
    if epochs < 1:  # before the output check: an existing --out never hides a bad option
        raise UserError(f"--epochs must be an integer >= 1. Received: {epochs}.")
    path = DEFAULT_OUT if out is None else check_output(out, force=force, what="--out")
    if out is None:
        DEFAULT_OUT.parent.mkdir(exist_ok=True)  # the demo's own folder; a user's --out folder must exist
    import torch
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier as SkMLP
    from threadpoolctl import threadpool_limits

    from ..training import STOP_REASONS
    from ._data import metrics
    from ._train import fit_model, gradient_flow_callback, make_estimator

    pre, A_tr, A_te, y_tr, y_te = _digits_split(seed)
    # Every setting the two libraries share, written once: both sides get exactly these.
    shared = {"hidden_layer_sizes": (128, 64), "solver": "adam", "max_iter": epochs, "early_stopping": True, "n_iter_no_change": 10}

    ours_s: list[float] = []
    sk_s: list[float] = []
    threads, before = TIMING_THREADS, torch.get_num_threads()
    # Every timed fit gets the same CPU thread budget: PyTorch's intra-op pool, and the BLAS pool scikit-learn's MLP runs on.
    torch.set_num_threads(threads)
    try:
        with threadpool_limits(limits=threads, user_api="blas"), warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            warnings.filterwarnings("error", message=_SK_INTERRUPTED, category=UserWarning)  # its Ctrl-C, raised: see _sk_fit
            # The fit the user watches: progress bar, and gradient flow per epoch (one forward pass on 512 rows) for the report.
            model = make_estimator("classification", shared, seed, quiet=as_json)
            model.set_params(callbacks=[gradient_flow_callback(A_tr, seed)])
            shown_s = _timed(_our_fit, fit_model, model, A_tr, y_tr)
            for _ in range(REPEATS):  # alternate the two so drifting machine load hits both alike
                bare = make_estimator("classification", shared, seed, quiet=True)
                ours_s.append(_timed(_our_fit, fit_model, bare, A_tr, y_tr))
                sk = SkMLP(**shared, random_state=seed)
                sk_s.append(_timed(_sk_fit, sk, A_tr, y_tr))
    finally:
        torch.set_num_threads(before)
    bare_acc = metrics(bare, A_te, y_te)["accuracy"]
    ours = metrics(model, A_te, y_te)["accuracy"]
    sk_acc = float((sk.predict(A_te) == y_te).mean())

    model.preprocessing_ = {**pre.to_dict(), "target": "target", "task": "classification"}
    save_s = _timed(model.save, path)
    report_path = path.with_suffix(".html")
    start = time.perf_counter()
    with Steps("demo: report", quiet=as_json) as steps:  # a status line on a terminal while the report is drawn
        report = _write_report(model, A_te, y_te, report_path, steps)
    report_s = time.perf_counter() - start
    ours_med, sk_med = statistics.median(ours_s), statistics.median(sk_s)
    result = clean({
        "dataset": "digits", "train_rows": len(y_tr), "test_rows": len(y_te), "hidden": HIDDEN, "solver": "adam",
        "max_epochs": epochs, "timing": TIMING.format(threads=threads, s="" if threads == 1 else "s", n=REPEATS), "threads": threads,
        "hiddenlayers": {
            "accuracy": ours, "seconds": round(ours_med, 3), "epochs": int(bare.n_iter_), "runs": [round(t, 3) for t in ours_s],
            "device": next(model.network_.parameters()).device.type, "bare_accuracy": bare_acc,
        },
        "sklearn": {"accuracy": sk_acc, "seconds": round(sk_med, 3), "epochs": int(sk.n_iter_), "runs": [round(t, 3) for t in sk_s], "device": "cpu"},
        "time_ratio": round(ours_med / sk_med, 3) if sk_med > 0 else None,
        "extras": {
            "fit_as_shown_seconds": round(shown_s, 3), "progress_and_gradient_flow_seconds": round(shown_s - ours_med, 3),
            "save_seconds": round(save_s, 3), "report_seconds": round(report_s, 3) if report else None,
        },
        "epochs": int(model.n_iter_), "stop_reason": model.stop_reason_, "stop_message": STOP_REASONS.get(model.stop_reason_ or "", ""),
        "model": str(path), "report": report,
    })
    _show(result, as_json)
    return result


def _digits_split(seed: int) -> tuple[Any, Any, Any, Any, Any]:
    """Digits as a table, split 75/25 stratified by ``seed``: (preprocessing, train matrix, test matrix, y_train, y_test)."""
    from sklearn.model_selection import train_test_split

    from ..data import TablePreprocessor, load_table

    frame = load_table("digits")
    X, y = frame.drop(columns=["target"]), frame["target"].to_numpy()
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.25, random_state=seed, stratify=y)
    pre = TablePreprocessor().fit(X_tr)
    return pre, pre.transform(X_tr).matrix, pre.transform(X_te).matrix, y_tr, y_te


#: the start of the warning scikit-learn's MLP gives when it catches Ctrl-C and returns (a regular expression for the filter)
_SK_INTERRUPTED = "Training interrupted by user"


def _our_fit(fit_model: Callable[..., Any], model: Any, X: Any, y: Any) -> None:
    """``fit_model(model, X, y)``; a Ctrl-C the fit caught (it returns, ``stop_reason_`` ``"interrupted"``) stops the demo.

    Why: each fit takes Ctrl-C as "stop this fit" and returns, and the demo went on with its timed fits (seconds more),
    timed the cut one and saved a model and a report of it; now the demo stops, saves nothing, and exits 130.
    """
    fit_model(model, X, y)
    if model.stop_reason_ == "interrupted":
        raise KeyboardInterrupt


def _sk_fit(sk: Any, X: Any, y: Any) -> None:
    """scikit-learn's ``sk.fit(X, y)``; its Ctrl-C (caught, warned and returned from, the warning an error inside the demo's
    fits: :data:`_SK_INTERRUPTED`) stops the demo as :func:`_our_fit` does."""
    try:
        sk.fit(X, y)
    except UserWarning as exc:
        if str(exc).startswith(_SK_INTERRUPTED):
            raise KeyboardInterrupt from None
        raise


def _timed(fn: Callable[..., Any], *args: Any) -> float:
    """Seconds (wall clock) that ``fn(*args)`` takes."""
    start = time.perf_counter()
    fn(*args)
    return time.perf_counter() - start


def _write_report(model: Any, X_test: Any, y_test: Any, path: Path, steps: Steps) -> str | None:
    """The lens report, if that part of the library is installed; its path or ``None``. ``steps``: its progress on stderr."""
    try:
        from ..lens import report
    except ImportError:
        note("hiddenlayers.lens is not available yet: skipped the inspection report")
        return None
    rep = report(model, X_test, y_test, image_shape=DIGIT_SHAPE, progress=steps)  # the preferred inputs drawn as 8x8 digits, not 64 bars
    steps(f"writing {path}")
    rep.save(path)
    return str(path)


def _show(r: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print_json(r)
        return
    from .._rich_plain import PlainTable

    con = stdout_console()  # markup off: the model and report paths print as given
    con.print(f"digits: MLPClassifier, hidden layers {r['hidden']}, {r['solver']}, early stopping, at most {r['max_epochs']} epochs")
    t = PlainTable()
    for col in ("library", "device", "accuracy", "epochs", "fit seconds", "ms per epoch"):
        t.add_column(col, justify="left" if col in ("library", "device") else "right")
    for name, key in (("hiddenlayers", "hiddenlayers"), ("scikit-learn", "sklearn")):
        m = r[key]
        per_epoch = 1000 * m["seconds"] / max(m["epochs"], 1)
        t.add_row(name, m["device"], f"{m['accuracy']:.4f}", str(m["epochs"]), f"{m['seconds']:.2f}", f"{per_epoch:.1f}")
    print_table(con, t)
    con.print(f"accuracy on {r['test_rows']} held-out images; trained on {r['train_rows']}")
    ratio = f"; hiddenlayers took {r['time_ratio']:.2f}x scikit-learn's time" if r["time_ratio"] is not None else ""
    con.print(f"fit seconds: {r['timing']}{ratio}.")
    x = r["extras"]
    report = f", writing the report {x['report_seconds']:.2f} s" if x["report_seconds"] is not None else ""
    con.print(
        f"extras, not in the comparison: progress bar + gradient-flow recording {x['progress_and_gradient_flow_seconds']:+.2f} s "
        f"(the fit you watched took {x['fit_as_shown_seconds']:.2f} s){report}."
    )
    con.print(f"stop reason: {r['stop_reason']} ({r['stop_message']})")
    con.print(f"model saved to {r['model']}  (try: hiddenlayers info {r['model']})")
    if r["report"]:
        con.print(f"report written to {r['report']}  (open it in a web browser)")
