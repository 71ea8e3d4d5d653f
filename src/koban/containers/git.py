"""Every version ever committed: a key deleted in a later commit is still exposed in history.

Read through the ``git`` command line with two streaming plumbing calls (``git log --raw`` to
learn which blob appeared where and when, ``git cat-file --batch`` to read them), never one
process per blob. The repository being scanned is untrusted: its config must not make us run
anything. Only read-only plumbing runs; system and global config are ignored; the config keys
that can start programs during these commands (fsmonitor, signature display, hooks) are
overridden on the command line; replace refs are ignored so history cannot be masked.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import subprocess
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from koban.containers.archives import expand_bytes, safe_name
from koban.containers.blob import Blob, Problem
from koban.containers.limits import DEFAULT_LIMITS, Limits

_NULL_SHA = "0" * 40
_BLOB_MODES = ("100644", "100755", "100664")  # regular files (not links 120000, submodules 160000)


@dataclass(slots=True)
class _Version:
    """A blob first seen at ``path`` in ``commit`` (oldest first), plus later paths it had."""

    sha: str
    path: str
    commit: str
    paths: set[str] = field(default_factory=set)


def _environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(
        GIT_CONFIG_NOSYSTEM="1",
        GIT_CONFIG_GLOBAL=os.devnull,
        GIT_TERMINAL_PROMPT="0",
        GIT_OPTIONAL_LOCKS="0",
        GIT_PAGER="cat",
        LC_ALL="C",
    )
    return env


def _command(repo: Path, *args: str) -> list[str]:
    return [
        "git",
        "--no-replace-objects",
        "-C",
        os.fspath(repo),
        # Global config is ignored (GIT_CONFIG_GLOBAL), so repositories owned by another user
        # (a backup, a CI checkout) need this; nothing below executes what their config names.
        "-c",
        f"safe.directory={os.fspath(repo.resolve())}",
        "-c",
        "core.fsmonitor=false",
        "-c",
        "core.hooksPath=/dev/null",
        "-c",
        "log.showSignature=false",
        "-c",
        "gpg.program=false",
        *args,
    ]


def _split_nul(stream: IO[bytes]) -> Iterator[bytes]:
    """NUL-terminated records of a stream, read in large chunks."""
    pending = b""
    while chunk := stream.read(1 << 16):
        pending += chunk
        *records, pending = pending.split(b"\x00")
        yield from records
    if pending:
        yield pending


def _versions(stream: IO[bytes]) -> Iterator[tuple[str, str, str]]:
    """(blob, path, commit) for every blob added or modified, oldest commit first."""
    commit = ""
    meta: bytes | None = None
    for raw in _split_nul(stream):
        record = raw.lstrip(b"\n")
        if meta is not None:
            fields = meta.split()
            # :old_mode new_mode old_sha new_sha status
            if len(fields) >= 5 and fields[1].decode() in _BLOB_MODES:
                sha = fields[3].decode()
                if sha != _NULL_SHA:
                    yield sha, record.decode("utf-8", errors="surrogateescape"), commit
            meta = None
        elif record.startswith(b"\x01"):
            commit = record[1:].decode()
        elif record.startswith(b":"):
            meta = record


def _blob_id(data: bytes) -> str:
    """The id git gives this content (SHA-1 of ``blob <size>\\0`` and the bytes)."""
    h = hashlib.sha1(b"blob %d\x00" % len(data), usedforsecurity=False)
    h.update(data)
    return h.hexdigest()


class _WorkTree:
    """Blob ids of the current files, hashed only for paths whose size matches a blob's."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._sizes: dict[str, int | None] = {}  # None: absent, a link or not a regular file
        self._ids: dict[str, str] = {}

    def has(self, path: str, sha: str, size: int) -> bool:
        if path not in self._sizes:
            try:
                st = (self.root / path).lstat()
                regular = stat.S_ISREG(st.st_mode)
                self._sizes[path] = st.st_size if regular else None
            except (OSError, ValueError):
                self._sizes[path] = None
        if self._sizes[path] != size:
            return False
        if path not in self._ids:
            try:
                self._ids[path] = _blob_id((self.root / path).read_bytes())
            except OSError:
                self._ids[path] = ""
        return self._ids[path] == sha


def _feed(stream: IO[bytes], lines: Iterable[str]) -> None:
    """Write requests to a git batch process from a thread (its output is read meanwhile)."""
    try:
        for line in lines:
            stream.write(line.encode() + b"\n")
        stream.close()
    except (BrokenPipeError, ValueError, OSError):
        pass


def _batch(
    repo: Path, env: dict[str, str], mode: str, shas: list[str]
) -> Iterator[tuple[str, int, bytes | None]]:
    """(sha, size, content) from ``git cat-file --batch`` (content None for ``--batch-check``)."""
    proc = subprocess.Popen(
        _command(repo, "cat-file", f"--{mode}"),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    assert proc.stdin is not None and proc.stdout is not None
    feeder = threading.Thread(target=_feed, args=(proc.stdin, shas), daemon=True)
    feeder.start()
    try:
        for _ in shas:
            header = proc.stdout.readline().split()
            if len(header) < 3:
                continue  # "<sha> missing" for an object absent from a damaged repository
            sha, size = header[0].decode(), int(header[2])
            if mode == "batch":
                content = proc.stdout.read(size)
                proc.stdout.read(1)  # the newline after the content
                yield sha, size, content
            else:
                yield sha, size, None
    finally:
        proc.kill()
        proc.wait()
        feeder.join(timeout=1)
        proc.stdout.close()
        if not proc.stdin.closed:
            proc.stdin.close()


def git_history(
    repo: Path,
    limits: Limits = DEFAULT_LIMITS,
    *,
    text: bool = True,
    display: str = "",
) -> Iterator[Blob | Problem]:
    """Each distinct blob committed on any ref, once, with the path it had and the commit that
    introduced it; archives among them expanded. Blobs identical to the current file at one of
    their paths are skipped: the file walk scans them. ``display`` prefixes paths (the
    repository's place in the input). Problems: git missing, repository unreadable, bounds.
    """
    where = display or "."
    prefix = f"{display}/" if display else ""
    if shutil.which("git") is None:
        yield Problem(where, "git is not installed: history not scanned")
        return
    env = _environment()
    log = subprocess.Popen(
        _command(
            repo,
            "log",
            "--all",
            "--reverse",
            "--raw",
            "-m",
            "-z",
            "--no-abbrev",
            "--no-renames",
            "--no-textconv",
            "--no-ext-diff",
            "--no-show-signature",
            "--format=%x01%H",
        ),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    assert log.stdout is not None and log.stderr is not None
    errors: list[bytes] = []
    # Drained by a thread: a chatty stderr must not fill its pipe while we read stdout.
    stderr = log.stderr
    drain = threading.Thread(target=lambda: errors.append(stderr.read()), daemon=True)
    drain.start()
    versions: dict[str, _Version] = {}
    try:
        for sha, path, commit in _versions(log.stdout):
            path = safe_name(path)
            known = versions.get(sha)
            if known is None:
                versions[sha] = _Version(sha, path, commit, {path})
            else:
                known.paths.add(path)
    finally:
        log.stdout.close()
        rc = log.wait()
        drain.join(timeout=5)
        stderr.close()
    error = b"".join(errors).decode("utf-8", errors="replace").strip()
    if rc != 0:
        first = error.splitlines()[0] if error else f"git exited with status {rc}"
        yield Problem(where, f"git history not readable: {first}")
        return
    if not versions:
        return
    tree = _WorkTree(repo)
    wanted: list[str] = []
    for sha, size, _ in _batch(repo, env, "batch-check", list(versions)):
        version = versions[sha]
        if any(tree.has(p, sha, size) for p in version.paths):
            continue
        if size > limits.max_file_bytes:
            yield Problem(
                prefix + version.path,
                f"historical version ({size} bytes, commit {commit_short(version.commit)}) exceeds "
                f"the {limits.max_file_bytes}-byte file limit: not read",
                limit=True,
            )
            continue
        wanted.append(sha)
    for sha, _, content in _batch(repo, env, "batch", wanted):
        version = versions[sha]
        yield from expand_bytes(
            content or b"",
            prefix + version.path,
            limits,
            text=text,
            origin="git",
            commit=version.commit,
        )


def commit_short(commit: str) -> str:
    return commit[:12]
