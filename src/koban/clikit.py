"""What every ``koban`` command shares: per-invocation context, common options, output, exits.

Analyser packages build their command groups (``koban.<name>.commands``) from these, so every
command renders, warns and exits the same way (PRODUCT.md: 0 clean, 1 at/above --fail-on,
2 usage or input errors).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

import click

from koban.errors import KobanError
from koban.home import store_path
from koban.intel.store import IntelStore
from koban.model import Report
from koban.profile import Profile, load_profile
from koban.render import FORMATS, render
from koban.scoring import FAIL_LEVELS, fails

__all__ = [
    "EXIT_ERROR",
    "EXIT_FINDINGS",
    "EXIT_OK",
    "Context",
    "emit",
    "exit_with",
    "fail_on_option",
    "fails",
    "format_option",
    "guard",
    "jobs_option",
    "open_store",
]

EXIT_OK, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


class Context:
    """Per-invocation state: the profile (loaded lazily), output format and error tally."""

    def __init__(self, profile_path: str | None) -> None:
        self.profile_path = profile_path
        self._profile: Profile | None = None
        self.errors = 0
        self._warned: set[str] = set()

    @property
    def profile(self) -> Profile:
        if self._profile is None:
            self._profile = load_profile(self.profile_path)
        return self._profile

    def error(self, message: str) -> None:
        self.errors += 1
        click.echo(f"koban: error: {message}", err=True)

    def warn(self, message: str) -> None:
        if message not in self._warned:
            self._warned.add(message)
            click.echo(f"koban: warning: {message}", err=True)


def colour() -> bool:
    return sys.stdout.isatty()


def emit(reports: Sequence[Report], fmt: str) -> None:
    text = render(fmt, reports, colour=colour())
    click.echo(text, nl=False)


def exit_with(ctx: Context, failed: bool) -> None:
    if ctx.errors:
        sys.exit(EXIT_ERROR)
    sys.exit(EXIT_FINDINGS if failed else EXIT_OK)


format_option = click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="text",
    show_default=True,
    help="text for people, json (JSON Lines), sarif",
)
fail_on_option = click.option(
    "--fail-on",
    type=click.Choice(FAIL_LEVELS),
    default="suspicious",
    show_default=True,
    help="exit 1 when a verdict or finding severity reaches this level",
)

jobs_option = click.option(
    "--jobs",
    type=click.IntRange(0, 256),
    default=0,
    show_default=True,
    help="worker processes (0: one per core)",
)


def open_store() -> IntelStore:
    return IntelStore(store_path())


def guard(ctx: Context, action: Callable[[], Any]) -> Any:
    try:
        return action()
    except KobanError as exc:
        ctx.error(str(exc))
        return None


class Progress:
    """A one-line counter on stderr for long runs, only when stderr is a terminal.

    Never writes to stdout, so JSON and SARIF output stay clean.
    """

    def __init__(self, total: int, label: str, *, min_total: int = 2) -> None:
        self.total = total
        self.label = label
        self.done = 0
        self.enabled = sys.stderr.isatty() and total >= min_total

    def step(self, item: str = "") -> None:
        self.done += 1
        if self.enabled:
            text = f"\r{self.label} {self.done}/{self.total} {item[:60]}"
            click.echo(text.ljust(90), err=True, nl=False)

    def close(self) -> None:
        if self.enabled:
            click.echo("\r" + " " * 90 + "\r", err=True, nl=False)


Analyse = Callable[[str], "Report | list[Report] | None"]


def report_each(
    ctx: Context,
    targets: Sequence[str],
    fmt: str,
    fail_on: str,
    prepare: Callable[[Profile, IntelStore], Analyse],
    label: str = "scanning",
    finish: Callable[[list[Report]], None] | None = None,
) -> None:
    """The body every analysing command shares: load the profile (a broken one is an error,
    the run goes on without it), open the intel store, ``prepare`` the analyser once, run it on
    each target (an input error is reported and the rest still run), ``finish`` the reports
    (baselines...), render, exit."""
    profile = guard(ctx, lambda: ctx.profile) or Profile()
    reports: list[Report] = []
    progress = Progress(len(targets), label)
    with open_store() as store:
        analyse = prepare(profile, store)
        for target in targets:
            progress.step(target)
            got = guard(ctx, partial(analyse, target))
            if isinstance(got, Report):
                reports.append(got)
            elif got:
                reports.extend(got)
    progress.close()
    if finish is not None:
        guard(ctx, partial(finish, reports))
    emit(reports, fmt)
    exit_with(ctx, any(fails(r, fail_on) for r in reports))
