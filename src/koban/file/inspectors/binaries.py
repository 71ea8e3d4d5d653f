"""Executables (PE, Mach-O thin and universal, ELF): the inspector.

Choosing is cheap (true type or magic bytes); the analysis (:mod:`koban.file.binaries.analysis`,
with lief) is imported on the first executable met, so that runs over documents alone do not
pay for importing lief.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from koban.file.binaries.common import TYPES, kind_of
from koban.file.item import FileItem
from koban.model import Finding

if TYPE_CHECKING:
    from koban.file.context import FileContext

ORDER = 40


class BinariesInspector:
    name = "binaries"

    def applies(self, item: FileItem) -> bool:
        return item.true_type in TYPES or kind_of(item) is not None

    def inspect(self, item: FileItem, ctx: FileContext) -> Iterable[Finding]:
        from koban.file.binaries.analysis import ANALYSIS

        return ANALYSIS.inspect(item, ctx)


INSPECTOR = BinariesInspector()
