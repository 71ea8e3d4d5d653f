"""Disk images and rar/cab listings: lures flagged, ordinary images and real fixtures clean."""

from __future__ import annotations

from pathlib import Path

import pytest

from koban.file import report_for
from koban.file.context import FileContext
from koban.file.examples import images as build
from koban.file.identify import identify
from koban.file.inspectors.images import INSPECTOR, cab_members, iso_members, udf_members
from koban.file.item import FileItem
from koban.model import Finding, Severity
from koban.scoring import score_findings


def _findings(data: bytes, name: str) -> list[Finding]:
    true_type, _ = identify(name, data)
    item = FileItem(path=name, name=name, data=data, true_type=true_type)
    assert INSPECTOR.applies(item)
    return list(INSPECTOR.inspect(item, FileContext()))


def _rules(findings: list[Finding]) -> dict[str, Finding]:
    return {f.rule: f for f in findings}


def test_iso_lure_is_flagged_and_its_shortcut_triaged() -> None:
    found = _findings(build.iso_lure(), "Invoice.iso")
    rules = _rules(found)
    assert rules["file.image_dangerous_member"].severity is Severity.HIGH
    assert rules["file.image_hidden_member"].evidence["hidden"] == ["data/readme.txt"]
    lnk = rules["file.lnk_lolbin_target"]
    assert lnk.location is not None and lnk.location.path == "Invoice.iso!Invoice_2024.pdf.lnk"
    assert score_findings(found) >= 70


def test_iso_with_readme_is_clean(tmp_path: Path) -> None:
    members, contents = iso_members(build.iso_readme(), float("inf"))
    assert [m.name for m in members if not m.directory] == ["README.txt", "docs/manual.pdf"]
    assert contents == {}  # nothing dangerous or hidden: nothing extracted
    path = tmp_path / "manual.iso"
    path.write_bytes(build.iso_readme())
    report = report_for(str(path), FileContext())
    mine = [f for r in report.walk() for f in r.findings if f.rule.startswith("file.image")]
    assert [f.rule for f in mine] == ["file.image_contents"]
    assert all(f.severity is Severity.INFO for f in mine)


def test_cab_listing_and_severity() -> None:
    members = cab_members(build.cab(("a.txt", "b.lnk"), hidden=("b.lnk",)))
    assert [(m.name, m.hidden) for m in members] == [("a.txt", False), ("b.lnk", True)]
    assert (
        _rules(_findings(build.cab_script(), "x.cab"))["file.image_dangerous_member"].severity
        is Severity.HIGH
    )
    assert (
        _rules(_findings(build.cab(), "x.cab"))["file.image_dangerous_member"].severity
        is Severity.LOW
    )
    assert "file.image_malformed" in _rules(_findings(build.truncated_cab(), "x.cab"))


def test_dmg_reports_partitions() -> None:
    note = _rules(_findings(build.dmg(("Apple_HFS",)), "x.dmg"))["file.image_not_listed"]
    assert "Apple_HFS" in note.message


def test_damaged_images_never_raise() -> None:
    data = build.iso_lure()
    for cut in (0x8000, 0x8800, 0x9000, len(data) // 2):
        found = _findings(data[:cut] + b"\x00" * 16, "x.iso") if cut > 0x8006 else []
        assert all(f.rule.startswith("file.") for f in found)


@pytest.mark.shared_data
def test_strelka_images_are_clean(shared_data: Path) -> None:
    root = shared_data / "files/strelka-fixtures/src/python/strelka/tests/fixtures"
    seen = 0
    for path in sorted(root.iterdir()):
        data = path.read_bytes()
        true_type, _ = identify(path.name, data)
        item = FileItem(path=path.name, name=path.name, data=data, true_type=true_type)
        if not INSPECTOR.applies(item):
            continue
        seen += 1
        found = list(INSPECTOR.inspect(item, FileContext()))
        assert score_findings(found) < 30, (path.name, [f.rule for f in found])
    assert seen >= 12
    udf = udf_members((root / "test_udf_1.50.img").read_bytes(), float("inf"))
    assert [m.name for m in udf] == ["lorem.txt"]
    rar = _rules(_findings((root / "test.rar").read_bytes(), "test.rar"))
    assert rar["file.image_contents"].evidence["files"] == 3
