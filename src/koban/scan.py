"""``koban scan``: decide which analyser each input belongs to and run it.

Dispatch (PRODUCT.md): .eml/.msg/mbox/Maildir → mail, URLs/domains → url, directories → keys +
file, other files → file. Bare indicators (crypto addresses, hashes, IPs, e-mail addresses) are
looked up in the intel store. Analysers that do not exist yet are reported as such (an info
finding and a warning), never faked.
"""

from __future__ import annotations

import importlib.util
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from koban.errors import InputError
from koban.intel.indicators import IndicatorType, guess_type
from koban.intel.matching import findings_for
from koban.intel.store import IntelStore
from koban.model import Report
from koban.profile import Profile
from koban.rules import Rule, make_finding
from koban.scoring import finalise

MAIL_SUFFIXES = {".eml", ".msg", ".mbox", ".mbx"}
ANALYSERS = ("mail", "url", "file", "keys", "intel")


@dataclass(frozen=True)
class Plan:
    target: str
    analysers: tuple[str, ...]
    indicator: IndicatorType | None = None


def _looks_like_mbox(path: Path) -> bool:
    try:
        with path.open("rb") as f:
            return f.read(5) == b"From "
    except OSError:
        return False


def plan(target: str) -> Plan:
    """Which analysers ``target`` goes to (no I/O beyond a stat and 5 bytes)."""
    path = Path(target)
    if path.is_dir():
        if all((path / d).is_dir() for d in ("cur", "new", "tmp")):
            return Plan(target, ("mail",))
        return Plan(target, ("keys", "file"))
    if path.is_file():
        if path.suffix.lower() in MAIL_SUFFIXES or _looks_like_mbox(path):
            return Plan(target, ("mail",))
        return Plan(target, ("file",))
    kind = guess_type(target)
    if kind in (IndicatorType.URL, IndicatorType.DOMAIN):
        return Plan(target, ("url",), kind)
    if kind is not None:
        return Plan(target, ("intel",), kind)
    raise InputError(target, "no such file or directory, and not a URL, domain or indicator")


def available(analyser: str) -> bool:
    """Whether ``koban.<analyser>`` provides ``analyse(target, profile, store) -> Report``."""
    if analyser == "intel":
        return True
    try:
        spec = importlib.util.find_spec(f"koban.{analyser}")
    except ModuleNotFoundError:
        return False
    return spec is not None


def _unavailable(analyser: str, target: str) -> Report:
    return Report(
        analyser=analyser,
        target=target,
        findings=[
            make_finding(
                "scan.analyser_unavailable",
                f"the {analyser} analyser is not available in this version: "
                f"{target} was not analysed",
            )
        ],
    )


def _intel(target: str, kind: IndicatorType | None, store: IntelStore | None) -> Report:
    report = Report(analyser="intel", target=target)
    if store is not None:
        report.findings = findings_for(target, store.lookup(target, kind))
    return report


Analyse = Callable[[str, Profile, IntelStore | None], Report]


def scan(
    target: str,
    profile: Profile,
    store: IntelStore | None,
    warn: Callable[[str], None],
    disabled: frozenset[str] = frozenset(),
) -> list[Report]:
    """Reports for one input (one per analyser it goes to). Raises InputError if unusable.

    ``disabled`` analysers are treated as not available (a build without them, rule examples)."""
    p = plan(target)
    reports = []
    for analyser in p.analysers:
        if analyser == "intel":
            reports.append(_intel(target, p.indicator, store))
        elif analyser not in disabled and available(analyser):
            module: Any = importlib.import_module(f"koban.{analyser}")
            analyse: Analyse = module.analyse
            reports.append(analyse(target, profile, store))
        else:
            warn(f"{target}: the {analyser} analyser is not available yet; not analysed")
            report = _unavailable(analyser, target)
            if p.indicator is not None and store is not None:
                report.findings += findings_for(target, store.lookup(target, p.indicator))
            reports.append(report)
    return [finalise(r) for r in reports]


def run_example(rule: Rule, example: dict[str, Any]) -> bool:
    """Rule-example runner for ``scan.*``: writes the example's file and scans it, with the
    example's ``disabled`` analysers treated as absent."""
    with tempfile.TemporaryDirectory(prefix="koban-example-") as tmp:
        target = Path(tmp) / example["name"]
        target.write_text(example.get("content", ""), encoding="utf-8")
        disabled = frozenset(example.get("disabled", ()))
        reports = scan(str(target), Profile(), None, lambda _msg: None, disabled)
    return any(f.rule == rule.id for r in reports for f in r.findings)
