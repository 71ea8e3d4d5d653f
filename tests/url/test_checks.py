"""Look-alike verdicts, table-driven: each rule fires on its positives, never on the negatives."""

from __future__ import annotations

import pytest

from koban.errors import InputError
from koban.intel.indicators import IndicatorType
from koban.intel.records import Batch, Record
from koban.intel.store import IntelStore
from koban.model import Report, Severity, Verdict
from koban.profile import Org, Profile, Trust
from koban.url import (
    CheckContext,
    analyse,
    build_context,
    check,
    check_domain,
    check_url,
    clear_caches,
    report_for,
)
from koban.url import hosts as hosts_module

PROFILE = Profile(
    org=Org(name="Hoshi Exchange K.K.", domains=["hoshi-exchange.jp"]),
    trust=Trust(domains=["sakura-bank.co.jp", "github.com"]),
)


@pytest.fixture(scope="module")
def ctx() -> CheckContext:
    return build_context(PROFILE)


def _rules(target: str, ctx: CheckContext) -> dict[str, Severity]:
    out: dict[str, Severity] = {}
    for f in check(target, ctx):
        if f.rule not in out or f.severity.rank > out[f.rule].rank:
            out[f.rule] = f.severity
    return out


# (input, rule that must fire, minimum severity)
POSITIVES = [
    # edit distance with keyboard and visual weights
    ("bitfiyer.com", "url.typosquat", Severity.HIGH),
    ("https://www.coinchek.com/ja/", "url.typosquat", Severity.HIGH),
    ("coinkcheck.com", "url.typosquat", Severity.HIGH),
    ("rnetamask.io", "url.typosquat", Severity.HIGH),
    ("vvalletconnect.com", "url.typosquat", Severity.HIGH),
    ("b1tf1yer.com", "url.typosquat", Severity.HIGH),
    ("myethrewallet.ink", "url.typosquat", Severity.HIGH),
    ("myetherwalllet.cc", "url.typosquat", Severity.HIGH),
    ("bitmexq.com", "url.typosquat", Severity.MEDIUM),  # a letter added after a 6-letter name
    ("bitbaink.web.app", "url.typosquat", Severity.LOW),  # inside the name: could be a slip
    ("telegranm.icu", "url.typosquat", Severity.HIGH),
    ("bit.flyer.com", "url.typosquat", Severity.HIGH),
    ("bita-flyer.com", "url.typosquat", Severity.HIGH),
    ("bitfiyer-login.com", "url.typosquat", Severity.MEDIUM),
    ("hoshi-exchangee.jp", "url.typosquat", Severity.CRITICAL),  # own domain
    ("citflyer.com", "url.bitsquat", Severity.HIGH),
    # homoglyphs: mixed-script, whole-script, diacritics, punycode, small capitals
    ("bіtflyer.com", "url.homoglyph", Severity.HIGH),
    ("аррӏе.com", "url.homoglyph", Severity.HIGH),
    ("https://xn--80ak6aa92e.com/", "url.homoglyph", Severity.HIGH),
    ("metamásk.io", "url.homoglyph", Severity.HIGH),
    ("coinbasе.com", "url.homoglyph", Severity.HIGH),
    ("ʙitflyer.com", "url.homoglyph", Severity.HIGH),
    ("ｂｉｔｆｉｙｅｒ.com", "url.typosquat", Severity.HIGH),  # full-width forms
    ("sakura-bаnk.co.jp", "url.homoglyph", Severity.HIGH),  # trusted partner, Cyrillic а
    # TLD swaps
    ("bitflyer.co", "url.tld_swap", Severity.HIGH),
    ("coincheck.net", "url.tld_swap", Severity.HIGH),
    ("bitflyer.co.jp", "url.tld_swap", Severity.HIGH),
    ("ｂｉｔｆｌｙｅｒ.co", "url.tld_swap", Severity.HIGH),
    ("hoshi-exchange.com", "url.tld_swap", Severity.CRITICAL),
    ("bitflyer-93ac12.web.app", "url.combosquat", Severity.HIGH),
    # brand + keyword, hyphenation, reordering, ordinary-word brands with lure words
    ("bitflyer-login.com", "url.combosquat", Severity.HIGH),
    ("metamask-wallet.io", "url.combosquat", Severity.HIGH),
    ("hoshi-exchange-secure.com", "url.combosquat", Severity.CRITICAL),
    ("mybitflyerjp.com", "url.combosquat", Severity.HIGH),
    ("bit-flyer.com", "url.combosquat", Severity.HIGH),
    ("flyer-bit.com", "url.combosquat", Severity.HIGH),
    ("coin-z.ink", "url.combosquat", Severity.HIGH),  # GMO Coin (coin.z.com)
    ("apple-id-verify.com", "url.combosquat", Severity.MEDIUM),
    ("zoom-meeting.com", "url.combosquat", Severity.MEDIUM),
    ("safe-wallet-app.com", "url.combosquat", Severity.HIGH),
    ("app-safe.global", "url.combosquat", Severity.HIGH),
    ("linkedin-recruiting.jobs", "url.combosquat", Severity.HIGH),
    ("supportjapan-apple-com-dfa3.example.icu", "url.brand_subdomain", Severity.HIGH),
    # a protected domain in front of a foreign registrable domain
    ("https://bitflyer.com.secure-login.xyz/", "url.brand_subdomain", Severity.HIGH),
    ("https://myetherwallet.com.loginc.xyz/", "url.brand_subdomain", Severity.HIGH),
    ("http://www.rakuten.co.jp.ca9d.org/", "url.brand_subdomain", Severity.HIGH),
    ("https://hoshi-exchange.jp.verify-account.net/", "url.brand_subdomain", Severity.CRITICAL),
    ("https://coincheck-bonus.000webhostapp.com/", "url.brand_subdomain", Severity.MEDIUM),
    # any complete domain name in front of another (JPCERT/CC's commonest shape)
    ("https://www2.amazon.co.jp.f534f5fe1f22.nl/", "url.subdomain_disguise", Severity.MEDIUM),
    ("https://webmail.itscom.net.example.cl/am_bin/", "url.subdomain_disguise", Severity.MEDIUM),
    ("https://user.blogspot.com.example.xyz/", "url.subdomain_disguise", Severity.MEDIUM),
    ("https://amazon.co.jp.73264.example.click/", "url.subdomain_disguise", Severity.MEDIUM),
    ("https://webmail.megaegg.jp.example.com/", "url.subdomain_disguise", Severity.MEDIUM),
    # userinfo deception, raw and obfuscated IPs
    ("https://www.brand.jp@203.0.113.5/", "url.userinfo", Severity.HIGH),
    ("http://bitflyer.com@evil.example/", "url.userinfo", Severity.HIGH),
    ("http://3232235777/", "url.ip_host", Severity.HIGH),
    ("http://0xC0A80101/", "url.ip_host", Severity.HIGH),
    ("http://0300.0250.1.1/", "url.ip_host", Severity.HIGH),
    ("https://137.220.233.239/Login/index.html", "url.ip_host", Severity.MEDIUM),
    # punycode / mixed scripts / whole-script
    ("https://pаypal-example.com/", "url.idn_spoof", Severity.HIGH),
    ("сосо.com", "url.idn_spoof", Severity.MEDIUM),
    ("xn--zz.com", "url.idn_spoof", Severity.MEDIUM),
    # brand in the path of someone else's host
    ("https://example.net/wp/metamask/index.php", "url.brand_in_path", Severity.LOW),
    ("https://sites.google.com/site/coincheckbtcbonus", "url.brand_in_path", Severity.LOW),
]


@pytest.mark.parametrize(("target", "rule", "severity"), POSITIVES)
def test_fires(target: str, rule: str, severity: Severity, ctx: CheckContext) -> None:
    got = _rules(target, ctx)
    assert rule in got, f"{target}: expected {rule}, got {got}"
    assert got[rule].rank >= severity.rank, f"{target}: {rule} only {got[rule]}"


CLEAN = [
    # the brands themselves, their subdomains, their other domains
    "https://bitflyer.com/ja-jp/",
    "bitflyer.jp",
    "https://app.safe.global/transactions",
    "https://coin.z.com/jp/",
    "https://bitcoin.dmm.com/",
    "binance.us",
    "https://accounts.google.com/signin",
    "https://login.microsoftonline.com/",
    "https://github.com/hoshi-exchange/koban",
    "https://raw.githubusercontent.com/x/y/main/z",
    "https://www.linkedin.com/in/someone",
    "https://zoom.us/j/123456",
    "https://t.me/somechannel",
    # other real businesses near a brand: not look-alikes of it
    "bitbank.cc",
    "coincheck.com",
    "coinbase.com",
    "bitmex.com",
    "bitmax.me",
    "okcoin.com",
    "telegram.com",
    "safe.com",
    "yimg.com",
    # the profile's own and trusted domains
    "https://www.hoshi-exchange.jp/",
    "https://www.sakura-bank.co.jp/",
    # ordinary domains
    "example.org",
    "https://www.wikipedia.org/wiki/Lazarus_Group",
    "https://www.nikkei.com/",
    "https://www.yahoo.co.jp/",
    "https://www.nhk.or.jp/",
    "https://www.asahi.com/",
    "pineapple.com",
    "safeway.com",
    "online-media.com",
    "good-enough.net",
    "applecore.example.com",
    "telegraph.co.uk",
    "www.microsoft-watch.com",
    "github-readme-stats.vercel.app",
    "お名前.com",
    "münchen.de",
    "http://intranet/wiki",
    "https://example.org/a@b",
    "http://192.168.1.1/",
    # subdomains that do not end like a domain name of their own
    "https://mail.example.co.jp/owa/",
    "https://a.b.c.example.com/",
    "https://jp.example.com/",
    "https://www.jp.example.com/",
    "https://news.info.example.com/",
]


@pytest.mark.parametrize("target", CLEAN)
def test_clean(target: str, ctx: CheckContext) -> None:
    findings = check(target, ctx)
    serious = [f for f in findings if f.severity.rank >= Severity.MEDIUM.rank]
    assert not serious, f"{target}: {[f.message for f in serious]}"


# Near misses that are ordinary words or names: reported, but never suspicious.
@pytest.mark.parametrize("target", ["cloud.com", "motion.com", "trevor.com", "ledgers.com"])
def test_ordinary_words_stay_low(target: str, ctx: CheckContext) -> None:
    findings = check(target, ctx)
    assert findings, target
    assert all(f.severity.rank <= Severity.LOW.rank for f in findings)


def test_message_says_what_and_how(ctx: CheckContext) -> None:
    (f,) = check("bitfiyer.com", ctx)
    assert f.message == "bitfiyer.com resembles bitflyer.com (bitFlyer): l→i, 1 substitution"
    assert f.kind == "visual"
    ev = f.evidence
    assert ev["brand"] == "bitFlyer"
    assert ev["legit_domain"] == "bitflyer.com"
    assert ev["technique"] == "visual"
    assert ev["edits"] == [{"op": "substitution", "brand": "l", "found": "i", "how": "visual"}]
    assert ev["protected_by"] == "builtin"
    assert f.attack == ["T1583.001", "T1566.002"]


def test_homoglyph_message_shows_unicode_form(ctx: CheckContext) -> None:
    f = next(f for f in check("bіtflyer.com", ctx) if f.rule == "url.homoglyph")
    assert "xn--btflyer-rog.com (bіtflyer.com)" in f.message
    assert "Cyrillic і" in f.message
    assert f.evidence["host_unicode"] == "bіtflyer.com"


def test_whole_script_spoof_kind(ctx: CheckContext) -> None:
    f = next(f for f in check("аррӏе.com", ctx) if f.rule == "url.homoglyph")
    assert f.kind == "whole-script"
    assert f.evidence["brand"] == "Apple"


def test_own_domain_findings_are_critical_and_say_so(ctx: CheckContext) -> None:
    (f,) = check("hoshi-exchange-secure.com", ctx)
    assert f.severity is Severity.CRITICAL
    assert "your own domain" in f.message
    assert f.evidence["protected_by"] == "org"


def test_userinfo_message_names_the_real_host(ctx: CheckContext) -> None:
    f = next(f for f in check("https://www.brand.jp@203.0.113.5/", ctx) if f.rule == "url.userinfo")
    assert "www.brand.jp" in f.message
    assert "203.0.113.5" in f.message


def test_decimal_ip_message_shows_dotted_form(ctx: CheckContext) -> None:
    (f,) = check("http://3232235777/", ctx)
    assert "192.168.1.1" in f.message
    assert "decimal" in f.message


def test_without_profile_own_domain_is_not_protected() -> None:
    assert not check("hoshi-exchange-secure.com", build_context())


def test_profile_trusted_domain_that_is_a_brand_keeps_the_brand_name(ctx: CheckContext) -> None:
    f = next(iter(check("githuh.com", ctx)), None)
    assert f is None or "GitHub" in f.message


def test_check_domain_and_check_url(ctx: CheckContext) -> None:
    assert [f.rule for f in check_domain("bitflyer-login.com", ctx)] == ["url.combosquat"]
    assert "url.combosquat" in {f.rule for f in check_url("https://bitflyer-login.com/x", ctx)}
    with pytest.raises(InputError):
        check_domain("not a domain", ctx)


def test_cached_findings_are_independent(ctx: CheckContext) -> None:
    first = check("bitfiyer.com", ctx)
    first[0].evidence["edits"].clear()
    second = check("bitfiyer.com", ctx)
    assert second[0].evidence["edits"]


def test_analyse_gives_one_finalised_report() -> None:
    report = analyse("https://bitflyer-login.com/", PROFILE, None)
    assert isinstance(report, Report)
    assert (report.analyser, report.target) == ("url", "https://bitflyer-login.com/")
    assert report.verdict is Verdict.SUSPICIOUS
    assert analyse("https://www.nikkei.com/", PROFILE, None).verdict is Verdict.CLEAN


def test_intel_store_matches_are_reported(store: IntelStore) -> None:
    rec = Record(IndicatorType.DOMAIN, "journalide.org", entity="3CX", attribution="Lazarus Group")
    store.import_batches([Batch("csv:test", "2024-01-01", "test", "csv", [rec])])
    ctx = build_context(PROFILE, store)
    rules = {f.rule for f in check("https://www.journalide.org/x", ctx)}
    assert "intel.threat_actor" in rules


def test_clear_caches_forgets_hosts_and_keeps_results() -> None:
    first = report_for("https://bitfiyer-login.com/x", build_context()).to_dict()
    assert hosts_module._HOST_CACHE
    clear_caches()
    assert not hosts_module._HOST_CACHE
    again = report_for("https://bitfiyer-login.com/x", build_context()).to_dict()
    assert again == first
    assert first["findings"]


@pytest.mark.parametrize(
    ("target", "severity", "page"),
    [
        # a phishing kit's page named after the brand, as on compromised sites
        ("https://example.net/Rakuten/", Severity.MEDIUM, True),
        ("https://example.net/wp-includes/OneDriveBusiness/", Severity.MEDIUM, True),
        ("https://example.net/mht/kensho-rakuten.php", Severity.MEDIUM, True),
        ("https://example.net/host/linkedin.com/LinkedIn/", Severity.MEDIUM, True),
        ("https://example.net/grp01.id.rakuten.co.jp/jp/", Severity.MEDIUM, True),
        # the brand word inside a longer slug, after a listing, in the query: mentions
        ("https://news.example.com/2024/05/binance-ceo-sentenced-to-prison", Severity.LOW, False),
        ("https://news.example.com/tag/binance/", Severity.LOW, False),
        # a mailing service's tracking link behind a newsletter's social icon
        ("https://content.example.org.uk/e/984351/LinkedIn/m58wvn/1064379532", Severity.LOW, False),
        ("https://example.net/r/ledger?x=metamask", Severity.LOW, False),
        ("https://example.net/static/AAAVEUBIDOneDriveX.gif", Severity.LOW, False),
        # a brand's page on another brand's legitimate site is not a kit
        ("https://github.com/MetaMask/metamask-extension", Severity.LOW, False),
        # a lure word beside the brand name is medium whatever the segment
        ("https://news.example.com/2024/binance-ceo-sentenced/login", Severity.MEDIUM, False),
    ],
)
def test_brand_in_path_pages(
    target: str, severity: Severity, page: bool, ctx: CheckContext
) -> None:
    [f] = [f for f in check(target, ctx) if f.rule == "url.brand_in_path"]
    assert f.severity is severity, f.message
    assert f.evidence["page"] is page
    assert ("as a page of its own" in f.message) is page
