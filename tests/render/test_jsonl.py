"""JSON Lines: one ``koban.report/1`` object per input, one per line, UTF-8 kept as is."""

from __future__ import annotations

import json

import pytest

from koban.model import Finding, Location, Report, Severity
from koban.render import render
from koban.render.jsonl import render_jsonl
from koban.scoring import finalise


def _report(target: str, *, nested: bool = False) -> Report:
    children = []
    if nested:
        children = [
            Report(
                analyser="file",
                target=f"{target}!請求書.docm",
                findings=[
                    Finding(
                        rule="file.office_macro",
                        severity=Severity.HIGH,
                        message="マクロ付きの文書\nsecond line",
                        location=Location(path="請求書.docm", line=1),
                    )
                ],
            )
        ]
    return finalise(
        Report(
            analyser="mail",
            target=target,
            findings=[
                Finding(
                    rule="mail.exec_display_name",
                    severity=Severity.MEDIUM,
                    message="差出人の表示名が役員（山田 太郎）",
                    evidence={"display_name": "山田 太郎", "quote": 'he said "hi"'},
                )
            ],
            children=children,
        )
    )


def test_one_line_per_report() -> None:
    reports = [_report("a.eml", nested=True), _report("b.eml"), _report("c.eml", nested=True)]
    text = render_jsonl(reports)
    assert text.endswith("\n")
    lines = text.splitlines()
    assert len(lines) == 3
    docs = [json.loads(line) for line in lines]
    assert [d["target"] for d in docs] == ["a.eml", "b.eml", "c.eml"]
    assert all(d["schema"] == "koban.report/1" for d in docs)
    assert docs[0]["children"][0]["target"] == "a.eml!請求書.docm"


def test_lines_round_trip() -> None:
    reports = [_report("a.eml", nested=True), _report("b.eml")]
    again = [Report.model_validate(json.loads(line)) for line in render_jsonl(reports).splitlines()]
    assert again == reports


def test_newline_in_message_stays_on_one_line() -> None:
    text = render_jsonl([_report("a.eml", nested=True)])
    assert text.count("\n") == 1
    assert "\\n" in text


def test_japanese_kept_not_escaped() -> None:
    text = render_jsonl([_report("採用のご案内.eml", nested=True)])
    assert "採用のご案内.eml" in text
    assert "山田 太郎" in text
    assert "\\u" not in text
    doc = json.loads(text)
    assert doc["findings"][0]["evidence"]["display_name"] == "山田 太郎"


def test_nothing_renders_nothing() -> None:
    assert render_jsonl([]) == ""


def test_render_dispatch() -> None:
    reports = [_report("a.eml")]
    assert render("json", reports) == render_jsonl(reports)
    assert render("json", reports, colour=True) == render_jsonl(reports)


def test_unknown_format() -> None:
    with pytest.raises(ValueError, match="unknown format"):
        render("xml", [])


def test_same_document_as_to_dict() -> None:
    reports = [_report("a.eml", nested=True), _report("b.eml")]
    docs = [json.loads(line) for line in render_jsonl(reports).splitlines()]
    assert docs == [r.to_dict() for r in reports]


def test_text_that_is_not_unicode_is_escaped_not_lost() -> None:
    """A file name decoded with surrogate escapes cannot be written as UTF-8: escaped instead."""
    text = render_jsonl([_report("bad-\udcff.eml"), _report("ok.eml")])
    first, second = text.splitlines()
    assert "\\udcff" in first
    assert json.loads(first)["target"] == "bad-\udcff.eml"
    assert json.loads(second)["target"] == "ok.eml"
    text.encode("utf-8")  # the whole output can be written
