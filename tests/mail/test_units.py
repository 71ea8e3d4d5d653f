"""Units of the mail analyser: decoding, names, Authentication-Results, look-alikes, lures."""

from __future__ import annotations

import pytest

from koban.mail import MailContext
from koban.mail.auth import (
    first_arc_results,
    parse_auth_results,
    select_auth_results,
    verdict_for,
)
from koban.mail.decode import decode_bytes, decode_header_value
from koban.mail.lookalike import domain_findings
from koban.mail.lures import normalise_text, score_lures
from koban.mail.names import executive_keys, kana_to_romaji, match_executive
from koban.profile import Executive

JA = "お世話になっております。至急ご確認ください。"


@pytest.mark.parametrize(
    ("data", "label", "codec"),
    [
        (JA.encode("iso2022_jp"), "iso-2022-jp", "iso2022_jp_ext"),
        (JA.encode("iso2022_jp"), "shift_jis", "iso2022_jp_ext"),  # mislabelled
        (JA.encode("iso2022_jp"), None, "iso2022_jp_ext"),  # no charset
        (JA.encode("cp932"), "shift_jis", "cp932"),
        (JA.encode("cp932"), None, "cp932"),
        (JA.encode("euc_jp"), "euc-jp", "euc_jp"),
        (JA.encode("euc_jp"), None, "euc_jp"),
        (JA.encode("euc_jp"), "shift_jis", "euc_jp"),  # mislabelled
        (JA.encode("utf-8"), "us-ascii", "utf-8"),
    ],
)
def test_decode_japanese(data: bytes, label: str | None, codec: str) -> None:
    got = decode_bytes(data, label)
    assert got.text == JA
    assert got.codec == codec


def test_decode_broken_bytes_never_raise() -> None:
    got = decode_bytes(b"\xff\xfe\x80abc\x1b$B\xff", "iso-2022-jp")
    assert "abc" in got.text
    assert decode_bytes(b"abc", "x-no-such-charset").note


def test_decode_headers() -> None:
    assert decode_header_value("=?iso-2022-jp?b?GyRCO2o1XhsoQg==?=")[0] == "至急"
    assert decode_header_value("=?Shift_JIS?B?k/qWe4zq?=")[0] == "日本語"
    assert decode_header_value("=?iso-2022-jp?b?GyRCRnxLXDhsGyhC?=")[0] == "日本語"
    raw_sjis = "日本語".encode("cp932").decode("ascii", "surrogateescape")
    assert decode_header_value(raw_sjis)[0] == "日本語"
    assert decode_header_value("=?utf-8?q?broken")[0]


def test_kana_to_romaji() -> None:
    assert kana_to_romaji("やまだ たろう") == "yamada tarou"
    assert kana_to_romaji("きょうこ") == "kyouko"
    assert kana_to_romaji("ハットリ") == "hattori"
    assert kana_to_romaji("チョコレート") == "chokoreeto"


CEO = Executive(
    name="Taro Yamada",
    aliases=["山田 太郎", "やまだ たろう", "Yamada Taro"],
    emails=["t.yamada@hoshi-exchange.jp"],
    title="CEO",
)
TABLE = executive_keys([CEO])


@pytest.mark.parametrize(
    "display",
    [
        "Taro Yamada",
        "Taro Yamada | CEO",
        "YAMADA Taro",
        "Yamada, Taro (CEO)",
        "Mr. Taro Yamada",
        "Tarou Yamada",
        "山田太郎",
        "山田 太郎",
        "山田太郎（代表取締役）",
        "代表取締役 山田太郎",
        "山田太郎社長",
        "やまだ たろう",
        "ヤマダ タロウ",
        "ＹＡＭＡＤＡ　ＴＡＲＯ",
        "Taro Yamada via LinkedIn",
    ],
)
def test_executive_matches(display: str) -> None:
    assert match_executive(display, TABLE) is not None, display


@pytest.mark.parametrize(
    "display",
    [
        "Yamada",
        "Hanako Yamada",
        "Kentaro Yamada",
        "山田",
        "山田 花子",
        "小山田太郎",
        "山田社長",
        "Taro Suzuki",
        "やまだ",
        "",
    ],
)
def test_executive_does_not_match(display: str) -> None:
    assert match_executive(display, TABLE) is None, display


def test_auth_results_trust() -> None:
    headers = [
        "mx.hoshi-exchange.jp; spf=fail smtp.mailfrom=hoshi-exchange.jp; dkim=none;"
        " dmarc=fail (p=reject) header.from=hoshi-exchange.jp",
        "evil.example; dmarc=pass header.from=hoshi-exchange.jp",
    ]
    trusted = frozenset({"mx.hoshi-exchange.jp"})
    got = select_auth_results(headers, trusted)
    assert [a.authserv_id for a in got] == ["mx.hoshi-exchange.jp"]
    v = verdict_for(got, "hoshi-exchange.jp")
    assert v is not None
    assert v.trusted
    assert "dmarc=fail" in v.failed
    # Without configured ids: only the topmost header, untrusted.
    got = select_auth_results(list(reversed(headers)), frozenset())
    v = verdict_for(got, "hoshi-exchange.jp")
    assert v is not None
    assert not v.trusted
    assert v.failed == []


def test_auth_results_microsoft_without_authserv_id() -> None:
    ar = parse_auth_results(
        "spf=softfail (sender IP is 192.0.2.1) smtp.mailfrom=x.example; dkim=none (message not "
        "signed) header.d=none;dmarc=fail action=none header.from=x.example;compauth=fail "
        "reason=001",
        frozenset(),
    )
    assert ar is not None
    assert ar.authserv_id == ""
    assert [r.method for r in ar.results] == ["spf", "dkim", "dmarc", "compauth"]
    assert ar.get("dmarc")[0].props["header.from"] == "x.example"


def test_first_arc_results_reads_instance_one() -> None:
    headers = [
        " i=2; mx.microsoft.com 1; spf=pass smtp.mailfrom=x.example; dmarc=pass\r\n"
        " header.from=x.example",
        "i=1; mx.microsoft.com 1; spf=fail (sender ip is 192.0.2.1)\r\n"
        " smtp.mailfrom=x.example; dmarc=fail action=none header.from=x.example",
    ]
    ar = first_arc_results(headers, frozenset())
    assert ar is not None
    assert ar.authserv_id == "mx.microsoft.com"
    v = verdict_for([ar], "x.example")
    assert v is not None
    assert v.failed == ["dmarc=fail", "spf=fail without a passing DKIM signature"]
    # no instance 1 (a broken chain) or no instance at all: nothing to read
    assert first_arc_results(headers[:1], frozenset()) is None
    assert first_arc_results(["mx.example; dmarc=fail header.from=x.example"], frozenset()) is None
    assert first_arc_results([], frozenset()) is None


def test_dkim_pass_rescues_spf_fail() -> None:
    ar = parse_auth_results(
        "mx.example.jp; spf=fail smtp.mailfrom=a.example; dkim=pass header.d=a.example",
        frozenset({"mx.example.jp"}),
    )
    assert ar is not None
    v = verdict_for([ar], "a.example")
    assert v is not None
    assert v.failed == []


@pytest.mark.parametrize(
    ("domain", "expected"),
    [
        ("hoshi-exchanqe.jp", "hoshi-exchange.jp"),
        ("hoshi-exchange.co", "hoshi-exchange.jp"),
        ("xn--hshi-exchange-i7k.jp", "hoshi-exchange.jp"),
        ("hoshi-exchange-careers.com", "hoshi-exchange.jp"),
        ("hoshi-exchange.jp.login-check.example", "hoshi-exchange.jp"),
        ("sakura-bannk.co.jp", "sakura-bank.co.jp"),
        ("mail.hoshi-exchange.jp", None),
        ("hoshi-exchange.jp", None),
        ("githubusercontent.com", None),
        ("github.io", None),
        ("example.org", None),
    ],
)
def test_lookalike_via_url_analyser(ctx: MailContext, domain: str, expected: str | None) -> None:
    got = domain_findings(domain, ctx)
    if expected is None:
        assert got == []
    else:
        [finding] = got
        assert finding.rule == "mail.lookalike_sender"
        assert expected in finding.message
        assert finding.evidence["url_rule"].startswith("url.")


def test_single_weak_word_is_not_a_lure(ctx: MailContext) -> None:
    assert score_lures(normalise_text("Please reply asap, thanks"), ctx).score < 1.0
    strong = score_lures(normalise_text("至急：本日中に振込先変更をお願いします。内密に。"), ctx)
    assert strong.score >= ctx.lure_thresholds["medium"]
    # Words inside other words do not count.
    assert score_lures(normalise_text("the kycless casinoesque"), ctx).score == 0


# --- generic multilingual phishing checks ------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "flagged"),
    [
        ("Notificacao Ra3HNiammhtn7Q3joVp", True),
        ("Resgate o seu bonus 0Q8a3ZxLUdE", True),
        ("McAfee2024 renewal", False),
        ("iPhone15 Pro order 88213", False),
        ("deadbeef00c0ffee", False),
        ("PostgreSQL 16 released", False),
    ],
)
def test_random_token(text: str, flagged: bool) -> None:
    from koban.mail.message import _random_token

    assert (_random_token(text) is not None) is flagged


@pytest.mark.parametrize(
    ("text", "phrase"),
    [
        ("Ihr Konto wurde gesperrt. Bestätigen Sie Ihr Konto innerhalb von 24 Stunden.", "konto"),
        ("Sua conta foi bloqueada: confirme seus dados.", "conta"),
        ("Uw pakket: bezorging mislukt, betaal de douanekosten.", "pakket"),
        ("Votre compte a été suspendu, confirmez votre identité.", "compte"),
        ("Su cuenta ha sido suspendida, verifique su cuenta.", "cuenta"),
        ("Atraso no pagamento: regularize em 24 horas ou juros e multas.", "atraso"),
        ("Seu pedido aguarda a taxa de importação. Efetue o pagamento.", "importação"),
        ("Ihr Sicherheitszertifikat läuft ab. Dringend: jetzt reaktivieren.", "zertifikat"),
        ("We detected something unusual. Secure your account immediately.", "unusual"),
        ("Your plan was successfully renewed. Payment is overdue: act now.", "renewed"),
        ("Urgente: detectamos um novo acesso à sua conta.", "acesso"),
        ("Vous êtes sélectionné ! Répondez à ce court sondage, dernier avis.", "sondage"),
    ],
)
def test_multilingual_lures_flag(ctx: MailContext, text: str, phrase: str) -> None:
    got = score_lures(normalise_text(text), ctx)
    assert got.score >= ctx.lure_thresholds["low"], (phrase, got)


@pytest.mark.parametrize(
    "text",
    [
        "Gratis Versand ab 50 Euro.",  # one weak word
        "Seu pedido foi enviado.",
        "Wij wensen u een fijne dag.",
        "Merci pour votre commande.",
    ],
)
def test_single_weak_words_do_not_flag(ctx: MailContext, text: str) -> None:
    assert score_lures(normalise_text(text), ctx).score < 1.0


def test_brand_glued_or_trademarked_in_display_name(ctx: MailContext) -> None:
    from koban.mail.lookalike import brand_in_display_name

    assert brand_in_display_name("Banco.Bradesco", "aviso.example", ctx) is not None
    assert brand_in_display_name("Mcafee\u2122", "renew.example", ctx) is not None
    tagged = "Mi\U000e0139cro\U000e0139soft account team"
    assert brand_in_display_name(tagged, "notice.example", ctx) is not None
    assert brand_in_display_name("Bradesco", "bradesco.com.br", ctx) is None
    # an apostrophe breaking up the name; names with their own apostrophe are left alone
    assert brand_in_display_name("Pay'Pal Service", "notice.example", ctx) is not None
    assert brand_in_display_name("O'Reilly Media", "oreilly.example", ctx) is None
    # a sender naming itself and its topic is not impersonating the brand
    assert brand_in_display_name("Gnomeletter Apple Core", "gnomeletter.example", ctx) is None


@pytest.mark.parametrize(
    ("css", "offscreen"),
    [
        ("margin-top: 470500px", True),
        ("height: 2000vh", True),
        ("text-indent: -9999px", True),
        ("position:absolute; left:-10000px", True),
        ("margin-top: 40px; padding: 12px", False),
        ("height: 600px; text-indent: -20px", False),
        ("line-height: 1500%", False),
    ],
)
def test_offscreen_css(css: str, offscreen: bool) -> None:
    from koban.mail.htmltext import extract_html

    html = f'<p>hi</p><div style="{css}">borrowed text</div>'
    assert bool(extract_html(html).offscreen) is offscreen
    in_style = f"<style>.x {{ {css} }}</style><div class=x>borrowed text</div>"
    assert bool(extract_html(in_style).offscreen) is offscreen


def test_brand_of_domain(ctx: MailContext) -> None:
    assert ctx.brand_of_domain("paypal.com") == "PayPal"
    assert ctx.brand_of_domain("mail.bradesco.com.br") == "Bradesco"
    assert ctx.brand_of_domain("paypal.com.evil.example") is None
    assert ctx.brand_of_domain("shop.example") is None


@pytest.mark.parametrize(
    ("host", "ip"),
    [
        ("103-52-115-55.cloud.example.net", "103.52.115.55"),
        ("ec2-16-170-148-0.eu-north-1.compute.example.com", "16.170.148.0"),
        ("241.17.205.92.host.example.net", "241.17.205.92"),
        ("abc.20-218-142-124.cloud.example.com", "20.218.142.124"),
        ("v1-2-3.example.org", None),
        ("a1-2-3-4b.example.com", None),
        ("2024-10-12-1.example.org", None),
        ("300-1-1-1.example.org", None),
    ],
)
def test_server_host(host: str, ip: str | None) -> None:
    from koban.mail.links import server_host

    assert server_host(host) == ip


@pytest.mark.parametrize(
    ("subject", "called"),
    [
        ("user@example.jp, Are You Fully Covered? Check in 2 Minutes", "user@example.jp"),
        ("Ihr Gardena Set wird vorbereitet, user@example.jp", "user@example.jp"),
        ("Avis de passage : (1) colis vous attend  user@example.jp !", "user@example.jp"),
        ("Letzte Erinnerung: user@example.jp, verlängern Sie jetzt", "user@example.jp"),
        ("Re: user@example.jp", None),  # an address as the topic
        ("Válido para user@example.jp", None),
        ("mail to user@example.jp bounces since Monday", None),
        ("user@example.jp Bienvenido al Panel", None),
    ],
)
def test_addressed_in_subject(subject: str, called: str | None) -> None:
    from koban.mail.message import addressed_in_subject

    assert addressed_in_subject(subject) == called


def test_digit_disguised_words(ctx: MailContext) -> None:
    from koban.mail.lures import digit_disguised_words

    text = "C$7,500 B0NUS, verify your acc0unt, buy v1agra; MP3 H2O W3C B2B L0pht 4ever 2nd"
    assert digit_disguised_words(text, ctx) == ["B0NUS", "acc0unt", "v1agra"]
    # in addresses and links they are names, not text
    assert digit_disguised_words("see https://x.example/B0NUS or b0nus@x.example", ctx) == []


@pytest.mark.parametrize(
    ("display", "address", "why"),
    [
        ("💲Dragonia Rewards Team💲", "jordan.jackson1@casino.example", "words rewards, team"),
        ("VIP Bonus Inside", "rain.clark@school.example", "sales or lure words"),
        ("Magius Casino💰", "johnson.joseph@refi.example", "pictographs"),
        ("Jordan Jackson", "jordan.jackson1@example.org", None),  # the person themself
        ("Rewards Team", "no.reply@shop.example", None),  # a role mailbox, not a person's
        ("Rewards Team", "rewards@shop.example", None),
        ("Alice Smith", "bob.jones@example.org", None),  # an assistant, not an offer
    ],
)
def test_org_name_on_personal_mailbox(
    ctx: MailContext, display: str, address: str, why: str | None
) -> None:
    from koban.mail.message import _org_name_on_personal_mailbox

    assert _org_name_on_personal_mailbox(display, address, ctx) == why


@pytest.mark.parametrize(
    ("text", "badge"),
    [
        ("NEW MESSAGE (1)", True),
        ("Rodrigo tem (1) nova cotação esperando você", True),
        ("Avis de passage : ( 1 ) colis vous attend", True),
        ("notes (1/2)", False),
        ("f(1) is undefined", False),
        ("see (12) and ((1))", False),
        ("Re: patch 1 of 3", False),
    ],
)
def test_notification_badge(text: str, badge: bool) -> None:
    from koban.mail.message import _BADGE

    assert (_BADGE.search(text) is not None) is badge


@pytest.mark.parametrize(
    ("text", "address"),
    [
        ("You have received 520,000 EUR. Reply drbenb63@gmail.com today.", "drbenb63@gmail.com"),
        ("for details contact Bernard email: bernard1949@gmail.com", "bernard1949@gmail.com"),
        ("I will send my picture. Email to alice.e@gmail.com Thank you", "alice.e@gmail.com"),
        ("Contact me at me@example.org", None),  # not free webmail
        ("Contact me at alice.smith@gmail.com", None),  # the sender's own address
        ("Reply below.\nOn Monday bob@gmail.com wrote:\n> hi", None),  # quoted attribution
        ("Our office: help@outlook.com is closed", None),  # no request to write there
    ],
)
def test_contact_elsewhere(ctx: MailContext, text: str, address: str | None) -> None:
    from koban.mail.contact import contact_elsewhere

    got = contact_elsewhere(text, ["alice.smith@gmail.com"], ctx.is_freemail)
    assert (got[0] if got else None) == address
