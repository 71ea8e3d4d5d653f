from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from koban.keys.derive import node_from_seed
from koban.keys.detectors import base58
from koban.keys.detectors.extended import DETECTOR, VERSIONS, parse

from .conftest import Find

VERSION_OF = {prefix: version for version, (prefix, _, _) in VERSIONS.items()}


def serialise(prefix: str, depth: int, child: int, chain_code: bytes, key_bytes: bytes) -> str:
    parent = b"\0\0\0\0" if depth == 0 else b"\x12\x34\x56\x78"
    payload = VERSION_OF[prefix] + bytes([depth]) + parent + child.to_bytes(4, "big")
    return base58.encode_check(payload + chain_code + key_bytes)


def random_node() -> tuple[bytes, int]:
    node = node_from_seed(os.urandom(32))
    return node.chain_code, node.key


@pytest.mark.parametrize("prefix", sorted(VERSION_OF))
def test_every_version_found(find: Find, prefix: str) -> None:
    chain_code, key = random_node()
    token = serialise(prefix, 3, 0x80000000, chain_code, b"\0" + key.to_bytes(32, "big"))
    assert token.startswith(prefix)
    found = find(DETECTOR, f'{{"xprv": "{token}"}}')
    assert len(found) == 1
    secret = found[0]
    assert secret.kind == "extended_private_key" and secret.material == token
    assert secret.detail["prefix"] == prefix
    assert secret.detail["depth"] == 3 and secret.detail["hardened"]
    assert secret.detail["network"] == ("testnet" if prefix[0] in "tuvUV" else "mainnet")
    assert "chain_code" not in secret.detail and "key" not in secret.detail
    assert not secret.test_vector


def test_public_keys_and_broken_keys_are_not_reported(find: Find) -> None:
    chain_code, key = random_node()
    private = b"\0" + key.to_bytes(32, "big")
    xpub_version = bytes.fromhex("0488b21e")
    xpub = base58.encode_check(xpub_version + bytes(9) + chain_code + b"\x02" + os.urandom(32))
    good = serialise("xprv", 1, 0, chain_code, private)
    cases = [
        xpub,
        serialise("xprv", 0, 5, chain_code, private),  # master key with an index
        serialise("xprv", 1, 0, chain_code, b"\x02" + key.to_bytes(32, "big")),  # a public key
        serialise("xprv", 1, 0, chain_code, b"\0" + bytes(32)),  # key 0
        good[:-1] + ("2" if good[-1] != "2" else "3"),  # checksum
        "xprv" + "1" * 107,
    ]
    assert find(DETECTOR, "\n".join(cases)) == []


@pytest.mark.shared_data
def test_bip32_vectors(shared_data: Path, find: Find) -> None:
    text = (shared_data / "keys/bips/bip-0032.mediawiki").read_text()
    valid_part, invalid_part = text.split("===Test vector 5===")
    valid = re.findall(r"\bxprv[1-9A-HJ-NP-Za-km-z]{100,}", valid_part)
    assert len(valid) == 17
    found = find(DETECTOR, "\n".join(valid))
    assert [s.material for s in found] == valid
    assert all(s.test_vector for s in found)
    assert {s.detail["test_vector_source"] for s in found} == {
        f"BIP32 test vector {n}" for n in range(1, 5)
    }
    invalid = re.findall(r"^\* (\w{100,}) \(", invalid_part, re.M)
    assert len(invalid) == 16
    assert find(DETECTOR, "\n".join(invalid)) == []


def test_parse_reports_script_type() -> None:
    chain_code, key = random_node()
    detail = parse(serialise("zprv", 0, 0, chain_code, b"\0" + key.to_bytes(32, "big")))
    assert detail is not None
    assert detail["script_type"].startswith("p2wpkh") and detail["key"] == key


def test_published_master_keys_are_test_material(find: Find) -> None:
    # Electrum's tests/test_wallet_vertical.py: master xprv of its standard test seed
    electrum = (
        "xprv9s21ZrQH143K32jECVM729vWgGq4mUDJCk1ozqAStTphzQtCTuoFmFafNoG1g55iCnBTXUzz3zWnDb5CVLGiFv"
        "maZjuazHDL8a81cPQ8KL6"
    )
    found = find(DETECTOR, electrum)
    assert len(found) == 1 and found[0].test_vector
    assert found[0].detail["test_vector_source"] == "Electrum test vector (standard)"
