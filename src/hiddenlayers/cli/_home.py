"""A leading ``~`` in a path the command line takes is the home folder, for every command and path option alike.

The shell expands ``~`` only when it is unquoted at the start of a word: ``hiddenlayers train "~/big"`` (quoted, as a glob
must be so that the shell leaves it to hiddenlayers) reached the command as ``~/big``, which no file system call expands.
A quoted glob was expanded (the streamed source expands its path), a quoted folder was not: ``train "~/big"`` said
"'~/big' is neither a file nor a bundled dataset", ``--out "~/m.safetensors"`` that folder '~' does not exist. So the
parameters that name a path (:data:`PATH_PARAMS`) are expanded once, as they are parsed, before any command sees them:
one rule in one place, rather than one call per command that each new command could miss.
"""

from __future__ import annotations

import os
import weakref
from collections.abc import Callable, Iterable
from typing import Any

#: the parameters, by their name in every command, that name a file, folder or glob: DATA and MODEL (``teacher`` too), the
#: outputs (``--out``, ``--out-dir``, ``--log``, ``--plot``, ``--html``, ``--timelapse``), and the other inputs (``--validation``,
#: ``--init-from``, ``--against``, ``--shift-from``, ``--unlabeled``, ``--storage``'s SQLite or journal file; a URL is left as it is)
PATH_PARAMS = frozenset({"data", "model", "teacher", "out", "out_dir", "log", "plot", "html", "timelapse", "validation", "init_from",
                         "against", "shift_from", "unlabeled", "storage"})


#: the Click parameters already given the expanding callback (kept here, not as an attribute set on Click's objects)
_EXPANDING: weakref.WeakSet[Any] = weakref.WeakSet()


def home_expanded(value: Any) -> Any:
    """``value`` with a leading ``~`` (or ``~user``) as the shell would expand it; anything else (None, ``-``, a bundled
    dataset's name, a URL) unchanged."""
    if isinstance(value, str) and value.startswith("~"):
        return os.path.expanduser(value)
    return value


def expand_home_paths(commands: Iterable[Any]) -> None:
    """Give each parameter of :data:`PATH_PARAMS` in ``commands`` (Click commands) a callback that expands ``~`` before its own
    callback (if any) runs; each parameter once, however often this is called."""
    for command in commands:
        expand_home_paths(getattr(command, "commands", {}).values())  # a group's own commands
        for param in getattr(command, "params", []):
            if param.name in PATH_PARAMS and param not in _EXPANDING:
                param.callback = _expanding(param.callback)
                _EXPANDING.add(param)


def _expanding(callback: Callable[..., Any] | None) -> Callable[..., Any]:
    """A Click parameter callback: ``~`` expanded, then ``callback`` (Click's ``(ctx, param, value)``) when there is one."""

    def expand(ctx: Any, param: Any, value: Any) -> Any:
        value = home_expanded(value)
        return value if callback is None else callback(ctx, param, value)

    return expand


__all__ = ["PATH_PARAMS", "expand_home_paths", "home_expanded"]
