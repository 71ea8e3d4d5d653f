"""Outlook .msg files end to end: the test builder's output, koban's reading of it, the verdicts.

The .msg fixtures are written by tests/mail/msgbuild.py (specs in ``fixture_specs``) into a
session folder; the builder itself is checked against olefile, extract-msg and libmagic.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import extract_msg
import magic
import olefile
import pytest
from click.testing import CliRunner, Result
from msgbuild import (
    MsgAttachment,
    MsgSpec,
    Recipient,
    build_msg,
    fixture_specs,
)

from koban.cli import cli
from koban.errors import InputError
from koban.mail import MailContext, analyse
from koban.mail.parse import parse_message
from koban.mail.sources import msg_to_rfc822
from koban.model import Report, Verdict
from koban.profile import Profile

FLAGGED = {
    "exec_freemail_ja.msg": {"mail.exec_display_name", "mail.lure_language"},
    "recruiter_lnk_zip.msg": {
        "mail.recruiting_download",
        "mail.attachment_dangerous_type",
        "mail.attachment_double_extension",
        "mail.link_lookalike",
    },
    "own_domain_spoof.msg": {"mail.own_domain_spoof"},
    "forwarded_exec_lure.msg": {"mail.attachment_dangerous_type", "mail.lure_language"},
}
CLEAN = ["clean_partner.msg", "clean_internal_ja.msg"]


@pytest.fixture(scope="session")
def msg_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("msg")
    for name, spec in fixture_specs().items():
        (folder / name).write_bytes(build_msg(spec))
    return folder


def _rules(report: Report) -> set[str]:
    return {f.rule for r in report.walk() for f in r.findings}


def _parsed(msg_dir: Path, name: str) -> Any:
    return parse_message(msg_to_rfc822((msg_dir / name).read_bytes(), name))


def test_every_fixture_is_listed() -> None:
    assert set(fixture_specs()) == set(FLAGGED) | set(CLEAN)


# --- the builder writes what other readers accept ----------------------------------------------


def test_compound_file_structure(msg_dir: Path) -> None:
    data = (msg_dir / "clean_partner.msg").read_bytes()
    assert data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    assert len(data) % 512 == 0
    ole = olefile.OleFileIO(data, raise_defects=olefile.DEFECT_INCORRECT)
    assert ole.sector_size == 512
    assert ole.mini_stream_cutoff_size == 4096
    streams = {"/".join(p) for p in ole.listdir(streams=True, storages=False)}
    for name in (
        "__properties_version1.0",
        "__substg1.0_0037001F",
        "__substg1.0_007D001F",
        "__nameid_version1.0/__substg1.0_00020102",
        "__nameid_version1.0/__substg1.0_00030102",
        "__nameid_version1.0/__substg1.0_00040102",
        "__recip_version1.0_#00000000/__substg1.0_39FE001F",
        "__attach_version1.0_#00000000/__substg1.0_3707001F",
        "__attach_version1.0_#00000000/__substg1.0_37010102",
    ):
        assert name in streams, name
    # The CSV attachment is past the mini-stream cutoff: it lives in regular sectors.
    csv = ole.openstream("__attach_version1.0_#00000000/__substg1.0_37010102").read()
    assert len(csv) > 4096
    assert csv == fixture_specs()["clean_partner.msg"].attachments[0].data
    subject = ole.openstream("__substg1.0_0037001F").read()
    assert subject.decode("utf-16-le") == "October statement available"
    # Property stream of the message: 32-byte header with one recipient and one attachment,
    # then 16-byte entries.
    props = ole.openstream("__properties_version1.0").read()
    assert props[8:24] == b"\x01\x00\x00\x00" * 4
    assert (len(props) - 32) % 16 == 0


def test_libmagic_sees_an_outlook_message(msg_dir: Path) -> None:
    for name in fixture_specs():
        desc = magic.from_buffer((msg_dir / name).read_bytes())
        assert "Microsoft Outlook Message" in desc, (name, desc)


def test_extract_msg_reads_the_properties(msg_dir: Path) -> None:
    m: Any = extract_msg.openMsg(str(msg_dir / "recruiter_lnk_zip.msg"))
    try:
        assert m.subject == "Senior Blockchain Engineer - technical assessment"
        assert m.classType == "IPM.Note"
        assert [(r.name, r.email) for r in m.recipients] == [("Dev Team", "dev@hoshi-exchange.jp")]
        (att,) = m.attachments
        assert att.longFilename == "documents.zip"
        assert att.data[:2] == b"PK"
        assert b"\\fromhtml1" in m.rtfBody
        assert m.namedProperties.get(("8580", "{00062008-0000-0000-C000-000000000046}")) == (
            "Outlook"
        )
        assert "mx.hoshi-exchange.jp" in m.headerText
    finally:
        m.close()
    m = extract_msg.openMsg(str(msg_dir / "forwarded_exec_lure.msg"))
    try:
        (att,) = m.attachments
        inner = att.data
        assert inner.subject == "至急：振込先変更のお願い"
        assert inner.attachments[0].longFilename == "documents.zip"
    finally:
        m.close()


# --- koban's reading ----------------------------------------------------------------------------


def test_sender_from_properties_without_transport_headers(msg_dir: Path) -> None:
    msg = _parsed(msg_dir, "exec_freemail_ja.msg")
    assert msg.subject == "至急：振込先変更のお願い"
    assert msg.from_.display == "山田 太郎（代表取締役）"
    # No PR_SENDER_SMTP_ADDRESS: the address comes from PR_SENDER_EMAIL_ADDRESS of type SMTP.
    assert msg.from_.address == "yamada.taro.ceo@outlook.jp"
    assert msg.from_count == 1
    assert [a.address for a in msg.to] == ["keiri@hoshi-exchange.jp"]
    assert msg.sender is None
    assert msg.header("authentication-results") is None  # no empty headers made up


def test_html_body_decoded_in_its_code_page(msg_dir: Path) -> None:
    msg = _parsed(msg_dir, "exec_freemail_ja.msg")
    assert msg.html is not None
    assert "取引先への振込先を下記口座に変更" in msg.html.text
    assert not [n for n in msg.notes if "replace" in n or "decode" in n], msg.notes


def test_exchange_sender_uses_the_smtp_address(msg_dir: Path) -> None:
    msg = _parsed(msg_dir, "clean_internal_ja.msg")
    assert msg.from_.address == "h.sato@hoshi-exchange.jp"
    assert msg.from_.malformed is None
    assert msg.sender is None  # the sender's only address is an Exchange DN


def test_sent_on_behalf_gives_a_sender_header() -> None:
    spec = MsgSpec(
        subject="hello",
        sender_name="Assistant",
        sender_address="assistant@hoshi-exchange.jp",
        representing_name="Taro Yamada",
        representing_address="t.yamada@hoshi-exchange.jp",
        body="hi",
    )
    msg = parse_message(msg_to_rfc822(build_msg(spec), "x.msg"))
    assert msg.from_.address == "t.yamada@hoshi-exchange.jp"
    assert msg.sender is not None
    assert msg.sender.address == "assistant@hoshi-exchange.jp"


def test_transport_headers_kept_folded_lines_and_all(msg_dir: Path) -> None:
    msg = _parsed(msg_dir, "recruiter_lnk_zip.msg")
    (auth,) = msg.raw_all("authentication-results")
    assert "dmarc=pass header.from=blockhire-talent.com" in auth
    assert len(msg.raw_all("received")) == 1
    assert msg.from_.display == "Ava Chen, Talent Partner"
    assert msg.from_.address == "ava.chen@blockhire-talent.com"
    # The original MIME structure headers are replaced by those of the rebuilt message.
    assert [v for v in msg.raw_all("content-type") if "----=_Part_0" in v] == []


def test_html_from_the_compressed_rtf_body(msg_dir: Path) -> None:
    msg = _parsed(msg_dir, "recruiter_lnk_zip.msg")
    links = {link.url: link for link in msg.links}
    assert links["https://hoshi-exchange-careers.com/portal"].text == "candidate portal"
    assert [a.filename for a in msg.attachments] == ["documents.zip"]


def test_damaged_msg_is_an_input_error(msg_dir: Path) -> None:
    data = (msg_dir / "clean_partner.msg").read_bytes()
    with pytest.raises(InputError, match=r"not a readable Outlook \.msg") as err:
        msg_to_rfc822(data[:1024], "cut.msg")
    assert err.value.source == "cut.msg"


# --- verdicts through the analyser and the CLI ----------------------------------------------------


@pytest.mark.parametrize("name", sorted(FLAGGED))
def test_flagged(name: str, msg_dir: Path, profile: Profile) -> None:
    report = analyse(str(msg_dir / name), profile, None)
    assert report.target == str(msg_dir / name)
    assert report.verdict is not Verdict.CLEAN, report.to_dict()
    missing = FLAGGED[name] - _rules(report)
    assert not missing, f"{name}: {missing} did not fire; got {_rules(report)}"


@pytest.mark.parametrize("name", CLEAN)
def test_clean(name: str, msg_dir: Path, profile: Profile) -> None:
    report = analyse(str(msg_dir / name), profile, None)
    assert report.verdict is Verdict.CLEAN, [
        (f.rule, f.message) for r in report.walk() for f in r.findings
    ]


def test_exec_msg_needs_the_profile(msg_dir: Path) -> None:
    report = analyse(str(msg_dir / "exec_freemail_ja.msg"), Profile(), None)
    assert "mail.exec_display_name" not in _rules(report)


def test_forwarded_message_is_analysed_inside(msg_dir: Path, ctx: MailContext) -> None:
    report = analyse(str(msg_dir / "forwarded_exec_lure.msg"), ctx.profile, None)
    targets = [r.target for r in report.walk()]
    assert any(t.endswith("documents.zip!Invoice_2025-11.pdf.lnk") for t in targets), targets


def _run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_cli_scan_msg_exit_codes(env: Path, fixtures: Path, msg_dir: Path) -> None:
    prof = str(fixtures / "koban.toml")
    clean = [str(msg_dir / n) for n in CLEAN]
    result = _run("--profile", prof, "mail", "scan", "--format", "json", *clean)
    assert result.exit_code == 0, result.output
    assert [json.loads(line)["verdict"] for line in result.stdout.splitlines()] == ["clean"] * 2
    bad = str(msg_dir / "exec_freemail_ja.msg")
    result = _run("--profile", prof, "mail", "scan", "--format", "json", clean[0], bad)
    assert result.exit_code == 1, result.output
    docs = [json.loads(line) for line in result.stdout.splitlines()]
    assert [d["target"] for d in docs] == [clean[0], bad]
    assert docs[1]["verdict"] == "malicious"
    assert result.stderr == ""
    result = _run("--profile", prof, "mail", "scan", bad)
    assert result.exit_code == 1
    assert "mail.exec_display_name" in result.stdout
    assert "山田 太郎" in result.stdout


def test_cli_folder_of_msg_files_and_a_damaged_one(env: Path, fixtures: Path) -> None:
    folder = env / "saved"
    folder.mkdir()
    specs = fixture_specs()
    for name in ("recruiter_lnk_zip.msg", "clean_internal_ja.msg"):
        (folder / name).write_bytes(build_msg(specs[name]))
    (folder / "cut.msg").write_bytes(build_msg(specs["clean_partner.msg"])[:1536])
    result = _run("--profile", str(fixtures / "koban.toml"), "mail", "scan", "--format", "json",
                  "saved")  # fmt: skip
    assert result.exit_code == 2, result.output
    (doc,) = [json.loads(line) for line in result.stdout.splitlines()]
    verdicts = {Path(c["target"]).name: c["verdict"] for c in doc["children"]}
    assert verdicts == {"recruiter_lnk_zip.msg": "malicious", "clean_internal_ja.msg": "clean"}
    assert "cut.msg" in result.stderr
    assert "not a readable Outlook .msg" in result.stderr


def test_msg_with_cc_and_no_body_still_reads() -> None:
    spec = MsgSpec(
        subject="",
        sender_name=None,
        sender_address=None,
        recipients=[Recipient("A", "a@example.jp"), Recipient("B, Jr.", "b@example.jp", kind=2)],
        attachments=[MsgAttachment("notes.txt", b"plain notes")],
    )
    msg = parse_message(msg_to_rfc822(build_msg(spec), "x.msg"))
    assert msg.from_ is None
    assert [a.address for a in msg.to] == ["a@example.jp"]
    assert "cc" in {k for k, _ in msg.headers}
    assert [a.filename for a in msg.attachments] == ["notes.txt"]
