"""Baselines: the fingerprints of exposures a team has accepted (rotated keys, known fixtures).

A baseline lets CI fail only on new exposures. It holds fingerprints, kinds and where they were
seen, never secrets. A fingerprint identifies the secret, not the place: the same key copied to
another file is still accepted, a different key in the same file is not.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from koban.errors import InputError
from koban.model import Report

SCHEMA = "koban.keys-baseline/1"


def load(path: str | Path) -> set[str]:
    """The accepted fingerprints of the baseline file at ``path``."""
    p = Path(path)
    try:
        data: Any = json.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(str(p), "baseline file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(str(p), f"cannot read baseline: {exc}") from exc
    except json.JSONDecodeError as exc:
        raise InputError(str(p), f"not JSON (line {exc.lineno}): {exc.msg}") from exc
    if not isinstance(data, dict) or data.get("schema") != SCHEMA:
        raise InputError(str(p), f"not a koban keys baseline (expected schema {SCHEMA!r})")
    accepted = data.get("accepted")
    if not isinstance(accepted, list):
        raise InputError(str(p), "'accepted' must be a list")
    out = set()
    for i, entry in enumerate(accepted):
        fp = entry.get("fingerprint") if isinstance(entry, dict) else None
        if not isinstance(fp, str) or not fp:
            raise InputError(str(p), f"accepted[{i}] has no fingerprint")
        out.add(fp)
    return out


def fingerprint_of(finding_evidence: dict[str, Any]) -> str | None:
    fp = finding_evidence.get("fingerprint")
    return fp if isinstance(fp, str) else None


def apply(reports: Iterable[Report], accepted: set[str]) -> int:
    """Drop the findings whose fingerprint is accepted (in place); returns how many."""
    dropped = 0
    for report in reports:
        for r in report.walk():
            keep = [f for f in r.findings if fingerprint_of(f.evidence) not in accepted]
            dropped += len(r.findings) - len(keep)
            r.findings = keep
    return dropped


def write(path: str | Path, reports: Iterable[Report]) -> int:
    """Write a baseline accepting every exposure in ``reports``; returns how many entries."""
    entries: dict[str, dict[str, Any]] = {}
    for report in reports:
        for r in report.walk():
            for f in r.findings:
                fp = fingerprint_of(f.evidence)
                if fp is None or fp in entries:
                    continue
                loc = f.location
                entries[fp] = {
                    "fingerprint": fp,
                    "kind": f.kind,
                    "rule": f.rule,
                    "target": r.target,
                    "path": loc.path if loc else None,
                    "line": loc.line if loc else None,
                    "commit": loc.commit if loc else None,
                    "note": "",
                }
    doc = {"schema": SCHEMA, "accepted": sorted(entries.values(), key=_order)}
    Path(path).write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return len(entries)


def _order(entry: dict[str, Any]) -> tuple[str, str, int, str]:
    return (entry["target"], entry["path"] or "", entry["line"] or 0, entry["fingerprint"])
