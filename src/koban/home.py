"""The data directory (``KOBAN_HOME``, default: the user data dir) and the user config dir."""

from __future__ import annotations

import os
from pathlib import Path

from platformdirs import user_cache_dir, user_config_dir, user_data_dir


def data_dir() -> Path:
    """``$KOBAN_HOME`` if set, else the platform's user data dir; created on first use."""
    env = os.environ.get("KOBAN_HOME")
    path = Path(env).expanduser() if env else Path(user_data_dir("koban", appauthor=False))
    path.mkdir(parents=True, exist_ok=True)
    return path


def store_path() -> Path:
    return data_dir() / "intel.sqlite"


def config_dir() -> Path:
    return Path(user_config_dir("koban", appauthor=False))


def cache_dir() -> Path:
    """``$KOBAN_CACHE`` if set, else the platform's user cache dir (compiled pattern databases:
    derived data, safe to delete). Not under KOBAN_HOME, so that throw-away homes share it."""
    env = os.environ.get("KOBAN_CACHE")
    return Path(env).expanduser() if env else Path(user_cache_dir("koban", appauthor=False))
