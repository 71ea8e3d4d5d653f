"""Where messages come from: .eml, Outlook .msg, mbox files, Maildir and plain folders."""

from __future__ import annotations

import codecs
import contextlib
import email
import mailbox
import re
import warnings
from collections.abc import Callable, Iterator
from datetime import datetime
from email.header import Header
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from pathlib import Path
from typing import Any

from koban.errors import InputError

MAIL_SUFFIXES = {".eml", ".msg", ".mbox", ".mbx", ".txt"}
_HEADER_LINE = re.compile(rb"^[A-Za-z][A-Za-z0-9-]{0,60}:[ \t]?", re.MULTILINE)
_KNOWN = re.compile(
    rb"^(from|to|subject|date|received|message-id|return-path|delivered-to|mime-version|"
    rb"x-[a-z0-9-]+|authentication-results|reply-to|sender|cc|content-type):",
    re.IGNORECASE | re.MULTILINE,
)


def looks_like_mbox(head: bytes) -> bool:
    return head.startswith(b"From ")


def looks_like_message(head: bytes) -> bool:
    """RFC 822 headers at the top: at least two known header names in the first lines."""
    block = head.split(b"\n\n", 1)[0].split(b"\r\n\r\n", 1)[0]
    return len(_KNOWN.findall(block[:16384])) >= 2


def is_msg(head: bytes) -> bool:
    return head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")


def read_file(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InputError(str(path), f"cannot read: {exc.strerror or exc}") from exc


def iter_mbox(path: Path) -> Iterator[tuple[int, bytes]]:
    """(1-based number, bytes) of each message of an mbox file."""
    box = mailbox.mbox(str(path), create=False)
    try:
        for n, key in enumerate(box.iterkeys(), 1):
            yield n, box.get_bytes(key)
    finally:
        box.close()


def iter_folder(path: Path) -> Iterator[Path]:
    """Message files under ``path``: Maildir cur/ and new/, or every file of a plain folder."""
    if all((path / d).is_dir() for d in ("cur", "new", "tmp")):
        roots = [path / "cur", path / "new"]
    else:
        roots = [path]
    for root in roots:
        for p in sorted(root.rglob("*")):
            if p.is_file() and not p.name.startswith("."):
                yield p


def msg_to_rfc822(data: bytes, source: str) -> bytes:
    """An Outlook .msg as an RFC 822 message (headers, bodies, attachments) via extract-msg.

    The headers are the message's own transport headers (PR_TRANSPORT_MESSAGE_HEADERS) as
    received, byte for byte but for the MIME structure ones; what they lack (all of it for a
    message that was never sent over SMTP) comes from the MAPI properties: From from the
    sent-representing fields (Sender when the sender differs), SMTP addresses over Exchange
    ones. Bodies keep their bytes and code page (PR_INTERNET_CPID); an HTML body only held in
    the compressed RTF is de-encapsulated; embedded messages become message/rfc822 parts."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import extract_msg

            m: Any = extract_msg.openMsg(data, delayAttachments=False)
    except Exception as exc:  # extract-msg raises many types on damaged files
        raise InputError(source, f"not a readable Outlook .msg file ({exc})") from exc
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return _build(m, 0)
    except Exception as exc:  # a damaged part the reader only trips on when read
        raise InputError(source, f"not a readable Outlook .msg file ({exc})") from exc
    finally:
        with contextlib.suppress(Exception):  # closing a damaged file
            m.close()


MAX_EMBEDDED_DEPTH = 3
# Headers that describe the MIME structure of the original message: the rebuilt one has its own.
_STRUCTURE_HEADERS = frozenset(("content-type", "content-transfer-encoding", "mime-version"))
# PR_INTERNET_CPID values whose Python codec is not named cp<N>.
_CODE_PAGES = {
    20932: "euc-jp",
    50220: "iso-2022-jp",
    50221: "iso-2022-jp",
    50222: "iso-2022-jp",
    51932: "euc-jp",
    65001: "utf-8",
    1200: "utf-16-le",
    1201: "utf-16-be",
    20127: "us-ascii",
    **{28590 + n: f"iso-8859-{n}" for n in range(1, 16)},
}


def _safe(read: Callable[[], Any]) -> Any:
    """A property of a possibly damaged message: None when extract-msg fails to read it."""
    try:
        return read()
    except Exception:  # extract-msg raises many types on damaged streams
        return None


def _attr(obj: Any, *names: str) -> Any:
    """The first set attribute of ``names`` (None when none is, or reading it fails)."""
    for name in names:
        value = _safe(lambda name=name: getattr(obj, name))  # type: ignore[misc]
        if value:
            return value
    return None


def _string(m: Any, prop: str) -> str:
    """A string property (4 hex digits of its id) with line breaks flattened; "" when absent."""
    value = _safe(lambda: m.getStringStream(f"__substg1.0_{prop}"))
    return " ".join(str(value).split()) if value else ""


def _charset(cpid: Any) -> str | None:
    if not isinstance(cpid, int) or cpid <= 0:
        return None
    name = _CODE_PAGES.get(cpid, f"cp{cpid}")
    try:
        codecs.lookup(name)
    except LookupError:
        return None
    return name


def _mailbox(m: Any, name_id: str, type_id: str, addr_id: str, smtp_id: str) -> tuple[str, str]:
    """(display name, SMTP address) of the sender or sent-representing properties."""
    name = _string(m, name_id)
    address = _string(m, smtp_id)
    if not address:
        addr = _string(m, addr_id)
        if _string(m, type_id).upper() == "SMTP" or "@" in addr:
            address = addr  # an Exchange DN (type EX) is no mail address
    return name, address


def _transport_headers(m: Any) -> list[str]:
    """Header lines (with their continuation lines) of PR_TRANSPORT_MESSAGE_HEADERS."""
    text = _safe(lambda: m.getStringStream("__substg1.0_007D"))
    if not text:
        return []
    text = str(text).replace("\r\n", "\n").replace("\r", "\n").lstrip("\n")
    if text.startswith("Microsoft Mail Internet Headers Version 2.0"):
        text = text[len("Microsoft Mail Internet Headers Version 2.0") :].lstrip()
    lines: list[str] = []
    keep = False
    for line in text.split("\n\n", 1)[0].split("\n"):
        if line[:1] in (" ", "\t"):
            if keep:
                lines.append(line)
            continue
        name, colon, _ = line.partition(":")
        keep = bool(colon) and name.strip().lower() not in _STRUCTURE_HEADERS
        if keep:
            lines.append(line)
    return lines


def _address_header(name: str, mailboxes: list[tuple[str, str]]) -> str:
    return f"{name}: " + ", ".join(formataddr(mb, charset="utf-8") for mb in mailboxes)


def _property_headers(m: Any, present: set[str]) -> list[str]:
    """Header lines built from the MAPI properties for what the transport headers lack."""
    lines: list[str] = []
    sender = _mailbox(m, "0C1A", "0C1E", "0C1F", "5D01")
    author = _mailbox(m, "0042", "0064", "0065", "5D02")
    if "from" not in present and (author[0] or author[1] or sender[0] or sender[1]):
        lines.append(_address_header("From", [author if author[0] or author[1] else sender]))
        on_behalf = (author[0] or author[1]) and sender[1] and sender[1] != author[1]
        if on_behalf and "sender" not in present:
            lines.append(_address_header("Sender", [sender]))
    recipients = _safe(lambda: m.recipients) or []
    for header, kind in (("To", 1), ("Cc", 2)):
        if header.lower() in present:
            continue
        boxes: list[tuple[str, str]] = []
        for r in recipients[:100]:
            if int(_attr(r, "type") or 0) == kind:
                name = " ".join(str(_attr(r, "name") or "").split())
                email = " ".join(str(_attr(r, "email") or "").split())
                boxes.append((name, email if "@" in email else ""))
        if boxes:
            lines.append(_address_header(header, boxes))
    subject = _string(m, "0037")
    if subject and "subject" not in present:
        encoded = subject if subject.isascii() else Header(subject, "utf-8").encode()
        lines.append(f"Subject: {encoded}")
    date = _safe(lambda: m.date)
    if isinstance(date, datetime) and "date" not in present:
        with contextlib.suppress(TypeError, ValueError, OverflowError):
            lines.append(f"Date: {format_datetime(date)}")
    message_id = _string(m, "1035")
    if message_id and message_id.isascii() and "message-id" not in present:
        lines.append(f"Message-ID: {message_id}")
    return lines


def _html_body(m: Any) -> tuple[bytes, str | None] | None:
    """PR_HTML with its charset, else the HTML that the compressed RTF body encapsulates."""
    html = _safe(lambda: m.getStream("__substg1.0_10130102"))
    if isinstance(html, bytes) and html.strip():
        return html, _charset(_safe(lambda: m.getPropertyVal("3FDE0003")))
    if _safe(lambda: m.getStream("__substg1.0_10090102")) is None:
        return None
    from extract_msg.enums import DeencapType

    html = _safe(lambda: m.deencapsulateBody(m.rtfBody, DeencapType.HTML))
    if isinstance(html, str):
        return html.encode("utf-8"), "utf-8"
    if isinstance(html, bytes) and html.strip():
        return html, None
    return None


def _build(m: Any, depth: int) -> bytes:
    lines = _transport_headers(m)
    present = {line.partition(":")[0].strip().lower() for line in lines if line[:1] not in " \t"}
    lines += _property_headers(m, present)
    out = EmailMessage()
    body = _safe(lambda: m.body)  # PR_BODY, else the plain text the RTF body encapsulates
    html = _html_body(m)
    if body or html is None:
        out.set_content(str(body or ""))
    if html is not None:
        params = {"charset": html[1]} if html[1] else {}
        add = out.add_alternative if body else out.set_content
        add(html[0], maintype="text", subtype="html", cte="base64", params=params)
    for att in _safe(lambda: m.attachments) or []:
        data = _attr(att, "data")
        name = _attr(att, "longFilename", "name", "shortFilename")
        if isinstance(data, bytes):
            out.add_attachment(
                data, maintype="application", subtype="octet-stream", filename=name or "attachment"
            )
        elif hasattr(data, "getStringStream") and depth < MAX_EMBEDDED_DEPTH:
            inner = email.message_from_bytes(_build(data, depth + 1))
            out.add_attachment(inner)  # message/rfc822: its parts are analysed with ours
    head = "".join(line + "\n" for line in lines)
    return head.encode("utf-8", "surrogateescape") + bytes(out.as_bytes())
