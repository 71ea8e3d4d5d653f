"""Office inspector on generated documents (koban.file.examples.office): lures flagged with the
right rule and severity, ordinary documents clean."""

from __future__ import annotations

from pathlib import Path

import pytest

from koban.file import FileContext, FileOptions, report_for
from koban.file.examples import office
from koban.model import Finding, Report


def _scan(tmp_path: Path, name: str, data: bytes, passwords: tuple[str, ...] = ()) -> Report:
    path = tmp_path / name
    path.write_bytes(data)
    return report_for(str(path), FileContext(options=FileOptions(passwords=passwords)))


def _find(report: Report, rule: str) -> Finding:
    found = [f for r in report.walk() for f in r.findings if f.rule == rule]
    assert found, f"{rule} not in {[f.rule for r in report.walk() for f in r.findings]}"
    return found[0]


def test_macro_dropper_is_critical(tmp_path: Path) -> None:
    report = _scan(tmp_path, "invoice.docm", office.macro_docm())
    macro = _find(report, "file.office_macro")
    assert macro.severity.value == "critical"
    assert "AutoOpen" in macro.evidence["autoexec"]
    assert "https://example.com/stage2.exe" in macro.indicators
    assert report.verdict.value == "malicious"
    # the package's vbaProject.bin member is not reported a second time
    assert sum(f.rule == "file.office_macro" for r in report.walk() for f in r.findings) == 1


def test_harmless_macro_is_low(tmp_path: Path) -> None:
    report = _scan(tmp_path, "table.docm", office.macro_docm(office.HARMLESS_MACRO))
    assert _find(report, "file.office_macro").severity.value == "low"
    assert report.verdict.value == "clean"


def test_dde(tmp_path: Path) -> None:
    finding = _find(_scan(tmp_path, "notice.docx", office.dde_docx()), "file.office_dde")
    assert finding.severity.value == "critical"
    assert "cmd.exe" in finding.evidence["fields"][0]
    assert _find(_scan(tmp_path, "export.csv", office.csv_dde()), "file.office_dde")


def test_remote_template(tmp_path: Path) -> None:
    url = "https://example.com/t/offer.dotm"
    finding = _find(
        _scan(tmp_path, "offer.docx", office.remote_template_docx(url)),
        "file.office_remote_template",
    )
    assert finding.severity.value == "high"
    assert finding.indicators == [url]


def test_rtf_package_with_program(tmp_path: Path) -> None:
    finding = _find(
        _scan(tmp_path, "letter.rtf", office.rtf_package()), "file.office_embedded_object"
    )
    assert finding.severity.value == "high"
    assert finding.evidence["filename"] == "invoice.exe"
    assert finding.evidence["true_type"] == "pe"


def test_rtf_equation(tmp_path: Path) -> None:
    report = _scan(tmp_path, "quote.rtf", office.rtf_equation())
    assert _find(report, "file.office_equation_object").severity.value == "high"


def test_velvet_sweatshop_decrypted_and_analysed(tmp_path: Path) -> None:
    report = _scan(tmp_path, "invoice.docm", office.encrypted_docx())
    assert _find(report, "file.office_encrypted").severity.value == "medium"
    assert _find(report, "file.office_macro").severity.value == "critical"


def test_unknown_password_then_supplied(tmp_path: Path) -> None:
    data = office.encrypted_docx("s3cret-example")
    locked = _scan(tmp_path, "a.docm", data)
    assert _find(locked, "file.office_encrypted").severity.value == "low"
    assert not [f for r in locked.walk() for f in r.findings if f.rule == "file.office_macro"]
    opened = _scan(tmp_path, "b.docm", data, passwords=("wrong", "s3cret-example"))
    assert _find(opened, "file.office_encrypted").severity.value == "info"
    assert _find(opened, "file.office_macro").severity.value == "critical"


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("report.docx", office.plain_docx()),
        ("minutes.docx", office.local_template_docx()),
        ("letter.rtf", office.plain_rtf()),
        ("export.csv", b"name,amount\nalice,=SUM(A1:A2)\n"),
    ],
)
def test_ordinary_documents_clean(tmp_path: Path, name: str, data: bytes) -> None:
    report = _scan(tmp_path, name, data)
    assert report.verdict.value == "clean"
    assert not [f for r in report.walk() for f in r.findings if f.rule.startswith("file.office")]


@pytest.mark.parametrize("cut", [100, 1000, 3000])
def test_truncated_documents_do_not_crash(tmp_path: Path, cut: int) -> None:
    for name, data in (("a.docm", office.macro_docm()), ("a.rtf", office.rtf_package())):
        report = _scan(tmp_path, name, data[:cut])
        assert not [
            f for r in report.walk() for f in r.findings if f.rule == "file.inspector_error"
        ]


def test_office_passwords_apart_from_archive_passwords(tmp_path: Path) -> None:
    """``office_passwords`` (the CLI: only what the user supplied) replaces ``passwords`` for
    documents, so archive-only passwords cost no key derivation."""
    data = office.encrypted_docx("s3cret-example")
    path = tmp_path / "a.docm"
    path.write_bytes(data)
    archive_only = FileOptions(passwords=("s3cret-example",), office_passwords=())
    locked = report_for(str(path), FileContext(options=archive_only))
    assert _find(locked, "file.office_encrypted").severity.value == "low"
    supplied = FileOptions(passwords=("infected",), office_passwords=("s3cret-example",))
    opened = report_for(str(path), FileContext(options=supplied))
    assert _find(opened, "file.office_encrypted").severity.value == "info"


def _msodde_fields(rtf: bytes) -> str:
    import io

    from oletools import msodde

    try:
        return str(msodde.process_rtf(io.BytesIO(rtf), msodde.FIELD_FILTER_DDE))
    except Exception:  # msodde gives up on this RTF: no DDE reported
        return ""


@pytest.mark.parametrize(
    ("rtf", "may"),
    [
        (rb"{\rtf1{\field{\*\fldinst DDEAUTO c:\\a.exe}}}", True),
        (rb"{\rtf1{\field{\*\fldinst{\rtlch\af1 } dde x}}}", True),
        (
            rb"{\rtf1{\fldinst\
 DDE x}}",
            True,
        ),
        (rb"{\rtf1{\fldinst{\comment x} DDE y}}", True),  # nested destination: msodde decides
        (rb"{\rtf1{\fldinst{\*\comment x} DDE y}}", False),  # "\*" is the field's first text
        (rb"{\rtf1{\fldinst \{ DDE x}}", False),
        (rb"{\rtf1{\fldinst \'44DE x}}", False),  # msodde does not decode hex escapes
        (rb"{\rtf1{\field{\*\fldinst  HYPERLINK x}}}", False),
        (rb"{\rtf1{\fldinst}{DDE x}}", False),  # the field closed before the text
        (rb"{\rtf1 no fields at all}", False),
    ],
)
def test_rtf_dde_precheck_agrees_with_msodde(rtf: bytes, may: bool) -> None:
    from koban.file.inspectors.office import _rtf_may_have_dde

    assert _rtf_may_have_dde(rtf) is may
    if not may:  # skipping msodde must never hide a field it would report
        assert _msodde_fields(rtf) == ""
    else:
        assert _msodde_fields(rtf)


def _rtfobj_objects(rtf: bytes) -> int:
    from oletools import rtfobj

    parser = rtfobj.RtfObjParser(rtf)
    parser.parse()
    return len(parser.objects)


@pytest.mark.parametrize(
    ("rtf", "may"),
    [
        (rb"{\rtf1{\object{\*\objdata 0105}}}", True),
        (rb"{\rtf1{\object{\*\objdata0105}}}", True),
        (rb"{\rtf1 the \\objdata control word, escaped}", False),
        (rb"{\rtf1 \\\objdata 0105}", True),  # "\\" then a real \objdata
        (rb"{\rtf1 \'e9\\objdata}", False),
        (rb"{\rtf1 \'\\\objdata 01}", True),  # "\'" skips two bytes: the pairing shifts
        (rb"{\rtf1 \bin4 abcd \\objdata}", True),  # \bin skips bytes: rtfobj decides
        (rb"{\rtf1 plain}", False),
    ],
)
def test_rtf_object_precheck_agrees_with_rtfobj(rtf: bytes, may: bool) -> None:
    from koban.file.inspectors.office import _rtf_may_have_objects

    assert _rtf_may_have_objects(rtf) is may
    if not may:  # skipping rtfobj must never hide an object it would find
        assert _rtfobj_objects(rtf) == 0


def test_rtf_object_precheck_on_real_object() -> None:
    from koban.file.inspectors.office import _rtf_may_have_objects

    data = office.rtf_equation()
    assert _rtf_may_have_objects(data) and _rtfobj_objects(data) >= 1


def _msodde_csv(text: bytes, tmp_path: Path) -> str:
    from oletools import msodde

    path = tmp_path / "document.csv"
    path.write_bytes(text)
    try:
        return str(msodde.process_file(str(path), msodde.FIELD_FILTER_DDE) or "")
    except Exception:  # msodde gives up on this text: no DDE reported
        return ""


@pytest.mark.parametrize(
    ("text", "may"),
    [
        (b"name,cmd\nalice,=cmd|' /C calc'!A0\n", True),
        (b"a;b\n1;\"+MSEXCEL|'\\..\\calc.exe'!A\"\n", True),
        (b"@SUM(1+1)*cmd|' /C calc'!A0", True),  # small file: read as one cell
        (b"x,y\n55|3!A0,note\n", True),  # msodde's [=+-@] is a range: a digit starts a link too
        (b"name,amount\nalice,=SUM(A1:A2)\n", False),
        (b"a,b\nwow!,x|y\n", False),  # a "!" only before the "|"
        (b"plain words, nothing else\n" * 200, False),
    ],
)
def test_csv_dde_precheck_agrees_with_msodde(text: bytes, may: bool, tmp_path: Path) -> None:
    from koban.file.inspectors.office import _csv_may_have_dde

    assert _csv_may_have_dde(text) is may
    if not may:  # skipping msodde must never hide a cell it would report
        assert _msodde_csv(text, tmp_path) == ""
    else:
        assert _msodde_csv(text, tmp_path)
