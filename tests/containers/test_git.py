"""Git history: a secret deleted from HEAD is still found, with the commit that introduced it."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import zipfile
from collections.abc import Iterable
from pathlib import Path

import pytest

from koban.containers import Blob, Limits, Problem, git_history, walk
from koban.containers import git as gitmod

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")

SECRET = b"L1aW4aubDFB7yfras2S1mN3bqg9nwySY8nkoLmJebSLD5BWv3ENZ\n"


class Repo:
    """A throwaway repository driven through the git CLI, with a fixed identity."""

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        self.git("init", "-q", "-b", "main")

    def git(self, *args: str) -> str:
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("GIT_")},
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_CONFIG_GLOBAL": os.devnull,
            "GIT_AUTHOR_NAME": "t",
            "GIT_AUTHOR_EMAIL": "t@example.com",
            "GIT_COMMITTER_NAME": "t",
            "GIT_COMMITTER_EMAIL": "t@example.com",
        }
        done = subprocess.run(
            ["git", "-C", str(self.root), *args], env=env, check=True, capture_output=True
        )
        return done.stdout.decode().strip()

    def commit(self, files: dict[str, bytes | None], message: str) -> str:
        for name, data in files.items():
            target = self.root / name
            if data is None:
                self.git("rm", "-q", name)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
            self.git("add", name)
        self.git("commit", "-q", "-m", message)
        return self.git("rev-parse", "HEAD")


def _blobs(items: Iterable[Blob | Problem]) -> list[Blob]:
    return [i for i in items if isinstance(i, Blob)]


def test_deleted_secret_is_found_with_the_commit_that_introduced_it(tmp_path: Path) -> None:
    repo = Repo(tmp_path / "r")
    first = repo.commit({"README.md": b"hello\n", "keys/wallet.txt": SECRET}, "add wallet")
    repo.commit({"keys/wallet.txt": None, "README.md": b"hello again\n"}, "remove wallet")
    items = list(git_history(repo.root))
    assert not [i for i in items if isinstance(i, Problem)]
    blobs = {(b.path, b.data): b for b in _blobs(items)}
    found = blobs[("keys/wallet.txt", SECRET)]
    assert found.commit == first and found.origin == "git"
    # The old README differs from the working tree: it is history. The current one is not.
    assert ("README.md", b"hello\n") in blobs
    assert ("README.md", b"hello again\n") not in blobs


def test_each_blob_once_and_oldest_commit_wins(tmp_path: Path) -> None:
    repo = Repo(tmp_path / "r")
    first = repo.commit({"a.txt": SECRET}, "one")
    repo.commit({"copy/a.txt": SECRET}, "two")  # same content at another path
    repo.commit({"a.txt": None, "copy/a.txt": None}, "gone")
    blobs = [b for b in _blobs(git_history(repo.root)) if b.data == SECRET]
    assert [(b.path, b.commit) for b in blobs] == [("a.txt", first)]


def test_other_branches_and_merges_are_included(tmp_path: Path) -> None:
    repo = Repo(tmp_path / "r")
    repo.commit({"a.txt": b"a\n"}, "base")
    repo.git("checkout", "-q", "-b", "side")
    side = repo.commit({"side.txt": SECRET}, "on a branch only")
    repo.git("checkout", "-q", "main")
    found = [b for b in _blobs(git_history(repo.root)) if b.data == SECRET]
    assert [(b.path, b.commit) for b in found] == [("side.txt", side)]


def test_archives_in_history_are_expanded(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("seed.txt", SECRET)
    repo = Repo(tmp_path / "r")
    added = repo.commit({"backup.zip": buffer.getvalue()}, "backup")
    repo.commit({"backup.zip": None}, "oops")
    blobs = {b.path: b for b in _blobs(git_history(repo.root))}
    member = blobs["backup.zip!seed.txt"]
    assert member.data == SECRET and member.commit == added and member.origin == "member"
    assert blobs["backup.zip"].container == "zip"


def test_odd_paths_survive(tmp_path: Path) -> None:
    repo = Repo(tmp_path / "r")
    repo.commit({"dir with space/ファイル.txt": SECRET}, "unicode")
    repo.commit({"dir with space/ファイル.txt": None}, "rm")
    assert [b.path for b in _blobs(git_history(repo.root))] == ["dir with space/ファイル.txt"]


def test_history_blob_size_limit(tmp_path: Path) -> None:
    repo = Repo(tmp_path / "r")
    repo.commit({"big.bin": b"x" * 5000, "small.txt": SECRET}, "one")
    repo.commit({"big.bin": None, "small.txt": None}, "two")
    items = list(git_history(repo.root, Limits(max_file_bytes=1000)))
    [problem] = [i for i in items if isinstance(i, Problem)]
    assert problem.limit and problem.path == "big.bin"
    assert [b.path for b in _blobs(items)] == ["small.txt"]


def test_empty_repository_has_no_history(tmp_path: Path) -> None:
    repo = Repo(tmp_path / "r")
    assert list(git_history(repo.root)) == []


def test_missing_git_is_a_problem(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(gitmod.shutil, "which", lambda name: None)
    [problem] = list(git_history(tmp_path))
    assert isinstance(problem, Problem) and "git is not installed" in problem.message


def test_corrupt_repository_is_a_problem(tmp_path: Path) -> None:
    repo = Repo(tmp_path / "r")
    repo.commit({"a.txt": SECRET}, "one")
    repo.commit({"a.txt": b"other\n"}, "two")
    for obj in (repo.root / ".git" / "objects").glob("??/*"):
        obj.chmod(0o600)
        obj.write_bytes(b"not a zlib object")
    items = list(git_history(repo.root))
    assert items and all(isinstance(i, Problem) for i in items)
    assert "git history not readable" in items[0].message


def _fake_signed_commit(repo: Repo, message: str) -> str:
    """A commit carrying a (bogus) PGP signature: showing it makes git run gpg.program."""
    tree = repo.git("rev-parse", "HEAD^{tree}")
    parent = repo.git("rev-parse", "HEAD")
    body = (
        f"tree {tree}\nparent {parent}\nauthor t <t@e> 1700000000 +0000\n"
        "committer t <t@e> 1700000000 +0000\ngpgsig -----BEGIN PGP SIGNATURE-----\n \n"
        " iQEzBAABCAAdFiEE\n -----END PGP SIGNATURE-----\n\n" + message + "\n"
    )
    (repo.root / ".git" / "c.txt").write_text(body)
    sha = repo.git("hash-object", "-t", "commit", "-w", ".git/c.txt")
    repo.git("update-ref", "refs/heads/main", sha)
    return sha


def test_repository_config_never_runs_programs(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    script = tmp_path / "evil.sh"
    script.write_text(f"#!/bin/sh\ntouch {marker}\nexit 1\n")
    script.chmod(0o755)
    repo = Repo(tmp_path / "r")
    repo.commit({"a.txt": SECRET}, "one")
    repo.commit({"a.txt": b"two\n"}, "two")
    _fake_signed_commit(repo, "signed")
    for key, value in (
        ("core.fsmonitor", str(script)),
        ("log.showSignature", "true"),
        ("gpg.program", str(script)),
        ("core.pager", str(script)),
        ("diff.external", str(script)),
    ):
        repo.git("config", key, value)
    hook = repo.root / ".git" / "hooks" / "post-checkout"
    hook.write_text(script.read_text())
    hook.chmod(0o755)
    # Control: a plain `git log` in this repository does run the configured program.
    subprocess.run(["git", "-C", str(repo.root), "log", "--raw"], capture_output=True, check=False)
    assert marker.exists()
    marker.unlink()
    items = list(git_history(repo.root))
    assert SECRET in [b.data for b in _blobs(items)]
    assert not marker.exists()


def test_walk_adds_history_of_nested_work_trees_with_prefixed_paths(tmp_path: Path) -> None:
    root = tmp_path / "share"
    repo = Repo(root / "projects" / "app")
    commit = repo.commit({"config/key.txt": SECRET}, "add")
    repo.commit({"config/key.txt": None}, "remove")
    (root / "notes.txt").write_text("nothing here\n")
    items = list(walk(root))
    paths = [(b.path, b.origin, b.commit) for b in _blobs(items)]
    assert ("notes.txt", "file", None) in paths
    assert ("projects/app/config/key.txt", "git", commit) in paths
    assert [p for p in paths if p[1] == "git"] == [("projects/app/config/key.txt", "git", commit)]
    assert not [i for i in walk(root, history=False) if isinstance(i, Blob) and i.commit]
