"""Encoding normalisation: every text a human could have saved reaches the scanner as UTF-8."""

from __future__ import annotations

import pytest

from koban.containers.text import as_utf8, is_binary

SEED = "abandon ability able about above absent absorb abstract absurd abuse access accident"
JAPANESE = "秘密鍵のバックアップです。ウォレットの復元フレーズは以下のとおり: "


def test_ascii_and_utf8_come_back_as_the_same_object() -> None:
    ascii_text = SEED.encode()
    utf8_text = (JAPANESE + SEED).encode("utf-8")
    assert as_utf8(ascii_text) is ascii_text
    assert as_utf8(utf8_text) is utf8_text


def test_utf8_bom_is_stripped() -> None:
    assert as_utf8(b"\xef\xbb\xbf" + SEED.encode()) == SEED.encode()


@pytest.mark.parametrize(
    "encoded",
    [
        SEED.encode("utf-16"),  # BOM, native order
        b"\xff\xfe" + SEED.encode("utf-16-le"),
        b"\xfe\xff" + SEED.encode("utf-16-be"),
        SEED.encode("utf-16-le"),  # no BOM: told by the NUL parity
        SEED.encode("utf-16-be"),
        b"\xff\xfe\x00\x00" + SEED.encode("utf-32-le"),
        b"\x00\x00\xfe\xff" + SEED.encode("utf-32-be"),
    ],
)
def test_utf16_and_utf32_are_converted(encoded: bytes) -> None:
    assert as_utf8(encoded) == SEED.encode()
    assert not is_binary(encoded)


def test_utf16_japanese_with_bom() -> None:
    text = JAPANESE + SEED
    assert as_utf8(b"\xff\xfe" + text.encode("utf-16-le")).decode() == text


@pytest.mark.parametrize("encoding", ["shift_jis", "cp932", "euc_jp", "iso2022_jp"])
def test_japanese_legacy_encodings_are_converted(encoding: str) -> None:
    text = JAPANESE + SEED
    assert as_utf8(text.encode(encoding)).decode("utf-8") == text


def test_latin1_text_is_left_alone() -> None:
    # "é" followed by a letter is a valid Shift_JIS pair: without kana it must not be converted.
    latin = "Clé privée: Kx9a résumé café naïve élève".encode("latin-1")
    assert as_utf8(latin) == latin


def test_binary_is_left_alone() -> None:
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4
    assert as_utf8(png) == png


@pytest.mark.parametrize(
    ("data", "binary"),
    [
        (b"", False),
        (SEED.encode(), False),
        ((JAPANESE * 10).encode("shift_jis"), False),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", True),
        (b"\xa7\r\r\n\x00\x00\x00\x00" + b"\xe3" * 50, True),  # a .pyc header
        (b"\x7fELF\x02\x01\x01" + b"\x00" * 9, True),
        (bytes(range(1, 32)) * 20, True),  # control bytes without NULs
        (b"\x1b[31mred\x1b[0m log line\n" * 20, False),  # terminal colours are text
    ],
)
def test_is_binary(data: bytes, binary: bool) -> None:
    assert is_binary(data) is binary
