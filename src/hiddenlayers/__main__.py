"""``python -m hiddenlayers`` (and ``torchrun -m hiddenlayers``): the command line."""

from .cli import main

main()
