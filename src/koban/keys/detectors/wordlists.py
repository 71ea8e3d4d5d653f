"""The ten official BIP39 wordlists, indexed for looking up words as they are written in files.

Files hold words in any Unicode form: NFC (most editors), NFD (the official lists and macOS),
with or without the accents of Spanish and French (those two lists are designed to stay unique
without them), in lower, upper or title case. A token is looked up first by its raw bytes (the
common, cheap case) and only then normalised. The lists come from the ``mnemonic`` package (the
reference implementation), so they match what wallets use.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import cache

from mnemonic import Mnemonic

LANGUAGES = (
    "english",
    "japanese",
    "korean",
    "spanish",
    "chinese_simplified",
    "chinese_traditional",
    "french",
    "italian",
    "czech",
    "portuguese",
)
#: Lists whose words stay unique once accents are stripped, so accent-less spellings count.
ACCENT_FREE_OK = frozenset({"spanish", "french"})

#: (language index in LANGUAGES, word index in that list)
Hit = tuple[int, int]


def strip_accents(text: str) -> str:
    """Drops combining marks of an NFKD string (what Electrum and accent-less typists do)."""
    return "".join(c for c in text if not unicodedata.combining(c))


@dataclass(frozen=True, slots=True)
class Wordlists:
    """Lookup tables over all languages."""

    words: tuple[tuple[str, ...], ...]  # NFKD words per language
    by_bytes: dict[bytes, tuple[Hit, ...]]  # raw lower-case spellings (NFC, NFD, accent-less)
    by_text: dict[str, tuple[Hit, ...]]  # NFKD lower-case (and accent-less for es/fr)

    def lookup(self, token: bytes) -> tuple[Hit, ...]:
        """The (language, index) pairs a written token stands for; empty when it is no word.

        Mixed case inside a word (``aBandon``) is not a word: people write seeds in lower, upper
        or title case only.
        """
        hits = self.by_bytes.get(token)
        if hits is not None:
            return hits
        if token.isascii():
            if token.isupper() or token.istitle():
                return self.by_bytes.get(token.lower(), ())
            return ()
        text = unicodedata.normalize("NFC", token.decode("utf-8", "replace"))
        if not (text.islower() or text.isupper() or text.istitle()):
            return ()
        norm = unicodedata.normalize("NFKD", text).lower()
        hits = self.by_text.get(norm)
        if hits is None:
            hits = self.by_text.get(strip_accents(norm), ())
        return hits

    def language(self, lang: int) -> str:
        return LANGUAGES[lang]


@cache
def wordlists() -> Wordlists:
    """Builds the tables once per process (about 60k spellings; a few tens of milliseconds)."""
    words: list[tuple[str, ...]] = []
    by_bytes: dict[bytes, list[Hit]] = {}
    by_text: dict[str, list[Hit]] = {}

    def add(table: dict[bytes, list[Hit]] | dict[str, list[Hit]], key: object, hit: Hit) -> None:
        slot = table.setdefault(key, [])  # type: ignore[arg-type]
        if hit not in slot:
            slot.append(hit)

    for li, name in enumerate(LANGUAGES):
        wl = tuple(unicodedata.normalize("NFKD", w) for w in Mnemonic(name).wordlist)
        assert len(wl) == 2048, name
        words.append(wl)
        for wi, word in enumerate(wl):
            forms = {word, unicodedata.normalize("NFC", word)}
            if name in ACCENT_FREE_OK:
                forms.add(strip_accents(word))
                add(by_text, strip_accents(word), (li, wi))
            add(by_text, word, (li, wi))
            for form in forms:
                add(by_bytes, form.encode(), (li, wi))
    return Wordlists(
        words=tuple(words),
        by_bytes={k: tuple(v) for k, v in by_bytes.items()},
        by_text={k: tuple(v) for k, v in by_text.items()},
    )


#: Very frequent English words (and code keywords) that are also BIP39 words. A real mnemonic is
#: a uniform draw from 2048 words, so it holds few of them (about 6% of its words); English prose
#: and identifier lists made of list words are dominated by them.
_COMMON = """
    about above across after again against all almost also always another any around away
    because before below best better between boy can change city class come could country day
    during early either else end enough even ever example false few file find first found good
    great hand hard have head help high home into just keep kind know large later left life
    light like list little live long make man more much must name near need never new next night
    now number off often old once only open option other over own page paper people place play
    point print put right room same say school second see seven should side since six small so
    some sound still story such sure tell ten that then there thing this three time today
    together too top true try two under until use used very want water way what when where which
    while will with word work world write year you young zero one four five eight nine
"""
COMMON_ENGLISH = frozenset(_COMMON.split())
