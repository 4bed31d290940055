"""Server metrics in the Prometheus text format (version 0.0.4), written by hand.

Requests by endpoint and status, a latency histogram, batch-size histograms
(rows and requests per forward pass), the queue depth, the model version and
reloads. Each worker process keeps its own (a ``pid`` label tells them apart);
no prometheus_client dependency at run time.
"""

from __future__ import annotations

import bisect
import collections
import os
from collections.abc import Callable

LATENCY_BUCKETS = (0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024)


class _Histogram:
    def __init__(self, buckets: tuple[float, ...]) -> None:
        self.buckets = buckets
        self.counts = [0] * (len(buckets) + 1)
        self.sum = 0.0
        self.n = 0

    def observe(self, value: float) -> None:
        self.counts[bisect.bisect_left(self.buckets, value)] += 1
        self.sum += value
        self.n += 1

    def lines(self, name: str, labels: str) -> list[str]:
        out, acc = [], 0
        for b, c in zip(self.buckets, self.counts):
            acc += c
            out.append(f'{name}_bucket{{{labels},le="{b:g}"}} {acc}')
        out.append(f'{name}_bucket{{{labels},le="+Inf"}} {self.n}')
        out.append(f"{name}_sum{{{labels}}} {self.sum!r}")
        out.append(f"{name}_count{{{labels}}} {self.n}")
        return out


class Metrics:
    """Counters and histograms one server process updates; :meth:`render` writes them as Prometheus text.

    ``queue_depth`` and ``model_version`` are read when rendered (callables),
    so they are always current.
    """

    def __init__(self, queue_depth: Callable[[], int], model_version: Callable[[], int]) -> None:
        self.requests: collections.Counter[tuple[str, int]] = collections.Counter()
        self.latency = _Histogram(LATENCY_BUCKETS)
        self.batch_rows = _Histogram(BATCH_BUCKETS)
        self.batch_requests = _Histogram(BATCH_BUCKETS)
        self.reloads: collections.Counter[str] = collections.Counter()
        self.queue_depth, self.model_version = queue_depth, model_version
        self.pid = os.getpid()

    def request(self, endpoint: str, status: int, seconds: float) -> None:
        """Count one answered request; predictions also feed the latency histogram (seconds)."""
        self.requests[(endpoint, status)] += 1
        if endpoint in ("/predict", "/predict_proba"):
            self.latency.observe(seconds)

    def batch(self, rows: int, requests: int) -> None:
        self.batch_rows.observe(rows)
        self.batch_requests.observe(requests)

    def render(self) -> str:
        pid = f'pid="{self.pid}"'
        lines = ["# HELP hiddenlayers_requests_total Requests answered, by endpoint and HTTP status.", "# TYPE hiddenlayers_requests_total counter"]
        for (ep, status), n in sorted(self.requests.items()):
            lines.append(f'hiddenlayers_requests_total{{{pid},endpoint="{ep}",status="{status}"}} {n}')
        for name, hist, text in (
            ("hiddenlayers_request_seconds", self.latency, "Time from request received to answer ready, /predict and /predict_proba, in seconds."),
            ("hiddenlayers_batch_rows", self.batch_rows, "Rows per forward pass."),
            ("hiddenlayers_batch_requests", self.batch_requests, "Requests answered by one forward pass."),
        ):
            lines += [f"# HELP {name} {text}", f"# TYPE {name} histogram", *hist.lines(name, pid)]
        lines += ["# HELP hiddenlayers_queue_depth Requests waiting for a forward pass.", "# TYPE hiddenlayers_queue_depth gauge",
                  f"hiddenlayers_queue_depth{{{pid}}} {self.queue_depth()}",
                  "# HELP hiddenlayers_model_version Reload counter of the model being served (1 = as started).", "# TYPE hiddenlayers_model_version gauge",
                  f"hiddenlayers_model_version{{{pid}}} {self.model_version()}",
                  "# HELP hiddenlayers_reloads_total Model reloads, by result.", "# TYPE hiddenlayers_reloads_total counter"]
        for result in ("ok", "failed"):
            lines.append(f'hiddenlayers_reloads_total{{{pid},result="{result}"}} {self.reloads[result]}')
        return "\n".join(lines) + "\n"


__all__ = ["Metrics"]
