"""Import of the 2025-11-19 OFAC SDN advanced export (121 MB XML, bz2) vs ``bzcat`` alone.

Budget (issue #2): koban's whole import (decompress, parse, store) within 4x the time bzcat takes
just to decompress, measured in the same run; peak memory under 300 MB.

    python benchmarks/bench_intel_import.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import tempfile
from pathlib import Path

from _common import koban_cmd, run, shared_data


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    sdn = shared_data() / "intel/ofac/sdn_advanced_2025-11-19__commit_3ed66906.xml.bz2"

    bz = [run(["bzcat", str(sdn)], stdout=subprocess.DEVNULL) for _ in range(args.repeat)]
    kb = []
    for _ in range(args.repeat):
        with tempfile.TemporaryDirectory(prefix="koban-bench-") as home:
            env = {**os.environ, "KOBAN_HOME": home}
            r = run([*koban_cmd(), "intel", "import", str(sdn)], env=env)
            if r.returncode != 0:
                raise SystemExit(f"koban import failed ({r.returncode})")
            kb.append(r)
            size = sum(p.stat().st_size for p in Path(home).iterdir())
    bz_best = min(r.seconds for r in bz)
    kb_best = min(r.seconds for r in kb)
    peak = max(r.max_rss_mb for r in kb)
    ratio = kb_best / bz_best
    print(f"input: {sdn.name} ({sdn.stat().st_size / 1e6:.1f} MB bz2)")
    print(f"bzcat (decompress only)  best of {args.repeat}: {bz_best:6.2f} s")
    print(
        f"koban intel import       best of {args.repeat}: {kb_best:6.2f} s  "
        f"peak RSS {peak:.0f} MB  store {size / 1e6:.2f} MB"
    )
    print(
        f"ratio koban/bzcat: {ratio:.2f}x  (budget 4.00x: {'OK' if ratio <= 4 else 'OVER'}); "
        f"memory budget 300 MB: {'OK' if peak < 300 else 'OVER'}"
    )


if __name__ == "__main__":
    main()
