"""JSON Lines: one ``koban.report/1`` object per input, one per line.

UTF-8 is kept as is (Japanese stays readable); lines are compact (pydantic's serializer, about
3x faster than ``json.dumps`` of ``to_dict``). A report holding text that is not valid Unicode
(a file name decoded with surrogate escapes) is written with ``\\u`` escapes instead, still one
line of valid JSON, where UTF-8 output would fail."""

from __future__ import annotations

import json
from collections.abc import Sequence

from pydantic_core import PydanticSerializationError

from koban.model import Report


def _line(report: Report) -> str:
    try:
        return report.model_dump_json(by_alias=True) + "\n"
    except PydanticSerializationError:  # lone surrogates: escaped, as ASCII
        return json.dumps(report.to_dict(), separators=(",", ":")) + "\n"


def render_jsonl(reports: Sequence[Report]) -> str:
    return "".join(_line(r) for r in reports)
