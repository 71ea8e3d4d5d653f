"""Harmless PDFs with the shapes of PDF lures: JavaScript run at open that would export and
launch an embedded program (the program is a 100-byte header that does nothing), a Launch
action, hex-escaped names, a form that posts to a server, links. Written object by object with
a correct cross-reference table, as real producers do."""

from __future__ import annotations

import io


def build(objects: list[str | bytes], root: int = 1, trailer_extra: str = "") -> bytes:
    """A PDF whose object ``n`` (1-based) is ``objects[n-1]`` (the dictionary or stream text)."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for n, body in enumerate(objects, 1):
        offsets.append(len(out))
        raw = body.encode("latin-1") if isinstance(body, str) else body
        out += f"{n} 0 obj\n".encode() + raw + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for off in offsets:
        out += f"{off:010d} 00000 n \n".encode()
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root {root} 0 R {trailer_extra}>>\n"
        f"startxref\n{xref}\n%%EOF\n"
    ).encode()
    return bytes(out)


def _stream(data: bytes, extra: str = "") -> bytes:
    return f"<< /Length {len(data)} {extra}>>\nstream\n".encode() + data + b"\nendstream"


_PAGE_TREE = "<< /Type /Pages /Kids [3 0 R] /Count 1 >>"


def _page(annots: str = "", contents: int | None = None) -> str:
    more = f" /Annots [{annots}]" if annots else ""
    more += f" /Contents {contents} 0 R" if contents else ""
    return f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792]{more} >>"


def plain(text: str = "Quarterly report") -> bytes:
    """A one-page PDF with a line of text and nothing active."""
    content = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    return build(
        [
            "<< /Type /Catalog /Pages 2 0 R >>",
            _PAGE_TREE,
            _page(contents=4),
            _stream(content),
        ]
    )


def with_links(urls: tuple[str, ...] | list[str] = ()) -> bytes:
    """A page whose link annotations open ``urls`` (default: two documentation addresses)."""
    urls = urls or ("https://example.com/report", "https://www.iana.org/help/example-domains")
    annots = []
    objects: list[str | bytes] = ["<< /Type /Catalog /Pages 2 0 R >>", _PAGE_TREE, ""]
    for url in urls:
        objects.append(
            f"<< /Type /Annot /Subtype /Link /Rect [72 700 300 720] /Border [0 0 0] "
            f"/A << /S /URI /URI ({url}) >> >>"
        )
        annots.append(f"{len(objects)} 0 R")
    objects[2] = _page(" ".join(annots))
    return build(objects)


PROGRAM = b"MZ" + bytes(58) + b"\x40\x00\x00\x00PE\x00\x00" + b"documentation example" + bytes(8)


def js_dropper(filename: str = "invoice.exe") -> bytes:
    """OpenAction JavaScript that would save and launch an embedded ``filename`` (its content is
    a bare PE header: nothing to run)."""
    js = (
        'app.alert("Loading document..."); '
        f'this.exportDataObject({{cName: "{filename}", nLaunch: 2}});'
    )
    return build(
        [
            "<< /Type /Catalog /Pages 2 0 R /OpenAction 4 0 R /Names << /EmbeddedFiles 5 0 R >> >>",
            _PAGE_TREE,
            _page(),
            f"<< /Type /Action /S /JavaScript /JS ({js}) >>",
            f"<< /Names [({filename}) 6 0 R] >>",
            f"<< /Type /Filespec /F ({filename}) /UF ({filename}) /EF << /F 7 0 R >> >>",
            _stream(PROGRAM, "/Type /EmbeddedFile "),
        ]
    )


def launch(program: str = "cmd.exe", params: str = "/c echo example") -> bytes:
    """An OpenAction Launch of ``program`` with ``params`` (what Reader asks to confirm)."""
    return build(
        [
            "<< /Type /Catalog /Pages 2 0 R /OpenAction 4 0 R >>",
            _PAGE_TREE,
            _page(),
            f"<< /Type /Action /S /Launch /Win << /F ({program}) /P ({params}) >> >>",
        ]
    )


def obfuscated_js() -> bytes:
    """JavaScript whose names are written with ``#xx`` escapes (``/J#61vaScript``, ``/J#53``)
    to slip past scanners that grep for ``/JavaScript``."""
    return build(
        [
            "<< /Type /Catalog /Pages 2 0 R /Open#41ction 4 0 R >>",
            _PAGE_TREE,
            _page(),
            '<< /Type /Action /S /J#61vaScript /J#53 (app.alert("example");) >>',
        ]
    )


def submit_form(url: str = "https://example.com/collect") -> bytes:
    """A form whose button posts the fields (a "sign in to view" PDF) to ``url``."""
    return build(
        [
            "<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [4 0 R] >> >>",
            _PAGE_TREE,
            _page("4 0 R"),
            "<< /Type /Annot /Subtype /Widget /FT /Btn /T (login) /Rect [72 600 200 630] "
            f"/A << /S /SubmitForm /F << /FS /URL /F ({url}) >> >> >>",
        ]
    )


def attachment(filename: str = "minutes.txt", content: bytes = b"meeting minutes\n") -> bytes:
    """A PDF with an ordinary attached file."""
    return build(
        [
            "<< /Type /Catalog /Pages 2 0 R /Names << /EmbeddedFiles 4 0 R >> >>",
            _PAGE_TREE,
            _page(),
            f"<< /Names [({filename}) 5 0 R] >>",
            f"<< /Type /Filespec /F ({filename}) /EF << /F 6 0 R >> >>",
            _stream(content, "/Type /EmbeddedFile "),
        ]
    )


def encrypted(password: str = "example-secret") -> bytes:  # noqa: S107 - an example's password
    """A PDF that needs ``password`` to open (pypdf, RC4-128)."""
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(612, 792)
    writer.encrypt(user_password=password, owner_password=password + "-owner", algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def xfa_form() -> bytes:
    """An AcroForm with an (empty) XFA packet, as LiveCycle forms carry."""
    xdp = b'<xdp:xdp xmlns:xdp="http://ns.adobe.com/xdp/"><template/></xdp:xdp>'
    return build(
        [
            "<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [] /XFA 4 0 R >> >>",
            _PAGE_TREE,
            _page(),
            _stream(xdp),
        ]
    )


def remote_action(target: str = "\\\\192.0.2.10\\share\\next.pdf") -> bytes:
    """A link annotation whose action opens another PDF on a remote share (GoToR)."""
    return build(
        [
            "<< /Type /Catalog /Pages 2 0 R >>",
            _PAGE_TREE,
            _page("4 0 R"),
            "<< /Type /Annot /Subtype /Link /Rect [72 700 300 720] "
            f"/A << /S /GoToR /F ({target}) /D [0 /Fit] >> >>",
        ]
    )
