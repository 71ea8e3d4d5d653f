"""YARA rule sets registered in the intel store (``koban intel import rules/``), run on every item.

The rule files were validated when imported; here they are compiled together once per run (one
namespace per file, so two sets may reuse a rule name) and matched on each item's bytes with a
time bound. The externals that LOKI/THOR-style sets (signature-base) test are given per item:
``filename``, ``filepath``, ``extension``, ``filetype``, ``owner``.

How bad a match is: the rule's own ``severity`` meta when it has one (or its THOR ``score``),
else high when the rule or its set names a tracked actor (Lazarus Group and its aliases:
the JPCERT/CC and signature-base sets do), medium otherwise. A rule match is a strong hint, not
proof: rules age and misfire, so a match alone never makes a file "malicious" unless its author
said critical.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any

import yara

from koban.file.context import FileContext
from koban.file.item import FileItem
from koban.intel.attribution import actors
from koban.intel.importers.yara_rules import EXTERNALS
from koban.intel.store import IntelStore
from koban.model import Finding, Location, Severity
from koban.rules import make_finding

ORDER = 95
_CACHE = "yara"
_META_SHOWN = ("description", "author", "reference", "date", "score", "severity")
_MAX_STRINGS = 5


@dataclass(frozen=True)
class RuleSet:
    """Every registered rule file compiled into one ``yara.Rules``."""

    rules: yara.Rules | None
    origins: dict[str, str]  # namespace (registered name) -> where it was imported from
    actors: dict[str, str]  # namespace -> tracked actor its name or origin names
    broken: dict[str, str]  # namespace -> why it no longer compiles (yara version drift)


def _fold(text: str) -> str:
    return re.sub(r"[\W_]+", "", text.casefold())


@cache
def _actor_keys() -> tuple[tuple[str, str], ...]:
    """(folded alias, actor name) of threat actors, aliases of 7+ letters only: short ones
    (Zinc, APT38) turn up inside unrelated words of rule names."""
    keys = {k: a.name for k, a in actors().items() if a.category == "threat-actor"}
    return tuple(sorted((k, n) for k, n in keys.items() if len(k) >= 7))


def actor_named(*texts: str) -> str | None:
    """The tracked threat actor any of ``texts`` names (rule names such as
    ``apt_lazarus_dec17`` or ``HiddenCobra_Wiper`` included), else None."""
    folded = " ".join(_fold(t) for t in texts if t)
    for key, name in _actor_keys():
        if key in folded:
            return name
    return None


def compile_store(store: IntelStore) -> RuleSet:
    """Compile every YARA file of ``store`` (one namespace each); a file that no longer
    compiles is left out and named, the others still run."""
    files = store.yara_files()
    origins = {f.name: f.origin for f in files}
    named = {f.name: a for f in files if (a := actor_named(f.name, f.origin)) is not None}
    sources = {f.name: f.text for f in files}
    broken: dict[str, str] = {}
    if not sources:
        return RuleSet(None, origins, named, broken)
    try:
        rules = yara.compile(sources=sources, externals=EXTERNALS)
    except yara.Error:
        for name, text in list(sources.items()):
            try:
                yara.compile(sources={name: text}, externals=EXTERNALS)
            except yara.Error as exc:
                broken[name] = str(exc)[:200]
                del sources[name]
        rules = yara.compile(sources=sources, externals=EXTERNALS) if sources else None
    return RuleSet(rules, origins, named, broken)


def rule_set(ctx: FileContext) -> RuleSet | None:
    """The run's compiled rules (built on first use), None without a store."""
    if ctx.store is None:
        return None
    found: RuleSet | None = ctx.cache.get(_CACHE)
    if found is None:
        found = compile_store(ctx.store)
        ctx.cache[_CACHE] = found
    return found


def severity_of(meta: dict[str, Any], actor: str | None) -> Severity:
    """The rule author's severity (``severity`` meta, or THOR's 0-100 ``score``), else high
    for a tracked actor's rule and medium for any other."""
    stated = str(meta.get("severity", "")).strip().lower()
    if stated in Severity.__members__.values():
        return Severity(stated)
    score = meta.get("score")
    if isinstance(score, int) and not isinstance(score, bool):
        if score >= 75:
            return Severity.HIGH
        if score >= 60:
            return Severity.MEDIUM
        return Severity.LOW if score >= 40 else Severity.INFO
    return Severity.HIGH if actor else Severity.MEDIUM


def _externals(item: FileItem) -> dict[str, str]:
    name = item.name
    return {
        "filename": name,
        "filepath": item.path,
        "extension": "." + name.rsplit(".", 1)[1].lower() if "." in name else "",
        "filetype": item.true_type.upper(),
        "owner": "",
    }


def _strings(match: Any) -> list[dict[str, Any]]:
    out = []
    for s in match.strings[:_MAX_STRINGS]:
        first = s.instances[0] if s.instances else None
        out.append(
            {
                "id": s.identifier,
                "count": len(s.instances),
                "offset": first.offset if first is not None else None,
            }
        )
    return out


def _finding(item: FileItem, match: Any, rules: RuleSet) -> Finding:
    meta = {k: v for k, v in match.meta.items() if k in _META_SHOWN}
    namespace = match.namespace
    actor = rules.actors.get(namespace) or actor_named(
        match.rule, " ".join(match.tags), str(meta.get("description", ""))
    )
    severity = severity_of(match.meta, actor)
    about = f": {meta['description']}" if meta.get("description") else ""
    whose = f" ({actor} rule)" if actor else ""
    return make_finding(
        "file.yara_match",
        f"YARA rule {match.rule} from {namespace} matched{whose}{about}",
        severity=severity,
        location=Location(path=item.path),
        evidence={
            "rule": match.rule,
            "namespace": namespace,
            "source": rules.origins.get(namespace),
            "tags": list(match.tags),
            "meta": meta,
            "actor": actor,
            "strings": _strings(match),
        },
    )


class YaraInspector:
    name = "yara"

    def applies(self, item: FileItem) -> bool:
        return bool(item.data)

    def inspect(self, item: FileItem, ctx: FileContext) -> Iterable[Finding]:
        rules = rule_set(ctx)
        if rules is None or rules.rules is None:
            return []
        timeout = max(1, int(min(ctx.options.limits.max_seconds, 30)))
        try:
            matches = rules.rules.match(data=item.data, externals=_externals(item), timeout=timeout)
        except yara.TimeoutError:
            return [
                make_finding(
                    "file.not_scanned",
                    f"the YARA rules did not finish within {timeout} s on this file",
                    location=Location(path=item.path),
                    evidence={"limit": "max_seconds", "inspector": self.name},
                )
            ]
        return [_finding(item, m, rules) for m in matches]


INSPECTOR = YaraInspector()
