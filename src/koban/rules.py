"""Rules are data: each analyser package keeps a ``rules.yaml`` beside its code.

A rule file names the function that runs its examples (``runner: module:function``) and lists
rules with id, severity, ATT&CK techniques, description and examples. A test runs every example of
every rule, so a rule that stops firing on its own example fails CI.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable, Iterator
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from koban.errors import InputError
from koban.model import Finding, Location, Severity, WalletRef
from koban.yamlio import YAMLError, load_yaml


def _rule_packages() -> tuple[str, ...]:
    """``koban.scan`` plus every analyser package that keeps a ``rules.yaml``."""
    root = resources.files("koban")
    found = sorted(
        f"koban.{d.name}" for d in root.iterdir() if d.is_dir() and (d / "rules.yaml").is_file()
    )
    return ("koban.scan", *found)


def _rule_path(package: str) -> Traversable:
    """The rule file of ``package``, found without importing the package (importing every
    analyser to read its rules would cost a second at every start)."""
    return _package_dir(package) / "rules.yaml" if _is_package(package) else _module_rules(package)


def _package_dir(package: str) -> Traversable:
    """Where ``package``'s files are: koban's own analysers by path, others (plug-ins, tests)
    through importlib."""
    parent, _, name = package.rpartition(".")
    if parent == "koban":
        return resources.files("koban") / name
    return resources.files(package)


def _module_rules(module: str) -> Traversable:
    parent, _, name = module.rpartition(".")
    return resources.files(parent or module) / f"{name}.rules.yaml"


RULE_PACKAGES = _rule_packages()


class RuleExample(BaseModel):
    model_config = ConfigDict(extra="forbid")
    description: str = ""
    input: dict[str, Any]
    fires: bool = True


class Rule(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    severity: Severity
    title: str
    description: str
    attack: list[str] = Field(default_factory=list)
    examples: list[RuleExample] = Field(min_length=1)


class RuleFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    runner: str
    rules: list[Rule]


class RulePart(BaseModel):
    """``<package>/rules/<topic>.yaml``: more rules of the package, run by its runner."""

    model_config = ConfigDict(extra="forbid")
    rules: list[Rule]


ExampleRunner = Callable[[Rule, dict[str, Any]], bool]


def load_rule_file(package: str) -> RuleFile:
    """The package's ``rules.yaml`` plus, for big analysers, its ``rules/*.yaml`` parts."""
    name = package.rsplit(".", 1)[-1]
    path = _rule_path(package)
    try:
        data = load_yaml(path.read_text(encoding="utf-8"))
        rule_file = RuleFile.model_validate(data)
    except (YAMLError, ValidationError) as exc:
        raise InputError(str(path), f"invalid rule file: {exc}") from exc
    parts = _package_dir(package) / "rules" if _is_package(package) else None
    if parts is not None and parts.is_dir():
        for part in sorted(parts.iterdir(), key=lambda p: p.name):
            if not part.name.endswith(".yaml"):
                continue
            try:
                more = RulePart.model_validate(load_yaml(part.read_text(encoding="utf-8")))
            except (YAMLError, ValidationError) as exc:
                raise InputError(str(part), f"invalid rule file: {exc}") from exc
            rule_file.rules.extend(more.rules)
    prefix = name + "."
    for rule in rule_file.rules:
        if not rule.id.startswith(prefix):
            raise InputError(str(path), f"rule id {rule.id!r} must start with {prefix!r}")
    return rule_file


def _is_package(name: str) -> bool:
    spec = importlib.util.find_spec(name)
    return spec is not None and spec.submodule_search_locations is not None


@cache
def all_rules() -> dict[str, Rule]:
    rules: dict[str, Rule] = {}
    for package in RULE_PACKAGES:
        for rule in load_rule_file(package).rules:
            if rule.id in rules:
                raise InputError(package, f"duplicate rule id {rule.id!r}")
            rules[rule.id] = rule
    return rules


def get_rule(rule_id: str) -> Rule:
    try:
        return all_rules()[rule_id]
    except KeyError:
        raise KeyError(f"unknown rule {rule_id!r}") from None


def example_runner(package: str) -> ExampleRunner:
    module_name, func = load_rule_file(package).runner.split(":")
    runner: ExampleRunner = getattr(importlib.import_module(module_name), func)
    return runner


def iter_examples() -> Iterator[tuple[str, Rule, RuleExample]]:
    for package in RULE_PACKAGES:
        for rule in load_rule_file(package).rules:
            for example in rule.examples:
                yield package, rule, example


def make_finding(
    rule_id: str,
    message: str,
    *,
    severity: Severity | None = None,
    kind: str | None = None,
    location: Location | None = None,
    evidence: dict[str, Any] | None = None,
    indicators: list[str] | None = None,
    wallet: WalletRef | None = None,
) -> Finding:
    """A finding of ``rule_id``; severity and ATT&CK come from the rule unless overridden."""
    rule = get_rule(rule_id)
    return Finding(
        rule=rule.id,
        severity=severity or rule.severity,
        message=message,
        kind=kind,
        location=location,
        evidence=evidence or {},
        attack=list(rule.attack),
        indicators=indicators or [],
        wallet=wallet,
    )
