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


def test_hostile_key_stretching_is_refused() -> None:
    from koban.containers.sevenzip import MAX_KEY_CYCLES, KeyDerivationLimit

    with pytest.raises(KeyDerivationLimit, match=r"2\^40"):
        calculate_key(b"x\x00", 40, b"", "sha256")
    assert MAX_KEY_CYCLES >= 19  # what 7-Zip writes must stay readable


@pytest.mark.parametrize("header_encryption", [True, False])
def test_walker_reports_the_key_limit_once(
    monkeypatch: pytest.MonkeyPatch, header_encryption: bool
) -> None:
    from koban.containers import sevenzip
    from koban.containers.archives import expand_bytes
    from koban.containers.blob import Problem

    buffer = io.BytesIO()
    with py7zr.SevenZipFile(
        buffer, "w", password="infected", header_encryption=header_encryption
    ) as sz:
        sz.writestr(b"secret content", "a.txt")
    calculate_key.cache_clear()
    monkeypatch.setattr(sevenzip, "MAX_KEY_CYCLES", 18)  # 7-Zip's 2^19 now counts as hostile
    items = list(expand_bytes(buffer.getvalue(), "k.7z", passwords=(b"wrong", b"infected")))
    problems = [i for i in items if isinstance(i, Problem)]
    assert len(problems) == 1
    assert problems[0].limit and problems[0].encrypted
    assert "2^19 key-derivation rounds" in problems[0].message
    calculate_key.cache_clear()
