"""The space a search explores (depth, widths, activations, learning rates),
and the parameter and FLOP counts its constraints use.

Its own module because the search loop (``_search``) and the trial objective
(``_search_run``) both read it, and neither should import the other.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass


def flops_of(n_in: int, widths: list[int], n_out: int) -> int:
    """FLOPs of one prediction of a dense stack: 2 per multiply-add (as torch's counter)."""
    dims = [n_in, *widths, n_out]
    return int(sum(2 * a * b for a, b in zip(dims[:-1], dims[1:])))


def params_of(n_in: int, widths: list[int], n_out: int) -> int:
    dims = [n_in, *widths, n_out]
    return int(sum(a * b + b for a, b in zip(dims[:-1], dims[1:])))



@dataclass(frozen=True)
class SearchSpace:
    """What :func:`search` may try. Ranges are ``(low, high)``; equal ends fix a value.

    ``layers``: min and max number of hidden layers; ``widths``: the widths a
    layer may take; ``funnel=True`` keeps only non-increasing widths (the
    usual shape, and a much smaller space).
    """

    layers: tuple[int, int] = (1, 3)
    widths: tuple[int, ...] = (16, 32, 64, 128, 256)
    funnel: bool = False
    activations: tuple[str, ...] = ("relu", "tanh")
    learning_rate_init: tuple[float, float] = (3e-4, 3e-2)  # Adam: slower rates rarely finish in time
    alpha: tuple[float, float] = (1e-6, 1e-2)
    dropout: tuple[float, float] = (0.0, 0.0)
    batch_sizes: tuple[int, ...] = (32, 64, 128, 256)

    def hidden_choices(self, n_in: int, n_out: int, max_params: int | None = None, max_flops: int | None = None) -> list[str]:
        """Every allowed hidden-layer spec as text ("64,32"), within the budgets."""
        lo, hi = self.layers
        if not (isinstance(lo, int) and isinstance(hi, int) and 1 <= lo <= hi <= 8):
            raise ValueError(f"layers must be (min, max) with 1 <= min <= max <= 8. Received: layers={self.layers!r}.")
        if not self.widths or any(not isinstance(w, int) or w < 1 for w in self.widths):
            raise ValueError(f"widths must be positive integers. Received: widths={self.widths!r}.")
        out = []
        for n in range(lo, hi + 1):
            for combo in itertools.product(sorted(set(self.widths), reverse=True), repeat=n):
                if self.funnel and any(a < b for a, b in zip(combo, combo[1:])):
                    continue
                dims = [n_in, *combo, n_out]
                if max_params is not None and params_of(n_in, list(combo), n_out) > max_params:
                    continue
                if max_flops is not None and sum(2 * a * b for a, b in zip(dims[:-1], dims[1:])) > max_flops:
                    continue
                out.append(",".join(map(str, combo)))
        if len(out) > 50_000:
            raise ValueError(f"the space holds {len(out):,} hidden-layer specs: use fewer widths, fewer layers or funnel=True.")
        return out
