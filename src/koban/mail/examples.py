"""Rule-example runner for ``mail.*`` (named by ``rules.yaml``) and the message builder it uses.

An example's ``input``:

- ``message``: the raw message as text (headers, blank line, body; MIME allowed);
- ``encoding``: codec to turn that text into bytes (default utf-8; e.g. ``iso2022_jp``,
  ``cp932``, ``euc_jp`` for Japanese mail as it travels);
- ``attachments``: list of ``{name, text | base64 | zip | docm, password?, content_type?}``
  (``zip``: ``{member: text}``, encrypted with ``password`` when given; ``docm``: VBA source of a
  macro-enabled Word document built by :mod:`koban.mail.vbabuild`);
- ``profile``: a profile as a mapping; absent = the Hoshi Exchange example profile below,
  ``none`` = an empty profile;
- ``limits``: overrides of :class:`koban.mail.context.Limits`.
"""

from __future__ import annotations

import base64
import email
import email.policy
import io
import zipfile
from dataclasses import replace
from email.message import EmailMessage
from typing import Any

from koban.mail.context import Limits, MailContext
from koban.mail.message import scan_message
from koban.model import Report
from koban.profile import Profile
from koban.rules import Rule

EXAMPLE_PROFILE: dict[str, Any] = {
    "org": {
        "name": "Hoshi Exchange K.K.",
        "domains": ["hoshi-exchange.jp"],
        "executives": [
            {
                "name": "Taro Yamada",
                "aliases": ["山田 太郎", "やまだ たろう", "Yamada Taro"],
                "emails": ["t.yamada@hoshi-exchange.jp"],
                "title": "CEO",
            }
        ],
    },
    "trust": {
        "domains": ["sakura-bank.co.jp", "github.com"],
        "download_sources": ["https://github.com/hoshi-exchange/"],
        "authserv_ids": ["mx.hoshi-exchange.jp"],
    },
}


def make_zip(members: dict[str, str | bytes], password: str | None = None) -> bytes:
    """A zip of ``members`` (AES-encrypted with pyzipper when ``password`` is given)."""
    buf = io.BytesIO()
    if password is None:
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
            for name, content in members.items():
                zf.writestr(name, content)
        return buf.getvalue()
    import pyzipper  # type: ignore[import-untyped]

    with pyzipper.AESZipFile(
        buf, "w", compression=pyzipper.ZIP_DEFLATED, encryption=pyzipper.WZ_AES
    ) as zf:
        zf.setpassword(password.encode())
        for name, content in members.items():
            zf.writestr(name, content)
    return buf.getvalue()


def attachment_bytes(spec: dict[str, Any]) -> bytes:
    if "zip" in spec:
        return make_zip(spec["zip"], spec.get("password"))
    if "docm" in spec:
        from koban.mail.vbabuild import make_docm

        return make_docm(spec["docm"])
    if "base64" in spec:
        return base64.b64decode(spec["base64"])
    text: str = spec.get("text", "")
    return text.encode("utf-8")


def build_message(spec: dict[str, Any]) -> bytes:
    raw = str(spec["message"]).encode(spec.get("encoding", "utf-8"))
    attachments = spec.get("attachments") or []
    if not attachments:
        return raw
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(msg, EmailMessage)
    if not msg.is_multipart():
        msg.make_mixed()
    for att in attachments:
        ctype = att.get("content_type", "application/octet-stream")
        maintype, subtype = ctype.split("/", 1)
        msg.add_attachment(
            attachment_bytes(att), maintype=maintype, subtype=subtype, filename=att["name"]
        )
    return bytes(msg.as_bytes())


def example_context(spec: dict[str, Any]) -> MailContext:
    profile_spec = spec.get("profile", EXAMPLE_PROFILE)
    profile = Profile() if profile_spec in (None, "none") else Profile.model_validate(profile_spec)
    limits = replace(Limits(), **spec.get("limits", {}))
    return MailContext.build(profile, None, limits)


def run_spec(spec: dict[str, Any], target: str = "example.eml") -> Report:
    return scan_message(build_message(spec), target, example_context(spec))


def run_example(rule: Rule, example: dict[str, Any]) -> bool:
    """Does ``rule`` fire anywhere in the report (message, attachments, links)?"""
    report = run_spec(example)
    return any(f.rule == rule.id for r in report.walk() for f in r.findings)
