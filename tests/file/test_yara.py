"""YARA sets from the intel store: compiled once per run, matched with externals and a time
bound, findings that say which rule, whose, and how bad; the real JPCERT/CC and signature-base
Lazarus sets load, run, and stay silent on benign files."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from koban.containers import Limits
from koban.file import FileContext, FileItem, FileOptions, report_for
from koban.file.inspectors import yara_rules
from koban.file.inspectors.yara_rules import INSPECTOR, actor_named, compile_store, severity_of
from koban.intel.importers import ImportOptions
from koban.intel.importing import import_source
from koban.intel.records import YaraRuleFile
from koban.intel.store import IntelStore
from koban.model import Finding, Severity

DEMO = """
rule Demo_Marker : loader demo {
  meta:
    description = "demo marker"
    author = "koban tests"
    reference = "https://example.com/demo"
    date = "2024-01-01"
    hash1 = "not shown"
  strings:
    $a = "koban-demo-marker" ascii
    $b = "second-marker" ascii
  condition:
    any of them
}
"""


def _register(store: IntelStore, **files: str) -> None:
    store.import_batches([], [YaraRuleFile(n, f"/rules/{n}", t, [], "") for n, t in files.items()])


def _scan(store: IntelStore, data: bytes, name: str = "x.txt") -> list[Finding]:
    item = FileItem(path=f"dir/{name}", name=name, data=data, true_type="text")
    return list(INSPECTOR.inspect(item, FileContext(None, store)))


def test_match_names_rule_file_tags_meta_strings(store: IntelStore) -> None:
    _register(store, **{"vendor/demo.yar": DEMO})
    [f] = _scan(store, b"....koban-demo-marker....second-marker..koban-demo-marker")
    assert f.rule == "file.yara_match"
    assert f.severity is Severity.MEDIUM  # no actor, no severity meta
    assert f.location is not None and f.location.path == "dir/x.txt"
    ev = f.evidence
    assert (ev["rule"], ev["namespace"], ev["source"]) == (
        "Demo_Marker",
        "vendor/demo.yar",
        "/rules/vendor/demo.yar",
    )
    assert ev["tags"] == ["loader", "demo"]
    assert ev["meta"] == {
        "description": "demo marker",
        "author": "koban tests",
        "reference": "https://example.com/demo",
        "date": "2024-01-01",
    }
    assert {"id": "$a", "count": 2, "offset": 4} in ev["strings"]
    assert "Demo_Marker" in f.message and "demo marker" in f.message


def test_no_match_no_rules_no_store(store: IntelStore) -> None:
    assert _scan(store, b"koban-demo-marker") == []  # store without YARA files
    _register(store, **{"demo.yar": DEMO})
    assert _scan(store, b"nothing to see") == []
    item = FileItem(path="x", name="x", data=b"koban-demo-marker", true_type="text")
    assert list(INSPECTOR.inspect(item, FileContext())) == []


def test_severity_from_meta_score_or_actor() -> None:
    assert severity_of({"severity": "Critical"}, None) is Severity.CRITICAL
    assert severity_of({"severity": "bogus", "score": 80}, None) is Severity.HIGH
    assert severity_of({"score": 65}, "Lazarus Group") is Severity.MEDIUM
    assert severity_of({"score": 45}, None) is Severity.LOW
    assert severity_of({"score": 10}, None) is Severity.INFO
    assert severity_of({}, "Lazarus Group") is Severity.HIGH
    assert severity_of({"score": True}, None) is Severity.MEDIUM


@pytest.mark.parametrize(
    ("texts", "actor"),
    [
        (("signature-base/yara/apt_lazarus_dec17.yar",), "Lazarus Group"),
        (("HiddenCobra_Wiper",), "Lazarus Group"),
        (("crime_bluenoroff_pos.yar",), "Lazarus Group"),
        (("rule", "TraderTraitor loader"), "Lazarus Group"),
        (("gen_mal_3cx_compromise_mar23.yar",), None),
        (("zincite_parser", "apt38x"), None),  # short aliases never match inside words
    ],
)
def test_actor_named(texts: tuple[str, ...], actor: str | None) -> None:
    assert actor_named(*texts) == actor


def test_actor_named_set_is_high_and_says_so(store: IntelStore) -> None:
    _register(store, **{"jpcert/Lazarus/demo.yara": DEMO})
    [f] = _scan(store, b"koban-demo-marker")
    assert f.severity is Severity.HIGH
    assert f.evidence["actor"] == "Lazarus Group"
    assert "Lazarus Group" in f.message


def test_externals_given_per_item(store: IntelStore) -> None:
    rule = (
        'rule Setup { condition: filename == "setup.exe" and extension == ".exe" '
        'and filepath == "dir/setup.exe" and filetype == "PE" }'
    )
    _register(store, **{"names.yar": rule})
    item = FileItem(path="dir/setup.exe", name="setup.exe", data=b"MZ", true_type="pe")
    assert [f.evidence["rule"] for f in INSPECTOR.inspect(item, FileContext(None, store))] == [
        "Setup"
    ]
    assert _scan(store, b"MZ", name="setup.txt") == []


def test_compiled_once_per_run(store: IntelStore, monkeypatch: pytest.MonkeyPatch) -> None:
    _register(store, **{"demo.yar": DEMO})
    calls = []
    real = yara_rules.compile_store
    monkeypatch.setattr(yara_rules, "compile_store", lambda s: calls.append(1) or real(s))
    ctx = FileContext(None, store)
    for i in range(3):
        item = FileItem(path=f"{i}", name=f"{i}", data=b"koban-demo-marker", true_type="text")
        assert len(list(INSPECTOR.inspect(item, ctx))) == 1
    assert calls == [1]


def test_a_file_that_no_longer_compiles_is_left_out(store: IntelStore) -> None:
    _register(store, **{"a-broken.yar": 'import "nosuchmodule"\nrule B { condition: true }'})
    _register(store, **{"b-demo.yar": DEMO})
    rules = compile_store(store)
    assert set(rules.broken) == {"a-broken.yar"}
    assert [f.evidence["rule"] for f in _scan(store, b"koban-demo-marker")] == ["Demo_Marker"]


def test_timeout_is_a_not_scanned_finding(store: IntelStore) -> None:
    slow = (
        "rule Slow { condition: for all i in (0..filesize) : "
        "(for all j in (0..filesize) : (uint8(i) != uint8(j) or i == j or true)) }"
    )
    _register(store, **{"slow.yar": slow})
    ctx = FileContext(None, store, FileOptions(limits=Limits(max_seconds=1)))
    item = FileItem(path="big", name="big", data=b"a" * 200_000, true_type="data")
    start = time.monotonic()
    findings = list(INSPECTOR.inspect(item, ctx))
    assert time.monotonic() - start < 10
    assert [f.rule for f in findings] == ["file.not_scanned"]
    assert findings[0].evidence["inspector"] == "yara"


# -- the real rule sets ----------------------------------------------------------------------

# "module.exports =  { domain, subdomain, id }" plus the two declarations: the exact strings of
# JPCERT/CC's Lazarus_OtterCookie_downloader (Contagious Interview), in an inert config file.
OTTERCOOKIE_SHAPE = (
    b"// settings\nconst domain = 'https://example.com';\nconst subdomain = 'api';\n"
    b"const id = 'x';\nmodule.exports =  { domain, subdomain, id }\n"
)


@pytest.fixture
def real_rules(shared_data: Path, store: IntelStore) -> IntelStore:
    for folder in ("jpcert-yara", "signature-base"):
        outcome = import_source(store, shared_data / "intel" / "yara" / folder, ImportOptions())
        assert outcome.yara and not outcome.problems
    return store


@pytest.mark.shared_data
def test_real_lazarus_sets_load_and_match(tmp_path: Path, real_rules: IntelStore) -> None:
    rules = compile_store(real_rules)
    assert rules.rules is not None and not rules.broken
    assert sum(1 for _ in rules.rules) >= 100
    assert len(rules.origins) == 19
    target = tmp_path / "config.js"
    target.write_bytes(OTTERCOOKIE_SHAPE)
    report = report_for(str(target), FileContext(None, real_rules))
    hits = [f for f in report.findings if f.rule == "file.yara_match"]
    assert [f.evidence["rule"] for f in hits] == ["Lazarus_OtterCookie_downloader"]
    [hit] = hits
    assert hit.evidence["namespace"] == "jpcert-yara/Lazarus/contagiousinterview.yara"
    assert hit.evidence["meta"]["author"] == "JPCERT/CC Incident Response Group"
    assert hit.severity is Severity.HIGH and "Lazarus Group" in hit.message


@pytest.mark.shared_data
@pytest.mark.slow
@pytest.mark.parametrize("folder", ["strelka-fixtures", "yara-benign-binaries"])
def test_real_sets_silent_on_benign_files(
    shared_data: Path, real_rules: IntelStore, folder: str
) -> None:
    """Every file and archive member of the benign sets: not one Lazarus rule fires."""
    report = report_for(str(shared_data / "files" / folder), FileContext(None, real_rules))
    matched = [
        (f.location.path if f.location else r.target, f.evidence.get("rule"))
        for r in report.walk()
        for f in r.findings
        if f.rule == "file.yara_match"
    ]
    assert sum(1 for _ in report.walk()) > 10
    assert matched == []
