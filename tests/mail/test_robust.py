"""Hostile and broken input never crashes the analyser; bounds hold."""

from __future__ import annotations

import io
import random
import zipfile
from pathlib import Path

import pytest

from koban.mail import Limits, MailContext, scan_message
from koban.mail.examples import make_zip
from koban.model import Verdict
from koban.profile import Profile


def test_random_and_truncated_messages(fixtures: Path, ctx: MailContext) -> None:
    rng = random.Random(8601)
    samples = [p.read_bytes() for p in sorted(fixtures.glob("*.eml"))]
    for i in range(200):
        base = rng.choice(samples)
        cut = base[: rng.randrange(1, len(base))]
        noise = bytes(rng.randrange(256) for _ in range(rng.randrange(0, 200)))
        pos = rng.randrange(0, len(cut))
        raw = cut[:pos] + noise + cut[pos:]
        report = scan_message(raw, f"fuzz-{i}", ctx)
        assert report.target == f"fuzz-{i}"


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"\x00\x01\x02",
        b"From: \r\n\r\n",
        b"Content-Type: multipart/mixed; boundary=x\n\n--x\nContent-Type: text/plain\n\nhi",
        b"Content-Type: multipart/mixed\n\nno boundary",
        b"Subject: =?unknown-8bit?B?////?=\nFrom: =?utf-8?b?!!!?= <a@b>\n\nbody",
        b"From: a@b.example\nContent-Transfer-Encoding: base64\n\n!!!not base64!!!",
        b"From: a@b.example\nContent-Type: text/html\n\n<a href='http://[::1'>x</a><<<>>",
    ],
)
def test_malformed_never_raises(raw: bytes, ctx: MailContext) -> None:
    scan_message(raw, "m", ctx)


def test_many_parts_bounded(ctx: MailContext) -> None:
    parts = "".join(f"--b\nContent-Type: text/plain\n\npart {i}\n" for i in range(2000))
    raw = f"From: a@b.example\nContent-Type: multipart/mixed; boundary=b\n\n{parts}--b--\n"
    report = scan_message(raw.encode(), "m", ctx)
    assert any("MIME parts" in f.message for f in report.findings)


def test_zip_bomb_not_extracted() -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("big.bin", b"\0" * 5_000_000)
    msg = (
        b"From: a@b.example\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b\n\n"
        b"--b\nContent-Type: text/plain\n\nhi\n--b\nContent-Type: application/zip; name=x.zip\n"
        b"Content-Transfer-Encoding: base64\n\n"
        + __import__("base64").encodebytes(buf.getvalue())
        + b"--b--\n"
    )
    ctx = MailContext.build(Profile(), None, Limits(max_archive_ratio=50))
    report = scan_message(msg, "m", ctx)
    rules = {f.rule for r in report.walk() for f in r.findings}
    assert "mail.archive_limits" in rules


def test_nested_archives_depth_bounded(ctx: MailContext) -> None:
    data = make_zip({"inner.txt": "x"})
    for i in range(6):
        data = make_zip({f"level{i}.zip": data})
    import base64

    msg = (
        b"From: a@b.example\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b\n\n"
        b"--b\nContent-Type: application/zip; name=n.zip\nContent-Transfer-Encoding: base64\n\n"
        + base64.encodebytes(data)
        + b"--b--\n"
    )
    report = scan_message(msg, "m", ctx)
    assert any(f.rule == "mail.archive_limits" for r in report.walk() for f in r.findings)


def test_message_size_bound(ctx: MailContext) -> None:
    small = MailContext.build(Profile(), None, Limits(max_message_bytes=1000))
    raw = b"From: a@b.example\nSubject: x\n\n" + b"a" * 5000
    report = scan_message(raw, "m", small)
    assert any(f.rule == "mail.analysis_limit" for f in report.findings)
    assert report.verdict is Verdict.CLEAN
