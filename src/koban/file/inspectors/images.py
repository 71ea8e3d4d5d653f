"""Disk images (ISO 9660/Joliet, UDF, DMG, VHD) and rar/cab archives: what they hold.

Lures ship an LNK or an executable inside an ISO or IMG because Windows mounts the image with a
double-click and the files inside do not inherit the download's Mark of the Web, so SmartScreen
and Office's macro block stay silent; the payload often sits beside a visible shortcut in a
hidden folder. The container walker does not open these formats, so this inspector lists them
itself (pycdlib for ISO 9660/Joliet, a scan for UDF file identifiers, own parsers for the cab
and DMG trailer, rarfile's header reader for rar), flags dangerous and hidden members, and
passes small ISO members to the other inspectors. Everything stays in memory; nothing is
mounted or run.
"""

from __future__ import annotations

import io
import plistlib
import struct
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from koban.containers import safe_name
from koban.file.item import FileItem
from koban.model import Finding, Location, Severity
from koban.rules import make_finding

if TYPE_CHECKING:
    from koban.file.context import FileContext

MAX_LISTED = 50
MAX_TRIAGE = 50  # members passed to the other inspectors
MAX_NAMES = 10_000


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Launchers and scripts: what a lure wants double-clicked. Programs and installers: dangerous
# too, but also what every software download holds.
LAUNCHER_EXTENSIONS = _words(
    """.lnk .scr .pif .bat .cmd .ps1 .psm1 .vbs .vbe .js .jse .wsf .wsh .hta .cpl .chm .url
    .library-ms .search-ms .reg .sct .appref-ms .xll .docm .xlsm .pptm .dotm .command
    .sh"""
)
PROGRAM_EXTENSIONS = _words(
    ".exe .dll .com .msi .msp .jar .iso .img .vhd .vhdx .inf .application .app .pkg"
)
DANGEROUS_EXTENSIONS = LAUNCHER_EXTENSIONS | PROGRAM_EXTENSIONS
DISK_IMAGES = frozenset({"iso", "udf", "vhd", "vhdx", "dmg"})


@dataclass(frozen=True, slots=True)
class Member:
    name: str  # path inside the container, neutralised
    size: int = 0
    hidden: bool = False
    directory: bool = False


def _ext(name: str) -> str:
    base = name.rsplit("/", 1)[-1].lower()
    return "." + base.rsplit(".", 1)[1] if "." in base else ""


def dangerous(name: str) -> bool:
    return _ext(name) in DANGEROUS_EXTENSIONS


def launcher(name: str) -> bool:
    return _ext(name) in LAUNCHER_EXTENSIONS


def _kind(item: FileItem) -> str | None:
    """Container kind by true type or, when identification did not name it, by magic bytes."""
    if item.true_type in ("iso", "udf", "dmg", "vhd", "vhdx", "rar", "cab"):
        return item.true_type
    data = item.data
    head = data[:8]
    if head.startswith(b"Rar!\x1a\x07"):
        return "rar"
    if head.startswith(b"MSCF"):
        return "cab"
    if any(data[o : o + 5] == b"CD001" for o in (0x8001, 0x8801, 0x9001)):
        return "iso"
    if data[0x8001:0x8006] in (b"BEA01", b"NSR02", b"NSR03"):
        return "udf"
    if len(data) >= 512 and data[-512:-508] == b"koly":
        return "dmg"
    if head.startswith(b"conectix") or data[-512:-504] == b"conectix":
        return "vhd"
    if head.startswith(b"vhdxfile"):
        return "vhdx"
    return None


# -- ISO 9660 / Joliet (pycdlib) and UDF ---------------------------------------------------------


def iso_members(
    data: bytes, deadline: float, want: int = 0, cap: int = 0
) -> tuple[list[Member], dict[str, bytes]]:
    """Members of an ISO 9660 image (Joliet names when present) and the bytes of up to
    ``want`` dangerous members of at most ``cap`` bytes each."""
    import pycdlib  # imported on the first image met

    iso = pycdlib.PyCdlib()
    iso.open_fp(io.BytesIO(data))
    contents: dict[str, bytes] = {}
    members: list[Member] = []
    try:
        key = (
            "joliet_path" if iso.has_joliet() else "rr_path" if iso.has_rock_ridge() else "iso_path"
        )
        for root, dirs, files in iso.walk(**{key: "/"}):
            if time.monotonic() > deadline or len(members) >= MAX_NAMES:
                break
            for name, is_dir in [(d, True) for d in dirs] + [(f, False) for f in files]:
                path = (root.rstrip("/") + "/" + name).lstrip("/")
                record = iso.get_record(**{key: "/" + path})
                hidden = bool(getattr(record, "file_flags", 0) & 1)
                size = 0 if is_dir else int(record.get_data_length())
                shown = safe_name(path.split(";")[0] if key == "iso_path" else path)
                members.append(Member(shown, size, hidden, is_dir))
                if (
                    not is_dir
                    and len(contents) < want
                    and size <= cap
                    and (dangerous(shown) or hidden)
                ):
                    out = io.BytesIO()
                    iso.get_file_from_iso_fp(out, **{key: "/" + path})
                    contents[shown] = out.getvalue()[:cap]
    finally:
        iso.close()
    return members, contents


def udf_members(data: bytes, deadline: float) -> list[Member]:
    """Names from UDF File Identifier Descriptors found by their tag (no directory paths: the
    ICB chain is not followed). Hidden and directory bits come from the descriptor."""
    members: list[Member] = []
    pos = 0
    while len(members) < MAX_NAMES:
        pos = data.find(b"\x01\x01", pos)
        if pos < 0 or time.monotonic() > deadline:
            break
        if pos % 4 == 0 and pos + 38 <= len(data):
            tag = data[pos : pos + 16]
            if (sum(tag[:4]) + sum(tag[5:16])) & 0xFF == tag[4] and tag[5] == 0:
                flags, length = data[pos + 18], data[pos + 19]
                (impl,) = struct.unpack_from("<H", data, pos + 36)
                raw = data[pos + 38 + impl : pos + 38 + impl + length]
                name = _dstring(raw)
                if name and not flags & 0x08:  # not the parent entry
                    members.append(Member(safe_name(name), 0, bool(flags & 1), bool(flags & 2)))
        pos += 1
    return members


def _dstring(raw: bytes) -> str:
    if not raw:
        return ""
    if raw[0] == 16:
        return raw[1:].decode("utf-16-be", "replace")
    if raw[0] == 8:
        return raw[1:].decode("latin-1")
    return ""


# -- cab, rar, dmg --------------------------------------------------------------------------------


def cab_members(data: bytes) -> list[Member]:
    """File names of a Microsoft cabinet from its CFFILE records (MS-CAB 2.3)."""
    if len(data) < 36 or not data.startswith(b"MSCF"):
        raise ValueError("not a cabinet")
    coff_files = struct.unpack_from("<I", data, 16)[0]
    count = struct.unpack_from("<H", data, 28)[0]
    members: list[Member] = []
    pos = coff_files
    for _ in range(min(count, MAX_NAMES)):
        if pos + 16 > len(data):
            raise ValueError("file records run past the end of the cabinet")
        size, _off, _folder, _date, _time, attribs = struct.unpack_from("<IIHHHH", data, pos)
        end = data.find(b"\x00", pos + 16, pos + 16 + 1024)
        if end < 0:
            raise ValueError("unterminated file name")
        raw = data[pos + 16 : end]
        name = raw.decode("utf-8" if attribs & 0x80 else "cp1252", "replace")
        members.append(Member(safe_name(name), size, bool(attribs & 0x2)))
        pos = end + 1
    return members


def rar_members(data: bytes) -> tuple[list[Member], str | None]:
    """Names from rar headers (rarfile parses them itself); the note says what was not listed."""
    import rarfile

    rf = rarfile.RarFile(io.BytesIO(data))
    members = [
        Member(safe_name(i.filename or ""), int(i.file_size or 0), False, i.is_dir())
        for i in rf.infolist()[:MAX_NAMES]
    ]
    note = None
    if not members and rf.needs_password():
        note = "rar archive with encrypted headers: member names not readable without the password"
    elif any(i.needs_password() for i in rf.infolist()):
        note = "rar members are encrypted: their contents were not inspected"
    else:
        note = "rar member contents are not extracted (names only)"
    return members, note


def dmg_partitions(data: bytes) -> list[str]:
    """Partition names from the UDIF trailer's XML property list (``blkx`` resources)."""
    koly = data[-512:]
    xml_offset, xml_length = struct.unpack_from(">QQ", koly, 0xD8)
    if not xml_length or xml_offset + xml_length > len(data) or xml_length > 16 << 20:
        return []
    plist = plistlib.loads(data[xml_offset : xml_offset + xml_length])
    blkx = plist.get("resource-fork", {}).get("blkx", []) if isinstance(plist, dict) else []
    return [str(b.get("Name") or b.get("CFName") or "")[:200] for b in blkx[:100]]


# -- the inspector -------------------------------------------------------------------------------


class ImagesInspector:
    name = "images"

    def applies(self, item: FileItem) -> bool:
        return _kind(item) is not None

    def inspect(self, item: FileItem, ctx: FileContext) -> Iterable[Finding]:
        kind = _kind(item)
        loc = Location(path=item.path)
        limits = ctx.options.limits
        deadline = time.monotonic() + limits.max_seconds
        findings: list[Finding] = []
        contents: dict[str, bytes] = {}
        note: str | None = None
        members: list[Member] = []
        try:
            if kind == "iso":
                cap = min(limits.max_member_bytes, 16 << 20)
                members, contents = iso_members(item.data, deadline, MAX_TRIAGE, cap)
            elif kind == "udf":
                members = udf_members(item.data, deadline)
                note = "UDF image: names listed from file identifiers, contents not extracted"
            elif kind == "cab":
                members = cab_members(item.data)
                note = "cabinet member contents are not extracted (names only)"
            elif kind == "rar":
                members, note = rar_members(item.data)
            elif kind == "dmg":
                parts = dmg_partitions(item.data)
                note = "macOS disk image: its files are not listed" + (
                    f" (partitions: {', '.join(p for p in parts if p)[:200]})" if parts else ""
                )
            else:
                note = f"{kind} virtual disk: its files are not listed"
        except Exception as exc:  # hostile structures: pycdlib, rarfile and ours all raise
            findings.append(
                make_finding(
                    "file.image_malformed",
                    f"{kind} could not be read: {type(exc).__name__}: {str(exc)[:160]}",
                    location=loc,
                    evidence={"container": kind},
                )
            )
        files = [m for m in members if not m.directory]
        if members:
            findings.append(
                make_finding(
                    "file.image_contents",
                    f"{kind} holds {len(files)} file(s): "
                    + ", ".join(m.name for m in files[:10])
                    + (" ..." if len(files) > 10 else ""),
                    location=loc,
                    evidence={
                        "container": kind,
                        "files": len(files),
                        "names": [m.name for m in files[:MAX_LISTED]],
                        "hidden": [m.name for m in members if m.hidden][:MAX_LISTED],
                    },
                )
            )
        findings.extend(_judge(kind or "", members, loc))
        if note:
            findings.append(
                make_finding(
                    "file.image_not_listed",
                    note,
                    location=loc,
                    evidence={"container": kind},
                )
            )
        findings.extend(_triage(item, ctx, contents))
        return findings


def _judge(kind: str, members: list[Member], loc: Location) -> Iterable[Finding]:
    risky = [m for m in members if not m.directory and dangerous(m.name)]
    hidden = [m for m in members if m.hidden]
    image = kind in DISK_IMAGES
    if risky:
        launchers = any(launcher(m.name) for m in risky)
        if image:  # no Mark of the Web inside: a launcher is the lure itself
            severity = Severity.HIGH if launchers or hidden else Severity.MEDIUM
        else:
            severity = (
                Severity.HIGH
                if launchers and hidden
                else Severity.MEDIUM
                if launchers or hidden
                else Severity.LOW
            )
        why = (
            "files opened from a mounted image do not carry the download's Mark of the Web"
            if image
            else "programs and shortcuts inside an archive"
        )
        yield make_finding(
            "file.image_dangerous_member",
            f"{kind} holds {len(risky)} program(s), script(s) or shortcut(s): "
            + ", ".join(m.name for m in risky[:8])
            + f" ({why})",
            severity=severity,
            location=loc,
            evidence={
                "container": kind,
                "members": [m.name for m in risky[:MAX_LISTED]],
                "hidden": [m.name for m in hidden[:MAX_LISTED]],
            },
        )
    if hidden and (image or risky):
        yield make_finding(
            "file.image_hidden_member",
            f"{kind} hides {len(hidden)} {'entry' if len(hidden) == 1 else 'entries'} from view: "
            + ", ".join(m.name for m in hidden[:8]),
            severity=Severity.MEDIUM
            if risky or any(dangerous(m.name) for m in hidden)
            else Severity.LOW,
            location=loc,
            evidence={"container": kind, "hidden": [m.name for m in hidden[:MAX_LISTED]]},
        )


def _triage(item: FileItem, ctx: FileContext, contents: dict[str, bytes]) -> Iterable[Finding]:
    """Extracted members get the full triage (an LNK in an ISO is judged as an LNK)."""
    if not contents or item.depth + 1 > ctx.options.limits.max_depth:
        return []
    from koban.file import inspect_item  # the orchestrator imports the inspectors
    from koban.file.identify import identify_lazily

    out: list[Finding] = []
    for path, raw in list(contents.items())[:MAX_TRIAGE]:
        name = path.rsplit("/", 1)[-1]
        true_type, description = identify_lazily(name, raw)
        member = FileItem(
            path=f"{item.path}!{path}",
            name=name,
            data=raw,
            true_type=true_type,
            description=description,
            depth=item.depth + 1,
        )
        out.extend(inspect_item(member, ctx))
    return out


INSPECTOR = ImagesInspector()
