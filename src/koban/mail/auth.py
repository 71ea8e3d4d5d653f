"""Authentication-Results (RFC 8601): who checked SPF/DKIM/DMARC, and what they found.

Only headers whose authserv-id is in the profile's ``trust.authserv_ids`` are evidence: anyone
can write an Authentication-Results header. Without configured ids, the topmost header (the
one the receiving system added last) is read as *untrusted* evidence and weighs less. A message
without any Authentication-Results is not suspicious for that alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_COMMENT = re.compile(r"\([^()]*\)")
_METHOD = re.compile(r"^\s*([a-z0-9_-]+)(?:/\d+)?\s*=\s*([a-z0-9_-]+)(.*)$", re.IGNORECASE | re.S)
_PROP = re.compile(r"([a-z0-9_-]+)\.([a-z0-9_-]+)\s*=\s*(\"[^\"]*\"|[^\s;]+)", re.IGNORECASE)


@dataclass(slots=True)
class MethodResult:
    method: str  # spf, dkim, dmarc, arc, compauth, iprev, ...
    result: str  # pass, fail, softfail, none, neutral, temperror, permerror, bestguesspass...
    props: dict[str, str] = field(default_factory=dict)  # "header.from" -> "example.jp"


@dataclass(slots=True)
class AuthResults:
    authserv_id: str  # "" when the header has none (Microsoft 365 writes it without)
    results: list[MethodResult]
    trusted: bool
    raw: str

    def get(self, method: str) -> list[MethodResult]:
        return [r for r in self.results if r.method == method]


def _strip_comments(value: str) -> str:
    prev = None
    while prev != value:
        prev, value = value, _COMMENT.sub(" ", value)
    return value


def parse_auth_results(value: str, trusted_ids: frozenset[str]) -> AuthResults | None:
    """One Authentication-Results header value; None when it is not one."""
    text = " ".join(_strip_comments(value).split())
    if not text:
        return None
    parts = [p.strip() for p in text.split(";")]
    first = parts[0].split()[0] if parts[0] else ""
    authserv_id = ""
    body = parts
    if first and "=" not in first:
        authserv_id = first.lower()
        body = [parts[0][len(first) :].strip(), *parts[1:]]
    results: list[MethodResult] = []
    for part in body:
        if not part or part.lower() == "none":
            continue
        m = _METHOD.match(part)
        if not m:
            continue
        method, result, rest = m.group(1).lower(), m.group(2).lower(), m.group(3)
        props = {
            f"{p.lower()}.{k.lower()}": v.strip('"').lower() for p, k, v in _PROP.findall(rest)
        }
        results.append(MethodResult(method, result, props))
    return AuthResults(authserv_id, results, authserv_id in trusted_ids, value)


_ARC_INSTANCE = re.compile(r"^\s*i\s*=\s*(\d+)\s*;", re.IGNORECASE)


def first_arc_results(headers: list[str], trusted_ids: frozenset[str]) -> AuthResults | None:
    """The ARC-Authentication-Results of instance 1 (RFC 8617): what the first receiver found.

    A forwarder (a mailing list, an alias forwarded to another mailbox) re-sends the message and
    the final receiver authenticates the forwarder, not the author; the first ARC hop recorded
    the author's results before that.
    """
    first: tuple[int, str] | None = None
    for h in headers:
        m = _ARC_INSTANCE.match(h)
        if m and (first is None or int(m.group(1)) < first[0]):
            first = (int(m.group(1)), h[m.end() :])
    if first is None or first[0] != 1:
        return None
    return parse_auth_results(first[1], trusted_ids)


def select_auth_results(headers: list[str], trusted_ids: frozenset[str]) -> list[AuthResults]:
    """The headers to believe: all trusted ones; else (no ids configured) the topmost one."""
    parsed = [p for p in (parse_auth_results(h, trusted_ids) for h in headers) if p]
    if trusted_ids:
        return [p for p in parsed if p.trusted]
    return parsed[:1]


@dataclass(slots=True)
class AuthVerdict:
    """What the believed headers say about the From domain."""

    trusted: bool
    authserv_id: str
    dmarc: str | None = None
    spf: str | None = None
    dkim_pass_domains: list[str] = field(default_factory=list)
    dkim: str | None = None
    compauth: str | None = None
    header_from: str | None = None

    @property
    def failed(self) -> list[str]:
        """Why the From domain is not authenticated (empty: nothing says it failed)."""
        why: list[str] = []
        if self.dmarc == "fail":
            why.append("dmarc=fail")
        if self.spf in ("fail", "softfail") and not self.dkim_pass_domains:
            why.append(f"spf={self.spf} without a passing DKIM signature")
        if self.compauth == "fail" and self.dmarc not in ("pass", "bestguesspass"):
            why.append("compauth=fail")
        return why

    def describe(self) -> str:
        who = self.authserv_id or "an unnamed server"
        trust = "trusted" if self.trusted else "untrusted"
        parts = [f"{k}={v}" for k, v in (("spf", self.spf), ("dkim", self.dkim),
                 ("dmarc", self.dmarc), ("compauth", self.compauth)) if v]  # fmt: skip
        return f"{who} ({trust}): {', '.join(parts) or 'no results'}"


def verdict_for(results: list[AuthResults], from_domain: str) -> AuthVerdict | None:
    if not results:
        return None
    first = results[0]
    v = AuthVerdict(trusted=first.trusted, authserv_id=first.authserv_id)
    for ar in results:
        for r in ar.results:
            if r.method == "dmarc":
                hf = r.props.get("header.from", "")
                if not hf or not from_domain or hf == from_domain or v.dmarc is None:
                    v.dmarc = r.result
                    v.header_from = hf or v.header_from
            elif r.method == "spf" and v.spf is None:
                v.spf = r.result
            elif r.method == "dkim":
                if v.dkim is None or r.result == "pass":
                    v.dkim = r.result
                if r.result == "pass":
                    d = r.props.get("header.d") or r.props.get("header.i", "").rpartition("@")[2]
                    if d:
                        v.dkim_pass_domains.append(d)
            elif r.method == "compauth" and v.compauth is None:
                v.compauth = r.result
    return v
