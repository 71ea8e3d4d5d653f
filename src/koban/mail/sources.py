"""Where messages come from: .eml, Outlook .msg, mbox files, Maildir and plain folders."""

from __future__ import annotations

import contextlib
import mailbox
import re
import warnings
from collections.abc import Iterator
from email.message import EmailMessage
from email.utils import format_datetime
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
    """An Outlook .msg as an RFC 822 message (headers, bodies, attachments) via extract-msg."""
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
            return _build(m)
    finally:
        with contextlib.suppress(Exception):  # closing a damaged file
            m.close()


def _build(m: Any) -> bytes:
    out = EmailMessage()
    header = getattr(m, "header", None)
    copied: set[str] = set()
    skip = {"content-type", "content-transfer-encoding", "mime-version"}
    if header is not None:
        for name, value in header.items():
            if name.lower() in skip:
                continue
            try:
                out[name] = str(value)
                copied.add(name.lower())
            except (ValueError, TypeError, IndexError):
                continue
    for name, attr in (("From", "sender"), ("To", "to"), ("Cc", "cc"), ("Subject", "subject")):
        value = getattr(m, attr, None)
        if value and name.lower() not in copied:
            try:
                out[name] = str(value).replace("\r", " ").replace("\n", " ")
            except (ValueError, TypeError, IndexError):
                continue
    date = getattr(m, "date", None)
    if date is not None and "date" not in copied:
        with contextlib.suppress(TypeError, ValueError, AttributeError):
            out["Date"] = format_datetime(date)
    body = getattr(m, "body", None) or ""
    html = getattr(m, "htmlBody", None)
    out.set_content(str(body))
    if html:
        text = html.decode("utf-8", "replace") if isinstance(html, bytes) else str(html)
        out.add_alternative(text, subtype="html")
    for att in getattr(m, "attachments", []) or []:
        data = getattr(att, "data", None)
        if not isinstance(data, bytes):
            continue  # embedded .msg objects are not bytes; their text is in the body
        name = getattr(att, "longFilename", None) or getattr(att, "name", None) or "attachment"
        out.add_attachment(data, maintype="application", subtype="octet-stream", filename=name)
    return bytes(out.as_bytes())
