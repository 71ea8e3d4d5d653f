"""py7zr output kept in memory: 7z members are never written to disk, and never beyond a cap.

Separate from ``archives`` so that py7zr (slow to import) loads only when a 7z archive is met.
"""

from __future__ import annotations

import functools
import hashlib
import io

from py7zr.io import Py7zIO, WriterFactory


class CappedBuffer(Py7zIO):
    """Keeps the first ``cap`` bytes written and drops the rest (declared sizes may lie)."""

    def __init__(self, cap: int) -> None:
        self._buffer = io.BytesIO()
        self._cap = cap

    def write(self, s: bytes | bytearray) -> int:
        room = self._cap - self._buffer.tell()
        if room > 0:
            self._buffer.write(s[:room])
        return len(s)

    def read(self, size: int | None = None) -> bytes:
        return self._buffer.read(size)

    def seek(self, offset: int, whence: int = 0) -> int:
        return self._buffer.seek(offset, whence)

    def flush(self) -> None:
        return None

    def size(self) -> int:
        return self._buffer.getbuffer().nbytes

    def getvalue(self) -> bytes:
        return self._buffer.getvalue()


class MemoryFactory(WriterFactory):
    """Hands py7zr one capped buffer per member, keyed by the (sanitised) member name."""

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.products: dict[str, CappedBuffer] = {}

    def create(self, filename: str) -> Py7zIO:
        product = CappedBuffer(self.cap)
        self.products[filename] = product
        return product


# -- AES key derivation ---------------------------------------------------------------------------
#
# A 7z AES key is SHA-256 over 2**cycles copies of ``salt + password + counter`` (counter: 64-bit
# little-endian, 0 upwards; 2**19 copies, ~20 MB, in every archive 7-Zip writes). py7zr builds
# that stream in Python, 64 copies at a time (~0.3 s a key), and again for every archive and
# every password tried, though the salt is empty in practice: the same few passwords
# ("infected"...) give the same key in every archive. :func:`calculate_key` builds the stream
# with strided slice assignments (C loops) and remembers the last keys; :func:`install_key_cache`
# puts it where py7zr's AES decompressor looks it up. Same inputs, same key: only the cost moves.

_CHUNK_BITS = 16  # copies per hashed chunk: the counter's two low bytes vary within one
# The archive chooses the number of copies. 7-Zip writes 2**19; a hostile archive may ask for up
# to 2**62 (years of hashing per password): more than 2**MAX_KEY_CYCLES is refused.
MAX_KEY_CYCLES = 24


class KeyDerivationLimit(ValueError):
    """The archive asks for more key-derivation work than :data:`MAX_KEY_CYCLES` allows."""

    def __init__(self, cycles: int) -> None:
        super().__init__(
            f"encrypted 7z archive asks for 2^{cycles} key-derivation rounds per password "
            f"(7-Zip uses 2^19; limit 2^{MAX_KEY_CYCLES}): not decrypted"
        )
        self.cycles = cycles


@functools.lru_cache(maxsize=64)
def calculate_key(password: bytes, cycles: int, salt: bytes, digest: str) -> bytes:
    """The 7z AES-256 key of ``password`` (UTF-16LE bytes), as py7zr's ``calculate_key``;
    :class:`KeyDerivationLimit` beyond 2**MAX_KEY_CYCLES rounds (0x3F: no stretching at all)."""
    if MAX_KEY_CYCLES < cycles < 0x3F:
        raise KeyDerivationLimit(cycles)
    if digest != "sha256" or cycles >= 0x3F or cycles < _CHUNK_BITS:
        return _py7zr_key(password, cycles, salt, digest)
    prefix = salt + password
    width = len(prefix) + 8
    copies = 1 << _CHUNK_BITS
    chunk = bytearray(width * copies)
    for i, byte in enumerate(prefix):
        chunk[i::width] = bytes((byte,)) * copies
    low = len(prefix)
    chunk[low::width] = bytes(range(256)) * (copies >> 8)
    chunk[low + 1 :: width] = b"".join(bytes((b,)) * 256 for b in range(256))
    sha = hashlib.sha256()
    for high in range(1 << (cycles - _CHUNK_BITS)):
        for j, byte in enumerate((high << _CHUNK_BITS).to_bytes(8, "little")[2:], start=2):
            chunk[low + j :: width] = bytes((byte,)) * copies
        sha.update(chunk)
    return sha.digest()[:32]


def _py7zr_key(password: bytes, cycles: int, salt: bytes, digest: str) -> bytes:
    from py7zr import helpers

    key: bytes = helpers.calculate_key(password, cycles, salt, digest)
    return key


def install_key_cache() -> None:
    """Make py7zr's AES decompressor derive keys with :func:`calculate_key` (idempotent)."""
    from py7zr import compressor

    if getattr(compressor, "calculate_key", None) is not calculate_key:
        setattr(compressor, "calculate_key", calculate_key)  # noqa: B010 - not exported
