"""Everything the mail checks need, compiled once per run from the profile and the store."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import cache, lru_cache
from importlib import resources
from typing import TYPE_CHECKING, Any

import yaml
from publicsuffixlist import PublicSuffixList

from koban.containers.limits import Limits as WalkLimits
from koban.intel.store import IntelStore
from koban.mail.names import ExecutiveKey, executive_keys
from koban.profile import Profile
from koban.url import CheckContext, build_context

if TYPE_CHECKING:
    from koban.file.context import FileContext


@dataclass(frozen=True)
class Limits:
    """Bounds that keep one hostile message from taking the run down."""

    max_message_bytes: int = 40_000_000
    max_attachments: int = 100
    max_attachment_bytes: int = 30_000_000
    max_archive_depth: int = 3
    max_archive_members: int = 500  # per archive, and inspected per attachment at all levels
    max_archive_total_bytes: int = 200_000_000
    max_archive_ratio: int = 150  # uncompressed / compressed, per member and per stream
    max_links: int = 300
    seconds: float = 20.0  # per message; later steps are skipped (and said so) after this

    def walker(self, seconds: float) -> WalkLimits:
        """The shared walker's bounds for one attachment (``seconds``: what is left of the
        message's time): archive depth, members per archive, member and total sizes, ratio."""
        return WalkLimits(
            max_depth=self.max_archive_depth,
            max_members=self.max_archive_members,
            max_member_bytes=self.max_attachment_bytes,
            max_total_bytes=self.max_archive_total_bytes,
            max_ratio=float(self.max_archive_ratio),
            ratio_grace_bytes=1_000_000,
            max_file_bytes=self.max_attachment_bytes,
            max_seconds=max(seconds, 0.0),
        )


@cache
def _psl() -> PublicSuffixList:
    return PublicSuffixList()


@lru_cache(maxsize=65536)
def registrable(host: str) -> str:
    """eTLD+1 of ``host`` (private suffixes included: each ``*.web.app`` site is its own)."""
    h = host.strip(".").lower()
    if not h:
        return ""
    got = _psl().privatesuffix(h)
    return str(got) if got else h


@cache
def _load(name: str) -> Any:
    text = resources.files("koban.mail").joinpath(name).read_text(encoding="utf-8")
    return yaml.safe_load(text)


def _norm_words(text: str) -> list[str]:
    t = unicodedata.normalize("NFKC", text).casefold()
    return re.findall(r"[a-z0-9]+(?:[.\-][a-z0-9]+)*", t)


@dataclass(frozen=True)
class LurePhrase:
    phrase: str
    category: str
    weight: float
    latin: bool


def _phrase_table(categories: dict[str, Any]) -> tuple[list[LurePhrase], dict[str, str]]:
    phrases = []
    labels = {}
    for cat, spec in categories.items():
        labels[cat] = spec["label"]
        for phrase, weight in spec["phrases"].items():
            p = unicodedata.normalize("NFKC", str(phrase)).casefold()
            phrases.append(LurePhrase(p, cat, float(weight), p.isascii()))
    return phrases, labels


def _lure_table() -> tuple[list[LurePhrase], dict[str, str], dict[str, float]]:
    data = _load("lures.yaml")
    phrases, labels = _phrase_table(data["categories"])
    return phrases, labels, {k: float(v) for k, v in data["thresholds"].items()}


def _spam_table() -> tuple[list[LurePhrase], dict[str, str], float]:
    data = _load("lures.yaml")
    phrases, labels = _phrase_table(data["spam_categories"])
    return phrases, labels, float(data["spam_threshold"])


ROLE_WORDS_JA = (
    "人事部",
    "人事課",
    "人事担当",
    "総務部",
    "総務課",
    "経理部",
    "経理課",
    "財務部",
    "情報システム部",
    "情報システム",
    "システム部",
    "システム管理者",
    "情シス",
    "法務部",
    "コンプライアンス",
    "採用担当",
    "人事",
    "総務",
    "経理",
    "セキュリティ",
    "管理者",
    "ヘルプデスク",
)
ROLE_WORDS_EN = (
    "it department",
    "it support",
    "it helpdesk",
    "it help desk",
    "it service desk",
    "it team",
    "it admin",
    "it",
    "helpdesk",
    "help desk",
    "service desk",
    "hr",
    "hr department",
    "human resources",
    "payroll",
    "security team",
    "security department",
    "compliance",
    "compliance team",
    "accounting",
    "finance department",
    "recruiting",
    "recruitment",
    "talent acquisition",
    "system administrator",
    "administrator",
    "admin",
    "email administrator",
    "mail administrator",
    "webmaster",
    "postmaster",
)


@dataclass
class MailContext:
    """Built once (``MailContext.build``), shared by every message of a run."""

    profile: Profile
    store: IntelStore | None
    limits: Limits = field(default_factory=Limits)
    own_domains: frozenset[str] = frozenset()
    trusted_domains: frozenset[str] = frozenset()
    protected: frozenset[str] = frozenset()
    authserv_ids: frozenset[str] = frozenset()
    executives: list[ExecutiveKey] = field(default_factory=list)
    org_words: tuple[str, ...] = ()
    freemail: frozenset[str] = frozenset()
    shorteners: frozenset[str] = frozenset()
    file_hosting: frozenset[str] = frozenset()
    brands: dict[tuple[str, ...], tuple[str, list[str]]] = field(default_factory=dict)
    brands_cjk: dict[str, tuple[str, list[str]]] = field(default_factory=dict)
    lure_phrases: list[LurePhrase] = field(default_factory=list)
    lure_labels: dict[str, str] = field(default_factory=dict)
    lure_thresholds: dict[str, float] = field(default_factory=dict)
    spam_phrases: list[LurePhrase] = field(default_factory=list)
    spam_labels: dict[str, str] = field(default_factory=dict)
    spam_threshold: float = 1.0
    abused_tlds: frozenset[str] = frozenset()
    download_sources: tuple[str, ...] = ()
    # The URL analyser's compiled brand index for this profile (look-alike checks).
    url_context: CheckContext = field(default_factory=build_context)
    # Attachments also go through the file analyser (its context built on first use).
    file_context: FileContext | None = None
    _heads: dict[str, list[tuple[str, ...]]] | None = field(default=None, init=False, repr=False)
    _brand_domains: dict[str, str] | None = field(default=None, init=False, repr=False)

    @classmethod
    def build(
        cls, profile: Profile, store: IntelStore | None, limits: Limits | None = None
    ) -> MailContext:
        lists = _load("lists.yaml")
        own = frozenset(profile.org.domains)
        trusted = frozenset(profile.trust.domains)
        brands: dict[tuple[str, ...], tuple[str, list[str]]] = {}
        brands_cjk: dict[str, tuple[str, list[str]]] = {}
        for brand, domains in lists["brands"].items():
            entry = (str(brand), [str(d) for d in domains])
            words = tuple(_norm_words(str(brand)))
            if str(brand).isascii() and words:
                brands[words] = entry
            else:
                brands_cjk[unicodedata.normalize("NFKC", str(brand)).casefold()] = entry
        phrases, labels, thresholds = _lure_table()
        spam_phrases, spam_labels, spam_threshold = _spam_table()
        org_words: tuple[str, ...] = ()
        if profile.org.name:
            name = re.sub(
                r"\b(k\.?k\.?|inc\.?|ltd\.?|co\.?|llc|corp\.?|株式会社|合同会社|\(株\))",
                " ",
                profile.org.name,
                flags=re.IGNORECASE,
            )
            org_words = tuple(_norm_words(name))
        return cls(
            url_context=build_context(profile),
            profile=profile,
            store=store,
            limits=limits or Limits(),
            own_domains=own,
            trusted_domains=trusted,
            protected=own | trusted,
            authserv_ids=frozenset(a.lower() for a in profile.trust.authserv_ids),
            executives=executive_keys(profile.org.executives),
            org_words=org_words,
            freemail=frozenset(lists["freemail"]),
            shorteners=frozenset(lists["shorteners"]),
            file_hosting=frozenset(lists["file_hosting"]),
            brands=brands,
            brands_cjk=brands_cjk,
            lure_phrases=phrases,
            lure_labels=labels,
            lure_thresholds=thresholds,
            spam_phrases=spam_phrases,
            spam_labels=spam_labels,
            spam_threshold=spam_threshold,
            abused_tlds=frozenset(str(t).lower().lstrip(".") for t in lists["abused_tlds"]),
            download_sources=tuple(profile.trust.download_sources),
        )

    # --- helpers the checks share ------------------------------------------------------------

    @staticmethod
    def registrable(host: str) -> str:
        return registrable(host)

    def is_own(self, domain: str) -> bool:
        return any(domain == d or domain.endswith("." + d) for d in self.own_domains)

    def is_trusted(self, domain: str) -> bool:
        return any(domain == d or domain.endswith("." + d) for d in self.trusted_domains)

    @staticmethod
    def _in(host: str, table: frozenset[str]) -> bool:
        parts = host.split(".")
        return any(".".join(parts[i:]) in table for i in range(len(parts) - 1))

    def is_freemail(self, domain: str) -> bool:
        return self._in(domain, self.freemail)

    def is_shortener(self, host: str) -> bool:
        return host in self.shorteners or self._in(host, self.shorteners)

    def is_file_hosting(self, host: str) -> bool:
        return self._in(host, self.file_hosting)

    def brand_of_domain(self, domain: str) -> str | None:
        """The brand (``lists.yaml``) whose own domain ``domain`` is or is under."""
        if self._brand_domains is None:
            self._brand_domains = {}
            for brand, domains in [*self.brands.values(), *self.brands_cjk.values()]:
                for d in domains:
                    self._brand_domains.setdefault(d.lower(), brand)
        parts = domain.lower().strip(".").split(".")
        for i in range(len(parts) - 1):
            got = self._brand_domains.get(".".join(parts[i:]))
            if got is not None:
                return got
        return None

    def brand_words(self, display: str) -> list[str]:
        return _norm_words(display)

    def brands_in(self, words: list[str]) -> list[tuple[str, list[str]]]:
        """The brands whose word sequence occurs in ``words``, in the brand list's order."""
        by_first = self._brand_heads()
        hit: set[tuple[str, ...]] = set()
        for i, word in enumerate(words):
            for key in by_first.get(word, ()):
                if tuple(words[i : i + len(key)]) == key:
                    hit.add(key)
        return [entry for key, entry in self.brands.items() if key in hit] if hit else []

    def _brand_heads(self) -> dict[str, list[tuple[str, ...]]]:
        """Brand word sequences by their first word (built on first use)."""
        if self._heads is None:
            self._heads = {}
            for key in self.brands:
                if key:
                    self._heads.setdefault(key[0], []).append(key)
        return self._heads

    def cjk_brands_in(self, display: str) -> list[tuple[str, list[str]]]:
        t = unicodedata.normalize("NFKC", display).casefold()
        return [entry for key, entry in self.brands_cjk.items() if key in t]
