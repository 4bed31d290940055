"""A numpydoc "Parameters" section kept beside a function rather than inside its docstring.

A public entry point with twenty or thirty parameters (``search``, ``train``, ``lens.report``) needs as many lines to
document each of them once; inside the docstring they would push the function past the project's 80-line limit
although its code did not grow. :func:`parameters_section` writes the section, held in a module constant just above
the function, into ``__doc__`` at import, where ``help()``, the API reference (mkdocstrings reads the live objects) and
``tests/test_docstrings.py`` read it, as :func:`hiddenlayers._params.document` writes the estimators' sections.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])

#: numpydoc sections that follow "Parameters": the section goes before the first of them
_LATER = ("Returns", "Yields", "Raises", "Warns", "See Also", "Notes", "References", "Examples")


def parameters_section(section: str) -> Callable[[F], F]:
    """Decorator: insert ``section`` into the function's docstring, before its first later numpydoc section.

    The function is returned itself, its ``__doc__`` rewritten; nothing wraps it.

    Parameters
    ----------
    section : str
        The whole section, starting with its ``Parameters`` and ``----------`` lines (indentation is removed).
    """
    text = inspect.cleandoc(section)
    if not text.startswith("Parameters\n----------\n"):
        raise ValueError("section must start with a 'Parameters' line underlined with dashes.")

    def decorate(func: F) -> F:
        lines = inspect.cleandoc(func.__doc__ or "").splitlines()
        cut = next((i for i, line in enumerate(lines[:-1]) if line.strip() in _LATER and set(lines[i + 1].strip()) == {"-"}),
                   len(lines))
        head = "\n".join(lines[:cut]).rstrip()
        tail = "\n".join(lines[cut:]).strip()
        func.__doc__ = "\n\n".join(part for part in (head, text, tail) if part) + "\n"
        return func

    return decorate


__all__ = ["parameters_section"]
