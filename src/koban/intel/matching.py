"""From store matches to findings: the one place that decides what an intel hit means."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from koban.intel.store import Match
from koban.model import Finding
from koban.rules import Rule, make_finding

SANCTION_SOURCES = ("ofac", "sanction", "chainalysis")
CONTEXT_CATEGORIES = {"exchange", "bridge", "defi", "market", "service", "wallet_service"}


def _is_sanction(m: Match) -> bool:
    return m.source.startswith(SANCTION_SOURCES) or "sanction" in m.programs


def _describe(m: Match) -> str:
    who = m.entity or (f"{m.scope} list" if m.scope else "listed value")
    progs = f" ({', '.join(m.programs)})" if m.programs else ""
    when = f"listed since {m.first_seen}, last {m.last_seen}"
    if not m.listed:
        when = f"listed {m.first_seen}..{m.last_seen}, dropped {m.delisted_on or 'later'}"
    return f"{m.source}: {who}{progs}, {when}"


def findings_for(query: str, matches: Sequence[Match]) -> list[Finding]:
    """Findings for the matches of one queried value (one finding per rule that applies)."""
    if not matches:
        return []
    listed = [m for m in matches if m.listed]
    evidence: dict[str, Any] = {"query": query, "matches": [m.to_dict() for m in matches]}
    values = sorted({m.value for m in matches})
    out: list[Finding] = []

    sanctioned = [m for m in listed if _is_sanction(m)]
    if sanctioned:
        out.append(
            make_finding(
                "intel.sanctioned",
                f"{query} is sanctioned: {_describe(sanctioned[0])}",
                evidence=evidence,
                indicators=values,
            )
        )
    actors = [m for m in listed if m.attribution]
    if actors:
        out.append(
            make_finding(
                "intel.threat_actor",
                f"{query} is attributed to {actors[0].attribution}: {_describe(actors[0])}",
                evidence=evidence,
                indicators=values,
            )
        )
    mixers = [m for m in matches if m.category == "mixer"]
    if mixers:
        note = "" if mixers[0].listed else " (no longer sanctioned)"
        out.append(
            make_finding(
                "intel.mixer",
                f"{query} belongs to the mixer {mixers[0].entity or '?'}{note}: "
                f"{_describe(mixers[0])}",
                evidence=evidence,
                indicators=values,
            )
        )
    threat = [
        m
        for m in listed
        if not _is_sanction(m)
        and not m.attribution
        and m.category not in CONTEXT_CATEGORIES
        and m.category != "mixer"
    ]
    if threat and not out:
        out.append(
            make_finding(
                "intel.known_indicator",
                f"{query} is a known indicator: {_describe(threat[0])}",
                evidence=evidence,
                indicators=values,
            )
        )
    context = [m for m in listed if m.category in CONTEXT_CATEGORIES]
    if context and not out:
        out.append(
            make_finding(
                "intel.context",
                f"{query} is {context[0].entity or 'known'} "
                f"({context[0].category}) per {context[0].source}",
                evidence=evidence,
                indicators=values,
            )
        )
    if not listed and not out:
        out.append(
            make_finding(
                "intel.formerly_listed",
                f"{query} was listed but no longer is: {_describe(matches[0])}",
                evidence=evidence,
                indicators=values,
            )
        )
    return out


def run_example(rule: Rule, example: dict[str, Any]) -> bool:
    """Rule-example runner: does ``rule`` fire for the example's matches?"""
    matches = [Match(**m) for m in example["matches"]]
    return any(f.rule == rule.id for f in findings_for(matches[0].value, matches))
