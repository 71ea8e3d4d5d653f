"""Length buckets of brand look-alike keys, and a bound that rules most of a bucket out at once.

A near miss of a label is looked for among the brand keys whose length is within 2 of its key's,
at a Levenshtein distance of at most ``cutoff``. Checking every key of a bucket (about 70) costs
more than the rest of a host's checks, and almost always finds nothing, so a bound comes first:
Levenshtein distance is at least the number of distinct letters that one side has and the other
lacks (each needs an edit of its own). That count is computed for all keys of a bucket together,
with one integer holding one bit field per key: each letter of the label adds the integer of the
keys that contain it (a 1 in their fields), so the sum holds, per key, how many distinct letters
it shares with the label; adding a per-key offset sets the top bit of each field whose shared
count is high enough. Usually no top bit is set (the label is near no brand, and no distance is
computed); otherwise the few keys left get rapidfuzz's exact distance. The answer is
``rapidfuzz.process.extract``'s over the whole bucket: the same keys, distances and order (closest
first, ties in bucket order).
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import repeat
from typing import Generic, TypeVar

from rapidfuzz.distance import Levenshtein

T = TypeVar("T")

_WIDTH = 8  # bits per key's field: a byte, so that the keys left are found with bytes.find
_TOP = 1 << (_WIDTH - 1)  # a field's top bit: set when the key may be within the cutoff


class Bucket(Generic[T]):
    """Keys (each with its item) whose near misses are looked for together."""

    __slots__ = ("_guard", "_letters", "_offsets", "cutoff", "items", "keys")

    def __init__(self, pairs: Sequence[tuple[str, T]], cutoff: int) -> None:
        self.keys: tuple[str, ...] = tuple(k for k, _ in pairs)
        self.items: tuple[T, ...] = tuple(item for _, item in pairs)
        self.cutoff = cutoff
        letters: dict[str, int] = {}
        for i, k in enumerate(self.keys):
            if len(k) + cutoff >= _TOP // 2:
                raise ValueError(f"key {k!r} too long for a bucket")
            for c in set(k):
                letters[c] = letters.get(c, 0) | 1 << (_WIDTH * i)
        self._letters = letters
        self._guard = sum(_TOP << (_WIDTH * i) for i in range(len(self.keys)))
        self._offsets: dict[int, int] = {}  # by the label's distinct letter count

    def _offset(self, distinct: int) -> int:
        """Per field: ``_TOP`` minus the shared letters a key needs to be within the cutoff of
        a label with ``distinct`` distinct letters (neither side may lack more than ``cutoff``)."""
        got = self._offsets.get(distinct)
        if got is None:
            got = 0
            for i, k in enumerate(self.keys):
                need = max(len(set(k)), distinct) - self.cutoff
                got += (_TOP - need) << (_WIDTH * i)
            self._offsets[distinct] = got
        return got

    def nearest(self, key: str, limit: int = 4) -> list[tuple[str, int, T]]:
        """(key, distance, item) of the ``limit`` keys closest to ``key`` within the cutoff,
        closest first, ties in bucket order (``process.extract``'s answer, without the keys that
        cannot be near)."""
        distinct = set(key)
        if len(distinct) < _TOP // 2:
            shared = sum(map(self._letters.get, distinct, repeat(0)))
            left = (shared + self._offset(len(distinct))) & self._guard
        else:  # too many letters for the fields (never for a bucket's lengths): check all
            left = self._guard
        if not left:
            return []
        found: list[tuple[int, int]] = []
        keys, cutoff = self.keys, self.cutoff
        fields = left.to_bytes(len(keys), "little")  # one byte per key: _TOP where it is left
        i = fields.find(_TOP)
        while i >= 0:
            d = Levenshtein.distance(key, keys[i], score_cutoff=cutoff)
            if d <= cutoff:
                found.append((d, i))
            i = fields.find(_TOP, i + 1)
        found.sort()
        return [(keys[i], d, self.items[i]) for d, i in found[:limit]]
