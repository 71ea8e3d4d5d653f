"""Mach-O (thin and universal): how the program is signed, what it loads, what it may do.

On macOS, Gatekeeper only opens a downloaded app without a warning when it is signed with a
Developer ID and notarised. Lazarus' macOS lures (AppleJeus' trading apps, the 3CX and
JumpCloud second stages, fake interview "coding tests") were often ad-hoc signed or unsigned,
and came with instructions to right-click > Open. Signing is read from the code-signature
SuperBlob itself: the CodeDirectory's flags (``adhoc``, ``runtime``, ``linker-signed``) and team
identifier, the entitlements plist, and the signer's common name, found in the CMS blob by its
fixed prefix (``Developer ID Application: NAME (TEAMID)``) rather than with an X.509 parser.

A dylib loaded from ``/tmp``, from a relative path or from the app's ``Resources`` folder, and
entitlements that let other code in (``disable-library-validation``,
``allow-dyld-environment-variables``, ``get-task-allow``) are how a genuine app is trojanised
by adding one library next to it.
"""

from __future__ import annotations

import plistlib
import re
import struct
from dataclasses import dataclass, field
from typing import Any

import lief

from koban.file.binaries.common import enum_name, finding, safe_text
from koban.file.item import FileItem
from koban.model import Finding, Severity

_SUPERBLOB = 0xFADE0CC0
_CODEDIRECTORY = 0xFADE0C02
_ENTITLEMENTS = 0xFADE7171
_CMS = 0xFADE0B01
_CS_ADHOC = 0x2
_CS_RUNTIME = 0x10000
_CS_LINKER_SIGNED = 0x20000
_MAX_ARCHES = 8
_MAX_ENTITLEMENTS_BYTES = 256 << 10

_SIGNER_PREFIX = re.compile(
    rb"(?:Developer ID Application|Apple Development|Apple Distribution|Mac Developer"
    rb"|3rd Party Mac Developer Application|Apple Mac OS Application Signing|Software Signing)"
    rb": "
)
_DER_STRINGS = (0x0C, 0x13, 0x14)  # UTF8String, PrintableString, T61String


def signer_name(cms: bytes) -> str:
    """The first certificate common name of a known Apple signing kind in a CMS blob: the
    DER string that starts with the prefix, read with its own length byte."""
    for m in _SIGNER_PREFIX.finditer(cms):
        start = m.start()
        if start >= 2 and cms[start - 2] in _DER_STRINGS and cms[start - 1] < 0x80:
            return cms[start : start + cms[start - 1]].decode("utf-8", "replace")
    return ""


RISKY_ENTITLEMENTS = {
    "com.apple.security.get-task-allow": "other processes may attach to it and inject code",
    "com.apple.security.cs.disable-library-validation": "it loads libraries signed by anyone",
    "com.apple.security.cs.allow-dyld-environment-variables": "DYLD_INSERT_LIBRARIES works",
    "com.apple.security.cs.allow-unsigned-executable-memory": "it may run unsigned code",
    "com.apple.security.cs.disable-executable-page-protection": "code pages are writable",
}

# Folders any user (or a download) can write to: a library loaded from there is not the app's.
_ODD_DIRS = (
    "/tmp/",  # noqa: S108 (a path compared with, not a file opened)
    "/private/tmp/",
    "/var/tmp/",  # noqa: S108
    "/private/var/tmp/",
    "/users/shared/",
    "/users/",
    "/volumes/",
    "/private/var/folders/",
    "/dev/",
)
_LOAD_COMMANDS = ("LOAD_DYLIB", "LOAD_WEAK_DYLIB", "REEXPORT_DYLIB", "LAZY_LOAD_DYLIB",
                  "LOAD_UPWARD_DYLIB")  # fmt: skip


@dataclass(slots=True)
class CodeSignature:
    """What the SuperBlob says (``state``: ``unsigned``, ``adhoc`` or ``signed``)."""

    state: str = "unsigned"
    identifier: str = ""
    team_id: str = ""
    flags: int = 0
    signer: str = ""
    entitlements: dict[str, Any] = field(default_factory=dict)
    problem: str = ""


def read_signature(blob: bytes) -> CodeSignature:
    """Parse a code-signature SuperBlob, bounded by its own sizes; a malformed one gives what
    could be read and ``problem``."""
    sig = CodeSignature(state="adhoc")
    if len(blob) < 12 or int.from_bytes(blob[:4], "big") != _SUPERBLOB:
        return CodeSignature(state="unsigned", problem="no SuperBlob at the signature offset")
    count = min(int.from_bytes(blob[8:12], "big"), 64)
    has_cms = False
    for i in range(count):
        entry = blob[12 + 8 * i : 20 + 8 * i]
        if len(entry) < 8:
            sig.problem = "truncated blob index"
            break
        _type, offset = struct.unpack(">II", entry)
        if offset + 8 > len(blob):
            sig.problem = "blob offset beyond the signature"
            continue
        magic, length = struct.unpack(">II", blob[offset : offset + 8])
        body = blob[offset : offset + min(length, len(blob) - offset)]
        if magic == _CODEDIRECTORY and not sig.identifier:
            _code_directory(body, sig)
        elif magic == _ENTITLEMENTS and len(body) <= _MAX_ENTITLEMENTS_BYTES:
            try:
                value = plistlib.loads(body[8:])
                if isinstance(value, dict):
                    sig.entitlements = value
            except Exception:
                sig.problem = "unreadable entitlements"
        elif magic == _CMS and length > 8:
            has_cms = True
            sig.signer = signer_name(body)
    if sig.flags & _CS_ADHOC or not has_cms:
        sig.state = "adhoc"
    else:
        sig.state = "signed"
    return sig


def _code_directory(body: bytes, sig: CodeSignature) -> None:
    if len(body) < 44:
        sig.problem = "truncated CodeDirectory"
        return
    version, flags = struct.unpack(">II", body[8:16])
    ident_offset = int.from_bytes(body[20:24], "big")
    sig.flags = flags
    sig.identifier = _cstring(body, ident_offset)
    if version >= 0x20200 and len(body) >= 52:
        team_offset = int.from_bytes(body[48:52], "big")
        if team_offset:
            sig.team_id = _cstring(body, team_offset)


def _cstring(body: bytes, offset: int) -> str:
    if not 0 < offset < len(body):
        return ""
    return body[offset : offset + 256].split(b"\0", 1)[0].decode("utf-8", "replace")


def _odd_library(name: str) -> str | None:
    """Why a load path is odd, or None."""
    low = name.lower()
    if not low.startswith(("/", "@")):
        return "relative path (resolved against the working directory)"
    if low.startswith(_ODD_DIRS):
        return "loaded from a temporary or user-writable folder"
    if re.match(r"@(executable|loader)_path/\.\./resources/.*\.dylib$", low):
        return "a library inside the app's Resources folder (where code does not belong)"
    return None


def macho_findings(item: FileItem, fat: lief.MachO.FatBinary) -> list[Finding]:
    arches: list[dict[str, Any]] = []
    states: set[str] = set()
    signers: set[str] = set()
    teams: set[str] = set()
    odd: dict[str, str] = {}
    entitlements: dict[str, str] = {}
    problems: list[str] = []
    for index in range(min(fat.size, _MAX_ARCHES)):
        binary = fat.at(index)
        if binary is None:
            continue
        arch = enum_name(binary.header.cpu_type).lower()
        sig = CodeSignature()
        signature = binary.code_signature if binary.has_code_signature else None
        if signature is not None:
            sig = read_signature(bytes(signature.content))
        states.add(sig.state)
        if sig.signer:
            signers.add(sig.signer)
        if sig.team_id:
            teams.add(sig.team_id)
        if sig.problem:
            problems.append(f"{arch}: {sig.problem}")
        for key, why in RISKY_ENTITLEMENTS.items():
            if sig.entitlements.get(key) is True:
                entitlements[key] = why
        libraries = [
            safe_text(lambda lib=lib: lib.name)
            for lib in binary.libraries
            if enum_name(lib.command) in _LOAD_COMMANDS
        ]
        for name in libraries:
            reason = _odd_library(name)
            if reason:
                odd[name] = reason
        for command in binary.commands:
            if isinstance(command, lief.MachO.RPathCommand):
                rpath = safe_text(lambda command=command: command.path)
                low = rpath.lower()
                if low.startswith(_ODD_DIRS) or not low.startswith(("/", "@")):
                    odd[f"LC_RPATH {rpath}"] = "run-path search in an odd folder"
        arches.append(
            {
                "arch": arch,
                "filetype": enum_name(binary.header.file_type).lower(),
                "signature": sig.state,
                "identifier": sig.identifier,
                "team_id": sig.team_id,
                "hardened_runtime": bool(sig.flags & _CS_RUNTIME),
                "linker_signed": bool(sig.flags & _CS_LINKER_SIGNED),
                "libraries": libraries[:50],
            }
        )
    if not arches:
        return []
    out: list[Finding] = []
    names = [a["arch"] for a in arches]
    universal = fat.size > 1
    in_app = "/contents/macos/" in item.path.lower()
    summary = {"universal": universal, "architectures": arches}
    if problems:
        summary["problems"] = problems
    out.append(
        finding(
            "file.macho_summary",
            item,
            f"{'universal ' if universal else ''}Mach-O {arches[0]['filetype']} for "
            f"{', '.join(names)}; code signature: {', '.join(sorted(states))}",
            summary,
        )
    )
    where = " inside an app bundle" if in_app else ""
    bump = Severity.MEDIUM if in_app else None
    if "unsigned" in states:
        out.append(
            finding(
                "file.macho_unsigned",
                item,
                f"has no code signature{where}: Gatekeeper blocks it unless the user "
                "overrides (the lure's instructions)",
                {"architectures": [a["arch"] for a in arches if a["signature"] == "unsigned"]},
                severity=bump,
            )
        )
    if "adhoc" in states:
        out.append(
            finding(
                "file.macho_adhoc_signed",
                item,
                f"is only ad-hoc signed (no Developer ID, no team){where}: anyone can make "
                "this signature",
                {
                    "architectures": [a["arch"] for a in arches if a["signature"] == "adhoc"],
                    "identifiers": sorted({a["identifier"] for a in arches if a["identifier"]}),
                },
                severity=bump,
            )
        )
    if "signed" in states:
        who = ", ".join(sorted(signers)) or "an unnamed signer"
        out.append(
            finding(
                "file.macho_signed",
                item,
                f"is signed by {who}" + (f" (team {', '.join(sorted(teams))})" if teams else ""),
                {"signers": sorted(signers), "team_ids": sorted(teams)},
            )
        )
    if odd:
        out.append(
            finding(
                "file.macho_odd_dylib",
                item,
                f"loads {len(odd)} library path(s) from odd places: "
                + "; ".join(f"{k} ({v})" for k, v in list(odd.items())[:4]),
                {"libraries": odd},
            )
        )
    if entitlements:
        out.append(
            finding(
                "file.macho_entitlements",
                item,
                "claims entitlements that let other code in: "
                + "; ".join(f"{k.rsplit('.', 1)[-1]} ({v})" for k, v in entitlements.items()),
                {"entitlements": sorted(entitlements)},
            )
        )
    return out
