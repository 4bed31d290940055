"""``hiddenlayers train`` on files larger than memory, in one process or several (``--workers``).

A directory or glob of Parquet/CSV files is streamed (:class:`hiddenlayers.data.ParquetSource`).
``--workers N`` starts ``N`` processes with ``torch.distributed.run`` (each runs this
same command); under ``torchrun`` the command joins the process group itself. Only
rank 0 writes the model file and the per-epoch checkpoint (``OUT.ckpt``), from
which a restarted run (``--max-restarts``) resumes. Ctrl-C saves the best model so far and keeps
the checkpoint, as ``train FILE`` does: a re-run of the same command resumes from the last whole epoch.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
import warnings
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ..exceptions import ColumnWarning, HiddenLayersError
from ._check import hinted_columns, print_check_summary, refuse_fatal, stream_check
from ._common import (
    EXIT_INTERRUPTED,
    WEIGHT_COLUMN_KEY,
    Interrupted,
    UserError,
    check_output,
    is_stream_input,
    note,
    one_line,
    print_json,
    scaling_text,
    stop_if_interrupted,
)
from ._header import check_named_columns
from ._launcher_death import stops_with_launcher
from ._log import log_callback, log_path
from ._train_backup import checkpoint_path, interrupted_line, resuming_line, untrained_line
from ._train_nodes import NODE_OPTIONS, Nodes, check_master, join_run, rendezvous_failed
from ._validation import validation_failed, validation_source
from ._worker_death import died

#: The file rank 0 writes once it saved the model (JSON: ``model``, ``stop_reason``), named by the launcher: what the workers
#: did, whatever torchrun's exit status says (after Ctrl-C torchrun exits non-zero though rank 0 saved).
RESULT_ENV = "HIDDENLAYERS_RESULT_FILE"
#: how a worker's error line starts when it is the effect of another rank's failure, not its cause (shown after the causes);
#: the second is :func:`hiddenlayers.training.lost_peer_line`'s start (a test builds its line from that function)
_EFFECTS = ("internal error", "the connection to another rank was lost")


def launch_workers(workers: int, max_restarts: int, argv: list[str], nodes: Nodes | None = None) -> int:
    """Run this command in ``workers`` processes on this machine via ``torch.distributed.run``; its exit status.

    ``nodes``: this machine's place in a run over several (:class:`~._train_nodes.Nodes`; None: this machine alone,
    ``--standalone``); its master address is checked first (:func:`~._train_nodes.check_master`: one line, not torchrun's
    rendezvous timeout), and the workers' command line gets its ``--join-timeout``, without the launcher's node options.
    torchrun runs in its own session, so a Ctrl-C reaches the launcher alone, which passes one SIGINT on (torchrun sends it
    to each worker: rank 0 stops the fit between steps, keeps the best weights and saves them); a second Ctrl-C stops the
    workers (SIGTERM). What is said and the exit status come from what rank 0 did (:func:`workers_outcome`).
    """
    import signal
    import tempfile
    import threading

    nodes = nodes or Nodes()
    if workers < 1:
        raise UserError(f"--workers must be >= 1. Received: {workers}.")
    if max_restarts < 0:
        raise UserError(f"--max-restarts must be >= 0. Received: {max_restarts}.")
    check_master(nodes)
    from ._worker_cores import oversubscribed

    crowded = oversubscribed(workers, os.environ)  # more busy threads than cores: said once, before the workers start
    if crowded is not None:
        note(crowded)
    args = _torchrun_safe(_worker_argv(argv, nodes))
    cmd = [sys.executable, "-m", "torch.distributed.run", *nodes.torchrun_args(), f"--nproc-per-node={workers}",
           f"--max-restarts={max_restarts}", "-m", "hiddenlayers", *args]
    with tempfile.TemporaryDirectory(prefix="hiddenlayers-workers-") as tmp:
        result_file = os.path.join(tmp, "result.json")
        env = {**os.environ, "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1"), "HIDDENLAYERS_BACKEND": os.environ.get("HIDDENLAYERS_BACKEND", "gloo"),
               RESULT_ENV: result_file}
        # a launcher killed outright (kill -9, the OOM killer) takes torchrun and its workers with it (Linux), not left training
        proc = subprocess.Popen(cmd, env=env, stderr=subprocess.PIPE, text=True, start_new_session=True, preexec_fn=stops_with_launcher())
        err: list[str] = []
        reader = threading.Thread(target=lambda: err.extend(proc.stderr or []), daemon=True)
        reader.start()
        interrupted = False
        with _passed_on(proc) as terminated:
            while True:
                try:
                    proc.wait()
                    break
                except KeyboardInterrupt:
                    if interrupted:  # a second Ctrl-C: stop the workers now
                        proc.terminate()
                        continue
                    interrupted = True
                    proc.send_signal(signal.SIGINT)
        reader.join()
        result = _read_result(result_file)
    if terminated:  # kill, timeout, a scheduler's cancel, a closed terminal: the workers stopped too, as they would in one process
        name = signal.Signals(terminated[0]).name
        sys.stderr.write(f"terminated by {name}: the workers were stopped with it; a checkpoint of the last whole epoch, if one was "
                         "written, resumes when the same command runs again\n")
        return 128 + terminated[0]
    stderr = "".join(err)
    for ln in stderr.splitlines():  # the workers' notes (rank 0's), without torchrun's own log
        # rank 0's data-check summary too, and its --set verbose=true lines, which --json sends to stderr
        if ln.startswith(("note:", "warning:", "data check", "  warning ", "  fatal ", *_VERBOSE_LINES)):
            sys.stderr.write(ln + "\n")
    code, message = workers_outcome(proc.returncode, interrupted, result, stderr, workers, nodes)
    if code == EXIT_INTERRUPTED and result is not None and message:  # rank 0 saved, then Ctrl-C: its line last (no bare "interrupted")
        raise Interrupted(message)
    if message:
        sys.stderr.write(message + "\n")
    if code == 0 and result is None and nodes.node_rank > 0 and "--json" in argv:
        sys.stdout.write(json.dumps(other_node_summary(nodes, workers), indent=2) + "\n")
    return code


def other_node_summary(nodes: Nodes, workers: int) -> dict[str, Any]:
    """``--json``'s document on a machine other than node 0 once its workers finished: rank 0 runs on node 0 and saves there,
    so no model and no figures here (``"model": null``), and who saved it. Without it, stdout was empty and a script's
    ``json.loads`` of it failed, where the docs promise the JSON document on stdout."""
    return {"model": None, "saved_by": f"node 0 ({nodes.master_addr})", "node_rank": nodes.node_rank, "nnodes": nodes.nnodes,
            "processes": workers}


@contextmanager
def _passed_on(proc: Any) -> Iterator[list[int]]:
    """Within: SIGTERM and SIGHUP sent to the launcher are passed on to torchrun (which stops its workers), and listed.

    torchrun runs in its own session (so that Ctrl-C reaches the launcher alone), so a ``kill``, ``timeout``, a scheduler's
    cancel or a closed terminal stopped the launcher and left torchrun and every worker training on, orphaned, to write
    ``--out`` after the command had exited 143. The launcher now waits for them to stop, then exits as the signal says.
    """
    import signal

    got: list[int] = []

    def pass_on(signum: int, frame: Any) -> None:
        got.append(signum)
        proc.send_signal(signum)

    wanted = [s for s in (getattr(signal, "SIGTERM", None), getattr(signal, "SIGHUP", None)) if s is not None]
    before = {s: signal.signal(s, pass_on) for s in wanted}
    try:
        yield got
    finally:
        for s, handler in before.items():
            signal.signal(s, handler)


def _read_result(path: str) -> dict[str, Any] | None:
    """Rank 0's result file (:data:`RESULT_ENV`), or None where it wrote none (nothing saved)."""
    try:
        with open(path, encoding="utf-8") as fh:
            return dict(json.load(fh))
    except (OSError, ValueError):
        return None


def _ended_before_restart() -> bool:
    """Whether this restarted attempt of ``--workers`` comes after rank 0 had saved the finished fit (its result file there):
    a worker that died after that (while leaving) made torchrun restart every rank, and with the checkpoint removed the
    restart trained from the first epoch again and wrote over the model. Every rank then ends at once; rank 0 says why.
    """
    path = os.environ.get(RESULT_ENV)
    result = _read_result(path) if path else None
    if result is None or result.get("stop_reason") == "interrupted":
        return False
    if os.environ.get("RANK", "0") == "0":
        note(f"a worker exited after rank 0 had saved the finished fit to {result.get('model')}: not training it again")
    return True


def workers_outcome(returncode: int, interrupted: bool, result: dict[str, Any] | None, stderr: str, workers: int,
                    nodes: Nodes | None = None) -> tuple[int, str | None]:
    """``(exit status, last line for stderr or None)`` of a ``--workers`` run, from what rank 0 did.

    ``returncode``: torchrun's; ``interrupted``: the launcher was sent Ctrl-C; ``result``: rank 0's result file (None: it
    saved nothing); ``stderr``: the workers' and torchrun's. Rank 0 saved: exit 0 whatever torchrun's status (it is
    non-zero after a signal); after a Ctrl-C (the fit's, or the launcher's once the fit had ended) exit 130 saying what
    was saved (``interrupted: the best model so far was saved to PATH``), as the one-process path does, so a script
    stops there. Nothing saved after Ctrl-C: exit 130 saying so (the command then says
    ``interrupted``), never "failed". Otherwise a
    worker's one-line error (a :class:`UserError`), as before; torchrun's own rendezvous failure over several machines
    (``nodes``; a machine that never joined) in one line too. On a machine other than node 0, where rank 0 does not run and
    writes no result file here, the lines say that node 0 says what was saved.
    """
    node_0 = nodes.master_addr if nodes is not None and nodes.node_rank > 0 else None  # rank 0 runs there: no result file here
    if result is not None:
        if result.get("stop_reason") == "interrupted":  # the checkpoint rank 0 kept, named with how to resume
            return EXIT_INTERRUPTED, interrupted_line(Path(str(result.get("model"))), _path_or_none(result.get("checkpoint")))
        if interrupted:  # Ctrl-C once the fit had ended (rank 0 saving, the workers leaving)
            return EXIT_INTERRUPTED, f"interrupted after the fit ended: the model was saved to {result.get('model')}"
        return 0, (None if returncode == 0 else f"note: saved {result.get('model')}; a worker exited with status {returncode} after that")
    if interrupted:
        if node_0 is not None:
            return EXIT_INTERRUPTED, f"note: this machine's workers stopped; node 0 ({node_0}) says what rank 0 saved"
        return EXIT_INTERRUPTED, "note: the workers stopped before rank 0 saved a model: nothing was saved"  # then the command's "interrupted"
    if returncode:
        # torchrun's own report is pages long: show the workers' one-line errors instead. A worker's own error (a full disk,
        # bad data) comes first: the others then fail with a lost connection (training.lost_peer_line) or an internal error, effects
        lines = [ln for ln in stderr.splitlines() if ln.startswith("error:") or ln.startswith("[") and "error:" in ln]
        shown = sorted(dict.fromkeys(ln[ln.index("error:") + len("error: "):] for ln in lines), key=lambda e: e.startswith(_EFFECTS))
        if shown and not shown[0].startswith(_EFFECTS):
            raise UserError(shown[0])
        several = nodes is not None and nodes.nnodes > 1
        # a worker killed here (kill -9, out of memory) said nothing: torchrun's summary names it, before the others' broken connection
        gone = died(stderr, "a re-run of the same commands on every machine resumes from the checkpoint of the last whole epoch, if "
                            "one was written" if several else "a re-run of the same command resumes from the checkpoint of the last "
                            "whole epoch, if one was written", errors_said=bool(shown))
        if gone is not None or shown:
            raise UserError(gone or shown[0])
        if several and nodes is not None:
            raise UserError(rendezvous_failed(stderr, nodes) or f"this machine's {workers} worker(s) failed (exit {returncode}); the "
                            "other machines' output says why, or train on one machine (drop --nnodes) to see it.")
        raise UserError(f"the {workers} workers failed (exit {returncode}); rerun with --workers 1 to see why.")
    if node_0 is not None:
        return 0, f"note: this machine's {workers} worker(s) finished; node 0 ({node_0}) saved the model and says where"
    return 0, None


def _path_or_none(path: Any) -> Path | None:
    """The result file's ``checkpoint`` as a path; None where rank 0 kept none (or an older record has no such key)."""
    return Path(path) if isinstance(path, str) and path else None


def write_result(out_path: Any, stop_reason: str, checkpoint: str | None = None) -> None:
    """Rank 0, once the model is saved: the launcher's result file (:data:`RESULT_ENV`, when a launcher named one);
    ``checkpoint``: the checkpoint file a Ctrl-C'd fit kept, for the launcher's line (None: none kept)."""
    path = os.environ.get(RESULT_ENV)
    if path:
        from .._files import atomic_write_bytes

        record = {"model": str(out_path), "stop_reason": stop_reason, "checkpoint": checkpoint}
        atomic_write_bytes(path, json.dumps(record).encode())


_VERBOSE_LINES = ("Iteration ", "Validation score", "Training loss")  # how SklearnLines' lines begin (training/_progress.py)


def _training_failed(exc: Exception) -> UserError:
    """The one-line error for a streamed fit's ``exc``, in the command line's words: a checkpoint written with the other
    target scaling names ``--scale-target`` / ``--no-scale-target`` (what a user types), not ``scale_target=``."""
    from ..estimators import CheckpointScalingMismatch

    if isinstance(exc, CheckpointScalingMismatch):
        this = ("scales it (--scale-target, the default for a squared-error regression)" if exc.want
                else "does not (--no-scale-target, or a loss other than squared_error)")
        return UserError(f"training failed: checkpoint '{exc.path}' was written by a run {'with' if exc.have else 'without'} target "
                         f"scaling and this run {this}: delete it to train from the start, or add "
                         f"{'--scale-target' if exc.have else '--no-scale-target'} to resume it.")
    from ._option_words import option_words

    return UserError(f"training failed: {option_words(one_line(exc), stream_options())}")  # a divergence's remedy: --lr, not learning_rate_init


def stream_options() -> dict[str, str]:
    """The remedies of a streamed fit's messages -> the options that set them: ``train``'s :data:`~._train.DEDICATED`, and the
    number of processes (``"train with fewer processes"``) as ``--workers``."""
    from ._train import DEDICATED

    return {**DEDICATED, "processes": "--workers"}


#: options of this command that torchrun's own parser takes for an ambiguous abbreviation of one of its options, even after the
#: script's name (``--log`` of ``--log-dir``/``--logs-specs``), given to the workers by their other name
_TORCHRUN_SPELLING = {"--log": "--log-file"}


def _torchrun_safe(argv: list[str]) -> list[str]:
    """``argv`` with each option of :data:`_TORCHRUN_SPELLING` (``--log F``, ``--log=F``) spelled by its other name."""
    out = []
    for a in argv:
        name, eq, value = a.partition("=")
        out.append(_TORCHRUN_SPELLING[name] + eq + value if name in _TORCHRUN_SPELLING else a)
    return out


def _worker_argv(argv: list[str], nodes: Nodes) -> list[str]:
    """The workers' command line: the launcher's ``argv`` without ``--workers`` and the node options (torchrun's), and over
    several machines with ``--join-timeout`` given as the launcher resolved it (its default there is longer)."""
    for name in ("--workers", *NODE_OPTIONS.values()):
        argv = _without_option(argv, name)
    if nodes.nnodes == 1:
        return argv
    return [*_without_option(argv, "--join-timeout"), f"--join-timeout={nodes.join_timeout:g}"]


def _without_option(argv: list[str], name: str) -> list[str]:
    out, skip = [], False
    for a in argv:
        if skip:
            skip = False
        elif a == name:
            skip = True
        elif not a.startswith(name + "="):
            out.append(a)
    return out


def _check_options(task: str, params: dict[str, Any], seed: int, max_categories: int, columns: tuple[str, str, str | None]) -> None:
    """The options, ``--init-from`` and the column options (``columns``: DATA, ``--target``, ``--features``, against the first
    file's header) checked before ``--out``: an existing model file never hides a bad option or a misspelt column."""
    from ._train import _transfer_params, check_params

    if max_categories < 2:
        raise UserError(f"--max-categories must be >= 2. Received: {max_categories}.")
    check_params(task, _transfer_params(params)[0], seed)
    data, target, features = columns
    check_named_columns(data, target=target, features=features)


def run_train_stream(
    data: str, *, target: str | None, features: str | None, out: str, params: dict[str, Any], task: str,
    max_categories: int, seed: int, force: bool, as_json: bool, join_timeout: float, check: bool = True, sample_weight: str | None = None,
    gradient_flow: bool = False, validation: str | None = None, log: str | None = None, typed: Collection[str] = (),
) -> dict[str, Any] | None:
    """Stream ``data``, fit (joining the process group when there is one), rank 0 saves; the summary on rank 0.

    ``check`` runs the fast data checks, as in-memory ``train`` does, on every row,
    from the tallies of the streaming pass and, for near duplicates, a second read of the files
    (:meth:`ParquetSource.check`): rank 0 alone runs that pass and the checks, and sends the other ranks the
    statistics and any fatal finding's line (:func:`_rank_0_check`), so a fatal finding stops every worker, and rank 0 prints the summary.
    ``sample_weight``: the ``--sample-weight`` column, streamed as the source's weight column (``ParquetSource(weight=)``:
    never a feature, nor judged by the data check) and recorded in the model file, as the in-memory path records it.
    ``gradient_flow``: ``--gradient-flow``'s :class:`hiddenlayers.lens.GradientFlow` each pass (:func:`_add_gradient_flow`).
    ``validation``: ``--validation``'s folder, glob or file, streamed as the fit's ``X_val`` (:func:`~._validation.validation_source`):
    early stopping scores its rows and every unit of ``data`` trains.
    ``log``: ``--log``'s CSV file, one row per pass written by rank 0 as the fit runs; a restarted run adds to it (:mod:`._log`).
    ``typed``: the options the user typed (by parameter name), so a ``--validation-fraction`` the fit would ignore is refused.
    """
    from ..estimators import shared_scan
    from ..training import is_writer, shutdown_distributed

    if target is None:
        raise UserError("--target is required when training from a directory of files: name the column to predict.")
    ckpt = str(checkpoint_path(out))  # refused, as --out is, inside DATA or --validation
    restarted = int(os.environ.get("TORCHELASTIC_RESTART_COUNT", "0")) > 0
    if restarted and _ended_before_restart():
        return None
    # a restarted worker, or a re-run of a Ctrl-C'd or killed fit (its checkpoint there): the outputs are that run's, written over
    resume = restarted or os.path.isfile(ckpt)
    inputs = tuple(str(f) for f in (data, validation, params.get("init_from")) if f is not None)  # --init-from's model is read too
    _check_options(task, params, seed, max_categories, (data, target, features))
    out_path = check_output(out, force=force or resume, inputs=inputs, what="--out")
    log_file = log_path(log, force=force or resume, inputs=inputs, out_path=out_path)
    if os.path.isdir(ckpt):  # check_output's "give a file name, e.g. OUT.ckpt/model.safetensors" named no path one can give
        raise UserError(f"the checkpoint path '{ckpt}' is a folder: give a file (HIDDENLAYERS_CHECKPOINT), or another --out.")
    check_output(ckpt, force=True, inputs=inputs, what="the checkpoint")
    model = None
    try:
        join_run(join_timeout, ckpt)  # the process group under torchrun, its ranks resuming from one checkpoint
        src = _source(data, target, features, sample_weight, max_categories, check)  # rank 0's files on every machine
        params = _early_stopping_for(src, params, validation, typed)  # refused from the footers, before any row is read
        val = None if validation is None else validation_source(validation, src, features=src.features if features else None,
                                                                max_categories=max_categories)  # its footers too
        retimed = _check_trained_on(src, val, ckpt)  # a checkpoint of other columns or files: one line before any row is read too
        with warnings.catch_warnings(record=True) as hints:  # the preprocessing's column warnings: shown once the check says which it named
            warnings.simplefilter("always", ColumnWarning)
            scan = shared_scan(src)  # under --workers: rank 0 reads every file for the statistics, the others take them
        if task == "auto":  # train FILE's rule (data.infer_task), as check DIR judges it: labels for text, booleans or at most 20 whole numbers
            task = scan.inferred_task()
        from ._train import _transfer_params, make_estimator

        params, _ = _transfer_params(params)  # the in-memory path's defaults too: --hidden 100, --freeze parsed
        model = make_estimator(task, params, seed, quiet=True, labels=scan.classes)
        if not is_writer():  # --set verbose=true: rank 0's lines only (every rank printed the same lines, interleaved)
            model.set_params(verbose=False)
        if gradient_flow:
            _add_gradient_flow(model, src, seed)
        if log_file is not None:  # last: it logs what the other callbacks add to the logs
            model.set_params(callbacks=[*(model.callbacks or []), log_callback(log_file, resume=resume)])
        if val is not None and validation is not None:  # its refusals before the data check's summary, in one line (the fit's own check, its pass cached)
            _check_validation_source(model, src, scan, val, validation)
        _check_checkpoint(model, src, val, ckpt, retimed)
        checked = _rank_0_check(src, task) if check else None
        if is_writer():
            _print_notes(src, hints, checked)
        start = time.perf_counter()
        _fit(model, src, val, validation, ckpt, as_json)
        elapsed = time.perf_counter() - start
        if _nothing_trained(model, out_path) or not is_writer():  # Ctrl-C in the first pass: no rank saves the untrained start
            return None
        if gradient_flow and not model.history_.extra.get("gradient_flow"):
            note("--gradient-flow recorded nothing: the fit ran no epoch.")
        if sample_weight is not None:  # a record for info and evaluate (predicting never reads it)
            model.preprocessing_ = {**model.preprocessing_, WEIGHT_COLUMN_KEY: sample_weight}
        _save(model, out_path, ckpt)
        return _summary(model, src, out_path, ckpt, task=task, target=target, n_rows=scan.n_rows, elapsed=elapsed, as_json=as_json, val=val)
    finally:
        del model  # gloo can abort at exit unless the model is freed before the group is destroyed
        shutdown_distributed()


def _early_stopping_for(src: Any, params: dict[str, Any], validation: str | None, typed: Collection[str]) -> dict[str, Any]:
    """``params`` with early stopping decided for ``src`` (on with ``--validation``, whose rows score it, else from 4 units),
    once its units are enough for it and the ranks (:func:`~hiddenlayers.estimators.refuse_unit_counts`: from the footers, before
    the data check reads every row, which it did first); a typed ``--validation-fraction`` it would ignore (early stopping
    off) is refused (``typed``: the options the user typed)."""
    from ..estimators import refuse_unit_counts
    from ..training import distributed_world

    if params.get("early_stopping") is None:
        params = {**params, "early_stopping": validation is not None or len(src.units) >= 4}
    if "validation_fraction" in typed and not params["early_stopping"]:
        few = "early_stopping" not in typed and len(src.units) < 4
        why = (f"early stopping is off for {src.path}, which has {len(src.units)} row group(s) or CSV file(s) (it turns on from 4): "
               "add --early-stopping to hold out whole row groups, or drop --validation-fraction" if few else
               "early stopping is off, so nothing is held out: drop --validation-fraction, or turn early stopping on")
        raise UserError(f"--validation-fraction {params['validation_fraction']:g} would be ignored: {why}.")
    held = bool(params["early_stopping"]) and validation is None
    try:
        refuse_unit_counts(src, held, float(params["validation_fraction"]), distributed_world()[1])
    except ValueError as exc:
        raise _training_failed(exc) from None
    return params


def _source(data: str, target: str, features: str | None, weight: str | None, max_categories: int, check: bool) -> Any:
    """DATA's :class:`~hiddenlayers.data.ParquetSource` (``check``: the data check's bookkeeping; ``--no-check`` keeps none),
    its files compared with rank 0's under ``--workers`` (each machine reads its own copy) before their footers plan anything."""
    from ..data import ParquetSource

    src = ParquetSource(data, target=target, features=features.split(",") if features else None, weight=weight,
                        max_categories=max_categories, data_checks=check)
    _same_files(src, "DATA")
    return src


def _same_files(src: Any, option: str) -> None:
    """Under ``--workers``: ``src``'s files (``option``'s: DATA or ``--validation``) are rank 0's on every machine
    (:func:`~hiddenlayers.estimators.check_same_files`), else one line naming the option."""
    from ..estimators import check_same_files

    try:
        check_same_files(src, "training" if option == "DATA" else "validation")
    except ValueError as exc:
        raise UserError(f"{option}: {exc}") from None


def _rank_0_check(src: Any, task: str) -> Any:
    """The fast data checks of every row (:func:`~._check.stream_check`), a fatal finding refused in one line: run by rank 0 alone
    under ``--workers`` (each rank read every file again for them, twice for near duplicates), its refusal raised on every rank
    (:func:`~hiddenlayers.training.from_rank_0`). The report on rank 0 (it prints the summary), None on the others."""
    from ..exceptions import DataError
    from ..training import from_rank_0

    report = None

    def check() -> None:
        nonlocal report
        report = stream_check(src, task)
        refuse_fatal(report)

    from_rank_0(check, errors=(UserError, DataError, ValueError, TypeError))
    return report


def _check_trained_on(src: Any, val: Any, ckpt: str) -> list[str]:
    """A checkpoint ``ckpt`` trained on other columns or files than ``src``'s, or on other validation files than ``val``'s
    (``--validation``'s source, or None) (:func:`~hiddenlayers.estimators.check_trained_on`), or damaged: one line from the
    files' fingerprints, before the statistics pass reads every row (its network and statistics are judged after it).
    Returns the files it takes as copies (:func:`~hiddenlayers.estimators.retimed_files`; rank 0's, none on the others), for
    :func:`_check_checkpoint` to name once the statistics pass agrees."""
    from ..estimators import check_trained_on, read_checkpoint, retimed_files, trained_on, validation_files
    from ..training import is_writer

    try:
        record = trained_on(src, validation=None if val is None else validation_files(val))
        saved = check_trained_on(read_checkpoint(ckpt), record, ckpt, warn_unrecorded=False)
    except ValueError as exc:
        raise _training_failed(exc) from None
    return retimed_files(saved, record) if is_writer() else []


def _check_checkpoint(model: Any, src: Any, val: Any, ckpt: str, retimed: list[str]) -> None:
    """A damaged, foreign or stale checkpoint ``ckpt`` (its files edited in place too: other statistics): one line, before
    the data check's summary. One the fit will resume from: ``train FILE``'s note on rank 0 (a re-run, or a run
    ``--max-restarts`` restarted, went on without a word), after the note naming ``retimed``, the files of another time
    taken as copies. ``val``: ``--validation``'s source (None: none), which the checkpoint records."""
    from ..estimators import check_checkpoint, epochs_of
    from ..training import is_writer

    try:
        saved = check_checkpoint(model, src, ckpt, epochs_name="--epochs", X_val=val)
    except ValueError as exc:
        raise _training_failed(exc) from None
    if saved is None or not is_writer():
        return
    if retimed:  # a copy without times, or an edit in place that kept the footer and the statistics: said once (rank 0)
        many = len(retimed) > 1
        shown = ", ".join(f"'{n}'" for n in retimed[:3]) + (f" and {len(retimed) - 3} more" if len(retimed) > 3 else "")
        note(f"{shown} {'have' if many else 'has'} another modification time than when {ckpt} was written, with the same size, rows "
             f"and Parquet footer (DATA's files: and statistics): resuming with {'them' if many else 'it'} as the same "
             f"{'files' if many else 'file'} (a copy). An edit in place that keeps all of them (values swapped between rows of "
             f"a column; any edit of --validation's files) is not seen: delete {ckpt} after one.")
    note(resuming_line(Path(ckpt), {"history": saved["history"], "first": 0}, epochs_of(model)))


def _fit(model: Any, src: Any, val: Any, validation: str | None, ckpt: str, as_json: bool) -> None:
    """``model.fit(src, X_val=val)`` with the checkpoint file ``ckpt``; its errors one line in the command line's words.
    Under ``--workers`` the ranks compared DATA's and ``--validation``'s files and ``ckpt`` with rank 0's before (:func:`_source`,
    :func:`_check_validation_source`, :func:`~._train_nodes.join_run`): the fit does not compare them again."""
    from sklearn.exceptions import ConvergenceWarning

    from ..estimators import compared_with_rank_0
    from ..training import is_writer

    # the checkpoint path is this fit's only: set for the call and put back after (in-process callers, tests)
    # --json: the fit's stdout (--set verbose=true's lines) goes to stderr, so stdout is the JSON document alone
    quiet_stdout = contextlib.redirect_stdout(sys.stderr) if as_json else contextlib.nullcontext()
    from ._option_words import notes_in_option_words

    with (warnings.catch_warnings(), _environ("HIDDENLAYERS_CHECKPOINT", ckpt), quiet_stdout, notes_in_option_words(stream_options()),
          compared_with_rank_0(src, val, checkpoint=ckpt)):
        warnings.simplefilter("ignore", ConvergenceWarning)
        if not is_writer():  # the ranks agree on what the fit warns (interrupted, diverged): rank 0 says it once
            warnings.simplefilter("ignore")
        try:
            model.fit(src, X_val=val)
        except (ValueError, TypeError) as exc:
            said = None if validation is None else validation_failed(exc, validation)
            if said is not None:
                raise said from None
            if isinstance(exc, HiddenLayersError):
                raise
            raise _training_failed(exc) from None


def _check_validation_source(model: Any, src: Any, scan: Any, val: Any, path: str) -> None:
    """``--validation``'s source checked as ``model.fit(src, X_val=val)`` will check it (columns, labels, rows, weights), each
    refusal one line naming ``--validation``."""
    from ..estimators import stream_validation

    _same_files(val, "--validation")  # under --workers: rank 0's files on every machine, before rank 0 reads their rows
    try:
        stream_validation(model, src, scan, val, None, None)
    except ValueError as exc:
        said = validation_failed(exc, path)
        raise (said or _training_failed(exc)) from None


def _save(model: Any, out_path: Any, ckpt: str) -> None:
    """Rank 0: the model file (atomic), then the launcher's result file (:func:`write_result`); the checkpoint of a fit that
    ended removed. After Ctrl-C it stays (``train FILE``'s rule, Keras' ``BackupAndRestore``'s): the model file holds the
    best weights so far and a re-run of the same command resumes from the last whole epoch."""
    model.save(out_path)
    kept = model.stop_reason_ == "interrupted" and os.path.exists(ckpt)
    write_result(out_path, model.stop_reason_, ckpt if kept else None)
    if os.path.exists(ckpt) and not kept:
        os.remove(ckpt)


def _nothing_trained(model: Any, out_path: Any) -> bool:
    """Whether ``model``'s fit was Ctrl-C'd before its first pass ended: its weights are the untrained start, so no model
    file is written, as ``train FILE`` writes none (it was saved as "the best model so far"). One process then ends with
    :func:`~._train_backup.untrained_line` and exit 130; a worker of ``--workers`` writes no result file, so its launcher
    says that nothing was saved."""
    from ..training import is_writer

    if model.stop_reason_ != "interrupted" or len(model.history_):
        return False
    if is_writer() and os.environ.get(RESULT_ENV) is None:
        raise Interrupted(untrained_line(Path(out_path)))
    return True


def _add_gradient_flow(model: Any, src: Any, seed: int) -> None:
    """``--gradient-flow``: a :class:`hiddenlayers.lens.GradientFlow` callback whose statistics use 512 preprocessed rows of the
    first units in a ``seed``-shuffled order (the in-memory path draws them from its table)."""
    from ._train import gradient_flow_callback

    sample, _ = next(src.chunks(range(len(src.units)), rows=512, seed=seed, limit=512))
    model.set_params(callbacks=[*(model.callbacks or []), gradient_flow_callback(sample, seed)])


def _print_notes(src: Any, hints: list[warnings.WarningMessage], checked: Any) -> None:
    """Rank 0's notes before the fit: dropped CSV rows, the column warnings the check did not name, and the check's summary."""
    for msg in src.drop_notes():  # ragged CSV rows skipped, as the in-memory path drops them
        note(msg)
    said = hinted_columns(checked)
    for w in hints:
        if not (isinstance(w.message, ColumnWarning) and w.message.column in said):
            note(str(w.message))
    if checked is not None:
        print_check_summary(checked)


def _summary(model: Any, src: Any, out_path: Any, ckpt: str, *, task: str, target: str, n_rows: int, elapsed: float, as_json: bool,
             val: Any = None) -> dict[str, Any]:
    """The fitted run's summary (``elapsed`` in seconds), printed as JSON or as notes on stderr; ``val``: ``--validation``'s source;
    ``ckpt``: the checkpoint, named in the summary and in Ctrl-C's line when kept. After Ctrl-C, once printed, the command ends
    with that line and exit 130 (:class:`~._common.Interrupted`), but in a worker of ``--workers``, whose launcher does that."""
    summary = {
        "model": str(out_path), "task": task, "target": target, "rows": n_rows, "row_groups": len(src.units),
        "epochs": model.n_iter_, "stop_reason": model.stop_reason_, "train_loss": model.loss_,
        "best_validation_score": model.best_validation_score_, "seconds": round(elapsed, 2),
        "processes": int(os.environ.get("WORLD_SIZE", "1")),
    }
    if model.stop_reason_ == "interrupted" and os.path.isfile(ckpt):  # for a script: the file the same command resumes from
        summary["checkpoint"] = ckpt
    if val is not None:  # the rows early stopping scored (its statistics pass is cached)
        summary.update(validation=val.path, validation_rows=val.scan().n_rows)
    if task == "regression":  # scale_target (the default; --no-scale-target: None), as info shows it
        scaled = hasattr(model, "target_mean_")
        summary["target_scaling"] = scaling_text({"mean": model.target_mean_, "scale": model.target_scale_} if scaled else None)
    if as_json:
        print_json(summary)
    else:
        note(f"trained on {n_rows:,} rows streamed from {len(src.files)} file(s) in {elapsed:.1f} s "
             f"({_count(summary['processes'], 'process', 'processes')}): {_count(model.n_iter_, 'epoch', 'epochs')}, {model.stop_reason_}, "
             f"loss {model.loss_:.4g}")
        if val is not None:
            note(f"early stopping scored {summary['validation_rows']:,} rows of {val.path} (best score {model.best_validation_score_:.4g})")
        if summary.get("target_scaling"):
            note(f"trained on {summary['target_scaling']}; predictions are in y's units (--no-scale-target: unscaled)")
        note(f"saved {out_path}")
    if os.environ.get(RESULT_ENV) is None:  # Ctrl-C: exit 130 once saved and said; under --workers the launcher says it and exits 130
        stop_if_interrupted(model.stop_reason_, interrupted_line(Path(out_path), Path(ckpt)))  # (a worker's 130 is a failure torchrun restarts)
    return summary


__all__ = ["is_stream_input", "launch_workers", "run_train_stream"]


@contextmanager
def _environ(name: str, value: str) -> Iterator[None]:
    """``os.environ[name] = value`` inside the block; the old value (or none) after it."""
    old = os.environ.get(name)
    os.environ[name] = value
    try:
        yield
    finally:
        if old is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = old


def _count(n: int, one: str, many: str) -> str:
    """``n`` with its noun in the right number: "1 epoch", "3 epochs"."""
    return f"{n} {one if n == 1 else many}"
