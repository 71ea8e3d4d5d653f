"""The Public Suffix List as one dictionary, walked from the right: a host's split in a few
lookups.

The rules are the snapshot bundled with the ``publicsuffixlist`` package (its ``PSLFILE``, read
the way that package reads it: rules and their IDNA-encoded forms, private section included),
and the answers are those of its ``privatesuffix`` / ``publicsuffix`` with unknown TLDs accepted.
That package joins and looks up every candidate suffix from the longest down (about 15 us per
host); here each rule body's right-hand tails are keys too, so the walk from the TLD stops at the
first suffix that no rule ends with (usually the second label: ``example`` of ``example.com``).
Rule semantics are the package's: at the longest suffix that has a rule, an exception
(``!city.kawasaki.jp``) makes its parent public, a wildcard (``*.ck``) makes one more label
public (or the suffix itself, when it is the whole host), a plain rule makes the suffix public;
with no rule, the TLD alone is public.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from publicsuffixlist import PSLFILE

_TAIL, _EXACT, _WILDCARD, _EXCEPTION = 0, 1, 2, 4


def _rules(lines: list[str]) -> set[str]:
    """The rule strings as ``publicsuffixlist`` keeps them (lower case, plus IDNA forms)."""
    rules: set[str] = set()
    for line in lines:
        s = line.lower().split(" ")[0].rstrip()
        if s == "" or s.startswith("//"):
            continue
        rules.add(s)
        encoded = s.lstrip("!").encode("idna").decode("ascii")
        rules.add("!" + encoded if s[0] == "!" else encoded)
    return rules


class SuffixList:
    """Public suffix and registrable domain (eTLD+1) of lower-case host names."""

    def __init__(self, lines: list[str]) -> None:
        table: dict[str, int] = {}
        for rule in _rules(lines):
            if rule.startswith("!"):
                body, flag = rule[1:], _EXCEPTION
            elif rule.startswith("*."):
                body, flag = rule[2:], _WILDCARD
            else:
                body, flag = rule, _EXACT
            table[body] = table.get(body, _TAIL) | flag
            dot = body.find(".")
            while dot >= 0:  # every right-hand tail: the walk may go on past it
                table.setdefault(body[dot + 1 :], _TAIL)
                dot = body.find(".", dot + 1)
        self._table = table

    def knows(self, label: str) -> bool:
        """Whether a label is the last label of some rule (a top-level domain): if not, no name
        ending with it is a public suffix of more than one label."""
        return label in self._table

    def is_public(self, name: str) -> bool:
        """Whether a lower-case name of two or more labels is itself a public suffix (co.jp,
        blogspot.com). Most names are in no rule at all: answered by one or two lookups."""
        table = self._table
        if name not in table and not table.get(name[name.find(".") + 1 :], 0) & _WILDCARD:
            return False
        return self.split("x." + name)[1] == name

    def split(self, host: str) -> tuple[str | None, str | None]:
        """(registrable domain, public suffix) of a lower-case host name; (None, suffix) when
        the host is itself a public suffix, (None, None) if it is not a name (empty labels)."""
        if host.endswith("."):
            host = host[:-1]
        if not host or host[0] == "." or ".." in host:
            return None, None
        table = self._table
        dot = host.rfind(".")
        if dot > 0:  # most hosts: an unknown TLD, or a plain rule no longer rule ends with
            tld = host[dot + 1 :]
            flags = table.get(tld)
            if flags is None or flags == _EXACT:
                registrable = host[host.rfind(".", 0, dot) + 1 :]
                if flags is None or registrable not in table:
                    return registrable, tld
        starts = [dot + 1]  # starts[d - 1]: where the suffix of d labels starts
        found = 1  # an unknown TLD is public
        if starts[0]:  # (a single label is public whatever the rules say)
            while True:
                start = starts[-1]
                flags = table.get(host[start:])
                if flags is None:  # no rule ends with this suffix: none deeper either
                    break
                depth = len(starts)
                if flags & _EXCEPTION:
                    found = depth - 1
                elif flags & _WILDCARD:
                    found = depth if start == 0 else depth + 1
                elif flags & _EXACT:
                    found = depth
                if start == 0:
                    break
                starts.append(host.rfind(".", 0, start - 1) + 1)
        if found == 0:
            return None, None
        while len(starts) <= found and starts[-1]:
            starts.append(host.rfind(".", 0, starts[-1] - 1) + 1)
        suffix = host[starts[found - 1] :]
        return (host[starts[found] :] if len(starts) > found else None), suffix


@cache
def suffix_list() -> SuffixList:
    """The bundled list (read once, about 40 ms)."""
    text = Path(PSLFILE).read_bytes().decode("utf-8", "surrogateescape")
    return SuffixList(text.split("\n"))
