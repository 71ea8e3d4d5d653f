"""Tree walking: sorted, relative, no links followed, .git and special files skipped."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from koban.containers.files import Repo, iter_files, walk_tree


def _tree(root: Path) -> None:
    (root / "b").mkdir(parents=True)
    (root / "a").mkdir()
    (root / "b" / "z.txt").write_text("z")
    (root / "b" / "y.txt").write_text("y")
    (root / "a" / "x.txt").write_text("x")
    (root / "top.txt").write_text("t")
    (root / ".git").mkdir()
    (root / ".git" / "config").write_text("[core]")
    (root / "a" / ".env").write_text("hidden files are walked")


def test_files_sorted_with_relative_display_paths(tmp_path: Path) -> None:
    _tree(tmp_path)
    found = list(iter_files(tmp_path))
    assert [d for _, d in found] == ["top.txt", "a/.env", "a/x.txt", "b/y.txt", "b/z.txt"]
    assert all(p == tmp_path / d for p, d in found)


def test_git_directory_is_reported_as_repo_not_walked(tmp_path: Path) -> None:
    _tree(tmp_path)
    items = list(walk_tree(tmp_path))
    assert Repo(tmp_path, "") in items
    assert not any(isinstance(i, tuple) and ".git" in i[1] for i in items)


def test_symlinks_are_not_followed(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("outside the input")
    root = tmp_path / "root"
    root.mkdir()
    (root / "real.txt").write_text("r")
    (root / "link.txt").symlink_to(outside / "secret.txt")
    (root / "linkdir").symlink_to(outside, target_is_directory=True)
    (root / "loop").symlink_to(root, target_is_directory=True)
    assert [d for _, d in iter_files(root)] == ["real.txt"]


def test_special_files_are_skipped(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe")  # reading it would block forever
    (tmp_path / "f.txt").write_text("f")
    assert [d for _, d in iter_files(tmp_path)] == ["f.txt"]


def test_a_file_given_directly_is_shown_by_name(tmp_path: Path) -> None:
    f = tmp_path / "wallet.txt"
    f.write_text("w")
    assert list(iter_files(f)) == [(f, "wallet.txt")]


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads unreadable directories")
def test_unreadable_directory_is_a_problem(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0)
    try:
        problems = [i for i in walk_tree(tmp_path) if not isinstance(i, tuple | Repo)]
    finally:
        locked.chmod(0o700)
    assert [p.path for p in problems] == ["locked"]
