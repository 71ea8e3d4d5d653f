"""Importers on small files the tests write: detection, dates, errors naming file and line."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from koban.errors import InputError
from koban.intel.importers import ImportOptions, csv_list, detect, tagpack, ticker_list, yara_rules
from koban.intel.importing import import_source, read_source
from koban.intel.store import IntelStore

ETH_A = "0x098B716B8Aaf21512996dC57EB0615e2383E2f96"
ETH_B = "0xa0e1c89Ef1a489c9C7dE96311eD5Ce5D32c20E4B"


def test_ticker_list_txt_with_dates(tmp_path: Path) -> None:
    folder = tmp_path / "lists-2025-11-19"
    folder.mkdir()
    path = folder / "sanctioned_addresses_ETH.txt"
    path.write_text(f"{ETH_A}\n\n{ETH_B}\n")
    assert detect(path) is ticker_list
    [b] = ticker_list.read(path, ImportOptions())
    assert (b.scope, b.as_of, b.as_of_basis) == ("ETH", "2025-11-19", "path")
    [b2] = ticker_list.read(path, ImportOptions(as_of="2025-12-01"))
    assert (b2.as_of, b2.as_of_basis) == ("2025-12-01", "option")


def test_ticker_list_mtime_and_bad_line(tmp_path: Path) -> None:
    path = tmp_path / "sanctioned_addresses_XBT.txt"
    path.write_text("12QtD5BFwRsdNsAZY76UVE1xyCGNTojH9h\nnot an address\n")
    stamp = time.mktime((2024, 5, 3, 12, 0, 0, 0, 0, 0))
    os.utime(path, (stamp, stamp))
    [b] = ticker_list.read(path, ImportOptions())
    assert b.as_of == "2024-05-03" and b.as_of_basis == "mtime"
    assert len(list(b.records)) == 1
    assert b.problems == [f"{path}:2: not a cryptocurrency address: 'not an address'; skipped"]


def test_ticker_list_bad_json_names_line(tmp_path: Path) -> None:
    path = tmp_path / "sanctioned_addresses_ETH.json"
    path.write_text('[\n  "0xabc",\n  "0xdef"\n')
    with pytest.raises(InputError) as err:
        ticker_list.read(path, ImportOptions())
    assert str(path) in str(err.value) and err.value.line == 4


def test_tagpack_header_fields_and_bad_yaml(tmp_path: Path) -> None:
    path = tmp_path / "pack.yaml"
    path.write_text(
        "title: Test pack\ncreator: koban tests\nlabel: Lazarus group\nactor: lazarusgroup\n"
        "abuse: sanction\ncurrency: ETH\nlastmod: 2023-01-02\ntags:\n"
        f"- address: '{ETH_A}'\n- address: 1PfwHNxUnkpfkK9MKjMqzR3Xq3KCtq9u17\n  currency: BTC\n"
    )
    assert detect(path) is tagpack
    [b] = tagpack.read(path, ImportOptions())
    recs = list(b.records)
    assert b.as_of == "2023-01-02" and b.source == "tagpack:pack"
    assert recs[0].value == ETH_A.lower() and recs[0].chain == "ethereum"
    assert recs[1].chain == "bitcoin" and recs[1].attribution == "Lazarus Group"
    assert recs[0].programs == ("sanction",)
    bad = tmp_path / "bad.yaml"
    bad.write_text("title: x\ncreator: y\ntags:\n- address: [unclosed\n")
    with pytest.raises(InputError) as err:
        tagpack.read(bad, ImportOptions())
    assert err.value.line is not None and str(bad) in str(err.value)


def test_csv_multi_hash_rows_and_attribution_option(tmp_path: Path) -> None:
    path = tmp_path / "iocs.csv"
    path.write_text(
        "value,entity_type,description\n"
        '"51871504c1d5c09ade5e2a1e6e98c37a,ae34fa6c6baf77390fb3ff683d880cde14bf893d",file,doc\n'
        "hxxps://evil[.]example/x,url,lure\n203.0.113.7,ipaddress,c2\nbogus,hostname,x\n"
    )
    assert detect(path) is csv_list
    [b] = csv_list.read(path, ImportOptions(attribution="TraderTraitor"))
    kinds = sorted((r.type.value, r.value) for r in b.records)
    assert kinds == [
        ("ip", "203.0.113.7"),
        ("md5", "51871504c1d5c09ade5e2a1e6e98c37a"),
        ("sha1", "ae34fa6c6baf77390fb3ff683d880cde14bf893d"),
        ("url", "https://evil.example/x"),
    ]
    assert {r.attribution for r in b.records} == {"Lazarus Group"}
    assert b.problems == [f"{path}:5: not a fully qualified domain name: 'bogus'; skipped"]


def test_csv_without_value_column(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("foo,bar\n1,2\n")
    with pytest.raises(InputError, match="no value column"):
        csv_list.read(path, ImportOptions())


def test_unknown_format_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("hello\n")
    with pytest.raises(InputError, match="unrecognised intel format"):
        detect(path)
    with pytest.raises(InputError, match="unknown format 'nope'"):
        detect(path, "nope")
    with pytest.raises(InputError, match="no such file"):
        read_source(tmp_path / "missing.xml", ImportOptions())


def test_invalid_yara_names_file_and_line(tmp_path: Path) -> None:
    good = tmp_path / "rules" / "good.yar"
    good.parent.mkdir()
    good.write_text('rule koban_test { strings: $a = "lazarus" condition: $a }\n')
    bad = tmp_path / "rules" / "bad.yar"
    bad.write_text("rule ok { condition: true }\n\nrule broken {\n  condition: $nope\n}\n")
    with pytest.raises(InputError) as err:
        yara_rules.read_yara(tmp_path / "rules")
    assert str(bad) in str(err.value) and err.value.line in (4, 5)  # yara names the rule's end


def test_yara_folder_registers_atomically(tmp_path: Path, store: IntelStore) -> None:
    folder = tmp_path / "rules"
    folder.mkdir()
    (folder / "a.yar").write_text('rule a { strings: $a = "x" condition: $a }\n')
    (folder / "b.yara").write_text('rule b { condition: filesize < 10 and extension == "" }\n')
    out = import_source(store, folder, ImportOptions())
    assert sorted(f.name for f in out.yara) == ["rules/a.yar", "rules/b.yara"]
    assert store.stats()["yara"] == {"files": 2, "rules": 2}


def test_folder_of_mixed_intel_skips_readmes(tmp_path: Path, store: IntelStore) -> None:
    tmp_path = tmp_path / "feed"
    tmp_path.mkdir()
    (tmp_path / "README.md").write_text("# about\n")
    (tmp_path / "notes.txt").write_text("hello\n")
    (tmp_path / "sanctioned_addresses_ETH.txt").write_text(ETH_A + "\n")
    out = import_source(store, tmp_path, ImportOptions(as_of="2025-01-01"))
    assert [r.scope for r in out.results] == ["ETH"]
    assert out.skipped == [f"{tmp_path / 'notes.txt'}: not a recognised intel format"]
