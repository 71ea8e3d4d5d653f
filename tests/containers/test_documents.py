"""Document text: runs rejoined, paragraphs and rows as lines, shared strings resolved, PDF text."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable

import pytest
from pypdf import PdfReader, PdfWriter

from koban.containers import Blob, Limits, Problem, expand_bytes

W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
S = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
A = 'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main"'
ODF_NS = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"'
)
TYPES = '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>'


def _zip(members: dict[str, str | bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buffer.getvalue()


def _text(items: Iterable[Blob | Problem]) -> str:
    [blob] = [i for i in items if isinstance(i, Blob) and i.origin == "text"]
    return blob.data.decode("utf-8")


def _docx(body: str, **extra: str) -> bytes:
    return _zip(
        {
            "[Content_Types].xml": TYPES,
            "word/document.xml": f'<?xml version="1.0"?><w:document {W}><w:body>{body}'
            "</w:body></w:document>",
            **extra,
        }
    )


def test_docx_rejoins_runs_and_keeps_paragraphs_tabs_breaks_cells() -> None:
    body = (
        '<w:p><w:pPr><w:tabs><w:tab w:val="left" w:pos="720"/></w:tabs></w:pPr>'
        "<w:r><w:t>Seed: aban</w:t></w:r><w:r><w:rPr><w:b/></w:rPr><w:t>don</w:t></w:r>"
        '<w:r><w:t xml:space="preserve"> abil</w:t></w:r><w:proofErr/>'
        "<w:r><w:t>ity</w:t></w:r></w:p>"
        "<w:p><w:r><w:t>line two</w:t><w:br/><w:t>after break</w:t><w:tab/><w:t>tabbed</w:t>"
        "</w:r></w:p>"
        "<w:tbl><w:tr><w:tc><w:p><w:r><w:t>cell1</w:t></w:r></w:p></w:tc>"
        "<w:tc><w:p><w:r><w:t>cell2</w:t></w:r></w:p></w:tc></w:tr></w:tbl>"
        "<w:p><w:del><w:r><w:delText>deleted words</w:delText></w:r></w:del></w:p>"
    )
    header = f"<w:hdr {W}><w:p><w:r><w:t>header text</w:t></w:r></w:p></w:hdr>"
    items = list(expand_bytes(_docx(body, **{"word/header1.xml": header}), "a.docx"))
    lines = _text(items).splitlines()
    assert lines[:3] == ["Seed: abandon ability", "line two", "after break\ttabbed"]
    assert lines[3].split() == ["cell1", "cell2"] and "\t" in lines[3]
    assert lines[4:] == ["deleted words", "header text"]
    # The document is a zip too: its parts are members, and the text blob sits at its path.
    assert any(isinstance(i, Blob) and i.path == "a.docx!word/document.xml" for i in items)
    assert [i.path for i in items if isinstance(i, Blob) and i.origin == "text"] == ["a.docx"]


def test_xlsx_shared_and_inline_strings_in_cell_order_without_furigana() -> None:
    shared = (
        f"<sst {S}><si><t>abandon</t></si>"
        "<si><r><t>abil</t></r><r><rPr><b/></rPr><t>ity</t></r></si>"
        '<si><t>山田</t><rPh sb="0" eb="2"><t>ヤマダ</t></rPh></si></sst>'
    )
    sheet1 = (
        f"<worksheet {S}><sheetData>"
        '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c>'
        '<c r="C1" t="inlineStr"><is><t>able</t></is></c><c r="D1"><v>42</v></c></row>'
        '<row r="2"><c r="A2" t="s"><v>2</v></c><c r="B2" t="s"><v>99</v></c></row>'
        "</sheetData></worksheet>"
    )
    sheet2 = (
        f'<worksheet {S}><sheetData><row><c t="str"><v>second</v></c></row></sheetData></worksheet>'
    )
    sheet10 = (
        f'<worksheet {S}><sheetData><row><c t="str"><v>tenth</v></c></row></sheetData></worksheet>'
    )
    data = _zip(
        {
            "[Content_Types].xml": TYPES,
            "xl/workbook.xml": f"<workbook {S}/>",
            "xl/sharedStrings.xml": shared,
            "xl/worksheets/sheet10.xml": sheet10,
            "xl/worksheets/sheet1.xml": sheet1,
            "xl/worksheets/sheet2.xml": sheet2,
        }
    )
    text = _text(expand_bytes(data, "book.xlsx"))
    assert text.splitlines() == ["abandon\tability\table\t42", "山田", "second", "tenth"]


def test_pptx_slides_in_numeric_order() -> None:
    def slide(words: str) -> str:
        return f'<p:sld {A} xmlns:p="p"><a:p><a:r><a:t>{words}</a:t></a:r></a:p></p:sld>'

    data = _zip(
        {
            "[Content_Types].xml": TYPES,
            "ppt/presentation.xml": "<p/>",
            "ppt/slides/slide10.xml": slide("ten"),
            "ppt/slides/slide2.xml": slide("two"),
            "ppt/slides/slide1.xml": slide("one"),
        }
    )
    assert _text(expand_bytes(data, "deck.pptx")).splitlines() == ["one", "two", "ten"]


def test_odt_mixed_content_spaces_tabs_breaks() -> None:
    content = (
        f"<office:document-content {ODF_NS}><office:body><office:text>"
        "<text:h>Title</text:h>"
        '<text:p>aban<text:span>don</text:span> abil<text:span>ity</text:span><text:s text:c="2"/>'
        "able<text:tab/>x<text:line-break/>y</text:p>"
        "</office:text></office:body></office:document-content>"
    )
    data = _zip({"mimetype": "application/vnd.oasis.opendocument.text", "content.xml": content})
    assert _text(expand_bytes(data, "a.odt")) == "Title\nabandon ability  able\tx\ny\n"


def test_ods_rows_and_cells() -> None:
    content = (
        f"<office:document-content {ODF_NS}><office:body><office:spreadsheet><table:table>"
        "<table:table-row><table:table-cell><text:p>abandon</text:p></table:table-cell>"
        "<table:table-cell><text:p>ability</text:p></table:table-cell></table:table-row>"
        "<table:table-row><table:table-cell><text:p>able</text:p></table:table-cell>"
        "</table:table-row></table:table></office:spreadsheet></office:body>"
        "</office:document-content>"
    )
    data = _zip(
        {"mimetype": "application/vnd.oasis.opendocument.spreadsheet", "content.xml": content}
    )
    lines = _text(expand_bytes(data, "a.ods")).splitlines()
    assert [line.split() for line in lines] == [["abandon", "ability"], ["able"]]


def test_entity_expansion_is_refused_not_evaluated() -> None:
    lol = (
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
        f"<w:document {W}><w:body><w:p><w:r><w:t>&lol2;</w:t></w:r></w:p></w:body></w:document>"
    )
    data = _zip({"[Content_Types].xml": TYPES, "word/document.xml": lol})
    items = list(expand_bytes(data, "lol.docx"))
    problems = [i for i in items if isinstance(i, Problem)]
    assert len(problems) == 1 and "text not extracted" in problems[0].message
    assert not [i for i in items if isinstance(i, Blob) and i.origin == "text"]
    assert any(isinstance(i, Blob) and i.path == "lol.docx!word/document.xml" for i in items)


def test_text_can_be_turned_off() -> None:
    data = _docx("<w:p><w:r><w:t>words</w:t></w:r></w:p>")
    items = list(expand_bytes(data, "a.docx", text=False))
    assert not [i for i in items if isinstance(i, Blob) and i.origin == "text"]


def test_document_text_limit() -> None:
    body = "".join(f"<w:p><w:r><w:t>paragraph {i:04}</w:t></w:r></w:p>" for i in range(200))
    items = list(expand_bytes(_docx(body), "a.docx", Limits(max_text_bytes=100)))
    assert len(_text(items)) <= 100 and _text(items).startswith("paragraph 0000")
    assert any(isinstance(i, Problem) and i.limit and "text limit" in i.message for i in items)


def test_a_zip_with_content_types_but_no_document_is_just_a_zip() -> None:
    items = list(expand_bytes(_zip({"[Content_Types].xml": TYPES, "a.txt": "x"}), "a.zip"))
    assert not [i for i in items if isinstance(i, Blob) and i.origin == "text"]
    assert not [i for i in items if isinstance(i, Problem)]


# -- PDF -----------------------------------------------------------------------------------


def _pdf(*pages: str) -> bytes:
    """A minimal PDF written by hand: one Helvetica text line per page."""
    count = len(pages)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids ["
        + b" ".join(b"%d 0 R" % (4 + 2 * i) for i in range(count))
        + b"] /Count %d >>" % count,
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    for i, text in enumerate(pages):
        stream = b"BT /F1 12 Tf 72 720 Td (%s) Tj ET" % text.encode("latin-1")
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
            b"/Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>" % (5 + 2 * i)
        )
        objects.append(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream))
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def _encrypted(data: bytes, user: str, owner: str) -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    writer.encrypt(user_password=user, owner_password=owner, algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_pdf_text() -> None:
    items = list(expand_bytes(_pdf("abandon ability able", "about above"), "seed.pdf"))
    text = _text(items)
    assert "abandon ability able" in text and "about above" in text
    assert text.index("abandon") < text.index("about")
    assert not [i for i in items if isinstance(i, Problem)]


def test_pdf_inside_zip() -> None:
    data = _zip({"docs/seed.pdf": _pdf("abandon ability able")})
    items = list(expand_bytes(data, "x.zip"))
    [blob] = [i for i in items if isinstance(i, Blob) and i.origin == "text"]
    assert blob.path == "x.zip!docs/seed.pdf" and b"abandon ability" in blob.data


def test_pdf_page_limit() -> None:
    items = list(expand_bytes(_pdf("one", "two", "three"), "p.pdf", Limits(max_pdf_pages=2)))
    assert "three" not in _text(items) and "two" in _text(items)
    [problem] = [i for i in items if isinstance(i, Problem)]
    assert problem.limit and "2 of 3 pages" in problem.message


def test_pdf_with_user_password_is_a_problem() -> None:
    items = list(expand_bytes(_encrypted(_pdf("abandon"), "pw", "owner"), "locked.pdf"))
    [problem] = [i for i in items if isinstance(i, Problem)]
    assert "encrypted PDF" in problem.message
    assert not [i for i in items if isinstance(i, Blob) and i.origin == "text"]


def test_pdf_with_owner_password_only_is_read() -> None:
    items = list(expand_bytes(_encrypted(_pdf("abandon ability"), "", "owner"), "o.pdf"))
    assert "abandon ability" in _text(items)


@pytest.mark.parametrize("data", [b"%PDF-1.4\n" + b"garbage " * 50, _pdf("abandon")[:150]])
def test_broken_pdf_is_a_problem_never_an_exception(data: bytes) -> None:
    items = list(expand_bytes(data, "bad.pdf"))
    assert isinstance(items[0], Blob) and items[0].data == data
    [problem] = items[1:]
    assert isinstance(problem, Problem) and "PDF text not extracted" in problem.message
