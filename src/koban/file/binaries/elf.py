"""Linux ELF: static or dynamic, stripped or not, which loader, and signs of packing.

ELF implants (Lazarus' Linux variants of its macOS and Windows backdoors, the 3CX Linux
build, miners dropped on exchange servers) are usually static and stripped, which is also how
plenty of genuine Go and Rust tools ship: those are facts (info). What is rarer in genuine
software is a program interpreter outside the system loader paths (a loader the attacker
ships), a section table removed altogether (``sstrip``, UPX), and segments both writable and
executable (self-modifying or unpacking code).
"""

from __future__ import annotations

import re
from typing import Any

import lief

from koban.file.binaries.common import enum_name, finding, safe_text, upx_marks
from koban.file.item import FileItem
from koban.model import Finding

# System loaders: glibc (ld-linux*, ld64), musl, uClibc, Android's linker, the BSDs'.
_STANDARD_INTERPRETER = re.compile(
    r"^/(?:usr/)?lib(?:32|64|x32|exec)?/(?:[\w.+-]+/)*"
    r"(?:ld-linux[\w.+-]*\.so(?:\.\d+)*|ld64\.so(?:\.\d+)*|ld\.so(?:\.\d+)*|ld-musl-[\w.+-]+"
    r"|ld-uClibc[\w.+-]*|ld-elf(?:32)?\.so\.\d+)$"
    r"|^/system/bin/linker(?:64)?$|^/usr/libexec/ld\.so$|^/libexec/ld-elf\.so\.\d+$"
    r"|^/nix/store/[\w.+-]+/lib/ld-linux[\w.+-]*\.so(?:\.\d+)*$"
)
_PF_W, _PF_X = 0x2, 0x1


def elf_findings(item: FileItem, binary: lief.ELF.Binary) -> list[Finding]:
    out: list[Finding] = []
    header = binary.header
    interpreter = safe_text(lambda: binary.interpreter) if binary.has_interpreter else ""
    needed = [safe_text(lambda lib=lib: lib) for lib in binary.libraries]
    sections = [safe_text(lambda s=s: s.name) for s in binary.sections]
    stripped = ".symtab" not in sections
    static = not interpreter and not needed
    summary: dict[str, Any] = {
        "machine": enum_name(header.machine_type),
        "type": enum_name(header.file_type),
        "static": static,
        "stripped": stripped,
        "interpreter": interpreter,
        "needed": needed[:50],
        "sections": len(sections),
    }
    out.append(
        finding(
            "file.elf_summary",
            item,
            f"ELF {summary['type'].lower()} for {summary['machine']}, "
            f"{'static' if static else 'dynamic'}, {'stripped' if stripped else 'with symbols'}"
            + (f", loader {interpreter}" if interpreter else ""),
            summary,
        )
    )
    if interpreter and not _STANDARD_INTERPRETER.match(interpreter):
        out.append(
            finding(
                "file.elf_odd_interpreter",
                item,
                f"asks the kernel to start it with {interpreter!r}, not a system loader",
                {"interpreter": interpreter},
                indicators=[interpreter],
            )
        )
    wx = [
        hex(seg.virtual_address)
        for seg in binary.segments
        if enum_name(seg.type) == "LOAD" and int(seg.flags) & _PF_W and int(seg.flags) & _PF_X
    ]
    upx = upx_marks(item.data) or any(n.upper().startswith("UPX") for n in sections)
    if upx:
        out.append(
            finding(
                "file.exe_packer",
                item,
                "is packed with UPX: its code is unpacked only when it runs",
                {"packers": ["UPX"]},
            )
        )
    if header.numberof_sections == 0 and enum_name(header.file_type) != "CORE":
        out.append(
            finding(
                "file.elf_no_sections",
                item,
                "has no section table (removed by sstrip or a packer: it hides the layout "
                "from analysis tools)",
                {"segments": len(list(binary.segments))},
            )
        )
    if wx:
        out.append(
            finding(
                "file.elf_wx_segment",
                item,
                f"maps {len(wx)} segment(s) both writable and executable (self-modifying or "
                "unpacking code)",
                {"segments": wx},
            )
        )
    return out
