"""OFAC SDN advanced XML: streaming import, delisting across exports, errors with positions."""

from __future__ import annotations

import bz2
import gzip
from pathlib import Path

import pytest

from koban.errors import InputError
from koban.intel.importers import ImportOptions, detect, ofac_sdn
from koban.intel.importing import import_source
from koban.intel.store import IntelStore

NS = "https://sanctionslistservice.ofac.treas.gov/api/PublicationPreview/exports/ADVANCED_XML"
SDN_MARCH = "intel/ofac/sdn_advanced_2025-03-04__commit_e1b6b135.xml.bz2"
SDN_NOV = "intel/ofac/sdn_advanced_2025-11-19__commit_3ed66906.xml.bz2"
LAZARUS_ETH = "0x098B716B8Aaf21512996dC57EB0615e2383E2f96"
TORNADO_ETH = "0x8589427373D6D84E98730D7795D8f6f8731FDA16"


def _party(ref: str, name: str, features: list[tuple[str, str]], alias: str = "") -> str:
    feats = "".join(
        f'<Feature ID="9{ref}{i}" FeatureTypeID="{ft}"><FeatureVersion ID="1" ReliabilityID="1">'
        f'<Comment /><VersionDetail DetailTypeID="1432">{value}</VersionDetail></FeatureVersion>'
        f"</Feature>"
        for i, (ft, value) in enumerate(features)
    )
    aka = (
        (
            f'<Alias FixedRef="{ref}" AliasTypeID="1400" Primary="false" LowQuality="false">'
            f"<DocumentedName><DocumentedNamePart><NamePartValue>{alias}</NamePartValue>"
            f"</DocumentedNamePart></DocumentedName></Alias>"
        )
        if alias
        else ""
    )
    return (
        f'    <DistinctParty FixedRef="{ref}">\n      <Comment />\n'
        f'      <Profile ID="{ref}" PartySubTypeID="3"><Identity ID="1{ref}" FixedRef="{ref}">'
        f'<Alias FixedRef="{ref}" AliasTypeID="1403" Primary="true" LowQuality="false">'
        f"<DocumentedName><DocumentedNamePart><NamePartValue>{name}</NamePartValue>"
        f"</DocumentedNamePart></DocumentedName></Alias>{aka}</Identity>\n"
        f"{feats}</Profile>\n    </DistinctParty>\n"
    )


def _entry(ref: str, programs: list[str]) -> str:
    measures = "".join(
        f'<SanctionsMeasure ID="5{ref}{i}" SanctionsTypeID="1"><Comment>{p}</Comment>'
        f"</SanctionsMeasure>"
        for i, p in enumerate(programs)
    )
    return (
        f'    <SanctionsEntry ID="{ref}" ProfileID="{ref}" ListID="1550">'
        f'<SanctionsMeasure ID="4{ref}" SanctionsTypeID="1705"><Comment /></SanctionsMeasure>'
        f"{measures}</SanctionsEntry>\n"
    )


def make_sdn(day: str, parties: str, entries: str, relations: str = "") -> str:
    """A small export with the real structure (namespace, reference tables, sections)."""
    y, m, d = day.split("-")
    return f"""<?xml version="1.0" encoding="utf-8" standalone="yes"?>
<Sanctions xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" Version="3" xmlns="{NS}">
  <DateOfIssue CalendarTypeID="1">
    <Year>{y}</Year><Month>{int(m)}</Month><Day>{int(d)}</Day>
  </DateOfIssue>
  <ReferenceValueSets>
    <FeatureTypeValues>
      <FeatureType ID="344" FeatureTypeGroupID="1">Digital Currency Address - XBT</FeatureType>
      <FeatureType ID="345" FeatureTypeGroupID="1">Digital Currency Address - ETH</FeatureType>
      <FeatureType ID="8" FeatureTypeGroupID="1">Website</FeatureType>
    </FeatureTypeValues>
    <RelationTypeValues>
      <RelationType ID="15002" Symmetrical="false">Acting for or on behalf of</RelationType>
      <RelationType ID="15001" Symmetrical="false">Providing support to</RelationType>
    </RelationTypeValues>
    <SanctionsTypeValues>
      <SanctionsType ID="1705">Block</SanctionsType>
      <SanctionsType ID="1">Program</SanctionsType>
    </SanctionsTypeValues>
  </ReferenceValueSets>
  <Locations />
  <DistinctParties>
{parties}  </DistinctParties>
  <ProfileRelationships>
{relations}  </ProfileRelationships>
  <SanctionsEntries>
{entries}  </SanctionsEntries>
</Sanctions>
"""


LAZ = _party("27307", "Lazarus Group", [("345", LAZARUS_ETH)], alias="Hidden Cobra")
AGENT = _party("40001", "KIM Il", [("344", "BC1QXY2KGDYGJRSQTZQ2N0YRF2493P83KKFJHX0WLH")])
TORNADO = _party("39796", "TORNADO CASH", [("345", TORNADO_ETH)])
NOISE = _party("11111", "Some Company", [("8", "www.example.com")])
RELATION = (
    '    <ProfileRelationship ID="1" From-ProfileID="40001" To-ProfileID="27307" '
    'RelationTypeID="15002" RelationQualityID="1" Former="false"></ProfileRelationship>\n'
)


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    data = text.encode()
    if name.endswith(".bz2"):
        data = bz2.compress(data)
    elif name.endswith(".gz"):
        data = gzip.compress(data)
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("name", ["sdn.xml", "sdn.xml.bz2", "sdn.xml.gz"])
def test_reads_addresses_entities_programmes_and_attribution(tmp_path: Path, name: str) -> None:
    xml = make_sdn(
        "2025-03-04",
        LAZ + AGENT + TORNADO + NOISE,
        _entry("27307", ["DPRK3"])
        + _entry("40001", ["DPRK4"])
        + _entry("39796", ["CYBER2", "DPRK3"]),
        RELATION,
    )
    path = _write(tmp_path, name, xml)
    assert detect(path) is ofac_sdn
    [batch] = ofac_sdn.read(path, ImportOptions())
    assert batch.as_of == "2025-03-04" and batch.as_of_basis == "export"
    recs = {r.value: r for r in batch.records}
    assert set(recs) == {
        LAZARUS_ETH.lower(),
        "bc1qxy2kgdygjrsqtzq2n0yrf2493p83kkfjhx0wlh",
        TORNADO_ETH.lower(),
    }
    laz = recs[LAZARUS_ETH.lower()]
    assert (laz.entity, laz.programs, laz.attribution, laz.chain) == (
        "Lazarus Group",
        ("DPRK3",),
        "Lazarus Group",
        "ethereum",
    )
    assert laz.ref == "FixedRef 27307"
    agent = recs["bc1qxy2kgdygjrsqtzq2n0yrf2493p83kkfjhx0wlh"]
    assert agent.attribution == "Lazarus Group"  # acting on behalf of Lazarus Group
    assert agent.chain == "bitcoin" and agent.programs == ("DPRK4",)
    tornado = recs[TORNADO_ETH.lower()]
    assert tornado.category == "mixer" and tornado.attribution is None


def test_support_relation_does_not_attribute(tmp_path: Path) -> None:
    support = RELATION.replace('RelationTypeID="15002"', 'RelationTypeID="15001"')
    xml = make_sdn("2025-03-04", LAZ + AGENT, _entry("27307", ["DPRK3"]), support)
    [batch] = ofac_sdn.read(_write(tmp_path, "s.xml", xml), ImportOptions())
    agent = next(r for r in batch.records if r.value.startswith("bc1"))
    assert agent.attribution is None


def test_newer_export_marks_dropped_addresses(tmp_path: Path, store: IntelStore) -> None:
    march = make_sdn(
        "2025-03-04", LAZ + TORNADO, _entry("27307", ["DPRK3"]) + _entry("39796", ["CYBER2"])
    )
    november = make_sdn("2025-11-19", LAZ, _entry("27307", ["DPRK3"]))
    import_source(store, _write(tmp_path, "a.xml", march), ImportOptions())
    out = import_source(store, _write(tmp_path, "b.xml", november), ImportOptions())
    assert out.results[0].delisted == 1
    [tornado] = store.lookup(TORNADO_ETH)
    assert not tornado.listed
    assert (tornado.first_seen, tornado.last_seen, tornado.delisted_on) == (
        "2025-03-04",
        "2025-03-04",
        "2025-11-19",
    )
    [laz] = store.lookup(LAZARUS_ETH)
    assert laz.listed and (laz.first_seen, laz.last_seen) == ("2025-03-04", "2025-11-19")
    # Importing the older export again changes nothing about what is listed now.
    again = import_source(store, _write(tmp_path, "c.xml", march), ImportOptions())
    assert again.results[0].older_than_latest
    assert not store.lookup(TORNADO_ETH)[0].listed


@pytest.mark.parametrize("cut", [0.3, 0.6, 0.9, 0.99])
def test_truncated_xml_is_an_error_with_position(
    tmp_path: Path, store: IntelStore, cut: float
) -> None:
    xml = make_sdn("2025-03-04", LAZ + AGENT + TORNADO, _entry("27307", ["DPRK3"]))
    path = _write(tmp_path, "cut.xml", xml[: int(len(xml) * cut)])
    before = store.stats()
    with pytest.raises(InputError) as err:
        import_source(store, path, ImportOptions())
    assert str(path) in str(err.value)
    assert err.value.line is not None and "byte" in (err.value.position or "")
    assert store.stats() == before


def test_malformed_party_names_line(tmp_path: Path) -> None:
    broken = LAZ.replace("</NamePartValue>", "</NamePart>", 1)
    xml = make_sdn("2025-03-04", NOISE + broken, _entry("27307", ["DPRK3"]))
    path = _write(tmp_path, "bad.xml", xml)
    with pytest.raises(InputError) as err:
        ofac_sdn.read(path, ImportOptions())
    expected_line = xml[: xml.index("</NamePart>")].count("\n") + 1
    assert err.value.line == expected_line
    assert "malformed XML" in str(err.value)


def test_truncated_bz2_stream(tmp_path: Path) -> None:
    xml = make_sdn("2025-03-04", LAZ, _entry("27307", ["DPRK3"]))
    data = bz2.compress(xml.encode())
    path = tmp_path / "t.xml.bz2"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(InputError) as err:
        ofac_sdn.read(path, ImportOptions())
    assert str(path) in str(err.value)


def test_not_an_sdn_export(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "x.xml",
        f'<Sanctions xmlns="{NS}"><ReferenceValueSets></ReferenceValueSets></Sanctions>',
    )
    with pytest.raises(InputError, match="Digital Currency Address"):
        ofac_sdn.read(path, ImportOptions())


@pytest.mark.shared_data
def test_real_exports_tornado_delisted_lazarus_stays(shared_data: Path, store: IntelStore) -> None:
    first = import_source(store, shared_data / SDN_MARCH, ImportOptions())
    second = import_source(store, shared_data / SDN_NOV, ImportOptions())
    assert first.results[0].as_of == "2025-03-04"
    assert second.results[0].as_of == "2025-11-19"
    assert first.results[0].records > 600 and second.results[0].delisted > 0
    tornado = store.lookup(TORNADO_ETH)
    assert tornado and all(not m.listed for m in tornado)
    assert tornado[0].first_seen == "2025-03-04" and tornado[0].delisted_on == "2025-11-19"
    assert tornado[0].category == "mixer"
    [laz] = store.lookup(LAZARUS_ETH)
    assert laz.listed and laz.entity == "Lazarus Group" and "DPRK3" in laz.programs
    assert laz.attribution == "Lazarus Group"
    assert (laz.first_seen, laz.last_seen) == ("2025-03-04", "2025-11-19")


@pytest.mark.shared_data
def test_real_export_every_dca_feature_is_read(shared_data: Path) -> None:
    """Cross-check the streaming reader against a plain count of DCA features in the XML."""
    import re

    with bz2.open(shared_data / SDN_NOV) as f:
        raw = f.read()
    ids = set(re.findall(rb'<FeatureType ID="(\d+)"[^>]*>Digital Currency Address', raw))
    expected = sum(len(re.findall(rb'FeatureTypeID="' + i + rb'"', raw)) for i in ids)
    [batch] = ofac_sdn.read(shared_data / SDN_NOV, ImportOptions())
    assert len(list(batch.records)) == expected


@pytest.mark.shared_data
def test_real_export_truncated(shared_data: Path, tmp_path: Path) -> None:
    with bz2.open(shared_data / SDN_NOV) as f:
        raw = f.read()
    path = tmp_path / "sdn_truncated.xml"
    path.write_bytes(raw[: len(raw) // 2])
    with pytest.raises(InputError) as err:
        ofac_sdn.read(path, ImportOptions())
    assert "truncated" in str(err.value) and err.value.line and err.value.line > 1000
