"""One pass over a blob with every detector's patterns, then each detector confirms its hits.

Hyperscan (when installed: x86_64) matches all patterns of all detectors at once at hundreds of
MB/s and reports the end offset of every match; most blobs produce no hit at all and cost only
that pass. Without Hyperscan the same patterns run with Python's ``re`` (one alternation per
detector), slower but with the same results: detectors treat end offsets as hints and re-examine
the data themselves.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
from collections.abc import Sequence
from typing import Any

from koban.home import cache_dir
from koban.keys.secret import Detector, Secret

_hs: Any
try:  # pragma: no cover - depends on the platform
    import hyperscan as _hs
except ImportError:  # pragma: no cover
    _hs = None


class Prefilter:
    """Runs ``detectors`` over UTF-8 data and returns what they confirm."""

    def __init__(self, detectors: Sequence[Detector], *, engine: str | None = None) -> None:
        self.detectors = list(detectors)
        wanted = engine or ("hyperscan" if _hs is not None else "re")
        if wanted == "hyperscan" and _hs is None:
            raise RuntimeError("hyperscan is not installed")
        self.engine = wanted
        self._owner: list[int] = []
        expressions: list[bytes] = []
        for index, detector in enumerate(self.detectors):
            for pattern in detector.patterns:
                expressions.append(pattern)
                self._owner.append(index)
        self._db: Any = None
        self._compiled: list[re.Pattern[bytes]] = []
        if self.engine == "hyperscan":
            self._db = _hyperscan_db(expressions)
        else:
            self._compiled = [
                re.compile(b"|".join(b"(?:" + p + b")" for p in d.patterns)) for d in self.detectors
            ]

    def hits(self, data: bytes) -> list[list[int]]:
        """End offsets of pattern matches, per detector (sorted, without duplicates)."""
        per: list[list[int]] = [[] for _ in self.detectors]
        if not data:
            return per
        if self._db is not None:
            owner = self._owner

            def on_match(pattern: int, _start: int, end: int, _flags: int, _ctx: Any) -> None:
                per[owner[pattern]].append(end)

            self._db.scan(data, match_event_handler=on_match)
            return [sorted(set(ends)) if len(ends) > 1 else ends for ends in per]
        for index, pattern in enumerate(self._compiled):
            per[index] = [m.end() for m in pattern.finditer(data)]
        return per

    def secrets(self, data: bytes) -> list[Secret]:
        """Everything the detectors confirm in ``data``, overlaps resolved (see :func:`resolve`)."""
        found: list[Secret] = []
        for detector, ends in zip(self.detectors, self.hits(data), strict=True):
            if ends:
                found.extend(detector.confirm(data, ends))
        return resolve(found)


def resolve(found: list[Secret]) -> list[Secret]:
    """One secret per place: a secret lying wholly inside another (an exact duplicate, the hex
    key inside a keystore, a word run inside a PEM body) is dropped; the longer one stays."""
    if len(found) <= 1:
        return found
    ordered = sorted(found, key=lambda s: (s.start, -(s.end - s.start)))
    kept: list[Secret] = []
    for secret in ordered:
        if not any(k.start <= secret.start and secret.end <= k.end for k in kept):
            kept.append(secret)
    return kept


def _compile(expressions: list[bytes]) -> Any:
    db = _hs.Database(mode=_hs.HS_MODE_BLOCK)
    db.compile(
        expressions=expressions,
        ids=list(range(len(expressions))),
        elements=len(expressions),
        flags=[0] * len(expressions),
    )
    return db


def _hyperscan_db(expressions: list[bytes]) -> Any:
    """The compiled database, from the cache dir when it was compiled before.

    Compiling the seed-phrase patterns (every wordlist) takes seconds; loading takes
    milliseconds. The file name is a digest of the patterns and the Hyperscan version, so a
    changed detector or library compiles anew; a damaged file is recompiled and replaced."""
    key = hashlib.sha256(b"\0".join([str(getattr(_hs, "__version__", "")).encode(), *expressions]))
    path = cache_dir() / f"hyperscan-{key.hexdigest()[:24]}.db"
    with contextlib.suppress(OSError, _hs.error, ValueError, TypeError):
        if path.is_file():
            db = _hs.loadb(path.read_bytes(), mode=_hs.HS_MODE_BLOCK)
            db.scratch = _hs.Scratch(db)  # a loaded database comes without scratch space
            db.scan(b"koban", match_event_handler=None)  # usable here, or recompiled below
            return db
    db = _compile(expressions)
    with contextlib.suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(_hs.dumpb(db))
        os.replace(tmp, path)
    return db
