"""olevba's view of one Office document, parsed once for every check that asks.

A mail attachment is read for macros by two checks: mail's ``mail.attachment_macro`` (the
observer of the walk, :mod:`koban.mail.attachments`) and, right after it on the same bytes, the
file analyser's Office inspector (``file.office_macro``, ``file.office_xlm_macro``). Each used
to run its own ``VBA_Parser``, the costliest step of an Office attachment. :func:`vba_scan`
hands both the same :class:`VbaScan`: each olevba step (open, detect VBA, detect XLM, analyse,
extract) runs at most once and keeps its result or its exception, so each check sees what its
own parse gave. That holds because olevba's steps are deterministic, both checks call them in
the same order (detect VBA, detect XLM, analyse, then extract for the file analyser), and the
file name olevba is given changes only log lines and the module name of a plain-text "macro",
which neither check reads.
"""

from __future__ import annotations

import contextlib
import warnings
from typing import Any

__all__ = ["VbaScan", "vba_scan"]

_KEY = "macros.vba_scan"  # the slot in FileContext.cache: the last document scanned


class VbaScan:
    """One document's olevba parse; every step runs once, its exception is raised again."""

    def __init__(self, name: str, data: bytes) -> None:
        self.data = data
        self.open_error: Exception | None = None  # VBA_Parser itself failed (not Office)
        self._parser: Any = None
        self._steps: dict[str, tuple[bool, Any]] = {}
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                from oletools.olevba import VBA_Parser

                self._parser = VBA_Parser(name, data=data)
        except Exception as exc:  # not a format olevba knows, or damaged
            self.open_error = exc

    @property
    def type(self) -> str | None:
        """olevba's container type (``OLE``, ``OpenXML``, ``Text``...); ``None`` if unopened."""
        return None if self._parser is None else str(self._parser.type)

    def _step(self, method: str) -> Any:
        if self._parser is None:
            raise ValueError("the document was not opened") from self.open_error
        if method not in self._steps:
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    value = getattr(self._parser, method)()
                    if method == "extract_macros":
                        value = [(str(m[2]), str(m[3])) for m in value]
                self._steps[method] = (True, value)
            except Exception as exc:  # olevba raises many types on hostile files
                self._steps[method] = (False, exc)
        ok, value = self._steps[method]
        if not ok:
            raise value
        return value

    def has_vba(self) -> bool:
        return bool(self._step("detect_vba_macros"))

    def has_xlm(self) -> bool:
        return bool(self._step("detect_xlm_macros"))

    def keywords(self) -> list[tuple[str, str, str]]:
        """olevba's analysis: ``(type, keyword, description)`` (AutoExec, Suspicious, IOC...)."""
        return [(str(t), str(k), str(d)) for t, k, d in self._step("analyze_macros") or []]

    def modules(self) -> list[tuple[str, str]]:
        """``(module name, source)`` of every macro olevba extracts (XLM sheets included)."""
        modules: list[tuple[str, str]] = self._step("extract_macros")
        return modules

    def xlm_macros(self) -> list[str]:
        """The XLM formulas olevba collected while detecting them."""
        return [str(m) for m in (getattr(self._parser, "xlm_macros", None) or [])]

    def close(self) -> None:
        if self._parser is not None:
            with contextlib.suppress(Exception):  # a damaged OLE file: nothing to keep
                self._parser.close()


def vba_scan(cache: dict[str, Any] | None, name: str, data: bytes) -> VbaScan:
    """The scan of ``data``: the one in ``cache`` if it was made for these very bytes (the
    same object: the walk hands the same blob to mail's check and to the inspector), else a
    new one that replaces it there (the previous one is closed)."""
    held: VbaScan | None = cache.get(_KEY) if cache is not None else None
    if held is not None and held.data is data:
        return held
    if held is not None:
        held.close()
    scan = VbaScan(name, data)
    if cache is not None:
        cache[_KEY] = scan
    return scan
