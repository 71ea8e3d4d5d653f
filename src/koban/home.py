"""The data directory (``KOBAN_HOME``, default: the user data dir) and the user config dir."""

from __future__ import annotations

import os
from pathlib import Path

from platformdirs import user_config_dir, user_data_dir


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
