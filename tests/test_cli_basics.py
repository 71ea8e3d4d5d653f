"""The ``koban`` command: help, version, scan dispatch, exit codes, errors on stderr."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner, Result

from koban import __version__
from koban.cli import cli


def _run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def _reports(result: Result) -> list[dict[str, Any]]:
    return [json.loads(line) for line in result.stdout.splitlines()]


def _commands(group: click.Group, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    yield path
    ctx = click.Context(group)
    for name in group.list_commands(ctx):  # analyser groups load lazily
        command = group.get_command(ctx, name)
        if isinstance(command, click.Group):
            yield from _commands(command, (*path, name))
        else:
            yield (*path, name)


ALL_COMMANDS = list(_commands(cli))


def test_walk_found_the_commands() -> None:
    assert ("scan",) in ALL_COMMANDS
    assert {("keys", "scan"), ("file", "scan"), ("mail", "watch"), ("url", "check")} <= set(
        ALL_COMMANDS
    )
    assert ("intel", "import") in ALL_COMMANDS
    assert ("intel", "lookup") in ALL_COMMANDS


@pytest.mark.parametrize("path", ALL_COMMANDS, ids=lambda p: " ".join(("koban", *p)))
def test_help(env: Path, path: tuple[str, ...]) -> None:
    result = _run(*path, "--help")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("Usage: ")
    command: click.Command = cli
    for name in path:
        assert isinstance(command, click.Group)
        found = command.get_command(click.Context(command), name)
        assert found is not None
        command = found
    short = command.get_short_help_str(limit=200)
    assert short, f"{path} has no help text"
    assert short.split()[0] in result.stdout
    assert "--help" in result.stdout
    assert result.stderr == ""


@pytest.mark.parametrize("path", ALL_COMMANDS, ids=lambda p: " ".join(("koban", *p)))
def test_short_help_option(env: Path, path: tuple[str, ...]) -> None:
    result = _run(*path, "-h")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("Usage: ")


def test_version(env: Path) -> None:
    result = _run("--version")
    assert result.exit_code == 0
    assert result.stdout.strip() == f"koban, version {__version__}"


def test_scan_needs_a_path(env: Path) -> None:
    result = _run("scan")
    assert result.exit_code == 2
    assert "PATHS" in result.stderr


def test_unknown_format_is_usage_error(env: Path) -> None:
    (env / "notes.txt").write_text("hello\n", encoding="utf-8")
    result = _run("scan", "--format", "xml", "notes.txt")
    assert result.exit_code == 2
    assert "xml" in result.stderr


@pytest.fixture
def no_file_analyser(monkeypatch: pytest.MonkeyPatch) -> None:
    """A build without the file analyser: inputs for it must be "not analysed", never clean."""
    import koban.scan

    real = koban.scan.available
    monkeypatch.setattr(koban.scan, "available", lambda name: name != "file" and real(name))


def _notes(env: Path) -> str:
    (env / "notes.txt").write_text("meeting notes, nothing else\n", encoding="utf-8")
    return "notes.txt"


def test_scan_plain_file_json(env: Path, no_file_analyser: None) -> None:
    target = _notes(env)
    result = _run("scan", "--format", "json", target)
    assert result.exit_code == 0, result.output
    (report,) = _reports(result)
    assert report["schema"] == "koban.report/1"
    assert report["analyser"] == "file"
    assert report["target"] == target
    assert report["verdict"] == "clean"
    assert [f["rule"] for f in report["findings"]] == ["scan.analyser_unavailable"]
    assert "not analysed" in report["findings"][0]["message"]
    assert "warning" in result.stderr
    assert "file analyser" in result.stderr
    assert target in result.stderr
    assert (env.parent / "home").is_dir()


def test_scan_plain_file_goes_to_the_file_analyser(env: Path) -> None:
    result = _run("scan", "--format", "json", _notes(env))
    assert result.exit_code == 0, result.output
    (report,) = _reports(result)
    assert (report["analyser"], report["verdict"]) == ("file", "clean")
    assert "scan.analyser_unavailable" not in result.stdout


def test_scan_plain_file_text(env: Path, no_file_analyser: None) -> None:
    target = _notes(env)
    result = _run("scan", target)
    assert result.exit_code == 0, result.output
    # Not "CLEAN": nothing looked at the file.
    assert result.stdout.startswith(f"{target}  NOT ANALYSED  score 0  (file)")
    assert "scan.analyser_unavailable" in result.stdout
    assert "\x1b" not in result.stdout
    assert "file analyser" in result.stderr


def test_scan_sarif(env: Path, no_file_analyser: None) -> None:
    result = _run("scan", "--format", "sarif", _notes(env))
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["version"] == "2.1.0"
    assert doc["runs"][0]["results"][0]["ruleId"] == "scan.analyser_unavailable"


def test_warning_said_once_per_input(env: Path, no_file_analyser: None) -> None:
    result = _run("scan", "--format", "json", _notes(env))
    assert result.stderr.count("warning") == 1


@pytest.mark.parametrize(("level", "code"), [("info", 1), ("low", 0), ("never", 0)])
def test_fail_on(env: Path, no_file_analyser: None, level: str, code: int) -> None:
    result = _run("scan", "--format", "json", "--fail-on", level, _notes(env))
    assert result.exit_code == code, result.output


def test_missing_input_exit_2_others_still_reported(env: Path) -> None:
    target = _notes(env)
    result = _run("scan", "--format", "json", "/nonexistent/x", target)
    assert result.exit_code == 2
    assert "/nonexistent/x" in result.stderr
    assert "error" in result.stderr
    assert [r["target"] for r in _reports(result)] == [target]


def test_missing_input_alone(env: Path) -> None:
    result = _run("scan", "--format", "json", "/nonexistent/x")
    assert result.exit_code == 2
    assert "/nonexistent/x" in result.stderr
    assert result.stdout == ""


def test_broken_profile_exit_2_with_file_and_line(env: Path) -> None:
    profile = env / "broken.toml"
    profile.write_text('[org]\nname = "Hoshi"\ncolour = "red"\n', encoding="utf-8")
    result = _run("--profile", str(profile), "scan", "--format", "json", _notes(env))
    assert result.exit_code == 2
    assert f"{profile}:3" in result.stderr
    assert "colour" in result.stderr
    assert len(_reports(result)) == 1


def test_broken_profile_in_cwd(env: Path) -> None:
    (env / "koban.toml").write_text("[org]\nname = 'unterminated\n", encoding="utf-8")
    result = _run("scan", "--format", "json", _notes(env))
    assert result.exit_code == 2
    assert "koban.toml:2" in result.stderr


def test_missing_profile_given_explicitly(env: Path) -> None:
    result = _run("--profile", str(env / "nope.toml"), "scan", _notes(env))
    assert result.exit_code == 2
    assert "nope.toml" in result.stderr
    assert "not found" in result.stderr


def test_good_profile_used_quietly(env: Path) -> None:
    (env / "koban.toml").write_text('[org]\nname = "Hoshi"\n', encoding="utf-8")
    result = _run("scan", "--format", "json", _notes(env))
    assert result.exit_code == 0, result.output
    assert "error" not in result.stderr
