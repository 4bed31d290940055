"""One table per estimator: each constructor parameter documented and checked once.

A table is a tuple of :class:`Param` rows (name, constraint, default, one line of
meaning). :func:`validate` checks an estimator's parameters against its table with
one error shape, ``"<name> must be <allowed>. Received: <name>=<value>."``, and
:func:`document` writes the table into the class docstring as the numpydoc
"Parameters" section, so ``help()`` and IDEs list every parameter. The idea joins
scikit-learn's ``_parameter_constraints`` (one declarative table, one message shape)
and skorch's docstrings generated from a base. The constraint names follow
scikit-learn's ``sklearn.utils._param_validation`` vocabulary (``Interval``,
``StrOptions``); they are re-implemented here so this module imports nothing heavy.
"""

from __future__ import annotations

import builtins
import inspect
import math
import numbers
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

__all__ = ["AnyOf", "Bool", "Checked", "DefaultsOnUnpickle", "Interval", "Options", "Param", "StrOptions", "document", "missing_defaults", "validate"]

T = TypeVar("T", bound=type)


class Constraint(ABC):
    """What a parameter accepts: ``allows(value)``, a phrase for the error (``text``) and a numpydoc type (``type``)."""

    text: str = "a valid value"
    type: str = "object"
    error: builtins.type[Exception] = ValueError  # TypeError where a table keeps an older TypeError

    @abstractmethod
    def allows(self, value: Any) -> bool:
        """Whether ``value`` is accepted."""

    def check(self, name: str, value: Any) -> None:
        """Raise ``ValueError("<name> must be <text>. Received: <name>=<value!r>.")`` unless allowed."""
        if not self.allows(value):
            raise self.error(f"{name} must be {self.text}. Received: {name}={value!r}.")


def _is_bool(value: Any) -> bool:
    return type(value).__name__ in ("bool", "bool_")


class Interval(Constraint):
    """A number in an interval: ``Interval(numbers.Real, 0, None, closed="left")`` is a number >= 0.

    ``bools=False`` rejects ``True``/``False`` (which Python counts as integers).
    ``finite=False`` lets an open end take ``inf`` (e.g. a time limit); by default
    infinities are refused, since a step size, penalty or tolerance of ``inf``
    trains into NaN weights, or silently never or always stops.
    ``text`` replaces the phrase in the error message where a table wants its own words.
    """

    def __init__(
        self,
        kind: type,
        left: float | None,
        right: float | None,
        *,
        closed: Literal["left", "right", "both", "neither"] = "both",
        bools: bool = True,
        finite: bool = True,
        text: str | None = None,
    ) -> None:
        self.kind, self.left, self.right, self.closed, self.bools, self.finite = kind, left, right, closed, bools, finite
        noun = "an integer" if kind is numbers.Integral else "a number"
        self.type = "int" if kind is numbers.Integral else "float"
        self.text = text or f"{noun} {self._bounds()}"

    def _bounds(self) -> str:
        lo_closed = self.closed in ("left", "both")
        hi_closed = self.closed in ("right", "both")
        if self.right is None:
            return f"{'>=' if lo_closed else '>'} {self.left}"
        if self.left is None:
            return f"{'<=' if hi_closed else '<'} {self.right}"
        return f"in {'[' if lo_closed else '('}{self.left}, {self.right}{']' if hi_closed else ')'}"

    def allows(self, value: Any) -> bool:
        if not isinstance(value, self.kind) or (not self.bools and _is_bool(value)):
            return False
        x: Any = value  # a Real (isinstance narrowed it to object)
        if x != x or (self.finite and _is_infinite(x)):  # NaN (of any float type), inf
            return False
        if self.left is not None and (x < self.left or (x == self.left and self.closed in ("right", "neither"))):
            return False
        return not (self.right is not None and (x > self.right or (x == self.right and self.closed in ("left", "neither"))))


    def check(self, name: str, value: Any) -> None:
        """As :meth:`Constraint.check`; an infinity refused only for being infinite is said so."""
        if self.finite and None in (self.left, self.right) and isinstance(value, self.kind) and _is_infinite(value):
            raise self.error(f"{name} must be {self.text} and finite. Received: {name}={value!r}.")
        super().check(name, value)


def _is_infinite(x: Any) -> bool:
    """True for ``inf``/``-inf`` of any float type (Python, NumPy)."""
    try:
        return bool(abs(x) == math.inf)
    except (TypeError, OverflowError):
        return False


class Options(Constraint):
    """One of a fixed set of values (compared with ``==``), e.g. ``Options((None,))`` or ``Options((math.inf,))``."""

    def __init__(self, values: Iterable[Any], *, text: str | None = None, type: str | None = None) -> None:
        self.values = tuple(values)
        self.text = text or (repr(self.values[0]) if len(self.values) == 1 else "one of " + ", ".join(map(repr, self.values)))
        self.type = type or "{" + ", ".join(map(repr, self.values)) + "}"

    def allows(self, value: Any) -> bool:
        for v in self.values:
            if value is v:
                return True
            try:
                if _is_bool(value) == _is_bool(v) and bool(value == v):
                    return True
            except (TypeError, ValueError):  # an array compared with ==
                continue
        return False


class StrOptions(Options):
    """One of a fixed set of strings (as scikit-learn's ``StrOptions``).

    ``refusal(value)``, when given, writes the whole error instead of the generic one (e.g. to point a
    number given for ``learning_rate`` to ``learning_rate_init``).
    """

    def __init__(self, values: Iterable[Any], *, text: str | None = None, type: str | None = None,
                 refusal: Callable[[Any], str] | None = None) -> None:
        super().__init__(values, text=text, type=type)
        self.refusal = refusal

    def allows(self, value: Any) -> bool:
        return isinstance(value, str) and value in self.values

    def check(self, name: str, value: Any) -> None:
        """The generic check, or ``refusal``'s message where one is given; a misspelt name is told the nearest option
        (``solver='sdg'``: "Did you mean 'sgd'?"), as an unknown activation is."""
        if self.allows(value):
            return
        message = self.refusal(value) if self.refusal is not None else f"{name} must be {self.text}. Received: {name}={value!r}."
        near = _nearest(value, self.values)
        raise self.error(f"{message} Did you mean {near!r}?" if near else message)


def _nearest(value: Any, options: Iterable[Any]) -> str | None:
    """The option a misspelt string most likely meant, or None when none is one slip away.

    One slip (case ignored): a letter left out, added, replaced, or two neighbours swapped (``'sdg'``,
    ``'constnat'``); ``'float16'`` or ``'fp16'`` are other values, not misspellings, and are told only the list.
    """
    if not isinstance(value, str):
        return None
    typed = value.lower()
    return next((o for o in options if isinstance(o, str) and _one_slip(typed, o.lower())), None)


def _one_slip(a: str, b: str) -> bool:
    """Whether ``a`` and ``b`` differ by at most one edit or one swap of neighbouring letters."""
    if a == b:
        return True
    if abs(len(a) - len(b)) > 1:
        return False
    i = 0
    while i < min(len(a), len(b)) and a[i] == b[i]:
        i += 1
    if len(a) == len(b):
        return a[i + 1:] == b[i + 1:] or (a[i:i + 2] == b[i:i + 2][::-1] and a[i + 2:] == b[i + 2:])
    longer, shorter = (a, b) if len(a) > len(b) else (b, a)
    return longer[i + 1:] == shorter[i:]


class Bool(Constraint):
    """``True`` or ``False`` (NumPy booleans included)."""

    type = "bool"

    def __init__(self, *, text: str = "True or False", error: builtins.type[Exception] = ValueError) -> None:
        self.text, self.error = text, error

    def allows(self, value: Any) -> bool:
        return _is_bool(value)


class AnyOf(Constraint):
    """Any of several constraints: ``AnyOf(Options((None,)), Interval(...), text="None or a number >= 0")``."""

    def __init__(self, *options: Constraint, text: str | None = None, type: str | None = None) -> None:
        self.options = options
        self.text = text or " or ".join(o.text for o in options)
        self.type = type or " or ".join(o.type for o in options)

    def allows(self, value: Any) -> bool:
        return any(o.allows(value) for o in self.options)


class Checked(Constraint):
    """A parameter checked by a function of the stage that owns its meaning (a spec parser, an
    activation or device look-up); that function raises the message itself, listing what is valid."""

    def __init__(self, check: Callable[[Any], Any], *, text: str, type: str = "object") -> None:
        self._check, self.text, self.type = check, text, type

    def allows(self, value: Any) -> bool:
        try:
            self._check(value)
        except (ValueError, TypeError):
            return False
        return True

    def check(self, name: str, value: Any) -> None:
        self._check(value)


@dataclass(frozen=True)
class Param:
    """One row of a parameter table: ``name``, ``constraint``, ``default`` and a one-line ``doc``.

    ``check=False`` documents a parameter whose value is checked where it is used (by ``fit``);
    ``type`` overrides the numpydoc type the constraint gives.
    """

    name: str
    constraint: Constraint
    default: Any
    doc: str
    check: bool = True
    type: str | None = None


def validate(est: Any, table: Sequence[Param], names: Iterable[str] | None = None) -> None:
    """Check ``est``'s parameters (its attributes of the same names) against ``table``, in table order.

    ``names`` limits the check to those parameters. Raises ``ValueError`` (or the
    checking function's own error) for the first parameter that is not allowed.
    """
    wanted = None if names is None else set(names)
    for p in table:
        if p.check and (wanted is None or p.name in wanted):
            p.constraint.check(p.name, getattr(est, p.name))


def _default_text(value: Any) -> str:
    return repr(value)


def parameters_section(table: Sequence[Param]) -> str:
    """The numpydoc "Parameters" section for ``table``: one entry per row with type, default, meaning and what is allowed."""
    lines = ["Parameters", "----------"]
    for p in table:
        lines.append(f"{p.name} : {p.type or p.constraint.type}, default={_default_text(p.default)}")
        doc = p.doc.rstrip(".")
        lines.append(f"    {doc}. Must be {p.constraint.text}.")
    return "\n".join(lines)


_SECTIONS = ("Attributes", "Examples", "Example", "See Also", "Notes", "References", "Methods")


def document(table: Sequence[Param]) -> Callable[[T], T]:
    """Class decorator: insert ``table``'s "Parameters" section into the class docstring.

    The section goes after the summary and description, before the first other numpydoc
    section or doctest example, replacing a hand-written "Parameters" section if any.
    """

    def decorate(cls: T) -> T:
        doc = inspect.cleandoc(cls.__doc__ or "")
        lines = doc.splitlines()
        cut = len(lines)
        for i, line in enumerate(lines):
            nxt = lines[i + 1] if i + 1 < len(lines) else ""
            if line.lstrip().startswith(">>>") or (line.strip() in (*_SECTIONS, "Parameters") and set(nxt.strip()) == {"-"}):
                cut = i
                break
        head, tail = lines[:cut], lines[cut:]
        if tail and tail[0].strip() == "Parameters":  # replace the old section
            end = next((j for j in range(2, len(tail)) if tail[j].strip() in _SECTIONS and j + 1 < len(tail) and set(tail[j + 1].strip()) == {"-"}), len(tail))
            tail = tail[end:]
        if tail and tail[0].lstrip().startswith(">>>"):
            tail = ["Examples", "--------", *tail]
        elif tail and tail[0].strip() == "Example":  # numpydoc's name for the section
            tail = ["Examples", "--------", *tail[2:]]
        while head and not head[-1].strip():
            head.pop()
        parts = ["\n".join(head), parameters_section(table)]
        if tail:
            parts.append("\n".join(tail))
        cls.__doc__ = "\n\n".join(parts) + "\n"
        _TABLES[cls] = tuple(table)
        return cls

    return decorate


#: each documented class's parameter table (:func:`document` fills it), which :func:`check_given` reads
_TABLES: dict[type, tuple[Param, ...]] = {}


def check_given(est: Any, names: Iterable[str]) -> None:
    """Check the parameters ``names`` of ``est`` against the table its class was documented with (:func:`document`).

    Why: the command line checks the options a user typed before it reads data or refuses an existing
    output, instead of at ``fit``. A class with no table (or a name not in it) is left to ``fit``.
    Raises what :func:`validate` raises.
    """
    table = next((_TABLES[c] for c in type(est).__mro__ if c in _TABLES), ())
    validate(est, table, names)


def defaults_of(cls: type) -> dict[str, Any]:
    """The defaults of ``cls.__init__``'s signature (the signature scikit-learn reads), name -> default."""
    sig = inspect.signature(cls.__init__)  # type: ignore[misc]
    return {n: p.default for n, p in sig.parameters.items() if n != "self" and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)}


def missing_defaults(cls: type, state: dict[str, Any]) -> dict[str, Any]:
    """The constructor parameters of ``cls`` that ``state`` lacks, with their defaults.

    An estimator pickled before a parameter existed has no attribute for it,
    and scikit-learn's ``get_params``, ``clone`` and ``repr`` then fail.
    """
    init: Any = getattr(cls, "__init__")  # noqa: B009  (mypy refuses cls.__init__ on a plain type)
    return {k: p.default for k, p in inspect.signature(init).parameters.items()
            if k != "self" and p.default is not inspect.Parameter.empty and k not in state}


class DefaultsOnUnpickle:
    """Mixin (before ``BaseEstimator``): an older pickle gets the defaults of the parameters added since."""

    def __setstate__(self, state: dict[str, Any]) -> None:
        state = {**missing_defaults(type(self), state), **state}
        parent = super()
        if hasattr(parent, "__setstate__"):
            parent.__setstate__(state)
        else:
            self.__dict__.update(state)
