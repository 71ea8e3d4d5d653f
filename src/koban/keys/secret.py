"""What a detector found: a wallet secret candidate, validated, with where it sits.

Detectors (``koban.keys.detectors.*``) return :class:`Secret`; the scanner turns them into report
findings with a redacted form and a fingerprint. The secret material stays in memory only.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

# PRODUCT.md kinds (more allowed)
KINDS = (
    "bip39_mnemonic",
    "electrum_seed",
    "wif_private_key",
    "extended_private_key",
    "eth_private_key",
    "eth_keystore",
    "solana_keypair",
    "pem_private_key",
)


@dataclass(frozen=True, slots=True)
class Secret:
    """One validated secret found in a blob of UTF-8 data.

    ``start``/``end`` are byte offsets into the data the detector was given. ``material`` is the
    normalised secret (mnemonic words NFKD-joined by one space; WIF/xprv as written; raw keys as 64
    lower-case hex; Solana keypairs as 128 hex; PEM as the whole block): it is what the fingerprint
    is computed from and what wallet derivation uses. Never print it.

    ``detail`` says what the detector learnt (language, word count, network, compressed,
    encrypted, script type, electrum version, address of a keystore...). ``test_vector`` marks
    publicly known test material (BIP39/BIP32 vectors...): recognised, reported as info only.
    """

    kind: str
    start: int
    end: int
    material: str = field(repr=False)
    detail: dict[str, Any] = field(default_factory=dict)
    confidence: str = "high"  # high | medium
    test_vector: bool = False

    @property
    def fingerprint(self) -> str:
        digest = hashlib.sha256(f"koban-keys/1\0{self.kind}\0{self.material}".encode()).hexdigest()
        return digest[:16]


class Detector(Protocol):
    """A family of secrets.

    ``patterns`` are prefilter regular expressions over the UTF-8 bytes of a blob, written in the
    common subset of Hyperscan and Python ``re`` (no look-around, no back-references). The scanner
    runs all detectors' patterns in one pass and calls :meth:`confirm` with the *end* offsets of
    the matches of this detector's patterns (sorted, possibly many near each other); the detector
    re-examines the data around them, validates, and returns what is real. ``max_span`` bounds how
    far before an end offset a secret can start. A detector may also have a ``warm()`` method:
    the scanner calls it before forking workers, to build costly tables once.
    """

    name: str
    patterns: Sequence[bytes]
    max_span: int

    def confirm(self, data: bytes, ends: Sequence[int]) -> Iterable[Secret]: ...
