"""Provenance: Mark of the Web beside the file, as an attribute or given; macOS quarantine and
WhereFroms; --origin; each URL judged by the URL analyser, the trusted sources and the table of
anyone-can-upload hosts; only input files."""

from __future__ import annotations

import io
import os
import plistlib
import zipfile
from pathlib import Path

import pytest

from koban.file import FileContext, FileOptions, report_for
from koban.file.inspectors.provenance import (
    parse_zone_identifier,
    sharing_kind,
    trusted_by,
    under,
)
from koban.model import Finding, Verdict
from koban.profile import Profile

TRUST = Profile.model_validate(
    {"trust": {"download_sources": ["https://github.com/hoshi-exchange/"]}}
)


def _zone(host: str, referrer: str = "", zone: int = 3) -> str:
    ref = f"ReferrerUrl={referrer}\r\n" if referrer else ""
    return f"[ZoneTransfer]\r\nZoneId={zone}\r\n{ref}HostUrl={host}\r\n"


def _file(tmp_path: Path, name: str = "TradingApp.exe", zone: str | None = None) -> Path:
    target = tmp_path / name
    target.write_bytes(b"not really a program\n")
    if zone is not None:
        (tmp_path / f"{name}:Zone.Identifier").write_text(zone, encoding="utf-8")
    return target


def _provenance(target: Path, profile: Profile | None = None, **options: object) -> list[Finding]:
    ctx = FileContext(profile, None, FileOptions(**options))  # type: ignore[arg-type]
    report = report_for(str(target), ctx)
    return [
        f
        for r in report.walk()
        for f in r.findings
        if f.rule.startswith(("file.origin", "file.mark_of_the_web", "intel."))
    ]


def _rules(findings: list[Finding]) -> list[tuple[str, str]]:
    return sorted((f.rule, f.severity.value) for f in findings)


def test_parse_zone_identifier_utf8_and_utf16() -> None:
    text = _zone("https://example.com/a.exe", "https://example.com/")
    assert parse_zone_identifier(text.encode()) == {
        "ZoneId": "3",
        "ReferrerUrl": "https://example.com/",
        "HostUrl": "https://example.com/a.exe",
    }
    assert parse_zone_identifier(text.encode("utf-16"))["HostUrl"] == "https://example.com/a.exe"
    assert parse_zone_identifier(b"\xef\xbb\xbf[ZoneTransfer]\nZoneId=3\n") == {"ZoneId": "3"}


def test_zone_identifier_beside_the_file(tmp_path: Path) -> None:
    target = _file(tmp_path, zone=_zone("https://mega.nz/file/abc", "https://t.me/recruiter"))
    found = _provenance(target)
    assert _rules(found) == [("file.mark_of_the_web", "info"), ("file.origin_file_sharing", "high")]
    mark = next(f for f in found if f.rule == "file.mark_of_the_web")
    assert mark.evidence["zone_id"] == 3 and mark.evidence["zone"] == "Internet"
    assert "https://mega.nz/file/abc" in mark.message
    sharing = next(f for f in found if f.rule == "file.origin_file_sharing")
    assert sharing.evidence["host_kind"] == "file-sharing service"
    assert sharing.location is not None and sharing.location.path == "TradingApp.exe"


def test_document_from_file_sharing_is_medium(tmp_path: Path) -> None:
    target = _file(tmp_path, "offer.pdf", _zone("https://www.dropbox.com/s/x/offer.pdf?dl=1"))
    assert ("file.origin_file_sharing", "medium") in _rules(_provenance(target))


def test_zone_id_option_and_about_internet(tmp_path: Path) -> None:
    target = _file(tmp_path)
    saved = tmp_path / "saved.txt"
    saved.write_text(_zone("about:internet"), encoding="utf-16")
    found = _provenance(target, zone_id=saved)
    assert _rules(found) == [("file.mark_of_the_web", "info")]
    assert found[0].evidence["download_url"] is None


def test_samba_stream_attribute(tmp_path: Path) -> None:
    target = _file(tmp_path)
    try:
        os.setxattr(
            target, "user.DosStream.Zone.Identifier:$DATA", _zone("http://192.0.2.7/a").encode()
        )
    except OSError:
        pytest.skip("no user extended attributes on this file system")
    assert _rules(_provenance(target)) == [
        ("file.mark_of_the_web", "info"),
        ("file.origin_ip", "medium"),  # an executable off a bare IP: at least medium
    ]


def test_macos_quarantine_and_where_froms(tmp_path: Path) -> None:
    target = _file(tmp_path, "TradingApp.dmg")
    froms = plistlib.dumps(
        ["https://bitf1yer.com/dl/TradingApp.dmg", "https://bitf1yer.com/"],
        fmt=plistlib.FMT_BINARY,
    )
    try:
        os.setxattr(target, "user.com.apple.quarantine", b"0083;65a1b2c3;Safari;UUID-1")
        os.setxattr(target, "user.com.apple.metadata:kMDItemWhereFroms", froms)
    except OSError:
        pytest.skip("no user extended attributes on this file system")
    found = _provenance(target)
    mark = next(f for f in found if f.rule == "file.mark_of_the_web")
    assert mark.evidence["agent"] == "Safari" and mark.evidence["time"].startswith("2024-01-12")
    lookalikes = [f for f in found if f.rule == "file.origin_lookalike"]
    assert {f.evidence["recorded_by"] for f in lookalikes} == {"kMDItemWhereFroms"}
    assert len(lookalikes) == 2  # the download and the page it came from
    assert all(f.severity.value == "high" for f in lookalikes)
    assert any("referring page" in f.message for f in lookalikes)


def test_trusted_source_is_info_and_clean(tmp_path: Path) -> None:
    zone = _zone(
        "https://objects.githubusercontent.com/github-production-release-asset/1/app.exe",
        "https://github.com/hoshi-exchange/app/releases/tag/v2",
    )
    target = _file(tmp_path, zone=zone)
    found = _provenance(target, TRUST)
    assert ("file.origin_trusted", "info") in _rules(found)
    assert not any(f.rule == "file.origin_untrusted" for f in found)
    assert report_for(str(target), FileContext(TRUST)).verdict is Verdict.CLEAN


@pytest.mark.parametrize(
    ("name", "severity"),
    [("TradingApp.exe", "medium"), ("notes.docx", "low"), ("run.ps1", "medium")],
)
def test_untrusted_source_weighs_by_type(tmp_path: Path, name: str, severity: str) -> None:
    target = _file(tmp_path, name)
    found = _provenance(target, TRUST, origin="https://www.example.com/" + name)
    assert _rules(found) == [("file.origin_untrusted", severity)]


def test_no_trusted_sources_no_trust_judgement(tmp_path: Path) -> None:
    assert _provenance(_file(tmp_path), origin="https://www.example.com/a.exe") == []


def test_lookalike_origin(tmp_path: Path) -> None:
    found = _provenance(_file(tmp_path), origin="https://bitf1yer.com/download/TradingApp.exe")
    [f] = found
    assert (f.rule, f.severity.value) == ("file.origin_lookalike", "high")
    assert f.evidence["url_rule"] == "url.typosquat" and f.evidence["recorded_by"] == "--origin"
    assert f.indicators == ["https://bitf1yer.com/download/TradingApp.exe"]


def test_only_input_files_have_provenance(tmp_path: Path) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("inner.exe", b"MZ not really")
    target = tmp_path / "bundle.zip"
    target.write_bytes(buf.getvalue())
    found = _provenance(target, origin="https://cdn.discordapp.com/attachments/1/2/bundle.zip")
    assert [(f.rule, f.location.path if f.location else None) for f in found] == [
        ("file.origin_file_sharing", "bundle.zip")
    ]


def test_sidecar_in_a_folder_has_no_provenance_itself(tmp_path: Path) -> None:
    _file(tmp_path, zone=_zone("https://mega.nz/file/abc"))
    report = report_for(str(tmp_path), FileContext())
    by_target = {r.target: [f.rule for f in r.findings] for r in report.children}
    assert "file.origin_file_sharing" in by_target["TradingApp.exe"]
    assert not any(
        rule.startswith(("file.origin", "file.mark_of"))
        for rule in by_target["TradingApp.exe:Zone.Identifier"]
    )


@pytest.mark.parametrize(
    ("url", "prefix", "expected"),
    [
        ("https://github.com/hoshi-exchange/app/x.zip", "https://github.com/hoshi-exchange/", True),
        (
            "https://github.com/hoshi-exchange-evil/x.zip",
            "https://github.com/hoshi-exchange/",
            False,
        ),
        (
            "https://github.com/hoshi-exchange-evil/x.zip",
            "https://github.com/hoshi-exchange",
            False,
        ),
        ("https://github.com/hoshi-exchange/x.zip", "https://github.com/hoshi-exchange", True),
        ("https://dl.example.com.evil.io/a.exe", "https://dl.example.com", False),
        ("https://dl.example.com/a.exe", "https://dl.example.com", True),
        ("https://DL.Example.com./a.exe", "https://dl.example.com/", True),
        ("http://dl.example.com/a.exe", "https://dl.example.com/", False),
        ("https://dl.example.com:8443/a.exe", "https://dl.example.com/", False),
        ("https://dl.example.com@evil.io/a.exe", "https://dl.example.com/", False),
        ("not a url", "https://dl.example.com/", False),
    ],
)
def test_under(url: str, prefix: str, expected: bool) -> None:
    assert under(url, prefix) is expected


def test_release_cdn_needs_a_trusted_referrer() -> None:
    sources = ["https://github.com/hoshi-exchange/"]
    cdn = "https://objects.githubusercontent.com/github-production-release-asset/1/a.exe"
    assert trusted_by(cdn, ["https://github.com/hoshi-exchange/app/releases"], sources)
    assert trusted_by(cdn, ["https://github.com/someone-else/app/releases"], sources) is None
    assert trusted_by(cdn, [], sources) is None


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("https://cdn.discordapp.com/attachments/1/2/a.exe", "chat attachment CDN"),
        ("https://discord.com/attachments/1/2/a.exe", "chat attachment CDN"),
        ("https://pastebin.com/raw/abc", "paste site"),
        ("https://abc.ngrok-free.app/a.exe", "temporary tunnel"),
        ("https://dl.dropboxusercontent.com/s/x/a.exe", "file-sharing service"),
        ("https://notmega.nz.example.com/a.exe", None),
        ("https://discord.com/invite/abc", None),
        ("https://github.com/x/y", None),
    ],
)
def test_sharing_kind(url: str, kind: str | None) -> None:
    assert sharing_kind(url) == kind
