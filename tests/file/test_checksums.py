"""Checksum lists (given, beside the file, sidecars; GNU, BSD, bare, clear-signed) and detached
signatures (OpenPGP through gpg in a throw-away home; minisign and signify)."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from koban.file import FileContext, FileOptions, report_for
from koban.file.examples.checksums import (
    minisign_public_key,
    minisign_signature,
    sha256sums,
    signify_signature,
)
from koban.file.inspectors.checksums import Entry, parse_checksums
from koban.model import Finding, Verdict

DATA = b"TradingApp 2.1 installer stand-in\n"
SHA256 = hashlib.sha256(DATA).hexdigest()


def _file(folder: Path, name: str = "app.exe", data: bytes = DATA) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(data)
    return folder / name


def _verify(target: Path, **options: object) -> list[Finding]:
    report = report_for(str(target), FileContext(None, None, FileOptions(**options)))  # type: ignore[arg-type]
    return [
        f
        for r in report.walk()
        for f in r.findings
        if f.rule.startswith(("file.checksum", "file.signature"))
    ]


def _rules(findings: list[Finding]) -> list[tuple[str, str]]:
    return sorted((f.rule, f.severity.value) for f in findings)


def test_parse_formats() -> None:
    sha512 = hashlib.sha512(DATA).hexdigest()
    md5 = hashlib.md5(DATA, usedforsecurity=False).hexdigest()
    text = (
        "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\n"
        f"{SHA256}  app.exe\n"
        f"{SHA256.upper()} *dist/app-win.exe\n"
        f"SHA512 (app.dmg) = {sha512}\n"
        f"MD5 (old.zip) = {md5}\n"
        f"- {SHA256}  dashed.exe\n"
        f"{SHA256[:60]}  truncated.exe\n"
        "# a comment\n"
        f"{SHA256}\n"
        "-----BEGIN PGP SIGNATURE-----\n"
    )
    assert parse_checksums(text) == [
        Entry("sha256", SHA256, "app.exe", 4),
        Entry("sha256", SHA256, "dist/app-win.exe", 5),
        Entry("sha512", sha512, "app.dmg", 6),
        Entry("md5", md5, "old.zip", 7),
        Entry("sha256", SHA256, "dashed.exe", 8),
        Entry("sha256", SHA256, None, 11),
    ]


def test_given_list_verifies(tmp_path: Path) -> None:
    target = _file(tmp_path / "dl")
    sums = tmp_path / "SHA256SUMS"
    sums.write_text(sha256sums({"other.exe": b"x", "app.exe": DATA}), encoding="utf-8")
    [f] = _verify(target, checksums=sums)
    assert (f.rule, f.severity.value) == ("file.checksum_verified", "info")
    assert f.evidence["algorithms"] == ["SHA256"] and f.evidence["line"] == 2


def test_given_list_mismatch_is_critical(tmp_path: Path) -> None:
    target = _file(tmp_path / "dl", data=DATA + b"appended loader\n")
    sums = tmp_path / "SHA256SUMS"
    sums.write_text(sha256sums({"app.exe": DATA}, bsd=True), encoding="utf-8")
    [f] = _verify(target, checksums=sums)
    assert (f.rule, f.severity.value) == ("file.checksum_mismatch", "critical")
    assert f.evidence["expected"] == SHA256
    assert f.evidence["actual"] == hashlib.sha256(target.read_bytes()).hexdigest()
    assert (
        report_for(str(target), FileContext(None, None, FileOptions(checksums=sums))).verdict
        is Verdict.MALICIOUS
    )


def test_given_list_without_the_file_is_low(tmp_path: Path) -> None:
    target = _file(tmp_path / "dl")
    sums = tmp_path / "sums.txt"
    sums.write_text(sha256sums({"other.exe": b"x"}), encoding="utf-8")
    assert _rules(_verify(target, checksums=sums)) == [("file.checksum_not_listed", "low")]
    sums.write_text("no checksums here\n", encoding="utf-8")
    [f] = _verify(target, checksums=sums)
    assert "holds no checksum lines" in f.message


def test_renamed_download_verified_by_digest(tmp_path: Path) -> None:
    target = _file(tmp_path / "dl", "app (1).exe")
    sums = tmp_path / "SHA256SUMS"
    sums.write_text(sha256sums({"app.exe": DATA}), encoding="utf-8")
    [f] = _verify(target, checksums=sums)
    assert f.rule == "file.checksum_verified" and f.evidence["listed_as"] == "app.exe"


def test_folder_with_sha256sums(tmp_path: Path) -> None:
    _file(tmp_path, "app.exe")
    _file(tmp_path, "app.dmg", b"tampered\n")
    _file(tmp_path, "README.txt", b"read me\n")
    (tmp_path / "SHA256SUMS").write_text(
        sha256sums({"app.exe": DATA, "app.dmg": b"genuine\n"}), encoding="utf-8"
    )
    report = report_for(str(tmp_path), FileContext())
    got = {
        r.target: [f.rule for f in r.findings if f.rule.startswith("file.checksum")]
        for r in report.children
    }
    assert got == {
        "app.exe": ["file.checksum_verified"],
        "app.dmg": ["file.checksum_mismatch"],
        "README.txt": [],  # a shared list speaks only for the names it lists
        "SHA256SUMS": [],
    }


def test_sidecar_with_bare_digest(tmp_path: Path) -> None:
    target = _file(tmp_path)
    (tmp_path / "app.exe.sha256").write_text(SHA256.upper() + "\n", encoding="utf-8")
    assert _rules(_verify(target)) == [("file.checksum_verified", "info")]
    (tmp_path / "app.exe.sha256").write_text("0" * 64 + "\n", encoding="utf-8")
    assert _rules(_verify(target)) == [("file.checksum_mismatch", "critical")]


# -- minisign / signify ----------------------------------------------------------------------


def test_minisign_valid_bad_unknown(tmp_path: Path) -> None:
    target = _file(tmp_path)
    sig = tmp_path / "app.exe.minisig"
    sig.write_text(minisign_signature(DATA, "app.exe"), encoding="utf-8")
    [f] = _verify(target)
    assert (f.rule, f.severity.value) == ("file.signature_unknown_key", "low")
    key_id = f.evidence["key"]
    assert len(key_id) == 16 and key_id in minisign_public_key()
    (tmp_path / "minisign.pub").write_text(minisign_public_key(), encoding="utf-8")
    assert _rules(_verify(target)) == [("file.signature_valid", "info")]
    target.write_bytes(DATA + b"!")
    assert _rules(_verify(target)) == [("file.signature_bad", "critical")]


def test_minisign_trusted_comment_is_covered(tmp_path: Path) -> None:
    target = _file(tmp_path)
    (tmp_path / "minisign.pub").write_text(minisign_public_key(), encoding="utf-8")
    lines = minisign_signature(DATA, "app.exe").splitlines()
    lines[2] = lines[2].replace("app.exe", "evil.exe")
    (tmp_path / "app.exe.minisig").write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert _rules(_verify(target)) == [("file.signature_bad", "critical")]


def test_minisign_key_of_another_signer_is_unknown(tmp_path: Path) -> None:
    target = _file(tmp_path)
    (tmp_path / "minisign.pub").write_text(minisign_public_key(b"other seed"), encoding="utf-8")
    (tmp_path / "app.exe.minisig").write_text(minisign_signature(DATA), encoding="utf-8")
    assert _rules(_verify(target)) == [("file.signature_unknown_key", "low")]


def test_signify_with_the_key_its_comment_names(tmp_path: Path) -> None:
    target = _file(tmp_path / "dl")
    sig = tmp_path / "sigs" / "app.exe.sig"
    sig.parent.mkdir()
    sig.write_text(signify_signature(DATA, "vendor-2024.pub"), encoding="utf-8")
    assert _rules(_verify(target, signature=sig)) == [("file.signature_unknown_key", "low")]
    (sig.parent / "vendor-2024.pub").write_text(
        minisign_public_key().replace("minisign public key", "signify public key"),
        encoding="utf-8",
    )
    [f] = _verify(target, signature=sig)
    assert (f.rule, f.evidence["signer"]) == ("file.signature_valid", "vendor-2024.pub")
    assert "signify" in f.message


def test_garbage_signature_is_unchecked(tmp_path: Path) -> None:
    target = _file(tmp_path)
    (tmp_path / "app.exe.minisig").write_text("untrusted comment: x\n!!!\n", encoding="utf-8")
    assert _rules(_verify(target)) == [("file.signature_unchecked", "info")]


# -- OpenPGP ---------------------------------------------------------------------------------


def _gpg(home: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [
            "gpg",
            "--homedir",
            str(home),
            "--batch",
            "--pinentry-mode",
            "loopback",
            "--passphrase",
            "",
            *args,
        ],
        capture_output=True,
        check=True,
        timeout=60,
    )


@pytest.fixture
def signer(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """A throw-away OpenPGP key (home, long key id)."""
    if shutil.which("gpg") is None:
        pytest.skip("gpg is not installed")
    home = tmp_path / "signer-home"
    home.mkdir(mode=0o700)
    _gpg(
        home, "--quick-gen-key", "Koban Test Release <release@example.com>", "ed25519", "sign", "1d"
    )
    listing = _gpg(home, "--with-colons", "--list-keys").stdout.decode()
    key = next(line.split(":")[4] for line in listing.splitlines() if line.startswith("pub:"))
    yield home, key
    subprocess.run(["gpgconf", "--homedir", str(home), "--kill", "all"], check=False)


def _sign(home: Path, target: Path) -> Path:
    _gpg(home, "--armor", "--detach-sign", "--output", f"{target}.asc", str(target))
    return Path(f"{target}.asc")


def test_openpgp_unknown_key_valid_and_bad(
    tmp_path: Path, signer: tuple[Path, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    home, key = signer
    target = _file(tmp_path / "dl")
    _sign(home, target)
    empty = tmp_path / "empty-home"
    empty.mkdir(mode=0o700)
    monkeypatch.setenv("GNUPGHOME", str(empty))
    [f] = _verify(target)
    assert (f.rule, f.severity.value, f.evidence["key"]) == (
        "file.signature_unknown_key",
        "low",
        key,
    )
    monkeypatch.setenv("GNUPGHOME", str(home))  # the user has imported the publisher's key
    [f] = _verify(target)
    assert (f.rule, f.evidence["key"]) == ("file.signature_valid", key)
    assert "release@example.com" in f.message
    target.write_bytes(DATA + b"tampered\n")
    [f] = _verify(target)
    assert (f.rule, f.severity.value) == ("file.signature_bad", "critical")
    assert list(home.glob("*.lock")) == []  # the user's home was only read


def test_openpgp_given_signature_and_non_signature(
    tmp_path: Path, signer: tuple[Path, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    home, _key = signer
    monkeypatch.setenv("GNUPGHOME", str(home))
    target = _file(tmp_path / "dl")
    sig = _sign(home, target).rename(tmp_path / "detached.sig")
    assert _rules(_verify(target, signature=sig)) == [("file.signature_valid", "info")]
    junk = tmp_path / "junk.asc"
    junk.write_text("this is not a signature\n", encoding="utf-8")
    assert _rules(_verify(target, signature=junk)) == [("file.signature_unchecked", "info")]
