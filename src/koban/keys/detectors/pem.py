"""PEM, OpenSSH, PGP and PuTTY private keys, with what can be read without a password.

A ``-----BEGIN ... PRIVATE KEY-----`` line alone is not a key: documentation and templates write
it around ``...`` or ``<your key here>``. The body must be Base64 that decodes to the structure
the label promises (a DER SEQUENCE, an ``openssh-key-v1`` blob, an OpenPGP secret-key packet).
Encryption is read from the label (``ENCRYPTED PRIVATE KEY``), the legacy ``Proc-Type:
4,ENCRYPTED`` header, the OpenSSH cipher name or PuTTY's ``Encryption:`` line; the algorithm and
EC curve from the DER object identifiers. secp256k1 EC keys are wallet keys too: derivation reads
their scalar with :func:`secp256k1_scalar`.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from koban.keys.detectors import secp256k1
from koban.keys.secret import Secret

PATTERNS = (
    rb"-----BEGIN (?:RSA |EC |DSA |OPENSSH |ENCRYPTED |ANY |PGP )?PRIVATE KEY(?: BLOCK)?-----",
    rb"PuTTY-User-Key-File-[23]: ",
    # a whole PEM file Base64-encoded once more (Kubernetes secrets, CI variables): "-----BEGIN "
    rb"LS0tLS1CRUdJTi[A-Za-z0-9+/]{40}",
)
_WRAPPED = b"LS0tLS1CRUdJTi"
_B64_BYTE = bytes(
    1 if chr(b).isascii() and (chr(b).isalnum() or chr(b) in "+/=") else 0 for b in range(256)
)
MAX_BLOCK = 65536  # bytes from BEGIN to END (a 16384-bit RSA key is about 13 KB)
MIN_BODY = 40  # decoded bytes; the smallest real key (Ed25519 PKCS#8) is 48

_BEGIN = re.compile(rb"-----BEGIN ([A-Z ]{0,30}PRIVATE KEY(?: BLOCK)?)-----")
_HEADER = re.compile(r"^([A-Za-z][A-Za-z0-9-]*): ?(.*)$")
_JOIN = re.compile(r"[\"']\s*[+.]?\s*[\"']")  # "...." + "...." (string concatenation)
_EDGES = re.compile(r"^\s*[\"']?\s*\+?\s*[\"']|[\"']\s*\+?\s*[\"']?\s*$")
_SPACE = re.compile(r"\s+|\\[nr]")
_BASE64 = re.compile(r"[A-Za-z0-9+/]+={0,2}")

#: DER object identifiers (content bytes) of algorithms and curves.
ALGORITHMS = {
    bytes.fromhex("2a864886f70d010101"): "rsa",
    bytes.fromhex("2a8648ce3d0201"): "ec",
    bytes.fromhex("2a8648ce380401"): "dsa",
    bytes.fromhex("2b6570"): "ed25519",
    bytes.fromhex("2b6571"): "ed448",
    bytes.fromhex("2b656e"): "x25519",
    bytes.fromhex("2b656f"): "x448",
}
CURVES = {
    bytes.fromhex("2b8104000a"): "secp256k1",
    bytes.fromhex("2a8648ce3d030107"): "prime256v1",
    bytes.fromhex("2b81040022"): "secp384r1",
    bytes.fromhex("2b81040023"): "secp521r1",
}
_SECP256K1_OID = b"\x06\x05" + bytes.fromhex("2b8104000a")


def _oid_names(der: bytes, table: dict[bytes, str]) -> list[str]:
    return [name for oid, name in table.items() if bytes([6, len(oid)]) + oid in der]


def der_complete(der: bytes) -> bool:
    """True when ``der`` is exactly one DER SEQUENCE (not cut short, nothing appended)."""
    if len(der) < 2 or der[0] != 0x30:
        return False
    first = der[1]
    if first < 0x80:
        return 2 + first == len(der)
    width = first & 0x7F
    if not 1 <= width <= 3 or len(der) < 2 + width:
        return False
    return 2 + width + int.from_bytes(der[2 : 2 + width], "big") == len(der)


def secp256k1_scalar(der: bytes) -> int | None:
    """The private scalar of a secp256k1 EC key (SEC1, or PKCS#8 wrapping SEC1), or None."""
    if _SECP256K1_OID not in der:
        return None
    at = der.find(b"\x02\x01\x01\x04\x20")
    if at < 0 or len(der) < at + 37:
        return None
    key = int.from_bytes(der[at + 5 : at + 37], "big")
    return key if secp256k1.in_range(key) else None


def _split(block: str) -> tuple[str, list[tuple[str, str]], str] | None:
    """(label, headers, Base64 body) of a PEM block, or None when it is not one."""
    match = re.match(r"-----BEGIN ([A-Z ]+)-----(.*?)-----END \1-----", block, re.S)
    if match is None:
        return None
    label, inner = match.group(1), match.group(2).replace("\\r", "\n").replace("\\n", "\n")
    inner = _EDGES.sub("", _JOIN.sub("\n", inner))
    headers: list[tuple[str, str]] = []
    lines = [line.strip() for line in inner.splitlines()]
    while lines:
        header = _HEADER.match(lines[0])
        if lines[0] and header is None:
            break
        if header is not None:
            headers.append((header.group(1), header.group(2)))
        lines.pop(0)
    if label.startswith("PGP") and lines and lines[-1].startswith("="):
        lines.pop()  # the armour checksum
    return label, headers, _SPACE.sub("", "".join(lines))


def body_bytes(block: str) -> bytes | None:
    """The decoded body of a PEM block (as :class:`Secret` material holds it), or None."""
    parts = _split(block)
    if parts is None:
        return None
    return _decode(parts[2])


def _decode(body: str) -> bytes | None:
    body = _SPACE.sub("", body)
    if not _BASE64.fullmatch(body):
        return None
    try:
        return base64.b64decode(body + "=" * (-len(body) % 4), validate=True)
    except (binascii.Error, ValueError):
        return None


class _Reader:
    """Reads SSH wire-format strings and integers, never past the end."""

    def __init__(self, data: bytes, at: int = 0) -> None:
        self.data, self.at = data, at

    def u32(self) -> int:
        if self.at + 4 > len(self.data):
            raise ValueError("short")
        value = int.from_bytes(self.data[self.at : self.at + 4], "big")
        self.at += 4
        return value

    def string(self) -> bytes:
        size = self.u32()
        if size > len(self.data) - self.at:
            raise ValueError("short")
        value = self.data[self.at : self.at + size]
        self.at += size
        return value


def openssh_detail(blob: bytes) -> dict[str, Any] | None:
    """Cipher, KDF and key type of an ``openssh-key-v1`` blob, or None when it is not one."""
    magic = b"openssh-key-v1\0"
    if not blob.startswith(magic):
        return None
    try:
        reader = _Reader(blob, len(magic))
        cipher = reader.string().decode("ascii", "replace")
        kdf = reader.string().decode("ascii", "replace")
        reader.string()  # kdf options
        if reader.u32() < 1:
            return None
        key_type = _Reader(reader.string()).string().decode("ascii", "replace")
    except ValueError:
        return None
    return {"cipher": cipher, "kdf": kdf, "key_type": key_type, "encrypted": cipher != "none"}


def describe(label: str, headers: list[tuple[str, str]], der: bytes) -> dict[str, Any] | None:
    """What the block is (type, algorithm, curve, encrypted), or None when the body is no key."""
    kind = label.replace("PRIVATE KEY BLOCK", "").replace("PRIVATE KEY", "").strip() or "PKCS8"
    detail: dict[str, Any] = {"type": kind}
    if len(der) < MIN_BODY or len(set(der)) < 16:
        return None
    legacy_encrypted = any(k == "Proc-Type" and "ENCRYPTED" in v.upper() for k, v in headers)
    if kind == "OPENSSH" or der.startswith(b"openssh-key-v1\0"):  # some are mislabelled RSA
        ssh = openssh_detail(der)
        if ssh is None:
            return None
        return {**detail, **ssh}
    if kind == "PGP":
        if not (0x94 <= der[0] <= 0x97 or der[0] == 0xC5):  # OpenPGP secret-key packet tag
            return None
        return {**detail, "encrypted": None}
    if legacy_encrypted:
        cipher = next((v.split(",")[0] for k, v in headers if k == "DEK-Info"), None)
        return {**detail, "encrypted": True, "cipher": cipher}
    if der[0] != 0x30:
        return None
    detail["encrypted"] = kind == "ENCRYPTED"
    detail["complete"] = der_complete(der)
    algorithms = _oid_names(der, ALGORITHMS)
    if kind in ("RSA", "EC", "DSA"):
        detail["algorithm"] = kind.lower()
    elif algorithms:
        detail["algorithm"] = algorithms[0]
    curves = _oid_names(der, CURVES)
    if curves:
        detail["curve"] = curves[0]
    return detail


def _putty(data: bytes, start: int) -> tuple[int, str, dict[str, Any]] | None:
    """(end, material, detail) of a PuTTY key file starting at ``start``, or None."""
    text = data[start : start + MAX_BLOCK].decode("utf-8", "replace")
    lines = text.splitlines()
    fields: dict[str, str] = {}
    body: list[str] = []
    consumed = 0
    index = 0
    while index < len(lines) and index < 4096:
        line = lines[index]
        match = _HEADER.match(line.strip())
        if match is None:
            return None
        name, value = match.group(1), match.group(2).strip()
        fields[name] = value
        index += 1
        if name in ("Public-Lines", "Private-Lines"):
            count = int(value) if value.isdigit() and int(value) < 1024 else -1
            if count < 0 or index + count > len(lines):
                return None
            if name == "Private-Lines":
                body = [raw.strip() for raw in lines[index : index + count]]
            index += count
        if name == "Private-MAC":
            consumed = sum(len(line) + 1 for line in lines[:index])
            break
    if not consumed or not body:
        return None
    private = _decode("".join(body))
    if private is None or len(private) < 16:
        return None
    key_type = next(iter(fields.values()), "")
    encryption = fields.get("Encryption", "")
    detail = {
        "type": "PUTTY",
        "key_type": key_type,
        "encrypted": encryption != "none",
        "cipher": encryption,
    }
    stop = start + len(text[:consumed].rstrip("\r\n").encode("utf-8"))
    return stop, text[:consumed], detail


@dataclass(frozen=True)
class PemDetector:
    """Detector of PEM/OpenSSH/PGP/PuTTY private keys (``pem_private_key``)."""

    name: str = "pem"
    patterns: Sequence[bytes] = PATTERNS
    max_span: int = 64

    def confirm(self, data: bytes, ends: Sequence[int]) -> Iterable[Secret]:
        covered = -1
        for end in ends:
            if end <= covered:
                continue
            found = self._block(data, end)
            if found is None:
                continue
            start, stop, material, detail = found
            covered = stop
            confidence = "medium" if detail.get("complete") is False else "high"
            yield Secret("pem_private_key", start, stop, material, detail, confidence=confidence)

    @staticmethod
    def _block(data: bytes, end: int) -> tuple[int, int, str, dict[str, Any]] | None:
        head = data[max(0, end - 64) : end]
        putty = head.rfind(b"PuTTY-User-Key-File-")
        if putty >= 0 and head.endswith(b": "):
            start = end - len(head) + putty
            found = _putty(data, start)
            return None if found is None else (start, *found)
        at = head.rfind(b"-----BEGIN ")
        if at >= 0:
            start = end - len(head) + at
            block = _pem_at(data, start)
            return None if block is None else (start, *block)
        return _wrapped(data, end)


def _pem_at(data: bytes, start: int) -> tuple[int, str, dict[str, Any]] | None:
    """(end, material, detail) of the PEM block whose BEGIN line starts at ``start``, or None."""
    begin = _BEGIN.match(data, start)
    if begin is None:
        return None
    closing = b"-----END " + begin.group(1) + b"-----"
    stop = data.find(closing, begin.end(), begin.end() + MAX_BLOCK)
    if stop < 0:
        return None
    stop += len(closing)
    parts = _split(data[start:stop].decode("ascii", "replace"))
    if parts is None:
        return None
    label, headers, body = parts
    der = _decode(body)
    detail = None if der is None else describe(label, headers, der)
    if detail is None:
        return None
    material = f"-----BEGIN {label}-----\n"
    material += "".join(f"{k}: {v}\n" for k, v in headers)
    material += "\n".join(body[i : i + 64] for i in range(0, len(body), 64))
    material += f"\n-----END {label}-----\n"
    return stop, material, detail


def _wrapped(data: bytes, end: int) -> tuple[int, int, str, dict[str, Any]] | None:
    """A PEM private key Base64-encoded as a whole (``LS0tLS1CRUdJTi...``), or None."""
    start, stop = _token(data, end)
    if not data.startswith(_WRAPPED, start):
        return None
    inner = _decode(data[start:stop].decode("ascii"))
    at = -1 if inner is None else inner.find(b"-----BEGIN ")
    if inner is None or at < 0:
        return None
    block = _pem_at(inner, at)
    if block is None:
        return None
    _, material, detail = block
    return start, stop, material, {**detail, "wrapped": "base64"}


def _token(data: bytes, end: int) -> tuple[int, int]:
    start = stop = end
    while start > 0 and _B64_BYTE[data[start - 1]] and stop - start < 4 * MAX_BLOCK // 3:
        start -= 1
    while start < end and not data.startswith(_WRAPPED, start):
        start += 1
    while stop < len(data) and _B64_BYTE[data[stop]] and stop - start < 4 * MAX_BLOCK // 3:
        stop += 1
    return start, stop


DETECTOR = PemDetector()
