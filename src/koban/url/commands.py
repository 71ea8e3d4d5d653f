"""``koban url check`` and ``koban url permutations``."""

from __future__ import annotations

import json
from functools import partial

import click

from koban.clikit import (
    Analyse,
    Context,
    exit_with,
    fail_on_option,
    format_option,
    report_each,
)
from koban.errors import InputError
from koban.intel.store import IntelStore
from koban.profile import Profile


@click.group()
def url() -> None:
    """Look-alike and legitimacy checks for links and domains."""


@url.command("check")
@click.argument("targets", nargs=-1, required=True)
@format_option
@fail_on_option
@click.pass_obj
def url_check(ctx: Context, targets: tuple[str, ...], fmt: str, fail_on: str) -> None:
    """Check URLs, domains or e-mail addresses: one report each.

    Compared with the built-in brands (exchanges, wallets, Safe, DeFi, explorers, and the
    recruiting and meeting brands lures hide behind) and the profile's own and trusted domains.
    """
    from koban.url import build_context, report_for

    def prepare(profile: Profile, store: IntelStore) -> Analyse:
        return partial(report_for, ctx=build_context(profile, store))

    report_each(ctx, targets, fmt, fail_on, prepare, label="checking")


@url.command("permutations")
@click.argument("domain")
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@click.option(
    "--fuzzer",
    "fuzzers",
    multiple=True,
    help="only these fuzzer classes (repeatable; default: all)",
)
@click.pass_obj
def url_permutations(ctx: Context, domain: str, fmt: str, fuzzers: tuple[str, ...]) -> None:
    """Look-alike candidates of DOMAIN for watch lists (IDNA A-label, Unicode form, fuzzer).

    Covers dnstwist's fuzzer classes plus single confusable swaps from the Unicode table and
    whole-script spoofs. json: one object per line.
    """
    from koban.url.permutations import FUZZERS, permutations

    unknown = sorted(set(fuzzers) - set(FUZZERS))
    if unknown:
        raise click.UsageError(
            f"unknown fuzzer {', '.join(unknown)}; choose from {', '.join(FUZZERS)}"
        )
    try:
        candidates = permutations(domain, fuzzers=fuzzers or None)
    except InputError as exc:
        ctx.error(str(exc))
        exit_with(ctx, False)
        return
    for c in candidates:
        if fmt == "json":
            click.echo(json.dumps(c.to_dict(), ensure_ascii=False))
        else:
            shown = f"  {c.unicode}" if c.unicode != c.domain else ""
            click.echo(f"{c.fuzzer:14} {c.domain}{shown}")
    if fmt == "text":
        click.echo(f"{len(candidates)} candidates for {domain}", err=True)
    exit_with(ctx, False)
