"""The built-in brand list: valid, accurate in shape, and covering the brands the issue names."""

from __future__ import annotations

import importlib.util
from collections import Counter

import pytest
import yaml
from pydantic import ValidationError

from koban.url.brands import CATEGORIES, BrandFile, brand_file, build_index
from koban.url.hosts import parse_host
from koban.url.words import HEADER, generate, near_words

REQUIRED = {
    "exchange-jp": ["bitFlyer", "Coincheck", "bitbank", "GMO Coin", "DMM Bitcoin", "SBI VC Trade",
                    "Zaif", "BITPoint", "OKJ (OKCoin Japan)", "Binance Japan", "Rakuten Wallet",
                    "LINE BITMAX"],
    "exchange": ["Binance", "Coinbase", "Kraken", "Bybit", "OKX", "Bitfinex", "KuCoin",
                 "HTX (Huobi)", "Gate", "Bitstamp", "Gemini", "Crypto.com"],
    "wallet": ["MetaMask", "Ledger", "Trezor", "Phantom", "Trust Wallet", "Exodus",
               "MyEtherWallet", "Rabby", "Safe{Wallet}", "WalletConnect"],
    "defi": ["Uniswap", "PancakeSwap", "Curve", "Aave", "Lido", "1inch", "OpenSea"],
    "explorer": ["Etherscan", "BscScan", "Tronscan", "Solscan", "Blockchain.com", "mempool.space"],
    "lure": ["LinkedIn", "Google", "Microsoft", "GitHub", "npm", "PyPI", "Telegram", "WhatsApp",
             "Zoom", "Slack", "Discord", "Calendly", "DocuSign", "Dropbox", "Notion", "Apple",
             "Indeed", "Wantedly", "BizReach"],
}  # fmt: skip


def test_brand_file_loads_and_validates() -> None:
    data = brand_file()
    assert len(data.brands) >= 70
    assert {b.category for b in data.brands} <= set(CATEGORIES)


@pytest.mark.parametrize("category", sorted(REQUIRED))
def test_required_brands_present(category: str) -> None:
    names = {b.name for b in brand_file().brands if b.category == category}
    missing = set(REQUIRED[category]) - names
    assert not missing


def test_safe_wallet_app_domain_listed() -> None:
    safe = next(b for b in brand_file().brands if b.name == "Safe{Wallet}")
    assert "app.safe.global" in safe.domains


def test_every_domain_parses_and_is_listed_once() -> None:
    seen: Counter[str] = Counter()
    data = brand_file()
    for spec in [*data.brands, *data.others]:
        for domain in spec.domains:
            host = parse_host(domain, domain, need_dot=True)
            assert host.ascii == domain, domain
            assert host.registrable is not None, f"{domain} is a public suffix"
            seen[domain] += 1
    assert not [d for d, n in seen.items() if n > 1]


def test_names_unique_per_brand_and_lower_case() -> None:
    for spec in brand_file().brands:
        names = [*spec.keywords, *spec.weak, *spec.ignore]
        assert len(names) == len(set(names)), spec.name
        assert all(n == n.lower() for n in names)


def test_lure_words_are_lower_case_ascii() -> None:
    words = brand_file().lure_words
    assert all(w == w.lower() and w.isascii() for w in words)
    assert len(words) == len(set(words))
    assert not {"news", "jp", "app", "bank", "info"} & set(words)  # too ordinary


@pytest.mark.parametrize(
    "change",
    [
        {"category": "bank"},
        {"domains": []},
        {"domains": ["BitFlyer.com"]},
        {"keywords": ["Bitflyer"]},
        {"keywords": ["ab"]},
        {"colour": "red"},
    ],
)
def test_broken_brand_entries_are_rejected(change: dict[str, object]) -> None:
    entry: dict[str, object] = {"name": "X", "category": "exchange", "domains": ["x-ex.com"]}
    entry.update(change)
    with pytest.raises(ValidationError):
        BrandFile.model_validate({"brands": [entry], "lure_words": ["login"]})


def test_brand_file_is_plain_yaml() -> None:
    from importlib import resources

    text = (resources.files("koban.url") / "brands.yaml").read_text(encoding="utf-8")
    assert yaml.safe_load(text)["brands"]


def test_index_exempts_every_listed_domain() -> None:
    index = build_index()
    for spec in brand_file().brands:
        for domain in spec.domains:
            registrable = parse_host(domain, domain).registrable
            assert registrable is not None
            legit, _ = index.owner(registrable)
            assert legit, domain


def test_near_words_list_is_loaded() -> None:
    words = near_words()
    assert {"cloud", "motion", "trevor"} <= words
    assert "bitflyer" not in words


@pytest.mark.skipif(
    importlib.util.find_spec("english_words") is None, reason="english-words not installed"
)
def test_near_words_list_is_up_to_date() -> None:
    from importlib import resources

    shipped = (resources.files("koban.url") / "words.txt").read_text(encoding="utf-8")
    assert shipped.startswith(HEADER)
    assert shipped == generate(), "run: python -m koban.url.words"
