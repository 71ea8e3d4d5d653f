"""Parsing what people paste: URLs, bare domains, e-mail addresses; hosts as browsers read them.

- The authority is split the way browsers (WHATWG URL) do it: the host follows the LAST ``@``
  (``https://www.brand.jp@203.0.113.5/`` goes to 203.0.113.5), ``\\`` ends it like ``/``, the
  host is percent-decoded.
- IPv4 hosts in every form browsers accept: dotted, one decimal number (``3232235777``), hex
  (``0xC0A80101``), octal (``0300.0250.1.1``), short (``192.168.257``); IPv6 in brackets.
- Domain names go through IDNA (UTS #46: full-width forms, upper case and ``。`` are mapped);
  the A-label form is the key, the Unicode form is what messages show.
- The registrable domain (eTLD+1) comes from the Public Suffix List snapshot bundled with the
  ``publicsuffixlist`` package (private section included: ``x.github.io`` and ``x.web.app`` are
  their owners' own registrable domains), looked up by ``suffixes``. Nothing is fetched.
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from typing import Final
from urllib.parse import unquote

import idna

from koban.errors import InputError
from koban.intel.indicators import refang
from koban.url.suffixes import suffix_list

_SCHEME = re.compile(r"([a-zA-Z][a-zA-Z0-9+.\-]*):")
_LDH = r"[a-z0-9_](?:[a-z0-9_\-]{0,61}[a-z0-9_])?"
_HOSTNAME = re.compile(rf"{_LDH}(?:\.{_LDH})*")
_AUTHORITY_END = re.compile(r"[/?#\\]")
_URLISH = re.compile(r"[/?#\\:]")
_SPACE = re.compile(r"\s")
_SPECIAL = {"http", "https", "ftp", "ws", "wss", "file"}
# Full-width ASCII and the ideographic full stop, as people type them in Japanese text.
_WIDE = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)} | {0x3002: 0x2E, 0xFF61: 0x2E}
IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class _Value:
    """Equality, hash and repr from the fields named in ``_NAMES`` (for slotted value classes
    that are immutable by contract)."""

    __slots__ = ()
    _NAMES: tuple[str, ...] = ()

    def _fields(self) -> tuple[object, ...]:
        return tuple(getattr(self, n) for n in self._NAMES)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        assert isinstance(other, _Value)
        return self._fields() == other._fields()

    def __hash__(self) -> int:
        return hash(self._fields())

    def __repr__(self) -> str:
        inner = ", ".join(f"{n}={getattr(self, n)!r}" for n in self._NAMES)
        return f"{type(self).__name__}({inner})"


class Host(_Value):
    """A host name or IP address, canonical and as shown.

    Immutable by contract (``Final`` attributes, checked by mypy) but a plain class with
    ``__slots__`` rather than a frozen dataclass: every cold check builds one, and a frozen
    dataclass pays an ``object.__setattr__`` call per field."""

    __slots__ = (
        "ascii",
        "core",
        "core_unicode",
        "idna_error",
        "ip",
        "ip_form",
        "registrable",
        "subdomain",
        "suffix",
        "unicode",
    )
    _NAMES = ("ascii", "unicode", "ip", "ip_form", "registrable", "suffix", "idna_error")

    ascii: Final[str]  # A-labels, lower case, no trailing dot; an IP in its canonical form
    unicode: Final[str]  # U-labels (what a browser's address bar shows)
    ip: Final[IpAddress | None]
    ip_form: Final[str | None]  # dotted | decimal | hex | octal | short | mixed | ipv6
    registrable: Final[str | None]  # eTLD+1 (A-labels); None for IPs and bare suffixes
    suffix: Final[str | None]  # the public suffix (A-labels)
    idna_error: Final[str | None]  # the name is not valid IDNA (browsers may refuse it)
    # derived, computed once here (read many times per check):
    core: Final[str]  # registrable without suffix: bitflyer of www.bitflyer.co.jp
    core_unicode: Final[str]  # core in Unicode form: аррӏе of xn--80ak6aa92e.com
    subdomain: Final[str]  # what precedes the registrable domain ("www"), or ""

    def __init__(
        self,
        ascii: str,
        unicode: str,
        ip: IpAddress | None = None,
        ip_form: str | None = None,
        registrable: str | None = None,
        suffix: str | None = None,
        idna_error: str | None = None,
    ) -> None:
        self.ascii = ascii
        self.unicode = unicode
        self.ip = ip
        self.ip_form = ip_form
        self.registrable = registrable
        self.suffix = suffix
        self.idna_error = idna_error
        if registrable is None or suffix is None:
            core = ascii.split(".", 1)[0]
            core_unicode = unicode.split(".", 1)[0]
            subdomain = ""
        else:
            core = core_unicode = registrable[: -len(suffix) - 1]
            subdomain = "" if registrable == ascii else ascii[: -len(registrable) - 1]
            if unicode != ascii:
                shown = unicode.split(".")
                index = ascii.count(".") - suffix.count(".") - 1
                if len(shown) == ascii.count(".") + 1:
                    core_unicode = shown[index]
        self.core = core
        self.core_unicode = core_unicode
        self.subdomain = subdomain

    @property
    def labels(self) -> list[str]:
        return self.ascii.split(".")

    def show(self) -> str:
        """``xn--...`` names with their Unicode form: ``xn--80ak6aa92e.com (аррӏе.com)``."""
        return self.ascii if self.unicode == self.ascii else f"{self.ascii} ({self.unicode})"


class Target(_Value):
    """One input: a URL, a bare domain, or an e-mail address (immutable by contract; slotted
    for the same reason as ``Host``)."""

    __slots__ = ("host", "kind", "port", "rest", "scheme", "text", "userinfo", "wide")
    _NAMES = ("text", "kind", "host", "scheme", "userinfo", "port", "rest", "wide")

    text: Final[str]  # the input exactly as given
    kind: Final[str]  # url | domain | email
    host: Final[Host]
    scheme: Final[str | None]
    userinfo: Final[str | None]  # text before the last "@" of a URL's authority
    port: Final[int | None]
    rest: Final[str]  # path, query and fragment, as written
    wide: Final[bool]  # written with full-width forms

    def __init__(
        self,
        text: str,
        kind: str,
        host: Host,
        scheme: str | None = None,
        userinfo: str | None = None,
        port: int | None = None,
        rest: str = "",
        wide: bool = False,
    ) -> None:
        self.text = text
        self.kind = kind
        self.host = host
        self.scheme = scheme
        self.userinfo = userinfo
        self.port = port
        self.rest = rest
        self.wide = wide


def _unicode_label(label: str) -> tuple[str, str | None]:
    """U-label of an A-label: (unicode, error or None)."""
    try:
        return idna.decode(label), None
    except (idna.IDNAError, UnicodeError) as exc:
        try:
            return label[4:].encode("ascii").decode("punycode"), f"invalid IDNA: {exc}"
        except (UnicodeError, ValueError):
            return label, f"undecodable punycode: {exc}"


def _ascii_label(label: str) -> str:
    """A-label of one (mapped) label, leniently: browsers display what IDNA 2008 refuses."""
    if label.isascii():
        return label
    try:
        return idna.encode(label, uts46=False).decode("ascii")
    except (idna.IDNAError, UnicodeError):
        return "xn--" + label.encode("punycode").decode("ascii")


def _parse_ipv4(host: str) -> tuple[ipaddress.IPv4Address, str] | None:
    """WHATWG IPv4 parsing; None if ``host`` does not end in a number (so it is a name)."""
    end = len(host) - 1 if host.endswith(".") else len(host)
    if not "0" <= host[host.rfind(".", 0, end) + 1 : end][:1] <= "9":
        return None  # most hosts: the last label does not even start with a digit
    parts = host.split(".")
    if len(parts) > 1 and parts[-1] == "":
        parts.pop()
    last = parts[-1]
    if not (
        last.isdigit()
        or (last[:2].lower() == "0x" and all(c in "0123456789abcdefABCDEF" for c in last[2:]))
    ):
        return None
    if len(parts) > 4:
        raise ValueError("more than four parts")
    numbers: list[int] = []
    forms: set[str] = set()
    for p in parts:
        if p == "":
            raise ValueError("empty part")
        if p[:2].lower() == "0x":
            digits, base, form = p[2:], 16, "hex"
        elif len(p) > 1 and p[0] == "0":
            digits, base, form = p[1:], 8, "octal"
        else:
            digits, base, form = p, 10, "decimal"
        try:
            numbers.append(int(digits or "0", base))
        except ValueError:
            raise ValueError(f"{p!r} is not a number") from None
        forms.add(form)
    if any(n > 255 for n in numbers[:-1]) or numbers[-1] >= 256 ** (5 - len(numbers)):
        raise ValueError("a part is out of range")
    value = numbers[-1]
    for k, n in enumerate(numbers[:-1]):
        value += n * 256 ** (3 - k)
    if len(numbers) == 4 and forms == {"decimal"}:
        form = "dotted"
    elif len(numbers) == 1 and forms == {"decimal"}:
        form = "decimal"
    elif len(forms) == 1:
        form = forms.pop() if len(numbers) in (1, 4) else "short"
    else:
        form = "mixed"
    if len(numbers) not in (1, 4) and form != "mixed":
        form = "short"
    return ipaddress.IPv4Address(value), form


_HOST_CACHE: dict[tuple[str, bool], Host] = {}


def clear_cache() -> None:
    """Forget the parsed hosts (for cold timings)."""
    _HOST_CACHE.clear()


def parse_host(raw: str, source: str, *, need_dot: bool = False) -> Host:
    """A ``Host`` for the host part of an input; InputError naming ``source`` if it is none.
    (Hosts repeat: parsed hosts are remembered, errors are not.)"""
    cache_key = (raw, need_dot)
    got = _HOST_CACHE.get(cache_key)
    if got is None:
        got = _parse_host(raw, source, need_dot=need_dot)
        if len(_HOST_CACHE) > 200_000:
            _HOST_CACHE.clear()
        _HOST_CACHE[cache_key] = got
    return got


def _parse_host(raw: str, source: str, *, need_dot: bool = False) -> Host:
    text = unquote(raw) if "%" in raw else raw
    if text.startswith("[") and text.endswith("]"):
        try:
            ip6 = ipaddress.IPv6Address(text[1:-1])
        except ValueError as exc:
            raise InputError(source, f"not a valid IPv6 address: {text}: {exc}") from None
        return Host(f"[{ip6.compressed}]", f"[{ip6.compressed}]", ip6, "ipv6")
    text = text.rstrip(".") if text not in (".", "") else text
    if not text:
        raise InputError(source, "no host name")
    if text.isascii():
        lowered = text.lower()
        try:  # (only a name whose last label starts with a digit may be an address)
            v4 = (
                _parse_ipv4(lowered)
                if "0" <= lowered[lowered.rfind(".") + 1 :][:1] <= "9"
                else None
            )
        except ValueError as exc:
            raise InputError(source, f"not a valid IPv4 address: {text} ({exc})") from None
        if v4 is not None:
            return Host(str(v4[0]), str(v4[0]), v4[0], v4[1])
        if len(lowered) > 253 or not _HOSTNAME.fullmatch(lowered):
            bad = sorted({c for c in lowered if not (c.isalnum() or c in "-_.")})
            why = f"characters {''.join(bad)!r} are not allowed" if bad else "empty or bad label"
            raise InputError(source, f"not a valid host name: {text!r} ({why})")
        error = None
        if "xn--" in lowered:
            shown = []
            for label in lowered.split("."):
                if label.startswith("xn--"):
                    u, err = _unicode_label(label)
                    error = error or err
                    shown.append(u)
                else:
                    shown.append(label)
            unicode_form = ".".join(shown)
        else:
            unicode_form = lowered
        ascii_form = lowered
    else:
        try:
            mapped = idna.uts46_remap(text, std3_rules=False, transitional=False)
        except (idna.IDNAError, UnicodeError) as exc:
            raise InputError(source, f"not a valid host name: {text!r} ({exc})") from None
        mapped = unicodedata.normalize("NFC", mapped).rstrip(".")
        labels = mapped.split(".")
        if not mapped or any(not label for label in labels):
            raise InputError(source, f"not a valid host name: {text!r} (empty label)")
        if any(c.isspace() or c in "/\\@:?#<>" for c in mapped):
            raise InputError(source, f"not a valid host name: {text!r}")
        error = None
        try:
            idna.encode(mapped, uts46=False)
        except (idna.IDNAError, UnicodeError) as exc:
            error = f"invalid IDNA: {exc}"
        ascii_form = ".".join(_ascii_label(label) for label in labels).lower()
        if mapped.isascii():
            return _parse_host(mapped, source, need_dot=need_dot)
        unicode_form = mapped
    if need_dot and "." not in ascii_form:
        raise InputError(source, f"not a URL or domain name: {text!r} has no dot")
    registrable, suffix = suffix_list().split(ascii_form)
    return Host(ascii_form, unicode_form, None, None, registrable, suffix, error)


def _unwide(text: str) -> tuple[str, bool]:
    if text.isascii():
        return text, False
    out = text.translate(_WIDE)
    return out, out != text


def parse_target(text: str) -> Target:
    """Parse one input (URL, domain or e-mail address); InputError naming it if unusable."""
    stripped = text.strip() if text else ""
    if not stripped:
        raise InputError(repr(text), "empty input")
    v, wide = _unwide(refang(stripped))
    scheme = None
    if v.startswith(("https://", "http://")):  # most links: what _SCHEME would find
        scheme = "https" if v[4] == "s" else "http"
        rest = v[len(scheme) + 3 :].lstrip("/\\")
    elif (m := _SCHEME.match(v)) and (
        v[m.end() : m.end() + 2] == "//" or m.group(1).lower() in ("mailto", "javascript", "data")
    ):
        scheme = m.group(1).lower()
        if scheme not in _SPECIAL:
            raise InputError(
                text, f"unsupported URL scheme {scheme!r} (expected http, https or ftp)"
            )
        rest = v[m.end() :].lstrip("/\\")
    elif v.startswith("//"):
        rest = v[2:]
    elif _URLISH.search(v) or "@" in v:
        if "@" in v and not _URLISH.search(v):
            local, _, domain = v.rpartition("@")
            if not local:
                raise InputError(text, "not a URL, domain or e-mail address")
            host = parse_host(domain, text, need_dot=True)
            return Target(text, "email", host, userinfo=local, wide=wide)
        rest = v
    else:
        if _SPACE.search(v):
            raise InputError(text, "not a URL or domain name (contains spaces)")
        return Target(text, "domain", parse_host(v, text, need_dot=True), wide=wide)
    end = _AUTHORITY_END.search(rest)
    authority, tail = (rest[: end.start()], rest[end.start() :]) if end else (rest, "")
    userinfo, at, hostport = authority.rpartition("@")
    port: int | None = None
    if hostport.startswith("["):
        close = hostport.find("]")
        if close < 0:
            raise InputError(text, "unterminated IPv6 address in URL")
        host_text, after = hostport[: close + 1], hostport[close + 1 :]
        if after.startswith(":") and after[1:].isdigit():
            port = int(after[1:])
    else:
        host_text, colon, port_text = hostport.rpartition(":")
        if not colon:
            host_text = hostport
        elif port_text == "":
            pass
        elif port_text.isdigit() and int(port_text) < 65536:
            port = int(port_text)
        else:
            raise InputError(text, f"bad port {port_text!r} in URL")
    if _SPACE.search(host_text):
        raise InputError(text, f"not a valid host name: {host_text!r} (contains spaces)")
    host = parse_host(host_text, text, need_dot=scheme is None)
    return Target(
        text,
        "url",
        host,
        scheme=scheme,
        userinfo=userinfo if at else None,
        port=port,
        rest=tail,
        wide=wide,
    )
