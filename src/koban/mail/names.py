"""Is this display name one of our executives? Kanji, kana, romaji, either order, any titles.

Names are compared as *keys*: NFKC, case-folded, kana turned into Hepburn romaji, long vowels
folded (``Tarou``, ``Tarō``, ``Taroh`` and ``たろう`` are all ``taro``), titles and honorifics
dropped. A display name is split into tokens (words, kana runs, CJK runs); the executive matches
when one token, or two adjacent tokens in either order, equal the full name. Kanji readings are
not guessed: the profile's ``aliases`` give the kanji forms. A person who shares only the
surname never matches, nor does a longer name that contains the executive's (``Kentaro Yamada``,
``小山田太郎``).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from koban.profile import Executive

# --- kana to Hepburn -------------------------------------------------------------------------

_KANA = {
    "あ": "a", "い": "i", "う": "u", "え": "e", "お": "o",
    "か": "ka", "き": "ki", "く": "ku", "け": "ke", "こ": "ko",
    "さ": "sa", "し": "shi", "す": "su", "せ": "se", "そ": "so",
    "た": "ta", "ち": "chi", "つ": "tsu", "て": "te", "と": "to",
    "な": "na", "に": "ni", "ぬ": "nu", "ね": "ne", "の": "no",
    "は": "ha", "ひ": "hi", "ふ": "fu", "へ": "he", "ほ": "ho",
    "ま": "ma", "み": "mi", "む": "mu", "め": "me", "も": "mo",
    "や": "ya", "ゆ": "yu", "よ": "yo",
    "ら": "ra", "り": "ri", "る": "ru", "れ": "re", "ろ": "ro",
    "わ": "wa", "ゐ": "i", "ゑ": "e", "を": "o", "ん": "n",
    "が": "ga", "ぎ": "gi", "ぐ": "gu", "げ": "ge", "ご": "go",
    "ざ": "za", "じ": "ji", "ず": "zu", "ぜ": "ze", "ぞ": "zo",
    "だ": "da", "ぢ": "ji", "づ": "zu", "で": "de", "ど": "do",
    "ば": "ba", "び": "bi", "ぶ": "bu", "べ": "be", "ぼ": "bo",
    "ぱ": "pa", "ぴ": "pi", "ぷ": "pu", "ぺ": "pe", "ぽ": "po",
    "ぁ": "a", "ぃ": "i", "ぅ": "u", "ぇ": "e", "ぉ": "o", "ゔ": "vu",
}  # fmt: skip
_SMALL_Y = {"ゃ": "a", "ゅ": "u", "ょ": "o"}
_SMALL_VOWEL = {"ぁ": "a", "ぃ": "i", "ぅ": "u", "ぇ": "e", "ぉ": "o"}
_HIRAGANA = re.compile(r"[\u3041-\u309f]")
_KANA_RUN = re.compile(r"[\u3041-\u309f\u30a1-\u30ffー]+")


def _to_hiragana(text: str) -> str:
    return "".join(chr(ord(c) - 0x60) if "\u30a1" <= c <= "\u30f6" else c for c in text)


def kana_to_romaji(text: str) -> str:
    """Hepburn romaji of the kana in ``text`` (other characters kept)."""
    s = _to_hiragana(text)
    out: list[str] = []
    i = 0
    double = False
    while i < len(s):
        c = s[i]
        nxt = s[i + 1] if i + 1 < len(s) else ""
        if c == "っ":
            double = True
            i += 1
            continue
        if c == "ー":
            if out and out[-1]:
                out.append(out[-1][-1])
            i += 1
            continue
        roma = _KANA.get(c)
        if roma is None:
            out.append(c)
            i += 1
            continue
        if nxt in _SMALL_Y and roma.endswith("i") and len(roma) > 1:
            stem = roma[:-1]
            roma = (stem if stem in ("sh", "ch", "j") else stem + "y") + _SMALL_Y[nxt]
            i += 1
        elif nxt in _SMALL_VOWEL and roma[-1] in "uo" and len(roma) > 1:
            roma = roma[:-1] + _SMALL_VOWEL[nxt]  # ファ → fa, ウィ → wi
            i += 1
        if double:
            roma = ("t" if roma.startswith("ch") else roma[0]) + roma
            double = False
        out.append(roma)
        i += 1
    return "".join(out)


def fold_romaji(word: str) -> str:
    """Long vowels folded so that every common romanisation of a name gives one key."""
    w = word.replace("ō", "o").replace("ū", "u").replace("ô", "o").replace("û", "u")
    w = re.sub(r"ou|oo|oh(?![aeiouy])", "o", w)
    return w.replace("uu", "u")


# --- titles and honorifics -------------------------------------------------------------------

# Dropped wherever they stand as a token; the Japanese ones also as a prefix or suffix of a
# CJK run (山田太郎様, 代表取締役山田太郎).
LATIN_TITLES = frozenset(
    [
        "ceo",
        "cfo",
        "cto",
        "coo",
        "ciso",
        "cio",
        "cso",
        "cmo",
        "chro",
        "president",
        "chairman",
        "chairwoman",
        "chair",
        "founder",
        "cofounder",
        "co-founder",
        "vp",
        "svp",
        "evp",
        "director",
        "md",
        "managing",
        "executive",
        "head",
        "chief",
        "officer",
        "of",
        "the",
        "and",
        "mr",
        "mrs",
        "ms",
        "miss",
        "dr",
        "prof",
        "sir",
        "san",
        "sama",
        "kun",
        "chan",
        "dono",
        "sensei",
        "shacho",
        "bucho",
        "representative",
        "board",
        "member",
        "partner",
        "gm",
        "general",
        "manager",
        "office",
        "from",
        "via",
        "at",
    ]
)
JA_TITLES = tuple(
    sorted(
        [
            "代表取締役社長",
            "代表取締役会長",
            "代表取締役",
            "取締役社長",
            "取締役会長",
            "取締役",
            "執行役員",
            "専務",
            "常務",
            "社長",
            "会長",
            "副社長",
            "最高経営責任者",
            "最高財務責任者",
            "最高技術責任者",
            "理事長",
            "理事",
            "監査役",
            "顧問",
            "本部長",
            "部長",
            "課長",
            "室長",
            "所長",
            "支店長",
            "次長",
            "係長",
            "主任",
            "代表",
            "社長室",
            "秘書",
            "秘書室",
            "様",
            "さま",
            "さん",
            "殿",
            "氏",
            "先生",
            "君",
            "くん",
        ],
        key=len,
        reverse=True,
    )
)

_TOKEN = re.compile(
    r"[a-z0-9\u00c0-\u024f][a-z0-9\u00c0-\u024f'\-]*"  # latin words (incl. ō)
    r"|[\u3041-\u309f\u30a1-\u30ffー]+"  # kana runs
    r"|[\u3400-\u9fff\uf900-\ufaff々〆]+"  # CJK runs
)
_BRACKETS = re.compile(r"[（(【\[［〔「『<＜][^）)】\]］〕」』>＞]{0,40}[）)】\]］〕」』>＞]")


def _strip_ja_titles(run: str) -> str:
    changed = True
    while changed and run:
        changed = False
        for t in JA_TITLES:
            if run.endswith(t) and len(run) > len(t):
                run, changed = run[: -len(t)], True
                break
            if run.startswith(t) and len(run) > len(t):
                run, changed = run[len(t) :], True
                break
    return run


def name_tokens(text: str, *, keep_brackets: bool = False) -> list[str]:
    """Normalised tokens of a name as people write it (titles dropped)."""
    t = unicodedata.normalize("NFKC", text).casefold()
    t = re.sub(r"[\u200b-\u200f\u2060\ufeff\u00ad]", "", t)  # invisible characters
    if not keep_brackets:
        t = _BRACKETS.sub(" ", t)
    out: list[str] = []
    for m in _TOKEN.finditer(t):
        tok = m.group(0)
        if _KANA_RUN.fullmatch(tok):
            tok = _strip_ja_titles(tok)
            if tok in JA_TITLES:
                continue
            tok = fold_romaji(kana_to_romaji(tok))
        elif tok[0] >= "\u3400":
            if tok in JA_TITLES:
                continue
            tok = _strip_ja_titles(tok)
        else:
            tok = tok.strip("'-")
            if tok in LATIN_TITLES or not tok:
                continue
            tok = fold_romaji(tok)
        if tok:
            out.append(tok)
    return out


def _keys_of(form: str) -> set[str]:
    toks = name_tokens(form, keep_brackets=True)
    if not toks:
        return set()
    keys = {"".join(toks)}
    if len(toks) == 2:
        keys.add(toks[1] + toks[0])
    return {k for k in keys if len(k) >= 3 or any(ord(c) > 0x3000 for c in k)}


@dataclass(frozen=True, slots=True)
class ExecutiveKey:
    executive: Executive
    keys: frozenset[str]


def executive_keys(executives: Iterable[Executive]) -> list[ExecutiveKey]:
    out = []
    for ex in executives:
        keys: set[str] = set()
        for form in (ex.name, *ex.aliases):
            keys |= _keys_of(form)
        if keys:
            out.append(ExecutiveKey(ex, frozenset(keys)))
    return out


def match_executive(display: str, table: list[ExecutiveKey]) -> tuple[Executive, str] | None:
    """The executive whose full name ``display`` carries, and the matched form; else None."""
    if not display or not table:
        return None
    toks = name_tokens(display)
    if not toks:
        return None
    candidates = list(toks)
    candidates += [toks[i] + toks[i + 1] for i in range(len(toks) - 1)]
    for ek in table:
        for cand in candidates:
            if cand in ek.keys:
                return ek.executive, cand
    return None
