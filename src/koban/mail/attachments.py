"""Attachments by what they are, not what they claim: never opened by an application, never run.

True type from magic bytes (own signatures; ``python-magic`` only names what they do not know),
name tricks (double extensions, right-to-left override), dangerous types (LNK, ISO/IMG/VHD,
HTA, scripts, programs, CHM), macro-enabled Office via oletools ``olevba``, HTML pages with
forms, archives listed recursively within bounds. Archives are opened once, by the shared walker
(:mod:`koban.containers`) as the file analyser (``koban.file``) drives it: the checks here
observe the members that walk decompresses (zip incl. AES and ZipCrypto, 7z, tar, gzip, bzip2,
xz; encrypted ones opened with passwords the message body gives), and the file analyser's
report becomes a child of the attachment's report. Each attachment and archive member is a
child report (analyser ``mail``, findings of kind ``attachment``).
"""

from __future__ import annotations

import hashlib
import re
import time
from dataclasses import dataclass, field
from typing import Any

from koban.containers import Blob, Problem
from koban.file.identify import sniff as file_sniff
from koban.mail.context import MailContext
from koban.model import Finding, Location, Report, Severity
from koban.rules import make_finding

RTLO = "\u202e"
DANGEROUS_EXT = {
    "lnk": "Windows shortcut",
    "iso": "disk image",
    "img": "disk image",
    "vhd": "virtual disk",
    "vhdx": "virtual disk",
    "hta": "HTML application",
    "js": "JScript",
    "jse": "encoded JScript",
    "vbs": "VBScript",
    "vbe": "encoded VBScript",
    "wsf": "Windows Script File",
    "wsh": "Windows Script Host settings",
    "ps1": "PowerShell script",
    "psm1": "PowerShell module",
    "bat": "batch file",
    "cmd": "batch file",
    "scr": "screen saver (program)",
    "chm": "compiled HTML help",
    "exe": "program",
    "com": "program",
    "pif": "program",
    "cpl": "control panel item",
    "msi": "installer",
    "msix": "installer",
    "appx": "installer",
    "dll": "library",
    "jar": "Java program",
    "apk": "Android app",
    "dmg": "macOS disk image",
    "pkg": "macOS installer",
    "app": "macOS application",
    "asar": "Electron app archive",
    "reg": "registry file",
    "url": "internet shortcut",
    "scf": "shell command file",
    "xll": "Excel add-in (program)",
    "iqy": "Excel web query",
    "slk": "SYLK spreadsheet",
    "library-ms": "library description",
    "settingcontent-ms": "settings shortcut",
    "msc": "management console file",
    "appref-ms": "ClickOnce reference",
    "one": "OneNote document",
    "sh": "shell script",
    "command": "shell script",
    "appimage": "Linux program",
    "desktop": "Linux launcher",
    "mobileconfig": "Apple configuration profile (installs accounts, certificates, VPN)",
}
MACRO_EXT = {"docm", "dotm", "xlsm", "xltm", "xlam", "pptm", "potm", "ppsm", "sldm", "xlsb"}
OFFICE_EXT = MACRO_EXT | {"doc", "dot", "xls", "xlt", "ppt", "pps", "docx", "xlsx", "pptx", "rtf"}
DOC_EXT = OFFICE_EXT | {
    "pdf", "txt", "jpg", "jpeg", "png", "gif", "bmp", "tif", "tiff", "csv", "htm", "html",
    "mp3", "mp4", "wav", "mov", "avi", "odt", "ods", "rtf", "xml", "json", "eml", "msg", "ics",
    "zip", "rar", "7z",
}  # fmt: skip
ARCHIVE_TYPES = {"zip", "7z", "rar", "gzip", "bzip2", "xz", "cab"}
EXECUTABLE_TYPES = {
    "pe": "Windows program (PE)",
    "elf": "Linux program (ELF)",
    "macho": "macOS program (Mach-O)",
    "lnk": "Windows shortcut (LNK)",
    "iso": "ISO 9660 disk image",
    "udf": "UDF disk image",
    "vhd": "virtual hard disk (VHD)",
    "vhdx": "virtual hard disk (VHDX)",
    "dmg": "macOS disk image",
    "chm": "compiled HTML help",
    "hta": "HTML application",
}
PASSWORD_RE = re.compile(
    r"(?:パスワード|パスコード|暗証番号|解凍キー|pass(?:word|code|phrase)?|pw|pwd)"
    r"(?:\s*(?:は|:|：|=|is)\s*|\s+)[「『\"'“]?([!-~]{3,64}?)[」』\"'”]?(?=[\s。、,.）)]|$)",
    re.IGNORECASE,
)


def sniff(data: bytes) -> str:
    """Short name of the true type of ``data``: the file analyser's signatures, in mail's coarse
    vocabulary (``ooxml``/``ooxml-macro``, ``unknown``)."""
    return file_sniff(data)


def extension(name: str) -> str:
    base = name.rsplit("/", 1)[-1].rsplit("\\", 1)[-1]
    base = base.replace(RTLO, "").strip().rstrip(".")
    return base.rsplit(".", 1)[-1].lower().strip() if "." in base else ""


def passwords_in(text: str) -> list[str]:
    found: list[str] = []
    for m in PASSWORD_RE.finditer(text):
        pw = m.group(1)
        if pw not in found:
            found.append(pw)
        if len(found) >= 10:
            break
    return found


@dataclass
class AttachmentResult:
    report: Report
    weights: dict[str, float] = field(default_factory=dict)
    hashes: list[tuple[str, Report]] = field(default_factory=list)  # (sha256|md5, report)
    links: list[str] = field(default_factory=list)  # URLs found in PDFs and HTML pages

    def weigh(self, signal: str, weight: float) -> None:
        self.weights[signal] = max(weight, self.weights.get(signal, 0.0))


def _finding(rule: str, message: str, path: str, **kw: Any) -> Finding:
    return make_finding(rule, message, kind="attachment", location=Location(path=path), **kw)


def analyse_attachment(
    name: str,
    data: bytes,
    declared_type: str,
    target: str,
    path: str,
    ctx: MailContext,
    passwords: list[str],
    deadline: float,
) -> AttachmentResult:
    """Child report of one attachment (``target``, shown as ``path``) and its archive members,
    with the file analyser's report of it as a child when that has findings. One walk of the
    attachment (bounded by ``ctx.limits`` and ``deadline``) serves both analysers."""
    from koban.file import FileContext, FileOptions, bytes_report

    if ctx.file_context is None:  # one per run: compiled YARA rules, the URL context
        ctx.file_context = FileContext(ctx.profile, ctx.store, url_context=ctx.url_context)
    limits = ctx.limits.walker(deadline - time.monotonic())
    fctx = ctx.file_context.with_options(FileOptions(passwords=tuple(passwords), limits=limits))
    walk = _Walk(name, declared_type, target, ctx, deadline, fctx.cache)
    triage = bytes_report(data, path, fctx, walk)
    result = walk.finish()
    if any(r.findings for r in triage.walk()):
        result.report.children.append(triage)
    # a password-protected document: scanners cannot see inside without the password, which is
    # why lures send them (the file analyser's finding in the child report explains it)
    for r in triage.walk():
        for f in r.findings:
            if f.rule in _LOCKED_DOCUMENT:  # opened with the message's password: 1.0, as archives
                result.weigh("encrypted_document", 1.0 if f.severity is Severity.INFO else 1.5)
    return result


_LOCKED_DOCUMENT = frozenset(("file.pdf_encrypted", "file.office_encrypted"))


@dataclass
class _Node:
    """One blob of the walk as the mail checks see it."""

    path: str
    parent: _Node | None
    report: Report | None  # None: no concern of the mail checks (inside an Office document)
    kind: str = ""  # true type (sniff)
    archive: bool = False  # an archive to the mail checks: its members are theirs
    members: int = 0  # members met (read or not)
    encrypted: int = 0  # members encrypted...
    opened: int = 0  # ...of which read with a password from the message body
    names_encrypted: bool = False  # not even the names could be read (7z header encryption)
    cut: bool = False  # the message's time ran out before its checks (said so already)


class _Walk:
    """Observer of the shared walk of one attachment: the mail checks on each blob and problem
    the walker yields (the attachment first, then its members depth first)."""

    def __init__(
        self,
        name: str,
        declared: str,
        target: str,
        ctx: MailContext,
        deadline: float,
        cache: dict[str, Any],
    ) -> None:
        self.name = name
        self.cache = cache  # the file analyser's: the olevba parse both analysers read
        self.declared = declared
        self.ctx = ctx
        self.deadline = deadline
        self.result = AttachmentResult(Report(analyser="mail", target=target))
        self.nodes: dict[str, _Node] = {}
        self.open: list[_Node] = []  # the containers whose members are being walked
        self.listed = 0  # archive members the checks looked at (all levels)

    def __call__(self, item: Blob | Problem) -> None:
        if isinstance(item, Problem):
            self._problem(item)
        elif item.origin != "text":
            self._blob(item)

    def _parent(self, path: str) -> _Node | None:
        while self.open and not path.startswith(self.open[-1].path + "!"):
            self.open.pop()
        return self.open[-1] if self.open else None

    def _blob(self, blob: Blob) -> None:
        if not self.nodes:  # the attachment itself
            node = _Node(blob.path, None, self.result.report)
            node.kind, node.cut = self._inspect(self.result.report, self.name, blob, self.declared)
        else:
            parent = self._parent(blob.path)
            node = _Node(blob.path, parent, None)
            member = self._member(parent, blob.path, blob.encrypted, opened=blob.encrypted)
            if member is not None:
                node.report, name = member
                node.kind, node.cut = self._inspect(node.report, name, blob, "")
        node.archive = (
            node.report is not None
            and not node.cut
            and blob.container is not None
            and _walked(node.kind, blob.path)
        )
        self.nodes[blob.path] = node
        if blob.container is not None:
            self.open.append(node)

    def _member(
        self, parent: _Node | None, path: str, encrypted: bool, *, opened: bool
    ) -> tuple[Report, str] | None:
        """A child report for a member of an archive the checks walk, and the member's name;
        ``None`` for members of anything else (the parts of an Office document) and beyond
        the member bound. ``encrypted``/``opened``: what encryption did to its content."""
        if parent is None or parent.report is None or not parent.archive:
            return None
        parent.members += 1
        parent.encrypted += encrypted
        parent.opened += opened
        limit = self.ctx.limits.max_archive_members
        if self.listed >= limit:
            if self.listed == limit:
                _limit(self.result, parent.report, path, f"more than {limit} archive members")
            self.listed += 1
            return None
        self.listed += 1
        name = path[len(parent.path) + 1 :]
        child = Report(analyser="mail", target=f"{parent.report.target}!{name}")
        parent.report.children.append(child)
        return child, name

    def _problem(self, problem: Problem) -> None:
        node = self.nodes.get(problem.path)
        if node is not None:  # about a blob met already: an archive not (fully) opened
            if node.report is not None and not node.cut and _walked(node.kind, node.path):
                if problem.encrypted:
                    node.names_encrypted = True
                elif problem.limit:
                    _limit(self.result, node.report, problem.path, problem.message)
                else:
                    node.report.findings.append(
                        _finding(
                            "mail.archive_not_inspected",
                            f"{_shown(problem.path)!r}: archive could not be read further "
                            f"({problem.message})",
                            problem.path,
                            severity=Severity.INFO,
                        )
                    )
            elif problem.stopped and not node.cut:
                self._limit_above(node, problem)
            return
        parent = self._parent(problem.path)
        member = self._member(parent, problem.path, problem.encrypted, opened=False)
        if member is None:
            if problem.stopped and parent is not None:
                self._limit_above(parent, problem)
            return
        child, name = member
        if problem.limit:
            _limit(self.result, child, problem.path, problem.message)
        elif not problem.encrypted:  # encryption is said once for the archive (``finish``)
            child.findings.append(
                _finding(
                    "mail.archive_not_inspected",
                    f"member {name!r} could not be extracted ({problem.message})",
                    problem.path,
                    severity=Severity.INFO,
                )
            )
        self._name_only(child, name, problem.path)

    def _limit_above(self, node: _Node, problem: Problem) -> None:
        """A bound that ended the whole walk (time, total size) inside something the checks do
        not walk (an Office document): said on the nearest archive or attachment they do walk,
        whose remaining members were not walked either. Other bounds met there (a part too
        large, a document nested too deep) are the file analyser's to report."""
        above: _Node | None = node
        while above is not None and (above.report is None or not above.archive):
            above = above.parent
        report = above.report if above is not None else self.result.report
        assert report is not None
        _limit(self.result, report, problem.path, problem.message)

    def finish(self) -> AttachmentResult:
        for node in self.nodes.values():
            if node.report is not None and (node.encrypted or node.names_encrypted):
                self._encrypted(node, node.report)
        return self.result

    def _encrypted(self, node: _Node, report: Report) -> None:
        if node.names_encrypted:
            msg = (
                f"{node.kind} archive with encrypted member names: its contents cannot be inspected"
            )
            opened = False
        else:
            opened = node.opened == node.encrypted
            msg = (
                f"password-protected archive ({node.encrypted} of {node.members} members "
                "encrypted): "
            )
            if opened:
                msg += "opened with the password given in the message body"
            elif node.opened:
                msg += (
                    f"{node.opened} opened with the password given in the message body, the "
                    "others cannot be inspected"
                )
            else:
                msg += "its contents cannot be inspected"
        report.findings.append(
            _finding(
                "mail.attachment_encrypted",
                msg,
                node.path,
                severity=Severity.LOW if opened else Severity.MEDIUM,
                evidence={
                    "encrypted_members": node.encrypted,
                    "password_found": node.opened > 0,
                },
            )
        )
        self.result.weigh("encrypted_archive", 1.0 if opened else 1.5)

    def _inspect(self, report: Report, name: str, blob: Blob, declared: str) -> tuple[str, bool]:
        """The checks on one attachment or member; its true type, and whether the message's
        time ran out before the checks that read its content (and its members)."""
        w = self.result
        f = report.findings
        data, path = blob.data, blob.path
        sha256 = hashlib.sha256(data).hexdigest()
        md5 = hashlib.md5(data, usedforsecurity=False).hexdigest()
        w.hashes += [(sha256, report), (md5, report)]
        true = sniff(data)
        ext = extension(name)
        evidence = {"name": name, "size": len(data), "sha256": sha256, "md5": md5, "type": true}
        if declared:
            evidence["declared_type"] = declared
        shown = name.replace(RTLO, "") or "(unnamed)"

        def flag(rule: str, message: str, signal: str, weight: float) -> None:
            """A finding on this file (its hash as indicator) that also weighs in the message's
            combination of signals."""
            f.append(_finding(rule, message, path, evidence=evidence, indicators=[sha256]))
            w.weigh(signal, weight)

        if RTLO in name:
            flag(
                "mail.attachment_rtlo",
                f"file name {name!r} contains a right-to-left override: it displays as "
                f"{_rtlo_display(name)!r} but is really .{ext}",
                "rtlo",
                4.0,
            )
        parts = [p.strip().lower() for p in name.replace(RTLO, "").split(".")]
        if (
            len(parts) >= 3
            and parts[-2] in DOC_EXT
            and (ext in DANGEROUS_EXT or true in EXECUTABLE_TYPES)
        ):
            flag(
                "mail.attachment_double_extension",
                f"{shown!r} poses as a .{parts[-2]} file but is a "
                f"{DANGEROUS_EXT.get(ext, ext)} (.{ext})",
                "double_extension",
                4.0,
            )
        if ext in DANGEROUS_EXT or true in EXECUTABLE_TYPES:
            what = EXECUTABLE_TYPES.get(true) or DANGEROUS_EXT[ext]
            flag(
                "mail.attachment_dangerous_type",
                f"{shown!r} is a {what}: opening it runs code or mounts content that bypasses "
                "Mark-of-the-Web",
                "dangerous_type",
                4.0,
            )
        if _mismatch(ext, true):
            flag(
                "mail.attachment_type_mismatch",
                f"{shown!r} claims to be .{ext} but its content is {true}",
                "type_mismatch",
                3.0,
            )
        if time.monotonic() > self.deadline:
            f.append(
                _finding(
                    "mail.analysis_limit",
                    f"time budget exhausted: {shown!r} was not inspected further",
                    path,
                    severity=Severity.INFO,
                )
            )
            return true, True
        if true in ("ole", "ooxml", "ooxml-macro", "rtf") or ext in OFFICE_EXT:
            _macros(w, report, shown, data, path, evidence, self.cache)
        if true in ("html", "hta") or ext in ("htm", "html", "shtml", "xhtml", "svg"):
            _html_attachment(w, report, shown, data, path, evidence)
        if true == "pdf":
            w.links += _pdf_uris(data)
        if true in ("rar", "cab"):
            f.append(
                _finding(
                    "mail.archive_not_inspected",
                    f"{shown!r} is a {true} archive; its members were not listed (no reader here)",
                    path,
                    evidence=evidence,
                )
            )
            w.weigh("uninspected_archive", 0.5)
        return true, False

    def _name_only(self, report: Report, name: str, path: str) -> None:
        """Checks that need only the member's name (encrypted, oversized or damaged members)."""
        ext = extension(name)
        shown = name.replace(RTLO, "")
        if ext in DANGEROUS_EXT:
            report.findings.append(
                _finding(
                    "mail.attachment_dangerous_type",
                    f"archive member {shown!r} is a {DANGEROUS_EXT[ext]} (by its name; content "
                    "not extracted)",
                    path,
                    evidence={"name": name},
                )
            )
            self.result.weigh("dangerous_type", 4.0)
        if RTLO in name:
            report.findings.append(
                _finding(
                    "mail.attachment_rtlo",
                    f"archive member {name!r} contains a right-to-left override",
                    path,
                    evidence={"name": name},
                )
            )
            self.result.weigh("rtlo", 4.0)


# Archives whose members the checks walk (the walker opens them); Office packages are zips too
# but their parts are the file analyser's (an OOXML package under another name is walked).
_WALKED_ARCHIVES = frozenset({"zip", "jar", "apk", "7z", "tar", "gzip", "bzip2", "xz"})


def _walked(true: str, path: str) -> bool:
    """Are the members of this blob (true type, display path) the mail checks' concern?"""
    ext = extension(path.rsplit("!", 1)[-1])
    return true in _WALKED_ARCHIVES or (true == "ooxml" and ext not in OFFICE_EXT)


def _shown(path: str) -> str:
    return path.rsplit("!", 1)[-1].replace(RTLO, "")


_MISMATCH_TYPES = set(EXECUTABLE_TYPES) | {"ole", "zip", "rar", "7z", "apk", "jar"}


def _mismatch(ext: str, true: str) -> bool:
    """The extension claims a document/image but the content is a program, archive or OLE."""
    if ext not in DOC_EXT or ext in DANGEROUS_EXT or true not in _MISMATCH_TYPES:
        return False
    if true in ("ole", "zip") and (ext in OFFICE_EXT or ext == "msg"):
        return False  # Office documents are OLE or zip containers
    return not (ext in ("zip", "rar", "7z") and true in ARCHIVE_TYPES)


def _rtlo_display(name: str) -> str:
    before, _, after = name.partition(RTLO)
    return before + after[::-1]


def _macros(
    w: AttachmentResult,
    report: Report,
    shown: str,
    data: bytes,
    path: str,
    ev: dict[str, Any],
    cache: dict[str, Any],
) -> None:
    from koban.file.macros import vba_scan

    # The file analyser's Office inspector reads these same bytes right after: one olevba parse
    # (kept in the file context's cache) serves both.
    scan = vba_scan(cache, shown, data)
    keywords: list[tuple[str, str, str]] = []
    xlm = False
    try:
        if scan.open_error is not None:
            raise scan.open_error
        has_vba = scan.has_vba()
        xlm = scan.has_xlm() if scan.type != "Text" else False
        if has_vba or xlm:
            keywords = scan.keywords()
    except Exception as exc:  # olevba raises many types on hostile files
        report.findings.append(
            _finding(
                "mail.analysis_limit",
                f"{shown!r}: Office document could not be parsed for macros ({type(exc).__name__})",
                path,
                severity=Severity.INFO,
            )
        )
        return
    if not (has_vba or xlm):
        return
    autoexec = sorted({k for t, k, _ in keywords if t == "AutoExec"})
    suspicious = sorted({k for t, k, _ in keywords if t == "Suspicious"})[:12]
    what = "VBA macros" if has_vba else "Excel 4 (XLM) macros"
    severity = Severity.MEDIUM
    why = f"{shown!r} contains {what}"
    if autoexec:
        severity = Severity.HIGH
        why += f" that run on open ({', '.join(autoexec[:4])})"
    if autoexec and suspicious:
        severity = Severity.CRITICAL
        why += f" and use {', '.join(suspicious[:5])}"
    elif suspicious:
        why += f"; suspicious keywords: {', '.join(suspicious[:5])}"
    if xlm and has_vba:
        why += "; also Excel 4 (XLM) macros"
    report.findings.append(
        _finding(
            "mail.attachment_macro",
            why,
            path,
            severity=severity,
            evidence={**ev, "autoexec": autoexec, "suspicious": suspicious, "xlm": xlm},
            indicators=[ev["sha256"]],
        )
    )
    w.weigh("macro", 4.0 if autoexec else 2.0)


_FORM = re.compile(rb"<form\b", re.IGNORECASE)
_PASSWORD_INPUT = re.compile(rb"<input[^>]+type\s*=\s*['\"]?password", re.IGNORECASE)
_REDIRECT = re.compile(
    rb"window\.location|location\.(?:href|replace)|http-equiv\s*=\s*['\"]?refresh|atob\s*\(|"
    rb"unescape\s*\(|document\.write\s*\(",
    re.IGNORECASE,
)
_HREF = re.compile(rb"""(?:href|action|src)\s*=\s*['"]?(https?://[^'"\s>]+)""", re.IGNORECASE)


def _html_attachment(
    w: AttachmentResult, report: Report, shown: str, data: bytes, path: str, ev: dict[str, Any]
) -> None:
    head = data[:2_000_000]
    form = bool(_FORM.search(head))
    password = bool(_PASSWORD_INPUT.search(head))
    script = bool(_REDIRECT.search(head))
    w.links += [u.decode("latin-1") for u in _HREF.findall(head)[:50]]
    if not (form or script):
        return
    if password:
        why = "a login form asking for a password"
    elif form:
        why = "a form that sends what is typed to a web site"
    else:
        why = "script that redirects or writes content when opened (HTML smuggling)"
    report.findings.append(
        _finding(
            "mail.attachment_html",
            f"{shown!r} is a web page with {why}",
            path,
            severity=Severity.HIGH if password else Severity.MEDIUM,
            evidence={**ev, "form": form, "password_field": password, "script": script},
            indicators=[ev["sha256"]],
        )
    )
    w.weigh("html_attachment", 4.0 if password else 2.0)


_PDF_URI = re.compile(rb"/URI\s*\(([^)]{4,500})\)")


def _pdf_uris(data: bytes) -> list[str]:
    out = []
    for m in _PDF_URI.finditer(data[:20_000_000]):
        u = m.group(1).decode("latin-1", "replace")
        if u.lower().startswith(("http://", "https://")) and u not in out:
            out.append(u)
        if len(out) >= 50:
            break
    return out


def _limit(result: AttachmentResult, report: Report, path: str, why: str) -> None:
    report.findings.append(_finding("mail.archive_limits", why, path))
    result.weigh("archive_limits", 2.0)
