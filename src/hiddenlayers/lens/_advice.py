"""The words of the lens report's advice: what each "not available" note tells the reader to do.

The report is built from Python (``hl.lens.report``) and from the command line (``hiddenlayers inspect``); a note's fix
names the caller's own means ("pass y", ``--target COLUMN``). The lens keeps Python's words here and takes a caller's in
their place (``report(advice=...)``), so it never needs to know the command line.
"""

from __future__ import annotations

from typing import Any

#: the fix each "not available" note of :func:`report` gives, by key, in Python's words; a caller with other words (the CLI names
#: its options) passes ``report(advice={key: words})``: "labels" (the probes without y), "landscape-labels" (the loss landscape
#: without y), "landscape-loss" (a model with no loss the report can evaluate), "data" (no data report for an input that is no table),
#: "data-all" (the Data section ran the fast checks only: how to run them all)
ADVICE = {
    "labels": "pass y (one label per row) to probe the layers",
    "landscape-labels": "pass y to the report to see the loss around the fitted weights",
    "landscape-loss": "call hl.lens.loss_landscape(model, X, y, loss=your_loss) to draw it",
    "data": "pass data_report=hl.check(...) for the data it came from",
    "data-all": "hl.check(X, y) runs them all",
}


def report_advice(advice: Any) -> dict[str, str]:
    """:data:`ADVICE` with ``advice``'s words (a mapping of some of its keys to sentences) in place; an unknown key or a
    value that is no text is one line, before any work."""
    if advice is None:
        return dict(ADVICE)
    if not hasattr(advice, "items"):
        raise TypeError(f"advice must be a dict of {', '.join(ADVICE)} to sentences. Received: {type(advice).__name__}.")
    from ..data import did_you_mean

    for key, words in advice.items():
        if key not in ADVICE:
            raise ValueError(f"unknown advice key {key!r}: the keys are {', '.join(ADVICE)}.{did_you_mean([str(key)], list(ADVICE))}")
        if not isinstance(words, str) or not words.strip():
            raise TypeError(f"advice[{key!r}] must be a sentence (a non-empty str). Received: {words!r}.")
    return {**ADVICE, **{k: str(v).strip().rstrip(".") for k, v in advice.items()}}


__all__ = ["ADVICE", "report_advice"]
