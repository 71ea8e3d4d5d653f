"""Protected brands and the index that makes checking a host against all of them cheap.

Brands come from ``brands.yaml`` (built in, loaded and validated once) and from the profile: the
firm's own domains (``[org] domains``: look-alikes of them are critical) and its trusted partners
(``[trust] domains``). The index holds, per name: exact names (TLD swaps), look-alike keys
(``skeletons.key``: homoglyphs and visual swaps), a 3-letter-prefix table of distinctive
keywords (brand + keyword combos, scanned once over the label), weak names (ordinary words that
need a lure word), and length buckets of keys (``buckets``) where near misses are looked for.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from koban.errors import InputError
from koban.url.buckets import Bucket
from koban.url.hosts import parse_host
from koban.url.skeletons import key

CATEGORIES = ("exchange-jp", "exchange", "wallet", "defi", "explorer", "lure")
MIN_NAME = 3  # names shorter than this are never matched (g.co, t.me, wa.me...)
MIN_STRONG = 5  # shorter core labels (okx, goo, aka, zaif) are weak: too many words contain them


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _lower_names(v: list[str]) -> list[str]:
    for name in v:
        if name != name.lower() or not name.isascii() or len(name) < MIN_NAME or "." in name:
            raise ValueError(
                f"name {name!r} must be lower-case ASCII, no dots, >= {MIN_NAME} chars"
            )
    return v


class BrandSpec(_Strict):
    name: str = Field(min_length=1)
    category: str
    domains: list[str] = Field(min_length=1)
    keywords: list[str] = Field(default_factory=list)
    weak: list[str] = Field(default_factory=list)
    ignore: list[str] = Field(default_factory=list)

    @field_validator("category")
    @classmethod
    def _category(cls, v: str) -> str:
        if v not in CATEGORIES:
            raise ValueError(f"unknown category {v!r}; one of {', '.join(CATEGORIES)}")
        return v

    @field_validator("domains")
    @classmethod
    def _domains(cls, v: list[str]) -> list[str]:
        for d in v:
            if d != d.lower().strip() or "." not in d or "/" in d:
                raise ValueError(f"not a lower-case domain name: {d!r}")
        return v

    _names = field_validator("keywords", "weak", "ignore")(
        classmethod(lambda cls, v: _lower_names(v))
    )


class OtherSpec(_Strict):
    name: str
    domains: list[str] = Field(min_length=1)


class BrandFile(_Strict):
    brands: list[BrandSpec]
    others: list[OtherSpec] = Field(default_factory=list)
    lure_words: list[str]


@dataclass(frozen=True, slots=True)
class Brand:
    name: str
    category: str  # a CATEGORIES value, or "own" / "trusted" for the profile's domains
    domains: tuple[str, ...]
    source: str = "builtin"  # builtin | org | trust

    @property
    def own(self) -> bool:
        return self.source == "org"


@dataclass(frozen=True, slots=True)
class Name:
    """A name that points at a brand: ``bitflyer`` -> bitFlyer (bitflyer.com)."""

    text: str
    brand: Brand
    domain: str  # the legitimate domain to show
    weak: bool  # an ordinary word: needs a lure word beside it; near-misses are low severity
    core: bool  # the core label of a legitimate domain (so a different suffix is a TLD swap)
    domain_form: bool = False  # a whole domain written with hyphens: "apple-com"


@cache
def brand_file() -> BrandFile:
    """``brands.yaml``, validated (InputError naming the file if it is broken)."""
    path = resources.files("koban.url") / "brands.yaml"
    try:
        return BrandFile.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    except (yaml.YAMLError, ValidationError) as exc:
        raise InputError(str(path), f"invalid brand file: {exc}") from exc


def _core(domain: str) -> tuple[str, str]:
    """(registrable domain, core label) of a legitimate domain."""
    host = parse_host(domain, domain)
    registrable = host.registrable or host.ascii
    return registrable, host.core


@dataclass
class BrandIndex:
    brands: list[Brand] = field(default_factory=list)
    legit: dict[str, Brand | None] = field(default_factory=dict)  # registrable -> owner
    legit_hosts: set[str] = field(default_factory=set)  # every listed domain, as written
    legit_heads: frozenset[str] = frozenset()  # first labels of legit and legit_hosts
    names: dict[str, Name] = field(default_factory=dict)  # exact name -> Name
    keys: dict[str, Name] = field(default_factory=dict)  # look-alike key -> Name
    keywords: dict[str, list[tuple[str, Name]]] = field(default_factory=dict)  # prefix3 -> kws
    weak: dict[str, Name] = field(default_factory=dict)
    buckets: dict[int, Bucket[Name]] = field(default_factory=dict)  # by key length
    lure_words: frozenset[str] = frozenset()
    keyword_names: dict[str, Name] = field(default_factory=dict)
    keyword_regex: re.Pattern[str] | None = None
    fuzzy_cache: dict[tuple[str, str | None], Any] = field(default_factory=dict, repr=False)
    core_cache: dict[tuple[Any, ...], Any] = field(default_factory=dict, repr=False)
    lure_lengths: tuple[int, ...] = ()
    lure_starts: frozenset[str] = frozenset()
    lure_ends: frozenset[str] = frozenset()
    hyphenated_lures: tuple[str, ...] = ()
    bounded: dict[str, Name] = field(default_factory=dict)  # keywords matched as whole tokens

    # -- building ---------------------------------------------------------------------------

    def add_brand(
        self,
        brand: Brand,
        keywords: Sequence[str] = (),
        weak: Sequence[str] = (),
        ignore: Sequence[str] = (),
    ) -> None:
        self.brands.append(brand)
        weak_set, ignore_set = set(weak), set(ignore)
        first = brand.domains[0]
        for domain in brand.domains:
            registrable, core = _core(domain)
            host_part = domain[: -len(registrable)] + core if domain != registrable else core
            if host_part != core and core not in ignore_set:  # coin.z.com: coin-z, coinz
                dashed = host_part.replace(".", "-")
                self._add_name(Name(dashed, brand, domain, False, False, domain_form=True))
            if brand.own:
                self.legit[registrable] = brand
            else:
                self.legit.setdefault(registrable, brand)
            self.legit_hosts.add(domain)
            if core in ignore_set or len(core) < MIN_NAME:
                continue
            weak_core = core in weak_set or (len(core) < MIN_STRONG and core not in keywords)
            self._add_name(Name(core, brand, registrable, weak_core, True))
            # the domain written as a name: "apple-com"; run together ("applecom") only with a
            # suffix of 3+ letters, so that apple.co gives no "appleco" (applecore) and
            # telegra.ph no "telegraph". Short names only as whole tokens ("okx-com", "okxcom",
            # not the "line-me" of "online-media").
            dashed = registrable.replace(".", "-")
            joined = len(registrable.rsplit(".", 1)[1]) >= 3
            form = Name(dashed, brand, registrable, False, False, domain_form=True)
            if len(core) >= MIN_STRONG:
                self._add_name(form, joined)
            else:
                for text in (dashed, dashed.replace("-", "")) if joined else (dashed,):
                    self.bounded.setdefault(text, form)
        for kw in keywords:
            if kw not in self.names or self.names[kw].brand != brand:
                self._add_name(Name(kw, brand, first, len(kw) < MIN_STRONG - 1, False))
        for w in weak:
            self._add_name(Name(w, brand, first, True, False))

    def _add_name(self, name: Name, joined: bool = True) -> None:
        variants = [name.text]
        if "-" in name.text and joined:
            variants.append(name.text.replace("-", ""))
        for text in variants:
            n = Name(
                text,
                name.brand,
                name.domain,
                name.weak,
                name.core and text == name.text,
                name.domain_form,
            )
            if text in self.names and not _outranks(n, self.names[text]):
                continue
            self.names[text] = n
            self.keys[key(text)] = n
            if n.weak:
                self.weak[text] = n
            else:
                self.keywords.setdefault(text[:3], []).append((text, n))

    def add_other(self, domains: list[str]) -> None:
        for domain in domains:
            registrable, _ = _core(domain)
            self.legit.setdefault(registrable, None)
            self.legit_hosts.add(domain)

    def finish(self, lure_words: list[str]) -> BrandIndex:
        self.lure_words = frozenset(lure_words)
        self.legit_heads = frozenset(d.split(".", 1)[0] for d in (*self.legit, *self.legit_hosts))
        by_len: dict[int, list[tuple[str, Name]]] = {}
        for text, n in self.names.items():
            if not n.domain_form and "-" not in text:  # near misses of names, not "apple-com"
                k = key(text)
                by_len.setdefault(len(k), []).append((k, n))
        lengths = sorted(by_len)
        top = max(lengths, default=0) + 3
        for length in range(1, top + 1):
            pairs = [p for d in range(-2, 3) for p in by_len.get(length + d, ())]
            cutoff = 2 if length <= 8 else 3  # on keys: chained glyph swaps can cost 3 there
            self.buckets[length] = Bucket(pairs, cutoff)
        self.lure_lengths = tuple(sorted({len(w) for w in lure_words}))
        self.lure_starts = frozenset(w[:3] for w in lure_words)
        self.lure_ends = frozenset(w[-3:] for w in lure_words)
        self.hyphenated_lures = tuple(w for w in lure_words if "-" in w)
        self.keyword_names = {kw: n for kws in self.keywords.values() for kw, n in kws}
        self.keyword_names.update(self.bounded)
        free = [kw for kws in self.keywords.values() for kw, _ in kws]
        parts = [trie_regex(free)] if free else []
        if self.bounded:  # whole tokens only
            parts.append(rf"(?<![a-z0-9])(?:{trie_regex(self.bounded)})(?![a-z0-9])")
        if parts:
            self.keyword_regex = re.compile("|".join(parts))
        return self

    # -- lookups ------------------------------------------------------------------------------

    def owner(self, registrable: str) -> tuple[bool, Brand | None]:
        """(is legitimate, owning brand) of a registrable domain."""
        if registrable in self.legit:
            return True, self.legit[registrable]
        return False, None

    def keyword_hits(self, text: str) -> list[tuple[int, str, Name]]:
        """Distinctive keywords inside ``text``: (position, keyword, name), longest first."""
        if self.keyword_regex is None:
            return []
        first = self.keyword_regex.search(text)
        if first is None:  # the common case: no keyword at all, no list built
            return []
        names = self.keyword_names
        out = [(m.start(), m.group(), names[m.group()]) for m in self.keyword_regex.finditer(text)]
        if len(out) > 1:
            out.sort(key=lambda h: -len(h[1]))
        return out


def trie_regex(words: Iterable[str]) -> str:
    """One regular expression matching any of ``words``, as a trie (longest first at a start):
    a scan costs a few microseconds whatever the number of words, where a plain alternation
    tries every word at every position."""
    trie: dict[str, Any] = {}
    for word in words:
        node = trie
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def build(node: dict[str, Any]) -> str:
        alts = [re.escape(ch) + build(node[ch]) for ch in sorted(node) if ch]
        if not alts:
            return ""
        body = alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"
        return f"(?:{body})?" if "" in node else body

    return build(trie)


def _outranks(new: Name, old: Name) -> bool:
    """Profile names beat built-in ones; a strong name beats a weak one; a core beats a keyword."""
    rank = {"org": 2, "trust": 1, "builtin": 0}
    a = (rank[new.brand.source], not new.weak, new.core)
    b = (rank[old.brand.source], not old.weak, old.core)
    return a > b


@cache
def builtin_brands() -> tuple[tuple[Brand, BrandSpec], ...]:
    return tuple(
        (Brand(spec.name, spec.category, tuple(spec.domains)), spec) for spec in brand_file().brands
    )


def _profile_strength(core: str) -> bool:
    """Whether a profile domain's core is distinctive enough to match inside other names."""
    return len(core) >= 6 or ("-" in core and len(core) >= 5)


def build_index(
    org_domains: tuple[str, ...] = (), trust_domains: tuple[str, ...] = (), org_name: str = ""
) -> BrandIndex:
    """The index of built-in brands plus the profile's own and trusted domains."""
    index = BrandIndex()
    data = brand_file()
    for brand, spec in builtin_brands():
        index.add_brand(brand, spec.keywords, spec.weak, spec.ignore)
    for other in data.others:
        index.add_other(other.domains)
    if org_domains:
        own = Brand(org_name or "your organisation", "own", tuple(org_domains), "org")
        weak = [c for c in (_core(d)[1] for d in org_domains) if not _profile_strength(c)]
        index.add_brand(own, weak=[w for w in weak if len(w) >= MIN_NAME])
    for domain in trust_domains:
        registrable, core = _core(domain)
        if index.legit.get(registrable) is not None:
            continue  # already a built-in brand (e.g. github.com): keep its name
        trusted = Brand(f"trusted partner {domain}", "trusted", (domain,), "trust")
        index.add_brand(trusted, weak=[core] if not _profile_strength(core) else [])
    return index.finish(data.lure_words)
