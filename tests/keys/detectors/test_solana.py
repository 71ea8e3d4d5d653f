from __future__ import annotations

import json
import os

import pytest
from nacl.signing import SigningKey

from koban.keys.detectors import base58
from koban.keys.detectors.solana import DETECTOR, public_half_matches

from .conftest import Find


def make_keypair() -> bytes:
    seed = os.urandom(32)
    return seed + bytes(SigningKey(seed).verify_key)


@pytest.mark.parametrize("indent", [None, 2])
def test_keygen_json_array(find: Find, indent: int | None) -> None:
    keypair = make_keypair()
    text = json.dumps(list(keypair), indent=indent)
    found = find(DETECTOR, text)
    assert len(found) == 1
    secret = found[0]
    assert (secret.kind, secret.start, secret.end) == ("solana_keypair", 0, len(text))
    assert secret.material == keypair.hex()
    assert secret.detail == {"address": base58.encode(keypair[32:]), "form": "json_array"}


def test_array_in_code_and_base58(find: Find) -> None:
    first, second = make_keypair(), make_keypair()
    code = (
        f"const payer = Keypair.fromSecretKey(Uint8Array.from({list(first)}));\n"
        f'SOLANA_SECRET="{base58.encode(second)}"\n'
    )
    found = find(DETECTOR, code)
    assert [s.material for s in found] == [first.hex(), second.hex()]
    assert [s.detail["form"] for s in found] == ["json_array", "base58"]


def test_not_keypairs(find: Find) -> None:
    keypair = make_keypair()
    wrong_half = keypair[:32] + make_keypair()[32:]
    signature = bytes(
        SigningKey(os.urandom(32)).sign(b"tx").signature
    )  # 64 bytes, Base58 like keys
    text = "\n".join(
        [
            json.dumps(list(wrong_half)),
            json.dumps(list(os.urandom(64))),
            json.dumps([*list(keypair), 0]),  # 65 integers
            json.dumps([*list(keypair[:63]), 256]),  # not a byte
            base58.encode(signature),
            base58.encode(wrong_half),
        ]
    )
    assert find(DETECTOR, text) == []


def test_public_half_matches() -> None:
    keypair = make_keypair()
    assert public_half_matches(keypair)
    assert not public_half_matches(keypair[:63])
