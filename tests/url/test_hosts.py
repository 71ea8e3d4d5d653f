"""Parsing inputs the way browsers read them: userinfo, IP forms, IDNA, PSL, bad input."""

from __future__ import annotations

import pytest

from koban.errors import InputError
from koban.url.hosts import parse_host, parse_target


@pytest.mark.parametrize(
    ("text", "kind", "host", "registrable", "userinfo"),
    [
        ("bitflyer.com", "domain", "bitflyer.com", "bitflyer.com", None),
        ("https://BITFLYER.COM:443/Path", "url", "bitflyer.com", "bitflyer.com", None),
        ("https://www.brand.jp@203.0.113.5/", "url", "203.0.113.5", None, "www.brand.jp"),
        ("http://user:pw@a.b@evil.example/x", "url", "evil.example", "evil.example", "user:pw@a.b"),
        ("http://evil.example\\@bitflyer.com/", "url", "evil.example", "evil.example", None),
        ("bitflyer.com/login", "url", "bitflyer.com", "bitflyer.com", None),
        ("alice@bitflyer-login.com", "email", "bitflyer-login.com", "bitflyer-login.com", "alice"),
        ("hxxps://evil[.]example/x", "url", "evil.example", "evil.example", None),
        ("http://%62itflyer.com/", "url", "bitflyer.com", "bitflyer.com", None),
        ("https://bitflyer.com./", "url", "bitflyer.com", "bitflyer.com", None),
    ],
)
def test_targets(
    text: str, kind: str, host: str, registrable: str | None, userinfo: str | None
) -> None:
    t = parse_target(text)
    assert (t.kind, t.host.ascii, t.host.registrable, t.userinfo) == (
        kind,
        host,
        registrable,
        userinfo,
    )
    assert t.text == text


@pytest.mark.parametrize(
    ("url", "ip", "form"),
    [
        ("http://3232235777/", "192.168.1.1", "decimal"),
        ("http://0xC0A80101/", "192.168.1.1", "hex"),
        ("http://0300.0250.0001.0001/", "192.168.1.1", "octal"),
        ("http://0300.0250.1.1/", "192.168.1.1", "mixed"),
        ("http://192.168.257/", "192.168.1.1", "short"),
        ("http://203.0.113.5/", "203.0.113.5", "dotted"),
        ("http://[2001:db8::1]:8080/", "[2001:db8::1]", "ipv6"),
    ],
)
def test_ip_forms(url: str, ip: str, form: str) -> None:
    host = parse_target(url).host
    assert (host.ascii, host.ip_form) == (ip, form)
    assert host.ip is not None


@pytest.mark.parametrize(
    ("text", "ascii", "unicode"),
    [
        ("аррӏе.com", "xn--80ak6aa92e.com", "аррӏе.com"),
        ("xn--80ak6aa92e.com", "xn--80ak6aa92e.com", "аррӏе.com"),
        ("ｂｉｔｆｌｙｅｒ．ｃｏｍ", "bitflyer.com", "bitflyer.com"),  # full-width forms
        ("ビットフライヤー。jp", "xn--eck1cp6bm5g7a7l.jp", "ビットフライヤー.jp"),
        ("お名前.com", "xn--t8jx73hngb.com", "お名前.com"),
        ("MÜNCHEN.de", "xn--mnchen-3ya.de", "münchen.de"),
    ],
)
def test_idna_both_ways(text: str, ascii: str, unicode: str) -> None:
    host = parse_host(text, text, need_dot=True)
    assert (host.ascii, host.unicode) == (ascii, unicode)


@pytest.mark.parametrize(
    ("host", "registrable", "suffix", "core", "sub"),
    [
        ("www.bitflyer.co.jp", "bitflyer.co.jp", "co.jp", "bitflyer", "www"),
        ("evil.github.io", "evil.github.io", "github.io", "evil", ""),
        ("a.b.evil.github.io", "evil.github.io", "github.io", "evil", "a.b"),
        ("bitflyer-93ac12.web.app", "bitflyer-93ac12.web.app", "web.app", "bitflyer-93ac12", ""),
        ("coin.z.com", "z.com", "com", "z", "coin"),
        (
            "bitflyer.com.secure-login.xyz",
            "secure-login.xyz",
            "xyz",
            "secure-login",
            "bitflyer.com",
        ),
        ("example.unknowntld", "example.unknowntld", "unknowntld", "example", ""),
    ],
)
def test_public_suffix_list(host: str, registrable: str, suffix: str, core: str, sub: str) -> None:
    h = parse_host(host, host)
    assert (h.registrable, h.suffix, h.core, h.subdomain) == (registrable, suffix, core, sub)


def test_psl_is_the_bundled_offline_snapshot() -> None:
    h = parse_host("x.y.example.co.jp", "x")
    assert (h.registrable, h.suffix) == ("example.co.jp", "co.jp")
    assert parse_host("github.io", "github.io").suffix == "github.io"


def test_github_io_itself_has_no_registrable_part() -> None:
    h = parse_host("github.io", "github.io")
    assert h.registrable is None


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "empty input"),
        ("not a url", "not a URL or domain"),
        ("foo", "has no dot"),
        ("http://exa mple.com/", "not a valid host name"),
        ("https://", "no host name"),
        ("http://999.1.1.1/", "not a valid IPv4 address"),
        ("http://1.2.3.4.5/", "not a valid IPv4 address"),
        ("mailto:ceo@example.com", "unsupported URL scheme"),
        ("http://bad_char$.com/", "not a valid host name"),
        ("http://example.com:99999/", "bad port"),
    ],
)
def test_bad_input_names_the_input(text: str, problem: str) -> None:
    with pytest.raises(InputError, match=problem) as err:
        parse_target(text)
    if text:
        assert text in str(err.value)


def test_single_label_host_in_a_url_is_allowed() -> None:
    t = parse_target("http://intranet/wiki")
    assert t.host.ascii == "intranet"
    assert t.host.registrable is None


def test_invalid_punycode_is_kept_and_flagged() -> None:
    h = parse_host("xn--zz.com", "xn--zz.com")
    assert h.idna_error is not None
