"""``koban file scan`` (and ``koban scan``) end to end: a folder with a nested archive lure, a
clean text file and a document; intel imported through the CLI; every format, --fail-on, exit
codes, a missing input beside good ones, provenance and checksum options."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from koban.cli import cli

LNK_HEADER = bytes.fromhex("4c0000000114020000000000c000000000000046")
LNK = LNK_HEADER + b"\x00" * 56  # a shortcut header and nothing it could run
EXE = b"MZ\x90\x00" + b"\x00" * 60 + b"koban-cli-demo-marker: not a program\n"
MARKER_RULE = """
rule Lazarus_Demo_Cli_Marker {
  meta:
    description = "demo marker (koban CLI test)"
  strings:
    $m = "koban-cli-demo-marker" ascii
  condition:
    $m
}
"""


def _run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def _reports(result: Result) -> list[dict[str, Any]]:
    return [json.loads(line) for line in result.stdout.splitlines()]


def _walk(report: dict[str, Any]) -> list[dict[str, Any]]:
    out = [report]
    for child in report["children"]:
        out += _walk(child)
    return out


def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return buf.getvalue()


def _docx() -> bytes:
    return _zip(
        {
            "[Content_Types].xml": (
                b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/'
                b'2006/content-types"><Override PartName="/word/document.xml" ContentType="'
                b"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main"
                b'+xml"/></Types>'
            ),
            "word/document.xml": (
                b'<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats.org/'
                b'wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>Quarterly report</w:t>'
                b"</w:r></w:p></w:body></w:document>"
            ),
        }
    )


@pytest.fixture
def folder(env: Path) -> Path:
    """downloads/{lure.zip (Invoice.pdf.lnk, docs/inner.zip!Statement.pdf.exe), notes.txt,
    report.docx}, and the store: a YARA set naming Lazarus, a CSV listing the LNK's hash."""
    root = env / "downloads"
    root.mkdir()
    inner = _zip({"Statement.pdf.exe": EXE})
    (root / "lure.zip").write_bytes(_zip({"Invoice.pdf.lnk": LNK, "docs/inner.zip": inner}))
    (root / "notes.txt").write_text("meeting at 10:00\n", encoding="utf-8")
    (root / "report.docx").write_bytes(_docx())
    rules = env / "rules" / "lazarus_demo.yar"
    rules.parent.mkdir()
    rules.write_text(MARKER_RULE, encoding="utf-8")
    iocs = env / "iocs.csv"
    iocs.write_text(
        "value,entity_type,description\n"
        f"{hashlib.sha256(LNK).hexdigest()},sha256,AppleJeus lure shortcut\n",
        encoding="utf-8",
    )
    for source in (rules.parent, iocs):
        result = _run("intel", "import", "--as-of", "2024-05-01", str(source))
        assert result.exit_code == 0, result.output
    return root


def test_folder_json(folder: Path) -> None:
    result = _run("file", "scan", "--format", "json", str(folder))
    assert result.exit_code == 1, result.output
    [report] = _reports(result)
    assert report["analyser"] == "file" and report["target"] == str(folder)
    assert report["verdict"] == "malicious"
    by_target = {r["target"]: r for r in _walk(report)}
    assert {"lure.zip", "notes.txt", "report.docx"} <= set(by_target)
    lnk = by_target["lure.zip!Invoice.pdf.lnk"]
    [intel] = [f for f in lnk["findings"] if f["rule"].startswith("intel.")]
    assert (intel["rule"], intel["severity"]) == ("intel.threat_actor", "critical")
    assert "Lazarus Group" in intel["message"]
    assert intel["location"]["path"] == "lure.zip!Invoice.pdf.lnk"
    exe = by_target["lure.zip!docs/inner.zip!Statement.pdf.exe"]
    [yara] = [f for f in exe["findings"] if f["rule"] == "file.yara_match"]
    assert yara["severity"] == "high" and yara["evidence"]["rule"] == "Lazarus_Demo_Cli_Marker"
    assert by_target["lure.zip"]["verdict"] == "malicious"
    assert by_target["notes.txt"]["verdict"] == "clean"
    assert by_target["report.docx"]["verdict"] == "clean"


def test_jobs_do_not_change_the_report(folder: Path) -> None:
    """--jobs 0 (the default, one worker per core) and --jobs 3 give --jobs 1's report."""
    one = _run("file", "scan", "--format", "json", "--jobs", "1", str(folder))
    for jobs in ("0", "3"):
        many = _run("file", "scan", "--format", "json", "--jobs", jobs, str(folder))
        assert (many.exit_code, _reports(many)) == (one.exit_code, _reports(one))
    assert _run("file", "scan", "--jobs", "-1", str(folder)).exit_code == 2


def test_folder_text_and_sarif(folder: Path) -> None:
    text = _run("file", "scan", str(folder))
    assert text.exit_code == 1
    assert "Lazarus_Demo_Cli_Marker" in text.stdout and "intel.threat_actor" in text.stdout
    sarif = _run("file", "scan", "--format", "sarif", str(folder))
    assert sarif.exit_code == 1
    doc = json.loads(sarif.stdout)
    results = doc["runs"][0]["results"]
    rule_ids = {r["ruleId"] for r in results}
    assert {"file.yara_match", "intel.threat_actor"} <= rule_ids
    uris = json.dumps(results)
    assert "Statement.pdf.exe" in uris and "Invoice.pdf.lnk" in uris


def test_fail_on(folder: Path) -> None:
    notes = str(folder / "notes.txt")
    assert (
        _run("file", "scan", "--format", "json", "--fail-on", "malicious", str(folder)).exit_code
        == 1
    )
    assert _run("file", "scan", "--format", "json", notes).exit_code == 0
    assert _run("file", "scan", "--format", "json", "--fail-on", "low", notes).exit_code == 0


def test_missing_input_exits_2_and_others_are_reported(folder: Path) -> None:
    missing = str(folder / "no-such-file.exe")
    result = _run("file", "scan", "--format", "json", missing, str(folder / "notes.txt"))
    assert result.exit_code == 2
    assert "no-such-file.exe" in result.stderr
    assert [r["target"] for r in _reports(result)] == [str(folder / "notes.txt")]


def test_scan_dispatches_files_to_the_file_analyser(folder: Path) -> None:
    result = _run("scan", "--format", "json", str(folder / "lure.zip"))
    assert result.exit_code == 1
    [report] = _reports(result)
    assert report["analyser"] == "file" and report["verdict"] == "malicious"
    assert "scan.analyser_unavailable" not in result.stdout
    both = _run("scan", "--format", "json", str(folder))
    assert sorted(r["analyser"] for r in _reports(both)) == ["file", "keys"]


def test_origin_and_checksums_options(env: Path) -> None:
    app = env / "TradingApp.exe"
    app.write_bytes(EXE)
    sums = env / "SHA256SUMS.txt"
    sums.write_text(f"{hashlib.sha256(EXE).hexdigest()}  TradingApp.exe\n", encoding="utf-8")
    result = _run(
        "file",
        "scan",
        "--format",
        "json",
        "--origin",
        "https://cdn.discordapp.com/attachments/1/2/TradingApp.exe",
        "--checksums",
        str(sums),
        str(app),
    )
    assert result.exit_code == 1
    rules = {f["rule"]: f["severity"] for f in _reports(result)[0]["findings"]}
    assert rules["file.origin_file_sharing"] == "high"
    assert rules["file.checksum_verified"] == "info"
