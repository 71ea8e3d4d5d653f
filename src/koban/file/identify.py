"""True type by content: what a file *is*, whatever its name says.

Attackers rename: an executable called ``invoice.pdf``, a macro workbook saved as ``.xls``, a
shortcut inside an ISO. Every inspector dispatches on the type found here, so it runs on every
file and archive member and stays cheap: own signatures read the first bytes and the end (a
DMG trailer, a zip's central directory); only a few formats need a bounded look inside (an OOXML
package's ``[Content_Types].xml``, the first headers of a gzip'd tar). ``python-magic``
(libmagic) then gives a description, and a type when no signature of ours matched; without
libmagic the description is our own label.
The walk takes the description lazily (:func:`identify_lazily`): libmagic, milliseconds on
a text member, runs only when a finding quotes the description or a script is judged by
it, and at once only when no signature of ours names the type.

Type names (``FileItem.true_type``): executables ``pe``, ``elf``, ``macho`` (thin or universal),
``java-class``; shortcuts and launchers ``lnk``, ``url-shortcut``, ``hta``, ``chm``; disk images
``iso``, ``udf``, ``dmg``, ``vhd``, ``vhdx``; Office ``ole`` (doc/xls/ppt/msi...), ``rtf``,
``onenote``, ``slk``, ``iqy``, OOXML
kinds (``docx``, ``docm``, ``dotx``, ``dotm``, ``xlsx``, ``xlsm``, ``xlsb``, ``xltx``, ``xltm``,
``xlam``, ``pptx``, ``pptm``, ``ppsx``, ``ppsm``, ``potx``, ``potm``, ``ppam``, ``ooxml``), ODF
(``odt``, ``ods``, ``odp``, ``odf``), ``xps``, ``pdf``; archives ``zip``, ``jar``, ``apk``,
``tar``, ``gzip``, ``bzip2``, ``xz``, ``7z``, ``rar``, ``cab``, ``xar``, ``cpio``; packages
``asar``, ``npm``, ``wheel``, ``sdist``, ``deb``; scripts ``script`` (description names the
language: PowerShell, batch, VBScript, JScript/JavaScript, shell, Python, AppleScript...);
images ``png``, ``jpeg``, ``gif``, ``bmp``, ``webp``, ``tiff``, ``ico``; text-like ``html``,
``xml``, ``json``, ``ics``, ``eml``, ``text``; ``empty`` and ``unknown``.
"""

from __future__ import annotations

import functools
import io
import json
import re
import struct
import threading
import zipfile
import zlib
from collections.abc import Callable
from functools import cache
from typing import Any

__all__ = [
    "EXECUTABLE_TYPES",
    "MACRO_OOXML",
    "OOXML_TYPES",
    "describe",
    "identify",
    "identify_lazily",
    "script_language",
    "sniff",
]

_LNK_HEADER = b"L\x00\x00\x00\x01\x14\x02\x00\x00\x00\x00\x00\xc0\x00\x00\x00\x00\x00\x00F"
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_HEAD = 4096  # bytes read for text heuristics
_TAR_WINDOW = 1 << 20  # decompressed bytes of a .tar.gz read to name its members

# Labels for our own types (the description when libmagic is absent).
LABELS = {
    "pe": "Windows program (PE)",
    "elf": "Linux program (ELF)",
    "macho": "macOS program (Mach-O)",
    "java-class": "Java class file",
    "lnk": "Windows shortcut (LNK)",
    "url-shortcut": "Internet shortcut (.url)",
    "iso": "ISO 9660 disk image",
    "udf": "UDF disk image",
    "vhd": "virtual hard disk (VHD)",
    "vhdx": "virtual hard disk (VHDX)",
    "dmg": "macOS disk image (UDIF)",
    "chm": "compiled HTML help",
    "hta": "HTML application",
    "ole": "OLE compound file (legacy Office, MSI...)",
    "rtf": "Rich Text Format document",
    "pdf": "PDF document",
    "asar": "Electron app archive (asar)",
    "npm": "npm package tarball",
    "wheel": "Python wheel",
    "sdist": "Python source distribution",
    "deb": "Debian package",
    "xps": "XPS document",
    "onenote": "OneNote document",
    "slk": "SYLK spreadsheet (can hold Excel 4 macros)",
    "iqy": "Excel web query",
}
EXECUTABLE_TYPES = {
    t: LABELS[t]
    for t in ("pe", "elf", "macho", "lnk", "iso", "udf", "vhd", "vhdx", "dmg", "chm", "hta")
}  # the mail analyser's set: content that runs code or mounts content when opened

# OOXML main-part content types (the part that makes a package a document of one kind).
_OOXML_MAIN = {
    "wordprocessingml.document.main+xml": "docx",
    "wordprocessingml.template.main+xml": "dotx",
    "ms-word.document.macroenabled.main+xml": "docm",
    "ms-word.template.macroenabledtemplate.main+xml": "dotm",
    "spreadsheetml.sheet.main+xml": "xlsx",
    "spreadsheetml.template.main+xml": "xltx",
    "ms-excel.sheet.macroenabled.main+xml": "xlsm",
    "ms-excel.sheet.binary.macroenabled.main": "xlsb",
    "ms-excel.template.macroenabled.main+xml": "xltm",
    "ms-excel.addin.macroenabled.main+xml": "xlam",
    "presentationml.presentation.main+xml": "pptx",
    "presentationml.slideshow.main+xml": "ppsx",
    "presentationml.template.main+xml": "potx",
    "ms-powerpoint.presentation.macroenabled.main+xml": "pptm",
    "ms-powerpoint.slideshow.macroenabled.main+xml": "ppsm",
    "ms-powerpoint.template.macroenabled.main+xml": "potm",
    "ms-powerpoint.addin.macroenabled.main+xml": "ppam",
}
OOXML_TYPES = frozenset(_OOXML_MAIN.values()) | {"ooxml"}
MACRO_OOXML = frozenset(
    {"docm", "dotm", "xlsm", "xlsb", "xltm", "xlam", "pptm", "ppsm", "potm", "ppam"}
)
_ODF = {
    "application/vnd.oasis.opendocument.text": "odt",
    "application/vnd.oasis.opendocument.spreadsheet": "ods",
    "application/vnd.oasis.opendocument.presentation": "odp",
}
_SIMPLE = (  # (prefix, type), checked in order on the first bytes
    (b"MZ", "pe"),
    (b"\x7fELF", "elf"),
    (b"\xfe\xed\xfa\xce", "macho"),
    (b"\xfe\xed\xfa\xcf", "macho"),
    (b"\xce\xfa\xed\xfe", "macho"),
    (b"\xcf\xfa\xed\xfe", "macho"),
    (_OLE, "ole"),
    (_LNK_HEADER, "lnk"),
    (b"%PDF", "pdf"),
    (b"{\\rt", "rtf"),
    (b"Rar!\x1a\x07", "rar"),
    (b"7z\xbc\xaf\x27\x1c", "7z"),
    (b"\xfd7zXZ\x00", "xz"),
    (b"MSCF", "cab"),
    (b"ITSF", "chm"),
    (b"conectix", "vhd"),
    (b"vhdxfile", "vhdx"),
    (b"xar!", "xar"),
    (b"!<arch>\ndebian-binary", "deb"),
    (b"070701", "cpio"),
    (b"070707", "cpio"),
    (b"\xc7\x71", "cpio"),
    (b"\x89PNG", "png"),
    (b"\xff\xd8\xff", "jpeg"),
    (b"GIF87a", "gif"),
    (b"GIF89a", "gif"),
    (b"II*\x00", "tiff"),
    (b"MM\x00*", "tiff"),
    (b"\x00\x00\x01\x00", "ico"),
    (b"\xe4\x52\x5c\x7b\x8c\xd8\xa7\x4d\xae\xb1\x53\x78\xd0\x29\x96\xd3", "onenote"),
)


def identify(name: str, data: bytes) -> tuple[str, str]:
    """``(true_type, description)`` of ``data``; ``name`` is only a hint for text formats
    that have no signature (a ``.url`` shortcut, a ``.csv``), never trusted over content."""
    kind, description = identify_lazily(name, data)
    return kind, description()


def identify_lazily(name: str, data: bytes) -> tuple[str, Callable[[], str]]:
    """:func:`identify` with the description left to a function: libmagic runs when it is
    called (a :class:`~koban.file.item.FileItem` calls it when the description is first read),
    or at once when no signature of ours names the type (then libmagic's words name it)."""
    kind = _signature(data)
    if kind == "text":
        kind = _text_kind(name, data)
    label = LABELS.get(kind, "")
    if kind == "script":
        label = f"{script_language(name, data) or 'unknown'} script"
    if kind == "unknown":
        magic = describe(data)
        if magic:
            kind = _from_magic(magic)
        return kind, functools.partial(_description, kind, label, magic)
    return kind, functools.partial(_described, kind, label, data)


def _described(kind: str, label: str, data: bytes) -> str:
    return _description(kind, label, describe(data))


def _description(kind: str, label: str, magic: str) -> str:
    if label and (not magic or _GENERIC.match(magic)):
        return label  # "ASCII text" says less than "VBScript script"
    return magic or label or kind


_GENERIC = re.compile(r"(?i)(?:ascii|unicode|utf-8|iso-8859|non-iso) text|data$|very short")


def sniff(data: bytes) -> str:
    """The mail analyser's coarse type names (``ooxml``/``ooxml-macro`` for any OOXML package,
    scripts as ``text``, ``data: <libmagic>`` for the unknown): kept so that mail's rules and
    figures do not move while both analysers share one set of signatures."""
    kind = _signature(data)
    if kind in OOXML_TYPES:
        return "ooxml-macro" if kind in MACRO_OOXML or _has_vba(data) else "ooxml"
    if kind == "unknown":
        magic = describe(data)
        return "data: " + magic.lower()[:60] if magic else "unknown"
    return _MAIL_NAMES.get(kind, kind)


_MAIL_NAMES = {
    "xps": "ooxml", "odt": "zip", "ods": "zip", "odp": "zip", "odf": "zip", "wheel": "zip",
    "npm": "gzip", "sdist": "gzip", "java-class": "unknown", "ico": "unknown", "deb": "unknown",
    "cpio": "unknown", "asar": "unknown", "empty": "unknown", "json": "text", "script": "text",
    "url-shortcut": "text", "eml": "text",
}  # fmt: skip


def _signature(data: bytes) -> str:
    """Our own signatures (no libmagic); ``text`` for printable content, ``unknown`` else."""
    if not data:
        return "empty"
    head = data[:32]
    if head.startswith((b"\xca\xfe\xba\xbe", b"\xca\xfe\xba\xbf")):
        return _cafebabe(data)
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")):
        return _zip_kind(data)
    if head.startswith(b"\x1f\x8b"):
        return _gzip_kind(data)
    if head.startswith(b"BZh") and head[3:4].isdigit():
        return "bzip2"
    if _is_asar(data):
        return "asar"
    for prefix, kind in _SIMPLE:
        if head.startswith(prefix):
            if kind == "ico" and not _is_ico(data):
                continue
            if kind == "pe" and not _is_pe(data):
                continue
            return kind
    if b"%PDF-" in data[:1024]:
        return "pdf"  # junk before the header is tolerated by readers (and used to evade)
    if head.startswith(b"BM") and len(data) > 26 and struct.unpack_from("<I", data, 14)[0] in (
        12, 40, 52, 56, 64, 108, 124,
    ):  # fmt: skip
        return "bmp"
    if head.startswith(b"RIFF") and data[8:12] == b"WEBP":
        return "webp"
    if len(data) > 0x8006:
        for off in (0x8001, 0x8801, 0x9001):
            if data[off : off + 5] == b"CD001":
                return "iso"
        for off in (0x8001, 0x8801, 0x9001, 0x9801):
            if data[off : off + 5] in (b"BEA01", b"NSR02", b"NSR03"):
                return "udf"
    if len(data) >= 512:
        tail = data[-512:]
        if tail.startswith(b"koly"):
            return "dmg"
        if tail.startswith(b"conectix"):
            return "vhd"
        if data[1024:1026] in (b"H+", b"HX") or data[32:36] == b"NXSB":
            return "dmg"  # a raw HFS+/APFS image, as hdiutil also mounts
        if data[257:262] == b"ustar":
            return "tar"
    if _printable(data[:_HEAD]):
        return "text"
    return "unknown"


def _is_pe(data: bytes) -> bool:
    """``MZ`` alone starts many text files ("MZ..."): a PE/DOS program has an e_lfanew to a
    ``PE\\0\\0`` header, or at least a DOS header of plausible size."""
    if len(data) < 64:
        return not _printable(data)  # a truncated DOS header, not a sentence starting "MZ"
    lfanew = struct.unpack_from("<I", data, 0x3C)[0]
    if lfanew + 4 <= len(data) and data[lfanew : lfanew + 4] == b"PE\x00\x00":
        return True
    return not _printable(data[:256])  # a DOS program or a truncated PE


def _is_ico(data: bytes) -> bool:
    if len(data) < 22:
        return False
    count = struct.unpack_from("<H", data, 4)[0]
    return 0 < count < 64 and data[9] == 0


def _cafebabe(data: bytes) -> str:
    """Mach-O universal and Java class share ``cafebabe``: a universal binary's next word is a
    small architecture count; a class file's is its version (major 45 and up)."""
    if len(data) < 8:
        return "unknown"
    count = struct.unpack_from(">I", data, 4)[0]
    if 0 < count < 30:
        return "macho"
    return "java-class"


def _is_asar(data: bytes) -> bool:
    """Electron's asar: a Chromium Pickle (uint32 4, header size) holding a pickled string
    (payload size, length) whose JSON starts ``{"files":``."""
    if len(data) < 24 or data[:4] != b"\x04\x00\x00\x00":
        return False
    return data[16:25] == b'{"files":'


def _printable(sample: bytes) -> bool:
    """Text in any common encoding: no control bytes other than tab, newlines, form feed, ESC."""
    if not sample:
        return False
    if sample.startswith((b"\xff\xfe", b"\xfe\xff")):
        return True  # UTF-16 with a byte-order mark
    return _CONTROL_BYTE.search(sample) is None


_CONTROL_BYTE = re.compile(rb"[\x00-\x08\x0e-\x1a\x1c-\x1f]")  # below 32 except \t-\r and ESC


# -- zip-based formats ------------------------------------------------------------------------


def _zip_kind(data: bytes) -> str:
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        names = zf.namelist()
    except Exception:  # truncated or damaged: judge by the bytes we have
        window = data[:200_000]
        if b"[Content_Types].xml" in window:
            return "ooxml"
        return "zip"
    lower = {n.lower(): n for n in names[:5000]}
    if "[content_types].xml" in lower:
        return _ooxml_kind(zf, lower["[content_types].xml"], lower)
    if "mimetype" in lower:
        mime = _read(zf, lower["mimetype"], 200).decode("ascii", "replace").strip()
        if mime.startswith("application/vnd.oasis.opendocument"):
            return _ODF.get(mime, "odf")
    if "androidmanifest.xml" in lower and "classes.dex" in lower:
        return "apk"
    if any(n.endswith(".dist-info/wheel") for n in lower):
        return "wheel"
    if any(n.count("/") == 1 and n.endswith("/pkg-info") for n in lower):
        return "sdist"
    if "meta-inf/manifest.mf" in lower:
        return "jar"
    return "zip"


def _read(zf: zipfile.ZipFile, name: str, limit: int) -> bytes:
    try:
        with zf.open(name) as fh:
            return fh.read(limit)
    except Exception:  # encrypted, damaged, unsupported compression
        return b""


def _ooxml_kind(zf: zipfile.ZipFile, ct_name: str, lower: dict[str, str]) -> str:
    ct = _read(zf, ct_name, 200_000).decode("utf-8", "replace").lower()
    for m in re.finditer(
        r'contenttype="application/vnd\.(?:openxmlformats-officedocument\.)?([^"]+)"', ct
    ):
        kind = _OOXML_MAIN.get(m.group(1))
        if kind:
            return kind
    if "fixeddocumentsequence" in ct or any(n.endswith(".fdseq") for n in lower):
        return "xps"
    return "ooxml"


def _has_vba(data: bytes) -> bool:
    try:
        names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    except Exception:
        return b"vbaProject" in data[:200_000]
    return any(n.lower().endswith("vbaproject.bin") for n in names)


# -- gzip: npm tarballs and sdists -------------------------------------------------------------


def _gzip_kind(data: bytes) -> str:
    """A ``.tgz`` from ``npm pack`` holds ``package/package.json``; a PyPI sdist holds
    ``<name>-<version>/PKG-INFO``. Only the first MB of the tar is decompressed."""
    try:
        d = zlib.decompressobj(16 + zlib.MAX_WBITS)
        tar = d.decompress(data[: 4 * _TAR_WINDOW], _TAR_WINDOW)
    except zlib.error:
        return "gzip"
    if len(tar) < 512 or not (tar[257:262] == b"ustar" or _tar_checksum_ok(tar[:512])):
        return "gzip"
    names = _tar_names(tar)
    if "package/package.json" in names:
        return "npm"
    if any(n.count("/") == 1 and n.endswith("/PKG-INFO") for n in names):
        return "sdist"
    return "gzip"


def _tar_checksum_ok(header: bytes) -> bool:
    field = header[148:156].replace(b"\x00", b" ").strip()
    if not field or not all(48 <= c <= 55 for c in field):
        return False
    return int(field, 8) == sum(header[:148]) + 8 * 32 + sum(header[156:512])


def _tar_names(tar: bytes) -> set[str]:
    names: set[str] = set()
    off = 0
    while off + 512 <= len(tar) and len(names) < 2000:
        header = tar[off : off + 512]
        if header == bytes(512):
            break
        name = header[:100].split(b"\x00", 1)[0]
        prefix = header[345:500].split(b"\x00", 1)[0] if header[257:262] == b"ustar" else b""
        full = (prefix + b"/" + name if prefix else name).decode("utf-8", "replace")
        names.add(full.lstrip("./") if full.startswith("./") else full)
        size_field = header[124:136].replace(b"\x00", b" ").strip()
        try:
            size = int(size_field, 8) if size_field else 0
        except ValueError:
            break
        off += 512 + (size + 511) // 512 * 512
    return names


# -- text formats -------------------------------------------------------------------------------

_SHEBANG = {
    "sh": "shell", "bash": "shell", "zsh": "shell", "dash": "shell", "ksh": "shell",
    "python": "Python", "python3": "Python", "python2": "Python", "node": "JavaScript",
    "perl": "Perl", "ruby": "Ruby", "osascript": "AppleScript", "pwsh": "PowerShell",
    "php": "PHP", "deno": "JavaScript", "bun": "JavaScript",
}  # fmt: skip
_LANG_HINTS: dict[str, tuple[re.Pattern[str], int]] = {
    # language: (keywords, how many distinct hits make it that language)
    "PowerShell": (
        re.compile(
            r"(?i)\b(?:invoke-(?:expression|webrequest|restmethod|command)|iex\b|new-object\s|"
            r"set-executionpolicy|-encodedcommand|-windowstyle\s+hidden|start-process|"
            r"\[system\.convert\]::|frombase64string|write-host|get-childitem|\$env:|"
            r"downloadstring|param\s*\(|\$psscriptroot|add-type)"
        ),
        2,
    ),
    "batch": (
        re.compile(
            r"(?im)^\s*@?echo\s+off\b|%~dp0|^\s*(?:set|setlocal|goto|call|rem|if\s+exist|"
            r"start\s+\"?)\b|%[a-z]+%|^\s*:[a-z_]+\s*$"
        ),
        2,
    ),
    "VBScript": (
        re.compile(
            r"(?i)createobject\s*\(|wscript\.(?:shell|echo|sleep|createobject|quit)|"
            r"\bdim\s+\w|on\s+error\s+resume\s+next|\bend\s+(?:sub|function|if)\b|"
            r"\bset\s+\w+\s*=\s*\w|\bmsgbox\b"
        ),
        2,
    ),
    "JScript": (
        re.compile(
            r"(?i)new\s+activexobject|wscript\.createobject|wscript\.shell|getobject\s*\(|"
            r"\bvar\s+\w+\s*=\s*new\s+activexobject"
        ),
        1,
    ),
    "JavaScript": (
        re.compile(
            r"\b(?:function\s*\w*\s*\(|var\s+\w+\s*=|const\s+\w+\s*=|let\s+\w+\s*=|"
            r"require\s*\(\s*['\"]|module\.exports|document\.|console\.log\s*\(|=>\s*\{|"
            r"eval\s*\(|String\.fromCharCode)"
        ),
        3,
    ),
}
_SCRIPT_EXT = {
    "ps1": "PowerShell", "psm1": "PowerShell", "psd1": "PowerShell", "bat": "batch",
    "cmd": "batch", "vbs": "VBScript", "vbe": "VBScript", "js": "JavaScript", "jse": "JScript",
    "mjs": "JavaScript", "cjs": "JavaScript", "sh": "shell", "command": "shell",
    "bash": "shell", "zsh": "shell", "py": "Python", "wsf": "Windows Script File",
    "applescript": "AppleScript", "scpt": "AppleScript",
}  # fmt: skip


def script_language(name: str, data: bytes) -> str | None:
    """The scripting language of a text file (shebang, then keyword heuristics, then the
    extension of a file that reads as code); ``None`` for prose and data."""
    head = data[:_HEAD]
    if head.startswith(b"#!"):
        line = head[2:200].split(b"\n", 1)[0].decode("latin-1").strip()
        parts = line.split()
        if parts:
            prog = parts[0].rsplit("/", 1)[-1]
            if prog == "env" and len(parts) > 1:
                prog = next((p for p in parts[1:] if not p.startswith("-")), prog)
            prog = re.sub(r"[\d.]+$", "", prog) or prog
            return _SHEBANG.get(prog, _SHEBANG.get(prog.rstrip("0123456789."), "shell"))
    text = _decode(head)
    lower = text.lower()
    if "<job" in lower and "<script" in lower and "language=" in lower:
        return "Windows Script File"
    if lower.lstrip().startswith("#@~^"):
        return "VBScript" if name.lower().endswith(".vbe") else "JScript"  # encoded script
    best: tuple[int, str] | None = None
    for lang, (pattern, need) in _LANG_HINTS.items():
        hits = len({m.group(0).lower().strip()[:12] for m in pattern.finditer(text)})
        if hits >= need and (best is None or hits > best[0]):
            best = (hits, lang)
    if best:
        if best[1] == "JavaScript" and any(h in lower for h in ("activexobject", "wscript.")):
            return "JScript"
        return best[1]
    return None


def _decode(head: bytes) -> str:
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return head.decode("utf-16", "replace")
    return head.decode("utf-8", "replace")


def _text_kind(name: str, data: bytes) -> str:
    head = data[:_HEAD]
    text = _decode(head).lstrip("\ufeff \t\r\n")
    lower = text[:2000].lower()
    if b"<hta:application" in data[:65536].lower():
        return "hta"
    if lower.startswith(("<!doctype html", "<html", "<head", "<body", "<meta")):
        return "html"
    if lower.startswith("<?xml"):
        return "xml"
    if lower.startswith("begin:vcalendar"):
        return "ics"
    if lower.startswith("[internetshortcut]") or (
        "[internetshortcut]" in lower and "url=" in lower
    ):
        return "url-shortcut"
    if lower.startswith("{\\rt"):
        return "rtf"
    if text.startswith("ID;P"):
        return "slk"
    if re.match(r"WEB\r?\n\d\r?\n\s*https?://", text):
        return "iqy"
    if text[:1] in "{[" and _is_json(data):
        return "json"
    if re.match(r"(?i)(?:received|return-path|from|message-id|delivered-to|mime-version):", text):
        return "eml"
    if script_language(name, data):
        return "script"
    if lower.startswith(("<script", "<svg")):
        return "html"
    return "text"


def _is_json(data: bytes) -> bool:
    if len(data) > 4 << 20:
        return data[:1] in b"{[" and data.rstrip()[-1:] in b"}]"
    try:
        json.loads(data)
    except (ValueError, UnicodeDecodeError):
        return False
    return True


# -- libmagic -------------------------------------------------------------------------------------

_magic_lock = threading.Lock()


@cache
def _magic() -> Any:
    try:
        import magic  # python-magic needs libmagic at run time
    except ImportError:
        return None
    try:
        return magic.Magic()
    except Exception:  # libmagic missing or its database unreadable
        return None


def describe(data: bytes) -> str:
    """libmagic's description of the first 64 KB (``""`` when libmagic is unavailable)."""
    m = _magic()
    if m is None or not data:
        return ""
    try:
        with _magic_lock:  # one libmagic handle is not safe across threads
            return str(m.from_buffer(data[:65536]))[:200]
    except Exception:  # libmagic raises on odd input
        return ""


def _from_magic(description: str) -> str:
    d = description.lower()
    for word, kind in (
        ("pe32", "pe"), ("ms-dos executable", "pe"), ("elf ", "elf"), ("mach-o", "macho"),
        ("iso 9660", "iso"), ("udf filesystem", "udf"), ("microsoft cabinet", "cab"),
        ("rar archive", "rar"), ("zip archive", "zip"), ("tar archive", "tar"),
        ("cpio archive", "cpio"), ("pdf document", "pdf"), ("rich text", "rtf"),
        ("composite document", "ole"), ("xar archive", "xar"), ("heif", "heif"),
        ("avif", "avif"), ("pcap", "pcap"),
    ):  # fmt: skip
        if word in d:
            return kind
    return "unknown"
