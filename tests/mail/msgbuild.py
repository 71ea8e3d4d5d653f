"""Genuine Outlook .msg files for the tests, written per [MS-OXMSG].

No package here writes .msg files, but extract-msg (a koban dependency) ships an [MS-CFB] writer,
:class:`extract_msg.OleWriter` (512-byte sectors, FAT, mini stream for streams under 4096 bytes,
red-black directory tree). This module writes the Outlook layer on top of it, by the spec:

- ``__properties_version1.0`` of the message (32-byte header with the recipient and attachment
  counts), of each recipient and attachment (8-byte header): one 16-byte entry per property
  (tag, flags, value or size);
- ``__substg1.0_IIIITTTT`` streams for variable-size values (PT_UNICODE as UTF-16LE without
  the terminator, which the size counts; PT_BINARY as is);
- ``__recip_version1.0_#0000000N`` and ``__attach_version1.0_#0000000N`` storages;
- ``__nameid_version1.0`` with its GUID, entry and string streams (one named property).

The output is checked in tests/mail/test_msg.py with olefile, extract-msg and libmagic.
"""

from __future__ import annotations

import io
import struct
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

import compressed_rtf  # type: ignore[import-untyped]
from extract_msg import OleWriter

PT_LONG = 0x0003
PT_BOOLEAN = 0x000B
PT_UNICODE = 0x001F
PT_SYSTIME = 0x0040
PT_OBJECT = 0x000D
PT_BINARY = 0x0102

MAPI_TO, MAPI_CC = 1, 2
MSGFLAG_READ = 0x01
STORE_UNICODE_OK = 0x00040000
PROPATTR_READABLE_WRITABLE = 0x06
ATTACH_BY_VALUE = 1
ATTACH_EMBEDDED_MSG = 5
# CLSID of an Outlook message file's root storage (IMessage).
CLSID_MESSAGE = uuid.UUID("00020d0b-0000-0000-c000-000000000046").bytes_le
PSETID_COMMON = uuid.UUID("00062008-0000-0000-c000-000000000046")
PID_LID_INTERNET_ACCOUNT_NAME = 0x8580


@dataclass
class Recipient:
    name: str
    address: str
    kind: int = MAPI_TO


@dataclass
class MsgAttachment:
    filename: str
    data: bytes = b""
    mime_tag: str = "application/octet-stream"
    message: MsgSpec | None = None  # an embedded message (ATTACH_EMBEDDED_MSG) instead of data


@dataclass
class MsgSpec:
    """What goes into the .msg; ``None`` leaves a property out."""

    subject: str
    sender_name: str | None = None  # PR_SENDER_* (who sent it)
    sender_address: str | None = None
    representing_name: str | None = None  # PR_SENT_REPRESENTING_* (the From of Outlook)
    representing_address: str | None = None
    smtp_properties: bool = True  # also write PR_SENDER/SENT_REPRESENTING_SMTP_ADDRESS
    recipients: list[Recipient] = field(default_factory=list)
    body: str | None = None  # PR_BODY
    html: bytes | None = None  # PR_HTML, in the code page of ``cpid``
    cpid: int | None = None  # PR_INTERNET_CPID
    rtf: bytes | None = None  # PR_RTF_COMPRESSED: this RTF, compressed ([MS-OXRTFCP] LZFu)
    transport_headers: str | None = None  # PR_TRANSPORT_MESSAGE_HEADERS
    message_id: str | None = None
    attachments: list[MsgAttachment] = field(default_factory=list)
    sent: datetime = field(default_factory=lambda: datetime(2025, 11, 5, 2, 0, tzinfo=UTC))
    message_class: str = "IPM.Note"
    account: str = "Outlook"  # a named property (PidLidInternetAccountName)


def _filetime(when: datetime) -> int:
    return int((when - datetime(1601, 1, 1, tzinfo=UTC)).total_seconds() * 10_000_000)


class _Properties:
    """One property stream and the ``__substg1.0_`` streams that go beside it."""

    def __init__(self) -> None:
        self.entries: list[bytes] = []
        self.streams: dict[str, bytes] = {}

    def _tag(self, prop_id: int, ptype: int) -> int:
        return (prop_id << 16) | ptype

    def long(self, prop_id: int, value: int) -> None:
        tag = self._tag(prop_id, PT_LONG)
        self.entries.append(struct.pack("<III4x", tag, PROPATTR_READABLE_WRITABLE, value))

    def boolean(self, prop_id: int, value: bool) -> None:
        tag = self._tag(prop_id, PT_BOOLEAN)
        self.entries.append(struct.pack("<IIH6x", tag, PROPATTR_READABLE_WRITABLE, int(value)))

    def time(self, prop_id: int, when: datetime) -> None:
        tag = self._tag(prop_id, PT_SYSTIME)
        self.entries.append(struct.pack("<IIQ", tag, PROPATTR_READABLE_WRITABLE, _filetime(when)))

    def unicode(self, prop_id: int, value: str | None) -> None:
        if value is None:
            return
        data = value.encode("utf-16-le")
        self._variable(prop_id, PT_UNICODE, data, len(data) + 2)

    def binary(self, prop_id: int, value: bytes | None) -> None:
        if value is not None:
            self._variable(prop_id, PT_BINARY, value, len(value))

    def _variable(self, prop_id: int, ptype: int, data: bytes, size: int) -> None:
        tag = self._tag(prop_id, ptype)
        self.entries.append(struct.pack("<IIII", tag, PROPATTR_READABLE_WRITABLE, size, 0))
        self.streams[f"__substg1.0_{tag:08X}"] = data

    def write(self, ole: OleWriter, storage: list[str], header: bytes) -> None:
        ole.addEntry([*storage, "__properties_version1.0"], header + b"".join(self.entries))
        for name, data in self.streams.items():
            ole.addEntry([*storage, name], data)


def _sender(props: _Properties, base: int, smtp_id: int, name: str | None, addr: str | None,
            smtp: bool) -> None:  # fmt: skip
    """PR_SENDER_* (base 0x0C1A) or PR_SENT_REPRESENTING_* (base 0x0042): name, type, address."""
    ids = {0x0C1A: (0x0C1A, 0x0C1E, 0x0C1F), 0x0042: (0x0042, 0x0064, 0x0065)}[base]
    props.unicode(ids[0], name)
    if addr is not None:
        props.unicode(ids[1], "SMTP" if "@" in addr else "EX")
        props.unicode(ids[2], addr)
        if smtp and "@" in addr:
            props.unicode(smtp_id, addr)


def build_msg(spec: MsgSpec) -> bytes:
    """The bytes of an Outlook .msg holding ``spec``."""
    ole = OleWriter(rootClsid=CLSID_MESSAGE)
    _write_message(ole, [], spec)

    # Named properties: one numeric name (PidLidInternetAccountName) in PSETID_Common, the first
    # GUID of the GUID stream (GUID index 3); property index 0 maps it to id 0x8000.
    nameid = "__nameid_version1.0"
    entry = struct.pack("<II", PID_LID_INTERNET_ACCOUNT_NAME, (0 << 16) | (3 << 1) | 0)
    ole.addEntry([nameid, "__substg1.0_00020102"], PSETID_COMMON.bytes_le)
    ole.addEntry([nameid, "__substg1.0_00030102"], entry)
    ole.addEntry([nameid, "__substg1.0_00040102"], b"")
    # The name-to-id map stream: 0x1000 + (name id xor (GUID index << 1)) mod 0x1F, listing the
    # entry again.
    bucket = (PID_LID_INTERNET_ACCOUNT_NAME ^ (3 << 1)) % 0x1F
    ole.addEntry([nameid, f"__substg1.0_{0x1000 + bucket:04X}0102"], entry)

    out = io.BytesIO()
    ole.write(out)
    return out.getvalue()


def _write_message(ole: OleWriter, storage: list[str], spec: MsgSpec) -> None:
    """A message's properties, recipients and attachments under ``storage`` ([] = the file)."""
    top = _Properties()
    top.unicode(0x001A, spec.message_class)
    top.unicode(0x0037, spec.subject)
    top.unicode(0x0E1D, spec.subject)
    top.unicode(0x003D, "")
    _sender(top, 0x0C1A, 0x5D01, spec.sender_name, spec.sender_address, spec.smtp_properties)
    _sender(
        top, 0x0042, 0x5D02, spec.representing_name, spec.representing_address,
        spec.smtp_properties,
    )  # fmt: skip
    to = [r.name for r in spec.recipients if r.kind == MAPI_TO]
    cc = [r.name for r in spec.recipients if r.kind == MAPI_CC]
    top.unicode(0x0E04, "; ".join(to))
    top.unicode(0x0E03, "; ".join(cc))
    top.unicode(0x1000, spec.body)
    top.binary(0x1013, spec.html)
    if spec.rtf is not None:
        top.binary(0x1009, compressed_rtf.compress(spec.rtf, compressed=True))
    if spec.cpid is not None:
        top.long(0x3FDE, spec.cpid)
    top.unicode(0x007D, spec.transport_headers)
    top.unicode(0x1035, spec.message_id)
    top.long(0x0E07, MSGFLAG_READ)  # sent and read (MSGFLAG_UNSENT clear)
    top.long(0x340D, STORE_UNICODE_OK)
    top.boolean(0x0E1B, bool(spec.attachments))  # PR_HASATTACH
    top.time(0x0039, spec.sent)  # PR_CLIENT_SUBMIT_TIME
    top.time(0x0E06, spec.sent)  # PR_MESSAGE_DELIVERY_TIME
    if not storage:
        top.unicode(0x8000, spec.account)  # named property 0 of __nameid_version1.0
    n_recip, n_att = len(spec.recipients), len(spec.attachments)
    header = struct.pack("<8xIIII", n_recip, n_att, n_recip, n_att)
    top.write(ole, storage, header + (b"" if storage else bytes(8)))

    for i, r in enumerate(spec.recipients):
        props = _Properties()
        props.long(0x3000, i)  # PR_ROWID
        props.long(0x0C15, r.kind)
        props.unicode(0x3001, r.name)
        props.unicode(0x3002, "SMTP")
        props.unicode(0x3003, r.address)
        props.unicode(0x39FE, r.address)
        props.write(ole, [*storage, f"__recip_version1.0_#{i:08X}"], bytes(8))

    for i, a in enumerate(spec.attachments):
        where = [*storage, f"__attach_version1.0_#{i:08X}"]
        props = _Properties()
        stem, dot, ext = a.filename.rpartition(".")
        props.long(0x0E21, i)  # PR_ATTACH_NUM
        props.long(0x370B, 0xFFFFFFFF)  # PR_RENDERING_POSITION: not rendered in the body
        props.unicode(0x3001, a.filename)
        if a.message is not None:
            props.long(0x3705, ATTACH_EMBEDDED_MSG)
            # PR_ATTACH_DATA_OBJ (PT_OBJECT): a storage holding the whole message.
            tag = (0x3701 << 16) | PT_OBJECT
            props.entries.append(
                struct.pack("<IIII", tag, PROPATTR_READABLE_WRITABLE, 0xFFFFFFFF, 0)
            )
            props.write(ole, where, bytes(8))
            _write_message(ole, [*where, f"__substg1.0_{tag:08X}"], a.message)
            continue
        props.long(0x3705, ATTACH_BY_VALUE)
        props.long(0x0E20, len(a.data))  # PR_ATTACH_SIZE
        props.unicode(0x3707, a.filename)  # PR_ATTACH_LONG_FILENAME
        props.unicode(0x3704, (stem[:8] + dot + ext[:3]).upper() if dot else a.filename[:8])
        props.unicode(0x3703, dot + ext if dot else "")
        props.unicode(0x370E, a.mime_tag)
        props.binary(0x3701, a.data)  # PR_ATTACH_DATA_BIN
        props.write(ole, where, bytes(8))


# --- The .msg fixtures (profile: tests/fixtures/mail/koban.toml, Hoshi Exchange K.K.) ---------

LNK = b"L\x00\x00\x00\x01\x14\x02\x00\x00\x00\x00\x00\xc0\x00\x00\x00\x00\x00\x00F" + b"\x00" * 60
STAFF = Recipient("経理部", "keiri@hoshi-exchange.jp")


def _crlf(text: str) -> str:
    return text.strip("\n").replace("\n", "\r\n") + "\r\n"


def fixture_specs() -> dict[str, MsgSpec]:
    """Every .msg fixture by file name (what each is: tests/fixtures/mail/README.md)."""
    from koban.mail.examples import make_zip

    ceo_ja = "山田 太郎（代表取締役）"
    return {
        # Saved from Outlook without transport headers (a draft or a sent item): the sender is
        # only in the MAPI properties, SMTP address in PR_SENDER_EMAIL_ADDRESS (type SMTP) and
        # no PR_SENDER_SMTP_ADDRESS; HTML body in Shift_JIS (code page 932).
        "exec_freemail_ja.msg": MsgSpec(
            subject="至急：振込先変更のお願い",
            sender_name=ceo_ja,
            sender_address="yamada.taro.ceo@outlook.jp",
            representing_name=ceo_ja,
            representing_address="yamada.taro.ceo@outlook.jp",
            smtp_properties=False,
            recipients=[STAFF],
            body=_crlf("""
経理部 各位

本日中に、取引先への振込先を下記口座に変更してください。
監査前のため、この件は内密にお願いします。完了したら私に直接返信してください。

山田
"""),
            html=(
                "<html><head><meta http-equiv=Content-Type content='text/html; charset=shift_jis'>"
                "</head><body><p>経理部 各位</p><p>本日中に、取引先への振込先を下記口座に変更して"
                "ください。監査前のため、この件は内密にお願いします。</p><p>山田</p></body></html>"
            ).encode("cp932"),
            cpid=932,
        ),
        # A received fake-recruiter mail: transport headers (folded), the plain body without
        # the link, the HTML only inside the compressed RTF body (Outlook's own format), an
        # LNK posing as a PDF inside a zip, and a link to a look-alike of our domain.
        "recruiter_lnk_zip.msg": MsgSpec(
            subject="Senior Blockchain Engineer - technical assessment",
            sender_name="Ava Chen, Talent Partner",
            sender_address="ava.chen@blockhire-talent.com",
            recipients=[Recipient("Dev Team", "dev@hoshi-exchange.jp")],
            transport_headers=_crlf("""
Received: from mail.blockhire-talent.com (mail.blockhire-talent.com [198.51.100.23])
 by mx.hoshi-exchange.jp with ESMTPS; Wed, 5 Nov 2025 11:00:02 +0900
Authentication-Results: mx.hoshi-exchange.jp;
 spf=pass smtp.mailfrom=blockhire-talent.com;
 dkim=pass header.d=blockhire-talent.com;
 dmarc=pass header.from=blockhire-talent.com
From: "Ava Chen, Talent Partner"
 <ava.chen@blockhire-talent.com>
To: Dev Team <dev@hoshi-exchange.jp>
Subject: Senior Blockchain Engineer - technical assessment
Date: Wed, 5 Nov 2025 11:00:00 +0900
Message-ID: <c0ffee.1@blockhire-talent.com>
MIME-Version: 1.0
Content-Type: multipart/mixed;
 boundary="----=_Part_0"
"""),
            body=_crlf("""
Hi, thanks for your interest in the role. As the next step please complete our skills test:
open the attached project brief, run this project locally and send us a screenshot within
24 hours. Please sign in to the candidate portal first.
"""),
            rtf=(
                r"{\rtf1\ansi\ansicpg1252\fromhtml1 \deff0{\fonttbl{\f0\fswiss Arial;}}"
                r"{\*\htmltag19 <html>}{\*\htmltag34 <head>}{\*\htmltag41 </head>}"
                r"{\*\htmltag50 <body>}\htmlrtf {\htmlrtf0 Please complete our skills test: "
                r"run this project locally. Sign in to the "
                r"{\*\htmltag84 <a href='https://hoshi-exchange-careers.com/portal'>}"
                r"\htmlrtf {\htmlrtf0 candidate portal\htmlrtf }\htmlrtf0 {\*\htmltag92 </a>}"
                r" first.\htmlrtf }\htmlrtf0 {\*\htmltag58 </body>}{\*\htmltag27 </html>}}"
            ).encode("ascii"),
            attachments=[
                MsgAttachment(
                    "documents.zip",
                    make_zip({"Invoice_2025-11.pdf.lnk": LNK}),
                    "application/zip",
                )
            ],
        ),
        # Our own domain with a DMARC failure from our trusted server, in a folded
        # Authentication-Results header of the transport headers.
        "own_domain_spoof.msg": MsgSpec(
            subject="Allowlist this withdrawal address",
            sender_name="Taro Yamada",
            sender_address="t.yamada@hoshi-exchange.jp",
            recipients=[Recipient("Finance", "finance@hoshi-exchange.jp")],
            transport_headers=_crlf("""
Authentication-Results: mx.hoshi-exchange.jp;
 spf=fail (sender IP is 198.51.100.7) smtp.mailfrom=hoshi-exchange.jp;
 dkim=none (message not signed);
 dmarc=fail (p=quarantine) header.from=hoshi-exchange.jp
From: Taro Yamada <t.yamada@hoshi-exchange.jp>
To: finance@hoshi-exchange.jp
Subject: Allowlist this withdrawal address
Date: Tue, 4 Nov 2025 09:00:00 +0900
MIME-Version: 1.0
Content-Type: text/plain; charset=UTF-8
"""),
            body="Please whitelist this address for the hot wallet today: "
            "0x5B38Da6a701c568545dCfcB03FcB875f56beddC4\r\n",
        ),
        # The partner bank's statement notice, received with our server's DMARC pass; a CSV
        # attachment large enough to live in regular sectors rather than the mini stream.
        "clean_partner.msg": MsgSpec(
            subject="October statement available",
            sender_name="Sakura Bank Corporate Desk",
            sender_address="corporate@sakura-bank.co.jp",
            recipients=[Recipient("Finance", "finance@hoshi-exchange.jp")],
            transport_headers=_crlf("""
Received: from out.sakura-bank.co.jp (out.sakura-bank.co.jp [203.0.113.5])
 by mx.hoshi-exchange.jp with ESMTPS; Fri, 7 Nov 2025 12:00:01 +0900
Authentication-Results: mx.hoshi-exchange.jp;
 spf=pass smtp.mailfrom=sakura-bank.co.jp;
 dkim=pass header.d=sakura-bank.co.jp;
 dmarc=pass header.from=sakura-bank.co.jp
From: Sakura Bank Corporate Desk <corporate@sakura-bank.co.jp>
To: finance@hoshi-exchange.jp
Subject: October statement available
Date: Fri, 7 Nov 2025 12:00:00 +0900
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="b1"
"""),
            body=_crlf("""
Your October statement is available in the corporate portal:
https://corporate.sakura-bank.co.jp/statements

A summary is attached.
"""),
            attachments=[
                MsgAttachment(
                    "statement_2025-10.csv",
                    b"date,description,amount\r\n"
                    + b"".join(
                        b"2025-10-%02d,transfer,%d\r\n" % (d % 28 + 1, d) for d in range(300)
                    ),
                    "text/csv",
                )
            ],
        ),
        # A colleague forwards the executive lure as an attachment (an embedded .msg): what is
        # inside still counts.
        "forwarded_exec_lure.msg": MsgSpec(
            subject="FW: 至急：振込先変更のお願い",
            sender_name="Finance Desk",
            sender_address="finance@hoshi-exchange.jp",
            recipients=[Recipient("Security", "security@hoshi-exchange.jp")],
            body="Is this real? The attached mail asks us to change a payee today.\r\n",
            attachments=[
                MsgAttachment(
                    "至急：振込先変更のお願い.msg",
                    message=MsgSpec(
                        subject="至急：振込先変更のお願い",
                        sender_name=ceo_ja,
                        sender_address="yamada.taro.ceo@outlook.jp",
                        recipients=[STAFF],
                        body="本日中に振込先を変更してください。内密にお願いします。\r\n",
                        attachments=[
                            MsgAttachment(
                                "documents.zip", make_zip({"Invoice_2025-11.pdf.lnk": LNK})
                            )
                        ],
                    ),
                )
            ],
        ),
        # A colleague's mail saved from the Sent Items of an Exchange mailbox: no transport
        # headers, the sender an Exchange DN (type EX) with the SMTP address beside it.
        "clean_internal_ja.msg": MsgSpec(
            subject="来週の定例会議について",
            sender_name="佐藤 花子",
            sender_address="/O=EXCHANGELABS/OU=EXCHANGE ADMINISTRATIVE GROUP/CN=RECIPIENTS/CN=SATO",
            representing_name="佐藤 花子",
            representing_address="h.sato@hoshi-exchange.jp",
            recipients=[Recipient("開発チーム", "dev@hoshi-exchange.jp")],
            body=_crlf("""
開発チームの皆さん

来週の定例会議は水曜日の10時からに変更になりました。議題は社内ポータルに載せています。
https://portal.hoshi-exchange.jp/meetings

佐藤
"""),
        ),
    }
