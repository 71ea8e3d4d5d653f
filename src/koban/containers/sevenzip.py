"""py7zr output kept in memory: 7z members are never written to disk, and never beyond a cap.

Separate from ``archives`` so that py7zr (slow to import) loads only when a 7z archive is met.
"""

from __future__ import annotations

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
