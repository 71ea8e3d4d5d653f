"""7z AES keys: koban's derivation gives py7zr's key, and py7zr uses it once installed."""

from __future__ import annotations

import io

import py7zr
import pytest
from py7zr import helpers

from koban.containers.sevenzip import calculate_key, install_key_cache


@pytest.mark.parametrize(
    ("password", "cycles", "salt"),
    [
        ("infected", 19, b""),
        ("pässwörd", 17, bytes(range(16))),
        ("", 16, b""),
        ("x", 5, b"\x01\x02"),
        ("y", 0x3F, b"salt"),
    ],
)
def test_key_is_py7zrs(password: str, cycles: int, salt: bytes) -> None:
    encoded = password.encode("utf-16le")
    assert calculate_key(encoded, cycles, salt, "sha256") == helpers.calculate_key(
        encoded, cycles, salt, "sha256"
    )


def test_installed_derivation_opens_encrypted_archives() -> None:
    install_key_cache()
    buffer = io.BytesIO()
    with py7zr.SevenZipFile(buffer, "w", password="infected", header_encryption=True) as sz:
        sz.writestr(b"secret content", "a.txt")
    calculate_key.cache_clear()
    for _ in range(2):  # the second archive opens with the remembered key
        with py7zr.SevenZipFile(io.BytesIO(buffer.getvalue()), password="infected") as sz:
            assert sz.getnames() == ["a.txt"]
    assert calculate_key.cache_info().hits >= 1
    assert calculate_key.cache_info().misses >= 1
