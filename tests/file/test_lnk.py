"""LNK parsing and judging: built lures are flagged, ordinary shortcuts and fixtures are not."""

from __future__ import annotations

import io
from pathlib import Path

import LnkParse3
import pytest

from koban.file.context import FileContext
from koban.file.examples import lnk as build
from koban.file.inspectors.lnk import INSPECTOR, LnkError, parse
from koban.file.item import FileItem
from koban.model import Finding, Severity


def _findings(data: bytes, name: str = "x.lnk") -> dict[str, Finding]:
    item = FileItem(path=name, name=name, data=data, true_type="lnk")
    return {f.rule: f for f in INSPECTOR.inspect(item, FileContext())}


def test_builder_output_is_read_the_same_by_lnkparse3() -> None:
    data = build.hidden_powershell()
    ours = parse(data)
    theirs = LnkParse3.lnk_file(io.BytesIO(data)).get_json()
    assert theirs["data"]["command_line_arguments"] == ours.arguments
    assert theirs["link_info"]["local_base_path"] == ours.local_base_path
    assert (
        theirs["extra"]["DISTRIBUTED_LINK_TRACKER_BLOCK"]["machine_identifier"] == "desktop-lure01"
    )
    assert ours.mac_address == "00:00:5e:00:53:01"
    assert ours.env_target is not None and ours.env_target.endswith("powershell.exe")


def test_hidden_powershell_is_critical_with_reasons() -> None:
    found = _findings(build.hidden_powershell())
    lol = found["file.lnk_lolbin_target"]
    assert lol.severity is Severity.CRITICAL
    assert "starts minimised" in lol.evidence["evasion"]
    assert lol.indicators == ["https://example.com/stage2.ps1"]
    assert found["file.lnk_builder_metadata"].evidence["machine_id"] == "desktop-lure01"


def test_padding_is_reported_and_hidden_from_the_message() -> None:
    found = _findings(build.padded_cmd(blanks=500))
    lol = found["file.lnk_lolbin_target"]
    assert lol.severity is Severity.CRITICAL
    assert any("padded" in why for why in lol.evidence["evasion"])
    assert "[blanks]" in lol.message and "     " not in lol.message
    assert found["file.lnk_document_icon"].severity is Severity.LOW  # imageres.dll


def test_script_host_without_evasion_is_high() -> None:
    assert _findings(build.plain_script_host())["file.lnk_lolbin_target"].severity is Severity.HIGH


@pytest.mark.parametrize("target", [r"C:\Users\Public\run.vbs", r"D:\setup\install.hta"])
def test_script_file_targets(target: str) -> None:
    assert "file.lnk_lolbin_target" in _findings(build.shortcut(target))


def test_encoded_command() -> None:
    data = build.shortcut(
        r"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe", "-ec ZQBjAGgAbwAgAGgAaQA="
    )
    found = _findings(data)
    assert "encoded command" in found["file.lnk_lolbin_target"].evidence["evasion"]


def test_ordinary_shortcut_only_has_metadata() -> None:
    found = _findings(build.application())
    assert set(found) == {"file.lnk_builder_metadata"}
    assert found["file.lnk_builder_metadata"].severity is Severity.INFO


def test_truncated_and_not_a_shortcut() -> None:
    assert "file.lnk_malformed" in _findings(build.truncated())
    with pytest.raises(LnkError):
        parse(b"MZ" + b"\x00" * 100)
    # a cut at every length is a finding or nothing, never an exception
    data = build.hidden_powershell()
    for n in range(0, len(data), 7):
        _findings(data[:n])


@pytest.mark.shared_data
def test_strelka_fixture_is_not_a_lure(shared_data: Path) -> None:
    data = (
        shared_data / "files/strelka-fixtures/src/python/strelka/tests/fixtures/test.lnk"
    ).read_bytes()
    link = parse(data)
    assert link.target == r"C:\Windows\System32\calc.exe"
    assert link.arguments == "-testCommands"
    assert link.id_list[-1] == "calc.exe"
    assert link.machine_id == "laptop-c77ajnj7"
    found = _findings(data)
    assert set(found) == {"file.lnk_builder_metadata"}
