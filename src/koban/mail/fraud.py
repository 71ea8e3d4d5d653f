"""Advance-fee ("419") letters: markers of ``fraud.yaml`` in a personal letter from a stranger.

Lure phrases (``lures.yaml``) weigh single words; a 419 letter is recognised by its shape
instead: a large sum, a story (a deceased client, an orphanage, a famous donor), a request for
a partner, a chase-up of an earlier letter, sent from free webmail or answered elsewhere, and
not a mailing (no list headers, hardly any links). Each marker names what it saw.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from koban.yamlio import load_yaml


@dataclass(frozen=True)
class Marker:
    name: str
    label: str
    weight: float
    pattern: re.Pattern[str]


@dataclass(frozen=True)
class FraudModel:
    markers: tuple[Marker, ...]
    sender_weights: dict[str, float]
    threshold: float
    core: frozenset[str]
    core_sets: tuple[frozenset[str], ...]
    max_links: int
    max_chars: int


@dataclass(frozen=True)
class LetterVerdict:
    score: float
    seen: dict[str, str]  # marker -> the text it matched (sender marks: a description)
    fires: bool


def _pattern(text: str) -> re.Pattern[str]:
    joined = "".join(line.strip() for line in text.splitlines())
    return re.compile(rf"(?<![a-z0-9])(?:{joined})")


def model_from(data: dict[str, Any]) -> FraudModel:
    markers = tuple(
        Marker(str(name), str(spec["label"]), float(spec["weight"]), _pattern(str(spec["pattern"])))
        for name, spec in data["markers"].items()
    )
    names = {m.name for m in markers}
    core = frozenset(str(c) for c in data["core"])
    core_sets = tuple(frozenset(str(c) for c in s) for s in data.get("core_sets", []))
    unknown = (core | frozenset().union(*core_sets)) - names
    if unknown:
        raise ValueError(f"fraud.yaml: core markers not defined: {sorted(unknown)}")
    return FraudModel(
        markers=markers,
        sender_weights={str(k): float(v) for k, v in data["sender"].items()},
        threshold=float(data["threshold"]),
        core=core,
        core_sets=core_sets,
        max_links=int(data["max_links"]),
        max_chars=int(data["max_chars"]),
    )


@cache
def default_model() -> FraudModel:
    text = resources.files("koban.mail").joinpath("fraud.yaml").read_text(encoding="utf-8")
    return model_from(load_yaml(text))


def judge_letter(
    text: str,
    *,
    freemail: bool,
    reply_elsewhere: bool,
    bulk: bool,
    links: int,
    model: FraudModel | None = None,
) -> LetterVerdict:
    """Weigh the markers in ``text`` (already normalised: NFKC, case-folded, one-spaced)."""
    m = model or default_model()
    seen: dict[str, str] = {}
    if bulk or links > m.max_links:
        return LetterVerdict(0.0, seen, False)
    head = text[: m.max_chars]
    score = 0.0
    for marker in m.markers:
        hit = marker.pattern.search(head)
        if hit:
            seen[marker.name] = hit.group(0).strip()
            score += marker.weight
    names = set(seen)
    core = bool(names & m.core) or any(s <= names for s in m.core_sets)
    if freemail:
        seen["freemail"] = "sent from free webmail"
        score += m.sender_weights.get("freemail", 0.0)
    if reply_elsewhere:
        seen["reply_elsewhere"] = "replies go to another domain"
        score += m.sender_weights.get("reply_elsewhere", 0.0)
    score = round(score, 2)
    return LetterVerdict(score, seen, core and score >= m.threshold)


def describe(verdict: LetterVerdict, model: FraudModel | None = None) -> str:
    labels = {mk.name: mk.label for mk in (model or default_model()).markers}
    parts = []
    for name, what in verdict.seen.items():
        label = labels.get(name)
        parts.append(f"{label} ({what[:40]!r})" if label else what)
    return "; ".join(parts)
