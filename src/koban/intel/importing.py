"""Import intel sources into the store: detect the format, read, import in one transaction."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from koban.errors import InputError
from koban.intel.importers import IMPORTERS, ImportOptions, detect, yara_rules
from koban.intel.importers.common import read_head
from koban.intel.records import Batch, YaraRuleFile
from koban.intel.store import ImportResult, IntelStore

# Files a data folder carries beside its data; never intel.
_NOT_INTEL = {
    "license",
    "license.txt",
    "license.md",
    "readme",
    "readme.md",
    "source.txt",
    "provenance",
    "provenance.md",
    "notice",
    "copying",
    ".gitkeep",
}


@dataclass
class SourceOutcome:
    """What importing one SRC argument did."""

    source: str
    results: list[ImportResult] = field(default_factory=list)
    yara: list[YaraRuleFile] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def _folder_members(folder: Path) -> tuple[list[Path], list[str]]:
    files, skipped = [], []
    for p in sorted(folder.rglob("*")):
        if p.is_dir() or p.name.lower() in _NOT_INTEL or p.name.startswith("."):
            continue
        head = read_head(p)
        if any(m.sniff(p, head) for m in IMPORTERS.values()):
            files.append(p)
        else:
            skipped.append(f"{p}: not a recognised intel format")
    return files, skipped


def read_source(
    path: Path,
    options: ImportOptions,
    forced: str | None = None,
) -> tuple[list[Batch], list[YaraRuleFile], list[str]]:
    """Parse one SRC (file or folder) fully, before anything touches the store."""
    if not path.exists():
        raise InputError(str(path), "no such file or directory")
    if path.is_dir() and forced is None and not (path / "manifest.json").is_file():
        if all(
            p.suffix.lower() in yara_rules.SUFFIXES
            for p in path.rglob("*")
            if p.is_file() and p.name.lower() not in _NOT_INTEL
        ):
            return [], yara_rules.read_yara(path), []
        files, skipped = _folder_members(path)
        batches: list[Batch] = []
        yara_files: list[YaraRuleFile] = []
        for f in files:
            b, y, _ = read_source(f, options)
            batches.extend(b)
            yara_files.extend(y)
        return batches, yara_files, skipped
    importer = detect(path, forced)
    if importer is yara_rules:
        return [], yara_rules.read_yara(path), []
    batches = importer.read(path, options)
    return batches, [], []


def import_source(
    store: IntelStore, path: Path, options: ImportOptions, forced: str | None = None
) -> SourceOutcome:
    """Import one SRC: all its batches in one transaction (all or nothing)."""
    batches, yara_files, skipped = read_source(path, options, forced)
    outcome = SourceOutcome(str(path), skipped=skipped)
    outcome.problems = [p for b in batches for p in b.problems]
    # Records are materialised by read(); the one transaction only writes.
    outcome.results = store.import_batches(batches, yara_files)
    outcome.yara = yara_files
    return outcome
