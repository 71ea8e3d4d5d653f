"""Raw secp256k1 keys written as 64 hex digits, where the words before them say "private key".

Sixty-four hex digits are usually something else: transaction and block hashes, SHA-256 sums,
lockfile integrity, chain codes, salts. In real code only about one bare 64-hex string in 150 has
a key-like word within 40 bytes before it, so the context decides: the nearest identifier before
the digits must name a key (``private_key``, ``privateKey``, ``PK``, ``--private-key``,
``秘密鍵``...) and must not name a hash, public key, transaction, address or other non-secret.
Generic words (``key``, ``secret``, ``wallet``) give medium confidence. Published development
keys (Hardhat/Anvil, Ganache, Truffle accounts) and trivially small keys are test material.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from koban.keys.detectors import base58, secp256k1, testkeys
from koban.keys.secret import Secret

WINDOW = 48  # bytes of context looked at before the digits

#: Identifier parts that on their own say "private key".
STRONG = frozenset(
    {"priv", "private", "privkey", "privatekey", "pk", "prv", "secretkey", "signingkey"}
)
#: Parts that say "a key or secret", but could be many things.
WEAK = frozenset({"key", "secret", "sk", "wallet", "signer", "account", "accounts", "deployer"})
#: Parts that say the digits are something public or not a key at all.
NEGATIVE = frozenset(
    {
        "pub",
        "public",
        "pubkey",
        "publickey",
        "hash",
        "hashes",
        "digest",
        "checksum",
        "sum",
        "sha",
        "sha1",
        "sha256",
        "sha3",
        "sha512",
        "keccak",
        "keccak256",
        "blake2b",
        "md5",
        "txid",
        "tx",
        "txhash",
        "txn",
        "transaction",
        "integrity",
        "commit",
        "rev",
        "revision",
        "addr",
        "address",
        "block",
        "blockhash",
        "salt",
        "iv",
        "nonce",
        "mac",
        "hmac",
        "cipher",
        "ciphertext",
        "api",
        "apikey",
        "token",
        "session",
        "sig",
        "signature",
        "root",
        "merkle",
        "uuid",
        "id",
        "encrypted",
        "enc",
        "chain",
        "chaincode",
        "code",
        "codehash",
        "storage",
        "slot",
        "topic",
        "topics",
        "client",
        "jwt",
        "csrf",
        "cookie",
        "webhook",
        "license",
        "aes",
        "encryption",
        "kdf",
        "fingerprint",
        "etag",
        "oid",
        "object",
        "tree",
        "parent",
        "genesis",
        "state",
        "receipt",
        "receipts",
        "logs",
        "bloom",
        "event",
        "selector",
    }
)
#: Words in scripts without identifier parts (CJK), matched as substrings.
STRONG_TEXT = ("秘密鍵", "プライベートキー", "私钥", "私鑰", "개인키", "개인 키")
NEGATIVE_TEXT = ("公開鍵", "ハッシュ", "公钥", "哈希")

#: Substrings every key word contains: the prefilter wants one on the line before the digits,
#: which keeps the pass fast (a literal to anchor on) and skips the many bare hashes.
STEMS = ("priv", "prv", "pk", "sk", "key", "secret", "wallet", "signer", "account", "deployer")
PATTERNS = (
    b"(?i:"
    + b"|".join([s.encode() for s in STEMS] + [t.encode() for t in STRONG_TEXT if " " not in t])
    + rb")[^\n]{0,%d}\n?[ \t\-'\"]{0,12}(?:0[xX])?[0-9a-fA-F]{64}\b" % WINDOW,
)

_IDENT = re.compile(rb"[A-Za-z][A-Za-z0-9_.\-]*|[\x80-\xff][\x80-\xff ]*")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_SPLIT = re.compile(r"[_.\-\s]+")
_HEX = bytes(1 if chr(b) in "0123456789abcdefABCDEF" else 0 for b in range(256))
_OPENERS = (b":", b"=", b"|", b">", b"[", b"(", b"{", b",")
_FILLER = b" \t\r\"'`[{(:=,>|"


def _parts(identifier: str) -> list[str]:
    return [p for p in _SPLIT.split(_CAMEL.sub("_", identifier).lower()) if p]


def context(before: bytes) -> tuple[str, str] | None:
    """(confidence, the word that decided) when ``before`` puts a key in front of the digits.

    None when no key word is near or the nearest telling word names something that is not a key.
    """
    lines = before.split(b"\n")
    text = lines[-1]
    if len(lines) > 1 and not text.strip(_FILLER) and lines[-2].rstrip().endswith(_OPENERS):
        text = lines[-2] + b" " + text  # the value on the line after its name (YAML, JSON)
    identifiers = [m.group().decode("utf-8", "replace").strip() for m in _IDENT.finditer(text)]
    identifiers = [i for i in identifiers if i and i.lower() not in ("0x", "x")][-4:]
    for position in range(len(identifiers) - 1, -1, -1):
        word = identifiers[position]
        if any(t in word for t in NEGATIVE_TEXT):
            return None
        if any(t in word for t in STRONG_TEXT):
            return "high", word
        parts = _parts(word)
        if NEGATIVE.intersection(parts):
            return None
        if STRONG.intersection(parts):
            return "high", word
        if not WEAK.intersection(parts):
            continue
        # "public key", "private key", "secret key": the word before qualifies a generic one
        previous = _parts(identifiers[position - 1]) if position else []
        if NEGATIVE.intersection(previous):
            return None
        if "key" in parts and STRONG.union({"secret", "signing"}).intersection(previous):
            return "high", f"{identifiers[position - 1]} {word}"
        return "medium", word
    return None


def placeholder(digits: str) -> bool:
    """True for obviously made-up digits: a short unit repeated (``deadbeef`` x 8, ``ab`` x 32)."""
    for period in (1, 2, 4, 8, 16, 32):
        if digits == digits[:period] * (64 // period):
            return True
    return len(set(digits)) < 6


@dataclass(frozen=True)
class HexKeyDetector:
    """Detector of raw secp256k1 private keys in key context (``eth_private_key``)."""

    name: str = "hexkey"
    patterns: Sequence[bytes] = PATTERNS
    max_span: int = 66

    def confirm(self, data: bytes, ends: Sequence[int]) -> Iterable[Secret]:
        seen: set[int] = set()
        for end in ends:
            start, stop = base58.token_around(data, end, _HEX, limit=70)
            if stop - start != 64 or stop in seen:
                continue
            seen.add(stop)
            digits = data[start:stop].decode("ascii").lower()
            prefixed = start >= 2 and data[start - 2 : start] in (b"0x", b"0X")
            begin = start - 2 if prefixed else start
            if begin > 0 and (chr(data[begin - 1]).isalnum() or data[begin - 1] == 0x5F):
                continue  # glued to a longer word (the prefilter's \b saw "0x" as part of it)
            key = int(digits, 16)
            if not secp256k1.in_range(key):
                continue
            decided = context(data[max(0, begin - WINDOW) : begin])
            if decided is None:
                continue
            source = testkeys.public_test_key(key)
            if source is None and placeholder(digits):
                continue
            confidence, word = decided
            detail: dict[str, object] = {"context": word[:40], "prefix_0x": prefixed}
            if source:
                detail["test_vector_source"] = source
            yield Secret(
                "eth_private_key",
                begin,
                stop,
                digits,
                detail,
                confidence=confidence,
                test_vector=source is not None,
            )


DETECTOR = HexKeyDetector()
