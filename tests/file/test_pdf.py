"""PDF inspector on generated PDFs (koban.file.examples.pdf)."""

from __future__ import annotations

from pathlib import Path

import pytest

from koban.file import FileContext, FileOptions, report_for
from koban.file.examples import pdf
from koban.model import Report
from koban.profile import Profile


def _scan(tmp_path: Path, data: bytes, name: str = "doc.pdf", **kw: object) -> Report:
    path = tmp_path / name
    path.write_bytes(data)
    profile = Profile.model_validate(kw.pop("profile", {}))
    options = FileOptions(passwords=tuple(kw.pop("passwords", ())))  # type: ignore[arg-type]
    return report_for(str(path), FileContext(profile, None, options))


def _rules(report: Report) -> dict[str, str]:
    return {f.rule: f.severity.value for r in report.walk() for f in r.findings}


def test_openaction_js_with_embedded_exe(tmp_path: Path) -> None:
    report = _scan(tmp_path, pdf.js_dropper())
    rules = _rules(report)
    assert rules["file.pdf_javascript"] == "critical"
    assert rules["file.pdf_embedded_file"] == "high"
    embedded = next(
        f for r in report.walk() for f in r.findings if f.rule == "file.pdf_embedded_file"
    )
    assert embedded.evidence["filename"] == "invoice.exe"
    assert embedded.evidence["true_type"] == "pe"
    assert report.verdict.value == "malicious"


def test_launch(tmp_path: Path) -> None:
    assert _rules(_scan(tmp_path, pdf.launch()))["file.pdf_launch"] == "critical"


def test_hex_escaped_names(tmp_path: Path) -> None:
    rules = _rules(_scan(tmp_path, pdf.obfuscated_js()))
    assert rules["file.pdf_obfuscated_names"] == "medium"
    assert rules["file.pdf_javascript"] == "high"


def test_submit_form(tmp_path: Path) -> None:
    assert _rules(_scan(tmp_path, pdf.submit_form()))["file.pdf_submit_form"] == "medium"


def test_encrypted_then_opened(tmp_path: Path) -> None:
    assert "file.pdf_encrypted" in _rules(_scan(tmp_path, pdf.encrypted()))
    assert "file.pdf_encrypted" not in _rules(
        _scan(tmp_path, pdf.encrypted(), passwords=("example-secret",))
    )


def test_links_judged_by_url_analyser(tmp_path: Path) -> None:
    plain = _scan(tmp_path, pdf.with_links())
    assert plain.verdict.value == "clean"
    assert not _rules(plain)
    lookalike = _scan(
        tmp_path,
        pdf.with_links(["https://hoshi-exchamge.jp/login"]),
        profile={"org": {"name": "Hoshi Exchange", "domains": ["hoshi-exchange.jp"]}},
    )
    link = next(f for r in lookalike.walk() for f in r.findings if f.rule == "file.pdf_link")
    assert link.evidence["url_rule"].startswith("url.")
    assert link.severity.value in ("high", "critical")


@pytest.mark.parametrize("builder", [pdf.plain, pdf.with_links])
def test_ordinary_pdfs_clean(tmp_path: Path, builder: object) -> None:
    report = _scan(tmp_path, builder())  # type: ignore[operator]
    assert report.verdict.value == "clean"
    assert not [f for r in report.walk() for f in r.findings if f.rule.startswith("file.pdf")]


def test_attachment_listed_low(tmp_path: Path) -> None:
    report = _scan(tmp_path, pdf.attachment())
    assert _rules(report)["file.pdf_embedded_file"] == "low"
    assert report.verdict.value == "clean"


@pytest.mark.parametrize(
    "data",
    [
        b"%PDF-1.7\n1 0 obj << /Type /Catalog /OpenAction << /S /JavaScript /JS (x) >>\n",
        b"%PDF-1.4\n" + bytes(range(256)) * 4,
        pdf.js_dropper()[:400],
        pdf.js_dropper().replace(b"xref", b"xrfe"),
    ],
)
def test_malformed_never_crashes(tmp_path: Path, data: bytes) -> None:
    rules = _rules(_scan(tmp_path, data))
    assert "file.inspector_error" not in rules


def test_truncated_dropper_still_seen_by_raw_scan(tmp_path: Path) -> None:
    data = b"%PDF-1.7\n1 0 obj << /Type /Catalog /OpenAction << /S /JavaScript /JS (x) >>\n"
    rules = _rules(_scan(tmp_path, data))
    assert rules.get("file.pdf_javascript") == "high"
