"""What the walker yields: the bytes of one file or member, or a problem met on the way."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Blob:
    """The bytes of one file, archive member, document's text or historical git blob.

    ``path`` is relative to the input as given, archive members joined with ``!``
    (``backup.zip!wallet/seed.txt``). ``commit`` is the git commit that introduced this version
    (history only). ``origin``: ``file``, ``member`` (of an archive), ``text`` (text extracted
    from a document: docx/xlsx/pptx/odt/pdf; lines are those of the extracted text), ``git``.
    ``container`` names the archive format (``zip``, ``tar``, ``gzip``, ``bzip2``, ``xz``, ``7z``)
    when the walker opened this blob as one: its members follow it, so a scanner may skip the
    raw bytes (a tar or stored zip repeats its members' content verbatim). ``encrypted``: a
    member that was encrypted in its archive and read with one of the passwords supplied.
    """

    path: str
    data: bytes
    commit: str | None = None
    origin: str = "file"
    container: str | None = None
    encrypted: bool = False


@dataclass(frozen=True, slots=True)
class Problem:
    """Something not (fully) walked: a limit reached, a corrupt archive, an unreadable file."""

    path: str
    message: str
    limit: bool = False  # True when a safety bound stopped the walk (depth, size, ratio, time)
    # True when that bound (time, total size) ended the walk of the whole input: nothing after
    # this problem was walked, whatever archive it was in.
    stopped: bool = False
    # True when encryption kept the content (or, for a 7z with encrypted headers, the member
    # names) from being read: no password was supplied, or none of those supplied fits.
    encrypted: bool = False
