"""GraphSense TagPacks (YAML): header fields apply to every tag unless a tag overrides them."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from koban.errors import InputError
from koban.intel import attribution
from koban.intel.chains import TICKER_CHAINS, chain_for
from koban.intel.importers.common import ImportOptions, file_batch, iso_date, read_text
from koban.intel.indicators import IndicatorType, NormaliseError, normalise_address
from koban.intel.records import Batch, Record

NAME = "tagpack"


def sniff(path: Path, head: bytes) -> bool:
    text = head.decode("utf-8", "replace")
    return bool(re.search(r"^tags:\s*$", text, re.M)) and bool(
        re.search(r"^(title|creator):", text, re.M)
    )


def _field(tag: dict[str, Any], header: dict[str, Any], key: str) -> Any:
    return tag.get(key, header.get(key))


def read(path: Path, options: ImportOptions) -> list[Batch]:
    text = read_text(path)
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise InputError(
            str(path),
            f"invalid YAML: {getattr(exc, 'problem', exc)}",
            line=mark.line + 1 if mark else None,
        ) from exc
    if not isinstance(doc, dict) or not isinstance(doc.get("tags"), list):
        raise InputError(str(path), "not a TagPack: expected a mapping with a 'tags' list")
    header = {k: v for k, v in doc.items() if k != "tags"}
    records = []
    problems: list[str] = []
    for i, tag in enumerate(doc["tags"]):
        if not isinstance(tag, dict) or "address" not in tag:
            problems.append(f"{path}: tags[{i}]: no address; skipped")
            continue
        raw = str(tag["address"])
        currency = str(_field(tag, header, "currency") or "")
        try:
            value = normalise_address(raw)
        except NormaliseError as exc:
            problems.append(f"{path}: tags[{i}].address: {exc}; skipped")
            continue
        chain = (
            chain_for(currency, raw, source=str(path))
            if currency.upper() in TICKER_CHAINS
            else (currency.lower() or None)
        )
        label = str(_field(tag, header, "label") or "")
        actor_id = _field(tag, header, "actor")
        actor = attribution.resolve(str(actor_id) if actor_id else None, label)
        category = _field(tag, header, "category")
        abuse = _field(tag, header, "abuse")
        records.append(
            Record(
                type=IndicatorType.ADDRESS,
                value=value,
                entity=label,
                chain=chain,
                programs=("sanction",) if abuse == "sanction" else (),
                attribution=actor.name if actor and actor.category == "threat-actor" else None,
                category=(
                    actor.category
                    if actor and actor.category == "mixer"
                    else str(abuse or category or "") or None
                ),
                description=str(_field(tag, header, "description") or "") or None,
                ref=str(_field(tag, header, "source") or "") or None,
            )
        )
    found = None
    if header.get("lastmod"):
        found = iso_date(str(header["lastmod"]), str(path))
    details = {"title": str(header.get("title", "")), "creator": str(header.get("creator", ""))}
    return [
        file_batch(
            path,
            options,
            fmt=NAME,
            source=f"tagpack:{path.name.rsplit('.', 1)[0]}",
            records=records,
            found=found,
            problems=problems,
            details=details,
        )
    ]
