"""Skeletons, scripts and the weighted distance on their own."""

from __future__ import annotations

import pytest

from koban.url.distance import align
from koban.url.skeletons import UNICODE_VERSION, confusable_with_latin, key, mixed_script, skeleton


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("аррӏе", "apple"),
        ("bіtflyer", "bitflyer"),
        ("bítflyer", "bitflyer"),
        ("rnetamask", "metamask"),
        ("vvallet", "wallet"),
        ("b1tf1yer", "bitflyer"),
        ("c0inbase", "coinbase"),
        ("ｂｉｔｆｌｙｅｒ", "bitflyer"),
        ("ʙɪᴛ", "bit"),
        ("ƫɾ", "tr"),
    ],
)
def test_same_key(a: str, b: str) -> None:
    assert key(a) == key(b)


@pytest.mark.parametrize(("a", "b"), [("bitbank", "bitflyer"), ("coincheck", "coinbase")])
def test_different_key(a: str, b: str) -> None:
    assert key(a) != key(b)


def test_uts39_skeleton_is_the_unicode_one() -> None:
    assert UNICODE_VERSION == "13.0.0"
    assert skeleton("аррӏе") == "appie"  # U+04CF PALOCHKA -> i in confusables.txt 13.0
    assert skeleton("1") == "l"


@pytest.mark.parametrize(
    ("label", "mixed"),
    [
        ("bіtflyer", {"Latin", "Cyrillic"}),
        ("pαypal", {"Latin", "Greek"}),
        ("お名前", None),
        ("ビットフライヤー", None),
        ("東京tokyo", None),
        ("münchen", None),
        ("аррӏе", None),
    ],
)
def test_mixed_script(label: str, mixed: set[str] | None) -> None:
    assert mixed_script(label) == mixed


def test_whole_script_confusable() -> None:
    assert confusable_with_latin("аррӏе")
    assert not confusable_with_latin("пример")


@pytest.mark.parametrize(
    ("found", "brand", "summary", "technique"),
    [
        ("bitfiyer", "bitflyer", "l→i, 1 substitution", "visual"),
        ("coinkcheck", "coincheck", "added k, 1 insertion", "insertion"),
        ("coinchek", "coincheck", "dropped c, 1 omission", "omission"),
        ("myethrewallet", "myetherwallet", "er→re, 1 transposition", "transposition"),
        ("rnetamask", "metamask", "m→rn, 1 substitution", "visual"),
        ("bitflyerr", "bitflyer", "added r, 1 insertion", "repetition"),
        ("metamaskx", "metamask", "added x, 1 insertion", "addition"),
        ("citflyer", "bitflyer", "b→c, 1 substitution", "bitsquatting"),
        ("bitflyor", "bitflyer", "e→o, 1 substitution", "vowel-swap"),
        ("bitflyet", "bitflyer", "r→t, 1 substitution", "replacement"),
        ("bit-flyer", "bitflyer", "added -, 1 insertion", "hyphenation"),
    ],
)
def test_alignment_explains(found: str, brand: str, summary: str, technique: str) -> None:
    a = align(found, brand)
    assert a.summary() == summary
    assert a.technique == technique


def test_costs_order_visual_below_keyboard_below_other() -> None:
    assert align("bitfiyer", "bitflyer").cost < align("bitflyet", "bitflyer").cost
    assert align("bitflyet", "bitflyer").cost < align("bitflyez", "bitflyer").cost
