"""Advance-fee letters (fraud.py / fraud.yaml): markers, the core rule, bulk and link limits."""

from __future__ import annotations

import pytest

from koban.mail.fraud import default_model, describe, judge_letter, model_from
from koban.mail.lures import normalise_text

LETTER = normalise_text(
    "Dear Beloved, my name is Mrs Example. My late husband left US$ 4,500,000 in a dormant "
    "account and I need a trustworthy foreign partner."
)


def test_a_letter_fires_and_says_what_it_saw() -> None:
    got = judge_letter(LETTER, freemail=True, reply_elsewhere=False, bulk=False, links=0)
    assert got.fires
    assert {"large_sum", "salutation", "story", "ask", "freemail"} <= set(got.seen)
    assert got.seen["large_sum"] == "us$ 4,500,000"
    text = describe(got)
    assert "a large sum of money ('us$ 4,500,000')" in text
    assert "sent from free webmail" in text


def test_mailings_and_link_heavy_mail_are_not_letters() -> None:
    assert not judge_letter(LETTER, freemail=True, reply_elsewhere=False, bulk=True, links=0).fires
    many = default_model().max_links + 1
    assert not judge_letter(
        LETTER, freemail=True, reply_elsewhere=False, bulk=False, links=many
    ).fires


def test_weight_without_a_core_marker_does_not_fire() -> None:
    # salutation + intro + ask + secrecy + both sender marks: heavy, but no sum, story or chase
    text = normalise_text(
        "Dear friend, my name is Example. I need your assistance with a confidential matter."
    )
    got = judge_letter(text, freemail=True, reply_elsewhere=True, bulk=False, links=0)
    assert got.score >= default_model().threshold
    assert not got.fires


def test_markers_need_a_word_start() -> None:
    got = judge_letter(
        normalise_text("He spoke unkindly of the inheritance"),
        freemail=False,
        reply_elsewhere=False,
        bulk=False,
        links=0,
    )
    assert "chase_up" not in got.seen  # "kindly" inside "unkindly"
    assert got.seen["story"] == "inheritance"


def test_model_rejects_unknown_core_markers() -> None:
    data = {
        "threshold": 1,
        "max_links": 1,
        "max_chars": 100,
        "core": ["nope"],
        "sender": {},
        "markers": {"a": {"label": "a", "weight": 1, "pattern": "x"}},
    }
    with pytest.raises(ValueError, match="nope"):
        model_from(data)


def test_long_digit_runs_are_read_in_bounded_groups() -> None:
    # a sum's digit groups are matched at most five at a time (no backtracking over a hostile
    # run of thousands of groups); long sums are still sums
    text = normalise_text("US$ 1,000,000,000,000,000 for you")
    got = judge_letter(text, freemail=False, reply_elsewhere=False, bulk=False, links=0)
    assert got.seen["large_sum"] == "us$ 1,000,000,000,000,000"
    hostile = "1,000" + ",000" * 5000
    assert (
        "large_sum"
        not in judge_letter(
            hostile, freemail=False, reply_elsewhere=False, bulk=False, links=0
        ).seen
    )
