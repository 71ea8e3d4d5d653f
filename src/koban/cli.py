"""The ``koban`` command: parse → analyse → render. Exit 0 clean, 1 at/above --fail-on, 2 errors."""

from __future__ import annotations

import importlib
import json
from collections.abc import Sequence
from functools import partial
from importlib import resources
from pathlib import Path
from typing import Any

import click

from koban import __version__
from koban.clikit import (
    Analyse,
    Context,
    exit_with,
    fail_on_option,
    format_option,
    guard,
    open_store,
    report_each,
)
from koban.intel.store import IntelStore
from koban.profile import Profile

ANALYSER_GROUPS = ("mail", "url", "file", "keys", "chain", "tx", "serve")


class _Koban(click.Group):
    """Analyser packages contribute their command group as ``koban.<name>.commands:<name>``,
    imported only when that command runs: ``koban keys scan`` does not pay for importing the
    mail analyser."""

    def _analysers(self) -> list[str]:
        root = resources.files("koban")
        return [n for n in ANALYSER_GROUPS if (root / n / "commands.py").is_file()]

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self._analysers()})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = super().get_command(ctx, cmd_name)
        if command is None and cmd_name in self._analysers():
            module = importlib.import_module(f"koban.{cmd_name}.commands")
            command = getattr(module, cmd_name)
        return command


@click.group(cls=_Koban, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="koban")
@click.option(
    "--profile",
    "profile_path",
    type=click.Path(dir_okay=False),
    default=None,
    help="profile (default ./koban.toml, then the user config dir)",
)
@click.pass_context
def cli(click_ctx: click.Context, profile_path: str | None) -> None:
    """koban: checks against the Lazarus Group playbook for crypto-asset businesses."""
    click_ctx.obj = Context(profile_path)


@cli.command()
@click.argument("paths", nargs=-1, required=True)
@format_option
@fail_on_option
@click.pass_obj
def scan(ctx: Context, paths: tuple[str, ...], fmt: str, fail_on: str) -> None:
    """Scan files, folders, messages, URLs or indicators, each with the analyser for its type."""
    from koban.scan import scan as run_scan

    def prepare(profile: Profile, store: IntelStore) -> Analyse:
        return partial(run_scan, profile=profile, store=store, warn=ctx.warn)

    report_each(ctx, paths, fmt, fail_on, prepare)


@cli.group()
def intel() -> None:
    """The indicator store: import, update, look up, export."""


@intel.command("import")
@click.argument("sources", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--type",
    "forced",
    default=None,
    help="importer to use (ofac-sdn, stix, misp, tagpack, ticker-list, csv, yara); "
    "default: detect from content",
)
@click.option("--source", default=None, help="source name to record (default: from the file)")
@click.option("--as-of", default=None, help="date of the export (YYYY-MM-DD) when it has none")
@click.option("--ticker", default=None, help="ticker of a per-ticker address list")
@click.option("--attribution", default=None, help="actor to attribute a plain list to")
@format_option
@click.pass_obj
def intel_import(
    ctx: Context,
    sources: tuple[Path, ...],
    forced: str | None,
    source: str | None,
    as_of: str | None,
    ticker: str | None,
    attribution: str | None,
    fmt: str,
) -> None:
    """Import intel files or folders (each SRC in one transaction: all or nothing)."""
    from koban.intel.importers import ImportOptions
    from koban.intel.importing import import_source

    options = ImportOptions(source=source, as_of=as_of, ticker=ticker, attribution=attribution)
    with open_store() as store:
        for src in sources:
            outcome = guard(ctx, partial(import_source, store, src, options, forced))
            if outcome is None:
                continue
            for note in outcome.skipped:
                ctx.warn(f"skipped {note}")
            for problem in outcome.problems:
                ctx.warn(problem)
            for r in outcome.results:
                if fmt == "json":
                    click.echo(
                        json.dumps(
                            {
                                "origin": r.origin,
                                "source": r.source,
                                "scope": r.scope or None,
                                "as_of": r.as_of,
                                "as_of_basis": r.as_of_basis,
                                "format": r.format,
                                "records": r.records,
                                "added": r.added,
                                "delisted": r.delisted,
                                "relisted": r.relisted,
                                "older_than_latest": r.older_than_latest,
                            }
                        )
                    )
                else:
                    scope = f"[{r.scope}]" if r.scope else ""
                    older = (
                        " (older than the latest import: dates only)" if r.older_than_latest else ""
                    )
                    click.echo(
                        f"{r.origin}: {r.source}{scope} as of {r.as_of} ({r.as_of_basis}): "
                        f"{r.records} indicators, {r.added} new, {r.delisted} no longer "
                        f"listed, {r.relisted} listed again{older}"
                    )
            if outcome.yara:
                rules = sum(len(y.rule_names) for y in outcome.yara)
                click.echo(f"{src}: registered {len(outcome.yara)} YARA files ({rules} rules)")
    exit_with(ctx, False)


def _match_line(m: dict[str, Any]) -> str:
    state = "LISTED" if m["listed"] else f"no longer listed (dropped {m.get('delisted_on', '?')})"
    who = m.get("entity") or "-"
    extra = []
    if m.get("programs"):
        extra.append("programs " + ",".join(m["programs"]))
    if m.get("attribution"):
        extra.append("attributed to " + m["attribution"])
    if m.get("category"):
        extra.append(m["category"])
    if m.get("chain"):
        extra.append(m["chain"])
    return (
        f"  {state}  {m['source']}  {who}  [{'; '.join(extra)}]  "
        f"first {m['first_seen']} last {m['last_seen']}"
    )


@intel.command("lookup")
@click.argument("values", nargs=-1, required=True)
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@click.pass_obj
def intel_lookup(ctx: Context, values: tuple[str, ...], fmt: str) -> None:
    """Look values up (addresses, domains, URLs, IPs, e-mail addresses, hashes).

    Exit 1 when any value is currently listed by some source."""
    from koban.intel.indicators import guess_type

    listed = False
    with open_store() as store:
        results = store.lookup_many(values)
    for value, found in zip(values, results, strict=True):
        if guess_type(value) is None:
            ctx.error(f"{value}: not an address, domain, URL, IP, e-mail address or hash")
        matches = [m.to_dict() for m in found]
        listed = listed or any(m["listed"] for m in matches)
        if fmt == "json":
            click.echo(json.dumps({"query": value, "matches": matches}, ensure_ascii=False))
        else:
            click.echo(f"{value}: {len(matches)} match{'es' if len(matches) != 1 else ''}")
            for m in matches:
                click.echo(_match_line(m))
    exit_with(ctx, listed)


@intel.command("stats")
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
def intel_stats(fmt: str) -> None:
    """What the store holds: per feed, per type, size on disk, YARA rules."""
    with open_store() as store:
        stats = store.stats()
    if fmt == "json":
        click.echo(json.dumps(stats))
        return
    click.echo(
        f"store {stats['store']} ({stats['size_bytes'] / 1e6:.1f} MB), "
        f"{stats['distinct_values']} distinct values"
    )
    for kind, n in sorted(stats["sightings_by_type"].items()):
        click.echo(f"  {kind:8} {n}")
    for f in stats["feeds"]:
        scope = f"[{f['scope']}]" if f["scope"] else ""
        click.echo(
            f"  {f['source']}{scope}: {f['indicators']} indicators, {f['listed']} listed, "
            f"as of {f['as_of']}"
        )
    click.echo(f"  YARA: {stats['yara']['rules']} rules in {stats['yara']['files']} files")


@intel.command("export")
@click.option("--format", "fmt", type=click.Choice(["stix"]), default="stix", show_default=True)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="write here instead of stdout",
)
@click.option(
    "--all",
    "include_unlisted",
    is_flag=True,
    help="include indicators no source lists any more (revoked in STIX)",
)
@click.pass_obj
def intel_export(ctx: Context, fmt: str, output: Path | None, include_unlisted: bool) -> None:
    """Export the store as a STIX 2.1 bundle (for sharing with ISACs and partners)."""
    from koban.intel.export import export_stix

    with open_store() as store:
        text = export_stix(store, include_unlisted=include_unlisted)
    if output is None:
        click.echo(text)
    else:
        output.write_text(text + "\n", encoding="utf-8")
        click.echo(f"wrote {output}", err=True)


@intel.command("update")
@click.option("--feed", "feeds", multiple=True, help="update only these feeds (by name)")
@click.option("--timeout", default=60.0, show_default=True, help="seconds per request")
@click.pass_obj
def intel_update(ctx: Context, feeds: tuple[str, ...], timeout: float) -> None:
    """Fetch the profile's [[intel.feeds]] (conditional requests), verify and import them."""
    from koban.intel.feeds import update_feeds

    profile = guard(ctx, lambda: ctx.profile)
    if profile is None:
        exit_with(ctx, False)
        return
    if not profile.intel.feeds:
        ctx.error(f"{profile.path or 'no profile'}: no [[intel.feeds]] configured")
        exit_with(ctx, False)
        return
    with open_store() as store:
        results = update_feeds(store, profile.intel.feeds, only=set(feeds), timeout=timeout)
    for r in results:
        if r.error:
            ctx.error(f"feed {r.name}: {r.error}")
        else:
            click.echo(f"feed {r.name}: {r.status}")
    exit_with(ctx, False)


def main(argv: Sequence[str] | None = None) -> None:
    cli.main(args=list(argv) if argv is not None else None, prog_name="koban")


if __name__ == "__main__":  # pragma: no cover
    main()
