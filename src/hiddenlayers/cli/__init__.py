"""The ``hiddenlayers`` command: one module per command group, ``_common`` for
what they share. Imports only Typer at start-up; each command imports PyTorch,
scikit-learn or pandas when it runs."""

from __future__ import annotations

from ._app import app, main

__all__ = ["app", "main"]
