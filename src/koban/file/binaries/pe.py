"""Windows PE structure: when it was built, what it is (.NET, DLL), whether it is packed, what
it can do (imports), what it carries after its last section.

Packing is judged from three independent marks, none damning alone: packer section names
(``UPX0``/``UPX1``, ``.aspack``, ``.vmp0``...), an executable section whose bytes are as random
as compressed data (entropy >= 7.2 bits per byte; compiled code sits around 6-6.7), and an
import table reduced to the loader pair ``LoadLibrary``/``GetProcAddress`` (the real imports
are resolved after unpacking). Packing hides code from static inspection, which is why a
trojanised installer uses it, and also why plenty of small genuine tools do: severities stay
low or medium, and a packed *and* signed-by-a-known-vendor program stays clean.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import lief

from koban.file.binaries.authenticode import security_directory
from koban.file.binaries.common import (
    ENTROPY_SAMPLE,
    PACKER_SECTIONS,
    entropy,
    enum_name,
    finding,
    safe_text,
    upx_marks,
)
from koban.file.item import FileItem
from koban.model import Finding, Severity

_EXEC = 0x20000000  # IMAGE_SCN_MEM_EXECUTE
_CODE = 0x00000020  # IMAGE_SCN_CNT_CODE
_WRITE = 0x80000000  # IMAGE_SCN_MEM_WRITE
PACKED_ENTROPY = 7.2
_MIN_PACKED_BYTES = 1024
_CLR = lief.PE.DataDirectory.TYPES.CLR_RUNTIME_HEADER

_LOADER = frozenset({"loadlibrarya", "loadlibraryw", "loadlibraryexa", "loadlibraryexw",
                     "getprocaddress", "ldrloaddll", "ldrgetprocedureaddress"})  # fmt: skip

# Process injection: allocate in another process, write there, start a thread there.
_ALLOC = frozenset({"virtualallocex", "virtualalloc2", "ntallocatevirtualmemory",
                    "zwallocatevirtualmemory", "ntmapviewofsection",
                    "zwmapviewofsection"})  # fmt: skip
_WRITE_MEM = frozenset({"writeprocessmemory", "ntwritevirtualmemory", "zwwritevirtualmemory"})
_START = frozenset({"createremotethread", "createremotethreadex", "ntcreatethreadex",
                    "rtlcreateuserthread", "queueuserapc", "ntqueueapcthread",
                    "setthreadcontext", "ntsetcontextthread"})  # fmt: skip
# Keylogging: a keyboard hook or raw-input capture together with reading key state.
_HOOK = frozenset({"setwindowshookexa", "setwindowshookexw", "registerrawinputdevices"})
_KEYS = frozenset({"getasynckeystate", "getkeyboardstate", "getrawinputdata", "getkeystate"})


def _imported(binary: lief.PE.Binary) -> dict[str, str]:
    """Imported function names (lower-case) to their DLL."""
    out: dict[str, str] = {}
    for lib in binary.imports:
        for entry in lib.entries:
            name = safe_text(lambda entry=entry: entry.name)
            if name:
                out[name.lower()] = safe_text(lambda lib=lib: lib.name)
    return out


def _timestamp(value: int) -> str:
    try:
        return datetime.fromtimestamp(value, UTC).isoformat()
    except (OverflowError, OSError, ValueError):
        return str(value)


def pe_findings(item: FileItem, binary: lief.PE.Binary) -> list[Finding]:
    out: list[Finding] = []
    header = binary.header
    imports = _imported(binary)
    sections: list[dict[str, Any]] = []
    packer_names: set[str] = set()
    packed_sections: list[str] = []
    for section in binary.sections:
        name = safe_text(lambda section=section: section.name)
        chars = section.characteristics
        executable = bool(chars & (_EXEC | _CODE))
        ent = round(section.entropy, 2)
        sections.append(
            {
                "name": name,
                "entropy": ent,
                "raw_size": section.size,
                "virtual_size": section.virtual_size,
                "executable": executable,
                "writable": bool(chars & _WRITE),
            }
        )
        packer = PACKER_SECTIONS.get(name.strip().lower())
        if packer:
            packer_names.add(packer)
        if executable and section.size >= _MIN_PACKED_BYTES and ent >= PACKED_ENTROPY:
            packed_sections.append(name)

    stamp = header.time_date_stamps
    now = datetime.now(UTC).timestamp()
    clr = binary.data_directory(_CLR)
    dotnet = clr is not None and clr.size > 0
    summary: dict[str, Any] = {
        "machine": enum_name(header.machine),
        "dll": header.has_characteristic(lief.PE.Header.CHARACTERISTICS.DLL),
        "dotnet": dotnet,
        "compiled_at": _timestamp(stamp),
        "timestamp": stamp,
        "reproducible": binary.is_reproducible_build,
        "sections": sections,
        "imported_functions": len(imports),
        "imported_dlls": len(list(binary.imports)),
    }
    note = ""
    if binary.is_reproducible_build:
        note = " (a reproducible-build hash, not a date)"
    elif stamp > now + 86400:
        note = " (in the future: forged)"
    elif stamp == 0:
        note = " (zeroed)"
    out.append(
        finding(
            "file.pe_summary",
            item,
            f"{'DLL' if summary['dll'] else 'program'} for {summary['machine']}, "
            f"compile timestamp {summary['compiled_at']}{note}, {len(sections)} sections, "
            f"{len(imports)} imported functions",
            summary,
        )
    )
    if dotnet:
        out.append(
            finding(
                "file.pe_dotnet",
                item,
                ".NET assembly: its code is IL, readable with a .NET decompiler (dnSpy, ILSpy)",
            )
        )

    upx = upx_marks(item.data)
    if packer_names or upx:
        names = sorted(packer_names | ({"UPX"} if upx else set()))
        out.append(
            finding(
                "file.exe_packer",
                item,
                f"is packed with {', '.join(names)}: its code is unpacked only when it runs",
                {"packers": names, "sections": [s["name"] for s in sections]},
            )
        )
    if packed_sections:
        out.append(
            finding(
                "file.pe_packed_code",
                item,
                f"executable section(s) {', '.join(packed_sections)} are as random as "
                f"compressed or encrypted data (entropy >= {PACKED_ENTROPY})",
                {"sections": [s for s in sections if s["name"] in packed_sections]},
            )
        )
    loader = sorted(_LOADER & imports.keys())
    if loader and len(imports) <= 6 and not dotnet:
        out.append(
            finding(
                "file.pe_few_imports",
                item,
                f"imports only {len(imports)} functions, among them {', '.join(loader)}: "
                "it resolves what it needs at run time",
                {"imports": sorted(imports)},
            )
        )
    packed = bool(packer_names or upx or packed_sections)
    tls = binary.tls if binary.has_tls else None
    if tls is not None and list(tls.callbacks):
        callbacks = [hex(c) for c in tls.callbacks][:8]
        out.append(
            finding(
                "file.pe_tls_callbacks",
                item,
                f"has {len(callbacks)} TLS callback(s): code that runs before the entry point"
                + (" (with packing: a common anti-debugging trick)" if packed else ""),
                {"callbacks": callbacks},
                severity=Severity.LOW if packed else None,
            )
        )

    alloc, write, start = (
        _ALLOC & imports.keys(),
        _WRITE_MEM & imports.keys(),
        _START & imports.keys(),
    )
    if alloc and write and start:
        apis = sorted(alloc | write | start)
        out.append(
            finding(
                "file.pe_injection_imports",
                item,
                f"imports what injects code into other processes ({', '.join(apis)})",
                {"imports": apis},
            )
        )
    hook, keys = _HOOK & imports.keys(), _KEYS & imports.keys()
    if hook and keys:
        apis = sorted(hook | keys)
        out.append(
            finding(
                "file.pe_keylogger_imports",
                item,
                f"imports what records keystrokes ({', '.join(apis)})",
                {"imports": apis},
            )
        )
    overlay = _overlay(item, binary)
    if overlay is not None:
        out.append(overlay)
    return out


def _overlay(item: FileItem, binary: lief.PE.Binary) -> Finding | None:
    """Data after the last section that is neither the signature nor the COFF symbol table
    (MinGW keeps one there): an installer's archive, or a payload appended to a genuine
    program."""
    start = binary.overlay_offset
    if not start or start >= len(item.data):
        return None
    end = len(item.data)
    start = max(start, _coff_symbols_end(item.data, binary, start))
    table, table_size = security_directory(binary)
    if table_size and table >= start:
        # the certificate table sits in the overlay region; only what is outside it counts
        if table == start:
            start = min(end, table + table_size)
        else:
            end = table
    blob = item.data[start:end]
    if not blob.strip(b"\0"):
        return None
    kind = _overlay_kind(blob)
    ent = round(entropy(blob[:ENTROPY_SAMPLE]), 2)
    severity = Severity.LOW if kind == "pe" else None
    what = {
        "pe": "another Windows executable",
        "zip": "a zip archive",
        "7z": "a 7-Zip archive",
        "cab": "a cabinet archive",
        "nsis": "an NSIS installer payload",
        "inno": "an Inno Setup payload",
        "msi": "an MSI/OLE document",
    }.get(kind, "compressed or encrypted data" if ent >= PACKED_ENTROPY else "data")
    return finding(
        "file.pe_overlay",
        item,
        f"carries {len(blob)} bytes after its last section: {what}",
        {"offset": start, "bytes": len(blob), "kind": kind, "entropy": ent},
        severity=severity,
        kind=kind,
    )


def _coff_symbols_end(data: bytes, binary: lief.PE.Binary, overlay: int) -> int:
    """End of the COFF symbol and string tables when they sit at the overlay's start (0
    otherwise): 18-byte symbols, then a string table that starts with its own size."""
    pointer = binary.header.pointerto_symbol_table
    count = binary.header.numberof_symbols
    if not pointer or pointer != overlay or count > 1_000_000:
        return 0
    strings = pointer + 18 * count
    if strings + 4 > len(data):
        return 0
    size = int.from_bytes(data[strings : strings + 4], "little")
    return min(len(data), strings + max(size, 4))


def _overlay_kind(blob: bytes) -> str:
    head = blob[:16]
    if head.startswith(b"MZ") and b"PE\0\0" in blob[:1024]:
        return "pe"
    if head.startswith(b"PK\x03\x04"):
        return "zip"
    if head.startswith(b"7z\xbc\xaf\x27\x1c"):
        return "7z"
    if head.startswith(b"MSCF"):
        return "cab"
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "msi"
    if b"NullsoftInst" in blob[:64]:
        return "nsis"
    if head.startswith((b"zlb\x1a", b"idska32\x1a", b"Inno Setup")):
        return "inno"
    return "data"
