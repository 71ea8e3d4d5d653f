"""The STIX 2.1 importer on a realistic bundle (tests/fixtures/intel/stix-lazarus-bundle.json)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import stix2

from koban.errors import InputError
from koban.intel.importers import ImportOptions, detect, stix
from koban.intel.importing import import_source
from koban.intel.indicators import IndicatorType
from koban.intel.records import Batch, Record
from koban.intel.store import IntelStore

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "intel"
BUNDLE = FIXTURES / "stix-lazarus-bundle.json"
LAZARUS = "Lazarus Group"
RONIN = "0x098B716B8Aaf21512996dC57EB0615e2383E2f96"

EXPECTED = {  # value -> (type, attribution) for every indicator koban can use
    "bloxholder.com": (IndicatorType.DOMAIN, LAZARUS),
    "strainservice.com": (IndicatorType.DOMAIN, LAZARUS),
    "eee4e3612af96b694e28e3794c4ee4af2579768e8ec6b21daf71acfc6e22d52b": (
        IndicatorType.SHA256,
        LAZARUS,
    ),
    "245bb604621cea7962668325995bca7c": (IndicatorType.MD5, LAZARUS),
    "cc5544eff3e5b9cf20d8cf2291147596d4346dbe": (IndicatorType.SHA1, LAZARUS),
    "https://oilycargo.com/update/check.php?id=7": (IndicatorType.URL, LAZARUS),
    "198.51.100.23": (IndicatorType.IP, LAZARUS),
    "2001:db8::23": (IndicatorType.IP, LAZARUS),
    RONIN.lower(): (IndicatorType.ADDRESS, LAZARUS),
    "0xa0e1c89ef1a489c9c7de96311ed5ce5d32c20e4b": (IndicatorType.ADDRESS, LAZARUS),
    "philip.je@proton.me": (IndicatorType.EMAIL, LAZARUS),
    "wirexpro.com": (IndicatorType.DOMAIN, None),
}


def _state(store: IntelStore) -> tuple[dict[str, Any], list[dict[str, Any]], list[Any]]:
    """What a failed import must not change (size on disk left out: SQLite may grow its WAL)."""
    stats = store.stats()
    stats.pop("size_bytes")
    return stats, store.imports(), [m.to_dict() for m in store.iter_sightings()]


def _bundle(*objects: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "bundle",
        "id": "bundle--0b6d4c1e-8f8f-4a63-9d36-3c7a54f0d0b1",
        "objects": list(objects),
    }


def _indicator(ident: str, pattern: str, **extra: Any) -> dict[str, Any]:
    return {
        "type": "indicator",
        "spec_version": "2.1",
        "id": f"indicator--{ident}",
        "created": "2024-02-01T00:00:00.000Z",
        "modified": "2024-02-01T00:00:00.000Z",
        "pattern": pattern,
        "pattern_type": "stix",
        "valid_from": "2024-02-01T00:00:00Z",
        **extra,
    }


@pytest.fixture
def imported(store: IntelStore) -> IntelStore:
    import_source(store, BUNDLE, ImportOptions())
    return store


def test_fixture_is_valid_stix() -> None:
    bundle = stix2.parse(BUNDLE.read_text(encoding="utf-8"), allow_custom=True)
    types = {o.type for o in bundle.objects}
    assert {"identity", "intrusion-set", "threat-actor", "malware", "indicator"} <= types


def test_detects_bundle_by_content(tmp_path: Path) -> None:
    assert detect(BUNDLE) is stix
    renamed = tmp_path / "export.txt"  # the extension does not matter
    renamed.write_bytes(BUNDLE.read_bytes())
    assert detect(renamed) is stix


def test_records_attribution_and_as_of() -> None:
    [batch] = stix.read(BUNDLE, ImportOptions())
    assert (batch.source, batch.format, batch.origin) == (
        "stix:Fixture CTI Desk",
        "stix",
        str(BUNDLE),
    )
    # The newest non-revoked indicator's `modified`; the revoked one (2022-12-05) does not count.
    assert (batch.as_of, batch.as_of_basis) == ("2023-03-31", "export")
    assert batch.details == {"skipped_indicators": "2"}  # the YARA one and the file:name one
    records = list(batch.records)
    assert {r.value: (r.type, r.attribution) for r in records} == EXPECTED
    assert len(records) == len(EXPECTED)
    assert "telloo.io" not in {r.value for r in records}  # revoked
    by_value = {r.value: r for r in records}
    ronin = by_value[RONIN.lower()]
    assert ronin.entity == "Ronin bridge exploiter"
    assert ronin.category == "threat-actor"
    assert ronin.ref == "indicator--3339a23a-b12c-4bdb-b8fa-2442b3b581fa"
    assert ronin.description is not None and "DPRK3" in ronin.description
    assert by_value["wirexpro.com"].category is None
    # Several observables in one pattern share the indicator's name.
    assert by_value["strainservice.com"].entity == "AppleJeus C2 servers"


def test_options_override_source_and_date() -> None:
    [batch] = stix.read(BUNDLE, ImportOptions(source="isac", as_of="2024-01-02"))
    assert (batch.source, batch.as_of, batch.as_of_basis) == ("isac", "2024-01-02", "option")


def test_import_and_lookup(store: IntelStore) -> None:
    outcome = import_source(store, BUNDLE, ImportOptions())
    [result] = outcome.results
    assert (result.records, result.added, result.delisted) == (len(EXPECTED), len(EXPECTED), 0)
    [m] = store.lookup(RONIN)  # checksummed as people paste it
    assert (m.type, m.value, m.attribution, m.listed) == ("address", RONIN.lower(), LAZARUS, True)
    assert (m.source, m.first_seen, m.last_seen) == (
        "stix:Fixture CTI Desk",
        "2023-03-31",
        "2023-03-31",
    )
    # A defanged URL on a listed domain matches the domain.
    assert [x.value for x in store.lookup("hxxps://bloxholder[.]com/login")] == ["bloxholder.com"]
    assert [
        x.value
        for x in store.lookup("EEE4E3612AF96B694E28E3794C4EE4AF2579768E8EC6B21DAF71ACFC6E22D52B")
    ] == ["eee4e3612af96b694e28e3794c4ee4af2579768e8ec6b21daf71acfc6e22d52b"]
    assert store.lookup("2001:DB8::23")[0].attribution == LAZARUS
    assert (
        store.lookup("Philip.Je@proton.me")[0].entity
        == "3CX supply chain: infrastructure registrant"
    )
    assert store.lookup("telloo.io") == []
    [unattributed] = store.lookup("wirexpro.com")
    assert unattributed.attribution is None


def test_reimport_is_idempotent(imported: IntelStore) -> None:
    [result] = import_source(imported, BUNDLE, ImportOptions()).results
    assert (result.added, result.delisted, result.relisted) == (0, 0, 0)


def test_uses_relationship_and_unknown_actor(tmp_path: Path) -> None:
    bundle = _bundle(
        {
            "type": "intrusion-set",
            "id": "intrusion-set--1d2a1bd6-6d0b-4f3b-a5a5-2f4bb1d6c3a1",
            "name": "APT38",
        },
        {
            "type": "malware",
            "id": "malware--9b0a3a5e-2f3e-4a7c-8c7e-0f3c9a1b2c3d",
            "name": "DTrack",
            "is_family": True,
        },
        {
            "type": "intrusion-set",
            "id": "intrusion-set--5e0f1f38-7f44-4e7e-9b1a-6d3c2b1a0f9e",
            "name": "Cluster 9",
        },
        _indicator(
            "7d9e6e0a-3a1b-4b2c-9d8e-1f2a3b4c5d6e", "[domain-name:value = 'dtrack.example.net']"
        ),
        _indicator(
            "8e0f7f1b-4b2c-4c3d-8e9f-2a3b4c5d6e7f", "[domain-name:value = 'other.example.net']"
        ),
        {
            "type": "relationship",
            "id": "relationship--2b3c4d5e-6f70-4812-9a3b-4c5d6e7f8091",
            "relationship_type": "uses",
            "source_ref": "intrusion-set--1d2a1bd6-6d0b-4f3b-a5a5-2f4bb1d6c3a1",
            "target_ref": "malware--9b0a3a5e-2f3e-4a7c-8c7e-0f3c9a1b2c3d",
        },
        {
            "type": "relationship",
            "id": "relationship--3c4d5e6f-7081-4923-8b4c-5d6e7f8091a2",
            "relationship_type": "indicates",
            "source_ref": "indicator--7d9e6e0a-3a1b-4b2c-9d8e-1f2a3b4c5d6e",
            "target_ref": "malware--9b0a3a5e-2f3e-4a7c-8c7e-0f3c9a1b2c3d",
        },
        {
            "type": "relationship",
            "id": "relationship--4d5e6f70-8192-4a34-9c5d-6e7f8091a2b3",
            "relationship_type": "indicates",
            "source_ref": "indicator--8e0f7f1b-4b2c-4c3d-8e9f-2a3b4c5d6e7f",
            "target_ref": "intrusion-set--5e0f1f38-7f44-4e7e-9b1a-6d3c2b1a0f9e",
        },
    )
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(bundle), encoding="utf-8")
    [batch] = stix.read(path, ImportOptions())
    got = {r.value: (r.attribution, r.category) for r in batch.records}
    assert got == {
        # intrusion-set uses malware, indicator indicates malware; APT38 is a Lazarus alias
        "dtrack.example.net": (LAZARUS, "threat-actor"),
        # an actor koban does not know keeps its own name
        "other.example.net": ("Cluster 9", None),
    }
    assert batch.source == "stix:bundle.json"  # no creator identity: the file name
    assert batch.as_of == "2024-02-01"


def test_truncated_json_names_file_and_line(tmp_path: Path, imported: IntelStore) -> None:
    text = BUNDLE.read_text(encoding="utf-8")
    cut = text.index('"name": "Ronin bridge exploiter"') + len('"name": "Ronin br')
    truncated = tmp_path / "truncated-bundle.json"
    truncated.write_text(text[:cut], encoding="utf-8")
    line = text[:cut].count("\n") + 1
    assert detect(truncated) is stix  # the head still says "bundle"
    before = imported.stats()
    with pytest.raises(InputError) as info:
        import_source(imported, truncated, ImportOptions())
    assert info.value.line == line
    assert str(info.value).startswith(f"{truncated}:{line} (column ")
    assert "invalid JSON" in str(info.value)
    assert imported.stats() == before


def test_json_that_is_not_a_bundle(tmp_path: Path, imported: IntelStore) -> None:
    before = imported.stats()
    # A lone indicator: not recognised as STIX at all, and refused when forced.
    lone = tmp_path / "indicator.json"
    lone.write_text(
        json.dumps(
            _indicator("5f6a7b8c-9d0e-4f1a-8b2c-3d4e5f6a7b8c", "[domain-name:value = 'a.example']")
        )
    )
    with pytest.raises(InputError, match="unrecognised intel format"):
        detect(lone)
    with pytest.raises(InputError) as info:
        import_source(imported, lone, ImportOptions(), forced="stix")
    assert str(info.value) == f"{lone}: not a STIX 2.1 bundle (top-level type is not 'bundle')"
    # A list of bundles: looks like STIX by content, still not a bundle.
    listed = tmp_path / "bundles.json"
    listed.write_text(json.dumps([_bundle()]))
    assert detect(listed) is stix
    with pytest.raises(InputError, match=r"not a STIX 2\.1 bundle"):
        import_source(imported, listed, ImportOptions())
    # A bundle whose objects are not a list, or lack ids.
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps({"type": "bundle", "id": "bundle--x", "objects": {"a": 1}}))
    with pytest.raises(InputError, match="'objects' is not a list"):
        import_source(imported, broken, ImportOptions())
    broken.write_text(json.dumps(_bundle({"type": "indicator", "pattern": "[url:value = 'x']"})))
    with pytest.raises(InputError, match="object #1 lacks 'type' or 'id'"):
        import_source(imported, broken, ImportOptions())
    assert imported.stats() == before


def test_invalid_value_is_skipped_and_named(tmp_path: Path, imported: IntelStore) -> None:
    bundle = _bundle(
        _indicator(
            "6a7b8c9d-0e1f-4a2b-9c3d-4e5f6a7b8c9d", "[domain-name:value = 'new.example.com']"
        ),
        _indicator("7b8c9d0e-1f2a-4b3c-8d4e-5f6a7b8c9d0e", "[ipv4-addr:value = '203.0.113.300']"),
    )
    path = tmp_path / "bad-value.json"
    path.write_text(json.dumps(bundle))
    out = import_source(imported, path, ImportOptions())
    [message] = out.problems
    assert message.startswith(f"{path}: indicator indicator--7b8c9d0e-1f2a-4b3c-8d4e-5f6a7b8c9d0e")
    assert "203.0.113.300" in message and message.endswith("skipped")
    assert imported.lookup("new.example.com")  # the good indicator is imported


def test_failure_inside_the_transaction_rolls_back(imported: IntelStore) -> None:
    """A batch that fails while being written undoes the batches before it in the same import."""
    [good] = stix.read(BUNDLE, ImportOptions(source="second-copy"))

    def exploding() -> Iterator[Record]:
        yield Record(IndicatorType.DOMAIN, "fine.example.com")
        raise InputError("feed.json", "broken mid-stream")

    bad = Batch("third", "2024-01-01", "stix", "feed.json", exploding())
    before = _state(imported)
    with pytest.raises(InputError, match="broken mid-stream"):
        imported.import_batches([good, bad])
    assert _state(imported) == before
    assert {m.source for m in imported.lookup(RONIN)} == {"stix:Fixture CTI Desk"}
    assert imported.lookup("fine.example.com") == []
