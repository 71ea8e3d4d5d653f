"""Lure language: weighted phrases (``lures.yaml``) in the subject and the visible text."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from koban.mail.context import LurePhrase, MailContext

MAX_SCAN_CHARS = 200_000
_SPACES = re.compile(r"\s+")


@dataclass
class LureScore:
    score: float = 0.0
    categories: dict[str, list[str]] = field(default_factory=dict)  # category -> phrases
    per_category: dict[str, float] = field(default_factory=dict)  # category -> its score

    def describe(self, ctx: MailContext, labels: dict[str, str] | None = None) -> str:
        names = ctx.lure_labels if labels is None else labels
        return "; ".join(
            f"{names[c]}: " + ", ".join(repr(p) for p in phrases[:4])
            for c, phrases in sorted(self.categories.items())
        )


def normalise_text(text: str) -> str:
    t = unicodedata.normalize("NFKC", text[:MAX_SCAN_CHARS]).casefold()
    t = t.replace("\u2019", "'").replace("\u200b", "").replace("\u200c", "").replace("\u200d", "")
    return _SPACES.sub(" ", t)


def _is_word(c: str) -> bool:
    return c.isalnum() and c.isascii()


def _find_word(text: str, phrase: str) -> bool:
    start = 0
    n = len(phrase)
    while True:
        i = text.find(phrase, start)
        if i < 0:
            return False
        before = text[i - 1] if i else " "
        after = text[i + n] if i + n < len(text) else " "
        if not _is_word(before) and not _is_word(after):
            return True
        start = i + 1


def score_lures(text: str, ctx: MailContext) -> LureScore:
    """Phishing lures of ``lures.yaml`` (``categories``) in the normalised ``text``."""
    return score_phrases(text, ctx.lure_phrases)


def score_spam(text: str, ctx: MailContext) -> LureScore:
    """Spam topics of ``lures.yaml`` (``spam_categories``) in the normalised ``text``."""
    return score_phrases(text, ctx.spam_phrases)


_ASCII_RUN = re.compile(r"[A-Za-z0-9]+")
# Per phrase list: its phrases by their first ASCII word, and those that must always be looked
# for (non-ASCII phrases, phrases not starting with a letter or digit).
_INDEXES: dict[int, tuple[list[LurePhrase], dict[str, list[int]], list[int]]] = {}


def _index(phrases: list[LurePhrase]) -> tuple[dict[str, list[int]], list[int]]:
    got = _INDEXES.get(id(phrases))
    if got is None or got[0] is not phrases:
        by_word: dict[str, list[int]] = {}
        always: list[int] = []
        for i, lp in enumerate(phrases):
            m = _ASCII_RUN.match(lp.phrase) if lp.latin else None
            if m:
                by_word.setdefault(m.group(0), []).append(i)
            else:
                always.append(i)
        got = (phrases, by_word, always)
        _INDEXES[id(phrases)] = got
    return got[1], got[2]


def score_phrases(text: str, phrases: list[LurePhrase]) -> LureScore:
    """Per category the strongest phrase, +0.25 per further phrase (max +0.5), summed.

    An ASCII phrase can only stand as a whole word where the text has its first word as a
    whole run of letters and digits: only those phrases are searched (the same result as
    searching all of them, several times faster on long lists)."""
    by_word, always = _index(phrases)
    words = set(_ASCII_RUN.findall(text)) & by_word.keys()
    candidates = sorted(always + [i for w in words for i in by_word[w]])
    hits: dict[str, list[tuple[float, str]]] = {}
    for i in candidates:
        lp = phrases[i]
        found = _find_word(text, lp.phrase) if lp.latin else lp.phrase in text
        if found:
            hits.setdefault(lp.category, []).append((lp.weight, lp.phrase))
    out = LureScore()
    for cat, got in hits.items():
        got.sort(reverse=True)
        cat_score = got[0][0] + min(0.5, 0.25 * (len(got) - 1))
        out.score += cat_score
        out.per_category[cat] = round(cat_score, 2)
        out.categories[cat] = [p for _, p in got]
    out.score = round(out.score, 2)
    return out


# Digits written for the letters they resemble ("B0NUS", "FR33", "V1AGRA"): a word spelled so
# that a filter looking for it does not find it, while a person still reads it.
_DIGIT_LETTERS = str.maketrans("013457", "oieast")
# a run of letters and digits where a letter and one of those digits meet (so most words, all
# letters, are skipped by the regex engine, not by Python)
_DIGIT_WORD = re.compile(r"\b[A-Za-z0-9]*(?:[A-Za-z][013457]|[013457][A-Za-z])[A-Za-z0-9]*")
_VOCABULARIES: dict[int, tuple[list[LurePhrase], frozenset[str]]] = {}


def _vocabulary(phrases: list[LurePhrase]) -> frozenset[str]:
    """The words of four letters or more in ASCII phrases of the list."""
    got = _VOCABULARIES.get(id(phrases))
    if got is None or got[0] is not phrases:
        words = {w for lp in phrases for w in re.findall(r"[a-z]{4,}", lp.phrase) if lp.latin}
        got = (phrases, frozenset(words))
        _VOCABULARIES[id(phrases)] = got
    return got[1]


def digit_disguised_words(text: str, ctx: MailContext, limit: int = 5) -> list[str]:
    """Lure or spam words with digits standing in for letters, as written in ``text``."""
    out: list[str] = []
    vocabs = (_vocabulary(ctx.lure_phrases), _vocabulary(ctx.spam_phrases))
    for m in _DIGIT_WORD.finditer(text):
        t = m.group(0)
        if len(t) < 4 or t in out:
            continue
        before = text[m.start() - 1] if m.start() else " "
        after = text[m.end()] if m.end() < len(text) else " "
        if before in "@./:=?&%+-_" or after in "@/_":  # part of an address, a link, a name
            continue
        if sum(c.isalpha() for c in t) < 3:
            continue
        word = t.lower().translate(_DIGIT_LETTERS)
        if any(word in v for v in vocabs):
            out.append(t)
            if len(out) >= limit:
                break
    return out
