"""Shared helpers for importers: transparent decompression, dates, options."""

from __future__ import annotations

import bz2
import datetime as dt
import gzip
import lzma
import re
from dataclasses import dataclass
from pathlib import Path
from typing import IO, cast

from koban.errors import InputError
from koban.intel.records import Batch, Record

_MAGIC = {b"BZh": "bz2", b"\x1f\x8b": "gzip", b"\xfd7zXZ\x00": "xz"}


@dataclass(frozen=True)
class ImportOptions:
    source: str | None = None  # override the source name
    as_of: str | None = None  # YYYY-MM-DD, when the file does not say
    ticker: str | None = None  # for ticker lists whose name does not say
    attribution: str | None = None  # for lists with no attribution of their own (CSV)


def open_binary(path: Path) -> IO[bytes]:
    """Open ``path`` for reading, decompressing bzip2, gzip and xz by their magic bytes."""
    try:
        with path.open("rb") as f:
            magic = f.read(6)
    except OSError as exc:
        raise InputError(str(path), f"cannot read: {exc.strerror}") from exc
    for prefix, codec in _MAGIC.items():
        if magic.startswith(prefix):
            if codec == "bz2":
                return cast(IO[bytes], bz2.open(path, "rb"))
            if codec == "gzip":
                return cast(IO[bytes], gzip.open(path, "rb"))
            return cast(IO[bytes], lzma.open(path, "rb"))
    return path.open("rb")


def read_head(path: Path, size: int = 8192) -> bytes:
    if path.is_dir():
        return b""
    with open_binary(path) as f:
        try:
            return f.read(size)
        except (OSError, EOFError, lzma.LZMAError) as exc:
            raise InputError(str(path), f"corrupt compressed file: {exc}") from exc


def read_text(path: Path, limit: int = 512 * 1024 * 1024) -> str:
    with open_binary(path) as f:
        try:
            data = f.read(limit + 1)
        except (OSError, EOFError, lzma.LZMAError) as exc:
            raise InputError(str(path), f"corrupt compressed file: {exc}") from exc
    if len(data) > limit:
        raise InputError(str(path), f"larger than {limit // 2**20} MiB")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(str(path), f"not UTF-8 text (byte {exc.start})") from exc


_DATE_IN_PATH = re.compile(r"(20\d\d)-(0[1-9]|1[0-2])-([0-2]\d|3[01])")


def iso_date(value: str, source: str) -> str:
    """``YYYY-MM-DD`` from an ISO date or timestamp, or an InputError naming ``source``."""
    text = value.strip()
    try:
        if re.fullmatch(r"\d{10}(\.\d+)?", text):  # unix time (MISP timestamps)
            return dt.datetime.fromtimestamp(float(text), dt.UTC).date().isoformat()
        return dt.date.fromisoformat(text[:10]).isoformat()
    except ValueError:
        raise InputError(source, f"not a date: {value!r}") from None


def resolve_as_of(path: Path, options: ImportOptions, found: str | None = None) -> tuple[str, str]:
    """(date, basis): the export's own date, else --as-of, else a date in the path, else mtime."""
    if options.as_of:
        return iso_date(options.as_of, "--as-of"), "option"
    if found:
        return found, "export"
    dates = _DATE_IN_PATH.findall(str(path))
    if dates:
        return "-".join(dates[-1]), "path"
    mtime = dt.datetime.fromtimestamp(path.stat().st_mtime, dt.UTC).date().isoformat()
    return mtime, "mtime"


def file_batch(
    path: Path,
    options: ImportOptions,
    *,
    fmt: str,
    source: str,
    records: list[Record],
    found: str | None = None,
    scope: str = "",
    details: dict[str, str] | None = None,
    problems: list[str] | None = None,
) -> Batch:
    """The batch one file makes: ``--source`` overrides ``source``; dated by resolve_as_of."""
    as_of, basis = resolve_as_of(path, options, found)
    return Batch(
        source=options.source or source,
        scope=scope,
        as_of=as_of,
        as_of_basis=basis,
        format=fmt,
        origin=str(path),
        records=records,
        details=details or {},
        problems=problems or [],
    )
