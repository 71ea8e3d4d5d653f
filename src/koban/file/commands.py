"""``koban file scan``: triage downloaded files and archives without running them."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import click

from koban.clikit import Analyse, Context, fail_on_option, format_option, jobs_option, report_each
from koban.intel.store import IntelStore
from koban.profile import Profile


@click.group()
def file() -> None:
    """Files: is this download what it claims, from where it claims, and clean?"""


ARCHIVE_DEFAULTS = ("infected", "malware", "virus")  # what malware archives are locked with


def _supplied(values: tuple[str, ...], password_file: str | None) -> tuple[str, ...]:
    """The passwords the user gave (``--password``, ``--password-file``), in order."""
    out = list(values)
    if password_file:
        text = Path(password_file).read_text(encoding="utf-8", errors="replace")
        out += [line.strip() for line in text.splitlines() if line.strip()]
    return tuple(dict.fromkeys(out))


def _passwords(values: tuple[str, ...], password_file: str | None) -> tuple[str, ...]:
    """Archive passwords: the user's, then the usual malware-archive ones."""
    return tuple(dict.fromkeys([*_supplied(values, password_file), *ARCHIVE_DEFAULTS]))


@file.command("scan")
@click.argument("targets", nargs=-1, required=True)
@format_option
@fail_on_option
@click.option("--origin", metavar="URL", help="where the file was downloaded from, if known")
@click.option(
    "--zone-id",
    type=click.Path(exists=True, dir_okay=False),
    help="a Zone.Identifier stream saved as a file (default: NAME:Zone.Identifier beside it)",
)
@click.option(
    "--checksums",
    type=click.Path(exists=True, dir_okay=False),
    help="the publisher's checksum list (SHA256SUMS style) to verify the inputs against",
)
@click.option(
    "--signature",
    type=click.Path(exists=True, dir_okay=False),
    help="a detached signature of the input (.asc/.sig/.minisig)",
)
@click.option(
    "--known-good",
    type=click.Path(exists=True, dir_okay=False),
    help="file hashes of a known-good build (SHA256SUMS style) to compare an app against",
)
@click.option("--password", "passwords", multiple=True, help="archive password to try (repeatable)")
@click.option(
    "--password-file",
    type=click.Path(exists=True, dir_okay=False),
    help="archive passwords to try, one a line",
)
@jobs_option
@click.pass_obj
def scan(
    ctx: Context,
    targets: tuple[str, ...],
    fmt: str,
    fail_on: str,
    origin: str | None,
    zone_id: str | None,
    checksums: str | None,
    signature: str | None,
    known_good: str | None,
    passwords: tuple[str, ...],
    password_file: str | None,
    jobs: int,
) -> None:
    """Triage files, folders and archives (recursively, bounded): true type, Office macros and
    DDE, PDF actions, LNK targets, disk images, Electron apps, package install hooks,
    executables' signatures, hashes and YARA rules from the intel store, and where the file came
    from. Nothing is ever run."""
    from koban.file import FileContext, FileOptions, report_for

    options = FileOptions(
        origin=origin,
        zone_id=Path(zone_id) if zone_id else None,
        checksums=Path(checksums) if checksums else None,
        signature=Path(signature) if signature else None,
        known_good=Path(known_good) if known_good else None,
        passwords=_passwords(passwords, password_file),
        office_passwords=_supplied(passwords, password_file),
        jobs=jobs,
    )

    def prepare(profile: Profile, store: IntelStore) -> Analyse:
        return partial(report_for, ctx=FileContext(profile, store, options))

    report_each(ctx, targets, fmt, fail_on, prepare)
