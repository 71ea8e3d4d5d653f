"""Ethereum keystore v3 files (Web3 Secret Storage): an encrypted key that a password opens.

Found by their ``"ciphertext"`` member, then the enclosing JSON object is parsed and must have a
``crypto`` (or geth's ``Crypto``) object with cipher, ciphertext, kdf and mac, and version 3.
Nothing is decrypted: a keystore is exposed whatever its password, because offline guessing is
unlimited. The ``address`` member (when present) names the account it opens.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from koban.keys.secret import Secret

PATTERNS = (rb'"ciphertext"\s*:\s*"[0-9a-fA-F]{32}',)
BEFORE = 4096  # how far before "ciphertext" the object may start
AFTER = 16384  # how far after it the object may end
MAX_BRACES = 64  # candidate object starts tried per hit

#: SHA-256 (first 32 hex digits) of the ciphertext of published test keystores: the two files of
#: ethereum/tests KeyStoreTests/basic_tests.json, which the Web3 Secret Storage definition also
#: prints (pbkdf2 and scrypt, password "testpassword").
TEST_CIPHERTEXTS = {
    "e5bf758d48577d77e6503143c232c7e3": "Web3 Secret Storage test vector (pbkdf2)",
    "2114a8bdfeddbbf1651af23f22110889": "Web3 Secret Storage test vector (scrypt)",
}

_HEX = re.compile(r"[0-9a-fA-F]+")
_DECODER = json.JSONDecoder()


def keystore_fields(document: Any) -> dict[str, Any] | None:
    """The ``crypto`` object of a v3 keystore document, or None when it is not one."""
    if not isinstance(document, dict):
        return None
    crypto = document.get("crypto", document.get("Crypto"))
    if not isinstance(crypto, dict) or str(document.get("version")) != "3":
        return None
    ciphertext = crypto.get("ciphertext")
    if not isinstance(ciphertext, str) or not _HEX.fullmatch(ciphertext):
        return None
    if not all(isinstance(crypto.get(k), str) for k in ("cipher", "kdf", "mac")):
        return None
    return crypto


def ciphertext_fingerprint(ciphertext: str) -> str:
    """What published test keystores are recognised by."""
    return hashlib.sha256(ciphertext.lower().encode()).hexdigest()[:32]


@dataclass(frozen=True)
class KeystoreDetector:
    """Detector of Ethereum keystore v3 JSON (``eth_keystore``)."""

    name: str = "keystore"
    patterns: Sequence[bytes] = PATTERNS
    max_span: int = BEFORE

    def confirm(self, data: bytes, ends: Sequence[int]) -> Iterable[Secret]:
        covered = -1
        for end in ends:
            if end <= covered:
                continue
            found = self._enclosing(data, end)
            if found is None:
                continue
            start, stop, document, crypto = found
            covered = stop
            yield self._secret(start, stop, document, crypto)

    @staticmethod
    def _enclosing(data: bytes, end: int) -> tuple[int, int, dict[str, Any], dict[str, Any]] | None:
        """The innermost JSON object around ``end`` that is a keystore, with its byte span."""
        low = max(0, end - BEFORE)
        text = data[low : min(len(data), end + AFTER)].decode("utf-8", "surrogateescape")
        anchor = len(data[low:end].decode("utf-8", "surrogateescape"))
        position = anchor
        for _ in range(MAX_BRACES):
            position = text.rfind("{", 0, position)
            if position < 0:
                return None
            try:
                document, stop = _DECODER.raw_decode(text, position)
            except (ValueError, RecursionError):
                continue
            if stop < anchor:
                continue
            crypto = keystore_fields(document)
            if crypto is not None:
                start = low + len(text[:position].encode("utf-8", "surrogateescape"))
                length = len(text[position:stop].encode("utf-8", "surrogateescape"))
                return start, start + length, document, crypto
        return None

    @staticmethod
    def _secret(start: int, stop: int, document: dict[str, Any], crypto: dict[str, Any]) -> Secret:
        from koban.keys.derive import eip55

        detail: dict[str, Any] = {
            "kdf": crypto["kdf"],
            "cipher": crypto["cipher"],
            "encrypted": True,
        }
        address = document.get("address")
        if isinstance(address, str) and (checksummed := eip55(address)):
            detail["address"] = checksummed
        source = TEST_CIPHERTEXTS.get(ciphertext_fingerprint(crypto["ciphertext"]))
        if source:
            detail["test_vector_source"] = source
        material = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
        return Secret("eth_keystore", start, stop, material, detail, test_vector=source is not None)


DETECTOR = KeystoreDetector()
