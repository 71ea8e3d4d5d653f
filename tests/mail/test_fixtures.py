"""The fixtures of tests/fixtures/mail: every lure flagged with the right rule, every ham clean."""

from __future__ import annotations

from pathlib import Path

import pytest

from koban.mail import MailContext, analyse, scan_message
from koban.model import Report, Verdict
from koban.profile import Profile

FLAGGED = {
    "exec_freemail_en.eml": {"mail.exec_display_name", "mail.lure_language"},
    "exec_freemail_ja_iso2022jp.eml": {"mail.exec_display_name", "mail.lure_language"},
    "exec_freemail_ja_sjis.eml": {"mail.exec_display_name"},
    "exec_mislabelled_iso2022jp_as_sjis.eml": {"mail.exec_display_name", "mail.malformed_mime"},
    "lookalike_domain.eml": {"mail.lookalike_sender", "mail.role_impersonation"},
    "idn_domain.eml": {"mail.lookalike_sender"},
    "own_domain_spoof.eml": {"mail.own_domain_spoof"},
    "recruiter_skills_test.eml": {"mail.recruiting_download", "mail.link_download"},
    "recruiter_ja_app.eml": {"mail.recruiting_download", "mail.link_download"},
    "lnk_in_zip.eml": {"mail.attachment_dangerous_type", "mail.attachment_double_extension"},
    "password_zip.eml": {"mail.attachment_encrypted", "mail.attachment_dangerous_type"},
    "macro_docm.eml": {"mail.attachment_macro"},
    "double_extension.eml": {"mail.attachment_double_extension"},
    "html_only_mismatch.eml": {"mail.link_text_mismatch", "mail.lure_language"},
}
CLEAN = [
    "clean_internal.eml",
    "clean_internal_ja.eml",
    "clean_same_surname.eml",
    "clean_same_surname_outside.eml",
    "clean_partner.eml",
    "clean_vendor.eml",
    "clean_newsletter.eml",
]


def _rules(report: Report) -> set[str]:
    return {f.rule for r in report.walk() for f in r.findings}


def test_every_fixture_is_listed(fixtures: Path) -> None:
    assert {p.name for p in fixtures.glob("*.eml")} == set(FLAGGED) | set(CLEAN)


@pytest.mark.parametrize("name", sorted(FLAGGED))
def test_flagged(name: str, fixtures: Path, ctx: MailContext) -> None:
    report = scan_message((fixtures / name).read_bytes(), name, ctx)
    assert report.verdict is not Verdict.CLEAN, report.to_dict()
    missing = FLAGGED[name] - _rules(report)
    assert not missing, f"{name}: {missing} did not fire; got {_rules(report)}"
    for r in report.walk():
        for f in r.findings:
            assert f.message.strip()


@pytest.mark.parametrize("name", CLEAN)
def test_clean(name: str, fixtures: Path, ctx: MailContext) -> None:
    report = scan_message((fixtures / name).read_bytes(), name, ctx)
    assert report.verdict is Verdict.CLEAN, [
        (f.rule, f.message) for r in report.walk() for f in r.findings
    ]


def test_exec_checks_need_the_profile(fixtures: Path) -> None:
    ctx = MailContext.build(Profile(), None)
    report = scan_message((fixtures / "exec_freemail_ja_sjis.eml").read_bytes(), "x", ctx)
    assert "mail.exec_display_name" not in _rules(report)


def test_japanese_encodings_decoded(fixtures: Path, ctx: MailContext) -> None:
    for name, subject in (
        ("exec_freemail_ja_iso2022jp.eml", "至急：振込先変更のお願い"),
        ("exec_freemail_ja_sjis.eml", "【至急】ご対応のお願い"),
    ):
        report = scan_message((fixtures / name).read_bytes(), name, ctx)
        assert report.verdict is Verdict.MALICIOUS
        from koban.mail.parse import parse_message

        assert parse_message((fixtures / name).read_bytes()).subject == subject


def test_attachment_children(fixtures: Path, ctx: MailContext) -> None:
    report = scan_message((fixtures / "lnk_in_zip.eml").read_bytes(), "m.eml", ctx)
    (att,) = [c for c in report.children if c.analyser == "mail"]
    assert att.target == "m.eml!documents.zip"
    (member,) = [c for c in att.children if c.analyser == "mail"]
    assert member.target == "m.eml!documents.zip!Invoice_2025-11.pdf.lnk"
    finding = next(f for f in member.findings if f.rule == "mail.attachment_dangerous_type")
    assert finding.kind == "attachment"
    assert finding.location is not None
    assert finding.location.path == "documents.zip!Invoice_2025-11.pdf.lnk"
    assert len(finding.evidence["sha256"]) == 64


def test_attachments_also_get_the_file_triage(fixtures: Path, ctx: MailContext) -> None:
    report = scan_message((fixtures / "lnk_in_zip.eml").read_bytes(), "m.eml", ctx)
    (att,) = [c for c in report.children if c.analyser == "mail"]
    (triage,) = [c for c in att.children if c.analyser == "file"]
    assert triage.target == "documents.zip"
    rules = {f.rule for r in triage.walk() for f in r.findings}
    assert "file.double_extension" in rules or "file.type_mismatch" in rules, rules


def test_password_zip_opened_with_body_password(fixtures: Path, ctx: MailContext) -> None:
    report = scan_message((fixtures / "password_zip.eml").read_bytes(), "m.eml", ctx)
    enc = next(
        f for r in report.walk() for f in r.findings if f.rule == "mail.attachment_encrypted"
    )
    assert enc.evidence["password_found"] is True
    assert any(r.target.endswith("!契約書.js") for r in report.walk())


def test_macro_severity(fixtures: Path, ctx: MailContext) -> None:
    report = scan_message((fixtures / "macro_docm.eml").read_bytes(), "m.eml", ctx)
    macro = next(f for r in report.walk() for f in r.findings if f.rule == "mail.attachment_macro")
    assert macro.severity.value == "critical"
    assert "AutoOpen" in macro.evidence["autoexec"]


def test_links_are_url_children(fixtures: Path, ctx: MailContext) -> None:
    report = scan_message((fixtures / "recruiter_skills_test.eml").read_bytes(), "m.eml", ctx)
    urls = [c for c in report.children if c.analyser == "url"]
    assert [c.target for c in urls] == [
        "https://blockhire-talent.com/assessment/crypto-trading-skills-test.zip"
    ]
    assert urls[0].verdict is not Verdict.CLEAN or report.verdict is Verdict.MALICIOUS


def test_analyse_single_file_keeps_target(fixtures: Path, profile: Profile) -> None:
    target = str(fixtures / "clean_internal.eml")
    report = analyse(target, profile, None)
    assert report.target == target
    assert report.analyser == "mail"
