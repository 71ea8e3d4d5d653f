"""The files of a folder spread over forked worker processes, reports kept in folder order.

A folder of downloads is many independent files, and most of a file's time is CPU in pure
Python (oletools, msoffcrypto's key derivation, pdf parsing): one process per core is the only
way to use the machine. Workers are forked, so they inherit the imported modules and the run's
tables already built in the parent (the compiled YARA rules); the one thing that must not cross
the fork is the intel store's SQLite connection, so each worker opens its own by path (and drops
anything built on the parent's, such as the URL analyser's context).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

from koban.file.context import FileContext
from koban.intel.store import IntelStore
from koban.model import Report

_WORKER: FileContext | None = None  # the parent's context, inherited by each forked worker


def workers(jobs: int, files: int) -> int:
    """How many processes to use: ``jobs`` (0: one per core), no more than there are files."""
    wanted = jobs if jobs > 0 else (os.cpu_count() or 1)
    return max(1, min(wanted, files))


def _start_worker() -> None:
    """Runs in each worker right after the fork: its own connection to the intel store."""
    ctx = _WORKER
    assert ctx is not None
    if ctx.store is not None:
        # The parent's connection object is left untouched (not closed: that is the parent's).
        ctx.store = IntelStore(ctx.store.path)
    ctx.__dict__.pop("url_context", None)  # built on the parent's store, if at all


def _one(job: tuple[str, str]) -> Report:
    from koban.file import file_report

    assert _WORKER is not None
    return file_report(Path(job[0]), job[1], _WORKER)


def _warm(ctx: FileContext) -> None:
    """Build in the parent what every worker would otherwise build again: the inspectors'
    modules and the YARA rules (lief, oletools and the URL tables stay lazy: a folder may not
    need them)."""
    from koban.file.inspectors import all_inspectors
    from koban.file.inspectors.yara_rules import rule_set

    all_inspectors()
    rule_set(ctx)


def reports(files: Sequence[tuple[Path, str]], ctx: FileContext, jobs: int) -> list[Report]:
    """The report of each ``(path, display)`` in ``files``, in that order, from ``jobs`` forked
    workers (the caller has already decided that more than one is worth it)."""
    global _WORKER
    _warm(ctx)
    _WORKER = ctx
    try:
        with ProcessPoolExecutor(
            max_workers=jobs, mp_context=get_context("fork"), initializer=_start_worker
        ) as pool:
            return list(pool.map(_one, [(str(p), d) for p, d in files]))
    finally:
        _WORKER = None
