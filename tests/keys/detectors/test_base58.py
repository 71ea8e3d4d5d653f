from __future__ import annotations

import os
import re

import pytest

from koban.keys.detectors import base58


@pytest.mark.parametrize(
    "raw",
    [b"\0", b"\0\0\x01", os.urandom(32), b"\xff" * 40],
    ids=["zero", "leading-zeros", "random", "ones"],
)
def test_round_trip(raw: bytes) -> None:
    assert base58.decode(base58.encode(raw)) == raw
    assert base58.decode_check(base58.encode_check(raw)) == raw


def test_known_value() -> None:
    # Bitcoin's genesis coinbase address is Base58Check of version 0 and this hash160
    payload = bytes.fromhex("0062e907b15cbf27d5425399ebf6f0fb50ebb88f18")
    assert base58.encode_check(payload) == "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"


def test_rejects_bad_text_and_checksum() -> None:
    good = base58.encode_check(b"\x80" + bytes(range(32)))
    assert base58.decode("") is None
    assert base58.decode("0OIl") is None
    assert base58.decode("a" * 300) is None
    bad = good[:-1] + ("2" if good[-1] != "2" else "3")
    assert base58.decode_check(bad) is None


def test_char_class_is_the_alphabet() -> None:
    cls = re.compile(base58.CHAR_CLASS)
    assert bytes(c for c in range(256) if cls.fullmatch(bytes([c]))) == base58.ALPHABET


def test_token_around_and_bounded() -> None:
    data = b'x = "5HueCGU8rMjxEXxiPuD5BDku4MkFqeZyd4dZ1jvhTVqvbTLvyTJ";'
    end = data.index(b'";')
    start, stop = base58.token_around(data, end)
    assert data[start:stop].startswith(b"5Hue") and stop == end
    assert base58.bounded(data, start, stop)
    assert not base58.bounded(b"_" + data[start:stop], 1, 1 + stop - start)
