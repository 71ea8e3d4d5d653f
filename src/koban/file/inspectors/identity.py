"""What the name claims against what the content is: the first trick of every lure.

A user decides by the name (and the icon Windows derives from the extension): ``invoice.pdf``
should be a document. Findings here compare that claim with the true type of
:mod:`koban.file.identify`:

- a program, shortcut or script behind a document or image extension (high);
- double extensions (``invoice.pdf.exe``, ``report.docx.lnk``), with or without blanks padding
  the real extension out of sight (high);
- bidirectional-text controls in the name (right-to-left override makes ``invoice‮fdp.exe``
  display as ``invoiceexe.pdf``: high) and invisible characters (low);
- types that run code or bypass Mark-of-the-Web when opened directly (LNK, HTA, Windows script
  host files, CHM, OneNote, ISO/IMG/VHD, web queries): a fact, medium or low, raised a level
  when the name is a lure (invoice, job offer, 請求書...) or the file came out of a disk image.

Ordinary programs (``.exe``, ``.msi``, ``.dmg``, ``.pkg``) are what people download: they are
not flagged for being programs; the binary and provenance inspectors judge them. A benign
mismatch (JSON saved as ``.txt``, a ``.doc`` that is really HTML) says nothing.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from koban.file.identify import EXECUTABLE_TYPES, MACRO_OOXML
from koban.file.item import FileItem
from koban.mail.attachments import DANGEROUS_EXT, DOC_EXT, OFFICE_EXT
from koban.model import Finding, Location, Severity
from koban.rules import make_finding

if TYPE_CHECKING:
    from koban.file.context import FileContext

ORDER = 10

BIDI = {
    "\u202a": "LEFT-TO-RIGHT EMBEDDING",
    "\u202b": "RIGHT-TO-LEFT EMBEDDING",
    "\u202c": "POP DIRECTIONAL FORMATTING",
    "\u202d": "LEFT-TO-RIGHT OVERRIDE",
    "\u202e": "RIGHT-TO-LEFT OVERRIDE",
    "\u2066": "LEFT-TO-RIGHT ISOLATE",
    "\u2067": "RIGHT-TO-LEFT ISOLATE",
    "\u2068": "FIRST STRONG ISOLATE",
    "\u2069": "POP DIRECTIONAL ISOLATE",
}
MARKS = {
    "\u200e": "LEFT-TO-RIGHT MARK",
    "\u200f": "RIGHT-TO-LEFT MARK",
    "\u061c": "ARABIC LETTER MARK",
}
INVISIBLE = {
    "\u200b": "ZERO WIDTH SPACE",
    "\u200c": "ZERO WIDTH NON-JOINER",
    "\u200d": "ZERO WIDTH JOINER",
    "\u2060": "WORD JOINER",
    "\ufeff": "ZERO WIDTH NO-BREAK SPACE",
    "\u180e": "MONGOLIAN VOWEL SEPARATOR",
    "\u3164": "HANGUL FILLER",
    "\u115f": "HANGUL CHOSEONG FILLER",
    "\u1160": "HANGUL JUNGSEONG FILLER",
    "\u00ad": "SOFT HYPHEN",
}
# Content that runs code (or hands it to a script host) when the user opens it.
PROGRAM_TYPES = {**EXECUTABLE_TYPES, "java-class": "Java class", "onenote": "OneNote document"}
PROGRAM_TYPES.pop("dmg")  # a disk image behind a document name is odd, not a program
_IMAGE_TYPES = {"iso", "udf", "vhd", "vhdx", "dmg"}
_WINDOWS_SCRIPTS = {"PowerShell", "batch", "VBScript", "JScript", "Windows Script File"}
_ARCHIVES = {"zip", "rar", "7z", "gzip", "bzip2", "xz", "tar", "cab"}

# Types that are dangerous to open directly: (what, severity as a fact).
_DIRECT = {
    "lnk": ("Windows shortcut", Severity.LOW),  # the LNK inspector judges what it runs
    "hta": ("HTML application (runs with full user rights in mshta)", Severity.MEDIUM),
    "chm": ("compiled HTML help (can run scripts and programs)", Severity.MEDIUM),
    "onenote": ("OneNote document (embedded files run with one click)", Severity.MEDIUM),
    "iso": ("ISO disk image (contents escape Mark-of-the-Web)", Severity.LOW),
    "udf": ("UDF disk image (contents escape Mark-of-the-Web)", Severity.LOW),
    "vhd": ("virtual disk (contents escape Mark-of-the-Web)", Severity.MEDIUM),
    "vhdx": ("virtual disk (contents escape Mark-of-the-Web)", Severity.MEDIUM),
    "url-shortcut": ("internet shortcut", Severity.LOW),
    "iqy": ("Excel web query (fetches content into Excel)", Severity.LOW),
    "slk": ("SYLK spreadsheet (can carry Excel 4 macros)", Severity.LOW),
}
_DIRECT_EXT = {  # formats without a signature of ours: the extension decides how they open
    "img": "iso", "vhd": "vhd", "vhdx": "vhdx", "hta": "hta",
}  # fmt: skip
_SCRIPT_SEVERITY = {
    "VBScript": Severity.MEDIUM,
    "JScript": Severity.MEDIUM,
    "Windows Script File": Severity.MEDIUM,
    "PowerShell": Severity.LOW,
    "batch": Severity.LOW,
}
_SCRIPT_EXT = {
    "vbs": "VBScript", "vbe": "VBScript", "js": "JavaScript", "jse": "JScript",
    "wsf": "Windows Script File", "wsh": "Windows Script File", "ps1": "PowerShell",
    "psm1": "PowerShell", "bat": "batch", "cmd": "batch",
}  # fmt: skip
LURE_WORDS = re.compile(
    r"(?i)invoice|payment|receipt|remittance|contract|agreement|salary|bonus|payroll|"
    r"job|offer|position|recruit|hiring|interview|resume|\bcv\b|assessment|skills?.?test|"
    r"coding.?test|task|challenge|wallet|seed|airdrop|whitepaper|tokenomics|investment|"
    r"proposal|statement|confidential|urgent|scan|document|請求|契約|見積|給与|賞与|採用|面接|"
    r"履歴書|職務経歴|求人|報酬|送金|入金|至急|機密"
)
_PADDING = re.compile(r"[ \u00a0\u2000-\u200a\u3000_]{3,}$")


def extension(name: str) -> str:
    """The extension Windows acts on: the text after the last dot, with trailing dots and
    blanks dropped (Windows drops them) and bidi/invisible characters removed."""
    clean = _strip_controls(name).rstrip(" .")
    return clean.rsplit(".", 1)[-1].lower().strip() if "." in clean else ""


def _strip_controls(name: str) -> str:
    return "".join(c for c in name if c not in BIDI and c not in MARKS and c not in INVISIBLE)


def displayed(name: str) -> str:
    """Roughly how a right-to-left override shows ``name``: what follows the override is
    reversed (enough to show the user the lie, not a full UAX #9 rendering)."""
    out, rtl = [], False
    seg: list[str] = []
    for c in name:
        if c in ("\u202e", "\u202b", "\u2067"):
            out.append("".join(reversed(seg)) if rtl else "".join(seg))
            seg, rtl = [], True
        elif c in ("\u202c", "\u2069", "\u202d", "\u202a", "\u2066"):
            out.append("".join(reversed(seg)) if rtl else "".join(seg))
            seg, rtl = [], False
        elif c not in MARKS and c not in INVISIBLE:
            seg.append(c)
    out.append("".join(reversed(seg)) if rtl else "".join(seg))
    return "".join(out)


def _script_language(item: FileItem) -> str | None:
    if item.true_type != "script":
        return None
    lang = item.description.removesuffix(" script")
    return lang if lang in _WINDOWS_SCRIPTS or lang in _SCRIPT_SEVERITY else lang or None


def _is_program(item: FileItem) -> str | None:
    """What runs when this content is opened, if anything (Windows script hosts included)."""
    if item.true_type in PROGRAM_TYPES:
        return PROGRAM_TYPES[item.true_type]
    lang = _script_language(item)
    if lang in _WINDOWS_SCRIPTS:
        return f"{lang} script"
    return None


def _evidence(item: FileItem, **extra: Any) -> dict[str, Any]:
    return {"name": item.name, "true_type": item.true_type, "description": item.description,
            **extra}  # fmt: skip


def _bump(severity: Severity) -> Severity:
    order = list(Severity)
    return order[min(order.index(severity) + 1, len(order) - 1)]


class IdentityInspector:
    name = "identity"

    def applies(self, item: FileItem) -> bool:
        return bool(item.name)

    def inspect(self, item: FileItem, ctx: FileContext) -> Iterable[Finding]:
        loc = Location(path=item.path)
        findings: list[Finding] = []
        name, ext = item.name, extension(item.name)
        program = _is_program(item)
        lure = bool(LURE_WORDS.search(_strip_controls(name).rsplit(".", 1)[0]))

        bidi = sorted({BIDI[c] for c in name if c in BIDI})
        if bidi:
            shown = displayed(name)
            findings.append(
                make_finding(
                    "file.bidi_name",
                    f"file name contains {', '.join(bidi)}: it displays as {shown!r} but is "
                    f"really .{ext or '(no extension)'}",
                    location=loc,
                    evidence=_evidence(item, displayed=shown, characters=bidi),
                )
            )
        hidden = sorted(
            {INVISIBLE.get(c) or MARKS[c] for c in name if c in INVISIBLE or c in MARKS}
        )
        if hidden:
            findings.append(
                make_finding(
                    "file.invisible_name_characters",
                    f"file name contains invisible characters ({', '.join(hidden)})",
                    severity=Severity.MEDIUM if program else Severity.LOW,
                    location=loc,
                    evidence=_evidence(item, characters=hidden),
                )
            )

        double = self._double_extension(item, ext, program)
        if double is not None:
            findings.append(double)
        mismatch = self._mismatch(item, ext, program)
        if mismatch is not None and double is None:
            findings.append(mismatch)
        direct = self._direct(item, ext, lure or double is not None or bool(bidi))
        if direct is not None:
            findings.append(direct)
        return findings

    def _double_extension(self, item: FileItem, ext: str, program: str | None) -> Finding | None:
        clean = _strip_controls(item.name)
        stem = clean.rstrip(" .").rsplit(".", 1)[0] if "." in clean else ""
        padded = bool(_PADDING.search(stem))
        parts = [p.strip().lower() for p in stem.split(".")]
        if len(parts) < 2 or parts[-1] not in DOC_EXT or parts[-1] in DANGEROUS_EXT:
            return None
        if ext not in DANGEROUS_EXT and program is None:
            return None
        if ext in ("zip", "rar", "7z"):
            return None
        what = DANGEROUS_EXT.get(ext) or program or ext
        pad = "; blanks push the real extension out of view" if padded else ""
        return make_finding(
            "file.double_extension",
            f"{clean.strip()!r} poses as a .{parts[-1]} file but is a {what} (.{ext}){pad}",
            location=Location(path=item.path),
            evidence=_evidence(item, claimed=parts[-1], extension=ext, padded=padded),
        )

    def _mismatch(self, item: FileItem, ext: str, program: str | None) -> Finding | None:
        if not ext or ext not in DOC_EXT or ext in DANGEROUS_EXT:
            return None
        true = item.true_type
        loc = Location(path=item.path)

        def ev() -> dict[str, Any]:  # built for a finding only: it reads the description
            return _evidence(item, extension=ext)

        if program is not None:
            return make_finding(
                "file.type_mismatch",
                f"named .{ext} but its content is a {program}",
                location=loc,
                evidence=ev(),
            )
        if true in _IMAGE_TYPES and ext not in ("img", "iso"):
            return make_finding(
                "file.type_mismatch",
                f"named .{ext} but its content is a disk image ({item.description[:60]})",
                severity=Severity.MEDIUM,
                location=loc,
                evidence=ev(),
            )
        if true in MACRO_OOXML and ext in OFFICE_EXT and ext not in MACRO_OOXML | {"xlsb"}:
            return make_finding(
                "file.type_mismatch",
                f"named .{ext} but it is a macro-enabled {true} document",
                severity=Severity.MEDIUM,
                location=loc,
                evidence=ev(),
            )
        if true == "rtf" and ext in ("doc", "docx", "dot", "docm"):
            return make_finding(
                "file.type_mismatch",
                f"named .{ext} but it is an RTF document (Word opens it by content; RTF is how "
                "equation-editor and OLE-link exploits travel)",
                severity=Severity.LOW,
                location=loc,
                evidence=ev(),
            )
        if true in _ARCHIVES and ext in DOC_EXT - OFFICE_EXT - {"zip", "rar", "7z", "odt", "ods"}:
            return make_finding(
                "file.type_mismatch",
                f"named .{ext} but its content is a {true} archive",
                severity=Severity.LOW,
                location=loc,
                evidence=ev(),
            )
        return None

    def _direct(self, item: FileItem, ext: str, lure: bool) -> Finding | None:
        kind = item.true_type if item.true_type in _DIRECT else _DIRECT_EXT.get(ext)
        lang = _script_language(item)
        if item.true_type in ("text", "script") and ext in _SCRIPT_EXT:
            if lang not in _SCRIPT_SEVERITY:  # .js of any JavaScript still runs in WSH
                lang = _SCRIPT_EXT[ext]
                severity = Severity.LOW
            else:
                severity = _SCRIPT_SEVERITY[lang]
        if kind in _DIRECT:
            what, severity = _DIRECT[kind]
        elif lang and item.true_type in ("text", "script") and ext in _SCRIPT_EXT:
            # a script runs by double-click only under its extension (VBScript in .txt does not)
            what = f"{lang} script (double-click runs it in a Windows script host)"
        else:
            return None
        from_image = item.container in _IMAGE_TYPES or (
            "!" in item.path
            and any(
                seg.lower().rstrip().endswith((".iso", ".img", ".vhd", ".vhdx"))
                for seg in item.path.split("!")[:-1]
            )
        )
        reasons = []
        if lure:
            reasons.append("the name is a lure")
        if from_image:
            reasons.append("it was delivered inside a disk image")
        if reasons:
            severity = _bump(severity)
        why = f" ({'; '.join(reasons)})" if reasons else ""
        return make_finding(
            "file.dangerous_type",
            f"{unicodedata.normalize('NFC', _strip_controls(item.name))!r}: {what}{why}",
            severity=severity,
            location=Location(path=item.path),
            evidence=_evidence(item, kind=kind or lang, lure=lure, from_disk_image=from_image),
        )


INSPECTOR = IdentityInspector()
