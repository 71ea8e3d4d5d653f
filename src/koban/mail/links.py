"""Links in a message: each becomes a child report (analyser ``url``) with what is wrong with it.

Checked here, offline: the visible text naming another domain than the link goes to, IP hosts
(also the decimal/hex forms) and hosts named after their IP address, userinfo tricks
(``https://www.bank.jp@203.0.113.5/``), downloads of archives, installers, disk images and
scripts, URL shorteners, free file and page hosting, ``data:``/``file:`` links. Look-alike hosts
go through :mod:`koban.mail.lookalike`.
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit

import idna

from koban.mail.context import MailContext
from koban.mail.lookalike import url_findings
from koban.mail.parse import Link
from koban.model import Finding, Severity
from koban.rules import make_finding

DOWNLOAD_EXTS = {
    "zip": "archive",
    "rar": "archive",
    "7z": "archive",
    "tar": "archive",
    "gz": "archive",
    "tgz": "archive",
    "cab": "archive",
    "iso": "disk image",
    "img": "disk image",
    "vhd": "disk image",
    "vhdx": "disk image",
    "dmg": "disk image",
    "pkg": "installer",
    "exe": "program",
    "msi": "installer",
    "msix": "installer",
    "appx": "installer",
    "scr": "program",
    "com": "program",
    "lnk": "shortcut",
    "js": "script",
    "jse": "script",
    "vbs": "script",
    "vbe": "script",
    "wsf": "script",
    "hta": "script",
    "ps1": "script",
    "bat": "script",
    "cmd": "script",
    "sh": "script",
    "apk": "app package",
    "jar": "program",
    "asar": "app package",
    "appimage": "program",
    "deb": "installer",
    "rpm": "installer",
    "xll": "add-in",
    "one": "OneNote document",
    "docm": "macro document",
    "xlsm": "macro document",
    "pptm": "macro document",
}
# Links in newsletters and mailing lists point at source tarballs and .exe installers of real
# software all the time: a download alone is low; the combination rule weighs it with the rest.
_HIGH_KINDS = {"shortcut", "script", "disk image"}
_DOMAINISH = re.compile(
    r"(?<![\w@.-])(?:https?://)?((?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,24})(?![\w-])",
    re.IGNORECASE,
)
_COMMON_TLDS = re.compile(
    r"\.(?:com|net|org|jp|io|co|info|biz|de|uk|fr|ru|cn|us|app|dev|xyz|me|cc|top|site|online)$"
)


@dataclass(slots=True)
class LinkResult:
    url: str
    host: str
    findings: list[Finding] = field(default_factory=list)
    weights: dict[str, float] = field(default_factory=dict)  # signals for mail.combined_signals
    download: str | None = None  # kind of download, if any


def host_ip(host: str) -> str | None:
    """The IP a host names: dotted, bracketed v6, or the integer/hex forms browsers accept."""
    h = host.strip("[]")
    try:
        return ipaddress.ip_address(h).compressed
    except ValueError:
        pass
    if re.fullmatch(r"0x[0-9a-f]{1,8}|\d{8,10}", h):
        try:
            n = int(h, 16) if h.startswith("0x") else int(h)
            if 0 < n < 2**32:
                return str(ipaddress.IPv4Address(n))
        except ValueError:
            return None
    return None


def obfuscated_host(host: str) -> str | None:
    """Why ``host`` is written to dodge filters (look-alike symbol fonts, characters no host
    name may carry), or ``None``. Real internationalised names (münchen.de, 例え.jp) pass."""
    if host.isascii():
        return None
    folded = unicodedata.normalize("NFKC", host)
    if folded != host:
        return f"written in look-alike symbol characters that browsers read as {folded}"
    try:
        idna.encode(host, uts46=False)
    except (idna.IDNAError, UnicodeError):
        return "it carries characters that no host name may contain"
    return None


def _visible_domain(text: str) -> str | None:
    m = _DOMAINISH.search(text.strip())
    if not m:
        return None
    dom = m.group(1).lower().rstrip(".")
    if not _COMMON_TLDS.search(dom) and not text.strip().lower().startswith(("http", "www.")):
        return None  # "version 2.0.final" is not a domain
    return dom


_OCTET = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
# The four octets of an IPv4 address written into a host name ("103-52-115-55.cloud.example",
# "ec2-16-170-148-0.compute.example", "92.205.17.241.host.example"): the name a hosting provider
# gives a rented server, not the name of a site.
_IP_IN_NAME = re.compile(rf"(?<![\w-]){_OCTET}([-.]){_OCTET}\1{_OCTET}\1{_OCTET}(?![\w-])")
_IP_IN_LABEL = re.compile(rf"(?:^|[.-]){_OCTET}-{_OCTET}-{_OCTET}-{_OCTET}(?:\.|$)")


def server_host(host: str) -> str | None:
    """The IPv4 address a host name is built from, or None."""
    m = _IP_IN_NAME.search(host) or _IP_IN_LABEL.search(host)
    if m is None:
        return None
    return ".".join(re.findall(r"\d+", m.group(0)))


def check_link(link: Link, ctx: MailContext) -> LinkResult:
    url = link.url.strip()
    low = url.lower()
    res = LinkResult(url, "")
    if low.startswith("data:"):
        res.findings.append(
            make_finding(
                "mail.link_data_uri",
                "link carries its own content (data: URI), a way to smuggle a page or file past "
                "filters",
                evidence={"url": url[:200]},
            )
        )
        res.weights["data_uri"] = 2.0
        return res
    if low.startswith(("file:", "\\\\", "smb:")):
        res.findings.append(
            make_finding(
                "mail.link_file_scheme",
                f"link opens a network file share ({url[:120]}): leaks Windows credentials or "
                "runs a remote file",
                evidence={"url": url},
            )
        )
        res.weights["file_scheme"] = 3.0
        return res
    if not low.startswith(("http://", "https://", "ftp://")):
        return res
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").rstrip(".").lower()
    except ValueError:
        res.weights["malformed_url"] = 0.5
        return res
    res.host = host
    if not host:
        return res
    odd = obfuscated_host(host)
    if odd is not None:
        res.findings.append(
            make_finding(
                "mail.link_obfuscated_host",
                f"link host {host} is disguised: {odd}; written so to slip past filters",
                evidence={"url": url[:300], "host": host},
                indicators=[host],
            )
        )
        res.weights["obfuscated_host"] = 2.5
    netloc = parts.netloc
    if "@" in netloc:
        userinfo = unquote(netloc.rsplit("@", 1)[0])
        decoy = "." in userinfo and not userinfo.startswith("%")
        res.findings.append(
            make_finding(
                "mail.link_userinfo",
                f"link shows {userinfo!r} before an @ but goes to {host}"
                if decoy
                else f"link hides a user name in its address and goes to {host}",
                severity=None if decoy else Severity.MEDIUM,
                evidence={"url": url, "userinfo": userinfo, "host": host},
                indicators=[host],
            )
        )
        res.weights["userinfo"] = 3.0 if decoy else 1.5
    ip = host_ip(host)
    if ip is not None:
        res.findings.append(
            make_finding(
                "mail.link_ip_host",
                f"link goes to a bare IP address ({ip}) instead of a named site",
                evidence={"url": url, "ip": ip},
                indicators=[ip],
            )
        )
        res.weights["ip_host"] = 2.0
    else:
        server = server_host(host)
        if server is not None:
            res.findings.append(
                make_finding(
                    "mail.link_server_host",
                    f"link host {host} is named after the IP address {server}: a hosting "
                    "provider's name for a rented server, not the name of a site",
                    evidence={"url": url[:300], "host": host, "ip": server},
                    indicators=[host],
                )
            )
            res.weights["server_host"] = 1.0
        res.findings.extend(url_findings(url, host, ctx))
        if any(f.rule == "mail.link_lookalike" for f in res.findings):
            res.weights["lookalike"] = 4.0
    trusted_source = any(url.startswith(s) for s in ctx.download_sources)
    path = unquote(parts.path).lower().rstrip("/")
    ext = path.rsplit(".", 1)[-1] if "." in path.rsplit("/", 1)[-1] else ""
    kind = DOWNLOAD_EXTS.get(ext)
    if kind and not trusted_source:
        res.download = kind
        res.findings.append(
            make_finding(
                "mail.link_download",
                f"link downloads a {kind} (.{ext}) from {host}",
                severity=None if kind in _HIGH_KINDS else Severity.LOW,
                evidence={"url": url, "extension": ext, "kind": kind},
                indicators=[url],
            )
        )
        res.weights["download"] = 2.0 if kind in _HIGH_KINDS else 1.0
    if ctx.is_shortener(host):
        res.findings.append(
            make_finding(
                "mail.link_shortener",
                f"link goes through the URL shortener {host}: its destination is hidden",
                evidence={"url": url, "host": host},
            )
        )
        res.weights["shortener"] = 1.0
    elif ctx.is_file_hosting(host) and not trusted_source:
        res.findings.append(
            make_finding(
                "mail.link_file_hosting",
                f"link goes to {host}, a free file or page hosting service anyone can publish on",
                evidence={"url": url, "host": host},
            )
        )
        res.weights["file_hosting"] = 1.0
    shown = _visible_domain(link.text) if link.text else None
    if shown and "@" not in link.text:
        shown_reg = ctx.registrable(shown)
        href_reg = ctx.registrable(host)
        if shown_reg and href_reg and shown_reg != href_reg and shown_reg != host:
            imitated = shown_reg in ctx.protected or ctx.is_own(shown)
            res.findings.append(
                make_finding(
                    "mail.link_text_mismatch",
                    f"link text shows {shown} but the link goes to {host}",
                    severity=None if imitated else Severity.LOW,
                    evidence={"url": url, "text": link.text[:200], "shown": shown, "host": host},
                    indicators=[host],
                )
            )
            res.weights["text_mismatch"] = 3.0 if imitated else 1.5
    return res
