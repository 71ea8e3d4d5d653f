"""The regular files of a tree, in a stable order, without following links out of it.

Symlinks are skipped rather than followed: a link can point outside the tree given (or loop), and
its target, when inside, is walked anyway. ``.git`` directories are skipped: their objects are
compressed and packed, so history is read through git itself (``git.py``). Special files (FIFOs,
devices) are skipped: reading one can block forever.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from koban.containers.blob import Problem


@dataclass(frozen=True, slots=True)
class Repo:
    """A git work tree met during the walk (a directory with a ``.git`` entry)."""

    root: Path
    display: str  # its path relative to the input, "" for the input itself


def walk_tree(root: Path) -> Iterator[tuple[Path, str] | Repo | Problem]:
    """Files (path, display path), work trees and unreadable directories under ``root``.

    A file given directly is yielded with its name as display path: findings in it are located
    by name, members as ``name!member``.
    """
    if not root.is_dir():
        yield root, root.name
        return
    stack: list[tuple[str, str]] = [(os.fspath(root), "")]
    while stack:
        directory, prefix = stack.pop()
        try:
            with os.scandir(directory) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as exc:
            yield Problem(prefix.rstrip("/") or ".", f"cannot list directory: {exc.strerror}")
            continue
        subdirs: list[tuple[str, str]] = []
        for entry in entries:
            try:
                if entry.is_symlink():
                    continue
                if entry.name == ".git":
                    # A directory, or a file pointing to one (submodule, linked work tree).
                    yield Repo(Path(directory), prefix.rstrip("/"))
                elif entry.is_dir(follow_symlinks=False):
                    subdirs.append((entry.path, f"{prefix}{entry.name}/"))
                elif entry.is_file(follow_symlinks=False):
                    yield Path(entry.path), prefix + entry.name
            except OSError as exc:
                yield Problem(prefix + entry.name, f"cannot stat: {exc.strerror}")
        # Depth first, in name order: push in reverse so the smallest name is walked first.
        stack.extend(reversed(subdirs))


def iter_files(root: Path) -> Iterator[tuple[Path, str]]:
    """Regular files under ``root`` (or ``root`` itself) with their display paths, sorted."""
    for item in walk_tree(root):
        if isinstance(item, tuple):
            yield item
