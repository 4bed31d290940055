"""The Translator's Adam (apps/_translate/adam.py): torch.optim.Adam's step, bit for bit, without building a torch optimizer."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from hiddenlayers.apps import Translator
from hiddenlayers.apps._translate.adam import TorchAdam


class _Net(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.embed = torch.nn.Embedding(7, 4)
        self.rnn = torch.nn.GRU(4, 5, batch_first=True)
        self.head = torch.nn.Linear(5, 3)
        self.unused = torch.nn.Linear(2, 2)  # never given a gradient: left as it is, as torch leaves it

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        out, _ = self.rnn(self.embed(ids))
        return self.head(out[:, -1])


@pytest.mark.parametrize("lr", [1e-3, 0.05])
def test_its_steps_are_torch_adams_bit_for_bit(lr: float) -> None:
    torch.manual_seed(0)
    ours, theirs = _Net(), _Net()
    theirs.load_state_dict(ours.state_dict())
    opt_ours, opt_theirs = TorchAdam(ours.parameters(), lr=lr), torch.optim.Adam(theirs.parameters(), lr=lr)
    g = torch.Generator().manual_seed(1)
    for step in range(6):
        ids, y = torch.randint(0, 7, (8, 5), generator=g), torch.randint(0, 3, (8,), generator=g)
        for net, opt in ((ours, opt_ours), (theirs, opt_theirs)):
            opt.zero_grad()
            loss = torch.nn.functional.cross_entropy(net(ids), y)
            if step % 3 == 2:  # a step where one tensor has no gradient at all
                loss = loss + 0 * net.head.bias.sum()
                net.head.weight.grad = None
            loss.backward()
            if step % 3 == 2:
                net.head.weight.grad = None
            opt.step()
        for (name, a), b in zip(ours.named_parameters(), theirs.parameters()):
            assert torch.equal(a, b), (step, name)
    assert torch.equal(ours.unused.weight, theirs.unused.weight)
    opt_ours.zero_grad()
    assert all(p.grad is None for p in ours.parameters())  # set to None, as torch's zero_grad() does by default


def test_a_translator_fit_builds_no_torch_optimizer(monkeypatch: pytest.MonkeyPatch) -> None:
    # building a torch.optim.Optimizer imports torch._dynamo (~2.6 s a process): the fit no longer builds one
    def refused(*args: object, **kwargs: object) -> None:
        raise AssertionError("the Translator's fit built a torch.optim.Optimizer")

    monkeypatch.setattr(torch.optim.Optimizer, "__init__", refused)
    rng = np.random.default_rng(0)
    words = ["a", "b", "c", "d"]
    S = [" ".join(rng.choice(words, size=3)) for _ in range(24)]
    tr = Translator(hidden_size=8, embed_dim=4, batch_size=8, max_iter=2, early_stopping=False, random_state=0).fit(S, S)
    assert tr.n_iter_ == 2 and len(tr.predict(S[:2])) == 2
