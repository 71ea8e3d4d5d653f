"""Builders of harmless example files for the rules of ``file.*`` (``build: topic.function``
in rules/*.yaml names ``koban.file.examples.<topic>.<function>``).

Each builder returns bytes that reproduce the *shape* of a campaign's file (an LNK that starts
hidden PowerShell, an asar with an injected loader...) without anything that works: commands
point to documentation addresses (example.com, 192.0.2.0/24) and do nothing.
"""

from __future__ import annotations
