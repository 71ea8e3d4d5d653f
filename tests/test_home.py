"""The data directory: $KOBAN_HOME, else the user data dir; created on first use."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from platformdirs import user_config_dir, user_data_dir

from koban.home import config_dir, data_dir, store_path

linux_only = pytest.mark.skipif(sys.platform != "linux", reason="XDG layout is Linux's")


@pytest.fixture
def fake_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.delenv("KOBAN_HOME", raising=False)
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    monkeypatch.setenv("HOME", str(home))
    return home


def test_koban_home_respected_and_created(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "deep" / "koban-home"
    monkeypatch.setenv("KOBAN_HOME", str(target))
    assert not target.exists()
    assert data_dir() == target
    assert target.is_dir()
    assert store_path() == target / "intel.sqlite"


def test_koban_home_existing_is_fine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KOBAN_HOME", str(tmp_path))
    (tmp_path / "keep.txt").write_text("x", encoding="utf-8")
    assert data_dir() == tmp_path
    assert (tmp_path / "keep.txt").read_text(encoding="utf-8") == "x"


def test_koban_home_tilde_expanded(fake_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KOBAN_HOME", "~/kb")
    assert data_dir() == fake_home / "kb"
    assert (fake_home / "kb").is_dir()


def test_empty_koban_home_means_default(fake_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KOBAN_HOME", "")
    assert data_dir() == Path(user_data_dir("koban", appauthor=False))


def test_default_is_user_data_dir(fake_home: Path) -> None:
    path = data_dir()
    assert path == Path(user_data_dir("koban", appauthor=False))
    assert path.is_dir()
    assert fake_home in path.parents
    assert store_path() == path / "intel.sqlite"


@linux_only
def test_default_under_home_local_share(fake_home: Path) -> None:
    assert data_dir() == fake_home / ".local" / "share" / "koban"
    assert (fake_home / ".local" / "share" / "koban").is_dir()


@linux_only
def test_default_honours_xdg_data_home(
    fake_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    xdg = tmp_path / "xdg-data"
    monkeypatch.setenv("XDG_DATA_HOME", str(xdg))
    assert data_dir() == xdg / "koban"
    assert (xdg / "koban").is_dir()
    assert not (fake_home / ".local").exists()


def test_config_dir_is_user_config_dir_and_not_created(fake_home: Path) -> None:
    path = config_dir()
    assert path == Path(user_config_dir("koban", appauthor=False))
    assert fake_home in path.parents
    assert not path.exists()


@linux_only
def test_config_dir_honours_xdg_config_home(
    fake_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    assert config_dir() == tmp_path / "xdg-config" / "koban"
