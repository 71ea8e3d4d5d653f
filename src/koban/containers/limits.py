"""The safety bounds of the walker: archives are attacker-controlled, so every dimension is capped.

A zip bomb, a 10,000-level nested archive or a tar claiming a terabyte member must cost the
scanner a bounded amount of memory and time, then be reported (``Problem(limit=True)``) instead of
silently skipped or crashing the run.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

MiB = 1024 * 1024
GiB = 1024 * MiB


@dataclass(frozen=True, slots=True)
class Limits:
    """Bounds applied to one top-level input (a file given or found in a tree, or a git blob)."""

    max_depth: int = 5  # archives inside archives: x.zip!y.tar.gz!z.7z is depth 3
    max_members: int = 10_000  # members walked per archive
    max_member_bytes: int = 64 * MiB  # uncompressed size of one member
    max_total_bytes: int = 1 * GiB  # uncompressed bytes extracted from one input, all levels
    max_ratio: float = 200.0  # uncompressed/compressed size of a member or stream (zip bomb)
    ratio_grace_bytes: int = 1 * MiB  # ratio only judged above this size (tiny files compress well)
    max_file_bytes: int = 256 * MiB  # plain files and git blobs read whole
    max_seconds: float = 60.0  # wall time spent on one input
    max_pdf_pages: int = 500  # pages whose text is extracted from one PDF
    max_text_bytes: int = 16 * MiB  # text extracted from one document


@dataclass(slots=True)
class Budget:
    """What one top-level input may still consume; shared by every level of its expansion."""

    limits: Limits
    deadline: float = 0.0
    remaining: int = 0
    expired: bool = field(default=False)

    @classmethod
    def start(cls, limits: Limits) -> Budget:
        return cls(limits, time.monotonic() + limits.max_seconds, limits.max_total_bytes)

    def out_of_time(self) -> bool:
        if not self.expired and time.monotonic() > self.deadline:
            self.expired = True
        return self.expired

    def take(self, n: int) -> bool:
        """Account ``n`` extracted bytes; False when that would exceed the total bound."""
        if n > self.remaining:
            return False
        self.remaining -= n
        return True


DEFAULT_LIMITS = Limits()
