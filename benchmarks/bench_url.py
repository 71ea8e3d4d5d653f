"""URL checks/s on real data, and look-alike permutations side by side with dnstwist.

1. ``koban url`` checks on JPCERT/CC's confirmed phishing URLs (../shared/data/url/
   jpcert-phishurl) plus every http(s) URL in the SpamAssassin ham (easy_ham + hard_ham), one
   core, full built-in brand list: checks/s cold (each distinct host once, fresh caches) and
   over the whole stream (hosts repeat, as in a mailbox), with the detections.
2. Permutations of the same brand domains (the built-in brands' primary domains) by koban and by
   dnstwist's Python API (``dnstwist.Fuzzer``), given the same dictionary (koban's lure words)
   and TLD list so that both run every fuzzer class: time, counts, how many of dnstwist's
   candidates koban also generates, and koban's extra candidates.

dnstwist is a peer, not a dependency: ``pip install dnstwist`` first (it is in the dev extra).

    python benchmarks/bench_url.py [--brands 20] [--repeat 3]
"""

from __future__ import annotations

import argparse
import csv
import os
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from _common import shared_data
from koban.errors import InputError
from koban.model import Verdict
from koban.rules import all_rules
from koban.url import build_context, clear_caches, report_for
from koban.url.brands import brand_file, build_index
from koban.url.hosts import parse_host, parse_target
from koban.url.permutations import TLDS, permutations

URL = re.compile(r"https?://[^\s<>\"'()\[\]{}]+", re.IGNORECASE)
CRYPTO_CATEGORIES = {"exchange-jp", "exchange", "wallet", "defi", "explorer"}


def jpcert(data: Path) -> list[tuple[str, str]]:
    rows = []
    for path in sorted((data / "url" / "jpcert-phishurl").glob("*/*.csv")):
        with path.open(encoding="utf-8", errors="replace", newline="") as f:
            rows += [(r["URL"], r["description"]) for r in csv.DictReader(f)]
    return rows


def ham(data: Path) -> list[str]:
    urls = []
    for sub in ("easy_ham", "hard_ham"):
        for path in sorted((data / "mail" / "spamassassin" / sub).iterdir()):
            text = path.read_bytes().decode("latin-1").replace("=\n", "")
            urls += [u.rstrip(".,;:!?>=*") for u in URL.findall(text)]
    return urls


def _host(url: str) -> str | None:
    try:
        return parse_target(url).host.ascii
    except InputError:
        return None


def bench_checks(data: Path, repeat: int) -> list[str]:
    phish = jpcert(data)
    ham_urls = ham(data)
    stream = [u for u, _ in phish] + ham_urls
    # cold: one URL per distinct host, in a context and caches that have seen none of them
    seen: set[str] = set()
    cold = []
    for u in stream:
        h = _host(u)
        if h is not None and h not in seen:
            seen.add(h)
            cold.append(u)
    all_rules()  # loaded once per process (rules.yaml files), not per host: keep it untimed
    cold_wall = cold_cpu = 0.0
    for _ in range(repeat):  # best of N: the machine may be shared; every run starts cold
        clear_caches()
        ctx = build_context()
        wall, cpu = time.perf_counter(), time.process_time()
        for u in cold:
            report_for(u, ctx)
        cold_wall = max(cold_wall, len(cold) / (time.perf_counter() - wall))
        cold_cpu = max(cold_cpu, len(cold) / (time.process_time() - cpu))

    ctx = build_context()  # warm: the last cold run's caches
    verdicts: list[Verdict | None] = []
    wall, cpu = time.perf_counter(), time.process_time()
    for u in stream:
        try:
            verdicts.append(report_for(u, ctx).verdict)
        except InputError:
            verdicts.append(None)
    stream_wall = len(stream) / (time.perf_counter() - wall)
    stream_cpu = len(stream) / (time.process_time() - cpu)

    brands = {b.name for b in brand_file().brands}
    listed = {
        "bitFlyer", "Coincheck", "bitbank", "GMOコイン", "Zaif", "SBI VC Trade", "BitTrade",
        "MyEtherWallet", "Metamask", "BINANCE", "Trust Wallet", "WalletConnect", "KuCoin",
        "coinbase", "OKX", "Bitstamp", "BitMEX", "LinkedIn", "Microsoft", "Office365",
        "Outlook Web App", "Outlook.com", "OneDrive", "Telegram", "WhatsApp", "DocuSign",
        "Dropbox", "Apple ID", "Apple Store", "Apple Pay", "Google", "Google Play", "GitHub",
        "LINE", "楽天", "楽天カード", "楽天銀行", "楽天証券", "Rakuten",
    }  # fmt: skip
    assert "bitFlyer" in brands
    counts: Counter[str] = Counter()
    for (_, desc), v in zip(phish, verdicts[: len(phish)], strict=True):
        flagged = v is not None and v is not Verdict.CLEAN
        counts["phish"] += 1
        counts["phish_flagged"] += flagged
        if desc in listed:
            counts["listed"] += 1
            counts["listed_flagged"] += flagged
    ham_v = verdicts[len(phish) :]
    ham_flagged = sum(1 for v in ham_v if v is not None and v is not Verdict.CLEAN)
    errors = sum(1 for v in verdicts if v is None)

    print("== koban url check (one core, full built-in brand list) ==")
    print(f"inputs: {len(phish)} JPCERT phishing URLs + {len(ham_urls)} SpamAssassin ham URLs")
    print(f"  {'checks/s':56} {'wall':>9} {'CPU time':>9}")
    print(f"  {f'cold, one URL per distinct host ({len(cold)}), best of {repeat}':56} "
          f"{cold_wall:>9,.0f} {cold_cpu:>9,.0f}")  # fmt: skip
    print(f"  {f'whole stream, hosts repeat ({len(stream)})':56} "
          f"{stream_wall:>9,.0f} {stream_cpu:>9,.0f}")  # fmt: skip
    print(
        f"  (target 20,000/s: cold x{cold_wall / 20000:.2f}, stream x{stream_wall / 20000:.2f} "
        "wall clock; CPU time is the rate without other processes' share of the core)"
    )
    print(
        f"  JPCERT flagged: {counts['phish_flagged']}/{counts['phish']} all entries, "
        f"{counts['listed_flagged']}/{counts['listed']} "
        f"({counts['listed_flagged'] / counts['listed']:.1%}) whose brand is built in"
    )
    print(
        f"  ham flagged: {ham_flagged}/{len(ham_v)} URLs ({ham_flagged / len(ham_v):.3%}); "
        f"{errors} inputs rejected as not URLs"
    )
    return cold


def bench_cli(cold: list[str]) -> None:
    """The same first-seen URLs through the command users run: ``koban url check --format
    json --from FILE`` in a fresh process, empty intel store, output discarded (process start,
    parsing, checks, JSON Lines, writing)."""
    with tempfile.TemporaryDirectory() as tmp:
        listed = Path(tmp) / "urls.txt"
        listed.write_text("\n".join(cold) + "\n", encoding="utf-8")
        env = {**os.environ, "KOBAN_HOME": str(Path(tmp) / "home")}
        command = [sys.executable, "-m", "koban.cli", "url", "check", "--format", "json"]
        start = time.perf_counter()
        subprocess.run(  # exit 1: some are flagged
            [*command, "--from", str(listed)], env=env, stdout=subprocess.DEVNULL, check=False
        )
        wall = time.perf_counter() - start
    print(
        f"  {f'koban url check --from FILE --format json ({len(cold)})':56} "
        f"{len(cold) / wall:>9,.0f}  (one process end to end, {wall:.1f} s)"
    )


def bench_permutations(n_brands: int) -> None:
    if n_brands <= 0:
        return
    try:
        import dnstwist
    except ImportError:
        print("\n(dnstwist not installed: pip install dnstwist for the permutation comparison)")
        return
    domains = [b.domains[0] for b in brand_file().brands if b.category in CRYPTO_CATEGORIES][
        :n_brands
    ]
    words = list(brand_file().lure_words)
    k_time = d_time = 0.0
    k_total = d_total = common = 0
    missing: Counter[str] = Counter()
    excluded: Counter[str] = Counter()
    legit = build_index().legit
    for domain in domains:
        start = time.perf_counter()
        mine = {c.domain for c in permutations(domain)}
        k_time += time.perf_counter() - start
        start = time.perf_counter()
        fuzzer = dnstwist.Fuzzer(domain, dictionary=words, tld_dictionary=list(TLDS))
        fuzzer.generate()
        theirs = {p["domain"]: p["fuzzer"] for p in fuzzer.domains if p["fuzzer"] != "*original"}
        d_time += time.perf_counter() - start
        k_total += len(mine)
        d_total += len(theirs)
        common += len(set(theirs) & mine)
        core = parse_host(domain, domain).core
        for d, f in theirs.items():
            if d in mine:
                continue
            registrable = parse_host(d, d).registrable
            if registrable in legit:
                excluded["another brand's real domain"] += 1
            elif f == "dictionary" and core not in d:
                excluded["dictionary word replacing part of the name"] += 1
            else:
                missing[f] += 1
    print(f"\n== permutations of {len(domains)} brand domains: koban vs dnstwist ==")
    print(f"  {'':10} {'candidates':>11} {'seconds':>8} {'per domain':>11}")
    print(f"  {'koban':10} {k_total:>11,} {k_time:>8.2f} {k_time / len(domains):>10.3f}s")
    print(f"  {'dnstwist':10} {d_total:>11,} {d_time:>8.2f} {d_time / len(domains):>10.3f}s")
    print(
        f"  coverage: koban generates {common:,}/{d_total:,} ({common / d_total:.1%}) of "
        f"dnstwist's candidates, plus {k_total - common:,} more; "
        f"time ratio koban/dnstwist {k_time / d_time:.1f}x, "
        f"candidates per second koban {k_total / k_time:,.0f} vs dnstwist {d_total / d_time:,.0f}"
    )
    print(f"  not generated by design: {dict(excluded) or 'none'}")
    print(f"  not generated otherwise, by dnstwist class: {dict(missing) or 'none'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--brands", type=int, default=20, help="brand domains to permute")
    parser.add_argument("--repeat", type=int, default=3, help="cold runs (the best is shown)")
    args = parser.parse_args()
    data = shared_data()
    bench_cli(bench_checks(data, args.repeat))
    bench_permutations(args.brands)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
