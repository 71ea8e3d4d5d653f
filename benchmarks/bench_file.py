"""File triage side by side: koban, ClamAV (clamscan) and the YARA command line, same files.

The folders are the real fixture sets of ../shared/data/files (strelka-fixtures,
oletools-testdata, yara-benign-binaries). The signature set is the same for all three tools:
the JPCERT/CC and signature-base Lazarus YARA rules of ../shared/data/intel/yara.

- koban: ``koban file scan DIR --format json --jobs 1`` with a store holding those rules
  (imported once by ``koban intel import``): every inspector, archives walked, hashes looked up,
  YARA run on every file and member. A second line, ``koban -jN``, is the default ``--jobs 0``
  (the folder's files spread over one worker process per core).
- yara: the rules compiled once with ``yarac`` (one namespace per file, externals defined),
  then ``yara -r -C`` on the folder, one thread (``-p 1``, like koban and clamscan). Top-level
  files only: the YARA CLI does not open archives.
- clamscan: ClamAV ships no database offline, so one is generated of comparable size from the
  same rules: every literal or hex string of every rule as a body signature (.ndb: looser than
  the YARA conditions, which need several strings together) plus every SHA-256 the rules' meta
  names as a hash signature (.hsb). clamscan opens archives and documents like koban.

Each tool runs as its own process; the median wall time of ``--runs`` runs is reported with
files/s and MB/s (files and bytes on disk in the folder) and what it detected. Ratios are koban's
time over the peer's (above 1: koban is slower). Needs the Debian packages clamav and yara.

    python benchmarks/bench_file.py [--runs 3] [--folders strelka-fixtures ...]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import sys
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from _common import Run, koban_cmd, run, shared_data, tree_size

FOLDERS = ("strelka-fixtures", "oletools-testdata", "yara-benign-binaries")
RULE_SETS = ("jpcert-yara", "signature-base")
_SEVERITY = ["info", "low", "medium", "high", "critical"]
EXTERNALS = ("filename", "filepath", "extension", "filetype", "owner")

_STRING = re.compile(r'^\s*\$\w*\s*=\s*"((?:[^"\\]|\\.)*)"\s*([a-z ]*)', re.M)
_HEX = re.compile(r"^\s*\$\w*\s*=\s*\{([^}]*)\}", re.M)
_SHA256 = re.compile(r'^\s*(?:hash\d*|sha256)\s*=\s*"([0-9a-fA-F]{64})\s*"', re.M)
_RULE = re.compile(r"^\s*(?:(?:private|global)\s+)*rule\s+(\w+)", re.M)


def rule_files(data: Path) -> list[Path]:
    return sorted(
        p
        for s in RULE_SETS
        for p in (data / "intel" / "yara" / s).rglob("*")
        if p.suffix in (".yar", ".yara")
    )


def _unescape(text: str) -> bytes:
    out = bytearray()
    i = 0
    while i < len(text):
        c = text[i]
        if c == "\\" and i + 1 < len(text):
            n = text[i + 1]
            if n == "x" and i + 3 < len(text):
                out.append(int(text[i + 2 : i + 4], 16))
                i += 4
                continue
            out += {"n": b"\n", "t": b"\t", "r": b"\r"}.get(n, n.encode())
            i += 2
            continue
        out += c.encode()
        i += 1
    return bytes(out)


def _hex_to_ndb(body: str) -> str | None:
    """A YARA hex string as a ClamAV body signature (wildcards, jumps, alternatives)."""
    body = re.sub(r"//[^\n]*", "", body)
    body = re.sub(r"\s+", "", body).lower()
    body = re.sub(
        r"\[(\d*)-(\d*)\]", lambda m: "*" if not m[2] else f"{{{m[1] or 0}-{m[2]}}}", body
    )
    body = re.sub(r"\[(\d+)\]", r"{\1}", body)
    static = re.sub(r"\{[^}]*\}|\*|\([^)]*\)|\?", " ", body)
    if max((len(s) for s in static.split()), default=0) < 8:  # ClamAV wants 4+ fixed bytes
        return None
    return body if re.fullmatch(r"[0-9a-f?{}\-*()|]+", body) else None


def clamav_database(rules: list[Path], out: Path) -> tuple[int, int]:
    """(body signatures, hash signatures) written to ``out``/koban.ndb and koban.hsb."""
    ndb, hsb = [], set()
    for path in rules:
        text = path.read_text(encoding="utf-8", errors="replace")
        # Split per rule so that signature names say which rule a string came from.
        starts = [(m.start(), m.group(1)) for m in _RULE.finditer(text)]
        for (start, name), (end, _) in zip(starts, [*starts[1:], (len(text), "")], strict=True):
            part = text[start:end]
            for n, m in enumerate(_STRING.finditer(part)):
                data = _unescape(m.group(1))
                if "wide" in m.group(2):
                    data = data.decode("latin-1").encode("utf-16-le")
                if len(data) >= 4:
                    ndb.append(f"Koban.{name}.s{n}:0:*:{data.hex()}")
            for n, m in enumerate(_HEX.finditer(part)):
                sig = _hex_to_ndb(m.group(1))
                if sig:
                    ndb.append(f"Koban.{name}.h{n}:0:*:{sig}")
            for m in _SHA256.finditer(part):
                hsb.add(f"{m.group(1).lower()}:*:Koban.{name}.hash:73")
    (out / "koban.ndb").write_text("\n".join(ndb) + "\n", encoding="ascii")
    (out / "koban.hsb").write_text("\n".join(sorted(hsb)) + "\n", encoding="ascii")
    return len(ndb), len(hsb)


def compile_yara(rules: list[Path], out: Path) -> Path:
    compiled = out / "rules.yarc"
    defines = [a for e in EXTERNALS for a in ("-d", f"{e}=")]
    sources = [f"{p.parent.name}_{p.stem}:{p}" for p in rules]
    result = run(["yarac", *defines, *sources, str(compiled)])
    if result.returncode != 0:
        sys.exit("yarac failed")
    return compiled


def _walk(report: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield report
    for child in report["children"]:
        yield from _walk(child)


def koban_detections(r: Run) -> Counter[str]:
    """YARA and intel matches (what the peers can detect with the same signatures)."""
    found: Counter[str] = Counter()
    for line in r.stdout.splitlines():
        for report in _walk(json.loads(line)):
            for f in report["findings"]:
                if f["rule"] == "file.yara_match" or f["rule"].startswith("intel."):
                    found[f"{f['rule']}: {f['evidence'].get('rule', '')}"] += 1
    return found


def koban_flagged(r: Run) -> Counter[str]:
    """Files and members koban's own inspectors call suspicious or malicious, by top rule."""
    found: Counter[str] = Counter()
    for line in r.stdout.splitlines():
        for report in _walk(json.loads(line)):
            if report["verdict"] != "clean" and report["findings"]:
                top = max(report["findings"], key=lambda f: _SEVERITY.index(f["severity"]))
                found[f"{report['verdict']}: {top['rule']}"] += 1
    return found


def yara_detections(r: Run) -> Counter[str]:
    return Counter(line.split(b" ", 1)[0].decode() for line in r.stdout.splitlines() if line)


def clam_detections(r: Run) -> Counter[str]:
    found: Counter[str] = Counter()
    for line in r.stdout.decode(errors="replace").splitlines():
        if line.endswith(" FOUND"):
            found[line.rsplit(": ", 1)[1].removesuffix(" FOUND")] += 1
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="runs per tool (median reported)")
    parser.add_argument("--folders", nargs="+", default=list(FOLDERS))
    args = parser.parse_args()
    data = shared_data()
    for tool in ("clamscan", "yara", "yarac"):
        if shutil.which(tool) is None:
            sys.exit(f"{tool} is not installed (apt-get install -y clamav yara)")
    work = Path(tempfile.mkdtemp(prefix="koban-bench-file-"))
    env = dict(os.environ, KOBAN_HOME=str(work / "home"))
    rules = rule_files(data)
    imported = run(
        [*koban_cmd(), "intel", "import", *(str(data / "intel" / "yara" / s) for s in RULE_SETS)],
        env=env,
    )
    if imported.returncode != 0:
        sys.exit("koban intel import failed")
    yara_rules = sum(len(_RULE.findall(p.read_text(errors="replace"))) for p in rules)
    compiled = compile_yara(rules, work)
    clam_db = work / "clamdb"
    clam_db.mkdir()
    n_body, n_hash = clamav_database(rules, clam_db)
    print(
        f"signature set: {len(rules)} YARA files, {yara_rules} rules (koban and yara); "
        f"ClamAV database generated from them: {n_body} body + {n_hash} SHA-256 signatures\n"
        f"median of {args.runs} runs, one process and one thread per tool (the koban -jN line: "
        "one worker process per core, --jobs 0; the ratios compare koban --jobs 1)\n"
    )
    for folder in args.folders:
        root = data / "files" / folder
        files, size = tree_size(root)
        mb = size / 1e6
        scan = [*koban_cmd(), "file", "scan", str(root), "--format", "json", "--fail-on", "never"]
        tools: list[tuple[str, list[str], Callable[[Run], Counter[str]]]] = [
            ("koban", [*scan, "--jobs", "1"], koban_detections),
            (f"koban -j{os.cpu_count() or 1}", [*scan, "--jobs", "0"], koban_detections),
            ("yara", ["yara", "-r", "-p", "1", "-C", str(compiled), str(root)], yara_detections),
            (
                "clamscan",
                ["clamscan", "-r", "-i", "--no-summary", "-d", str(clam_db), str(root)],
                clam_detections,
            ),
        ]
        print(f"== {folder}: {files} files, {mb:.1f} MB")
        print(
            f"{'tool':<10} {'wall s':>8} {'files/s':>9} {'MB/s':>8} {'peak MB':>8} "
            f"{'detections':>10}  koban/peer time"
        )
        results: dict[str, tuple[float, float, Counter[str]]] = {}
        last_koban: list[Run] = []
        for name, cmd, detections in tools:
            times, rss = [], []
            last: Run | None = None
            for _ in range(args.runs):
                last = run(cmd, env=env)
                if last.returncode not in (0, 1):
                    sys.exit(f"{name} failed with exit {last.returncode}: {' '.join(cmd)}")
                times.append(last.seconds)
                rss.append(last.max_rss_mb)
            assert last is not None
            results[name] = (statistics.median(times), max(rss), detections(last))
            if name == "koban":
                last_koban = [last]
        k_time = results["koban"][0]
        for name, (secs, peak, found) in results.items():
            ratio = "" if name.startswith("koban") else f"  {k_time / secs:.2f}x"
            print(
                f"{name:<10} {secs:8.2f} {files / secs:9.1f} {mb / secs:8.2f} {peak:8.0f} "
                f"{sum(found.values()):10d}{ratio}"
            )
        flagged = koban_flagged(last_koban[0])
        if flagged:
            shown = ", ".join(f"{k} x{n}" for k, n in flagged.most_common(8))
            print(f"  koban verdicts from its own inspectors: {shown}")
        for name, (_secs, _peak, found) in results.items():
            if found:
                shown = ", ".join(f"{k} x{n}" for k, n in found.most_common(6))
                print(f"  {name} detected: {shown}")
        print()
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
