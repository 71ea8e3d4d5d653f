"""Harmless files for the identification rules: a program that does nothing, scripts that
only print, a disk image with nothing on it."""

from __future__ import annotations

import struct


def program() -> bytes:
    """A minimal PE header (``MZ`` + ``PE\\0\\0`` + COFF header, no code): what libmagic and
    our signatures call a Windows program, and nothing Windows could run."""
    dos = bytearray(64)
    dos[:2] = b"MZ"
    struct.pack_into("<I", dos, 0x3C, 64)
    coff = struct.pack("<HHIIIHH", 0x14C, 0, 0, 0, 0, 0, 0x0102)
    return bytes(dos) + b"PE\x00\x00" + coff + bytes(64)


def vbscript() -> bytes:
    """A VBScript that only shows a message box."""
    return (
        b'Option Explicit\r\nDim shell\r\nSet shell = CreateObject("WScript.Shell")\r\n'
        b'WScript.Echo "hello from a documentation example"\r\n'
    )


def disk_image() -> bytes:
    """An ISO 9660 primary volume descriptor and nothing else."""
    pvd = b"\x01CD001\x01\x00" + b"EXAMPLE".ljust(32) + b"EMPTY_VOLUME".ljust(32)
    return bytes(0x8000) + pvd.ljust(2048, b"\x00") + b"\xffCD001\x01".ljust(2048, b"\x00")
