"""Per-ticker address lists (``sanctioned_addresses_ETH.txt`` / ``.json``): one address a line,
or a JSON array. The ticker comes from the file name or ``--ticker``; the date from ``--as-of``,
a date in the path, or the file's modification time."""

from __future__ import annotations

import json
import re
from pathlib import Path

from koban.errors import InputError
from koban.intel.chains import chain_for
from koban.intel.importers.common import ImportOptions, file_batch, read_text
from koban.intel.indicators import IndicatorType, NormaliseError, normalise_address
from koban.intel.records import Batch, Record

NAME = "ticker-list"
SOURCE = "ofac-address-list"
_NAME_TICKER = re.compile(r"(?:^|[_\-.])([A-Za-z0-9]{2,6})\.(?:txt|json)$")


def _ticker(path: Path, options: ImportOptions) -> str | None:
    if options.ticker:
        return options.ticker
    m = _NAME_TICKER.search(path.name.removesuffix(".gz").removesuffix(".bz2"))
    return m.group(1) if m else None


def sniff(path: Path, head: bytes) -> bool:
    if not re.search(r"(sanctioned_)?addresses?_[A-Za-z0-9]{2,6}\.(txt|json)", path.name):
        return False
    text = head.decode("utf-8", "replace").lstrip("\ufeff").lstrip()
    return text.startswith("[") or bool(re.match(r"[A-Za-z0-9:]{20,120}\s", text + "\n"))


def read(path: Path, options: ImportOptions) -> list[Batch]:
    ticker = _ticker(path, options)
    if ticker is None:
        raise InputError(str(path), "cannot tell the ticker from the file name; use --ticker")
    text = read_text(path)
    if text.lstrip().startswith("["):
        try:
            items = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(
                str(path),
                f"invalid JSON: {exc.msg}",
                line=exc.lineno,
                position=f"column {exc.colno}",
            ) from exc
        if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
            raise InputError(str(path), "expected a JSON array of address strings")
        lines = [(0, i) for i in items]
    else:
        lines = [
            (n, raw.strip())
            for n, raw in enumerate(text.splitlines(), 1)
            if raw.strip() and not raw.lstrip().startswith("#")
        ]
    chain_for(ticker, "", source=str(path))  # an unknown ticker fails the whole file
    records = []
    problems = []
    for lineno, raw in lines:
        try:
            chain = chain_for(ticker, raw, source=str(path))
            value = normalise_address(raw)
        except NormaliseError as exc:
            problems.append(
                f"{path}:{lineno}: {exc}; skipped" if lineno else f"{path}: {exc}; skipped"
            )
            continue
        records.append(
            Record(
                IndicatorType.ADDRESS,
                value,
                chain=chain,
                programs=(),
                description=f"listed under {ticker.upper()}",
            )
        )
    return [
        file_batch(
            path,
            options,
            fmt=NAME,
            source=SOURCE,
            scope=ticker.upper(),
            records=records,
            problems=problems,
        )
    ]
