"""What every ``koban`` command shares: per-invocation context, common options, output, exits.

Analyser packages build their command groups (``koban.<name>.commands``) from these, so every
command renders, warns and exits the same way (PRODUCT.md: 0 clean, 1 at/above --fail-on,
2 usage or input errors).
"""

from __future__ import annotations

import gc
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from functools import partial
from typing import IO, Any

import click

from koban.errors import KobanError
from koban.home import store_path
from koban.intel.store import IntelStore
from koban.model import Report
from koban.profile import Profile, load_profile
from koban.render import FORMATS, render, render_jsonl
from koban.render.text import Tally, render_text_one
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
    "is_stdin",
    "jobs_option",
    "open_store",
    "report_stream",
    "target_lines",
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


MAX_TARGET_LINE = 8192  # characters: a longer line is no URL, domain or address a browser takes


def is_stdin(stream: IO[str]) -> bool:
    return getattr(stream, "name", "<stdin>") in ("-", "<stdin>")


def target_lines(ctx: Context, stream: IO[str]) -> Iterator[tuple[str, str]]:
    """(where, target) for each line of a list of targets: blank lines and ``#`` comments are
    skipped; an over-long line is an error naming it, and the rest still run."""
    name = "<stdin>" if is_stdin(stream) else str(getattr(stream, "name", "<list>"))
    for number, line in enumerate(stream, 1):
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        if len(text) > MAX_TARGET_LINE:
            ctx.error(f"{name}:{number}: {len(text):,} characters, longer than any URL: skipped")
            continue
        yield f"{name}:{number}", text


@contextmanager
def _fewer_collections() -> Iterator[None]:
    """Rarer garbage collections for the length of a long run: each report is dropped once
    written (reference counting frees it), while the default thresholds would traverse the
    analysers' growing caches again and again (about 10% of a run of first-seen URLs)."""
    old = gc.get_threshold()
    gc.set_threshold(50_000, 50, 100)
    try:
        yield
    finally:
        gc.set_threshold(*old)


def report_stream(
    ctx: Context,
    targets: Iterable[tuple[str | None, str]],
    fmt: str,
    fail_on: str,
    prepare: Callable[[Profile, IntelStore], Analyse],
    *,
    flush: bool = False,
) -> None:
    """``report_each`` for lists of any length: text and json reports are written as they are
    made, so memory stays flat (sarif, one document, is written at the end); with ``flush``
    each as soon as it is made (targets arriving on a pipe). ``targets`` are (where, target):
    an input error names ``where`` (a file and line) when there is one."""
    profile = guard(ctx, lambda: ctx.profile) or Profile()
    failed = False
    kept: list[Report] = []
    tally = Tally()
    paint = colour()
    out = sys.stdout  # (not click.echo: it flushes after every write)
    with open_store() as store, _fewer_collections():
        analyse = prepare(profile, store)
        for where, target in targets:
            try:
                got = analyse(target)
            except KobanError as exc:
                ctx.error(f"{where}: {exc}" if where else str(exc))
                continue
            for report in got if isinstance(got, list) else [got] if got else []:
                failed = failed or fails(report, fail_on)
                if fmt == "sarif":
                    kept.append(report)
                elif fmt == "json":
                    out.write(render_jsonl([report]))
                else:
                    out.write(render_text_one(report, colour=paint))
                    tally.add(report)
                if flush:
                    out.flush()
    if fmt == "sarif":
        emit(kept, fmt)
    elif fmt == "text" and tally.total > 1:
        out.write(tally.line() + "\n")
    out.flush()
    exit_with(ctx, failed)
