"""Errors that koban reports to people: each names the input and the problem."""

from __future__ import annotations


class KobanError(Exception):
    """Base class for errors koban reports as a clear message (exit status 2)."""


class InputError(KobanError):
    """An input could not be used: names the input, where in it, and what is wrong."""

    def __init__(
        self,
        source: str,
        problem: str,
        *,
        line: int | None = None,
        key: str | None = None,
        position: str | None = None,
    ) -> None:
        self.source = source
        self.problem = problem
        self.line = line
        self.key = key
        self.position = position
        super().__init__(self.describe())

    def describe(self) -> str:
        where = self.source
        if self.line is not None:
            where += f":{self.line}"
        if self.position:
            where += f" ({self.position})"
        if self.key:
            where += f": key {self.key!r}"
        return f"{where}: {self.problem}"


class NetworkError(KobanError):
    """A feed could not be fetched; nothing was changed."""
