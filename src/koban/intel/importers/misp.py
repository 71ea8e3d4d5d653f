"""MISP events (``{"Event": ...}``, ``{"response": [...]}``) and MISP feeds (a folder with
``manifest.json`` and one JSON file per event). Each event is a feed scope, so a later export
that drops an attribute marks it as no longer listed.

Attribution comes from threat-actor galaxy clusters and ``misp-galaxy:threat-actor`` tags.
Attributes with ``to_ids`` false are kept (MISP users often leave it unset on context data),
except ``link`` ones, which are references to write-ups unless flagged ``to_ids``. Attributes
of deleted objects are skipped like deleted attributes.
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

NAME = "misp"
_TYPES: dict[str, IndicatorType] = {
    "domain": IndicatorType.DOMAIN,
    "hostname": IndicatorType.DOMAIN,
    "url": IndicatorType.URL,
    "link": IndicatorType.URL,
    "uri": IndicatorType.URL,
    "ip-dst": IndicatorType.IP,
    "ip-src": IndicatorType.IP,
    "email": IndicatorType.EMAIL,
    "email-src": IndicatorType.EMAIL,
    "email-reply-to": IndicatorType.EMAIL,
    "whois-registrant-email": IndicatorType.EMAIL,
    "md5": IndicatorType.MD5,
    "sha1": IndicatorType.SHA1,
    "sha256": IndicatorType.SHA256,
    "btc": IndicatorType.ADDRESS,
    "xmr": IndicatorType.ADDRESS,
    "cryptocurrency-address": IndicatorType.ADDRESS,
    "eth": IndicatorType.ADDRESS,
}
# Usually references to reports ("External analysis"); indicators only when flagged to_ids.
_REFERENCE_TYPES = frozenset({"link"})
_COMPOSITE = {  # type -> (part index, indicator type)
    "domain|ip": ((0, IndicatorType.DOMAIN), (1, IndicatorType.IP)),
    "ip-dst|port": ((0, IndicatorType.IP),),
    "ip-src|port": ((0, IndicatorType.IP),),
    "hostname|port": ((0, IndicatorType.DOMAIN),),
    "filename|md5": ((1, IndicatorType.MD5),),
    "filename|sha1": ((1, IndicatorType.SHA1),),
    "filename|sha256": ((1, IndicatorType.SHA256),),
}


def sniff(path: Path, head: bytes) -> bool:
    if path.is_dir():
        return (path / "manifest.json").is_file()
    text = head.decode("utf-8", "replace")
    return bool(re.search(r'"Event"\s*:\s*\{', text)) or bool(
        re.search(r'"response"\s*:\s*\[\s*\{\s*"Event"', text)
    )


def _attributes(event: dict[str, Any]) -> list[dict[str, Any]]:
    attrs = list(event.get("Attribute", []) or [])
    for obj in event.get("Object", []) or []:
        if isinstance(obj, dict) and not obj.get("deleted"):
            attrs.extend(obj.get("Attribute", []) or [])
    return [a for a in attrs if isinstance(a, dict)]


def _actor_names(event: dict[str, Any]) -> list[str]:
    names: list[str] = []
    for galaxy in event.get("Galaxy", []) or []:
        if galaxy.get("type") in ("threat-actor", "mitre-intrusion-set", "360net-threat-actor"):
            names.extend(str(c.get("value", "")) for c in galaxy.get("GalaxyCluster", []) or [])
    for tag in event.get("Tag", []) or []:
        m = re.match(
            r'misp-galaxy:(?:threat-actor|mitre-intrusion-set)="([^"]+)"', str(tag.get("name", ""))
        )
        if m:
            names.append(re.sub(r"\s*-\s*G\d{4}$", "", m.group(1)))
    return names


def _event_batch(event: dict[str, Any], origin: str, options: ImportOptions) -> Batch:
    names = _actor_names(event)
    actor = attribution.resolve(*names)
    attributed = actor.name if actor else (names[0] if names else None)
    info = str(event.get("info", ""))
    records: list[Record] = []
    problems: list[str] = []
    for attr in _attributes(event):
        if attr.get("deleted"):
            continue
        atype, raw = str(attr.get("type", "")), str(attr.get("value", ""))
        if atype in _REFERENCE_TYPES and str(attr.get("to_ids")).lower() not in ("true", "1"):
            continue  # a link to a write-up (the FBI's own page...), not an indicator
        parts: list[tuple[IndicatorType, str]] = []
        if atype in _TYPES:
            parts.append((_TYPES[atype], raw))
        elif atype in _COMPOSITE:
            pieces = raw.split("|")
            parts.extend((kind, pieces[i]) for i, kind in _COMPOSITE[atype] if i < len(pieces))
        for kind, text in parts:
            try:
                value = normalise(kind, text)
            except NormaliseError as exc:
                problems.append(
                    f"{origin}: event {event.get('uuid')}: attribute "
                    f"{attr.get('uuid', '?')}: {exc}; skipped"
                )
                continue
            records.append(
                Record(
                    type=kind,
                    value=value,
                    entity=info,
                    attribution=attributed
                    if (actor is None or actor.category == "threat-actor")
                    else None,
                    category=actor.category if actor else None,
                    description=str(attr.get("comment") or "") or None,
                    ref=str(attr.get("uuid") or "") or None,
                )
            )
    found = None
    if event.get("date"):
        found = iso_date(str(event["date"]), origin)
    elif event.get("timestamp"):
        found = iso_date(str(event["timestamp"]), origin)
    org = (event.get("Orgc") or {}).get("name") or "misp"
    return file_batch(
        Path(origin),
        options,
        fmt=NAME,
        source=f"misp:{org}",
        records=records,
        found=found,
        scope=str(event.get("uuid", "")),
        problems=problems,
        details={"info": info},
    )


def _load(path: Path) -> Any:
    try:
        return json.loads(read_text(path))
    except json.JSONDecodeError as exc:
        raise InputError(
            str(path), f"invalid JSON: {exc.msg}", line=exc.lineno, position=f"column {exc.colno}"
        ) from exc


def _events(doc: Any, origin: str) -> list[dict[str, Any]]:
    if isinstance(doc, dict) and isinstance(doc.get("Event"), dict):
        return [doc["Event"]]
    if isinstance(doc, dict) and isinstance(doc.get("response"), list):
        return [e["Event"] for e in doc["response"] if isinstance(e, dict) and "Event" in e]
    raise InputError(origin, 'not a MISP event: expected {"Event": {...}} or {"response": [...]}')


def read(path: Path, options: ImportOptions) -> list[Batch]:
    if path.is_dir():
        manifest = _load(path / "manifest.json")
        if not isinstance(manifest, dict):
            raise InputError(str(path / "manifest.json"), "MISP feed manifest must be an object")
        batches: list[Batch] = []
        for uuid in manifest:
            event_file = path / f"{uuid}.json"
            if not event_file.is_file():
                raise InputError(str(event_file), "listed in manifest.json but missing")
            batches.extend(
                _event_batch(e, str(event_file), options)
                for e in _events(_load(event_file), str(event_file))
            )
        return batches
    return [_event_batch(e, str(path), options) for e in _events(_load(path), str(path))]
