"""Is this download the one its publisher released? Checksum lists and detached signatures.

A checksum list (``SHA256SUMS``, ``sha512sum`` output, BSD ``SHA256 (file) = ...`` lines, a
bare digest in ``NAME.sha256``) is given with ``--checksums`` or found beside the input under
the names publishers use. The input is matched by file name, else by digest (a renamed
download, ``app (1).exe``): a match is verified, a different digest under the same name is a
tampered or substituted file (critical), a name the given list does not have is low (a list
found beside the file only speaks for the files it names).

A detached signature (``--signature``, or ``NAME.asc`` / ``.sig`` / ``.gpg`` / ``.minisig``
beside the file) is checked without trusting anything new: OpenPGP with ``gpg --verify`` in a
throw-away home that holds a copy of the user's public keyring (a key the user never imported is
"unknown", low, and its id is shown to look up); minisign and signify (Ed25519) against a public
key file beside the signature (``minisign.pub``, the ``.pub`` the signature's comment names).
Only input files (depth 0) are checked.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from koban.file.context import FileContext
from koban.file.inspectors.intel import digests
from koban.file.item import FileItem
from koban.model import Finding, Location, Severity
from koban.rules import make_finding

_MAX_LIST = 4 * 1024 * 1024
_MAX_SIG = 64 * 1024
_GPG_SECONDS = 20
_BY_LENGTH = {32: "md5", 40: "sha1", 56: "sha224", 64: "sha256", 96: "sha384", 128: "sha512"}
_BSD = re.compile(
    r"^(MD5|SHA-?1|SHA-?224|SHA-?256|SHA-?384|SHA-?512)\s*\((.+)\)\s*=\s*([0-9a-f]+)$", re.I
)
_GNU = re.compile(r"^\\?([0-9a-fA-F]{32,128})\s[ *]?(.+)$")
_BARE = re.compile(r"^([0-9a-fA-F]{32,128})$")
LIST_NAMES = (
    "SHA256SUMS",
    "SHA256SUMS.txt",
    "sha256sums.txt",
    "sha256sum.txt",
    "SHA512SUMS",
    "SHA512SUMS.txt",
    "sha512sums.txt",
    "SHASUMS256.txt",
    "SHA1SUMS",
    "MD5SUMS",
    "checksums.txt",
    "CHECKSUMS",
    "CHECKSUMS.txt",
    "checksums.sha256",
)
SIDECAR_SUFFIXES = (
    ".sha256",
    ".sha256sum",
    ".sha256.txt",
    ".sha512",
    ".sha512sum",
    ".sha1",
    ".md5",
)
SIGNATURE_SUFFIXES = (".asc", ".sig", ".gpg", ".minisig")


@dataclass(frozen=True, slots=True)
class Entry:
    """One line of a checksum list: ``name`` None for a bare digest (names its sidecar's file)."""

    algorithm: str
    digest: str
    name: str | None
    line: int


def parse_checksums(text: str) -> list[Entry]:
    """Entries of a checksum list in GNU (``sha256sum``), BSD (``shasum --tag``) or bare form;
    other lines (a PGP clear-signature armour, comments) are skipped."""
    out = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if line.startswith("- "):  # dash-escaped line of a clear-signed list
            line = line[2:]
        if m := _BSD.match(line):
            algorithm = m.group(1).lower().replace("-", "")
            digest, name = m.group(3).lower(), m.group(2)
        elif m := _GNU.match(line):
            digest, name = m.group(1).lower(), m.group(2).strip()
            algorithm = _BY_LENGTH.get(len(digest), "")
        elif m := _BARE.match(line):
            digest, name = m.group(1).lower(), None
            algorithm = _BY_LENGTH.get(len(digest), "")
        else:
            continue
        if algorithm and len(digest) * 4 == hashlib.new(algorithm).digest_size * 8:
            out.append(Entry(algorithm, digest, name, number))
    return out


def _basename(name: str) -> str:
    return name.replace("\\", "/").rsplit("/", 1)[-1]


def _digest(item: FileItem, ctx: FileContext, algorithm: str) -> str:
    if algorithm in ("md5", "sha1", "sha256"):
        value: str = getattr(digests(item, ctx), algorithm)
        return value
    return hashlib.new(algorithm, item.data).hexdigest()


def _read_text(path: Path, limit: int) -> str | None:
    try:
        with path.open("rb") as f:
            return f.read(limit).decode("utf-8", "replace")
    except OSError:
        return None


def _lists(item: FileItem, ctx: FileContext) -> list[tuple[Path, bool]]:
    """(checksum list, speaks for this file) for ``item``: the option's, else those beside it
    (``NAME.sha256`` speaks for NAME; a folder's SHA256SUMS only for the names it lists)."""
    if ctx.options.checksums is not None:
        return [(ctx.options.checksums, True)]
    if item.fs_path is None:
        return []
    here = item.fs_path.parent
    names = _listing(here, ctx)
    sidecars = [(item.fs_path.name + s, True) for s in SIDECAR_SUFFIXES]
    shared = [(n, False) for n in LIST_NAMES]  # speak only for the files they name
    return [(here / n, own) for n, own in sidecars + shared if n in names]


def _listing(folder: Path, ctx: FileContext) -> frozenset[str]:
    """Names in ``folder``, listed once per run (a folder of downloads is one listing, not two
    dozen stat calls per file)."""
    cache: dict[Path, frozenset[str]] = ctx.cache.setdefault("checksums-listing", {})
    found = cache.get(folder)
    if found is None:
        try:
            found = frozenset(os.listdir(folder))
        except OSError:
            found = frozenset()
        cache[folder] = found
    return found


_LIST_NAMES_FOLDED = frozenset(n.lower() for n in LIST_NAMES)


def _is_companion(name: str) -> bool:
    """A checksum list or signature itself (verified through the file it speaks for)."""
    lower = name.lower()
    return (
        lower in _LIST_NAMES_FOLDED
        or lower.endswith(SIDECAR_SUFFIXES)
        or lower.endswith(SIGNATURE_SUFFIXES)
        or lower.endswith((".pub", ":zone.identifier"))
    )


def checksum_findings(item: FileItem, ctx: FileContext) -> list[Finding]:
    out: list[Finding] = []
    for path, explicit in _lists(item, ctx):
        text = _read_text(path, _MAX_LIST)
        entries = parse_checksums(text or "")
        sidecar = path.name != item.name and path.name.startswith(item.name + ".")
        named = [
            e
            for e in entries
            if (e.name is None and sidecar)
            or (e.name is not None and _basename(e.name.lstrip("*")) == item.name)
        ]
        loc = Location(path=item.path)
        where = {"list": path.name}
        if named:
            wrong = [e for e in named if _digest(item, ctx, e.algorithm) != e.digest]
            if wrong:
                e = wrong[0]
                out.append(
                    make_finding(
                        "file.checksum_mismatch",
                        f"{item.name} does not match the publisher's checksum list {path.name} "
                        f"(line {e.line}, {e.algorithm.upper()}): the file was altered or "
                        "substituted after release — do not open it",
                        location=loc,
                        evidence={
                            **where,
                            "line": e.line,
                            "algorithm": e.algorithm,
                            "expected": e.digest,
                            "actual": _digest(item, ctx, e.algorithm),
                        },
                        indicators=[_digest(item, ctx, e.algorithm)],
                    )
                )
            else:
                algorithms = sorted({e.algorithm.upper() for e in named})
                out.append(
                    make_finding(
                        "file.checksum_verified",
                        f"verified against the publisher's checksum list {path.name} "
                        f"({', '.join(algorithms)}); the list is only as trustworthy as where "
                        "it came from",
                        location=loc,
                        evidence={**where, "algorithms": algorithms, "line": named[0].line},
                    )
                )
            continue
        renamed = [e for e in entries if _digest(item, ctx, e.algorithm) == e.digest]
        if renamed:
            e = renamed[0]
            out.append(
                make_finding(
                    "file.checksum_verified",
                    f"verified against the publisher's checksum list {path.name}: listed as "
                    f"{e.name or '(unnamed)'} ({e.algorithm.upper()})",
                    location=loc,
                    evidence={**where, "algorithms": [e.algorithm.upper()], "listed_as": e.name},
                )
            )
        elif explicit:
            why = "it holds no checksum lines" if not entries else "it does not name this file"
            out.append(
                make_finding(
                    "file.checksum_not_listed",
                    f"{item.name} could not be verified against {path.name}: {why}, and no "
                    "entry has its digest",
                    location=loc,
                    evidence={**where, "entries": len(entries)},
                )
            )
    return out


# -- detached signatures ----------------------------------------------------------------------


def _signatures(item: FileItem, ctx: FileContext) -> list[Path]:
    if ctx.options.signature is not None:
        return [ctx.options.signature]
    if item.fs_path is None:
        return []
    names = _listing(item.fs_path.parent, ctx)
    found = [item.fs_path.name + s for s in SIGNATURE_SUFFIXES]
    return [item.fs_path.with_name(n) for n in found if n in names]


def _user_keyrings() -> list[Path]:
    home = Path(os.environ.get("GNUPGHOME") or Path.home() / ".gnupg")
    names = ("pubring.kbx", "pubring.gpg", "trustedkeys.kbx", "trustedkeys.gpg")
    return [home / n for n in names if (home / n).is_file()]


@dataclass(frozen=True, slots=True)
class Verdict:
    """What checking one detached signature found."""

    rule: str
    message: str
    severity: Severity | None = None
    key: str | None = None
    signer: str | None = None


def _gpg_status(lines: list[str]) -> Verdict:
    status: dict[str, list[str]] = {}
    for line in lines:
        if line.startswith("[GNUPG:] "):
            word, *rest = line[9:].split(" ", 2)
            status.setdefault(word, rest)
    if "BADSIG" in status:
        key, *uid = status["BADSIG"]
        return Verdict(
            "file.signature_bad",
            f"BAD OpenPGP signature by key {key}",
            key=key,
            signer=" ".join(uid) or None,
        )
    for word, note in (("REVKEYSIG", "a REVOKED key"), ("EXPKEYSIG", "an expired key")):
        if word in status:
            key, *uid = status[word]
            severity = Severity.HIGH if word == "REVKEYSIG" else Severity.LOW
            rule = "file.signature_bad" if word == "REVKEYSIG" else "file.signature_valid"
            return Verdict(
                rule,
                f"OpenPGP signature by {note} {key} ({' '.join(uid)})",
                severity,
                key,
                " ".join(uid) or None,
            )
    if "GOODSIG" in status:
        key, *uid = status["GOODSIG"]
        signer = " ".join(uid) or None
        return Verdict(
            "file.signature_valid",
            f"good OpenPGP signature by key {key} ({signer}), a key in your keyring",
            key=key,
            signer=signer,
        )
    if "ERRSIG" in status or "NO_PUBKEY" in status:
        key = (status.get("NO_PUBKEY") or status["ERRSIG"])[0]
        return Verdict(
            "file.signature_unknown_key",
            f"OpenPGP signature by key {key}, which is not in your keyring: it cannot be "
            "checked (get the publisher's key from a source you trust and verify its "
            "fingerprint)",
            key=key,
        )
    return Verdict("file.signature_unchecked", "not a usable OpenPGP detached signature")


def verify_openpgp(data_path: Path, sig_path: Path) -> Verdict:
    """``gpg --verify`` in a throw-away home holding a copy of the user's public keyring."""
    gpg = shutil.which("gpg")
    if gpg is None:
        return Verdict("file.signature_unchecked", "gpg is not installed: signature not checked")
    with tempfile.TemporaryDirectory(prefix="koban-gpg-") as home:
        os.chmod(home, 0o700)
        for ring in _user_keyrings():
            shutil.copyfile(ring, Path(home) / ring.name)
        command = [gpg, "--homedir", home, "--batch", "--no-tty", "--no-auto-key-retrieve"]
        command += ["--status-fd", "1", "--verify", str(sig_path), str(data_path)]
        try:
            done = subprocess.run(
                command,
                capture_output=True,
                timeout=_GPG_SECONDS,
                env={**os.environ, "GNUPGHOME": home, "LC_ALL": "C"},
                check=False,
            )
        except subprocess.TimeoutExpired:
            return Verdict("file.signature_unchecked", f"gpg did not finish in {_GPG_SECONDS} s")
        finally:  # verifying may start an agent for the throw-away home: stop it
            if shutil.which("gpgconf"):
                subprocess.run(
                    ["gpgconf", "--homedir", home, "--kill", "all"],
                    capture_output=True,
                    timeout=_GPG_SECONDS,
                    check=False,
                )
    return _gpg_status(done.stdout.decode("utf-8", "replace").splitlines())


def _b64(line: str) -> bytes | None:
    try:
        return base64.b64decode(line.strip(), validate=True)
    except (binascii.Error, ValueError):
        return None


def _ed25519_key(sig_path: Path, keynum: bytes, comment: str) -> tuple[bytes, str] | None:
    """The public key with ``keynum`` beside the signature (minisign.pub, any *.pub there, or
    the file the signify comment names, also under /etc/signify)."""
    here = sig_path.parent
    named = re.search(r"verify with (\S+\.pub)", comment)
    candidates = [here / "minisign.pub"]
    if named:
        base = _basename(named.group(1))
        candidates += [here / base, Path("/etc/signify") / base]
    candidates += sorted(here.glob("*.pub"))[:20]
    for path in candidates:
        text = _read_text(path, 4096) if path.is_file() else None
        for line in (text or "").splitlines():
            raw = _b64(line)
            if raw is not None and len(raw) == 42 and raw[2:10] == keynum:
                return raw[10:], path.name
    return None


def verify_ed25519(data: bytes, sig_path: Path) -> Verdict:
    """A minisign (``Ed``/``ED`` prehashed, trusted comment) or signify signature."""
    from nacl.exceptions import BadSignatureError
    from nacl.signing import VerifyKey

    lines = (_read_text(sig_path, _MAX_SIG) or "").splitlines()
    raw = _b64(lines[1]) if len(lines) > 1 else None
    if raw is None or len(raw) != 74 or raw[:2] not in (b"Ed", b"ED"):
        return Verdict("file.signature_unchecked", "not a minisign or signify signature")
    keynum, signature = raw[2:10], raw[10:]
    key_id = keynum[::-1].hex().upper()
    tool = "minisign" if len(lines) > 2 and lines[2].startswith("trusted comment: ") else "signify"
    found = _ed25519_key(sig_path, keynum, lines[0])
    if found is None:
        return Verdict(
            "file.signature_unknown_key",
            f"{tool} signature by key {key_id}, and no public key with that id beside it: it "
            "cannot be checked",
            key=key_id,
        )
    public, key_file = found
    message = hashlib.blake2b(data).digest() if raw[:2] == b"ED" else data
    try:
        verifier = VerifyKey(public)
        verifier.verify(message, signature)
        if tool == "minisign":
            trusted = lines[2][len("trusted comment: ") :].encode()
            global_sig = _b64(lines[3]) if len(lines) > 3 else None
            verifier.verify(signature + trusted, global_sig or b"")
    except (BadSignatureError, ValueError):
        return Verdict("file.signature_bad", f"BAD {tool} signature by key {key_id}", key=key_id)
    return Verdict(
        "file.signature_valid",
        f"good {tool} signature by key {key_id} ({key_file} beside the file)",
        key=key_id,
        signer=key_file,
    )


def signature_findings(item: FileItem, ctx: FileContext) -> list[Finding]:
    out = []
    for sig in _signatures(item, ctx):
        head = _read_text(sig, 256) or ""
        if sig.suffix == ".minisig" or head.startswith("untrusted comment:"):
            verdict = verify_ed25519(item.data, sig)
        elif item.fs_path is not None:
            verdict = verify_openpgp(item.fs_path, sig)
        else:
            continue
        out.append(
            make_finding(
                verdict.rule,
                f"{sig.name}: {verdict.message}",
                severity=verdict.severity,
                location=Location(path=item.path),
                evidence={"signature": sig.name, "key": verdict.key, "signer": verdict.signer},
            )
        )
    return out


class Checksums:
    name = "checksums"

    def applies(self, item: FileItem) -> bool:
        return item.depth == 0 and not _is_companion(item.name)

    def inspect(self, item: FileItem, ctx: FileContext) -> Iterable[Finding]:
        return checksum_findings(item, ctx) + signature_findings(item, ctx)


INSPECTOR = Checksums()
