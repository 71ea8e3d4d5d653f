"""``koban url check`` / ``koban url permutations`` through the real CLI."""

from __future__ import annotations

import json
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
