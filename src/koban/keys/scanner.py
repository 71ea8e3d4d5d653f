"""Walk an input, find wallet secrets in every blob, derive what they control; both cores.

The walker (:mod:`koban.containers`) yields files, archive members, documents' text and git
history; each blob is normalised to UTF-8 (UTF-16 and Japanese encodings converted), binary blobs
are skipped, and the prefilter runs all detectors in one pass. What is found leaves the worker as
an :class:`Exposure` (fingerprint, redacted form, derived addresses): the secret itself never
leaves the process that read it and is never rendered.

Files are spread over a pool of forked workers in batches of similar size; git history is one
more job. Small inputs run in-process (a pool costs more than it saves).
"""

from __future__ import annotations

import contextlib
import fnmatch
import hashlib
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field, replace
from functools import cache
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from koban.containers import Limits, expand, git_history
from koban.containers.blob import Blob, Problem
from koban.containers.files import Repo, walk_tree
from koban.containers.text import as_utf8, is_binary
from koban.intel.chains import EVM_CHAINS
from koban.intel.indicators import normalise_address
from koban.keys.derive import Derived, addresses
from koban.keys.detectors import all_detectors
from koban.keys.prefilter import Prefilter
from koban.keys.published import PUBLISHED_KEYS
from koban.keys.redact import redacted
from koban.keys.secret import Secret


def address_key(chain: str, address: str) -> tuple[str, str]:
    """How a derived address and a profile wallet are compared: every EVM chain shares one
    address space (one key, one address), and addresses are normalised as the intel store
    and the profile do."""
    return ("evm" if chain in EVM_CHAINS else chain), normalise_address(address)


@dataclass(frozen=True, slots=True)
class WalletMatch:
    label: str
    address: str
    chain: str


@dataclass(frozen=True, slots=True)
class Exposure:
    """One secret found, as it may be reported: no secret material in here."""

    kind: str
    path: str
    line: int
    commit: str | None
    origin: str
    fingerprint: str
    redacted: str
    detail: dict[str, Any]
    confidence: str
    test_vector: bool
    derived: tuple[Derived, ...] = ()
    wallets: tuple[WalletMatch, ...] = ()


@dataclass(frozen=True)
class Options:
    """What a scan needs; picklable, handed to workers."""

    limits: Limits = field(default_factory=Limits)
    history: bool = True
    derive_count: int = 5
    wallets: tuple[WalletMatch, ...] = ()
    exclude: tuple[str, ...] = ()
    jobs: int = 0  # 0: one worker per core
    engine: str | None = None  # hyperscan | re | None (best available)


@cache
def _prefilter(engine: str | None) -> Prefilter:
    return Prefilter(all_detectors(), engine=engine)


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


@cache
def _wallet_index(wallets: tuple[WalletMatch, ...]) -> dict[tuple[str, str], WalletMatch]:
    return {address_key(w.chain, w.address): w for w in wallets}


def _exposure(secret: Secret, blob: Blob, line: int, options: Options) -> Exposure:
    derived: tuple[Derived, ...] = ()
    matches: tuple[WalletMatch, ...] = ()
    if not secret.test_vector:
        derived = tuple(addresses(secret, options.derive_count))
        index = _wallet_index(options.wallets)
        found = {index[k] for d in derived if (k := address_key(d.chain, d.address)) in index}
        matches = tuple(sorted(found, key=lambda w: (w.label, w.address)))
    return Exposure(
        kind=secret.kind,
        path=blob.path,
        line=line,
        commit=blob.commit,
        origin=blob.origin,
        fingerprint=secret.fingerprint,
        redacted=redacted(secret),
        detail=dict(secret.detail),
        confidence=secret.confidence,
        test_vector=secret.test_vector,
        derived=derived,
        wallets=matches,
    )


def scan_blob(blob: Blob, options: Options) -> list[Exposure]:
    """The exposures in one blob (empty for binary data and for archives the walker opened:
    their members are blobs of their own, and a tar's raw bytes would repeat them)."""
    if blob.container is not None:
        return []
    data = as_utf8(blob.data)
    if is_binary(data):
        return []
    out = []
    for secret in _prefilter(options.engine).secrets(data):
        found = published(secret)
        out.append(_exposure(found, blob, _line_of(data, found.start), options))
    return out


def published(secret: Secret) -> Secret:
    """``secret`` marked as a test vector when it is a key published as one (BIP32 roots of the
    BIP39 vectors, bitcoinjs WIF fixtures: :mod:`koban.keys.published`)."""
    if secret.test_vector:
        return secret
    digest = hashlib.sha256(secret.material.encode()).hexdigest()[:32]
    source = PUBLISHED_KEYS.get(digest)
    if source is None:
        return secret
    return replace(secret, test_vector=True, detail={**secret.detail, "test_vector_source": source})


Item = Exposure | Problem


def _excluded(path: str, patterns: Sequence[str]) -> bool:
    return any(
        fnmatch.fnmatch(path, p) or fnmatch.fnmatch(path.rsplit("/", 1)[-1], p) for p in patterns
    )


def _blobs_items(blobs: Iterable[Blob | Problem], options: Options) -> list[Item]:
    out: list[Item] = []
    for blob in blobs:
        if isinstance(blob, Problem):
            out.append(blob)
        elif not _excluded(blob.path, options.exclude):
            out.extend(scan_blob(blob, options))
    return out


def scan_files(files: Sequence[tuple[str, str]], options: Options) -> list[Item]:
    """Worker job: ``files`` are (filesystem path, display path) pairs."""
    out: list[Item] = []
    for path, display in files:
        out.extend(_blobs_items(expand(Path(path), display, options.limits), options))
    return out


def scan_history(root: str, display: str, options: Options) -> list[Item]:
    """Worker job: every historical blob of the git work tree at ``root``."""
    return _blobs_items(git_history(Path(root), options.limits, display=display), options)


def _batches(
    files: list[tuple[Path, str]], target_bytes: int = 4 << 20
) -> list[list[tuple[str, str]]]:
    batches: list[list[tuple[str, str]]] = []
    current: list[tuple[str, str]] = []
    size = 0
    for path, display in files:
        with contextlib.suppress(OSError):
            size += path.stat().st_size
        current.append((str(path), display))
        if size >= target_bytes or len(current) >= 256:
            batches.append(current)
            current, size = [], 0
    if current:
        batches.append(current)
    return batches


def scan_path(
    root: Path,
    options: Options,
    progress: Callable[[int, int], None] | None = None,
) -> Iterator[Item]:
    """Everything found under ``root`` (a file or a directory), in no particular order."""
    files: list[tuple[Path, str]] = []
    repos: list[Repo] = []
    for entry in walk_tree(root):
        if isinstance(entry, Problem):
            yield entry
        elif isinstance(entry, Repo):
            if options.history:
                repos.append(entry)
        elif not _excluded(entry[1], options.exclude):
            files.append(entry)
    batches = _batches(files)
    jobs = options.jobs or os.cpu_count() or 1
    small = len(batches) <= 1 and not repos
    if jobs <= 1 or small:
        for repo in repos:
            yield from scan_history(str(repo.root), repo.display, options)
        for done, batch in enumerate(batches, 1):
            yield from scan_files(batch, options)
            if progress:
                progress(done, len(batches))
        return
    for detector in _prefilter(options.engine).detectors:  # built once, inherited by workers
        warm = getattr(detector, "warm", None)
        if warm is not None:
            warm()
    with ProcessPoolExecutor(max_workers=jobs, mp_context=get_context("fork")) as pool:
        pending: set[Future[list[Item]]] = set()
        for repo in repos:
            pending.add(pool.submit(scan_history, str(repo.root), repo.display, options))
        pending |= {pool.submit(scan_files, batch, options) for batch in batches}
        total, done = len(pending), 0
        while pending:
            finished, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in finished:
                done += 1
                yield from future.result()
            if progress:
                progress(done, total)
