"""Where a fitted model keeps its network: one lookup for every stage, free of PyTorch.

An estimator or application keeps its ``torch.nn.Module`` in ``network_``; a reinforcement agent
(:class:`~hiddenlayers.apps.DQNAgent`) in ``q_network_``. The lens, ``cost``, ``prune``'s generator
guard, the exporter and the server each asked both names in their own words; they ask here. No import
of torch, so the ONNX server's path stays free of it.
"""

from __future__ import annotations

from typing import Any

NETWORK_ATTRS = ("network_", "q_network_")  # in the order asked: a model with both is read by its network_


def network_of(model: Any) -> Any | None:
    """The network a fitted ``model`` keeps (``network_``, else a DQNAgent's ``q_network_``), or None when it has neither
    (unfitted, or not one of ours). What it holds is not checked: callers that need a module check that themselves.

    Parameters
    ----------
    model : object
        An estimator, application or agent, fitted or not.

    Examples
    --------
    >>> class Agent:
    ...     q_network_ = "the Q-network"
    >>> network_of(Agent()), network_of(object())
    ('the Q-network', None)
    """
    for name in NETWORK_ATTRS:
        network = getattr(model, name, None)
        if network is not None:
            return network
    return None
