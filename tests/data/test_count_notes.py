"""CountNote and joined_notes: a streamed table's notes said once, their counts summed over every record batch."""

from __future__ import annotations

import copy
import json
import pickle

from hypothesis import given
from hypothesis import strategies as st

from hiddenlayers.data import CountNote, TablePreprocessor, joined_notes, unlearned_missing_note, unseen_note


def test_a_count_note_is_its_text_and_keeps_its_counts() -> None:
    note = unseen_note({"city": 2, "tier": 1})
    assert note == ("3 value(s) outside the categories kept in training (unseen, or rarer than max_categories) (city: 2, tier: 1) "
                    "were encoded as unknown / <other>")
    assert (note.kind, note.counts) == ("unseen", {"city": 2, "tier": 1}) and json.dumps([note]) == json.dumps([str(note)])
    for back in (copy.deepcopy(note), pickle.loads(pickle.dumps(note))):
        assert back == note and isinstance(back, CountNote) and back.counts == note.counts


def test_the_preprocessing_notes_are_count_notes() -> None:
    import pandas as pd

    pre = TablePreprocessor().fit(pd.DataFrame({"a": [1.0, 2.0, 3.0], "c": ["x", "y", "x"]}))
    notes = pre.transform(pd.DataFrame({"a": [None, 2.0], "c": ["z", "x"]})).notes
    assert [(n.kind, n.counts) for n in notes] == [("unseen", {"c": 1}), ("unlearned", {"a": 1})]


def test_joined_notes_sum_each_kind_and_say_other_notes_once() -> None:
    notes = ["ignored 1 column(s) the model does not use: id", unseen_note({"c": 2}), unlearned_missing_note({"a": 1}),
             "ignored 1 column(s) the model does not use: id", unseen_note({"d": 1, "c": 3}), unseen_note({"c": 1}), unseen_note({"c": 1})]
    files = ["p0", "p0", "p0", "p1", "p1", "p2", "p3"]
    assert joined_notes(notes, files) == [
        "ignored 1 column(s) the model does not use: id",
        f"{unseen_note({'c': 7, 'd': 1})} (in 4 files: 'p0', 'p1', 'p2', ...)",
        f"{unlearned_missing_note({'a': 1})} (in 1 file: 'p0')",
    ]


@given(st.lists(st.tuples(st.sampled_from(["f0", "f1", "f2"]), st.dictionaries(st.sampled_from("abc"), st.integers(1, 50), min_size=1)),
                max_size=12))
def test_joined_counts_are_the_sum_over_the_batches(batches) -> None:
    notes = [unseen_note(counts) for _, counts in batches]
    joined = joined_notes(notes, [file for file, _ in batches])
    if not batches:
        assert joined == []
        return
    total: dict[str, int] = {}
    for _, counts in batches:
        for k, v in counts.items():
            total[k] = total.get(k, 0) + v
    files = list(dict.fromkeys(file for file, _ in batches))
    (line,) = joined
    assert line.startswith(f"{sum(total.values())} value(s) ") and f"({', '.join(f'{k}: {v}' for k, v in total.items())})" in line
    assert line.endswith(f"(in {len(files)} file{'s' if len(files) > 1 else ''}: {', '.join(repr(f) for f in files)})")
