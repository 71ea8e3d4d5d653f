"""True type by content (koban.file.identify) and the identity inspector's name checks."""

from __future__ import annotations

import gzip
import io
import json
import struct
import tarfile
import zipfile
from pathlib import Path

import pytest

from koban.file import FileContext, report_for
from koban.file.examples import identity, office
from koban.file.identify import identify, script_language, sniff
from koban.mail.vbabuild import make_docm
from koban.model import Report


def _tgz(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tf:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return gzip.compress(buf.getvalue(), mtime=0)


def _zip(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return buf.getvalue()


def _ooxml(main: str) -> bytes:
    ct = (
        '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
        f'content-types"><Override PartName="/x.xml" ContentType="application/vnd.{main}"/>'
        "</Types>"
    )
    return _zip({"[Content_Types].xml": ct.encode(), "x.xml": b"<x/>"})


ASAR_JSON = b'{"files":{"main.js":{"size":2,"offset":"0"}}}'
ASAR = struct.pack("<IIII", 4, len(ASAR_JSON) + 8, len(ASAR_JSON) + 4, len(ASAR_JSON)) + ASAR_JSON
UNIVERSAL = b"\xca\xfe\xba\xbe" + struct.pack(">I", 2) + bytes(40)
JAVA_CLASS = b"\xca\xfe\xba\xbe" + struct.pack(">HH", 0, 52) + bytes(40)
LNK = b"L\x00\x00\x00\x01\x14\x02\x00\x00\x00\x00\x00\xc0\x00\x00\x00\x00\x00\x00F" + bytes(60)


@pytest.mark.parametrize(
    ("name", "data", "kind"),
    [
        ("a.exe", identity.program(), "pe"),
        ("a", b"\x7fELF\x02\x01\x01" + bytes(60), "elf"),
        ("a", b"\xcf\xfa\xed\xfe" + bytes(60), "macho"),
        ("a", UNIVERSAL, "macho"),
        ("A.class", JAVA_CLASS, "java-class"),
        ("a.lnk", LNK, "lnk"),
        ("a.iso", identity.disk_image(), "iso"),
        ("a.dmg", bytes(4096) + b"koly" + bytes(508), "dmg"),
        ("app.asar", ASAR, "asar"),
        ("a.docx", office.plain_docx(), "docx"),
        ("a.docm", make_docm("Sub A()\nEnd Sub\n"), "docm"),
        ("a.xlsx", _ooxml("openxmlformats-officedocument.spreadsheetml.sheet.main+xml"), "xlsx"),
        ("a.xlsm", _ooxml("ms-excel.sheet.macroEnabled.main+xml"), "xlsm"),
        (
            "a.pptx",
            _ooxml("openxmlformats-officedocument.presentationml.presentation.main+xml"),
            "pptx",
        ),
        ("a.pptm", _ooxml("ms-powerpoint.presentation.macroEnabled.main+xml"), "pptm"),
        ("a.odt", _zip({"mimetype": b"application/vnd.oasis.opendocument.text"}), "odt"),
        ("a.tgz", _tgz({"package/package.json": b'{"name":"x"}'}), "npm"),
        ("a.tar.gz", _tgz({"x-1.0/PKG-INFO": b"Name: x\n", "x-1.0/setup.py": b""}), "sdist"),
        ("a.tar.gz", _tgz({"notes/a.txt": b"hello"}), "gzip"),
        ("a.whl", _zip({"x/__init__.py": b"", "x-1.0.dist-info/WHEEL": b"W"}), "wheel"),
        ("a.zip", _zip({"a.txt": b"hello"}), "zip"),
        ("a.pdf", b"%PDF-1.7\n%%EOF\n", "pdf"),
        ("a.rtf", office.plain_rtf(), "rtf"),
        (
            "a.ps1",
            b"$c = New-Object Net.WebClient\nInvoke-Expression $c.DownloadString('x')\n",
            "script",
        ),
        ("a.sh", b"#!/bin/sh\necho hi\n", "script"),
        ("a.bat", b"@echo off\r\nset X=1\r\ngoto :end\r\n", "script"),
        ("a.vbs", identity.vbscript(), "script"),
        ("a.json", json.dumps({"a": [1, 2]}).encode(), "json"),
        ("a.txt", b"just a note about lunch\n", "text"),
        ("a.hta", b"<html><head><HTA:APPLICATION id=x></head></html>", "hta"),
        ("empty", b"", "empty"),
        ("MZ.txt", b"MZ is how this sentence starts, not a program\n" * 3, "text"),
    ],
)
def test_true_type(name: str, data: bytes, kind: str) -> None:
    assert identify(name, data)[0] == kind


def test_script_languages() -> None:
    assert script_language("x", b"#!/usr/bin/env python3\nprint(1)\n") == "Python"
    assert script_language("x", b"#!/usr/bin/env node\n") == "JavaScript"
    assert script_language("x.vbs", identity.vbscript()) == "VBScript"
    assert script_language("x", b'var s = new ActiveXObject("WScript.Shell");\n') == "JScript"
    assert script_language("x", b"Dear team, the meeting moved to 3pm.\n") is None


def test_mail_vocabulary_kept() -> None:
    """mail's sniff (now ours) still speaks ooxml / ooxml-macro."""
    assert sniff(office.plain_docx()) == "ooxml"
    assert sniff(make_docm("Sub A()\nEnd Sub\n")) == "ooxml-macro"
    assert sniff(identity.program()) == "pe"
    assert sniff(identity.vbscript()) == "text"


def _scan(tmp_path: Path, name: str, data: bytes) -> Report:
    path = tmp_path / name
    path.write_bytes(data)
    return report_for(str(path), FileContext())


def _rules(report: Report) -> dict[str, str]:
    return {f.rule: f.severity.value for r in report.walk() for f in r.findings}


def test_double_extension_program(tmp_path: Path) -> None:
    rules = _rules(_scan(tmp_path, "invoice.pdf.exe", identity.program()))
    assert rules["file.double_extension"] == "high"


def test_rtlo_name(tmp_path: Path) -> None:
    report = _scan(tmp_path, "invoice\u202efdp.exe", identity.program())
    finding = next(f for r in report.walk() for f in r.findings if f.rule == "file.bidi_name")
    assert finding.evidence["displayed"] == "invoiceexe.pdf"
    assert report.verdict.value != "clean"


def test_program_named_as_document(tmp_path: Path) -> None:
    rules = _rules(_scan(tmp_path, "photo.jpg", identity.program()))
    assert rules["file.type_mismatch"] == "high"


def test_lure_raises_dangerous_type(tmp_path: Path) -> None:
    assert _rules(_scan(tmp_path, "job_offer.vbs", identity.vbscript()))["file.dangerous_type"] == (
        "high"
    )
    assert _rules(_scan(tmp_path, "tool.vbs", identity.vbscript()))["file.dangerous_type"] == (
        "medium"
    )


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("data.txt", b'{"a": 1}'),
        ("page.txt", b"<html><body>hi</body></html>"),
        ("setup.exe", identity.program()),
        ("backup.tar.gz", _tgz({"notes/a.txt": b"hello"})),
        ("jquery.min.js.map", b'{"version":3}'),
        ("report.docx", office.plain_docx()),
        ("請求書_2024年.txt", "ご請求金額\n".encode()),
    ],
)
def test_benign_names_stay_quiet(tmp_path: Path, name: str, data: bytes) -> None:
    rules = _rules(_scan(tmp_path, name, data))
    assert not {r for r in rules if r.startswith(("file.type_", "file.double", "file.bidi"))}
    assert not {r for r in rules if r in ("file.invisible_name_characters", "file.dangerous_type")}


@pytest.fixture
def describe_calls(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The sizes of the data libmagic is asked to describe, call by call."""
    from koban.file import identify as module

    calls: list[int] = []
    original = module.describe

    def counting(data: bytes) -> str:
        calls.append(len(data))
        return original(data)

    monkeypatch.setattr(module, "describe", counting)
    return calls


def test_description_is_computed_when_first_read(describe_calls: list[int]) -> None:
    from koban.file import identify as module
    from koban.file.item import FileItem

    calls = describe_calls
    data = b"Meeting notes: bring the signed contract.\n" * 50
    kind, describe = module.identify_lazily("notes.txt", data)
    item = FileItem(path="notes.txt", name="notes.txt", data=data, true_type=kind,
                    description=describe)  # fmt: skip
    assert calls == []
    assert (kind, item.description) == identify("notes.txt", data)
    assert item.description == item.description
    assert len(calls) == 2  # once for the item (then kept), once for identify() above


def test_walk_leaves_libmagic_alone_unless_a_finding_quotes_it(
    tmp_path: Path, describe_calls: list[int]
) -> None:
    calls = describe_calls
    (tmp_path / "notes.txt").write_bytes(b"Meeting notes: bring the signed contract.\n")
    report_for(str(tmp_path / "notes.txt"), FileContext())
    assert calls == []
    program = b"MZ" + bytes(58) + struct.pack("<I", 64) + b"PE\x00\x00" + bytes(200)
    (tmp_path / "invoice.pdf").write_bytes(program)
    report = report_for(str(tmp_path / "invoice.pdf"), FileContext())
    mismatch = next(f for r in report.walk() for f in r.findings if f.rule == "file.type_mismatch")
    assert mismatch.evidence["description"] == identify("invoice.pdf", program)[1]
    assert calls
