"""The executables inspector on hand-built PE, Mach-O and ELF files, and on real benign ones."""

from __future__ import annotations

import random
import time
from pathlib import Path

import pytest

from koban.containers import Limits
from koban.file.binaries import authenticode
from koban.file.binaries._oscrypto_shim import load_signify
from koban.file.binaries.common import kind_of, wallet_stores
from koban.file.binaries.macho import read_signature, signer_name
from koban.file.context import FileContext, FileOptions
from koban.file.examples import binaries as ex
from koban.file.inspectors.binaries import INSPECTOR
from koban.file.item import FileItem
from koban.model import Finding, Severity, Verdict
from koban.scoring import score_findings, verdict_for


def _item(data: bytes, path: str = "sample.bin", true_type: str = "unknown") -> FileItem:
    return FileItem(path=path, name=path.rsplit("/", 1)[-1], data=data, true_type=true_type)


def _inspect(
    data: bytes, path: str = "sample.bin", ctx: FileContext | None = None
) -> list[Finding]:
    item = _item(data, path)
    assert INSPECTOR.applies(item)
    return list(INSPECTOR.inspect(item, ctx or FileContext()))


def _by_rule(findings: list[Finding]) -> dict[str, Finding]:
    return {f.rule: f for f in findings}


def _verdict(findings: list[Finding]) -> Verdict:
    return verdict_for(score_findings(findings))


# --- PE: signatures ------------------------------------------------------------------------


def test_unsigned_program_is_a_clean_fact() -> None:
    found = _by_rule(_inspect(ex.plain_pe(), "tool.exe"))
    assert found["file.pe_unsigned"].severity is Severity.INFO
    summary = found["file.pe_summary"].evidence
    assert summary["machine"] == "I386" and summary["imported_functions"] == 3
    assert summary["compiled_at"].startswith("2023-11-14")
    assert _verdict(list(found.values())) is Verdict.CLEAN


def test_signed_program_reports_signer_and_integrity() -> None:
    found = _by_rule(_inspect(ex.signed_pe(), "app.exe"))
    signed = found["file.pe_signed"].evidence
    assert "CN=Koban Test Signer" in signed["subject"]
    assert signed["serial"].lstrip("0") == "4b4f42414e"
    assert signed["integrity"] == "ok"
    assert signed["signed_at"] is not None
    assert "file.pe_unsigned" not in found
    assert "file.pe_signature_invalid" not in found
    assert "file.pe_overlay" not in found  # the certificate table is not an overlay


@pytest.mark.skipif(load_signify() is None, reason="signify cannot be imported here")
def test_self_signed_chain_is_medium() -> None:
    found = _by_rule(_inspect(ex.signed_pe(), "app.exe"))
    untrusted = found["file.pe_signature_untrusted"]
    assert untrusted.kind == "self-signed"
    assert untrusted.severity is Severity.MEDIUM
    assert found["file.pe_signed"].evidence["chain"] == "self-signed"


def test_tampered_code_breaks_the_signature() -> None:
    found = _by_rule(_inspect(ex.tampered_pe(), "setup.exe"))
    invalid = found["file.pe_signature_invalid"]
    assert invalid.severity is Severity.HIGH
    assert "BAD_DIGEST" in invalid.evidence["lief_flags"]
    assert "file.pe_signature_untrusted" not in found  # the chain is moot once broken


def test_bytes_hidden_in_the_signature_block() -> None:
    found = _by_rule(_inspect(ex.padded_signature_pe(extra=64), "d3dcompiler_47.dll"))
    # the 64 bytes plus the signer's own alignment padding (under 8 bytes)
    assert 64 <= found["file.pe_signature_padding"].evidence["hidden_bytes"] < 72
    assert "file.pe_signature_invalid" not in found  # still "valid": that is the trick


def test_abused_signer_is_critical_and_malicious() -> None:
    findings = _inspect(ex.abused_signer_pe(), "CelasTradePro.exe")
    abused = _by_rule(findings)["file.pe_abused_signer"]
    assert abused.severity is Severity.CRITICAL
    assert "AppleJeus" in abused.evidence["campaign"]
    assert abused.indicators == ["cert-serial:009a73550b8376863bd9430faa8b5a2987"]
    assert _verdict(findings) is Verdict.MALICIOUS


def test_abused_signer_matching_rules() -> None:
    match = authenticode.match_abused
    assert match("C=US, O=CELAS LLC, CN=CELAS LLC", "01") is not None  # front company: name
    assert match("CN=Celas LLC", "") is not None
    assert match("CN=Celaslabs Inc", "") is None
    # a real vendor's certificate matches only by the compromised serial
    assert match("C=GB, O=3CX Ltd, CN=3CX Ltd", "0a0b") is None
    hit = match("C=GB, O=3CX Ltd, CN=3CX Ltd", "1b:66:11:df:9c:9a:4d:6e:cc:8e:d5:0c:9b:91:78:73")
    assert hit is not None and hit.severity is Severity.HIGH
    assert all(entry.source for entry in authenticode.abused_signers())


# --- PE: structure ------------------------------------------------------------------------


def test_upx_layout_is_suspicious_not_malicious() -> None:
    findings = _inspect(ex.upx_packed_pe(), "TradingView.exe")
    found = _by_rule(findings)
    assert found["file.exe_packer"].evidence["packers"] == ["UPX"]
    assert found["file.pe_packed_code"].evidence["sections"][0]["name"] == "UPX1"
    assert "getprocaddress" in found["file.pe_few_imports"].evidence["imports"]
    assert _verdict(findings) is Verdict.SUSPICIOUS


def test_capability_imports() -> None:
    injector = _by_rule(_inspect(ex.injector_pe()))
    assert injector["file.pe_injection_imports"].severity is Severity.MEDIUM
    assert "createremotethread" in injector["file.pe_injection_imports"].evidence["imports"]
    keylogger = _by_rule(_inspect(ex.keylogger_pe()))
    assert keylogger["file.pe_keylogger_imports"].severity is Severity.LOW
    plain = _by_rule(_inspect(ex.plain_pe()))
    assert not {"file.pe_injection_imports", "file.pe_keylogger_imports"} & plain.keys()


def test_wallet_store_strings() -> None:
    found = _by_rule(_inspect(ex.wallet_stealer_pe()))
    assert set(found["file.exe_wallet_paths"].evidence["wallets"]) == {
        "Exodus",
        "MetaMask",
        "Electrum",
    }
    assert found["file.exe_wallet_paths"].severity is Severity.MEDIUM
    # a wallet naming its own store is not a stealer; UTF-16 strings count; five is high
    assert wallet_stores(b"...\\Exodus\\exodus.wallet...") == ["Exodus"]
    wide = "nkbihfbeogaeaoehlefnkodbefgpgknn".encode("utf-16-le")
    assert wallet_stores(wide) == ["MetaMask"]
    many = ex.pe(
        strings=(
            "nkbihfbeogaeaoehlefnkodbefgpgknn",
            "bfnaelmomeimhlpmgjnjophhpkkoljpa",
            "hnfanknocfeofbddgcijnmhnfnkdnaad",
            "ibnejdfjmmkpcnlpebklmnkoeoihofec",
            "Electrum/wallets",
        )
    )
    assert _by_rule(_inspect(many))["file.exe_wallet_paths"].severity is Severity.HIGH


def test_overlays() -> None:
    zipped = _by_rule(_inspect(ex.overlay_pe(4096)))["file.pe_overlay"]
    assert zipped.kind == "zip" and zipped.evidence["bytes"] == 4096
    assert zipped.severity is Severity.INFO
    dropper = _by_rule(_inspect(ex.plain_pe() + ex.plain_pe()))["file.pe_overlay"]
    assert dropper.kind == "pe" and dropper.severity is Severity.LOW
    assert "file.pe_overlay" not in _by_rule(_inspect(ex.overlay_pe(512, compressed=False)))


def test_tls_and_dotnet() -> None:
    tls = _by_rule(_inspect(ex.tls_pe()))["file.pe_tls_callbacks"]
    assert tls.severity is Severity.INFO and len(tls.evidence["callbacks"]) == 1
    assert "file.pe_dotnet" in _by_rule(_inspect(ex.dotnet_pe()))
    assert "file.pe_dotnet" not in _by_rule(_inspect(ex.plain_pe()))


def test_forged_future_timestamp_is_called_out() -> None:
    summary = _by_rule(_inspect(ex.pe(timestamp=4102444800)))["file.pe_summary"]
    assert "in the future" in summary.message


# --- Mach-O -------------------------------------------------------------------------------


def test_adhoc_and_developer_id() -> None:
    adhoc = _by_rule(_inspect(ex.adhoc_macho(), "Trader"))
    assert adhoc["file.macho_adhoc_signed"].severity is Severity.LOW
    assert adhoc["file.macho_adhoc_signed"].evidence["identifiers"] == ["com.example.app"]
    signed = _by_rule(_inspect(ex.developer_id_macho(), "Trader"))
    assert signed["file.macho_signed"].evidence == {
        "signers": ["Developer ID Application: Example Corp (A1B2C3D4E5)"],
        "team_ids": ["A1B2C3D4E5"],
    }
    assert not {"file.macho_adhoc_signed", "file.macho_unsigned"} & signed.keys()
    arch = signed["file.macho_summary"].evidence["architectures"][0]
    assert arch["hardened_runtime"] is True and arch["arch"] == "x86_64"


def test_app_bundle_executable_weighs_more() -> None:
    path = "Trader.zip!Trader.app/Contents/MacOS/Trader"
    found = _by_rule(_inspect(ex.adhoc_macho(), path))
    assert found["file.macho_adhoc_signed"].severity is Severity.MEDIUM
    assert found["file.macho_adhoc_signed"].location is not None
    assert found["file.macho_adhoc_signed"].location.path == path


def test_injected_dylib_and_entitlements() -> None:
    findings = _inspect(ex.injected_dylib_macho(), "Trader")
    found = _by_rule(findings)
    libraries = found["file.macho_odd_dylib"].evidence["libraries"]
    assert set(libraries) == {
        "@executable_path/../Resources/libupdate.dylib",
        "/tmp/.cache/libhelper.dylib",  # noqa: S108 (a string in a fixture)
    }
    assert found["file.macho_entitlements"].evidence["entitlements"] == [
        "com.apple.security.cs.disable-library-validation",
        "com.apple.security.get-task-allow",
    ]
    assert _verdict(findings) is Verdict.SUSPICIOUS


def test_universal_binary_lists_every_slice() -> None:
    data = ex.universal_macho()
    assert kind_of(_item(data)) == "macho"
    found = _by_rule(_inspect(data, "Trader"))
    arches = found["file.macho_summary"].evidence["architectures"]
    assert [(a["arch"], a["signature"]) for a in arches] == [
        ("x86_64", "unsigned"),
        ("arm64", "adhoc"),
    ]
    assert found["file.macho_unsigned"].evidence["architectures"] == ["x86_64"]


def test_code_signature_parser_is_bounded() -> None:
    blob = ex.code_signature(team="ABCDE12345", adhoc=False, signer="Apple Development: X Y")
    parsed = read_signature(blob)
    assert (parsed.state, parsed.team_id, parsed.signer) == (
        "signed",
        "ABCDE12345",
        "Apple Development: X Y",
    )
    for cut in range(0, len(blob), 7):
        read_signature(blob[:cut])  # never raises
    assert read_signature(b"\xfa\xde\x0c\xc0" + b"\xff" * 8).state in ("adhoc", "unsigned")
    # a DER string is read with its own length, digits included
    assert signer_name(b"\x0c\x1cDeveloper ID Application: 01\x31\x0b") == (
        "Developer ID Application: 01"
    )


# --- ELF ----------------------------------------------------------------------------------


def test_elf_facts_and_odd_loader() -> None:
    plain = _by_rule(_inspect(ex.elf(), "agent"))
    assert plain["file.elf_summary"].evidence["interpreter"] == "/lib64/ld-linux-x86-64.so.2"
    assert not {"file.elf_odd_interpreter", "file.elf_wx_segment"} & plain.keys()
    odd = _by_rule(_inspect(ex.odd_loader_elf(), "agent"))
    assert odd["file.elf_odd_interpreter"].indicators == ["/tmp/.X11-unix/ld.so"]  # noqa: S108
    for loader in ("/lib/ld-musl-x86_64.so.1", "/system/bin/linker64", "/lib/ld-linux.so.2"):
        assert "file.elf_odd_interpreter" not in _by_rule(_inspect(ex.elf(interpreter=loader)))


def test_sstripped_upx_elf() -> None:
    found = _by_rule(_inspect(ex.sstripped_elf(), "agent"))
    assert {"file.exe_packer", "file.elf_no_sections", "file.elf_wx_segment"} <= found.keys()
    assert found["file.elf_summary"].evidence["static"] is True


# --- robustness and bounds ------------------------------------------------------------------


def test_applies_only_to_executables() -> None:
    assert not INSPECTOR.applies(_item(b"MZ is how this text starts\n"))
    java = b"\xca\xfe\xba\xbe\x00\x00\x00\x34" + bytes(64)  # a Java class, version 52
    assert not INSPECTOR.applies(_item(java))
    assert INSPECTOR.applies(_item(b"", true_type="pe"))
    assert list(INSPECTOR.inspect(_item(b"", true_type="pe"), FileContext())) == []


def test_malformed_headers_become_a_finding() -> None:
    found = _by_rule(_inspect(b"\xcf\xfa\xed\xfe\x07\x00\x00\x01\x03\x00\x00\x00\x02\x00\x00\x00"))
    assert found["file.exe_malformed"].evidence["format"] == "macho"


@pytest.mark.parametrize(
    "build",
    [
        ex.plain_pe,
        ex.signed_pe,
        ex.upx_packed_pe,
        ex.universal_macho,
        ex.injected_dylib_macho,
        ex.elf,
        ex.sstripped_elf,
    ],
)
def test_damaged_files_never_raise(build: object) -> None:
    assert callable(build)
    data: bytes = build()
    rng = random.Random(len(data))
    for _ in range(40):
        damaged = bytearray(data[: rng.randrange(8, len(data) + 1)])
        for _ in range(rng.randrange(1, 12)):
            damaged[rng.randrange(len(damaged))] = rng.randrange(256)
        damaged[:4] = data[:4]
        item = _item(bytes(damaged))
        if INSPECTOR.applies(item):
            for finding in INSPECTOR.inspect(item, FileContext()):
                assert finding.rule.startswith("file.")


def test_files_over_the_member_limit_are_not_parsed() -> None:
    ctx = FileContext(options=FileOptions(limits=Limits(max_member_bytes=1000)))
    findings = _inspect(ex.upx_packed_pe(), ctx=ctx)
    assert [f.rule for f in findings] == ["file.not_scanned"]


def test_signify_shim_is_lazy() -> None:
    import subprocess
    import sys

    code = "import sys, koban.file.inspectors.binaries; print('signify' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# --- real benign binaries -------------------------------------------------------------------

_STRELKA = "files/strelka-fixtures/src/python/strelka/tests/fixtures"
_REAL = [
    "files/yara-benign-binaries/tests/data/tiny",
    "files/yara-benign-binaries/tests/data/tiny-overlay",
    "files/yara-benign-binaries/tests/data/tiny-universal",
    "files/yara-benign-binaries/tests/data/tiny-macho",
    "files/yara-benign-binaries/tests/data/mtxex.dll",
    "files/yara-benign-binaries/tests/data/pe_imports",
    "files/yara-benign-binaries/tests/data/pe_mingw",
    "files/yara-benign-binaries/tests/data/elf_with_imports",
    f"{_STRELKA}/test.exe",
    f"{_STRELKA}/test_xor.exe",
    f"{_STRELKA}/test_upx.exe",
    f"{_STRELKA}/test_overlay_zip.exe",
    f"{_STRELKA}/test.elf",
    f"{_STRELKA}/test.macho",
    f"{_STRELKA}/test.tlsh",
    f"{_STRELKA}/test_pyinstaller",
]


@pytest.mark.shared_data
def test_real_benign_binaries_are_never_malicious(shared_data: Path) -> None:
    verdicts: dict[str, Verdict] = {}
    started = time.perf_counter()
    for rel in _REAL:
        path = shared_data / rel
        findings = _inspect(path.read_bytes(), path.name)
        assert findings, rel
        verdicts[path.name] = _verdict(findings)
    elapsed = time.perf_counter() - started
    assert Verdict.MALICIOUS not in verdicts.values()
    # the UPX-packed test program is the only one that is suspicious (packing, by design)
    assert [n for n, v in verdicts.items() if v is Verdict.SUSPICIOUS] == ["test_upx.exe"]
    assert elapsed < 10  # about 0.1 s on the reference machine
    tiny = _by_rule(_inspect((shared_data / _REAL[1]).read_bytes()))
    assert tiny["file.pe_overlay"].evidence["bytes"] == 7
    dotnet = _by_rule(_inspect((shared_data / f"{_STRELKA}/test_overlay_zip.exe").read_bytes()))
    assert "file.pe_dotnet" in dotnet and dotnet["file.pe_overlay"].kind == "zip"
