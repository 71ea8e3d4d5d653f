"""CSV indicator lists such as Volexity's (``value,entity_type,description``).

Columns are found by header name. A ``file`` row may hold several comma-separated hashes.
Attribution comes from ``--attribution`` or from a known actor named in the description or path
(Volexity's AppleJeus set → Lazarus Group).
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from koban.errors import InputError
from koban.intel import attribution
from koban.intel.importers.common import ImportOptions, file_batch, read_text
from koban.intel.indicators import (
    HASH_TYPES,
    IndicatorType,
    NormaliseError,
    guess_type,
    normalise,
)
from koban.intel.records import Batch, Record

NAME = "csv"
_VALUE_COLS = ("value", "indicator", "ioc", "observable", "banned_address", "address")
_TYPE_COLS = ("entity_type", "type", "indicator_type", "ioc_type")
_DESC_COLS = ("description", "comment", "context", "notes", "wallet_tag", "label")
_TYPE_MAP = {
    "hostname": IndicatorType.DOMAIN,
    "domain": IndicatorType.DOMAIN,
    "fqdn": IndicatorType.DOMAIN,
    "url": IndicatorType.URL,
    "uri": IndicatorType.URL,
    "ip": IndicatorType.IP,
    "ipaddress": IndicatorType.IP,
    "ip-dst": IndicatorType.IP,
    "ip-src": IndicatorType.IP,
    "ipv4": IndicatorType.IP,
    "ipv6": IndicatorType.IP,
    "email": IndicatorType.EMAIL,
    "emailwhois": IndicatorType.EMAIL,
    "email-src": IndicatorType.EMAIL,
    "md5": IndicatorType.MD5,
    "sha1": IndicatorType.SHA1,
    "sha256": IndicatorType.SHA256,
    "address": IndicatorType.ADDRESS,
    "wallet": IndicatorType.ADDRESS,
    "btc": IndicatorType.ADDRESS,
    "eth": IndicatorType.ADDRESS,
}


def sniff(path: Path, head: bytes) -> bool:
    first = head.decode("utf-8", "replace").lstrip("\ufeff").splitlines()[:1]
    if not first:
        return False
    cols = [c.strip().strip('"').lower() for c in first[0].split(",")]
    return any(c in _VALUE_COLS for c in cols)


def _column(header: list[str], names: tuple[str, ...]) -> int | None:
    for i, h in enumerate(header):
        if h.strip().lower() in names:
            return i
    return None


def read(path: Path, options: ImportOptions) -> list[Batch]:
    text = read_text(path)
    rows = csv.reader(io.StringIO(text))
    try:
        header = next(rows)
    except StopIteration:
        raise InputError(str(path), "empty CSV file") from None
    vcol = _column(header, _VALUE_COLS)
    if vcol is None:
        raise InputError(str(path), f"no value column (one of {', '.join(_VALUE_COLS)})", line=1)
    tcol, dcol = _column(header, _TYPE_COLS), _column(header, _DESC_COLS)
    fixed = attribution.resolve(options.attribution) if options.attribution else None
    path_actor = attribution.mentions(re.sub(r"[_\-/]", " ", str(path)))
    records: list[Record] = []
    skipped: list[str] = []
    problems: list[str] = []
    for lineno, row in enumerate(rows, 2):
        if not row or not "".join(row).strip():
            continue
        if len(row) <= vcol:
            raise InputError(
                str(path), f"row has {len(row)} columns, expected at least {vcol + 1}", line=lineno
            )
        declared = row[tcol].strip().lower() if tcol is not None and tcol < len(row) else ""
        desc = row[dcol].strip() if dcol is not None and dcol < len(row) else ""
        actor = fixed or attribution.mentions(desc) or path_actor
        for raw in (v for v in re.split(r"[,\s]+", row[vcol]) if v):
            kind = _TYPE_MAP.get(declared)
            if kind is None or (declared == "file"):
                kind = guess_type(raw)
            if declared == "file" and raw.strip().lower() and len(raw.strip()) in HASH_TYPES:
                kind = HASH_TYPES[len(raw.strip())]
            if kind is None:
                skipped.append(f"line {lineno}: {raw[:60]!r} ({declared or 'no type'})")
                continue
            try:
                value = normalise(kind, raw)
            except NormaliseError as exc:
                problems.append(f"{path}:{lineno}: {exc}; skipped")
                continue
            records.append(
                Record(
                    type=kind,
                    value=value,
                    entity=desc,
                    attribution=actor.name if actor and actor.category == "threat-actor" else None,
                    category=actor.category if actor else None,
                    description=desc or None,
                )
            )
    return [
        file_batch(
            path,
            options,
            fmt=NAME,
            source=f"csv:{path.parent.name}/{path.name}",
            records=records,
            problems=problems,
            details={"skipped": "; ".join(skipped[:20])} if skipped else {},
        )
    ]
