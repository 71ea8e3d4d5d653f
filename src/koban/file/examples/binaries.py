"""Harmless executables for the ``file.pe_*``, ``file.macho_*`` and ``file.elf_*`` rules.

Every builder writes the bytes by hand (no compiler, no lief writer: deterministic, fast, and
exactly the structure a rule looks at). The code is a single ``ret`` (0xC3) or nothing: the
files are shapes, not programs. Strings such as API names or wallet paths are data, never
called.

The two signed PEs are the :func:`pe` output signed once with ``osslsigncode`` 2.9 and a
throwaway self-made RSA key (see :data:`_SIGNED_NOTE`); they are kept as base64 because Python
cannot produce an Authenticode signature without a dependency koban does not have.
"""

from __future__ import annotations

import base64
import struct
import zlib
from collections.abc import Sequence

_SIGNED_NOTE = """\
Made with: cryptography (self-signed RSA-2048 code-signing certificate, 2 years),
osslsigncode sign -certs cert.pem -key key.pem -h sha256 -in tiny.exe -out signed.exe
on the output of pe(imports={"KERNEL32.dll": ["ExitProcess"]}, timestamp=1700000000)."""

_FILE_ALIGN = 0x200
_SECT_ALIGN = 0x1000
_IMAGE_BASE = 0x400000

CODE = 0x60000020  # CNT_CODE | MEM_EXECUTE | MEM_READ
DATA = 0xC0000040  # CNT_INITIALIZED_DATA | MEM_READ | MEM_WRITE
RDATA = 0x40000040  # CNT_INITIALIZED_DATA | MEM_READ
PACKED = 0xE0000040  # read | write | execute: what UPX gives its sections


def _align(n: int, a: int) -> int:
    return (n + a - 1) // a * a


def _imports_blob(rva: int, imports: dict[str, Sequence[str]]) -> bytes:
    """An import directory (descriptors, lookup tables, hint/name entries, DLL names) laid out
    for section RVA ``rva``."""
    dlls = list(imports.items())
    desc_size = 20 * (len(dlls) + 1)
    thunk_tables: list[list[int]] = []
    names = bytearray()
    names_base = desc_size + sum(4 * (len(f) + 1) for _, f in dlls) * 2
    dll_name_rvas: list[int] = []
    for dll, funcs in dlls:
        table = []
        for func in funcs:
            table.append(rva + names_base + len(names))
            names += struct.pack("<H", 0) + func.encode() + b"\0"
            if len(names) % 2:
                names += b"\0"
        thunk_tables.append(table)
        dll_name_rvas.append(rva + names_base + len(names))
        names += dll.encode() + b"\0"
        if len(names) % 2:
            names += b"\0"
    ilt = bytearray()
    iat = bytearray()
    ilt_rvas: list[int] = []
    iat_rvas: list[int] = []
    iat_base = desc_size + sum(4 * (len(f) + 1) for _, f in dlls)
    for table in thunk_tables:
        ilt_rvas.append(rva + desc_size + len(ilt))
        iat_rvas.append(rva + iat_base + len(iat))
        for entry in [*table, 0]:
            ilt += struct.pack("<I", entry)
            iat += struct.pack("<I", entry)
    desc = bytearray()
    for i in range(len(dlls)):
        desc += struct.pack("<IIIII", ilt_rvas[i], 0, 0, dll_name_rvas[i], iat_rvas[i])
    desc += bytes(20)
    return bytes(desc + ilt + iat + names)


def pe(
    sections: Sequence[tuple[str, bytes, int]] = ((".text", b"\xc3", CODE),),
    imports: dict[str, Sequence[str]] | None = None,
    *,
    timestamp: int = 1700000000,
    dll: bool = False,
    tls_callbacks: int = 0,
    dotnet: bool = False,
    overlay: bytes = b"",
    strings: Sequence[str] = (),
) -> bytes:
    """A 32-bit PE: ``sections`` as (name, content, characteristics), an ``.idata`` section
    when ``imports`` are given ({dll: [function, ...]}), a TLS directory with
    ``tls_callbacks`` callback pointers, a CLR header (a .NET assembly's marker) when
    ``dotnet``, ``strings`` stored in a ``.rdata`` section, ``overlay`` appended after the
    last section. Entry point: the start of the first section."""
    secs = [(n, bytes(c), ch) for n, c, ch in sections]
    if strings:
        secs.append((".rdata", b"\0".join(s.encode("utf-8") for s in strings) + b"\0", RDATA))
    n_extra = (1 if imports else 0) + (1 if tls_callbacks else 0) + (1 if dotnet else 0)
    n_sections = len(secs) + n_extra
    headers_size = _align(0x80 + 4 + 20 + 224 + 40 * n_sections, _FILE_ALIGN)
    data_dirs = [(0, 0)] * 16
    rva = _SECT_ALIGN
    laid: list[tuple[str, bytes, int, int]] = []  # name, content, characteristics, rva
    for name, content, ch in secs:
        laid.append((name, content, ch, rva))
        rva += _align(max(len(content), 1), _SECT_ALIGN)
    if imports:
        blob = _imports_blob(rva, imports)
        data_dirs[1] = (rva, 20 * (len(imports) + 1))
        laid.append((".idata", blob, DATA, rva))
        rva += _align(len(blob), _SECT_ALIGN)
    if tls_callbacks:
        # IMAGE_TLS_DIRECTORY32 then the callback array (VAs into the first section), zero-ended
        first = _IMAGE_BASE + laid[0][3]
        callbacks_va = _IMAGE_BASE + rva + 24
        index_va = _IMAGE_BASE + rva + 24 + 4 * (tls_callbacks + 1)
        tls = struct.pack("<IIIIII", 0, 0, index_va, callbacks_va, 0, 0)
        tls += b"".join(struct.pack("<I", first) for _ in range(tls_callbacks)) + bytes(4)
        tls += bytes(4)  # the TLS index
        data_dirs[9] = (rva, 24)
        laid.append((".tls", tls, DATA, rva))
        rva += _align(len(tls), _SECT_ALIGN)
    if dotnet:
        # IMAGE_COR20_HEADER: cb, runtime 2.5, metadata (empty), flags ILONLY
        cor = struct.pack("<IHHIIII", 72, 2, 5, 0, 0, 1, 0) + bytes(72 - 24)
        data_dirs[14] = (rva, 72)
        laid.append((".text2", cor, RDATA, rva))
        rva += _align(len(cor), _SECT_ALIGN)
    image_size = rva

    dos = bytearray(0x80)
    dos[0:2] = b"MZ"
    struct.pack_into("<I", dos, 0x3C, 0x80)
    chars = 0x0102 | (0x2000 if dll else 0)  # EXECUTABLE_IMAGE | 32BIT_MACHINE (| DLL)
    coff = struct.pack("<HHIIIHH", 0x14C, n_sections, timestamp, 0, 0, 224, chars)
    code_size = sum(_align(len(c), _FILE_ALIGN) for _, c, ch, _ in laid if ch & 0x20)
    opt = struct.pack(
        "<HBBIIIIIIIIIHHHHHHIIIIHHIIIIII",
        0x10B,  # PE32
        14,
        0,
        code_size,
        0,
        0,
        laid[0][3],  # entry point
        laid[0][3],  # base of code
        laid[0][3],  # base of data
        _IMAGE_BASE,
        _SECT_ALIGN,
        _FILE_ALIGN,
        6,
        0,
        0,
        0,
        6,
        0,
        0,
        image_size,
        headers_size,
        0,
        3,  # console
        0x8140,  # NX_COMPAT | DYNAMIC_BASE | TERMINAL_SERVER_AWARE
        0x100000,
        0x1000,
        0x100000,
        0x1000,
        0,
        16,
    )
    opt += b"".join(struct.pack("<II", r, s) for r, s in data_dirs)
    table = bytearray()
    body = bytearray()
    offset = headers_size
    for name, content, ch, srva in laid:
        raw = _align(len(content), _FILE_ALIGN) if content else 0
        table += struct.pack(
            "<8sIIIIIIHHI",
            name.encode()[:8],
            max(len(content), 1),
            srva,
            raw,
            offset if raw else 0,
            0,
            0,
            0,
            0,
            ch,
        )
        body += content + bytes(raw - len(content))
        offset += raw
    head = bytes(dos) + b"PE\0\0" + coff + opt + bytes(table)
    return head + bytes(headers_size - len(head)) + bytes(body) + overlay


def upx_packed_pe() -> bytes:
    """The layout UPX leaves: an empty ``UPX0`` (unpacked in memory), a ``UPX1`` full of
    compressed-looking bytes, writable+executable sections, a three-function import table."""
    noise = _noise(6000)
    return pe(
        sections=(("UPX0", b"", PACKED | 0x20), ("UPX1", noise, PACKED | 0x20)),
        imports={"KERNEL32.DLL": ["LoadLibraryA", "GetProcAddress", "VirtualProtect"]},
    )


def injector_pe() -> bytes:
    """Imports that together allocate, write and start code in another process."""
    return pe(
        imports={
            "KERNEL32.dll": [
                "OpenProcess",
                "VirtualAllocEx",
                "WriteProcessMemory",
                "CreateRemoteThread",
                "ExitProcess",
            ]
        }
    )


def keylogger_pe() -> bytes:
    """Imports of a keyboard hook that records keys."""
    return pe(
        imports={
            "USER32.dll": ["SetWindowsHookExW", "GetAsyncKeyState", "CallNextHookEx"],
            "KERNEL32.dll": ["ExitProcess"],
        }
    )


def wallet_stealer_pe() -> bytes:
    """Strings that name browser-extension and desktop wallet stores."""
    return pe(
        imports={"KERNEL32.dll": ["CreateFileW", "ReadFile", "ExitProcess"]},
        strings=(
            r"\AppData\Roaming\Exodus\exodus.wallet",
            r"\Local Extension Settings\nkbihfbeogaeaoehlefnkodbefgpgknn",
            r"\AppData\Roaming\Electrum\wallets",
        ),
    )


def plain_pe() -> bytes:
    """An ordinary unsigned console program: one code section, one import."""
    return pe(imports={"KERNEL32.dll": ["ExitProcess", "GetStdHandle", "WriteFile"]})


def tls_pe() -> bytes:
    """A program with a TLS callback (code that runs before the entry point)."""
    return pe(imports={"KERNEL32.dll": ["ExitProcess"]}, tls_callbacks=1)


def dotnet_pe() -> bytes:
    """The CLR header that makes a PE a .NET assembly."""
    return pe(imports={"mscoree.dll": ["_CorExeMain"]}, dotnet=True)


def overlay_pe(size: int = 4096, compressed: bool = True) -> bytes:
    """Data appended after the last section: a zip-like blob (an installer's payload or a
    dropper's second stage) or zeros."""
    data = (b"PK\x03\x04" + _noise(size - 4)) if compressed else bytes(size)
    return plain_pe() + data


def _noise(n: int, seed: int = 0x5EED) -> bytes:
    """Deterministic bytes that look compressed (entropy close to 8 bits per byte)."""
    out = bytearray()
    x = seed
    while len(out) < n:
        x = (x * 6364136223846793005 + 1442695040888963407) & 0xFFFFFFFFFFFFFFFF
        out += (x >> 33).to_bytes(4, "little")
    return bytes(out[:n])


# --- Authenticode -------------------------------------------------------------------------

_SIGNED_TEST = (  # zlib, base64: 3040 bytes
    "eNrzjWIgGzQwUA4CXBkYfBiZGBg+BqfCxB4wMDFyM/IxMDAhKRRAwgwOEBoozwaVhtEMBhDx9S8YGJgZHBrBCgWgBggg"
    "jIIDBQYGDWwOAxr4gJWBZkCvJLWiBEgzwhzExIDqX4jTEvQyUxJLEhkYQqACYDUsqOqAoXGAXHccZhgFIxloKCDYbkC2"
    "gQJ2dRYKqDQDg2tFZklAUX5yanExg7drkJ+rj7GRXkpOzmiYDiUALuOYmBgMmlgvsXFqtXm0fedlZGda0MR6GCi0n4mR"
    "0ZDfgJeNM6HNgzGVmYWJkZXBoJKNS5uNkYWxyZyJkWVBtkGmgQmSCL+BGjMTe8MChUVyDTIMNmDoz5DEUMyQz5DDkMpQ"
    "AsR2IGhgiGYwi8K8qInWZabrJy+e4Kf94RJba9vcJsOZhxdJ2WyYcEcnqUNgQROzikETs4JBExPHAmYmRiYmVm9/J0c/"
    "kEFQtzNyA13oashtwMnGHMrCJswUGmwoZSAB4nDxCHrnJyXmKYSkFpcoBGem56UWweSYscgZyInzGpkAnWloAAZR4rzG"
    "xoZGRpZQLrWsaWJUQvYAMCSYmxj5gVHCyMXUxMjIMHfuvc3TVW78Dfi55/lkG/nO/8Wz7f7P3RJ87sxuCedbnb2H5DSu"
    "KrxfYOfmGW/s/VphQjL3e9E5z+uZ5JlELzsrmCyOfNF5aWf9qxDnZM9a3zmc7Zw/OnIi4mtfc5tP8XRbrCEwWevl106x"
    "9tzDpna5nnYe86ZHrU12Mt7rpOuyQKy31jp0stik95fXMSsvPitwfXduo8PF/K8nus5OOCXWxTdRNe+D3tvJMUunz8ws"
    "ENN9flX+6Ath/y7dq6Xv7bXkNjl1sdcVCKXXc/luiJzkYXd3KXPnuTfz1t+bXW5qUDk/7cWNqop2UUN5p8fGR+4dTdLq"
    "u8R55PT+XN30Fq/f8R2r1kdw/t7wL+4wEzMjA+NicQNRA2FgGMqqsvAYcLFxABMcKys7MzNa3DODQizuyhRjFm6/wtXX"
    "a7qOfin9L+Jmz8EYt+uWckuWZniK38ELl0PkQz7XXPokLb6e4xzjJZUf/sonvmeWeYYK19o8jLnD/+OaY2aq2Kd/3r+E"
    "uNM9Fr0uSLvxpjlq3vZNDyUnnuuo+B/n3j1nvYTVSln53/nnfy21PWr2N+dlzDyNi89mBr6oS9ogvXmT1opnT/yXqSqX"
    "rux22n8tLuoHA+ccztD5K7Zc5uZm9a5UZdy221r3+4npmesst3iGPRTrnqMxacflY5aCvko3L/z6s77SZNfPY9v43VZV"
    "/WVc9vTIbMP72o2/pLzTH3kGdx46PulyQFPK92nTPq5Ikvxyk7vjMKO4hfPeGy4TFh9/8DfasImJBZhHgO0oRgM/KiVT"
    "pKyGlGcXNHYYSMIjgJPZkAe5cDCQQUixGvIDs5OZoZGBkaG5sYGJSRRQFqGW25DPAFmvqIE+Qi+LoRKLwsuYtJ+bNtyS"
    "W8jZ66BxkMv4xuFMy3dOKgks3HxLfaKenUDLQyxNjAyx6wOW/7w3Y6ffIsuXDmfdr6k2K2xLdgw6fsB/u7y6ZuHFz4lL"
    "L2iunaRwRX/fpEOZFvvEPqwU3S1TNjteU1h86qKwi+36iyUTN3Vve18Xt6XYpnt97JNNwhyfVM/e0MgstjQ/s3WhNKfC"
    "BqU7yzXvzvN6d8dt62Jt//SVRkncdx+H6texeJqVaa7XjNtf/cA/ePHrF8lnpOLkDHcEz/i3UElkXu29u66pVnIXzzXP"
    "ZTn3U7NFaf2ciftrQv99UMw7wxn62/ZfklxylkcNS/B/jT8TFCKmRTgbhIr91XLf2mfxtKho65YXLKdEjuTM8UvPX/hi"
    "18TdR08XX1ufwnW3W3d32BrWxgSF+1ymrq8YGADzxTMv"
)

_SIGNED_CELAS = (  # zlib, base64: 3016 bytes
    "eNrzjWIgGzQwUA4CXBkYfBiZGBg+BqfCxB4wMDFyM/IxMDAhKRRAwgwOEBoozwaVhtEMBhDxmEQGBmYGh0awQgGoAQII"
    "o+BAgYFBA5vDgAaeYGWgGdArSa0oAdKMMAcxMaD6F+K0BL3MlMQSoF9CoAJgNSyo6oChcYBcdxxmGAUjGWgoINhuQLaB"
    "AnZ1FgqoNAODa0VmSUBRfnJqcTGDt2uQn6uPsZFeSk7OaJgOJQAu45iYGAyaWHexcWq1ebR952VkZ1rQxLoaKLSciZHR"
    "kN+Al40zoc2DMZWZhYmRlcGgko1Lm42RhbHJnImRZUG2QaaBCZIIv4EaMxN7wwKFRXINMgw2YOjPkMRQzJDPkMOQylAC"
    "xHYgaGCIZjCLwryoidZlpusnL57gp/3hEltr29wmw5mHF0nZbJhwRyepQ2BBE7OAQRMzj0ET45cFzEyMTEyCDLOKQ7mb"
    "y9qsbzrzr+qO0mwHGQr1ByM30LWmhtwGnGzMoSxswkyhwYZCBgIgDhcPp7Orj2Owgo+PM0yMGUnMQE6c18gE6ERDAzCI"
    "Euc1NjY0MrKEcsk1tolRCdmBQF8zNzHyA4OfkYupiZGR4VH7jC9njD6IuvZyfpm1quT6/c4NGlsX3zz140b/7TOKu+PU"
    "J/HwqavPlT3z3Mxi75edaxP5+g4eOcAoFvR6rc/xysO/Txxx222tVjKpf6P8Vo3Xh/XvrvC7uezptJT8/o83OLc+WZS4"
    "w6NXMlEnucXxr0jTltlrLa6v6Jl+3oGLR+gwoxTLXslwv23BZSaGq8LneQXvctw1z/2J66ajxZcc58SFsJ1oiKuaun/2"
    "9vALlU/Yr6jtVptYOzNevUV9+e0Apf5VTY/W2i8QP2+e/VvwQNfWg7fMi296vDub8flc1g+RU4EXfXXbTp+pmz67/o7E"
    "Gu8Ze9l4V+3JOCzM8GHtvGXb2vOWNDF22Jtbf3rJxMzIwLhY3EDUQBgYdrKqLDwGXGwcwMTFysrOzIwWt8ygEEu5eisn"
    "Ss5kI+9T9p4ao1t1k6357PWql/+8meSSFfrpe8ZWTTHOsIApvUrVR5bvfvzI0bzjVfWtld5bZGa1mCqK+XzYEvhkx4UT"
    "KlsfcLg/dv+2f++3Eo8X9canwpf+vuz4MbTebX3ApkIDzTvCh3YFFkrmsfe4rvR99rniuXh55sJLpoudby+1r/e6pVFZ"
    "vjrr2uRP25+fu/jcQK5WNFhDLGKJMPMe0fvZE9wk8/yNL13ynXSDxVRqnZR464a9XJHnlba9vRNeav3t4FWthHm1zDNV"
    "bFKtE9/2sR2Y1CNwyDO0enPi15dTOw5rrjYtsOj7mzMjfdY7zd39n3q3mAU6LPt2KGnD1bbKlYfUpQybQLmX8Q8wqxp4"
    "kZkscWQjpLy5oLHDQBIe+JzMhjzIhYCBDEKK1ZAfmHXMDI0MjAzNjQ1MTKKAsgi13IZ8Bsh6RQ30EXpZDJVYFF7GpP3c"
    "tOGW3ELOXgeNg1zGNw5nWr5zUklg4eZb6hP17ARa/mFpYmRIn/Lw2anLVc1qG09fcmf/v33ZPo/DnNr7sjVsdvy+yrbH"
    "u8cy+IDQd/mOQPEHqQevLDmb9y/x6JXIA8cWXEqbefpZVkT3hw2pR75v3FBTPtXo9j+udobcP4uiTmyW3XDp/U6x+b1b"
    "DWeFvc3L9fI89/7//PsVv9h3M69avbBx0/fZG392uQnmhE17cPFkQKl81rwHH0pfTkoJ+l/g9TBWePYJl811p/drHJr+"
    "wvTiR73QxxeSJG8Gm157tSy5tv9FytFF3odWqZ2e5rTDN1jrz+PVT2u4e+6JeTxVMz/6xWdb8f93P9OT8po+Hvtz2nT/"
    "t5U1Durn/LZfW2yv29JzvUl9Rle5bkjHwpm+d+cYbDZlYAAARLs/hQ=="
)


def _blob(b64: tuple[str, ...] | str) -> bytes:
    text = b64 if isinstance(b64, str) else "".join(b64)
    return zlib.decompress(base64.b64decode(text))


def signed_pe() -> bytes:
    """Signed by "Koban Test Signer", a self-made certificate: intact, but trusted by no one."""
    return _blob(_SIGNED_TEST)


def tampered_pe() -> bytes:
    """The signed PE with one byte of code changed after signing (``ret`` becomes ``int3``)."""
    data = bytearray(signed_pe())
    assert data[0x200] == 0xC3
    data[0x200] = 0xCC
    return bytes(data)


def padded_signature_pe(extra: int = 64) -> bytes:
    """The signed PE with bytes slipped into its certificate table after the PKCS#7 blob, the
    table's sizes grown to match: the hash still verifies (CVE-2013-3900)."""
    data = bytearray(signed_pe())
    pe_offset = struct.unpack_from("<I", data, 0x3C)[0]
    security = pe_offset + 24 + 96 + 4 * 8  # data directory 4 of a PE32 optional header
    offset, size = struct.unpack_from("<II", data, security)
    length = struct.unpack_from("<I", data, offset)[0]
    struct.pack_into("<I", data, offset, length + extra)
    struct.pack_into("<II", data, security, offset, size + extra)
    end = offset + length
    return bytes(data[:end]) + b"\xde\xad" * (extra // 2) + bytes(data[end:])


def abused_signer_pe() -> bytes:
    """Signed by a self-made certificate whose subject ("CELAS LLC") and serial number copy
    the AppleJeus certificate of 2018 (the shape of the real thing; the key is ours)."""
    return _blob(_SIGNED_CELAS)


# --- Mach-O -------------------------------------------------------------------------------

MH_EXECUTE = 2
CPU_X86_64 = 0x01000007
CPU_ARM64 = 0x0100000C
_LC_SEGMENT_64 = 0x19
_LC_LOAD_DYLIB = 0xC
_LC_RPATH = 0x8000001C
_LC_CODE_SIGNATURE = 0x1D
_LC_MAIN = 0x80000028


def _lc_str(cmd: int, fixed: bytes, text: str) -> bytes:
    """A load command with a string after ``fixed`` fields, padded to 8 bytes."""
    head = 8 + len(fixed)
    body = text.encode() + b"\0"
    size = _align(head + len(body), 8)
    return struct.pack("<II", cmd, size) + fixed + body + bytes(size - head - len(body))


def _superblob(blobs: Sequence[tuple[int, bytes]]) -> bytes:
    count = len(blobs)
    offset = 12 + 8 * count
    index = b""
    payload = b""
    for slot, blob in blobs:
        index += struct.pack(">II", slot, offset + len(payload))
        payload += blob
    total = offset + len(payload)
    return struct.pack(">III", 0xFADE0CC0, total, count) + index + payload


def _code_directory(identifier: str, team: str, flags: int) -> bytes:
    """A CodeDirectory (version 0x20400) with no hash slots: identity and flags only."""
    fixed = 88
    ident = identifier.encode() + b"\0"
    team_b = team.encode() + b"\0" if team else b""
    ident_offset = fixed
    team_offset = fixed + len(ident) if team else 0
    length = fixed + len(ident) + len(team_b)
    head = struct.pack(
        ">IIIIIIIIIBBBBIIIIQQQQ",
        0xFADE0C02, length, 0x20400, flags,
        fixed + len(ident) + len(team_b),  # hashOffset (no slots)
        ident_offset, 0, 0, 0,  # nSpecialSlots, nCodeSlots, codeLimit
        32, 2, 0, 12,  # hashSize, hashType (SHA-256), platform, pageSize (4 KiB)
        0, 0, team_offset, 0,  # spare2, scatterOffset, teamOffset, spare3
        0, 0, 0, 0,  # codeLimit64, execSegBase/Limit/Flags
    )  # fmt: skip
    return head[:fixed] + ident + team_b


def code_signature(
    identifier: str = "com.example.app",
    team: str = "",
    adhoc: bool = True,
    entitlements: dict[str, bool] | None = None,
    signer: str = "",
) -> bytes:
    """A SuperBlob: CodeDirectory, optional entitlements plist, and a CMS slot that is empty
    (ad-hoc) or holds only a DER string with ``signer`` as a certificate would (a shape, not
    a signature)."""
    blobs = [(0, _code_directory(identifier, team, 0x2 if adhoc else 0x10000))]
    if entitlements:
        import plistlib

        plist = plistlib.dumps(entitlements)
        blobs.append((5, struct.pack(">II", 0xFADE7171, 8 + len(plist)) + plist))
    cms = b""
    if signer:
        name = signer.encode()
        cms = b"\x30\x0b\x06\x03\x55\x04\x03" + b"\x0c" + bytes([len(name)]) + name
    blobs.append((0x10000, struct.pack(">II", 0xFADE0B01, 8 + len(cms)) + cms))
    return _superblob(blobs)


def macho(
    cpu: int = CPU_X86_64,
    dylibs: Sequence[str] = ("/usr/lib/libSystem.B.dylib",),
    rpaths: Sequence[str] = (),
    signature: bytes | None = None,
) -> bytes:
    """A thin 64-bit Mach-O executable: ``__TEXT`` (one ``ret``), ``__LINKEDIT`` holding the
    code signature if any, the given LC_LOAD_DYLIB and LC_RPATH commands, LC_MAIN."""
    commands: list[bytes] = []
    for path in dylibs:
        commands.append(
            _lc_str(_LC_LOAD_DYLIB, struct.pack("<IIII", 24, 2, 0x10000, 0x10000), path)
        )
    for path in rpaths:
        commands.append(_lc_str(_LC_RPATH, struct.pack("<I", 12), path))
    sizeof_seg = 72
    n_fixed = 2 + 1 + (1 if signature is not None else 0)  # segments, LC_MAIN, code signature
    sizeofcmds = 2 * sizeof_seg + 24 + (16 if signature is not None else 0)
    sizeofcmds += sum(len(c) for c in commands)
    text_size = _align(32 + sizeofcmds + 1, 0x1000)
    code_offset = 32 + sizeofcmds
    sig = signature or b""
    linkedit_size = _align(max(len(sig), 1), 16)
    text = struct.pack(
        "<II16sQQQQiiII", _LC_SEGMENT_64, sizeof_seg, b"__TEXT", 0x100000000, text_size,
        0, text_size, 5, 5, 0, 0,
    )  # fmt: skip
    linkedit = struct.pack(
        "<II16sQQQQiiII", _LC_SEGMENT_64, sizeof_seg, b"__LINKEDIT", 0x100000000 + text_size,
        0x1000, text_size, linkedit_size, 1, 1, 0, 0,
    )  # fmt: skip
    main = struct.pack("<IIQQ", _LC_MAIN, 24, code_offset, 0)
    cmds = [text, linkedit, *commands, main]
    if signature is not None:
        cmds.append(struct.pack("<IIII", _LC_CODE_SIGNATURE, 16, text_size, len(sig)))
    ncmds = len(commands) + n_fixed
    header = struct.pack("<IIIIIIII", 0xFEEDFACF, cpu, 3, MH_EXECUTE, ncmds, sizeofcmds, 0x85, 0)
    body = header + b"".join(cmds) + b"\xc3"
    body += bytes(text_size - len(body))
    return body + sig + bytes(linkedit_size - len(sig))


def universal(*slices: bytes) -> bytes:
    """A universal (fat) binary of thin Mach-O ``slices``, each aligned to 4 KiB."""
    header = struct.pack(">II", 0xCAFEBABE, len(slices))
    offset = _align(8 + 20 * len(slices), 0x1000)
    table = b""
    body = b""
    for thin in slices:
        cpu = struct.unpack_from("<I", thin, 4)[0]
        table += struct.pack(">IIIII", cpu, 3, offset + len(body), len(thin), 12)
        body += thin + bytes(_align(len(thin), 0x1000) - len(thin))
    return header + table + bytes(offset - 8 - len(table)) + body


def adhoc_macho() -> bytes:
    """An ad-hoc signed executable (what ``codesign -s -`` or the arm64 linker produces)."""
    return macho(signature=code_signature(adhoc=True))


def developer_id_macho() -> bytes:
    """Signed the way a distributed app is: Developer ID common name, team identifier,
    hardened runtime, no risky entitlement."""
    return macho(
        signature=code_signature(
            team="A1B2C3D4E5",
            adhoc=False,
            signer="Developer ID Application: Example Corp (A1B2C3D4E5)",
        )
    )


def injected_dylib_macho() -> bytes:
    """A trojanised app's executable: a library from its Resources folder and one from /tmp,
    library validation disabled, ad-hoc signed."""
    return macho(
        dylibs=(
            "/usr/lib/libSystem.B.dylib",
            "@executable_path/../Resources/libupdate.dylib",
            "/tmp/.cache/libhelper.dylib",  # noqa: S108 (a path in a fixture, not a file)
        ),
        signature=code_signature(
            entitlements={
                "com.apple.security.cs.disable-library-validation": True,
                "com.apple.security.get-task-allow": True,
            }
        ),
    )


def universal_macho() -> bytes:
    """A universal unsigned executable for x86_64 and arm64."""
    return universal(macho(CPU_X86_64), macho(CPU_ARM64, signature=code_signature()))


# --- ELF ----------------------------------------------------------------------------------


def elf(
    interpreter: str | None = "/lib64/ld-linux-x86-64.so.2",
    sections: bool = True,
    wx: bool = False,
    upx: bool = False,
) -> bytes:
    """A 64-bit x86-64 ELF executable: PT_INTERP (if ``interpreter``), one PT_LOAD (R+X, or
    R+W+X with ``wx``), a section table (``.interp``, ``.text``, ``.shstrtab``) unless
    ``sections`` is false, and UPX's ``UPX!`` mark after the headers with ``upx``."""
    interp = (interpreter.encode() + b"\0") if interpreter else b""
    n_ph = 2 if interp else 1
    ph_off = 64
    data_off = ph_off + 56 * n_ph
    interp_off = data_off
    text_off = _align(interp_off + len(interp) + (8 if upx else 0), 16)
    code = b"\xc3"
    shstr = b"\0.interp\0.text\0.shstrtab\0"
    shstr_off = text_off + len(code)
    sh_off = _align(shstr_off + len(shstr), 8)
    total_end = sh_off + (64 * 4 if sections else 0)
    base = 0x400000
    phdrs = b""
    if interp:
        phdrs += struct.pack("<IIQQQQQQ", 3, 4, interp_off, base + interp_off,
                             base + interp_off, len(interp), len(interp), 1)  # fmt: skip
    flags = 7 if wx else 5
    phdrs += struct.pack("<IIQQQQQQ", 1, flags, 0, base, base, total_end, total_end, 0x1000)
    header = struct.pack(
        "<16sHHIQQQIHHHHHH",
        b"\x7fELF\x02\x01\x01" + bytes(9),
        2, 0x3E, 1, base + text_off, ph_off, sh_off if sections else 0, 0,
        64, 56, n_ph, 64, 4 if sections else 0, 3 if sections else 0,
    )  # fmt: skip
    body = bytearray(header + phdrs + interp)
    if upx:
        body += b"UPX!" + bytes(4)
    body += bytes(text_off - len(body)) + code + shstr
    body += bytes(sh_off - len(body))
    if sections:
        body += bytes(64)  # the null section
        body += struct.pack("<IIQQQQIIQQ", 1, 1, 2, base + interp_off, interp_off,
                            len(interp), 0, 0, 1, 0)  # fmt: skip
        body += struct.pack("<IIQQQQIIQQ", 9, 1, 6, base + text_off, text_off, len(code),
                            0, 0, 16, 0)  # fmt: skip
        body += struct.pack("<IIQQQQIIQQ", 15, 3, 0, 0, shstr_off, len(shstr), 0, 0, 1, 0)
    return bytes(body)


def odd_loader_elf() -> bytes:
    """An executable whose program interpreter is a file in /tmp."""
    return elf(interpreter="/tmp/.X11-unix/ld.so")  # noqa: S108 (a string in a fixture)


def sstripped_elf() -> bytes:
    """A static executable with no section table and a writable+executable segment: the
    layout UPX and sstrip leave."""
    return elf(interpreter=None, sections=False, wx=True, upx=True)
