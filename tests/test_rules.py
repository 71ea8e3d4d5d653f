"""Rules are data: every rule's examples must (or must not) fire, and every rule is well formed."""

from __future__ import annotations

import importlib
import re
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from koban.errors import InputError
from koban.rules import (
    RULE_PACKAGES,
    Rule,
    RuleExample,
    RuleFile,
    all_rules,
    example_runner,
    get_rule,
    iter_examples,
    load_rule_file,
    make_finding,
)

ATTACK_ID = re.compile(r"T\d{4}(\.\d{3})?")


def _examples() -> list[Any]:
    params = []
    seen: Counter[str] = Counter()
    for package, rule, example in iter_examples():
        seen[rule.id] += 1
        outcome = "fires" if example.fires else "silent"
        params.append(
            pytest.param(package, rule, example, id=f"{rule.id}#{seen[rule.id]}-{outcome}")
        )
    return params


@pytest.mark.parametrize(("package", "rule", "example"), _examples())
def test_rule_example(package: str, rule: Rule, example: RuleExample) -> None:
    fired = example_runner(package)(rule, example.input)
    assert fired == example.fires, (
        f"{rule.id}: example {example.description or example.input!r} "
        f"{'should fire but did not' if example.fires else 'fired but should not'}"
    )


def _rules() -> list[Any]:
    return [
        pytest.param(package, rule, id=rule.id)
        for package in RULE_PACKAGES
        for rule in load_rule_file(package).rules
    ]


@pytest.mark.parametrize(("package", "rule"), _rules())
def test_rule_is_documented(package: str, rule: Rule) -> None:
    assert rule.title.strip(), f"{rule.id} has no title"
    assert rule.description.strip(), f"{rule.id} has no description"
    assert rule.examples


@pytest.mark.parametrize(("package", "rule"), _rules())
def test_rule_attack_ids(package: str, rule: Rule) -> None:
    for technique in rule.attack:
        assert ATTACK_ID.fullmatch(technique), f"{rule.id}: bad ATT&CK id {technique!r}"
    assert len(set(rule.attack)) == len(rule.attack)


@pytest.mark.parametrize(("package", "rule"), _rules())
def test_rule_id_prefixed_with_package(package: str, rule: Rule) -> None:
    prefix = package.rsplit(".", 1)[-1] + "."
    assert rule.id.startswith(prefix)
    assert re.fullmatch(r"[a-z]+\.[a-z0-9_]+", rule.id), rule.id


def test_rule_ids_unique() -> None:
    ids = [rule.id for package in RULE_PACKAGES for rule in load_rule_file(package).rules]
    duplicates = [i for i, n in Counter(ids).items() if n > 1]
    assert not duplicates
    assert set(all_rules()) == set(ids)


@pytest.mark.parametrize("package", RULE_PACKAGES)
def test_every_rule_file_has_a_runner(package: str) -> None:
    assert callable(example_runner(package))
    assert load_rule_file(package).rules


def test_every_rule_has_an_example_that_fires() -> None:
    firing = {rule.id for _, rule, example in iter_examples() if example.fires}
    assert firing == set(all_rules())


def test_make_finding_takes_severity_and_attack_from_rule() -> None:
    rule = get_rule("intel.threat_actor")
    finding = make_finding("intel.threat_actor", "listed")
    assert finding.severity is rule.severity
    assert finding.attack == rule.attack
    assert finding.rule == rule.id


def test_unknown_rule() -> None:
    with pytest.raises(KeyError, match=r"no\.such_rule"):
        get_rule("no.such_rule")


# --- broken rule files -------------------------------------------------------------------------

_GOOD_RULE: dict[str, Any] = {
    "id": "demo.something",
    "severity": "high",
    "title": "Something",
    "description": "Something happened.",
    "attack": ["T1566.001"],
    "examples": [{"input": {"x": 1}}],
}


def _rule(**changes: Any) -> dict[str, Any]:
    rule = dict(_GOOD_RULE)
    for key, value in changes.items():
        if value is None:
            rule.pop(key)
        else:
            rule[key] = value
    return rule


def test_good_rule_file_accepted() -> None:
    rule_file = RuleFile.model_validate({"runner": "m:f", "rules": [_rule()]})
    assert rule_file.rules[0].examples[0].fires is True


@pytest.mark.parametrize(
    "data",
    [
        pytest.param({"rules": [_GOOD_RULE]}, id="no-runner"),
        pytest.param({"runner": "m:f"}, id="no-rules"),
        pytest.param({"runner": "m:f", "rules": [_GOOD_RULE], "extra": 1}, id="extra-top-key"),
        pytest.param({"runner": "m:f", "rules": [_rule(severity="severe")]}, id="bad-severity"),
        pytest.param({"runner": "m:f", "rules": [_rule(examples=[])]}, id="no-examples"),
        pytest.param({"runner": "m:f", "rules": [_rule(description=None)]}, id="no-description"),
        pytest.param({"runner": "m:f", "rules": [_rule(title=None)]}, id="no-title"),
        pytest.param({"runner": "m:f", "rules": [_rule(colour="red")]}, id="extra-rule-key"),
        pytest.param(
            {"runner": "m:f", "rules": [_rule(examples=[{"input": {}, "fire": False}])]},
            id="misspelt-example-key",
        ),
        pytest.param(
            {"runner": "m:f", "rules": [_rule(examples=[{"fires": True}])]},
            id="example-without-input",
        ),
    ],
)
def test_broken_rule_file_rejected(data: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        RuleFile.model_validate(data)


@pytest.fixture
def rule_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, Path]]:
    """A throw-away importable package whose rules.yaml the test writes."""
    name = "kobandemo_" + re.sub(r"\W", "_", tmp_path.name)
    pkg = tmp_path / name
    pkg.mkdir()
    (pkg / "__init__.py").write_text("", encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    importlib.invalidate_caches()
    yield name, pkg / "rules.yaml"
    sys.modules.pop(name, None)


def _write(path: Path, data: Any) -> None:
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


def test_loader_reads_a_good_file(rule_package: tuple[str, Path]) -> None:
    name, path = rule_package
    _write(path, {"runner": "m:f", "rules": [_rule(id=f"{name}.thing")]})
    assert [r.id for r in load_rule_file(name).rules] == [f"{name}.thing"]


def test_loader_rejects_invalid_file(rule_package: tuple[str, Path]) -> None:
    name, path = rule_package
    _write(path, {"runner": "m:f", "rules": [_rule(id=f"{name}.thing", severity="severe")]})
    with pytest.raises(InputError, match=r"rules\.yaml") as err:
        load_rule_file(name)
    assert "severity" in str(err.value)


def test_loader_rejects_bad_yaml(rule_package: tuple[str, Path]) -> None:
    name, path = rule_package
    path.write_text("runner: m:f\nrules: [\n  - id: x\n", encoding="utf-8")
    with pytest.raises(InputError, match="invalid rule file"):
        load_rule_file(name)


def test_loader_rejects_wrong_prefix(rule_package: tuple[str, Path]) -> None:
    name, path = rule_package
    _write(path, {"runner": "m:f", "rules": [_rule(id="other.thing")]})
    with pytest.raises(InputError, match="must start with"):
        load_rule_file(name)
