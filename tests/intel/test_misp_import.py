"""The MISP importer: a single event export and a feed folder (tests/fixtures/intel/)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from koban.errors import InputError
from koban.intel.importers import ImportOptions, detect, misp
from koban.intel.importing import import_source
from koban.intel.indicators import IndicatorType
from koban.intel.store import IntelStore

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "intel"
EVENT = FIXTURES / "misp-event-tradertraitor.json"
FEED = FIXTURES / "misp-feed"
EVENT_UUID = "42aa546f-fe14-43ba-852e-9e6794055158"
APPLEJEUS_UUID = "98e86384-7553-4985-93ec-7085df81cace"
THREECX_UUID = "e7964ebb-b828-4c8b-b13b-ab615fd42f04"
LAZARUS = "Lazarus Group"
BTC_A = "3LU8wRu4ZnXP4UM8Yo6kkTiGHM9BubgyiG"
BTC_B = "39idqitN9tYNmq3wYanwg3MitFB5TZCjWu"
INFO = "TraderTraitor: DPRK cryptocurrency theft infrastructure and laundering addresses"

EVENT_VALUES = {
    "oilycargo.com": IndicatorType.DOMAIN,
    "https://oilycargo.com/download/CoinGoTrade.msi": IndicatorType.URL,  # refanged
    "203.0.113.45": IndicatorType.IP,
    "90b0a4c9fe8fd0084a5d50ed781c7c8908f6ade44e5654acffea922e281c6b33": IndicatorType.SHA256,
    # filename|sha256: the hash part
    "a0db8f8f13a27df1eacbc01505f311f6b14cf9b84fbc7e84cb764a13f001dbbb": IndicatorType.SHA256,
    BTC_A: IndicatorType.ADDRESS,
    BTC_B: IndicatorType.ADDRESS,
    "talent.acquisition@example.org": IndicatorType.EMAIL,
    # the file Object's hashes (its filename attribute is not an indicator)
    "8077b9696bfeae73e5238868e4aaa161": IndicatorType.MD5,
    "733c81f6a20acfc0c3168cd457a720259bc8498d": IndicatorType.SHA1,
    "636813038ba5c9755aa881ae62e2911df3b8f84ad1d2ff682e325e00d24d4a74": IndicatorType.SHA256,
}


def _event() -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(EVENT.read_text(encoding="utf-8"))
    return doc


def _write(path: Path, doc: Any) -> Path:
    path.write_text(json.dumps(doc, indent=2), encoding="utf-8")
    return path


def test_detects_event_and_feed_folder(tmp_path: Path) -> None:
    assert detect(EVENT) is misp
    assert detect(FEED) is misp  # a folder with manifest.json
    response = _write(tmp_path / "search.json", {"response": [_event()]})
    assert detect(response) is misp


def test_event_records_attribution_and_as_of() -> None:
    [batch] = misp.read(EVENT, ImportOptions())
    assert (batch.source, batch.scope, batch.format) == ("misp:Fixture CERT", EVENT_UUID, "misp")
    assert (batch.as_of, batch.as_of_basis) == ("2023-08-22", "export")  # the event's date
    assert batch.details == {"info": INFO}
    records = list(batch.records)
    assert {r.value: r.type for r in records} == EVENT_VALUES
    assert len(records) == len(EVENT_VALUES)
    # Galaxy cluster and tags agree: everything is attributed to Lazarus Group.
    assert {(r.attribution, r.category, r.entity) for r in records} == {
        (LAZARUS, "threat-actor", INFO)
    }
    by_value = {r.value: r for r in records}
    assert by_value[BTC_A].description == "FBI PSA 2023-08-22: stolen funds"
    assert by_value[BTC_A].ref == "353cf44e-bc3d-43cd-a0ff-b12c24cc2eba"
    # The FBI announcement (a `link` reference, to_ids false) and free text are not indicators.
    assert not any("fbi.gov" in v for v in by_value)
    assert "CoinGoTrade.msi" not in by_value


def test_link_flagged_to_ids_is_an_indicator(tmp_path: Path) -> None:
    doc = _event()
    link = next(a for a in doc["Event"]["Attribute"] if a["type"] == "link")
    link["to_ids"] = True
    link["value"] = "https://oilycargo.com/invite"
    [batch] = misp.read(_write(tmp_path / "event.json", doc), ImportOptions())
    assert "https://oilycargo.com/invite" in {r.value for r in batch.records}


def test_response_wrapper_and_options(tmp_path: Path) -> None:
    path = _write(tmp_path / "search.json", {"response": [_event()]})
    [batch] = misp.read(path, ImportOptions(source="circl", as_of="2024-03-01"))
    assert (batch.source, batch.scope, batch.as_of, batch.as_of_basis) == (
        "circl",
        EVENT_UUID,
        "2024-03-01",
        "option",
    )


def test_import_and_lookup(store: IntelStore) -> None:
    outcome = import_source(store, EVENT, ImportOptions())
    [result] = outcome.results
    assert (result.records, result.added, result.scope) == (11, 11, EVENT_UUID)
    [m] = store.lookup(BTC_A)
    assert (m.type, m.attribution, m.listed, m.source, m.scope) == (
        "address",
        LAZARUS,
        True,
        "misp:Fixture CERT",
        EVENT_UUID,
    )
    assert (m.first_seen, m.last_seen, m.entity) == ("2023-08-22", "2023-08-22", INFO)
    # Lookups normalise what people paste: defanged URL, upper-case hash, mixed-case e-mail.
    assert store.lookup("hxxps://oilycargo[.]com/download/CoinGoTrade.msi")[0].type == "url"
    assert store.lookup("8077B9696BFEAE73E5238868E4AAA161")[0].value == (
        "8077b9696bfeae73e5238868e4aaa161"
    )
    assert store.lookup("Talent.Acquisition@example.org")[0].attribution == LAZARUS
    assert store.lookup("https://www.fbi.gov/news/press-releases/") == []


def test_newer_event_version_drops_attributes(tmp_path: Path, store: IntelStore) -> None:
    import_source(store, EVENT, ImportOptions())
    doc = _event()
    event = doc["Event"]
    event["timestamp"] = "1693900800"  # 2023-09-05: same event, edited later; same date
    # The analyst removed one attribute and soft-deleted another.
    event["Attribute"] = [a for a in event["Attribute"] if a["value"] != BTC_B]
    for a in event["Attribute"]:
        if a["type"] == "ip-dst":
            a["deleted"] = True
    v2 = _write(tmp_path / "misp-event-tradertraitor-v2.json", doc)
    [result] = import_source(store, v2, ImportOptions()).results
    assert (result.records, result.added, result.delisted, result.relisted) == (9, 0, 2, 0)
    for value in (BTC_B, "203.0.113.45"):
        [m] = store.lookup(value)
        assert m.listed is False
        assert m.delisted_on == result.as_of
    assert store.lookup(BTC_A)[0].listed is True
    # Putting the attribute back lists it again.
    [result] = import_source(store, EVENT, ImportOptions()).results
    assert (result.delisted, result.relisted) == (0, 2)
    assert store.lookup(BTC_B)[0].listed is True


def test_feed_folder(store: IntelStore) -> None:
    batches = misp.read(FEED, ImportOptions())
    assert [(b.scope, b.as_of) for b in batches] == [
        (APPLEJEUS_UUID, "2022-12-01"),
        (THREECX_UUID, "2023-03-30"),
    ]
    assert batches[0].origin == str(FEED / f"{APPLEJEUS_UUID}.json")
    applejeus, threecx = ({r.value: r for r in b.records} for b in batches)
    # domain|ip gives both halves; hostname is a domain.
    assert set(applejeus) == {
        "strainservice.com",
        "rebelthumb.net",
        "telloo.io",
        "bloxholder.com",
        "198.51.100.77",
        "9d7797e1b3f46ba5a2f050a2efabd4bce742528a",
    }
    assert "akamaicontainer.com" not in threecx  # deleted attribute
    assert threecx["philip.je@proton.me"].type is IndicatorType.EMAIL
    # "Lazarus Group - G0032" (mitre-intrusion-set tag) and "Labyrinth Chollima" (an alias)
    # both resolve to Lazarus Group.
    assert {r.attribution for r in [*applejeus.values(), *threecx.values()]} == {LAZARUS}

    outcome = import_source(store, FEED, ImportOptions())
    assert [(r.scope, r.records, r.added) for r in outcome.results] == [
        (APPLEJEUS_UUID, 6, 6),
        (THREECX_UUID, 5, 5),
    ]
    feeds = {f["scope"]: f for f in store.stats()["feeds"]}
    assert set(feeds) == {APPLEJEUS_UUID, THREECX_UUID}
    [m] = store.lookup("journalide.org")
    assert (m.scope, m.first_seen, m.attribution) == (THREECX_UUID, "2023-03-30", LAZARUS)


def test_truncated_event_names_file_and_line(tmp_path: Path, store: IntelStore) -> None:
    import_source(store, FEED, ImportOptions())
    text = EVENT.read_text(encoding="utf-8")
    cut = text.index('"value": "3LU8wRu4')
    truncated = tmp_path / "event.json"
    truncated.write_text(text[:cut], encoding="utf-8")
    line = text[:cut].count("\n") + 1
    before = store.stats()
    with pytest.raises(InputError) as info:
        import_source(store, truncated, ImportOptions())
    assert info.value.line == line
    assert str(info.value).startswith(f"{truncated}:{line} (column ")
    assert "invalid JSON" in str(info.value)
    assert store.stats() == before


def test_json_that_is_not_an_event(tmp_path: Path, store: IntelStore) -> None:
    import_source(store, EVENT, ImportOptions())
    before = store.stats()
    other = _write(tmp_path / "events.json", {"events": [_event()["Event"]]})
    with pytest.raises(InputError) as info:
        import_source(store, other, ImportOptions(), forced="misp")
    assert str(info.value).startswith(f"{other}: not a MISP event")
    assert store.stats() == before


def test_bad_feed_imports_nothing(tmp_path: Path, store: IntelStore) -> None:
    """A bad value is skipped and named; a file missing from the feed imports nothing."""
    feed = tmp_path / "feed"
    shutil.copytree(FEED, feed)
    event_file = feed / f"{THREECX_UUID}.json"
    doc = json.loads(event_file.read_text(encoding="utf-8"))
    doc["Event"]["Attribute"][0]["value"] = "not a domain!"
    _write(event_file, doc)
    with IntelStore(tmp_path / "other.sqlite") as other:
        out = import_source(other, feed, ImportOptions())
        [problem] = out.problems
        assert problem.startswith(f"{event_file}: event {THREECX_UUID}: attribute ")
        assert len(out.results) == 2  # both events imported, minus the bad value

    before = store.stats()
    event_file.unlink()  # listed in the manifest, missing on disk
    with pytest.raises(InputError) as info:
        import_source(store, feed, ImportOptions())
    assert str(info.value) == f"{event_file}: listed in manifest.json but missing"
    assert store.stats() == before
