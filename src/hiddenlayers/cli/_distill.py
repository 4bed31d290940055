"""The ``distill`` command: a small student network learns from a saved teacher's probabilities (:func:`hiddenlayers.distill`).

Only Typer at import time, so ``hiddenlayers --help`` stays fast; PyTorch,
scikit-learn and pandas load when the command runs.
"""

from __future__ import annotations

import sys
import warnings
from typing import Annotated, Any

import typer

from ._common import UserError, note, one_line, saved_line, stop_if_interrupted
from ._header import check_named_columns
from ._options import at_least, seed_option

#: the student's parameters that distill's options set, to name the option in their errors (``--epochs: max_iter must be ...``)
_STUDENT_OPTIONS = {"max_iter": "--epochs", "learning_rate_init": "--lr", "hidden_layer_sizes": "--sizes", "clip_grad_norm": "--clip-grad-norm"}


def distill_command(
    teacher: Annotated[str, typer.Argument(help="Teacher model file (.safetensors) from `hiddenlayers train` (a classifier).")],
    data: Annotated[str, typer.Argument(help="Labelled data file or bundled dataset name, read with the teacher's stored preprocessing.")],
    target: Annotated[str | None, typer.Option("--target", "-t", help="Target column (default: the one the teacher was trained on).")] = None,
    sizes: Annotated[str, typer.Option("--sizes", "--hidden", help="The student's hidden layers, e.g. '16' or '32,16'.")] = "16",
    out: Annotated[str, typer.Option("--out", "-o", help="Student model file to write.")] = "student.safetensors",
    temperature: Annotated[float, typer.Option("--temperature", help="Softening of the teacher's and student's outputs (> 0; 2-5 is usual).")] = 2.0,
    alpha: Annotated[float, typer.Option("--alpha", help="Weight of the hard labels in [0, 1]; 1 - alpha goes to the teacher's soft targets.")] = 0.5,
    unlabeled: Annotated[str | None, typer.Option("--unlabeled", help="More rows without labels (same columns): they learn from the teacher only.")] = None,
    max_iter: Annotated[int, typer.Option("--epochs", "--max-iter", help="Maximum number of epochs.", callback=at_least("--epochs", 1))] = 200,
    learning_rate_init: Annotated[float, typer.Option("--lr", "--learning-rate-init", help="Initial learning rate.")] = 0.001,
    clip_grad_norm: Annotated[float | None, typer.Option("--clip-grad-norm", help="Clip the student's gradient norm to this (> 0; as train's "
                                                         "--clip-grad-norm): the remedy a divergence names besides --lr.")] = None,
    test_size: Annotated[float, typer.Option(help="Share of labelled rows held out to compare student and teacher (0 = none).")] = 0.2,
    seed: Annotated[int, seed_option("Random seed (split, initial weights, shuffling).")] = 0,
    sample_weight: Annotated[str | None, typer.Option("--sample-weight", help="Column of DATA holding each labelled row's weight (numbers >= 0, "
                                                      "none missing, not all 0): it weighs the student's loss and the held-out accuracies; never a feature.",
                                                      show_default=False)] = None,
    force: Annotated[bool, typer.Option("--force", "-f", help="Overwrite an existing output file.")] = False,
    json: Annotated[bool, typer.Option("--json", help="Print the result as JSON (for scripts).")] = False,
) -> None:
    """Train a small student network on a saved teacher's softened probabilities and the labels (knowledge distillation).

    The student keeps the teacher's preprocessing, so it reads the same raw columns.
    Held-out rows (--test-size) report the student's and the teacher's accuracy and how often they agree.

    Example: hiddenlayers distill teacher.safetensors data.csv -t y --sizes 16 --out student.safetensors
    """
    run_distill(teacher, data, target=target, sizes=sizes, out=out, temperature=temperature, alpha=alpha, unlabeled=unlabeled,
                max_iter=max_iter, learning_rate_init=learning_rate_init, test_size=test_size, seed=seed, force=force, as_json=json,
                sample_weight=sample_weight, clip_grad_norm=clip_grad_norm)


def run_distill(
    teacher_path: str, data: str, *, target: str | None, sizes: str, out: str, temperature: float, alpha: float, unlabeled: str | None,
    max_iter: int, learning_rate_init: float, test_size: float, seed: int, force: bool, as_json: bool, sample_weight: str | None = None,
    clip_grad_norm: float | None = None,
) -> dict[str, Any]:
    """Distil, save the student atomically with the teacher's preprocessing, print the comparison; returns it.

    ``sample_weight``: a column of ``data`` whose weights reach :func:`hiddenlayers.distill` and weight the held-out comparison.
    ``clip_grad_norm``: the student's gradient clipping (``--clip-grad-norm``; None: none), the remedy its divergence message names.
    """
    from ._common import check_output

    _check_numbers(temperature, alpha)  # option mistakes first, before the files are looked at
    _check_student(sizes, max_iter, learning_rate_init, seed, clip_grad_norm)
    if unlabeled is not None and alpha == 1.0:
        raise UserError("--unlabeled rows get only the teacher's soft term, which --alpha 1 switches off: lower --alpha, e.g. 0.5.")
    check_named_columns(data, target=target, sample_weight=sample_weight)  # a misspelt column before an existing --out
    out_path = check_output(out, force=force, inputs=(data, teacher_path, unlabeled or ""), what="--out")
    teacher = _load_teacher(teacher_path)
    from ._data import labelled_weighted, model_inputs

    _, A, y, w = labelled_weighted(teacher, data, target, sample_weight)
    A_unl = None
    if unlabeled is not None:  # a bad cell named by its file and line, as in DATA (the file named: two files are read)
        from ..data import read_table

        table = read_table(unlabeled)
        A_unl = model_inputs(teacher, table.frame, lambda r: f"'{unlabeled}' {table.where(r)}")
    A_tr, A_te, y_tr, y_te, w_tr, w_te = _split(A, y, test_size, seed, w)
    student = _student(sizes, max_iter, learning_rate_init, early_stopping=len(y_tr) >= 1000, seed=seed, clip_grad_norm=clip_grad_norm)
    from sklearn.exceptions import ConvergenceWarning

    from ..estimators import distill
    from ..exceptions import HiddenLayersError
    from ._option_words import notes_in_option_words, option_words

    with warnings.catch_warnings(), notes_in_option_words(_STUDENT_OPTIONS):  # a divergence's remedy: --lr, not learning_rate_init
        warnings.simplefilter("ignore", ConvergenceWarning)
        try:
            distill(student, teacher, A_tr, y_tr, temperature=temperature, alpha=alpha, X_unlabeled=A_unl, sample_weight=w_tr)
        except HiddenLayersError:
            raise
        except (ValueError, TypeError) as exc:
            raise UserError(f"distillation failed: {option_words(one_line(exc), _STUDENT_OPTIONS)}") from None
    student.preprocessing_ = _student_state(teacher, sample_weight)
    student.save(out_path)
    result = _comparison(student, teacher, A_te, y_te, w_te)
    result.update(model=str(out_path), teacher=teacher_path, temperature=temperature, alpha=alpha, train_rows=len(y_tr),
                  unlabeled_rows=0 if A_unl is None else len(A_unl), epochs=int(student.n_iter_), stop_reason=student.stop_reason_,
                  weighted_by=sample_weight)
    _show(result, as_json)
    # Ctrl-C: the student's fit kept its best weights and returned; saved and said, then exit 130
    stop_if_interrupted(student.stop_reason_, saved_line(out_path))
    return result


def _student_state(teacher: Any, sample_weight: str | None) -> dict[str, Any] | None:
    """The student's stored preprocessing: the teacher's, recording this run's ``--sample-weight`` column (or none), not the teacher's.

    ``info`` and ``evaluate`` read that record as the weights the model itself was trained with.
    """
    from ._common import WEIGHT_COLUMN_KEY

    state = getattr(teacher, "preprocessing_", None)
    if not state:
        return state
    state = {k: v for k, v in state.items() if k != WEIGHT_COLUMN_KEY}
    return state if sample_weight is None else {**state, WEIGHT_COLUMN_KEY: sample_weight}


def _load_teacher(path: str) -> Any:
    """The teacher: an ``MLPClassifier`` model file (from ``hiddenlayers train``); anything else is one line."""
    from pathlib import Path

    if Path(path).suffix.lower() == ".onnx":
        raise UserError(f"'{path}' is an ONNX file: distill needs the .safetensors model file it was exported from.")
    from ..estimators import MLPClassifier
    from ._appfiles import app_kind, app_refusal
    from ._data import load_model

    kind = app_kind(path)
    if kind is not None:
        raise app_refusal(path, kind, "distill", "a classifier trained by `hiddenlayers train` as the teacher")
    model = load_model(path)
    if not isinstance(model, MLPClassifier):
        raise UserError(f"'{path}' holds a model of type {type(model).__name__}; distill takes a classifier trained by `hiddenlayers train`.")
    return model


def _split(A: Any, y: Any, test_size: float, seed: int, w: Any = None) -> tuple[Any, Any, Any, Any, Any, Any]:
    """(A_train, A_test, y_train, y_test, w_train, w_test), ``test_size`` held out (stratified where every class allows; none for 0 or < 10 rows).

    ``w``: the rows' weights (``--sample-weight``), split with them; None stays None.
    """
    import numpy as np
    from sklearn.model_selection import train_test_split

    if not 0 <= test_size < 1:
        raise UserError(f"--test-size must be in [0, 1). Received: {test_size}.")
    if test_size == 0 or len(y) < 10:
        return A, None, y, None, w, None
    _, counts = np.unique(y.astype(str), return_counts=True)
    try:
        parts = train_test_split(*((A, y) if w is None else (A, y, w)), test_size=test_size, random_state=seed,
                                 stratify=y if counts.min() >= 2 else None)
    except ValueError as exc:  # too few rows for a stratified split of every class
        raise UserError(f"--test-size {test_size}: {one_line(exc)}; choose a smaller --test-size, or 0 to hold out none.") from None
    return parts[0], parts[1], parts[2], parts[3], (parts[4] if w is not None else None), (parts[5] if w is not None else None)


def _student(sizes: str, max_iter: int, learning_rate_init: float, *, early_stopping: bool, seed: int, clip_grad_norm: float | None = None) -> Any:
    """The unfitted student ``MLPClassifier`` (its fit checks the sizes and numbers: one line each, through ``distill``)."""
    from ..estimators import MLPClassifier

    return MLPClassifier(hidden_layer_sizes=sizes, max_iter=max_iter, learning_rate_init=learning_rate_init, early_stopping=early_stopping,
                         random_state=seed, clip_grad_norm=clip_grad_norm)


def _check_student(sizes: str, max_iter: int, learning_rate_init: float, seed: int, clip_grad_norm: float | None = None) -> None:
    """``--sizes``, ``--epochs``, ``--lr`` and ``--clip-grad-norm`` checked by the student's own rules before any file is read, each error named by its
    option. Why: they were found by ``fit`` after the data was read, as "distillation failed: max_iter must be ..." (or after
    "already exists: pass --force"), naming a Python parameter the command does not have."""
    from ..estimators import validate_params
    from ..exceptions import SpecError

    try:
        validate_params(_student(sizes, max_iter, learning_rate_init, early_stopping=False, seed=seed, clip_grad_norm=clip_grad_norm))
    except SpecError as exc:  # the layer spec's own words (units, activation, dropout): only --sizes holds one
        raise UserError(f"--sizes: {one_line(exc)}") from None
    except (ValueError, TypeError) as exc:
        text = one_line(exc)
        option = _STUDENT_OPTIONS.get(text.split(" ", 1)[0])
        raise UserError(f"{option}: {text}" if option else text) from None


def _check_numbers(temperature: float, alpha: float) -> None:
    """``--temperature`` and ``--alpha`` in range, before any file is read (the loss's own check, as one line)."""
    from ..training import distillation_loss, get_loss

    try:
        distillation_loss(get_loss("log_loss"), temperature, alpha)
    except ValueError as exc:
        raise UserError("--" + one_line(exc)) from None


def _comparison(student: Any, teacher: Any, A_te: Any, y_te: Any, w_te: Any = None) -> dict[str, Any]:
    """Sizes of both, and on held-out rows their accuracy and agreement (empty metrics without held-out rows), weighted by ``w_te`` if given."""
    import numpy as np

    r: dict[str, Any] = {"spec": student.network_.spec.to_text(), "parameters": int(student.n_parameters_),
                         "teacher_spec": teacher.network_.spec.to_text(), "teacher_parameters": int(teacher.n_parameters_)}
    if A_te is not None:
        s, t = student.predict(A_te), teacher.predict(A_te)
        if w_te is not None and not np.any(w_te):  # a weighted mean of weights that are all 0 is undefined
            note("every held-out row has --sample-weight 0: the held-out accuracies below are unweighted.")
            w_te = None
        r.update(test_rows=len(y_te), test_accuracy=float(np.average(s == y_te, weights=w_te)),
                 teacher_test_accuracy=float(np.average(t == y_te, weights=w_te)), agreement=float(np.average(s == t, weights=w_te)))
    return r


def _show(r: dict[str, Any], as_json: bool) -> None:
    if as_json:
        from ._common import clean, print_json

        print_json(clean(r))
        return
    lines = [f"student {r['spec']}: {r['parameters']:,} parameters (teacher {r['teacher_spec']}: {r['teacher_parameters']:,})",
             f"T={r['temperature']:g} alpha={r['alpha']:g}, {r['train_rows']} labelled rows"
             + (f" + {r['unlabeled_rows']} unlabelled" if r["unlabeled_rows"] else "") + f", {r['epochs']} epochs ({r['stop_reason']})"]
    if "test_rows" in r:
        weighted = f" (weighted by column '{r['weighted_by']}')" if r.get("weighted_by") else ""
        lines.append(f"held-out accuracy on {r['test_rows']} rows{weighted}: student {r['test_accuracy']:.4f}, teacher {r['teacher_test_accuracy']:.4f}; "
                     f"they agree on {r['agreement']:.4f}")
    sys.stdout.write("\n".join(lines) + "\n")
    note(f"saved the student to {r['model']}")
