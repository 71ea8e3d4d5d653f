"""The secp256k1 private-key range: a 256-bit number is a key only when 1 <= k < n.

Every Bitcoin and Ethereum key format carries a bare scalar; checking its range rejects the
all-zero and all-ones placeholders people paste into templates.
"""

from __future__ import annotations

#: The order of the secp256k1 group.
N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141


def in_range(key: int) -> bool:
    """True when ``key`` is a usable secp256k1 private key."""
    return 0 < key < N


def trivial(key: int) -> bool:
    """Keys so small (or so close to n) that every sweeper bot tries them: ``1``, ``2``, ``n-1``...

    They appear in test suites and tutorials, never as somebody's wallet, so they are reported
    as public test material.
    """
    return 0 < key < 1 << 32 or N - (1 << 32) < key < N
