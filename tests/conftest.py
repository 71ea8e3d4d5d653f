"""Shared fixtures: the real-data folder (../shared/data), a temporary KOBAN_HOME and store."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from koban.intel.store import IntelStore

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("KOBAN_SHARED_DATA", REPO.parent / "shared" / "data"))


@pytest.fixture(autouse=True, scope="session")
def _cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Compiled pattern databases go to a session folder, not the user's cache."""
    old = os.environ.get("KOBAN_CACHE")
    os.environ["KOBAN_CACHE"] = str(tmp_path_factory.mktemp("koban-cache"))
    yield
    if old is None:
        os.environ.pop("KOBAN_CACHE", None)
    else:
        os.environ["KOBAN_CACHE"] = old


@pytest.fixture
def shared_data() -> Path:
    """The real corpora; tests using it are marked ``shared_data`` and skip when it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real data folder {SHARED_DATA} is absent (set KOBAN_SHARED_DATA)")
    return SHARED_DATA


@pytest.fixture
def koban_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "koban-home"
    monkeypatch.setenv("KOBAN_HOME", str(home))
    return home


@pytest.fixture
def store(tmp_path: Path) -> Iterator[IntelStore]:
    with IntelStore(tmp_path / "intel.sqlite") as s:
        yield s


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A clean world for CLI tests: KOBAN_HOME and cwd in tmp, no user profile."""
    import koban.profile

    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.setenv("KOBAN_HOME", str(tmp_path / "home"))
    monkeypatch.chdir(work)
    monkeypatch.setattr(koban.profile, "config_dir", lambda: tmp_path / "cfg")
    return work
