"""Exposures and walk problems as report findings (rules ``keys.*``)."""

from __future__ import annotations

from typing import Any

from koban.containers.blob import Problem
from koban.keys.scanner import Exposure
from koban.model import Finding, Location, Severity, WalletRef
from koban.rules import get_rule, make_finding

KIND_NAMES = {
    "bip39_mnemonic": "BIP39 seed phrase",
    "electrum_seed": "Electrum seed",
    "wif_private_key": "WIF private key",
    "extended_private_key": "extended private key",
    "eth_private_key": "raw secp256k1 private key",
    "eth_keystore": "Ethereum keystore file",
    "solana_keypair": "Solana keypair",
    "pem_private_key": "PEM/OpenSSH private key",
}
SHOWN_ADDRESSES = 8


def _shape(e: Exposure) -> str:
    d = e.detail
    bits = []
    if "words" in d:
        bits.append(f"{d['words']} words")
    if d.get("language") and d.get("language") != "english":
        bits.append(str(d["language"]))
    for key in ("prefix", "type", "network", "version", "kdf"):
        if d.get(key):
            bits.append(f"{key} {d[key]}")
    if d.get("encrypted"):
        bits.append("encrypted")
    return f" ({', '.join(bits)})" if bits else ""


def _severity(e: Exposure, rule_default: Severity) -> Severity:
    if e.wallets:
        return Severity.CRITICAL
    if e.test_vector:
        return Severity.INFO
    if e.detail.get("encrypted") or e.confidence == "medium":
        return Severity.MEDIUM if rule_default.rank > Severity.MEDIUM.rank else rule_default
    return rule_default


def exposure_finding(e: Exposure) -> Finding:
    name = KIND_NAMES.get(e.kind, e.kind)
    where = f" in git history (commit {e.commit[:12]})" if e.commit else ""
    evidence: dict[str, Any] = {
        "fingerprint": e.fingerprint,
        "redacted": e.redacted,
        "confidence": e.confidence,
        "origin": e.origin,
        **{k: v for k, v in e.detail.items() if k not in ("fingerprint", "redacted")},
    }
    if e.derived:
        evidence["controls"] = [
            {"chain": d.chain, "address": d.address, "path": d.path}
            for d in e.derived[:SHOWN_ADDRESSES]
        ]
    location = Location(path=e.path or None, line=e.line, commit=e.commit)
    if e.test_vector:
        return make_finding(
            "keys.test_vector",
            f"{name}{_shape(e)} is a published test vector, not an exposure{where}",
            kind=e.kind,
            location=location,
            evidence=evidence,
        )
    rule = f"keys.{e.kind}"
    severity = _severity(e, get_rule(rule).severity)
    wallet = None
    message = f"{name}{_shape(e)} exposed{where}: {e.redacted}"
    if e.wallets:
        w = e.wallets[0]
        wallet = WalletRef(label=w.label, address=w.address, chain=w.chain)
        others = f" and {len(e.wallets) - 1} more" if len(e.wallets) > 1 else ""
        message += f": it controls our wallet '{w.label}' ({w.chain} {w.address}){others}"
        evidence["wallets"] = [
            {"label": m.label, "address": m.address, "chain": m.chain} for m in e.wallets
        ]
    return make_finding(
        rule,
        message,
        severity=severity,
        kind=e.kind,
        location=location,
        evidence=evidence,
        wallet=wallet,
    )


def problem_finding(p: Problem) -> Finding:
    what = "a safety limit stopped the walk" if p.limit else "could not be read"
    return make_finding(
        "keys.not_scanned",
        f"not fully scanned, {what}: {p.message}",
        location=Location(path=p.path or None),
        evidence={"limit": p.limit},
    )
