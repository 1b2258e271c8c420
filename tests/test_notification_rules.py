"""The pure rules of notifications: what a message says and which marks it covers, a digest's text,
and which tags a member may follow."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.forum.errors import BadInput
from bot.forum.notifications import (
    Digest,
    DigestItem,
    DigestMark,
    NoticeMarks,
    NoticeState,
    Via,
    describe_digest,
    match_tag,
    plan_notice,
)

T0 = datetime(2026, 1, 1, tzinfo=UTC)
ASKER, MOD = 7, 9
LINK = "https://discord.com/channels/1/50"


def state(*, new: int = 0, newest: int | None = None, accepted: int | None = None, by: int | None = None,
          at: datetime | None = T0, marks: NoticeMarks | None = None) -> NoticeState:  # fmt: skip
    return NoticeState(50, 1, "Why *this*?", ASKER, Via.DM, new, newest, accepted, by, at, T0 - timedelta(days=1),
                       marks or NoticeMarks(50, 1))  # fmt: skip


def test_one_answer_links_to_it_several_to_the_thread():
    one = plan_notice(state(new=1, newest=61), T0)
    assert one.text == f"A new answer on **Why this?**: {LINK}/61"
    assert (one.marks.told_through, one.marks.sent_at) == (61, T0) and one.previous == NoticeMarks(50, 1)
    three = plan_notice(state(new=3, newest=63, marks=NoticeMarks(50, 1, 60, None, T0)), T0 + timedelta(hours=1))
    assert three.text == f"3 new answers on **Why this?**: {LINK}"
    assert three.marks.told_through == 63 and three.previous.told_through == 60


def test_an_acceptance_by_someone_else_is_told_the_askers_own_is_only_marked():
    by_mod = plan_notice(state(accepted=61, by=MOD), T0)
    assert by_mod.text == f"An answer to **Why this?** was accepted: {LINK}/61" and by_mod.marks.told_accept == 61
    both = plan_notice(state(new=2, newest=62, accepted=61, by=MOD), T0)
    assert both.text == f"2 new answers on **Why this?**, and an answer was accepted: {LINK}"
    own = plan_notice(state(accepted=61, by=ASKER), T0)
    assert own.text is None and own.marks.told_accept == 61 and own.marks.sent_at is None
    old = plan_notice(state(accepted=61, by=MOD, at=T0 - timedelta(days=2)), T0)
    assert old.text is None, "accepted before the member asked to be told"
    told = plan_notice(state(accepted=61, by=MOD, marks=NoticeMarks(50, 1, 0, 61, T0)), T0)
    assert told.text is None


def test_a_digest_lists_ten_then_counts():
    items = tuple(DigestItem(100 + n, f"Question [{n}]", T0) for n in range(10))
    digest = Digest(1, ASKER, items, 14, DigestMark(120, T0), DigestMark(99, T0))
    text = describe_digest(digest, "Server")
    assert text.startswith("**Server**: 14 new questions in the tags you follow")
    assert "- [Question (0)](https://discord.com/channels/1/100)" in text and "…and 4 more" in text
    single = describe_digest(Digest(1, ASKER, items[:1], 1, DigestMark(100, T0), DigestMark(99, T0)), "S")
    assert "a new question" in single and "more" not in single


def test_only_the_guilds_tags_may_be_followed():
    assert match_tag(" PYTHON ", ["python", "sql"]) == "python"
    with pytest.raises(BadInput, match="no tag"):
        match_tag("rust", ["python"])
    with pytest.raises(BadInput, match="1 to 20"):
        match_tag("x" * 21, ["x" * 21])
    with pytest.raises(BadInput):
        match_tag("   ", ["python"])
