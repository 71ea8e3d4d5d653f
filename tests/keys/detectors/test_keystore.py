from __future__ import annotations

import json
import os
import uuid
from pathlib import Path
from typing import Any

import pytest

from koban.keys.detectors.keystore import DETECTOR

from .conftest import Find

ADDRESS = (
    "9858effd232b4033e47d90003d41ec34ecaeda94"  # any 20 bytes; this one has a known EIP-55 form
)


def make_keystore(kdf: str = "scrypt", crypto_key: str = "crypto") -> dict[str, Any]:
    params: dict[str, Any] = {"dklen": 32, "salt": os.urandom(32).hex()}
    params |= (
        {"n": 262144, "r": 8, "p": 1} if kdf == "scrypt" else {"c": 262144, "prf": "hmac-sha256"}
    )
    return {
        "address": ADDRESS,
        crypto_key: {
            "cipher": "aes-128-ctr",
            "cipherparams": {"iv": os.urandom(16).hex()},
            "ciphertext": os.urandom(32).hex(),
            "kdf": kdf,
            "kdfparams": params,
            "mac": os.urandom(32).hex(),
        },
        "id": str(uuid.uuid4()),
        "version": 3,
    }


@pytest.mark.parametrize("kdf", ["scrypt", "pbkdf2"])
@pytest.mark.parametrize("indent", [None, 2])
def test_generated_keystores(find: Find, kdf: str, indent: int | None) -> None:
    document = make_keystore(kdf)
    text = "prefix " + json.dumps(document, indent=indent) + "\ntrailer"
    found = find(DETECTOR, text)
    assert len(found) == 1
    secret = found[0]
    assert secret.kind == "eth_keystore"
    assert json.loads(text.encode()[secret.start : secret.end]) == document
    assert secret.detail["kdf"] == kdf and secret.detail["encrypted"] is True
    assert secret.detail["address"] == "0x9858EfFD232B4033E47d90003D41EC34EcaEda94"
    assert json.loads(secret.material) == document
    assert not secret.test_vector


def test_geth_capitalised_crypto_and_no_address(find: Find) -> None:
    document = make_keystore(crypto_key="Crypto")
    del document["address"]
    found = find(DETECTOR, json.dumps(document))
    assert len(found) == 1 and "address" not in found[0].detail


def test_two_in_one_file_and_non_ascii_before(find: Find) -> None:
    first, second = make_keystore(), make_keystore("pbkdf2")
    text = f"鍵のバックアップ {json.dumps(first)}\n---\n{json.dumps(second)}"
    found = find(DETECTOR, text)
    assert [json.loads(text.encode()[s.start : s.end]) for s in found] == [first, second]


def test_not_keystores(find: Find) -> None:
    wrong_version = make_keystore()
    wrong_version["version"] = 1
    no_mac = make_keystore()
    del no_mac["crypto"]["mac"]
    loose = {"ciphertext": os.urandom(32).hex(), "note": "not in a crypto object", "version": 3}
    broken = json.dumps(make_keystore())[:-5]
    text = "\n".join(json.dumps(d) for d in (wrong_version, no_mac, loose)) + "\n" + broken
    assert find(DETECTOR, text) == []


@pytest.mark.shared_data
def test_ethereum_tests_keystores(shared_data: Path, find: Find) -> None:
    data = (shared_data / "keys/ethereum-keystore-tests/basic_tests.json").read_bytes()
    found = find(DETECTOR, data)
    assert len(found) == len(json.loads(data)) == 2
    assert all(s.test_vector for s in found)
    assert {s.detail["kdf"] for s in found} == {"pbkdf2", "scrypt"}
