"""training's thread rule: small networks fit on one thread, sized by their widest layer or, for conv layers, their forward cost."""

from __future__ import annotations

import torch

from hiddenlayers.training._loop import SMALL_BATCH_MACS, _forward_macs, _one_thread_pays, thread_limits

CPU = torch.device("cpu")


def _cnn(channels: int = 8) -> torch.nn.Module:
    return torch.nn.Sequential(
        torch.nn.Conv2d(1, channels, 3, padding=1), torch.nn.BatchNorm2d(channels), torch.nn.ReLU(), torch.nn.Flatten(),
        torch.nn.Linear(channels * 8 * 8, 10),
    )


def test_forward_macs_counts_the_convolution_and_the_dense_layer():
    net = _cnn(8)
    # conv: 8 x 8 positions x 8 channels x 9 taps; linear: 512 x 10 (batch norm and ReLU are not matmuls)
    assert _forward_macs(net, torch.zeros(1, 1, 8, 8)) == 8 * 8 * 8 * 9 + 512 * 10
    assert _forward_macs(net, torch.zeros(4, 1, 8, 8)) == 8 * 8 * 8 * 9 + 512 * 10  # per row


def test_the_probe_leaves_training_mode_and_batch_norm_statistics_alone():
    net = _cnn(8).train()
    before = net[1].running_mean.clone(), int(net[1].num_batches_tracked)
    _forward_macs(net, torch.randn(1, 1, 8, 8))
    assert net.training and torch.equal(net[1].running_mean, before[0]) and int(net[1].num_batches_tracked) == before[1]


def test_small_conv_fits_take_one_thread_big_ones_keep_every_thread():
    small, big = _cnn(8), _cnn(256)
    x = torch.zeros(1, 1, 8, 8)
    assert _forward_macs(small, x) * 32 < SMALL_BATCH_MACS < _forward_macs(big, x) * 512
    assert _one_thread_pays(small, 32, CPU, x)
    assert not _one_thread_pays(big, 512, CPU, x)
    assert not _one_thread_pays(small, 32, CPU, None)  # no sample (sparse input): the conv network's cost is unknown
    assert not _one_thread_pays(small, 32, torch.device("meta"), x)  # not the CPU
    dense = torch.nn.Sequential(torch.nn.Linear(64, 32), torch.nn.ReLU(), torch.nn.Linear(32, 10))
    assert _one_thread_pays(dense, 200, CPU) and not _one_thread_pays(torch.nn.Linear(2048, 2048), 256, CPU)


def test_thread_limits_restores_the_thread_count():
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        with thread_limits(_cnn(8), 32, CPU, numpy_engine=False, sample=torch.zeros(1, 1, 8, 8)):
            assert torch.get_num_threads() == 1
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)


def test_inference_threads_one_thread_for_a_small_pass_every_thread_for_a_large_one():
    from hiddenlayers.training import inference_threads

    small, big = _cnn(8), _cnn(256)
    x = torch.zeros(3, 1, 8, 8)
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        with inference_threads(small, x, 1):
            assert torch.get_num_threads() == 1
        assert torch.get_num_threads() == 2
        with inference_threads(big, x, 1024):  # 1024 rows of ~5e6 multiply-adds: the threads pay
            assert torch.get_num_threads() == 2
        with inference_threads(small, x[:0], 0):  # no rows: nothing to size, nothing changed
            assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)


def test_a_dense_networks_row_is_counted_from_its_weights_without_a_forward_pass():
    # before: every network's row ran through FlopCounterMode, whose first use imports torch._dynamo (seconds), paid by the
    # first predict of a small dense app; the weights give the same count for Linear layers, norms and embeddings
    from hiddenlayers.training._inference_threads import row_macs

    dense = torch.nn.Sequential(torch.nn.Linear(12, 32), torch.nn.BatchNorm1d(32), torch.nn.ReLU(), torch.nn.Dropout(0.1),
                                torch.nn.Linear(32, 16), torch.nn.LayerNorm(16), torch.nn.Linear(16, 3))
    calls: list[int] = []
    hook = dense.register_forward_hook(lambda *_: calls.append(1))
    x = torch.randn(5, 12)
    assert row_macs(dense, x) == 12 * 32 + 32 * 16 + 16 * 3 == _forward_macs(dense, x)
    assert len(calls) == 1  # the one pass above was _forward_macs' own
    hook.remove()
    looked_up = torch.nn.Sequential(torch.nn.Embedding(10, 8), torch.nn.Flatten(), torch.nn.Linear(16, 4))
    pairs = torch.tensor([[1, 2], [3, 4]])
    assert row_macs(looked_up, pairs) == 16 * 4 == _forward_macs(looked_up, pairs)
    assert row_macs(_cnn(8), torch.zeros(1, 1, 8, 8)) == _forward_macs(_cnn(8), torch.zeros(1, 1, 8, 8))  # conv: the counted pass
