"""Importers: each turns one kind of intel file into batches of normalised records.

An importer is a module with ``NAME``, ``sniff(path, head) -> bool`` (content, not extension) and
``read(path, options) -> list[Batch]`` (YARA: ``read_yara``). ``detect`` picks one by content.
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

from koban.errors import InputError
from koban.intel.importers import (
    csv_list,
    misp,
    ofac_sdn,
    stix,
    tagpack,
    ticker_list,
    yara_rules,
)
from koban.intel.importers.common import ImportOptions, read_head

IMPORTERS: dict[str, ModuleType] = {
    m.NAME: m for m in (ofac_sdn, stix, misp, tagpack, ticker_list, csv_list, yara_rules)
}


def detect(path: Path, forced: str | None = None) -> ModuleType:
    """The importer for ``path``: ``forced`` by name, or the first whose sniff accepts it."""
    if forced:
        try:
            return IMPORTERS[forced]
        except KeyError:
            raise InputError(
                str(path), f"unknown format {forced!r} (known: {', '.join(IMPORTERS)})"
            ) from None
    head = read_head(path)
    for module in IMPORTERS.values():
        if module.sniff(path, head):
            return module
    raise InputError(
        str(path),
        "unrecognised intel format (expected OFAC SDN advanced XML, "
        "STIX 2.1, MISP, GraphSense TagPack, ticker list, CSV or YARA); "
        "use --format to say which",
    )


__all__ = ["IMPORTERS", "ImportOptions", "detect"]
