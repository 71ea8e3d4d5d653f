"""The file analyser: is this download what it claims, from where it claims, and clean?

``analyse(target, profile, store)`` triages a file or a folder of files without ever running
them: each file and, recursively, each archive member (:mod:`koban.containers`, bounded) is
identified by content (:mod:`koban.file.identify`) and passed to the inspectors that apply
(:mod:`koban.file.inspectors`: Office/RTF, PDF, LNK, disk images, Electron/asar, packages,
executables, hashes and YARA from the intel store, provenance). A folder gives one report with a
child per file; archive members are children of their archive.
"""

from __future__ import annotations

import base64
import importlib
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from koban.containers import Blob, Problem, expand, expand_bytes
from koban.containers.files import iter_files
from koban.errors import InputError
from koban.file.context import FileContext, FileOptions
from koban.file.identify import identify_lazily
from koban.file.inspectors import all_inspectors
from koban.file.item import FileItem
from koban.file.parallel import reports, workers
from koban.intel.records import YaraRuleFile
from koban.intel.store import IntelStore
from koban.model import Finding, Location, Report
from koban.profile import Profile
from koban.rules import Rule, make_finding
from koban.scoring import finalise

__all__ = [
    "FileContext",
    "FileItem",
    "FileOptions",
    "analyse",
    "bytes_report",
    "inspect_item",
    "report_for",
]


def inspect_item(item: FileItem, ctx: FileContext) -> list[Finding]:
    """Every applicable inspector's findings for one item (an inspector that fails is reported,
    the others still run)."""
    findings: list[Finding] = []
    for inspector in (*all_inspectors(), *ctx.extra_inspectors):
        try:
            if inspector.applies(item):
                findings.extend(inspector.inspect(item, ctx))
        except Exception as exc:
            findings.append(
                make_finding(
                    "file.inspector_error",
                    f"the {inspector.name} inspector failed on this file: "
                    f"{type(exc).__name__}: {str(exc)[:200]}",
                    location=Location(path=item.path),
                    evidence={"inspector": inspector.name},
                )
            )
    return findings


def _item(blob: Blob, fs_path: Path | None) -> FileItem:
    name = blob.path.rsplit("!", 1)[-1].rsplit("/", 1)[-1]
    true_type, description = identify_lazily(name, blob.data)  # libmagic when read
    return FileItem(
        path=blob.path,
        name=name,
        data=blob.data,
        true_type=true_type,
        description=description,
        depth=blob.path.count("!"),
        fs_path=fs_path if blob.origin == "file" else None,
        container=blob.container,
    )


def _parent(path: str) -> str | None:
    return path.rsplit("!", 1)[0] if "!" in path else None


def file_report(path: Path, display: str, ctx: FileContext, target: str | None = None) -> Report:
    """The report of one file on disk, with a child report per archive member."""
    passwords = tuple(p.encode() for p in ctx.options.passwords)
    blobs = expand(path, display, ctx.options.limits, text=False, passwords=passwords)
    return _tree(blobs, display, ctx, target, path)


def bytes_report(
    data: bytes,
    display: str,
    ctx: FileContext,
    observer: Callable[[Blob | Problem], None] | None = None,
) -> Report:
    """The report of a file held in memory (a mail attachment), members as children.

    ``observer`` sees every blob and problem of the walk before the inspectors do: the mail
    analyser applies its attachment rules to the members this walk decompresses, so that no
    archive is opened twice."""
    passwords = tuple(p.encode() for p in ctx.options.passwords)
    blobs = expand_bytes(data, display, ctx.options.limits, text=False, passwords=passwords)
    if observer is not None:
        blobs = _observed(blobs, observer)
    return _tree(blobs, display, ctx, None, None)


def _observed(
    items: Iterable[Blob | Problem], observer: Callable[[Blob | Problem], None]
) -> Iterator[Blob | Problem]:
    for item in items:
        observer(item)
        yield item


def _tree(
    blobs: Iterable[Blob | Problem],
    display: str,
    ctx: FileContext,
    target: str | None,
    path: Path | None,
) -> Report:
    reports: dict[str, Report] = {}
    top: Report | None = None
    for blob in blobs:
        if isinstance(blob, Problem):
            owner = reports.get(blob.path) or reports.get(_parent(blob.path) or "") or top
            finding = make_finding(
                "file.not_scanned",
                f"not fully inspected: {blob.message}",
                location=Location(path=blob.path),
                evidence={"limit": blob.limit},
            )
            if owner is None:  # the file itself could not be read
                top = Report(analyser="file", target=target or display, findings=[finding])
                reports[display] = top
            else:
                owner.findings.append(finding)
            continue
        item = _item(blob, path)
        report = Report(
            analyser="file",
            target=target if top is None and target is not None else blob.path,
            findings=inspect_item(item, ctx),
        )
        if top is None:
            top = report
        else:
            parent = reports.get(_parent(blob.path) or "") or top
            parent.children.append(report)
        reports[blob.path] = report
    if top is None:
        top = Report(analyser="file", target=target or display)
    return top


def report_for(target: str, ctx: FileContext) -> Report:
    """The finalised report for a file or a folder. Raises InputError if it is unusable.

    A folder's files are spread over ``ctx.options.jobs`` forked workers (:mod:`.parallel`);
    the children stay in the folder's sorted order whatever the number of workers."""
    root = Path(target)
    if not root.exists():
        raise InputError(target, "no such file or directory")
    if root.is_file():
        return finalise(file_report(root, root.name, ctx, target=target))
    if not root.is_dir():
        raise InputError(target, "not a regular file or directory")
    report = Report(analyser="file", target=target)
    files = list(iter_files(root))
    jobs = workers(ctx.options.jobs, len(files))
    if jobs > 1:
        report.children.extend(reports(files, ctx, jobs))
    else:
        for path, display in files:
            report.children.append(file_report(path, display, ctx))
    return finalise(report)


def analyse(target: str, profile: Profile, store: IntelStore | None) -> Report:
    """``koban scan``'s entry point: one report for a file or a folder."""
    return report_for(target, FileContext(profile, store))


def example_bytes(example: dict[str, Any]) -> bytes:
    """The bytes of a rule example: ``content`` (text), ``base64``, or ``build`` (``topic.name``:
    the builder ``name`` of :mod:`koban.file.examples.<topic>`, called with ``args``)."""
    if "content" in example:
        return str(example["content"]).encode(example.get("encoding", "utf-8"))
    if "base64" in example:
        return base64.b64decode(example["base64"])
    topic, name = str(example["build"]).rsplit(".", 1)
    module = importlib.import_module(f"koban.file.examples.{topic}")
    data: bytes = getattr(module, name)(**example.get("args", {}))
    return data


class _Failing:
    """An inspector that fails as one would on content it did not expect (rule examples)."""

    name = "failing-example"

    def applies(self, item: FileItem) -> bool:
        return True

    def inspect(self, item: FileItem, ctx: FileContext) -> list[Finding]:
        raise ValueError(f"unexpected structure in {item.name}")


def run_example(rule: Rule, example: dict[str, Any]) -> bool:
    """Rule-example runner for ``file.*``: writes the example's file (and any ``beside`` files,
    such as ``name:Zone.Identifier``), scans it with the example's options and a throw-away
    intel store (holding the example's ``yara`` rule files), looks for the rule anywhere in the
    report tree."""
    with tempfile.TemporaryDirectory(prefix="koban-example-") as tmp:
        target = Path(tmp) / example["name"]
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(example_bytes(example))
        for name, content in example.get("beside", {}).items():
            (Path(tmp) / name).write_text(content, encoding="utf-8")
        options = FileOptions(
            origin=example.get("origin"),
            passwords=tuple(example.get("passwords", ())),
        )
        profile = Profile.model_validate(example.get("profile", {}))
        if "yara" not in example:
            ctx = FileContext(profile, None, options)
            if example.get("failing_inspector"):  # shows how a crashing inspector is reported
                ctx.extra_inspectors.append(_Failing())
            report = report_for(str(target), ctx)
        else:  # ``yara: {name: rule text}``: rule files registered in a throw-away store
            with IntelStore(Path(tmp) / "intel.sqlite") as store:
                rules = example["yara"].items()
                store.import_batches([], [YaraRuleFile(n, n, t, [], "") for n, t in rules])
                report = report_for(str(target), FileContext(profile, store, options))
    return any(f.rule == rule.id for r in report.walk() for f in r.findings)
