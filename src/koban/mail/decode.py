"""Bytes to text for mail, the way Japanese mail really arrives.

Declared charsets are hints, not facts: ISO-2022-JP is often labelled Shift_JIS (or nothing),
Shift_JIS is really Microsoft's CP932, EUC-JP still appears. :func:`decode_bytes` tries the
label first, then what the bytes look like, and says when it had to guess or replace.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from email.errors import HeaderParseError
from email.header import decode_header

# Labels seen in the wild mapped to the codec that actually decodes such mail.
_ALIASES = {
    "shift_jis": "cp932",
    "shift-jis": "cp932",
    "sjis": "cp932",
    "x-sjis": "cp932",
    "ms_kanji": "cp932",
    "windows-31j": "cp932",
    "cp932": "cp932",
    "iso-2022-jp": "iso2022_jp_ext",
    "iso-2022-jp-1": "iso2022_jp_ext",
    "iso-2022-jp-2": "iso2022_jp_2",
    "iso-2022-jp-3": "iso2022_jp_3",
    "csiso2022jp": "iso2022_jp_ext",
    "euc-jp": "euc_jp",
    "x-euc-jp": "euc_jp",
    "eucjp": "euc_jp",
    "us-ascii": "utf-8",  # 8-bit bytes under an ASCII label are nearly always UTF-8
    "ascii": "utf-8",
    "ansi_x3.4-1968": "utf-8",
    "iso-8859-1": "cp1252",  # what mail clients mean by it
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "utf8": "utf-8",
    "unicode-1-1-utf-7": "utf-7",
    "ks_c_5601-1987": "cp949",
    "gb2312": "gb18030",
    "gbk": "gb18030",
}

_ISO2022_ESC = re.compile(rb"\x1b[\$\(][@ABDJI]")
_JA_CHARS = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff\u3000-\u303f\uff01-\uff5e]")
_KANA = re.compile(r"[\u3040-\u30ff]")


@dataclass(frozen=True, slots=True)
class Decoded:
    text: str
    codec: str
    note: str | None = None  # set when the label was wrong or bytes had to be replaced


def _codec_for(label: str | None) -> str | None:
    if not label:
        return None
    name = label.strip().strip('"').lower()
    if name in _ALIASES:
        return _ALIASES[name]
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def _strict(data: bytes, codec: str) -> str | None:
    try:
        return data.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return None


def _japanese_score(text: str) -> float:
    """Share of the non-ASCII characters that are kana (what real Japanese text is full of)."""
    non_ascii = sum(1 for c in text if ord(c) > 127)
    if not non_ascii:
        return 0.0
    return len(_KANA.findall(text)) / non_ascii


def sniff_codec(data: bytes) -> str | None:
    """The codec ``data`` most plausibly is in, from the bytes alone (None: plain ASCII)."""
    if data.isascii():
        return "iso2022_jp_ext" if _ISO2022_ESC.search(data) else None
    if _strict(data, "utf-8") is not None:
        return "utf-8"
    best, best_score = None, -1.0
    for codec in ("cp932", "euc_jp"):
        text = _strict(data, codec)
        if text is not None:
            score = _japanese_score(text)
            if score > best_score:
                best, best_score = codec, score
    return best


def decode_bytes(data: bytes, label: str | None = None) -> Decoded:
    """Decode ``data`` declared as ``label``; never raises, notes mislabels and replacements."""
    if not data:
        return Decoded("", "utf-8")
    declared = _codec_for(label)
    if label and declared is None:
        sniffed = sniff_codec(data) or "utf-8"
        text = data.decode(sniffed, errors="replace")
        return Decoded(text, sniffed, f"unknown charset {label!r}, decoded as {sniffed}")
    # ISO-2022-JP is 7-bit with escapes: recognisable whatever the label says.
    if data.isascii():
        if _ISO2022_ESC.search(data):
            text = data.decode("iso2022_jp_ext", errors="replace")
            note = None
            if declared is not None and not declared.startswith("iso2022_jp"):
                note = f"labelled {label} but is ISO-2022-JP"
            elif declared is None and label is None:
                note = None  # missing charset: common, not worth a note
            return Decoded(text, "iso2022_jp_ext", note)
        if declared == "utf-7":
            return Decoded(data.decode("utf-7", errors="replace"), "utf-7")
        return Decoded(data.decode("ascii"), "ascii")
    if declared is not None:
        strict = _strict(data, declared)
        if strict is not None:
            text = strict
            # CP932 and EUC-JP bytes both decode as each other now and then; trust the label
            # unless the other reading is clearly Japanese and this one is not.
            if declared in ("cp932", "euc_jp"):
                other = "euc_jp" if declared == "cp932" else "cp932"
                alt = _strict(data, other)
                if alt is not None and _japanese_score(alt) > 0.5 > _japanese_score(text):
                    return Decoded(alt, other, f"labelled {label} but is {other}")
            return Decoded(text, declared)
    guess = sniff_codec(data)
    if guess is not None:
        text = data.decode(guess, errors="replace")
        note = f"labelled {label} but is {guess}" if label else None
        return Decoded(text, guess, note)
    codec = declared or "utf-8"
    text = data.decode(codec, errors="replace")
    return Decoded(text, codec, f"undecodable bytes in {label or 'unlabelled'} text, replaced")


_ENCODED_WORD = re.compile(r"=\?[^?\s]+\?[bBqQ]\?[^?]*\?=")


def decode_header_value(raw: str) -> tuple[str, str | None]:
    """(text, note) of a raw header value: RFC 2047 words, raw 8-bit bytes, JIS escapes."""
    # Raw 8-bit bytes arrive as surrogate escapes from the parser: get the bytes back.
    try:
        raw_bytes = raw.encode("ascii", "surrogateescape")
    except UnicodeEncodeError:
        raw_bytes = None  # already real text (a parser that decoded it)
    note = None
    if raw_bytes is not None and not raw_bytes.isascii():
        got = decode_bytes(raw_bytes)
        raw, note = got.text, got.note
    elif raw_bytes is not None and _ISO2022_ESC.search(raw_bytes):
        return decode_bytes(raw_bytes).text, None
    if "=?" not in raw:
        return _unfold(raw), note
    try:
        parts = decode_header(raw)
    except (ValueError, IndexError, AssertionError, LookupError, HeaderParseError):
        return _unfold(raw), "malformed encoded words"
    out: list[str] = []
    for chunk, charset in parts:
        if isinstance(chunk, str):
            out.append(chunk)
            continue
        got = decode_bytes(chunk, charset)
        if got.note and note is None:
            note = got.note
        out.append(got.text)
    return _unfold("".join(out)), note


def _unfold(value: str) -> str:
    return re.sub(r"\r?\n[ \t]+", " ", value).replace("\r", "").replace("\n", " ").strip()
