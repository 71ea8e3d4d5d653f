"""Canonical forms: the same indicator always has the same key."""

from __future__ import annotations

import pytest

from koban.intel.indicators import (
    IndicatorType,
    NormaliseError,
    classify,
    normalise,
    refang,
)

T = IndicatorType


@pytest.mark.parametrize(
    ("raw", "kind", "canonical"),
    [
        (
            "0x098B716B8Aaf21512996dC57EB0615e2383E2f96",
            T.ADDRESS,
            "0x098b716b8aaf21512996dc57eb0615e2383e2f96",
        ),
        (
            "BC1QXY2KGDYGJRSQTZQ2N0YRF2493P83KKFJHX0WLH",
            T.ADDRESS,
            "bc1qxy2kgdygjrsqtzq2n0yrf2493p83kkfjhx0wlh",
        ),
        ("1PfwHNxUnkpfkK9MKjMqzR3Xq3KCtq9u17", T.ADDRESS, "1PfwHNxUnkpfkK9MKjMqzR3Xq3KCtq9u17"),
        ("TXYZopYRdj2D9XRtbG411XZZ3kM5VkAeBf", T.ADDRESS, "TXYZopYRdj2D9XRtbG411XZZ3kM5VkAeBf"),
        (
            "bitcoincash:qpm2qsznhks23z7629mms6s4cwef74vcwvy22gdx6a",
            T.ADDRESS,
            "bitcoincash:qpm2qsznhks23z7629mms6s4cwef74vcwvy22gdx6a",
        ),
        (
            "cosmos1h9ymfm2fxrqgd257dlw5nku3jgqjgpl59sm5ns",
            T.ADDRESS,
            "cosmos1h9ymfm2fxrqgd257dlw5nku3jgqjgpl59sm5ns",
        ),
        ("Bitflyer.COM.", T.DOMAIN, "bitflyer.com"),
        ("ｂｉｔｆｌｙｅｒ.com", T.DOMAIN, "bitflyer.com"),  # full-width folds under UTS #46
        ("bitflyér.com", T.DOMAIN, "xn--bitflyr-gya.com"),
        ("аррӏе.com", T.DOMAIN, "xn--80ak6aa92e.com"),  # all-Cyrillic spoof keeps its own key
        ("evil[.]example", T.DOMAIN, "evil.example"),
        ("HXXPS://Evil.Example:443/Path?q=1#frag", T.URL, "https://evil.example/Path?q=1"),
        ("http://www.brand.jp@203.0.113.5:8080", T.URL, "http://www.brand.jp@203.0.113.5:8080/"),
        ("http://[2001:DB8::1]/x", T.URL, "http://[2001:db8::1]/x"),
        ("2001:0db8:0000::0001", T.IP, "2001:db8::1"),
        ("203.0.113[.]5", T.IP, "203.0.113.5"),
        ("Philip.JE@Proton.ME", T.EMAIL, "philip.je@proton.me"),
        ("51871504C1D5C09ADE5E2A1E6E98C37A", T.MD5, "51871504c1d5c09ade5e2a1e6e98c37a"),
        (
            "ae34fa6c6baf77390fb3ff683d880cde14bf893d",
            T.SHA1,
            "ae34fa6c6baf77390fb3ff683d880cde14bf893d",
        ),
    ],
)
def test_classify_and_normalise(raw: str, kind: IndicatorType, canonical: str) -> None:
    assert classify(raw) == (kind, canonical)
    assert normalise(kind, raw) == canonical


@pytest.mark.parametrize("raw", ["", "hello", "not a domain", "@", "-.-"])
def test_nothing(raw: str) -> None:
    assert classify(raw) is None


@pytest.mark.parametrize(
    ("kind", "raw"),
    [
        (T.ADDRESS, "bc1QXY2kgdygjrsqtzq2n0yrf2493p83kkfjhx0wlh"),  # mixed-case bech32 is invalid
        (T.DOMAIN, "localhost"),
        (T.URL, "no-scheme.example/x"),
        (T.IP, "999.1.1.1"),
        (T.EMAIL, "nobody"),
        (T.SHA256, "abcd"),
        (T.MD5, "ae34fa6c6baf77390fb3ff683d880cde14bf893d"),
    ],
)
def test_invalid(kind: IndicatorType, raw: str) -> None:
    with pytest.raises(NormaliseError):
        normalise(kind, raw)


def test_refang() -> None:
    assert refang("hxxp://a[.]b(.)c[:]80/x[at]y") == "http://a.b.c:80/x@y"
    assert refang("plain.example") == "plain.example"
