"""Train: the fit loop, the hand-written back-propagation engine, optimizers,
losses, stopping rules and callbacks, L-BFGS, the progress bar, and
``explain`` (one forward and backward pass written out with real numbers)."""

from __future__ import annotations

from .._lazy import lazy_exports

_EXPORTS = {
    "train": "._loop",
    "TrainResult": "._loop",
    "to_tensor": "._loop",
    "Loss": "._losses",
    "LOSSES": "._losses",
    "get_loss": "._losses",
    "FlatParams": "._optim",
    "Optimizer": "._optim",
    "Schedule": "._optim",
    "SCHEDULES": "._optim",
    "SOLVERS": "._optim",
    "clip_grad_norm_": "._optim",
    "make_optimizer": "._optim",
    "fit_lbfgs": "._lbfgs",
    "GradientReversal": "._dann",
    "dann_lambda": "._dann",
    "grad_reverse": "._dann",
    "train_dann": "._dann",
    "copy_hidden_layers": "._freeze",
    "file_sha256": "._freeze",
    "frozen": "._freeze",
    "resolve_frozen": "._freeze",
    "ProgressBar": "._progress",
    "SklearnLines": "._progress",
    "STOP_REASONS": "._stopping",
    "AnyOf": "._stopping",
    "Callback": "._stopping",
    "History": "._stopping",
    "LossBelow": "._stopping",
    "MaxEpochs": "._stopping",
    "NoImprovement": "._stopping",
    "StoppingRule": "._stopping",
    "TimeLimit": "._stopping",
    "TrainState": "._stopping",
    "PRECISIONS": "._precision",
    "check_precision": "._precision",
    "Explanation": "._explain",
    "explain": "._explain",
    "DistributedError": "._distributed",
    "distributed_world": "._distributed",
    "gradient_sync": "._distributed",
    "init_from_env": "._distributed",
    "is_writer": "._distributed",
    "load_checkpoint": "._distributed",
    "reduce_sum": "._distributed",
    "save_checkpoint": "._distributed",
    "shutdown_distributed": "._distributed",
}

__getattr__, __dir__, __all__ = lazy_exports(__name__, _EXPORTS)
