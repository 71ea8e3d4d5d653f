"""What importers produce: batches of normalised records for one feed as of one date."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from koban.intel.indicators import IndicatorType


@dataclass(slots=True)
class Record:
    """One indicator as one source lists it (``value`` already normalised)."""

    type: IndicatorType
    value: str
    entity: str = ""
    chain: str | None = None
    programs: tuple[str, ...] = ()
    attribution: str | None = None
    category: str | None = None
    description: str | None = None
    ref: str | None = None


@dataclass
class Batch:
    """All records one export of a feed lists. ``scope`` splits a source into feeds (a ticker)."""

    source: str
    as_of: str  # ISO date of the export (YYYY-MM-DD)
    format: str
    origin: str
    records: Iterable[Record]
    scope: str = ""
    as_of_basis: str = "export"  # where as_of came from: export | path | mtime | option
    details: dict[str, str] = field(default_factory=dict)
    # Entries that could not be used (file, line/key and why); the rest is imported.
    problems: list[str] = field(default_factory=list)


@dataclass
class YaraRuleFile:
    """A validated YARA source file to register for the file analyser."""

    name: str
    origin: str
    text: str
    rule_names: list[str]
    sha256: str
