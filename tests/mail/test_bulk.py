"""Units of the bulk-mail marks (koban.mail.bulk), the disguised-host check and phrase scoring."""

from __future__ import annotations

import pytest

from koban.mail import MailContext
from koban.mail.bulk import (
    abused_tld,
    generated_sender,
    gibberish,
    subject_bait,
    unsubscribe_offer,
)
from koban.mail.context import LurePhrase
from koban.mail.links import obfuscated_host
from koban.mail.lures import _find_word, score_phrases, score_spam


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("Great deals.\n\nTo unsubscribe click here.", True),
        ("Angebote der Woche. Newsletter abbestellen", True),
        ("Clique aqui para descadastrar seu e-mail", True),
        ("配信停止はこちら", True),
        ("Minutes of the meeting, nothing else.", False),
    ],
)
def test_unsubscribe_offer(text: str, found: bool) -> None:
    assert (unsubscribe_offer(text) is not None) is found


def test_unsubscribe_offer_reads_head_and_footer_only() -> None:
    middle = "x " * 10_000 + "unsubscribe " + "y " * 10_000
    assert unsubscribe_offer(middle) is None
    assert unsubscribe_offer("unsubscribe " + "y " * 10_000) is not None


@pytest.mark.parametrize(
    ("name", "random"),
    [
        ("kmjbrckhzq", True),
        ("yxnvwvdgd", True),
        ("lcfnupd", True),  # seven letters, nearly every pair rare
        ("margaret", False),
        ("thompson", False),
        ("schwarzkopf", False),
        ("mcmasjc", False),  # short initials-like names are left alone
        ("rpm2forge", False),  # digits: not judged
    ],
)
def test_gibberish(name: str, random: bool) -> None:
    assert gibberish(name) is random


@pytest.mark.parametrize(
    ("local", "domain", "registrable", "why"),
    [
        ("lina_becky_92427", "offers4u.example.com", "example.com", "serial"),
        ("new_offre_1_71624", "hinata.example.ai", "example.ai", "serial"),
        ("green.monica645794", "gmail.com", "gmail.com", "serial"),
        ("info", "yxnvwvdgd.com", "yxnvwvdgd.com", "random letters"),
        ("kerrill", "j.u.t.o.s.b.i.example.shop", "example.shop", "one-letter"),
        ("john.smith", "example.org", "example.org", None),
        ("david_hamilton3", "example.com", "example.com", None),
        ("kevin+dated+1031410733.71e31f", "example.com", "example.com", None),
    ],
)
def test_generated_sender(local: str, domain: str, registrable: str, why: str | None) -> None:
    got = generated_sender(local, domain, registrable)
    if why is None:
        assert got is None
    else:
        assert got is not None and why in got


def test_abused_tld() -> None:
    tlds = frozenset({"click", "top"})
    assert abused_tld("news.deals.click", tlds) == "click"
    assert abused_tld("example.com", tlds) is None
    assert abused_tld("click", tlds) is None  # a bare label is no host


@pytest.mark.parametrize(
    ("subject", "display", "bait"),
    [
        ("🎁 Your gift", "", "🎁"),
        ("Save 50% today", "", "50%"),
        ("Claim $42 now", "", "$42"),
        ("Bonus of 4.000 € waiting", "", "4.000 €"),
        ("weekly report", "💲Rewards Team💲", "💲"),
        ("minutes of Tuesday's meeting", "Ann", None),
        ("version 2.0 released", "", None),
    ],
)
def test_subject_bait(subject: str, display: str, bait: str | None) -> None:
    assert subject_bait(subject, display) == bait


@pytest.mark.parametrize(
    ("host", "disguised"),
    [
        ("𝚠𝚊𝚔𝚎𝚞𝚙.𝚌𝚘𝚖", True),
        ("𝟜.example.com", True),
        ("ｅｘａｍｐｌｅ.com", True),  # fullwidth
        ("www.example.com", False),
        ("münchen.de", False),
        ("例え.jp", False),
    ],
)
def test_obfuscated_host(host: str, disguised: bool) -> None:
    assert (obfuscated_host(host) is not None) is disguised


def _brute(text: str, phrases: list[LurePhrase]) -> dict[str, list[str]]:
    hits: dict[str, list[tuple[float, str]]] = {}
    for lp in phrases:
        if _find_word(text, lp.phrase) if lp.latin else lp.phrase in text:
            hits.setdefault(lp.category, []).append((lp.weight, lp.phrase))
    return {c: [p for _, p in sorted(v, reverse=True)] for c, v in hits.items()}


@pytest.mark.parametrize(
    "text",
    [
        "burn fat: lose weight! click here.",
        "weight loss",  # phrase is the whole text
        "xweight loss and weight lossy",  # glued to other letters: no match
        "Weight Loss in capitals is not normalised here",
        "viagra-cialis, keto... ダイエット 精力",
        "seks en neuken, emagrecer e perder peso",
        "",
    ],
)
def test_score_phrases_matches_searching_every_phrase(text: str, ctx: MailContext) -> None:
    for phrases in (ctx.spam_phrases, ctx.lure_phrases):
        assert score_phrases(text, phrases).categories == _brute(text, phrases)


def test_score_spam_categories(ctx: MailContext) -> None:
    got = score_spam("horny singles near you. buy viagra. solar panels for free", ctx)
    assert set(got.categories) == {"adult", "pharma", "offer"}
    assert got.score >= ctx.spam_threshold
