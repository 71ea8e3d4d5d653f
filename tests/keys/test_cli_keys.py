"""``koban keys scan`` through the real CLI: formats, exits, baselines, wallets, history, safety."""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import subprocess
import zipfile
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from koban.cli import cli

# Made for these tests from fixed strings; they hold nothing.
KEY_HEX = hashlib.sha256(b"koban-test-cli-key").hexdigest()
SEED = "fiber tilt scrap escape inquiry later oppose addict accident quit chapter current"
ABOUT = " ".join(["abandon"] * 11 + ["about"])


def _eth_address(key_hex: str) -> str:
    import coincurve
    from Crypto.Hash import keccak

    pub = coincurve.PrivateKey(bytes.fromhex(key_hex)).public_key.format(compressed=False)[1:]
    return "0x" + keccak.new(digest_bits=256, data=pub).hexdigest()[-40:]


def _run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def _reports(result: Result) -> list[dict[str, Any]]:
    return [json.loads(line) for line in result.stdout.splitlines()]


def _findings(result: Result) -> list[dict[str, Any]]:
    return [f for r in _reports(result) for f in r["findings"]]


@pytest.fixture
def tree(env: Path) -> Path:
    root = env / "share"
    (root / "deploy").mkdir(parents=True)
    (root / "deploy" / ".env").write_text(f"PRIVATE_KEY=0x{KEY_HEX}\n")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("notes/seed.txt", f"recovery phrase: {SEED}\n")
    (root / "backup.zip").write_bytes(buf.getvalue())
    (root / "test_vectors.py").write_text(f'MNEMONIC = "{ABOUT}"\n')
    (root / "README.md").write_text("Nothing secret here.\n")
    return root


def test_finds_and_redacts_in_every_format(tree: Path) -> None:
    for fmt in ("text", "json", "sarif"):
        result = _run("keys", "scan", "--format", fmt, str(tree))
        assert result.exit_code == 1, result.output
        assert KEY_HEX not in result.output and SEED not in result.output
        assert "tilt scrap" not in result.output
    findings = _findings(_run("keys", "scan", "--format", "json", str(tree)))
    kinds = {(f["kind"], f["location"]["path"]) for f in findings}
    assert ("eth_private_key", "deploy/.env") in kinds
    assert ("bip39_mnemonic", "backup.zip!notes/seed.txt") in kinds
    vector = [f for f in findings if f["rule"] == "keys.test_vector"]
    assert vector and vector[0]["severity"] == "info"
    for f in findings:
        assert len(f["evidence"]["fingerprint"]) == 16
        assert "…" in f["evidence"]["redacted"] or f["kind"] == "eth_keystore"


def test_sarif_is_uploadable(tree: Path) -> None:
    doc = json.loads(_run("keys", "scan", "--format", "sarif", str(tree)).stdout)
    results = doc["runs"][0]["results"]
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results}
    assert any(u.endswith("share/deploy/.env") for u in uris)


def test_wallet_of_the_profile_is_critical(tree: Path, env: Path) -> None:
    address = _eth_address(KEY_HEX)
    (env / "koban.toml").write_text(
        f'[[wallets]]\nchain = "polygon"\naddress = "{address}"\nlabel = "hot wallet 1"\n'
    )
    result = _run("keys", "scan", "--format", "json", str(tree))
    hit = next(f for f in _findings(result) if f["kind"] == "eth_private_key")
    assert hit["severity"] == "critical"
    assert hit["wallet"] == {"label": "hot wallet 1", "address": address, "chain": "polygon"}
    assert "hot wallet 1" in hit["message"]
    assert _reports(result)[0]["verdict"] == "malicious"


def test_baseline_accepts_known_exposures_only(tree: Path, env: Path) -> None:
    baseline = env / "keys-baseline.json"
    first = _run("keys", "scan", "--write-baseline", str(baseline), str(tree))
    assert first.exit_code == 1
    doc = json.loads(baseline.read_text())
    assert doc["schema"] == "koban.keys-baseline/1"
    assert KEY_HEX not in baseline.read_text()
    again = _run("keys", "scan", "--baseline", str(baseline), str(tree))
    assert again.exit_code == 0, again.output
    assert "accepted" in again.stderr
    other = hashlib.sha256(b"koban-test-cli-other").hexdigest()
    (tree / "deploy" / "prod.env").write_text(f"SIGNER_PRIVATE_KEY={other}\n")
    new = _run("keys", "scan", "--format", "json", "--baseline", str(baseline), str(tree))
    assert new.exit_code == 1
    assert [f["location"]["path"] for f in _findings(new) if f["rule"] != "keys.test_vector"] == [
        "deploy/prod.env"
    ]


def test_bad_baseline_is_a_clear_error(tree: Path, env: Path) -> None:
    bad = env / "bad.json"
    bad.write_text("{not json")
    result = _run("keys", "scan", "--baseline", str(bad), str(tree))
    assert result.exit_code == 2
    assert "bad.json" in result.stderr


def test_missing_input_exits_2_and_the_rest_is_scanned(tree: Path) -> None:
    result = _run("keys", "scan", "--format", "json", "no-such-dir", str(tree))
    assert result.exit_code == 2
    assert "no-such-dir" in result.stderr
    assert [r["target"] for r in _reports(result)] == [str(tree)]


def test_fail_on_and_clean_tree(env: Path) -> None:
    (env / "clean").mkdir()
    (env / "clean" / "SHA256SUMS").write_text(f"{KEY_HEX}  koban.tar.gz\n")
    result = _run("keys", "scan", str(env / "clean"))
    assert result.exit_code == 0, result.output
    assert "CLEAN" in result.stdout


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_key_deleted_from_head_is_found_in_history(env: Path) -> None:
    repo = env / "repo"
    repo.mkdir()

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", "-c", "user.name=t", "-c", "user.email=t@example.org", *args],
            cwd=repo, check=True, capture_output=True, text=True,
        ).stdout.strip()  # fmt: skip

    git("init", "-q")
    (repo / "config.py").write_text(f'PRIVATE_KEY = "{KEY_HEX}"\n')
    git("add", "config.py")
    git("commit", "-q", "-m", "add signer")
    commit = git("rev-parse", "HEAD")
    (repo / "config.py").write_text('PRIVATE_KEY = os.environ["PRIVATE_KEY"]\n')
    git("commit", "-q", "-am", "read the key from the environment")
    result = _run("keys", "scan", "--format", "json", str(repo))
    hits = [f for f in _findings(result) if f["kind"] == "eth_private_key"]
    assert [(h["location"]["path"], h["location"]["commit"]) for h in hits] == [
        ("config.py", commit)
    ]
    assert "git history" in hits[0]["message"]
    assert _run("keys", "scan", "--no-history", str(repo)).exit_code == 0


def test_a_single_file_input_is_located_by_its_own_path(env: Path) -> None:
    secret = env / "conf" / "signer.env"
    secret.parent.mkdir()
    secret.write_text(f"PRIVATE_KEY=0x{KEY_HEX}\n")
    text = _run("keys", "scan", str(secret))
    assert f"{KEY_HEX[:4]}…{KEY_HEX[-4:]}" in text.stdout and "[signer.env:1]" in text.stdout
    doc = json.loads(_run("keys", "scan", "--format", "sarif", str(secret)).stdout)
    [result] = doc["runs"][0]["results"]
    assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == str(secret)
