"""Ticker lists, TagPacks, CSV lists and YARA rules, on the real files in ../shared/data."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from koban.errors import InputError
from koban.intel.importers import ImportOptions, csv_list, detect, tagpack, ticker_list, yara_rules
from koban.intel.importing import import_source
from koban.intel.store import IntelStore

pytestmark = pytest.mark.shared_data

LAZARUS_BTC = "134r8iHv69xdT6p5qVKTsHrcUEuBVZAYak"


def test_ticker_lists_two_dates(shared_data: Path, store: IntelStore) -> None:
    old = import_source(store, shared_data / "intel/ofac/lists-2024-09-27", ImportOptions())
    new = import_source(store, shared_data / "intel/ofac/lists-2025-11-19", ImportOptions())
    eth_old = [r for r in old.results if r.scope == "ETH"]
    assert eth_old and all(r.as_of == "2024-09-27" and r.as_of_basis == "path" for r in eth_old)
    eth_new = [r for r in new.results if r.scope == "ETH"]
    assert eth_new[0].delisted > 0  # Tornado Cash contracts left the list in 2025
    [m] = store.lookup("0x8589427373D6D84E98730D7795D8f6f8731FDA16")
    assert m.source == "ofac-address-list" and m.scope == "ETH" and not m.listed
    assert (m.first_seen, m.delisted_on) == ("2024-09-27", "2025-11-19")
    xbt = store.lookup("1PfwHNxUnkpfkK9MKjMqzR3Xq3KCtq9u17")
    assert not xbt or xbt[0].chain == "bitcoin"


def test_ticker_list_json_and_txt_agree(shared_data: Path) -> None:
    folder = shared_data / "intel/ofac/lists-2025-11-19"
    [txt] = ticker_list.read(folder / "sanctioned_addresses_ETH.txt", ImportOptions())
    [js] = ticker_list.read(folder / "sanctioned_addresses_ETH.json", ImportOptions())
    assert {r.value for r in txt.records} == {r.value for r in js.records}
    assert all(r.value == r.value.lower() for r in txt.records)


def test_unknown_ticker_is_an_error(shared_data: Path, tmp_path: Path) -> None:
    src = shared_data / "intel/ofac/lists-2025-11-19/sanctioned_addresses_ETH.txt"
    bad = tmp_path / "sanctioned_addresses_QQQ.txt"
    shutil.copy(src, bad)
    with pytest.raises(InputError, match=r"sanctioned_addresses_QQQ\.txt: unknown ticker 'QQQ'"):
        ticker_list.read(bad, ImportOptions())


def test_tagpacks(shared_data: Path, store: IntelStore) -> None:
    packs = shared_data / "intel/tagpacks/packs"
    assert detect(packs / "lazarus.yaml") is tagpack
    out = import_source(store, packs, ImportOptions())
    assert len(out.results) >= 15
    [m] = [m for m in store.lookup(LAZARUS_BTC) if m.source == "tagpack:lazarus"]
    assert m.attribution == "Lazarus Group" and m.chain == "bitcoin"
    assert m.first_seen == "2022-04-15"  # the pack's lastmod
    tornado = [
        m
        for m in store.lookup("0x8589427373D6D84E98730D7795D8f6f8731FDA16")
        if m.source.startswith("tagpack:tornado")
    ]
    assert tornado and tornado[0].category == "mixer"
    # A malformed address in a real pack is reported, not fatal.
    assert any("exchange-wallets-bitfinexcom.yaml" in p for p in out.problems)


def test_volexity_applejeus_csv(shared_data: Path, store: IntelStore) -> None:
    path = shared_data / "intel/iocs/volexity/2022-12-01_AppleJeus/indicators.csv"
    assert detect(path) is csv_list
    import_source(store, path, ImportOptions())
    sha = "17e6189c19dedea678969e042c64de2a51dd9fba69ff521571d63fd92e48601b"
    [m] = store.lookup(sha.upper())
    assert m.type == "sha256" and m.attribution == "Lazarus Group"
    assert m.first_seen == "2022-12-01"
    md5 = store.lookup("51871504c1d5c09ade5e2a1e6e98c37a")
    assert md5 and md5[0].type == "md5"


def test_volexity_3cx_csv_types(shared_data: Path, store: IntelStore) -> None:
    path = shared_data / "intel/iocs/volexity/2023-03-30_3CX/iocs.csv"
    import_source(store, path, ImportOptions(attribution="Lazarus Group"))
    [d] = store.lookup("https://www.journalide.org/some/path")
    assert d.type == "domain" and d.attribution == "Lazarus Group"
    [e] = store.lookup("Philip.JE@proton.me")
    assert e.type == "email"


def test_forta_labels_csv(shared_data: Path, store: IntelStore) -> None:
    path = (
        shared_data / "intel/labels/forta-labelled-datasets/labels/1/etherscan_malicious_labels.csv"
    )
    out = import_source(store, path, ImportOptions())
    assert out.results[0].records > 1000
    [m] = store.lookup("0x80D7BB18521ACBEF32D7906502EBE94928690E93")
    assert m.entity == "Fake_Phishing1772"


@pytest.mark.parametrize(
    "rel",
    [
        "intel/yara/jpcert-yara",
        "intel/yara/signature-base",
        "intel/iocs/volexity/2022-12-01_AppleJeus/yara.yar",
    ],
)
def test_yara_sets_load_and_register(shared_data: Path, store: IntelStore, rel: str) -> None:
    out = import_source(store, shared_data / rel, ImportOptions())
    assert out.yara and all(f.rule_names for f in out.yara)
    names = {f.name for f in store.yara_files()}
    assert {f.name for f in out.yara} <= names
    for f in store.yara_files():  # what is registered compiles again for the file analyser
        import yara

        yara.compile(source=f.text, externals=yara_rules.EXTERNALS)


def test_yara_rules_actually_match(shared_data: Path, tmp_path: Path) -> None:
    rules = yara_rules.compile_file(shared_data / "intel/yara/jpcert-yara/Lazarus/lazarus.yara")
    assert len(list(rules)) > 3
    sample = tmp_path / "benign.bin"
    sample.write_bytes(b"MZ" + b"\0" * 4096)
    assert rules.match(str(sample)) == []
