"""``koban url check`` and ``koban url permutations``."""

from __future__ import annotations

import json
from collections.abc import Iterable
from functools import partial
from itertools import chain
from typing import IO

import click

from koban.clikit import (
    Analyse,
    Context,
    exit_with,
    fail_on_option,
    format_option,
    is_stdin,
    report_stream,
    target_lines,
)
from koban.errors import InputError
from koban.intel.store import IntelStore
from koban.profile import Profile


@click.group()
def url() -> None:
    """Look-alike and legitimacy checks for links and domains."""


@url.command("check")
@click.argument("targets", nargs=-1)
@click.option(
    "--from",
    "lists",
    type=click.File("r", encoding="utf-8", errors="replace"),
    multiple=True,
    metavar="FILE",
    help="also check the targets in FILE, one per line ('-': standard input; blank lines and "
    "# comments skipped); repeatable",
)
@format_option
@fail_on_option
@click.pass_obj
def url_check(
    ctx: Context, targets: tuple[str, ...], lists: tuple[IO[str], ...], fmt: str, fail_on: str
) -> None:
    """Check URLs, domains or e-mail addresses: one report each.

    Compared with the built-in brands (exchanges, wallets, Safe, DeFi, explorers, and the
    recruiting and meeting brands lures hide behind) and the profile's own and trusted domains.
    Reports are written as they are made, so a list of millions (a feed of newly registered
    domains, the hosts of a proxy log) runs in flat memory; an unusable line is an error naming
    its file and line, and the rest still run.
    """
    from koban.url import build_context, report_for

    if not targets and not lists:
        raise click.UsageError("give URLs, domains or addresses, or --from FILE")

    def prepare(profile: Profile, store: IntelStore) -> Analyse:
        return partial(report_for, ctx=build_context(profile, store))

    given: Iterable[tuple[str | None, str]] = ((None, t) for t in targets)
    listed = (pair for stream in lists for pair in target_lines(ctx, stream))
    piped = any(is_stdin(stream) for stream in lists)
    report_stream(ctx, chain(given, listed), fmt, fail_on, prepare, flush=piped)


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
