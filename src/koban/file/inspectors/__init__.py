"""The inspectors, one module per family; each exposes ``INSPECTOR`` (and may set ``ORDER``,
default 50: identification runs first, intel and YARA last). Modules are discovered, so adding
an inspector is adding a module."""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache

from koban.file.item import Inspector


@cache
def all_inspectors() -> tuple[Inspector, ...]:
    modules = [
        importlib.import_module(f"{__name__}.{info.name}")
        for info in pkgutil.iter_modules(__path__)
        if not info.name.startswith("_")
    ]
    modules.sort(key=lambda m: (getattr(m, "ORDER", 50), m.__name__))
    return tuple(m.INSPECTOR for m in modules if hasattr(m, "INSPECTOR"))
