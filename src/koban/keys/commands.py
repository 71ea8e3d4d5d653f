"""``koban keys scan``: find wallet secrets in trees, archives, documents and git history."""

from __future__ import annotations

from functools import partial

import click

from koban.clikit import (
    Analyse,
    Context,
    Progress,
    exit_with,
    fail_on_option,
    format_option,
    guard,
    jobs_option,
    report_each,
)
from koban.intel.store import IntelStore
from koban.model import Report
from koban.profile import Profile
from koban.scoring import finalise


@click.group()
def keys() -> None:
    """Keys: private keys and seed phrases left online, and the wallets they control."""


@keys.command("scan")
@click.argument("targets", nargs=-1, required=True)
@format_option
@fail_on_option
@click.option(
    "--baseline",
    type=click.Path(dir_okay=False),
    help="accepted exposures (fingerprints) from --write-baseline: reported no more",
)
@click.option(
    "--write-baseline",
    type=click.Path(dir_okay=False),
    help="write every exposure found to this baseline file (after --baseline is applied)",
)
@click.option(
    "--addresses",
    type=click.IntRange(1, 1000),
    default=5,
    show_default=True,
    help="addresses derived per derivation path of a seed or extended key",
)
@click.option("--no-history", is_flag=True, help="do not read git history")
@click.option(
    "--exclude",
    multiple=True,
    metavar="GLOB",
    help="skip paths matching GLOB (path relative to the input, or file name; repeatable)",
)
@jobs_option
@click.pass_obj
def scan(
    ctx: Context,
    targets: tuple[str, ...],
    fmt: str,
    fail_on: str,
    baseline: str | None,
    write_baseline: str | None,
    addresses: int,
    no_history: bool,
    exclude: tuple[str, ...],
    jobs: int,
) -> None:
    """Scan files and directories (archives, office documents, PDF, git history) for BIP39 and
    Electrum seeds, WIF and extended private keys, raw keys, keystores, Solana keypairs and PEM
    keys. One report per input; secrets are shown redacted with a fingerprint. A secret that
    controls a wallet of the profile is critical."""
    from koban.keys import baseline as baselines
    from koban.keys import options_for, report_for

    accepted: set[str] = set()
    if baseline:
        loaded = guard(ctx, partial(baselines.load, baseline))
        if loaded is None:  # a broken baseline would report everything as new: stop here
            exit_with(ctx, False)
        accepted = loaded

    def prepare(profile: Profile, _store: IntelStore) -> Analyse:
        if not profile.wallets:
            ctx.warn("no [[wallets]] in the profile: exposures are not linked to our wallets")
        options = options_for(
            profile,
            derive_count=addresses,
            history=not no_history,
            exclude=exclude,
            jobs=jobs,
        )

        def analyse(target: str) -> Report:
            progress = Progress(1, f"{target}: batch", min_total=1)

            def step(done: int, total: int) -> None:
                progress.total, progress.done = total, done - 1
                progress.step()

            try:
                return report_for(target, options, step)
            finally:
                progress.close()

        return analyse

    def finish(reports: list[Report]) -> None:
        if accepted:
            dropped = baselines.apply(reports, accepted)
            for r in reports:
                finalise(r)
            if dropped:
                click.echo(
                    f"koban: {dropped} accepted exposure(s) not reported (baseline)", err=True
                )
        if write_baseline:
            count = baselines.write(write_baseline, reports)
            click.echo(f"koban: wrote {count} fingerprint(s) to {write_baseline}", err=True)

    report_each(ctx, targets, fmt, fail_on, prepare, finish=finish)
