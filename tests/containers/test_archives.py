"""Archive expansion: by content, recursive, in memory, bounded, and never crashing."""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import os
import random
import stat
import struct
import tarfile
import zipfile
import zlib
from collections.abc import Iterable
from pathlib import Path

import py7zr
import pytest

from koban.containers import Blob, Limits, Problem, expand, expand_bytes, safe_name, sniff

SECRET = b"L1aW4aubDFB7yfras2S1mN3bqg9nwySY8nkoLmJebSLD5BWv3ENZ\n"
NOISE = random.Random(20221014)  # incompressible, reproducible bytes


def _zip(members: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", method) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buffer.getvalue()


def _tar(members: dict[str, bytes], mode: str = "w") -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode=mode) as tf:  # type: ignore[call-overload]
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def _7z(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with py7zr.SevenZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(data, name)
    return buffer.getvalue()


def _walk(data: bytes, name: str = "in", limits: Limits | None = None) -> list[Blob | Problem]:
    return list(expand_bytes(data, name, limits or Limits()))


def _blobs(items: Iterable[Blob | Problem]) -> dict[str, bytes]:
    return {i.path: i.data for i in items if isinstance(i, Blob) and i.origin != "text"}


def _problems(items: Iterable[Blob | Problem]) -> list[Problem]:
    return [i for i in items if isinstance(i, Problem)]


# -- recognition ---------------------------------------------------------------------------


def test_formats_are_recognised_by_content_not_name() -> None:
    tar = _tar({"a": b"x"})
    assert sniff(_zip({"a": b"x"})) == "zip"
    assert sniff(tar) == "tar"
    assert sniff(gzip.compress(b"x")) == "gzip"
    assert sniff(bz2.compress(b"x")) == "bzip2"
    assert sniff(lzma.compress(b"x")) == "xz"
    assert sniff(_7z({"a": b"x"})) == "7z"
    assert sniff(b"PK is a fine way to start a sentence") is None
    assert sniff(b"BZh but no block magic after it") is None
    assert sniff(SECRET * 20) is None


def test_v7_tar_without_magic_is_recognised() -> None:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.USTAR_FORMAT) as tf:
        info = tarfile.TarInfo("old.txt")
        info.size = len(SECRET)
        tf.addfile(info, io.BytesIO(SECRET))
    data = bytearray(buffer.getvalue())
    data[257:265] = b"\x00" * 8  # erase the ustar magic and version, then fix the checksum
    data[148:156] = b" " * 8
    data[148:155] = b"%06o\x00" % sum(data[:512])
    assert sniff(bytes(data)) == "tar"
    assert _blobs(_walk(bytes(data), "old"))["old!old.txt"] == SECRET


def test_a_zip_named_jpg_is_opened(tmp_path: Path) -> None:
    f = tmp_path / "holiday.jpg"
    f.write_bytes(_zip({"wallet/seed.txt": SECRET}))
    items = list(expand(f, "holiday.jpg"))
    assert items[0] == Blob("holiday.jpg", f.read_bytes(), None, "file", "zip")
    assert _blobs(items)["holiday.jpg!wallet/seed.txt"] == SECRET


# -- each format ---------------------------------------------------------------------------


@pytest.mark.parametrize("method", [zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2])
def test_zip_members(method: int) -> None:
    items = _walk(_zip({"a.txt": b"alpha", "dir/b.txt": SECRET}, method), "x.zip")
    assert _blobs(items) == {
        "x.zip": items[0].data if isinstance(items[0], Blob) else b"",
        "x.zip!a.txt": b"alpha",
        "x.zip!dir/b.txt": SECRET,
    }
    assert all(isinstance(i, Blob) and i.origin == "member" for i in items[1:])


@pytest.mark.parametrize(
    ("mode", "name"),
    [("w", "x.tar"), ("w:gz", "x.tgz"), ("w:bz2", "x.tar.bz2"), ("w:xz", "x.tar.xz")],
)
def test_tar_and_compressed_tar_members_sit_directly_under_the_file(mode: str, name: str) -> None:
    items = _walk(_tar({"keys/a.txt": SECRET, "b.txt": b"beta"}, mode), name)
    blobs = _blobs(items)
    assert blobs[f"{name}!keys/a.txt"] == SECRET
    assert blobs[f"{name}!b.txt"] == b"beta"
    assert len(blobs) == 3
    assert not _problems(items)


@pytest.mark.parametrize(
    ("compress", "name", "inner"),
    [
        (gzip.compress, "seed.txt.gz", "seed.txt.gz!seed.txt"),
        (bz2.compress, "seed.txt.bz2", "seed.txt.bz2!seed.txt"),
        (lzma.compress, "seed.txt.xz", "seed.txt.xz!seed.txt"),
        (gzip.compress, "noext", "noext!noext.out"),
    ],
)
def test_compressed_single_files(compress: object, name: str, inner: str) -> None:
    assert callable(compress)
    items = _walk(compress(SECRET), name)
    assert _blobs(items)[inner] == SECRET
    assert isinstance(items[0], Blob) and items[0].container is not None


def test_gzip_stored_name_is_used() -> None:
    buffer = io.BytesIO()
    with gzip.GzipFile("original-name.txt", "wb", fileobj=buffer) as gz:
        gz.write(SECRET)
    assert "dl.bin!original-name.txt" in _blobs(_walk(buffer.getvalue(), "dl.bin"))


def test_concatenated_gzip_members_are_one_stream() -> None:
    data = gzip.compress(b"first ") + gzip.compress(SECRET)
    assert _blobs(_walk(data, "a.gz"))["a.gz!a"] == b"first " + SECRET


def test_7z_members() -> None:
    items = _walk(_7z({"w/seed.txt": SECRET, "b.txt": b"beta"}), "x.7z")
    blobs = _blobs(items)
    assert blobs["x.7z!w/seed.txt"] == SECRET
    assert blobs["x.7z!b.txt"] == b"beta"
    assert not _problems(items)


def test_nested_archives_are_walked_with_bang_paths() -> None:
    inner = _tar({"deep/seed.txt": SECRET}, "w:gz")
    middle = _7z({"inner.tar.gz": inner})
    outer = _zip({"middle.7z": middle})
    blobs = _blobs(_walk(outer, "outer.zip"))
    assert blobs["outer.zip!middle.7z!inner.tar.gz!deep/seed.txt"] == SECRET


# -- hostile names and links ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("../../etc/cron.d/evil", "etc/cron.d/evil"),
        ("/etc/passwd", "etc/passwd"),
        ("C:\\Windows\\System32\\evil.dll", "Windows/System32/evil.dll"),
        ("C:evil.txt", "evil.txt"),
        ("a/../../b.txt", "a/b.txt"),
        ("..", "_"),
        ("line\nbreak.txt", "line?break.txt"),
    ],
)
def test_safe_name(name: str, shown: str) -> None:
    assert safe_name(name) == shown


def test_traversal_names_only_change_display_and_nothing_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    data = _zip({"../../escape.txt": SECRET, "/abs.txt": b"a", "C:\\win.txt": b"w"})
    tar = _tar({"../up.txt": SECRET})
    blobs = _blobs(_walk(data, "evil.zip")) | _blobs(_walk(tar, "evil.tar"))
    assert set(blobs) == {
        "evil.zip", "evil.zip!escape.txt", "evil.zip!abs.txt", "evil.zip!win.txt",
        "evil.tar", "evil.tar!up.txt",
    }  # fmt: skip
    assert list(tmp_path.iterdir()) == []
    assert not (tmp_path.parent / "escape.txt").exists()


def test_7z_traversal_member_is_refused_others_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # py7zr refuses to write such names: lift its check while building the hostile archive.
    with monkeypatch.context() as m:
        m.setattr(py7zr.py7zr, "check_archive_path", lambda name: True)
        data = _7z({"../../evil.txt": SECRET, "ok.txt": b"fine"})
    monkeypatch.chdir(tmp_path)
    items = _walk(data, "a.7z")
    assert _blobs(items)["a.7z!ok.txt"] == b"fine"
    [problem] = _problems(items)
    assert problem.path == "a.7z!evil.txt" and "climbs out" in problem.message
    assert list(tmp_path.iterdir()) == []


def test_links_in_tar_are_not_followed() -> None:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tf:
        for name, kind in (("sym", tarfile.SYMTYPE), ("hard", tarfile.LNKTYPE)):
            info = tarfile.TarInfo(name)
            info.type = kind
            info.linkname = "/etc/shadow"
            tf.addfile(info)
        info = tarfile.TarInfo("real.txt")
        info.size = 4
        tf.addfile(info, io.BytesIO(b"real"))
    assert set(_blobs(_walk(buffer.getvalue(), "l.tar"))) == {"l.tar", "l.tar!real.txt"}


def test_symlink_members_of_zip_are_not_followed() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        link = zipfile.ZipInfo("link")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        zf.writestr(link, "/etc/shadow")
        zf.writestr("real.txt", b"real")
    assert set(_blobs(_walk(buffer.getvalue(), "l.zip"))) == {"l.zip", "l.zip!real.txt"}


# -- encryption ----------------------------------------------------------------------------


def test_encrypted_zip_member_is_a_problem_and_plain_members_still_read() -> None:
    import pyzipper

    buffer = io.BytesIO()
    with pyzipper.AESZipFile(buffer, "w", encryption=pyzipper.WZ_AES) as zf:
        zf.setpassword(b"infected")
        zf.writestr("locked.txt", SECRET)
    locked = buffer.getvalue()
    outer = _zip({"plain.txt": b"plain", "inner.zip": locked})
    items = _walk(outer, "o.zip")
    assert _blobs(items)["o.zip!plain.txt"] == b"plain"
    [problem] = _problems(items)
    assert problem.path == "o.zip!inner.zip!locked.txt"
    assert "encrypted member" in problem.message
    assert not problem.limit


def test_encrypted_7z_is_a_problem() -> None:
    buffer = io.BytesIO()
    with py7zr.SevenZipFile(buffer, "w", password="pw", header_encryption=True) as archive:
        archive.writestr(SECRET, "seed.txt")
    items = _walk(buffer.getvalue(), "s.7z")
    [problem] = _problems(items)
    assert "encrypted" in problem.message
    assert _blobs(items).keys() == {"s.7z"}


# -- bounds --------------------------------------------------------------------------------


def test_zip_bomb_by_ratio_is_not_inflated() -> None:
    bomb = _zip({"zeros.bin": bytes(20 * 1024 * 1024), "ok.txt": SECRET})
    items = _walk(bomb, "bomb.zip")
    [problem] = _problems(items)
    assert problem.limit and problem.path == "bomb.zip!zeros.bin"
    assert "ratio" in problem.message and "200:1" in problem.message
    assert "bomb.zip!zeros.bin" not in _blobs(items)
    assert _blobs(items)["bomb.zip!ok.txt"] == SECRET


@pytest.mark.parametrize("compress", [gzip.compress, bz2.compress, lzma.compress])
def test_compressed_stream_bomb_stops_at_ratio(compress: object) -> None:
    assert callable(compress)
    limits = Limits(ratio_grace_bytes=64 * 1024)
    items = _walk(compress(bytes(4 * 1024 * 1024)), "z.bin", limits)
    [problem] = _problems(items)
    assert problem.limit and "times its size" in problem.message
    assert len(_blobs(items)) == 1


def test_tar_gz_bomb_stops_at_ratio() -> None:
    data = _tar({"zeros": bytes(4 * 1024 * 1024)}, "w:gz")
    items = _walk(data, "b.tgz", Limits(ratio_grace_bytes=64 * 1024))
    assert any(p.limit and "times its size" in p.message for p in _problems(items))


def test_7z_bomb_refused_from_declared_sizes() -> None:
    items = _walk(_7z({"zeros": bytes(4 * 1024 * 1024)}), "b.7z", Limits(ratio_grace_bytes=1024))
    [problem] = _problems(items)
    assert problem.limit and "bomb" in problem.message


def test_member_size_limit() -> None:
    limits = Limits(max_member_bytes=100)
    data = _tar({"big.txt": b"x" * 101, "small.txt": SECRET})
    items = _walk(data, "t.tar", limits)
    [problem] = _problems(items)
    assert problem.limit and problem.path == "t.tar!big.txt" and "member limit" in problem.message
    assert not problem.stopped  # the next members are still walked
    assert _blobs(items)["t.tar!small.txt"] == SECRET


def test_deep_nesting_stops_at_max_depth() -> None:
    data = SECRET
    for level in range(8):
        data = _zip({f"level{level}.zip" if level else "seed.txt": data})
    items = _walk(data, "nest.zip")
    [problem] = _problems(items)
    assert problem.limit and "depth" in problem.message and not problem.stopped
    assert problem.path.count("!") == 5
    assert SECRET not in _blobs(items).values()
    assert len(_blobs(items)) == 6


def test_many_members_stop_at_member_limit() -> None:
    data = _zip({f"m{i:03}.txt": b"%d" % i for i in range(50)})
    items = _walk(data, "many.zip", Limits(max_members=10))
    [problem] = _problems(items)
    assert problem.limit and "50 members" in problem.message
    assert len(_blobs(items)) == 11


def test_total_extracted_bytes_limit_spans_all_levels() -> None:
    inner = _zip({"a": b"a" * 600, "b": b"b" * 600}, zipfile.ZIP_STORED)
    data = _zip({"inner.zip": inner, "c": b"c" * 600}, zipfile.ZIP_STORED)
    items = _walk(data, "t.zip", Limits(max_total_bytes=2000))
    problems = _problems(items)
    assert len(problems) == 1 and problems[0].limit and "total" in problems[0].message
    assert problems[0].stopped
    assert "t.zip!c" not in _blobs(items)


def test_time_limit() -> None:
    items = _walk(_zip({"a": b"a"}), "t.zip", Limits(max_seconds=0))
    [problem] = _problems(items)
    assert problem.limit and problem.stopped and "time limit" in problem.message


def test_file_size_limit(tmp_path: Path) -> None:
    f = tmp_path / "big.bin"
    f.write_bytes(b"x" * 2000)
    [problem] = list(expand(f, "big.bin", Limits(max_file_bytes=1000)))
    assert isinstance(problem, Problem) and problem.limit and "file limit" in problem.message


# -- damage --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        _zip({"a.txt": SECRET * 100})[:100],
        b"PK\x03\x04" + NOISE.randbytes(500),
        gzip.compress(SECRET * 100)[:40],
        b"\x1f\x8b" + NOISE.randbytes(300),
        bz2.compress(SECRET * 100)[:60],
        lzma.compress(SECRET * 100)[:60],
        _7z({"a.txt": SECRET * 100})[:80],
        b"7z\xbc\xaf\x27\x1c" + NOISE.randbytes(300),
        _tar({"a.txt": SECRET * 100})[:700],
        gzip.compress(_tar({"a.txt": NOISE.randbytes(30_000)}))[:20_000],
    ],
    ids=lambda data: f"{data[:4]!r}-{len(data)}",  # content has timestamps: ids must not
)
def test_corrupt_archives_are_problems_never_exceptions(data: bytes) -> None:
    items = _walk(data, "bad")
    assert isinstance(items[0], Blob) and items[0].path == "bad" and items[0].data == data
    assert _problems(items), items


def test_corrupt_archive_is_not_marked_as_container() -> None:
    items = _walk(b"PK\x03\x04" + b"\x00" * 100, "bad.zip")
    assert isinstance(items[0], Blob) and items[0].container is None


def test_one_corrupt_member_does_not_stop_the_others() -> None:
    data = bytearray(_zip({"a.txt": b"A" * 50, "b.txt": SECRET}, zipfile.ZIP_STORED))
    data[data.index(b"A" * 50) + 10] = ord("B")  # CRC mismatch in a.txt
    items = _walk(bytes(data), "c.zip")
    [problem] = _problems(items)
    assert problem.path == "c.zip!a.txt" and "corrupt" in problem.message
    assert _blobs(items)["c.zip!b.txt"] == SECRET


def test_truncated_gzip_keeps_what_decompressed(tmp_path: Path) -> None:
    text = NOISE.randbytes(300_000).hex().encode()
    data = gzip.compress(text)
    items = _walk(data[: len(data) // 2], "log.gz")
    assert _problems(items)
    partial = _blobs(items).get("log.gz!log")
    assert partial is not None and text.startswith(partial) and partial


def test_unreadable_file_is_a_problem(tmp_path: Path) -> None:
    [problem] = list(expand(tmp_path / "missing.zip", "missing.zip"))
    assert isinstance(problem, Problem) and "cannot read" in problem.message


def _zipcrypto(name: str, data: bytes, password: bytes) -> bytes:
    """A one-member zip in traditional PKWARE encryption (pyzipper writes only AES)."""
    crc = zlib.crc32(data)
    keys = [0x12345678, 0x23456789, 0x34567890]

    def crc_step(value: int, byte: int) -> int:
        return zlib.crc32(bytes([byte]), value ^ 0xFFFFFFFF) ^ 0xFFFFFFFF

    def update(byte: int) -> None:
        keys[0] = crc_step(keys[0], byte)
        keys[1] = ((keys[1] + (keys[0] & 0xFF)) * 134775813 + 1) & 0xFFFFFFFF
        keys[2] = crc_step(keys[2], keys[1] >> 24)

    for byte in password:
        update(byte)
    encrypted = bytearray()
    for byte in os.urandom(11) + bytes([crc >> 24]) + data:
        k = (keys[2] | 2) & 0xFFFF
        encrypted.append(byte ^ (((k * (k ^ 1)) >> 8) & 0xFF))
        update(byte)
    n = name.encode()
    sizes = (crc, len(encrypted), len(data), len(n))
    local = struct.pack("<4sHHHHHIIIHH", b"PK\x03\x04", 20, 1, 0, 0, 0, *sizes, 0) + n
    local += encrypted
    central = struct.pack("<4sHHHHHHIIIHHHHHII", b"PK\x01\x02", 20, 20, 1, 0, 0, 0, *sizes,
                          0, 0, 0, 0, 0, 0) + n  # fmt: skip
    end = struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, 1, 1, len(central), len(local), 0)
    return local + central + end


def test_zipcrypto_builder_is_what_zipfile_reads() -> None:
    data = _zipcrypto("a.txt", SECRET, b"pw")
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert zf.read("a.txt", pwd=b"pw") == SECRET


@pytest.mark.parametrize("aes", [True, False])
def test_supplied_passwords_open_encrypted_zip_members(aes: bool) -> None:
    import pyzipper

    if aes:
        buffer = io.BytesIO()
        with pyzipper.AESZipFile(buffer, "w", encryption=pyzipper.WZ_AES) as zf:
            zf.setpassword(b"infected")
            zf.writestr("payload.txt", SECRET)
        data = buffer.getvalue()
    else:
        data = _zipcrypto("payload.txt", SECRET, b"infected")
    assert "encrypted member" in _problems(_walk(data, "lure.zip"))[0].message
    opened = list(expand_bytes(data, "lure.zip", passwords=(b"wrong", b"infected")))
    assert _blobs(opened)["lure.zip!payload.txt"] == SECRET
    assert not _problems(opened)
    refused = list(expand_bytes(data, "lure.zip", passwords=(b"wrong",)))
    [problem] = _problems(refused)
    assert "none of the 1 passwords" in problem.message


def test_members_read_with_a_password_are_marked_encrypted() -> None:
    import pyzipper

    buffer = io.BytesIO()
    with pyzipper.AESZipFile(buffer, "w", encryption=pyzipper.WZ_AES) as zf:
        zf.setpassword(b"infected")
        zf.writestr("a.txt", b"first")
        zf.writestr("b.txt", b"second")
    outer = _zip({"plain.txt": b"plain", "inner.zip": buffer.getvalue()})
    opened = list(expand_bytes(outer, "o.zip", passwords=(b"wrong", b"infected")))
    flags = {i.path: i.encrypted for i in opened if isinstance(i, Blob)}
    assert flags == {
        "o.zip": False,
        "o.zip!plain.txt": False,
        "o.zip!inner.zip": False,
        "o.zip!inner.zip!a.txt": True,
        "o.zip!inner.zip!b.txt": True,
    }
    locked = list(expand_bytes(outer, "o.zip"))
    assert [(p.path, p.encrypted, p.limit) for p in _problems(locked)] == [
        ("o.zip!inner.zip!a.txt", True, False),
        ("o.zip!inner.zip!b.txt", True, False),
    ]


def test_corrupt_member_problem_is_not_marked_encrypted() -> None:
    data = _zip({"a.txt": SECRET}, zipfile.ZIP_STORED)
    damaged = data.replace(SECRET, b"X" * len(SECRET))  # CRC no longer matches
    [problem] = _problems(_walk(damaged, "d.zip"))
    assert problem.path == "d.zip!a.txt" and not problem.encrypted


def _encrypted_7z(header: bool) -> bytes:
    buffer = io.BytesIO()
    with py7zr.SevenZipFile(buffer, "w", password="hoshi", header_encryption=header) as archive:
        archive.writestr(SECRET, "seed.txt")
        archive.writestr(b"notes", "dir/notes.txt")
    return buffer.getvalue()


@pytest.mark.parametrize("header", [True, False], ids=["names-encrypted", "content-encrypted"])
def test_supplied_passwords_open_encrypted_7z(header: bool) -> None:
    data = _encrypted_7z(header)
    opened = list(expand_bytes(data, "s.7z", passwords=(b"wrong", b"hoshi")))
    assert not _problems(opened)
    assert _blobs(opened) == {
        "s.7z": data,
        "s.7z!seed.txt": SECRET,
        "s.7z!dir/notes.txt": b"notes",
    }
    assert [i.encrypted for i in opened if isinstance(i, Blob)] == [False, True, True]
    refused = _problems(list(expand_bytes(data, "s.7z", passwords=(b"wrong",))))
    assert refused and all(p.encrypted and not p.limit for p in refused)
    assert all("none of the 1 passwords" in p.message for p in refused)
    if header:  # without the key even the names are unknown: one problem for the archive
        assert [p.path for p in refused] == ["s.7z"]
    else:  # names are readable: one problem per member, named
        assert sorted(p.path for p in refused) == ["s.7z!dir/notes.txt", "s.7z!seed.txt"]


def test_content_encrypted_7z_without_passwords_names_its_members() -> None:
    items = _walk(_encrypted_7z(header=False), "s.7z")
    assert sorted((p.path, p.encrypted) for p in _problems(items)) == [
        ("s.7z!dir/notes.txt", True),
        ("s.7z!seed.txt", True),
    ]
    assert _blobs(items).keys() == {"s.7z"}
