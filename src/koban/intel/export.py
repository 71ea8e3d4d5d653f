"""Export the indicator store as a STIX 2.1 bundle (``koban intel export --format stix``).

The bundle holds:

- one ``identity`` for koban, the producer (``created_by_ref`` of every object, itself included);
- one ``indicator`` per distinct (type, value), named after the listed entity, with a STIX
  pattern, ``valid_from`` the earliest first sighting, a description and one external reference
  per koban source (feed) that lists or listed it;
- one ``intrusion-set`` per threat actor indicators are attributed to (aliases from
  ``actors.yaml``), and an ``indicates`` relationship from each attributed indicator to it.

Patterns use the standard observable types (``domain-name``, ``url``, ``ipv4-addr``,
``ipv6-addr``, ``email-addr``, ``file:hashes.'MD5'|'SHA-1'|'SHA-256'``). STIX 2.1 has no
standard observable for a cryptocurrency address, so addresses use the custom object type
``x-crypto-address`` (``[x-crypto-address:value = '0x…']``); the pattern is still a valid
``pattern_type: stix`` pattern, and koban's own STIX importer reads it back.

Indicators no source lists any more are left out, or with ``include_unlisted`` exported with
``revoked: true`` (so are their relationships). Identifiers are UUIDv5 of the content's natural
keys and timestamps come from the sightings, so repeated exports of the same store are identical
and exports of a changed store diff cleanly.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import stix2

from koban.intel import attribution
from koban.intel.indicators import IndicatorType
from koban.intel.store import IntelStore, Match

# Fixed namespace for koban's deterministic STIX identifiers (never change it: ids would move).
NAMESPACE = uuid.UUID("4160ee99-f5dc-4163-9455-835ce6ade155")
PRODUCER = "koban"
_PRODUCER_CREATED = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
_CUSTOM_ADDRESS_TYPE = "x-crypto-address"

_HASH_PATHS = {
    IndicatorType.MD5: "file:hashes.'MD5'",
    IndicatorType.SHA1: "file:hashes.'SHA-1'",
    IndicatorType.SHA256: "file:hashes.'SHA-256'",
}


def stix_id(kind: str, *key: str) -> str:
    """A deterministic STIX identifier ``kind--<uuid5>`` for a natural key."""
    return f"{kind}--{uuid.uuid5(NAMESPACE, '|'.join((kind, *key)))}"


def _literal(value: str) -> str:
    """A STIX pattern string literal (quote and backslash escaped)."""
    escaped = value.replace("\\", "\\\\").replace("'", "\\'")
    return f"'{escaped}'"


def pattern_for(kind: IndicatorType, value: str) -> str:
    """The STIX pattern matching ``value`` as an indicator of type ``kind``."""
    if kind is IndicatorType.ADDRESS:
        path = f"{_CUSTOM_ADDRESS_TYPE}:value"
    elif kind is IndicatorType.DOMAIN:
        path = "domain-name:value"
    elif kind is IndicatorType.URL:
        path = "url:value"
    elif kind is IndicatorType.IP:
        path = "ipv6-addr:value" if ":" in value else "ipv4-addr:value"
    elif kind is IndicatorType.EMAIL:
        path = "email-addr:value"
    else:
        path = _HASH_PATHS[kind]
    return f"[{path} = {_literal(value)}]"


def _day(text: str) -> dt.datetime:
    return dt.datetime.combine(dt.date.fromisoformat(text[:10]), dt.time(), tzinfo=dt.UTC)


def _feed(m: Match) -> str:
    return f"{m.source}[{m.scope}]" if m.scope else m.source


@dataclass
class _Value:
    """Every sighting of one (type, value), gathered from the store."""

    type: IndicatorType
    value: str
    sightings: list[Match] = field(default_factory=list)

    @property
    def listed(self) -> bool:
        return any(m.listed for m in self.sightings)

    @property
    def current(self) -> list[Match]:
        """The sightings that speak for the indicator: the listed ones, if any."""
        listed = [m for m in self.sightings if m.listed]
        return listed or self.sightings

    @property
    def first_seen(self) -> dt.datetime:
        return _day(min(m.first_seen for m in self.sightings))

    @property
    def modified(self) -> dt.datetime:
        days = [m.last_seen for m in self.sightings]
        days += [m.delisted_on for m in self.sightings if m.delisted_on]
        return _day(max(days))

    def actors(self) -> list[attribution.Actor]:
        """Threat actors the current sightings attribute the value to (unknown names kept)."""
        found: dict[str, attribution.Actor] = {}
        for m in self.current:
            if not m.attribution:
                continue
            actor = attribution.resolve(m.attribution) or attribution.Actor(
                m.attribution, "threat-actor", ()
            )
            if actor.category == "threat-actor":
                found.setdefault(actor.name, actor)
        return list(found.values())


def _gather(sightings: Iterable[Match]) -> list[_Value]:
    values: dict[tuple[str, str], _Value] = {}
    for m in sightings:
        key = (m.type, m.value)
        if key not in values:
            values[key] = _Value(IndicatorType(m.type), m.value)
        values[key].sightings.append(m)
    for v in values.values():
        v.sightings.sort(key=lambda m: (m.source, m.scope or "", m.entity or ""))
    return [values[k] for k in sorted(values)]


def _sighting_text(m: Match) -> str:
    state = "listed" if m.listed else f"no longer listed (dropped {m.delisted_on or '?'})"
    parts = [f"{state}, first seen {m.first_seen}, last seen {m.last_seen}"]
    if m.entity:
        parts.append(f"entity {m.entity}")
    if m.programs:
        parts.append("programs " + ", ".join(m.programs))
    if m.attribution:
        parts.append(f"attributed to {m.attribution}")
    if m.category:
        parts.append(f"category {m.category}")
    if m.chain:
        parts.append(f"chain {m.chain}")
    if m.description:
        parts.append(m.description)
    return "; ".join(parts)


def _external_reference(m: Match) -> dict[str, str]:
    ref: dict[str, str] = {"source_name": _feed(m), "description": _sighting_text(m)}
    if m.ref:
        if m.ref.startswith(("https://", "http://")):
            ref["url"] = m.ref
        else:
            ref["external_id"] = m.ref
    return ref


def _aliases(actor: attribution.Actor) -> list[str]:
    """The actor's aliases, less spellings that differ only in case and punctuation."""
    seen = {_fold(actor.name)}
    out = []
    for alias in actor.aliases:
        if _fold(alias) not in seen:
            seen.add(_fold(alias))
            out.append(alias)
    return out


def _fold(name: str) -> str:
    return re.sub(r"[\s_\-.]+", "", name.casefold())


def _indicator_types(v: _Value, actors: list[attribution.Actor]) -> list[str]:
    categories = {m.category for m in v.current}
    if actors:
        return ["malicious-activity", "attribution"]
    if "mixer" in categories:
        return ["anonymization"]
    return ["malicious-activity"]


def _indicator(v: _Value, producer: str, actors: list[attribution.Actor]) -> Any:
    current = v.current
    entities = list(dict.fromkeys(m.entity for m in current if m.entity))
    labels = sorted(
        {p for m in current for p in m.programs} | {m.category for m in current if m.category}
    )
    description = "\n".join(f"{_feed(m)}: {_sighting_text(m)}" for m in v.sightings)
    kwargs: dict[str, Any] = {
        "id": stix_id("indicator", v.type.value, v.value),
        "created_by_ref": producer,
        "created": v.first_seen,
        "modified": v.modified,
        "pattern": pattern_for(v.type, v.value),
        "pattern_type": "stix",
        "pattern_version": "2.1",
        "valid_from": v.first_seen,
        "indicator_types": _indicator_types(v, actors),
        "description": description,
        "external_references": [_external_reference(m) for m in v.sightings],
    }
    if entities:
        kwargs["name"] = "; ".join(entities)
    if labels:
        kwargs["labels"] = labels
    if not v.listed:
        kwargs["revoked"] = True
        if v.modified > v.first_seen:
            kwargs["valid_until"] = v.modified
    return stix2.Indicator(**kwargs)


def export_stix(store: IntelStore, *, include_unlisted: bool = False) -> str:
    """The store as a STIX 2.1 bundle (JSON text, pretty-printed, deterministic).

    Addresses use the custom observable type ``x-crypto-address`` in their patterns (STIX 2.1
    defines none for cryptocurrency addresses). Indicators no source lists any more are
    omitted, or exported with ``revoked: true`` when ``include_unlisted``."""
    producer = stix2.Identity(
        id=stix_id("identity", PRODUCER),
        created_by_ref=stix_id("identity", PRODUCER),
        created=_PRODUCER_CREATED,
        modified=_PRODUCER_CREATED,
        name=PRODUCER,
        identity_class="system",
        description=(
            "koban threat-intel store export; indicators aggregate the sources named in "
            "their external references"
        ),
    )
    indicators: list[Any] = []
    relationships: list[Any] = []
    # actor name -> (actor, first seen, last seen)
    sets: dict[str, tuple[attribution.Actor, dt.datetime, dt.datetime]] = {}
    for v in _gather(store.iter_sightings()):
        if not v.listed and not include_unlisted:
            continue
        actors = v.actors()
        indicator = _indicator(v, producer.id, actors)
        indicators.append(indicator)
        for actor in actors:
            _, first, last = sets.get(actor.name, (actor, v.first_seen, v.modified))
            sets[actor.name] = (actor, min(first, v.first_seen), max(last, v.modified))
            target = stix_id("intrusion-set", actor.name)
            relationships.append(
                stix2.Relationship(
                    id=stix_id("relationship", indicator.id, "indicates", target),
                    created_by_ref=producer.id,
                    created=v.first_seen,
                    modified=v.modified,
                    relationship_type="indicates",
                    source_ref=indicator.id,
                    target_ref=target,
                    **({} if v.listed else {"revoked": True}),
                )
            )
    intrusion_sets = [
        stix2.IntrusionSet(
            id=stix_id("intrusion-set", name),
            created_by_ref=producer.id,
            created=first,
            modified=last,
            name=name,
            aliases=_aliases(actor) or None,
            first_seen=first,
            last_seen=last,
        )
        for name, (actor, first, last) in sorted(sets.items())
    ]
    objects = [producer, *intrusion_sets, *indicators, *relationships]
    digest = hashlib.sha256(
        "\n".join(f"{o.id} {o.modified}" for o in objects).encode("utf-8")
    ).hexdigest()
    # What ``stix2.Bundle(...).serialize(pretty=True)`` writes, without its pretty-printer's
    # property sort, which searches the whole bundle for every key (minutes for a few thousand
    # indicators): each object is serialised (and so ordered) on its own.
    bundle = {
        "type": "bundle",
        "id": stix_id("bundle", digest),
        "objects": [json.loads(o.serialize(pretty=True)) for o in objects],
    }
    return json.dumps(bundle, indent=4, ensure_ascii=False)
