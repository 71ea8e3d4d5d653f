"""STIX 2.1 bundles: indicators (with patterns), intrusion-sets, threat actors, malware,
campaigns and the relationships that tie indicators to them.

Attribution follows ``indicates`` from an indicator to an intrusion-set or threat-actor, or to
malware/campaign that is ``attributed-to`` (or ``uses``-d by) one. Pattern comparisons of the
common observable types become indicators; others are counted as skipped.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from koban.errors import InputError
from koban.intel import attribution
from koban.intel.importers.common import ImportOptions, file_batch, iso_date, read_text
from koban.intel.indicators import IndicatorType, NormaliseError, normalise
from koban.intel.records import Batch, Record

NAME = "stix"
ACTOR_TYPES = ("intrusion-set", "threat-actor")

_COMPARISON = re.compile(
    r"([a-z0-9\-]+):([A-Za-z0-9_.'\-]+)\s*(=|LIKE|MATCHES)\s*'((?:[^'\\]|\\.)*)'"
)
_OBJECT_PATHS: dict[tuple[str, str], IndicatorType] = {
    ("domain-name", "value"): IndicatorType.DOMAIN,
    ("url", "value"): IndicatorType.URL,
    ("ipv4-addr", "value"): IndicatorType.IP,
    ("ipv6-addr", "value"): IndicatorType.IP,
    ("email-addr", "value"): IndicatorType.EMAIL,
    ("email-message", "from_ref.value"): IndicatorType.EMAIL,
    ("file", "hashes.MD5"): IndicatorType.MD5,
    ("file", "hashes.'MD5'"): IndicatorType.MD5,
    ("file", "hashes.'SHA-1'"): IndicatorType.SHA1,
    ("file", "hashes.SHA1"): IndicatorType.SHA1,
    ("file", "hashes.'SHA-256'"): IndicatorType.SHA256,
    ("file", "hashes.SHA256"): IndicatorType.SHA256,
    ("cryptocurrency-wallet", "value"): IndicatorType.ADDRESS,
    ("x-crypto-address", "value"): IndicatorType.ADDRESS,
}


def sniff(path: Path, head: bytes) -> bool:
    text = head.decode("utf-8", "replace")
    return '"type"' in text and bool(re.search(r'"type"\s*:\s*"bundle"', text))


def pattern_values(pattern: str) -> list[tuple[IndicatorType, str]]:
    """The equality comparisons of a STIX pattern that koban can match on."""
    out = []
    for obj, prop, op, literal in _COMPARISON.findall(pattern):
        kind = _OBJECT_PATHS.get((obj, prop))
        if kind is None or op != "=":
            continue
        out.append((kind, literal.replace("\\'", "'").replace("\\\\", "\\")))
    return out


def _actor_names(
    objects: dict[str, dict[str, Any]], relationships: list[dict[str, Any]], start: str
) -> list[str]:
    """Names of intrusion-sets / threat-actors ``start`` indicates, directly or via one hop."""
    names: list[str] = []
    edges: dict[str, list[tuple[str, str]]] = {}
    for rel in relationships:
        edges.setdefault(rel.get("source_ref", ""), []).append(
            (rel.get("relationship_type", ""), rel.get("target_ref", ""))
        )
        if rel.get("relationship_type") == "uses":  # actor uses malware: malware -> actor
            edges.setdefault(rel.get("target_ref", ""), []).append(
                ("used-by", rel.get("source_ref", ""))
            )
    seen = {start}
    frontier = [start]
    for _ in range(3):
        nxt = []
        for node in frontier:
            for rtype, target in edges.get(node, []):
                if target in seen or rtype not in ("indicates", "attributed-to", "used-by"):
                    continue
                seen.add(target)
                obj = objects.get(target, {})
                if obj.get("type") in ACTOR_TYPES and obj.get("name"):
                    names.append(str(obj["name"]))
                nxt.append(target)
        frontier = nxt
    return names


def read(path: Path, options: ImportOptions) -> list[Batch]:
    text = read_text(path)
    try:
        bundle = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(
            str(path), f"invalid JSON: {exc.msg}", line=exc.lineno, position=f"column {exc.colno}"
        ) from exc
    if not isinstance(bundle, dict) or bundle.get("type") != "bundle":
        raise InputError(str(path), "not a STIX 2.1 bundle (top-level type is not 'bundle')")
    objs = bundle.get("objects", [])
    if not isinstance(objs, list):
        raise InputError(str(path), "STIX bundle 'objects' is not a list")
    objects: dict[str, dict[str, Any]] = {}
    for i, obj in enumerate(objs):
        if not isinstance(obj, dict) or "type" not in obj or "id" not in obj:
            raise InputError(str(path), f"object #{i + 1} lacks 'type' or 'id'")
        objects[obj["id"]] = obj
    relationships = [o for o in objs if o["type"] == "relationship"]
    records: list[Record] = []
    problems: list[str] = []
    skipped = 0
    latest = ""
    for obj in objs:
        if obj["type"] != "indicator":
            continue
        if obj.get("revoked"):
            continue
        pattern = obj.get("pattern", "")
        if obj.get("pattern_type", "stix") != "stix" or not isinstance(pattern, str):
            skipped += 1
            continue
        values = pattern_values(pattern)
        if not values:
            skipped += 1
            continue
        names = _actor_names(objects, relationships, obj["id"])
        actor = attribution.resolve(*names)
        attributed = actor.name if actor else (names[0] if names else None)
        latest = max(latest, str(obj.get("modified") or obj.get("created") or ""))
        for kind, raw in values:
            try:
                value = normalise(kind, raw)
            except NormaliseError as exc:
                problems.append(f"{path}: indicator {obj['id']}: {exc}; skipped")
                continue
            records.append(
                Record(
                    type=kind,
                    value=value,
                    entity=str(obj.get("name") or ""),
                    attribution=attributed
                    if (actor is None or actor.category == "threat-actor")
                    else None,
                    category=actor.category if actor else None,
                    description=str(obj.get("description") or "") or None,
                    ref=obj["id"],
                )
            )
    creator = objects.get(
        str(next((o.get("created_by_ref") for o in objs if o.get("created_by_ref")), "")), {}
    )
    source = options.source or (
        f"stix:{creator['name']}" if creator.get("name") else f"stix:{path.name}"
    )
    found = iso_date(latest, str(path)) if latest else None
    return [
        file_batch(
            path,
            options,
            fmt=NAME,
            source=source,
            records=records,
            found=found,
            problems=problems,
            details={"skipped_indicators": str(skipped)},
        )
    ]
