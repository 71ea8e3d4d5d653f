"""Messages/s of ``koban mail`` on messages whose attachments are archives (built here).

phishing_pot carries almost no archives (its attachments are images and PDFs), so its figures
(``bench_mail.py``) say little about the cost of opening them. These messages do: each has one
attachment of one of these shapes, in turn, with members of a few hundred KB of text-like content
(compressible, like documents):

- ``zip``: a zip of three documents and a shortcut;
- ``nested``: a zip holding that zip and a docx;
- ``password``: an AES zip whose password the body gives (パスワード: ...);
- ``7z``: a 7z of the same members;
- ``tgz``: a gzip-compressed tar of the same members.

koban runs in-process on one core, with an empty profile; the figure is messages per second of
CPU time (``time.process_time``: other work on the machine does not move it), best of
``--runs``. ``--count`` messages are scanned per run.

    python benchmarks/bench_mail_attachments.py [--count 200] [--runs 3]
"""

from __future__ import annotations

import argparse
import base64
import io
import random
import tarfile
import time
from collections import Counter

import py7zr

from koban.mail import MailContext, scan_message
from koban.mail.examples import build_message, make_zip
from koban.model import Verdict
from koban.profile import Profile

WORDS = ("invoice", "payment", "contract", "amount", "total", "report", "wallet", "請求書", "契約")
KEY = "hoshi2025"  # the archive's password, given in the message body
LNK = b"L\x00\x00\x00\x01\x14\x02\x00\x00\x00\x00\x00\xc0\x00\x00\x00\x00\x00\x00F" + bytes(200)


def _text(rng: random.Random, size: int) -> bytes:
    out = " ".join(rng.choice(WORDS) + str(rng.randrange(1000)) for _ in range(size // 8))
    return out.encode()[:size]


def _members(rng: random.Random) -> dict[str, str | bytes]:
    return {
        "report-2025.txt": _text(rng, 300_000),
        "statement.csv": _text(rng, 200_000),
        "notes/minutes.txt": _text(rng, 100_000),
        "Invoice.pdf.lnk": LNK,
    }


def _docx(rng: random.Random) -> bytes:
    types = (
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Override '
        'PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-'
        'officedocument.wordprocessingml.document.main+xml"/></Types>'
    )
    return make_zip(
        {"[Content_Types].xml": types, "word/document.xml": _text(rng, 150_000).decode()}
    )


def _7z(members: dict[str, str | bytes]) -> bytes:
    buffer = io.BytesIO()
    with py7zr.SevenZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(data, name)
    return buffer.getvalue()


def _tgz(members: dict[str, str | bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tf:
        for name, data in members.items():
            content = data.encode() if isinstance(data, str) else data
            info = tarfile.TarInfo(name)
            info.size = len(content)
            tf.addfile(info, io.BytesIO(content))
    return buffer.getvalue()


def attachments(rng: random.Random) -> list[tuple[str, str, bytes, str]]:
    """(shape, attachment name, bytes, body) for each shape."""
    members = _members(rng)
    plain = make_zip(members)
    return [
        ("zip", "documents.zip", plain, "Please see the attached documents."),
        ("nested", "archive.zip", make_zip({"documents.zip": plain, "a.docx": _docx(rng)}), ""),
        (
            "password",
            "資料.zip",
            make_zip(members, KEY),
            f"資料を送付します。パスワード: {KEY}",
        ),
        ("7z", "documents.7z", _7z(members), "Please see the attached documents."),
        ("tgz", "documents.tar.gz", _tgz(members), "Please see the attached documents."),
    ]


def message(name: str, data: bytes, body: str) -> bytes:
    return build_message(
        {
            "message": "From: X <x@example.org>\nTo: user@example.jp\nSubject: documents\n"
            f"Content-Type: text/plain; charset=utf-8\n\n{body}\n",
            "attachments": [{"name": name, "base64": base64.b64encode(data).decode()}],
        }
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--count", type=int, default=200, help="messages per run")
    parser.add_argument("--runs", type=int, default=3, help="runs (the best is reported)")
    args = parser.parse_args()
    shapes = attachments(random.Random(20251202))
    messages = [
        (shape, message(name, data, body))
        for i in range(args.count)
        for shape, name, data, body in [shapes[i % len(shapes)]]
    ]
    ctx = MailContext.build(Profile(), None)
    for _, raw in messages[: len(shapes)]:
        scan_message(raw, "warm-up", ctx)  # imports (py7zr, oletools) are not the figure
    best: dict[str, float] = {}  # shape -> least CPU seconds per message over the runs
    flagged: Counter[str] = Counter()
    counts = Counter(shape for shape, _ in messages)
    for _ in range(args.runs):
        flagged.clear()
        spent: Counter[str] = Counter()
        for shape, raw in messages:
            start = time.process_time()
            if scan_message(raw, "m", ctx).verdict is not Verdict.CLEAN:
                flagged[shape] += 1
            spent[shape] += time.process_time() - start
        for shape, seconds in spent.items():
            best[shape] = min(best.get(shape, seconds), seconds / counts[shape])
    size = sum(len(raw) for _, raw in messages) / len(messages)
    overall = len(messages) / sum(best[s] * counts[s] for s in counts)
    print(
        f"koban mail: {len(messages)} messages with archive attachments ({size / 1024:.0f} KB "
        f"each on average): {overall:,.1f} msg/s of CPU (best of {args.runs} runs per shape)"
    )
    for shape, *_ in shapes:
        print(
            f"  {shape:>8}: {1 / best[shape]:6.1f} msg/s, flagged {flagged[shape]}/{counts[shape]}"
        )


if __name__ == "__main__":
    main()
