"""Electron ``.asar`` archives: the application code of a desktop app, checked for injected code.

TraderTraitor and AppleJeus shipped real Electron trading and wallet apps whose ``app.asar`` had
a few lines added: an "update check" that posts the host's name and user and runs what comes
back, a loader that evaluates JavaScript fetched from a server, code that reads browser-wallet
storage. The archive is a Chromium Pickle (4-byte size fields) holding a JSON tree of the files,
followed by their bytes; files marked ``unpacked`` live beside it in ``app.asar.unpacked``.
Everything is read in memory within the walker's limits; nothing is executed or extracted.

:func:`script_signals` (the JavaScript heuristics) is shared with the package inspector.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from koban.containers import safe_name
from koban.file.item import FileItem
from koban.model import Finding, Location, Severity
from koban.rules import make_finding

if TYPE_CHECKING:
    from koban.file.context import FileContext

MAX_HEADER_BYTES = 64 * 1024 * 1024  # JSON header of a huge app: a few MB
MAX_TREE_DEPTH = 64
MAX_SCRIPT_BYTES = 8 * 1024 * 1024  # one script read for the heuristics
MAX_LISTED = 50  # member names quoted in the contents finding
MAX_PER_RULE = 20  # findings of one rule for one archive (the rest counted)
MAX_MEMBER_TRIAGE = 50  # members other than scripts passed to the other inspectors
KNOWN_GOOD_SUFFIX = ".known-good"  # app.asar.known-good beside the input: its good manifest

SCRIPT_EXTENSIONS = (".js", ".mjs", ".cjs", ".jsx", ".ts", ".html", ".htm")
TRIAGE_EXTENSIONS = (
    ".exe", ".dll", ".node", ".dylib", ".so", ".ps1", ".bat", ".cmd", ".vbs", ".sh", ".py",
    ".zip", ".7z", ".tar", ".gz", ".lnk", ".jar", ".msi", ".scr",
)  # fmt: skip


class AsarError(ValueError):
    """Not an asar archive, or a header that cannot be read."""


@dataclass(frozen=True, slots=True)
class Entry:
    """One file or link of the archive's tree (directories are implied by paths)."""

    path: str
    size: int = 0
    offset: int | None = None
    unpacked: bool = False
    executable: bool = False
    link: str | None = None
    integrity: str | None = None  # SHA-256 hex of the whole file, when the header has it


def looks_like_asar(data: bytes) -> bool:
    """Cheap check: the Pickle size fields agree and the JSON header starts with ``{"files"``."""
    if len(data) < 24 or data[:4] != b"\x04\x00\x00\x00":
        return False
    header = int.from_bytes(data[4:8], "little")
    payload = int.from_bytes(data[8:12], "little")
    length = int.from_bytes(data[12:16], "little")
    return payload + 4 == header and length <= payload and data[16:24] == b'{"files"'


def read_header(data: bytes, max_entries: int = 100_000) -> tuple[list[Entry], int, list[str]]:
    """``(entries, data_start, notes)``; raises :class:`AsarError` when the header is unusable."""
    if not looks_like_asar(data):
        raise AsarError("not an asar archive")
    header_size = int.from_bytes(data[4:8], "little")
    length = int.from_bytes(data[12:16], "little")
    if length > MAX_HEADER_BYTES or 16 + length > len(data):
        raise AsarError(f"header of {length} bytes runs past the end of the file or the bound")
    try:
        tree = json.loads(data[16 : 16 + length].decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise AsarError(f"header is not JSON: {str(exc)[:120]}") from None
    if not isinstance(tree, dict) or not isinstance(tree.get("files"), dict):
        raise AsarError("header has no file tree")
    entries: list[Entry] = []
    notes: list[str] = []
    stack: list[tuple[str, dict[str, Any], int]] = [("", tree["files"], 0)]
    while stack:
        prefix, files, depth = stack.pop()
        for name, node in files.items():
            if not isinstance(node, dict):
                notes.append(f"entry {safe_name(prefix + name)!r} is not an object")
                continue
            path = f"{prefix}{name}"
            if isinstance(node.get("files"), dict):
                if depth >= MAX_TREE_DEPTH:
                    notes.append(f"directory tree deeper than {MAX_TREE_DEPTH}: not listed")
                    continue
                stack.append((path + "/", node["files"], depth + 1))
                continue
            if len(entries) >= max_entries:
                notes.append(f"more than {max_entries} entries: rest not listed")
                stack.clear()
                break
            entries.append(_entry(path, node))
    entries.sort(key=lambda e: e.path)
    return entries, 8 + header_size, notes


def _entry(path: str, node: dict[str, Any]) -> Entry:
    if "link" in node:
        return Entry(path, link=str(node["link"]))
    integrity = node.get("integrity")
    digest = integrity.get("hash") if isinstance(integrity, dict) else None
    try:
        size = max(0, int(node.get("size", 0)))
        offset = int(node["offset"]) if "offset" in node else None
    except (TypeError, ValueError):
        size, offset = 0, None
    return Entry(
        path,
        size=size,
        offset=offset,
        unpacked=bool(node.get("unpacked")),
        executable=bool(node.get("executable")),
        integrity=str(digest).lower() if digest else None,
    )


def member_bytes(data: bytes, base: int, entry: Entry) -> bytes | None:
    """The bytes of a packed member, or None (unpacked, a link, or outside the file)."""
    if entry.offset is None or entry.unpacked or entry.link is not None:
        return None
    start = base + entry.offset
    end = start + entry.size
    if entry.offset < 0 or end > len(data):
        return None
    return data[start:end]


# -- JavaScript heuristics ----------------------------------------------------------------------

_NETWORK = re.compile(
    r"\bhttps?\.(?:get|request)\s*\(|\bfetch\s*\(|\baxios(?:\.(?:get|post|request))?\s*\("
    r"|\brequest(?:\.(?:get|post))?\s*\(\s*['\"`{]|\bXMLHttpRequest\b|\bnet\.request\s*\("
    r"|\bgot(?:\.(?:get|post))?\s*\(|\bneedle\s*\(|\bnew\s+WebSocket\s*\(|\bcurl\s+-"
)
_EVALUATE = re.compile(
    r"\beval\s*\(|\bnew\s+Function\s*\(|\bFunction\s*\(\s*['\"`]|\bvm\.(?:runIn\w*|Script)\b"
    r"|\.runInThisContext\s*\(|\b_compile\s*\(|\bimport\s*\(\s*['\"`]data:"
)
_REQUIRE_URL = re.compile(r"\b(?:require|import)\s*\(\s*['\"`]https?://[^'\"`]+")
_CHILD = re.compile(
    r"child_process['\"`]|\b(?:execSync|execFileSync|spawnSync|execFile|spawn)\s*\("
    r"|\.exec\s*\(\s*['\"`]|shell\.openPath\s*\("
)
_WRITE = re.compile(r"\b(?:writeFileSync|writeFile|createWriteStream|chmodSync|chmod)\s*\(")
_POST = re.compile(r"""(?i)method\s*:\s*['"`]post['"`]|\.post\s*\(|['"`]POST['"`]""")
_HOST_INFO = {
    "hostname": re.compile(r"\bos\.hostname\s*\(|\bCOMPUTERNAME\b|\bHOSTNAME\b"),
    "user": re.compile(r"\bos\.userInfo\s*\(|\bUSERNAME\b|process\.env\.USER\b"),
    "interfaces": re.compile(r"\bos\.networkInterfaces\s*\(|\bgetmac\b|\bmacaddress\b"),
    "platform": re.compile(r"\bos\.(?:platform|release|type|arch)\s*\(|process\.platform\b"),
}
_OBFUSCATOR_ID = re.compile(r"\b_0x[0-9a-f]{4,6}\b")
_HEX_ESCAPES = re.compile(r"(?:\\x[0-9a-fA-F]{2}){8,}")
_PACKER = re.compile(r"eval\s*\(\s*function\s*\(\s*p\s*,\s*a\s*,\s*c\s*,\s*k\s*,\s*e\s*,")
_BASE64_BLOB = re.compile(r"(?<![A-Za-z0-9+/,])[A-Za-z0-9+/]{4000,}={0,2}")
_WALLET = re.compile(
    r"(?i)nkbihfbeogaeaoehlefnkodbefgpgknn|bfnaelmomeimhlpmgjnjophhpkkoljpa"
    r"|hnfanknocfeofbddgcijnmhnfnkdnaad|fhbohimaelbohpjbbldcngcnapndodjp"
    r"|ibnejdfjmmkpcnlpebklmnkoeoihofec|ejbalbakoplchlghecdalmeeeajnimhm"
    r"|egjidjbpglichdcondbcbdnbeeppgdph|aholpfdialjgjfhomihkjbmgjidlcdno"
    r"|Local Extension Settings|electrum[\\/]+wallets|exodus[\\/]+exodus\.wallet"
    r"|\.ethereum[\\/]+keystore|wallet\.dat\b|atomic[\\/]+Local Storage|Ledger Live"
    r"|com\.liberty\.jaxx|Coinomi[\\/]+wallets|Guarda[\\/]+Local Storage"
    r"|\.config[\\/]+solana[\\/]+id\.json|Bitcoin[\\/]+wallets"
)
_SECRET_WORD = re.compile(r"(?i)\b(?:mnemonic|seed_?phrase|private_?key|secret_?key)\b")
_CHEAP = (
    "http", "fetch", "axios", "request", "eval", "Function", "vm.", "runInThisContext",
    "child_process", "exec", "spawn", "_0x", "\\x", "hostname", "userInfo", "wallet",
    "Extension", "keystore", "mnemonic", "private", "Ledger", "solana", "_compile",
)  # fmt: skip
NEAR = 800  # characters: how close a fetch and an eval must be to count as one loader


@dataclass
class ScriptSignals:
    """What one script does that matters for a loader or a stealer (snippets as evidence)."""

    remote_code: list[str] = field(default_factory=list)
    obfuscation: list[str] = field(default_factory=list)
    wallet: list[str] = field(default_factory=list)
    secrets_sent: list[str] = field(default_factory=list)
    host_beacon: list[str] = field(default_factory=list)
    second_stage: list[str] = field(default_factory=list)
    child_process: bool = False
    network: bool = False

    def __bool__(self) -> bool:
        return bool(
            self.remote_code
            or self.obfuscation
            or self.wallet
            or self.secrets_sent
            or self.host_beacon
            or self.second_stage
            or self.child_process
        )


def _snippet(text: str, start: int, end: int, pad: int = 40) -> str:
    s = text[max(0, start - pad) : min(len(text), end + pad)]
    s = re.sub(r"\s+", " ", s)
    return s if len(s) <= 200 else s[:200] + "..."


def _near(text: str, first: re.Pattern[str], second: re.Pattern[str], span: int = NEAR) -> str:
    """A snippet where a match of ``second`` follows a match of ``first`` within ``span``."""
    for m in first.finditer(text):
        hit = second.search(text, m.start(), min(len(text), m.end() + span))
        if hit:
            return _snippet(text, m.start(), hit.end(), 10)
    return ""


def script_signals(text: str) -> ScriptSignals:
    """Heuristics on one JavaScript (or HTML) file; nothing is evaluated."""
    sig = ScriptSignals()
    if not any(k in text for k in _CHEAP):
        return sig
    sig.network = bool(_NETWORK.search(text))
    sig.child_process = bool(_CHILD.search(text))
    if m := _REQUIRE_URL.search(text):
        sig.remote_code.append(_snippet(text, m.start(), m.end()))
    if sig.network and (hit := _near(text, _NETWORK, _EVALUATE)):
        sig.remote_code.append(hit)
    ids = len(set(_OBFUSCATOR_ID.findall(text)))
    if ids >= 15:
        sig.obfuscation.append(f"{ids} javascript-obfuscator identifiers (_0x...)")
    if m := _PACKER.search(text):
        sig.obfuscation.append("packed eval(function(p,a,c,k,e,...))")
    escapes = _HEX_ESCAPES.findall(text)
    if len(escapes) >= 20:
        sig.obfuscation.append(f"{len(escapes)} runs of hex-escaped strings")
    for m in _BASE64_BLOB.finditer(text):
        before = text[max(0, m.start() - 40) : m.start()]
        if "base64," not in before and "data:" not in before:  # data: URIs are fonts/images
            sig.obfuscation.append(f"base64 blob of {m.end() - m.start()} characters")
            break
    sig.wallet = sorted({m.group(0) for m in _WALLET.finditer(text)})[:10]
    if sig.network and (hit := _near(text, _SECRET_WORD, _POST, 300)):
        sig.secrets_sent.append(hit)
    if sig.network and _POST.search(text):
        kinds = [k for k, rx in _HOST_INFO.items() if rx.search(text)]
        if len(kinds) >= 2 and set(kinds) & {"hostname", "user", "interfaces"}:
            sig.host_beacon = kinds
    if sig.network and sig.child_process and (w := _WRITE.search(text)):
        sig.second_stage.append(_snippet(text, w.start(), w.end()))
    return sig


# -- known-good manifests -----------------------------------------------------------------------

_SUMS_LINE = re.compile(r"^([0-9a-fA-F]{64})\s+\*?(.+)$")
_BSD_LINE = re.compile(r"^SHA256\s*\((.+)\)\s*=\s*([0-9a-fA-F]{64})$")


def read_manifest(path: Path) -> dict[str, str]:
    """``{relative path: sha256}`` from a SHA256SUMS-style file (GNU or BSD lines)."""
    out: dict[str, str] = {}
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return out
    for line in lines[:1_000_000]:
        line = line.strip()
        if m := _SUMS_LINE.match(line):
            digest, name = m.group(1), m.group(2)
        elif m := _BSD_LINE.match(line):
            name, digest = m.group(1), m.group(2)
        else:
            continue
        out[_norm(name)] = digest.lower()
    return out


def _norm(name: str) -> str:
    name = name.strip().replace("\\", "/")
    while name.startswith("./"):
        name = name[2:]
    if ".asar/" in name:  # a manifest of an installed app: resources/app.asar/main.js
        name = name.rsplit(".asar/", 1)[1]
    return name.lstrip("/")


def align_manifest(manifest: dict[str, str], paths: set[str]) -> dict[str, str]:
    """The manifest re-rooted to match the archive's paths (a leading ``app/`` or ``out/``
    component dropped when that gives more overlap); empty when it does not describe them."""
    best: dict[str, str] = {}
    best_overlap = 0
    for strip in range(4):
        view = {}
        for name, digest in manifest.items():
            parts = name.split("/")
            if len(parts) > strip:
                view["/".join(parts[strip:])] = digest
        overlap = len(paths & view.keys())
        if overlap > best_overlap:
            best, best_overlap = view, overlap
    return best if best_overlap * 2 >= min(len(paths), len(best)) and best_overlap else {}


# -- the inspector ------------------------------------------------------------------------------


def _is_script(path: str) -> bool:
    return path.lower().endswith(SCRIPT_EXTENSIONS)


def _in_dependencies(path: str) -> bool:
    return "node_modules/" in path or path.startswith("node_modules")


def _unpacked_bytes(item: FileItem, entry: Entry, cap: int) -> bytes | None:
    """An ``unpacked`` member's bytes from ``<archive>.unpacked/`` beside an input file."""
    if item.fs_path is None:
        return None
    root = item.fs_path.parent / (item.fs_path.name + ".unpacked")
    try:
        target = (root / safe_name(entry.path)).resolve()
        if not target.is_relative_to(root.resolve()) or not target.is_file():
            return None
        with target.open("rb") as handle:
            return handle.read(cap)
    except OSError:
        return None


class AsarInspector:
    name = "asar"

    def applies(self, item: FileItem) -> bool:
        return item.true_type == "asar" or looks_like_asar(item.data)

    def inspect(self, item: FileItem, ctx: FileContext) -> Iterable[Finding]:
        loc = Location(path=item.path)
        limits = ctx.options.limits
        try:
            entries, base, notes = read_header(item.data, limits.max_members)
        except AsarError as exc:
            return [make_finding("file.asar_malformed", str(exc), location=loc)]
        findings: list[Finding] = []
        deadline = time.monotonic() + limits.max_seconds
        files = [e for e in entries if e.link is None]
        unpacked = [e.path for e in files if e.unpacked]
        findings.append(
            make_finding(
                "file.asar_contents",
                f"Electron archive of {len(files)} files"
                + (f" ({len(unpacked)} unpacked beside it)" if unpacked else ""),
                location=loc,
                evidence={
                    "files": len(files),
                    "scripts": sum(1 for e in files if _is_script(e.path)),
                    "names": [safe_name(e.path) for e in files[:MAX_LISTED]],
                    "unpacked": [safe_name(p) for p in unpacked[:MAX_LISTED]],
                },
            )
        )
        for entry in entries:
            if entry.link is not None and _escapes(entry):
                findings.append(
                    make_finding(
                        "file.asar_link_escape",
                        f"link {safe_name(entry.path)!r} points outside the archive: "
                        f"{entry.link[:200]!r}",
                        location=loc,
                        evidence={"member": safe_name(entry.path), "link": entry.link[:200]},
                    )
                )
        contents: dict[str, bytes] = {}
        budget = limits.max_total_bytes
        for entry in files:
            if time.monotonic() > deadline:
                notes.append(f"time limit of {limits.max_seconds:g} s reached: rest not read")
                break
            raw = member_bytes(item.data, base, entry)
            if raw is None and entry.unpacked and _is_script(entry.path):
                raw = _unpacked_bytes(item, entry, min(MAX_SCRIPT_BYTES, limits.max_member_bytes))
            if raw is None:
                if entry.offset is not None and not entry.unpacked:
                    notes.append(f"member {safe_name(entry.path)!r} lies outside the file")
                continue
            if len(raw) > budget:
                notes.append("total size limit reached: rest not read")
                break
            budget -= len(raw)
            contents[entry.path] = raw
        findings.extend(_integrity(entries, contents, loc))
        findings.extend(_scripts(contents, loc))
        findings.extend(_known_good(item, ctx, files, contents, loc))
        findings.extend(_triage(item, ctx, contents))
        if notes:
            findings.append(
                make_finding(
                    "file.asar_malformed",
                    f"archive partly unreadable: {'; '.join(sorted(set(notes)))[:300]}",
                    location=loc,
                    evidence={"notes": sorted(set(notes))[:20]},
                )
            )
        return findings


def _escapes(entry: Entry) -> bool:
    link = (entry.link or "").replace("\\", "/")
    if link.startswith("/") or re.match(r"^[A-Za-z]:", link):
        return True
    depth = entry.path.count("/")
    for part in link.split("/"):
        depth += -1 if part == ".." else (0 if part in ("", ".") else 1)
        if depth < 0:
            return True
    return False


def _integrity(
    entries: list[Entry], contents: dict[str, bytes], loc: Location
) -> Iterator[Finding]:
    bad = [
        e.path
        for e in entries
        if e.integrity
        and e.path in contents
        and hashlib.sha256(contents[e.path]).hexdigest() != e.integrity
    ]
    if bad:
        yield make_finding(
            "file.asar_integrity_mismatch",
            f"{len(bad)} file(s) differ from the hash recorded in the archive's own header "
            f"(edited after packing): {', '.join(safe_name(p) for p in bad[:5])}",
            severity=Severity.HIGH if any(_is_script(p) for p in bad) else Severity.MEDIUM,
            location=loc,
            evidence={"members": [safe_name(p) for p in bad[:MAX_LISTED]]},
        )


def _scripts(contents: dict[str, bytes], loc: Location) -> Iterator[Finding]:
    counts: dict[str, int] = {}
    child_users: list[str] = []

    def emit(
        rule: str, message: str, severity: Severity | None, member: str, ev: dict[str, Any]
    ) -> Iterator[Finding]:
        counts[rule] = counts.get(rule, 0) + 1
        if counts[rule] <= MAX_PER_RULE:
            yield make_finding(
                rule,
                f"{safe_name(member)}: {message}",
                severity=severity,
                location=Location(path=f"{loc.path}!{safe_name(member)}"),
                evidence={"member": safe_name(member), **ev},
            )

    for path, raw in contents.items():
        if not _is_script(path):
            continue
        text = raw[:MAX_SCRIPT_BYTES].decode("utf-8", "replace")
        sig = script_signals(text)
        if not sig:
            continue
        dep = _in_dependencies(path)
        if sig.remote_code:
            sev = Severity.CRITICAL if sig.obfuscation or sig.host_beacon else None
            yield from emit(
                "file.asar_remote_code",
                "evaluates code fetched from the network",
                sev,
                path,
                {"snippets": sig.remote_code[:3], "obfuscation": sig.obfuscation},
            )
        if sig.second_stage:
            yield from emit(
                "file.asar_second_stage",
                "downloads, writes and runs a program",
                None,
                path,
                {"snippets": sig.second_stage[:3]},
            )
        if sig.host_beacon:
            yield from emit(
                "file.asar_host_beacon",
                f"posts host details ({', '.join(sig.host_beacon)}) to a server",
                None,
                path,
                {"collects": sig.host_beacon},
            )
        if sig.wallet:
            yield from emit(
                "file.asar_wallet_access",
                f"reads wallet or key stores ({', '.join(sig.wallet[:3])})"
                + (" and talks to the network" if sig.network else ""),
                Severity.CRITICAL if sig.network else None,
                path,
                {"stores": sig.wallet, "network": sig.network},
            )
        if sig.secrets_sent and not dep:
            yield from emit(
                "file.asar_secret_exfiltration",
                "sends a seed phrase or private key over the network",
                None,
                path,
                {"snippets": sig.secrets_sent[:3]},
            )
        if sig.obfuscation:
            risky = sig.network or sig.child_process
            yield from emit(
                "file.asar_obfuscated",
                f"obfuscated code ({'; '.join(sig.obfuscation)})"
                + (" that uses the network or runs programs" if risky else ""),
                Severity.HIGH if risky else None,
                path,
                {
                    "signs": sig.obfuscation,
                    "network": sig.network,
                    "child_process": sig.child_process,
                },
            )
        if sig.child_process and not dep:
            child_users.append(path)
    if child_users:
        yield make_finding(
            "file.asar_child_process",
            f"application code starts programs (child_process) in {len(child_users)} file(s): "
            + ", ".join(safe_name(p) for p in child_users[:5]),
            location=loc,
            evidence={"members": [safe_name(p) for p in child_users[:MAX_LISTED]]},
        )
    for rule, n in counts.items():
        if n > MAX_PER_RULE:
            yield make_finding(
                rule,
                f"... and {n - MAX_PER_RULE} more file(s) with the same finding",
                severity=Severity.INFO,
                location=loc,
                evidence={"more": n - MAX_PER_RULE},
            )


def _known_good(
    item: FileItem, ctx: FileContext, files: list[Entry], contents: dict[str, bytes], loc: Location
) -> Iterator[Finding]:
    manifest_path = ctx.options.known_good
    if manifest_path is None and item.fs_path is not None:
        beside = item.fs_path.with_name(item.fs_path.name + KNOWN_GOOD_SUFFIX)
        manifest_path = beside if beside.is_file() else None
    if manifest_path is None:
        return
    manifest = ctx.cache.get(f"asar.manifest:{manifest_path}")
    if manifest is None:
        manifest = read_manifest(manifest_path)
        ctx.cache[f"asar.manifest:{manifest_path}"] = manifest
    whole = hashlib.sha256(item.data).hexdigest()
    if whole in manifest.values():
        yield make_finding(
            "file.asar_known_good",
            "archive is identical to the known-good build",
            severity=Severity.INFO,
            location=loc,
            evidence={"sha256": whole, "manifest": str(manifest_path)},
        )
        return
    paths = {e.path for e in files}
    good = align_manifest(manifest, paths)
    if not good:
        if item.name in {n.rsplit("/", 1)[-1] for n in manifest}:
            yield make_finding(
                "file.asar_known_good",
                f"archive differs from the known-good build's {item.name}",
                severity=Severity.HIGH,
                location=loc,
                evidence={"sha256": whole, "manifest": str(manifest_path)},
            )
        return
    added = sorted(paths - good.keys())
    removed = sorted(good.keys() - paths)
    changed = sorted(
        p
        for p in paths & good.keys()
        if p in contents and hashlib.sha256(contents[p]).hexdigest() != good[p]
    )
    if not (added or removed or changed):
        yield make_finding(
            "file.asar_known_good",
            f"all {len(paths)} files match the known-good build",
            severity=Severity.INFO,
            location=loc,
            evidence={"manifest": str(manifest_path)},
        )
        return
    scripts = [p for p in changed + added if _is_script(p)]
    severity = Severity.HIGH if scripts else Severity.MEDIUM if changed or added else Severity.LOW
    yield make_finding(
        "file.asar_known_good",
        f"differs from the known-good build: {len(changed)} changed, {len(added)} added, "
        f"{len(removed)} removed"
        + (f" (scripts: {', '.join(safe_name(p) for p in scripts[:5])})" if scripts else ""),
        severity=severity,
        location=loc,
        evidence={
            "changed": [safe_name(p) for p in changed[:MAX_LISTED]],
            "added": [safe_name(p) for p in added[:MAX_LISTED]],
            "removed": [safe_name(p) for p in removed[:MAX_LISTED]],
            "manifest": str(manifest_path),
        },
    )


def _triage(item: FileItem, ctx: FileContext, contents: dict[str, bytes]) -> Iterator[Finding]:
    """Binaries, scripts of other languages and nested archives get the full triage."""
    from koban.file import inspect_item  # the orchestrator imports the inspectors
    from koban.file.identify import identify_lazily

    n = 0
    for path, raw in contents.items():
        if not path.lower().endswith(TRIAGE_EXTENSIONS) or not raw:
            continue
        n += 1
        if n > MAX_MEMBER_TRIAGE or item.depth + 1 > ctx.options.limits.max_depth:
            return
        name = safe_name(path).rsplit("/", 1)[-1]
        true_type, description = identify_lazily(name, raw)
        member = FileItem(
            path=f"{item.path}!{safe_name(path)}",
            name=name,
            data=raw,
            true_type=true_type,
            description=description,
            depth=item.depth + 1,
        )
        yield from inspect_item(member, ctx)


INSPECTOR = AsarInspector()
