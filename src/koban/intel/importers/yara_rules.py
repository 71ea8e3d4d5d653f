"""YARA rule files and folders: validated by compiling, then registered for the file analyser."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import yara

from koban.errors import InputError
from koban.intel.records import YaraRuleFile

NAME = "yara"
SUFFIXES = (".yar", ".yara")
# Variables that rule sets such as signature-base (LOKI/THOR) expect the scanner to define.
EXTERNALS = {"filename": "", "filepath": "", "extension": "", "filetype": "", "owner": ""}
_RULE = re.compile(r"^\s*(?:(?:private|global)\s+)*rule\s+([A-Za-z_][A-Za-z0-9_]*)", re.M)


def sniff(path: Path, head: bytes) -> bool:
    if path.is_dir():
        return any(p.suffix.lower() in SUFFIXES for p in path.rglob("*"))
    return path.suffix.lower() in SUFFIXES or bool(_RULE.search(head.decode("utf-8", "replace")))


def compile_file(path: Path) -> yara.Rules:
    try:
        return yara.compile(filepath=str(path), externals=EXTERNALS)
    except yara.SyntaxError as exc:
        m = re.match(r".*?\((\d+)\): (.*)", str(exc))
        raise InputError(
            str(path),
            f"invalid YARA: {m.group(2) if m else exc}",
            line=int(m.group(1)) if m else None,
        ) from exc
    except yara.Error as exc:
        raise InputError(str(path), f"invalid YARA: {exc}") from exc


def read_yara(path: Path) -> list[YaraRuleFile]:
    files = (
        sorted(p for p in path.rglob("*") if p.suffix.lower() in SUFFIXES)
        if path.is_dir()
        else [path]
    )
    if not files:
        raise InputError(str(path), "no .yar/.yara files")
    out = []
    for f in files:
        compile_file(f)
        data = f.read_bytes()
        text = data.decode("utf-8", "replace")
        name = f"{path.name}/{f.relative_to(path)}" if path.is_dir() else f.name
        out.append(
            YaraRuleFile(
                name=name,
                origin=str(f),
                text=text,
                rule_names=_RULE.findall(text),
                sha256=hashlib.sha256(data).hexdigest(),
            )
        )
    return out
