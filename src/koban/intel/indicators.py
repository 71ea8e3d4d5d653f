"""Indicator types and their canonical forms, so that the same thing always has the same key.

- addresses: EVM ``0x`` addresses lower-case (checksums are display only); bech32 and cashaddr
  lower-case; base58 forms (Bitcoin legacy, Tron, Solana, Monero...) exactly as written.
- domains: IDNA A-labels (UTS #46 mapping), lower-case, no trailing dot.
- URLs: refanged, scheme and host lower-case, IDNA host, default port and fragment dropped.
- IPs: compressed form. E-mail: lower-case, IDNA domain. Hashes: lower-case hex.
"""

from __future__ import annotations

import ipaddress
import re
from enum import StrEnum
from urllib.parse import urlsplit, urlunsplit

import idna


class IndicatorType(StrEnum):
    ADDRESS = "address"
    DOMAIN = "domain"
    URL = "url"
    IP = "ip"
    EMAIL = "email"
    MD5 = "md5"
    SHA1 = "sha1"
    SHA256 = "sha256"


HASH_TYPES = {32: IndicatorType.MD5, 40: IndicatorType.SHA1, 64: IndicatorType.SHA256}

_EVM = re.compile(r"0x[0-9a-fA-F]{40}")
_BECH32 = re.compile(r"(bc|tb|bcrt|ltc|tltc|bnb|tbnb)1[02-9ac-hj-np-z]{6,87}", re.IGNORECASE)
_CASHADDR = re.compile(r"([a-z]{2,16}:)?[qp][02-9ac-hj-np-z]{41}", re.IGNORECASE)
_BASE58 = re.compile(r"[1-9A-HJ-NP-Za-km-z]{25,110}")
# Any bech32 string (Cosmos, Cardano, Elrond, Avalanche X-chain...): hrp "1" data.
_BECH32_ANY = re.compile(r"(?:[a-z]-)?[a-z]{1,20}1[02-9ac-hj-np-z]{20,110}", re.IGNORECASE)
_HEX32_ADDR = re.compile(r"0x[0-9a-fA-F]{64}")  # Aptos / Sui addresses
# Other chains' forms (Algorand base32, Filecoin, Monero...): long, has a digit, no spaces.
_GENERIC_ADDR = re.compile(r"(?=[^\d]*\d)[0-9A-Za-z:_\-]{25,120}")
_HEX = re.compile(r"[0-9a-fA-F]+")
_DOMAIN = re.compile(r"(?=.{1,253}$)([a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}")
_XRP = re.compile(r"r[1-9A-HJ-NP-Za-km-z]{24,34}")


class NormaliseError(ValueError):
    """The value is not a valid indicator of the requested type."""


_DNS_NAME = re.compile(
    r"(?:[a-z0-9_](?:[a-z0-9_\-]*[a-z0-9_])?\.)+[a-z0-9_](?:[a-z0-9_\-]*[a-z0-9_])?"
)
_LDH_DOMAIN = re.compile(
    r"(?:[a-z0-9_](?:[a-z0-9_\-]{0,61}[a-z0-9_])?\.)+[a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?"
)


def refang(value: str) -> str:
    """Undo common defanging: ``hxxp``, ``[.]``, ``(.)``, ``[:]``, ``[at]``."""
    v = value.strip()
    head = v[:4].lower()
    if (  # (substring tests: a regular expression with "^hxxp" costs 2 us on a long URL)
        head != "hxxp"
        and not head.startswith("fxp")
        and "[" not in v
        and "]" not in v
        and "(" not in v
        and "{" not in v
    ):
        return v
    v = re.sub(r"^hxxp", "http", v, flags=re.IGNORECASE)
    v = re.sub(r"^fxp", "ftp", v, flags=re.IGNORECASE)
    for a, b in (
        ("[.]", "."),
        ("(.)", "."),
        ("{.}", "."),
        ("[dot]", "."),
        ("[:]", ":"),
        ("[at]", "@"),
        ("[@]", "@"),
        ("[://]", "://"),
    ):
        v = v.replace(a, b)
    return v


def normalise_address(value: str) -> str:
    v = value.strip()
    if not v:
        raise NormaliseError("empty address")
    if _EVM.fullmatch(v):
        return v.lower()
    if _BECH32.fullmatch(v) or _CASHADDR.fullmatch(v):
        if v != v.lower() and v != v.upper():
            raise NormaliseError(f"mixed-case bech32 address {value!r}")
        return v.lower()
    if _HEX32_ADDR.fullmatch(v):
        return v.lower()
    if _BECH32_ANY.fullmatch(v) and (v == v.lower() or v == v.upper()):
        return v.lower()
    if re.fullmatch(r"[0-9A-Za-z:_\-]{20,120}", v):
        return v
    raise NormaliseError(f"not a cryptocurrency address: {value!r}")


def normalise_domain(value: str) -> str:
    v = refang(value).strip().rstrip(".")
    if not v:
        raise NormaliseError("empty domain")
    if v.isascii():
        lowered = v.lower()
        # Fast path: plain LDH names (and A-labels) are already canonical once lower-cased.
        if _LDH_DOMAIN.fullmatch(lowered) and "xn--" not in lowered and len(lowered) <= 253:
            return lowered
    try:
        a_label = idna.encode(v, uts46=True, transitional=False).decode("ascii")
    except idna.IDNAError:
        # Tolerate underscores and other DNS-valid but IDNA-invalid labels (seen in feeds).
        lowered = v.lower()
        if lowered.isascii() and _DNS_NAME.fullmatch(lowered):
            return lowered
        raise NormaliseError(f"not a valid domain name: {value!r}") from None
    if "." not in a_label:
        raise NormaliseError(f"not a fully qualified domain name: {value!r}")
    return a_label.lower()


def normalise_ip(value: str) -> str:
    try:
        return ipaddress.ip_address(refang(value).strip("[] ")).compressed
    except ValueError:
        raise NormaliseError(f"not an IP address: {value!r}") from None


def normalise_email(value: str) -> str:
    v = refang(value).strip().strip("<>")
    local, sep, domain = v.rpartition("@")
    if not sep or not local or not domain:
        raise NormaliseError(f"not an e-mail address: {value!r}")
    return f"{local.lower()}@{normalise_domain(domain)}"


def normalise_url(value: str) -> str:
    v = refang(value)
    if "://" not in v:
        raise NormaliseError(f"not a URL (no scheme): {value!r}")
    try:
        parts = urlsplit(v)
        port = parts.port
    except ValueError as exc:
        raise NormaliseError(f"not a valid URL: {value!r} ({exc})") from None
    scheme = parts.scheme.lower()
    host = parts.hostname or ""
    if not host:
        raise NormaliseError(f"URL has no host: {value!r}")
    try:
        host = normalise_ip(host)
        if ":" in host:
            host = f"[{host}]"
    except NormaliseError:
        host = normalise_domain(host)
    default = {"http": 80, "https": 443, "ftp": 21}.get(scheme)
    netloc = host if port is None or port == default else f"{host}:{port}"
    if parts.username is not None:
        userinfo = parts.username + (f":{parts.password}" if parts.password is not None else "")
        netloc = f"{userinfo}@{netloc}"
    path = parts.path or "/"
    return urlunsplit((scheme, netloc, path, parts.query, ""))


def normalise_hash(value: str) -> str:
    v = value.strip().lower()
    if not _HEX.fullmatch(v) or len(v) not in HASH_TYPES:
        raise NormaliseError(f"not an MD5/SHA-1/SHA-256 hex digest: {value!r}")
    return v


def normalise(kind: IndicatorType, value: str) -> str:
    """Canonical form of ``value`` as an indicator of type ``kind``; NormaliseError if invalid."""
    if kind is IndicatorType.ADDRESS:
        return normalise_address(value)
    if kind is IndicatorType.DOMAIN:
        return normalise_domain(value)
    if kind is IndicatorType.URL:
        return normalise_url(value)
    if kind is IndicatorType.IP:
        return normalise_ip(value)
    if kind is IndicatorType.EMAIL:
        return normalise_email(value)
    v = normalise_hash(value)
    if HASH_TYPES[len(v)] is not kind:
        raise NormaliseError(f"{value!r} is not a {kind.value} digest")
    return v


_IPV4ISH = re.compile(r"[0-9.]+")
_IPV6ISH = re.compile(r"\[?[0-9A-Fa-f:.]+(%[\w.]+)?\]?")


def _is_ip(v: str) -> bool:
    if not (_IPV4ISH.fullmatch(v) or (":" in v and _IPV6ISH.fullmatch(v))):
        return False
    try:
        ipaddress.ip_address(v.strip("[]"))
    except ValueError:
        return False
    return True


def classify(value: str) -> tuple[IndicatorType, str] | None:
    """(type, canonical value) of a bare value as a person types it; None if it is nothing.

    One pass, cheapest tests first: this runs for every lookup."""
    v = value.strip()
    if not v:
        return None
    if len(v) == 42 and v[:2] in ("0x", "0X") and _EVM.fullmatch(v):
        return IndicatorType.ADDRESS, v.lower()
    v = refang(v)
    try:
        if "://" in v:
            return IndicatorType.URL, normalise_url(v)
        if "." not in v and ":" not in v and "@" not in v:
            # Only addresses and digests are dot-free.
            if len(v) in HASH_TYPES and _HEX.fullmatch(v):
                return HASH_TYPES[len(v)], v.lower()
            if (
                _EVM.fullmatch(v)
                or _BECH32.fullmatch(v)
                or _CASHADDR.fullmatch(v)
                or _BASE58.fullmatch(v)
                or _XRP.fullmatch(v)
                or _HEX32_ADDR.fullmatch(v)
                or _BECH32_ANY.fullmatch(v)
                or _GENERIC_ADDR.fullmatch(v)
            ):
                return IndicatorType.ADDRESS, normalise_address(v)
            return None
        if _is_ip(v):
            return IndicatorType.IP, normalise_ip(v)
        if _CASHADDR.fullmatch(v):
            return IndicatorType.ADDRESS, normalise_address(v)
        if "@" in v and not v.startswith("@"):
            return IndicatorType.EMAIL, normalise_email(v)
        if "." in v:
            return IndicatorType.DOMAIN, normalise_domain(v)
    except NormaliseError:
        return None
    return None


def guess_type(value: str) -> IndicatorType | None:
    """What a bare value most likely is (for ``intel lookup`` and ``scan``); None if nothing."""
    got = classify(value)
    return got[0] if got else None
