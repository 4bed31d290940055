"""Parallel Bible verses from installed SWORD modules (Debian's public-domain Bibles).

The default pair is English-Spanish: the World English Bible (Debian package
``sword-text-web``, module ``engWEB2015eb``) and the Reina-Valera 1909
(``sword-text-sparv``, module ``spaRV1909eb``); both are in the public domain.
``mod2imp`` (package ``libsword-utils``) exports a module as IMP text::

    $$$Genesis 1:1
    <w lemma="strong:H7225">In the beginning</w>, God<note>...</note> created ...

:func:`parse_imp` and :func:`strip_markup` turn that into plain verses (pure
functions, tested on a fixture); :func:`load_bible_pairs` runs ``mod2imp``
(no shell), aligns the verses both modules have, and caches the pairs as a
Parquet file in the user cache folder, so later calls skip the export.
"""

from __future__ import annotations

import hashlib
import html
import io
import os
import re
import shutil
import subprocess
from pathlib import Path

import pandas as pd

from .._files import atomic_write_bytes
from ..exceptions import DataError

# our short names (Debian's historic module ids) -> (SWORD module id, Debian package)
BIBLE_MODULES = {
    "WEB": ("engWEB2015eb", "sword-text-web"),
    "SpaRV": ("spaRV1909eb", "sword-text-sparv"),
}
PAIR_COLUMNS = ("ref", "book", "chapter", "verse", "src", "tgt")
_CACHE_FORMAT = 1  # bump when parsing changes, so old caches are not reused

# Elements dropped with their content: footnotes, headings, speaker labels.
# A <title canonical="true"> (a psalm's superscription) is verse text and is kept.
_DROP = frozenset({"note", "title", "speaker"})
# Elements that separate words (lines, paragraphs, ...): replaced by a space.
# Every other tag (<w>, <transChange>, <q>, <hi>, <divineName>, ...) is removed and its text kept.
_BREAK = frozenset({"l", "lg", "lb", "p", "br", "div", "chapter", "verse", "milestone", "item", "list", "row", "cell", "table", "head"})
# The common inline and spacing tags, removed in C-speed passes first (700,000 <w> tags in the WEB).
_INLINE = re.compile(r"</?(?:w|transChange|q|hi|divineName|seg|name|foreign|font|scripRef|sync)(?:\s[^<>]*)?/?>")
_SPACER = re.compile(r"</?(?:l|lg|lb|p|br|chapter|verse|milestone|item|list)(?:\s[^<>]*)?/?>")
_NON_VERSE_DIV = re.compile(r"""\btype\s*=\s*["'](?:glossary|introduction|x-introduction|front|back|preface|colophon|appendix)["']""")
_BOOK_DIV = re.compile(r"""\btype\s*=\s*["']book["']""")
_TAG = re.compile(r"<(/?)([A-Za-z][\w:.-]*)([^<>]*)>")
_CANONICAL = re.compile(r"""\bcanonical\s*=\s*["']true["']""")
_SPACE_BEFORE_PUNCT = re.compile(r"\s+([,.;:!?)\]])")
_VERSE_KEY = re.compile(r"^(?P<book>\S.*?) (?P<chapter>\d+):(?P<verse>\d+)$")


def strip_markup(raw: str) -> str:
    """Plain text of one verse of OSIS or ThML markup (other tags are removed, their text kept).

    Removes every tag; drops ``<note>``, non-canonical ``<title>``,
    ``<speaker>`` and introduction/glossary ``<div>`` with their content, and
    everything after a book-end or introduction milestone; keeps the text of everything else
    (``<w lemma=...>word</w>`` -> ``word``, ``<transChange>`` text kept);
    unescapes entities and collapses whitespace.

    >>> strip_markup('<w lemma="strong:H0430">God</w><note>Elohim</note><w>created</w>.')
    'God created.'
    """
    raw = _SPACER.sub(" ", _INLINE.sub("", raw))
    out: list[str] = []
    drop_name, drop_depth = "", 0
    pos = 0
    for m in _TAG.finditer(raw):
        if not drop_depth:
            out.append(raw[pos : m.start()])
        pos = m.end()
        closing, name, attrs = m.group(1) == "/", m.group(2).lower(), m.group(3)
        selfclosing = attrs.rstrip().endswith("/")
        if drop_depth:
            if name == drop_name and not selfclosing:
                drop_depth += -1 if closing else 1
            if not drop_depth:
                out.append(" ")
            continue
        if name == "div" and selfclosing and (_NON_VERSE_DIV.search(attrs) or ("eID" in attrs and _BOOK_DIV.search(attrs))):
            pos = len(raw)  # milestone: a glossary or introduction starts, or the book ends; the rest is not verse text
            break
        dropped = name in _DROP and not (name == "title" and _CANONICAL.search(attrs))
        if not closing and not selfclosing and (dropped or (name == "div" and _NON_VERSE_DIV.search(attrs))):
            drop_name, drop_depth = name, 1
            out.append(" ")
        elif name in _BREAK or name in _DROP:
            out.append(" ")
    if not drop_depth:
        out.append(raw[pos:])
    text = "".join(out).replace("<", " ").replace(">", " ")  # stray brackets of broken markup
    text = " ".join(html.unescape(text).split())
    return _SPACE_BEFORE_PUNCT.sub(r"\1", text)


def parse_imp(text: str) -> dict[str, str]:
    """Split IMP text into ``{key: raw entry}`` in file order (markup untouched).

    Each entry starts with a ``$$$key`` line; the lines up to the next key are
    its text (joined by newlines). Text before the first key is ignored; a
    repeated key appends to the earlier entry.
    """
    entries: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in text.splitlines():
        if line.startswith("$$$"):
            current = entries.setdefault(line[3:].strip(), [])
        elif current is not None:
            current.append(line)
    return {key: "\n".join(lines) for key, lines in entries.items()}


def imp_verses(text: str) -> dict[str, str]:
    """Plain-text verses of an IMP export: ``{"Genesis 1:1": "In the beginning, ..."}``.

    Keeps keys of the form ``Book C:V`` with chapter and verse >= 1 (module,
    book and chapter introductions are dropped) whose text is not empty
    once the markup is stripped.
    """
    verses: dict[str, str] = {}
    for key, raw in parse_imp(text).items():
        m = _VERSE_KEY.match(key)
        if m is None or int(m["chapter"]) < 1 or int(m["verse"]) < 1:
            continue
        plain = strip_markup(raw)
        if plain:
            verses[key] = plain
    return verses


def align_verses(src: dict[str, str], tgt: dict[str, str]) -> pd.DataFrame:
    """Pair the verses present in both dicts, in ``src`` order.

    Returns a frame with columns ``ref`` ("Genesis 1:1"), ``book``,
    ``chapter``, ``verse`` (int64), ``src`` and ``tgt`` (plain text).
    """
    rows = []
    for key, text in src.items():
        other = tgt.get(key)
        m = _VERSE_KEY.match(key)
        if other is None or m is None:
            continue
        rows.append((key, m["book"], int(m["chapter"]), int(m["verse"]), text, other))
    frame = pd.DataFrame(rows, columns=list(PAIR_COLUMNS))
    return frame.astype({"chapter": "int64", "verse": "int64", "ref": str, "book": str, "src": str, "tgt": str})


def _mods_dirs() -> list[Path]:
    dirs = [Path(p) / "mods.d" for p in os.environ.get("SWORD_PATH", "").split(os.pathsep) if p]
    return [*dirs, Path.home() / ".sword" / "mods.d", Path("/usr/share/sword/mods.d")]


def _read_conf(path: Path) -> dict[str, str]:
    conf: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        line = line.strip()
        if line.startswith("[") and line.endswith("]") and "__id" not in conf:
            conf["__id"] = line[1:-1].strip()
        elif "=" in line and not line.startswith("#"):
            k, _, v = line.partition("=")
            conf.setdefault(k.strip().lower(), v.strip())
    return conf


def _apt_hint(name: str) -> str:
    debs = [BIBLE_MODULES[name][1]] if name in BIBLE_MODULES else [deb for _, deb in BIBLE_MODULES.values()]
    return f"`apt-get install {' '.join(debs)} libsword-utils`"


def resolve_module(name: str) -> tuple[str, Path]:
    """Find an installed SWORD module by our short name, module id or abbreviation: ``(module id, conf file)``."""
    if not isinstance(name, str) or not name:
        raise TypeError(f"a Bible module name must be a non-empty string such as 'WEB' or 'SpaRV'; got {name!r}.")
    wanted = BIBLE_MODULES.get(name, (name, ""))[0].lower()
    found: dict[str, Path] = {}
    for folder in _mods_dirs():
        for conf_path in sorted(folder.glob("*.conf")) if folder.is_dir() else []:
            conf = _read_conf(conf_path)
            module = conf.get("__id", "")
            if not module or module in found:
                continue
            found[module] = conf_path
            if wanted in (module.lower(), conf.get("abbreviation", "").lower()) or name.lower() == module.lower():
                return module, conf_path
    have = ", ".join(sorted(found)) or "none"
    raise DataError(f"SWORD module {name!r} is not installed (installed: {have}): run {_apt_hint(name)}, or name an installed module.")


def export_module(module: str, conf_path: Path) -> str:
    """Run ``mod2imp MODULE`` (no shell) and return its IMP text."""
    exe = shutil.which("mod2imp")
    if exe is None:
        raise DataError("the `mod2imp` program is not installed: run `apt-get install libsword-utils` (it exports SWORD modules).")
    try:
        done = subprocess.run([exe, module], capture_output=True, check=False, timeout=600)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise DataError(f"`mod2imp {module}` failed to run ({type(exc).__name__}: {exc}).") from None
    if done.returncode != 0 or not done.stdout.startswith(b"$$$"):
        err = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise DataError(
            f"`mod2imp {module}` failed (exit {done.returncode}): {err[0] if err else 'no IMP output'}; reinstall the module's package."
        )
    encoding = "utf-8" if _read_conf(conf_path).get("encoding", "").upper().replace("-", "") == "UTF8" else "latin-1"
    return done.stdout.decode(encoding, "replace")


def default_cache_dir() -> Path:
    """``$HIDDENLAYERS_CACHE_DIR``, else ``$XDG_CACHE_HOME/hiddenlayers``, else ``~/.cache/hiddenlayers``."""
    if os.environ.get("HIDDENLAYERS_CACHE_DIR"):
        return Path(os.environ["HIDDENLAYERS_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "hiddenlayers"


def load_bible_pairs(
    src: str = "WEB", tgt: str = "SpaRV", *, cache_dir: str | os.PathLike[str] | None = None, refresh: bool = False
) -> pd.DataFrame:
    """Verse-aligned pairs of two installed SWORD Bibles (default English WEB -> Spanish RV1909).

    Returns a frame with columns ``ref``, ``book``, ``chapter``, ``verse``, ``src``, ``tgt`` (plain text, markup and
    footnotes removed), one row per verse both modules have, in canonical order. The default pair has 31,077 verses
    (the 66 books both have; the WEB's deuterocanon has no Spanish match). The first call exports both modules with
    ``mod2imp`` and parses them (about 4 s), and caches the pairs.

    Parameters
    ----------
    src : str
        The SWORD module name of the source Bible (``"WEB"``: the World English Bible).
    tgt : str
        The SWORD module name of the target Bible (``"SpaRV"``: the Spanish Reina-Valera 1909).
    cache_dir : str or PathLike, optional
        Where the pairs are cached (default :func:`default_cache_dir`).
    refresh : bool
        Rebuild the cache.

    Examples
    --------
    >>> pairs = load_bible_pairs()  # doctest: +SKIP
    >>> pairs.loc[0, ["ref", "src", "tgt"]].tolist()  # doctest: +SKIP
    ['Genesis 1:1', 'In the beginning, God created the heavens and the earth.', 'EN el principio crió Dios los cielos y la tierra.']
    """
    (src_id, src_conf), (tgt_id, tgt_conf) = resolve_module(src), resolve_module(tgt)
    digest = hashlib.sha256(f"{_CACHE_FORMAT}\0".encode() + src_conf.read_bytes() + b"\0" + tgt_conf.read_bytes()).hexdigest()[:12]
    folder = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    path = folder / f"bible-{src_id}-{tgt_id}-{digest}.parquet"
    if path.is_file() and not refresh:
        try:
            cached = pd.read_parquet(path)
            if tuple(cached.columns) == PAIR_COLUMNS:
                return cached
        except (OSError, ValueError):
            pass  # a damaged cache is rebuilt below
    pairs = align_verses(imp_verses(export_module(src_id, src_conf)), imp_verses(export_module(tgt_id, tgt_conf)))
    if pairs.empty:
        raise DataError(f"modules {src_id} and {tgt_id} share no verse references: choose two Bibles (not commentaries or dictionaries).")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        buffer = io.BytesIO()
        pairs.to_parquet(buffer, index=False)
        atomic_write_bytes(path, buffer.getvalue())
    except OSError:
        pass  # an unwritable cache folder costs a re-export next time, nothing else
    return pairs


__all__ = [
    "BIBLE_MODULES",
    "PAIR_COLUMNS",
    "align_verses",
    "default_cache_dir",
    "export_module",
    "imp_verses",
    "load_bible_pairs",
    "parse_imp",
    "resolve_module",
    "strip_markup",
]
