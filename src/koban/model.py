"""The one report model (``koban.report/1``): analysers produce it, renderers read it."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

SCHEMA = "koban.report/1"


class Severity(StrEnum):
    INFO = "info"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return _SEVERITY_RANK[self]


_SEVERITY_RANK = {
    Severity.INFO: 0,
    Severity.LOW: 1,
    Severity.MEDIUM: 2,
    Severity.HIGH: 3,
    Severity.CRITICAL: 4,
}


class Verdict(StrEnum):
    CLEAN = "clean"
    SUSPICIOUS = "suspicious"
    MALICIOUS = "malicious"

    @property
    def rank(self) -> int:
        return {"clean": 0, "suspicious": 1, "malicious": 2}[self.value]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=False, use_enum_values=False)


class Location(_Model):
    path: str | None = None
    line: int | None = None
    commit: str | None = None


class WalletRef(_Model):
    label: str
    address: str
    chain: str


class Finding(_Model):
    # Field order is the key order of PRODUCT.md's report: rule, kind, severity, message, ...
    rule: str
    kind: str | None = None
    severity: Severity
    message: str
    location: Location | None = None
    evidence: dict[str, Any] = Field(default_factory=dict)
    attack: list[str] = Field(default_factory=list)
    indicators: list[str] = Field(default_factory=list)
    wallet: WalletRef | None = None


class Report(_Model):
    schema_: str = Field(default=SCHEMA, alias="schema")
    analyser: str
    target: str
    verdict: Verdict = Verdict.CLEAN
    score: int = 0
    findings: list[Finding] = Field(default_factory=list)
    children: list[Report] = Field(default_factory=list)

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    def to_dict(self) -> dict[str, Any]:
        """The report as the JSON document of PRODUCT.md (key order fixed)."""
        return self.model_dump(mode="json", by_alias=True)

    def walk(self) -> list[Report]:
        """This report and all its descendants, depth first."""
        out: list[Report] = [self]
        for child in self.children:
            out.extend(child.walk())
        return out
