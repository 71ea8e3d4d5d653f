"""The URL analyser: is this link or domain what it claims to be?

``analyse(target, profile, store)`` gives one report per input (analyser ``url``);
``check_url`` / ``check_domain`` / ``check`` give findings for the mail analyser and others,
with a ``CheckContext`` from ``build_context(profile, store)``: build it once and reuse it (the
brand index is cached per profile, host results per context).

Modules: ``hosts`` (parsing as browsers do: last "@", WHATWG IPv4 forms, IDNA both ways, the
bundled Public Suffix List), ``skeletons`` (UTS #39 confusables from Unicode 13.0, scripts),
``distance`` (weighted edit distance that explains itself), ``brands`` (``brands.yaml`` and the
index), ``buckets`` (where near misses of a label are looked for), ``words`` (ordinary words
near brand names), ``checks`` (the rules), ``permutations`` (watch-list candidates),
``commands`` (the CLI).

What a host is compared with
    The built-in brands of ``brands.yaml`` (Japanese and global exchanges, wallets, Safe, DeFi
    front ends, explorers, and the brands fake recruiters and "partners" hide behind), the
    profile's own domains (their look-alikes are critical) and its trusted partners.

How a look-alike is found (cheapest first; the first that matches wins)
    1. the exact name under another suffix (TLD swap), or a brand keyword as the whole name;
    2. the same look-alike key: UTS #39 skeleton without marks, small capitals and hooked
       letters read as their base letter, ASCII glyph folds (rn/m, vv/w, cl/d, 0/o, 1/l/i):
       homoglyphs (mixed-script, whole-script, diacritics, full-width) and visual swaps;
    3. the name split by hyphens or its parts reordered;
    4. a distinctive brand name inside the label (one trie-shaped regular expression);
    5. an ordinary-word brand beside a lure word (apple-id-verify, zoom-meeting);
    6. a weighted edit distance (homoglyph 0.25, visual 0.5, keyboard neighbour, doubled letter
       or swap 0.75, other 1) to the brand names within 2-3 plain edits in the same length
       bucket (a shared-letter bound rules most of a bucket out at once, rapidfuzz measures the
       rest); then the parts of a hyphenated name;
    plus the subdomain part (a brand's domain or name in front of someone else's registrable
    domain, any complete domain name there such as amazon.co.jp.ama2on.mobi, or a dot splitting
    the name), punycode/mixed-script labels, raw and obfuscated IP hosts, user names before "@",
    brand names in the path (medium beside a lure word or as a page of its own: /Rakuten/), and
    the intel store.

Why a real business is not called a look-alike just for being near (bitbank.cc vs bitflyer.com)
    - Exemption: a registrable domain that is a legitimate domain of ANY built-in brand, of the
      listed other businesses whose names collide (telegram.com, safe.com, yimg.com), or of the
      profile, is never a look-alike; and an exact name beats nearness: coincheck.net is a TLD
      swap of Coincheck, not a typo of Coinbase. Domains on the Public Suffix List
      (blogspot.com, googleapis.com...) are not listed: their subdomains belong to anyone.
    - Distance relative to length and typo-likeness: one visual or typo-like edit (keyboard
      neighbour, doubled or dropped letter, swap, bit flip, vowel) is high for names of 6+
      letters; an arbitrary letter swap only from 8; two edits are medium from 9 letters and
      high from 12. Names of 4 letters or fewer (okx, dmm) count only under the brand's own
      suffix and only as info/low, unless the match is exact or visual.
    - Ordinary words on either side: brands whose names are words (safe, curve, zoom, notion,
      ledger, apple) are "weak": containing them counts only beside a lure word, and their
      near misses stay low. A near miss that is itself an English word or name (cloud for
      icloud, motion for notion, trevor for trezor: ``words.txt``, from web2) stays low too.
      Names too generic to protect (live.com, mac.com) are ignored.
    - The closest brand wins: of the prefilter's candidates, the strongest severity and the
      lowest weighted cost are reported, once per brand.
    Severity carries the doubt: "low" and "info" findings explain themselves but do not make a
    verdict suspicious, so the default ``--fail-on suspicious`` ignores them.
"""

from __future__ import annotations

from typing import Any

from koban.intel.store import IntelStore
from koban.model import Report
from koban.profile import Org, Profile, Trust
from koban.rules import Rule
from koban.scoring import score_findings, verdict_for
from koban.url.checks import (
    CheckContext,
    build_context,
    check,
    check_domain,
    check_target,
    check_url,
    clear_caches,
)
from koban.url.hosts import Host, Target, parse_host, parse_target

__all__ = [
    "CheckContext",
    "Host",
    "Target",
    "analyse",
    "build_context",
    "check",
    "check_domain",
    "check_target",
    "check_url",
    "clear_caches",
    "parse_host",
    "parse_target",
    "report_for",
]


def report_for(target: str, ctx: CheckContext) -> Report:
    """The finalised report for one input. Raises InputError if it is not a URL or domain.

    Built with its score and verdict (``finalise``'s, for a report without children) instead of
    set afterwards: each assignment to a pydantic model is validated, and most URLs are clean."""
    findings = check(target, ctx)
    score = score_findings(findings) if findings else 0
    return Report(
        analyser="url", target=target, findings=findings, score=score, verdict=verdict_for(score)
    )


def analyse(target: str, profile: Profile, store: IntelStore | None) -> Report:
    """``koban scan``'s entry point: one report for a URL or domain."""
    return report_for(target, build_context(profile, store))


def run_example(rule: Rule, example: dict[str, Any]) -> bool:
    """Rule-example runner for ``url.*``: checks the example's target with its profile."""
    profile = Profile(
        org=Org(domains=list(example.get("org", []))),
        trust=Trust(domains=list(example.get("trust", []))),
    )
    findings = check(example["target"], build_context(profile))
    return any(f.rule == rule.id for f in findings)
