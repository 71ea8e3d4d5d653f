"""Recursive, bounded expansion of one input: the file, then its archive members, in memory.

Archives are recognised by content (magic bytes), never by extension: a zip renamed ``.jpg`` is
still opened, and a ``.zip`` that is not one is just a file. Everything is read in memory: no
member is ever written to disk, so hostile names (``../../.bashrc``, ``C:\\Windows\\...``) can only
affect display paths, which are neutralised. Links inside archives are not followed. Every bound
of :class:`~koban.containers.limits.Limits` that stops the walk is reported as a
``Problem(limit=True)`` naming the member and the bound; a corrupt archive is a ``Problem`` too,
and the members before (and, for zip and 7z, after) the damage are still walked.
"""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import re
import stat
import tarfile
import zipfile
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Final

from koban.containers.blob import Blob, Problem
from koban.containers.documents import (
    PdfEncrypted,
    TextLimit,
    is_pdf,
    office_kind,
    office_text,
    pdf_text,
)
from koban.containers.limits import DEFAULT_LIMITS, Budget, Limits

if TYPE_CHECKING:
    from koban.containers.sevenzip import CappedBuffer

_CHUNK = 64 * 1024
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_DRIVE = re.compile(r"^[A-Za-z]:")


def sniff(data: bytes) -> str | None:
    """The container format of ``data`` by its magic bytes: zip, tar, gzip, bzip2, xz, 7z."""
    head = data[:8]
    if head[:4] in (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08"):
        return "zip"
    if head[:2] == b"\x1f\x8b":
        return "gzip"
    if head[:3] == b"BZh" and head[3:4].isdigit() and data[4:10] in (b"1AY&SY", b"\x17rE8P\x90"):
        return "bzip2"
    if head[:6] == b"\xfd7zXZ\x00":
        return "xz"
    if head[:6] == b"7z\xbc\xaf\x27\x1c":
        return "7z"
    if len(data) >= 512 and (data[257:262] == b"ustar" or _v7_tar_header(data)):
        return "tar"
    return None


def _v7_tar_header(data: bytes) -> bool:
    """Pre-POSIX tar has no magic: recognise its header by a valid checksum and a name."""
    if data[0] == 0:
        return False
    field = data[148:156].replace(b"\x00", b" ").strip()
    if not field or not field.isdigit() or b"8" in field or b"9" in field:
        return False
    return int(field, 8) == sum(data[:148]) + 8 * 32 + sum(data[156:512])


def safe_name(name: str) -> str:
    """A member name as a display path that cannot climb out: no ``..``, root or drive letter.

    Control characters (which could forge lines in a text report) become ``?``.
    """
    parts: list[str] = []
    for part in name.replace("\\", "/").split("/"):
        if not parts:
            part = _DRIVE.sub("", part)
        if part in ("", ".", ".."):
            continue
        parts.append(part)
    return _CONTROL.sub("?", "/".join(parts)) or "_"


def _climbs(name: str) -> bool:
    """A member name that points outside the extraction directory (``..``, drive letter)."""
    return bool(_DRIVE.match(name)) or ".." in name.replace("\\", "/").split("/")


def _7z_key(name: str) -> str:
    """The name py7zr hands its writer factory for a member (leading ``/`` and ``.`` dropped)."""
    return "/".join(p for p in name.split("/") if p not in ("", "."))


def _why(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text if len(text) <= 200 else text[:197] + "..."


def _size(n: int) -> str:
    for unit, factor in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= factor:
            return f"{n / factor:.4g} {unit}"
    return f"{n} B"


class _Opened:
    """Marker an opener yields once the archive's structure parsed (before its members)."""


_OPENED: Final = _Opened()


class _Bound(Exception):
    """A decompressed stream outgrew its bound (ratio or total); the message names the bound."""


class _CappedReader(io.RawIOBase):
    """A decompressing stream that raises :class:`_Bound` past ``cap`` output bytes."""

    def __init__(self, raw: io.BufferedIOBase, cap: int, why: str) -> None:
        self._raw = raw
        self._cap = cap
        self._why = why
        self.produced = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview | bytearray) -> int:  # type: ignore[override]
        data = self._raw.read(len(buffer))
        self.produced += len(data)
        if self.produced > self._cap:
            raise _Bound(self._why)
        buffer[: len(data)] = data
        return len(data)


def _read_upto(reader: io.RawIOBase, n: int) -> bytes:
    """Up to ``n`` bytes: raw reads may return less than asked before the end."""
    parts: list[bytes] = []
    got = 0
    while got < n and (part := reader.read(n - got)):
        parts.append(part)
        got += len(part)
    return b"".join(parts)


def _decompressor(kind: str, data: bytes) -> io.BufferedIOBase:
    source = io.BytesIO(data)
    if kind == "gzip":
        return gzip.GzipFile(fileobj=source, mode="rb")
    if kind == "bzip2":
        return bz2.BZ2File(source, mode="rb")
    return lzma.LZMAFile(source, mode="rb")


_STRIP_SUFFIXES: Final = {
    "gzip": (".gz", ".gzip", ".z"),
    "bzip2": (".bz2", ".bzip2", ".bz"),
    "xz": (".xz", ".lzma"),
}
_SHORT_SUFFIXES: Final = {".tgz": ".tar", ".tbz2": ".tar", ".tbz": ".tar", ".txz": ".tar"}


def _gzip_name(data: bytes) -> str | None:
    """The original file name stored in a gzip header (FNAME), if any."""
    flags = data[3] if len(data) > 3 else 0
    if not flags & 0x08:
        return None
    pos = 10
    if flags & 0x04:  # FEXTRA
        if len(data) < 12:
            return None
        pos += 2 + int.from_bytes(data[10:12], "little")
    end = data.find(b"\x00", pos, pos + 1024)
    if end <= pos:
        return None
    return data[pos:end].decode("latin-1").rsplit("/", 1)[-1] or None


def _inner_name(kind: str, path: str, data: bytes) -> str:
    """What a compressed stream decompresses to: ``a.txt.gz`` holds ``a.txt``."""
    if kind == "gzip" and (stored := _gzip_name(data)):
        return stored
    base = path.rsplit("!", 1)[-1].rsplit("/", 1)[-1]
    lower = base.lower()
    for suffix, replacement in _SHORT_SUFFIXES.items():
        if lower.endswith(suffix):
            return base[: -len(suffix)] + replacement
    for suffix in _STRIP_SUFFIXES[kind]:
        if lower.endswith(suffix) and len(base) > len(suffix):
            return base[: -len(suffix)]
    return base + ".out"


def _zip_name(info: zipfile.ZipInfo) -> str:
    """Member names without the UTF-8 flag were decoded as CP437; Japanese Windows wrote CP932."""
    name = info.filename
    if info.flag_bits & 0x800 or name.isascii():
        return name
    try:
        raw = name.encode("cp437")
    except UnicodeEncodeError:
        return name
    for encoding in ("utf-8", "cp932"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return name


class _Walker:
    """One top-level input's expansion: its budget, depth and the commit it came from."""

    def __init__(
        self, limits: Limits, text: bool, commit: str | None, passwords: tuple[bytes, ...] = ()
    ) -> None:
        self.limits = limits
        self.text = text
        self.commit = commit
        self.passwords = passwords
        self.budget = Budget.start(limits)
        self.fitting: bytes | None = None  # the password that opened the last encrypted member
        self.stopped = False  # a bound for the whole input was reached and reported

    # -- bounds ---------------------------------------------------------------------------

    def _time_up(self, path: str) -> Problem | None:
        if self.stopped or not self.budget.out_of_time():
            return None
        self.stopped = True
        return Problem(
            path,
            f"time limit of {self.limits.max_seconds:g} s per input reached: rest not walked",
            limit=True,
            stopped=True,
        )

    def _take(self, path: str, n: int) -> Problem | None:
        if self.budget.take(n):
            return None
        self.stopped = True
        return Problem(
            path,
            f"total extracted size limit of {_size(self.limits.max_total_bytes)} reached: "
            "rest of the input not walked",
            limit=True,
            stopped=True,
        )

    def _member_bounds(self, path: str, size: int, compressed: int | None) -> Problem | None:
        """Per-member checks on declared sizes, before any byte is decompressed."""
        limits = self.limits
        if size > limits.max_member_bytes:
            return Problem(
                path,
                f"member of {_size(size)} exceeds the {_size(limits.max_member_bytes)} "
                "member limit: not read",
                limit=True,
            )
        if (
            compressed is not None
            and size > limits.ratio_grace_bytes
            and size > limits.max_ratio * max(compressed, 1)
        ):
            return Problem(
                path,
                f"compression ratio {size / max(compressed, 1):.0f}:1 exceeds the "
                f"{limits.max_ratio:g}:1 limit (decompression bomb?): not read",
                limit=True,
            )
        return None

    # -- walking --------------------------------------------------------------------------

    def blob(
        self, data: bytes, path: str, origin: str, depth: int, encrypted: bool = False
    ) -> Iterator[Blob | Problem]:
        kind = sniff(data)
        if kind is None:
            yield Blob(path, data, self.commit, origin, encrypted=encrypted)
            if self.text and is_pdf(data) and not self.stopped:
                yield from self._pdf(data, path)
            return
        if self.stopped:
            yield Blob(path, data, self.commit, origin, encrypted=encrypted)
            return
        if depth >= self.limits.max_depth:
            yield Blob(path, data, self.commit, origin, encrypted=encrypted)
            yield Problem(
                path,
                f"{kind} archive nested deeper than the {self.limits.max_depth}-level depth "
                "limit: not opened",
                limit=True,
            )
            return
        if problem := self._time_up(path):
            yield Blob(path, data, self.commit, origin, encrypted=encrypted)
            yield problem
            return
        if kind == "zip":
            items = self._zip(data, path, depth)
        elif kind == "tar":
            items = self._tar(io.BytesIO(data), path, depth)
        elif kind == "7z":
            items = self._7z(data, path, depth)
        else:
            items = self._compressed(kind, data, path, depth)
        first = next(items, None)
        container = kind if first is _OPENED else None
        yield Blob(path, data, self.commit, origin, container, encrypted)
        if isinstance(first, Blob | Problem):
            yield first
        for item in items:
            if not isinstance(item, _Opened):
                yield item

    def _member(
        self, data: bytes, path: str, depth: int, encrypted: bool = False
    ) -> Iterator[Blob | Problem]:
        yield from self.blob(data, path, "member", depth + 1, encrypted)

    # -- zip ------------------------------------------------------------------------------

    def _zip(self, data: bytes, path: str, depth: int) -> Iterator[Blob | Problem | _Opened]:
        try:
            zf = zipfile.ZipFile(io.BytesIO(data))
            infos = zf.infolist()
        except Exception as exc:
            yield Problem(path, f"corrupt zip archive: {_why(exc)}")
            return
        yield _OPENED
        with zf:
            if self.text:
                yield from self._office(zf, path)
            if len(infos) > self.limits.max_members:
                yield Problem(
                    path,
                    f"{len(infos)} members exceed the {self.limits.max_members}-member limit: "
                    f"only the first {self.limits.max_members} walked",
                    limit=True,
                )
                infos = infos[: self.limits.max_members]
            for index, info in enumerate(infos):
                if problem := self._time_up(path):
                    yield problem
                if self.stopped:
                    return
                if info.is_dir() or stat.S_ISLNK(info.external_attr >> 16):
                    continue  # links are never followed; their "content" is a target path
                member = f"{path}!{safe_name(_zip_name(info))}"
                encrypted = bool(info.flag_bits & 0x1)
                if encrypted and not self.passwords:
                    yield Problem(member, "encrypted member: content not read", encrypted=True)
                    continue
                if problem := self._member_bounds(member, info.file_size, info.compress_size):
                    yield problem
                    continue
                if problem := self._take(member, info.file_size):
                    yield problem
                    return
                try:
                    # Bounded by the declared size checked above.
                    content = self._decrypt(data, index) if encrypted else zf.read(info)
                except NotImplementedError as exc:
                    yield Problem(member, f"unsupported zip member: {_why(exc)}")
                    continue
                except Exception as exc:
                    yield Problem(member, f"corrupt zip member: {_why(exc)}")
                    continue
                if content is None:
                    yield Problem(member, self._none_fits(), encrypted=True)
                    continue
                yield from self._member(content, member, depth, encrypted)

    def _none_fits(self) -> str:
        return f"encrypted member: none of the {len(self.passwords)} passwords supplied opens it"

    def _candidates(self) -> tuple[bytes, ...]:
        """The passwords to try, the one that opened the last encrypted member first (the
        members of one archive, and the archives of one message, share a password)."""
        if self.fitting is None:
            return self.passwords
        return (self.fitting, *(p for p in self.passwords if p != self.fitting))

    def _decrypt(self, data: bytes, index: int) -> bytes | None:
        """An encrypted member (ZipCrypto or WinZip AES) read with the first password that fits."""
        import pyzipper  # type: ignore[import-untyped]

        with pyzipper.AESZipFile(io.BytesIO(data)) as zf:
            info = zf.infolist()[index]
            for password in self._candidates():
                try:
                    content: bytes = zf.read(info, pwd=password)
                except (RuntimeError, pyzipper.BadZipFile, zlib.error):
                    # "Bad password", or (ZipCrypto's check byte passes 1 time in 256) a CRC or
                    # inflate error from a wrong key: try the next password.
                    continue
                self.fitting = password
                return content
        return None

    def _office(self, zf: zipfile.ZipFile, path: str) -> Iterator[Blob | Problem]:
        try:
            kind = office_kind(zf)
        except Exception:
            return  # a damaged mimetype member is reported with the members
        if kind is None:
            return

        def read(name: str) -> bytes:
            info = zf.getinfo(name)
            if info.flag_bits & 0x1:
                raise _Bound(f"{name} is encrypted")
            if problem := self._member_bounds(name, info.file_size, info.compress_size):
                raise _Bound(problem.message)
            if problem := self._take(name, info.file_size):
                raise _Bound(problem.message)
            return zf.read(info)

        try:
            content = office_text(zf, kind, read, self.limits.max_text_bytes)
        except TextLimit as full:
            yield Blob(path, full.args[0], self.commit, "text")
            yield Problem(
                path,
                f"document text truncated at the {_size(self.limits.max_text_bytes)} text limit",
                limit=True,
            )
            return
        except _Bound as exc:
            yield Problem(path, f"document text not extracted: {exc}", limit=True)
            return
        except Exception as exc:
            yield Problem(path, f"document text not extracted ({kind}): {_why(exc)}")
            return
        if content.strip():
            yield Blob(path, content, self.commit, "text")

    # -- tar ------------------------------------------------------------------------------

    def _tar(self, stream: IO[bytes], path: str, depth: int) -> Iterator[Blob | Problem | _Opened]:
        try:
            tf = tarfile.open(fileobj=stream, mode="r|")  # noqa: SIM115 - closed below
        except _Bound as exc:
            yield Problem(path, str(exc), limit=True)
            return
        except Exception as exc:
            yield Problem(path, f"corrupt tar archive: {_why(exc)}")
            return
        yield _OPENED
        count = 0
        try:
            for info in tf:
                if problem := self._time_up(path):
                    yield problem
                if self.stopped:
                    return
                count += 1
                if count > self.limits.max_members:
                    yield Problem(
                        path,
                        f"more than {self.limits.max_members} members (member limit): "
                        f"only the first {self.limits.max_members} walked",
                        limit=True,
                    )
                    return
                if not info.isreg():
                    continue  # directories, symlinks, hard links, devices, FIFOs
                member = f"{path}!{safe_name(info.name)}"
                if problem := self._member_bounds(member, info.size, None):
                    yield problem
                    continue
                if problem := self._take(member, info.size):
                    yield problem
                    return
                handle = tf.extractfile(info)
                content = handle.read(info.size) if handle is not None else b""
                yield from self._member(content, member, depth)
        except _Bound as exc:
            yield Problem(path, str(exc), limit=True)
        except Exception as exc:
            yield Problem(path, f"corrupt tar archive after {count} members: {_why(exc)}")
        finally:
            tf.close()

    # -- gzip, bzip2, xz ------------------------------------------------------------------

    def _compressed(
        self, kind: str, data: bytes, path: str, depth: int
    ) -> Iterator[Blob | Problem | _Opened]:
        limits = self.limits
        ratio_cap = max(limits.ratio_grace_bytes, int(limits.max_ratio * len(data)))
        if ratio_cap <= limits.max_total_bytes:
            cap = ratio_cap
            why = (
                f"{kind} stream expands beyond {limits.max_ratio:g} times its size "
                "(decompression bomb?): rest not read"
            )
        else:
            cap = limits.max_total_bytes
            why = f"{kind} stream exceeds the {_size(cap)} total size limit: rest not read"

        def stream() -> _CappedReader:
            return _CappedReader(_decompressor(kind, data), cap, why)

        try:
            head = _read_upto(stream(), 512)
        except _Bound as exc:
            yield Problem(path, str(exc), limit=True)
            return
        except Exception as exc:
            yield Problem(path, f"corrupt {kind} stream: {_why(exc)}")
            return
        if len(head) >= 512 and sniff(head) == "tar":
            # .tar.gz and friends: one level, members named directly under the compressed file.
            yield from self._tar(io.BufferedReader(stream(), _CHUNK), path, depth)
            return
        yield _OPENED
        member = f"{path}!{safe_name(_inner_name(kind, path, data))}"
        chunks: list[bytes] = []
        size = 0
        failure: Problem | None = None
        reader = stream()
        try:
            # Small raw reads: on damage, only the chunk being decompressed is lost.
            while chunk := reader.read(_CHUNK):
                size += len(chunk)
                if size > limits.max_member_bytes:
                    failure = Problem(
                        member,
                        f"decompressed {kind} content exceeds the "
                        f"{_size(limits.max_member_bytes)} member limit: not read",
                        limit=True,
                    )
                    chunks = []
                    break
                chunks.append(chunk)
        except _Bound as exc:
            failure, chunks = Problem(member, str(exc), limit=True), []
        except Exception as exc:  # truncated or damaged: keep what decompressed cleanly
            failure = Problem(member, f"corrupt {kind} stream: {_why(exc)}")
        if failure is not None:
            yield failure
        if not chunks:
            return
        content = b"".join(chunks)
        if problem := self._take(member, len(content)):
            yield problem
            return
        yield from self._member(content, member, depth)

    # -- 7z -------------------------------------------------------------------------------

    def _7z(self, data: bytes, path: str, depth: int) -> Iterator[Blob | Problem | _Opened]:
        import py7zr  # imported on first 7z met: it costs half a second
        from py7zr.exceptions import PasswordRequired

        from koban.containers.sevenzip import KeyDerivationLimit, MemoryFactory, install_key_cache

        install_key_cache()  # keys derived once per password, not once per archive and try
        limits = self.limits

        def open_7z(password: str | None) -> tuple[py7zr.SevenZipFile, list[Any]]:
            archive = py7zr.SevenZipFile(
                io.BytesIO(data), password=password, max_extract_size=max(self.budget.remaining, 1)
            )
            try:
                return archive, archive.list()
            except BaseException:
                archive.close()
                raise

        opened_with: str | None = None  # the password that decrypted the names (headers)
        try:
            archive, infos = open_7z(None)
        except PasswordRequired:
            for password in self._7z_passwords():
                try:
                    archive, infos = open_7z(password)
                except KeyDerivationLimit as exc:  # the same cost for every password: stop
                    yield Problem(path, str(exc), limit=True, encrypted=True)
                    return
                except Exception:  # noqa: S112 - a wrong key garbles the headers: try the next
                    continue
                opened_with = password
                self.fitting = password.encode("utf-8")
                break
            else:
                why = "encrypted 7z archive (names and content): not read"
                if self.passwords:
                    why += f"; none of the {len(self.passwords)} passwords supplied opens it"
                yield Problem(path, why, encrypted=True)
                return
        except Exception as exc:
            yield Problem(path, f"corrupt 7z archive: {_why(exc)}")
            return
        yield _OPENED
        with archive:
            files = [i for i in infos if not i.is_directory and not i.is_symlink]
            if len(files) > limits.max_members:
                yield Problem(
                    path,
                    f"{len(files)} members exceed the {limits.max_members}-member limit: "
                    f"only the first {limits.max_members} walked",
                    limit=True,
                )
                files = files[: limits.max_members]
            total = sum(i.uncompressed or 0 for i in files)
            if total > limits.ratio_grace_bytes and total > limits.max_ratio * len(data):
                yield Problem(
                    path,
                    f"members total {_size(total)}, {total / len(data):.0f} times the archive "
                    f"size, beyond the {limits.max_ratio:g}:1 limit (decompression bomb?): "
                    "not read",
                    limit=True,
                )
                return
            encrypted = bool(archive.needs_password())
            wanted: dict[str, str] = {}  # name in archive -> display path
            for info in files:
                member = f"{path}!{safe_name(info.filename)}"
                if encrypted and opened_with is None and not self.passwords:
                    yield Problem(member, "encrypted member: content not read", encrypted=True)
                    continue
                if _climbs(info.filename):
                    # py7zr refuses such names for the whole extraction: leave this one out.
                    yield Problem(member, "member name climbs out of the archive: not read")
                    continue
                if problem := self._member_bounds(member, info.uncompressed or 0, None):
                    yield problem
                    continue
                if problem := self._take(member, info.uncompressed or 0):
                    yield problem
                    break
                wanted[info.filename] = member
            if not wanted:
                return
            if encrypted and opened_with is None:
                try:
                    products = self._7z_decrypt(open_7z, list(wanted))
                except KeyDerivationLimit as exc:
                    yield Problem(path, str(exc), limit=True, encrypted=True)
                    return
                if products is None:
                    for member in wanted.values():
                        yield Problem(member, self._none_fits(), encrypted=True)
                    return
            else:
                factory = MemoryFactory(limits.max_member_bytes)
                try:
                    archive.extract(targets=list(wanted), factory=factory)
                except Exception as exc:
                    yield Problem(path, f"7z extraction stopped: {_why(exc)}")
                products = factory.products
            for name, member in wanted.items():
                content = products.get(_7z_key(name))
                if content is not None:
                    yield from self._member(content.getvalue(), member, depth, encrypted)

    def _7z_passwords(self) -> Iterator[str]:
        for password in self._candidates():
            try:
                yield password.decode("utf-8")
            except UnicodeDecodeError:
                continue

    def _7z_decrypt(
        self, open_7z: Callable[[str | None], tuple[Any, list[Any]]], targets: list[str]
    ) -> dict[str, CappedBuffer] | None:
        """The members of a 7z whose content (not names) is encrypted, extracted with the first
        supplied password that decrypts them all (a wrong key fails the checksums or the
        decompressor); ``None`` when none does."""
        from koban.containers.sevenzip import KeyDerivationLimit, MemoryFactory

        for password in self._7z_passwords():
            factory = MemoryFactory(self.limits.max_member_bytes)
            try:
                archive, _ = open_7z(password)
                with archive:
                    archive.extract(targets=targets, factory=factory)
            except KeyDerivationLimit:
                raise
            except Exception:  # noqa: S112 - wrong key: try the next
                continue
            self.fitting = password.encode("utf-8")
            return factory.products
        return None

    # -- pdf ------------------------------------------------------------------------------

    def _pdf(self, data: bytes, path: str) -> Iterator[Blob | Problem]:
        try:
            content, note = pdf_text(
                data, self.limits.max_pdf_pages, self.budget, self.limits.max_text_bytes
            )
        except PdfEncrypted as exc:
            yield Problem(path, f"encrypted PDF: text not read ({_why(exc)})")
            return
        except Exception as exc:
            yield Problem(path, f"PDF text not extracted: {_why(exc)}")
            return
        if content.strip():
            yield Blob(path, content, self.commit, "text")
        if note:
            yield Problem(path, note, limit=True)


def expand_bytes(
    data: bytes,
    display: str,
    limits: Limits = DEFAULT_LIMITS,
    *,
    text: bool = True,
    origin: str = "file",
    commit: str | None = None,
    passwords: tuple[bytes, ...] = (),
) -> Iterator[Blob | Problem]:
    """``data`` as a Blob, then, when it is an archive, its members recursively (in memory).

    Used for files, mail attachments and git blobs alike; ``origin`` and ``commit`` label the
    top-level blob (members are ``member`` and inherit ``commit``). ``passwords`` are tried on
    encrypted zip members (lures ship as "password: infected" zips, the password in the mail).
    """
    return _Walker(limits, text, commit, passwords).blob(data, display, origin, 0)


def expand(
    path: Path,
    display: str,
    limits: Limits = DEFAULT_LIMITS,
    *,
    text: bool = True,
    passwords: tuple[bytes, ...] = (),
) -> Iterator[Blob | Problem]:
    """The file at ``path`` (shown as ``display``), then its archive members and document text."""
    try:
        size = path.stat().st_size
        if not path.is_file():
            yield Problem(display, "not a regular file: not read")
            return
        if size > limits.max_file_bytes:
            yield Problem(
                display,
                f"file of {_size(size)} exceeds the {_size(limits.max_file_bytes)} file limit: "
                "not read",
                limit=True,
            )
            return
        with path.open("rb") as handle:
            data = handle.read(limits.max_file_bytes + 1)
    except OSError as exc:
        yield Problem(display, f"cannot read: {exc.strerror or _why(exc)}")
        return
    if len(data) > limits.max_file_bytes:  # grew since stat
        yield Problem(display, f"file exceeds the {_size(limits.max_file_bytes)} file limit", True)
        return
    yield from expand_bytes(data, display, limits, text=text, passwords=passwords)
