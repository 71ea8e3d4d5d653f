"""1 million lookups against a store of at least 1 million indicators.

The store holds every real indicator koban can import from ../shared/data (OFAC SDN, TagPacks,
Forta and Chainalysis labels, Etherscan labels) plus deterministic synthetic EVM, Bitcoin and
domain indicators up to --size. Queries: real hits, synthetic hits and misses, in mixed case as
people paste them. Reports lookups/s for batched (``lookup_many``) and one-at-a-time
(``lookup``) in-process lookups, the store's size on disk, and the same membership test done by
the peer ``grep -F -x -f`` (what many teams do with flat IOC lists), with ratios.

    python benchmarks/bench_intel_lookup.py [--size 1000000] [--queries 1000000]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import re
import subprocess
import tempfile
import time
from pathlib import Path

from _common import run, shared_data
from koban.intel.importers import ImportOptions
from koban.intel.importing import read_source
from koban.intel.indicators import IndicatorType
from koban.intel.records import Batch, Record
from koban.intel.store import IntelStore

_EVM = re.compile(r"0x[0-9a-fA-F]{40}")


def real_batches(data: Path) -> list[Batch]:
    batches: list[Batch] = []
    for rel in (
        "intel/ofac/sdn_advanced_2025-11-19__commit_3ed66906.xml.bz2",
        "intel/tagpacks/packs",
        "intel/labels/forta-labelled-datasets/labels/1/etherscan_malicious_labels.csv",
        "intel/labels/forta-labelled-datasets/labels/1/phishing_scams.csv",
    ):
        got, _, _ = read_source(data / rel, ImportOptions())
        batches.extend(got)
    labels = json.loads((data / "chain/etherscan-labels/combinedAllLabels.json").read_text())
    recs = [
        Record(
            IndicatorType.ADDRESS,
            a.lower(),
            entity=str(v.get("name") or ""),
            chain="ethereum",
            category="label",
        )
        for a, v in labels.items()
        if _EVM.fullmatch(a)
    ]
    batches.append(Batch("etherscan-labels", "2024-01-01", "bench", "etherscan-labels", recs))
    return batches


def synthetic(n: int) -> list[Record]:
    out = []
    for i in range(n):
        h = hashlib.sha256(i.to_bytes(8, "big")).hexdigest()
        k = i % 3
        if k == 0:
            out.append(
                Record(
                    IndicatorType.ADDRESS, "0x" + h[:40], entity=f"synthetic {i}", chain="ethereum"
                )
            )
        elif k == 1:
            out.append(
                Record(
                    IndicatorType.ADDRESS,
                    "bc1q" + h[:38].translate(str.maketrans("b1", "qp")),
                    entity=f"synthetic {i}",
                    chain="bitcoin",
                )
            )
        else:
            out.append(
                Record(
                    IndicatorType.DOMAIN, f"{h[:12]}-wallet-{i}.example", entity=f"synthetic {i}"
                )
            )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=1_000_000)
    parser.add_argument(
        "--single",
        type=int,
        default=200_000,
        help="how many of the queries to also time one at a time",
    )
    args = parser.parse_args()
    data = shared_data()
    rng = random.Random(2022_10_14)

    with tempfile.TemporaryDirectory(prefix="koban-bench-") as tmp:
        store = IntelStore(Path(tmp) / "intel.sqlite")
        t0 = time.perf_counter()
        batches = real_batches(data)
        real = [r for b in batches for r in b.records]
        filler = synthetic(args.size)  # plus the real ones: always at least --size
        batches.append(Batch("synthetic", "2026-01-01", "bench", "synthetic", filler))
        store.import_batches(batches)
        build = time.perf_counter() - t0
        stats = store.stats()
        total = sum(f["indicators"] for f in stats["feeds"])

        def paste(v: str) -> str:  # as people paste them: checksummed / upper-case hosts
            return v.upper().replace("0X", "0x") if v.startswith("0x") and rng.random() < 0.5 else v

        queries = []
        for i in range(args.queries):
            r = rng.random()
            if r < 0.1:
                queries.append(paste(rng.choice(real).value))
            elif r < 0.5:
                queries.append(paste(rng.choice(filler).value))
            else:
                queries.append(
                    "0x"
                    + hashlib.blake2s(str(i).encode(), digest_size=16).hexdigest()
                    + hashlib.blake2s(str(-i).encode(), digest_size=16).hexdigest()[:8]
                )

        t0 = time.perf_counter()
        results = store.lookup_many(queries)
        batched = time.perf_counter() - t0
        hits = sum(1 for r in results if r)

        sample = queries[: args.single]
        t0 = time.perf_counter()
        single_hits = sum(1 for q in sample if store.lookup(q))
        single = time.perf_counter() - t0
        assert single_hits == sum(1 for r in results[: args.single] if r)
        store.close()
        size = sum(p.stat().st_size for p in Path(tmp).iterdir())

        # Peer: grep -F -x -f over a flat file of canonical values (no metadata, no
        # normalisation: we give grep the queries already lower-cased, which favours it).
        flat = Path(tmp) / "indicators.txt"
        flat.write_text("\n".join(r.value for r in real + filler) + "\n")
        qfile = Path(tmp) / "queries.txt"
        qfile.write_text("\n".join(q.lower() if q.startswith("0x") else q for q in queries) + "\n")
        g = run(["grep", "-F", "-x", "-c", "-f", str(flat), str(qfile)], stdout=subprocess.PIPE)

    rate = len(queries) / batched
    print(
        f"store: {total:,} indicators ({stats['distinct_values']:,} distinct values), "
        f"built in {build:.1f} s, {size / 1e6:.1f} MB on disk"
    )
    print(
        f"koban lookup_many: {len(queries):,} lookups in {batched:.2f} s = {rate:,.0f}/s "
        f"({hits:,} hits)  target 100,000/s: {'OK' if rate >= 100_000 else 'UNDER'}"
    )
    print(
        f"koban lookup (one at a time): {len(sample):,} in {single:.2f} s = "
        f"{len(sample) / single:,.0f}/s"
    )
    print(
        f"peer grep -F -x -f: {g.seconds:.2f} s = {len(queries) / g.seconds:,.0f}/s, "
        f"peak RSS {g.max_rss_mb:.0f} MB, {g.stdout.decode().strip()} hits"
    )
    ratio = (len(queries) / batched) / (len(queries) / g.seconds)
    print(f"ratio koban lookup_many / grep (throughput): {ratio:.2f}x")


if __name__ == "__main__":
    main()
