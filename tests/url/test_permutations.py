"""Watch-list candidates: every fuzzer class, valid IDNA, and every candidate flagged by check."""

from __future__ import annotations

import importlib.util
import random

import idna
import pytest

from koban.errors import InputError
from koban.profile import Org, Profile
from koban.url import build_context, check
from koban.url.checks import LOOKALIKE_RULES
from koban.url.permutations import FUZZERS, permutations
from koban.url.skeletons import key, scripts_of

DNSTWIST_CLASSES = {
    "addition", "bitsquatting", "cyrillic", "homoglyph", "hyphenation", "insertion", "omission",
    "repetition", "replacement", "subdomain", "transposition", "vowel-swap", "dictionary",
    "tld-swap", "various",
}  # fmt: skip
FLAGGED_RULES = {*LOOKALIKE_RULES, "url.brand_subdomain"}


def test_fuzzer_classes_cover_dnstwist() -> None:
    assert set(FUZZERS) >= DNSTWIST_CLASSES | {"confusable", "whole-script", "plural"}


def test_every_class_produces_candidates() -> None:
    got = {c.fuzzer for c in permutations("metamask.io")}
    # cyrillic/whole-script need every letter to have a Cyrillic twin ("apple" has); plural
    # candidates of metamask are all insertions already (the first class to find one keeps it)
    assert got >= set(FUZZERS) - {"cyrillic", "whole-script", "plural"}
    assert {"cyrillic", "whole-script"} <= {c.fuzzer for c in permutations("apple.com")}
    assert "plural" in {c.fuzzer for c in permutations("bitflyer.com")}


def test_candidates_are_a_labels_with_unicode_form() -> None:
    candidates = permutations("bitflyer.com")
    domains = [c.domain for c in candidates]
    assert len(domains) == len(set(domains))
    assert "bitflyer.com" not in domains
    for c in candidates[:: max(1, len(candidates) // 500)]:
        assert c.domain.isascii()
        assert idna.decode(c.domain) == c.unicode
    whole = [c for c in permutations("apple.com") if c.fuzzer == "whole-script"]
    assert whole
    for c in whole:
        label = c.unicode.split(".")[0]
        assert key(label) == key("apple")
        assert scripts_of(label) in ({"Cyrillic"}, {"Greek"}, {"Armenian"})


def test_confusable_class_has_single_swaps_from_other_scripts() -> None:
    conf = [c for c in permutations("bitflyer.com") if c.fuzzer == "confusable"]
    assert any(c.unicode == "bіtflyer.com" for c in conf)  # Cyrillic і
    assert all(sum(a != b for a, b in zip(c.unicode, "bitflyer.com", strict=False)) <= 1
               for c in conf if len(c.unicode) == len("bitflyer.com"))  # fmt: skip


def test_other_brands_real_domains_are_not_candidates() -> None:
    domains = {c.domain for c in permutations("bitmex.com")}
    assert "bitmax.me" not in domains


def test_subdomain_is_kept_like_dnstwist() -> None:
    domains = {c.domain for c in permutations("app.safe.global")}
    assert "app.safe.io" in domains  # tld-swap keeps the subdomain
    assert "app.saffe.global" in domains


def test_fuzzer_filter() -> None:
    got = permutations("bitflyer.com", fuzzers=["omission"])
    assert {c.fuzzer for c in got} == {"omission"}
    assert "bitflyr.com" in {c.domain for c in got}


def test_bad_domain() -> None:
    with pytest.raises(InputError):
        permutations("203.0.113.5")
    with pytest.raises(InputError):
        permutations("github.io")


SAMPLE = [
    ("bitflyer.com", None),
    ("coincheck.com", None),
    ("metamask.io", None),
    ("app.safe.global", None),
    ("myetherwallet.com", None),
    ("okx.com", None),
    ("zoom.us", None),
    ("linkedin.com", None),
    ("hoshi-exchange.jp", "hoshi-exchange.jp"),
]


@pytest.mark.parametrize(("domain", "own"), SAMPLE)
def test_every_candidate_is_flagged_as_a_look_alike(domain: str, own: str | None) -> None:
    profile = Profile(org=Org(domains=[own])) if own else Profile()
    ctx = build_context(profile)
    candidates = permutations(domain)
    rng = random.Random(domain)
    by_class: dict[str, list[str]] = {}
    for c in candidates:
        by_class.setdefault(c.fuzzer, []).append(c.domain)
    sample = [d for ds in by_class.values() for d in rng.sample(ds, min(len(ds), 60))]
    missed = [d for d in sample if not {f.rule for f in check(d, ctx)} & FLAGGED_RULES]
    assert not missed, f"{len(missed)} of {len(sample)} not flagged: {missed[:10]}"


@pytest.mark.skipif(importlib.util.find_spec("dnstwist") is None, reason="dnstwist not installed")
@pytest.mark.parametrize("domain", ["bitflyer.com", "coincheck.com", "okx.com"])
def test_covers_dnstwist(domain: str) -> None:
    import dnstwist

    fuzzer = dnstwist.Fuzzer(domain)
    fuzzer.generate()
    theirs = {p["domain"] for p in fuzzer.domains if p["fuzzer"] != "*original"}
    mine = {c.domain for c in permutations(domain)}
    coverage = len(theirs & mine) / len(theirs)
    assert coverage >= 0.99, sorted(theirs - mine)[:20]
