"""``python -m hiddenlayers`` (and ``torchrun -m hiddenlayers``): the command line."""

from .cli import main

if __name__ == "__main__":  # not on a plain import (docs tools and module walks import every module)
    main()
