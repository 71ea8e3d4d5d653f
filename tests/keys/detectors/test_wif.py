from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from koban.keys.detectors import base58, secp256k1
from koban.keys.detectors.wif import DETECTOR, parse

from .conftest import Find


def make_wif(key: int, testnet: bool = False, compressed: bool = True) -> str:
    payload = bytes([0xEF if testnet else 0x80]) + key.to_bytes(32, "big")
    return base58.encode_check(payload + (b"\x01" if compressed else b""))


def random_key() -> int:
    return int.from_bytes(os.urandom(32), "big") % (secp256k1.N - 1) + 1


@pytest.mark.parametrize("testnet", [False, True])
@pytest.mark.parametrize("compressed", [False, True])
def test_generated_keys_found(find: Find, testnet: bool, compressed: bool) -> None:
    wif = make_wif(random_key(), testnet, compressed)
    text = f"# backup\nWIF: {wif}\nimportprivkey '{wif}' label\n"
    found = find(DETECTOR, text)
    assert [s.material for s in found] == [wif, wif]
    first = found[0]
    assert first.kind == "wif_private_key"
    assert text.encode()[first.start : first.end].decode() == wif
    assert first.detail["network"] == ("testnet" if testnet else "mainnet")
    assert first.detail["compressed"] is compressed
    assert not first.test_vector


def test_not_keys(find: Find) -> None:
    key = random_key()
    good = make_wif(key)
    bad_checksum = good[:-1] + ("2" if good[-1] != "2" else "3")
    wrong_flag = base58.encode_check(b"\x80" + key.to_bytes(32, "big") + b"\x02")
    out_of_range = base58.encode_check(b"\x80" + secp256k1.N.to_bytes(32, "big") + b"\x01")
    zero = base58.encode_check(b"\x80" + bytes(32))
    other_version = base58.encode_check(b"\x00" + key.to_bytes(32, "big") + b"\x01")
    text = "\n".join(
        [
            bad_checksum,
            wrong_flag,
            out_of_range,
            zero,
            other_version,
            "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa",  # an address
            "glued_" + good,  # part of a longer identifier
            good + "x",
        ]
    )
    assert find(DETECTOR, text) == []


def test_small_keys_are_test_material(find: Find) -> None:
    found = find(DETECTOR, make_wif(1))
    assert len(found) == 1 and found[0].test_vector


def test_parse() -> None:
    assert parse(make_wif(5, compressed=False)) == (5, "mainnet", False)
    assert parse("KwDiBf89QgGbjEhKnhXJuH7LrciVrZi3qYjgd9M7rFU73sVHnoWn") == (1, "mainnet", True)


@pytest.mark.shared_data
def test_bitcoinjs_fixtures(shared_data: Path, find: Find) -> None:
    fixtures = json.loads((shared_data / "keys/bitcoinjs-wif/test/fixtures.json").read_text())
    for case in fixtures["valid"]:
        found = find(DETECTOR, f"key = {case['WIF']}\n")
        assert len(found) == 1, case["WIF"][:6]
        assert found[0].material == case["WIF"]
        assert found[0].detail["compressed"] is case["compressed"]
        network = "mainnet" if case["version"] == 128 else "testnet"
        assert found[0].detail["network"] == network
    for case in fixtures["invalid"]["decode"]:
        found = find(DETECTOR, f"key = {case['WIF']}\n")
        if case["exception"] == "Invalid network version":
            assert len(found) == 1  # a valid testnet key, rejected there only for its version
        else:
            assert found == [], case["exception"]
