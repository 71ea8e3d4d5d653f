"""Solana keypairs: 64 bytes whose second half is the Ed25519 public key of the first half.

``solana-keygen`` writes them as a JSON array of 64 integers (``id.json``); wallets export them as
Base58 text (87-88 characters), looked for after a word naming a key, wallet or Solana. Either
way the check is exact: the public half must equal the public key computed from the secret half,
which no random array or transaction signature passes.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from koban.keys.detectors import base58
from koban.keys.secret import Secret

_INT = rb"\s*[0-9]{1,3}\s*"
#: Words that precede a Base58 secret key (``SOLANA_PRIVATE_KEY=``, ``bs58.decode(``, ``payer``...)
CONTEXT: tuple[bytes, ...] = (b"key", b"secret", b"priv", b"sol", b"phantom", b"wallet", b"bs58")
CONTEXT += (b"base58", b"keypair", b"signer", b"payer")
PATTERNS = (
    rb"\[" + _INT + rb",(?:" + _INT + rb",){62}" + _INT + rb"\]",
    # Base58 text only after a word that says what it is: a bare 87-character Base58 run costs the
    # Hyperscan pass two thirds of its speed, and exports are written under such names
    rb"(?i:" + b"|".join(CONTEXT) + rb")[^\n]{0,48}\b" + base58.CHAR_CLASS + rb"{86,88}\b",
)
ARRAY_SPAN = 2048  # bytes a 64-integer array may take, generous whitespace included


def public_half_matches(keypair: bytes) -> bool:
    """True when ``keypair[32:]`` is the Ed25519 public key of the seed ``keypair[:32]``."""
    from nacl.signing import SigningKey

    if len(keypair) != 64:
        return False
    return bytes(SigningKey(keypair[:32]).verify_key) == keypair[32:]


def address(keypair: bytes) -> str:
    """The Solana address (Base58 public key) of a keypair."""
    return base58.encode(keypair[32:])


def _array_at(data: bytes, end: int) -> tuple[int, int, bytes] | None:
    """The 64-byte array whose closing bracket ends at ``end``, with its span, or None."""
    if end <= 0 or data[end - 1 : end] != b"]":
        return None
    start = data.rfind(b"[", max(0, end - ARRAY_SPAN), end)
    if start < 0:
        return None
    try:
        values = json.loads(data[start:end])
    except ValueError:
        return None
    if not (isinstance(values, list) and len(values) == 64):
        return None
    if not all(type(v) is int and 0 <= v <= 255 for v in values):
        return None
    return start, end, bytes(values)


@dataclass(frozen=True)
class SolanaDetector:
    """Detector of Solana keypairs (``solana_keypair``), JSON arrays and Base58 text."""

    name: str = "solana"
    patterns: Sequence[bytes] = PATTERNS
    max_span: int = ARRAY_SPAN

    def confirm(self, data: bytes, ends: Sequence[int]) -> Iterable[Secret]:
        seen: set[int] = set()
        for end in ends:
            found = _array_at(data, end)
            form = "json_array"
            if found is None:
                start, stop = base58.token_around(data, end, limit=100)
                if not 86 <= stop - start <= 88 or not base58.bounded(data, start, stop):
                    continue
                raw = base58.decode(data[start:stop], max_len=100)
                if raw is None:
                    continue
                found, form = (start, stop, raw), "base58"
            start, stop, keypair = found
            if start in seen or not public_half_matches(keypair):
                continue
            seen.add(start)
            yield Secret(
                "solana_keypair",
                start,
                stop,
                keypair.hex(),
                {"address": address(keypair), "form": form},
            )


DETECTOR = SolanaDetector()
