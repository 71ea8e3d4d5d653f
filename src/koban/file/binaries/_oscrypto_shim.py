"""Make ``signify`` importable on OpenSSL 3.0.x (a compatibility shim, loaded only on demand).

signify verifies Authenticode chains with oscrypto, and oscrypto 1.3.0 finds the libcrypto
version with the regex ``\\b(\\d\\.\\d\\.\\d[a-z]*)\\b``: a two-digit patch number such as
"OpenSSL 3.0.17" does not match, and importing oscrypto's OpenSSL backend raises
``LibraryNotFoundError`` (upstream oscrypto issues #75 and #78, fixed on its master branch, not
released). The fix upstream widens the regex to ``\\d+``. Until a release ships it, this module
installs an import hook that applies the same one-line change to the source of the two backend
modules (``_libcrypto_cffi`` and ``_libcrypto_ctypes``) while they are compiled. Nothing else is
touched, nothing is written to disk, and a failure here only means Authenticode chains are not
checked (lief still reports integrity): :func:`load_signify` returns ``None`` then.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
from collections.abc import Sequence
from types import CodeType, ModuleType
from typing import Any

_TARGETS = frozenset({"oscrypto._openssl._libcrypto_cffi", "oscrypto._openssl._libcrypto_ctypes"})
_OLD = rb"'\\b(\\d\\.\\d\\.\\d[a-z]*)\\b'"
_NEW = rb"'\\b(\\d+\\.\\d+\\.\\d+[a-z]*)\\b'"


class _PatchedLoader(importlib.machinery.SourceFileLoader):
    """Compiles the module from source with the widened version regex (never from a cached
    .pyc, which holds the original code)."""

    def get_code(self, fullname: str) -> CodeType:
        path = self.get_filename(fullname)
        source = self.get_data(path).replace(_OLD, _NEW)
        code: CodeType = self.source_to_code(source, path)
        return code


class _Finder(importlib.abc.MetaPathFinder):
    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname not in _TARGETS:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None or spec.origin is None or not spec.origin.endswith(".py"):
            return spec
        loader = _PatchedLoader(fullname, spec.origin)
        return importlib.util.spec_from_file_location(fullname, spec.origin, loader=loader)


_FINDER = _Finder()
_state: dict[str, Any] = {}


def load_signify() -> ModuleType | None:
    """``signify.authenticode`` if it can be imported (with the shim), else ``None``. The result
    is remembered: the import is tried once per process."""
    if "module" in _state:
        module: ModuleType | None = _state["module"]
        return module
    if _FINDER not in sys.meta_path:
        sys.meta_path.insert(0, _FINDER)
    try:
        module = importlib.import_module("signify.authenticode")
    except Exception:  # ImportError, oscrypto's LibraryNotFoundError, a broken install
        module = None
    finally:
        sys.meta_path.remove(_FINDER)
    _state["module"] = module
    return module
