"""Text normalisation for scanners: one encoding (UTF-8) so one set of patterns finds everything.

Secrets turn up in Windows notepad files (UTF-16 LE with BOM), exports without BOM, and Japanese
documents in Shift_JIS, EUC-JP or ISO-2022-JP. A byte-pattern scanner sees none of them unless the
text is first re-encoded. ASCII and UTF-8, by far the common case, are returned as the same object
after a cheap check so that normalising costs nothing on ordinary trees.
"""

from __future__ import annotations

import re

_BOM_UTF8 = b"\xef\xbb\xbf"
_BOM_UTF32_LE = b"\xff\xfe\x00\x00"
_BOM_UTF32_BE = b"\x00\x00\xfe\xff"
_BOM_UTF16_LE = b"\xff\xfe"
_BOM_UTF16_BE = b"\xfe\xff"

_SAMPLE = 8192
# Bytes that occur in text: printable ASCII, high bytes (UTF-8, legacy CJK) and the usual controls
# (TAB LF VT FF CR ESC, BS). Everything else left after deleting these is a binary signal.
_TEXT_BYTES = bytes([7, 8, 9, 10, 11, 12, 13, 27, *range(0x20, 0x7F), *range(0x80, 0x100)])
_BINARY_CONTROL_RATIO = 0.10
# ISO-2022-JP switches into JIS X 0208 with ESC $ B or ESC $ @; pure ASCII otherwise.
_ISO2022_ESCAPES = (b"\x1b$B", b"\x1b$@", b"\x1b(J", b"\x1b$(D")
_KANA = re.compile("[\u3041-\u30ff\uff66-\uff9d]")
_KANA_SHARE = 0.1


def _utf16_order(data: bytes) -> str | None:
    """``utf-16-le``/``utf-16-be`` when NULs sit on one byte parity only (BOM-less UTF-16)."""
    sample = data[:_SAMPLE]
    if len(sample) < 4 or b"\x00" not in sample:
        return None
    half = len(sample) // 2
    even_nuls = sample[0::2].count(0)
    odd_nuls = sample[1::2].count(0)
    # Latin/ASCII text in UTF-16: the high byte of nearly every unit is 0. CJK text has few NULs,
    # so such files need a BOM (Windows writes one); we do not guess those.
    if odd_nuls >= 0.6 * half and even_nuls <= 0.05 * half:
        return "utf-16-le"
    if even_nuls >= 0.6 * half and odd_nuls <= 0.05 * half:
        return "utf-16-be"
    return None


def _bom_encoding(data: bytes) -> tuple[str, int] | None:
    if data.startswith(_BOM_UTF32_LE):
        return "utf-32-le", 4
    if data.startswith(_BOM_UTF32_BE):
        return "utf-32-be", 4
    if data.startswith(_BOM_UTF16_LE):
        return "utf-16-le", 2
    if data.startswith(_BOM_UTF16_BE):
        return "utf-16-be", 2
    return None


def _reencode(data: bytes, encoding: str) -> bytes:
    unit = 4 if "32" in encoding else 2
    usable = len(data) - len(data) % unit
    return data[:usable].decode(encoding, errors="replace").encode("utf-8")


def _japanese(data: bytes) -> bytes | None:
    """Shift_JIS or EUC-JP text re-encoded, when the bytes decode strictly and read as Japanese.

    Latin-1 text often decodes as Shift_JIS too (a high byte and the next letter form a kanji):
    requiring kana, which any Japanese prose is full of and such accidents almost never produce,
    keeps those files unchanged. EUC-JP is tried first: its strict grammar rarely accepts SJIS.
    """
    for encoding in ("euc_jp", "cp932"):
        try:
            decoded = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        wide = sum(1 for ch in decoded if ord(ch) > 0x7F)
        kana = len(_KANA.findall(decoded))
        if kana and kana >= _KANA_SHARE * wide:
            return decoded.encode("utf-8")
    return None


def as_utf8(data: bytes) -> bytes:
    """``data`` as UTF-8: BOMs stripped, UTF-16/32 and Japanese legacy encodings converted.

    ASCII and valid UTF-8 without BOM come back as the same object. Binary data and text in an
    encoding not recognised with confidence come back unchanged.
    """
    if data.startswith(_BOM_UTF8):
        return data[3:]
    bom = _bom_encoding(data)
    if bom is not None:
        encoding, skip = bom
        return _reencode(data[skip:], encoding)
    if b"\x00" in data[:_SAMPLE]:
        order = _utf16_order(data)
        return _reencode(data, order) if order else data
    if data.isascii():
        if b"\x1b" in data and any(esc in data for esc in _ISO2022_ESCAPES):
            try:
                return data.decode("iso2022_jp_ext").encode("utf-8")
            except UnicodeDecodeError:
                return data
        return data
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        converted = _japanese(data)
        return data if converted is None else converted
    return data


def is_binary(data: bytes) -> bool:
    """True for content scanners should skip (images, .pyc, .so): NULs or many control bytes.

    UTF-16/32 text (BOM or NUL parity) is text, although it is full of NULs.
    """
    if _bom_encoding(data) is not None:
        return False
    sample = data[:_SAMPLE]
    if b"\x00" in sample:
        return _utf16_order(data) is None
    if not sample:
        return False
    controls = len(sample.translate(None, _TEXT_BYTES))
    return controls > _BINARY_CONTROL_RATIO * len(sample)
