"""STIX 2.1 export of the store: content, revocation, determinism, round trip, CLI."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import stix2
from click.testing import CliRunner

from koban.cli import cli
from koban.intel.export import export_stix, pattern_for
from koban.intel.importers import ImportOptions, detect, stix
from koban.intel.importing import import_source
from koban.intel.indicators import IndicatorType as T
from koban.intel.records import Batch, Record
from koban.intel.store import IntelStore

LAZARUS = "Lazarus Group"
ETH_A = "0x098b716b8aaf21512996dc57eb0615e2383e2f96"  # OFAC: LAZARUS GROUP (Ronin)
ETH_B = "0xa0e1c89ef1a489c9c7de96311ed5ce5d32c20e4b"  # OFAC: LAZARUS GROUP, dropped below
TORNADO = "0x8589427373d6d84e98730d7795d8f6f8731fda16"  # OFAC: TORNADO CASH (a mixer)
MD5 = "245bb604621cea7962668325995bca7c"
SHA1 = "cc5544eff3e5b9cf20d8cf2291147596d4346dbe"
SHA256 = "eee4e3612af96b694e28e3794c4ee4af2579768e8ec6b21daf71acfc6e22d52b"
URL = "https://oilycargo.com/download/it's.msi"  # a quote, escaped in the pattern

PATTERNS = {
    ETH_A: f"[x-crypto-address:value = '{ETH_A}']",
    TORNADO: f"[x-crypto-address:value = '{TORNADO}']",
    "bloxholder.com": "[domain-name:value = 'bloxholder.com']",
    "wirexpro.com": "[domain-name:value = 'wirexpro.com']",
    URL: "[url:value = 'https://oilycargo.com/download/it\\'s.msi']",
    "198.51.100.23": "[ipv4-addr:value = '198.51.100.23']",
    "2001:db8::23": "[ipv6-addr:value = '2001:db8::23']",
    "philip.je@proton.me": "[email-addr:value = 'philip.je@proton.me']",
    MD5: f"[file:hashes.'MD5' = '{MD5}']",
    SHA1: f"[file:hashes.'SHA-1' = '{SHA1}']",
    SHA256: f"[file:hashes.'SHA-256' = '{SHA256}']",
}
ATTRIBUTED = set(PATTERNS) - {TORNADO, "wirexpro.com"}  # to Lazarus Group


def _ofac(as_of: str, *addresses: str) -> Batch:
    records = [
        Record(
            T.ADDRESS,
            a,
            entity="LAZARUS GROUP",
            chain="eth",
            programs=("DPRK3",),
            attribution=LAZARUS,
            category="threat-actor",
            description="Digital Currency Address - ETH",
            ref="FixedRef 27307",
        )
        for a in addresses
    ]
    records.append(
        Record(
            T.ADDRESS,
            TORNADO,
            entity="TORNADO CASH",
            chain="eth",
            programs=("CYBER2", "DPRK3"),
            category="mixer",
            ref="FixedRef 39796",
        )
    )
    return Batch("ofac-sdn", as_of, "ofac-sdn", "sdn_advanced.xml", records)


def _volexity() -> Batch:
    lazarus: dict[str, Any] = {"attribution": LAZARUS, "category": "threat-actor"}
    records = [
        Record(T.DOMAIN, "bloxholder.com", entity="AppleJeus C2 server", **lazarus),
        Record(T.URL, URL, entity="AppleJeus payload", **lazarus),
        Record(T.IP, "198.51.100.23", entity="AppleJeus C2 hosting", **lazarus),
        Record(T.IP, "2001:db8::23", entity="AppleJeus C2 hosting", **lazarus),
        Record(T.EMAIL, "philip.je@proton.me", entity="3CX registrant", **lazarus),
        Record(T.MD5, MD5, entity="MSI installer containing AppleJeus", **lazarus),
        Record(T.SHA1, SHA1, entity="MSI installer containing AppleJeus", **lazarus),
        Record(
            T.SHA256,
            SHA256,
            entity="MSI installer containing AppleJeus",
            ref="https://www.volexity.com/blog/2022/12/01/buyer-beware/",
            **lazarus,
        ),
        Record(T.DOMAIN, "wirexpro.com", entity="Fake trading site"),
    ]
    return Batch("csv:volexity", "2022-12-01", "csv", "indicators.csv", records)


def _misp() -> Batch:
    record = Record(
        T.DOMAIN,
        "bloxholder.com",
        entity="AppleJeus event",
        attribution=LAZARUS,
        category="threat-actor",
        ref="5515de69-7ba7-4a37-8fb4-538fb27fc77e",
    )
    return Batch("misp:Fixture CERT", "2023-08-22", "misp", "event.json", [record], scope="ev-1")


def _populate(store: IntelStore) -> None:
    store.import_batches([_ofac("2024-05-03", ETH_A, ETH_B), _volexity(), _misp()])
    # A newer OFAC export no longer lists ETH_B.
    store.import_batches([_ofac("2025-01-01", ETH_A)])


@pytest.fixture
def populated(store: IntelStore) -> IntelStore:
    _populate(store)
    return store


def _objects(text: str) -> list[Any]:
    bundle = stix2.parse(text, allow_custom=True)
    assert bundle.type == "bundle"
    return list(bundle.objects)


def _indicators(objects: list[Any]) -> dict[str, Any]:
    """Indicators by the value in their pattern."""
    found = {}
    for o in objects:
        if o.type == "indicator":
            [(_, value)] = stix.pattern_values(o.pattern)
            found[value] = o
    return found


def test_bundle_content(populated: IntelStore) -> None:
    objects = _objects(export_stix(populated))
    [producer] = [o for o in objects if o.type == "identity"]
    assert (producer.name, producer.identity_class) == ("koban", "system")
    assert all(o.created_by_ref == producer.id for o in objects)

    [lazarus] = [o for o in objects if o.type == "intrusion-set"]
    assert lazarus.name == LAZARUS
    assert {"APT38", "TraderTraitor", "BlueNoroff", "Hidden Cobra"} <= set(lazarus.aliases)
    # Spellings that only differ in case or punctuation are not repeated.
    assert not {"lazarusgroup", "HIDDEN COBRA", "Blue Noroff"} & set(lazarus.aliases)
    assert (str(lazarus.first_seen), str(lazarus.last_seen)) == (
        "2022-12-01 00:00:00+00:00",
        "2025-01-01 00:00:00+00:00",
    )

    indicators = _indicators(objects)
    assert {v: i.pattern for v, i in indicators.items()} == PATTERNS  # ETH_B is left out
    for i in indicators.values():
        assert i.pattern_type == "stix" and not i.get("revoked", False)

    eth = indicators[ETH_A]
    assert eth.name == "LAZARUS GROUP"
    assert str(eth.valid_from) == "2024-05-03 00:00:00+00:00"  # first seen
    assert str(eth.modified) == "2025-01-01 00:00:00+00:00"  # last seen
    assert eth.indicator_types == ["malicious-activity", "attribution"]
    assert eth.labels == ["DPRK3", "threat-actor"]
    [ref] = eth.external_references
    assert (ref.source_name, ref.external_id) == ("ofac-sdn", "FixedRef 27307")
    assert (
        "programs DPRK3" in ref.description and "listed, first seen 2024-05-03" in ref.description
    )

    # A value two sources list: one reference each, the earliest sighting as valid_from.
    blox = indicators["bloxholder.com"]
    assert [r.source_name for r in blox.external_references] == [
        "csv:volexity",
        "misp:Fixture CERT[ev-1]",
    ]
    assert blox.name == "AppleJeus C2 server; AppleJeus event"
    assert str(blox.valid_from) == "2022-12-01 00:00:00+00:00"
    assert "misp:Fixture CERT[ev-1]: listed, first seen 2023-08-22" in blox.description
    [sha_ref] = indicators[SHA256].external_references
    assert sha_ref.url == "https://www.volexity.com/blog/2022/12/01/buyer-beware/"

    mixer = indicators[TORNADO]
    assert mixer.indicator_types == ["anonymization"]
    assert mixer.labels == ["CYBER2", "DPRK3", "mixer"]
    assert indicators["wirexpro.com"].indicator_types == ["malicious-activity"]

    relationships = [o for o in objects if o.type == "relationship"]
    assert {r.relationship_type for r in relationships} == {"indicates"}
    assert {r.target_ref for r in relationships} == {lazarus.id}
    by_id = {i.id: v for v, i in indicators.items()}
    assert sorted(by_id[r.source_ref] for r in relationships) == sorted(ATTRIBUTED)


def test_include_unlisted_revokes(populated: IntelStore) -> None:
    objects = _objects(export_stix(populated, include_unlisted=True))
    indicators = _indicators(objects)
    assert set(indicators) == {*PATTERNS, ETH_B}
    dropped = indicators[ETH_B]
    assert dropped.revoked is True
    assert str(dropped.valid_until) == "2025-01-01 00:00:00+00:00"  # when it was dropped
    assert "no longer listed (dropped 2025-01-01)" in dropped.external_references[0].description
    assert [v for v, i in indicators.items() if i.get("revoked", False)] == [ETH_B]
    [rel] = [o for o in objects if o.type == "relationship" and o.source_ref == dropped.id]
    assert rel.revoked is True


def test_pattern_escapes_and_validates() -> None:
    pattern = pattern_for(T.URL, "https://a.example/x\\y'z")
    assert pattern == "[url:value = 'https://a.example/x\\\\y\\'z']"
    assert stix.pattern_values(pattern) == [(T.URL, "https://a.example/x\\y'z")]


def test_export_is_deterministic(tmp_path: Path, populated: IntelStore) -> None:
    text = export_stix(populated)
    assert export_stix(populated) == text
    with IntelStore(tmp_path / "other.sqlite") as other:
        _populate(other)
        assert export_stix(other) == text  # same content, same ids and bytes
        other.import_batches(
            [Batch("extra", "2025-02-02", "csv", "x.csv", [Record(T.DOMAIN, "new.example")])]
        )
        changed = export_stix(other)
    old, new = json.loads(text), json.loads(changed)
    assert old["id"] != new["id"]
    old_ids = [o["id"] for o in old["objects"]]
    new_ids = [o["id"] for o in new["objects"]]
    assert set(old_ids) < set(new_ids)  # existing objects keep their ids
    assert len(new_ids) == len(old_ids) + 1


def test_empty_store(store: IntelStore) -> None:
    objects = _objects(export_stix(store))
    assert [o.type for o in objects] == ["identity"]


@pytest.fixture
def round_tripped(tmp_path: Path, populated: IntelStore) -> Iterator[IntelStore]:
    path = tmp_path / "export.json"
    path.write_text(export_stix(populated, include_unlisted=True), encoding="utf-8")
    assert detect(path) is stix
    with IntelStore(tmp_path / "fresh.sqlite") as fresh:
        import_source(fresh, path, ImportOptions())
        yield fresh


def test_round_trip_through_the_stix_importer(
    populated: IntelStore, round_tripped: IntelStore
) -> None:
    [feed] = round_tripped.stats()["feeds"]
    assert (feed["source"], feed["as_of"]) == ("stix:koban", "2025-01-01")
    for value in PATTERNS:
        original = populated.lookup(value)
        [again] = round_tripped.lookup(value)
        assert (again.type, again.value, again.listed) == (original[0].type, value, True)
        assert {m.attribution for m in original} == {again.attribution}
        assert again.attribution == (LAZARUS if value in ATTRIBUTED else None)
    assert round_tripped.lookup(ETH_A)[0].entity == "LAZARUS GROUP"
    # Revoked indicators are not imported; what no source lists stays out.
    assert round_tripped.lookup(ETH_B) == []
    assert round_tripped.stats()["distinct_values"] == len(PATTERNS)


def test_cli_export(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KOBAN_HOME", str(tmp_path))
    with IntelStore(tmp_path / "intel.sqlite") as store:  # where the CLI looks
        _populate(store)
    runner = CliRunner()
    out = tmp_path / "koban.stix.json"
    r = runner.invoke(cli, ["intel", "export", "--format", "stix", "-o", str(out)])
    assert r.exit_code == 0, r.output
    assert r.stdout == "" and f"wrote {out}" in r.stderr
    assert set(_indicators(_objects(out.read_text(encoding="utf-8")))) == set(PATTERNS)

    r = runner.invoke(cli, ["intel", "export", "--all"])
    assert r.exit_code == 0, r.output
    indicators = _indicators(_objects(r.stdout))
    assert indicators[ETH_B].revoked is True
