"""Look-alike candidates of a domain, for watch lists and registration monitoring.

Fuzzer classes: dnstwist's (addition, bitsquatting, cyrillic, homoglyph, hyphenation, insertion,
omission, plural, repetition, replacement, subdomain, transposition, vowel-swap, dictionary,
tld-swap, various) plus ``confusable`` (every single-character swap to a code point with the same
look-alike key in the Unicode confusables table, any script) and ``whole-script`` (the whole
label in Cyrillic, Greek or Armenian letters that look Latin, where every letter has one).

Homoglyphs are derived, not copied: for each letter, the Latin letters with diacritics, small
capitals and IPA forms whose key (``skeletons.key``) is the letter's, plus the ASCII glyph swaps
of the distance model (rn/m, vv/w, cl/d, 0/o, 1/l...), one and two at a time. Keyboard
neighbours come from QWERTY, QWERTZ and AZERTY. Candidates are IDNA 2008 A-labels (those that
cannot be registered are dropped), never the source itself or another brand's real domain.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache

import idna

from koban.errors import InputError
from koban.url import skeletons
from koban.url.brands import brand_file, build_index
from koban.url.distance import _MULTI, _VISUAL_PAIRS
from koban.url.hosts import parse_host

FUZZERS = (
    "addition",
    "bitsquatting",
    "cyrillic",
    "homoglyph",
    "hyphenation",
    "insertion",
    "omission",
    "plural",
    "repetition",
    "replacement",
    "subdomain",
    "transposition",
    "vowel-swap",
    "dictionary",
    "tld-swap",
    "various",
    "confusable",
    "whole-script",
)

# Suffixes phishing registrations favour (cheap or look-alike new gTLDs) and the ccTLDs of the
# markets koban's users serve.
TLDS = (
    "com", "net", "org", "info", "biz", "io", "co", "app", "xyz", "top", "online", "site", "shop",
    "club", "vip", "icu", "cc", "ink", "work", "live", "pro", "me", "tv", "ws", "cn", "ru", "jp",
    "co.jp", "ne.jp", "jp.net", "tw", "com.tw", "hk", "com.hk", "sg", "us", "uk", "co.uk", "de",
    "fr", "asia", "tokyo", "finance", "exchange", "money", "network", "global", "tech", "cloud",
    "link", "one", "support", "services", "digital", "world", "today", "space", "website", "fun",
    "buzz", "rest", "cyou", "sbs", "cfd", "bond", "lat", "mobi", "pw", "su", "in", "ai", "gg",
    "ly", "to", "so", "page", "dev", "host", "email", "click", "help", "network", "trade", "bid",
)  # fmt: skip

_ROWS = {
    "qwerty": ("1234567890", "qwertyuiop", "asdfghjkl", "zxcvbnm"),
    "qwertz": ("1234567890", "qwertzuiop", "asdfghjkl", "yxcvbnm"),
    "azerty": ("1234567890", "azertyuiop", "qsdfghjklm", "wxcvbn"),
}
_LDH = set("abcdefghijklmnopqrstuvwxyz0123456789-")
_VOWELS = "aeiou"
_LATIN_RANGES = ((0x00C0, 0x0250), (0x0250, 0x02B0), (0x1D00, 0x1DC0), (0x1E00, 0x1F00),
                 (0x2C60, 0x2C80), (0xA720, 0xA800))  # fmt: skip
_SCRIPTS = ("Cyrillic", "Greek", "Armenian")
# The look-alikes that spoofing write-ups use first (Cyrillic а е о р с у х і ј ѕ ԁ һ ԛ ԝ ь к т м ѵ,
# Greek ο α ν ι κ τ ρ υ): where a letter has several twins these lead.
_PREFERRED = "аеорсухіјѕԁһԛԝьктмѵӏοανικτρυ"


@dataclass(frozen=True, slots=True)
class Candidate:
    fuzzer: str
    domain: str  # IDNA A-labels
    unicode: str  # what a browser shows

    def to_dict(self) -> dict[str, str]:
        return {"fuzzer": self.fuzzer, "domain": self.domain, "unicode": self.unicode}


def _neighbours(rows: Sequence[str]) -> dict[str, set[str]]:
    near: dict[str, set[str]] = {}
    for r, row in enumerate(rows):
        for c, ch in enumerate(row):
            s = near.setdefault(ch, set())
            s.update(row[x] for x in (c - 1, c + 1) if 0 <= x < len(row))
            if r > 0:
                above = rows[r - 1]
                s.update(above[x] for x in (c, c + 1) if 0 <= x < len(above))
            if r + 1 < len(rows):
                below = rows[r + 1]
                s.update(below[x] for x in (c - 1, c) if 0 <= x < len(below))
    return near


@cache
def keyboard() -> dict[str, frozenset[str]]:
    merged: dict[str, set[str]] = {}
    for rows in _ROWS.values():
        for k, v in _neighbours(rows).items():
            merged.setdefault(k, set()).update(v)
    return {k: frozenset(v) for k, v in merged.items()}


def _valid_label(label: str) -> bool:
    try:
        idna.encode(label, uts46=False)
    except (idna.IDNAError, UnicodeError):
        return False
    return True


@cache
def _look_alikes() -> dict[str, tuple[str, ...]]:
    """ASCII letter -> single code points (any script) with the same key, IDNA-valid, lower."""
    by_key: dict[str, list[str]] = {}
    cps = list(skeletons.prototypes())
    cps += [cp for lo, hi in _LATIN_RANGES for cp in range(lo, hi)]
    for cp in sorted(set(cps)):
        ch = chr(cp)
        if ch.isascii() or not ch.isalpha() or ch != ch.lower() or unicodedata.combining(ch):
            continue
        if unicodedata.normalize("NFKC", ch) != ch:  # would be mapped away by IDNA anyway
            continue
        k = skeletons.key(ch)
        if len(k) == 1 and k.isascii() and k.isalnum() and _valid_label("a" + ch):
            by_key.setdefault(k, []).append(ch)
    return {letter: tuple(by_key.get(skeletons.key(letter), ())) for letter in _LDH - {"-"}}


@cache
def _glyphs() -> dict[str, tuple[str, ...]]:
    """The homoglyph table: Latin look-alikes (diacritics, small capitals, IPA) + ASCII swaps."""
    table: dict[str, set[str]] = {}
    for letter, alikes in _look_alikes().items():
        table.setdefault(letter, set()).update(
            c for c in alikes if skeletons.script_of(c) == "Latin"
        )
    for pair in _VISUAL_PAIRS:
        a, b = sorted(pair)
        table.setdefault(a, set()).add(b)
        table.setdefault(b, set()).add(a)
    for brand_side, found_side in _MULTI:
        table.setdefault(brand_side, set()).add(found_side)
    for a, b in (("0", "o"), ("1", "l"), ("1", "i"), ("i", "l")):
        table.setdefault(a, set()).add(b)
        table.setdefault(b, set()).add(a)
    return {k: tuple(sorted(v)) for k, v in table.items()}


def _homoglyph_mix(label: str) -> Iterator[str]:
    """One glyph swap: a letter, a two-letter window, or both letters of a window at once."""
    glyphs = _glyphs()
    for i, c in enumerate(label):
        for g in glyphs.get(c, ()):
            yield label[:i] + g + label[i + 1 :]
    for i in range(len(label) - 1):
        win = label[i : i + 2]
        for part in {win[0], win[1], win}:
            for g in glyphs.get(part, ()):
                yield label[:i] + win.replace(part, g) + label[i + 2 :]


def _fuzz(name: str, fuzzer: str, words: Sequence[str]) -> Iterable[str]:
    """Candidate labels of one class for the label ``name``."""
    n = len(name)
    near = keyboard()
    if fuzzer == "addition":
        out = {name + c for c in "abcdefghijklmnopqrstuvwxyz0123456789"}
        if "-" in name:
            parts = name.split("-")
            for p in range(1, len(parts)):
                for c in "abcdefghijklmnopqrstuvwxyz0123456789":
                    out.add("-".join(parts[:p]) + c + "-" + "-".join(parts[p:]))
        return out
    if fuzzer == "bitsquatting":
        return {
            name[:i] + chr(ord(c) ^ m) + name[i + 1 :]
            for i, c in enumerate(name)
            for m in (1, 2, 4, 8, 16, 32, 64, 128)
            if chr(ord(c) ^ m) in _LDH
        }
    if fuzzer == "cyrillic":
        return _whole_script(name, "Cyrillic", complete=False)
    if fuzzer == "homoglyph":
        first = set(_homoglyph_mix(name))
        return first | {x for f in first for x in _homoglyph_mix(f)}
    if fuzzer == "hyphenation":
        return {name[:i] + "-" + name[i:] for i in range(1, n)}
    if fuzzer == "insertion":
        return {
            name[:i] + pre + post + name[i + 1 :]
            for i in range(n - 1)
            for k in near.get(name[i], ())
            for pre, post in ((k, name[i]), (name[i], k))
        }
    if fuzzer == "omission":
        return {name[:i] + name[i + 1 :] for i in range(n)}
    if fuzzer == "plural":
        return {
            name[: i + 1] + ("es" if name[i] in "sxz" else "s") + name[i + 1 :]
            for i in range(2, n - 2)
        }
    if fuzzer == "repetition":
        return {name[:i] + c + name[i:] for i, c in enumerate(name)}
    if fuzzer == "replacement":
        return {name[:i] + k + name[i + 1 :] for i, c in enumerate(name) for k in near.get(c, ())}
    if fuzzer == "subdomain":
        return {
            name[:i] + "." + name[i:]
            for i in range(1, n - 1)
            if name[i] not in "-." and name[i - 1] not in "-."
        }
    if fuzzer == "transposition":
        return {name[:i] + name[i + 1] + name[i] + name[i + 2 :] for i in range(n - 1)}
    if fuzzer == "vowel-swap":
        return {
            name[:i] + v + name[i + 1 :]
            for i, c in enumerate(name)
            if c in _VOWELS
            for v in _VOWELS
        }
    if fuzzer == "dictionary":
        # (dnstwist also replaces the first or last part of a hyphenated name by a word;
        # "account-exchange" for hoshi-exchange no longer names the brand: not generated)
        out = set()
        for w in words:
            out.update({name + "-" + w, name + w, w + "-" + name, w + name})
        return out
    if fuzzer == "confusable":
        alikes = _look_alikes()
        return {name[:i] + a + name[i + 1 :] for i, c in enumerate(name) for a in alikes.get(c, ())}
    if fuzzer == "whole-script":
        return {
            x for script in _SCRIPTS for x in _whole_script(name, script, complete=True, limit=8)
        }
    return ()


def _whole_script(name: str, script: str, *, complete: bool, limit: int = 1) -> set[str]:
    """``name`` written in ``script``: every letter (complete) or as many as possible, in up
    to ``limit`` spellings (letters often have several twins: і and ӏ for l)."""
    alikes = _look_alikes()
    choices: list[list[str]] = []
    for c in name:
        options = [a for a in alikes.get(c, ()) if skeletons.script_of(a) == script]
        options.sort(key=lambda a: _PREFERRED.find(a) % 1000)  # the usual twins first
        if options:
            choices.append(options)
        elif complete and c.isalpha():
            return set()
        else:
            choices.append([c])
    if all(len(o) == 1 and o[0] == c for o, c in zip(choices, name, strict=True)):
        return set()
    out: set[str] = set()
    for combo in itertools.islice(itertools.product(*choices), limit):
        text = "".join(combo)
        if complete or not any(ch.isalpha() and ch.isascii() for ch in text):
            out.add(text)
    return out


_REPARSE = {"tld-swap", "various", "subdomain"}  # classes that change the suffix or the labels
_ASCII_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")


@lru_cache(maxsize=100_000)
def _a_label(label: str) -> str | None:
    """The A-label of one label, or None if it cannot be registered (IDNA 2008)."""
    if label.isascii():
        if not _ASCII_LABEL.fullmatch(label) or label[2:4] == "--":
            return None
        return label
    try:
        return idna.encode(label, uts46=False).decode("ascii")
    except (idna.IDNAError, UnicodeError):
        return None


def permutations(domain: str, fuzzers: Sequence[str] | None = None) -> list[Candidate]:
    """Look-alike candidates of ``domain`` (a domain or URL), sorted by fuzzer then domain."""
    host = parse_host(domain.strip().rstrip("/").split("://")[-1].split("/")[0], domain,
                      need_dot=True)  # fmt: skip
    if host.ip is not None or host.registrable is None or host.suffix is None:
        raise InputError(domain, "needs a domain name with a registrable part (e.g. bitflyer.com)")
    sub = host.subdomain
    sub_u = ".".join(host.unicode.split(".")[: sub.count(".") + 1]) if sub else ""
    name = host.core_unicode
    suffix = host.suffix
    words = list(brand_file().lure_words)
    legit = build_index().legit
    source = host.ascii
    seen: set[str] = {source}
    out: list[Candidate] = []

    def emit(fuzzer: str, unicode_host: str) -> None:
        labels = []
        for label in unicode_host.split("."):
            a = _a_label(label)
            if a is None:
                return
            labels.append(a)
        a_host = ".".join(labels)
        if a_host in seen or len(a_host) > 253:
            return
        seen.add(a_host)
        registrable = parse_host(a_host, a_host).registrable if fuzzer in _REPARSE else None
        if registrable is None:
            registrable = ".".join(labels[-(suffix.count(".") + 2) :])
        if registrable in legit:  # another brand's real domain
            return
        out.append(Candidate(fuzzer, a_host, unicode_host))

    def join(*parts: str) -> str:
        return ".".join(p for p in parts if p)

    for fuzzer in fuzzers or FUZZERS:
        if fuzzer == "tld-swap":
            for tld in TLDS:
                if tld != suffix:
                    emit(fuzzer, join(sub_u, name, tld))
            continue
        if fuzzer == "various":
            last = suffix.rsplit(".", 1)[-1]
            variants = []
            if "." in suffix:
                variants += [join(sub_u, name, last), join(sub_u, name + suffix)]
            else:
                variants.append(join(sub_u, name + suffix, suffix))
            if suffix != "com" and "." not in suffix:
                variants += [
                    join(sub_u, f"{name}-{suffix}", "com"),
                    join(sub_u, name + suffix, "com"),
                ]
            if sub:
                flat = sub_u.replace(".", "")
                variants += [
                    join(sub_u + name, suffix),
                    join(flat + name, suffix),
                    join(sub_u + "-" + name, suffix),
                    join(sub_u.replace(".", "-") + "-" + name, suffix),
                ]
            for v in variants:
                emit(fuzzer, v)
            continue
        for label in sorted(_fuzz(name, fuzzer, words)):
            if label.startswith("-") or label.endswith("-") or not label:
                continue
            emit(fuzzer, join(sub_u, label, suffix))
    return out
