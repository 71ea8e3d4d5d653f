"""Office documents (OLE, OOXML, RTF, SYLK, Word/Excel 2003 XML, CSV): what runs when opened.

Office lures reach code by a handful of roads, each a rule here (oletools does the parsing;
nothing is ever rendered or run):

- VBA macros (``olevba``): auto-exec entry points, suspicious keywords and IOCs as evidence;
  auto-exec plus a command or a download is the classic dropper (critical).
- Excel 4 (XLM) macros: ``EXEC``/``CALL``/``REGISTER`` in macro sheets, run by ``Auto_Open``.
- DDE fields (``msodde``): a field that starts a program when the document updates its links.
- Remote templates and external objects (the package's ``.rels`` parts, RTF ``\\*\\template``):
  Word fetches a macro template or an OLE object from a URL at open time (template injection,
  CVE-2017-0199, CVE-2021-40444's ``mhtml:``).
- Embedded objects (``oleobj``, ``rtfobj``): OLE packages that carry a file (an executable or
  script is high), Equation Editor objects (CVE-2017-11882 class), OLE2Link.
- Encryption (``msoffcrypto``): Excel's built-in password ``VelvetSweatshop`` opens without a
  prompt yet hides the content from scanners: decrypted and analysed; supplied passwords are
  tried; an unknown password is reported (content not inspected).

Bounds: documents above ``max_member_bytes`` are skipped with a note; ``msodde`` needs a path
and gets a private temporary file that is removed at once.
"""

from __future__ import annotations

import importlib
import io
import logging
import os
import re
import tempfile
import warnings
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from koban.file.identify import MACRO_OOXML, OOXML_TYPES, identify, identify_lazily
from koban.file.item import FileItem
from koban.file.macros import vba_scan
from koban.mail.attachments import DANGEROUS_EXT
from koban.model import Finding, Location, Severity
from koban.rules import make_finding

if TYPE_CHECKING:
    from koban.file.context import FileContext

ORDER = 30

OLE_LIKE = {"ole", "rtf", "slk"} | OOXML_TYPES | {"odt", "ods", "odp"}
DEFAULT_PASSWORDS = ("VelvetSweatshop", "/01Hannes Ruescher/01")  # Excel's and PowerPoint's
_MAX_KEYWORDS = 25
_EXEC = re.compile(
    r"(?i)^(?:shell|shellexecute\w*|wscript\.shell|run|exec|createprocess\w*|powershell|"
    r"cmd(?:\.exe)?|mshta|wmi\w*|win32_process|create|callbyname|macscript|popen|system|"
    r"regsvr32|rundll32|certutil|bitsadmin|\.run|shell\.application)$"
)
_DOWNLOAD = re.compile(
    r"(?i)urldownloadtofile\w*|xmlhttp|msxml2|winhttp\w*|serverxmlhttp|downloadfile|"
    r"downloadstring|net\.webclient|internetopen\w*|internetreadfile|adodb\.stream|savetofile|"
    r"curl|wget|invoke-webrequest"
)
_DDE_EXEC = re.compile(r"(?i)cmd|powershell|mshta|wscript|cscript|rundll32|regsvr32|certutil|\.exe")
_XLM_EXEC = re.compile(r"(?i)\b(EXEC|CALL|REGISTER|RUN|FORMULA\.FILL|URLDownloadToFile\w*)\s*\(")
_MARKERS = {  # olevba "Suspicious" entries that are obfuscation markers (kept as evidence)
    "Hex Strings", "Base64 Strings", "Dridex Strings", "VBA obfuscated Strings", "XLM macro",
}  # fmt: skip
_AT_OPEN = re.compile(
    r"(?i)auto_?(?:open|exec|new|close)|(?:document|workbook|presentation)_?(?:open|new|close|"
    r"beforeclose|activate)|_(?:layout|painted|gotfocus|resize|initialize)$|autorun"
)
_XLM_FORMULA = re.compile(rb"<(?:\w+:)?f\b[^>]*>([^<]{1,4000})</(?:\w+:)?f>")
_RTF_TEMPLATE = re.compile(rb"\\\*\\template\s*([^}\\]{4,400})")
_RTF_OBJUPDATE = re.compile(rb"\\objupdate")
EQUATION_CLSIDS = {"0002CE02-0000-0000-C000-000000000046", "0002CE03-0000-0000-C000-000000000046"}
OLE2LINK_CLSID = "00000300-0000-0000-C000-000000000046"
_PROGRAM_TYPES = {"pe", "elf", "macho", "lnk", "hta", "chm", "script", "java-class"}
# External relationship types by how dangerous a remote target is when the document opens.
_EXTERNAL = {
    "attachedTemplate": (Severity.HIGH, "remote template (fetched and its macros run at open)"),
    "oleObject": (Severity.HIGH, "external OLE object (fetched at open: CVE-2017-0199 class)"),
    "frame": (Severity.MEDIUM, "external frame (web page loaded into the document)"),
    "subDocument": (Severity.MEDIUM, "external sub-document"),
    "externalLinkPath": (Severity.LOW, "link to an external workbook"),
    "slideUpdateUrl": (Severity.LOW, "slide update URL"),
}


@dataclass
class _Doc:
    """One document being analysed (the file itself, or its decrypted content)."""

    item: FileItem
    data: bytes
    kind: str
    note: str = ""  # "decrypted with ..." when the content was encrypted
    findings: list[Finding] = field(default_factory=list)

    def add(self, rule: str, message: str, **kw: Any) -> None:
        ev = kw.pop("evidence", {})
        if self.note:
            ev = {**ev, "decrypted": self.note}
            message = f"{message} (after decryption: {self.note})"
        self.findings.append(
            make_finding(rule, message, location=Location(path=self.item.path), evidence=ev, **kw)
        )


for _name in ("olevba", "msodde", "oleobj", "rtfobj", "olefile", "crypto", "ooxml", "xls_parser"):
    logging.getLogger(_name).setLevel(logging.CRITICAL)


_PACKAGE_PART = re.compile(r"(?i)(?:word|xl|ppt|customxml|docprops|_rels)/|\[content_types\]\.xml$")


class OfficeInspector:
    name = "office"

    def applies(self, item: FileItem) -> bool:
        if "!" in item.path and _PACKAGE_PART.match(item.path.rsplit("!", 1)[-1]):
            return False  # a part of an OOXML package: analysed with its package
        if item.true_type in OLE_LIKE:
            return True
        if item.true_type in ("xml", "text"):
            ext = item.name.rsplit(".", 1)[-1].lower() if "." in item.name else ""
            head = item.data[:4096]
            return ext in ("csv", "slk") or (
                item.true_type == "xml" and b"<?mso-application" in head
            )
        return False

    def inspect(self, item: FileItem, ctx: FileContext) -> Iterable[Finding]:
        limit = ctx.options.limits.max_member_bytes
        if len(item.data) > limit:
            return [
                make_finding(
                    "file.not_scanned",
                    f"Office document of {len(item.data)} bytes is above the "
                    f"{limit}-byte bound: macros and objects were not inspected",
                    location=Location(path=item.path),
                    evidence={"limit": "max_member_bytes"},
                )
            ]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            doc = _Doc(item, item.data, item.true_type)
            if doc.kind == "ole" and _is_encrypted(doc.data):
                decrypted = _decrypt(doc, ctx.options.document_passwords)
                if decrypted is None:
                    return doc.findings
                doc = decrypted
            _analyse(doc, ctx.cache)
            return doc.findings


def _analyse(doc: _Doc, cache: dict[str, Any]) -> None:
    _macros(doc, cache)
    _dde(doc)
    if doc.kind in OOXML_TYPES or doc.kind in ("odt", "ods", "odp"):
        _external_relationships(doc)
    if doc.kind == "rtf":
        _rtf(doc)
    elif doc.kind in OLE_LIKE and doc.kind != "slk":
        _embedded(doc)


# -- encryption -----------------------------------------------------------------------------------


def _msoffcrypto() -> Any:
    """msoffcrypto-tool (oletools' dependency; untyped)."""
    return importlib.import_module("msoffcrypto")


def _is_encrypted(data: bytes) -> bool:
    try:
        office = _msoffcrypto().OfficeFile(io.BytesIO(data))
        return bool(office.is_encrypted())
    except Exception:  # not an Office OLE file (MSI, msg...) or damaged
        return False


def _decrypt(doc: _Doc, supplied: tuple[str, ...]) -> _Doc | None:
    """The decrypted document, trying the built-in passwords first and stopping at the first
    that works (each try at an agile document derives its key once: ~0.2-0.5 s)."""
    msoffcrypto = _msoffcrypto()
    for password in dict.fromkeys((*DEFAULT_PASSWORDS, *supplied)):
        try:
            office = msoffcrypto.OfficeFile(io.BytesIO(doc.data))
            office.load_key(password=password)
            out = io.BytesIO()
            office.decrypt(out)
        except Exception:  # noqa: S112 - wrong password, unsupported scheme: try the next
            continue
        plain = out.getvalue()
        kind, _ = identify_lazily(doc.item.name, plain)
        default = password in DEFAULT_PASSWORDS
        if default:
            doc.add(
                "file.office_encrypted",
                f"encrypted with Office's built-in password {password!r}: it opens without a "
                "prompt while its content is hidden from scanners; decrypted and inspected",
                severity=Severity.MEDIUM,
                evidence={"password": "built-in", "content_type": kind},
            )
        else:
            doc.add(
                "file.office_encrypted",
                "encrypted; opened with a supplied password and inspected",
                severity=Severity.INFO,
                evidence={"password": "supplied", "content_type": kind},
            )
        note = "built-in password" if default else "supplied password"
        inner = _Doc(doc.item, plain, kind, note=note)
        inner.findings = doc.findings
        return inner
    doc.add(
        "file.office_encrypted",
        "encrypted with a password we do not have: macros and objects could not be inspected "
        "(a password sent beside a document is a way to get it past scanners)",
        severity=Severity.LOW,
        evidence={"password": "unknown"},
    )
    return None


# -- macros ---------------------------------------------------------------------------------------


def _macros(doc: _Doc, cache: dict[str, Any]) -> None:
    scan = vba_scan(cache, doc.item.name or "document", doc.data)
    if scan.open_error is not None:
        return  # not a format olevba knows, or damaged
    try:
        if scan.type == "Text":
            return  # olevba reads any text as VBA source: a CSV or XML is not a macro
        has_vba = scan.has_vba()
        xlm = scan.has_xlm()
        sheets = _ooxml_macrosheets(doc.data) if doc.kind in OOXML_TYPES else None
        if not (has_vba or xlm or sheets is not None):
            return
        keywords = scan.keywords()
        vba_code = "\n".join(
            code for vba_name, code in scan.modules() if not vba_name.startswith("xlm_macro")
        )[:2_000_000]
        xlm_code = "\n".join(scan.xlm_macros())[:200_000]
        if sheets is not None:
            xlm, xlm_code = True, xlm_code + "\n" + sheets
    except Exception as exc:  # olevba raises many types on hostile files
        doc.add(
            "file.office_macro",
            f"holds macros that could not be analysed ({type(exc).__name__})",
            severity=Severity.MEDIUM,
        )
        return
    triggers = sorted({k for t, k, _ in keywords if t == "AutoExec"})
    xlm_triggers = [k for k in triggers if xlm and k.lower() not in vba_code.lower()]
    triggers = [k for k in triggers if k not in xlm_triggers]  # Auto_Open of a macro sheet
    autoexec = [k for k in triggers if _AT_OPEN.search(k)]
    on_event = [k for k in triggers if k not in autoexec]
    suspicious = sorted({k for t, k, _ in keywords if t == "Suspicious" and k not in _MARKERS})
    iocs = sorted({k for t, k, _ in keywords if t == "IOC"})
    executes = sorted({k for k in suspicious if _EXEC.match(k.strip())})
    downloads = sorted({k for k in suspicious + iocs if _DOWNLOAD.search(k)})
    urls = [i for i in iocs if re.match(r"(?i)https?://|ftp://", i)]
    evidence: dict[str, Any] = {
        "autoexec": autoexec[:_MAX_KEYWORDS],
        "event_handlers": on_event[:_MAX_KEYWORDS],
        "suspicious": [
            {"keyword": k, "description": d} for t, k, d in keywords if t == "Suspicious"
        ][:_MAX_KEYWORDS],
        "iocs": iocs[:_MAX_KEYWORDS],
        "obfuscation": sorted({t for t, _, _ in keywords if "String" in t}),
    }
    if has_vba:
        severity = Severity.LOW
        why = "holds VBA macros"
        if autoexec:
            severity = Severity.MEDIUM
            why += f" that run when the document opens ({', '.join(autoexec[:3])})"
        elif on_event:
            why += f" run by control events ({', '.join(on_event[:3])})"
        if suspicious:
            severity = Severity.HIGH if autoexec else Severity.MEDIUM
            why += f"; suspicious: {', '.join(suspicious[:6])}"
        if autoexec and executes and (downloads or urls):
            severity = Severity.CRITICAL
            why += "; it starts a program and fetches from the network"
        if iocs:
            why += f"; IOCs: {', '.join(iocs[:3])}"
        doc.add(
            "file.office_macro",
            why,
            severity=severity,
            evidence={**evidence, "macro_enabled_type": doc.kind in MACRO_OOXML},
            indicators=iocs[:_MAX_KEYWORDS],
        )
    if xlm:
        calls = sorted({m.group(1).upper() for m in _XLM_EXEC.finditer(xlm_code)})
        auto = bool(re.search(r"(?i)auto_open|auto_close|workbook_open", xlm_code)) or any(
            "auto_open" in k.lower() for k in xlm_triggers
        )
        severity = Severity.MEDIUM
        if calls:
            severity = Severity.HIGH
        if calls and auto and ({"EXEC", "CALL", "REGISTER"} & set(calls) or downloads):
            severity = Severity.CRITICAL if downloads or urls else Severity.HIGH
        doc.add(
            "file.office_xlm_macro",
            "holds Excel 4 (XLM) macros"
            + (" that run when the workbook opens" if auto else "")
            + (f"; they call {', '.join(calls)}" if calls else ""),
            severity=severity,
            evidence={**evidence, "calls": calls, "auto_open": auto},
            indicators=iocs[:_MAX_KEYWORDS],
        )


def _ooxml_macrosheets(data: bytes) -> str | None:
    """Excel 4 macro sheets of an OOXML workbook (``xl/macrosheets/``, olevba looks only in
    BIFF): their formulas, and ``Auto_Open`` if the workbook defines it; ``None`` if none."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = [i for i in zf.infolist()[:5000] if "macrosheets/" in i.filename.lower()]
        if not infos:
            return None
        out = []
        for info in infos[:20]:
            raw = zf.read(info)[: 8 << 20] if info.file_size <= 64 << 20 else b""
            if info.filename.lower().endswith(".xml"):
                out += [_unescape(m.group(1).decode("utf-8", "replace"))
                        for m in _XLM_FORMULA.finditer(raw)][:2000]  # fmt: skip
            else:  # .bin (xlsb): formulas are tokenised; function names are not readable
                out.append(raw.decode("latin-1")[:100_000])
        names = [n for n in zf.namelist() if n.lower() in ("xl/workbook.xml", "xl/workbook.bin")]
        book = zf.read(names[0])[: 4 << 20] if names else b""
        if re.search(rb"(?i)auto_open", book) or re.search(rb"A\x00u\x00t\x00o\x00_\x00O", book):
            out.append("Auto_Open")
        return "\n".join(out)
    except Exception:  # damaged or encrypted package
        return None


# -- DDE ------------------------------------------------------------------------------------------


def _dde(doc: _Doc) -> None:
    if doc.kind in ("slk",) or (doc.kind == "ole" and not _ole_may_have_dde(doc.data)):
        return
    if doc.kind == "rtf" and not _rtf_may_have_dde(doc.data):
        return  # msodde would parse the whole RTF again (seconds) to find no DDE field
    if doc.kind == "text" and not _csv_may_have_dde(doc.data):
        return  # msodde would match every cell of the CSV against a pattern none can meet
    try:
        from oletools import msodde
    except ImportError:  # pragma: no cover
        return
    suffix = {"text": ".csv", "xml": ".xml"}.get(doc.kind, "")
    try:
        with tempfile.TemporaryDirectory(prefix="koban-office-") as tmp:
            path = os.path.join(tmp, "document" + suffix)
            with open(path, "wb") as fh:
                fh.write(doc.data)
            text = str(msodde.process_file(path, msodde.FIELD_FILTER_DDE) or "")
    except Exception:  # msodde fails on many odd files: no DDE seen
        return
    fields = [line.strip() for line in text.splitlines() if line.strip()]
    if not fields:
        return
    shown = [f[:300] for f in fields[:10]]
    runs = any(_DDE_EXEC.search(f) for f in fields)
    doc.add(
        "file.office_dde",
        f"DDE field{'s' if len(fields) > 1 else ''} that "
        + ("start a program" if runs else "pull data from another program")
        + f" when links update: {shown[0][:120]!r}",
        severity=Severity.CRITICAL if runs else Severity.HIGH,
        evidence={"fields": shown, "count": len(fields)},
    )


_FLDINST = re.compile(rb"\\fldinst(?:-?\d+(?=\D)|(?=[^a-zA-Z0-9])|$)")
# What rtfobj's parser (which msodde uses) puts nothing into a field's text for: whitespace,
# braces, and control words (``\\word``, ``\\word-12``; group 1 is the word).
_BLANKS = b" \t\r\n\x0b\x0c\x1c\x1d\x1e\x1f"  # stripped from a field or \s to msodde's pattern
_FIELD_SKIP = re.compile(  # what adds nothing to a field's text: blanks, control words
    rb"[ \t\r\n\x0b\x0c\x1c-\x1f]+|\\([a-zA-Z]{1,250})(?:-?\d+(?=\D)|(?=[^a-zA-Z0-9])|$)"
)


def _rtf_may_have_dde(data: bytes) -> bool:
    """False only when no field instruction of the RTF can be a DDE field.

    msodde keeps the fields whose text (as rtfobj's parser collects it: control words dropped,
    a control symbol's character kept, CR/LF removed) starts with ``DDE``: a field whose first
    text character is anything else, or that closes before any, cannot be one. What this quick
    look does not follow (a nested destination, ``\\bin``, a non-ASCII byte) counts as a
    possible DDE field, so msodde still decides every case that is not plain.
    """
    from oletools.rtfobj import DESTINATION_CONTROL_WORDS

    for m in _FLDINST.finditer(data):
        pos, depth = m.end(), 0
        while pos < len(data):
            skip = _FIELD_SKIP.match(data, pos)
            if skip is not None:
                word = skip.group(1)
                if word is not None and (word in DESTINATION_CONTROL_WORDS or word == b"bin"):
                    return True
                pos = skip.end()
                continue
            char = data[pos]
            if char in b"{}":
                depth += 1 if char == 0x7B else -1
                if depth < 0:
                    break  # the field's group closed before any text
                pos += 1
                continue
            if char == 0x5C:  # a control symbol: the field parser keeps the character after \
                if data[pos + 1 : pos + 2].isalpha() or pos + 1 >= len(data):
                    return True  # a control word too odd for the pattern above
                char = data[pos + 1]
                if char in _BLANKS:
                    pos += 2
                    continue
            if char in b"dD" or char >= 0x80:
                return True
            break  # a first character that is not "D": this field is something else
    return False


def _csv_may_have_dde(data: bytes) -> bool:
    """False only when msodde cannot find a DDE cell in this text (a ``.csv``/``.slk`` name).

    msodde reads a text file as CSV unless it is a zip or an Office XML file (an
    ``<?mso-application progid=...?>`` prolog), and keeps the cells that match
    ``\\s*"?[=+-@](.+)\\|(.+)!(.*)``: every such cell holds a ``|`` and, after it, a ``!``.
    CSV unquoting adds neither character, and in any ASCII-compatible encoding they can only
    come from the bytes ``|`` and ``!``: text without a ``|`` followed somewhere by a ``!``
    has no DDE cell (so ``=cmd|' /c calc'!A0`` is kept, a plain table is not parsed).
    """
    if b"<?mso-application" in data or b"PK\x05\x06" in data:
        return True  # msodde takes another road than CSV: let it decide
    bar = data.find(b"|")
    return bar >= 0 and data.find(b"!", bar) >= 0


def _ole_may_have_dde(data: bytes) -> bool:
    """msodde parses Word's text streams: legacy .doc (WordDocument stream) and .xls."""
    return b"W\x00o\x00r\x00d\x00D\x00o\x00c\x00u\x00m\x00e\x00n\x00t" in data or (
        b"W\x00o\x00r\x00k\x00b\x00o\x00o\x00k" in data
    )


# -- external relationships (OOXML) ---------------------------------------------------------------

_REL = re.compile(rb"<(?:\w+:)?Relationship\b[^>]*>", re.IGNORECASE)
_ATTR = re.compile(rb"""(\w+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")


def _relationships(data: bytes) -> Iterator[tuple[str, str, str]]:
    """``(part, type, target)`` of every external relationship of an OOXML package."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()[:5000]
    except Exception:  # damaged package
        return
    for info in infos:
        if not info.filename.lower().endswith(".rels") or info.file_size > 8 << 20:
            continue
        try:
            xml = zf.read(info)
        except Exception:  # noqa: S112 - encrypted or damaged member: read the others
            continue
        for m in _REL.finditer(xml):
            attrs = {
                a.group(1).decode().lower(): (a.group(2) or a.group(3) or b"").decode(
                    "utf-8", "replace"
                )
                for a in _ATTR.finditer(m.group(0))
            }
            if attrs.get("targetmode", "").lower() == "external":
                kind = attrs.get("type", "").rsplit("/", 1)[-1]
                yield info.filename, kind, _unescape(attrs.get("target", ""))


def _unescape(text: str) -> str:
    return (
        text.replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"')
    )


def _remote(target: str) -> bool:
    t = target.lower().strip()
    return t.startswith(("http:", "https:", "ftp:", "\\\\", "//", "file://", "mhtml:", "ms-"))


def _external_relationships(doc: _Doc) -> None:
    seen: set[tuple[str, str]] = set()
    for part, kind, target in _relationships(doc.data):
        if kind not in _EXTERNAL or (kind, target) in seen or not target:
            continue
        seen.add((kind, target))
        severity, what = _EXTERNAL[kind]
        if not _remote(target) and severity.rank > Severity.LOW.rank:
            severity = Severity.MEDIUM  # a local path: still odd, not a fetch from the internet
        if target.lower().startswith("mhtml:") or "!x-usc:" in target.lower():
            severity, what = Severity.CRITICAL, what + "; mhtml: target (CVE-2021-40444)"
        rule = (
            "file.office_remote_template"
            if kind == "attachedTemplate"
            else ("file.office_external_object")
        )
        doc.add(
            rule,
            f"{what}: {target[:200]}",
            severity=severity,
            evidence={"part": part, "relationship": kind, "target": target[:1000]},
            indicators=[target[:1000]] if _remote(target) else [],
        )


# -- embedded objects -----------------------------------------------------------------------------


def _embedded(doc: _Doc) -> None:
    try:
        from oletools import oleobj
    except ImportError:  # pragma: no cover
        return
    count = 0
    try:
        for ole in oleobj.find_ole(doc.item.name or "document", doc.data):
            if ole is None:
                continue
            storages = [[], *ole.listdir(streams=False, storages=True)[:2000]]
            if any(str(ole.getclsid(p) or "").upper() in EQUATION_CLSIDS for p in storages):
                _equation(doc, "an embedded OLE object")
            for parts in ole.listdir()[:2000]:
                if parts[-1].lower() != "\x01ole10native":
                    continue
                count += 1
                if count > 50:
                    return
                try:
                    raw = ole.openstream(parts).read(64 << 20)
                    pkg = oleobj.OleNativeStream(raw)
                except Exception:  # noqa: S112 - not an OLE 1.0 package: look at the next
                    continue
                if pkg.is_link:
                    _linked(doc, str(pkg.src_path or pkg.filename or ""))
                    continue
                payload = pkg.data if isinstance(pkg.data, bytes) else b""
                _package(doc, str(pkg.filename or ""), str(pkg.src_path or ""), payload)
    except Exception:  # oleobj raises on damaged containers
        return


def _package(doc: _Doc, filename: str, src: str, payload: bytes) -> None:
    """An OLE package (a file wrapped as an object: double-click runs it)."""
    name = filename or src.replace("\\", "/").rsplit("/", 1)[-1] or "(unnamed)"
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    kind, desc = identify(name, payload[: 1 << 20]) if payload else ("unknown", "")
    runs = ext in DANGEROUS_EXT or kind in _PROGRAM_TYPES
    doc.add(
        "file.office_embedded_object",
        f"embeds the file {name!r} ({desc[:60] or kind})"
        + ("; double-clicking the icon runs it" if runs else ""),
        severity=Severity.HIGH if runs else Severity.LOW,
        evidence={
            "filename": name,
            "source_path": src[:300],
            "size": len(payload),
            "true_type": kind,
        },
    )


def _linked(doc: _Doc, target: str) -> None:
    """A package that links to a file instead of embedding it (runs what is at that path)."""
    ext = target.rsplit(".", 1)[-1].lower() if "." in target else ""
    runs = ext in DANGEROUS_EXT
    doc.add(
        "file.office_external_object",
        f"object linked to {target[:200]!r}" + ("; clicking its icon runs it" if runs else ""),
        severity=Severity.MEDIUM if runs or _remote(target) else Severity.LOW,
        evidence={"target": target[:1000], "relationship": "OLE package link"},
        indicators=[target[:1000]] if _remote(target) else [],
    )


def _equation(doc: _Doc, where: str) -> None:
    doc.add(
        "file.office_equation_object",
        f"{where} is an Equation Editor 3.0 object: the component exploited by CVE-2017-11882 "
        "and CVE-2018-0802 (documents today have no reason to carry one)",
        severity=Severity.HIGH,
        evidence={"class": "Equation.3"},
    )


def _odd_run_before(pattern: bytes, data: bytes) -> Iterator[re.Match[bytes]]:
    """Each ``pattern`` preceded by an odd run of backslashes: a control word or symbol, as
    long as nothing before it shifted the parser's pairing of ``\\\\``."""
    for m in re.finditer(rb"(\\+)" + pattern, data):
        if len(m.group(1)) % 2:
            yield m


def _rtf_may_have_objects(data: bytes) -> bool:
    """False only when rtfobj cannot find an embedded object: it builds one per ``\\objdata``
    destination, a control word that must then be in the bytes as such (an even run of
    backslashes before it is escaped text). What could shift the parser off that reading,
    ``\\binN`` (skips N bytes) or ``\\'`` followed by a backslash (skips two bytes), makes
    it answer True."""
    if next(_odd_run_before(rb"bin", data), None) is not None:
        return True
    for m in _odd_run_before(rb"'", data):
        if b"\\" in data[m.end() : m.end() + 2]:
            return True
    return next(_odd_run_before(rb"objdata", data), None) is not None


def _rtf(doc: _Doc) -> None:
    head = doc.data[: 4 << 20]
    m = _RTF_TEMPLATE.search(head)
    if m:
        target = m.group(1).decode("latin-1").strip()
        if _remote(target):
            doc.add(
                "file.office_remote_template",
                f"RTF template fetched at open: {target[:200]}",
                severity=Severity.HIGH,
                evidence={"target": target[:1000]},
                indicators=[target[:1000]],
            )
    if not _rtf_may_have_objects(doc.data):
        return  # rtfobj would parse it all (seconds for a large RTF) to find no object
    try:
        from oletools import rtfobj
    except ImportError:  # pragma: no cover
        return
    try:
        parser = rtfobj.RtfObjParser(doc.data)
        parser.parse()
        objects = parser.objects[:200]
    except Exception:  # damaged RTF
        return
    autoupdate = bool(_RTF_OBJUPDATE.search(head))
    for obj in objects:
        if not obj.is_ole:
            continue
        cls = bytes(obj.class_name or b"").rstrip(b"\x00").decode("latin-1", "replace")
        clsid = str(obj.clsid or "").upper()
        if obj.is_package:
            _package(doc, str(obj.filename or ""), str(obj.src_path or ""),
                     bytes(obj.olepkgdata or b""))  # fmt: skip
        elif cls.lower().startswith("equation.3") or clsid in EQUATION_CLSIDS:
            _equation(doc, "an RTF object")
        elif cls == "OLE2Link" or clsid == OLE2LINK_CLSID:
            doc.add(
                "file.office_external_object",
                "RTF object of class OLE2Link: fetches a remote document at open "
                "(CVE-2017-0199)" + (" and updates itself automatically" if autoupdate else ""),
                severity=Severity.CRITICAL if autoupdate else Severity.HIGH,
                evidence={"class": cls, "clsid": clsid},
            )
        else:
            doc.add(
                "file.office_embedded_object",
                f"embeds an OLE object of class {cls or 'unknown'!r}"
                + (" that updates automatically at open" if autoupdate else ""),
                severity=Severity.MEDIUM if autoupdate else Severity.INFO,
                evidence={"class": cls, "clsid": clsid, "size": obj.oledata_size},
            )


INSPECTOR = OfficeInspector()
