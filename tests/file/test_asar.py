"""asar reading, JavaScript heuristics and known-good comparison; real archives stay clean."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from koban.file.context import FileContext, FileOptions
from koban.file.examples import asar as build
from koban.file.inspectors.asar import (
    INSPECTOR,
    AsarError,
    align_manifest,
    looks_like_asar,
    read_header,
    read_manifest,
    script_signals,
)
from koban.file.item import FileItem
from koban.model import Finding, Severity
from koban.scoring import score_findings


def _findings(data: bytes, ctx: FileContext | None = None, fs: Path | None = None) -> list[Finding]:
    item = FileItem(path="app.asar", name="app.asar", data=data, true_type="asar", fs_path=fs)
    return list(INSPECTOR.inspect(item, ctx or FileContext()))


def _rules(findings: list[Finding]) -> dict[str, Finding]:
    return {f.rule: f for f in findings}


def test_header_round_trip() -> None:
    data = build.pack({"a/b.js": b"x", "c.txt": b"yy"}, unpacked=("c.txt",))
    assert looks_like_asar(data)
    entries, base, notes = read_header(data)
    assert [(e.path, e.size, e.unpacked) for e in entries] == [
        ("a/b.js", 1, False),
        ("c.txt", 2, True),
    ]
    assert data[base : base + 1] == b"x" and not notes
    with pytest.raises(AsarError):
        read_header(b"\x04\x00\x00\x00" + b"\x00" * 30)


@pytest.mark.parametrize(
    ("builder", "rule", "severity"),
    [
        ("injected_loader", "file.asar_remote_code", Severity.HIGH),
        ("host_beacon", "file.asar_host_beacon", Severity.HIGH),
        ("wallet_reader", "file.asar_wallet_access", Severity.CRITICAL),
        ("second_stage", "file.asar_second_stage", Severity.HIGH),
        ("obfuscated", "file.asar_obfuscated", Severity.MEDIUM),
        ("tampered", "file.asar_integrity_mismatch", Severity.HIGH),
    ],
)
def test_injected_shapes(builder: str, rule: str, severity: Severity) -> None:
    found = _rules(_findings(getattr(build, builder)()))
    assert found[rule].severity is severity
    assert score_findings(found.values()) >= 30


def test_clean_app_is_clean() -> None:
    found = _findings(build.clean_app())
    assert [f.rule for f in found] == ["file.asar_contents"]
    assert found[0].evidence["files"] == 5


def test_signals_need_fetch_and_eval_together() -> None:
    assert not script_signals("const x = eval('1+1');").remote_code
    assert not script_signals(
        "fetch('https://example.com/data.json').then(r => r.json())"
    ).remote_code
    loader = "fetch('https://example.com/x').then(r => r.text()).then(t => new Function(t)())"
    assert script_signals(loader).remote_code
    assert script_signals("require('https://example.com/m.js')").remote_code
    # a data: URI font is not a base64 payload
    font = "src: url(data:font/woff2;base64," + "A" * 5000 + ")"
    assert not script_signals(font).obfuscation


def test_unpacked_script_read_beside_the_archive(tmp_path: Path) -> None:
    data = build.pack(
        {"main.js": build.MAIN_JS, "loader.js": build.LOADER_JS}, unpacked=("loader.js",)
    )
    path = tmp_path / "app.asar"
    path.write_bytes(data)
    assert "file.asar_remote_code" not in _rules(_findings(data, fs=path))
    (tmp_path / "app.asar.unpacked").mkdir()
    (tmp_path / "app.asar.unpacked" / "loader.js").write_bytes(build.LOADER_JS)
    assert "file.asar_remote_code" in _rules(_findings(data, fs=path))


def _manifest(tmp_path: Path, files: dict[str, bytes], prefix: str = "./") -> Path:
    lines = [f"{hashlib.sha256(c).hexdigest()}  {prefix}{p}" for p, c in files.items()]
    path = tmp_path / "SHA256SUMS"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_known_good_comparison(tmp_path: Path) -> None:
    manifest = _manifest(tmp_path, build.app_files(), prefix="resources/app.asar/")
    ctx = FileContext(options=FileOptions(known_good=manifest))
    same = _rules(_findings(build.clean_app(), ctx))["file.asar_known_good"]
    assert same.severity is Severity.INFO
    changed = _rules(_findings(build.injected_loader(), ctx))["file.asar_known_good"]
    assert changed.severity is Severity.HIGH
    assert changed.evidence["changed"] == ["main.js"]
    added = _rules(_findings(build.host_beacon(), ctx))["file.asar_known_good"]
    assert added.evidence["added"] == ["lib/telemetry.js"]
    # a manifest of the whole archive
    whole = tmp_path / "whole.sums"
    whole.write_text(f"{hashlib.sha256(build.clean_app()).hexdigest()}  app.asar\n")
    ctx = FileContext(options=FileOptions(known_good=whole))
    assert (
        _rules(_findings(build.clean_app(), ctx))["file.asar_known_good"].severity is Severity.INFO
    )
    assert (
        _rules(_findings(build.tampered(), ctx))["file.asar_known_good"].severity is Severity.HIGH
    )


def test_manifest_alignment_and_bsd_lines(tmp_path: Path) -> None:
    path = tmp_path / "sums"
    digest = "ab" * 32
    path.write_text(f"SHA256 (out/main.js) = {digest}\n{digest} *out/lib/x.js\ngarbage\n")
    manifest = read_manifest(path)
    assert manifest == {"out/main.js": digest, "out/lib/x.js": digest}
    assert align_manifest(manifest, {"main.js", "lib/x.js"}) == {
        "main.js": digest,
        "lib/x.js": digest,
    }
    assert align_manifest(manifest, {"other.js"}) == {}


def test_damaged_archives_never_raise() -> None:
    data = build.injected_loader()
    for n in range(0, len(data), 13):
        _findings(data[:n] if n >= 24 else data)
    assert "file.asar_malformed" in _rules(_findings(build.truncated()))


@pytest.mark.shared_data
def test_real_archives_are_not_suspicious(shared_data: Path) -> None:
    paths = sorted((shared_data / "files/electron-asar").rglob("*.asar"))
    assert len(paths) == 17
    for path in paths:
        found = _findings(path.read_bytes(), fs=path)
        assert found[0].rule == "file.asar_contents", path
        assert score_findings(found) < 30, (path, [f.rule for f in found])
