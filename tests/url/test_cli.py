"""``koban url check`` / ``koban url permutations`` through the real CLI."""

from __future__ import annotations

import json
import select
import subprocess
import sys
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result

from koban.cli import cli


def _run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def _reports(result: Result) -> list[dict[str, Any]]:
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_clean_exits_0(env: Path) -> None:
    result = _run("url", "check", "https://bitflyer.com/ja-jp/", "nikkei.com")
    assert result.exit_code == 0, result.output
    assert "CLEAN" in result.stdout


def test_lookalike_exits_1_and_explains(env: Path) -> None:
    result = _run("url", "check", "bitfiyer.com")
    assert result.exit_code == 1
    assert "bitfiyer.com resembles bitflyer.com (bitFlyer): l→i, 1 substitution" in result.stdout
    assert "SUSPICIOUS" in result.stdout


def test_bad_input_exits_2_and_others_are_still_reported(env: Path) -> None:
    result = _run("url", "check", "--format", "json", "not a url", "bitfiyer.com", "nikkei.com")
    assert result.exit_code == 2
    assert "not a url" in result.stderr
    assert "koban: error:" in result.stderr
    reports = _reports(result)
    assert [r["target"] for r in reports] == ["bitfiyer.com", "nikkei.com"]
    assert [r["verdict"] for r in reports] == ["suspicious", "clean"]


def test_json_shape(env: Path) -> None:
    result = _run("url", "check", "--format", "json", "https://www.brand.jp@203.0.113.5/")
    (report,) = _reports(result)
    assert list(report) == [
        "schema", "analyser", "target", "verdict", "score", "findings", "children",
    ]  # fmt: skip
    assert report["schema"] == "koban.report/1"
    assert report["analyser"] == "url"
    assert report["target"] == "https://www.brand.jp@203.0.113.5/"
    assert report["verdict"] in ("suspicious", "malicious")
    rules = {f["rule"] for f in report["findings"]}
    assert {"url.userinfo", "url.ip_host"} <= rules
    for f in report["findings"]:
        assert set(f) >= {"rule", "severity", "message", "evidence", "attack"}


def test_fail_on(env: Path) -> None:
    assert _run("url", "check", "--fail-on", "never", "bitfiyer.com").exit_code == 0
    assert _run("url", "check", "--fail-on", "critical", "bitfiyer.com").exit_code == 0
    assert _run("url", "check", "--fail-on", "low", "cloud.com").exit_code == 1


def test_sarif(env: Path) -> None:
    result = _run("url", "check", "--format", "sarif", "bitflyer-login.com")
    doc = json.loads(result.stdout)
    assert doc["runs"][0]["results"][0]["ruleId"] == "url.combosquat"


def test_profile_own_domain(env: Path) -> None:
    (env / "koban.toml").write_text(
        '[org]\nname = "Hoshi Exchange K.K."\ndomains = ["hoshi-exchange.jp"]\n', encoding="utf-8"
    )
    result = _run("url", "check", "--format", "json", "hoshi-exchange-secure.com")
    assert result.exit_code == 1
    (report,) = _reports(result)
    assert report["verdict"] == "malicious"
    assert report["findings"][0]["severity"] == "critical"


def test_scan_dispatches_urls_to_the_url_analyser(env: Path) -> None:
    result = _run("scan", "--format", "json", "https://bitflyer-login.com/")
    (report,) = _reports(result)
    assert report["analyser"] == "url"
    assert result.exit_code == 1


def test_permutations_text(env: Path) -> None:
    result = _run("url", "permutations", "--fuzzer", "omission", "bitflyer.com")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert "omission       bitflyr.com" in lines
    assert "8 candidates for bitflyer.com" in result.stderr


def test_permutations_json(env: Path) -> None:
    result = _run("url", "permutations", "--format", "json", "--fuzzer", "confusable", "okx.com")
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert rows
    assert set(rows[0]) == {"fuzzer", "domain", "unicode"}
    assert all(r["domain"].startswith("xn--") for r in rows)
    assert all(r["fuzzer"] == "confusable" for r in rows)


def test_permutations_errors(env: Path) -> None:
    result = _run("url", "permutations", "203.0.113.5")
    assert result.exit_code == 2
    assert "203.0.113.5" in result.stderr
    result = _run("url", "permutations", "--fuzzer", "nope", "bitflyer.com")
    assert result.exit_code == 2
    assert "unknown fuzzer" in result.output


def test_from_file_skips_comments_names_bad_lines_and_goes_on(env: Path, tmp_path: Path) -> None:
    listed = tmp_path / "feed.txt"
    listed.write_text(
        "# newly registered domains\n\nbitfiyer.com\nnot a url\n" + "a" * 9000 + "\nnikkei.com\n",
        encoding="utf-8",
    )
    result = _run("url", "check", "--format", "json", "coincheck.net", "--from", str(listed))
    assert result.exit_code == 2  # input errors win over findings
    targets = [r["target"] for r in _reports(result)]
    assert targets == ["coincheck.net", "bitfiyer.com", "nikkei.com"]
    assert f"{listed}:4: not a url: not a URL or domain name" in result.stderr
    assert f"{listed}:5: 9,000 characters, longer than any URL: skipped" in result.stderr


def test_from_stdin_text_ends_with_the_summary(env: Path) -> None:
    result = CliRunner().invoke(
        cli, ["url", "check", "--from", "-"], input="bitfiyer.com\nnikkei.com\n"
    )
    assert result.exit_code == 1, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("bitfiyer.com  SUSPICIOUS")
    assert lines[-1] == "2 inputs: 0 malicious, 1 suspicious, 1 clean"


def test_from_file_sarif_is_one_document(env: Path, tmp_path: Path) -> None:
    listed = tmp_path / "hosts.txt"
    listed.write_text("bitfiyer.com\nnikkei.com\n", encoding="utf-8")
    result = _run("url", "check", "--format", "sarif", "--from", str(listed))
    doc = json.loads(result.stdout)
    assert [r["ruleId"] for r in doc["runs"][0]["results"]] == ["url.typosquat"]


def test_no_targets_is_a_usage_error(env: Path) -> None:
    result = _run("url", "check")
    assert result.exit_code == 2
    assert "give URLs, domains or addresses, or --from FILE" in result.stderr


def test_from_stdin_writes_each_report_as_it_is_made(env: Path) -> None:
    """A real process reading a pipe: the first report arrives before the input ends."""
    command = [sys.executable, "-m", "koban.cli", "url", "check", "--format", "json", "--from", "-"]
    with subprocess.Popen(
        command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as proc:
        assert proc.stdin is not None and proc.stdout is not None
        try:
            proc.stdin.write("bitfiyer.com\n")
            proc.stdin.flush()
            ready, _, _ = select.select([proc.stdout], [], [], 60)
            assert ready, "no report while the input is still open"
            first = json.loads(proc.stdout.readline())
            assert (first["target"], first["verdict"]) == ("bitfiyer.com", "suspicious")
            proc.stdin.write("nikkei.com\n")
            proc.stdin.close()
            assert json.loads(proc.stdout.readline())["verdict"] == "clean"
            assert proc.wait(timeout=60) == 1
        finally:
            proc.kill()
