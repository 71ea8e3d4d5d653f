"""Text and links of an HTML body, with the stdlib parser (no network, no scripts, no images).

Also notes what a person does not see: text hidden with CSS (``display:none``, zero font size)
is kept apart, because phishing pads messages with hidden words to fool filters.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from itertools import islice

MAX_HTML_CHARS = 2_000_000
_SKIP = {"script", "style", "head", "title", "noscript", "template"}
_BLOCK = {"p", "div", "br", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "table", "td", "hr"}
_VOID = {
    "area",
    "base",
    "br",
    "col",
    "embed",
    "hr",
    "img",
    "input",
    "link",
    "meta",
    "param",
    "source",
    "track",
    "wbr",
}
_HIDDEN_STYLE = re.compile(
    r"display\s*:\s*none|visibility\s*:\s*hidden|font-size\s*:\s*0(?:px|pt|em|%)?\s*(?:;|$|!)"
    r"|max-height\s*:\s*0|opacity\s*:\s*0(?:\.0+)?\s*(?:;|$)",
    re.IGNORECASE,
)

# CSS that moves content out of the reader's view (kept for filters and previews): a huge
# margin, padding, height or offset ("margin-top: 470500px", "height: 2000vh") or a negative
# indent or offset ("text-indent: -9999px"). Layout of real mail stays within a few thousand
# pixels of the top.
_OFFSCREEN = re.compile(
    r"(?<![\w-])(?:(?:margin|padding)(?:-top|-bottom)?|top|height|min-height|line-height)"
    r"\s*:\s*\d{5,}(?:\.\d+)?(?:px|pt)"
    r"|(?<![\w-])(?:height|min-height|margin-top|padding-top)\s*:\s*\d{4,}vh"
    r"|(?<![\w-])(?:text-indent|left|margin-left|top|margin-top)\s*:\s*-\d{4,}(?:\.\d+)?(?:px|pt)",
    re.IGNORECASE,
)
MAX_OFFSCREEN = 5


@dataclass(slots=True)
class HtmlLink:
    href: str
    text: str
    tag: str = "a"


@dataclass(slots=True)
class HtmlContent:
    text: str
    links: list[HtmlLink] = field(default_factory=list)
    hidden_text: str = ""
    forms: list[str] = field(default_factory=list)  # form actions
    scripts: int = 0
    meta_refresh: list[str] = field(default_factory=list)
    truncated: bool = False
    password_inputs: int = 0  # <input type=password>: a login form in the message itself
    remote_images: int = 0  # <img src="http(s)://...">: pictures fetched when the mail is shown
    offscreen: list[str] = field(default_factory=list)  # CSS moving content out of view


class _Extractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.hidden: list[str] = []
        self.links: list[HtmlLink] = []
        self.forms: list[str] = []
        self.scripts = 0
        self.meta_refresh: list[str] = []
        self.password_inputs = 0
        self.remote_images = 0
        self._stack: list[tuple[str, bool, bool]] = []  # (tag, skip, hidden)
        self._link: HtmlLink | None = None
        self._link_text: list[str] = []

    def _state(self) -> tuple[bool, bool]:
        if not self._stack:
            return False, False
        _, skip, hidden = self._stack[-1]
        return skip, hidden

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: (v or "") for k, v in attrs}
        if tag == "script":
            self.scripts += 1
        if tag == "meta" and a.get("http-equiv", "").lower() == "refresh":
            m = re.search(r"url\s*=\s*['\"]?([^'\"\s>]+)", a.get("content", ""), re.IGNORECASE)
            if m:
                self.meta_refresh.append(m.group(1))
        if tag == "form":
            self.forms.append(a.get("action", ""))
        if tag == "input" and a.get("type", "").strip().lower() == "password":
            self.password_inputs += 1
        if tag == "img" and a.get("src", "").lstrip()[:4].lower() == "http":
            self.remote_images += 1
        if tag in _BLOCK:
            self.text.append("\n")
        if tag in ("a", "area") and a.get("href"):
            self._close_link()
            self._link = HtmlLink(a["href"].strip(), "", tag)
            self._link_text = []
            if tag == "area":
                self._close_link()
        if tag in _VOID:
            return
        skip, hidden = self._state()
        skip = skip or tag in _SKIP
        hidden = hidden or bool(_HIDDEN_STYLE.search(a.get("style", ""))) or "hidden" in a
        self._stack.append((tag, skip, hidden))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag == "a":
            self._close_link()
        if tag in _BLOCK:
            self.text.append("\n")
        # Pop to the matching open tag; ignore stray end tags (real-world HTML).
        for i in range(len(self._stack) - 1, -1, -1):
            if self._stack[i][0] == tag:
                del self._stack[i:]
                break

    def handle_data(self, data: str) -> None:
        skip, hidden = self._state()
        if skip:
            return
        if hidden:
            self.hidden.append(data)
            return
        self.text.append(data)
        if self._link is not None:
            self._link_text.append(data)

    def _close_link(self) -> None:
        if self._link is not None:
            self._link.text = " ".join("".join(self._link_text).split())
            self.links.append(self._link)
            self._link = None
            self._link_text = []

    def close(self) -> None:
        super().close()
        self._close_link()


def extract_html(html: str) -> HtmlContent:
    """Visible text, links (href and visible text), hidden text, forms of ``html``."""
    truncated = len(html) > MAX_HTML_CHARS
    if truncated:
        html = html[:MAX_HTML_CHARS]
    parser = _Extractor()
    try:
        parser.feed(html)
        parser.close()
    except (AssertionError, ValueError, IndexError):  # malformed markup: keep what we have
        parser._close_link()
    text = re.sub(r"[ \t\r\f\v\u00a0]+", " ", "".join(parser.text))
    text = re.sub(r"\s*\n\s*", "\n", text).strip()
    hidden = " ".join(" ".join(parser.hidden).split())
    return HtmlContent(
        text=text,
        links=parser.links,
        hidden_text=hidden,
        forms=parser.forms,
        scripts=parser.scripts,
        meta_refresh=parser.meta_refresh,
        truncated=truncated,
        password_inputs=parser.password_inputs,
        remote_images=parser.remote_images,
        offscreen=[m.group(0) for m in islice(_OFFSCREEN.finditer(html), MAX_OFFSCREEN)],
    )
