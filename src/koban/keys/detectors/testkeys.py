"""Publicly known key material: development-chain accounts and published BIP32 vectors.

Hardhat, Anvil, Ganache and Truffle fund the same accounts from the same published mnemonics in
every install, and the BIP32/BIP44-family specifications print their test keys. Such keys sit in
thousands of repositories; they are recognised (``test_vector=True``) so that real exposures are
not drowned. The sets are derived from the public mnemonics and seeds on first use rather than
copied as lists, so they can be checked against their source.
"""

from __future__ import annotations

from functools import lru_cache

from koban.keys.detectors import secp256k1

#: Mnemonics that development tools publish and fund by default, with who publishes them.
DEV_MNEMONICS = {
    "hardhat/anvil default accounts": (
        "test test test test test test test test test test test junk"
    ),
    "ganache deterministic accounts": (
        "myth like bonus scare over problem client lizard pioneer submit female collect"
    ),
    "truffle develop accounts": (
        "candy maple cake sugar pudding cream honey rich smooth crumble sweet treat"
    ),
    "BIP39 test vector (abandon ... about)": (
        "abandon abandon abandon abandon abandon abandon "
        "abandon abandon abandon abandon abandon about"
    ),
}
#: Keys printed in specifications (nothing to derive them from): key -> where.
PUBLISHED_KEYS = {
    0x7A28B5BA57C53603B0B07B56BBA752F7784BF506FA95EDC395F5CF6C7514FE9D: (
        "Web3 Secret Storage test vector key (inside its test keystores)"
    ),
}
#: Seeds of Electrum's own test suite (tests/test_wallet_vertical.py): standard and segwit.
ELECTRUM_SEEDS = {
    "Electrum test vector (standard)": (
        "cycle rocket west magnet parrot shuffle foot correct salt library feed song"
    ),
    "Electrum test vector (segwit)": (
        "bitter grass shiver impose acquire brush forget axis eager alone wine silver"
    ),
}
DEV_ACCOUNTS = 20  # accounts each tool derives at m/44'/60'/0'/0/i

_H = 0x80000000
#: BIP32 test vectors: seed and the derivation chains the specification prints.
BIP32_VECTORS: tuple[tuple[str, tuple[tuple[int, ...], ...]], ...] = (
    (
        "000102030405060708090a0b0c0d0e0f",
        ((_H, 1, 2 | _H, 2, 1000000000),),
    ),
    (
        "fffcf9f6f3f0edeae7e4e1dedbd8d5d2cfccc9c6c3c0bdbab7b4b1aeaba8a5a29f9c999693908d8a87"
        "84817e7b7875726f6c696663605d5a5754514e4b484542",
        ((0, 2147483647 | _H, 1, 2147483646 | _H, 2),),
    ),
    (
        "4b381541583be4423346c643850da4b320e46a87ae3d2a4e6da11eba819cd4acba45d239319ac14f863b8d5a"
        "b5a0d0c64d2e8a1e7d1457df2e5a3c51c73235be",
        ((_H,),),
    ),
    (
        "3ddd5602285899a946114506157c7997e5444528f3003f6134712147db19b678",
        ((_H, 1 | _H),),
    ),
)
#: Account paths of the BIP44-family specifications, printed for the "abandon ... about" mnemonic.
_ACCOUNT_PATHS = (
    (44 | _H, _H, _H),
    (49 | _H, _H, _H),
    (84 | _H, _H, _H),
    (86 | _H, _H, _H),
    (44 | _H, 60 | _H, _H),
    (44 | _H, 1 | _H, _H),
)


def public_test_key(key: int) -> str | None:
    """Where a raw secp256k1 key is published, or None for a key nobody published."""
    if secp256k1.trivial(key):
        return "trivially small key"
    return PUBLISHED_KEYS.get(key) or _dev_keys().get(key)


def public_test_extended(chain_code: bytes, key: int) -> str | None:
    """Where an extended private key (chain code and key) is published, or None."""
    return _vector_nodes().get((chain_code, key))


@lru_cache(maxsize=1)
def _dev_keys() -> dict[int, str]:
    from koban.keys import derive

    keys: dict[int, str] = {}
    for source, mnemonic in DEV_MNEMONICS.items():
        account = derive.node_from_seed(derive.bip39_seed(mnemonic)).derive(44 | _H, 60 | _H, _H, 0)
        for index in range(DEV_ACCOUNTS):
            keys[account.derive(index).key] = source
    return keys


@lru_cache(maxsize=1)
def _vector_nodes() -> dict[tuple[bytes, int], str]:
    from koban.keys import derive

    nodes: dict[tuple[bytes, int], str] = {}
    for number, (seed, chains) in enumerate(BIP32_VECTORS, start=1):
        master = derive.node_from_seed(bytes.fromhex(seed))
        nodes[(master.chain_code, master.key)] = f"BIP32 test vector {number}"
        for chain in chains:
            node = master
            for index in chain:
                node = node.derive(index)
                nodes[(node.chain_code, node.key)] = f"BIP32 test vector {number}"
    for source, mnemonic in DEV_MNEMONICS.items():
        master = derive.node_from_seed(derive.bip39_seed(mnemonic))
        nodes[(master.chain_code, master.key)] = source
        for path in _ACCOUNT_PATHS:
            node = master.derive(*path)
            nodes[(node.chain_code, node.key)] = source
            change = node.derive(0)
            nodes[(change.chain_code, change.key)] = source
    for source, words in ELECTRUM_SEEDS.items():
        master = derive.node_from_seed(derive.electrum_seed(words))
        for node in (master, master.derive(_H)):
            nodes[(node.chain_code, node.key)] = source
    return nodes
