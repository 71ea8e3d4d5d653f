"""The public vectors in ../shared/data/keys are recognised as test vectors, never exposures;
the peers' test data gives what it gives (printed with pytest -s)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from koban.keys import Options, report_for

VECTOR_FOLDERS = ("bips", "bip32JP", "python-mnemonic", "bitcoinjs-wif", "ethereum-keystore-tests")


@pytest.mark.shared_data
@pytest.mark.parametrize("folder", VECTOR_FOLDERS)
def test_every_valid_vector_is_recognised(shared_data: Path, folder: str) -> None:
    report = report_for(str(shared_data / "keys" / folder), Options(jobs=1, history=False))
    rules = Counter(f.rule for f in report.findings)
    print(f"\n{folder}: {dict(rules)}")
    assert rules["keys.test_vector"] > 0
    assert set(rules) <= {"keys.test_vector"}, rules


@pytest.mark.shared_data
@pytest.mark.parametrize(
    ("folder", "at_least"), [("gitleaks-testdata", {"pem_private_key": 1}),
                             ("noseyparker-rules", {"pem_private_key": 4})]
)  # fmt: skip
def test_peers_test_data(shared_data: Path, folder: str, at_least: dict[str, int]) -> None:
    report = report_for(str(shared_data / "keys" / folder), Options(jobs=1, history=False))
    kinds = Counter(f.kind for f in report.findings if f.rule != "keys.not_scanned")
    print(f"\n{folder}: {dict(kinds)}")
    for kind, n in at_least.items():
        assert kinds[kind] >= n
