"""Attachments by what they are, not what they claim: never opened by an application, never run.

True type from magic bytes (own signatures; ``python-magic`` only names what they do not know),
name tricks (double extensions, right-to-left override), dangerous types (LNK, ISO/IMG/VHD,
HTA, scripts, programs, CHM), macro-enabled Office via oletools ``olevba``, HTML pages with
forms, archives listed recursively within bounds (zip incl. AES and ZipCrypto via pyzipper,
opened with passwords the message body gives; 7z listed with py7zr when installed). Each
attachment is a child report (analyser ``mail``, findings of kind ``attachment``) until the
file analyser (``koban.file``) takes over.
"""

from __future__ import annotations

import hashlib
import io
import re
import time
import warnings
import zipfile
from dataclasses import dataclass, field
from typing import Any

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


@dataclass
class _Walk:
    ctx: MailContext
    passwords: list[str]
    deadline: float
    result: AttachmentResult
    members: int = 0
    total: int = 0


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
    """Child report of one attachment (``target``) and its archive members."""
    result = AttachmentResult(Report(analyser="mail", target=target))
    walk = _Walk(ctx, passwords, deadline, result)
    _inspect(walk, result.report, name, data, declared_type, path, depth=0)
    return result


def _inspect(
    w: _Walk, report: Report, name: str, data: bytes, declared: str, path: str, depth: int
) -> None:
    f = report.findings
    sha256 = hashlib.sha256(data).hexdigest()
    md5 = hashlib.md5(data, usedforsecurity=False).hexdigest()
    w.result.hashes += [(sha256, report), (md5, report)]
    true = sniff(data)
    ext = extension(name)
    evidence = {"name": name, "size": len(data), "sha256": sha256, "md5": md5, "type": true}
    if declared:
        evidence["declared_type"] = declared
    shown = name.replace(RTLO, "") or "(unnamed)"

    if RTLO in name:
        f.append(
            _finding(
                "mail.attachment_rtlo",
                f"file name {name!r} contains a right-to-left override: it displays as "
                f"{_rtlo_display(name)!r} but is really .{ext}",
                path,
                evidence=evidence,
                indicators=[sha256],
            )
        )
        w.result.weights["rtlo"] = 4.0
    parts = [p.strip().lower() for p in name.replace(RTLO, "").split(".")]
    if (
        len(parts) >= 3
        and parts[-2] in DOC_EXT
        and (ext in DANGEROUS_EXT or true in EXECUTABLE_TYPES)
    ):
        f.append(
            _finding(
                "mail.attachment_double_extension",
                f"{shown!r} poses as a .{parts[-2]} file but is a {DANGEROUS_EXT.get(ext, ext)}"
                f" (.{ext})",
                path,
                evidence=evidence,
                indicators=[sha256],
            )
        )
        w.result.weights["double_extension"] = 4.0
    if ext in DANGEROUS_EXT or true in EXECUTABLE_TYPES:
        what = EXECUTABLE_TYPES.get(true) or DANGEROUS_EXT[ext]
        f.append(
            _finding(
                "mail.attachment_dangerous_type",
                f"{shown!r} is a {what}: opening it runs code or mounts content that bypasses "
                "Mark-of-the-Web",
                path,
                evidence=evidence,
                indicators=[sha256],
            )
        )
        w.result.weights["dangerous_type"] = 4.0
    if _mismatch(ext, true):
        f.append(
            _finding(
                "mail.attachment_type_mismatch",
                f"{shown!r} claims to be .{ext} but its content is {true}",
                path,
                evidence=evidence,
                indicators=[sha256],
            )
        )
        w.result.weights["type_mismatch"] = 3.0
    if time.monotonic() > w.deadline:
        f.append(
            _finding(
                "mail.analysis_limit",
                f"time budget exhausted: {shown!r} was not inspected further",
                path,
                severity=Severity.INFO,
            )
        )
        return
    if true in ("ole", "ooxml", "ooxml-macro", "rtf") or ext in OFFICE_EXT:
        _macros(w, report, shown, data, path, evidence)
    if true in ("html", "hta") or ext in ("htm", "html", "shtml", "xhtml", "svg"):
        _html_attachment(w, report, shown, data, path, evidence)
    if true == "pdf":
        w.result.links += _pdf_uris(data)
    if true in ("zip", "jar", "apk") or (true == "ooxml" and ext not in OFFICE_EXT):
        try:
            _zip(w, report, data, path, depth)
        except Exception as exc:  # damaged archives raise many types (zipfile, pyzipper, zlib)
            report.findings.append(
                _finding(
                    "mail.archive_not_inspected",
                    f"{shown!r}: archive could not be read further ({type(exc).__name__}: {exc})",
                    path,
                    severity=Severity.INFO,
                )
            )
    elif true == "7z":
        _sevenzip(w, report, data, path)
    elif true in ("rar", "cab", "gzip", "bzip2", "xz"):
        f.append(
            _finding(
                "mail.archive_not_inspected",
                f"{shown!r} is a {true} archive; its members were not listed (no reader here)",
                path,
                evidence=evidence,
            )
        )
        w.result.weights["uninspected_archive"] = 0.5


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
    w: _Walk, report: Report, shown: str, data: bytes, path: str, ev: dict[str, Any]
) -> None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from oletools.olevba import VBA_Parser
    except ImportError:  # pragma: no cover - a declared dependency
        return
    keywords: list[tuple[str, str, str]] = []
    xlm = False
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            vp = VBA_Parser(shown, data=data)
            try:
                has_vba = bool(vp.detect_vba_macros())
                xlm = bool(vp.detect_xlm_macros()) if vp.type != "Text" else False
                if has_vba or xlm:
                    keywords = [tuple(map(str, k)) for k in vp.analyze_macros() or []]  # type: ignore[misc]
            finally:
                vp.close()
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
    w.result.weights["macro"] = 4.0 if autoexec else 2.0


_FORM = re.compile(rb"<form\b", re.IGNORECASE)
_PASSWORD_INPUT = re.compile(rb"<input[^>]+type\s*=\s*['\"]?password", re.IGNORECASE)
_REDIRECT = re.compile(
    rb"window\.location|location\.(?:href|replace)|http-equiv\s*=\s*['\"]?refresh|atob\s*\(|"
    rb"unescape\s*\(|document\.write\s*\(",
    re.IGNORECASE,
)
_HREF = re.compile(rb"""(?:href|action|src)\s*=\s*['"]?(https?://[^'"\s>]+)""", re.IGNORECASE)


def _html_attachment(
    w: _Walk, report: Report, shown: str, data: bytes, path: str, ev: dict[str, Any]
) -> None:
    head = data[:2_000_000]
    form = bool(_FORM.search(head))
    password = bool(_PASSWORD_INPUT.search(head))
    script = bool(_REDIRECT.search(head))
    w.result.links += [u.decode("latin-1") for u in _HREF.findall(head)[:50]]
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
    w.result.weights["html_attachment"] = 4.0 if password else 2.0


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


def _limit(w: _Walk, report: Report, path: str, why: str) -> None:
    report.findings.append(
        _finding(
            "mail.archive_limits",
            why,
            path,
            evidence={"members_seen": w.members, "bytes_seen": w.total},
        )
    )
    w.result.weights["archive_limits"] = 2.0


def _zip(w: _Walk, report: Report, data: bytes, path: str, depth: int) -> None:
    lim = w.ctx.limits
    if depth >= lim.max_archive_depth:
        _limit(w, report, path, f"archive nested deeper than {lim.max_archive_depth} levels")
        return
    try:
        import pyzipper  # type: ignore[import-untyped]

        zf: zipfile.ZipFile = pyzipper.AESZipFile(io.BytesIO(data))
    except ImportError:  # pragma: no cover - a declared dependency
        zf = zipfile.ZipFile(io.BytesIO(data))
    except Exception as exc:  # zipfile and pyzipper raise their own BadZipFile, zlib errors...
        report.findings.append(
            _finding(
                "mail.archive_not_inspected",
                f"zip archive could not be read ({exc})",
                path,
                severity=Severity.INFO,
            )
        )
        return
    with zf:
        infos = [i for i in zf.infolist() if not i.is_dir()]
        encrypted = [i for i in infos if i.flag_bits & 0x1]
        opened_with: str | None = None
        if encrypted:
            opened_with = _find_password(zf, encrypted[0], w.passwords)
            msg = (
                f"password-protected archive ({len(encrypted)} of {len(infos)} members encrypted): "
            )
            if opened_with is not None:
                msg += "opened with the password given in the message body"
            else:
                msg += "its contents cannot be inspected"
            report.findings.append(
                _finding(
                    "mail.attachment_encrypted",
                    msg,
                    path,
                    severity=Severity.LOW if opened_with is not None else Severity.MEDIUM,
                    evidence={
                        "encrypted_members": len(encrypted),
                        "password_found": bool(opened_with),
                    },
                )
            )
            w.result.weights["encrypted_archive"] = 1.0 if opened_with is not None else 1.5
        for info in infos:
            if w.members >= lim.max_archive_members:
                _limit(w, report, path, f"more than {lim.max_archive_members} archive members")
                return
            if time.monotonic() > w.deadline:
                _limit(w, report, path, "time budget exhausted while listing the archive")
                return
            w.members += 1
            member_path = f"{path}!{info.filename}"
            child = Report(analyser="mail", target=f"{report.target}!{info.filename}")
            report.children.append(child)
            ratio = info.file_size / max(info.compress_size, 1)
            if info.file_size > lim.max_attachment_bytes or (
                ratio > lim.max_archive_ratio and info.file_size > 1_000_000
            ):
                _limit(
                    w,
                    child,
                    member_path,
                    f"member {info.filename!r} expands to {info.file_size:,} bytes "
                    f"({ratio:.0f}x): not extracted (possible archive bomb)",
                )
                _name_only(w, child, info.filename, member_path)
                continue
            if w.total + info.file_size > lim.max_archive_total_bytes:
                _limit(w, child, member_path, "archive expands beyond the total size bound")
                _name_only(w, child, info.filename, member_path)
                return
            pwd = opened_with.encode() if (info.flag_bits & 0x1 and opened_with) else None
            if info.flag_bits & 0x1 and pwd is None:
                _name_only(w, child, info.filename, member_path)
                continue
            try:
                with zf.open(info, pwd=pwd) as fh:
                    blob = fh.read(lim.max_attachment_bytes + 1)
            except Exception as exc:  # bad password, damaged member, unsupported method
                child.findings.append(
                    _finding(
                        "mail.archive_not_inspected",
                        f"member {info.filename!r} could not be extracted ({exc})",
                        member_path,
                        severity=Severity.INFO,
                    )
                )
                _name_only(w, child, info.filename, member_path)
                continue
            w.total += len(blob)
            _inspect(w, child, info.filename, blob, "", member_path, depth + 1)


def _find_password(zf: zipfile.ZipFile, info: zipfile.ZipInfo, passwords: list[str]) -> str | None:
    for pw in passwords:
        try:
            with zf.open(info, pwd=pw.encode()) as fh:
                fh.read(1 << 16)
            return pw
        except Exception:  # noqa: S112 - wrong password or damaged member: try the next
            continue
    return None


def _name_only(w: _Walk, report: Report, name: str, path: str) -> None:
    """Checks that need only the member's name (encrypted or oversized members)."""
    ext = extension(name)
    if RTLO in name or ext in DANGEROUS_EXT:
        _inspect_name(w, report, name, path)


def _inspect_name(w: _Walk, report: Report, name: str, path: str) -> None:
    ext = extension(name)
    shown = name.replace(RTLO, "")
    if ext in DANGEROUS_EXT:
        report.findings.append(
            _finding(
                "mail.attachment_dangerous_type",
                f"archive member {shown!r} is a {DANGEROUS_EXT[ext]} (by its name; content not "
                "extracted)",
                path,
                evidence={"name": name},
            )
        )
        w.result.weights["dangerous_type"] = 4.0
    if RTLO in name:
        report.findings.append(
            _finding(
                "mail.attachment_rtlo",
                f"archive member {name!r} contains a right-to-left override",
                path,
                evidence={"name": name},
            )
        )
        w.result.weights["rtlo"] = 4.0


def _sevenzip(w: _Walk, report: Report, data: bytes, path: str) -> None:
    try:
        import py7zr  # optional
    except ImportError:
        report.findings.append(
            _finding(
                "mail.archive_not_inspected",
                "7z archive: members not listed (py7zr is not installed)",
                path,
                severity=Severity.INFO,
            )
        )
        return
    names: list[str] = []
    for pw in [None, *w.passwords]:
        try:
            with py7zr.SevenZipFile(io.BytesIO(data), password=pw) as sz:
                names = [str(n) for n in sz.getnames()][: w.ctx.limits.max_archive_members]
                encrypted = bool(sz.needs_password())
            break
        except Exception:  # noqa: S112 - wrong password, corrupt archive: try the next
            continue
    else:
        report.findings.append(
            _finding(
                "mail.attachment_encrypted",
                "7z archive with encrypted member names: its contents cannot be inspected",
                path,
                severity=Severity.MEDIUM,
            )
        )
        w.result.weights["encrypted_archive"] = 1.5
        return
    if encrypted:
        report.findings.append(
            _finding(
                "mail.attachment_encrypted",
                "password-protected 7z archive: members listed by name only",
                path,
                severity=Severity.LOW,
            )
        )
        w.result.weights["encrypted_archive"] = 1.0
    for name in names:
        child = Report(analyser="mail", target=f"{report.target}!{name}")
        report.children.append(child)
        _inspect_name(w, child, name, f"{path}!{name}")
