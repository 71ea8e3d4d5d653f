"""The published BIP39 vectors (shared data): every valid vector is recognised as a test vector
where it sits, and the official wordlist files yield nothing."""

from __future__ import annotations

import json
import unicodedata
from functools import cache
from pathlib import Path

import pytest

from koban.keys.detectors.mnemonic import DETECTOR
from koban.keys.detectors.wordlists import LANGUAGES
from koban.keys.prefilter import Prefilter
from koban.keys.secret import Secret

pytestmark = pytest.mark.shared_data


@cache
def _prefilter() -> Prefilter:
    return Prefilter([DETECTOR])  # Hyperscan when installed, else re


def scan(path: Path) -> list[Secret]:
    return _prefilter().secrets(path.read_bytes())


def norm(phrase: str) -> str:
    return " ".join(unicodedata.normalize("NFKD", phrase).split())


def test_python_mnemonic_vectors(shared_data: Path) -> None:
    path = shared_data / "keys/python-mnemonic/vectors.json"
    vectors = json.loads(path.read_text("utf-8"))
    found = scan(path)
    assert all(s.test_vector and s.kind == "bip39_mnemonic" for s in found)
    materials = {s.material for s in found}
    for language in LANGUAGES:  # russian and turkish in the file are not official lists
        for row in vectors[language]:
            assert norm(row[1]) in materials, (language, row[0])
    assert len(found) == 24 * len(LANGUAGES)


@pytest.mark.parametrize(("name", "language"), [("JP", "japanese"), ("EN", "english")])
def test_bip32jp_vectors(shared_data: Path, name: str, language: str) -> None:
    path = shared_data / f"keys/bip32JP/test_{name}_BIP39.json"
    vectors = json.loads(path.read_text("utf-8"))
    found = scan(path)
    assert {s.material for s in found} == {norm(v["mnemonic"]) for v in vectors}
    assert all(s.test_vector and s.detail["language"] == language for s in found)


def test_wordlist_files_and_specifications(shared_data: Path) -> None:
    keys = shared_data / "keys"
    paths = [
        *sorted((keys / "bips/bip-0039").glob("*")),
        *sorted((keys / "python-mnemonic/src/mnemonic/wordlist").glob("*.txt")),
        keys / "bips/bip-0039.mediawiki",
        keys / "bips/bip-0032.mediawiki",
    ]
    assert len(paths) > 20
    for path in paths:
        assert [s for s in scan(path) if not s.test_vector] == [], path
