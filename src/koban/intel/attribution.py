"""Attribution: which known actor (or mixer) a name refers to, from ``actors.yaml``."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

from koban.yamlio import load_yaml


@dataclass(frozen=True)
class Actor:
    name: str
    category: str
    aliases: tuple[str, ...]


def _key(name: str) -> str:
    return re.sub(r"[\s_\-.]+", "", name.casefold())


@cache
def actors() -> dict[str, Actor]:
    """Every alias key (case and punctuation folded) → actor."""
    data = load_yaml((resources.files("koban.intel") / "actors.yaml").read_text("utf-8"))
    index: dict[str, Actor] = {}
    for entry in data["actors"]:
        actor = Actor(entry["name"], entry["category"], tuple(entry.get("aliases", [])))
        for alias in (actor.name, *actor.aliases):
            index[_key(alias)] = actor
    return index


def resolve(*names: str | None) -> Actor | None:
    """The first known actor any of ``names`` refers to (exact alias match, folded)."""
    index = actors()
    for name in names:
        if name:
            actor = index.get(_key(name))
            if actor is not None:
                return actor
    return None


def mentions(text: str | None) -> Actor | None:
    """A known threat actor named anywhere in free text (whole words), e.g. a CSV description."""
    if not text:
        return None
    folded = text.casefold()
    for actor in {a.name: a for a in actors().values()}.values():
        for alias in (actor.name, *actor.aliases):
            if len(alias) >= 5 and re.search(
                rf"(?<!\w){re.escape(alias.casefold())}(?!\w)", folded
            ):
                return actor
    return None
