"""Everything under one input, in one stream: files, archive members, document text, history."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from koban.containers.archives import expand
from koban.containers.blob import Blob, Problem
from koban.containers.files import Repo, walk_tree
from koban.containers.git import git_history
from koban.containers.limits import DEFAULT_LIMITS, Limits


def walk(
    root: Path,
    limits: Limits = DEFAULT_LIMITS,
    *,
    history: bool = True,
    text: bool = True,
    passwords: tuple[bytes, ...] = (),
) -> Iterator[Blob | Problem]:
    """Blobs of ``root`` (a file or a directory), paths relative to it, then git history.

    History is read for every git work tree met (``root`` itself or any directory below it with
    a ``.git``), after all files, with paths prefixed by the work tree's place under ``root``.
    Each file is one input for the bounds of ``limits``; so is each historical blob.
    ``passwords`` are tried on encrypted zip members of files (not of history).
    """
    repos: list[Repo] = []
    for item in walk_tree(root):
        if isinstance(item, Problem):
            yield item
        elif isinstance(item, Repo):
            repos.append(item)
        else:
            path, display = item
            yield from expand(path, display, limits, text=text, passwords=passwords)
    if history:
        for repo in repos:
            yield from git_history(repo.root, limits, text=text, display=repo.display)
