"""The combined walk: every file, member, document text; bounded on real fixtures."""

from __future__ import annotations

import gzip
import io
import time
import zipfile
from pathlib import Path

import pytest

from koban.containers import Blob, Limits, Problem, walk

SECRET = b"L1aW4aubDFB7yfras2S1mN3bqg9nwySY8nkoLmJebSLD5BWv3ENZ\n"


def test_walk_yields_files_members_and_text_in_order(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("inner/seed.txt", SECRET)
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "backup.zip").write_bytes(buffer.getvalue())
    (tmp_path / "a.txt.gz").write_bytes(gzip.compress(SECRET))
    (tmp_path / "plain.txt").write_bytes(b"plain\n")
    items = list(walk(tmp_path))
    assert [(i.path, i.origin) for i in items if isinstance(i, Blob)] == [
        ("a.txt.gz", "file"),
        ("a.txt.gz!a.txt", "member"),
        ("plain.txt", "file"),
        ("b/backup.zip", "file"),
        ("b/backup.zip!inner/seed.txt", "member"),
    ]


def test_walk_of_a_single_file(tmp_path: Path) -> None:
    f = tmp_path / "x.gz"
    f.write_bytes(gzip.compress(SECRET))
    assert [i.path for i in walk(f)] == ["x.gz", "x.gz!x"]


def test_bounds_apply_per_file(tmp_path: Path) -> None:
    for name in ("a.gz", "b.gz"):
        (tmp_path / name).write_bytes(gzip.compress(b"x" * 600))
    items = list(walk(tmp_path, Limits(max_total_bytes=1000)))
    assert not [i for i in items if isinstance(i, Problem)]  # 600 each, not 1200 together


@pytest.mark.shared_data
def test_strelka_fixtures_walk_without_exceptions_in_bounded_time(shared_data: Path) -> None:
    root = shared_data / "files" / "strelka-fixtures"
    if not root.is_dir():
        pytest.skip("strelka-fixtures absent")
    start = time.monotonic()
    items = list(walk(root, Limits(max_seconds=20)))
    elapsed = time.monotonic() - start
    blobs = [i for i in items if isinstance(i, Blob)]
    problems = [i for i in items if isinstance(i, Problem)]
    files = [b for b in blobs if b.origin == "file"]
    assert len(files) >= 100 and elapsed < 60
    by_path = {b.path: b for b in blobs if b.origin != "text"}
    fixtures = "src/python/strelka/tests/fixtures/"
    # Known shapes of the corpus: archives opened, a zip bomb refused, encryption reported.
    assert by_path[fixtures + "test.zip"].container == "zip"
    assert fixtures + "test.tar!lorem.txt" in by_path
    assert fixtures + "test.7z!lorem.txt" in by_path
    assert by_path[fixtures + "test.docx"].container == "zip"
    assert any(b.path == fixtures + "test.docx" and b.origin == "text" for b in blobs)
    assert any(b.path == fixtures + "test.pdf" and b.origin == "text" for b in blobs)
    assert any(p.limit and p.path.startswith(fixtures + "test_big.zip!") for p in problems)
    assert any("encrypted" in p.message and "test_password" in p.path for p in problems)
