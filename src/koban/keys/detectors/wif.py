"""WIF private keys: Base58Check of 0x80 (mainnet) or 0xEF (testnet), 32 key bytes, maybe 0x01.

Uncompressed keys are 51 characters (``5H``/``5J``/``5K``, testnet ``9``), compressed ones 52
(``K``/``L``, testnet ``c``). The checksum and the key range decide; the prefilter only finds
whole Base58 tokens of the right length and first character.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from koban.keys.detectors import base58, secp256k1, testkeys
from koban.keys.secret import Secret

_B58 = base58.CHAR_CLASS
PATTERNS = (
    rb"\b[59]" + _B58 + rb"{50}\b",  # uncompressed, mainnet 5 / testnet 9
    rb"\b[KLc]" + _B58 + rb"{51}\b",  # compressed, mainnet K L / testnet c
)
NETWORKS = {0x80: "mainnet", 0xEF: "testnet"}


def parse(token: str) -> tuple[int, str, bool] | None:
    """(key, network, compressed) of a valid WIF string, or None."""
    payload = base58.decode_check(token, max_len=60)
    if payload is None or payload[0] not in NETWORKS:
        return None
    if len(payload) == 34:
        if payload[33] != 0x01:
            return None
        compressed = True
    elif len(payload) == 33:
        compressed = False
    else:
        return None
    key = int.from_bytes(payload[1:33], "big")
    if not secp256k1.in_range(key):
        return None
    return key, NETWORKS[payload[0]], compressed


@dataclass(frozen=True)
class WifDetector:
    """Detector of WIF private keys (``wif_private_key``)."""

    name: str = "wif"
    patterns: Sequence[bytes] = PATTERNS
    max_span: int = 52

    def confirm(self, data: bytes, ends: Sequence[int]) -> Iterable[Secret]:
        seen: set[int] = set()
        for end in ends:
            start, stop = base58.token_around(data, end, limit=60)
            if (
                start in seen
                or stop - start not in (51, 52)
                or not base58.bounded(data, start, stop)
            ):
                continue
            seen.add(start)
            token = data[start:stop].decode("ascii")
            parsed = parse(token)
            if parsed is None:
                continue
            key, network, compressed = parsed
            source = testkeys.public_test_key(key)
            detail: dict[str, object] = {"network": network, "compressed": compressed}
            if source:
                detail["test_vector_source"] = source
            yield Secret(
                "wif_private_key", start, stop, token, detail, test_vector=source is not None
            )


DETECTOR = WifDetector()
