"""YAML reading for koban's own data files (rules, lures, brands, actors) and TagPacks.

libyaml's C loader when PyYAML was built with it (Debian and PyPI wheels are): the rule files
alone take seconds to parse in pure Python and every command reads them.
"""

from __future__ import annotations

from typing import Any

import yaml

try:
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - PyYAML without libyaml
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

YAMLError = yaml.YAMLError


def load_yaml(text: str) -> Any:
    """The document in ``text``, safe types only (as ``yaml.safe_load``)."""
    return yaml.load(text, Loader=_Loader)
