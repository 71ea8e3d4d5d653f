"""Hashes against the intel store: a file whose MD5, SHA-1 or SHA-256 a feed lists.

The store already knows what a listing means (:func:`koban.intel.matching.findings_for`): a hash
attributed to Lazarus Group is ``intel.threat_actor`` (critical) and says so, any other current
listing ``intel.known_indicator``. This inspector only hashes each item once (the digests are
cached on ``ctx.cache`` for the other inspectors: checksums, known-good manifests) and points
the findings at the item. Without a store it does nothing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

from koban.file.context import FileContext
from koban.file.item import FileItem
from koban.intel.matching import findings_for
from koban.model import Finding, Location

ORDER = 90
_CACHE = "digests"


@dataclass(frozen=True, slots=True)
class Digests:
    """Hex digests of one item's bytes."""

    md5: str
    sha1: str
    sha256: str

    def as_dict(self) -> dict[str, str]:
        return {"md5": self.md5, "sha1": self.sha1, "sha256": self.sha256}


def digests(item: FileItem, ctx: FileContext) -> Digests:
    """MD5, SHA-1 and SHA-256 of ``item``, computed once whichever inspector asks first.

    Only the item being inspected is cached (keyed by its path, checked against its very bytes
    object): two inputs of one run may share a display path, and a folder's worth of digests
    kept alive would pin every file's bytes."""
    cached: tuple[str, bytes, Digests] | None = ctx.cache.get(_CACHE)
    if cached is not None and cached[0] == item.path and cached[1] is item.data:
        return cached[2]
    data = item.data
    found = Digests(
        hashlib.md5(data, usedforsecurity=False).hexdigest(),
        hashlib.sha1(data, usedforsecurity=False).hexdigest(),
        hashlib.sha256(data).hexdigest(),
    )
    ctx.cache[_CACHE] = (item.path, data, found)
    return found


class HashIntel:
    name = "intel"

    def applies(self, item: FileItem) -> bool:
        return True

    def inspect(self, item: FileItem, ctx: FileContext) -> Iterable[Finding]:
        if ctx.store is None:
            return []
        d = digests(item, ctx)
        queries = [d.sha256, d.sha1, d.md5]
        out: list[Finding] = []
        seen: set[str] = set()
        for query, matches in zip(queries, ctx.store.lookup_many(queries), strict=True):
            for finding in findings_for(query, matches):
                if finding.rule in seen:  # feeds listing several digests of one sample
                    continue
                seen.add(finding.rule)
                out.append(
                    finding.model_copy(
                        update={
                            "message": f"{item.name}: {finding.message}",
                            "location": Location(path=item.path),
                            "evidence": {**finding.evidence, "hashes": d.as_dict()},
                        }
                    )
                )
        return out


INSPECTOR = HashIntel()
