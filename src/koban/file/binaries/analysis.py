"""Executables (PE, Mach-O thin and universal, ELF): signature, packing, capabilities.

The checks live in :mod:`koban.file.binaries`; this module (imported by the inspector
:mod:`koban.file.inspectors.binaries` on the first executable met, because importing lief
costs most of a second) chooses the format by magic bytes,
parses with lief under bounds (files above the member-size limit are not parsed and say so;
lief's costly passes, such as relocations, resources and dyld bindings, are turned off), and
turns a parse failure into a finding instead of an exception. lief runs in-process: a crash
inside it on hostile input would end the run; its parser is fuzzed upstream, and the bound on
size keeps the exposure to what the walker already accepted.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import lief

from koban.file.binaries.authenticode import signature_findings
from koban.file.binaries.common import finding, kind_of, wallet_finding
from koban.file.binaries.elf import elf_findings
from koban.file.binaries.macho import macho_findings
from koban.file.binaries.pe import pe_findings
from koban.file.item import FileItem
from koban.model import Finding, Location
from koban.rules import make_finding

if TYPE_CHECKING:
    from koban.file.context import FileContext

lief.logging.disable()  # lief logs parse warnings on stderr; they become findings here


def _pe_config() -> lief.PE.ParserConfig:
    config = lief.PE.ParserConfig()
    config.parse_reloc = False
    config.parse_rsrc = False
    config.parse_exceptions = False
    config.parse_arm64x_binary = False
    return config


def _macho_config() -> lief.MachO.ParserConfig:
    config = lief.MachO.ParserConfig()
    config.parse_dyld_bindings = False
    config.parse_dyld_exports = False
    config.parse_dyld_rebases = False
    return config


def _elf_config() -> lief.ELF.ParserConfig:
    config = lief.ELF.ParserConfig()
    config.parse_relocations = False
    config.parse_symbol_versions = False
    config.parse_notes = False
    return config


def parse(kind: str, data: bytes) -> Any:
    """The lief object for ``data`` (None when lief cannot read it, or reads only an empty
    shell: a Mach-O whose slices have no load commands)."""
    if kind == "pe":
        return lief.PE.parse(data, _pe_config())
    if kind == "macho":
        fat = lief.MachO.parse(data, _macho_config())
        if fat is None or not any(b.header.nb_cmds and b.commands for b in fat):
            return None
        return fat
    return lief.ELF.parse(data, _elf_config())


class BinariesAnalysis:
    def inspect(self, item: FileItem, ctx: FileContext) -> Iterable[Finding]:
        kind = kind_of(item)
        if kind is None:
            return []
        limit = ctx.options.limits.max_member_bytes
        if len(item.data) > limit:
            return [
                make_finding(
                    "file.not_scanned",
                    f"not fully inspected: the {kind.upper()} structure of this "
                    f"{len(item.data)}-byte executable was not parsed (limit {limit} bytes)",
                    location=Location(path=item.path),
                    evidence={"limit": "max_member_bytes"},
                )
            ]
        try:
            binary = parse(kind, item.data)
        except Exception as exc:  # lief raises on some malformed inputs
            binary = None
            error = f"{type(exc).__name__}: {str(exc)[:160]}"
        else:
            error = "lief returned nothing"
        if binary is None:
            return [
                finding(
                    "file.exe_malformed",
                    item,
                    f"looks like a {kind.upper()} executable but its headers cannot be parsed "
                    "(damaged, truncated or crafted to break analysis tools)",
                    {"format": kind, "error": error},
                )
            ]
        out: list[Finding] = []
        try:
            with warnings.catch_warnings():
                # lief's binding warns (RuntimeWarning) on enum values outside its tables,
                # which hostile headers carry; enum_name() reports them as numbers instead
                warnings.simplefilter("ignore", RuntimeWarning)
                if kind == "pe":
                    out += signature_findings(item, binary)
                    out += pe_findings(item, binary)
                elif kind == "macho":
                    out += macho_findings(item, binary)
                else:
                    out += elf_findings(item, binary)
        except Exception as exc:  # a structure lief half-parsed; keep what was found
            out.append(
                finding(
                    "file.exe_malformed",
                    item,
                    f"has {kind.upper()} structures that cannot be read (damaged, or crafted "
                    "to break analysis tools)",
                    {"format": kind, "error": f"{type(exc).__name__}: {str(exc)[:160]}"},
                )
            )
        wallets = wallet_finding(item)
        if wallets is not None:
            out.append(wallets)
        return out


ANALYSIS = BinariesAnalysis()
