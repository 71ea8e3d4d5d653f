"""The store: one transaction per import, listing state across exports, lookups."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from koban.intel.indicators import IndicatorType
from koban.intel.records import Batch, Record
from koban.intel.store import IntelStore

A = "0x098b716b8aaf21512996dc57eb0615e2383e2f96"
B = "0xa0e1c89ef1a489c9c7de96311ed5ce5d32c20e4b"


def rec(value: str, **kw: object) -> Record:
    return Record(IndicatorType.ADDRESS, value, **kw)  # type: ignore[arg-type]


def batch(as_of: str, *records: Record, source: str = "test", scope: str = "") -> Batch:
    return Batch(
        source=source, as_of=as_of, format="test", origin="mem", records=list(records), scope=scope
    )


def test_listing_lifecycle(store: IntelStore) -> None:
    store.import_batches([batch("2025-01-01", rec(A), rec(B))])
    [r] = store.import_batches([batch("2025-02-01", rec(A))])
    assert (r.records, r.added, r.delisted, r.relisted) == (1, 0, 1, 0)
    [b] = store.lookup(B)
    assert not b.listed and b.delisted_on == "2025-02-01" and b.last_seen == "2025-01-01"
    [r] = store.import_batches([batch("2025-03-01", rec(A), rec(B))])
    assert r.relisted == 1
    [b] = store.lookup(B)
    assert b.listed and b.delisted_on is None and b.first_seen == "2025-01-01"
    assert b.last_seen == "2025-03-01"


def test_older_export_only_widens_first_seen(store: IntelStore) -> None:
    store.import_batches([batch("2025-06-01", rec(A))])
    [r] = store.import_batches([batch("2025-01-01", rec(A), rec(B))])
    assert r.older_than_latest
    [a] = store.lookup(A)
    assert a.listed and a.first_seen == "2025-01-01" and a.last_seen == "2025-06-01"
    [b] = store.lookup(B)
    assert not b.listed and b.delisted_on == "2025-06-01"


def test_scopes_are_separate_feeds(store: IntelStore) -> None:
    store.import_batches(
        [batch("2025-01-01", rec(A), scope="ETH"), batch("2025-01-01", rec(B), scope="USDT")]
    )
    store.import_batches([batch("2025-02-01", rec(A), scope="ETH")])
    assert store.lookup(B)[0].listed  # the USDT list was not re-imported


def test_failed_import_leaves_store_unchanged(store: IntelStore) -> None:
    store.import_batches([batch("2025-01-01", rec(A))])
    before = (store.stats(), store.imports())

    def broken() -> Iterator[Record]:
        yield rec(B)
        raise ValueError("disk on fire")

    with pytest.raises(ValueError, match="disk on fire"):
        store.import_batches(
            [batch("2025-02-01", rec(A)), Batch("test", "2025-02-01", "test", "mem", broken())]
        )
    assert (store.stats(), store.imports()) == before
    assert store.lookup(A)[0].last_seen == "2025-01-01"


def test_lookup_normalises_and_follows_hosts(store: IntelStore) -> None:
    store.import_batches(
        [
            batch(
                "2025-01-01",
                Record(IndicatorType.DOMAIN, "xn--bitflyr-gya.com", entity="IDN look-alike"),
                Record(IndicatorType.DOMAIN, "evil.example"),
                Record(IndicatorType.EMAIL, "recruiter@evil.example"),
                rec(A, programs=("DPRK3",), attribution="Lazarus Group"),
            )
        ]
    )
    assert store.lookup("bitflyér.com")[0].entity == "IDN look-alike"
    assert store.lookup(A.upper().replace("0X", "0x"))[0].programs == ["DPRK3"]
    assert [m.value for m in store.lookup("hxxps://EVIL[.]example/login")] == ["evil.example"]
    assert {m.value for m in store.lookup("Recruiter@Evil.Example")} == {
        "recruiter@evil.example",
        "evil.example",
    }
    assert store.lookup("not-an-indicator") == []
    queries = [A, "evil.example", "nothing.example", "https://evil.example/"]
    assert store.lookup_many(queries) == [store.lookup(q) for q in queries]


def test_match_json_shape(store: IntelStore) -> None:
    store.import_batches([batch("2025-01-01", rec(A, entity="Lazarus Group", chain="ethereum"))])
    d = store.lookup(A)[0].to_dict()
    for key in (
        "type",
        "value",
        "source",
        "entity",
        "programs",
        "attribution",
        "listed",
        "first_seen",
        "last_seen",
    ):
        assert key in d
    assert d["attribution"] is None and d["programs"] == []


def test_reopen_and_stats(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    with IntelStore(path) as s:
        s.import_batches([batch("2025-01-01", rec(A), rec(B))])
    with IntelStore(path) as s:
        stats = s.stats()
        assert stats["distinct_values"] == 2 and stats["sightings_by_type"] == {"address": 2}
        assert stats["feeds"][0]["as_of"] == "2025-01-01" and stats["size_bytes"] > 0
        assert len(s.imports()) == 1


def test_empty_store_sees_imports_here_at_once_and_elsewhere_within_a_second(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An empty store answers lookups without querying, but never hides an import."""
    path = tmp_path / "intel.sqlite"
    with IntelStore(path) as reader, IntelStore(path) as writer:
        assert reader.lookup(A) == [] and reader.lookup_many([A, B]) == [[], []]
        reader.import_batches([batch("2025-01-01", rec(B))])  # through this very store: at once
        assert [m.value for m in reader.lookup(B)] == [B]
        with IntelStore(tmp_path / "other.sqlite") as other, IntelStore(other.path) as again:
            assert other.lookup(A) == []
            again.import_batches([batch("2025-01-01", rec(A))])  # another connection
            clock = time.monotonic() + 1.5
            monkeypatch.setattr("koban.intel.store.time.monotonic", lambda: clock)
            assert [m.value for m in other.lookup(A)] == [A]  # seen once the second is over
        assert writer.lookup(B) != []


def test_lookup_link_finds_what_lookup_finds(store: IntelStore) -> None:
    store.import_batches(
        [
            batch(
                "2025-01-01",
                Record(IndicatorType.DOMAIN, "evil.example"),
                Record(IndicatorType.DOMAIN, "login.phish.example"),
                Record(IndicatorType.URL, "https://files.example/payload.zip"),
                Record(IndicatorType.IP, "203.0.113.5"),
            )
        ]
    )
    cases = [
        ("https://login.evil.example/x", ["login.evil.example", "evil.example"]),
        ("https://login.phish.example/", ["login.phish.example", "phish.example"]),
        ("HTTPS://FILES.example/payload.zip#top", ["files.example"]),
        ("http://203.0.113.5/a", ["203.0.113.5"]),
        ("https://nothing.example/", ["nothing.example"]),
    ]
    for url, hosts in cases:
        expected = {(m.value, m.source) for q in (url, *hosts) for m in store.lookup(q)}
        assert {(m.value, m.source) for m in store.lookup_link(url, hosts)} == expected, url
    assert [m.value for m in store.lookup_link("https://files.example/payload.zip", [])] == [
        "https://files.example/payload.zip"
    ]


def test_lookup_link_sees_another_connections_import(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "intel.sqlite"
    with IntelStore(path) as reader, IntelStore(path) as writer:
        writer.import_batches([batch("2025-01-01", Record(IndicatorType.DOMAIN, "a.example"))])
        assert reader.lookup_link("https://b.example/", ["b.example"]) == []
        writer.import_batches([batch("2025-01-02", Record(IndicatorType.DOMAIN, "b.example"))])
        clock = time.monotonic() + 1.5
        monkeypatch.setattr("koban.intel.store.time.monotonic", lambda: clock)
        [m] = reader.lookup_link("https://b.example/", ["b.example"])
        assert m.value == "b.example"
