"""Shared helpers for benchmarks: locating ../shared/data, timing child processes."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def shared_data() -> Path:
    """``$KOBAN_SHARED_DATA`` or ``../shared/data`` beside the checkout; exits if absent."""
    env = os.environ.get("KOBAN_SHARED_DATA")
    path = Path(env) if env else REPO.parent / "shared" / "data"
    if not path.is_dir():
        sys.exit(f"benchmark needs the shared data folder ({path}); set KOBAN_SHARED_DATA")
    return path


@dataclass
class Run:
    seconds: float
    max_rss_mb: float
    returncode: int
    stdout: bytes


def run(cmd: list[str], *, env: dict[str, str] | None = None, stdout: int | None = None) -> Run:
    """Run ``cmd``; wall time and the child's own peak RSS (from wait4)."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        cmd,
        env=env,
        stdout=stdout if stdout is not None else subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    out = b""
    if proc.stdout is not None:
        out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.stderr is not None:
        err = proc.stderr.read()
        proc.stderr.close()
        if proc.returncode not in (0, 1):
            sys.stderr.write(err.decode(errors="replace"))
    if proc.stdout is not None:
        proc.stdout.close()
    return Run(seconds, usage.ru_maxrss / 1024, proc.returncode, out)


def koban_cmd() -> list[str]:
    return [sys.executable, "-m", "koban.cli"]


def tree_size(root: Path) -> tuple[int, int]:
    """Regular files (not links) under ``root``: how many, and their bytes."""
    files = size = 0
    for dirpath, _dirs, names in os.walk(root):
        for name in names:
            p = Path(dirpath) / name
            if p.is_file() and not p.is_symlink():
                files += 1
                size += p.stat().st_size
    return files, size
