"""Verdict and score come from findings, in one place, for every analyser."""

from __future__ import annotations

import pytest

from koban.model import Finding, Report, Severity, Verdict
from koban.scoring import FAIL_LEVELS, fails, finalise, score_findings, worst_severity


def _f(severity: Severity, rule: str = "test.rule") -> Finding:
    return Finding(rule=rule, severity=severity, message=f"a {severity.value} finding")


def _report(*severities: Severity, children: list[Report] | None = None) -> Report:
    return finalise(
        Report(
            analyser="file",
            target="x",
            findings=[_f(s) for s in severities],
            children=children or [],
        )
    )


def test_no_findings_is_clean_zero() -> None:
    report = _report()
    assert report.verdict is Verdict.CLEAN
    assert report.score == 0


def test_one_info_is_clean() -> None:
    report = _report(Severity.INFO)
    assert report.verdict is Verdict.CLEAN
    assert report.score == 0


def test_one_low_is_clean() -> None:
    assert _report(Severity.LOW).verdict is Verdict.CLEAN


def test_one_medium_is_suspicious() -> None:
    report = _report(Severity.MEDIUM)
    assert report.verdict is Verdict.SUSPICIOUS
    assert 0 < report.score < 100


def test_one_high_is_suspicious() -> None:
    assert _report(Severity.HIGH).verdict is Verdict.SUSPICIOUS


def test_one_critical_is_malicious() -> None:
    report = _report(Severity.CRITICAL)
    assert report.verdict is Verdict.MALICIOUS
    assert report.score >= 70


@pytest.mark.parametrize("n", [1, 2, 5, 10, 100])
def test_many_low_never_malicious(n: int) -> None:
    report = _report(*([Severity.LOW] * n))
    assert report.verdict is not Verdict.MALICIOUS
    assert report.score < _report(Severity.CRITICAL).score


@pytest.mark.parametrize("n", [1, 10, 100])
def test_many_info_stay_clean(n: int) -> None:
    assert _report(*([Severity.INFO] * n)).verdict is Verdict.CLEAN


def test_score_bounded() -> None:
    report = _report(*([Severity.CRITICAL] * 50))
    assert report.score == 100
    assert report.verdict is Verdict.MALICIOUS


def test_score_monotonic_in_findings() -> None:
    order = [Severity.INFO, Severity.LOW, Severity.MEDIUM, Severity.HIGH, Severity.CRITICAL]
    scores = [score_findings([_f(s)]) for s in order]
    assert scores == sorted(scores)
    assert score_findings([_f(Severity.HIGH), _f(Severity.LOW)]) > score_findings(
        [_f(Severity.HIGH)]
    )


def test_order_of_findings_does_not_matter() -> None:
    a = [_f(Severity.LOW), _f(Severity.HIGH), _f(Severity.MEDIUM)]
    assert score_findings(a) == score_findings(list(reversed(a)))


def test_malicious_child_makes_clean_parent_malicious() -> None:
    child = Report(analyser="file", target="lure.zip!invoice.lnk", findings=[_f(Severity.CRITICAL)])
    parent = _report(children=[child])
    assert child.verdict is Verdict.MALICIOUS
    assert parent.verdict is Verdict.MALICIOUS
    assert parent.score == child.score


def test_grandchild_propagates() -> None:
    grandchild = Report(analyser="file", target="a!b!c", findings=[_f(Severity.MEDIUM)])
    child = Report(analyser="file", target="a!b", children=[grandchild])
    parent = _report(Severity.INFO, children=[child])
    assert grandchild.verdict is Verdict.SUSPICIOUS
    assert child.verdict is Verdict.SUSPICIOUS
    assert parent.verdict is Verdict.SUSPICIOUS


def test_clean_child_does_not_lower_parent() -> None:
    child = Report(analyser="url", target="https://github.com/")
    parent = _report(Severity.CRITICAL, children=[child])
    assert child.verdict is Verdict.CLEAN
    assert parent.verdict is Verdict.MALICIOUS


def test_finalise_returns_same_report() -> None:
    report = Report(analyser="file", target="x", findings=[_f(Severity.MEDIUM)])
    assert finalise(report) is report


def test_worst_severity_looks_at_children() -> None:
    child = Report(analyser="file", target="c", findings=[_f(Severity.HIGH)])
    assert worst_severity(_report(Severity.LOW, children=[child])) is Severity.HIGH
    assert worst_severity(_report()) is None


def test_fail_levels_listed() -> None:
    assert set(FAIL_LEVELS) == {
        "info",
        "low",
        "medium",
        "high",
        "critical",
        "suspicious",
        "malicious",
        "never",
    }


# For each report (by its worst finding), the --fail-on levels at which it fails.
_CASES = {
    "nothing": ((), set()),
    "info": ((Severity.INFO,), {"info"}),
    "low": ((Severity.LOW,), {"info", "low"}),
    "medium": ((Severity.MEDIUM,), {"info", "low", "medium", "suspicious"}),
    "high": ((Severity.HIGH,), {"info", "low", "medium", "high", "suspicious"}),
    "critical": (
        (Severity.CRITICAL,),
        {"info", "low", "medium", "high", "critical", "suspicious", "malicious"},
    ),
    "two-high": (
        (Severity.HIGH, Severity.HIGH),
        {"info", "low", "medium", "high", "suspicious", "malicious"},
    ),
}


@pytest.mark.parametrize("level", FAIL_LEVELS)
@pytest.mark.parametrize("case", list(_CASES))
def test_fails(case: str, level: str) -> None:
    severities, failing = _CASES[case]
    report = _report(*severities)
    assert fails(report, level) is (level in failing)


def test_never_never_fails() -> None:
    assert not fails(_report(*([Severity.CRITICAL] * 3)), "never")


def test_fails_sees_child_severity() -> None:
    child = Report(analyser="file", target="c", findings=[_f(Severity.LOW)])
    parent = _report(children=[child])
    assert fails(parent, "low")
    assert not fails(parent, "medium")
    assert not fails(parent, "suspicious")


def test_fails_sees_child_verdict() -> None:
    child = Report(analyser="file", target="c", findings=[_f(Severity.CRITICAL)])
    assert fails(_report(children=[child]), "malicious")


def test_unknown_level_is_an_error() -> None:
    with pytest.raises(ValueError, match="severe"):
        fails(_report(), "severe")
