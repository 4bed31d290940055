"""The apps' batched forward pass (apps/_fit.forward_batches): eval mode, bounded batches, and the inference thread rule."""

from __future__ import annotations

import torch

from hiddenlayers.apps._fit import forward_batches


def _threads_seen(module: torch.nn.Module, X: torch.Tensor, batch_size: int) -> tuple[list[int], torch.Tensor]:
    seen: list[int] = []
    hook = module.register_forward_hook(lambda *_: seen.append(torch.get_num_threads()))
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        forward_batches(module, X, batch_size)  # the first call counts one row's multiply-adds (a forward of its own)
        seen.clear()
        out = forward_batches(module, X, batch_size)
        assert torch.get_num_threads() == 2
    finally:
        hook.remove()
        torch.set_num_threads(before)
    return seen, out


def test_a_large_pass_keeps_the_threads_a_small_one_takes_one() -> None:
    # before: one thread for every batch, so an 8,192-row predict of a wide network left the other cores idle
    torch.manual_seed(0)
    wide = torch.nn.Sequential(torch.nn.Linear(1024, 1024), torch.nn.Dropout(0.5)).train()  # ~1e6 multiply-adds a row
    X = torch.randn(96, 1024)
    seen, out = _threads_seen(wide, X, batch_size=64)  # 64 rows: 6.7e7 multiply-adds a call, over the 5e7 line
    assert seen == [2, 2] and wide.training  # the mode restored after
    with torch.no_grad():
        assert torch.allclose(out, wide[0](X), rtol=1e-5, atol=1e-5)  # eval: no dropout; equal within float32 rounding
    seen, _ = _threads_seen(wide, X, batch_size=32)  # 32 rows a call: 3.4e7, a small pass
    assert seen == [1, 1, 1]
    seen, _ = _threads_seen(torch.nn.Linear(8, 4), torch.randn(20_000, 8), batch_size=8192)
    assert seen == [1, 1, 1]
