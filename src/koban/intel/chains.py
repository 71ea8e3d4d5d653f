"""Tickers (as OFAC and TagPacks write them) and the chains their addresses live on."""

from __future__ import annotations

import re

from koban.errors import InputError

TICKER_CHAINS: dict[str, str] = {
    "XBT": "bitcoin",
    "BTC": "bitcoin",
    "ETH": "ethereum",
    "LTC": "litecoin",
    "XMR": "monero",
    "ZEC": "zcash",
    "DASH": "dash",
    "BTG": "bitcoin-gold",
    "ETC": "ethereum-classic",
    "BSV": "bitcoin-sv",
    "BCH": "bitcoin-cash",
    "XVG": "verge",
    "XRP": "ripple",
    "BNB": "bnb",
    "TRX": "tron",
    "ARB": "arbitrum",
    "BSC": "bsc",
    "SOL": "solana",
    "MATIC": "polygon",
    "POL": "polygon",
    "AVAX": "avalanche",
    "ADA": "cardano",
    # Tokens: the chain follows from the address form (see chain_for).
    "USDT": "",
    "USDC": "",
}

EVM_CHAINS = frozenset(
    {"ethereum", "ethereum-classic", "arbitrum", "bsc", "polygon", "avalanche", "base", "optimism"}
)


def chain_for(ticker: str, address: str, *, source: str = "ticker") -> str:
    """Chain of ``address`` listed under ``ticker``; InputError for an unknown ticker."""
    t = ticker.strip().upper()
    if t not in TICKER_CHAINS:
        raise InputError(
            source, f"unknown ticker {ticker!r} (known: {', '.join(sorted(TICKER_CHAINS))})"
        )
    chain = TICKER_CHAINS[t]
    if chain:
        return chain
    if re.fullmatch(r"0x[0-9a-fA-F]{40}", address):
        return "ethereum"
    if address.startswith("T") and len(address) == 34:
        return "tron"
    if 32 <= len(address) <= 44:
        return "solana"
    return t.lower()
