"""The bucket bound drops only keys that cannot be near: answers equal rapidfuzz's full scan."""

from __future__ import annotations

import random

import pytest
from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from koban.url.brands import build_index
from koban.url.buckets import Bucket


def _variants(key: str, rng: random.Random, n: int) -> list[str]:
    """``key`` with up to four random edits (substitutions, insertions, deletions)."""
    out = []
    for _ in range(n):
        chars = list(key)
        for _ in range(rng.randint(0, 4)):
            at = rng.randrange(len(chars))
            op = rng.randint(0, 2)
            if op == 0:
                chars[at] = rng.choice("abcdeilmnorstuw01-")
            elif op == 1:
                chars.insert(at, rng.choice("abeilmnorstuvw"))
            elif len(chars) > 1:
                del chars[at]
        out.append("".join(chars))
    return out


def test_nearest_equals_full_scan_on_builtin_buckets() -> None:
    rng = random.Random(7)
    index = build_index()
    compared = near = 0
    for length, bucket in index.buckets.items():
        queries = [v for k in bucket.keys for v in _variants(k, rng, 12) if len(v) == length]
        queries += ["".join(rng.choice("abcdefgh") for _ in range(length)) for _ in range(50)]
        for q in queries:
            expected = process.extract(
                q, bucket.keys, scorer=Levenshtein.distance, score_cutoff=bucket.cutoff, limit=4
            )
            got = bucket.nearest(q, limit=4)
            assert got == [(k, d, bucket.items[i]) for k, d, i in expected], q
            compared += 1
            near += bool(got)
    assert compared > 2000 and near > 500  # the variants do reach the exact-distance step


def test_ties_keep_bucket_order_and_limit() -> None:
    bucket = Bucket([("abcd", 1), ("abce", 2), ("abcf", 3), ("abcg", 4), ("abch", 5)], cutoff=2)
    assert bucket.nearest("abcx", limit=3) == [("abcd", 1, 1), ("abce", 1, 2), ("abcf", 1, 3)]
    closest = [("abcd", 0, 1), ("abce", 1, 2), ("abcf", 1, 3), ("abcg", 1, 4)]
    assert bucket.nearest("abcd") == closest
    assert bucket.nearest("wxyz") == []


def test_letters_missing_on_either_side_rule_keys_out() -> None:
    bucket = Bucket([("bitflyer", "b")], cutoff=2)
    assert bucket.nearest("bitflyxx") == [("bitflyer", 2, "b")]  # two letters missing: near
    assert bucket.nearest("bitfxxxr") == []  # three: not within 2
    assert bucket.nearest("bitflyerzzq") == []  # the label's own extra letters count too


def test_keys_too_long_for_the_fields_are_refused() -> None:
    with pytest.raises(ValueError, match="too long"):
        Bucket([("a" * 70, None)], cutoff=2)


def test_labels_with_many_letters_are_checked_against_every_key() -> None:
    many = "".join(chr(0x4E00 + i) for i in range(70))  # more letters than a field can count
    bucket = Bucket([("abc", 1)], cutoff=3)
    assert bucket.nearest(many) == []
    assert bucket.nearest("abcx") == [("abc", 1, 1)]
