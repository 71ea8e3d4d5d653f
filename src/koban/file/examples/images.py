"""Harmless disk images and cabinets in the shapes of ISO/IMG lures (and ordinary ones).

The shortcut inside the lure image is :func:`koban.file.examples.lnk.hidden_powershell` (it only
echoes an example.com address).
"""

from __future__ import annotations

import io
import plistlib
import struct

from koban.file.examples import lnk


def iso(files: dict[str, bytes], hidden: tuple[str, ...] = ()) -> bytes:
    """An ISO 9660 image with Joliet names; ``files`` maps ``dir/name`` to content."""
    import pycdlib

    image = pycdlib.PyCdlib()
    image.new(interchange_level=3, joliet=3, vol_ident="EXAMPLE")
    dirs: dict[str, str] = {}  # Joliet directory -> ISO 9660 directory (8.3 names)
    for n, (path, content) in enumerate(files.items()):
        parts = path.split("/")
        for depth in range(1, len(parts)):
            d = "/".join(parts[:depth])
            if d not in dirs:
                parent = dirs.get("/".join(parts[: depth - 1]), "")
                dirs[d] = f"{parent}/D{len(dirs):07d}"
                image.add_directory(dirs[d], joliet_path="/" + d)
        iso_parent = dirs.get("/".join(parts[:-1]), "")
        iso_path = f"{iso_parent}/F{n:07d}.;1"
        image.add_fp(io.BytesIO(content), len(content), iso_path, joliet_path="/" + path)
        if path in hidden:
            image.set_hidden(iso_path=iso_path)
            image.set_hidden(joliet_path="/" + path)
    out = io.BytesIO()
    image.write_fp(out)
    image.close()
    return out.getvalue()


def iso_lure() -> bytes:
    """A shortcut dressed as a PDF beside a hidden folder, as ISO lures ship them."""
    return iso(
        {
            "Invoice_2024.pdf.lnk": lnk.hidden_powershell(),
            "data/readme.txt": b"placeholder\n",
        },
        hidden=("data/readme.txt",),
    )


def iso_readme() -> bytes:
    """An ordinary image with a README and a PDF."""
    return iso(
        {"README.txt": b"Example product documentation.\n", "docs/manual.pdf": b"%PDF-1.4\n"}
    )


def cab(
    names: tuple[str, ...] = ("setup.inf", "driver.sys"), hidden: tuple[str, ...] = ()
) -> bytes:
    """A stored (uncompressed) Microsoft cabinet with the given member names."""
    contents = [f"content of {n}\n".encode() for n in names]
    data = b"".join(contents)
    files = b""
    offset = 0
    for name, content in zip(names, contents, strict=True):
        attribs = 0x20 | (0x2 if name in hidden else 0)
        files += struct.pack("<IIHHHH", len(content), offset, 0, 0x5821, 0, attribs)
        files += name.encode() + b"\x00"
        offset += len(content)
    header_size, folder_size = 36, 8
    coff_files = header_size + folder_size
    data_start = coff_files + len(files)
    block = struct.pack("<IHH", 0, len(data), len(data)) + data
    total = data_start + len(block)
    header = b"MSCF" + struct.pack(
        "<IIIIIBBHHHHH", 0, total, 0, coff_files, 0, 3, 1, 1, len(names), 0, 0x1234, 0
    )
    folder = struct.pack("<IHH", data_start, 1, 0)
    return header + folder + files + block


def cab_script() -> bytes:
    """A cabinet holding a shortcut and a hidden script."""
    return cab(("Document.lnk", "update.js"), hidden=("update.js",))


def dmg(partitions: tuple[str, ...] = ("Protective Master Boot Record", "disk image")) -> bytes:
    """A UDIF image: an empty data fork, the XML resource list and the ``koly`` trailer."""
    plist = plistlib.dumps(
        {"resource-fork": {"blkx": [{"Name": p, "ID": str(i)} for i, p in enumerate(partitions)]}}
    )
    body = b"\x00" * 512
    koly = bytearray(512)
    koly[0:4] = b"koly"
    struct.pack_into(">II", koly, 4, 4, 512)
    struct.pack_into(">QQ", koly, 0xD8, len(body), len(plist))
    return body + plist + bytes(koly)


def truncated_cab() -> bytes:
    """A cabinet cut inside its first file record."""
    return cab()[:50]
