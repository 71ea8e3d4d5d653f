"""Windows shortcuts (MS-SHLLINK): what a double-click on this ``.lnk`` would run.

LNK lures (in zips and ISO images, often named ``invoice.pdf.lnk`` with a PDF icon) start a
script host or another living-off-the-land binary with arguments that fetch and run the next
stage, in a minimised window, the arguments padded with blanks so that the Properties dialog
shows nothing. The parser below reads the format itself (header, target ID list, LinkInfo,
StringData, ExtraData), bounded by the structure's own sizes, so a truncated or hostile file
gives what could be read plus a note, never an exception. The tracker block's machine name and
MAC address (from the UUID-v1 object identifier) and the volume serial are reported as
attribution evidence: they identify the machine the lure was built on.
"""

from __future__ import annotations

import re
import struct
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from koban.file.item import FileItem
from koban.model import Finding, Location, Severity
from koban.rules import make_finding

if TYPE_CHECKING:
    from koban.file.context import FileContext

MAGIC = b"\x4c\x00\x00\x00\x01\x14\x02\x00\x00\x00\x00\x00\xc0\x00\x00\x00\x00\x00\x00\x46"

# LinkFlags bits (MS-SHLLINK 2.1.1).
HAS_ID_LIST = 0x1
HAS_LINK_INFO = 0x2
HAS_NAME = 0x4
HAS_RELATIVE_PATH = 0x8
HAS_WORKING_DIR = 0x10
HAS_ARGUMENTS = 0x20
HAS_ICON_LOCATION = 0x40
IS_UNICODE = 0x80

SW_SHOWMINNOACTIVE = 7
_SHOW = {1: "normal", 3: "maximised", 7: "minimised"}
_DRIVE_TYPES = {0: "unknown", 1: "no root dir", 2: "removable", 3: "fixed", 4: "remote",
                5: "cd-rom", 6: "ram disk"}  # fmt: skip

_MAX_STRING_CHARS = 65535  # CountCharacters is 16 bits: the format's own bound


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Programs that run other code: a shortcut to one of them is how a lure executes its payload.
LOLBINS = _words(
    """powershell pwsh cmd mshta wscript cscript rundll32 regsvr32 certutil bitsadmin curl wget
    msiexec forfiles conhost wmic schtasks hh msbuild installutil regasm regsvcs cmstp odbcconf
    pcalua scriptrunner msdt bash wsl ftp finger expand extrac32 esentutl mavinject
    syncappvpublishingserver control msxsl ieexec presentationhost bginfo tar
    certreq desktopimgdownldr msconfig rasautou replace xwizard diskshadow dnscmd
    infdefaultinstall mmc runonce verclsid wuauclt node python pythonw java javaw"""
)
SCRIPT_EXTENSIONS = _words(
    ".js .jse .vbs .vbe .wsf .wsh .hta .bat .cmd .ps1 .psm1 .scr .pif .cpl .msc .jar"
)
DOCUMENT_EXTENSIONS = _words(
    """.pdf .doc .docx .docm .xls .xlsx .xlsm .ppt .pptx .rtf .txt .odt .ods .jpg .jpeg .png
    .gif .bmp .html .htm .csv .mp4 .zip"""
)
# Programs whose icon says "this is a document" (reader/editor/browser that opens documents).
DOCUMENT_APPS = _words(
    """acrord32 acrobat winword excel powerpnt wordpad notepad msedge chrome firefox iexplore
    foxitreader foxitpdfreader sumatrapdf"""
)
SYSTEM_ICON_LIBRARIES = frozenset({"shell32.dll", "imageres.dll", "moricons.dll"})

_ENCODED = re.compile(r"(?i)(?:^|\s)[-/]e(?:c|n[a-z]*)?\s+[A-Za-z0-9+/=]{16,}")
_HIDDEN = re.compile(
    r"(?i)(?:[-/]w(?:indowstyle|in|indow)?\s*:?\s*['\"]?(?:h(?:idden)?|1|min(?:imized)?)\b"
    r"|\s/min\b|\bstart\s+/b\b|-noni\b|-noninteractive\b)"
)
_CRADLE = re.compile(
    r"(?i)(?:https?://|\\\\[^\\\s]+@ssl|\\\\[^\\\s]+\\davwwwroot|downloadstring|downloadfile"
    r"|downloaddata|net\.webclient|invoke-webrequest|\biwr\b|invoke-restmethod|\birm\b"
    r"|start-bitstransfer|-urlcache|/transfer\b|\biex\b|invoke-expression|frombase64string"
    r"|\bcurl\b|\bwget\b|xmlhttp|msxml2)"
)
_PADDING = re.compile(r"[ \t\r\n\x0b\x0c\u00a0\u3000]{32,}")
LONG_ARGUMENTS = 1024  # the Properties dialog shows the first 259 characters of the target line


class LnkError(ValueError):
    """Not a shell link, or a header too damaged to read anything."""


@dataclass
class Shortcut:
    """What a shell link says (empty strings and None where a structure is absent)."""

    flags: int = 0
    attributes: int = 0
    show_command: int = 1
    icon_index: int = 0
    id_list: list[str] = field(default_factory=list)  # names of the target's shell items
    local_base_path: str | None = None
    common_path_suffix: str | None = None
    net_name: str | None = None
    drive_type: str | None = None
    drive_serial: str | None = None
    volume_label: str | None = None
    name: str | None = None
    relative_path: str | None = None
    working_dir: str | None = None
    arguments: str | None = None
    icon_location: str | None = None
    env_target: str | None = None
    icon_env: str | None = None
    machine_id: str | None = None
    mac_address: str | None = None
    droid_volume: str | None = None
    droid_file: str | None = None
    blocks: list[str] = field(default_factory=list)  # ExtraData block names met
    notes: list[str] = field(default_factory=list)  # what could not be read

    @property
    def target(self) -> str:
        """Best view of the target path: environment block, LinkInfo, ID list, relative path."""
        if self.env_target:
            return self.env_target
        if self.local_base_path:
            return self.local_base_path + (self.common_path_suffix or "")
        if self.net_name:
            return self.net_name + "\\" + (self.common_path_suffix or "")
        if self.id_list:
            return "\\".join(self.id_list)
        return self.relative_path or ""

    @property
    def icon(self) -> str:
        return self.icon_env or self.icon_location or ""


# -- parsing ----------------------------------------------------------------------------------


def _cstr(data: bytes, offset: int, unicode: bool = False) -> str:
    """A NUL-terminated string at ``offset`` (ANSI read as cp1252, the usual code page)."""
    if offset <= 0 or offset >= len(data):
        return ""
    if unicode:
        end = offset
        while end + 1 < len(data) and data[end : end + 2] != b"\x00\x00":
            end += 2
        return data[offset:end].decode("utf-16-le", "replace")
    end = data.find(b"\x00", offset)
    return data[offset : end if end >= 0 else len(data)].decode("cp1252", "replace")


def _guid(raw: bytes) -> uuid.UUID:
    return uuid.UUID(bytes_le=raw)


def _shell_item_name(item: bytes) -> str | None:
    """Name of one shell item: volume (``C:\\``) or file entry (long name if present)."""
    if len(item) < 3:
        return None
    kind = item[0] & 0x70
    if kind == 0x20:  # volume
        return _cstr(item, 1).rstrip("\\") or None
    if kind != 0x30 or len(item) < 13:  # file entry
        return None
    unicode_short = bool(item[0] & 0x04)
    short = _cstr(item, 12, unicode_short)
    # The 0xBEEF0004 extension block holds the long (Unicode) name; its offset depends on
    # the block version.
    ext = item.find(b"\x04\x00\xef\xbe")
    if ext >= 4:
        start = ext - 4
        version = struct.unpack_from("<H", item, start + 2)[0]
        pos = start + 18
        if version >= 7:
            pos += 18
        if version >= 3:
            pos += 2
        if version >= 9:
            pos += 4
        if version >= 8:
            pos += 4
        long_name = _cstr(item, pos, True)
        if long_name and all(c.isprintable() for c in long_name):
            return long_name
    return short or None


def _id_list(data: bytes, pos: int, link: Shortcut) -> int:
    size: int = struct.unpack_from("<H", data, pos)[0]
    end = pos + 2 + size
    if end > len(data):
        raise LnkError("target ID list runs past the end of the file")
    p = pos + 2
    while p + 2 <= end:
        (item_size,) = struct.unpack_from("<H", data, p)
        if item_size < 2 or p + item_size > end:
            break
        name = _shell_item_name(data[p + 2 : p + item_size])
        if name:
            link.id_list.append(name)
        p += item_size
    return end


def _link_info(data: bytes, pos: int, link: Shortcut) -> int:
    size, header = struct.unpack_from("<II", data, pos)
    if size < 28 or pos + size > len(data):
        raise LnkError("LinkInfo structure runs past the end of the file")
    info = data[pos : pos + size]
    flags, volume_off, base_off, net_off, suffix_off = struct.unpack_from("<IIIII", info, 8)
    base_u = suffix_u = 0
    if header >= 0x24 and size >= 36:
        base_u, suffix_u = struct.unpack_from("<II", info, 28)
    if flags & 1:
        link.local_base_path = _cstr(info, base_u, True) if base_u else _cstr(info, base_off)
        if volume_off and volume_off + 16 <= size:
            vsize, dtype, serial, label_off = struct.unpack_from("<IIII", info, volume_off)
            link.drive_type = _DRIVE_TYPES.get(dtype, str(dtype))
            link.drive_serial = f"{serial:08X}"
            volume = info[volume_off : volume_off + max(16, min(vsize, size - volume_off))]
            if label_off == 0x14 and len(volume) >= 20:
                link.volume_label = _cstr(volume, struct.unpack_from("<I", volume, 16)[0], True)
            else:
                link.volume_label = _cstr(volume, label_off)
    if flags & 2 and net_off and net_off + 20 <= size:
        net = info[net_off:]
        _nsize, _nflags, name_off = struct.unpack_from("<III", net, 0)
        if name_off > 0x14 and len(net) >= 28:
            link.net_name = _cstr(net, struct.unpack_from("<I", net, 20)[0], True)
        else:
            link.net_name = _cstr(net, name_off)
    link.common_path_suffix = _cstr(info, suffix_u, True) if suffix_u else _cstr(info, suffix_off)
    return int(pos + size)


def _strings(data: bytes, pos: int, link: Shortcut) -> int:
    unicode = bool(link.flags & IS_UNICODE)
    for flag, attr in (
        (HAS_NAME, "name"),
        (HAS_RELATIVE_PATH, "relative_path"),
        (HAS_WORKING_DIR, "working_dir"),
        (HAS_ARGUMENTS, "arguments"),
        (HAS_ICON_LOCATION, "icon_location"),
    ):
        if not link.flags & flag:
            continue
        if pos + 2 > len(data):
            link.notes.append(f"string {attr} missing (file truncated)")
            return len(data)
        (count,) = struct.unpack_from("<H", data, pos)
        width = 2 if unicode else 1
        raw = data[pos + 2 : pos + 2 + min(count, _MAX_STRING_CHARS) * width]
        if len(raw) < count * width:
            link.notes.append(f"string {attr} truncated")
        text = raw.decode("utf-16-le" if unicode else "cp1252", "replace")
        setattr(link, attr, text)
        pos += 2 + count * width
    return pos


def _env_block(block: bytes) -> str:
    """Target of an EnvironmentVariables/IconEnvironment block (Unicode part preferred)."""
    text = _cstr(block, 268, True) if len(block) >= 788 else ""
    return text or _cstr(block, 8)


def _extra(data: bytes, pos: int, link: Shortcut) -> None:
    count = 0
    while pos + 8 <= len(data) and count < 64:
        size, signature = struct.unpack_from("<II", data, pos)
        if size < 8:
            return
        if pos + size > len(data):
            link.notes.append("extra data block runs past the end of the file")
            return
        block = data[pos : pos + size]
        count += 1
        if signature == 0xA0000001:
            link.blocks.append("environment")
            link.env_target = _env_block(block) or None
        elif signature == 0xA0000007:
            link.blocks.append("icon_environment")
            link.icon_env = _env_block(block) or None
        elif signature == 0xA0000003 and size >= 0x60:
            link.blocks.append("tracker")
            link.machine_id = _cstr(block, 16)[:16] or None
            volume, obj = _guid(block[32:48]), _guid(block[48:64])
            link.droid_volume, link.droid_file = str(volume), str(obj)
            if obj.version == 1:
                link.mac_address = ":".join(f"{b:02x}" for b in obj.node.to_bytes(6, "big"))
        else:
            link.blocks.append(_BLOCKS.get(signature, f"0x{signature:08X}"))
        pos += size


_BLOCKS = {
    0xA0000002: "console",
    0xA0000004: "console_fe",
    0xA0000005: "special_folder",
    0xA0000006: "darwin",
    0xA0000008: "shim",
    0xA0000009: "property_store",
    0xA000000B: "known_folder",
    0xA000000C: "vista_id_list",
}


def parse(data: bytes) -> Shortcut:
    """Parse a shell link; raises :class:`LnkError` when the header is not one. Damage past the
    header is recorded in ``notes`` and parsing keeps what it read."""
    if len(data) < 76 or not data.startswith(MAGIC):
        raise LnkError("not a Windows shortcut (bad header)")
    link = Shortcut()
    link.flags, link.attributes = struct.unpack_from("<II", data, 20)
    link.icon_index, link.show_command = struct.unpack_from("<iI", data, 56)
    pos = 76
    try:
        if link.flags & HAS_ID_LIST:
            pos = _id_list(data, pos, link)
        if link.flags & HAS_LINK_INFO:
            pos = _link_info(data, pos, link)
        pos = _strings(data, pos, link)
        _extra(data, pos, link)
    except (LnkError, struct.error) as exc:
        link.notes.append(str(exc) or "structure truncated")
    return link


# -- judging ----------------------------------------------------------------------------------


def _basename(path: str) -> str:
    return re.split(r"[\\/]", path.strip().strip('"'))[-1].lower()


def _stem(path: str) -> str:
    base = _basename(path)
    return base.rsplit(".", 1)[0] if "." in base else base


def _ext(path: str) -> str:
    base = _basename(path)
    return "." + base.rsplit(".", 1)[1] if "." in base else ""


def program(link: Shortcut) -> str:
    """The program a double-click starts (``powershell`` for ``...\\powershell.exe``), or the
    script's extension when the target is a script file."""
    target = link.target
    ext = _ext(target)
    if ext in SCRIPT_EXTENSIONS:
        return ext
    return _stem(target)


def evasions(link: Shortcut) -> list[str]:
    """Why the command looks made to hide: minimised window, encoded or padded arguments,
    a download cradle."""
    args = link.arguments or ""
    why: list[str] = []
    if link.show_command == SW_SHOWMINNOACTIVE:
        why.append("starts minimised")
    if _HIDDEN.search(args):
        why.append("hidden or non-interactive window")
    if _ENCODED.search(args):
        why.append("encoded command")
    if m := _CRADLE.search(args):
        why.append(f"downloads or evaluates code ({m.group(0).strip()})")
    if _PADDING.search(args):
        why.append("arguments padded with blanks (hidden in the Properties dialog)")
    if len(args) > LONG_ARGUMENTS:
        why.append(f"very long arguments ({len(args)} characters)")
    return why


def _icon_kind(link: Shortcut) -> str | None:
    """``document`` when the icon comes from a document or a document app, ``system`` when it
    is borrowed from a system icon library; None when the icon is the target's own."""
    icon = link.icon.split(",")[0]
    if not icon or _basename(icon) == _basename(link.target):
        return None
    if _ext(icon) in DOCUMENT_EXTENSIONS or _stem(icon) in DOCUMENT_APPS:
        return "document"
    if _basename(icon) in SYSTEM_ICON_LIBRARIES:
        return "system"
    return None


def _short(text: str, n: int = 300) -> str:
    text = _PADDING.sub(" [blanks] ", text)
    return text if len(text) <= n else text[:n] + f"... ({len(text)} characters)"


class LnkInspector:
    name = "lnk"

    def applies(self, item: FileItem) -> bool:
        return item.true_type == "lnk" or item.data[:20] == MAGIC

    def inspect(self, item: FileItem, ctx: FileContext) -> Iterable[Finding]:
        loc = Location(path=item.path)
        try:
            link = parse(item.data)
        except LnkError as exc:
            return [make_finding("file.lnk_malformed", str(exc), location=loc)]
        findings: list[Finding] = []
        target, args = link.target, link.arguments or ""
        evidence: dict[str, object] = {
            "target": _short(target),
            "arguments": _short(args),
            "working_dir": link.working_dir,
            "window": _SHOW.get(link.show_command, str(link.show_command)),
            "icon": link.icon or None,
        }
        prog = program(link)
        why = evasions(link)
        if prog in LOLBINS or prog in SCRIPT_EXTENSIONS:
            what = f"script file ({prog})" if prog.startswith(".") else prog
            severity = Severity.CRITICAL if why else Severity.HIGH
            reasons = f": {'; '.join(why)}" if why else ""
            findings.append(
                make_finding(
                    "file.lnk_lolbin_target",
                    f"shortcut runs {what} with arguments {_short(args, 120)!r}{reasons}",
                    severity=severity,
                    location=loc,
                    evidence={**evidence, "program": prog, "evasion": why},
                    indicators=_urls(args),
                )
            )
        elif why and args:
            findings.append(
                make_finding(
                    "file.lnk_hidden_arguments",
                    f"shortcut to {_basename(target) or 'an unknown target'} hides its "
                    f"arguments: {'; '.join(why)}",
                    location=loc,
                    evidence={**evidence, "evasion": why},
                    indicators=_urls(args),
                )
            )
        if _remote(target):
            findings.append(
                make_finding(
                    "file.lnk_remote_target",
                    f"shortcut runs a program from a network share or WebDAV: {_short(target)}",
                    location=loc,
                    evidence=evidence,
                )
            )
        kind = _icon_kind(link)
        if kind is not None:
            findings.append(
                make_finding(
                    "file.lnk_document_icon",
                    f"shortcut to {_basename(target) or 'an unknown target'} shows the icon of "
                    f"{link.icon!r}" + (" (a document)" if kind == "document" else ""),
                    severity=Severity.MEDIUM if kind == "document" else Severity.LOW,
                    location=loc,
                    evidence={**evidence, "icon_kind": kind, "icon_index": link.icon_index},
                )
            )
        machine = {
            "machine_id": link.machine_id,
            "mac_address": link.mac_address,
            "droid_volume": link.droid_volume,
            "droid_file": link.droid_file,
            "drive_serial": link.drive_serial,
            "volume_label": link.volume_label,
            "drive_type": link.drive_type,
        }
        machine = {k: v for k, v in machine.items() if v}
        if machine:
            shown = ", ".join(
                f"{k}={machine[k]}"
                for k in ("machine_id", "mac_address", "drive_serial")
                if k in machine
            )
            findings.append(
                make_finding(
                    "file.lnk_builder_metadata",
                    f"shortcut records the machine it was made on ({shown or 'volume data'})",
                    location=loc,
                    evidence={**machine, "target": _short(target)},
                    indicators=[
                        str(v) for k, v in machine.items() if k in ("machine_id", "mac_address")
                    ],
                )
            )
        if link.notes:
            findings.append(
                make_finding(
                    "file.lnk_malformed",
                    f"shortcut partly unreadable: {'; '.join(link.notes)[:200]}",
                    location=loc,
                    evidence={"notes": link.notes[:10]},
                )
            )
        return findings


def _remote(target: str) -> bool:
    t = target.strip().lower()
    return t.startswith("\\\\") or t.startswith("//") or "davwwwroot" in t or "@ssl" in t


_URL = re.compile(r"(?i)https?://[^\s'\"`;,)]+")


def _urls(text: str) -> list[str]:
    return sorted(set(_URL.findall(text)))[:10]


INSPECTOR = LnkInspector()
