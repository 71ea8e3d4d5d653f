"""Evaluation on real files (read-only): strelka's fixtures and oletools' test data.

Prints a table (file -> true type, verdict, Office/PDF rules) and asserts what must hold:
obvious types identified; macros, DDE and embedded objects found in the oletools samples that
hold them (per the oletools test suite's own expectations); harmless samples and strelka's
benign binaries not called malicious. Run with ``-s`` to see the table and the figures.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from koban.file import FileContext, FileOptions, report_for
from koban.file.identify import identify
from koban.model import Report

pytestmark = pytest.mark.shared_data

STRELKA = "files/strelka-fixtures/src/python/strelka/tests/fixtures"
OLETOOLS = "files/oletools-testdata/tests/test-data"
ZIP_PASSWORD = "infected-test"  # oletools' tests encrypt their risky samples with it
SKIP = {"SHA256SUMS", "PROVENANCE.txt", "LICENSE", "LICENSE.md", "MISSING.txt"}

# Extension -> the type that must be found (where the extension is unambiguous).
EXPECTED = {
    "exe": "pe", "dll": "pe", "elf": "elf", "macho": "macho", "lnk": "lnk", "iso": "iso",
    "pdf": "pdf", "docx": "docx", "docm": "docm", "xlsx": "xlsx", "xlsm": "xlsm",
    "pptx": "pptx", "pptm": "pptm", "dotx": "dotx", "dotm": "dotm", "xlsb": "xlsb",
    "rtf": "rtf", "zip": "zip", "7z": "7z", "rar": "rar", "gz": "gzip", "bz2": "bzip2",
    "xz": "xz", "tar": "tar", "cab": "cab", "png": "png", "jpg": "jpeg", "gif": "gif",
    "dmg": "dmg", "json": "json", "eml": "eml", "html": "html", "msi": "ole", "one": "onenote",
    "xar": "xar", "deb": "deb", "odt": "odt", "ods": "ods", "odp": "odp", "slk": "slk",
    "doc": "ole", "xls": "ole", "ppt": "ole", "bat": "script", "js": "script",
}  # fmt: skip
ENCRYPTED_OOXML = {"encrypted.docx", "test_password.docx", "test_password_brute.docx"}


def _files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file() and p.name not in SKIP)


def _rules(report: Report) -> set[str]:
    return {f.rule for r in report.walk() for f in r.findings}


def _ext(path: Path) -> str:
    return path.suffix.lower().lstrip(".")


def test_types_identified(shared_data: Path) -> None:
    rows, wrong, checked = [], [], 0
    for root in (shared_data / STRELKA, shared_data / OLETOOLS):
        for path in _files(root):
            kind, desc = identify(path.name, path.read_bytes())
            rows.append(f"{kind:11} {path.name[:48]:48} {desc[:60]}")
            want = EXPECTED.get(_ext(path))
            if (
                want is None
                or path.name in ENCRYPTED_OOXML
                or "encrypt" in str(path)
                or ("broken" in path.name)
            ):
                continue  # encrypted OOXML is an OLE container; broken files are broken
            checked += 1
            if kind != want:
                wrong.append(f"{path.name}: {kind} (expected {want})")
    print("\n".join(rows))
    print(f"types: {checked - len(wrong)}/{checked} files with an unambiguous extension")
    assert not wrong, wrong


def _scan(path: Path) -> Report:
    ctx = FileContext(options=FileOptions(passwords=(ZIP_PASSWORD,)))
    return report_for(str(path), ctx)


# oletools samples and what each must yield (from the folder layout and oletools' own tests).
MUST = {
    "msodde/dde-test.docx": "file.office_dde",
    "msodde/dde-test.docm": "file.office_dde",
    "msodde/dde-test.xlsx": "file.office_dde",
    "msodde/dde-test.xlsm": "file.office_dde",
    "msodde/dde-test.xlsb": "file.office_dde",
    "msodde/dde-in-csv.csv": "file.office_dde",
    "msodde/dde-in-excel2003.xml": "file.office_dde",
    "msodde/dde-test-from-office2003.doc.zip": "file.office_dde",
    "msodde/dde-test-from-office2016.doc.zip": "file.office_dde",
    "msodde/dde-in-word2007.xml.zip": "file.office_dde",
    "encrypted/dde-test-encrypt-standardpassword.xls": "file.office_dde",
    "encrypted/dde-test-encrypt-standardpassword.xlsx": "file.office_dde",
    "encrypted/autostart-encrypt-standardpassword.xls": "file.office_macro",
    "encrypted/autostart-encrypt-standardpassword.xlsm": "file.office_macro",
    "olevba/sample_with_vba.ppt": "file.office_macro",
    "oleform/oleform-PR314.docm": "file.office_macro",
    "excel4-macros/excel4_sample_macro.xls": "file.office_xlm_macro",
    "excel4-macros/excel4_sample_macro.xlsm": "file.office_xlm_macro",
    "excel4-macros/excel4_sample_macro.xlsb": "file.office_xlm_macro",
    "excel4-macros/excel4_sample_macro.slk": "file.office_xlm_macro",
    "oleobj/sample_with_calc_embedded.doc": "file.office_embedded_object",
    "oleobj/sample_with_lnk_file.doc": "file.office_embedded_object",
    "oleobj/sample_with_lnk_file.ppt": "file.office_embedded_object",
    "oleobj/embedded-simple-2007.docx": "file.office_embedded_object",
    "oleobj/embedded-simple-2007.xlsx": "file.office_embedded_object",
    "oleobj/embedded-simple-2007.pptx": "file.office_embedded_object",
    "oleobj/embedded-simple-2007.doc": "file.office_embedded_object",
    "oleobj/embedded-unicode-2007.docx": "file.office_embedded_object",
    "oleobj/external_link/sample_with_external_link_to_doc.docx": "file.office_external_object",
    "oleobj/external_link/sample_with_external_link_to_doc.xlsx": "file.office_external_object",
    "oleobj/external_link/sample_with_external_link_to_doc.pptx": "file.office_external_object",
    "encrypted/encrypted.docx": "file.office_encrypted",
    "encrypted/encrypted.xls": "file.office_encrypted",
}
HARMLESS = [
    "msodde/harmless-clean.doc",
    "msodde/harmless-clean.docx",
    "msodde/harmless-clean.docm",
    "msodde/harmless-clean.xml",
    "msodde/harmless-clean-2003.xml",
    "basic/text",
    "basic/empty",
    "other/presentation.xps",
]


def test_oletools_samples(shared_data: Path) -> None:
    root = shared_data / OLETOOLS
    found: Counter[str] = Counter()
    missed = []
    for rel, rule in MUST.items():
        rules = _rules(_scan(root / rel))
        if rule in rules:
            found[rule] += 1
        else:
            missed.append(f"{rel}: {rule} not found ({sorted(rules)})")
    totals = Counter(MUST.values())
    for rule in sorted(totals):
        print(f"{rule}: {found[rule]}/{totals[rule]}")
    noisy = []
    for rel in HARMLESS:
        report = _scan(root / rel)
        if report.verdict.value != "clean":
            noisy.append(f"{rel}: {report.verdict.value} {sorted(_rules(report))}")
    print(f"harmless samples clean: {len(HARMLESS) - len(noisy)}/{len(HARMLESS)}")
    assert not missed, missed
    assert not noisy, noisy


def test_strelka_fixtures_not_malicious(shared_data: Path) -> None:
    verdicts: Counter[str] = Counter()
    malicious = []
    binaries = 0
    for path in _files(shared_data / STRELKA):
        report = _scan(path)
        verdicts[report.verdict.value] += 1
        kind = identify(path.name, path.read_bytes()[: 1 << 20])[0]
        binaries += kind in ("pe", "elf", "macho")
        if report.verdict.value == "malicious":
            malicious.append(f"{path.name}: {sorted(_rules(report))}")
        print(f"{report.verdict.value:10} {report.score:3} {kind:10} {path.name}")
    print(f"strelka verdicts: {dict(verdicts)}; binaries: {binaries}")
    assert binaries >= 8
    assert not malicious, malicious
