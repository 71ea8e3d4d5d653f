"""Attachment checks on the shared walk: every archive decompressed once, members of zip, 7z and
compressed files inspected, body passwords tried, Office parts left to the file analyser."""

from __future__ import annotations

import base64
import gzip
import io
import zipfile
from collections import Counter
from collections.abc import Iterator
from typing import Any

import py7zr
import pytest

from koban.mail import Limits, MailContext, scan_message
from koban.mail.examples import build_message, make_zip
from koban.model import Finding, Report
from koban.profile import Profile

LNK = b"L\x00\x00\x00\x01\x14\x02\x00\x00\x00\x00\x00\xc0\x00\x00\x00\x00\x00\x00F" + bytes(56)
PE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + bytes(48)
BODY = "See attached."


def _scan(attachments: dict[str, bytes], body: str = BODY, limits: Limits | None = None) -> Report:
    spec = {
        "message": "From: X <x@example.org>\nTo: user@example.jp\nSubject: files\n"
        f"Content-Type: text/plain; charset=utf-8\n\n{body}\n",
        "attachments": [
            {"name": name, "base64": base64.b64encode(data).decode()}
            for name, data in attachments.items()
        ],
    }
    ctx = MailContext.build(Profile(), None, limits)
    return scan_message(build_message(spec), "m.eml", ctx)


def _findings(report: Report, rule: str) -> list[tuple[str, Finding]]:
    return [(r.target, f) for r in report.walk() for f in r.findings if f.rule == rule]


def _mail_targets(report: Report) -> list[str]:
    return [r.target for r in _mail_reports(report)]


def _mail_reports(report: Report) -> Iterator[Report]:
    """The mail analyser's reports below the message (not the file analyser's children)."""
    for child in report.children:
        if child.analyser == "mail":
            yield child
            yield from _mail_reports(child)


def _7z(members: dict[str, bytes], password: str | None = None, header: bool = False) -> bytes:
    buffer = io.BytesIO()
    with py7zr.SevenZipFile(buffer, "w", password=password, header_encryption=header) as sz:
        for name, data in members.items():
            sz.writestr(data, name)
    return buffer.getvalue()


def _docx() -> bytes:
    content_types = (
        '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
        'content-types"><Override PartName="/word/document.xml" ContentType="application/vnd.'
        'openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>'
    )
    return make_zip(
        {
            "[Content_Types].xml": content_types,
            "_rels/.rels": "<Relationships/>",
            "word/document.xml": "<w:document/>",
        }
    )


@pytest.fixture
def member_reads(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """How many times each zip member is decompressed (zipfile and pyzipper alike)."""
    import pyzipper  # type: ignore[import-untyped]

    reads: Counter[str] = Counter()
    for cls in (zipfile.ZipFile, pyzipper.zipfile.ZipFile):
        original = cls.open

        def counting(
            self: Any, name: Any, mode: str = "r", *args: Any, _original: Any = original, **kw: Any
        ) -> Any:
            if mode == "r":
                reads[name if isinstance(name, str) else name.filename] += 1
            return _original(self, name, mode, *args, **kw)

        monkeypatch.setattr(cls, "open", counting)
    return reads


def test_each_member_is_decompressed_once(member_reads: Counter[str]) -> None:
    inner = make_zip({"Invoice.pdf.lnk": LNK, "notes.txt": "hello"})
    report = _scan({"documents.zip": make_zip({"inner.zip": inner, "readme.txt": "hi"})})
    assert member_reads == {"inner.zip": 1, "readme.txt": 1, "Invoice.pdf.lnk": 1, "notes.txt": 1}
    # ... and both analysers saw the members: the mail checks and the file triage
    [(target, _)] = _findings(report, "mail.attachment_double_extension")
    assert target == "m.eml!documents.zip!inner.zip!Invoice.pdf.lnk"
    [attachment] = [c for c in report.children if c.analyser == "mail"]
    [triage] = [c for c in attachment.children if c.analyser == "file"]
    assert any(r.target.endswith("!Invoice.pdf.lnk") for r in triage.walk())


def test_password_zip_is_decrypted_once(member_reads: Counter[str]) -> None:
    data = make_zip({"契約書.js": "WScript.Echo(1)", "a.txt": "x"}, password="hoshi2025")
    report = _scan({"資料.zip": data}, body="パスワード: hoshi2025")
    assert member_reads == {"契約書.js": 1, "a.txt": 1}
    [(_, enc)] = _findings(report, "mail.attachment_encrypted")
    assert enc.evidence == {"encrypted_members": 2, "password_found": True}
    assert enc.severity.value == "low"
    [(target, dangerous)] = _findings(report, "mail.attachment_dangerous_type")
    assert target == "m.eml!資料.zip!契約書.js"
    assert len(dangerous.evidence["sha256"]) == 64  # judged on the decrypted content


def test_password_zip_without_the_password_is_judged_by_names() -> None:
    data = make_zip({"契約書.js": "WScript.Echo(1)", "a.txt": "x"}, password="hoshi2025")
    report = _scan({"資料.zip": data})
    [(_, enc)] = _findings(report, "mail.attachment_encrypted")
    assert enc.evidence == {"encrypted_members": 2, "password_found": False}
    assert enc.severity.value == "medium"
    assert "cannot be inspected" in enc.message
    [(target, dangerous)] = _findings(report, "mail.attachment_dangerous_type")
    assert target == "m.eml!資料.zip!契約書.js"
    assert "by its name" in dangerous.message
    assert _mail_targets(report) == [
        "m.eml!資料.zip",
        "m.eml!資料.zip!契約書.js",
        "m.eml!資料.zip!a.txt",
    ]


def test_7z_members_are_inspected_by_content() -> None:
    report = _scan({"docs.7z": _7z({"Invoice.pdf.lnk": LNK, "a.txt": b"x"})})
    [(target, finding)] = _findings(report, "mail.attachment_double_extension")
    assert target == "m.eml!docs.7z!Invoice.pdf.lnk"
    assert finding.evidence["type"] == "lnk"


def test_7z_with_encrypted_content_opened_with_the_body_password() -> None:
    data = _7z({"setup.scr": PE, "a.txt": b"x"}, password="hoshi2025")
    report = _scan({"docs.7z": data}, body="password: hoshi2025")
    [(_, enc)] = _findings(report, "mail.attachment_encrypted")
    assert enc.evidence["password_found"] is True
    [(target, dangerous)] = _findings(report, "mail.attachment_dangerous_type")
    assert target == "m.eml!docs.7z!setup.scr"
    assert dangerous.evidence["type"] == "pe"  # the content was read


def test_7z_with_encrypted_names_and_no_password() -> None:
    data = _7z({"setup.scr": PE}, password="hoshi2025", header=True)
    report = _scan({"docs.7z": data}, body="password: wrong-one")
    [(target, enc)] = _findings(report, "mail.attachment_encrypted")
    assert target == "m.eml!docs.7z"
    assert "encrypted member names" in enc.message and enc.severity.value == "medium"
    opened = _scan({"docs.7z": data}, body="password: hoshi2025")
    assert _findings(opened, "mail.attachment_dangerous_type")


def test_gzip_attachment_is_opened() -> None:
    report = _scan({"invoice.pdf.exe.gz": gzip.compress(PE)})
    [(target, _)] = _findings(report, "mail.attachment_double_extension")
    assert target == "m.eml!invoice.pdf.exe.gz!invoice.pdf.exe"
    assert not _findings(report, "mail.archive_not_inspected")


def test_office_parts_are_left_to_the_file_analyser() -> None:
    report = _scan({"report.docx": _docx(), "docs.zip": make_zip({"a.docx": _docx()})})
    assert _mail_targets(report) == ["m.eml!report.docx", "m.eml!docs.zip", "m.eml!docs.zip!a.docx"]
    assert not _findings(report, "mail.archive_limits")


def test_bounds_met_in_office_documents_are_the_file_analysers() -> None:
    report = _scan({"docs.zip": make_zip({"a.docx": _docx()})}, limits=Limits(max_archive_depth=1))
    assert not _findings(report, "mail.archive_limits")  # the docx is too deep to be opened...
    [attachment] = [c for c in report.children if c.analyser == "mail"]
    [triage] = [c for c in attachment.children if c.analyser == "file"]
    assert any(f.evidence.get("limit") for r in triage.walk() for f in r.findings)  # ...said here


def test_walk_ended_inside_an_office_document_is_said_on_the_archive() -> None:
    docx = _docx()
    members = {"a.docx": docx, "run.bat": "echo hello"}
    limits = Limits(max_archive_total_bytes=len(docx) + 100)  # the docx parts exhaust it
    report = _scan({"docs.zip": make_zip(members)}, limits=limits)
    [(target, limit)] = _findings(report, "mail.archive_limits")
    assert target == "m.eml!docs.zip"
    assert "total extracted size" in limit.message


def test_mail_bounds_bound_the_file_analysers_walk_too() -> None:
    inner = make_zip({"deep.txt": "x"})
    report = _scan({"n.zip": make_zip({"inner.zip": inner})}, limits=Limits(max_archive_depth=1))
    [(target, _)] = _findings(report, "mail.archive_limits")
    assert target == "m.eml!n.zip!inner.zip"
    file_targets = [r.target for r in report.walk() if r.analyser == "file"]
    assert not any(t.endswith("!deep.txt") for t in file_targets)


def test_office_parts_do_not_count_towards_the_member_bound() -> None:
    many = make_zip({f"d{i}.docx": _docx() for i in range(4)})
    report = _scan({"docs.zip": many}, limits=Limits(max_archive_members=5))
    assert not _findings(report, "mail.archive_limits")


def test_member_bound_spans_nested_archives() -> None:
    inner = make_zip({"a.txt": "a", "b.txt": "b"})
    outer = make_zip({"one.zip": inner, "two.zip": inner})  # 2 + 2 + 2 members
    report = _scan({"n.zip": outer}, limits=Limits(max_archive_members=4))
    [(_, limit)] = _findings(report, "mail.archive_limits")
    assert limit.message == "more than 4 archive members"
    assert len(_mail_targets(report)) == 1 + 4


def test_damaged_member_is_named_and_judged_by_name() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("run.bat", "echo hello")
    damaged = buffer.getvalue().replace(b"echo hello", b"echo HELLO")  # CRC no longer matches
    report = _scan({"a.zip": damaged})
    [(target, problem)] = _findings(report, "mail.archive_not_inspected")
    assert target == "m.eml!a.zip!run.bat"
    assert "could not be extracted" in problem.message
    [(_, dangerous)] = _findings(report, "mail.attachment_dangerous_type")
    assert "by its name" in dangerous.message


def test_time_out_is_said_once_not_as_an_archive_bound() -> None:
    report = _scan({"a.zip": make_zip({"b.txt": "b"})}, limits=Limits(seconds=0))
    assert _findings(report, "mail.analysis_limit")
    assert not _findings(report, "mail.archive_limits")
    assert _mail_targets(report) == ["m.eml!a.zip"]


def test_office_attachment_is_parsed_by_olevba_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """mail.attachment_macro and the file analyser's file.office_macro read one olevba parse."""
    import warnings

    from koban.mail.vbabuild import make_docm

    with warnings.catch_warnings():  # pyparsing's deprecation warnings, raised under olevba
        warnings.simplefilter("ignore")
        from oletools import olevba

    opened: list[str] = []
    original = olevba.VBA_Parser

    def counting(name: str, *args: Any, **kw: Any) -> Any:
        opened.append(name)
        return original(name, *args, **kw)

    monkeypatch.setattr(olevba, "VBA_Parser", counting)
    source = 'Sub AutoOpen()\n  Shell "cmd /c calc"\nEnd Sub\n'
    report = _scan({"invoice.docm": make_docm(source), "terms.docm": make_docm(source)})
    assert [t for t, _ in _findings(report, "mail.attachment_macro")] == [
        "m.eml!invoice.docm",
        "m.eml!terms.docm",
    ]
    assert len(_findings(report, "file.office_macro")) == 2
    # olevba opens the package's vbaProject.bin with a parser of its own, once per document
    assert opened == ["invoice.docm", "word/vbaProject.bin", "terms.docm", "word/vbaProject.bin"]


def test_password_protected_document_weighs_in_the_combination() -> None:
    import time

    from koban.file.examples import pdf
    from koban.mail.attachments import analyse_attachment

    ctx = MailContext.build(Profile(), None)

    def weights(passwords: list[str]) -> dict[str, float]:
        got = analyse_attachment(
            "statement.pdf", pdf.encrypted(), "application/pdf", "m!statement.pdf",
            "statement.pdf", ctx, passwords, time.monotonic() + 30,
        )  # fmt: skip
        return got.weights

    assert weights([]) == {"encrypted_document": 1.5}
    assert weights(["example-secret"]) == {}  # PDF passwords that fit leave no finding to weigh
    assert analyse_attachment(
        "plain.pdf", pdf.plain(), "application/pdf", "m!plain.pdf", "plain.pdf", ctx, [],
        time.monotonic() + 30,
    ).weights == {}  # fmt: skip
