"""BIP39 mnemonics and Electrum v2 seeds, in every official wordlist and every common layout.

A checksum alone proves little: any 12 list words pass it one time in 16, and English prose,
identifier lists and wordlist files are full of list words. So a candidate must be a *whole run*:
the maximal sequence of list words joined by separators (spaces, line breaks with numbering or
bullets, JSON/CSV punctuation, the ideographic space) has exactly 12/15/18/21/24 words, or the
window is cut out of a longer run by real structure (quotes, a colon or ``=``, brackets, a blank
line, numbering restarting at 1, label words such as "seed phrase"). Survivors must then look
like uniform draws from 2048 words: few repeats, not in list order, not dominated by everyday
English. Published test vectors are recognised by fingerprint and marked as such.

The prefilter patterns (one Hyperscan pass, or Python ``re``) only find 12 word-shaped tokens
with layout-consistent separators; they ignore the wordlists (which would exceed Hyperscan's
pattern size), so :meth:`MnemonicDetector.confirm` re-reads the neighbourhood of each hit.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import pairwise

from koban.keys.detectors.vectors import TEST_VECTOR_DIGESTS
from koban.keys.detectors.wordlists import COMMON_ENGLISH, LANGUAGES, strip_accents, wordlists
from koban.keys.secret import Secret

BIP39_LENGTHS = frozenset({12, 15, 18, 21, 24})
ELECTRUM_LENGTHS = frozenset({12, 13})  # Electrum >= 2.7 makes 12 words, 2.0-2.6 made 13
ELECTRUM_PREFIXES = (("01", "standard"), ("100", "segwit"), ("101", "2fa"), ("102", "2fa_segwit"))
MAX_RUN = 64  # longer runs are wordlists or word soup, never one secret with its labels
SPAN = 1024  # bytes either side of a hit that are re-read
MAX_GAP = 40  # bytes between two words of one run (JSON indentation, numbering...)
_LOOK_BACK = 512  # bytes re-read before a hit at first (its 12 words)
_LOOK_AHEAD = 16

# --- prefilter patterns (common subset of Hyperscan and Python re) ---------------------------
# A Latin word, by bytes: a letter (any case first) or the bytes of NFC accented letters (\xc3..)
# and NFD combining marks (\xcc..), 3-14 bytes. Byte classes rather than exact UTF-8 sequences
# compile three times faster in Hyperscan for 28% more hits. An upper-case variant covers SEEDS
# WRITTEN IN CAPITALS.
_LAT = rb"[A-Za-z\xc3][a-z\x80-\xbf\xc3\xcc]{2,13}"
_LAT_UP = rb"[A-Z\xc3][A-Z\x80-\xbf\xc3\xcc]{2,13}"
_HIRA = rb"(?:\xe3[\x81\x82][\x80-\xbf])+"
_HANGUL = rb"(?:[\xea-\xed][\x80-\xbf][\x80-\xbf]|\xe1[\x84-\x87][\x80-\xbf])+"
_HAN = rb"(?:\xe4[\xb8-\xbf]|[\xe5-\xe9][\x80-\xbf])[\x80-\xbf]"
# Separators by layout: prose on one line (wrapped prose is found when a line holds 12 words:
# allowing line breaks here costs 25x more hits on source code), one word a line (numbering,
# bullets, quotes, table bars, JSON commas around the break), delimited cells (CSV/TSV/JSON/Python
# lists), inline numbering ("1. abandon 2. ability", also across lines).
_SEP_PROSE = rb"[ \t]{1,4}"
_SEP_LINES = rb"[ \t\"',;|\]]{0,4}\r?\n[ \t\"'#*\-.0-9:;()|,\[]{0,16}"
_SEP_DELIM = rb"[\"']?[ \t]*[,;|\t][ \t]*[\"']?"
_SEP_NUMBERED = rb"(?:[ \t,;]+|[ \t,;]*\r?\n[ \t]*)[(#]?[0-9]{1,2}[.):\-]?[ \t]*"
_ASCII_SEP = rb"[\t\n\r \"'#*\-.0-9:;()|,\[\]]"
# CJK: ASCII separators, or one ideographic space / comma / fullwidth comma with a little around
# (kept apart from the words' own lead byte \xe3: mixing them makes Hyperscan compile for seconds).
_SEP_CJK = (
    rb"(?:"
    + _ASCII_SEP
    + rb"{1,16}|"
    + _ASCII_SEP
    + rb"{0,4}(?:\xe3\x80[\x80\x81]|\xef\xbc\x8c)"
    + _ASCII_SEP
    + rb"{0,4})"
)


def _twelve(word: bytes, sep: bytes) -> bytes:
    return word + b"(?:" + sep + word + b"){11}"


PATTERNS: tuple[bytes, ...] = (
    _twelve(_LAT, _SEP_PROSE),
    _twelve(_LAT, _SEP_LINES),
    _twelve(_LAT, _SEP_DELIM),
    _twelve(_LAT, _SEP_NUMBERED),
    _twelve(_LAT_UP, _SEP_PROSE),
    _twelve(_LAT_UP, _SEP_LINES),
    _twelve(_LAT_UP, _SEP_DELIM),
    _twelve(_HIRA, _SEP_CJK),
    _twelve(_HANGUL, _SEP_CJK),
    _twelve(_HAN, _SEP_CJK),
)

# --- tokenising in confirm ---------------------------------------------------------------------
_TOKEN = re.compile(
    rb"(?:[A-Za-z]|[\xc3-\xc5][\x80-\xbf]|\xcc[\x80-\xbf]|\xcd[\x80-\xaf])+"
    rb"|(?:\xe3(?:\x81[\x81-\xbf]|\x82[\x80-\x9f]))+"
    rb"|(?:(?:\xea[\xb0-\xbf]|[\xeb\xec][\x80-\xbf]|\xed[\x80-\x9e])[\x80-\xbf]"
    rb"|\xe1[\x84-\x87][\x80-\xbf])+"
    rb"|(?:\xe4[\xb8-\xbf]|[\xe5-\xe9][\x80-\xbf])[\x80-\xbf]"
)
_GAP = re.compile(rb"(?:[\t\n\r \"'#*\-.0-9:;()|,\[\]]|\xe3\x80[\x80\x81]|\xef\xbc\x8c)+")
_NUMBER = re.compile(rb"(?:^|[^0-9])([0-9]{1,2})[ \t]*[.):\-]?[ \t]*$")
_STRONG = frozenset(b"\"':=[](){}|;")
_CJK_LANGS = frozenset({"japanese", "korean", "chinese_simplified", "chinese_traditional"})

#: Words that label a seed in the text before it (lower-case UTF-8), in the ten languages.
LABELS: tuple[bytes, ...] = tuple(
    s.encode()
    for s in (
        "seed", "mnemonic", "recovery", "phrase", "backup", "secret", "wallet", "bip39", "bip-39",
        "words", "electrum", "private", "restore",
        "秘密", "シード", "復元", "ニーモニック", "リカバリー", "単語", "バックアップ",
        "助记词", "助記詞", "种子", "種子", "恢复", "恢復",
        "니모닉", "복구", "시드",
        "semilla", "frase", "graine", "mnémonique", "mnemonique", "seme", "semente",
        "fráze", "slova", "obnov",
    )
)  # fmt: skip
#: Label words that may themselves be list words and precede the seed in the same run.
LABEL_WORDS = frozenset(
    {"seed", "phrase", "secret", "wallet", "word", "private", "key", "backup", "recovery",
     "mnemonic", "frase", "semilla"}
)  # fmt: skip
_COMMON_LIMIT = {12: 4, 15: 5, 18: 5, 21: 6, 24: 6}


@dataclass(slots=True)
class _Token:
    start: int
    end: int
    text: bytes
    hits: tuple[tuple[int, int], ...]
    gap: bytes  # the bytes before this token, back to the previous token (any content)
    number: int | None  # a list number written just before it ("3.", "03", "(3)")


@dataclass(slots=True)
class _Run:
    tokens: list[_Token]
    langs: set[int] = field(default_factory=set)
    first: int = 0  # index of the first and last token in the region's token list
    last: int = 0
    truncated: bool = False


def _gap_ok(gap: bytes) -> bool:
    return 0 < len(gap) <= MAX_GAP and gap.count(b"\n") <= 3 and _GAP.fullmatch(gap) is not None


def _gap_class(gap: bytes) -> bytes:
    """The layout a separator stands for: digit runs, space runs and tab runs collapsed."""
    gap = gap.replace(b"\r\n", b"\n")
    gap = re.sub(rb"[0-9]+", b"#", gap)
    return re.sub(rb"\t+", b"\t", re.sub(rb" +", b" ", gap))


def _is_strong(gap: bytes, interior: bytes) -> bool:
    """A separator that really ends a list: different from those inside it and either made of
    structure (quote, colon, bracket...), a blank line, or the end of a sentence and a line."""
    cls = _gap_class(gap)
    if cls == interior:
        return False
    if any(c in _STRONG and c not in interior for c in cls):
        return True
    if b"." in cls and b"\n" in cls and b"." not in interior and b"\n" not in interior:
        return True  # a sentence ending with its line around words on one line
    return cls.count(b"\n") >= 2 > interior.count(b"\n")


def checksum_ok(indexes: Sequence[int]) -> bool:
    """BIP39: the last n/3 bits of the concatenated 11-bit indexes are the first bits of the
    SHA-256 of the entropy the other bits spell."""
    n = len(indexes)
    if n not in BIP39_LENGTHS:
        return False
    value = 0
    for i in indexes:
        value = (value << 11) | i
    cs_bits = n // 3  # 4..8 bits
    entropy = (value >> cs_bits).to_bytes(n * 4 // 3, "big")
    expected = hashlib.sha256(entropy).digest()[0] >> (8 - cs_bits)
    return (value & ((1 << cs_bits) - 1)) == expected


def electrum_version(words: Sequence[str], language: str) -> str | None:
    """The Electrum v2 seed type, from HMAC-SHA512("Seed version", normalised seed)."""
    norm = [strip_accents(w.lower()) for w in words]
    text = ("" if language in _CJK_LANGS else " ").join(norm)
    digest = hmac.new(b"Seed version", text.encode(), hashlib.sha512).hexdigest()
    for prefix, version in ELECTRUM_PREFIXES:
        if digest.startswith(prefix):
            return version
    return None


def vector_digest(material: str) -> str:
    """The fingerprint under which public test vectors are recorded (see scripts/)."""
    return hashlib.sha256(material.encode()).hexdigest()[:32]


def looks_random(indexes: Sequence[int], words: Sequence[str], language: str, prose: bool) -> bool:
    """Word-run statistics: would a uniform draw from the 2048 words plausibly give this?

    Rejects repeated words (12 words: under 0.1% of real seeds have two repeats), list order
    (wordlist excerpts: ≤1 descent has probability ~1e-5), neighbours in the list, and (English)
    runs dominated by everyday words: a real seed holds about 7% of them; the limit for prose
    loses about 1% of real seeds, for structured layouts far less.
    """
    n = len(indexes)
    if n - len(set(indexes)) >= (2 if n < 18 else 3):
        return False
    ascents = sum(1 for a, b in pairwise(indexes) if b > a)
    if ascents >= n - 2 or ascents <= 1:
        return False
    if sum(1 for a, b in pairwise(indexes) if abs(b - a) == 1) >= 2:
        return False
    if language == "english":
        common = sum(1 for w in words if w in COMMON_ENGLISH)
        limit = _COMMON_LIMIT.get(n, n // 4 + 1) if prose else (n + 1) // 2
        if common >= limit:
            return False
    return True


class MnemonicDetector:
    """Finds BIP39 mnemonics (kind ``bip39_mnemonic``) and Electrum v2 seeds (``electrum_seed``)."""

    name = "mnemonic"
    patterns: Sequence[bytes] = PATTERNS
    max_span = SPAN

    def warm(self) -> None:
        """Build the word index now (a second of work): before the scanner forks its workers,
        so that they share it instead of each building their own."""
        wordlists()

    def confirm(self, data: bytes, ends: Sequence[int]) -> Iterable[Secret]:
        found: list[Secret] = []
        seen: set[int] = set()
        for lo, hi, hits in _clusters(ends, len(data)):
            for run in _runs(data, lo, hi, hits):
                if run.truncated or len(run.tokens) < 12 or run.tokens[0].start in seen:
                    continue
                seen.add(run.tokens[0].start)
                found.extend(_evaluate(data, run))
        return found


def _clusters(ends: Sequence[int], size: int) -> list[tuple[int, int, list[int]]]:
    """Regions to re-read (a little before each hit: its words), merged when they overlap,
    with the hits they hold. A run reaching a region's edge widens it (:func:`_runs`)."""
    out: list[tuple[int, int, list[int]]] = []
    for e in sorted(ends):
        lo, hi = max(0, e - _LOOK_BACK), min(size, e + _LOOK_AHEAD)
        if out and lo <= out[-1][1]:
            out[-1][2].append(e)
            out[-1] = (out[-1][0], hi, out[-1][2])
        else:
            out.append((lo, hi, [e]))
    return out


def _tokens(data: bytes, lo: int, hi: int) -> list[_Token]:
    table = wordlists()
    out: list[_Token] = []
    prev_end = lo
    for m in _TOKEN.finditer(data, lo, hi):
        start, end = m.span()
        gap = data[prev_end:start]
        num = _NUMBER.search(gap[-12:]) if gap else None
        out.append(
            _Token(
                start=start,
                end=end,
                text=m.group(),
                hits=table.lookup(m.group()),
                gap=gap,
                number=int(num.group(1)) if num else None,
            )
        )
        prev_end = end
    # A token glued to another (Chinese without spaces, hiragana after kanji) is no word.
    for a, b in pairwise(out):
        if a.end == b.start:
            a.hits = ()
            b.hits = ()
    return out


def _runs(data: bytes, lo: int, hi: int, hits: list[int]) -> list[_Run]:
    """Maximal runs of list words around ``hits`` in data[lo:hi], the region widened while a run
    holding a hit's last word reaches its edge.

    An edge may cut a word, so a run starting at the first or second token (ending at the last or
    last but one) may go on. Runs still open after widening are longer than any seed with its
    labels (:data:`MAX_RUN`) and marked truncated.
    """
    size = len(data)

    def relevant(run: _Run) -> bool:  # the run holds a hit's last word
        first, last = run.tokens[0].start, run.tokens[-1].end
        return any(first < e <= last for e in hits)

    while True:
        tokens = _tokens(data, lo, hi)
        runs = _split_runs(tokens)
        open_lo = lo > 0 and bool(runs) and runs[0].first < 2 and relevant(runs[0])
        open_hi = (
            hi < size and bool(runs) and runs[-1].last >= len(tokens) - 2 and relevant(runs[-1])
        )
        if open_lo and len(runs[0].tokens) <= MAX_RUN:
            lo = max(0, lo - SPAN)
        elif open_hi and len(runs[-1].tokens) <= MAX_RUN:
            hi = min(size, hi + SPAN)
        else:
            break
    # Runs cut by an edge are not judged here (a cluster whose hit lies in them widens for them).
    if runs and lo > 0 and runs[0].first < 2:
        runs[0].truncated = True
    if runs and hi < size and runs[-1].last >= len(tokens) - 2:
        runs[-1].truncated = True
    for run in runs:
        if len(run.tokens) > MAX_RUN:
            run.truncated = True
    return runs


def _split_runs(tokens: list[_Token]) -> list[_Run]:
    runs: list[_Run] = []
    cur: _Run | None = None
    for index, tok in enumerate(tokens):
        langs = {h[0] for h in tok.hits}
        if not langs:
            cur = None
            continue
        if cur is not None and _gap_ok(tok.gap) and cur.langs & langs:
            cur.tokens.append(tok)
            cur.langs &= langs
            cur.last = index
            continue
        cur = _Run(tokens=[tok], langs=langs, first=index, last=index)
        runs.append(cur)
    return runs


@dataclass(frozen=True, slots=True)
class _Window:
    first: int
    count: int
    whole: bool


def _windows(run: _Run) -> list[_Window]:
    """Candidate windows: the whole run, or windows cut out by structure, numbering or labels.

    A window inside a longer run needs an edge on both sides: the run's own end, a strong
    separator (:func:`_is_strong`, judged against the window's own separators), numbering that
    starts at 1, or leading label words ("seed phrase: ..."). Its inner separators must all be
    alike (or numbered), as they are when a person or a program writes one list.
    """
    toks = run.tokens
    size = len(toks)
    out = [_Window(0, size, True)] if size in BIP39_LENGTHS or size in ELECTRUM_LENGTHS else []
    classes = [_gap_class(t.gap) for t in toks]
    labels = 0
    while labels < min(4, size - 12) and _word(toks[labels], run.langs) in LABEL_WORDS:
        labels += 1
    # An inner edge differs from the separators on its inner side (or restarts numbering).
    lefts = {0, *range(1, labels + 1)}
    lefts.update(i for i in range(1, size - 1) if classes[i] != classes[i + 1])
    lefts.update(i for i in range(1, size) if toks[i].number == 1)
    rights = {size}
    rights.update(i for i in range(2, size) if classes[i] != classes[i - 1] or toks[i].number == 1)
    for first in sorted(lefts):
        for last in sorted(r for r in rights if 12 <= r - first <= 24):
            count = last - first
            if count == size or not (count in BIP39_LENGTHS or count in ELECTRUM_LENGTHS):
                continue
            interior, freq = Counter(classes[first + 1 : last]).most_common(1)[0]
            numbered = toks[first].number == 1 and all(
                t.number is not None for t in toks[first:last]
            )
            if freq != count - 1 and not numbered:
                continue
            left = first == 0 or first <= labels or numbered
            left = left or _is_strong(toks[first].gap, interior)
            right = last == size or (numbered and toks[last].number == 1)
            right = right or _is_strong(toks[last].gap, interior)
            if left and right:
                out.append(_Window(first, count, False))
    return out


def _word(tok: _Token, langs: set[int]) -> str:
    lists = wordlists().words
    for lang, index in tok.hits:
        if lang in langs:
            return lists[lang][index]
    return ""


def _evaluate(data: bytes, run: _Run) -> list[Secret]:
    results: list[tuple[int, int, Secret]] = []
    for win in _windows(run):
        toks = run.tokens[win.first : win.first + win.count]
        secret = _judge(data, run, toks)
        if secret is not None:
            results.append((win.count, -win.first, secret))
    # keep the longest, then non-overlapping others
    results.sort(key=lambda r: (-r[0], -r[1]))
    kept: list[Secret] = []
    for _, _, s in results:
        if all(s.end <= k.start or s.start >= k.end for k in kept):
            kept.append(s)
    return kept


def _layout(toks: list[_Token], data: bytes) -> tuple[str, bool]:
    """(layout name, numbered) of a window; numbered lists may be read in another order."""
    n = len(toks)
    numbers = [t.number for t in toks]
    numbered = all(x is not None for x in numbers) and sorted(
        x for x in numbers if x is not None
    ) == list(range(1, n + 1))
    interior = Counter(_gap_class(t.gap) for t in toks[1:]).most_common(1)[0][0]
    if numbered:
        return "numbered", True
    if b"\n" in interior and interior.strip(b" \n") == b"" and interior.count(b"\n") == 1:
        before, after = toks[0].gap[-1:], data[toks[-1].end : toks[-1].end + 1]
        if before in (b'"', b"'") and after in (b'"', b"'"):
            return "quoted", False
        # wrapped prose or one word a line: one word a line when every gap is a line break
        if all(b"\n" in t.gap for t in toks[1:]):
            return "lines", False
        return "prose", False
    if b"\n" in interior:
        return "lines", False
    if any(c in interior for c in b"\"'"):
        return "json", False
    if any(c in interior for c in b",;|\t"):
        return "csv", False
    before, after = toks[0].gap[-1:], data[toks[-1].end : toks[-1].end + 1]
    if before in (b'"', b"'", b"`") and after == before:
        return "quoted", False
    return "prose", False


def _labelled(data: bytes, start: int) -> bool:
    context = data[max(0, start - 96) : start].lower()
    return any(label in context for label in LABELS)


def _judge(data: bytes, run: _Run, toks: list[_Token]) -> Secret | None:
    """The secret a window holds, if its words pass a checksum (BIP39) or carry an Electrum
    version, and look random unless they are a known test vector."""
    lists = wordlists().words
    layout, numbered = _layout(toks, data)
    if numbered:
        toks = sorted(toks, key=lambda t: t.number or 0)
    n = len(toks)
    start, end = min(t.start for t in toks), max(t.end for t in toks)
    labelled = _labelled(data, start)
    prose = layout == "prose"
    for lang in sorted(run.langs):
        language = LANGUAGES[lang]
        indexes = [next(i for li, i in t.hits if li == lang) for t in toks]
        words = [lists[lang][i] for i in indexes]
        material = " ".join(words)
        is_vector = vector_digest(material) in TEST_VECTOR_DIGESTS
        bip39 = checksum_ok(indexes)
        version = electrum_version(words, language) if n in ELECTRUM_LENGTHS else None
        if not (bip39 or version):
            continue
        if not is_vector and not looks_random(indexes, words, language, prose and not labelled):
            return None
        detail: dict[str, object] = {
            "language": language,
            "words": n,
            "layout": layout,
            "labelled": labelled,
        }
        if version is not None:
            # Electrum >= 4.1 never makes a seed that is also valid BIP39, and BIP39 seeds are
            # far more common: a phrase valid as both is BIP39 (1 in 256 BIP39 phrases also
            # carries an Electrum prefix); the version is kept for wallet derivation.
            detail["version" if not bip39 else "electrum_version"] = version
        confidence = "high" if (is_vector or labelled or not prose) else "medium"
        return Secret(
            kind="bip39_mnemonic" if bip39 else "electrum_seed",
            start=start,
            end=end,
            material=material,
            detail=detail,
            confidence=confidence,
            test_vector=is_vector,
        )
    return None


DETECTOR = MnemonicDetector()
