"""The ``stacklevel`` that makes a warning name the user's line: the first frame outside hiddenlayers.

A counted ``stacklevel`` breaks whenever a call path gains or loses a frame (in memory or
streamed, ``freeze="head_first"``'s phases, an application's own fit, ``train`` called
directly); walking the stack out of the package names the user's call on every path,
as Python 3.12's ``warnings.warn(skip_file_prefixes=...)`` does.
"""

from __future__ import annotations

import os
import sys

_PACKAGE = os.path.dirname(os.path.abspath(__file__)) + os.sep
#: the frames a decorator's wrapper adds (``@contextlib.contextmanager`` functions used as decorators, ``@np.errstate(...)``):
#: passed over as the package's own, so a decorated function's warning still names the user's line
_WRAPPER_FILES = ("contextlib.py", os.path.join("numpy", "_core", "_ufunc_config.py"))


def user_stacklevel(also: tuple[str, ...] = ()) -> int:
    """``stacklevel`` for a ``warnings.warn`` in the caller of this function: the first frame whose file is outside hiddenlayers.

    1 is that caller itself (as ``warnings.warn`` counts); a stack that is all hiddenlayers
    (``python -m hiddenlayers``) gives the outermost frame. A decorator's wrapper frame (:data:`_WRAPPER_FILES`) is
    passed over too (``@np.errstate`` on ``train_dann`` made its warnings name NumPy's file). ``also``: more folders to walk out of
    (scikit-learn's, for a transformer called by a ``Pipeline`` or ``GridSearchCV``).
    """
    prefixes = (_PACKAGE, *(os.path.abspath(p) + os.sep for p in also))
    frame = sys._getframe(1)  # the function that calls warnings.warn: stacklevel 1
    level = 1
    while frame.f_back is not None and (os.path.abspath(frame.f_code.co_filename).startswith(prefixes)
                                         or frame.f_code.co_filename.endswith(_WRAPPER_FILES)):
        frame = frame.f_back
        level += 1
    return level


__all__ = ["user_stacklevel"]
