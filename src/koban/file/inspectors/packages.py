"""npm and PyPI packages, and source folders: code that runs when the package is installed.

The "coding test" lures of fake recruiters are repositories whose ``package.json`` runs a
script hidden in a dot-folder on ``npm install``; malicious npm and PyPI packages do the same
with ``postinstall`` hooks, ``setup.py`` install commands, ``.pth`` files (run at every Python
start) or an in-tree build backend. This inspector reads the manifests of a package given as a
tarball, wheel or zip (in memory, bounded), or of a folder on disk (a ``package.json`` given as
part of a folder input), finds what runs at install time, and judges that code with the
JavaScript heuristics of :mod:`koban.file.inspectors.asar` and a few Python ones. Nothing runs.
"""

from __future__ import annotations

import io
import json
import re
import tarfile
import time
import tomllib
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from koban.containers import safe_name
from koban.file.inspectors.asar import ScriptSignals, script_signals
from koban.file.item import FileItem
from koban.model import Finding, Location, Severity
from koban.rules import make_finding

if TYPE_CHECKING:
    from koban.file.context import FileContext

INSTALL_HOOKS = ("preinstall", "install", "postinstall", "prepare", "prepublish")
MAX_FILE_BYTES = 2 * 1024 * 1024  # one manifest or script read
MAX_READ_BYTES = 64 * 1024 * 1024  # all files read from one package
MAX_MANIFESTS = 20
MANIFEST_NAMES = ("package.json", "setup.py", "pyproject.toml")
CODE_EXTENSIONS = (".js", ".cjs", ".mjs", ".ts", ".py", ".sh", ".ps1", ".bat", ".cmd", ".pth")
ARCHIVE_TYPES = frozenset({"npm", "wheel", "sdist", "zip", "tar", "gzip", "bzip2", "xz"})

_HOOK_FETCH = re.compile(
    r"(?i)\b(?:curl|wget|iwr|invoke-webrequest|invoke-restmethod|certutil|bitsadmin"
    r"|downloadstring|downloadfile|start-bitstransfer)\b|https?://"
)
_HOOK_SHELL = re.compile(
    r"(?i)\|\s*(?:sh|bash|zsh|node|python3?|iex|powershell)\b|\bpowershell\b|\bpwsh\b"
    r"|\bnode\s+(?:-e|--eval|-p)\b|\bpython3?\s+-c\b|\bbase64\s+(?:-d|--decode)\b|\beval\b"
    r"|\bmshta\b|\bcmd(?:\.exe)?\s+/c\b"
)
_RUNS_FILE = re.compile(
    r"(?:^|[\s;&|(])(?:node|python3?|sh|bash|pwsh|powershell(?:\.exe)?(?:\s+-\w+)*\s*-file|tsx|ts-node)"
    r"\s+([^\s;&|)]+)"
)
_PY_NETWORK = re.compile(
    r"\burlopen\s*\(|\burllib\.request\b|\brequests\.(?:get|post|request)\s*\(|\bhttp\.client\b"
    r"|\bsocket\.socket\s*\(|\burlretrieve\s*\(|\bhttpx\.|\bwget\.download\s*\(|\bcurl\s"
)
_PY_EXEC = re.compile(r"\bexec\s*\(|\beval\s*\(|\bmarshal\.loads\s*\(|\bcompile\s*\(")
_PY_DECODE = re.compile(
    r"\bb64decode\s*\(|\bb32decode\s*\(|\bzlib\.decompress\s*\(|\bbytes\.fromhex\s*\("
    r"|\bcodecs\.decode\s*\([^)]*rot|(?:\\x[0-9a-fA-F]{2}){16,}"
)
_PY_PROCESS = re.compile(
    r"\bsubprocess\.|\bos\.system\s*\(|\bos\.popen\s*\(|\bPopen\s*\(|\bpty\.spawn\s*\("
    r"|\bos\.exec[lv]p?e?\s*\("
)
_PY_INSTALL_CMD = re.compile(r"cmdclass\s*=|class\s+\w+\s*\(\s*(?:_?install|develop|egg_info)\b")


@dataclass(frozen=True, slots=True)
class PySignals:
    """What an install-time Python file does (snippets as evidence)."""

    network: list[str]
    exec_decoded: list[str]
    exec_any: bool
    process: bool
    install_command: bool

    def reasons(self) -> list[str]:
        out = []
        if self.exec_decoded:
            out.append("executes decoded data")
        if self.network:
            out.append("uses the network")
        if self.process:
            out.append("starts programs")
        if self.exec_any and not self.exec_decoded:
            out.append("calls exec/eval")
        return out

    def severity(self) -> Severity | None:
        if self.exec_decoded or (self.network and (self.exec_any or self.process)):
            return Severity.CRITICAL if self.exec_decoded and self.network else Severity.HIGH
        if self.network:
            return Severity.MEDIUM
        if self.process or self.exec_any:
            return Severity.LOW
        return None


def _snip(text: str, m: re.Match[str]) -> str:
    s = re.sub(r"\s+", " ", text[max(0, m.start() - 40) : m.end() + 60])
    return s[:200]


def python_signals(text: str) -> PySignals:
    network = [_snip(text, m) for m in list(_PY_NETWORK.finditer(text))[:3]]
    decoded = []
    for m in _PY_EXEC.finditer(text):
        window = text[max(0, m.start() - 400) : m.end() + 400]
        if _PY_DECODE.search(window):
            decoded.append(_snip(text, m))
            break
    return PySignals(
        network=network,
        exec_decoded=decoded,
        exec_any=bool(_PY_EXEC.search(text)),
        process=bool(_PY_PROCESS.search(text)),
        install_command=bool(_PY_INSTALL_CMD.search(text)),
    )


# -- reading a package --------------------------------------------------------------------------

Reader = Callable[[str], bytes | None]


def _wanted(name: str) -> bool:
    base = name.rsplit("/", 1)[-1]
    return base in MANIFEST_NAMES or base.lower().endswith(CODE_EXTENSIONS)


def archive_files(data: bytes, ctx: FileContext) -> tuple[dict[str, bytes], list[str]]:
    """Manifests and code files of a zip or (compressed) tar, read in memory within bounds."""
    limits = ctx.options.limits
    deadline = time.monotonic() + min(limits.max_seconds, 30.0)
    files: dict[str, bytes] = {}
    notes: list[str] = []
    budget = min(MAX_READ_BYTES, limits.max_total_bytes)
    try:
        if data[:4] == b"PK\x03\x04":
            with zipfile.ZipFile(io.BytesIO(data)) as zf:
                for n, info in enumerate(zf.infolist()):
                    if n >= limits.max_members or time.monotonic() > deadline:
                        notes.append("member or time limit reached: rest not read")
                        break
                    name = safe_name(info.filename)
                    if info.is_dir() or not _wanted(name) or info.file_size > MAX_FILE_BYTES:
                        continue
                    if info.file_size > budget or info.flag_bits & 1:
                        continue
                    with zf.open(info) as handle:
                        raw = handle.read(MAX_FILE_BYTES)
                    budget -= len(raw)
                    files[name] = raw
        else:
            with tarfile.open(fileobj=io.BytesIO(data), mode="r:*") as tf:
                for n, member in enumerate(tf):
                    if n >= limits.max_members or time.monotonic() > deadline:
                        notes.append("member or time limit reached: rest not read")
                        break
                    if member.offset_data > limits.max_total_bytes:
                        notes.append("archive larger than the total size limit: rest not read")
                        break
                    name = safe_name(member.name)
                    if not member.isfile() or not _wanted(name) or member.size > MAX_FILE_BYTES:
                        continue
                    if member.size > budget:
                        continue
                    stream = tf.extractfile(member)
                    if stream is None:
                        continue
                    raw = stream.read(MAX_FILE_BYTES)
                    budget -= len(raw)
                    files[name] = raw
    except (zipfile.BadZipFile, tarfile.TarError, OSError, EOFError, ValueError) as exc:
        notes.append(f"archive partly unreadable: {str(exc)[:120]}")
    return files, notes


def _disk_reader(root: Path) -> Reader:
    resolved = root.resolve()

    def read(rel: str) -> bytes | None:
        try:
            path = (root / rel).resolve()
            if not path.is_relative_to(resolved) or not path.is_file():
                return None
            with path.open("rb") as handle:
                return handle.read(MAX_FILE_BYTES)
        except (OSError, ValueError):
            return None

    return read


def _norm_rel(base: str, rel: str) -> str | None:
    """``rel`` (as written in a command) joined to ``base`` inside the package, or None if it
    climbs out."""
    rel = rel.strip("'\"").replace("\\", "/")
    parts: list[str] = [p for p in base.split("/") if p] if base else []
    for part in rel.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if not parts:
                return None
            parts.pop()
        else:
            parts.append(part)
    return "/".join(parts)


def _hidden(rel: str) -> bool:
    return any(p.startswith(".") and p not in (".", "..") for p in rel.split("/")[:-1])


# -- judging ------------------------------------------------------------------------------------


class PackagesInspector:
    name = "packages"

    def applies(self, item: FileItem) -> bool:
        if item.true_type in ("npm", "wheel", "sdist"):
            return True
        if item.depth == 0 and (item.name in MANIFEST_NAMES or item.name.endswith(".pth")):
            return True
        if item.true_type in ARCHIVE_TYPES or item.data[:4] == b"PK\x03\x04":
            return _mentions_manifest(item.data)
        return False

    def inspect(self, item: FileItem, ctx: FileContext) -> Iterable[Finding]:
        loc = Location(path=item.path)
        if item.depth == 0 and (item.name in MANIFEST_NAMES or item.name.endswith(".pth")):
            if item.fs_path is not None:
                read = _disk_reader(item.fs_path.parent)
            else:
                own = item.data

                def read(rel: str) -> bytes | None:
                    return own if rel == item.name else None

            return list(_manifest(item.name, "", item.data, read, loc))
        files, notes = archive_files(item.data, ctx)
        findings: list[Finding] = []
        manifests = [
            n
            for n in files
            if (n.rsplit("/", 1)[-1] in MANIFEST_NAMES or n.endswith(".pth"))
            and "node_modules/" not in n
        ]
        manifests.sort(key=lambda n: (n.count("/"), n))
        for name in manifests[:MAX_MANIFESTS]:
            base = name.rsplit("/", 1)[0] if "/" in name else ""
            findings.extend(
                _manifest(name, base, files[name], files.get, loc, member=f"{item.path}!{name}")
            )
        if notes:
            findings.append(
                make_finding(
                    "file.package_unreadable",
                    f"package partly read: {'; '.join(notes)[:200]}",
                    location=loc,
                    evidence={"notes": notes[:10]},
                )
            )
        return findings


def _mentions_manifest(data: bytes) -> bool:
    """Cheap: a zip's central directory or a tar's first headers name a package manifest."""
    if data[:4] == b"PK\x03\x04":
        tail = data[-65536:]
        return any(n.encode() in tail for n in MANIFEST_NAMES) or b".pth" in tail
    if data[257:262] == b"ustar":
        head = data[: 1 << 20]
        return any(n.encode() in head for n in MANIFEST_NAMES)
    if data[:2] == b"\x1f\x8b":  # identify names npm/sdist tarballs; others are rarely packages
        return False
    return False


def _manifest(
    name: str,
    base: str,
    data: bytes,
    read: Reader,
    loc: Location,
    member: str | None = None,
) -> Iterator[Finding]:
    where = Location(path=member) if member else loc
    base_name = name.rsplit("/", 1)[-1]
    text = data[:MAX_FILE_BYTES].decode("utf-8", "replace")
    if base_name == "package.json":
        yield from _npm(text, base, read, where)
    elif base_name == "setup.py":
        yield from _setup_py(text, where)
    elif base_name == "pyproject.toml":
        yield from _pyproject(text, base, read, where)
    elif base_name.endswith(".pth"):
        yield from _pth(text, where)


def _npm(text: str, base: str, read: Reader, loc: Location) -> Iterator[Finding]:
    try:
        manifest = json.loads(text)
    except ValueError:
        return
    scripts = manifest.get("scripts") if isinstance(manifest, dict) else None
    if not isinstance(scripts, dict):
        return
    package = str(manifest.get("name", ""))[:100]
    for hook in INSTALL_HOOKS:
        command = scripts.get(hook)
        if not isinstance(command, str) or not command.strip():
            continue
        command = command[:2000]
        ev: dict[str, Any] = {"package": package, "hook": hook, "command": command[:300]}
        yield make_finding(
            "file.package_install_hook",
            f"npm {hook} hook runs: {command[:160]}",
            location=loc,
            evidence=ev,
        )
        fetch, shell = _HOOK_FETCH.search(command), _HOOK_SHELL.search(command)
        if fetch or shell:
            both = bool(fetch and shell)
            yield make_finding(
                "file.package_hook_download",
                f"npm {hook} hook "
                + (
                    "downloads and runs code"
                    if both
                    else "fetches from the network"
                    if fetch
                    else "runs a shell or inline code"
                )
                + f": {command[:160]}",
                severity=Severity.CRITICAL if both else Severity.HIGH if fetch else Severity.MEDIUM,
                location=loc,
                evidence=ev,
                indicators=re.findall(r"https?://[^\s'\"|;)]+", command)[:5],
            )
        for m in _RUNS_FILE.finditer(command):
            rel = _norm_rel(base, m.group(1))
            if rel is None:
                continue
            shown = rel[len(base) + 1 :] if base and rel.startswith(base + "/") else rel
            raw = read(rel)
            signals = (
                script_signals(raw[:MAX_FILE_BYTES].decode("utf-8", "replace")) if raw else None
            )
            py = (
                python_signals(raw.decode("utf-8", "replace"))
                if raw and rel.endswith(".py")
                else None
            )
            yield from _judge_hook_script(hook, shown, rel, signals, py, loc, ev)


def _judge_hook_script(
    hook: str,
    shown: str,
    rel: str,
    signals: ScriptSignals | None,
    py: PySignals | None,
    loc: Location,
    ev: dict[str, Any],
) -> Iterator[Finding]:
    reasons: list[str] = []
    severity: Severity | None = None
    if signals:
        strong = []
        if signals.remote_code:
            strong.append("evaluates code fetched from the network")
        if signals.host_beacon:
            strong.append("posts host details")
        if signals.wallet:
            strong.append(f"reads wallet stores ({', '.join(signals.wallet[:2])})")
        if signals.obfuscation:
            strong.append(f"obfuscated ({signals.obfuscation[0]})")
        reasons.extend(strong)
        if strong:
            severity = Severity.CRITICAL if len(strong) > 1 or signals.wallet else Severity.HIGH
        if signals.second_stage:
            # Binary wrappers (electron, esbuild) download their platform build at install:
            # suspicious, not damning, unless something stronger comes with it.
            reasons.append("downloads, writes and runs a program")
            severity = Severity.CRITICAL if strong else Severity.MEDIUM
    if py and (sev := py.severity()) is not None:
        reasons.extend(py.reasons())
        severity = sev
    if reasons:
        yield make_finding(
            "file.package_install_script",
            f"{hook} script {shown}: {'; '.join(reasons)}",
            severity=severity,
            location=loc,
            evidence={**ev, "script": shown, "reasons": reasons},
        )
    if _hidden(shown):
        yield make_finding(
            "file.package_hidden_script",
            f"{hook} hook runs {shown}, a script in a hidden folder",
            severity=Severity.HIGH if reasons else None,
            location=loc,
            evidence={**ev, "script": shown},
        )


def _setup_py(text: str, loc: Location) -> Iterator[Finding]:
    sig = python_signals(text)
    severity = sig.severity()
    if severity is None:
        return
    if sig.install_command and severity is Severity.MEDIUM:
        severity = Severity.HIGH  # network code in a custom install command
    yield make_finding(
        "file.package_setup_code",
        f"setup.py runs code at install: {'; '.join(sig.reasons())}"
        + (" (custom install command)" if sig.install_command else ""),
        severity=severity,
        location=loc,
        evidence={
            "reasons": sig.reasons(),
            "network": sig.network,
            "exec_decoded": sig.exec_decoded,
            "install_command": sig.install_command,
        },
        indicators=sorted(set(re.findall(r"https?://[^\s'\"]+", text)))[:5],
    )


def _pyproject(text: str, base: str, read: Reader, loc: Location) -> Iterator[Finding]:
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return
    system = doc.get("build-system")
    if not isinstance(system, dict):
        return
    paths = system.get("backend-path")
    backend = str(system.get("build-backend", ""))
    if not isinstance(paths, list) or not backend:
        return
    module = backend.split(":")[0].replace(".", "/")
    sig: PySignals | None = None
    where = ""
    for p in paths[:5]:
        for candidate in (f"{p}/{module}.py", f"{p}/{module}/__init__.py"):
            rel = _norm_rel(base, str(PurePosixPath(candidate)))
            raw = read(rel) if rel is not None else None
            if raw is not None:
                sig, where = python_signals(raw.decode("utf-8", "replace")), candidate
                break
        if sig:
            break
    reasons = sig.reasons() if sig else []
    sev = sig.severity() if sig else None
    yield make_finding(
        "file.package_local_build_backend",
        f"pyproject.toml builds with in-tree code ({backend}"
        + (f" in {where}" if where else "")
        + ")"
        + (f": {'; '.join(reasons)}" if reasons else ""),
        severity=Severity.HIGH if sev in (Severity.HIGH, Severity.CRITICAL) else None,
        location=loc,
        evidence={
            "backend": backend,
            "backend_path": [str(p) for p in paths[:5]],
            "reasons": reasons,
        },
    )


def _pth(text: str, loc: Location) -> Iterator[Finding]:
    code = [ln for ln in text.splitlines()[:1000] if ln.startswith(("import ", "import\t"))]
    if not code:
        return
    joined = "\n".join(code)
    sig = python_signals(joined)
    sev = sig.severity()
    severity = (
        Severity.CRITICAL
        if sig.exec_decoded or (sig.network and sev is not None)
        else Severity.HIGH
        if sev in (Severity.HIGH, Severity.MEDIUM) or sig.process or sig.exec_any
        else None
    )
    if severity is None:
        return  # plain "import x" lines (setuptools, virtualenv) are how .pth files work
    yield make_finding(
        "file.package_pth_code",
        f".pth file runs code at every Python start: {'; '.join(sig.reasons())}",
        severity=severity,
        location=loc,
        evidence={"lines": [ln[:200] for ln in code[:5]], "reasons": sig.reasons()},
    )


INSPECTOR = PackagesInspector()
