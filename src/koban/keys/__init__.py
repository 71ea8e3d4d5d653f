"""The key-exposure scanner: wallet secrets left online, and which of our wallets they control.

``analyse(target, profile, store)`` walks a file or directory (archives, office documents, PDF
text, UTF-16 and Japanese encodings, git history: :mod:`koban.containers`), finds BIP39 and
Electrum seed phrases, WIF and extended private keys, raw secp256k1 keys in key context, Ethereum
keystores, Solana keypairs and PEM/OpenSSH private keys (:mod:`koban.keys.detectors`, one
Hyperscan pass then validation), derives the addresses each secret controls
(:mod:`koban.keys.derive`) and matches them against the profile's ``[[wallets]]``.

Findings carry a redacted form and a fingerprint, never the secret. Published test vectors are
recognised and reported as info. Modules: ``secret`` (what a detector returns), ``prefilter``
(one pass, all detectors), ``scanner`` (walk, workers), ``findings`` (report findings),
``baseline`` (accepted fingerprints), ``commands`` (the CLI).
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from koban.errors import InputError
from koban.intel.store import IntelStore
from koban.keys.findings import exposure_finding, problem_finding
from koban.keys.scanner import Exposure, Options, WalletMatch, scan_path
from koban.model import Report
from koban.profile import Profile
from koban.rules import Rule
from koban.scoring import finalise

__all__ = ["Options", "analyse", "options_for", "report_for"]


def options_for(profile: Profile, **overrides: Any) -> Options:
    """Scan options with the profile's wallets to match."""
    wallets = tuple(WalletMatch(w.label, w.address, w.chain) for w in profile.wallets)
    return Options(wallets=wallets, **overrides)


def _order(e: Exposure) -> tuple[str, int, str, str]:
    return (e.path, e.line, e.commit or "", e.kind)


def _outermost(exposures: list[Exposure]) -> list[Exposure]:
    """One finding per secret and container: a document's text and its XML members (docx
    ``word/document.xml``) hold the same seed; the one found at the outer path stays."""
    places = {(e.fingerprint, e.commit, e.path) for e in exposures}

    def inner(e: Exposure) -> bool:
        parts = e.path.split("!")
        return any(
            (e.fingerprint, e.commit, "!".join(parts[:i])) in places for i in range(1, len(parts))
        )

    return [e for e in exposures if not inner(e)]


def report_for(
    target: str,
    options: Options,
    progress: Callable[[int, int], None] | None = None,
) -> Report:
    """The finalised report for one file or directory. Raises InputError if it is unusable."""
    root = Path(target)
    if not root.exists():
        raise InputError(target, "no such file or directory")
    if not (root.is_file() or root.is_dir()):
        raise InputError(target, "not a regular file or directory")
    exposures: list[Exposure] = []
    problems = []
    for item in scan_path(root, options, progress):
        if isinstance(item, Exposure):
            exposures.append(item)
        else:
            problems.append(item)
    findings = [exposure_finding(e) for e in sorted(_outermost(exposures), key=_order)]
    findings += [problem_finding(p) for p in sorted(problems, key=lambda p: p.path)]
    return finalise(Report(analyser="keys", target=target, findings=findings))


def analyse(target: str, profile: Profile, store: IntelStore | None) -> Report:
    """``koban scan``'s entry point: one report for a file or directory."""
    return report_for(target, options_for(profile))


def run_example(rule: Rule, example: dict[str, Any]) -> bool:
    """Rule-example runner for ``keys.*``: writes the example's files into a folder and scans it.

    Example input: ``{files: {relative/path: text}, wallets: [{chain, address, label}]}``.
    """
    wallets = tuple(
        WalletMatch(w["label"], w["address"], w["chain"]) for w in example.get("wallets", [])
    )
    with tempfile.TemporaryDirectory(prefix="koban-example-") as tmp:
        root = Path(tmp)
        for name, content in example["files"].items():
            path = root / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(content, encoding="utf-8")
        report = report_for(str(root), Options(wallets=wallets, jobs=1))
    return any(f.rule == rule.id for f in report.findings)
