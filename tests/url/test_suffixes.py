"""The suffix walk gives the answers of the ``publicsuffixlist`` package it replaces."""

from __future__ import annotations

from pathlib import Path

import pytest
from publicsuffixlist import PSLFILE, PublicSuffixList

from koban.url.suffixes import SuffixList, suffix_list

# wildcards with exceptions (*.kawasaki.jp, !city.kawasaki.jp; *.ck, !www.ck), the private
# section (github.io, blogspot.com), IDN rules in both forms, unknown TLDs, single labels,
# public suffixes themselves, deep names, and what is not a name at all
HOSTS = [
    "com", "example.com", "www.example.com", "a.b.c.example.co.jp", "co.jp", "example.co.jp",
    "kawasaki.jp", "x.kawasaki.jp", "a.x.kawasaki.jp", "city.kawasaki.jp",
    "a.city.kawasaki.jp", "ck", "x.ck", "a.x.ck", "www.ck", "a.www.ck", "github.io",
    "user.github.io", "a.user.github.io", "blogspot.com", "x.blogspot.com", "xn--p1ai",
    "example.xn--p1ai", "example.рф", "example.unknowntld", "unknowntld", "localhost",
    "a.b.c.d.e.f.g.h", "x.s3.amazonaws.com", "bucket.s3.us-east-1.amazonaws.com",
    "", ".", "a..b", ".a", "a.", "example.com.", "x.nom.br", "a.x.nom.br",
]  # fmt: skip


@pytest.fixture(scope="module")
def reference() -> PublicSuffixList:
    return PublicSuffixList()


@pytest.mark.parametrize("host", HOSTS)
def test_split_matches_publicsuffixlist(host: str, reference: PublicSuffixList) -> None:
    expected = (reference.privatesuffix(host), reference.publicsuffix(host))
    assert suffix_list().split(host) == expected


def test_every_rule_and_its_children_match(reference: PublicSuffixList) -> None:
    rules = [line.split()[0] for line in _rule_lines() if line.strip()]
    hosts = []
    for rule in rules:
        body = rule.lstrip("!").removeprefix("*.")
        hosts += [body, f"x.{body}", f"a.x.{body}"]
    wrong = [
        h
        for h in hosts
        if suffix_list().split(h) != (reference.privatesuffix(h), reference.publicsuffix(h))
    ]
    assert len(hosts) > 20_000
    assert wrong == []


def test_rules_from_lines() -> None:
    lst = SuffixList(["// comment", "jp", "*.kobe.jp", "!city.kobe.jp", "", "co.jp"])
    assert lst.split("www.example.co.jp") == ("example.co.jp", "co.jp")
    assert lst.split("a.b.kobe.jp") == ("a.b.kobe.jp", "b.kobe.jp")
    assert lst.split("www.city.kobe.jp") == ("city.kobe.jp", "kobe.jp")
    assert lst.split("kobe.jp") == (None, "kobe.jp")
    assert lst.split("example.org") == ("example.org", "org")


def _rule_lines() -> list[str]:
    lines = Path(PSLFILE).read_text(encoding="utf-8").splitlines()
    return [line for line in lines if not line.startswith("//")]


@pytest.mark.parametrize(
    "name",
    [
        "co.jp", "blogspot.com", "x.kawasaki.jp", "city.kawasaki.jp", "github.io", "com.br",
        "nom.br", "x.nom.br", "s3.amazonaws.com", "secure.login", "www.com", "example.co.jp",
        "a.b", "xn--p1ai", "example.xn--p1ai",
    ],
)  # fmt: skip
def test_is_public_matches_publicsuffixlist(name: str, reference: PublicSuffixList) -> None:
    assert suffix_list().is_public(name) == (reference.publicsuffix("x." + name) == name)


def test_knows_top_level_labels() -> None:
    assert suffix_list().knows("jp")
    assert suffix_list().knows("com")
    assert not suffix_list().knows("www2")
    assert not suffix_list().knows("ama2on")
