"""The training's remedies in the command line's words: a divergence message's ``learning_rate_init`` as ``--lr``.

The library's divergence messages (``hiddenlayers.training``'s ``diverged_message`` and ``no_usable_epoch``: the
``DivergedWarning`` and the ``ValueError`` of a first epoch that diverged) name the Python parameters to change
(``Lower learning_rate_init (now 10.0), scale the inputs, or set clip_grad_norm``). A user of ``train`` set the rate with
``--lr``, so the command says ``--lr``, as :func:`~._apptrain.option_error` leads a parameter error with its option.
Only these remedy names are rewritten: each is an identifier no English sentence holds, where a name such as ``loss``
or ``alpha`` is also a word ("the loss became inf") and is left as it is.
"""

from __future__ import annotations

import contextlib
import re
import warnings
from collections.abc import Iterator
from typing import Any

#: the parameters the training's messages name as a remedy: the step size, the gradient clipping of the estimators and of a
#: Translator, the early-stopping share (scikit-learn's "The validation set is too small. Increase 'validation_fraction' ..."), and
#: the batch (a streamed fit's "too few rows for 2 processes ... lower batch_size", ``estimators/_stream_plan.py``)
REMEDY_PARAMS = ("learning_rate_init", "clip_grad_norm", "max_grad_norm", "validation_fraction", "batch_size")
#: on/off parameters the messages name with their value (``early_stopping=False``): a ``--flag`` option reads ``--no-flag`` for False
FLAG_PARAMS = ("early_stopping",)
#: remedies the messages name in words, not by a parameter: key (what ``by_param`` maps to its option) -> the words. A streamed fit's
#: refusals and notes say "train with fewer processes" (``estimators/_stream_plan.py``), a count ``train`` sets with ``--workers``
REMEDY_PHRASES = {"processes": "train with fewer processes"}
#: remedies the messages name as a keyword and its value (a DQNAgent's cut episodes: ``pass max_episode_steps=N``): ``--option N``
KEYWORD_PARAMS = ("max_episode_steps",)


def option_words(message: str, by_param: dict[str, str]) -> str:
    """``message`` with each of :data:`REMEDY_PARAMS` that ``by_param`` maps named as its option instead
    (``"Lower learning_rate_init (now 10.0)"`` -> ``"Lower --lr (now 10.0)"``).

    A remedy in words that ``by_param`` maps (:data:`REMEDY_PHRASES`) names its option too (``"or train with fewer processes"``
    -> ``"or lower --workers"``), and a keyword with its value (:data:`KEYWORD_PARAMS`) the option with it
    (``"pass max_episode_steps=N"`` -> ``"pass --max-episode-steps N"``).

    ``by_param``: parameter name (or :data:`REMEDY_PHRASES` key) -> the option that sets it (``"--lr"``, ``"--set max_grad_norm"``);
    a name it lacks is left as it is.
    """
    for name in REMEDY_PARAMS:
        if name in by_param:
            option = by_param[name].replace("\\", "\\\\")  # the option as typed: a backslash is no group reference
            message = re.sub(rf"(?<![\w-]){name}(?!\w)", option, message)
    for name in FLAG_PARAMS:
        option = by_param.get(name, "")
        if re.fullmatch(r"--[a-z][\w-]*", option):  # a plain on/off option: --early-stopping / --no-early-stopping
            message = re.sub(rf"(?<![\w-]){name}=False\b", f"--no-{option[2:]}", message)
            message = re.sub(rf"(?<![\w-]){name}=True\b", option, message)
    for key, words in REMEDY_PHRASES.items():
        if key in by_param:
            message = message.replace(words, f"lower {by_param[key]}")  # "or train with fewer processes" -> "or lower --workers"
    return named_options(message, {name: by_param[name] for name in KEYWORD_PARAMS if name in by_param})


def named_options(message: str, by_param: dict[str, str]) -> str:
    """``message`` with each parameter of ``by_param`` named as its option: ``"fits max_params=10"`` -> ``"fits --max-params 10"``,
    ``"or a larger max_drop"`` -> ``"or a larger --max-drop"``.

    Why: a command's user typed ``--max-params 10``; a library message that says ``max_params=10`` names a Python parameter
    they never saw. ``by_param``: parameter name -> the option that sets it; only identifiers with an underscore or no
    English meaning belong in it (a name is replaced wherever it stands as a word).
    """
    for name, option in by_param.items():
        typed = option.replace("\\", "\\\\")  # the option as typed: a backslash is no group reference
        message = re.sub(rf"(?<![\w-]){re.escape(name)}=", typed + " ", message)  # max_drop=0.5 -> --max-drop 0.5
        message = re.sub(rf"(?<![\w-]){re.escape(name)}(?!\w)", typed, message)  # a larger max_drop -> a larger --max-drop
    return message


@contextlib.contextmanager
def notes_in_option_words(by_param: dict[str, str]) -> Iterator[None]:
    """Inside, each warning shown (``cli/_app.py`` shows it as a ``note:`` line) names its remedies by option (:func:`option_words`);
    the display in place before is put back after, on error too.

    ``by_param``: as in :func:`option_words`.
    """
    shown = warnings.showwarning

    def show(message: Warning | str, category: type[Warning], filename: str, lineno: int, file: Any = None, line: str | None = None) -> None:
        shown(option_words(" ".join(str(message).split()), by_param), category, filename, lineno, file, line)

    warnings.showwarning = show
    try:
        yield
    finally:
        warnings.showwarning = shown


__all__ = ["FLAG_PARAMS", "KEYWORD_PARAMS", "REMEDY_PARAMS", "REMEDY_PHRASES", "named_options", "notes_in_option_words", "option_words"]
