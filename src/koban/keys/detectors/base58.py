"""Base58 and Base58Check, as Bitcoin writes WIF and extended keys (and Solana writes secret keys).

Written here rather than taken from a library so the detectors stay import-light (the scanner
imports them in every worker) and so decoding a candidate never raises: a token that is not valid
Base58Check is simply ``None``.
"""

from __future__ import annotations

import hashlib

ALPHABET = b"123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
#: The alphabet as a regular-expression class (Hyperscan and ``re`` alike).
CHAR_CLASS = rb"[1-9A-HJ-NP-Za-km-z]"

_VALUE = [-1] * 256
for _i, _c in enumerate(ALPHABET):
    _VALUE[_c] = _i

#: ``IS_BASE58[byte]`` is true for the 58 alphabet bytes.
IS_BASE58 = bytes(1 if v >= 0 else 0 for v in _VALUE)
_WORD = bytes(1 if (chr(b).isalnum() and b < 128) or b == ord("_") else 0 for b in range(256))


def decode(text: bytes | str, max_len: int = 256) -> bytes | None:
    """The bytes a Base58 string stands for, or None when it is not Base58 (or too long)."""
    raw = text.encode("ascii", "replace") if isinstance(text, str) else text
    if not raw or len(raw) > max_len:
        return None
    number = 0
    for byte in raw:
        value = _VALUE[byte]
        if value < 0:
            return None
        number = number * 58 + value
    leading = len(raw) - len(raw.lstrip(b"1"))
    body = number.to_bytes((number.bit_length() + 7) // 8, "big") if number else b""
    return b"\0" * leading + body


def decode_check(text: bytes | str, max_len: int = 256) -> bytes | None:
    """The payload of a Base58Check string (checksum verified and removed), or None."""
    raw = decode(text, max_len)
    if raw is None or len(raw) < 5:
        return None
    payload, checksum = raw[:-4], raw[-4:]
    if hashlib.sha256(hashlib.sha256(payload).digest()).digest()[:4] != checksum:
        return None
    return payload


def encode(data: bytes) -> str:
    """Base58 text of ``data`` (leading zero bytes become ``1``)."""
    number = int.from_bytes(data, "big")
    out = bytearray()
    while number:
        number, rest = divmod(number, 58)
        out.append(ALPHABET[rest])
    leading = len(data) - len(data.lstrip(b"\0"))
    return (b"1" * leading + bytes(reversed(out))).decode("ascii")


def encode_check(payload: bytes) -> str:
    """Base58Check text of ``payload`` (double-SHA-256 checksum appended)."""
    checksum = hashlib.sha256(hashlib.sha256(payload).digest()).digest()[:4]
    return encode(payload + checksum)


def token_around(
    data: bytes, end: int, table: bytes = IS_BASE58, limit: int = 256
) -> tuple[int, int]:
    """The maximal run of ``table`` bytes touching ``end`` (a match end the scanner reported).

    Prefilter engines report where a match ends, not where it starts; the token is rebuilt from the
    bytes themselves so that every detector sees the same, whole token however the match was cut.
    """
    size = len(data)
    start = stop = min(max(end, 0), size)
    while start > 0 and table[data[start - 1]] and stop - start < limit:
        start -= 1
    while stop < size and table[data[stop]] and stop - start < limit:
        stop += 1
    return start, stop


def bounded(data: bytes, start: int, stop: int) -> bool:
    """True when ``data[start:stop]`` is not glued to other word characters on either side."""
    before = start == 0 or not _WORD[data[start - 1]]
    after = stop >= len(data) or not _WORD[data[stop]]
    return before and after
