from __future__ import annotations

import hashlib
import os

import pytest

from koban.keys.detectors import secp256k1
from koban.keys.detectors.hexkey import DETECTOR, context, placeholder

from .conftest import Find

# Published by the tools themselves (Hardhat/Anvil account #0 and #1, ganache-cli -d account #0)
HARDHAT_0 = "ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
HARDHAT_1 = "59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d"
GANACHE_0 = "4f3edf983ac636a65a842ce7c78d9aa706d3b113bce9c46f30d7d21715b23b1d"


def random_hex() -> str:
    key = int.from_bytes(os.urandom(32), "big") % (secp256k1.N - 1) + 1
    return f"{key:064x}"


@pytest.mark.parametrize(
    ("template", "confidence"),
    [
        ("PRIVATE_KEY=0x{k}\n", "high"),
        ('{{"privateKey": "{k}"}}', "high"),
        ('private_key = bytes.fromhex("{k}")', "high"),
        ("cast send --private-key 0x{k} $TO", "high"),
        ("PK={k}", "high"),
        ("秘密鍵: {k}", "high"),
        ("my private key is {k}", "high"),
        ("deployer:\n  private_key:\n    '0x{k}'\n", "high"),
        ('const wallet = new ethers.Wallet("0x{k}");', "medium"),
        ('accounts: ["0x{K}"],', "medium"),
        ('"key": "{k}"', "medium"),
    ],
)
def test_key_in_context(find: Find, template: str, confidence: str) -> None:
    digits = random_hex()
    text = template.format(k=digits, K=digits.upper())
    found = find(DETECTOR, text)
    assert len(found) == 1, text
    secret = found[0]
    assert secret.kind == "eth_private_key" and secret.material == digits
    assert secret.confidence == confidence
    assert text.encode()[secret.start : secret.end].decode().lower().endswith(digits)
    assert not secret.test_vector


@pytest.mark.parametrize(
    "template",
    [
        "txHash: 0x{k}",
        '"hash": "{k}"',
        '{{"blockHash": "0x{k}", "transactionHash": "0x{k}"}}',
        "publicKey: {k}",
        "public key {k}",
        "sha256 = {k}",
        "{k}  koban-0.1.0.tar.gz\n{k}  koban-0.1.0-py3-none-any.whl\n",  # SHA256SUMS
        "{k}  ./config/secret_key.toml\n{k}  ./config/other.toml\n",  # a file named secret
        "keccak256(data) == 0x{k}",
        "tx 0x{k} confirmed in block 123",
        "private_key_hash = {k}",
        "api_secret = {k}",
        "private key" + " " * 60 + "{k}",  # too far from the word
        "private_key = {k}{k}",  # 128 digits: not a secp256k1 key
        "private_key = x{k}",  # glued to a word
        "commit {k}",
        '"chainCode": "{k}"',
    ],
)
def test_not_keys(find: Find, template: str) -> None:
    assert find(DETECTOR, template.format(k=random_hex())) == []


def test_lockfiles_and_sums(find: Find) -> None:
    sha = hashlib.sha256(b"x").hexdigest()
    lock = (
        '"node_modules/left-pad": {\n  "version": "1.3.0",\n'
        '  "resolved": "https://registry.npmjs.org/left-pad/-/left-pad-1.3.0.tgz",\n'
        '  "integrity": "sha512-XI5MPzVNApjAyhQzphX8BkmKsKUxD4LdyK24iZeQ9nMUnjK8vTtx2yW3bN+6==",\n'
        f'  "checksum": "{sha}"\n}}\n'
    )
    gosum = "golang.org/x/text v0.3.0 h1:g61tztE5qeGQ89tm6NTjjM9VPIm088od1l6aSorWRWg=\n"
    git = f"commit {sha[:40]}\nAuthor: a\n\nMerge {sha[:40]}\n"
    cargo = f'[[package]]\nname = "x"\nchecksum = "{sha}"\n'
    assert find(DETECTOR, lock + gosum + git + cargo) == []


@pytest.mark.parametrize(
    "digits", ["0" * 64, "f" * 64, "deadbeef" * 8, "1234567890abcdef" * 4, "ab" * 32]
)
def test_placeholders(find: Find, digits: str) -> None:
    assert find(DETECTOR, f"PRIVATE_KEY=0x{digits}\nprivateKey: '{digits}'") == []


def test_out_of_range(find: Find) -> None:
    assert find(DETECTOR, f"private_key = {secp256k1.N:064x}") == []


@pytest.mark.parametrize("digits", [HARDHAT_0, HARDHAT_1, GANACHE_0, "0" * 63 + "1"])
def test_published_keys_are_test_material(find: Find, digits: str) -> None:
    found = find(DETECTOR, f"PRIVATE_KEY=0x{digits}")
    assert len(found) == 1
    assert found[0].test_vector and found[0].detail["test_vector_source"]


def test_context_and_placeholder_helpers() -> None:
    assert context(b"private key: ") == ("high", "private key")
    assert context(b"the public key: ") is None
    assert context(b"nothing here = ") is None
    assert placeholder("ab" * 32) and not placeholder(random_hex())
