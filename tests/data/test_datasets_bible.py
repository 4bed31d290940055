"""Bible verse pairs: IMP parsing and markup stripping on fixtures, the mod2imp pipeline with a
stand-in exporter, and the real Debian modules when they are installed."""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hiddenlayers.data._bible import (
    PAIR_COLUMNS,
    align_verses,
    default_cache_dir,
    imp_verses,
    load_bible_pairs,
    parse_imp,
    resolve_module,
    strip_markup,
)
from hiddenlayers.exceptions import DataError

FIX = Path(__file__).parents[1] / "fixtures" / "bible"
ENG = {
    "Genesis 1:1": "In the beginning, God created the heavens & the earth.",
    "Genesis 1:2": "The earth was formless and empty.",
    "Psalms 3:1": "A Psalm by David. Yahweh, how my adversaries have increased! Many are those who rise up against me.",
    "Song of Solomon 1:2": "Let him kiss me; for your love is better than wine.",
    "Revelation of John 22:21": "The grace of the Lord Jesus Christ be with all the saints. Amen.",
}


def test_imp_verses_fixture() -> None:
    verses = imp_verses((FIX / "engTEST.imp").read_text(encoding="utf-8"))
    # notes, headings, speakers, the glossary after the book end and the empty Luke 17:36 are gone
    assert verses == ENG
    spa = imp_verses((FIX / "spaTEST.imp").read_text(encoding="utf-8"))
    assert spa["Genesis 1:2"] == "Y la tierra estaba desordenada y vacía."  # a two-line entry
    assert spa["Revelation of John 22:21"] == "La gracia de nuestro Señor Jesucristo sea con todos vosotros. Amén."


def test_parse_imp_keeps_raw_entries() -> None:
    entries = parse_imp("ignored\n$$$[ Module Heading ]\n$$$Genesis 1:1\n<w>In</w> the\nbeginning\n$$$Genesis 1:1\nagain\n")
    assert entries == {"[ Module Heading ]": "", "Genesis 1:1": "<w>In</w> the\nbeginning\nagain"}


def test_align_verses_fixture() -> None:
    eng = imp_verses((FIX / "engTEST.imp").read_text(encoding="utf-8"))
    spa = imp_verses((FIX / "spaTEST.imp").read_text(encoding="utf-8"))
    pairs = align_verses(eng, spa)
    assert tuple(pairs.columns) == PAIR_COLUMNS
    assert pairs.ref.tolist() == ["Genesis 1:1", "Genesis 1:2", "Psalms 3:1", "Revelation of John 22:21"]
    assert pairs.loc[3, ["book", "chapter", "verse"]].tolist() == ["Revelation of John", 22, 21]
    assert pairs.chapter.dtype == "int64" and pairs.tgt[0] == "EN el principio crió Dios los cielos y la tierra."
    assert align_verses({}, spa).shape == (0, 6)


@pytest.mark.parametrize(
    ("raw", "plain"),
    [
        ('<w lemma="strong:H0430">God</w><note>Elohim</note><w>created</w>.', "God created."),
        ("a<note>x<note>y</note>z</note> b", "a b"),
        ('<title type="x-heading">Head</title>Text', "Text"),
        ('<title canonical="true" type="psalm">A Psalm.</title>Text', "A Psalm. Text"),
        ("line one<lb/>line two", "line one line two"),
        ('<div type="introduction">An intro <div type="x-p">para</div></div>Verse', "Verse"),
        ("Amen. <div eID='b1' type='book'/> Glossary text", "Amen."),
        ('He <transChange type="added">is</transChange> here &amp; there', "He is here & there"),
        ("<note>unclosed note runs to the end", ""),
        ("a < b > c </w>", "a b c"),
    ],
)
def test_strip_markup_cases(raw: str, plain: str) -> None:
    assert strip_markup(raw) == plain


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_characters="&")))
def test_strip_markup_never_crashes_and_leaves_no_brackets(raw: str) -> None:
    out = strip_markup(raw)
    assert "<" not in out and ">" not in out and out == out.strip()


_word = st.text(alphabet="abcdefghijklmnopqrstuvwxyzáéñ", min_size=1, max_size=8)
_kept = st.one_of(
    _word.map(lambda w: (w, w)),
    _word.map(lambda w: (w, f'<w lemma="strong:H{len(w)}">{w}</w>')),
    _word.map(lambda w: (w, f'<transChange type="added">{w}</transChange>')),
)
_gone = st.one_of(
    _word.map(lambda w: ("", f'<note placement="foot">SECRET {w} <w>{w}</w></note>')),
    st.just(("", '<div type="x-milestone" subType="x-preverse" sID="pv1"/>')),
    st.just(("", '<l level="1" sID="gen5"/>')),
    _word.map(lambda w: ("", f"<title>SECRET {w}</title>")),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.one_of(_kept, _gone), max_size=12), st.sampled_from(["", " "]))
def test_strip_markup_keeps_words_drops_notes(pieces: list[tuple[str, str]], sep: str) -> None:
    raw = sep.join(markup for _, markup in pieces)
    out = strip_markup(raw)
    assert "<" not in out and "SECRET" not in out
    if sep == " ":  # words separated in the source stay separate and in order
        assert out.split() == [w for w, _ in pieces if w]


@settings(max_examples=100, deadline=None)
@given(
    st.dictionaries(
        st.text(alphabet="ABCdef 0123456789:", min_size=1, max_size=12).map(str.strip).filter(bool),
        st.text(alphabet='abc <>/="\n', max_size=30).filter(lambda t: not t.startswith("\n")),
        max_size=6,
    )
)
def test_parse_imp_round_trip(entries: dict[str, str]) -> None:
    text = "".join(f"$$$  {key}\n{body}\n" for key, body in entries.items())
    assert parse_imp(text) == entries


# -- the pipeline, with a stand-in mod2imp and SWORD folder --------------------------------


@pytest.fixture()
def fake_sword(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """SWORD_PATH with modules engTEST/spaTEST and a mod2imp on PATH that prints the fixtures and logs each call."""
    mods = tmp_path / "sword" / "mods.d"
    mods.mkdir(parents=True)
    (mods / "engtest.conf").write_text("[engTEST]\nAbbreviation=TWEB\nEncoding=UTF-8\nVersion=1.0\n")
    (mods / "spatest.conf").write_text("[spaTEST]\nAbbreviation=TRV\nEncoding=UTF-8\n")
    bindir = tmp_path / "bin"
    bindir.mkdir()
    script = bindir / "mod2imp"
    script.write_text(
        '#!/bin/sh\necho "$1" >> "$HL_TEST_LOG"\n'
        'if [ -f "$HL_TEST_FIX/$1.imp" ]; then cat "$HL_TEST_FIX/$1.imp"; else echo "Couldn\'t find module: $1" >&2; exit 255; fi\n'
    )
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("SWORD_PATH", str(tmp_path / "sword"))
    monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}{os.environ.get('PATH', '')}")
    monkeypatch.setenv("HL_TEST_FIX", str(FIX))
    monkeypatch.setenv("HL_TEST_LOG", str(tmp_path / "calls.log"))
    return tmp_path


def _calls(root: Path) -> list[str]:
    log = root / "calls.log"
    return log.read_text().split() if log.exists() else []


def test_load_pairs_runs_mod2imp_once_then_uses_the_cache(fake_sword: Path) -> None:
    cache = fake_sword / "cache"
    pairs = load_bible_pairs("engTEST", "TRV", cache_dir=cache)  # module id, and abbreviation
    assert pairs.ref.tolist() == ["Genesis 1:1", "Genesis 1:2", "Psalms 3:1", "Revelation of John 22:21"]
    assert pairs.src.tolist() == [ENG[r] for r in pairs.ref]
    assert _calls(fake_sword) == ["engTEST", "spaTEST"]
    files = list(cache.iterdir())
    assert len(files) == 1 and files[0].suffix == ".parquet" and files[0].name.startswith("bible-engTEST-spaTEST-")
    again = load_bible_pairs("engTEST", "spaTEST", cache_dir=cache)
    assert again.equals(pairs) and len(_calls(fake_sword)) == 2
    files[0].write_bytes(b"damaged")  # a broken cache is rebuilt, not an error
    assert load_bible_pairs("engTEST", "spaTEST", cache_dir=cache).equals(pairs) and len(_calls(fake_sword)) == 4
    load_bible_pairs("engTEST", "spaTEST", cache_dir=cache, refresh=True)
    assert len(_calls(fake_sword)) == 6 and [p.name for p in cache.iterdir()] == [files[0].name]  # no temp files left


def test_cache_key_follows_the_module_version(fake_sword: Path) -> None:
    cache = fake_sword / "cache"
    load_bible_pairs("engTEST", "spaTEST", cache_dir=cache)
    conf = fake_sword / "sword" / "mods.d" / "engtest.conf"
    conf.write_text(conf.read_text().replace("Version=1.0", "Version=1.1"))
    load_bible_pairs("engTEST", "spaTEST", cache_dir=cache)
    assert len(list(cache.iterdir())) == 2 and len(_calls(fake_sword)) == 4


def test_default_cache_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HIDDENLAYERS_CACHE_DIR", str(tmp_path / "c"))
    assert default_cache_dir() == tmp_path / "c"
    monkeypatch.delenv("HIDDENLAYERS_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "x"))
    assert default_cache_dir() == tmp_path / "x" / "hiddenlayers"


def test_missing_module_names_the_apt_packages(fake_sword: Path) -> None:
    with pytest.raises(
        DataError,
        match=r"SWORD module 'NoSuchBible' is not installed \(installed: .*engTEST.*spaTEST.*\): run `apt-get install sword-text-web sword-text-sparv libsword-utils`",
    ):
        resolve_module("NoSuchBible")
    with pytest.raises(TypeError, match="a Bible module name must be a non-empty string"):
        resolve_module("")


def test_missing_mod2imp_names_libsword_utils(fake_sword: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(fake_sword / "empty"))
    with pytest.raises(DataError, match=r"the `mod2imp` program is not installed: run `apt-get install libsword-utils`"):
        load_bible_pairs("engTEST", "spaTEST", cache_dir=fake_sword / "cache")


def test_failing_mod2imp_is_reported(fake_sword: Path) -> None:
    (fake_sword / "sword" / "mods.d" / "other.conf").write_text("[otherTEST]\nEncoding=UTF-8\n")
    with pytest.raises(DataError, match=r"`mod2imp otherTEST` failed \(exit 255\): Couldn't find module: otherTEST"):
        load_bible_pairs("otherTEST", "spaTEST", cache_dir=fake_sword / "cache")


# -- the real Debian modules ------------------------------------------------------------------


def _real_bibles_missing() -> str | None:
    if shutil.which("mod2imp") is None:
        return "mod2imp not installed (apt-get install libsword-utils; `make system-deps` does it)"
    try:
        resolve_module("WEB"), resolve_module("SpaRV")
    except DataError:
        return "Bible modules not installed (apt-get install sword-text-web sword-text-sparv; `make system-deps` does it)"
    return None


@pytest.mark.skipif(_real_bibles_missing() is not None, reason=str(_real_bibles_missing()))
def test_real_web_sparv_pairs(bible_pairs: pd.DataFrame) -> None:
    pairs = bible_pairs  # load_bible_pairs(cache_dir=<a fresh folder>), shared with the translation test (conftest)
    assert len(pairs) == 31077 and pairs.book.nunique() == 66
    first = pairs.iloc[0]
    assert (first.ref, first.src) == ("Genesis 1:1", "In the beginning, God created the heavens and the earth.")
    assert first.tgt == "EN el principio crió Dios los cielos y la tierra."
    assert not pairs.src.str.contains("[<>]").any() and not pairs.tgt.str.contains("[<>]").any()
    assert pairs.src.str.split().str.len().max() < 150  # no glossary or introduction glued onto a verse
