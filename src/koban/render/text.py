"""Text for people: one block per input, colour on a terminal, plain when piped."""

from __future__ import annotations

from collections.abc import Sequence

from koban.model import Finding, Report, Severity, Verdict

_RESET = "\x1b[0m"
_VERDICT_COLOUR = {
    Verdict.CLEAN: "\x1b[32m",
    Verdict.SUSPICIOUS: "\x1b[33m",
    Verdict.MALICIOUS: "\x1b[1;31m",
}
_SEVERITY_COLOUR = {
    Severity.INFO: "\x1b[2m",
    Severity.LOW: "\x1b[36m",
    Severity.MEDIUM: "\x1b[33m",
    Severity.HIGH: "\x1b[31m",
    Severity.CRITICAL: "\x1b[1;31m",
}


def _paint(text: str, code: str, colour: bool) -> str:
    return f"{code}{text}{_RESET}" if colour else text


def _where(f: Finding) -> str:
    loc = f.location
    if loc is None:
        return ""
    parts = []
    if loc.path:
        parts.append(loc.path + (f":{loc.line}" if loc.line else ""))
    elif loc.line:
        parts.append(f"line {loc.line}")
    if loc.commit:
        parts.append(f"commit {loc.commit[:12]}")
    return f" [{', '.join(parts)}]" if parts else ""


NOT_ANALYSED_RULE = "scan.analyser_unavailable"


def _not_analysed(report: Report) -> bool:
    return report.verdict is Verdict.CLEAN and any(
        f.rule == NOT_ANALYSED_RULE for f in report.findings
    )


def _render_one(report: Report, colour: bool, depth: int, out: list[str]) -> None:
    pad = "  " * depth
    verdict = _paint(report.verdict.value.upper(), _VERDICT_COLOUR[report.verdict], colour)
    if _not_analysed(report):  # "clean" would be a lie: nothing looked at it
        verdict = _paint("NOT ANALYSED", _SEVERITY_COLOUR[Severity.INFO], colour)
    out.append(f"{pad}{report.target}  {verdict}  score {report.score}  ({report.analyser})")
    for f in report.findings:
        sev = _paint(f"{f.severity.value:<8}", _SEVERITY_COLOUR[f.severity], colour)
        out.append(f"{pad}  {sev} {f.rule}: {f.message}{_where(f)}")
        if f.wallet is not None:
            out.append(
                f"{pad}           controls {f.wallet.label} ({f.wallet.chain} {f.wallet.address})"
            )
    for child in report.children:
        _render_one(child, colour, depth + 1, out)


def render_text(reports: Sequence[Report], *, colour: bool = False) -> str:
    out: list[str] = []
    for report in reports:
        _render_one(report, colour, 0, out)
    if len(reports) > 1:
        tally = Tally()
        for report in reports:
            tally.add(report)
        out.append(tally.line())
    return "\n".join(out) + ("\n" if out else "")


def render_text_one(report: Report, *, colour: bool = False) -> str:
    """One report, without the closing summary (for reports written as they are made)."""
    out: list[str] = []
    _render_one(report, colour, 0, out)
    return "\n".join(out) + ("\n" if out else "")


class Tally:
    """Verdict counts for the closing summary line of several reports."""

    def __init__(self) -> None:
        self.counts = dict.fromkeys(Verdict, 0)
        self.skipped = 0

    def add(self, report: Report) -> None:
        self.counts[report.verdict] += 1
        self.skipped += _not_analysed(report)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def line(self) -> str:
        c = self.counts
        line = (
            f"{self.total} inputs: {c[Verdict.MALICIOUS]} malicious, "
            f"{c[Verdict.SUSPICIOUS]} suspicious, {c[Verdict.CLEAN] - self.skipped} clean"
        )
        if self.skipped:
            line += f", {self.skipped} not analysed"
        return line
