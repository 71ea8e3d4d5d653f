"""``koban intel update``: fetch the profile's feeds with conditional requests, verify, import.

Per feed the store remembers (table ``feed_http``) the URL, ETag, Last-Modified and sha256 of the
last body it imported. A 304, or a body whose sha256 is unchanged, imports nothing. A new body is
streamed into a temporary folder in ``KOBAN_HOME`` under its URL's file name (so importers can
sniff by name), capped in size, checked against the profile's ``sha256``, imported in one
transaction and deleted. Every problem is reported per feed, names the URL and leaves the store
as it was; the other feeds are still updated.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import hashlib
import os
import re
import shutil
import socket
import sqlite3
import ssl
import tempfile
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import BinaryIO
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

import httpx

from koban import __version__
from koban.errors import InputError, KobanError
from koban.home import data_dir
from koban.intel.importers import ImportOptions
from koban.intel.importing import read_source
from koban.intel.records import YaraRuleFile
from koban.intel.store import ImportResult, IntelStore
from koban.profile import Feed

DEFAULT_MAX_BYTES = 1 << 30  # 1 GiB
USER_AGENT = f"koban/{__version__}"
_CHUNK = 1 << 16
_SHA256 = re.compile(r"[0-9a-f]{64}")
_DATE = re.compile(r"(20\d\d)-(0[1-9]|1[0-2])-([0-2]\d|3[01])")

_SCHEMA = """CREATE TABLE IF NOT EXISTS feed_http(
  name TEXT PRIMARY KEY, url TEXT, etag TEXT, last_modified TEXT, sha256 TEXT, fetched_at TEXT)"""


@dataclass(frozen=True)
class FeedResult:
    """What updating one feed did: ``status`` (one line) on success, else ``error``."""

    name: str
    status: str
    error: str | None = None
    not_modified: bool = False
    imported: tuple[ImportResult, ...] = ()
    problems: tuple[str, ...] = ()  # entries the importer skipped (the rest was imported)


@dataclass(frozen=True)
class FeedState:
    """What the store remembers of a feed's last successful fetch."""

    name: str
    url: str
    etag: str | None
    last_modified: str | None
    sha256: str | None
    fetched_at: str | None


@dataclass(frozen=True)
class _Fetched:
    path: Path | None  # None: not modified (304)
    etag: str | None
    last_modified: str | None
    sha256: str | None
    reason: str = ""  # why not modified


class _FeedError(Exception):
    """A per-feed problem; the message says what, the caller adds the URL."""


def _now() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()


def _ensure_table(db: sqlite3.Connection) -> None:
    db.execute(_SCHEMA)


def feed_states(store: IntelStore) -> dict[str, FeedState]:
    """Every feed's remembered HTTP state, by feed name."""
    db = store.connection
    _ensure_table(db)
    rows = db.execute("SELECT name, url, etag, last_modified, sha256, fetched_at FROM feed_http")
    return {r[0]: FeedState(*r) for r in rows}


def _save_state(db: sqlite3.Connection, state: FeedState) -> None:
    db.execute(
        "INSERT OR REPLACE INTO feed_http(name, url, etag, last_modified, sha256, fetched_at) "
        "VALUES(?,?,?,?,?,?)",
        (state.name, state.url, state.etag, state.last_modified, state.sha256, state.fetched_at),
    )


# -- fetching ----------------------------------------------------------------------------------


def _file_name(url: str) -> str:
    """The URL's file name, made safe as a local file name."""
    name = unquote(PurePosixPath(urlsplit(url).path).name)
    name = re.sub(r"[^A-Za-z0-9._\-]", "_", name)[-120:].lstrip(".")
    return name or "download"


def _date_in_url(url: str) -> str | None:
    found = _DATE.findall(urlsplit(url).path)
    return "-".join(found[-1]) if found else None


def _size(n: int) -> str:
    for unit, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= scale:
            return f"{n / scale:.4g} {unit}"
    return f"{n} bytes"


def _too_large(max_bytes: int, detail: str = "") -> _FeedError:
    return _FeedError(f"larger than the size cap of {_size(max_bytes)}{detail}")


def _copy_capped(chunks: Iterable[bytes], out: BinaryIO, max_bytes: int) -> str:
    """Write ``chunks`` to ``out``; the sha256 of what was written. Over ``max_bytes``: error."""
    digest = hashlib.sha256()
    size = 0
    for chunk in chunks:
        size += len(chunk)
        if size > max_bytes:
            raise _too_large(max_bytes)
        digest.update(chunk)
        out.write(chunk)
    return digest.hexdigest()


def _read_chunks(f: BinaryIO) -> Iterator[bytes]:
    while chunk := f.read(_CHUNK):
        yield chunk


def _fetch_file(url: str, dest: Path, max_bytes: int) -> _Fetched:
    parts = urlsplit(url)
    if parts.netloc not in ("", "localhost"):
        raise _FeedError("a file:// URL must name a local path (file:///path)")
    source = Path(url2pathname(parts.path))
    try:
        if source.is_dir():
            raise _FeedError("is a folder, not a file")
        with source.open("rb") as f, dest.open("wb") as out:
            st = os.fstat(f.fileno())
            if st.st_size > max_bytes:
                raise _too_large(max_bytes)
            sha = _copy_capped(_read_chunks(f), out, max_bytes)
        os.utime(dest, (st.st_atime, st.st_mtime))
    except OSError as exc:
        raise _FeedError(f"cannot read: {exc.strerror or exc}") from exc
    return _Fetched(dest, None, email.utils.formatdate(st.st_mtime, usegmt=True), sha)


def _connect_problem(exc: BaseException, url: str) -> str:
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, ConnectionRefusedError):
            return "connection refused"
        if isinstance(cause, socket.gaierror):
            return f"cannot resolve host {urlsplit(url).hostname!r} ({cause.strerror})"
        if isinstance(cause, ssl.SSLCertVerificationError):
            return f"TLS certificate not trusted ({cause.verify_message})"
        if isinstance(cause, ssl.SSLError):
            return f"TLS error ({cause.reason or cause})"
        if isinstance(cause, OSError) and cause.strerror:
            return f"cannot connect: {cause.strerror[:1].lower()}{cause.strerror[1:]}"
        cause = cause.__cause__ or cause.__context__
    return f"cannot connect: {exc}"


def _set_mtime(path: Path, last_modified: str | None) -> None:
    """Date the download by the server's Last-Modified (importers may use the mtime as as-of)."""
    if not last_modified:
        return
    try:
        when = email.utils.parsedate_to_datetime(last_modified)
    except (TypeError, ValueError):
        return
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    stamp = when.timestamp()
    os.utime(path, (stamp, stamp))


def _fetch_http(
    client: httpx.Client,
    url: str,
    state: FeedState | None,
    dest: Path,
    max_bytes: int,
    timeout: float,
) -> _Fetched:
    headers: dict[str, str] = {}
    if state is not None:
        if state.etag:
            headers["If-None-Match"] = state.etag
        if state.last_modified:
            headers["If-Modified-Since"] = state.last_modified
    try:
        with client.stream("GET", url, headers=headers) as resp:
            etag = resp.headers.get("ETag")
            last_modified = resp.headers.get("Last-Modified")
            if resp.status_code == 304:
                if state is None:
                    raise _FeedError("HTTP 304 Not Modified to an unconditional request")
                reason = "ETag" if "If-None-Match" in headers else "Last-Modified"
                return _Fetched(
                    None,
                    etag or state.etag,
                    last_modified or state.last_modified,
                    state.sha256,
                    reason,
                )
            if resp.status_code not in (200, 203):
                raise _FeedError(f"HTTP {resp.status_code} {resp.reason_phrase}".rstrip())
            length = resp.headers.get("Content-Length", "")
            if length.isdigit() and int(length) > max_bytes:
                raise _too_large(max_bytes, f" (Content-Length {length})")
            with dest.open("wb") as out:
                sha = _copy_capped(resp.iter_bytes(_CHUNK), out, max_bytes)
    except httpx.TimeoutException as exc:
        raise _FeedError(f"timed out after {timeout:g} s") from exc
    except httpx.ConnectError as exc:
        raise _FeedError(_connect_problem(exc, url)) from exc
    except httpx.TooManyRedirects as exc:
        raise _FeedError("too many redirects") from exc
    except (httpx.UnsupportedProtocol, httpx.InvalidURL) as exc:
        raise _FeedError(f"invalid URL ({exc})") from exc
    except httpx.HTTPError as exc:
        raise _FeedError(f"transfer failed: {exc or type(exc).__name__}") from exc
    _set_mtime(dest, last_modified)
    return _Fetched(dest, etag, last_modified, sha)


# -- importing ---------------------------------------------------------------------------------


def _import(store: IntelStore, feed: Feed, path: Path) -> FeedResult:
    """Read then import ``path`` in one transaction, recording the feed's URL as the origin."""
    batches, yara_files, _ = read_source(path, ImportOptions(source=None), forced=feed.format)
    for b in batches:
        b.origin = feed.url
    for y in yara_files:
        y.origin = feed.url
    problems = tuple(p.replace(str(path), feed.url) for b in batches for p in b.problems)
    results = store.import_batches(batches, yara_files)
    status = describe_imports(results, yara_files)
    if problems:
        n = len(problems)
        status += f"; skipped {n} unusable entr{'y' if n == 1 else 'ies'}, e.g. {problems[0]}"
    return FeedResult(feed.name, status, imported=tuple(results), problems=problems)


def describe_imports(
    results: Sequence[ImportResult], yara_files: Sequence[YaraRuleFile] = ()
) -> str:
    """One line: what an import of a feed changed."""
    parts = []
    for r in results:
        scope = f"[{r.scope}]" if r.scope else ""
        text = (
            f"imported {r.source}{scope} as of {r.as_of}: {r.records} indicators, "
            f"{r.added} new, {r.delisted} no longer listed"
        )
        if r.relisted:
            text += f", {r.relisted} listed again"
        if r.older_than_latest:
            text += " (older than the latest import: dates only)"
        parts.append(text)
    if yara_files:
        rules = sum(len(y.rule_names) for y in yara_files)
        parts.append(f"registered {len(yara_files)} YARA files ({rules} rules)")
    return "; ".join(parts) or "imported nothing (the download lists no indicators)"


def _problem(exc: KobanError, feed: Feed, tmp: Path | None) -> str:
    """An importer's error, naming the feed's URL instead of the temporary file."""
    if isinstance(exc, InputError) and tmp is not None and exc.source.startswith(str(tmp)):
        problem = exc.problem.replace(
            "use --format to say which", "set the feed's format in the profile"
        )
        return InputError(
            feed.url, problem, line=exc.line, key=exc.key, position=exc.position
        ).describe()
    return f"{feed.url}: {exc}"


def _update_one(
    store: IntelStore,
    client: httpx.Client,
    feed: Feed,
    state: FeedState | None,
    timeout: float,
    max_bytes: int,
) -> FeedResult:
    db = store.connection
    if state is not None and state.url != feed.url:
        state = None  # a new URL: nothing remembered applies
    expected = feed.sha256.strip().lower() if feed.sha256 else None
    if expected is not None and not _SHA256.fullmatch(expected):
        return FeedResult(
            feed.name, "failed", f"{feed.url}: the profile's sha256 is not a SHA-256 hex digest"
        )
    tmp: Path | None = None
    try:
        date = _date_in_url(feed.url)
        tmp = Path(tempfile.mkdtemp(prefix=f".feed-{date}-" if date else ".feed-", dir=data_dir()))
        dest = tmp / _file_name(feed.url)
        if feed.url.startswith("file://"):
            got = _fetch_file(feed.url, dest, max_bytes)
        else:
            got = _fetch_http(client, feed.url, state, dest, max_bytes, timeout)
        remembered = FeedState(feed.name, feed.url, got.etag, got.last_modified, got.sha256, _now())
        if got.path is None:
            _save_state(db, remembered)
            return FeedResult(feed.name, f"not modified ({got.reason})", not_modified=True)
        if expected is not None and got.sha256 != expected:
            raise _FeedError(f"sha256 mismatch: expected {expected}, got {got.sha256}")
        if state is not None and state.sha256 == got.sha256:
            _save_state(db, remembered)
            return FeedResult(feed.name, "not modified (same sha256)", not_modified=True)
        result = _import(store, feed, got.path)
        _save_state(db, remembered)
        return result
    except _FeedError as exc:
        error = f"{feed.url}: {exc}"
    except KobanError as exc:
        error = _problem(exc, feed, tmp)
    except sqlite3.Error as exc:
        error = f"{feed.url}: store error: {exc}"
    except OSError as exc:
        where = f" ({exc.filename})" if exc.filename else ""
        error = f"{feed.url}: {exc.strerror or exc}{where}"
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
    return FeedResult(feed.name, "failed", error)


def update_feeds(
    store: IntelStore,
    feeds: Sequence[Feed],
    *,
    only: Collection[str] = (),
    timeout: float = 60.0,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> list[FeedResult]:
    """Update ``feeds`` (those named in ``only``, if any): one result per feed, in order, then
    one error per name in ``only`` that no feed has. Never raises for a feed's problem."""
    states = feed_states(store)
    wanted = set(only)
    results: list[FeedResult] = []
    seen: set[str] = set()
    with httpx.Client(
        follow_redirects=True, timeout=timeout, headers={"User-Agent": USER_AGENT}
    ) as client:
        for feed in feeds:
            if wanted and feed.name not in wanted:
                continue
            if feed.name in seen:
                results.append(
                    FeedResult(
                        feed.name,
                        "failed",
                        f"{feed.url}: another feed in the profile has the "
                        "same name; feed names must be unique",
                    )
                )
                continue
            seen.add(feed.name)
            results.append(
                _update_one(store, client, feed, states.get(feed.name), timeout, max_bytes)
            )
    known = {f.name for f in feeds}
    results.extend(
        FeedResult(name, "failed", f"no feed named {name} in the profile")
        for name in sorted(wanted - known)
    )
    return results


__all__ = [
    "DEFAULT_MAX_BYTES",
    "FeedResult",
    "FeedState",
    "describe_imports",
    "feed_states",
    "update_feeds",
]
