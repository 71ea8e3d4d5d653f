"""SARIF 2.1.0 for code-scanning uploads: one run, rules from the rule registry."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

from koban import __version__
from koban.model import Finding, Report, Severity
from koban.rules import all_rules

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"

_LEVEL = {
    Severity.INFO: "note",
    Severity.LOW: "note",
    Severity.MEDIUM: "warning",
    Severity.HIGH: "error",
    Severity.CRITICAL: "error",
}
_SECURITY_SEVERITY = {
    Severity.INFO: "0.0",
    Severity.LOW: "3.0",
    Severity.MEDIUM: "5.0",
    Severity.HIGH: "8.0",
    Severity.CRITICAL: "9.5",
}


# Characters left as they are: RFC 3986 reserved ones and "%" (so URLs and escapes survive).
_URI_SAFE = "/:?#[]@!$&'()*+,;=%"


def _uri(report: Report, finding: Finding) -> str:
    """A valid URI reference (SARIF 3.10.2): spaces and non-ASCII are percent-encoded."""
    base = report.target
    if finding.location and finding.location.path:
        path = finding.location.path
        head = path.split("!", 1)[0]
        if base.rstrip("/").rsplit("/", 1)[-1] == head and not base.endswith("/"):
            # a file given as input: its findings are located by its name ("k.env", "a.zip!x")
            parent = base.rsplit("/", 1)[0] if "/" in base else ""
            path = f"{parent}/{path}" if parent else path
        elif not (base in ("", ".") or path.startswith(base)):
            path = f"{base.rstrip('/')}/{path}"
    else:
        path = base
    return quote(path, safe=_URI_SAFE)


def _result(report: Report, finding: Finding, rule_index: dict[str, int]) -> dict[str, Any]:
    region: dict[str, Any] = {}
    if finding.location and finding.location.line:
        region["startLine"] = finding.location.line
    physical: dict[str, Any] = {"artifactLocation": {"uri": _uri(report, finding)}}
    if region:
        physical["region"] = region
    result: dict[str, Any] = {
        "ruleId": finding.rule,
        "level": _LEVEL[finding.severity],
        "message": {"text": finding.message},
        "locations": [{"physicalLocation": physical}],
        "properties": {"severity": finding.severity.value, "analyser": report.analyser},
    }
    if finding.rule in rule_index:
        result["ruleIndex"] = rule_index[finding.rule]
    if finding.kind:
        result["properties"]["kind"] = finding.kind
    if finding.location and finding.location.commit:
        result["properties"]["commit"] = finding.location.commit
    fingerprint = finding.evidence.get("fingerprint")
    if isinstance(fingerprint, str):
        result["partialFingerprints"] = {"kobanFingerprint/v1": fingerprint}
    return result


def render_sarif(reports: Sequence[Report]) -> str:
    rules = all_rules()
    used = sorted({f.rule for r in reports for sub in r.walk() for f in sub.findings})
    descriptors: list[dict[str, Any]] = []
    rule_index: dict[str, int] = {}
    for rule_id in used:
        rule = rules.get(rule_id)
        rule_index[rule_id] = len(descriptors)
        desc: dict[str, Any] = {"id": rule_id}
        if rule is not None:
            desc.update(
                {
                    "name": rule.title,
                    "shortDescription": {"text": rule.title},
                    "fullDescription": {"text": rule.description},
                    "defaultConfiguration": {"level": _LEVEL[rule.severity]},
                    "properties": {
                        "security-severity": _SECURITY_SEVERITY[rule.severity],
                        "tags": ["security", *rule.attack],
                    },
                }
            )
        descriptors.append(desc)
    results = [
        _result(sub, f, rule_index) for r in reports for sub in r.walk() for f in sub.findings
    ]
    doc = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {"driver": {"name": "koban", "version": __version__, "rules": descriptors}},
                "results": results,
            }
        ],
    }
    return json.dumps(doc, ensure_ascii=False, indent=2) + "\n"
