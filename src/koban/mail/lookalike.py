"""Every look-alike question the mail analyser asks goes through here (one integration point).

Look-alike detection itself belongs to the URL analyser (:mod:`koban.url`: weighted edit
distance, UTS #39 skeletons, bitsquats, TLD swaps, keyword combos, the curated brand list and
the profile's own and trusted domains). This module turns its verdict on a sender, Reply-To or
Return-Path domain, or on a link, into the mail rules (``mail.lookalike_sender``,
``mail.lookalike_reply_to``, ``mail.link_lookalike``) so that a message's report says which
header or link imitates what, with the URL analyser's explanation and evidence attached.
It also finds brand names in display names (``brand_in_display_name``).
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache
from typing import TYPE_CHECKING

from koban.errors import InputError
from koban.model import Finding, Severity
from koban.rules import make_finding
from koban.url import check_domain, check_url
from koban.url.skeletons import prototypes

if TYPE_CHECKING:
    from koban.mail.context import MailContext

# URL-analyser rules that mean "imitates something" (not: raw IP host, brand named in a path).
LOOKALIKE_RULES = frozenset(
    {
        "url.typosquat",
        "url.bitsquat",
        "url.homoglyph",
        "url.tld_swap",
        "url.combosquat",
        "url.brand_subdomain",
        "url.subdomain_disguise",
        "url.idn_spoof",
        "url.userinfo",
    }
)
_MIN_SEVERITY = Severity.MEDIUM  # low/info URL findings are doubts, not look-alikes


def _imitations(findings: list[Finding]) -> list[Finding]:
    """Look-alike findings, those naming what they imitate first, then by severity."""
    hits = [
        f for f in findings if f.rule in LOOKALIKE_RULES and f.severity.rank >= _MIN_SEVERITY.rank
    ]
    return sorted(hits, key=lambda f: ("legit_domain" not in f.evidence, -f.severity.rank))


def domain_findings(domain: str, ctx: MailContext, *, role: str = "sender") -> list[Finding]:
    """Look-alike findings for a mail domain (``role``: sender, reply-to, return-path)."""
    if not domain:
        return []
    try:
        hits = _imitations(check_domain(domain, ctx.url_context))
    except InputError:
        return []  # not a domain the URL analyser can parse: other checks report it
    rule = "mail.lookalike_reply_to" if role != "sender" else "mail.lookalike_sender"
    return [
        make_finding(
            rule,
            f"{role} domain {domain}: {hit.message}",
            severity=hit.severity,
            evidence={"domain": domain, "role": role, "url_rule": hit.rule, **hit.evidence},
            indicators=[domain],
        )
        for hit in hits[:1]
    ]


def url_findings(url: str, host: str, ctx: MailContext) -> list[Finding]:
    """Look-alike findings for a link (its host, userinfo tricks, brand subdomains)."""
    if not host:
        return []
    try:
        hits = _imitations(check_url(url, ctx.url_context))
    except InputError:
        return []
    return [
        make_finding(
            "mail.link_lookalike",
            f"link {url[:120]}: {hit.message}",
            severity=hit.severity,
            evidence={"host": host, "url_rule": hit.rule, **hit.evidence},
            indicators=[url],
        )
        for hit in hits[:1]
    ]


_SERVICE_WORDS = frozenset(
    [
        "account",
        "accounts",
        "team",
        "support",
        "security",
        "service",
        "services",
        "notification",
        "notifications",
        "alert",
        "alerts",
        "billing",
        "customer",
        "customers",
        "care",
        "no",
        "reply",
        "noreply",
        "do",
        "not",
        "online",
        "help",
        "desk",
        "center",
        "centre",
        "official",
        "info",
        "mail",
        "email",
        "message",
        "messages",
        "admin",
        "verification",
        "verify",
        "wallet",
        "app",
        "inc",
        "ltd",
        "llc",
        "co",
        "corp",
        "com",
        "jp",
        "the",
        "de",
        "do",
        "da",
        "e",
        "and",
        "mobile",
        "web",
        "store",
        "pay",
        "payments",
        "bank",
        "banking",
        "id",
        "protect",
        "protection",
        "sign",
        "in",
        "login",
        "update",
        "updates",
        "notice",
        "japan",
        "us",
        "uk",
        # the same service words in German, Dutch, French, Spanish and Portuguese
        "kundenservice",
        "kundendienst",
        "kunden",
        "kundenkonto",
        "konto",
        "sicherheit",
        "nachricht",
        "von",
        "ihr",
        "ihre",
        "klantenservice",
        "klantendienst",
        "klant",
        "uw",
        "rekening",
        "beveiliging",
        "votre",
        "compte",
        "securite",
        "livraison",
        "colis",
        "client",
        "clients",
        "servicio",
        "cliente",
        "clientes",
        "cuenta",
        "seguridad",
        "equipo",
        "equipe",
        "servico",
        "atendimento",
        "relacionamento",
        "conta",
        "seguranca",
        "aviso",
        "notificacao",
        "entrega",
        "rastreio",
        "banco",
        "status",
        "your",
        "rewards",
        "recompensas",
        "prime",
    ]
)


_INNER_MARK = re.compile(r"(?<=[^\W\d_])['\u2019`\u00b4](?=[^\W\d_])")


def brand_in_display_name(
    display: str, domain: str, ctx: MailContext
) -> tuple[str, str, bool] | None:
    """(brand, its domains, nothing-but-the-brand) when the display name names a brand that the
    sender's domain does not belong to. ``nothing-but-the-brand``: the other words are generic
    service words ("Microsoft account team"), not another business ("Lockergnome Apple Core").

    Fallback brand list in ``lists.yaml``; the url analyser's curated list will replace it."""
    if not display:
        return None
    plain = skeleton_text(display)
    words = ctx.brand_words(plain)
    found = ctx.brands_in(words) + ctx.cjk_brands_in(display)
    if not found:  # "Banco.Bradesco", "Netflix-Support": the brand glued to other words
        split = [p for w in words for p in re.split(r"[.-]", w) if p]
        if split != words:
            words = split
            found = ctx.brands_in(words)
    if not found and _INNER_MARK.search(plain):  # "D'isney Plus": a mark to break up the name
        words = ctx.brand_words(_INNER_MARK.sub("", plain))
        found = ctx.brands_in(words)
    if not found:
        return None
    reg = ctx.registrable(domain) if domain else ""
    own = reg.split(".", 1)[0] if reg else ""
    if len(own) >= 4 and own in words:
        return None  # "Lockergnome Apple Core" from lockergnome.com: a sender naming its topic
    for brand, domains in found:
        if reg and any(reg == d or reg.endswith("." + d) for d in domains):
            continue
        if reg and reg in ctx.protected:
            continue
        brand_words = set(ctx.brand_words(brand))
        rest = [w for w in words if w not in brand_words and w not in _SERVICE_WORDS]
        only = not rest or not brand.isascii()
        return brand, ", ".join(domains[:3]), only
    return None


@cache
def _script_confusables() -> dict[int, str]:
    """Non-ASCII letters whose UTS #39 prototype is ASCII (Cyrillic а → a, Greek ο → o)."""
    return {
        cp: proto
        for cp, proto in prototypes().items()
        if cp > 0x7F and proto.isascii() and proto.isalpha()
    }


_MARKS = re.compile("[\u2122\u00ae\u00a9\u2120]")


def skeleton_text(text: str) -> str:
    """Text with marks dropped and Cyrillic/Greek look-alikes mapped to Latin (case kept)."""
    t = _MARKS.sub(" ", text)  # "Mcafee™": NFKD would turn ™ into "TM"
    t = unicodedata.normalize("NFKD", t)
    t = "".join(
        c
        for c in t
        if not unicodedata.combining(c)
        and c not in "\u200b\u200c\u200d"
        and not "\U000e0000" <= c <= "\U000e01ef"  # tag characters, variation selectors
    )
    return t.translate(_script_confusables())
