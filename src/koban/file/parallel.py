"""The files of a folder spread over forked worker processes, reports kept in folder order.

A folder of downloads is many independent files, and most of a file's time is CPU in pure
Python (oletools, msoffcrypto's key derivation, pdf parsing): one process per core is the only
way to use the machine. Workers are forked, so they inherit the imported modules and the run's
tables already built in the parent (the compiled YARA rules); the one thing that must not cross
the fork is the intel store's SQLite connection, so each worker opens its own by path (and drops
anything built on the parent's, such as the URL analyser's context).
"""

from __future__ import annotations

import contextlib
import importlib
import os
import re
import warnings
from collections.abc import Iterator, Sequence
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


_PROGRAM_MAGIC = (b"MZ", b"\x7fELF", b"\xca\xfe\xba\xbe", b"\xcf\xfa\xed\xfe", b"\xce\xfa\xed\xfe")
_OFFICE_MAGIC = (b"\xd0\xcf\x11\xe0", b"{\\rt")
_OFFICE_NAME = re.compile(r"(?i)\.(?:doc|dot|xls|xlt|xla|ppt|pps|pot)[mxab]?$|\.(?:rtf|od[tsp])$")
_PEEK = 2000  # files whose first bytes are looked at before forking


def _heads(files: Sequence[tuple[Path, str]]) -> Iterator[tuple[str, bytes]]:
    for path, display in files[:_PEEK]:
        try:
            with path.open("rb") as fh:
                yield display, fh.read(8)
        except OSError:
            continue


def heavy_modules(files: Sequence[tuple[Path, str]]) -> list[str]:
    """The lazily imported libraries the folder's files will need, judged from first bytes and
    names: lief for programs, oletools and msoffcrypto for Office documents, pypdf, py7zr."""
    programs = office = pdf = sevenzip = False
    for display, head in _heads(files):
        programs = programs or head.startswith(_PROGRAM_MAGIC)
        office = office or head.startswith(_OFFICE_MAGIC) or bool(_OFFICE_NAME.search(display))
        pdf = pdf or head.startswith(b"%PDF")
        sevenzip = sevenzip or head.startswith(b"7z\xbc\xaf\x27\x1c")
    wanted = ["koban.file.binaries.analysis"] if programs else []
    if office:
        wanted += ["oletools.olevba", "oletools.msodde", "oletools.oleobj", "msoffcrypto"]
    return wanted + ["pypdf"] * pdf + ["py7zr"] * sevenzip


def _warm(ctx: FileContext, files: Sequence[tuple[Path, str]]) -> None:
    """Build in the parent what every worker would otherwise build again: the inspectors'
    modules, the YARA rules, libmagic, and the heavy libraries the files need (a folder that needs
    neither lief nor oletools does not pay for them)."""
    from koban.file.identify import describe
    from koban.file.inspectors import all_inspectors
    from koban.file.inspectors.yara_rules import rule_set

    all_inspectors()
    rule_set(ctx)
    describe(b"\x00")  # loads libmagic's database
    for name in heavy_modules(files):
        # As the inspectors import them: a missing one is theirs to report, and the deprecation
        # warnings these libraries raise on import (pyparsing's, under olevba) are not ours.
        with contextlib.suppress(ImportError), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            importlib.import_module(name)


def reports(files: Sequence[tuple[Path, str]], ctx: FileContext, jobs: int) -> list[Report]:
    """The report of each ``(path, display)`` in ``files``, in that order, from ``jobs`` forked
    workers (the caller has already decided that more than one is worth it)."""
    global _WORKER
    _warm(ctx, files)
    _WORKER = ctx
    try:
        with ProcessPoolExecutor(
            max_workers=jobs, mp_context=get_context("fork"), initializer=_start_worker
        ) as pool:
            return list(pool.map(_one, [(str(p), d) for p, d in files]))
    finally:
        _WORKER = None
