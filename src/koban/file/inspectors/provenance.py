"""Where a downloaded file came from, and whether that is where it should have come from.

"Make sure downloaded files come from a trusted source": TraderTraitor and AppleJeus installers
came from look-alike trading sites, file-sharing links and chat attachments. The origin is read
from what the system recorded at download time, never guessed from the content:

- Windows Mark of the Web: the ``Zone.Identifier`` stream (``ZoneId``, ``HostUrl``,
  ``ReferrerUrl``). Off NTFS it travels as a file named ``NAME:Zone.Identifier`` beside the file
  (WSL, 7-Zip and many copy tools), as the Samba ``user.DosStream.Zone.Identifier:$DATA``
  attribute, or saved by hand and given with ``--zone-id``.
- macOS: the ``com.apple.quarantine`` attribute (agent and time) and ``kMDItemWhereFroms`` (a
  binary plist: download URL, then the page it came from).
- ``--origin URL`` when the user knows.

Each URL is judged by the URL analyser (a look-alike host, a raw IP, an intel listing) and the
download URL against the profile's ``trust.download_sources``, plus a table of file-sharing,
paste, chat-CDN and tunnel hosts where no publisher ships its software. Executables, installers,
disk images and scripts weigh more than documents. Only input files (depth 0) have provenance.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import plistlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from koban.errors import InputError
from koban.file.context import FileContext
from koban.file.item import FileItem
from koban.model import Finding, Location, Severity
from koban.rules import make_finding

ORDER = 20
_RANK = list(Severity)
ZONE_SUFFIX = ":Zone.Identifier"
_MAX_SIDECAR = 64 * 1024
_ZONES = {0: "local machine", 1: "intranet", 2: "trusted sites", 3: "Internet", 4: "restricted"}
_ZONE_XATTR = "user.DosStream.Zone.Identifier:$DATA"
_QUARANTINE = ("com.apple.quarantine", "user.com.apple.quarantine")
_WHERE_FROMS = (
    "com.apple.metadata:kMDItemWhereFroms",
    "user.com.apple.metadata:kMDItemWhereFroms",
)

# Hosts anyone can upload to: no publisher ships its software from them. (host suffix, kind)
SHARING_HOSTS: dict[str, str] = {
    **dict.fromkeys(
        (
            "pastebin.com",
            "paste.ee",
            "rentry.co",
            "rentry.org",
            "hastebin.com",
            "ghostbin.com",
            "controlc.com",
            "justpaste.it",
            "dpaste.org",
            "paste.rs",
            "pastes.io",
        ),
        "paste site",
    ),
    **dict.fromkeys(
        (
            "mega.nz",
            "mega.co.nz",
            "mega.io",
            "mediafire.com",
            "wetransfer.com",
            "we.tl",
            "transfer.sh",
            "file.io",
            "gofile.io",
            "sendspace.com",
            "anonfiles.com",
            "catbox.moe",
            "litterbox.catbox.moe",
            "pixeldrain.com",
            "dropbox.com",
            "dropboxusercontent.com",
            "1drv.ms",
            "onedrive.live.com",
            "drive.google.com",
            "drive.usercontent.google.com",
            "filebin.net",
            "temp.sh",
            "bashupload.com",
            "uploadnow.io",
            "box.com",
        ),
        "file-sharing service",
    ),
    **dict.fromkeys(
        (
            "cdn.discordapp.com",
            "media.discordapp.net",
            "telegram-cdn.org",
            "telesco.pe",
            "t.me",
            "api.telegram.org",
        ),
        "chat attachment CDN",
    ),
    **dict.fromkeys(
        ("ngrok.io", "ngrok-free.app", "ngrok.app", "trycloudflare.com", "loca.lt", "serveo.net"),
        "temporary tunnel",
    ),
}
# Download CDNs a trusted page hands its files to (the browser records the CDN as HostUrl and
# the trusted page as ReferrerUrl): trusted when the referrer is.
RELEASE_CDNS: dict[str, tuple[str, ...]] = {
    "github.com": (
        "objects.githubusercontent.com",
        "release-assets.githubusercontent.com",
        "codeload.github.com",
    ),
    "gitlab.com": ("gitlab.com",),
}
# What runs when opened: from an unvetted source these weigh more than a document.
RISKY_TYPES = frozenset(
    {"pe", "elf", "macho", "lnk", "hta", "chm", "iso", "udf", "dmg", "vhd", "vhdx", "xar"}
    | {"msi", "apk", "jar", "script", "appimage", "deb", "rpm", "pkg"}
)
RISKY_SUFFIXES = frozenset(
    {
        ".exe",
        ".dll",
        ".scr",
        ".com",
        ".msi",
        ".msix",
        ".appx",
        ".appimage",
        ".dmg",
        ".pkg",
        ".mpkg",
        ".iso",
        ".img",
        ".vhd",
        ".vhdx",
        ".deb",
        ".rpm",
        ".apk",
        ".jar",
        ".lnk",
        ".url",
        ".hta",
        ".chm",
        ".bat",
        ".cmd",
        ".ps1",
        ".psm1",
        ".vbs",
        ".vbe",
        ".js",
        ".jse",
        ".wsf",
        ".wsh",
        ".sh",
        ".command",
        ".py",
        ".pyw",
        ".app",
        ".reg",
        ".cpl",
        ".xll",
    }
)


@dataclass
class Origin:
    """What the system recorded about where one file came from."""

    download: list[tuple[str, str]] = field(default_factory=list)  # (url, recorded by)
    referrers: list[tuple[str, str]] = field(default_factory=list)
    marks: list[dict[str, Any]] = field(default_factory=list)  # MOTW / quarantine records


def parse_zone_identifier(raw: bytes) -> dict[str, str]:
    """``key=value`` pairs of a Zone.Identifier stream (UTF-8 or UTF-16 with a BOM)."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = raw.decode("utf-16", "replace")
    else:
        text = raw.decode("utf-8-sig", "replace")
    out: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.strip().partition("=")
        if sep and key and not key.startswith(("[", ";", "#")):
            out[key.strip()] = value.strip()
    return out


def _read_small(path: Path) -> bytes | None:
    try:
        with path.open("rb") as f:
            return f.read(_MAX_SIDECAR)
    except OSError:
        return None


def _xattr(path: Path, names: Iterable[str]) -> bytes | None:
    for name in names:
        try:
            return os.getxattr(path, name)[:_MAX_SIDECAR]
        except OSError:  # absent, or a file system without extended attributes
            continue
    return None


def _zone_data(item: FileItem, ctx: FileContext) -> tuple[bytes, str] | None:
    if ctx.options.zone_id is not None:
        raw = _read_small(ctx.options.zone_id)
        if raw is not None:
            return raw, f"--zone-id {ctx.options.zone_id.name}"
    if item.fs_path is None:
        return None
    beside = item.fs_path.with_name(item.fs_path.name + ZONE_SUFFIX)
    if beside.is_file():
        raw = _read_small(beside)
        if raw is not None:
            return raw, beside.name
    raw = _xattr(item.fs_path, (_ZONE_XATTR,))
    return (raw, "Zone.Identifier stream (Samba attribute)") if raw is not None else None


def _quarantine(raw: bytes) -> dict[str, Any]:
    """``flags;hex-time;agent;uuid`` as macOS writes it."""
    parts = raw.decode("utf-8", "replace").split(";")
    mark: dict[str, Any] = {"source": "com.apple.quarantine", "flags": parts[0]}
    if len(parts) > 1:
        with contextlib.suppress(ValueError, OverflowError, OSError):
            mark["time"] = dt.datetime.fromtimestamp(int(parts[1], 16), dt.UTC).isoformat()
    if len(parts) > 2 and parts[2]:
        mark["agent"] = parts[2][:100]
    return mark


def _where_froms(raw: bytes) -> list[str]:
    try:
        value = plistlib.loads(raw)
    except Exception:  # not a plist: an attribute written by hand
        return []
    if isinstance(value, str):
        value = [value]
    return (
        [v[:2000] for v in value if isinstance(v, str) and v][:4] if isinstance(value, list) else []
    )


def read_origin(item: FileItem, ctx: FileContext) -> Origin:
    """Every origin record of an input file (none for archive members)."""
    origin = Origin()
    zone = _zone_data(item, ctx)
    if zone is not None:
        fields = parse_zone_identifier(zone[0])
        recorded = f"Zone.Identifier ({zone[1]})"
        mark: dict[str, Any] = {"source": recorded}
        if fields.get("ZoneId", "").isdigit():
            zone_id = int(fields["ZoneId"])
            mark.update(zone_id=zone_id, zone=_ZONES.get(zone_id, "unknown"))
        origin.marks.append(mark)
        host_url = fields.get("HostUrl", "")
        if host_url and host_url != "about:internet":
            origin.download.append((host_url[:2000], recorded))
        if fields.get("ReferrerUrl"):
            origin.referrers.append((fields["ReferrerUrl"][:2000], recorded))
    if item.fs_path is not None:
        raw = _xattr(item.fs_path, _QUARANTINE)
        if raw is not None:
            origin.marks.append(_quarantine(raw))
        raw = _xattr(item.fs_path, _WHERE_FROMS)
        froms = _where_froms(raw) if raw is not None else []
        if froms:
            origin.download.append((froms[0], "kMDItemWhereFroms"))
            origin.referrers += [(u, "kMDItemWhereFroms") for u in froms[1:]]
    if ctx.options.origin:
        origin.download.append((ctx.options.origin, "--origin"))
    return origin


def is_risky(item: FileItem) -> bool:
    """Whether the file runs, installs or mounts when opened (weighs more from a bad source)."""
    suffix = "." + item.name.rsplit(".", 1)[1].lower() if "." in item.name else ""
    return item.true_type in RISKY_TYPES or suffix in RISKY_SUFFIXES


def _parts(url: str) -> tuple[str, str, int | None, str] | None:
    """(scheme, host, port, path) as a browser reads them, lower-cased; None if not http(s)."""
    try:
        s = urlsplit(url.strip())
        host = (s.hostname or "").rstrip(".")
        port = s.port
    except ValueError:
        return None
    if s.scheme.lower() not in ("http", "https") or not host:
        return None
    return s.scheme.lower(), host.lower(), port, s.path or "/"


def under(url: str, prefix: str) -> bool:
    """Whether ``url`` lies under the trusted ``prefix``: same scheme, host and port, and the
    path continues at a segment boundary (``/hoshi-exchange`` does not cover
    ``/hoshi-exchange-evil``; ``example.com`` does not cover ``example.com.evil.io``)."""
    u, p = _parts(url), _parts(prefix)
    if u is None or p is None or u[:3] != p[:3]:
        return False
    path, base = u[3], p[3]
    if base.endswith("/"):
        return path.startswith(base)
    return path == base or path.startswith(base + "/")


def trusted_by(url: str, referrers: list[str], sources: list[str]) -> str | None:
    """The trusted source ``url`` comes from (directly, or through a release CDN that a trusted
    page sent the browser to), else None."""
    for prefix in sources:
        if under(url, prefix):
            return prefix
    parts = _parts(url)
    if parts is None:
        return None
    for prefix in sources:
        site = _parts(prefix)
        cdns = RELEASE_CDNS.get(site[1], ()) if site else ()
        if parts[1] in cdns and any(under(r, prefix) for r in referrers):
            return prefix
    return None


def sharing_kind(url: str) -> str | None:
    """What kind of anyone-can-upload host serves ``url`` (None for other hosts)."""
    parts = _parts(url)
    if parts is None:
        return None
    host = parts[1]
    labels = host.split(".")
    for i in range(len(labels) - 1):
        kind = SHARING_HOSTS.get(".".join(labels[i:]))
        if kind:
            return kind
    if host in ("discord.com", "discordapp.com") and parts[3].startswith("/attachments/"):
        return "chat attachment CDN"
    return None


def _url_findings(url: str, how: str, role: str, item: FileItem, ctx: FileContext) -> list[Finding]:
    """The URL analyser's verdict on an origin URL, as file findings (cached per URL)."""
    from koban.url import check_url

    cache: dict[str, list[Finding]] = ctx.cache.setdefault("provenance-urls", {})
    if url not in cache:
        try:
            cache[url] = check_url(url, ctx.url_context)
        except InputError:
            cache[url] = []
    out = []
    for f in cache[url]:
        loc = Location(path=item.path)
        said = f"the {role} URL {url} (from {how}): {f.message}"
        if f.rule.startswith("intel."):
            out.append(f.model_copy(update={"message": said, "location": loc}))
            continue
        rule = "file.origin_ip" if f.rule == "url.ip_host" else "file.origin_lookalike"
        severity = f.severity
        if rule == "file.origin_ip" and role == "download" and is_risky(item):
            severity = max(severity, Severity.MEDIUM, key=_RANK.index)  # a program off an IP
        out.append(
            make_finding(
                rule,
                said,
                severity=severity,
                location=loc,
                evidence={"url": url, "recorded_by": how, "url_rule": f.rule, **f.evidence},
                indicators=[url],
            )
        )
    return out


def _mark_findings(item: FileItem, origin: Origin) -> list[Finding]:
    out = []
    for mark in origin.marks:
        if "zone_id" in mark:
            said = f"Mark of the Web: zone {mark['zone_id']} ({mark['zone']})"
        elif mark["source"] == "com.apple.quarantine":
            agent = f" by {mark['agent']}" if mark.get("agent") else ""
            when = f" on {mark['time'][:10]}" if mark.get("time") else ""
            said = f"macOS quarantine flag: downloaded{agent}{when}"
        else:
            said = f"Mark of the Web present ({mark['source']})"
        source = next((u for u, _ in origin.download), None)
        if source:
            said += f", from {source}"
        out.append(
            make_finding(
                "file.mark_of_the_web",
                said,
                location=Location(path=item.path),
                evidence={**mark, "download_url": source},
            )
        )
    return out


def _trust_findings(item: FileItem, origin: Origin, ctx: FileContext) -> list[Finding]:
    sources = ctx.profile.trust.download_sources
    referrers = [u for u, _ in origin.referrers]
    risky = is_risky(item)
    what = "an executable, installer, disk image or script" if risky else "a file"
    out = []
    for url, how in origin.download:
        loc = Location(path=item.path)
        evidence = {"url": url, "recorded_by": how, "runs_when_opened": risky}
        kind = sharing_kind(url)
        if kind is not None:
            out.append(
                make_finding(
                    "file.origin_file_sharing",
                    f"{what} downloaded from a {kind} ({url}, from {how}): publishers do not "
                    "ship software from hosts anyone can upload to",
                    severity=Severity.HIGH if risky else Severity.MEDIUM,
                    location=loc,
                    evidence={**evidence, "host_kind": kind},
                    indicators=[url],
                )
            )
            continue
        if not sources:
            continue
        source = trusted_by(url, referrers, sources)
        if source is not None:
            out.append(
                make_finding(
                    "file.origin_trusted",
                    f"from a trusted source: {url} is under {source} (from {how})",
                    location=loc,
                    evidence={**evidence, "trusted_source": source},
                )
            )
        else:
            out.append(
                make_finding(
                    "file.origin_untrusted",
                    f"{what} not from a trusted download source: {url} (from {how}) is under "
                    "none of the profile's trust.download_sources",
                    severity=Severity.MEDIUM if risky else Severity.LOW,
                    location=loc,
                    evidence={**evidence, "trusted_sources": list(sources)},
                    indicators=[url],
                )
            )
    return out


class Provenance:
    name = "provenance"

    def applies(self, item: FileItem) -> bool:
        return item.depth == 0 and not item.name.endswith(ZONE_SUFFIX)

    def inspect(self, item: FileItem, ctx: FileContext) -> Iterable[Finding]:
        origin = read_origin(item, ctx)
        findings = _mark_findings(item, origin)
        findings += _trust_findings(item, origin, ctx)
        for url, how in origin.download:
            findings += _url_findings(url, how, "download", item, ctx)
        for url, how in origin.referrers:
            findings += _url_findings(url, how, "referring page", item, ctx)
        return findings


INSPECTOR = Provenance()
