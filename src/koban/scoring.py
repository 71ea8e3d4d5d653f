"""Verdict and score: computed in one place, from findings, for every analyser.

Score is 0..100. Each finding contributes by severity; the strongest finding dominates and the
rest add with diminishing weight, so ten low findings never outweigh one critical one.
Children (attachments, archive members, links) propagate their verdict to the parent.
"""

from __future__ import annotations

from collections.abc import Iterable

from koban.model import Finding, Report, Severity, Verdict

SEVERITY_POINTS = {
    Severity.INFO: 0,
    Severity.LOW: 10,
    Severity.MEDIUM: 30,
    Severity.HIGH: 60,
    Severity.CRITICAL: 90,
}

SUSPICIOUS_AT = 30
MALICIOUS_AT = 70


def score_findings(findings: Iterable[Finding]) -> int:
    points = sorted((SEVERITY_POINTS[f.severity] for f in findings), reverse=True)
    total = 0.0
    for i, p in enumerate(points):
        total += p / (2**i)
    return min(100, round(total))


def verdict_for(score: int) -> Verdict:
    if score >= MALICIOUS_AT:
        return Verdict.MALICIOUS
    if score >= SUSPICIOUS_AT:
        return Verdict.SUSPICIOUS
    return Verdict.CLEAN


def finalise(report: Report) -> Report:
    """Set score and verdict of ``report`` and all its children (in place); returns it."""
    for child in report.children:
        finalise(child)
    score = score_findings(report.findings)
    if report.children:
        score = max(score, max(c.score for c in report.children))
    report.score = score
    report.verdict = verdict_for(score)
    return report


def worst_severity(report: Report) -> Severity | None:
    sev = [f.severity for r in report.walk() for f in r.findings]
    return max(sev, key=lambda s: s.rank) if sev else None


FAIL_LEVELS = ("info", "low", "medium", "high", "critical", "suspicious", "malicious", "never")


def fails(report: Report, level: str) -> bool:
    """Whether ``report`` is at or above ``--fail-on LEVEL`` (a verdict or a severity)."""
    if level not in FAIL_LEVELS:  # checked first: a clean report must not hide a typo
        choices = ", ".join(FAIL_LEVELS)
        raise ValueError(f"unknown --fail-on level {level!r}; choose one of {choices}")
    if level == "never":
        return False
    if level in ("suspicious", "malicious"):
        return report.verdict.rank >= Verdict(level).rank
    worst = worst_severity(report)
    return worst is not None and worst.rank >= Severity(level).rank
