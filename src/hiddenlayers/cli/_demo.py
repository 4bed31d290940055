"""The ``demo`` command: the main job on the bundled digits data, in well under a minute."""

from __future__ import annotations

import time
import warnings
from pathlib import Path
from typing import Any

from ._common import check_output, clean, note, print_json

DEFAULT_OUT = Path("out") / "demo-digits.safetensors"
HIDDEN = "128,64"


def run_demo(*, out: str | None, epochs: int, seed: int, force: bool, as_json: bool) -> dict[str, Any]:
    """Train on digits (progress bar, gradient flow recorded), compare with scikit-learn's MLP, save the model and the lens report."""
    # The demo may replace its own default output on a re-run; a path the user names is protected.
    path = DEFAULT_OUT if out is None else check_output(out, force=force, what="--out")
    if out is None:
        DEFAULT_OUT.parent.mkdir(exist_ok=True)  # the demo's own folder; a user's --out folder must exist
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.model_selection import train_test_split
    from sklearn.neural_network import MLPClassifier as SkMLP

    from ..data import TablePreprocessor, load_table
    from ..training import STOP_REASONS
    from ._train import fit_model, gradient_flow_callback, make_estimator, metrics

    frame = load_table("digits")
    X, y = frame.drop(columns=["target"]), frame["target"].to_numpy()
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.25, random_state=seed, stratify=y)
    pre = TablePreprocessor().fit(X_tr)
    A_tr, A_te = pre.transform(X_tr).matrix, pre.transform(X_te).matrix

    params = {"hidden_layer_sizes": HIDDEN, "max_iter": epochs, "early_stopping": True, "n_iter_no_change": 10}
    model = make_estimator("classification", params, seed, quiet=as_json)
    # Gradient flow per epoch (one forward pass on 512 rows each): the report's gradient-flow section shows it.
    model.set_params(callbacks=[gradient_flow_callback(A_tr, seed)])
    start = time.perf_counter()
    fit_model(model, A_tr, y_tr)
    ours_s = time.perf_counter() - start
    ours = metrics(model, A_te, y_te)["accuracy"]

    sk = SkMLP(hidden_layer_sizes=(128, 64), max_iter=epochs, early_stopping=True, random_state=seed)
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        sk.fit(A_tr, y_tr)
    sk_s = time.perf_counter() - start
    sk_acc = float((sk.predict(A_te) == y_te).mean())

    model.preprocessing_ = {**pre.to_dict(), "target": "target", "task": "classification"}
    model.save(path)
    report = _write_report(model, A_te, y_te, path.with_suffix(".html"))
    result = clean({
        "dataset": "digits", "train_rows": len(y_tr), "test_rows": len(y_te), "hidden": HIDDEN,
        "hiddenlayers": {"accuracy": ours, "seconds": round(ours_s, 2), "epochs": int(model.n_iter_)},
        "sklearn": {"accuracy": sk_acc, "seconds": round(sk_s, 2), "epochs": int(sk.n_iter_)},
        "stop_reason": model.stop_reason_, "stop_message": STOP_REASONS.get(model.stop_reason_ or "", ""),
        "model": str(path), "report": report,
    })
    _show(result, as_json)
    return result


def _write_report(model: Any, X_test: Any, y_test: Any, path: Path) -> str | None:
    """The lens report, if that part of the library is installed; its path or ``None``."""
    try:
        from ..lens import report
    except ImportError:
        note("hiddenlayers.lens is not available yet: skipped the inspection report")
        return None
    report(model, X_test, y_test).save(path)
    return str(path)


def _show(r: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print_json(r)
        return
    from rich.console import Console
    from rich.table import Table

    con = Console()
    t = Table(title=f"digits: held-out accuracy on {r['test_rows']} images (trained on {r['train_rows']}), hidden layers {r['hidden']}", title_justify="left")
    for col in ("model", "accuracy", "epochs", "seconds"):
        t.add_column(col, justify="left" if col == "model" else "right")
    for name, key in (("hiddenlayers MLPClassifier", "hiddenlayers"), ("scikit-learn MLPClassifier", "sklearn")):
        t.add_row(name, f"{r[key]['accuracy']:.4f}", str(r[key]["epochs"]), f"{r[key]['seconds']:.2f}")
    con.print(t)
    con.print(f"stop reason: {r['stop_reason']} ({r['stop_message']})")
    con.print(f"model saved to {r['model']}  (try: hiddenlayers info {r['model']})")
    if r["report"]:
        con.print(f"report written to {r['report']}")
