"""The top-level keys of a JSON request body: every model kind's form refuses a key it does not read, by name.

A key the server ignored would answer a client's typo with something else (``{"rows": [...], "row": [...]}``) or
leave options it never applied unsaid (``{"texts": [...], "beam": 4}``), and a misspelt form (``{"row": [...]}``,
``{"instances": [...]}``) would get an error that does not say why; so an unknown key is a 400 naming it, the keys
the form takes, the form, and the closest accepted key (:func:`hiddenlayers.data.did_you_mean`, the one hint rule).
"""

from __future__ import annotations

from collections.abc import Collection

from ...data import did_you_mean


def unknown_keys(have: Collection[object], accepted: tuple[str, ...], form: str) -> str | None:
    """The 400's message for the keys of ``have`` (a body's keys) not in ``accepted``; None when there are none.

    ``form``: the body in words ("... it must be {form}."). The hint looks among the accepted keys the body lacks (a key
    it sends is no misspelling), else among all of them.
    """
    unknown = [k for k in have if k not in accepted]
    if not unknown:
        return None
    pool = [k for k in accepted if k not in have] or list(accepted)
    shown = ", ".join(repr(k) for k in unknown[:5]) + (f" and {len(unknown) - 5} more" if len(unknown) > 5 else "")
    keys = " and ".join(repr(k) for k in accepted) if len(accepted) <= 2 else ", ".join(repr(k) for k in accepted)
    return (f"unknown key{'s' if len(unknown) > 1 else ''} {shown}: the body takes only {keys}; it must be {form}."
            f"{did_you_mean(unknown[:5], pool)}")


__all__ = ["unknown_keys"]
