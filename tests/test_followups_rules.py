"""The follow-ups' pure rules (bot/forum/followups.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.forum.errors import BadInput
from bot.forum.followups import ANSWER_CHOICES, LATE_LIMIT, answer_choices, check_hours, due_window
from bot.forum.models import Post, PostKind, Question

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def test_the_picker_offers_the_first_25_answers_in_the_question_views_order():
    question = Question(1, 10, 20, "Q", 5, T0, accepted_answer_id=7)
    posts = [Post(1, 1, 10, PostKind.QUESTION, 5, "q", T0)]
    posts += [Post(100 + i, 1, 10, PostKind.ANSWER, 6, "a", T0 + timedelta(minutes=i), score=i % 3) for i in range(40)]
    posts += [Post(7, 1, 10, PostKind.ANSWER, 6, "accepted", T0, score=-5)]
    posts += [Post(8, 1, 10, PostKind.ANSWER, 6, "deleted", T0, score=99, deleted_at=T0)]
    posts += [Post(9, 1, 10, PostKind.REPLY, 6, "reply", T0, parent_id=7, score=50)]
    chosen = answer_choices(question, posts)
    assert len(chosen) == ANSWER_CHOICES == 25
    assert chosen[0].id == 7, "the accepted answer first"
    scores = [p.score for p in chosen[1:]]
    assert scores == sorted(scores, reverse=True) and all(p.kind is PostKind.ANSWER for p in chosen)
    assert 8 not in {p.id for p in chosen} and 9 not in {p.id for p in chosen}
    twos = [p.id for p in chosen if p.score == 2]
    assert twos == sorted(twos), "then by age"


def test_due_window_and_hours():
    oldest, cutoff = due_window(T0, 24)
    assert cutoff == T0 - timedelta(hours=24) and oldest == cutoff - LATE_LIMIT
    assert check_hours(0, "x") == 0 and check_hours(8760, "x") == 8760
    for bad in (-1, 8761):
        with pytest.raises(BadInput):
            check_hours(bad, "The idle nudge")
