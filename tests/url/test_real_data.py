"""Recall on JPCERT/CC's confirmed phishing URLs and false alarms on SpamAssassin ham links.

JPCERT's list names the imitated brand of each URL. Recall counts the entries whose brand is in
the built-in list (the description -> brand map below) and that ``url check`` calls suspicious
or malicious. Many of these phish sit on random or compromised hosts (``m6974.com``,
``/wp-includes/linkedin/``): a host-based checker cannot see them, so recall is reported for
crypto brands (whose phish mostly use look-alike names) and for all listed brands separately.
False alarms: the distinct http(s) URLs in easy_ham + hard_ham that come out suspicious or worse.
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from pathlib import Path

import pytest

from koban.errors import InputError
from koban.model import Verdict
from koban.url import build_context, report_for

# JPCERT description -> built-in brand whose legitimate domains the phish imitates.
CRYPTO = {
    "bitFlyer": "bitFlyer", "Coincheck": "Coincheck", "bitbank": "bitbank", "GMOコイン": "GMO Coin",
    "Zaif": "Zaif", "SBI VC Trade": "SBI VC Trade", "BitTrade": "BitTrade",
    "MyEtherWallet": "MyEtherWallet", "Metamask": "MetaMask", "BINANCE": "Binance",
    "Trust Wallet": "Trust Wallet", "WalletConnect": "WalletConnect", "KuCoin": "KuCoin",
    "coinbase": "Coinbase", "OKX": "OKX", "Bitstamp": "Bitstamp", "BitMEX": "BitMEX",
}  # fmt: skip
LURE = {
    "LinkedIn": "LinkedIn", "Microsoft": "Microsoft", "Office365": "Microsoft",
    "Outlook Web App": "Microsoft", "Outlook.com": "Microsoft", "OneDrive": "Microsoft",
    "Telegram": "Telegram", "WhatsApp": "WhatsApp", "DocuSign": "DocuSign", "Dropbox": "Dropbox",
    "Apple ID": "Apple", "Apple Store": "Apple", "Apple Pay": "Apple", "Google": "Google",
    "Google Play": "Google", "GitHub": "GitHub", "LINE": "LINE", "楽天": "Rakuten Wallet",
    "楽天カード": "Rakuten Wallet", "楽天銀行": "Rakuten Wallet", "楽天証券": "Rakuten Wallet",
    "Rakuten": "Rakuten Wallet",
}  # fmt: skip
URL = re.compile(r"https?://[^\s<>\"'()\[\]{}]+", re.IGNORECASE)


def jpcert_rows(data: Path) -> list[tuple[str, str]]:
    rows = []
    for path in sorted((data / "url" / "jpcert-phishurl").glob("*/*.csv")):
        with path.open(encoding="utf-8", errors="replace", newline="") as f:
            rows += [(r["URL"], r["description"]) for r in csv.DictReader(f)]
    return rows


def ham_urls(data: Path) -> list[str]:
    urls = []
    for sub in ("easy_ham", "hard_ham"):
        for path in sorted((data / "mail" / "spamassassin" / sub).iterdir()):
            text = path.read_bytes().decode("latin-1").replace("=\n", "")  # QP soft breaks
            urls += [u.rstrip(".,;:!?>=*") for u in URL.findall(text)]
    return urls


def _flagged(url: str, ctx: object) -> bool | None:
    try:
        report = report_for(url, ctx)  # type: ignore[arg-type]
    except InputError:
        return None
    return report.verdict is not Verdict.CLEAN


@pytest.mark.shared_data
@pytest.mark.slow
def test_jpcert_recall(shared_data: Path) -> None:
    ctx = build_context()
    rows = jpcert_rows(shared_data)
    assert len(rows) > 100_000
    per: dict[str, Counter[str]] = {"crypto": Counter(), "lure": Counter()}
    for url, desc in rows:
        group = "crypto" if desc in CRYPTO else "lure" if desc in LURE else None
        if group is None:
            continue
        per[group]["total"] += 1
        if _flagged(url, ctx):
            per[group]["hit"] += 1
    crypto = per["crypto"]["hit"] / per["crypto"]["total"]
    total = sum(c["total"] for c in per.values())
    overall = sum(c["hit"] for c in per.values()) / total
    print(
        f"\nJPCERT recall: crypto brands {crypto:.3f} "
        f"({per['crypto']['hit']}/{per['crypto']['total']}), all listed brands {overall:.3f} "
        f"({sum(c['hit'] for c in per.values())}/{total})"
    )
    assert crypto >= 0.60
    assert overall >= 0.15


@pytest.mark.shared_data
def test_spamassassin_ham_false_alarms(shared_data: Path) -> None:
    ctx = build_context()
    urls = sorted(set(ham_urls(shared_data)))
    assert len(urls) > 10_000
    results = [_flagged(u, ctx) for u in urls]
    checked = [r for r in results if r is not None]
    flagged = [u for u, r in zip(urls, results, strict=True) if r]
    rate = len(flagged) / len(checked)
    print(f"\nham URLs: {len(checked)} distinct, {len(flagged)} flagged ({rate:.4%}): {flagged}")
    assert rate <= 0.001
