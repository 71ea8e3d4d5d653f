"""Folders spread over forked workers: same report as one process, in folder order, and each
worker on its own intel-store connection."""

from __future__ import annotations

import os
from pathlib import Path

from koban.file import FileContext, FileItem, FileOptions, report_for
from koban.file.examples import office
from koban.file.parallel import heavy_modules, workers
from koban.intel.records import YaraRuleFile
from koban.intel.store import IntelStore
from koban.model import Finding

RULE = 'rule Parallel_Marker { strings: $a = "koban-parallel-marker" condition: $a }'


def _folder(root: Path) -> Path:
    root.mkdir()
    for i in range(7):
        (root / f"note{i}.txt").write_text(f"plain text {i}\n", encoding="utf-8")
    (root / "b-marked.bin").write_bytes(b"\x00" * 64 + b"koban-parallel-marker")
    (root / "sub").mkdir()
    (root / "sub" / "invoice.docm").write_bytes(office.macro_docm())
    return root


def _lines(ctx: FileContext, root: Path) -> list[str]:
    report = report_for(str(root), ctx)
    return [f"{r.target} {f.rule} {f.severity.value}" for r in report.walk() for f in r.findings]


def test_workers_bounded_by_files() -> None:
    assert workers(4, 2) == 2
    assert workers(1, 50) == 1
    assert workers(0, 50) == min(os.cpu_count() or 1, 50)
    assert workers(3, 0) == 1


def test_parallel_report_equals_sequential(tmp_path: Path, store: IntelStore) -> None:
    store.import_batches([], [YaraRuleFile("t/p.yar", "/rules/p.yar", RULE, [], "")])
    root = _folder(tmp_path / "in")
    one = _lines(FileContext(None, store, FileOptions(jobs=1)), root)
    three = _lines(FileContext(None, store, FileOptions(jobs=3)), root)
    assert three == one
    assert any("file.yara_match" in line for line in one)
    assert any("file.office_macro" in line for line in one)
    targets = [
        c.target for c in report_for(str(root), FileContext(options=FileOptions(jobs=3))).children
    ]
    assert targets == sorted(targets)


class _Probe:
    """Reports (as an inspector failure) which process and which store connection it ran on."""

    name = "probe"

    def __init__(self, parent_store: IntelStore) -> None:
        self.parent_store, self.parent_pid = parent_store, os.getpid()

    def applies(self, item: FileItem) -> bool:
        return True

    def inspect(self, item: FileItem, ctx: FileContext) -> list[Finding]:
        where = "worker" if os.getpid() != self.parent_pid else "parent"
        store = "inherited" if ctx.store is self.parent_store else "own"
        raise ValueError(f"{where} {store}")


def test_workers_open_their_own_store(tmp_path: Path, store: IntelStore) -> None:
    root = _folder(tmp_path / "in")
    ctx = FileContext(None, store, FileOptions(jobs=2))
    ctx.extra_inspectors.append(_Probe(store))
    report = report_for(str(root), ctx)
    seen = {
        f.message.rsplit(": ", 1)[-1]
        for r in report.walk()
        for f in r.findings
        if f.rule == "file.inspector_error"
    }
    assert seen == {"worker own"}
    assert ctx.store is store  # the parent's context keeps its connection
    assert store.connection.execute("SELECT 1").fetchone() == (1,)


def test_heavy_modules_from_first_bytes_and_names(tmp_path: Path) -> None:
    files = {
        "notes.txt": b"hello",
        "tool.bin": b"MZ\x90\x00rest",
        "report.DOCX": b"PK\x03\x04",
        "old.doc": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
    }
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    listed = [(tmp_path / n, n) for n in files]
    assert heavy_modules(listed[:1]) == []
    assert heavy_modules(listed[:2]) == ["koban.file.binaries.analysis"]
    assert "oletools.olevba" in heavy_modules([listed[2]])
    assert "msoffcrypto" in heavy_modules([listed[3]])
    assert heavy_modules([(tmp_path / "gone.exe", "gone.exe")]) == []


def test_heavy_modules_for_pdf_and_7z(tmp_path: Path) -> None:
    (tmp_path / "a.pdf").write_bytes(b"%PDF-1.7\n")
    (tmp_path / "b.7z").write_bytes(b"7z\xbc\xaf\x27\x1c\x00\x04")
    files = [(tmp_path / "a.pdf", "a.pdf"), (tmp_path / "b.7z", "b.7z")]
    assert heavy_modules(files) == ["pypdf", "py7zr"]
