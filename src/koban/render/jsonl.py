"""JSON Lines: one ``koban.report/1`` object per input, one per line."""

from __future__ import annotations

import json
from collections.abc import Sequence

from koban.model import Report


def render_jsonl(reports: Sequence[Report]) -> str:
    return "".join(json.dumps(r.to_dict(), ensure_ascii=False) + "\n" for r in reports)
