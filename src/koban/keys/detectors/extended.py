"""BIP32 extended private keys (xprv, tprv and the SLIP-132 yprv/zprv/Yprv/Zprv/uprv/vprv...).

A 78-byte Base58Check payload: version, depth, parent fingerprint, child number, chain code, and
``0x00`` followed by the key. The version decides network and the script type wallets use it
for; extended *public* keys (xpub...) carry no secret and are never reported (their version
bytes are simply not in the table).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from koban.keys.detectors import base58, secp256k1, testkeys
from koban.keys.secret import Secret

_B58 = base58.CHAR_CLASS
PATTERNS = (rb"\b[xtyzuvYZUV]prv" + _B58 + rb"{104,109}\b",)

#: version bytes -> (prefix, network, script type the version stands for)
VERSIONS: dict[bytes, tuple[str, str, str]] = {
    bytes.fromhex("0488ade4"): ("xprv", "mainnet", "p2pkh (BIP44; also used for any script)"),
    bytes.fromhex("049d7878"): ("yprv", "mainnet", "p2sh-p2wpkh (BIP49)"),
    bytes.fromhex("04b2430c"): ("zprv", "mainnet", "p2wpkh (BIP84)"),
    bytes.fromhex("0295b005"): ("Yprv", "mainnet", "p2sh-p2wsh multisig"),
    bytes.fromhex("02aa7a99"): ("Zprv", "mainnet", "p2wsh multisig"),
    bytes.fromhex("04358394"): ("tprv", "testnet", "p2pkh (BIP44; also used for any script)"),
    bytes.fromhex("044a4e28"): ("uprv", "testnet", "p2sh-p2wpkh (BIP49)"),
    bytes.fromhex("045f18bc"): ("vprv", "testnet", "p2wpkh (BIP84)"),
    bytes.fromhex("024285b5"): ("Uprv", "testnet", "p2sh-p2wsh multisig"),
    bytes.fromhex("02575048"): ("Vprv", "testnet", "p2wsh multisig"),
}


def parse(token: str) -> dict[str, Any] | None:
    """What a valid extended private key says about itself, or None when it is not one.

    The returned dict has the public ``detail`` fields plus ``chain_code`` and ``key`` (private:
    the caller removes them before reporting).
    """
    payload = base58.decode_check(token, max_len=120)
    if payload is None or len(payload) != 78 or payload[:4] not in VERSIONS:
        return None
    prefix, network, script = VERSIONS[payload[:4]]
    depth = payload[4]
    parent = payload[5:9]
    child = int.from_bytes(payload[9:13], "big")
    if depth == 0 and (parent != b"\0\0\0\0" or child != 0):
        return None  # BIP32: a master key has no parent and no index
    if payload[45] != 0:
        return None
    key = int.from_bytes(payload[46:78], "big")
    if not secp256k1.in_range(key):
        return None
    return {
        "prefix": prefix,
        "network": network,
        "depth": depth,
        "child_number": child,
        "hardened": bool(child & 0x80000000),
        "script_type": script,
        "chain_code": payload[13:45],
        "key": key,
    }


@dataclass(frozen=True)
class ExtendedDetector:
    """Detector of extended private keys (``extended_private_key``)."""

    name: str = "extended"
    patterns: Sequence[bytes] = PATTERNS
    max_span: int = 120

    def confirm(self, data: bytes, ends: Sequence[int]) -> Iterable[Secret]:
        seen: set[int] = set()
        for end in ends:
            start, stop = base58.token_around(data, end, limit=120)
            if start in seen or not 100 <= stop - start <= 115:
                continue
            if not base58.bounded(data, start, stop):
                continue
            seen.add(start)
            token = data[start:stop].decode("ascii")
            detail = parse(token)
            if detail is None:
                continue
            source = testkeys.public_test_extended(detail.pop("chain_code"), detail.pop("key"))
            if source:
                detail["test_vector_source"] = source
            yield Secret(
                "extended_private_key", start, stop, token, detail, test_vector=source is not None
            )


DETECTOR = ExtendedDetector()
