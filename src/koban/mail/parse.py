"""One RFC 822 message from bytes to what the checks read, without ever failing.

The stdlib parser does the MIME structure with ``compat32`` first: ``policy.default`` builds a
header object on every header access, which made parsing 3x slower for nothing we use (headers
are decoded here, tolerant of what Japanese mailers and spammers write). When ``compat32``
raises on hostile input the message is parsed again with ``policy.default``, then read as plain
text as the last resort. Headers and bodies are decoded by :mod:`koban.mail.decode`
(Japanese encodings, mislabels). Problems become ``notes`` (shown as info findings), never
exceptions. Attachments are kept as bytes: nothing is opened or run here.
"""

from __future__ import annotations

import email
import email.policy
import re
from dataclasses import dataclass, field
from email.message import Message
from email.utils import getaddresses
from typing import Any

import idna

from koban.mail.decode import decode_bytes, decode_header_value
from koban.mail.htmltext import HtmlContent, extract_html

MAX_PARTS = 500
MAX_LINKS = 500
MAX_TEXT_CHARS = 1_000_000
# Headers the checks read, decoded once; the rest stay raw (``raw_headers``).
DECODED_HEADERS = frozenset(
    (
        "subject",
        "from",
        "to",
        "cc",
        "reply-to",
        "sender",
        "return-path",
        "authentication-results",
        "list-id",
        "list-unsubscribe",
        "x-mailer",
        "user-agent",
        "organization",
    )
)

_ANGLE_ADDR = re.compile(r"^(?P<name>.*?)<\s*(?P<addr>[^<>]*?)\s*>[\s,;]*$", re.DOTALL)
_URL_IN_TEXT = re.compile(
    r"(?:(?:https?|ftp|file)://|www\.)[^\s<>\"'`{}|\\^\u3000-\u30ff\u4e00-\u9fff（）「」、。]+",
    re.IGNORECASE,
)
_LDH_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9_-]{0,61}[a-z0-9])?|[a-z0-9]")


@dataclass(slots=True)
class Address:
    display: str  # decoded display name ("" when none)
    address: str  # lower-case local@domain as written (domain in A-label form when valid)
    domain: str  # A-label, lower-case ("" when the address has none)
    unicode_domain: str = ""  # U-label form when the domain is an IDN
    malformed: str | None = None  # why the address is not a valid mailbox


@dataclass(slots=True)
class Link:
    url: str
    text: str = ""  # visible text of an HTML link
    origin: str = "text"  # text | html | form | refresh


@dataclass(slots=True)
class Attachment:
    filename: str  # decoded name as declared ("" when none)
    content_type: str
    data: bytes
    index: int  # part number in the message (for unnamed parts)


@dataclass(slots=True)
class ParsedMessage:
    headers: list[tuple[str, str]] = field(default_factory=list)  # DECODED_HEADERS, decoded
    raw_headers: list[tuple[str, str]] = field(default_factory=list)  # (lower name, raw value)
    subject: str = ""
    from_: Address | None = None
    from_count: int = 0
    reply_to: list[Address] = field(default_factory=list)
    sender: Address | None = None
    return_path: Address | None = None
    to: list[Address] = field(default_factory=list)
    text: str = ""  # plain-text bodies plus the visible text of HTML bodies
    html: HtmlContent | None = None
    html_only: bool = False
    links: list[Link] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    parts: int = 0

    def header(self, name: str) -> str | None:
        for k, v in self.headers:
            if k == name:
                return v
        return None

    def header_all(self, name: str) -> list[str]:
        return [v for k, v in self.headers if k == name]

    def raw_all(self, name: str) -> list[str]:
        return [v for k, v in self.raw_headers if k == name]


def _note(msg: ParsedMessage, note: str) -> None:
    if note not in msg.notes and len(msg.notes) < 50:
        msg.notes.append(note)


def idna_domain(domain: str) -> tuple[str, str, str | None]:
    """(A-label, U-label, problem) of a mail domain as written."""
    d = domain.strip().strip(".").lower()
    if not d:
        return "", "", "no domain"
    if d.isascii() and "xn--" not in d:
        labels = d.split(".")
        if len(labels) >= 2 and all(_LDH_LABEL.fullmatch(lb) for lb in labels):
            return d, d, None
    try:
        a = idna.encode(d, uts46=True, transitional=False).decode("ascii")
    except (idna.IDNAError, UnicodeError):
        a = d if d.isascii() else ""
        if not a:
            return "", d, f"invalid internationalised domain {domain!r}"
    try:
        u = idna.decode(a)
    except (idna.IDNAError, UnicodeError):
        u = a
    labels = a.split(".")
    if len(labels) < 2:
        return a, u, f"domain {domain!r} has no top-level domain"
    if not all(_LDH_LABEL.fullmatch(lb) for lb in labels):
        return a, u, f"domain {domain!r} has characters a host name cannot have"
    return a, u, None


def make_address(display: str, addr: str) -> Address:
    addr = addr.strip().strip("<>").strip()
    display = display.strip().strip('"').strip().rstrip(",").strip()
    if display:
        display, _ = decode_header_value(display)
        display = display.strip().strip('"').strip()
    if not addr:
        return Address(display, "", "", malformed="no address")
    local, at, dom = addr.rpartition("@")
    if not at or not local:
        return Address(display, addr.lower(), "", malformed=f"{addr!r} has no local@domain form")
    a_label, u_label, problem = idna_domain(dom)
    if problem is None and "@" in local:
        problem = f"{addr!r} has more than one @"
    if problem is None and re.search(r"[\s,;<>()\[\]]", local):
        problem = f"{addr!r} has characters an address cannot have"
    address = f"{local.lower()}@{a_label or dom.lower()}"
    return Address(
        display,
        address,
        a_label,
        unicode_domain=u_label if u_label != a_label else "",
        malformed=problem,
    )


def parse_mailbox(raw: str) -> Address | None:
    """The one mailbox of a From/Sender/Return-Path header, tolerant of what spammers write."""
    value = re.sub(r"\r?\n[ \t]+", " ", raw).strip()
    if not value:
        return None
    m = _ANGLE_ADDR.match(value)
    if m:
        return make_address(m.group("name"), m.group("addr"))
    pairs = [p for p in getaddresses([value]) if p[0] or p[1]]
    if len(pairs) == 1:
        return make_address(*pairs[0])
    if "@" in value and " " not in value.strip():
        return make_address("", value)
    return make_address(value, "")


def parse_address_list(raw: str) -> list[Address]:
    value = re.sub(r"\r?\n[ \t]+", " ", raw).strip()
    return [make_address(n, a) for n, a in getaddresses([value]) if a][:100]


def _get(part: Message, what: str) -> Any:
    if what == "type":
        return part.get_content_type()
    if what == "charset":
        return part.get_content_charset()
    if what == "filename":
        return part.get_filename()
    if what == "disposition":
        return part.get_content_disposition()
    raise KeyError(what)


def _param_text(value: Any) -> str:
    """A MIME parameter value (RFC 2231 tuples, encoded words, raw 8-bit) as text."""
    if value is None:
        return ""
    if isinstance(value, tuple):  # (charset, language, text) from compat32
        charset, _, text = value
        try:
            return str(text.encode("latin-1", "surrogateescape").decode(charset or "utf-8"))
        except (LookupError, UnicodeError):
            return str(text)
    text, _ = decode_header_value(str(value))
    return text


def _walk(root: Message, msg: ParsedMessage, html_parts: list[str], texts: list[str]) -> None:
    for index, part in enumerate(root.walk()):
        if index >= MAX_PARTS:
            _note(msg, f"more than {MAX_PARTS} MIME parts: the rest was not analysed")
            break
        msg.parts += 1
        if part.is_multipart():
            continue
        ctype = str(_get(part, "type")).lower()
        filename = _param_text(_get(part, "filename"))
        disposition = _get(part, "disposition")
        if ctype == "message/rfc822":
            continue  # its parts are walked as part of the tree
        payload = part.get_payload(decode=True)
        if not isinstance(payload, bytes):
            raw = part.get_payload()
            payload = raw.encode("utf-8", "surrogateescape") if isinstance(raw, str) else b""
        for defect in getattr(part, "defects", [])[:3]:
            _note(msg, f"MIME defect in part {index}: {type(defect).__name__}")
        is_body = (
            ctype in ("text/plain", "text/html") and not filename and disposition != "attachment"
        )
        if is_body:
            got = decode_bytes(payload, _get(part, "charset"))
            if got.note:
                _note(msg, f"part {index}: {got.note}")
            if ctype == "text/html":
                html_parts.append(got.text)
            else:
                texts.append(got.text)
            continue
        msg.attachments.append(Attachment(filename, ctype, payload, index))


def _parse_tree(raw: bytes, policy: Any) -> Message:
    parsed: Message = email.message_from_bytes(raw, policy=policy)
    return parsed


def parse_message(raw: bytes) -> ParsedMessage:
    """Parse ``raw`` (one message); notes say what was malformed. Never raises."""
    msg = ParsedMessage()
    root: Message | None = None
    html_parts: list[str] = []
    texts: list[str] = []
    for policy in (email.policy.compat32, email.policy.default):
        msg = ParsedMessage()
        html_parts, texts = [], []
        try:
            root = _parse_tree(raw, policy)
            _walk(root, msg, html_parts, texts)
            break
        except Exception as exc:  # hostile MIME: the stdlib raises many types
            root = None
            _note(msg, f"MIME parse error ({type(exc).__name__}); retried leniently")
    if root is None:
        _note(msg, "message could not be parsed as MIME; read as plain text")
        texts = [decode_bytes(raw).text]
    else:
        _headers(root, msg)

    text = "\n".join(texts)
    if html_parts:
        html = extract_html("\n".join(html_parts))
        msg.html = html
        msg.html_only = not any(t.strip() for t in texts)
        text = (text + "\n" + html.text) if text else html.text
        if html.truncated:
            _note(msg, "HTML body larger than the analysis bound: truncated")
        for hl in html.links:
            msg.links.append(Link(hl.href, hl.text, "html"))
        msg.links.extend(Link(a, "", "form") for a in html.forms if a)
        msg.links.extend(Link(u, "", "refresh") for u in html.meta_refresh)
    msg.text = text[:MAX_TEXT_CHARS]
    for m in _URL_IN_TEXT.finditer(msg.text if not msg.html_only else "\n".join(texts)):
        url = m.group(0).rstrip(".,;:!?)]}'\"")
        msg.links.append(Link(url if "://" in url else "http://" + url, "", "text"))
    msg.links = _dedupe_links(msg.links)
    return msg


def _dedupe_links(links: list[Link]) -> list[Link]:
    seen: dict[str, Link] = {}
    for link in links:
        url = link.url.strip()
        low = url.lower()
        if not url or low.startswith(("mailto:", "tel:", "#", "cid:", "javascript:void", "sms:")):
            continue
        prev = seen.get(url)
        if prev is None:
            if len(seen) >= MAX_LINKS:
                break
            seen[url] = Link(url, link.text, link.origin)
        elif link.text and not prev.text:
            prev.text = link.text
            prev.origin = link.origin
    return list(seen.values())


def _headers(root: Message, msg: ParsedMessage) -> None:
    for name, value in root.raw_items():
        raw = str(value)
        lname = name.lower()
        msg.raw_headers.append((lname, raw))
        if lname not in DECODED_HEADERS:
            continue
        text, note = decode_header_value(raw)
        if note:
            _note(msg, f"header {name}: {note}")
        msg.headers.append((lname, text))
    msg.subject = msg.header("subject") or ""
    froms = msg.raw_all("from")
    msg.from_count = len(froms)
    if froms:
        msg.from_ = parse_mailbox(froms[0])
    if len(froms) > 1:
        _note(msg, f"{len(froms)} From headers")
    for raw in msg.raw_all("reply-to")[:1]:
        msg.reply_to = parse_address_list(raw) or [a for a in [parse_mailbox(raw)] if a]
    sender = msg.raw_all("sender")
    if sender:
        msg.sender = parse_mailbox(sender[0])
    rp = msg.raw_all("return-path")
    if rp:
        msg.return_path = parse_mailbox(rp[0])
    for raw in msg.raw_all("to")[:1]:
        msg.to = parse_address_list(raw)
