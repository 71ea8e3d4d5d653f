"""Hashes against the intel store: a listed file is found by any of its digests, in archives too,
and a Lazarus-attributed hash is critical and says so."""

from __future__ import annotations

import hashlib
import io
import zipfile
from pathlib import Path

from koban.file import FileContext, FileItem, report_for
from koban.file.inspectors.intel import INSPECTOR, digests
from koban.intel.indicators import IndicatorType
from koban.intel.records import Batch, Record
from koban.intel.store import IntelStore
from koban.model import Severity, Verdict

SAMPLE = b"harmless stand-in for a listed loader\n"


def _list(store: IntelStore, *records: Record, source: str = "csv:test") -> None:
    store.import_batches([Batch(source, "2024-05-01", "csv", "test", list(records))])


def _findings(path: Path, store: IntelStore | None) -> list[tuple[str, str, str, str | None]]:
    report = report_for(str(path), FileContext(None, store))
    return [
        (f.rule, f.severity.value, f.message, f.location.path if f.location else None)
        for r in report.walk()
        for f in r.findings
        if f.rule.startswith("intel.")
    ]


def test_lazarus_hash_is_critical_and_named(tmp_path: Path, store: IntelStore) -> None:
    sha256 = hashlib.sha256(SAMPLE).hexdigest()
    _list(
        store,
        Record(IndicatorType.SHA256, sha256, "AppleJeus loader", attribution="Lazarus Group"),
    )
    target = tmp_path / "CelasTradePro.bin"
    target.write_bytes(SAMPLE)
    report = report_for(str(target), FileContext(None, store))
    [finding] = [f for f in report.findings if f.rule.startswith("intel.")]
    assert finding.rule == "intel.threat_actor"
    assert finding.severity is Severity.CRITICAL
    assert "Lazarus Group" in finding.message and "CelasTradePro.bin" in finding.message
    assert finding.location is not None and finding.location.path == "CelasTradePro.bin"
    assert finding.evidence["hashes"]["sha256"] == sha256
    assert report.verdict is Verdict.MALICIOUS


def test_md5_or_sha1_listing_is_found_once(tmp_path: Path, store: IntelStore) -> None:
    md5 = hashlib.md5(SAMPLE, usedforsecurity=False).hexdigest()
    sha1 = hashlib.sha1(SAMPLE, usedforsecurity=False).hexdigest()
    _list(store, Record(IndicatorType.MD5, md5, "sample"), Record(IndicatorType.SHA1, sha1, "s"))
    target = tmp_path / "x.bin"
    target.write_bytes(SAMPLE)
    found = _findings(target, store)
    assert [(rule, sev) for rule, sev, _, _ in found] == [("intel.known_indicator", "medium")]


def test_archive_member_is_looked_up(tmp_path: Path, store: IntelStore) -> None:
    _list(store, Record(IndicatorType.SHA256, hashlib.sha256(SAMPLE).hexdigest(), "loader"))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("readme.txt", "hello\n")
        z.writestr("bin/loader.dat", SAMPLE)
    target = tmp_path / "lure.zip"
    target.write_bytes(buf.getvalue())
    found = _findings(target, store)
    assert [(rule, path) for rule, _, _, path in found] == [
        ("intel.known_indicator", "lure.zip!bin/loader.dat")
    ]


def test_unlisted_file_and_no_store_give_nothing(tmp_path: Path, store: IntelStore) -> None:
    _list(store, Record(IndicatorType.SHA256, "ab" * 32, "other"))
    target = tmp_path / "x.bin"
    target.write_bytes(SAMPLE)
    assert _findings(target, store) == []
    _list(store, Record(IndicatorType.SHA256, hashlib.sha256(SAMPLE).hexdigest(), "x"))
    assert _findings(target, None) == []
    assert _findings(target, store)


def test_delisted_hash_is_reported_as_formerly_listed(tmp_path: Path, store: IntelStore) -> None:
    sha256 = hashlib.sha256(SAMPLE).hexdigest()
    _list(store, Record(IndicatorType.SHA256, sha256, "old"))
    store.import_batches([Batch("csv:test", "2024-06-01", "csv", "test", [])])
    target = tmp_path / "x.bin"
    target.write_bytes(SAMPLE)
    assert [rule for rule, *_ in _findings(target, store)] == ["intel.formerly_listed"]


def test_digests_computed_once_per_item_and_never_confused() -> None:
    ctx = FileContext()
    item = FileItem(path="a.bin", name="a.bin", data=SAMPLE, true_type="text")
    first = digests(item, ctx)
    assert digests(item, ctx) is first
    assert first.sha256 == hashlib.sha256(SAMPLE).hexdigest()
    other = FileItem(
        path="a.bin", name="a.bin", data=b"other input, same display path", true_type="text"
    )
    assert digests(other, ctx).sha256 == hashlib.sha256(other.data).hexdigest()


def test_inspector_needs_a_store() -> None:
    item = FileItem(path="a.bin", name="a.bin", data=SAMPLE, true_type="text")
    assert list(INSPECTOR.inspect(item, FileContext())) == []
