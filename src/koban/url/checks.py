"""The checks: from a parsed target to findings, each saying what it resembles and how.

Host-level results are pure functions of the host name and the brand index, so a context keeps
them in a bounded cache: a mailbox full of links to the same few hosts costs one check per host.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field, replace
from functools import lru_cache
from itertools import permutations
from typing import Any
from urllib.parse import unquote

from koban.intel.matching import findings_for
from koban.intel.store import IntelStore
from koban.model import Finding, Severity
from koban.profile import Profile
from koban.rules import get_rule
from koban.url import hosts, skeletons
from koban.url.brands import MIN_STRONG, BrandIndex, Name, build_index
from koban.url.distance import Alignment, align
from koban.url.hosts import Host, Target, parse_host, parse_target
from koban.url.suffixes import suffix_list
from koban.url.words import near_words

LOOKALIKE_RULES = (
    "url.homoglyph",
    "url.tld_swap",
    "url.combosquat",
    "url.typosquat",
    "url.bitsquat",
)
_LEVELS = (Severity.INFO, Severity.LOW, Severity.MEDIUM, Severity.HIGH, Severity.CRITICAL)
_TOKENS = re.compile(r"[-0-9]+")
_INTERNAL = tuple(
    ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7")
)
_HOSTLIKE = re.compile(r"(?:[\w\-]+\.)+[a-z][\w\-]*\.?", re.IGNORECASE)


def _bump(severity: Severity, steps: int = 1) -> Severity:
    i = min(len(_LEVELS) - 1, max(0, _LEVELS.index(severity) + steps))
    return _LEVELS[i]


@dataclass(frozen=True, slots=True)
class Hit:
    """A finding before it becomes one (immutable, so host results can be cached and shared)."""

    rule: str
    severity: Severity
    message: str
    kind: str | None = None
    evidence: dict[str, Any] = field(default_factory=dict)
    brand: str | None = None

    def finding(self) -> Finding:
        """``make_finding`` without re-validating what this module built (4 us, not 15)."""
        rule = get_rule(self.rule)
        return Finding.model_construct(
            rule=rule.id,
            kind=self.kind,
            severity=self.severity,
            message=self.message,
            location=None,
            evidence=_copy(self.evidence),
            attack=list(rule.attack),
            indicators=[],
            wallet=None,
        )


def _copy(value: Any) -> Any:
    """A copy of JSON-like evidence (cached hits are shared; findings may be changed)."""
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


@dataclass
class CheckContext:
    """What checks need, built once and reused: the brand index, the profile, the intel store."""

    index: BrandIndex
    profile: Profile | None = None
    store: IntelStore | None = None
    cache_size: int = 200_000
    _cache: dict[tuple[str, str | None], tuple[Hit, ...]] = field(default_factory=dict, repr=False)

    def host_hits(self, host: Host) -> tuple[Hit, ...]:
        cache_key = (host.ascii, host.ip_form)  # 3232235777 and 192.168.1.1 differ
        got = self._cache.get(cache_key)
        if got is None:
            got = tuple(host_hits(host, self.index))
            if len(self._cache) >= self.cache_size:
                self._cache.clear()
            self._cache[cache_key] = got
        return got


@lru_cache(maxsize=16)
def _cached_index(org: tuple[str, ...], trust: tuple[str, ...], org_name: str) -> BrandIndex:
    return build_index(org, trust, org_name)


def build_context(profile: Profile | None = None, store: IntelStore | None = None) -> CheckContext:
    """A context for ``profile`` (the index is cached per set of profile domains)."""
    p = profile or Profile()
    index = _cached_index(tuple(p.org.domains), tuple(p.trust.domains), p.org.name)
    return CheckContext(index=index, profile=p, store=store)


def clear_caches() -> None:
    """Forget every memoised host, look-alike key, alignment and per-profile index (with its
    host results): for cold timings, where each host must cost a full check."""
    hosts.clear_cache()
    skeletons.clear_caches()
    align.cache_clear()
    _cached_index.cache_clear()


# -- public API ---------------------------------------------------------------------------------


def check_target(target: Target, ctx: CheckContext) -> list[Finding]:
    """Findings for a parsed target (host checks, userinfo, path, intel)."""
    hits = list(ctx.host_hits(target.host))
    if target.kind == "url":
        more = url_hits(target, ctx.index)
        if more:
            if any(h.kind == "ip-login" for h in more):  # the stronger IP finding replaces
                hits = [h for h in hits if h.kind != "ip"]  # the plain one
            hits += more
    findings = [h.finding() for h in hits] if hits else []
    if ctx.store is not None:
        findings += intel_findings(target, ctx.store)
    return findings


def check(text: str, ctx: CheckContext) -> list[Finding]:
    """Findings for a URL, domain or e-mail address as given; InputError if it is none."""
    return check_target(parse_target(text), ctx)


def check_url(url: str, ctx: CheckContext) -> list[Finding]:
    """Findings for one URL (a bare domain or path without a scheme is accepted too)."""
    return check_target(parse_target(url), ctx)


def check_domain(domain: str, ctx: CheckContext) -> list[Finding]:
    """Findings for one domain name (e.g. a sender's or Reply-To domain)."""
    host = parse_host(domain.strip(), domain, need_dot=True)
    return check_target(Target(domain, "domain", host), ctx)


def intel_findings(target: Target, store: IntelStore) -> list[Finding]:
    host = target.host
    hosts = [host.ascii]
    if host.registrable and host.registrable != host.ascii:
        hosts.append(host.registrable)
    if target.kind == "url":  # the URL, its host and registrable domain in one query
        return findings_for(target.text, store.lookup_link(target.text, hosts))
    matches = store.lookup(target.text)
    if len(hosts) > 1:
        seen = {(m.value, m.source) for m in matches}
        matches += [m for m in store.lookup(hosts[1]) if (m.value, m.source) not in seen]
    return findings_for(target.text, matches)


# -- host checks --------------------------------------------------------------------------------


def host_hits(host: Host, index: BrandIndex) -> list[Hit]:
    if host.ip is not None:
        return [_ip_hit(host)]
    if (host.registrable or host.ascii) in index.legit:
        return []
    hits = idn_hits(host) if host.unicode != host.ascii or host.idna_error is not None else []
    if host.registrable is not None:
        hits += core_hits(host, index)
    if host.subdomain:
        hits += subdomain_hits(host, index)
    return _dedupe(hits) if len(hits) > 1 else hits


def _dedupe(hits: list[Hit]) -> list[Hit]:
    """One look-alike finding per brand (the strongest); other rules once each."""
    best: dict[tuple[str, str | None], Hit] = {}
    order: list[tuple[str, str | None]] = []
    for h in hits:
        group = "lookalike" if h.rule in LOOKALIKE_RULES else h.rule
        k = (group, h.brand)
        if k not in best:
            order.append(k)
            best[k] = h
        elif h.severity.rank > best[k].severity.rank:
            best[k] = h
    return [best[k] for k in order]


def _ip_hit(host: Host) -> Hit:
    ip = host.ip
    assert ip is not None
    internal = any(ip in net for net in _INTERNAL) or ip.is_loopback or ip.is_link_local
    form = host.ip_form or "dotted"
    if form not in ("dotted", "ipv6"):
        how = {
            "decimal": "a single decimal number",
            "hex": "hexadecimal",
            "octal": "octal",
            "short": "a shortened dotted form",
            "mixed": "mixed number bases",
        }[form]
        return Hit(
            "url.ip_host",
            Severity.HIGH,
            f"the host is the IP address {ip} written as {how}, which browsers accept and "
            "people cannot read",
            kind="obfuscated_ip",
            evidence={"ip": str(ip), "form": form, "internal": internal},
        )
    return Hit(
        "url.ip_host",
        Severity.LOW,
        f"the host is a raw IP address ({ip}{', internal' if internal else ''}), not a name: "
        "nobody can tell whose server it is",
        kind="ip",
        evidence={"ip": str(ip), "form": form, "internal": internal},
    )


def _evidence(host: Host, name: Name, technique: str, **extra: Any) -> dict[str, Any]:
    ev: dict[str, Any] = {
        "brand": name.brand.name,
        "category": name.brand.category,
        "legit_domain": name.domain,
        "legit_domains": list(name.brand.domains),
        "protected_by": name.brand.source,
        "matched_name": name.text,
        "technique": technique,
        "host": host.ascii,
        "registrable": host.registrable,
    }
    if host.unicode != host.ascii:
        ev["host_unicode"] = host.unicode
    ev.update(extra)
    return ev


def _whose(name: Name) -> str:
    if name.brand.own:
        return f"{name.domain} ({name.brand.name}, your own domain)"
    return f"{name.domain} ({name.brand.name})"


def _shown_registrable(host: Host) -> str:
    reg = host.registrable or host.ascii
    if host.unicode == host.ascii:
        return reg
    shown = ".".join(host.unicode.split(".")[-(reg.count(".") + 1) :])
    return f"{reg} ({shown})"


def _lookalike(
    host: Host, name: Name, rule: str, severity: Severity, technique: str, how: str, **extra: Any
) -> Hit:
    if name.brand.own:
        severity = _bump(severity)
    message = f"{_shown_registrable(host)} resembles {_whose(name)}: {how}"
    return Hit(
        rule,
        severity,
        message,
        kind=technique,
        evidence=_evidence(host, name, technique, **extra),
        brand=name.brand.name,
    )


def _strong(name: Name, strong: Severity, weak: Severity) -> Severity:
    return weak if name.weak else strong


def _alignment_evidence(a: Alignment) -> dict[str, Any]:
    return {"edits": [e.to_dict() for e in a.edits], "distance": a.cost}


def core_hits(host: Host, index: BrandIndex) -> list[Hit]:
    """Look-alike checks on the registrable domain's core label (``bitfiyer`` of bitfiyer.com).

    Memoised per registrable domain as shown (phishing hosts share one under many subdomains):
    only the evidence's ``host`` and ``host_unicode`` depend on the rest of the host, and they
    are put back in place, so the hits are those a fresh check would give."""
    wide = host.unicode != host.ascii
    shown = _shown_registrable(host) if wide else None  # else the registrable domain itself
    cache_key = (host.registrable, host.core_unicode, host.suffix, shown, wide)
    cached: tuple[Hit, ...] | None = index.core_cache.get(cache_key)
    if cached is None:
        got = _core_hits_uncached(host, index)
        if len(index.core_cache) > 100_000:
            index.core_cache.clear()
        index.core_cache[cache_key] = tuple(got)
        return got
    return [_rehost(h, host, wide) for h in cached]


def _rehost(hit: Hit, host: Host, wide: bool) -> Hit:
    """``hit`` (from another host with the same registrable domain) for ``host``."""
    ev = dict(hit.evidence)  # same key order: values replaced in place
    ev["host"] = host.ascii
    if wide:
        ev["host_unicode"] = host.unicode
    return replace(hit, evidence=ev)


def _core_hits_uncached(host: Host, index: BrandIndex) -> list[Hit]:
    label = host.core_unicode
    idn = not label.isascii()
    # 1. the very name under another suffix, or a keyword used as the whole name
    if not idn:
        name = index.names.get(label) or index.bounded.get(label)
        if name is not None:
            if name.core:
                how = (
                    f"the same name under .{host.suffix} instead of .{name.domain.split('.', 1)[1]}"
                )
                sev = _strong(name, Severity.HIGH, Severity.LOW)
                return [_lookalike(host, name, "url.tld_swap", sev, "tld-swap", how)]
            how = f"uses the brand name {name.text!r} as its name"
            sev = _strong(name, Severity.HIGH, Severity.MEDIUM)
            return [_lookalike(host, name, "url.combosquat", sev, "keyword", how)]
    # 2. the same look (homoglyphs, visual swaps)
    k = skeletons.key(label)
    name = index.keys.get(k)
    if name is not None and (idn or name.text != label):
        a = align(label, name.text)
        if idn:
            kind = _script_kind(label)
            sev = Severity.HIGH
            return [
                _lookalike(
                    host,
                    name,
                    "url.homoglyph",
                    sev,
                    kind,
                    f"{a.summary()} (looks identical: {label!r} reads as {name.text!r})",
                    unicode=label,
                    **_alignment_evidence(a),
                )
            ]
        if len(name.text) <= 4:
            sev = Severity.LOW
        else:
            sev = _strong(name, Severity.HIGH, Severity.MEDIUM)
        return [
            _lookalike(
                host, name, "url.typosquat", sev, "visual", a.summary(), **_alignment_evidence(a)
            )
        ]
    text = label if not idn else skeletons.loose(label)  # 币安binance: keeps the Han
    out: list[Hit] = []
    # 3. hyphenation and reordered parts
    if "-" in text:
        stripped = text.replace("-", "")
        name = index.names.get(stripped)
        if name is not None:
            how = f"the brand name {name.text!r} split by hyphens ({text})"
            sev = _strong(name, Severity.HIGH, Severity.MEDIUM)
            return [_lookalike(host, name, "url.combosquat", sev, "hyphenation", how)]
        tokens = text.split("-")
        if 2 <= len(tokens) <= 3:
            for perm in permutations(tokens):
                name = index.names.get("".join(perm))
                if name is not None and not name.weak:
                    how = f"the parts of the brand name {name.text!r} in another order ({text})"
                    return [
                        _lookalike(host, name, "url.combosquat", Severity.HIGH, "reordered", how)
                    ]
    # 4. a distinctive brand name plus other words ("bitflyer-login", "mybitflyerjp")
    stripped = text.replace("-", "")
    found = [h for h in index.keyword_hits(text) if len(text) - len(h[1]) > 1]
    scanned = text
    if not found and stripped != text:  # "bit-flyer-service"
        found = [h for h in index.keyword_hits(stripped) if len(stripped) - len(h[1]) > 1]
        scanned = stripped
    if found:  # (one extra letter is a typo: step 6 names it "addition")
        pos, kw, name = found[0]
        added = (scanned[:pos] + " " + scanned[pos + len(kw) :]).strip(" -")
        how = f"the brand name {kw!r} with {added!r} added"
        if name.domain_form:
            how = f"the brand's domain written as {kw!r}, with {added!r} added"
        out.append(
            _lookalike(host, name, "url.combosquat", Severity.HIGH, "dictionary", how, added=added)
        )
        return out
    # 5. an ordinary-word brand beside a lure word ("apple-id-verify", "zoommeeting")
    weak = _weak_with_lure(text, index)
    if weak is not None:
        name, lure = weak
        how = f"the brand name {name.text!r} beside the lure word {lure!r}"
        out.append(
            _lookalike(host, name, "url.combosquat", Severity.MEDIUM, "dictionary", how, lure=lure)
        )
        return out
    # 6. near misses: weighted edit distance to the closest brand names
    best = _fuzzy(label, host, index)
    if "-" in label and (best is None or best[2].rank < Severity.MEDIUM.rank):
        alt = _fuzzy(label.replace("-", ""), host, index)  # "bita-flyer"
        if alt is not None and (best is None or alt[2].rank > best[2].rank):
            best = alt
    if best is not None:
        name, a, sev = best
        rule = "url.bitsquat" if a.technique == "bitsquatting" else "url.typosquat"
        if idn:
            rule = "url.homoglyph"
        out.append(
            _lookalike(host, name, rule, sev, a.technique, a.summary(), **_alignment_evidence(a))
        )
        return out
    # 7. a near miss of a brand inside a hyphenated name ("bitfiyer-login")
    if "-" in text:
        for token in text.split("-"):
            if len(token) < 5:
                continue
            best = _fuzzy(token, host, index)
            if best is not None and best[2].rank >= Severity.MEDIUM.rank:
                name, a, sev = best
                how = f"{a.summary()} in the part {token!r}"
                ev = _alignment_evidence(a)
                return [_lookalike(host, name, "url.typosquat", sev, a.technique, how, **ev)]
    return out


def _latin(label: str) -> str:
    """A non-ASCII label as the Latin letters it looks like (for keyword scans)."""
    sk = skeletons.skeleton(label)
    return "".join(c for c in sk if c.isascii()).lower()


def _script_kind(label: str) -> str:
    scripts = skeletons.scripts_of(label)
    if len(scripts) == 1 and "Latin" not in scripts:
        return "whole-script"
    if len(scripts) > 1:
        return "mixed-script"
    return "homoglyph"


def _weak_with_lure(text: str, index: BrandIndex) -> tuple[Name, str] | None:
    """An ordinary-word brand name beside a lure word: ``apple-id-verify``, ``zoommeeting``,
    ``log-in-okx``, ``accountsafe``."""
    if "-" not in text:  # most labels: one part, and no lure word unless at an end of it
        for lure, rest in _lure_affixes(text, index):
            name = index.weak.get(rest)
            if name is not None:
                return name, lure
        return None
    parts = [p for p in text.split("-") if p]
    lures = []
    if len(parts) > 1:
        lures = [p for p in parts if p in index.lure_words]
        lures += [w for w in index.hyphenated_lures if w in text]
    if lures:
        for part in parts:
            for token in (part, *(t for t in _TOKENS.split(part) if t and t != part)):
                name = index.weak.get(token)
                if name is not None and token not in lures:
                    return name, lures[0]
    for piece in (text, *parts) if len(parts) > 1 else (text,):
        for lure, rest in _lure_affixes(piece, index):
            name = index.weak.get(rest.strip("-"))
            if name is not None:
                return name, lure
    return None


def _lure_affixes(token: str, index: BrandIndex) -> list[tuple[str, str]]:
    """(lure word, rest) for each lure word ``token`` starts or ends with."""
    out: list[tuple[str, str]] = []
    if (
        token[:3] not in index.lure_starts
        and token[-3:] not in index.lure_ends
        and not token.startswith(_SHORT_LURES)
        and not token.endswith(_SHORT_LURES)
    ):
        return out
    for n in index.lure_lengths:
        if len(token) - n < 2:
            break
        head, tail = token[:n], token[-n:]
        if head in index.lure_words:
            out.append((head, token[n:]))
        if tail in index.lure_words:
            out.append((tail, token[:-n]))
    return out


_PLAIN_SUBDOMAINS = frozenset(("www", "www2", "m", "mail", "ftp", "en", "ja", "jp", "web", "api"))
_PLAUSIBLE = {"keyboard", "repetition", "visual", "homoglyph", "hyphen", "bitflip", "vowel", "swap"}


def _fuzzy_severity(name: Name, a: Alignment, same_suffix: bool, word: bool) -> Severity | None:
    """Severity of a near miss, from the weighted cost relative to the name's length and how
    typo-like the edit is; capped for ordinary words on either side (see the package docs)."""
    n, w = len(name.text), a.cost
    if not a.edits or w > 2:
        return None
    single = len(a.edits) == 1 and w <= 1
    plausible = single and (a.edits[0].how in _PLAUSIBLE or a.edits[0].op == "omission")
    if n <= 4:
        if not same_suffix or w > (1.5 if a.visual_only else 1):
            return None
        return Severity.LOW if a.visual_only else Severity.INFO
    if a.visual_only and w <= 1:
        sev = Severity.HIGH
    elif a.visual_only:
        sev = Severity.MEDIUM
    elif n == 5:
        if not single:
            return None
        sev = Severity.MEDIUM if plausible else Severity.LOW
    elif n <= 7:
        if single:
            # a letter added after the name ("bitmexq"): a deliberate squat, not a slip
            added = a.edits[0].op == "insertion" and a.edits[0].at_end
            sev = Severity.HIGH if plausible else Severity.MEDIUM if added else Severity.LOW
        else:
            sev = Severity.LOW
    elif single:
        sev = Severity.HIGH
    else:
        sev = Severity.HIGH if n >= 12 else Severity.MEDIUM if n >= 9 else Severity.LOW
    if name.weak:
        sev = Severity.MEDIUM if (a.visual_only and sev is Severity.HIGH) else Severity.LOW
    if word:  # the found name is itself an English word: most likely not a typo
        sev = Severity.LOW
    return sev


def _fuzzy(label: str, host: Host, index: BrandIndex) -> tuple[Name, Alignment, Severity] | None:
    """The closest brand name within a small weighted distance of ``label`` (memoised per
    label and suffix: parts like "login" or "secure" recur across hosts)."""
    cache_key = (label, host.suffix)
    if cache_key in index.fuzzy_cache:
        cached: tuple[Name, Alignment, Severity] | None = index.fuzzy_cache[cache_key]
        return cached
    got = _fuzzy_uncached(label, host, index)
    if len(index.fuzzy_cache) > 100_000:
        index.fuzzy_cache.clear()
    index.fuzzy_cache[cache_key] = got
    return got


def _fuzzy_uncached(
    label: str, host: Host, index: BrandIndex
) -> tuple[Name, Alignment, Severity] | None:
    k = skeletons.key(label)
    bucket = index.buckets.get(len(k))
    if bucket is None or len(k) < 2:
        return None
    found = bucket.nearest(k, limit=4)
    if not found:  # most labels: nothing near, nothing more to look up
        return None
    word = label in near_words()
    best: tuple[Name, Alignment, Severity] | None = None
    for _key, _dist, name in found:
        if name.text == label:
            continue
        same_suffix = host.suffix is not None and name.domain.endswith("." + host.suffix)
        if len(name.text) <= 4 and not same_suffix:
            continue  # short names: only near misses under the brand's own suffix
        a = align(label, name.text)
        sev = _fuzzy_severity(name, a, same_suffix, word)
        if sev is None:
            continue
        if best is None or (sev.rank, -a.cost) > (best[2].rank, -best[1].cost):
            best = (name, a, sev)
    return best


def subdomain_hits(host: Host, index: BrandIndex) -> list[Hit]:
    """A brand's domain or name in front of someone else's registrable domain."""
    if host.subdomain in _PLAIN_SUBDOMAINS:
        return []
    labels = host.subdomain.split(".")
    heads = index.legit_heads
    out: list[Hit] = []
    # a whole legitimate domain as labels: bitflyer.com.secure-login.xyz
    for i in range(len(labels) - 1):
        if labels[i] not in heads:  # no listed domain starts with this label
            continue
        for j in (i + 3, i + 2):
            if j > len(labels):
                continue
            domain = ".".join(labels[i:j])
            if domain in index.legit_hosts or domain in index.legit:
                owner = index.legit.get(domain)
                if owner is None:
                    continue
                reg = _shown_registrable(host)
                msg = (
                    f"{host.unicode} puts {domain} ({owner.name}) in front of the unrelated "
                    f"domain {reg}: the real site is {reg}"
                )
                sev = Severity.CRITICAL if owner.own else Severity.HIGH
                ev = {
                    "brand": owner.name,
                    "legit_domain": domain,
                    "registrable": host.registrable,
                    "host": host.ascii,
                    "technique": "subdomain",
                    "protected_by": owner.source,
                }
                return [Hit("url.brand_subdomain", sev, msg, "domain", ev, owner.name)]
    # dnstwist's "subdomain" class: a dot inserted into the name (bit.flyer.com)
    core = host.core
    for n in (1, 2):
        if len(labels) >= n:
            joined = "".join(labels[-n:]) + core
            split = index.names.get(joined)
            if split is not None and split.core:
                how = f"a dot splits the brand name ({'.'.join([*labels[-n:], core])})"
                sev = _strong(split, Severity.HIGH, Severity.LOW)
                return [_lookalike(host, split, "url.typosquat", sev, "subdomain", how)]
    # a distinctive brand name or its look-alike in a subdomain label
    shown = host.unicode.split(".") if host.unicode != host.ascii else labels
    found = index.keyword_hits(host.subdomain)  # one scan over all labels
    for k, label in enumerate(labels):
        if found:
            pos = found[0][0]
            if not (label in host.subdomain and _label_at(labels, pos) == k):
                continue
            name: Name | None = found[0][2]
        else:
            text = label if label.isascii() else _latin(shown[k])
            name = index.keys.get(skeletons.key(text)) if len(text) >= MIN_STRONG else None
        if name is None or name.weak:
            continue
        sev = Severity.HIGH if name.domain_form else Severity.MEDIUM
        if name.brand.own:
            sev = Severity.CRITICAL
        reg = _shown_registrable(host)
        msg = (
            f"{host.unicode} names {name.brand.name} ({name.text!r}) in a subdomain of the "
            f"unrelated domain {reg}"
        )
        ev = _evidence(host, name, "subdomain-keyword", label=label)
        out.append(Hit("url.brand_subdomain", sev, msg, "keyword", ev, name.brand.name))
        break
    if not out:
        apparent = _domain_shaped(labels)
        if apparent is not None:
            reg = _shown_registrable(host)
            msg = (
                f"{host.unicode} begins with {apparent}, which reads as a domain name of its "
                f"own, in front of the unrelated domain {reg}: the real site is {reg}"
            )
            ev = {"apparent": apparent, "registrable": host.registrable, "host": host.ascii}
            out.append(Hit("url.subdomain_disguise", Severity.MEDIUM, msg, "domain-shaped", ev))
    return out


_DISGUISE_TLDS = frozenset(("com", "net", "org", "jp"))  # alone at the end: too short otherwise


def _domain_shaped(labels: list[str]) -> str | None:
    """Leading labels of a subdomain that read as a complete domain name: up to a public suffix
    of two or three labels anywhere after the first label (``amazon.co.jp`` of
    amazon.co.jp.73264.example.click), or ending with .com, .net, .org or .jp after a name that
    is not a plain subdomain (``megaegg.jp`` of webmail.megaegg.jp.example.com, but not
    www.jp.example.com)."""
    if len(labels) < 2:
        return None
    psl = suffix_list()
    for end in range(2, len(labels) + 1):
        if not psl.knows(labels[end - 1]):  # most labels: "www2", "secure", "login"
            continue
        for n in (3, 2):
            if end - n >= 1 and psl.is_public(".".join(labels[end - n : end])):
                return ".".join(labels[end - n - 1 : end])
    if labels[-1] in _DISGUISE_TLDS and labels[-2] not in _PLAIN_SUBDOMAINS:
        return ".".join(labels[-2:])
    return None


def _label_at(labels: list[str], pos: int) -> int:
    """Index of the label that holds character ``pos`` of ``".".join(labels)``."""
    end = -1
    for k, label in enumerate(labels):
        end += len(label) + 1
        if pos < end:
            return k
    return len(labels) - 1


def idn_hits(host: Host) -> list[Hit]:
    """Punycode labels that mix scripts, read as Latin in another script, or are invalid."""
    if host.unicode == host.ascii and host.idna_error is None:
        return []
    tld_scripts = skeletons.scripts_of(host.unicode.rsplit(".", 1)[-1])
    for label in host.unicode.split("."):
        if label.isascii():
            continue
        mixed = skeletons.mixed_script(label)
        if mixed:
            return [
                Hit(
                    "url.idn_spoof",
                    Severity.HIGH,
                    f"{host.show()}: the label {label!r} mixes {' and '.join(sorted(mixed))} "
                    "letters, which no ordinary name does",
                    "mixed-script",
                    {"label": label, "scripts": sorted(mixed), "host": host.ascii},
                )
            ]
        scripts = skeletons.scripts_of(label)
        if (
            len(scripts) == 1
            and "Latin" not in scripts
            and not scripts <= tld_scripts
            and skeletons.confusable_with_latin(label)
        ):
            latin = _latin(label)
            return [
                Hit(
                    "url.idn_spoof",
                    Severity.MEDIUM,
                    f"{host.show()}: the {next(iter(scripts))} label {label!r} is made only of "
                    f"letters that look Latin: it reads as {latin!r}",
                    "whole-script",
                    {
                        "label": label,
                        "scripts": sorted(scripts),
                        "reads_as": latin,
                        "host": host.ascii,
                    },
                )
            ]
    if host.idna_error:
        return [
            Hit(
                "url.idn_spoof",
                Severity.MEDIUM,
                f"{host.show()}: not valid IDNA ({host.idna_error}); browsers may show it "
                "differently or refuse it",
                "invalid-idna",
                {"error": host.idna_error, "host": host.ascii},
            )
        ]
    return []


# -- URL-level checks ---------------------------------------------------------------------------


_SHORT_LURES = ("id",)  # lure words shorter than 3 letters
_PATH_SCAN = 400  # characters of path and query scanned for brand names (kits put them early)
_LURE_PATH = re.compile(
    r"log-?in|sign-?in|signon|verif|account|wallet|secure|password|passwd|auth|update|unlock"
    r"|recover|restore|seed|mnemonic|connect|claim|airdrop|webscr",
    re.IGNORECASE,
)


def url_hits(target: Target, index: BrandIndex) -> list[Hit]:
    out: list[Hit] = []
    host = target.host
    if host.ip is not None and host.ip_form in ("dotted", "ipv6"):
        lure = _LURE_PATH.search(target.rest)
        if target.scheme == "https" or lure:
            why = (
                f"a {lure.group(0)!r} page"
                if lure
                else "HTTPS (certificates for bare IPs are rare)"
            )
            out.append(
                Hit(
                    "url.ip_host",
                    Severity.MEDIUM,
                    f"the link to the raw IP address {host.ascii} serves {why}: sites people "
                    "log in to have names",
                    "ip-login",
                    {
                        "ip": host.ascii,
                        "scheme": target.scheme,
                        "lure": lure.group(0) if lure else None,
                    },
                )
            )
    if target.userinfo is not None:
        user = unquote(target.userinfo).split(":", 1)[0]
        brandish = index.keyword_hits(user.lower())
        if _HOSTLIKE.fullmatch(user) or brandish:
            shown = f"{host.show()}"
            out.append(
                Hit(
                    "url.userinfo",
                    Severity.HIGH,
                    f"the link shows {user!r} before an '@', but everything before the '@' is a "
                    f"user name: the browser goes to {shown}",
                    "host-lookalike",
                    {"userinfo": user, "host": host.ascii},
                )
            )
        else:
            out.append(
                Hit(
                    "url.userinfo",
                    Severity.LOW,
                    f"the link carries a user name ({user!r}) for {host.show()}",
                    "credentials",
                    {"userinfo": user, "host": host.ascii},
                )
            )
    if target.rest and host.ip is None:
        registrable = host.registrable or host.ascii
        legit, owner = index.owner(registrable)
        scanned = target.rest[:_PATH_SCAN]
        path = (unquote(scanned) if "%" in scanned else scanned).lower()
        found = [h for h in index.keyword_hits(path) if not legit or h[2].brand != owner]
        if found and (not legit or owner is not None):
            _, kw, name = found[0]
            lure = _LURE_PATH.search(path)
            page = None if legit else _brand_page(path, found)
            if page is not None:
                name, segment = page
                kw = segment
                also = f" as a page of its own ({segment!r})"
            else:
                also = f" ({kw!r}) beside {lure.group(0)!r}" if lure else f" ({kw!r})"
            out.append(
                Hit(
                    "url.brand_in_path",
                    Severity.MEDIUM if lure or page else Severity.LOW,
                    f"the path names {name.brand.name}{also} on the unrelated host {host.show()}",
                    "path",
                    {
                        "brand": name.brand.name,
                        "matched_name": kw,
                        "host": host.ascii,
                        "lure": lure.group(0) if lure else None,
                        "page": page is not None,
                    },
                    name.brand.name,
                )
            )
    return out


_PAGE_SUFFIX = re.compile(r"\.(?:php\d?|s?html?|aspx?|jsp|cgi)$")
_SLUG_SEPARATORS = re.compile(r"[-_.]+")
_OPAQUE = re.compile(r"[a-z0-9_-]*[0-9][a-z0-9_-]*")  # an identifier, not a word or a file name
# a segment after these lists or describes things: /tag/binance/, /company/bitflyer/, /r/ledger/
_LISTINGS = frozenset(
    ("tag", "tags", "topic", "topics", "category", "categories", "company", "companies", "search",
     "r", "u", "user", "users", "wiki", "news", "brand", "brands", "keyword", "keywords", "about")
)  # fmt: skip


def _brand_page(path: str, found: list[tuple[int, str, Name]]) -> tuple[Name, str] | None:
    """(name, segment) when a path segment is a brand's page of its own, as phishing kits on
    compromised sites name them: /Rakuten/, /onedrivelogon.php, /linkedin.com/, /kensho-rakuten.php.
    Not a brand word inside a longer slug (/2024/binance-ceo-sentenced), after a listing
    (/tag/binance/), in the query, or before opaque identifiers: a mailing service's tracking
    link for a newsletter's social icons (/e/984351/LinkedIn/m58wvn/1064379532)."""
    cut = [i for i in (path.find("?"), path.find("#")) if i >= 0]
    segments = path[: min(cut)].split("/") if cut else path.split("/")
    for i, segment in enumerate(segments):
        if not segment or (i > 0 and segments[i - 1] in _LISTINGS):
            continue
        if any(_OPAQUE.fullmatch(after) for after in segments[i + 1 :]):
            continue
        base = _PAGE_SUFFIX.sub("", segment)
        tokens = [t for t in _SLUG_SEPARATORS.split(base) if t]
        for _, kw, name in found:
            if kw not in base:
                continue
            domain = base.removeprefix("www.")
            if any(domain == d or domain.endswith("." + d) for d in name.brand.domains):
                return name, segment
            if len(tokens) <= 2 and any(t.startswith(kw) for t in tokens):
                return name, segment
    return None
