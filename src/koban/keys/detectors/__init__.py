"""The detectors of wallet secrets, one module per family (each exposes ``DETECTOR``)."""

from __future__ import annotations

import importlib
from functools import cache

from koban.keys.secret import Detector

MODULES = ("mnemonic", "wif", "extended", "hexkey", "keystore", "solana", "pem")


@cache
def all_detectors() -> tuple[Detector, ...]:
    """Every detector, in a fixed order."""
    found: list[Detector] = []
    for name in MODULES:
        module = importlib.import_module(f"{__name__}.{name}")
        found.append(module.DETECTOR)
    return tuple(found)
