"""What the key-format detectors find in peer scanners' test data (gitleaks, Nosey Parker).

Those corpora are about API tokens, not wallets: the figures are printed for the record (run with
``-s``), and only the few wallet-relevant facts that are certain are asserted.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from koban.keys.detectors import extended, hexkey, keystore, pem, solana, wif
from koban.keys.prefilter import Prefilter
from koban.keys.secret import Secret

DETECTORS = [d.DETECTOR for d in (wif, extended, hexkey, keystore, solana, pem)]


def scan_tree(root: Path) -> list[tuple[str, Secret]]:
    prefilter = Prefilter(DETECTORS)
    found = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        data = path.read_bytes()[:4_000_000]
        found += [(str(path.relative_to(root)), s) for s in prefilter.secrets(data)]
    return found


@pytest.mark.shared_data
def test_gitleaks_testdata(shared_data: Path) -> None:
    found = scan_tree(shared_data / "keys/gitleaks-testdata")
    print("gitleaks-testdata:", dict(Counter(s.kind for _, s in found)))
    pem_paths = {path for path, s in found if s.kind == "pem_private_key"}
    assert "testdata/repos/symlinks/source_file/id_ed25519" in pem_paths
    assert not any(path.endswith("SHA256SUMS") for path, _ in found)


@pytest.mark.shared_data
def test_noseyparker_rule_examples(shared_data: Path) -> None:
    found = scan_tree(shared_data / "keys/noseyparker-rules")
    print("noseyparker-rules:", dict(Counter(s.kind for _, s in found)))
    in_pem_rules = [s for path, s in found if path.endswith("rules/pem.yml")]
    # np.pem.1's three examples (plain, string concatenation, escaped \r\n; an OpenSSH body under
    # an RSA label) and np.pem.2's intact Base64-wrapped example; its other wrapped example
    # decodes to a body with non-Base64 bytes (edited by hand) and is rightly not a key
    assert len(in_pem_rules) == 4
    assert all(s.kind == "pem_private_key" for s in in_pem_rules)
    assert sum(s.detail.get("wrapped") == "base64" for s in in_pem_rules) == 1
