"""training's thread rule: small networks fit on one thread, sized by their widest layer or, for conv layers, their forward cost."""

from __future__ import annotations

import pytest
import torch

from hiddenlayers.training import _macs
from hiddenlayers.training._loop import SMALL_BATCH_MACS, _one_thread_pays, thread_limits
from hiddenlayers.training._macs import forward_macs as _forward_macs

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


def test_the_fit_loops_thread_rule_counts_a_conv_or_recurrent_network_without_flop_counter_mode(monkeypatch):
    # before: FlopCounterMode, whose first use imports torch._dynamo (2.5-3 s), paid by a process's first fit of any app
    small, big = _cnn(8), _cnn(256)
    x = torch.zeros(1, 1, 8, 8)
    counts = _forward_macs(small, x), _forward_macs(big, x)
    monkeypatch.setattr(_macs, "forward_macs", lambda *a: pytest.fail("FlopCounterMode used"))
    assert _one_thread_pays(small, 32, CPU, x) and not _one_thread_pays(big, 512, CPU, x)
    assert counts[0] * 32 < SMALL_BATCH_MACS < counts[1] * 512
    lstm = torch.nn.LSTM(3, 5, batch_first=True)
    assert _one_thread_pays(lstm, 32, CPU, torch.zeros(1, 7, 3))


class _Packed(torch.nn.Module):
    """A bidirectional LSTM over each row's own steps (a PackedSequence, as apps/_seq runs one), rows padded with NaN."""

    def __init__(self) -> None:
        super().__init__()
        self.rnn = torch.nn.LSTM(3, 5, batch_first=True, bidirectional=True)

    def forward(self, x):
        lengths = (~x.isnan().any(-1)).sum(1)
        packed = torch.nn.utils.rnn.pack_padded_sequence(x.nan_to_num(), lengths, batch_first=True, enforce_sorted=False)
        return self.rnn(packed)[1][0][-1]


def test_a_recurrent_layer_reading_a_packed_row_counts_its_own_steps_without_flop_counter_mode(monkeypatch):
    # before: a packed input was an unknown kind, so a bidirectional SequenceClassifier's fit went to FlopCounterMode
    x = torch.zeros(2, 9, 3)
    x[0, 6:] = float("nan")  # row 0: 6 steps
    monkeypatch.setattr(_macs, "forward_macs", lambda *a: pytest.fail("FlopCounterMode used"))
    assert _macs.row_macs_of(_Packed(), x) == 6 * 2 * 4 * 5 * (3 + 5)


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


def test_a_rows_multiply_adds_are_counted_from_layer_shapes_without_flop_counter_mode(monkeypatch):
    # before: every network's row ran through FlopCounterMode, whose first use imports torch._dynamo (2.5-3 s here), paid by
    # an ImageClassifier's first predict; one plain pass with hooks on the weighted layers gives the same count, and counts
    # an LSTM, which FlopCounterMode's fused kernel counts as 0
    from hiddenlayers.training._inference_threads import row_macs

    dense = torch.nn.Sequential(torch.nn.Linear(12, 32), torch.nn.BatchNorm1d(32), torch.nn.ReLU(), torch.nn.Dropout(0.1),
                                torch.nn.Linear(32, 16), torch.nn.LayerNorm(16), torch.nn.Linear(16, 3))
    looked_up = torch.nn.Sequential(torch.nn.Embedding(10, 8), torch.nn.Flatten(), torch.nn.Linear(16, 4))
    gru, lstm = torch.nn.GRU(3, 5, batch_first=True), torch.nn.LSTM(3, 5, num_layers=2, bidirectional=True, batch_first=True)
    cases = [(dense, torch.randn(5, 12)), (looked_up, torch.tensor([[1, 2], [3, 4]])), (_cnn(8), torch.zeros(2, 1, 8, 8)),
             (gru, torch.zeros(2, 7, 3))]
    expected = [_forward_macs(net, x[:1]) for net, x in cases]
    assert expected[:2] == [12 * 32 + 32 * 16 + 16 * 3, 16 * 4] and expected[3] == 7 * 3 * 5 * (3 + 5)
    monkeypatch.setattr(_macs, "forward_macs", lambda *a: pytest.fail("FlopCounterMode used"))
    assert [row_macs(net, x) for net, x in cases] == expected
    assert row_macs(lstm, torch.zeros(2, 7, 3)) == 7 * 2 * 4 * 5 * (3 + 5) + 7 * 2 * 4 * 5 * (10 + 5)  # layer 2 reads both directions
    fresh = torch.nn.Sequential(torch.nn.Linear(4, 4), torch.nn.BatchNorm1d(4)).train()
    assert row_macs(fresh, torch.randn(3, 4)) == 16 and fresh.training  # one row through batch norm: counted in eval mode, put back


class _Odd(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.w = torch.nn.Parameter(torch.ones(4, 4))

    def forward(self, x):
        return x @ self.w


def test_a_weighted_layer_of_another_kind_is_counted_by_flop_counter_mode():
    from hiddenlayers.training._inference_threads import row_macs

    assert row_macs(_Odd(), torch.ones(3, 4)) == 16 == _forward_macs(_Odd(), torch.ones(1, 4))
