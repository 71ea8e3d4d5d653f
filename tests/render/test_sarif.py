"""SARIF 2.1.0: valid against the official OASIS schema, with rules, levels and locations right."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import jsonschema
import pytest

from koban import __version__
from koban.model import Finding, Location, Report, Severity
from koban.render import render
from koban.render.sarif import render_sarif
from koban.rules import get_rule, make_finding
from koban.scoring import finalise

SCHEMA_FILE = Path(__file__).parent.parent / "fixtures" / "sarif" / "sarif-schema-2.1.0.json"
LEVELS = {"info": "note", "low": "note", "medium": "warning", "high": "error", "critical": "error"}


@pytest.fixture(scope="module")
def validator() -> jsonschema.protocols.Validator:
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    assert schema["title"].startswith("Static Analysis Results Format (SARIF) Version 2.1.0")
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def _reports() -> list[Report]:
    wallet_key = Finding(
        rule="intel.sanctioned",
        severity=Severity.CRITICAL,
        message="address listed by OFAC SDN (Lazarus Group)",
        location=Location(path="payouts/2025-03.csv", line=12, commit="0" * 40),
        evidence={"fingerprint": "sha256:1a2b3c4d5e6f", "redacted": "0x098b…2f96"},
        indicators=["0x098b716b8aaf21512996dc57eb0615e2383e2f96"],
        kind="address",
    )
    member = Report(
        analyser="file",
        target="資料 2024.zip!請求書.docm",
        findings=[
            make_finding(
                "intel.known_indicator",
                "SHA-256 listed by misp:CIRCL",
                location=Location(path="資料 2024.zip!請求書.docm"),
            )
        ],
    )
    archive = Report(
        analyser="file",
        target="資料 2024.zip",
        findings=[make_finding("intel.mixer", "Tornado Cash へ送金", location=Location(line=3))],
        children=[member],
    )
    return [
        finalise(
            Report(analyser="keys", target="repo/", findings=[wallet_key], children=[archive])
        ),
        finalise(
            Report(
                analyser="file",
                target="notes.txt",
                findings=[make_finding("scan.analyser_unavailable", "not analysed")],
            )
        ),
        finalise(Report(analyser="url", target="https://github.com/")),
    ]


def _sarif(reports: list[Report] | None = None) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(render_sarif(_reports() if reports is None else reports))
    return doc


def _results(doc: dict[str, Any]) -> list[dict[str, Any]]:
    results: list[dict[str, Any]] = doc["runs"][0]["results"]
    return results


def test_valid_against_official_schema(validator: jsonschema.protocols.Validator) -> None:
    doc = _sarif()
    errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors)


def test_empty_run_is_valid(validator: jsonschema.protocols.Validator) -> None:
    doc = _sarif([])
    validator.validate(doc)
    assert doc["runs"][0]["results"] == []
    assert doc["runs"][0]["tool"]["driver"]["rules"] == []


def test_schema_check_catches_bad_level(validator: jsonschema.protocols.Validator) -> None:
    doc = _sarif()
    doc["runs"][0]["results"][0]["level"] = "critical"
    with pytest.raises(jsonschema.ValidationError):
        validator.validate(doc)


def test_schema_check_catches_bad_start_line(validator: jsonschema.protocols.Validator) -> None:
    doc = _sarif()
    region = doc["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]
    region["startLine"] = 0
    with pytest.raises(jsonschema.ValidationError):
        validator.validate(doc)


def test_header() -> None:
    doc = _sarif()
    assert doc["version"] == "2.1.0"
    assert "sarif-2.1.0" in doc["$schema"]
    driver = doc["runs"][0]["tool"]["driver"]
    assert driver["name"] == "koban"
    assert driver["version"] == __version__
    assert len(doc["runs"]) == 1


def test_one_result_per_finding_including_children() -> None:
    results = _results(_sarif())
    findings = [f for r in _reports() for sub in r.walk() for f in sub.findings]
    assert [r["ruleId"] for r in results] == [f.rule for f in findings]
    assert [r["message"]["text"] for r in results] == [f.message for f in findings]


def test_rule_index_points_at_rule() -> None:
    doc = _sarif()
    rules = doc["runs"][0]["tool"]["driver"]["rules"]
    assert len({r["id"] for r in rules}) == len(rules)
    for result in _results(doc):
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]


def test_rule_descriptors_from_registry() -> None:
    rules = {r["id"]: r for r in _sarif()["runs"][0]["tool"]["driver"]["rules"]}
    assert set(rules) == {
        "intel.sanctioned",
        "intel.mixer",
        "intel.known_indicator",
        "scan.analyser_unavailable",
    }
    for rule_id, descriptor in rules.items():
        rule = get_rule(rule_id)
        assert descriptor["shortDescription"]["text"] == rule.title
        assert descriptor["fullDescription"]["text"] == rule.description
        assert descriptor["defaultConfiguration"]["level"] == LEVELS[rule.severity.value]
        assert float(descriptor["properties"]["security-severity"]) >= 0
        assert set(rule.attack) <= set(descriptor["properties"]["tags"])


def test_threat_actor_rule_tags_attack() -> None:
    report = finalise(
        Report(
            analyser="url",
            target="www.journalide.org",
            findings=[make_finding("intel.threat_actor", "attributed to Lazarus Group")],
        )
    )
    rule = _sarif([report])["runs"][0]["tool"]["driver"]["rules"][0]
    assert "T1588" in rule["properties"]["tags"]
    assert float(rule["properties"]["security-severity"]) >= 9.0


@pytest.mark.parametrize("severity", list(Severity))
def test_level_mapping(severity: Severity, validator: jsonschema.protocols.Validator) -> None:
    report = finalise(
        Report(
            analyser="file",
            target="x.bin",
            findings=[Finding(rule="file.thing", severity=severity, message="m")],
        )
    )
    doc = _sarif([report])
    validator.validate(doc)
    result = _results(doc)[0]
    assert result["level"] == LEVELS[severity.value]
    assert result["properties"]["severity"] == severity.value


def test_unregistered_rule_still_valid(validator: jsonschema.protocols.Validator) -> None:
    report = finalise(
        Report(
            analyser="mail",
            target="a.eml",
            findings=[Finding(rule="mail.not_yet_registered", severity=Severity.LOW, message="m")],
        )
    )
    doc = _sarif([report])
    validator.validate(doc)
    rules = doc["runs"][0]["tool"]["driver"]["rules"]
    assert rules == [{"id": "mail.not_yet_registered"}]
    assert _results(doc)[0]["ruleIndex"] == 0


def test_start_line_when_finding_has_line() -> None:
    results = _results(_sarif())
    by_rule = {r["ruleId"]: r for r in results}
    physical = by_rule["intel.sanctioned"]["locations"][0]["physicalLocation"]
    assert physical["region"]["startLine"] == 12
    assert unquote(physical["artifactLocation"]["uri"]) == "repo/payouts/2025-03.csv"
    mixer = by_rule["intel.mixer"]["locations"][0]["physicalLocation"]
    assert mixer["region"]["startLine"] == 3
    assert unquote(mixer["artifactLocation"]["uri"]) == "資料 2024.zip"


def test_no_region_without_line() -> None:
    by_rule = {r["ruleId"]: r for r in _results(_sarif())}
    for rule_id in ("intel.known_indicator", "scan.analyser_unavailable"):
        physical = by_rule[rule_id]["locations"][0]["physicalLocation"]
        assert "region" not in physical


def test_uri_is_a_valid_uri_reference() -> None:
    """Spaces and Japanese in paths are percent-encoded (SARIF requires URI references)."""
    uris = [
        loc["physicalLocation"]["artifactLocation"]["uri"]
        for result in _results(_sarif())
        for loc in result["locations"]
    ]
    for uri in uris:
        assert uri.isascii(), uri
        assert " " not in uri, uri
    decoded = {unquote(u) for u in uris}
    assert "資料 2024.zip!請求書.docm" in decoded
    assert "notes.txt" in decoded


def test_url_target_kept_as_url() -> None:
    report = finalise(
        Report(
            analyser="url",
            target="https://h0shi-exchange.jp/login?next=%2Fwallet&x=1",
            findings=[Finding(rule="url.lookalike", severity=Severity.HIGH, message="m")],
        )
    )
    uri = _results(_sarif([report]))[0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert uri["uri"] == "https://h0shi-exchange.jp/login?next=%2Fwallet&x=1"


def test_partial_fingerprints_from_evidence() -> None:
    by_rule = {r["ruleId"]: r for r in _results(_sarif())}
    assert by_rule["intel.sanctioned"]["partialFingerprints"] == {
        "kobanFingerprint/v1": "sha256:1a2b3c4d5e6f"
    }
    assert "partialFingerprints" not in by_rule["intel.mixer"]


def test_properties_carry_kind_and_commit() -> None:
    by_rule = {r["ruleId"]: r for r in _results(_sarif())}
    props = by_rule["intel.sanctioned"]["properties"]
    assert props["kind"] == "address"
    assert props["commit"] == "0" * 40
    assert props["analyser"] == "keys"


def test_japanese_kept_in_output() -> None:
    text = render_sarif(_reports())
    assert "Tornado Cash へ送金" in text
    assert render("sarif", _reports()) == text
