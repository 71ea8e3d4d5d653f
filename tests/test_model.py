"""The report model: the ``koban.report/1`` JSON document of PRODUCT.md."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from koban.model import SCHEMA, Finding, Location, Report, Severity, Verdict, WalletRef

REPORT_KEYS = ["schema", "analyser", "target", "verdict", "score", "findings", "children"]
FINDING_KEYS = [
    "rule",
    "kind",
    "severity",
    "message",
    "location",
    "evidence",
    "attack",
    "indicators",
    "wallet",
]


def _finding(**kw: object) -> Finding:
    base: dict[str, object] = {
        "rule": "keys.eth_private_key",
        "kind": "eth_private_key",
        "severity": Severity.CRITICAL,
        "message": "Ethereum private key 0x4c08…f5b2 (fingerprint 1a2b3c4d)",
        "location": Location(path="wallet/.env", line=3, commit="0123456789abcdef"),
        "evidence": {"redacted": "0x4c08…f5b2", "fingerprint": "1a2b3c4d"},
        "attack": ["T1552.001"],
        "indicators": [],
        "wallet": WalletRef(
            label="hot wallet 1",
            address="0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed",
            chain="ethereum",
        ),
    }
    base.update(kw)
    return Finding.model_validate(base)


def _report() -> Report:
    child = Report(
        analyser="file",
        target="lure.zip!invoice.lnk",
        verdict=Verdict.MALICIOUS,
        score=90,
        findings=[_finding(rule="file.lnk_lure", kind=None, wallet=None, location=None)],
    )
    return Report(
        analyser="mail",
        target="inbox/採用のご案内.eml",
        verdict=Verdict.MALICIOUS,
        score=90,
        findings=[_finding()],
        children=[child],
    )


def test_report_keys_in_product_order() -> None:
    doc = _report().to_dict()
    assert list(doc) == REPORT_KEYS
    assert doc["schema"] == SCHEMA == "koban.report/1"
    assert list(doc["children"][0]) == REPORT_KEYS


def test_report_json_text_keys_in_order() -> None:
    text = json.dumps(_report().to_dict(), ensure_ascii=False)
    assert text.startswith('{"schema": "koban.report/1", "analyser": "mail", "target": ')
    assert list(json.loads(text)) == REPORT_KEYS


def test_default_report_is_clean() -> None:
    doc = Report(analyser="url", target="hoshi-exchange.jp").to_dict()
    assert doc == {
        "schema": "koban.report/1",
        "analyser": "url",
        "target": "hoshi-exchange.jp",
        "verdict": "clean",
        "score": 0,
        "findings": [],
        "children": [],
    }


def test_finding_keys() -> None:
    finding = _report().to_dict()["findings"][0]
    assert list(finding) == FINDING_KEYS
    assert list(finding["location"]) == ["path", "line", "commit"]
    assert list(finding["wallet"]) == ["label", "address", "chain"]
    assert finding["severity"] == "critical"
    assert finding["attack"] == ["T1552.001"]


def test_minimal_finding_defaults() -> None:
    finding = Finding(rule="mail.exec_display_name", severity=Severity.MEDIUM, message="m")
    assert finding.model_dump(mode="json") == {
        "rule": "mail.exec_display_name",
        "kind": None,
        "severity": "medium",
        "message": "m",
        "location": None,
        "evidence": {},
        "attack": [],
        "indicators": [],
        "wallet": None,
    }


def test_round_trip_via_json() -> None:
    report = _report()
    text = json.dumps(report.to_dict(), ensure_ascii=False)
    again = Report.model_validate(json.loads(text))
    assert again == report
    assert again.to_dict() == report.to_dict()
    assert Report.model_validate_json(text) == report


def test_enums_parsed_from_json() -> None:
    again = Report.model_validate(json.loads(json.dumps(_report().to_dict())))
    assert again.verdict is Verdict.MALICIOUS
    assert again.findings[0].severity is Severity.CRITICAL
    assert again.children[0].findings[0].severity is Severity.CRITICAL


def test_walk_is_depth_first() -> None:
    leaf = Report(analyser="file", target="c")
    mid = Report(analyser="file", target="b", children=[leaf])
    top = Report(analyser="file", target="a", children=[mid, Report(analyser="url", target="d")])
    assert [r.target for r in top.walk()] == ["a", "b", "c", "d"]


@pytest.mark.parametrize(
    "where",
    ["report", "finding", "location", "wallet", "child"],
)
def test_extra_keys_rejected(where: str) -> None:
    doc = _report().to_dict()
    target = {
        "report": doc,
        "finding": doc["findings"][0],
        "location": doc["findings"][0]["location"],
        "wallet": doc["findings"][0]["wallet"],
        "child": doc["children"][0],
    }[where]
    target["surprise"] = 1
    with pytest.raises(ValidationError, match="surprise"):
        Report.model_validate(doc)


@pytest.mark.parametrize(
    ("key", "value"),
    [("verdict", "dangerous"), ("score", "high"), ("findings", "none")],
)
def test_bad_report_values_rejected(key: str, value: object) -> None:
    doc = _report().to_dict()
    doc[key] = value
    with pytest.raises(ValidationError):
        Report.model_validate(doc)


def test_bad_severity_rejected() -> None:
    doc = _report().to_dict()
    doc["findings"][0]["severity"] = "severe"
    with pytest.raises(ValidationError):
        Report.model_validate(doc)


@pytest.mark.parametrize("missing", ["analyser", "target"])
def test_required_report_keys(missing: str) -> None:
    doc = _report().to_dict()
    del doc[missing]
    with pytest.raises(ValidationError):
        Report.model_validate(doc)


@pytest.mark.parametrize("missing", ["rule", "severity", "message"])
def test_required_finding_keys(missing: str) -> None:
    doc = _report().to_dict()
    del doc["findings"][0][missing]
    with pytest.raises(ValidationError):
        Report.model_validate(doc)


def test_ranks_are_ordered() -> None:
    ranks = [s.rank for s in (Severity.INFO, Severity.LOW, Severity.MEDIUM, Severity.HIGH)]
    assert [*ranks, Severity.CRITICAL.rank] == [0, 1, 2, 3, 4]
    assert Verdict.CLEAN.rank < Verdict.SUSPICIOUS.rank < Verdict.MALICIOUS.rank
