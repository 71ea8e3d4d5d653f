"""The visible text of office documents and PDFs, as one UTF-8 blob a scanner can read.

A seed phrase typed into Word is stored as XML runs: ``<w:t>abandon ab</w:t><w:t>ility</w:t>`` when
the spell checker or an edit splits a word. Scanning the raw XML misses it; the text here rejoins
runs, puts paragraphs, slides' text boxes and spreadsheet rows on lines of their own (cells
separated by tabs), and resolves xlsx shared strings. Parsing uses defusedxml (no DTDs, no
entities) with iterparse so a large part costs memory in proportion to a paragraph, not the file.
"""

from __future__ import annotations

import io
import logging
import re
import warnings
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from xml.etree.ElementTree import Element

from defusedxml.ElementTree import iterparse

from koban.containers.limits import Budget

# pypdf reports every oddity of a malformed PDF through logging; without a handler Python's
# last-resort handler would print them on stderr in the middle of a scan. Records still propagate
# to whatever logging the application configures.
logging.getLogger("pypdf").addHandler(logging.NullHandler())

_ODF_MIMETYPE = b"application/vnd.oasis.opendocument."


class TextLimit(Exception):
    """The extracted text reached ``max_text_bytes``; what was gathered so far is kept."""


@dataclass(frozen=True, slots=True)
class _Dialect:
    """How one XML vocabulary spells paragraphs, runs, tabs, breaks, cells (by local name)."""

    paragraph: frozenset[str]
    text: frozenset[str]  # elements whose text is content; ignored when ``mixed``
    mixed: bool  # ODF: every text node inside a paragraph is content (text:span, tails...)
    tab: frozenset[str]
    brk: frozenset[str]
    cell: frozenset[str]
    row: frozenset[str]
    skip: frozenset[str]  # subtrees that hold formatting or phonetic guides, not text
    space: str = ""  # ODF text:s, repeated c times


_OOXML = _Dialect(
    paragraph=frozenset({"p"}),
    text=frozenset({"t", "delText"}),
    mixed=False,
    tab=frozenset({"tab"}),
    brk=frozenset({"br", "cr"}),
    cell=frozenset({"tc"}),
    row=frozenset({"tr"}),
    skip=frozenset({"pPr", "rPr", "tblPr", "tcPr", "trPr", "sectPr", "instrText", "rPh"}),
)
_ODF = _Dialect(
    paragraph=frozenset({"p", "h"}),
    text=frozenset(),
    mixed=True,
    tab=frozenset({"tab"}),
    brk=frozenset({"line-break"}),
    cell=frozenset({"table-cell", "covered-table-cell"}),
    row=frozenset({"table-row"}),
    skip=frozenset(),
    space="s",
)
_XLSX_COMMENTS = _Dialect(
    paragraph=frozenset({"comment"}),
    text=frozenset({"t"}),
    mixed=False,
    tab=frozenset(),
    brk=frozenset(),
    cell=frozenset(),
    row=frozenset(),
    skip=frozenset({"rPh"}),
)


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


class _Text:
    """Accumulates extracted text up to a byte bound (counted in characters x 3, cheaply)."""

    def __init__(self, max_bytes: int) -> None:
        self.parts: list[str] = []
        self.size = 0
        self.max_bytes = max_bytes

    def add(self, s: str) -> None:
        if not s:
            return
        self.parts.append(s)
        self.size += len(s)
        if self.size * 3 > self.max_bytes and len(self.value()) > self.max_bytes:
            raise TextLimit

    def value(self) -> bytes:
        return "".join(self.parts).encode("utf-8")


def _render(elem: Element, d: _Dialect, out: list[str]) -> None:
    """Text of a paragraph element, runs rejoined, in document order."""
    name = _local(elem.tag)
    if name in d.skip:
        return
    if name in d.tab:
        out.append("\t")
    elif name in d.brk:
        out.append("\n")
    elif d.space and name == d.space:
        count = next((v for k, v in elem.attrib.items() if _local(k) == "c"), "1")
        out.append(" " * min(int(count) if count.isdigit() else 1, 100))
    elif elem.text and (d.mixed or name in d.text):
        out.append(elem.text)
    for child in elem:
        _render(child, d, out)
        if child.tail and d.mixed and _local(child.tag) not in d.skip:
            out.append(child.tail)
    if name in d.paragraph and out and not out[-1].endswith("\n"):
        out.append("\n")


def _events(data: bytes) -> Iterator[tuple[str, Element]]:
    events: Iterable[tuple[str, Element]] = iterparse(
        io.BytesIO(data), events=("start", "end"), forbid_dtd=True
    )
    yield from events


def _paragraphs(data: bytes, d: _Dialect, text: _Text) -> None:
    """Stream one XML part: each outermost paragraph rendered then freed."""
    in_paragraph = 0
    in_cell = 0
    for event, elem in _events(data):
        name = _local(elem.tag)
        if event == "start":
            if name in d.paragraph:
                in_paragraph += 1
            elif name in d.cell:
                in_cell += 1
            continue
        if name in d.paragraph:
            in_paragraph -= 1
            if in_paragraph == 0:
                out: list[str] = []
                _render(elem, d, out)
                line = "".join(out).rstrip("\n")
                if line:
                    text.add(line + (" " if in_cell else "\n"))
                elem.clear()
        elif in_paragraph:
            continue
        elif name in d.cell:
            in_cell -= 1
            text.add("\t")
        elif name in d.row:
            text.add("\n")
            elem.clear()


def _shared_strings(data: bytes, limit: int) -> list[str]:
    strings: list[str] = []
    size = 0
    for event, elem in _events(data):
        if event == "end" and _local(elem.tag) == "si":
            out: list[str] = []
            _render(elem, _XLSX_COMMENTS, out)
            s = "".join(out).rstrip("\n")
            size += len(s)
            if size > limit:
                raise TextLimit
            strings.append(s)
            elem.clear()
    return strings


def _sheet(data: bytes, shared: list[str], text: _Text) -> None:
    """One worksheet: a line per row, cell values (shared, inline, literal) joined by tabs."""
    cells: list[str] = []
    for event, elem in _events(data):
        if event != "end":
            continue
        name = _local(elem.tag)
        if name == "c":
            kind = elem.get("t", "n")
            value = ""
            if kind == "inlineStr":
                out: list[str] = []
                for child in elem:
                    if _local(child.tag) == "is":
                        _render(child, _XLSX_COMMENTS, out)
                value = "".join(out).rstrip("\n")
            else:
                v = next((c.text or "" for c in elem if _local(c.tag) == "v"), "")
                if kind == "s":
                    index = int(v) if v.isdigit() else -1
                    value = shared[index] if 0 <= index < len(shared) else ""
                else:
                    value = v
            cells.append(value)
            elem.clear()
        elif name == "row":
            line = "\t".join(cells).rstrip("\t")
            if line:
                text.add(line + "\n")
            cells = []
            elem.clear()


_NUMBER = re.compile(r"(\d+)")


def _numeric_order(names: Iterable[str]) -> list[str]:
    """sheet2.xml before sheet10.xml."""
    return sorted(names, key=lambda n: [int(p) if p.isdigit() else p for p in _NUMBER.split(n)])


def office_kind(zf: zipfile.ZipFile) -> str | None:
    """``docx``/``xlsx``/``pptx``/``odf`` from the zip's content, or None for other zips."""
    names = set(zf.namelist())
    if "[Content_Types].xml" in names:
        if "word/document.xml" in names:
            return "docx"
        if "xl/workbook.xml" in names:
            return "xlsx"
        if "ppt/presentation.xml" in names:
            return "pptx"
        return None
    if "mimetype" in names and "content.xml" in names:
        info = zf.getinfo("mimetype")
        if info.file_size < 200 and zf.read(info).startswith(_ODF_MIMETYPE):
            return "odf"
    return None


def office_text(
    zf: zipfile.ZipFile, kind: str, read: Callable[[str], bytes], max_bytes: int
) -> bytes:
    """The text of an office document already identified by :func:`office_kind`.

    ``read`` returns a part's bytes, applying the walker's size bounds. When the text outgrows
    ``max_bytes`` raises ``TextLimit`` whose ``args[0]`` is the text truncated to the bound (callers
    keep it and report the limit); XML or zip errors propagate for corrupt parts.
    """
    text = _Text(max_bytes)
    names = zf.namelist()
    try:
        if kind == "docx":
            parts = ["word/document.xml"]
            for prefix in ("word/header", "word/footer"):
                parts += _numeric_order(n for n in names if n.startswith(prefix))
            parts += [
                n
                for n in ("word/footnotes.xml", "word/endnotes.xml", "word/comments.xml")
                if n in names
            ]
            for part in parts:
                _paragraphs(read(part), _OOXML, text)
        elif kind == "pptx":
            for prefix in ("ppt/slides/slide", "ppt/notesSlides/notesSlide"):
                for part in _numeric_order(
                    n for n in names if n.startswith(prefix) and n.endswith(".xml")
                ):
                    _paragraphs(read(part), _OOXML, text)
        elif kind == "xlsx":
            shared = (
                _shared_strings(read("xl/sharedStrings.xml"), max_bytes)
                if "xl/sharedStrings.xml" in names
                else []
            )
            sheets = _numeric_order(
                n for n in names if n.startswith("xl/worksheets/sheet") and n.endswith(".xml")
            )
            for part in sheets:
                _sheet(read(part), shared, text)
            for part in _numeric_order(n for n in names if n.startswith("xl/comments")):
                _paragraphs(read(part), _XLSX_COMMENTS, text)
        elif kind == "odf":
            _paragraphs(read("content.xml"), _ODF, text)
    except TextLimit:
        raise TextLimit(text.value()[:max_bytes]) from None
    return text.value()


def is_pdf(data: bytes) -> bool:
    """PDF readers accept the header anywhere in the first KiB."""
    return b"%PDF-" in data[:1024]


class PdfEncrypted(Exception):
    """The PDF needs a password to read its text."""


def pdf_text(data: bytes, max_pages: int, budget: Budget, max_bytes: int) -> tuple[bytes, str]:
    """Text of the first ``max_pages`` pages and a note when a bound stopped it ('' otherwise).

    Encrypted PDFs readable with the empty user password (owner-password only) are read; others
    raise :class:`PdfEncrypted`. Malformed PDFs raise whatever pypdf raises.
    """
    from pypdf import PdfReader

    pages: list[str] = []
    size = 0
    note = ""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            try:
                opened = reader.decrypt("")
            except Exception as exc:  # pypdf raises DependencyError for AES without a backend
                raise PdfEncrypted(str(exc)) from None
            if not opened:
                raise PdfEncrypted("password required")
        count = len(reader.pages)
        for number, page in enumerate(reader.pages):
            if number >= max_pages:
                note = f"text of the first {max_pages} of {count} pages only (page limit)"
                break
            if budget.out_of_time():
                note = f"text of {number} of {count} pages only (time limit)"
                break
            page_text = page.extract_text() or ""
            size += len(page_text)
            pages.append(page_text)
            if size > max_bytes:
                note = f"text truncated at {max_bytes} bytes (text limit)"
                break
    return "\n".join(pages).encode("utf-8")[:max_bytes], note
