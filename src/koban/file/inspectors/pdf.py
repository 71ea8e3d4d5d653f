"""PDF documents: what runs, opens or leaves when the reader opens the file.

PDF lures carry JavaScript run at open (``/OpenAction``, ``/AA``), ``/Launch`` actions that
start a program, embedded files (an executable that JavaScript exports and launches), links to
phishing pages (judged by the URL analyser, so a PDF with ordinary links stays clean), forms
that post credentials (``/SubmitForm``), XFA forms, and hide all this with ``#xx`` escapes in
names (``/J#61vaScript``) or encryption.

Two passes, both bounded: a raw-bytes scan of names (decoding ``#xx`` escapes: works on
damaged files and catches obfuscation, but cannot see inside compressed object streams) and a
structural pass with ``pypdf`` over every object (non-strict; object count and time bounded)
that reads actions, JavaScript, file specifications and their embedded streams. A malformed PDF
gives what could be read plus an info finding, never an exception.
"""

from __future__ import annotations

import io
import logging
import re
import time
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from koban.errors import InputError
from koban.file.identify import identify
from koban.file.item import FileItem
from koban.mail.attachments import DANGEROUS_EXT
from koban.model import Finding, Location, Severity
from koban.rules import make_finding

if TYPE_CHECKING:
    from koban.file.context import FileContext

ORDER = 30

_MAX_OBJECTS = 20_000
_MAX_SECONDS = 15.0
_MAX_STREAM = 16 << 20
_MAX_URLS = 50
_RAW_WINDOW = 64 << 20
_NAME = re.compile(rb"/([A-Za-z0-9#_.+\-]{1,64})")
_HEX = re.compile(rb"#([0-9A-Fa-f]{2})")
INTERESTING = {
    "JS", "JavaScript", "OpenAction", "AA", "Launch", "EmbeddedFile", "EmbeddedFiles",
    "Filespec", "URI", "SubmitForm", "XFA", "Encrypt", "RichMedia", "GoToR", "GoToE",
    "ImportData", "ObjStm", "AcroForm",
}  # fmt: skip
_PROGRAM_TYPES = {"pe", "elf", "macho", "lnk", "hta", "chm", "script", "java-class", "onenote"}
# JavaScript that exploits readers or drops files (old but still sent).
_JS_BAD = re.compile(
    r"(?i)exportDataObject|launchURL|util\.printf|Collab\.(?:getIcon|collectEmailInfo)|"
    r"media\.newPlayer|getAnnots|spell\.customDictionaryOpen|unescape\s*\(\s*['\"]%u|"
    r"String\.fromCharCode|eval\s*\(|submitForm|app\.openDoc|importDataObject|"
    r"getURL|app\.launch"
)
_SHELL = re.compile(r"(?i)cmd(?:\.exe)?|powershell|mshta|wscript|cscript|rundll32|\.exe\b|\.bat\b")

logging.getLogger("pypdf").setLevel(logging.CRITICAL)


@dataclass
class _Seen:
    """What one PDF holds, gathered by both passes."""

    js: list[str] = field(default_factory=list)
    auto: list[str] = field(default_factory=list)  # what runs at open: "OpenAction: JavaScript"
    launches: list[str] = field(default_factory=list)
    files: dict[str, bytes | None] = field(default_factory=dict)
    urls: list[str] = field(default_factory=list)
    submits: list[str] = field(default_factory=list)
    remote: list[str] = field(default_factory=list)  # GoToR/GoToE/ImportData targets
    xfa: bool = False
    richmedia: bool = False
    obfuscated: dict[str, str] = field(default_factory=dict)  # escaped form -> name
    raw_names: set[str] = field(default_factory=set)
    encrypted: str = ""  # "", "opened", "locked"
    malformed: str = ""
    truncated: str = ""


def _raw_scan(data: bytes, seen: _Seen) -> None:
    for m in _NAME.finditer(data[:_RAW_WINDOW]):
        token = m.group(1)
        name = token
        if b"#" in token:
            name = _HEX.sub(lambda h: bytes([int(h.group(1), 16)]), token)
        text = name.decode("latin-1")
        if text in INTERESTING:
            seen.raw_names.add(text)
            if name != token and len(seen.obfuscated) < 20:
                seen.obfuscated[token.decode("latin-1")] = text


def _text(value: Any, limit: int = 100_000) -> str:
    """A PDF string, name or stream as text (bounded)."""
    try:
        from pypdf.generic import StreamObject

        if isinstance(value, StreamObject):
            return bytes(value.get_data()[:limit]).decode("latin-1", "replace")
        if isinstance(value, bytes):
            return value[:limit].decode("latin-1", "replace")
        return str(value)[:limit]
    except Exception:  # undecodable stream filter
        return ""


def _resolve(value: Any) -> Any:
    try:
        return value.get_object() if hasattr(value, "get_object") else value
    except Exception:  # dangling reference
        return None


def _action_kind(action: Any) -> str:
    action = _resolve(action)
    if not hasattr(action, "get"):
        return "destination"  # an array: go to a page
    return str(action.get("/S", "")).lstrip("/") or "unknown"


def _filespec_target(spec: Any) -> str:
    spec = _resolve(spec)
    if hasattr(spec, "get"):
        for key in ("/UF", "/F", "/DOS", "/Unix", "/Mac"):
            if key in spec:
                return _text(_resolve(spec[key]), 2000)
        return ""
    return _text(spec, 2000)


def _visit(obj: Any, seen: _Seen) -> None:
    if not hasattr(obj, "get") or not hasattr(obj, "keys"):
        return
    kind = str(obj.get("/S", "")).lstrip("/")
    if "/JS" in obj:
        seen.js.append(_text(_resolve(obj["/JS"]))[:20_000])
    if kind == "Launch":
        target = _filespec_target(obj.get("/F"))
        win = _resolve(obj.get("/Win"))
        if hasattr(win, "get"):
            target = _text(_resolve(win.get("/F")), 2000) or target
            params = _text(_resolve(win.get("/P", "")), 2000)
            target = f"{target} {params}".strip()
        seen.launches.append(target or "(unspecified program)")
    elif kind == "URI" and "/URI" in obj:
        url = _text(_resolve(obj["/URI"]), 4000).strip()
        if url and url not in seen.urls and len(seen.urls) < 500:
            seen.urls.append(url)
    elif kind == "SubmitForm":
        seen.submits.append(_filespec_target(obj.get("/F")) or "(no target)")
    elif kind in ("GoToR", "GoToE", "ImportData"):
        target = _filespec_target(obj.get("/F"))
        if target:
            seen.remote.append(f"{kind}: {target}")
    if "/EF" in obj:
        name = _filespec_target(obj) or "(unnamed)"
        ef = _resolve(obj.get("/EF"))
        stream = _resolve(ef.get("/F") or ef.get("/UF")) if hasattr(ef, "get") else None
        content: bytes | None = None
        try:
            if stream is not None:
                content = bytes(stream.get_data()[:_MAX_STREAM])
        except Exception:  # unsupported filter or damaged stream
            content = None
        if len(seen.files) < 200:
            seen.files.setdefault(name, content)
    if "/XFA" in obj:
        seen.xfa = True
    if str(obj.get("/Subtype", "")) == "/RichMedia":
        seen.richmedia = True
    aa = _resolve(obj.get("/AA"))
    if hasattr(aa, "items"):
        for trigger, action in list(aa.items())[:20]:
            seen.auto.append(f"additional action {trigger}: {_action_kind(action)}")


def _walk(obj: Any, seen: _Seen, depth: int) -> None:
    """Visit ``obj`` and the dictionaries written inside it (an annotation's ``/A`` action is
    usually inline, not an object of its own); indirect references are visited as objects."""
    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

    if isinstance(obj, DictionaryObject):
        _visit(obj, seen)
        children: Iterable[Any] = obj.values()
    elif isinstance(obj, ArrayObject):
        children = obj[:1000]
    else:
        return
    if depth >= 8:
        return
    for child in children:
        if not isinstance(child, IndirectObject) and isinstance(
            child, (DictionaryObject, ArrayObject)
        ):
            _walk(child, seen, depth + 1)


def _structure(data: bytes, seen: _Seen, passwords: tuple[str, ...]) -> None:
    from pypdf import PdfReader
    from pypdf.generic import IndirectObject

    reader = PdfReader(io.BytesIO(data), strict=False)
    if reader.is_encrypted:
        for password in ("", *passwords):
            try:
                if reader.decrypt(password):
                    seen.encrypted = "opened"
                    break
            except Exception:  # noqa: S112 - unsupported algorithm or wrong password: next
                continue
        else:
            seen.encrypted = "locked"
            return
    root = _resolve(reader.trailer.get("/Root"))
    if hasattr(root, "get"):
        if "/OpenAction" in root:
            seen.auto.append(f"OpenAction: {_action_kind(root['/OpenAction'])}")
        acro = _resolve(root.get("/AcroForm"))
        if hasattr(acro, "get") and "/XFA" in acro:
            seen.xfa = True
    ids: list[tuple[int, int]] = []
    for gen, table in reader.xref.items():
        ids += [(num, gen) for num in table]
    ids += [(num, 0) for num in reader.xref_objStm]
    deadline = time.monotonic() + _MAX_SECONDS
    for count, (num, gen) in enumerate(sorted(set(ids))):
        if count >= _MAX_OBJECTS or time.monotonic() > deadline:
            seen.truncated = f"stopped after {count} objects (bound)"
            break
        try:
            obj = reader.get_object(IndirectObject(num, gen, reader))
        except Exception:  # noqa: S112 - a broken object: read the others
            continue
        if obj is not None:
            _walk(obj, seen, 0)


class PdfInspector:
    name = "pdf"

    def applies(self, item: FileItem) -> bool:
        return item.true_type == "pdf"

    def inspect(self, item: FileItem, ctx: FileContext) -> Iterable[Finding]:
        seen = _Seen()
        _raw_scan(item.data, seen)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                _structure(item.data, seen, ctx.options.passwords)
            except Exception as exc:  # pypdf raises many types on damaged files
                seen.malformed = f"{type(exc).__name__}: {str(exc)[:150]}"
        return _findings(item, seen, ctx)


def _findings(item: FileItem, seen: _Seen, ctx: FileContext) -> list[Finding]:
    loc = Location(path=item.path)
    out: list[Finding] = []

    def add(rule: str, message: str, **kw: Any) -> None:
        out.append(make_finding(rule, message, location=loc, **kw))

    structural = not seen.malformed and seen.encrypted != "locked"
    js_names = {"JS", "JavaScript"} & seen.raw_names
    auto = sorted(set(seen.auto))
    auto_js = [a for a in auto if a.endswith(("JavaScript", "unknown"))]
    if seen.js or (js_names and not structural):
        code = "\n".join(seen.js)
        bad = sorted({m.group(0) for m in _JS_BAD.finditer(code)})[:10]
        severity = Severity.MEDIUM
        why = "holds JavaScript"
        raw_auto = not structural and bool({"OpenAction", "AA"} & seen.raw_names)
        if auto_js or raw_auto:
            severity = Severity.HIGH
            why += f" that runs when the document opens ({'; '.join(auto_js[:3]) or 'raw scan'})"
        if bad:
            why += f"; uses {', '.join(bad[:5])}"
            if severity == Severity.HIGH:
                severity = Severity.CRITICAL
        add(
            "file.pdf_javascript",
            why,
            severity=severity,
            evidence={"snippets": [s[:300] for s in seen.js[:5]], "calls": bad, "auto": auto},
        )
    for target in seen.launches[:5]:
        runs_shell = bool(_SHELL.search(target))
        add(
            "file.pdf_launch",
            f"Launch action starts {target[:200]!r}"
            + (" when the document opens" if any("Launch" in a for a in auto) else ""),
            severity=Severity.CRITICAL if runs_shell else Severity.HIGH,
            evidence={"target": target[:1000], "auto": auto},
        )
    for name, content in list(seen.files.items())[:50]:
        ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
        kind, desc = identify(name, content[: 1 << 20]) if content else ("unknown", "")
        runs = ext in DANGEROUS_EXT or kind in _PROGRAM_TYPES
        add(
            "file.pdf_embedded_file",
            f"embeds the file {name[:120]!r}"
            + (f" ({desc[:60]})" if desc else "")
            + ("; a program or script inside a PDF has one purpose: to be run" if runs else ""),
            severity=Severity.HIGH if runs else Severity.LOW,
            evidence={"filename": name[:300], "true_type": kind, "size": len(content or b"")},
        )
    if not seen.files and "EmbeddedFile" in seen.raw_names and not structural:
        add("file.pdf_embedded_file", "holds an embedded file (raw scan; structure unreadable)")
    for target in seen.submits[:5]:
        remote = target.lower().startswith(("http:", "https:", "ftp:", "mailto:"))
        add(
            "file.pdf_submit_form",
            f"form submits its fields to {target[:200]!r}",
            severity=Severity.MEDIUM if remote else Severity.LOW,
            evidence={"target": target[:1000]},
            indicators=[target[:1000]] if remote else [],
        )
    for target in seen.remote[:5]:
        add(
            "file.pdf_remote_action",
            f"action opens another document or imports data: {target[:200]}",
            evidence={"target": target[:1000]},
        )
    auto_other = [a for a in auto if a.endswith(("URI", "SubmitForm", "GoToR", "ImportData"))]
    if auto_other:
        add(
            "file.pdf_remote_action",
            f"acts on the network when opened: {'; '.join(auto_other[:3])}",
            evidence={"auto": auto},
        )
    if seen.xfa:
        add("file.pdf_xfa", "uses an XFA form (XFA carries its own scripts and data connections)")
    if seen.richmedia:
        add("file.pdf_xfa", "holds RichMedia (Flash/3D) content", severity=Severity.LOW)
    if seen.obfuscated:
        shown = ", ".join(f"/{k} = /{v}" for k, v in list(seen.obfuscated.items())[:5])
        add(
            "file.pdf_obfuscated_names",
            f"writes PDF names with hex escapes to hide them from scanners: {shown}",
            evidence={"names": seen.obfuscated},
        )
    if seen.encrypted == "locked":
        add(
            "file.pdf_encrypted",
            "encrypted with a password we do not have: its actions and attachments could not "
            "be inspected",
        )
    if seen.malformed:
        add(
            "file.pdf_malformed",
            f"the PDF structure could not be read ({seen.malformed}); only a raw scan was done",
            evidence={"error": seen.malformed},
        )
    if seen.truncated:
        add("file.not_scanned", f"PDF objects: {seen.truncated}", evidence={"limit": True})
    out += _links(item, seen.urls, ctx)
    return out


def _links(item: FileItem, urls: list[str], ctx: FileContext) -> list[Finding]:
    """Links judged by the URL analyser: only look-alikes, IP hosts and intel hits show up, so
    a PDF with ordinary links stays clean."""
    from koban.url import check_url

    cache: dict[str, list[Finding]] = ctx.cache.setdefault("pdf-urls", {})
    out: list[Finding] = []
    loc = Location(path=item.path)
    for url in urls[:_MAX_URLS]:
        if not re.match(r"(?i)(?:https?|ftp)://", url):
            continue
        if url not in cache:
            try:
                cache[url] = check_url(url, ctx.url_context)
            except InputError:
                cache[url] = []
            except Exception:  # a URL the analyser cannot parse is not a finding here
                cache[url] = []
        for f in cache[url]:
            said = f"link {url[:200]}: {f.message}"
            if f.rule.startswith("intel."):
                out.append(f.model_copy(update={"message": said, "location": loc}))
                continue
            out.append(
                make_finding(
                    "file.pdf_link",
                    said,
                    severity=f.severity,
                    location=loc,
                    evidence={"url": url[:2000], "url_rule": f.rule, **f.evidence},
                    indicators=[url[:2000]],
                )
            )
    return out


INSPECTOR = PdfInspector()
