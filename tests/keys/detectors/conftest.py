"""Run a detector as the scanner does: one prefilter pass (Hyperscan and ``re``), then confirm."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable

import pytest

from koban.keys.prefilter import Prefilter
from koban.keys.secret import Detector, Secret

Find = Callable[[Detector, "bytes | str"], list[Secret]]
ENGINES = ["re"] + (["hyperscan"] if importlib.util.find_spec("hyperscan") else [])


@pytest.fixture(params=ENGINES)
def find(request: pytest.FixtureRequest) -> Find:
    """``find(detector, data)``: what the detector confirms in ``data`` through the prefilter."""
    engine = request.param

    def run(detector: Detector, data: bytes | str) -> list[Secret]:
        raw = data.encode() if isinstance(data, str) else data
        return Prefilter([detector], engine=engine).secrets(raw)

    return run
