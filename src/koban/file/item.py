"""What inspectors look at (:class:`FileItem`) and what they are (:class:`Inspector`)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, overload

from koban.model import Finding

if TYPE_CHECKING:
    from koban.file.context import FileContext


class _OnFirstRead:
    """A text field that may be given as a function instead: called on first read, once.

    libmagic's description costs milliseconds on a text member and most items never have it
    read (only findings that quote it, and script detection, do): ``identify_lazily`` hands
    the field a function, and the walk does not wait for libmagic."""

    def __set_name__(self, owner: type, name: str) -> None:
        self._slot = "_" + name

    @overload
    def __get__(self, obj: None, owner: type | None = None) -> str: ...
    @overload
    def __get__(self, obj: object, owner: type | None = None) -> str: ...
    def __get__(self, obj: object | None, owner: type | None = None) -> str:
        if obj is None:
            return ""  # the field's default
        value = obj.__dict__[self._slot]
        if callable(value):
            value = obj.__dict__[self._slot] = value()
        text: str = value
        return text

    def __set__(self, obj: object, value: str | Callable[[], str]) -> None:
        obj.__dict__[self._slot] = value


@dataclass(frozen=True)
class FileItem:
    """One file or archive member, with its true type.

    ``path`` is the display path (relative to the input, archive members joined with ``!``);
    ``name`` the file name as declared (the last segment, what a user double-clicks);
    ``true_type`` a short type name from :mod:`koban.file.identify` (``pe``, ``macho``, ``elf``,
    ``zip``, ``docx``, ``docm``, ``xlsm``, ``ole``, ``rtf``, ``pdf``, ``lnk``, ``iso``, ``udf``,
    ``dmg``, ``asar``, ``npm``, ``wheel``, ``sdist``, ``script``, ``text``...);
    ``description`` what libmagic (or our signature) says; ``depth`` 0 for an input file,
    1 and more for members; ``fs_path`` the file on disk (inputs only: provenance beside it).
    """

    path: str
    name: str
    data: bytes
    true_type: str
    description: _OnFirstRead = _OnFirstRead()  # str, or a function giving it
    depth: int = 0
    fs_path: Path | None = None
    container: str | None = None  # archive format when the walker opened this item


class Inspector(Protocol):
    """One family of checks (Office macros, LNK targets, Authenticode...).

    ``applies`` is cheap (type, name, a few bytes); ``inspect`` returns findings (rules
    ``file.*``) for this item only, located at ``item.path``. Inspectors never execute content,
    never write outside a private temp dir, and turn malformed input into a finding or nothing,
    never an exception (the orchestrator still catches one and reports it as
    ``file.inspector_error``).
    """

    name: str

    def applies(self, item: FileItem) -> bool: ...

    def inspect(self, item: FileItem, ctx: FileContext) -> Iterable[Finding]: ...
