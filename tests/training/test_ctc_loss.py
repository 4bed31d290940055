"""ctc_loss: PyTorch's CTC through the training loop's Loss interface (target rows carry frames, length and ids)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from hiddenlayers.training import ctc_loss, ctc_per_row, train


def rows() -> tuple[torch.Tensor, torch.Tensor]:
    """Logits (3, 6, 4) and target rows: frames 6/5/3, labels (1,2), (3,), (2,2)."""
    z = torch.randn(3, 6, 4, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    y = torch.tensor([[6, 2, 1, 2], [5, 1, 3, 0], [3, 2, 2, 2]], dtype=torch.float64)
    return z, y


def test_value_is_torch_ctc_per_row_and_weighted() -> None:
    z, y = rows()
    want = torch.stack([
        torch.nn.functional.ctc_loss(torch.log_softmax(z[i, :f], 1)[:, None], torch.tensor([lab]), torch.tensor([f]), torch.tensor([len(lab)]), reduction="sum")
        for i, (f, lab) in enumerate([(6, [1, 2]), (5, [3]), (3, [2, 2])])
    ])
    torch.testing.assert_close(ctc_per_row(z, y), want)
    loss = ctc_loss(2)
    torch.testing.assert_close(loss.value(z, y, None), want.sum())
    w = torch.tensor([1.0, 0.0, 2.0], dtype=torch.float64)
    torch.testing.assert_close(loss.value(z, y, w), want[0] + 2 * want[2])
    assert loss.y_columns(4) == 4


def test_grad_and_numpy_forms_agree_with_autograd() -> None:
    z, y = rows()
    zz = z.clone().requires_grad_(True)
    (want,) = torch.autograd.grad(ctc_per_row(zz, y).sum(), zz)
    loss = ctc_loss(2)
    torch.testing.assert_close(loss.grad(z, y), want)
    value, grad = loss.np_value_grad(z.numpy(), y.numpy(), None)
    assert value == pytest.approx(float(ctc_per_row(z, y).sum()))
    np.testing.assert_allclose(grad, want.numpy(), rtol=1e-6)
    np.testing.assert_allclose(loss.np_output(z.numpy()).sum(-1), 1.0)


def test_impossible_row_adds_nothing() -> None:
    """zero_infinity: a label of 3 symbols cannot come out of 2 frames; its loss and gradient are 0, not inf."""
    z = torch.zeros(1, 2, 4, dtype=torch.float64, requires_grad=True)
    y = torch.tensor([[2, 3, 1, 2, 3]], dtype=torch.float64)
    per = ctc_per_row(z, y)
    (grad,) = torch.autograd.grad(per.sum(), z)
    assert float(per.detach()) == 0.0 and float(grad.abs().sum()) == 0.0


def test_bad_max_label_and_shape_message() -> None:
    with pytest.raises(ValueError, match=r"^max_label must be an integer >= 1"):
        ctc_loss(0)
    net = torch.nn.Linear(3, 4)
    net.out_features = 4  # a module that states its outputs: the loop checks Y's width
    with pytest.raises(ValueError, match=r"Y must be \(n, 4\) .*output frames, label length and label ids per row for ctc"):
        train(net, torch.zeros(2, 3), torch.zeros(2, 5), loss=ctc_loss(2), max_epochs=1)
