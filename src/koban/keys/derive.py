"""What a found secret controls: the addresses its standard derivation paths lead to.

A seed phrase on a file share matters because of the wallets it opens. This module turns a
:class:`~koban.keys.secret.Secret` into the first addresses of the paths wallets actually use, so
the scanner can match them against the profile's ``[[wallets]]``:

- BIP39 mnemonics (empty passphrase): BTC P2PKH m/44'/0'/0'/0/i, P2SH-P2WPKH m/49'/..., P2WPKH
  m/84'/..., P2TR m/86'/..., and ETH m/44'/60'/0'/0/i;
- Electrum v2 seeds: Electrum's own seed stretching; standard seeds m/0/i (P2PKH), segwit seeds
  m/0'/0/i (P2WPKH); two-factor seeds need the TrustedCoin cosigner and derive nothing alone;
- extended private keys: the standard paths when the key is a master key, and /0/i below the key
  (as an account key) in every script type its version allows;
- WIF and raw keys, keystores (their ``address`` field), Solana keypairs, secp256k1 PEM keys.

Derivation is pure arithmetic (coincurve for the curve, bip-utils for address encodings); results
are cached by material so a secret repeated across a tree is derived once.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import unicodedata
from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import Any

import coincurve

from koban.keys.detectors import base58, secp256k1
from koban.keys.secret import Secret

HARDENED = 0x80000000
BITCOIN = "bitcoin"
ETHEREUM = "ethereum"
SOLANA = "solana"

#: Script types, in the order they are reported.
P2PKH = "p2pkh"
P2SH_P2WPKH = "p2sh-p2wpkh"
P2WPKH = "p2wpkh"
P2TR = "p2tr"
ALL_SCRIPTS = (P2PKH, P2SH_P2WPKH, P2WPKH, P2TR)
#: BIP purpose of each single-key script type.
PURPOSE = {P2PKH: 44, P2SH_P2WPKH: 49, P2WPKH: 84, P2TR: 86}

MAX_COUNT = 1000  # addresses per path; bounded so a hostile profile cannot stall a scan


@dataclass(frozen=True, slots=True)
class Derived:
    """One address a secret controls, with the path it was derived on (None for single keys)."""

    chain: str
    address: str
    path: str | None
    script: str | None = None


@dataclass(frozen=True)
class Node:
    """A BIP32 private node: key, chain code, and the path that led here (for reporting)."""

    key: int
    chain_code: bytes
    path: str = "m"

    def derive(self, *indices: int) -> Node:
        """The child at ``indices`` (hardened when ``index >= 2**31``), per BIP32 CKDpriv."""
        node = self
        for index in indices:
            if index & HARDENED:
                data = b"\0" + node.key.to_bytes(32, "big") + index.to_bytes(4, "big")
                label = f"{index & ~HARDENED}'"
            else:
                data = node.public + index.to_bytes(4, "big")
                label = str(index)
            digest = hmac.new(node.chain_code, data, hashlib.sha512).digest()
            tweak = int.from_bytes(digest[:32], "big")
            key = (tweak + node.key) % secp256k1.N
            if tweak >= secp256k1.N or key == 0:  # probability < 2**-127; BIP32 says skip
                raise ValueError(f"invalid child {label} at {node.path}")
            node = Node(key, digest[32:], f"{node.path}/{label}")
        return node

    @cached_property
    def public(self) -> bytes:
        """The compressed SEC1 public key."""
        return public_key(self.key, compressed=True)


def public_key(key: int, compressed: bool = True) -> bytes:
    """The SEC1 public key of a secp256k1 private key."""
    return bytes(coincurve.PrivateKey(key.to_bytes(32, "big")).public_key.format(compressed))


def node_from_seed(seed: bytes) -> Node:
    """The BIP32 master node of a seed."""
    digest = hmac.new(b"Bitcoin seed", seed, hashlib.sha512).digest()
    key = int.from_bytes(digest[:32], "big")
    if not secp256k1.in_range(key):
        raise ValueError("seed gives an invalid master key")
    return Node(key, digest[32:])


def bip39_seed(mnemonic: str, passphrase: str = "") -> bytes:
    """The BIP39 seed: PBKDF2-HMAC-SHA512 of the NFKD mnemonic, salt "mnemonic" + passphrase."""
    words = unicodedata.normalize("NFKD", " ".join(mnemonic.split()))
    salt = "mnemonic" + unicodedata.normalize("NFKD", passphrase)
    return hashlib.pbkdf2_hmac("sha512", words.encode(), salt.encode(), 2048)


_CJK = re.compile(
    "[\u1100-\u11ff\u2e80-\ua4ff\ua960-\ua97f\uac00-\ud7ff\uf900-\ufaff\uff00-\uffef"
    "\U00020000-\U0002ffff]"
)


def electrum_normalize(text: str) -> str:
    """Electrum's seed normalisation: NFKD, lower case, no accents, single spaces, none in CJK."""
    text = unicodedata.normalize("NFKD", text).lower()
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = " ".join(text.split())
    return "".join(
        c
        for i, c in enumerate(text)
        if not (c == " " and _CJK.match(text[i - 1]) and _CJK.match(text[i + 1]))
    )


def electrum_seed_type(mnemonic: str) -> str | None:
    """Electrum v2 seed type from the version hash prefix, or None when it is not one."""
    normal = electrum_normalize(mnemonic)
    version = hmac.new(b"Seed version", normal.encode(), hashlib.sha512).hexdigest()
    for prefix, kind in (
        ("01", "standard"),
        ("100", "segwit"),
        ("101", "2fa"),
        ("102", "2fa_segwit"),
    ):
        if version.startswith(prefix):
            return kind
    return None


def electrum_seed(mnemonic: str, passphrase: str = "") -> bytes:
    """Electrum v2 seed stretching: PBKDF2-HMAC-SHA512, salt "electrum" + passphrase."""
    salt = "electrum" + electrum_normalize(passphrase)
    return hashlib.pbkdf2_hmac("sha512", electrum_normalize(mnemonic).encode(), salt.encode(), 2048)


def btc_address(public: bytes, script: str, testnet: bool = False) -> str:
    """The Bitcoin address of a SEC1 public key in one script type."""
    from bip_utils import (
        P2PKHAddrEncoder,
        P2PKHPubKeyModes,
        P2SHAddrEncoder,
        P2TRAddrEncoder,
        P2WPKHAddrEncoder,
    )

    hrp = "tb" if testnet else "bc"
    if script == P2PKH:
        mode = P2PKHPubKeyModes.UNCOMPRESSED if len(public) == 65 else P2PKHPubKeyModes.COMPRESSED
        version = b"\x6f" if testnet else b"\x00"
        return str(P2PKHAddrEncoder.EncodeKey(public, net_ver=version, pub_key_mode=mode))
    if script == P2SH_P2WPKH:
        return str(P2SHAddrEncoder.EncodeKey(public, net_ver=b"\xc4" if testnet else b"\x05"))
    if script == P2WPKH:
        return str(P2WPKHAddrEncoder.EncodeKey(public, hrp=hrp))
    if script == P2TR:
        return str(P2TRAddrEncoder.EncodeKey(public, hrp=hrp))
    raise ValueError(f"unknown script type {script!r}")


def eth_address(public: bytes) -> str:
    """The EIP-55 checksummed Ethereum address of a SEC1 public key."""
    from bip_utils import EthAddrEncoder

    return str(EthAddrEncoder.EncodeKey(public))


def eip55(address: str) -> str | None:
    """``address`` (40 hex, with or without 0x) in EIP-55 checksum case, or None if malformed."""
    from bip_utils import Kekkak256

    bare = address.lower().removeprefix("0x")
    if not re.fullmatch(r"[0-9a-f]{40}", bare):
        return None
    digest = bytes(Kekkak256.QuickDigest(bare.encode())).hex()
    return "0x" + "".join(
        c.upper() if c.isalpha() and int(digest[i], 16) >= 8 else c for i, c in enumerate(bare)
    )


def addresses(secret: Secret, count: int = 5) -> list[Derived]:
    """The first ``count`` addresses of every standard path of ``secret`` (may be empty)."""
    count = max(0, min(count, MAX_COUNT))
    return list(_addresses(secret.kind, secret.material, count))


@lru_cache(maxsize=2048)
def _addresses(kind: str, material: str, count: int) -> tuple[Derived, ...]:
    try:
        if kind == "bip39_mnemonic":
            return standard_paths(node_from_seed(bip39_seed(material)), count, eth=True)
        if kind == "electrum_seed":
            return _electrum(material, count)
        if kind == "extended_private_key":
            return _extended(material, count)
        if kind == "wif_private_key":
            return _wif(material)
        if kind == "eth_private_key":
            return _single_key(int(material, 16), compressed=None, testnet=False, eth=True)
        if kind == "eth_keystore":
            return _keystore(material)
        if kind == "solana_keypair":
            return _solana(material)
        if kind == "pem_private_key":
            return _pem(material)
    except ValueError:
        return ()
    return ()


def _chain(node: Node, count: int, script: str, testnet: bool) -> list[Derived]:
    out = []
    for index in range(count):
        child = node.derive(index)
        out.append(Derived(BITCOIN, btc_address(child.public, script, testnet), child.path, script))
    return out


def _eth_chain(node: Node, count: int) -> list[Derived]:
    out = []
    for index in range(count):
        child = node.derive(index)
        out.append(Derived(ETHEREUM, eth_address(child.public), child.path))
    return out


def standard_paths(
    master: Node, count: int, *, eth: bool, testnet: bool = False
) -> tuple[Derived, ...]:
    """Receive addresses of BIP44/49/84/86 (coin 0, or 1 on testnet) and ETH m/44'/60'/0'/0."""
    coin = HARDENED | (1 if testnet else 0)
    out: list[Derived] = []
    for script in ALL_SCRIPTS:
        receive = master.derive(PURPOSE[script] | HARDENED, coin, HARDENED, 0)
        out += _chain(receive, count, script, testnet)
    if eth:
        out += _eth_chain(master.derive(44 | HARDENED, 60 | HARDENED, HARDENED, 0), count)
    return tuple(out)


def _electrum(material: str, count: int) -> tuple[Derived, ...]:
    kind = electrum_seed_type(material)
    master = node_from_seed(electrum_seed(material))
    if kind == "standard":
        return tuple(_chain(master.derive(0), count, P2PKH, False))
    if kind == "segwit":
        return tuple(_chain(master.derive(HARDENED, 0), count, P2WPKH, False))
    return ()  # 2fa seeds: addresses are 2-of-3 multisig with a TrustedCoin key


#: Extended private key versions: prefix, testnet, the script types they are used for.
EXTENDED_VERSIONS: dict[bytes, tuple[str, bool, tuple[str, ...]]] = {
    bytes.fromhex("0488ade4"): ("xprv", False, ALL_SCRIPTS),
    bytes.fromhex("049d7878"): ("yprv", False, (P2SH_P2WPKH,)),
    bytes.fromhex("04b2430c"): ("zprv", False, (P2WPKH,)),
    bytes.fromhex("0295b005"): ("Yprv", False, ()),  # multisig P2SH-P2WSH: needs cosigners
    bytes.fromhex("02aa7a99"): ("Zprv", False, ()),  # multisig P2WSH: needs cosigners
    bytes.fromhex("04358394"): ("tprv", True, ALL_SCRIPTS),
    bytes.fromhex("044a4e28"): ("uprv", True, (P2SH_P2WPKH,)),
    bytes.fromhex("045f18bc"): ("vprv", True, (P2WPKH,)),
    bytes.fromhex("024285b5"): ("Uprv", True, ()),
    bytes.fromhex("02575048"): ("Vprv", True, ()),
}


def _extended(material: str, count: int) -> tuple[Derived, ...]:
    payload = base58.decode_check(material)
    if payload is None or len(payload) != 78 or payload[:4] not in EXTENDED_VERSIONS:
        raise ValueError("not an extended private key")
    prefix, testnet, scripts = EXTENDED_VERSIONS[payload[:4]]
    depth = payload[4]
    node = Node(
        int.from_bytes(payload[46:78], "big"), payload[13:45], "m" if depth == 0 else prefix
    )
    if not secp256k1.in_range(node.key):
        raise ValueError("key out of range")
    out: list[Derived] = []
    if depth == 0 and scripts == ALL_SCRIPTS:
        out += standard_paths(node, count, eth=not testnet, testnet=testnet)
    for script in scripts:
        out += _chain(node.derive(0), count, script, testnet)
    if not testnet and prefix == "xprv":
        out += _eth_chain(node.derive(0), count)
    return tuple(dict.fromkeys(out))


def _single_key(key: int, compressed: bool | None, testnet: bool, eth: bool) -> tuple[Derived, ...]:
    """Addresses of one key; ``compressed=None`` (a raw key) gives both public-key encodings."""
    if not secp256k1.in_range(key):
        raise ValueError("key out of range")
    out: list[Derived] = []
    if eth:
        out.append(Derived(ETHEREUM, eth_address(public_key(key)), None))
    if compressed is not False:
        public = public_key(key, compressed=True)
        out += [Derived(BITCOIN, btc_address(public, s, testnet), None, s) for s in ALL_SCRIPTS]
    if compressed is not True:
        public = public_key(key, compressed=False)
        out.append(Derived(BITCOIN, btc_address(public, P2PKH, testnet), None, P2PKH))
    return tuple(out)


def _wif(material: str) -> tuple[Derived, ...]:
    payload = base58.decode_check(material)
    if payload is None or len(payload) not in (33, 34) or payload[0] not in (0x80, 0xEF):
        raise ValueError("not a WIF key")
    testnet = payload[0] == 0xEF
    compressed = len(payload) == 34
    return _single_key(int.from_bytes(payload[1:33], "big"), compressed, testnet, eth=not testnet)


def _keystore(material: str) -> tuple[Derived, ...]:
    document: Any = json.loads(material)
    address = eip55(str(document.get("address", ""))) if isinstance(document, dict) else None
    return (Derived(ETHEREUM, address, None),) if address else ()


def _solana(material: str) -> tuple[Derived, ...]:
    raw = bytes.fromhex(material)
    if len(raw) != 64:
        raise ValueError("not a Solana keypair")
    return (Derived(SOLANA, base58.encode(raw[32:]), None),)


def _pem(material: str) -> tuple[Derived, ...]:
    from koban.keys.detectors import pem

    body = pem.body_bytes(material)
    key = pem.secp256k1_scalar(body) if body is not None else None
    if key is None:
        return ()
    return _single_key(key, compressed=None, testnet=False, eth=True)
