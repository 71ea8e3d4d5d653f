"""The embedded indicator store (SQLite in ``KOBAN_HOME``).

One table of sightings keyed by (value, feed, entity): a value as one feed lists it. A feed is a
source (``ofac-sdn``) optionally split by scope (a ticker). Each import of a feed is one
transaction: a newer export marks what it no longer lists (``listed = 0``, ``delisted_on``), an
older one only widens ``first_seen``. A failed import leaves the store exactly as it was.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from koban.intel.indicators import (
    IndicatorType,
    NormaliseError,
    classify,
    normalise,
    normalise_url,
)
from koban.intel.records import Batch, Record, YaraRuleFile

SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS feed(
  id INTEGER PRIMARY KEY,
  source TEXT NOT NULL,
  scope TEXT NOT NULL DEFAULT '',
  latest_as_of TEXT,
  UNIQUE(source, scope));
CREATE TABLE IF NOT EXISTS import_log(
  id INTEGER PRIMARY KEY,
  feed_id INTEGER NOT NULL REFERENCES feed(id),
  as_of TEXT NOT NULL, as_of_basis TEXT NOT NULL, imported_at TEXT NOT NULL,
  origin TEXT NOT NULL, format TEXT NOT NULL,
  records INTEGER NOT NULL, added INTEGER NOT NULL, delisted INTEGER NOT NULL,
  relisted INTEGER NOT NULL,
  details TEXT NOT NULL DEFAULT '{}');
CREATE TABLE IF NOT EXISTS sighting(
  value TEXT NOT NULL,
  feed_id INTEGER NOT NULL,
  entity TEXT NOT NULL DEFAULT '',
  type TEXT NOT NULL,
  chain TEXT, programs TEXT, attribution TEXT, category TEXT, description TEXT, ref TEXT,
  first_seen TEXT NOT NULL, last_seen TEXT NOT NULL,
  listed INTEGER NOT NULL, delisted_on TEXT,
  PRIMARY KEY(value, feed_id, entity)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS yara_file(
  name TEXT PRIMARY KEY, origin TEXT NOT NULL, sha256 TEXT NOT NULL, rules INTEGER NOT NULL,
  rule_names TEXT NOT NULL, text TEXT NOT NULL, imported_at TEXT NOT NULL);
"""

_STAGE = """
CREATE TEMP TABLE IF NOT EXISTS staged(
  value TEXT NOT NULL, entity TEXT NOT NULL, type TEXT NOT NULL, chain TEXT, programs TEXT,
  attribution TEXT, category TEXT, description TEXT, ref TEXT,
  PRIMARY KEY(value, entity)) WITHOUT ROWID;
"""


_SELECT = (
    "SELECT value, feed_id, entity, type, chain, programs, attribution, category, "
    "description, ref, first_seen, last_seen, listed, delisted_on FROM sighting "
)
_RECHECK = 1.0  # seconds: "none stored" is asked again this often (another process may import)
_LINK_TYPES = (IndicatorType.DOMAIN, IndicatorType.URL, IndicatorType.IP, IndicatorType.EMAIL)
_LINK_VALUES = "SELECT DISTINCT value FROM sighting WHERE type IN ({})".format(
    ",".join(f"'{t.value}'" for t in _LINK_TYPES)
)
_LINK_VALUES_MAX = 2_000_000  # (about 200 MB of strings: beyond it, lookups query instead)
_BATCH = 2000 if sqlite3.sqlite_version_info >= (3, 32) else 900  # host-parameter limit


def _keys(query: str, kind: IndicatorType | None) -> list[str]:
    """Canonical values to look up for ``query``: itself, plus the host of a URL or e-mail."""
    if kind is None:
        got = classify(query)
        if got is None:
            return []
        kind, value = got
    else:
        try:
            value = normalise(kind, query)
        except NormaliseError:
            return []
    keys = [value]
    if kind is IndicatorType.URL:
        netloc = value.split("://", 1)[1].split("/", 1)[0].rsplit("@", 1)[-1]
        if not netloc.startswith("["):
            keys.append(netloc.rsplit(":", 1)[0])
    elif kind is IndicatorType.EMAIL:
        keys.append(value.rsplit("@", 1)[1])
    return keys


@dataclass(slots=True)
class Match:
    """One source's listing of a value, as ``intel lookup`` prints it."""

    type: str
    value: str
    source: str
    entity: str | None
    programs: list[str]
    attribution: str | None
    listed: bool
    first_seen: str
    last_seen: str
    chain: str | None = None
    category: str | None = None
    delisted_on: str | None = None
    scope: str | None = None
    description: str | None = None
    ref: str | None = None

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        return {k: v for k, v in d.items() if v is not None or k in ("entity", "attribution")}


@dataclass(frozen=True)
class ImportResult:
    source: str
    scope: str
    as_of: str
    as_of_basis: str
    origin: str
    format: str
    records: int
    added: int
    delisted: int
    relisted: int
    older_than_latest: bool


def _now() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()


def _row_values(r: Record) -> tuple[Any, ...]:
    return (
        r.value,
        r.entity,
        r.type.value,
        r.chain,
        json.dumps(list(r.programs)) if r.programs else None,
        r.attribution,
        r.category,
        r.description,
        r.ref,
    )


class IntelStore:
    """Open (and create) the store at ``path``; use as a context manager or call close()."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA foreign_keys=ON")
        self._db.executescript(_SCHEMA)
        version = self._db.execute("SELECT value FROM meta WHERE key='schema'").fetchone()
        if version is None:
            self._db.execute("INSERT INTO meta VALUES('schema', ?)", (str(SCHEMA_VERSION),))
        self._feeds: dict[int, tuple[str, str]] | None = None
        self._has_values = False  # once true, stays (imports mark, never delete)
        self._empty_until = 0.0  # monotonic time until which "no sightings" still holds
        # (data_version, stored link values or None when too many, whether any is a URL)
        self._links: tuple[int, frozenset[str] | None, bool] | None = None
        self._links_until = 0.0

    def __enter__(self) -> IntelStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._db.close()

    @property
    def connection(self) -> sqlite3.Connection:
        """The SQLite connection (autocommit), for modules that keep their own tables here."""
        return self._db

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One all-or-nothing transaction (imports of several batches share it)."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            self._feeds = None
            raise
        self._db.execute("COMMIT")
        self._feeds = None
        self._empty_until = 0.0
        self._links = None

    def _empty(self) -> bool:
        """Whether no indicator is stored, so that lookups cost nothing. While empty, asked
        again at most every second (another process may import) and at once after an import
        through this store; a store with sightings keeps them (imports mark, never delete)."""
        if self._has_values:
            return False
        now = time.monotonic()
        if now < self._empty_until:
            return True
        if self._db.execute("SELECT 1 FROM sighting LIMIT 1").fetchone() is None:
            self._empty_until = now + _RECHECK
            return True
        self._has_values = True
        return False

    # -- importing -------------------------------------------------------------------------

    def import_batches(
        self, batches: Iterable[Batch], yara_files: Sequence[YaraRuleFile] = ()
    ) -> list[ImportResult]:
        """Import all batches (and YARA files) in one transaction; any error rolls every one
        of them back."""
        with self.transaction():
            results = [self._import_batch(b) for b in batches]
            self._register_yara(yara_files)
            return results

    def _feed_id(self, source: str, scope: str) -> tuple[int, str | None]:
        db = self._db
        row = db.execute(
            "SELECT id, latest_as_of FROM feed WHERE source=? AND scope=?", (source, scope)
        ).fetchone()
        if row is not None:
            return int(row[0]), row[1]
        cur = db.execute("INSERT INTO feed(source, scope) VALUES(?, ?)", (source, scope))
        assert cur.lastrowid is not None
        return cur.lastrowid, None

    def _import_batch(self, batch: Batch) -> ImportResult:
        db = self._db
        db.execute(_STAGE)
        db.execute("DELETE FROM temp.staged")
        db.executemany(
            "INSERT OR IGNORE INTO temp.staged VALUES(?,?,?,?,?,?,?,?,?)",
            (_row_values(r) for r in batch.records),
        )
        records = db.execute("SELECT count(*) FROM temp.staged").fetchone()[0]
        feed_id, latest = self._feed_id(batch.source, batch.scope)
        newer = latest is None or batch.as_of >= latest
        before = db.execute("SELECT count(*) FROM sighting WHERE feed_id=?", (feed_id,)).fetchone()[
            0
        ]
        delisted = relisted = 0
        if newer:
            relisted = db.execute(
                "SELECT count(*) FROM sighting s JOIN temp.staged t "
                "ON s.value=t.value AND s.entity=t.entity WHERE s.feed_id=? AND s.listed=0",
                (feed_id,),
            ).fetchone()[0]
            db.execute(
                """INSERT INTO sighting(value, feed_id, entity, type, chain, programs, attribution,
                     category, description, ref, first_seen, last_seen, listed, delisted_on)
                   SELECT value, :feed, entity, type, chain, programs, attribution, category,
                          description, ref, :as_of, :as_of, 1, NULL FROM temp.staged WHERE true
                   ON CONFLICT(value, feed_id, entity) DO UPDATE SET
                     type=excluded.type, chain=excluded.chain, programs=excluded.programs,
                     attribution=excluded.attribution, category=excluded.category,
                     description=excluded.description, ref=excluded.ref,
                     first_seen=min(first_seen, excluded.first_seen),
                     last_seen=max(last_seen, excluded.last_seen),
                     listed=1, delisted_on=NULL""",
                {"feed": feed_id, "as_of": batch.as_of},
            )
            delisted = db.execute(
                """UPDATE sighting SET listed=0, delisted_on=:as_of
                   WHERE feed_id=:feed AND listed=1 AND NOT EXISTS (
                     SELECT 1 FROM temp.staged t
                     WHERE t.value=sighting.value AND t.entity=sighting.entity)""",
                {"feed": feed_id, "as_of": batch.as_of},
            ).rowcount
            db.execute("UPDATE feed SET latest_as_of=? WHERE id=?", (batch.as_of, feed_id))
        else:
            # An older export than one already imported: it can only tell us an earlier
            # first sighting; what it lists that the newer one does not stays unlisted.
            db.execute(
                """INSERT INTO sighting(value, feed_id, entity, type, chain, programs, attribution,
                     category, description, ref, first_seen, last_seen, listed, delisted_on)
                   SELECT value, :feed, entity, type, chain, programs, attribution, category,
                          description, ref, :as_of, :as_of, 0, :latest FROM temp.staged WHERE true
                   ON CONFLICT(value, feed_id, entity) DO UPDATE SET
                     first_seen=min(first_seen, excluded.first_seen)""",
                {"feed": feed_id, "as_of": batch.as_of, "latest": latest},
            )
        after = db.execute("SELECT count(*) FROM sighting WHERE feed_id=?", (feed_id,)).fetchone()[
            0
        ]
        db.execute("DELETE FROM temp.staged")
        result = ImportResult(
            batch.source,
            batch.scope,
            batch.as_of,
            batch.as_of_basis,
            batch.origin,
            batch.format,
            records,
            after - before,
            delisted,
            relisted,
            not newer,
        )
        db.execute(
            "INSERT INTO import_log(feed_id, as_of, as_of_basis, imported_at, origin, format, "
            "records, added, delisted, relisted, details) VALUES(?,?,?,?,?,?,?,?,?,?,?)",
            (
                feed_id,
                batch.as_of,
                batch.as_of_basis,
                _now(),
                batch.origin,
                batch.format,
                records,
                result.added,
                delisted,
                relisted,
                json.dumps(batch.details),
            ),
        )
        return result

    def _register_yara(self, files: Sequence[YaraRuleFile]) -> None:
        self._db.executemany(
            "INSERT OR REPLACE INTO yara_file VALUES(?,?,?,?,?,?,?)",
            [
                (
                    f.name,
                    f.origin,
                    f.sha256,
                    len(f.rule_names),
                    json.dumps(f.rule_names),
                    f.text,
                    _now(),
                )
                for f in files
            ],
        )

    def yara_files(self) -> list[YaraRuleFile]:
        rows = self._db.execute(
            "SELECT name, origin, text, rule_names, sha256 FROM yara_file ORDER BY name"
        )
        return [YaraRuleFile(n, o, t, json.loads(rn), s) for n, o, t, rn, s in rows]

    # -- looking up ------------------------------------------------------------------------

    def _feed_names(self) -> dict[int, tuple[str, str]]:
        if self._feeds is None:
            self._feeds = {
                i: (s, sc) for i, s, sc in self._db.execute("SELECT id, source, scope FROM feed")
            }
        return self._feeds

    def _match(self, row: tuple[Any, ...]) -> Match:
        (
            v,
            feed_id,
            entity,
            typ,
            chain,
            programs,
            attribution,
            category,
            description,
            ref,
            first,
            last,
            listed,
            delisted_on,
        ) = row
        source, scope = (self._feeds or self._feed_names())[feed_id]
        return Match(
            typ,
            v,
            source,
            entity or None,
            json.loads(programs) if programs else [],
            attribution,
            bool(listed),
            first,
            last,
            chain,
            category,
            delisted_on,
            scope or None,
            description,
            ref,
        )

    def matches(self, value: str) -> list[Match]:
        """Every sighting of a canonical ``value`` (already normalised)."""
        rows = self._db.execute(_SELECT + "WHERE value=?", (value,)).fetchall()
        return [self._match(r) for r in rows]

    def matches_many(self, values: Iterable[str]) -> dict[str, list[Match]]:
        """Sightings of many canonical values, fetched in batches (far fewer round trips)."""
        found: dict[str, list[Match]] = {}
        pending = list(dict.fromkeys(values))
        for i in range(0, len(pending), _BATCH):
            chunk = pending[i : i + _BATCH]
            sql = _SELECT + f"WHERE value IN ({','.join('?' * len(chunk))})"
            for row in self._db.execute(sql, chunk):
                found.setdefault(row[0], []).append(self._match(row))
        return found

    def lookup(self, query: str, kind: IndicatorType | None = None) -> list[Match]:
        """Matches for a value as a person types it: guessed type, normalised, plus the host of
        a URL or e-mail address (so a URL on a listed domain matches)."""
        if self._empty():
            return []
        keys = _keys(query, kind)
        if not keys:
            return []
        found = self.matches(keys[0])
        if len(keys) > 1:
            found += self.matches(keys[1])
        return found

    def lookup_link(self, url: str, hosts: Sequence[str]) -> list[Match]:
        """Matches for a link the URL analyser has parsed: the URL itself (normalised only when
        the store holds URLs at all: the costly part) and its host names. Asked of the stored
        link values in memory first (most links match nothing), then in one query."""
        if self._empty():
            return []
        known, urls = self._link_values()
        keys: list[str] = []
        if urls:
            with suppress(NormaliseError):
                keys.append(normalise_url(url))
        for host in hosts:
            got = classify(host)
            if got is not None:
                keys.append(got[1])
        if known is not None:
            keys = [k for k in keys if k in known]
            if not keys:
                return []
        keys = list(dict.fromkeys(keys))
        found = self.matches_many(keys)
        return [m for k in keys for m in found.get(k, ())]

    def _link_values(self) -> tuple[frozenset[str] | None, bool]:
        """(stored domains, URLs, IPs and e-mail addresses, whether any is a URL), held in
        memory for ``lookup_link``; (None, True) when there are more than ``_LINK_VALUES_MAX``:
        then every lookup queries. Read again after an import through this store, or when
        another connection has written (asked at most every second)."""
        now = time.monotonic()
        if self._links is None or now >= self._links_until:
            version = self._db.execute("PRAGMA data_version").fetchone()[0]
            self._links_until = now + _RECHECK
            if self._links is None or self._links[0] != version:
                self._links = (version, *self._read_link_values())
        return self._links[1], self._links[2]

    def _read_link_values(self) -> tuple[frozenset[str] | None, bool]:
        values: set[str] = set()
        urls = False
        for (value,) in self._db.execute(_LINK_VALUES):
            values.add(value)
            urls = urls or "://" in value
            if len(values) > _LINK_VALUES_MAX:
                return None, True
        return frozenset(values), urls

    def lookup_many(self, queries: Sequence[str]) -> list[list[Match]]:
        """``lookup`` for many values at once (same results, in order, batched queries)."""
        if self._empty():
            return [[] for _ in queries]
        keyed = [_keys(q, None) for q in queries]
        found = self.matches_many(k for ks in keyed for k in ks)
        return [[m for k in ks for m in found.get(k, ())] for ks in keyed]

    # -- statistics and export -------------------------------------------------------------

    def stats(self) -> dict[str, Any]:
        db = self._db
        by_type = dict(db.execute("SELECT type, count(*) FROM sighting GROUP BY type"))
        feeds = []
        for source, scope, latest, total, listed in db.execute(
            "SELECT f.source, f.scope, f.latest_as_of, count(s.value), coalesce(sum(s.listed), 0) "
            "FROM feed f LEFT JOIN sighting s ON s.feed_id=f.id GROUP BY f.id "
            "ORDER BY f.source, f.scope"
        ):
            feeds.append(
                {
                    "source": source,
                    "scope": scope or None,
                    "as_of": latest,
                    "indicators": total,
                    "listed": listed,
                }
            )
        distinct = db.execute("SELECT count(DISTINCT value) FROM sighting").fetchone()[0]
        yara_rules = db.execute(
            "SELECT coalesce(sum(rules), 0), count(*) FROM yara_file"
        ).fetchone()
        size = sum(p.stat().st_size for p in self.path.parent.glob(self.path.name + "*"))
        return {
            "store": str(self.path),
            "size_bytes": size,
            "distinct_values": distinct,
            "sightings_by_type": by_type,
            "feeds": feeds,
            "yara": {"files": yara_rules[1], "rules": yara_rules[0]},
        }

    def imports(self) -> list[dict[str, Any]]:
        rows = self._db.execute(
            "SELECT f.source, f.scope, i.as_of, i.as_of_basis, i.imported_at, i.origin, i.format, "
            "i.records, i.added, i.delisted, i.relisted FROM import_log i "
            "JOIN feed f ON f.id=i.feed_id ORDER BY i.id"
        )
        keys = (
            "source",
            "scope",
            "as_of",
            "as_of_basis",
            "imported_at",
            "origin",
            "format",
            "records",
            "added",
            "delisted",
            "relisted",
        )
        return [dict(zip(keys, r, strict=True)) for r in rows]

    def iter_sightings(self) -> Iterator[Match]:
        for row in self._db.execute(_SELECT + "ORDER BY feed_id, value"):
            yield self._match(row)
