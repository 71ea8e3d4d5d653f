"""One message: every check, the combination rule, and the report that explains itself."""

from __future__ import annotations

import re
import time
import unicodedata
from dataclasses import dataclass, field
from email.utils import getaddresses
from itertools import pairwise
from urllib.parse import urlsplit

from koban.intel.matching import findings_for
from koban.mail.attachments import analyse_attachment, passwords_in
from koban.mail.auth import first_arc_results, select_auth_results, verdict_for
from koban.mail.bulk import (
    abused_tld,
    generated_sender,
    subject_bait,
    unsubscribe_offer,
)
from koban.mail.contact import contact_elsewhere
from koban.mail.context import ROLE_WORDS_EN, ROLE_WORDS_JA, MailContext
from koban.mail.fraud import describe, judge_letter
from koban.mail.links import check_link
from koban.mail.lookalike import brand_in_display_name, domain_findings
from koban.mail.lures import digit_disguised_words, normalise_text, score_lures, score_spam
from koban.mail.names import match_executive
from koban.mail.parse import Address, Link, ParsedMessage, parse_message
from koban.model import Finding, Report, Severity
from koban.rules import make_finding
from koban.scoring import finalise

# Operating point chosen on the evaluation corpora for <= 1% flagged ham (see the tests/mail
# evaluation): 2.5 from at least two signals of weight >= 0.5.
COMBINED_MEDIUM = 2.5  # sum of signal weights for mail.combined_signals (medium)
COMBINED_HIGH = 5.5  # ... and for high
WEAK_NEEDED = 1.5  # weak signals needed besides the strong findings for a combination
# Marks of advertising (spam topics, opt-out text, bait in the subject) say "unsolicited
# advertising", which legitimate marketing is too: a combination also needs this much weight
# from signals about deception or abuse (sender, links, authentication, lures...).
ADVERTISING = frozenset(("spam_content", "unsubscribe_without_header", "subject_bait"))
NOT_ADVERTISING_NEEDED = 0.75
# Mathematical alphanumeric symbols and enclosed/squared letters: "𝐘𝐎𝐔𝐑 𝐏𝐇𝐎𝐓𝐎𝐒" reads as text
# to a person but not to a word filter.
_FANCY_LETTERS = re.compile(
    r"[\U0001d400-\U0001d7ff\U0001f130-\U0001f189\u24b6-\u24e9\u1d00-\u1d2b]"
)
_INVISIBLE = re.compile(
    r"[\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff\u00ad\u034f\u180e\U000e0000-\U000e01ef]"
)
_EMAIL_IN_NAME = re.compile(r"[\w.+-]+@([\w-]+(?:\.[\w-]+)+)")


@dataclass
class Signals:
    """Weighted evidence for the combination rule: name -> (weight, why, strong)."""

    items: dict[str, tuple[float, str, bool]] = field(default_factory=dict)

    def add(self, name: str, weight: float, why: str, *, strong: bool = False) -> None:
        if weight <= 0:
            return
        old = self.items.get(name)
        if old is None or old[0] < weight:
            self.items[name] = (weight, why, strong)

    @property
    def total(self) -> float:
        return round(sum(w for w, _, _ in self.items.values()), 2)

    @property
    def weak(self) -> float:
        return round(sum(w for w, _, s in self.items.values() if not s), 2)


def _flag(
    report: Report,
    sig: Signals,
    rule: str,
    message: str,
    evidence: dict[str, object],
    weight: float,
    why: str,
    indicators: list[str] | None = None,
) -> None:
    """A finding of ``rule`` that also weighs ``weight`` in the combination (as ``why``)."""
    report.findings.append(
        make_finding(rule, message, evidence=evidence, indicators=indicators or [])
    )
    sig.add(rule.removeprefix("mail."), weight, why)


def scan_message(raw: bytes, target: str, ctx: MailContext) -> Report:
    """Analyse one RFC 822 message (bytes); the report is finalised (score and verdict)."""
    deadline = time.monotonic() + ctx.limits.seconds
    report = Report(analyser="mail", target=target)
    sig = Signals()
    if len(raw) > ctx.limits.max_message_bytes:
        report.findings.append(
            make_finding(
                "mail.analysis_limit",
                f"message is {len(raw):,} bytes; only the first "
                f"{ctx.limits.max_message_bytes:,} were analysed",
                evidence={"size": len(raw)},
            )
        )
        raw = raw[: ctx.limits.max_message_bytes]
    msg = parse_message(raw)
    if msg.notes:
        report.findings.append(
            make_finding(
                "mail.malformed_mime",
                "message is malformed or mislabelled: " + "; ".join(msg.notes[:5]),
                evidence={"notes": msg.notes},
            )
        )
    text = normalise_text(msg.subject + "\n" + msg.text)
    sender = msg.from_
    _sender_checks(msg, sender, ctx, report, sig)
    _auth_checks(msg, sender, ctx, report, sig)
    _reply_checks(msg, sender, ctx, report, sig)
    lures = score_lures(text, ctx)
    _lure_checks(lures, sender, ctx, report, sig)
    _brand_lure_checks(msg, lures, sender, ctx, report, sig)
    _advance_fee_checks(msg, text, sender, ctx, report, sig)
    _obfuscation_checks(msg, ctx, report, sig)
    _offscreen_checks(msg, report, sig)
    _recipient_checks(msg, report, sig)
    _mass_mail_checks(msg, sender, ctx, report, sig)
    _template_checks(msg, sender, report, sig)
    _image_only_checks(msg, report, sig)
    _html_form_checks(msg, sender, ctx, report, sig)
    _spam_checks(text, ctx, report, sig)
    _bulk_checks(msg, sender, ctx, report, sig)
    passwords = passwords_in(msg.text)
    extra_links: list[str] = []
    intel_targets: list[tuple[str, Report]] = []
    for i, att in enumerate(msg.attachments[: ctx.limits.max_attachments]):
        name = att.filename or f"part-{att.index}"
        if len(att.data) > ctx.limits.max_attachment_bytes:
            report.findings.append(
                make_finding(
                    "mail.analysis_limit",
                    f"attachment {name!r} is {len(att.data):,} bytes: not inspected",
                    kind="attachment",
                )
            )
            continue
        try:
            got = analyse_attachment(
                att.filename or f"part-{att.index}",
                att.data,
                att.content_type,
                f"{target}!{name}",
                name,
                ctx,
                passwords,
                deadline,
            )
        except Exception as exc:  # one hostile attachment must not lose the message's report
            report.findings.append(
                make_finding(
                    "mail.analysis_limit",
                    f"attachment {name!r} could not be analysed ({type(exc).__name__}: {exc})",
                    kind="attachment",
                )
            )
            continue
        if i == 0 and len(msg.attachments) > ctx.limits.max_attachments:
            report.findings.append(
                make_finding(
                    "mail.analysis_limit",
                    f"{len(msg.attachments)} attachments: only the first "
                    f"{ctx.limits.max_attachments} were inspected",
                )
            )
        report.children.append(got.report)
        for k, w in got.weights.items():
            sig.add(
                f"attachment:{k}", w, f"attachment {name!r}: {k.replace('_', ' ')}", strong=w >= 4
            )
        extra_links += got.links
        intel_targets += got.hashes
    links = msg.links + [Link(u, "", "attachment") for u in extra_links]
    sender_reg = ctx.registrable(sender.domain) if sender and sender.domain else ""
    downloads = _link_checks(links, ctx, report, sig, intel_targets, sender_reg)
    _brand_link_checks(links, sender, ctx, report, sig)
    _recruiting_download(lures, downloads, msg, report, sig)
    _intel(msg, ctx, report, sig, intel_targets)
    _combine(report, sig)
    return finalise(report)


# --- sender ------------------------------------------------------------------------------------


def _whose(addr: Address) -> str:
    return addr.address or "(no address)"


def _sender_checks(
    msg: ParsedMessage, sender: Address | None, ctx: MailContext, report: Report, sig: Signals
) -> None:
    f = report.findings
    if sender is None:
        return
    if sender.malformed:
        f.append(
            make_finding(
                "mail.malformed_sender",
                f"From address is not a valid mailbox: {sender.malformed}",
                evidence={"from": sender.address, "display": sender.display},
            )
        )
        sig.add("malformed_sender", 1.5, "malformed From address")
    domain = sender.domain
    outside = bool(domain) and not ctx.is_own(domain)
    freemail = bool(domain) and ctx.is_freemail(domain)
    display = sender.display
    # Executive display-name impersonation.
    hit = match_executive(display, ctx.executives) if display else None
    if hit is not None:
        ex, form = hit
        if sender.address not in ex.emails and (outside or not domain):
            where = "a free webmail account" if freemail else f"the outside domain {domain}"
            title = f" ({ex.title})" if ex.title else ""
            f.append(
                make_finding(
                    "mail.exec_display_name",
                    f"display name {display!r} is executive {ex.name}{title}, but the message "
                    f"comes from {where} ({_whose(sender)}), not from one of their addresses",
                    severity=Severity.MEDIUM if ctx.is_trusted(domain) else None,
                    evidence={
                        "display": display,
                        "executive": ex.name,
                        "matched": form,
                        "address": sender.address,
                        "executive_emails": ex.emails,
                        "freemail": freemail,
                    },
                    indicators=[sender.address] if sender.address else [],
                )
            )
            sig.add("exec_display_name", 5.0, f"executive name {ex.name}", strong=True)
    # Internal role or department, or our organisation's name, from outside.
    role = _role_in(display, ctx) if display else None
    if role and outside and not ctx.is_trusted(domain) and hit is None:
        if ctx.own_domains:
            f.append(
                make_finding(
                    "mail.role_impersonation",
                    f"display name {display!r} names {role}, an internal sender, but the "
                    f"message comes from outside ({_whose(sender)})",
                    evidence={"display": display, "role": role, "address": sender.address},
                    indicators=[sender.address],
                )
            )
            sig.add("role_impersonation", 3.0, f"internal role {role!r} from outside", strong=True)
        else:
            sig.add("role_name", 1.0, f"display name names a role ({role}) from {domain}")
    # A brand in the display name, sent from somewhere else.
    brand = brand_in_display_name(display, domain, ctx) if display else None
    if brand is not None and hit is None:
        name, legit, only_brand = brand
        f.append(
            make_finding(
                "mail.brand_display_name",
                f"display name {display!r} names {name}, but the message comes from "
                f"{domain or 'no valid domain'}, not from {name}'s domains ({legit})",
                severity=None if only_brand else Severity.LOW,
                evidence={"display": display, "brand": name, "domain": domain},
                indicators=[domain] if domain else [],
            )
        )
        sig.add("brand_display_name", 2.5 if only_brand else 1.0, f"brand {name} in the name")
    # An address or domain in the display name that is not the sender's.
    shown = _address_in_name(display, sender, ctx) if display else None
    if shown:
        f.append(
            make_finding(
                "mail.display_name_address",
                f"display name shows {shown!r} but the message comes from {_whose(sender)}",
                evidence={"display": display, "shown": shown, "address": sender.address},
            )
        )
        sig.add("display_name_address", 1.5, f"display name shows {shown}")
    # An organisation's name from free webmail, or a sender on a free hosting platform.
    if freemail and hit is None and role is None and brand is None and display:
        words = set(re.findall(r"[a-z]+", unicodedata.normalize("NFKC", display).casefold()))
        org = sorted(words & _ORG_WORDS)
        if org:
            f.append(
                make_finding(
                    "mail.freemail_org_name",
                    f"display name {display!r} reads like an organisation ({', '.join(org)}) "
                    f"but the address is free webmail ({sender.address})",
                    evidence={"display": display, "address": sender.address, "words": org},
                )
            )
            sig.add("freemail_org_name", 2.0, "organisation name from free webmail")
    pitch_name = (
        _org_name_on_personal_mailbox(display, sender.address, ctx)
        if display and not freemail and hit is None and brand is None
        else None
    )
    if pitch_name:
        _flag(
            report, sig, "mail.personal_mailbox_org_name",
            f"display name {display!r} reads like an organisation or an offer ({pitch_name}) "
            f"but the mailbox {sender.address} is a person's, named nothing like it: a "
            "borrowed or taken-over account",
            {"display": display, "address": sender.address, "why": pitch_name},
            1.0, "organisation name on a person's mailbox",
        )  # fmt: skip
    if domain and ctx.is_file_hosting(domain):
        f.append(
            make_finding(
                "mail.sender_on_hosting",
                f"sender domain {domain} is a site on a free hosting platform, not a mail domain "
                "of an organisation",
                evidence={"domain": domain},
            )
        )
        sig.add("sender_on_hosting", 2.0, f"sender on free hosting ({domain})")
    # Look-alike sender domain.
    if domain:
        got = domain_findings(domain, ctx, role="sender")
        f.extend(got)
        if got:
            sig.add("lookalike_sender", 4.0, f"look-alike sender domain {domain}", strong=True)
    if msg.sender and msg.sender.domain and msg.sender.domain != domain:
        got = domain_findings(msg.sender.domain, ctx, role="sender")
        f.extend(got)
        if got:
            sig.add("lookalike_sender", 4.0, "look-alike Sender domain", strong=True)


_ORG_WORDS = frozenset(
    [
        "team",
        "support",
        "service",
        "services",
        "customer",
        "customers",
        "security",
        "account",
        "accounts",
        "billing",
        "department",
        "dept",
        "official",
        "rewards",
        "reward",
        "bank",
        "banking",
        "notification",
        "notifications",
        "alert",
        "alerts",
        "center",
        "centre",
        "helpdesk",
        "administrator",
        "admin",
        "verification",
        "payments",
        "payment",
        "delivery",
        "shipping",
        "claims",
        "refund",
        "refunds",
        "office",
        "corporation",
        "company",
        "inc",
        "ltd",
        "llc",
        "group",
        "foundation",
    ]
)


# "jordan.jackson1", "emma_petri": a person's mailbox (two names, maybe a short number).
_PERSONAL_LOCAL = re.compile(r"([a-z]{2,})[._]([a-z]{2,})\d{0,4}")
_MAILBOX_WORDS = _ORG_WORDS | frozenset((
    "no", "reply", "noreply", "donotreply", "info", "news", "newsletter", "newsletters", "mail",
    "mailer", "contact", "sales", "hello", "marketing", "web", "webmaster", "postmaster", "list",
    "lists", "bounce", "bounces", "return", "user", "users", "member", "members", "press", "media",
    "jobs", "careers", "hr", "mailing", "update", "updates",
))  # fmt: skip
_PICTO = re.compile(r"[\U0001f300-\U0001faff\u2600-\u27bf]")


def _org_name_on_personal_mailbox(display: str, address: str, ctx: MailContext) -> str | None:
    """Why a display name reads as an organisation or offer when the mailbox is a person's
    ("Rewards Team <jordan.jackson1@...>"), or None."""
    m = _PERSONAL_LOCAL.fullmatch(address.rpartition("@")[0].lower())
    if m is None or {m.group(1), m.group(2)} & _MAILBOX_WORDS:
        return None
    text = unicodedata.normalize("NFKC", display).casefold()
    words = set(re.findall(r"[a-z]+", text))
    if words & {m.group(1), m.group(2)}:
        return None
    org = sorted(words & _ORG_WORDS)
    if org:
        return "words " + ", ".join(org)
    if _PICTO.search(display):
        return "pictographs"
    plain = normalise_text(display)
    if score_lures(plain, ctx).score > 0 or score_spam(plain, ctx).score > 0:
        return "sales or lure words"
    return None


def _role_in(display: str, ctx: MailContext) -> str | None:
    t = unicodedata.normalize("NFKC", display).casefold()
    for w in ROLE_WORDS_JA:
        if w in t:
            return w
    words = re.findall(r"[a-z0-9]+", t)
    joined = " " + " ".join(words) + " "
    for w in ROLE_WORDS_EN:
        if f" {w} " in joined:
            return w
    if ctx.org_words and len(ctx.org_words) <= len(words):
        n = len(ctx.org_words)
        for i in range(len(words) - n + 1):
            if tuple(words[i : i + n]) == ctx.org_words:
                return f"our organisation ({ctx.profile.org.name})"
    return None


def _address_in_name(display: str, sender: Address, ctx: MailContext) -> str | None:
    low = display.lower()
    sender_reg = ctx.registrable(sender.domain) if sender.domain else ""
    for m in _EMAIL_IN_NAME.finditer(low):
        dom = m.group(1).lower()
        if ctx.registrable(dom) != sender_reg and m.group(0) != sender.address:
            return m.group(0)
    return None


# --- authentication ------------------------------------------------------------------------------


def _auth_checks(
    msg: ParsedMessage, sender: Address | None, ctx: MailContext, report: Report, sig: Signals
) -> None:
    if sender is None or not sender.domain:
        return
    headers = msg.header_all("authentication-results")
    v = verdict_for(select_auth_results(headers, ctx.authserv_ids), sender.domain)
    failed = v.failed if v is not None else []
    if not failed:
        _forwarded_auth_checks(msg, sender, ctx, report, sig)
        return
    assert v is not None
    why = ", ".join(failed)
    evidence = {
        "authserv_id": v.authserv_id,
        "trusted": v.trusted,
        "spf": v.spf,
        "dkim": v.dkim,
        "dmarc": v.dmarc,
        "compauth": v.compauth,
        "header_from": v.header_from,
        "from_domain": sender.domain,
    }
    trust_note = (
        f"per {v.authserv_id}"
        if v.trusted
        else f"per an untrusted header by {v.authserv_id or 'an unnamed server'} "
        "(set trust.authserv_ids in the profile to rely on it)"
    )
    if ctx.is_own(sender.domain):
        report.findings.append(
            make_finding(
                "mail.own_domain_spoof",
                f"From claims our own domain {sender.domain} but authentication failed ({why}) "
                f"{trust_note}",
                severity=None if v.trusted else Severity.MEDIUM,
                evidence=evidence,
                indicators=[sender.address],
            )
        )
        sig.add("own_domain_spoof", 5.0 if v.trusted else 3.0, "own domain fails", strong=True)
        return
    partner = ctx.is_trusted(sender.domain)
    brand = None if partner else ctx.brand_of_domain(sender.domain)
    if brand is not None:
        report.findings.append(
            make_finding(
                "mail.brand_domain_spoof",
                f"From claims {brand}'s own domain {sender.domain} but authentication failed "
                f"({why}) {trust_note}",
                evidence=evidence,
                indicators=[sender.address],
            )
        )
        sig.add("brand_domain_spoof", 3.0, f"{brand}'s domain fails authentication", strong=True)
        return
    severity = Severity.MEDIUM if (v.trusted or partner) else Severity.LOW
    who = f"trusted partner domain {sender.domain}" if partner else f"sender domain {sender.domain}"
    report.findings.append(
        make_finding(
            "mail.auth_fail",
            f"{who} is not authenticated ({why}) {trust_note}",
            severity=severity,
            evidence=evidence,
        )
    )
    weight = 2.5 if v.trusted or partner else 1.0
    sig.add("auth_fail", weight, f"authentication failed ({why})", strong=partner)


def _forwarded_auth_checks(
    msg: ParsedMessage, sender: Address, ctx: MailContext, report: Report, sig: Signals
) -> None:
    """The first ARC hop found the From domain unauthenticated; a forwarder hid that."""
    arc = first_arc_results(msg.raw_all("arc-authentication-results"), ctx.authserv_ids)
    v = verdict_for([arc], sender.domain) if arc is not None else None
    if v is None or not v.failed:
        return
    why = ", ".join(v.failed)
    report.findings.append(
        make_finding(
            "mail.auth_fail_before_forwarding",
            f"sender domain {sender.domain} was not authenticated where the message first "
            f"arrived ({why}, per the ARC-Authentication-Results of instance 1 by "
            f"{v.authserv_id or 'an unnamed server'}); a forwarder re-sent it since, so the "
            "final receiver's results describe the forwarder, not the author",
            evidence={"authserv_id": v.authserv_id, "spf": v.spf, "dkim": v.dkim,
                      "dmarc": v.dmarc, "from_domain": sender.domain},
        )
    )  # fmt: skip
    sig.add("auth_fail", 1.0, f"authentication failed before forwarding ({why})")


def _reply_checks(
    msg: ParsedMessage, sender: Address | None, ctx: MailContext, report: Report, sig: Signals
) -> None:
    if sender is None:
        return
    from_reg = ctx.registrable(sender.domain) if sender.domain else ""
    from_free = bool(sender.domain) and ctx.is_freemail(sender.domain)
    for rt in msg.reply_to[:5]:
        if not rt.domain:
            continue
        got = domain_findings(rt.domain, ctx, role="reply-to")
        report.findings.extend(got)
        if got:
            sig.add("lookalike_reply_to", 4.0, f"look-alike Reply-To {rt.domain}", strong=True)
        if ctx.registrable(rt.domain) == from_reg or rt.address == sender.address:
            continue
        free = ctx.is_freemail(rt.domain) and not from_free
        report.findings.append(
            make_finding(
                "mail.reply_to_divergence",
                f"replies go to {rt.address}"
                + (", a free webmail account," if free else "")
                + f" not to the sender's domain {sender.domain or '(none)'}",
                severity=Severity.LOW if free else None,
                evidence={"reply_to": rt.address, "from": sender.address, "freemail": free},
                indicators=[rt.address],
            )
        )
        sig.add(
            "reply_to_divergence",
            1.5 if free else 0.5,
            "Reply-To to free webmail" if free else "Reply-To to another domain",
        )
        break
    own = [a.address for a in (sender, *msg.reply_to, *msg.to) if a.address]
    asked = contact_elsewhere(msg.text, own, ctx.is_freemail)
    if asked is not None:
        address, request = asked
        _flag(
            report, sig, "mail.freemail_contact_in_body",
            f"the text asks to write to {address} ({request[:80]!r}), a free webmail mailbox "
            "that is neither the sender nor the Reply-To: the real correspondent kept out of "
            "the headers",
            {"address": address, "request": request[:200]},
            1.0, f"asks to write to {address}", [address],
        )  # fmt: skip
    rp = msg.return_path
    if rp and rp.domain and from_reg and ctx.registrable(rp.domain) != from_reg:
        got = domain_findings(rp.domain, ctx, role="return-path")
        report.findings.extend(got)
        if got:
            sig.add("lookalike_return_path", 3.0, "look-alike Return-Path", strong=True)
        report.findings.append(
            make_finding(
                "mail.return_path_divergence",
                f"bounces go to {rp.domain}, not to the sender's domain {sender.domain} (common "
                "for mailing services; evidence only with other signals)",
                evidence={"return_path": rp.address, "from": sender.address},
            )
        )
        sig.add("return_path_divergence", 0.25, "Return-Path to another domain")


# --- content -------------------------------------------------------------------------------------


_LATIN = re.compile(r"[A-Za-z]")
_OTHER_LETTER = re.compile(r"[\u0370-\u03ff\u0400-\u04ff]")  # Greek, Cyrillic
_STRAY_MARK = re.compile(r"[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u200b-\u200d\u2060]")
_WORD = re.compile(r"[^\s\d.,;:!?()\[\]{}<>\"'/|*_=+&%$#@~-]{3,}")


def mixed_script_words(text: str) -> list[str]:
    """Latin words carrying Cyrillic/Greek look-alikes or stray Arabic marks (``McDonаld's``)."""
    out: list[str] = []
    if not (_OTHER_LETTER.search(text) or _STRAY_MARK.search(text)):
        return out
    for m in _WORD.finditer(text):
        w = m.group(0)
        if not _LATIN.search(w):
            continue
        if _OTHER_LETTER.search(w) or _STRAY_MARK.search(w.strip("\u200b\u200c\u200d")):
            out.append(w)
            if len(out) >= 5:
                break
    return out


# Lures about money or credentials: from a private webmail account they are not business mail.
_MONEY_LURES = ("advance_fee", "payment", "keys", "credential", "prize", "government")


def _lure_checks(
    lures: object, sender: Address | None, ctx: MailContext, report: Report, sig: Signals
) -> None:
    from koban.mail.lures import LureScore

    assert isinstance(lures, LureScore)
    if lures.score >= 1.0:
        sig.add("lure_language", min(lures.score, 4.0), "lure language")
        money = sorted(c for c in lures.categories if c in _MONEY_LURES)
        if money and sender is not None and sender.domain and ctx.is_freemail(sender.domain):
            report.findings.append(
                make_finding(
                    "mail.freemail_money_lure",
                    f"a private webmail account ({sender.address}) writes about "
                    + ", ".join(ctx.lure_labels[c] for c in money)
                    + ": organisations do not handle money or accounts from free webmail",
                    evidence={"address": sender.address, "categories": money},
                )
            )
            sig.add("freemail_money_lure", 1.0, "money or account lure from free webmail")
    if lures.score < ctx.lure_thresholds["low"]:
        return
    severity = Severity.MEDIUM if lures.score >= ctx.lure_thresholds["medium"] else Severity.LOW
    report.findings.append(
        make_finding(
            "mail.lure_language",
            f"lure language (score {lures.score}): {lures.describe(ctx)}",
            severity=severity,
            kind=",".join(sorted(lures.categories)),
            evidence={"score": lures.score, "categories": lures.categories},
        )
    )


def _advance_fee_checks(
    msg: ParsedMessage,
    text: str,
    sender: Address | None,
    ctx: MailContext,
    report: Report,
    sig: Signals,
) -> None:
    from_reg = ctx.registrable(sender.domain) if sender and sender.domain else ""
    got = judge_letter(
        text,
        freemail=bool(sender and sender.domain and ctx.is_freemail(sender.domain)),
        reply_elsewhere=any(
            rt.domain and ctx.registrable(rt.domain) != from_reg for rt in msg.reply_to[:5]
        ),
        bulk=msg.header("list-id") is not None or msg.header("list-unsubscribe") is not None,
        links=len(msg.links),
    )
    if not got.fires:
        return
    report.findings.append(
        make_finding(
            "mail.advance_fee_letter",
            f"an advance-fee letter (weight {got.score:g}): {describe(got)}",
            evidence={"score": got.score, "markers": got.seen},
        )
    )
    sig.add("advance_fee_letter", 2.0, "advance-fee letter", strong=True)


def _obfuscation_checks(msg: ParsedMessage, ctx: MailContext, report: Report, sig: Signals) -> None:
    where = []
    if _INVISIBLE.search(msg.subject):
        where.append("subject")
    if msg.from_ and _INVISIBLE.search(msg.from_.display):
        where.append("sender name")
    mixed = mixed_script_words(msg.subject + " " + (msg.from_.display if msg.from_ else ""))
    mixed += mixed_script_words(msg.text[:20000])
    if mixed:
        where.append("words mixing scripts or carrying stray marks: " + ", ".join(mixed[:3]))
    disguised = digit_disguised_words(
        msg.subject + "\n" + (msg.from_.display if msg.from_ else "") + "\n" + msg.text[:20000],
        ctx,
    )
    if disguised:
        where.append("words spelled with digits for letters: " + ", ".join(disguised[:3]))
    shown = (("subject", msg.subject), ("sender name", msg.from_.display if msg.from_ else ""))
    fancy = [w for w, v in shown if len(_FANCY_LETTERS.findall(v)) >= 3]
    if fancy:
        where.append("letters in look-alike symbol fonts in the " + " and ".join(fancy))
    hidden = msg.html.hidden_text if msg.html else ""
    hidden_words = len(hidden.split())
    if hidden_words >= 60:
        where.append(f"{hidden_words} hidden words in the HTML body")
    if not where:
        return
    report.findings.append(
        make_finding(
            "mail.obfuscated_text",
            "text hidden from the reader or filters: invisible characters or CSS-hidden text in "
            + ", ".join(where),
            evidence={"where": where, "hidden_sample": hidden[:200]},
        )
    )
    sig.add(
        "obfuscated_text",
        2.5 if mixed or fancy or disguised else 1.5,
        "hidden, invisible or look-alike text",
    )


def _offscreen_checks(msg: ParsedMessage, report: Report, sig: Signals) -> None:
    """CSS that moves content out of the reader's view: shown to filters, not to people."""
    css = msg.html.offscreen if msg.html else []
    if not css:
        return
    report.findings.append(
        make_finding(
            "mail.offscreen_content",
            "the HTML moves content out of the reader's view ("
            + ", ".join(repr(c) for c in css[:3])
            + "): filters and previews read what the person does not see",
            evidence={"css": css},
        )
    )
    sig.add("offscreen_content", 1.5, "content moved out of view by CSS")


_REPLY_PREFIX = re.compile(r"^(?:\s*(?:re|fw|fwd|aw|wg|tr|enc|res|rv)\s*:)+", re.IGNORECASE)
_ADDRESS = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)*", re.ASCII)
_SUBJECT_WORD = re.compile(r"[^\W\d_]{2,}")


def addressed_in_subject(subject: str) -> str | None:
    """The mailbox a subject calls out like a name ("user@example.jp, your offer is here",
    "Your parcel is waiting, user@example.jp!"), or None. A subject that is only an address
    ("Re: user@example.jp") is a topic, not a greeting."""
    text = _REPLY_PREFIX.sub("", subject).strip()
    m = _ADDRESS.search(text)
    if m is None or len(_SUBJECT_WORD.findall(_ADDRESS.sub(" ", text))) < 2:
        return None
    before, after = text[: m.start()].rstrip(), text[m.end() :].strip()
    if not before:  # "user@example.jp, ..."
        called = after[:1] in (",", "!", ":")
    elif not after.strip("!.?"):  # "..., user@example.jp" / "... user@example.jp !"
        called = before[-1] in ",:!." or bool(after)
    else:  # "Last reminder: user@example.jp, ..."
        called = before[-1] in ",:" and after[:1] in (",", "!")
    return m.group(0) if called else None


def _recipient_checks(msg: ParsedMessage, report: Report, sig: Signals) -> None:
    """The recipient's own address in the subject or sender name: mass personalisation."""
    if msg.from_ and not any(r.address and r.address.lower() in msg.subject.lower()
                             for r in msg.to):  # fmt: skip
        called = addressed_in_subject(msg.subject)
        if called is not None:
            report.findings.append(
                make_finding(
                    "mail.addressed_in_subject",
                    f"the subject calls out the mailbox {called} like a name: mass-personalised "
                    "mail fills in the address it has where a person would write a name",
                    evidence={"address": called, "subject": msg.subject[:200]},
                )
            )
            sig.add("recipient_in_subject", 1.0, f"subject addressed to {called}")
    if not msg.to or not msg.from_:
        return
    rcpt = msg.to[0].address
    if not rcpt or "@" not in rcpt or msg.from_.address == rcpt:
        if rcpt and msg.from_.address == rcpt:
            report.findings.append(
                make_finding(
                    "mail.recipient_as_sender",
                    f"the message claims to come from its own recipient ({rcpt}): a spoofing "
                    "trick of extortion and phishing mail",
                    evidence={"address": rcpt},
                )
            )
            sig.add("recipient_as_sender", 0.5, "sender is the recipient")
        return
    where = [w for w, v in (("subject", msg.subject), ("sender name", msg.from_.display))
             if rcpt in v.lower()]  # fmt: skip
    if where:
        report.findings.append(
            make_finding(
                "mail.recipient_in_subject",
                f"the recipient's address {rcpt} is written into the {' and '.join(where)}: "
                "mass-personalised lure",
                evidence={"address": rcpt, "where": where},
            )
        )
        sig.add("recipient_in_subject", 1.5, "recipient address in subject or sender name")


# A token mixing upper case, lower case and digits ("Zi9yvh51JBhF"), or a long digit run in the
# sender name: filler that makes each copy of a mass mailing unique to defeat checksum filters.
_TOKEN = re.compile(r"(?<![\w./@=%+-])[A-Za-z0-9]{8,}(?![\w./@=%+-])")
_DIGITS_IN_NAME = re.compile(r"\d{6,}")


def _random_token(text: str) -> str | None:
    for m in _TOKEN.finditer(text):
        t = m.group(0)
        upper = sum(c.isupper() for c in t)
        lower = sum(c.islower() for c in t)
        digits = sum(c.isdigit() for c in t)
        if upper < 2 or lower < 2 or digits < 1:
            continue
        # case changes inside the token: "McAfee2024" has two, random filler many
        changes = sum(1 for a, b in pairwise(t) if a.isupper() != b.isupper())
        if changes >= 4:
            return t
    return None


def _mass_mail_checks(
    msg: ParsedMessage, sender: Address | None, ctx: MailContext, report: Report, sig: Signals
) -> None:
    display = sender.display if sender else ""
    token = _random_token(msg.subject) or _random_token(display)
    if token is None and display:
        m = _DIGITS_IN_NAME.search(display)
        token = m.group(0) if m else None
    if token is not None:
        report.findings.append(
            make_finding(
                "mail.random_token",
                f"random-looking filler {token!r} in the subject or sender name: makes each copy "
                "of a mass mailing unique so that filters cannot match them",
                evidence={"token": token, "subject": msg.subject[:200], "display": display},
            )
        )
        sig.add("random_token", 1.0, f"random filler {token!r} in the subject or sender name")
    from_values = msg.raw_all("from")
    if from_values:
        boxes = [a for _, a in getaddresses(from_values[:3])]
        # "user@example.com <user@example.com>" splits in two but names one mailbox
        if len(boxes) > 1 and len({b.strip().lower() for b in boxes}) > 1:
            report.findings.append(
                make_finding(
                    "mail.multiple_from",
                    f"the From header holds {len(boxes)} mailboxes (or empty ones): a forged "
                    "header built to show a chosen name, not what mail software writes",
                    evidence={"from": [v[:200] for v in from_values[:3]]},
                )
            )
            sig.items.pop("malformed_sender", None)  # the same forged header, counted once
            sig.add("multiple_from", 1.5, "several mailboxes in From")


# Runs of punctuation decorating a sender name ("--Aviso**", "Payment..Required", "~..Info.."):
# written to break up words that filters look for.
_DECORATION = re.compile(r"(?:\.\.|--|\*\*|~|!\.|\.!|_{2,}|\|\|)")
_GREETINGS = (
    "dear", "hello", "hi", "hallo", "guten tag", "sehr geehrte", "sehr geehrter", "liebe", "lieber",
    "beste", "geachte", "hoi", "bonjour", "cher", "chère", "olá", "ola", "prezado", "prezada",
    "caro", "cara", "hola", "estimado", "estimada",
    # forms of address and calls for attention that precede a name the same way
    "sr(a)", "sr.(a)", "srº(a)", "sr.ª", "sr", "sr.", "sra", "sra.", "mr", "mr.", "mrs", "mrs.",
    "ms", "ms.", "herr", "frau", "attention", "atenção", "atencao", "atención", "achtung",
)  # fmt: skip


def _mass_greeting(msg: ParsedMessage) -> str | None:
    """A greeting addressed to the recipient's mailbox name ("Dear john.smith,")."""
    if not msg.to or not msg.to[0].address or "@" not in msg.to[0].address:
        return None
    rcpt = msg.to[0].address.lower()
    local = rcpt.split("@", 1)[0]
    # a local part that is a plain word may be the reader's first name ("Hello bill")
    names = (rcpt, local) if len(local) >= 3 and re.search(r"[\d._-]", local) else (rcpt,)
    head = " ".join(msg.text[:3000].split()).casefold()
    for g in _GREETINGS:
        for who in names:
            for sep in (" ", ", ", ": "):
                probe = f"{g}{sep}{who}"
                i = head.find(probe)
                if i < 0 or (i and head[i - 1].isalnum()):
                    continue
                after = head[i + len(probe) : i + len(probe) + 1]
                if not after or not (after.isalnum() or after in "._-@"):
                    return probe
    return None


# "(1)" as an app shows unread items: a count of one to nine in parentheses, standing alone.
_BADGE = re.compile(r"(?<![\w(])\(\s?[1-9]\s?\)(?![\w)/])")


def _template_checks(
    msg: ParsedMessage, sender: Address | None, report: Report, sig: Signals
) -> None:
    """Marks of mass-produced mail: a decorated sender name, an unread-count badge, a
    mailbox-name greeting."""
    display = sender.display if sender else ""
    deco = _DECORATION.findall(display)
    if display and (len(deco) >= 2 or (deco and display.lstrip()[:1] in "-~*._")):
        report.findings.append(
            make_finding(
                "mail.decorated_sender_name",
                f"sender name {display!r} is broken up by runs of punctuation, a way to slip "
                "words past filters that no real organisation writes",
                evidence={"display": display, "runs": deco[:5]},
            )
        )
        sig.add("decorated_sender_name", 1.0, "sender name broken up by punctuation")
    counter = next(
        (m.group(0) for v in (msg.subject, display) if (m := _BADGE.search(v)) is not None), None
    )
    if counter is not None:
        _flag(
            report, sig, "mail.notification_badge",
            f'the subject or sender name carries an unread-count badge {counter!r} ("NEW '
            "MESSAGE (1)\"): it imitates an app's notification to draw a click",
            {"badge": counter, "subject": msg.subject[:200], "display": display},
            1.0, f"notification badge {counter!r}",
        )  # fmt: skip
    greeting = _mass_greeting(msg)
    if greeting is not None:
        report.findings.append(
            make_finding(
                "mail.mailbox_greeting",
                f"the text greets the reader by their mailbox name ({greeting!r}): the sender "
                "knows an address, not a person",
                evidence={"greeting": greeting},
            )
        )
        sig.add("mailbox_greeting", 1.5, "greets the reader by mailbox name")


_ACCOUNT_LURES = ("credential", "payment", "delivery", "subscription", "prize", "keys")


def _brand_lure_checks(
    msg: ParsedMessage,
    lures: object,
    sender: Address | None,
    ctx: MailContext,
    report: Report,
    sig: Signals,
) -> None:
    """The subject names a brand, the text lures about that account, the sender is elsewhere."""
    from koban.mail.lures import LureScore

    assert isinstance(lures, LureScore)
    if sender is None or not msg.subject or lures.score < 1.0:
        return
    kinds = sorted(c for c in lures.categories if c in _ACCOUNT_LURES)
    if not kinds:
        return
    if sender.display and brand_in_display_name(sender.display, sender.domain, ctx) is not None:
        return  # counted as display-name impersonation already
    brand = brand_in_display_name(msg.subject, sender.domain, ctx)
    if brand is None:
        return
    name, legit, _ = brand
    report.findings.append(
        make_finding(
            "mail.brand_subject_lure",
            f"the subject names {name} and the text is a "
            + ", ".join(ctx.lure_labels[c] for c in kinds)
            + f", but the message comes from {sender.domain or 'no valid domain'}, not from "
            f"{name}'s domains ({legit})",
            evidence={"brand": name, "domain": sender.domain, "categories": kinds},
        )
    )
    sig.add("brand_subject_lure", 1.0, f"{name} named in the subject of a lure")


_MOSTLY_PICTURE_WORDS = 40


def _image_only_checks(msg: ParsedMessage, report: Report, sig: Signals) -> None:
    """An HTML body with links but (almost) no text: the message is a picture of text."""
    html = msg.html
    if html is None or not msg.html_only or not html.links:
        return
    words = len(re.findall(r"\w{2,}", html.text))
    if words >= 15:
        if words < _MOSTLY_PICTURE_WORDS and html.remote_images:
            report.findings.append(
                make_finding(
                    "mail.image_only_body",
                    f"the HTML body shows {html.remote_images} remote picture(s) with only "
                    f"{words} words of text: the message is mostly a picture of text",
                    evidence={"words": words, "images": html.remote_images},
                )
            )
            sig.add("image_only_body", 0.75, "mostly pictures, little text")
        return
    report.findings.append(
        make_finding(
            "mail.image_only_body",
            f"the HTML body has {len(html.links)} link(s) but only {words} word(s) of text: "
            "the message is a picture of text, which keeps its words from filters",
            evidence={"words": words, "links": len(html.links)},
        )
    )
    sig.add("image_only_body", 1.5, "links but almost no text")


def _html_form_checks(
    msg: ParsedMessage, sender: Address | None, ctx: MailContext, report: Report, sig: Signals
) -> None:
    """A password field in the message body: mail never needs to collect a password."""
    html = msg.html
    if html is None or not html.password_inputs:
        return
    sender_reg = ctx.registrable(sender.domain) if sender and sender.domain else ""
    external = []
    for action in html.forms:
        low = action.strip().lower()
        if low.startswith(("http://", "https://")):
            try:
                host = (urlsplit(action.strip()).hostname or "").lower()
            except ValueError:
                host = ""
            if host and ctx.registrable(host) != sender_reg:
                external.append(host)
    if not html.password_inputs:
        return  # newsletters carry search and subscribe forms posting to other hosts
    what = "a password field"
    where = f" that posts to {external[0]}" if external else ""
    report.findings.append(
        make_finding(
            "mail.html_form",
            f"the message body holds {what}{where}: credentials typed into mail go straight to "
            "whoever runs that host",
            evidence={"actions": html.forms[:5], "password_inputs": html.password_inputs},
            indicators=external[:3],
        )
    )
    sig.add("html_form", 3.0, f"{what} in the body{where}")


def _spam_checks(text: str, ctx: MailContext, report: Report, sig: Signals) -> None:
    """Unsolicited-advertising topics (adult, pharmacy and diet, commercial offers)."""
    spam = score_spam(text, ctx)
    if spam.score < ctx.spam_threshold:
        return
    report.findings.append(
        make_finding(
            "mail.spam_content",
            f"spam topics (score {spam.score}): {spam.describe(ctx, ctx.spam_labels)}",
            kind=",".join(sorted(spam.categories)),
            evidence={"score": spam.score, "categories": spam.categories},
        )
    )
    sig.add("spam_content", min(spam.score, 2.0), "spam topics")


def _bulk_checks(
    msg: ParsedMessage, sender: Address | None, ctx: MailContext, report: Report, sig: Signals
) -> None:
    """Marks of mass mailing by someone who does not follow the rules of legitimate bulk mail."""
    f = report.findings
    names = {k for k, _ in msg.raw_headers}
    # HTML bulk mail: every mailing service that builds HTML campaigns sets the header; plain
    # text digests of small list servers often do not
    if msg.html is not None and "list-unsubscribe" not in names and "list-id" not in names:
        offer = unsubscribe_offer(msg.text)
        if offer is not None:
            f.append(
                make_finding(
                    "mail.unsubscribe_without_header",
                    f"the text offers to unsubscribe ({offer[:120]!r}) but the message has no "
                    "List-Unsubscribe header, which bulk senders must set",
                    evidence={"text": offer[:200]},
                )
            )
            sig.add("unsubscribe_without_header", 0.75, "opt-out text without the header")
    if sender is not None and sender.domain and "@" in sender.address:
        local = sender.address.rsplit("@", 1)[0]
        why = generated_sender(local, sender.domain, ctx.registrable(sender.domain))
        if why is not None:
            f.append(
                make_finding(
                    "mail.generated_sender",
                    f"the sender address {sender.address} looks machine-made: {why}",
                    evidence={"address": sender.address, "why": why},
                )
            )
            sig.add("generated_sender", 1.0, f"machine-made sender address ({why})")
    where: list[str] = []
    if sender is not None and sender.domain:
        tld = abused_tld(sender.domain, ctx.abused_tlds)
        if tld:
            where.append(f"sender domain {sender.domain}")
            sig.add("abused_tld_sender", 0.75, f"sender on the .{tld} top-level domain")
    for link in msg.links[:50]:
        try:
            host = (urlsplit(link.url).hostname or "").lower()
        except ValueError:
            continue
        tld = abused_tld(host, ctx.abused_tlds) if host else None
        if tld:
            where.append(f"link host {host}")
            sig.add("abused_tld_link", 0.5, f"link on the .{tld} top-level domain")
            break
    if where:
        f.append(
            make_finding(
                "mail.abused_tld",
                f"{' and '.join(where)} on a top-level domain where most names seen in mail "
                "are abusive",
                evidence={"where": where},
            )
        )
    # the webmail domain itself: the provider's own services send from its subdomains
    if sender is not None and msg.html_only and sender.domain in ctx.freemail:
        f.append(
            make_finding(
                "mail.freemail_html_only",
                f"a free webmail account ({sender.address}) sent an HTML-only message: webmail "
                "clients send a plain-text part too, mass-mailing tools that borrow accounts do "
                "not",
                evidence={"address": sender.address},
            )
        )
        sig.add("freemail_html_only", 1.0, "HTML-only mail from free webmail")
    display = sender.display if sender else ""
    pitch = score_lures(normalise_text(display), ctx) if display else None
    if pitch is not None and pitch.score >= 1.0:
        f.append(
            make_finding(
                "mail.lure_sender_name",
                f"the sender name {display!r} is a sales or lure pitch "
                f"({pitch.describe(ctx)}), not the name of a person or an organisation",
                evidence={"display": display[:200], "categories": pitch.categories},
            )
        )
        sig.add("lure_sender_name", 1.0, "the sender name is a pitch")
    bait = subject_bait(msg.subject, display)
    if bait is not None:
        f.append(
            make_finding(
                "mail.subject_bait",
                f"the subject or sender name carries {bait!r}: pictographs and money or "
                "discount figures are bait of advertising mail",
                evidence={"subject": msg.subject[:200], "display": display[:200], "bait": bait},
            )
        )
        sig.add("subject_bait", 0.5, f"bait {bait!r} in the subject or sender name")


def _brand_link_checks(
    links: list[Link], sender: Address | None, ctx: MailContext, report: Report, sig: Signals
) -> None:
    """The display name names a brand and the links lead to none of its domains."""
    if sender is None or not sender.display:
        return
    brand = brand_in_display_name(sender.display, sender.domain, ctx)
    if brand is None:
        return
    name, legit, _ = brand
    domains = [d.strip() for d in legit.split(",")]
    hosts = []
    for link in links:
        if not link.url.lower().startswith(("http://", "https://")):
            continue
        try:
            host = (urlsplit(link.url).hostname or "").lower()
        except ValueError:
            continue
        if host:
            hosts.append(host)
    if not hosts:
        return
    if any(ctx.registrable(h) in domains for h in hosts):
        return
    others = sorted({ctx.registrable(h) or h for h in hosts})
    report.findings.append(
        make_finding(
            "mail.brand_links_elsewhere",
            f"the sender name names {name} but none of the {len(hosts)} links goes to "
            f"{name}'s domains ({legit}); they go to {', '.join(others[:3])}",
            evidence={"brand": name, "link_domains": others[:10]},
            indicators=others[:3],
        )
    )
    sig.add("brand_links_elsewhere", 1.5, f"{name} named, links go elsewhere")


def _link_checks(
    links: list[Link],
    ctx: MailContext,
    report: Report,
    sig: Signals,
    intel_targets: list[tuple[str, Report]],
    sender_reg: str = "",
) -> list[str]:
    downloads: list[str] = []
    seen: set[str] = set()
    for link in links:
        if len(seen) >= ctx.limits.max_links:
            report.findings.append(
                make_finding(
                    "mail.analysis_limit",
                    f"more than {ctx.limits.max_links} links: the rest were not checked",
                )
            )
            break
        if link.url in seen:
            continue
        seen.add(link.url)
        res = check_link(link, ctx)
        child = Report(analyser="url", target=res.url[:2000], findings=res.findings)
        report.children.append(child)
        for k, w in res.weights.items():
            if (
                k == "text_mismatch"
                and w < 3
                and res.host
                and sender_reg == ctx.registrable(res.host)
            ):
                # the sender's own click-tracking host behind a link that shows the article's
                # site: newsletters do this; deceptive only when it imitates us or a partner
                w = 0.5
            sig.add(f"link:{k}", w, f"link {k.replace('_', ' ')} ({res.host or res.url[:40]})",
                    strong=w >= 3)  # fmt: skip
        if res.download:
            downloads.append(res.url)
        if res.url.lower().startswith(("http://", "https://")):
            intel_targets.append((res.url, child))
    return downloads


def _recruiting_download(
    lures: object, downloads: list[str], msg: ParsedMessage, report: Report, sig: Signals
) -> None:
    from koban.mail.lures import LureScore

    assert isinstance(lures, LureScore)
    recruiting = lures.categories.get("recruiting", [])
    strong = [
        p for p in recruiting if p not in ("interview", "salary", "recruiter", "面接", "年収")
    ]
    if not strong:
        return
    archives = [
        c.target
        for c in report.children
        if c.analyser == "mail"
        and any(
            f.rule in ("mail.attachment_dangerous_type", "mail.attachment_macro",
                       "mail.attachment_encrypted", "mail.archive_not_inspected")
            or (f.evidence.get("type") in ("zip", "7z", "rar"))
            for r in c.walk()
            for f in r.findings
        )
    ]  # fmt: skip
    if not downloads and not archives:
        return
    what = downloads[0] if downloads else archives[0]
    report.findings.append(
        make_finding(
            "mail.recruiting_download",
            f"recruiting lure ({', '.join(repr(p) for p in strong[:3])}) with code or an app to "
            f"download or open ({what[:120]}): the TraderTraitor / fake-recruiter pattern",
            evidence={"phrases": strong, "downloads": downloads[:5], "attachments": archives[:5]},
        )
    )
    sig.add("recruiting_download", 4.0, "recruiting lure with a download", strong=True)


# --- intel ---------------------------------------------------------------------------------------


def _intel(
    msg: ParsedMessage,
    ctx: MailContext,
    report: Report,
    sig: Signals,
    targets: list[tuple[str, Report]],
) -> None:
    if ctx.store is None:
        return
    values: list[tuple[str, Report]] = []
    for addr in [msg.from_, msg.sender, msg.return_path, *msg.reply_to]:
        if addr is not None and addr.domain:
            values.append((addr.address, report))
    values += targets
    if not values:
        return
    queries = list(dict.fromkeys(v for v, _ in values))
    try:
        results = dict(zip(queries, ctx.store.lookup_many(queries), strict=True))
    except Exception as exc:  # a broken store must not lose the message's other findings
        report.findings.append(
            make_finding("mail.analysis_limit", f"intel store lookup failed ({exc})")
        )
        return
    done: set[tuple[str, int]] = set()
    for value, where in values:
        key = (value, id(where))
        if key in done or not results.get(value):
            continue
        done.add(key)
        found: list[Finding] = findings_for(value, results[value])
        where.findings.extend(found)
        if any(x.severity.rank >= Severity.MEDIUM.rank for x in found):
            sig.add("intel", 4.0, f"intel match for {value[:60]}", strong=True)


def _combine(report: Report, sig: Signals) -> None:
    total = sig.total
    counted = [k for k, (w, _, _) in sig.items.items() if w >= 0.5]
    if total < COMBINED_MEDIUM or len(counted) < 2 or sig.weak < WEAK_NEEDED:
        return
    if sum(w for k, (w, _, _) in sig.items.items() if k not in ADVERTISING) < (
        NOT_ADVERTISING_NEEDED
    ):
        return
    parts = sorted(sig.items.items(), key=lambda kv: -kv[1][0])
    listing = "; ".join(f"{why} (+{w:g})" for _, (w, why, _) in parts)
    report.findings.append(
        make_finding(
            "mail.combined_signals",
            f"several signals together (weight {total:g}): {listing}",
            severity=Severity.HIGH if total >= COMBINED_HIGH else Severity.MEDIUM,
            evidence={"total": total, "signals": {k: w for k, (w, _, _) in parts}},
        )
    )
