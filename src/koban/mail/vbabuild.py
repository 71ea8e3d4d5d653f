"""Build a real (tiny) macro-enabled Word document, for rule examples and tests.

Writes a Compound File Binary (MS-CFB v3) holding a VBA project (MS-OVBA: ``PROJECT``,
``VBA/dir``, ``VBA/_VBA_PROJECT`` and one module whose source is stored with the VBA
compression format), and wraps it as ``word/vbaProject.bin`` of a ``.docm``. ``olevba``
parses it like one saved by Word: the macro-check examples run on a real VBA project, not on a
mock. Nothing here runs any macro.
"""

from __future__ import annotations

import io
import itertools
import struct
import zipfile

_FREE, _END, _FATSECT, _NOSTREAM = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF
_SECTOR, _MINI = 512, 64


def vba_compress(data: bytes) -> bytes:
    """MS-OVBA 2.4.1 container using literal tokens only (valid, if not small)."""
    out = bytearray(b"\x01")
    for start in range(0, max(len(data), 1), 3640):
        chunk = data[start : start + 3640]
        body = bytearray()
        for i in range(0, len(chunk), 8):
            body.append(0)  # flag byte: eight literal tokens
            body += chunk[i : i + 8]
        out += struct.pack("<H", (len(body) + 2 - 3) | 0x3000 | 0x8000)
        out += body
    return bytes(out)


def _rec(rec_id: int, payload: bytes) -> bytes:
    return struct.pack("<HL", rec_id, len(payload)) + payload


def _dir_stream(module: str) -> bytes:
    name = module.encode("ascii")
    uname = module.encode("utf-16-le")
    d = bytearray()
    d += _rec(0x0001, struct.pack("<L", 1))  # PROJECTSYSKIND: win32
    d += _rec(0x0002, struct.pack("<L", 0x409))  # PROJECTLCID
    d += _rec(0x0014, struct.pack("<L", 0x409))  # PROJECTLCIDINVOKE
    d += _rec(0x0003, struct.pack("<H", 1252))  # PROJECTCODEPAGE
    d += _rec(0x0004, b"VBAProject")  # PROJECTNAME
    d += _rec(0x0005, b"") + _rec(0x0040, b"")  # PROJECTDOCSTRING (+ unicode)
    d += _rec(0x0006, b"") + _rec(0x003D, b"")  # PROJECTHELPFILEPATH (1 and 2)
    d += _rec(0x0007, struct.pack("<L", 0))  # PROJECTHELPCONTEXT
    d += _rec(0x0008, struct.pack("<L", 0))  # PROJECTLIBFLAGS
    d += struct.pack("<HLLH", 0x0009, 4, 1, 0)  # PROJECTVERSION (reserved=4, major, minor)
    d += _rec(0x000C, b"") + _rec(0x003C, b"")  # PROJECTCONSTANTS (+ unicode)
    d += _rec(0x000F, struct.pack("<H", 1))  # PROJECTMODULES: one module
    d += _rec(0x0013, struct.pack("<H", 0xFFFF))  # PROJECTCOOKIE
    d += _rec(0x0019, name) + _rec(0x0047, uname)  # MODULENAME (+ unicode)
    d += _rec(0x001A, name) + _rec(0x0032, uname)  # MODULESTREAMNAME (+ unicode)
    d += _rec(0x001C, b"") + _rec(0x0048, b"")  # MODULEDOCSTRING (+ unicode)
    d += _rec(0x0031, struct.pack("<L", 0))  # MODULEOFFSET: source at 0
    d += _rec(0x001E, struct.pack("<L", 0))  # MODULEHELPCONTEXT
    d += _rec(0x002C, struct.pack("<H", 0xFFFF))  # MODULECOOKIE
    d += struct.pack("<HL", 0x0021, 0)  # MODULETYPE: procedural
    d += struct.pack("<HL", 0x002B, 0)  # module terminator
    d += struct.pack("<HL", 0x0010, 0)  # dir terminator
    return vba_compress(bytes(d))


class _Entry:
    def __init__(self, name: str, kind: int, data: bytes = b"") -> None:
        self.name, self.kind, self.data = name, kind, data
        self.children: list[_Entry] = []
        self.id = 0
        self.left = self.right = self.child = _NOSTREAM
        self.start = 0


def _key(e: _Entry) -> tuple[int, str]:
    return len(e.name), e.name.upper()


def make_cfb(streams: dict[str, bytes]) -> bytes:
    """A CFB v3 file with ``streams`` (paths like ``VBA/dir``); every stream under 4096 bytes."""
    root = _Entry("Root Entry", 5)
    storages: dict[str, _Entry] = {"": root}
    for path, data in streams.items():
        assert len(data) < 4096, "make_cfb keeps every stream in the mini stream"
        parent = root
        parts = path.split("/")
        for depth in range(len(parts) - 1):
            key = "/".join(parts[: depth + 1])
            if key not in storages:
                storages[key] = _Entry(parts[depth], 1)
                parent.children.append(storages[key])
            parent = storages[key]
        parent.children.append(_Entry(parts[-1], 2, data))
    entries: list[_Entry] = []

    def number(e: _Entry) -> None:
        e.id = len(entries)
        entries.append(e)
        for c in e.children:
            number(c)

    number(root)
    for e in entries:  # siblings as a right-leaning chain in CFB name order (a valid BST)
        kids = sorted(e.children, key=_key)
        if kids:
            e.child = kids[0].id
            for a, b in itertools.pairwise(kids):
                a.right = b.id
    mini = bytearray()
    minifat: list[int] = []
    for e in entries:
        if e.kind == 2:
            e.start = len(mini) // _MINI
            n = max(1, -(-len(e.data) // _MINI))
            minifat += [*range(e.start + 1, e.start + n), _END]
            mini += e.data + b"\0" * (n * _MINI - len(e.data))
    dir_bytes = bytearray()
    for e in entries:
        uname = e.name.encode("utf-16-le") + b"\0\0"
        size = len(mini) if e.kind == 5 else len(e.data)
        dir_bytes += uname.ljust(64, b"\0") + struct.pack(
            "<HBBLLL16sLQQLQ",
            len(uname),
            e.kind,
            1,
            e.left,
            e.right,
            e.child,
            b"\0" * 16,
            0,
            0,
            0,
            e.start if e.kind == 2 else 0,
            size,
        )
    while len(dir_bytes) % _SECTOR:
        dir_bytes += b"\0" * 64 + struct.pack("<HBBLLL", 0, 0, 0, _NOSTREAM, _NOSTREAM, _NOSTREAM)
        dir_bytes += b"\0" * 52
    minifat_bytes = b"".join(struct.pack("<L", x) for x in minifat)
    minifat_bytes += b"\xff" * (-len(minifat_bytes) % _SECTOR)
    mini += b"\0" * (-len(mini) % _SECTOR)
    n_dir, n_mf, n_mini = (
        len(dir_bytes) // _SECTOR,
        len(minifat_bytes) // _SECTOR,
        len(mini) // _SECTOR,
    )
    n_fat = 1
    assert 1 + n_dir + n_mf + n_mini <= 128, "one FAT sector is enough for these files"
    fat = [_FATSECT]
    first_dir = 1
    fat += [*range(first_dir + 1, first_dir + n_dir), _END]
    first_mf = first_dir + n_dir
    fat += [*range(first_mf + 1, first_mf + n_mf), _END]
    first_mini = first_mf + n_mf
    fat += [*range(first_mini + 1, first_mini + n_mini), _END]
    fat += [_FREE] * (128 - len(fat))
    # The root entry's stream is the mini stream.
    dir_bytes[116:120] = struct.pack("<L", first_mini)
    header = bytearray(
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
        + b"\0" * 16
        + struct.pack("<HHHHH", 0x003E, 3, 0xFFFE, 9, 6)
        + b"\0" * 6
        + struct.pack("<LLLLLLLLL", 0, n_fat, first_dir, 0, 4096, first_mf, n_mf, _END, 0)
    )
    header += struct.pack("<L", 0) + b"\xff" * (4 * 108)
    fat_bytes = b"".join(struct.pack("<L", x) for x in fat)
    return bytes(header) + fat_bytes + bytes(dir_bytes) + minifat_bytes + bytes(mini)


def make_vba_project(source: str, module: str = "Module1") -> bytes:
    """``vbaProject.bin`` with one standard module holding ``source``."""
    project = (
        'ID="{00000000-0000-0000-0000-000000000000}"\r\n'
        f"Module={module}\r\n"
        'Name="VBAProject"\r\nHelpContextID="0"\r\nVersionCompatible32="393222000"\r\n'
        'CMG=""\r\nDPB=""\r\nGC=""\r\n\r\n[Host Extender Info]\r\n'
        "&H00000001={3832D640-CF90-11CF-8E43-00A0C911005A};VBE;&H00000000\r\n"
    ).encode("ascii")
    code = source.replace("\r\n", "\n").replace("\n", "\r\n").encode("cp1252")
    return make_cfb(
        {
            "PROJECT": project,
            "VBA/_VBA_PROJECT": b"\xcc\x61\xff\xff\x00\x00\x00",
            "VBA/dir": _dir_stream(module),
            f"VBA/{module}": vba_compress(code),
        }
    )


def make_docm(source: str) -> bytes:
    """A minimal macro-enabled Word document (.docm) whose VBA module is ``source``."""
    ct = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
        'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
        '<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/>'
        '<Override PartName="/word/document.xml" ContentType="application/vnd.ms-word.'
        'document.macroEnabled.main+xml"/></Types>'
    )
    rels = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/officeDocument" Target="word/document.xml"/></Relationships>'
    )
    doc_rels = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.microsoft.com/office/2006/relationships/'
        'vbaProject" Target="vbaProject.bin"/></Relationships>'
    )
    doc = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
        "<w:body><w:p><w:r><w:t>Enable content to view this document.</w:t></w:r></w:p>"
        "</w:body></w:document>"
    )
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", ct)
        zf.writestr("_rels/.rels", rels)
        zf.writestr("word/document.xml", doc)
        zf.writestr("word/_rels/document.xml.rels", doc_rels)
        zf.writestr("word/vbaProject.bin", make_vba_project(source))
    return buf.getvalue()
