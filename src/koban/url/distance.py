"""Weighted edit distance between a found label and a brand's, with the edits that explain it.

Costs say how easily a person misses the change: a homoglyph (Cyrillic ``і`` for ``i``) 0.25, a
hyphen added or dropped 0.25, a visual swap (``l``/``i``, ``rn``/``m``, ``vv``/``w``, ``0``/``o``)
0.5, a neighbouring key on a QWERTY keyboard, a doubled or undoubled letter or two swapped
neighbours 0.75, anything else (including a bit flip) 1. The alignment is an optimal-string-
alignment (Damerau) dynamic programme extended with multi-letter glyph swaps; it runs only on
the few brands a fast C prefilter (rapidfuzz) left, so its pure-Python cost is rare.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache, lru_cache

from koban.url.skeletons import char_key, script_of

HOMOGLYPH, HYPHEN, VISUAL, KEYBOARD, DOUBLING, SWAP, OTHER = 0.25, 0.25, 0.5, 0.75, 0.75, 0.75, 1.0

_QWERTY_ROWS = ("1234567890", "qwertyuiop", "asdfghjkl", "zxcvbnm")

# Single-letter glyph pairs people confuse (beyond the skeleton folds 0/o, 1/l/i).
_VISUAL_PAIRS = {
    frozenset(p)
    for p in ("38", "69", "bd", "ce", "gq", "mn", "nr", "uv", "5s", "ij", "vy", "oa", "ec", "2z")
}
# Multi-letter glyph swaps: (brand side, found side), both directions are added below.
_VISUAL_MULTI = (
    ("m", "rn"),
    ("m", "nn"),
    ("w", "vv"),
    ("d", "cl"),
    ("d", "dl"),
    ("b", "lb"),
    ("h", "lh"),
    ("k", "lc"),
    ("u", "ii"),
)
_MULTI = tuple(_VISUAL_MULTI) + tuple((f, b) for b, f in _VISUAL_MULTI)
_MULTI_END: dict[str, list[tuple[str, str]]] = {}
for _b, _f in _MULTI:
    _MULTI_END.setdefault(_b[-1], []).append((_b, _f))


@cache
def _glyph_cost(found: str, glyphs: str) -> float | None:
    """Extra cost of ``found`` standing for the glyph sequence ``glyphs`` (``ìc`` for ``lc``):
    0 if equal, plus the cost of each letter's own homoglyph or visual swap; None if unlike."""
    if found == glyphs:
        return 0.0
    extra = 0.0
    for f, g in zip(found, glyphs, strict=True):
        if f == g:
            continue
        c, how = substitution(g, f)
        if how not in ("homoglyph", "visual"):
            return None
        extra += c
    return extra


_VOWELS = set("aeiou")


def _keyboard() -> dict[str, set[str]]:
    near: dict[str, set[str]] = {}
    for r, row in enumerate(_QWERTY_ROWS):
        for c, ch in enumerate(row):
            s = near.setdefault(ch, set())
            for dc in (-1, 1):
                if 0 <= c + dc < len(row):
                    s.add(row[c + dc])
            # rows are staggered: a key touches the keys at c-1..c+1 of the rows around it
            for dr in (-1, 1):
                if 0 <= r + dr < len(_QWERTY_ROWS):
                    other = _QWERTY_ROWS[r + dr]
                    for cc in (c - 1, c) if dr == 1 else (c, c + 1):
                        if 0 <= cc < len(other):
                            s.add(other[cc])
    return near


KEYBOARD_NEAR = _keyboard()


@dataclass(frozen=True, slots=True)
class Edit:
    """One change from the brand's label to the found one."""

    op: str  # substitution | insertion | omission | transposition
    brand: str  # brand-side text ("" for an insertion)
    found: str  # found-side text ("" for an omission)
    how: str  # homoglyph | visual | keyboard | bitflip | vowel | hyphen | repetition | other
    cost: float
    at_end: bool = False  # an insertion after the brand's last letter ("addition")

    def describe(self) -> str:
        if self.op == "insertion":
            return f"added {self.found}"
        if self.op == "omission":
            return f"dropped {self.brand}"
        text = f"{self.brand}→{self.found}"
        if self.how == "homoglyph":
            scripts = sorted({script_of(c) for c in self.found} - {"Common", "Inherited"})
            text += f" ({'/'.join(scripts) or 'look-alike'} {self.found})"
        return text

    def to_dict(self) -> dict[str, object]:
        return {"op": self.op, "brand": self.brand, "found": self.found, "how": self.how}


@dataclass(frozen=True, slots=True)
class Alignment:
    cost: float
    edits: tuple[Edit, ...]

    def summary(self) -> str:
        """``"l→i, 1 substitution"``."""
        counts: dict[str, int] = {}
        for e in self.edits:
            counts[e.op] = counts.get(e.op, 0) + 1
        parts = [f"{n} {op}{'s' if n != 1 else ''}" for op, n in counts.items()]
        changes = ", ".join(e.describe() for e in self.edits)
        return f"{changes}, {' and '.join(parts)}" if changes else "identical"

    @property
    def technique(self) -> str:
        """dnstwist-style name of what was done (or "edit-distance" for a mix)."""
        edits = self.edits
        if edits and all(e.how == "homoglyph" for e in edits):
            return "homoglyph"
        if edits and all(e.how in ("homoglyph", "visual") for e in edits):
            return "visual"
        if edits and all(e.how == "hyphen" for e in edits):
            return "hyphenation"
        if len(edits) != 1:
            return "edit-distance"
        e = edits[0]
        if e.op == "substitution":
            return {"bitflip": "bitsquatting", "vowel": "vowel-swap"}.get(e.how, "replacement")
        if e.op == "insertion":
            if e.how == "repetition":
                return "repetition"
            return "addition" if e.at_end else "insertion"
        return e.op  # omission | transposition

    @property
    def visual_only(self) -> bool:
        return bool(self.edits) and all(e.how in ("homoglyph", "visual") for e in self.edits)


def _is_bitflip(a: str, b: str) -> bool:
    x = ord(a) ^ ord(b)
    return x != 0 and x & (x - 1) == 0


@cache
def substitution(brand_char: str, found_char: str) -> tuple[float, str]:
    if brand_char == found_char:
        return 0.0, "same"
    if char_key(brand_char) == char_key(found_char):
        return (HOMOGLYPH, "homoglyph") if not found_char.isascii() else (VISUAL, "visual")
    if frozenset((brand_char, found_char)) in _VISUAL_PAIRS:
        return VISUAL, "visual"
    if not found_char.isascii() and frozenset((brand_char, char_key(found_char))) in _VISUAL_PAIRS:
        return VISUAL + HOMOGLYPH, "visual"  # a look-alike of a look-alike: â for a for o
    if found_char in KEYBOARD_NEAR.get(brand_char, ()):
        return KEYBOARD, "keyboard"
    if _is_bitflip(brand_char, found_char):
        return OTHER, "bitflip"
    if brand_char in _VOWELS and found_char in _VOWELS:
        return OTHER, "vowel"
    return OTHER, "other"


# One step of an alignment while the table is filled: an ``Edit``'s fields, made into an ``Edit``
# only for the steps of the cheapest path (most cells' candidates are beaten).
_Step = tuple[str, str, str, str, float, bool]


@lru_cache(maxsize=65536)
def align(found: str, brand: str) -> Alignment:
    """Cheapest way to turn ``brand`` into ``found``, with the edits."""
    n, m = len(found), len(brand)
    inf = float("inf")
    cost = [[inf] * (m + 1) for _ in range(n + 1)]
    back: list[list[tuple[int, int, _Step | None]]] = [
        [(0, 0, None)] * (m + 1) for _ in range(n + 1)
    ]
    cost[0][0] = 0.0
    for i in range(n + 1):
        for j in range(m + 1):
            here = cost[i][j]
            if i == 0 and j == 0:
                continue
            best, move = here, back[i][j]
            if i and j:
                c, how = substitution(brand[j - 1], found[i - 1])
                cand = cost[i - 1][j - 1] + c
                if cand < best:
                    step = (
                        None
                        if c == 0
                        else ("substitution", brand[j - 1], found[i - 1], how, c, False)
                    )
                    best, move = cand, (i - 1, j - 1, step)
            if i:
                ch = found[i - 1]
                if ch == "-":
                    c, how = HYPHEN, "hyphen"
                elif (j and brand[j - 1] == ch) or (j < m and brand[j] == ch):
                    c, how = DOUBLING, "repetition"
                else:
                    c, how = OTHER, "other"
                cand = cost[i - 1][j] + c
                if cand < best:
                    best, move = cand, (i - 1, j, ("insertion", "", ch, how, c, j == m))
            if j:
                ch = brand[j - 1]
                if ch == "-":
                    c, how = HYPHEN, "hyphen"
                elif (j > 1 and brand[j - 2] == ch) or (j < m and brand[j] == ch):
                    c, how = DOUBLING, "repetition"
                else:
                    c, how = OTHER, "other"
                cand = cost[i][j - 1] + c
                if cand < best:
                    best, move = cand, (i, j - 1, ("omission", ch, "", how, c, False))
            if (
                i > 1
                and j > 1
                and found[i - 2] == brand[j - 1]
                and found[i - 1] == brand[j - 2]
                and found[i - 1] != found[i - 2]
            ):
                cand = cost[i - 2][j - 2] + SWAP
                if cand < best:
                    swapped = ("transposition", brand[j - 2 : j], found[i - 2 : i], "swap", SWAP)
                    best, move = cand, (i - 2, j - 2, (*swapped, False))
            for b_side, f_side in _MULTI_END.get(brand[j - 1], ()) if i and j else ():
                lb, lf = len(b_side), len(f_side)
                if i < lf or j < lb or not brand.startswith(b_side, j - lb):
                    continue
                extra = _glyph_cost(found[i - lf : i], f_side)
                if extra is None:
                    continue
                c = VISUAL + extra
                cand = cost[i - lf][j - lb] + c
                if cand < best:
                    glyphs = ("substitution", b_side, found[i - lf : i], "visual", c, False)
                    best, move = cand, (i - lf, j - lb, glyphs)
            cost[i][j], back[i][j] = best, move
    edits: list[Edit] = []
    i, j = n, m
    while i or j:
        pi, pj, step = back[i][j]
        if step is not None:
            edits.append(Edit(*step))
        i, j = pi, pj
    edits.reverse()
    return Alignment(round(cost[n][m], 2), tuple(edits))
