"""The ``recommend`` command: top-N lists of a saved Recommender, written as ``predict`` writes its tables."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from ._common import UserError, check_output, note, one_line, stdout_if_dash

_SUFFIXES = (".csv", ".tsv", ".jsonl", ".parquet")


def recommend_command(
    model: Annotated[str, typer.Argument(help="A Recommender file (.safetensors): from `hiddenlayers train --app recommender`, or Recommender.save.")],
    users: Annotated[str, typer.Option("--users", "-u", help="User ids, comma-separated, as fitted (e.g. 1,2,3), or a file of them "
                                       "(one per line, or comma-separated); each once.", show_default=False)],
    n: Annotated[int, typer.Option("--n", "-n", help="Items per user (at most the candidate items).")] = 10,
    items: Annotated[str | None, typer.Option("--items", help="The candidate items (Python's items=): ids as --users takes them, a comma "
                                              "list or a file; each once and seen in training. [default: every item of the model]",
                                              show_default=False)] = None,
    include_seen: Annotated[bool, typer.Option("--include-seen", help="Also rank the items each user rated in training (left out by default).")] = False,
    out: Annotated[str | None, typer.Option("--out", "-o", help="Write the lists here (.csv, .tsv, .jsonl, .parquet); default (or -): stdout as CSV.")] = None,
    force: Annotated[bool, typer.Option("--force", "-f", help="Overwrite an existing output file.")] = False,
) -> None:
    """Each user's N items of highest predicted rating (a loss=bpr model's: ranking score) from a saved Recommender: rows of user, rank, item, score.

    Equal scores rank by item id, ascending. Only the --items candidates are ranked, when given.
    Items the user rated in training are left out (--include-seen keeps them): for a file of `train --app recommender`,
    the rows it trained on, not the --test-size rows it held out to score (train with --test-size 0 to fit, and leave
    out, every rating of the file); a user not seen in training gets
    the items the model rates highest for an unknown user (global mean plus item bias), with a note.

    Example: hiddenlayers recommend stars.safetensors --users 1,2,3 -n 5 --out lists.csv
    """
    if n < 1:
        raise UserError(f"-n must be at least 1 (items per user). Received: {n}.")
    out = stdout_if_dash(out)
    if out is not None:
        check_output(out, force=force, inputs=(model,), what="--out", example="lists.csv")
        if Path(out).suffix.lower() not in _SUFFIXES:
            raise UserError(f"--out must end in .csv, .tsv, .jsonl or .parquet. Received: {out!r}.")
    lists = _lists(model, users, n, not include_seen, items)
    if out is None:
        try:
            lists.to_csv(sys.stdout, index=False)
        except BrokenPipeError:  # e.g. `| head`: the reader left
            sys.stderr.close()
        return
    from ._table_out import write_table

    write_table(lists, Path(out))
    note(f"wrote {len(lists)} rows of {lists['user'].nunique()} user(s)' lists to {out}")


def _lists(path: str, users: str, n: int, exclude_seen: bool, items: str | None = None) -> Any:
    """The lists of the Recommender in ``path`` for the ``--users`` text (and ``--items``, None: every item); the library's
    argument errors as one line."""
    from .._words import article
    from ..apps import list_lengths_words
    from ._appfiles import app_kind
    from ._data import load_model
    from ._table_out import network_precision

    kind = app_kind(path)
    model = load_model(path)
    if kind != "Recommender":
        raise UserError(f"'{path}' holds {article(kind) if kind else 'a table model'}, not a Recommender: recommend reads a file of "
                        "`hiddenlayers train --app recommender` (or Recommender.save).")
    ids = parse_user_ids(users, model.users_.dtype.kind)
    pool = None if items is None else parse_ids(items, model.items_.dtype.kind, "--items", "item")
    if pool is not None:
        refuse_unknown_items(model.items_, pool)
    m = len(model.items_) if pool is None else len(pool)
    try:
        lists = model.recommend(ids, n=min(n, m), exclude_seen=exclude_seen, items=pool)
    except (TypeError, ValueError) as exc:  # a DataError is a user error already; a file older than its pairs is one too
        if "exclude_seen" in str(exc):
            raise UserError(f"'{path}' was saved before Recommender files kept the pairs each user rated: pass --include-seen, "
                            "or train it again.") from None
        raise UserError(" ".join(str(exc).split())) from None
    if n > m:  # the lists' true lengths: the candidates less what each user rated in training (unless --include-seen)
        what = f"the model's {m} items" if pool is None else f"the {m} --items"
        counts = lists["user"].value_counts().reindex(ids, fill_value=0).to_numpy()
        note(f"-n {n} is more than {what}: {list_lengths_words(counts, m, 'rated in training')}")
    lists["score"] = network_precision(model, lists["score"].to_numpy())
    return lists


def refuse_unknown_items(known: Any, pool: list[Any]) -> None:
    """One line in the CLI's words for ``--items`` ids the model was not trained on (``known``: its fitted item ids, a
    pandas Index), which have no vector to rank: how many, the first, and the model's own item count and first ids."""
    unknown = [i for i, code in zip(pool, known.get_indexer(pool)) if code < 0]
    if not unknown:
        return
    try:
        shown = sorted(known.tolist())[:5]
    except TypeError:  # ids of mixed types: as fitted
        shown = known.tolist()[:5]
    more = ", ..." if len(known) > len(shown) else ""
    raise UserError(f"--items holds {len(unknown)} item id(s) the model was not trained on (first: {unknown[0]!r}), which it has no vector "
                    f"to rank: pass ids from its training data (it knows {len(known)} items: {', '.join(map(repr, shown))}{more}), "
                    "or leave out --items to rank them all.")


def parse_user_ids(text: str, kind: str) -> list[Any]:
    """``--users`` as ids of the model's type (``kind``: its ``users_``' NumPy dtype kind; integers for ``"i"``/``"u"``, else text)."""
    return parse_ids(text, kind, "--users", "user")


def parse_ids(text: str, kind: str, option: str, side: str) -> list[Any]:
    """``option``'s ids (``--users``, ``--items``) as ids of the model's type (``kind``: the fitted ids' NumPy dtype kind).

    ``text`` is the ids comma-separated, or the path of an existing file of them (one per line, or comma-separated; blank
    lines skipped), as a list of users is often kept. ``side``: ``"user"`` or ``"item"``, for the messages.
    """
    source = option
    if text.strip() and Path(text).is_file():
        try:
            body = Path(text).read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise UserError(f"{option}: cannot read '{text}' as a text file of {side} ids ({one_line(exc)}).") from None
        parts = [p.strip() for line in body.splitlines() for p in line.split(",")]
        parts = [p for p in parts if p]
        if not parts:
            raise UserError(f"{option} file '{text}' holds no {side} ids: write them one per line.")
        source = f"{option} file '{text}'"
    else:
        parts = [p.strip() for p in text.split(",")]
        if not text.strip() or any(not p for p in parts):
            example = "1,2,3" if side == "user" else "10,20,30"
            raise UserError(f"{option} must be comma-separated {side} ids (or a file of them), e.g. {option} {example}. Received: {text!r}.")
    twice = next((p for i, p in enumerate(parts) if p in parts[:i]), None)
    if twice is not None:
        raise UserError(f"{source} names {twice!r} more than once: give each {side} once.")
    if kind not in "iuf":
        return parts
    try:
        return [int(p) if kind in "iu" else float(p) for p in parts]
    except ValueError:
        bad = next(p for p in parts if not _number(p))
        raise UserError(f"{source} holds {bad!r}, but the model's {side} ids are numbers: pass ids as fitted, e.g. {option} 1,2,3.") from None


def _number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


__all__ = ["parse_ids", "parse_user_ids", "recommend_command"]
