"""``koban intel`` end to end through the CLI, with exit codes and JSON shapes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from koban.cli import cli

ETH_A = "0x098B716B8Aaf21512996dC57EB0615e2383E2f96"
ETH_B = "0xa0e1c89Ef1a489c9C7dE96311eD5Ce5D32c20E4B"


def _lists(tmp_path: Path, day: str, *addresses: str) -> Path:
    folder = tmp_path / f"lists-{day}"
    folder.mkdir()
    (folder / "sanctioned_addresses_ETH.txt").write_text("\n".join(addresses) + "\n")
    return folder


def test_import_lookup_json_and_exit_codes(tmp_path: Path, koban_home: Path) -> None:
    runner = CliRunner()
    r = runner.invoke(cli, ["intel", "import", str(_lists(tmp_path, "2025-01-01", ETH_A, ETH_B))])
    assert r.exit_code == 0, r.output
    assert "ofac-address-list[ETH] as of 2025-01-01 (path): 2 indicators, 2 new" in r.stdout
    r = runner.invoke(cli, ["intel", "import", str(_lists(tmp_path, "2025-06-01", ETH_A))])
    assert "1 no longer listed" in r.stdout

    r = runner.invoke(cli, ["intel", "lookup", ETH_A, ETH_B, "198.51.100.1", "--format", "json"])
    assert r.exit_code == 1  # something is listed
    lines = [json.loads(line) for line in r.stdout.splitlines()]
    assert [d["query"] for d in lines] == [ETH_A, ETH_B, "198.51.100.1"]
    a = lines[0]["matches"][0]
    assert set(a) >= {
        "type",
        "value",
        "source",
        "entity",
        "programs",
        "attribution",
        "listed",
        "first_seen",
        "last_seen",
    }
    assert a["listed"] is True and a["value"] == ETH_A.lower()
    b = lines[1]["matches"][0]
    assert (b["listed"], b["first_seen"], b["last_seen"]) == (False, "2025-01-01", "2025-01-01")
    assert lines[2]["matches"] == []

    r = runner.invoke(cli, ["intel", "lookup", ETH_B])
    assert r.exit_code == 0 and "no longer listed" in r.stdout

    r = runner.invoke(cli, ["intel", "stats", "--format", "json"])
    stats = json.loads(r.stdout)
    assert stats["distinct_values"] == 2 and stats["feeds"][0]["listed"] == 1


def test_bad_inputs_exit_2_but_others_processed(tmp_path: Path, koban_home: Path) -> None:
    bad = tmp_path / "sanctioned_addresses_QQQ.txt"
    bad.write_text(ETH_A + "\n")
    good = _lists(tmp_path, "2025-01-01", ETH_A)
    r = CliRunner().invoke(
        cli, ["intel", "import", str(bad), str(tmp_path / "nope.xml"), str(good)]
    )
    assert r.exit_code == 2
    assert f"{bad}: unknown ticker 'QQQ'" in r.stderr
    assert "nope.xml: no such file or directory" in r.stderr
    assert "1 indicators" in r.stdout  # the good one still imported

    r = CliRunner().invoke(cli, ["intel", "lookup", "hello"])
    assert r.exit_code == 2 and "hello: not an address" in r.stderr


def test_scan_looks_up_bare_indicators(tmp_path: Path, koban_home: Path) -> None:
    runner = CliRunner()
    runner.invoke(
        cli, ["intel", "import", "--source", "ofac-sdn", str(_lists(tmp_path, "2025-01-01", ETH_A))]
    )
    r = runner.invoke(cli, ["scan", ETH_A.lower(), "--format", "json"])
    assert r.exit_code == 1
    [report] = [json.loads(line) for line in r.stdout.splitlines()]
    assert report["analyser"] == "intel" and report["verdict"] == "malicious"
    assert report["findings"][0]["rule"] == "intel.sanctioned"
    r = runner.invoke(cli, ["scan", ETH_A, "--fail-on", "never"])
    assert r.exit_code == 0


@pytest.mark.shared_data
def test_real_sdn_exports_via_cli(shared_data: Path, koban_home: Path) -> None:
    runner = CliRunner()
    for day in ("2025-03-04__commit_e1b6b135", "2025-11-19__commit_3ed66906"):
        path = shared_data / f"intel/ofac/sdn_advanced_{day}.xml.bz2"
        assert runner.invoke(cli, ["intel", "import", str(path)]).exit_code == 0
    r = runner.invoke(
        cli,
        [
            "intel",
            "lookup",
            "--format",
            "json",
            "0x8589427373D6D84E98730D7795D8f6f8731FDA16",
            ETH_A,
        ],
    )
    tornado, lazarus = (json.loads(line) for line in r.stdout.splitlines())
    [t] = tornado["matches"]
    assert (t["listed"], t["first_seen"], t["last_seen"], t["delisted_on"]) == (
        False,
        "2025-03-04",
        "2025-03-04",
        "2025-11-19",
    )
    [laz] = lazarus["matches"]
    assert laz["listed"] and laz["programs"] == ["DPRK3"] and laz["entity"] == "Lazarus Group"
    assert laz["attribution"] == "Lazarus Group"
