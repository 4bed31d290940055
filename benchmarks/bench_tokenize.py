"""``Tokenizer`` fit + encode with Unicode normalization (``normalize``) against the split without it (before).

Side by side in one process, alternating the ways in each round (each first in its turn) so load drifts hit all of them: ``--texts`` short texts
(5 to 15 words) of three kinds, plain ASCII, accented precomposed (NFC, as most web text) and the same decomposed (NFD, as
macOS file names), each fitted and then encoded, and split alone, by: the split before ``normalize`` existed (kept here as
the peer), ``normalize=None`` (an older file's tokenizer), ``"NFC"`` and ``"NFKC"`` (the default of new fits). Prints CPU
seconds (medians of ``--rounds``) and each way's ratio to the split before; then the NFKC step alone, and
``unicodedata.is_normalized`` alone (the quick check ``normalize`` makes first), as shares of the split before's fit +
encode: the machine's noise (10-20% between identical runs) can hide the step in the ratios.

    python benchmarks/bench_tokenize.py --texts 100000 --rounds 5
"""

from __future__ import annotations

import argparse
import statistics
import unicodedata
from collections.abc import Callable
from typing import Any

from bench_pad_batch import _cpu  # the same CPU-seconds timer

from hiddenlayers.apps import Tokenizer
from hiddenlayers.apps._tokenize import _WORD


class Before(Tokenizer):
    """The split before ``normalize`` existed: case folding, then the regex (or the characters)."""

    def split(self, text: str) -> list[str]:
        if self.lowercase:
            text = text.lower()
        return _WORD.findall(text) if self.mode == "word" else list(text)


#: the normalization step alone on every text (no split, no vocabulary): its cost is small beside the machine's noise.
#: ``is_normalized`` is the quick check that ``normalize`` makes first (ASCII and normal text come back as they are): calling it
#: before ``normalize`` would save nothing.
NORMALIZE_ALONE: dict[str, Callable[[str], Any]] = {
    "NFKC step alone": lambda t: unicodedata.normalize("NFKC", t),
    "is_normalized alone": lambda t: unicodedata.is_normalized("NFKC", t),
}


def corpora(n: int) -> dict[str, list[str]]:
    """``n`` texts of each kind from one seeded vocabulary of 3,000 words (a third of them accented in the NFC/NFD kinds)."""
    import numpy as np

    rng = np.random.default_rng(0)
    plain, accents = list("abcdefghijklmnopqrstuvwxyz"), list("éèêàçôûïüöäß")
    ascii_words = ["".join(rng.choice(plain, rng.integers(2, 10))) for _ in range(3000)]
    accented = [w if rng.random() < 0.67 else w[: len(w) // 2] + str(rng.choice(accents)) + w[len(w) // 2:] for w in ascii_words]

    def texts(words: list[str]) -> list[str]:
        picks = rng.integers(0, len(words), (n, 15))
        lengths = rng.integers(5, 16, n)
        return [" ".join(words[j] for j in picks[i, : lengths[i]]).capitalize() + "." for i in range(n)]

    nfc = texts(accented)
    return {"ascii": texts(ascii_words), "accented NFC": nfc, "accented NFD": [unicodedata.normalize("NFD", t) for t in nfc]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=100_000, help="texts of each kind (default 100000)")
    parser.add_argument("--rounds", type=int, default=5, help="timed rounds; medians are printed (default 5)")
    parser.add_argument("--mode", choices=("word", "char"), default="word", help="the tokenizer's mode (default word)")
    args = parser.parse_args()
    ways: dict[str, Callable[[], Tokenizer]] = {
        "before (no normalize)": lambda: Before(args.mode, normalize=None),
        "normalize=None": lambda: Tokenizer(args.mode, normalize=None),
        "NFC": lambda: Tokenizer(args.mode, normalize="NFC"),
        "NFKC (default)": lambda: Tokenizer(args.mode, normalize="NFKC"),
    }
    data = corpora(args.texts)
    print(f"{args.texts:,} texts of each kind, mode {args.mode!r}, {args.rounds} rounds; CPU seconds (medians) of fit + encode, and of "
          "split alone (one tokenizer's split of every text)")
    for kind, texts in data.items():
        whole: dict[str, list[float]] = {name: [] for name in ways}
        split: dict[str, list[float]] = {name: [] for name in ways}
        names = list(ways)
        for r in range(args.rounds):
            for name in names[r % len(names):] + names[: r % len(names)]:  # each way first in its turn: no place favoured
                make = ways[name]
                whole[name].append(_cpu(lambda make=make, texts=texts: make().fit(texts).encode(texts)))  # type: ignore[misc]
                tok = make()
                split[name].append(_cpu(lambda tok=tok, texts=texts: [tok.split(t) for t in texts]))  # type: ignore[misc]
        alone = {name: statistics.median(_cpu(lambda fn=fn, texts=texts: [fn(t) for t in texts]) for _ in range(args.rounds))  # type: ignore[misc]
                 for name, fn in NORMALIZE_ALONE.items()}
        base, base_split = statistics.median(whole["before (no normalize)"]), statistics.median(split["before (no normalize)"])
        print(f"\n{kind} (vocabulary by NFKC: {make_vocab(texts, args.mode)}, as typed: {make_vocab(texts, args.mode, None)})", flush=True)
        for name in ways:
            med, med_split = statistics.median(whole[name]), statistics.median(split[name])
            print(f"  {name:24s} fit + encode {med:6.3f} s {med / base:5.2f}x   split {med_split:6.3f} s {med_split / base_split:5.2f}x", flush=True)
        for name, med in alone.items():
            print(f"  {name:24s} {med:6.3f} s   {med / base:6.1%} of the split before's fit + encode", flush=True)


def make_vocab(texts: list[str], mode: str, normalize: str | None = "NFKC") -> int:
    """How many distinct tokens ``texts`` hold by that normalization (NFD text by None: accents as tokens of their own)."""
    return len(Tokenizer(mode, normalize=normalize, max_vocab=None).fit(texts).tokens)


if __name__ == "__main__":
    main()
