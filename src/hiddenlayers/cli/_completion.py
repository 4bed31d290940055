"""``hiddenlayers --show-completion [SHELL]`` and ``--install-completion [SHELL]``: the shell named, else the one detected.

Why: Typer's two options are flags when ``shellingham`` is installed (it is, with Typer): the shell is always the one
detected from the parent processes, and a shell named after the option was ignored. ``--show-completion zsh`` typed in
bash printed bash's script, ``--install-completion fish`` wrote bash's file and start-up line, and under ``sh`` (a
Dockerfile's ``RUN``, where a script is made for the image's users) both said only "Shell sh not supported.". Here a
shell named after the option is the one used, anything else after it is refused, and a shell that cannot be detected
or is not supported is one line naming the ones that are.
"""

from __future__ import annotations

import sys

from ._common import UserError

#: the shells Typer writes completion for (``typer._completion_shared.Shells``)
SHELLS = ("bash", "zsh", "fish", "powershell", "pwsh")
_OPTIONS = ("--show-completion", "--install-completion")
_PROG, _VAR = "hiddenlayers", "_HIDDENLAYERS_COMPLETE"


def completion_command(argv: list[str]) -> bool:
    """Run ``argv`` when it asks for completion (:data:`_OPTIONS` first, then an optional shell): True, else False (the
    command line is the group's to parse). Raises :class:`UserError` for a shell that is not supported, or more after it.

    Parameters
    ----------
    argv : list of str
        The command line after ``hiddenlayers``.
    """
    if not argv or argv[0] not in _OPTIONS:
        return False
    option, given = argv[0], argv[1:]
    if len(given) > 1:
        raise UserError(f"{option} takes one shell at most ({', '.join(SHELLS)}). Received: {' '.join(given)!r}.")
    shell = given[0] if given else _detected()
    if shell not in SHELLS:
        said = f"'{shell}' is not a shell it supports" if given else (f"this shell ({shell}) is not one it supports" if shell else "no shell was detected")
        raise UserError(f"{option}: {said}: name one of {', '.join(SHELLS)}, e.g. `hiddenlayers {option} bash`.")
    from typer._completion_shared import get_completion_script, install

    if option == "--show-completion":
        sys.stdout.write(get_completion_script(prog_name=_PROG, complete_var=_VAR, shell=shell) + "\n")
    else:
        _, path = install(shell=shell, prog_name=_PROG, complete_var=_VAR)
        sys.stdout.write(f"{shell} completion installed in {path}\nCompletion will take effect once you restart the terminal\n")
    return True


def _detected() -> str | None:
    """The shell this command runs under, as Typer detects it (``shellingham``; lower case), or None."""
    try:
        import shellingham
    except ImportError:  # Typer without it: no detection
        return None
    try:
        name, _ = shellingham.detect_shell()
    except shellingham.ShellDetectionFailure:
        return None
    return str(name).lower()


__all__ = ["SHELLS", "completion_command"]
