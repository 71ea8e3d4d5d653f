"""Renderers: functions of reports. ``render(fmt, reports, colour)`` returns the text to print."""

from __future__ import annotations

from collections.abc import Sequence

from koban.model import Report
from koban.render.jsonl import render_jsonl
from koban.render.sarif import render_sarif
from koban.render.text import render_text

FORMATS = ("text", "json", "sarif")


def render(fmt: str, reports: Sequence[Report], *, colour: bool = False) -> str:
    if fmt == "json":
        return render_jsonl(reports)
    if fmt == "sarif":
        return render_sarif(reports)
    if fmt == "text":
        return render_text(reports, colour=colour)
    raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")


__all__ = ["FORMATS", "render", "render_jsonl", "render_sarif", "render_text"]
