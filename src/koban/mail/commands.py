"""``koban mail``: triage messages (``mail scan``), watch an IMAP folder (``mail watch``)."""

from __future__ import annotations

from functools import partial

import click

from koban.clikit import (
    Analyse,
    Context,
    fail_on_option,
    format_option,
    report_each,
)
from koban.intel.store import IntelStore
from koban.profile import Profile


@click.group()
def mail() -> None:
    """Mail: triage messages, their attachments and links."""


@mail.command("scan")
@click.argument("targets", nargs=-1, required=True)
@format_option
@fail_on_option
@click.pass_obj
def scan(ctx: Context, targets: tuple[str, ...], fmt: str, fail_on: str) -> None:
    """Scan .eml/.msg files, mbox files and Maildir folders (one report per input)."""
    from koban.mail import MailContext, analyse_with

    def prepare(profile: Profile, store: IntelStore) -> Analyse:
        if not profile.loaded:
            ctx.warn(
                "no profile: executive, own-domain and role checks are off "
                "(see --profile and koban.toml)"
            )
        mctx = MailContext.build(profile, store)
        return partial(analyse_with, ctx=mctx, on_error=lambda err: ctx.error(str(err)))

    report_each(ctx, targets, fmt, fail_on, prepare)


@mail.command("watch")
@click.option("--host", help="IMAP server  [default: host in [mail.imap] of the profile]")
@click.option("--port", type=click.IntRange(1, 65535), help="[default: 993 for tls, else 143]")
@click.option(
    "--security",
    type=click.Choice(["tls", "starttls", "plain"]),
    help="IMAPS, STARTTLS, or no TLS (only to this machine)  [default: tls]",
)
@click.option("--user", help="login name  [default: user in [mail.imap]]")
@click.option(
    "--password-env",
    metavar="NAME",
    help="environment variable holding the password  [default: KOBAN_IMAP_PASSWORD]",
)
@click.option("--password-file", type=click.Path(dir_okay=False), help="file holding the password")
@click.option("--ca-file", type=click.Path(dir_okay=False), help="CA bundle for a private CA")
@click.option("--folder", help="folder to watch  [default: INBOX]")
@click.option(
    "--action",
    type=click.Choice(["tag", "move"]),
    help="tag flagged mail with keywords, or also move it to the quarantine folder [default: tag]",
)
@click.option("--quarantine-folder", help="created if missing  [default: Quarantine]")
@click.option(
    "--quarantine-at",
    type=click.Choice(["suspicious", "malicious"]),
    help="verdict from which mail is tagged or moved  [default: suspicious]",
)
@click.option("--once", is_flag=True, help="process what is there, then exit (cron, CI)")
@click.option(
    "--interval",
    type=click.FloatRange(min=0, min_open=True),
    help="seconds between polls when the server has no IDLE (or with --no-idle)  [default: 60]",
)
@click.option(
    "--idle/--no-idle",
    default=None,
    help="wait for new mail with IMAP IDLE when the server offers it (renewed every 10 "
    "minutes), else poll  [default: --idle]",
)
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@fail_on_option
@click.pass_obj
def watch_command(ctx: Context, /, once: bool, fmt: str, fail_on: str, **options: object) -> None:
    """Watch an IMAP folder: analyse each new message, tag or quarantine what is flagged.

    Every processed message gets the keyword $KobanChecked; flagged ones $KobanSuspicious or
    $KobanMalicious (and, with --action move, go to the quarantine folder). Messages stay
    unread. Settings come from [mail.imap] in the profile; options override them. The password
    is read from an environment variable or a file, never from the command line. What was
    processed is remembered in KOBAN_HOME: a restart repeats nothing. Without --once, it runs
    until SIGINT/SIGTERM (exit 0): new mail is picked up at once with IMAP IDLE when the
    server offers it, else by polling every --interval seconds; a dropped connection is
    re-opened with growing waits (up to 5 minutes) and nothing is lost or done twice. With
    --once, exit 1 when a message reached --fail-on."""
    from koban.mail.watch import run_command

    run_command(ctx, once=once, fmt=fmt, fail_on=fail_on, **options)
