from __future__ import annotations

import json

import pytest
from bip_utils import Bip39SeedGenerator, Bip44Changes, Bip84, Bip84Coins
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from nacl.signing import SigningKey

from koban.keys import derive
from koban.keys.derive import Derived, addresses
from koban.keys.detectors import base58
from koban.keys.secret import Secret

ABANDON = " ".join(["abandon"] * 11 + ["about"])
HARDHAT = " ".join(["test"] * 11 + ["junk"])
HARDHAT_KEY_0 = "ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
HARDHAT_ADDRESS_0 = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"


def secret(kind: str, material: str) -> Secret:
    return Secret(kind, 0, len(material), material)


def by_path(found: list[Derived]) -> dict[str | None, str]:
    return {d.path: d.address for d in found}


def test_bip39_standard_paths_match_the_bips() -> None:
    found = addresses(secret("bip39_mnemonic", ABANDON), count=2)
    paths = by_path(found)
    assert paths["m/44'/0'/0'/0/0"] == "1LqBGSKuX5yYUonjxT5qGfpUsXKYYWeabA"
    assert paths["m/84'/0'/0'/0/0"] == "bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu"  # BIP84
    assert paths["m/84'/0'/0'/0/1"] == "bc1qnjg0jd8228aq7egyzacy8cys3knf9xvrerkf9g"  # BIP84
    assert paths["m/86'/0'/0'/0/0"] == (  # BIP86
        "bc1p5cyxnuxmeuwuvkwfem96lqzszd02n6xdcjrs20cac6yqjjwudpxqkedrcr"
    )
    assert paths["m/44'/60'/0'/0/0"] == "0x9858EfFD232B4033E47d90003D41EC34EcaEda94"
    assert len(found) == 2 * 5
    assert {d.chain for d in found} == {"bitcoin", "ethereum"}
    assert {d.script for d in found if d.chain == "bitcoin"} == set(derive.ALL_SCRIPTS)


def test_bip49_testnet_vector() -> None:
    master = derive.node_from_seed(derive.bip39_seed(ABANDON))
    paths = by_path(list(derive.standard_paths(master, 1, eth=False, testnet=True)))
    assert paths["m/49'/1'/0'/0/0"] == "2Mww8dCYPUpKHofjgcXcBCEGmniw9CoaiD2"  # BIP49


def test_hardhat_account() -> None:
    found = addresses(secret("bip39_mnemonic", HARDHAT), count=1)
    assert by_path(found)["m/44'/60'/0'/0/0"] == HARDHAT_ADDRESS_0
    raw = addresses(secret("eth_private_key", HARDHAT_KEY_0))
    assert Derived("ethereum", HARDHAT_ADDRESS_0, None) in raw


def test_electrum_vectors() -> None:
    # Electrum's tests/test_wallet_vertical.py
    standard = "cycle rocket west magnet parrot shuffle foot correct salt library feed song"
    segwit = "bitter grass shiver impose acquire brush forget axis eager alone wine silver"
    assert derive.electrum_seed_type(standard) == "standard"
    assert derive.electrum_seed_type(segwit) == "segwit"
    assert derive.electrum_seed_type(ABANDON) is None
    first = addresses(secret("electrum_seed", standard), count=1)
    assert first == [Derived("bitcoin", "1NNkttn1YvVGdqBW4PR6zvc3Zx3H5owKRf", "m/0/0", "p2pkh")]
    first = addresses(secret("electrum_seed", segwit), count=1)
    assert first == [
        Derived("bitcoin", "bc1q3g5tmkmlvxryhh843v4dz026avatc0zzr6h3af", "m/0'/0/0", "p2wpkh")
    ]


def test_wif_key_one() -> None:
    compressed = addresses(
        secret("wif_private_key", "KwDiBf89QgGbjEhKnhXJuH7LrciVrZi3qYjgd9M7rFU73sVHnoWn")
    )
    mapped = {d.script: d.address for d in compressed if d.chain == "bitcoin"}
    assert mapped["p2pkh"] == "1BgGZ9tcN4rm9KBzDn7KprQz87SZ26SAMH"
    assert mapped["p2wpkh"] == "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"  # BIP173 example
    assert "p2sh-p2wpkh" in mapped and "p2tr" in mapped
    uncompressed = addresses(
        secret("wif_private_key", "5HpHagT65TZzG1PH3CSu63k8DbpvD8s5ip4nEB3kEsreAnchuDf")
    )
    btc = [d for d in uncompressed if d.chain == "bitcoin"]
    assert btc == [Derived("bitcoin", "1EHNa6Q4Jz2uvNExL497mE43ikXhwF6kZm", None, "p2pkh")]


def test_testnet_wif_gives_testnet_addresses() -> None:
    wif = base58.encode_check(b"\xef" + (1).to_bytes(32, "big") + b"\x01")
    found = addresses(secret("wif_private_key", wif))
    assert {d.chain for d in found} == {"bitcoin"}
    assert "tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx" in {d.address for d in found}


def test_account_zprv_derives_its_receive_chain() -> None:
    seed = Bip39SeedGenerator(ABANDON).Generate()
    account = Bip84.FromSeed(seed, Bip84Coins.BITCOIN).Purpose().Coin().Account(0)
    zprv = account.PrivateKey().ToExtended()
    assert zprv.startswith("zprv")
    found = addresses(secret("extended_private_key", zprv), count=3)
    assert found[0] == Derived(
        "bitcoin", "bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu", "zprv/0/0", "p2wpkh"
    )
    expected = account.Change(Bip44Changes.CHAIN_EXT).AddressIndex(2).PublicKey().ToAddress()
    assert found[2].address == expected
    assert {d.script for d in found} == {"p2wpkh"}


def test_master_xprv_derives_standard_paths() -> None:
    master = derive.node_from_seed(derive.bip39_seed(ABANDON))
    payload = bytes.fromhex("0488ade4") + bytes(9) + master.chain_code
    xprv = base58.encode_check(payload + b"\0" + master.key.to_bytes(32, "big"))
    found = addresses(secret("extended_private_key", xprv), count=1)
    paths = by_path(found)
    assert paths["m/84'/0'/0'/0/0"] == "bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu"
    assert paths["m/44'/60'/0'/0/0"] == "0x9858EfFD232B4033E47d90003D41EC34EcaEda94"
    assert "m/0/0" in paths  # and the key's own /0/i chain


def test_keystore_solana_and_pem() -> None:
    keystore = json.dumps({"address": "f39fd6e51aad88f6f4ce6ab8827279cfffb92266", "version": 3})
    assert addresses(secret("eth_keystore", keystore)) == [
        Derived("ethereum", HARDHAT_ADDRESS_0, None)
    ]
    seed = bytes(range(32))
    keypair = seed + bytes(SigningKey(seed).verify_key)
    assert addresses(secret("solana_keypair", keypair.hex())) == [
        Derived("solana", base58.encode(keypair[32:]), None)
    ]
    key = ec.derive_private_key(int(HARDHAT_KEY_0, 16), ec.SECP256K1())
    block = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    ).decode()
    assert addresses(secret("pem_private_key", block)) == addresses(
        secret("eth_private_key", HARDHAT_KEY_0)
    )


@pytest.mark.parametrize(
    ("kind", "material"),
    [
        ("eth_private_key", "0" * 64),
        ("wif_private_key", "not a key"),
        ("extended_private_key", "xpub661MyMwAqRbc"),
        ("eth_keystore", "{}"),
        ("pem_private_key", "-----BEGIN RSA PRIVATE KEY-----\nabc\n-----END RSA PRIVATE KEY-----"),
        ("something_else", "x"),
    ],
)
def test_nothing_to_derive(kind: str, material: str) -> None:
    assert addresses(secret(kind, material)) == []


def test_count_is_bounded() -> None:
    assert addresses(secret("bip39_mnemonic", ABANDON), count=0) == []
    assert len(addresses(secret("electrum_seed", ABANDON), count=3)) == 0  # not an Electrum seed


def test_eip55() -> None:
    assert derive.eip55("0x9858effd232b4033e47d90003d41ec34ecaeda94") == (
        "0x9858EfFD232B4033E47d90003D41EC34EcaEda94"
    )
    assert derive.eip55("0x123") is None
