"""Per-run state of the file analyser: profile, intel store, options, lazily built tables."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from koban.containers import Limits
from koban.file.item import Inspector
from koban.intel.store import IntelStore
from koban.profile import Profile


@dataclass(frozen=True)
class FileOptions:
    """What the user told us about the inputs (all optional)."""

    origin: str | None = None  # --origin URL: where the user got the file
    zone_id: Path | None = None  # --zone-id FILE: a Zone.Identifier stream saved as a file
    checksums: Path | None = None  # --checksums FILE: publisher's SHA256SUMS-style list
    signature: Path | None = None  # --signature FILE: detached signature of the input
    passwords: tuple[str, ...] = ()  # tried on encrypted archive members
    # Tried on encrypted Office documents after the built-in ones; ``None``: ``passwords``.
    # The CLI leaves out its malware-archive defaults here: each try at an agile (AES)
    # document costs a 100,000-round key derivation, and nobody locks a lure with "infected".
    office_passwords: tuple[str, ...] | None = None
    known_good: Path | None = None  # --known-good FILE: manifest of a good build's hashes
    limits: Limits = field(default_factory=Limits)
    jobs: int = 1  # worker processes for a folder's files (0: one per core)

    @property
    def document_passwords(self) -> tuple[str, ...]:
        """The passwords to try on an encrypted Office document (after the built-in ones)."""
        return self.passwords if self.office_passwords is None else self.office_passwords


class FileContext:
    """Built once per command; inspectors read what they need from it."""

    def __init__(
        self,
        profile: Profile | None = None,
        store: IntelStore | None = None,
        options: FileOptions | None = None,
        url_context: Any = None,
    ) -> None:
        self.profile = profile or Profile()
        self.store = store
        self.options = options or FileOptions()
        self.cache: dict[str, Any] = {}  # inspectors' lazily built tables, by inspector name
        self.extra_inspectors: list[Inspector] = []  # run after the discovered ones
        if url_context is not None:  # a caller that has one already (the mail analyser)
            self.__dict__["url_context"] = url_context

    @cached_property
    def url_context(self) -> Any:
        """The URL analyser's context (download origins are judged by it)."""
        from koban.url import build_context

        return build_context(self.profile, self.store)

    def with_options(self, options: FileOptions) -> FileContext:
        """The same context (tables, URL context, extra inspectors) with other options: the
        mail analyser triages each message's attachments with that message's passwords."""
        other = FileContext(self.profile, self.store, options, self.url_context)
        other.cache = self.cache
        other.extra_inspectors = self.extra_inspectors
        return other
