"""The store's side of notifications and suggestions (migration 0016): caps, one suggestion per
answer, marks, and that a departed guild's purge and a member's erasure take their rows too."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from pathlib import Path

from bot.forum.erasure import Erasure
from bot.forum.models import Post, PostKind, Question
from bot.forum.notifications import MAX_FOLLOWS, DigestMark, Followed, FollowRequest, NoticeMarks, NotifySetting
from bot.forum.retention import Retention, RetentionPeriods
from bot.forum.suggestions import MAX_PER_QUESTION, Added, Suggestion, SuggestionState
from db.store import SqliteStore

from .conftest import T0

GUILD, OTHER = 100, 101
ASKER, HELPER = 7, 8
TABLES = ("notify_members", "tag_follows", "answer_notices", "suggestions")


class Clock:
    def __init__(self, now) -> None:
        self.now = now

    def __call__(self):
        return self.now


def _rows(path: Path, table: str, guild: int) -> int:
    with sqlite3.connect(path) as conn:
        return conn.execute(f"SELECT count(*) FROM {table} WHERE guild_id = ?", (guild,)).fetchone()[0]  # noqa: S608


async def _fill(store: SqliteStore, guild: int) -> None:
    base = guild * 1000
    await store.add_question(
        Question(id=base, guild_id=guild, channel_id=guild + 1, title="Q", author_id=ASKER, created_at=T0),
        Post(id=base, question_id=base, guild_id=guild, kind=PostKind.QUESTION, author_id=ASKER, body="b",
             created_at=T0),
    )  # fmt: skip
    await store.set_answers_notify(NotifySetting(guild, ASKER, True, T0, 1))
    assert await store.follow_tag(FollowRequest(guild, HELPER, "python", T0, 1)) is Followed.ADDED
    await store.save_notice_marks(NoticeMarks(base, guild, 5, None, T0))
    assert await store.add_suggestion(Suggestion(base + 1, base, guild, HELPER, T0), 3) is Added.ADDED


async def test_follows_are_capped_and_start_the_digest(store: SqliteStore) -> None:
    for n in range(MAX_FOLLOWS):
        assert await store.follow_tag(FollowRequest(GUILD, HELPER, f"tag{n:02}", T0 + timedelta(minutes=n), 42))
    assert await store.follow_tag(FollowRequest(GUILD, HELPER, "one-more", T0, 99)) is Followed.FULL
    assert await store.follow_tag(FollowRequest(GUILD, HELPER, "tag00", T0, 99)) is Followed.ALREADY
    assert len(await store.followed_tags(GUILD, HELPER)) == MAX_FOLLOWS
    due = await store.due_digests(T0, 10)
    assert [(d.user_id, d.mark) for d in due] == [(HELPER, DigestMark(42, T0))], "the first follow's mark stays"
    assert await store.unfollow_tag(GUILD, HELPER, "tag00") and not await store.unfollow_tag(GUILD, HELPER, "tag00")
    assert await store.follow_tag(FollowRequest(GUILD, HELPER, "one-more", T0, 99)) is Followed.ADDED
    await store.set_digest_mark(GUILD, HELPER, DigestMark(77, T0 + timedelta(hours=1)))
    assert await store.due_digests(T0 + timedelta(minutes=59), 10) == []
    assert (await store.due_digests(T0 + timedelta(hours=1), 10))[0].mark == DigestMark(77, T0 + timedelta(hours=1))


async def test_one_suggestion_per_answer_and_a_few_per_member(store: SqliteStore) -> None:
    for n in range(MAX_PER_QUESTION):
        assert await store.add_suggestion(Suggestion(500 + n, 1, GUILD, HELPER, T0), MAX_PER_QUESTION) is Added.ADDED
    assert await store.add_suggestion(Suggestion(500, 1, GUILD, ASKER, T0), MAX_PER_QUESTION) is Added.EXISTS
    assert await store.add_suggestion(Suggestion(600, 1, GUILD, HELPER, T0), MAX_PER_QUESTION) is Added.CAPPED
    assert await store.add_suggestion(Suggestion(600, 2, GUILD, HELPER, T0), MAX_PER_QUESTION) is Added.ADDED
    assert await store.close_suggestion(500, SuggestionState.DISMISSED)
    assert not await store.close_suggestion(500, SuggestionState.ACCEPTED), "only an open one closes"
    assert (await store.get_suggestion(500)).state is SuggestionState.DISMISSED
    await store.remove_suggestion(501)
    assert await store.get_suggestion(501) is None


async def test_a_departed_guild_and_an_erased_member_take_their_rows(store: SqliteStore, db_path: Path) -> None:
    await _fill(store, GUILD)
    await _fill(store, OTHER)
    assert [_rows(db_path, t, GUILD) for t in TABLES] == [2, 1, 1, 1]  # the asker's and the helper's choices

    await Erasure(store, Clock(T0)).forget(OTHER, HELPER)  # type: ignore[arg-type]
    assert [_rows(db_path, t, OTHER) for t in TABLES] == [1, 0, 1, 0], "the asker's rows are not the helper's"
    assert await store.answers_notify(OTHER, ASKER) == (True, "dm")

    clock = Clock(T0)
    retention = Retention(store, clock, RetentionPeriods(guild_days=1))  # type: ignore[arg-type]
    await retention.guild_left(GUILD)
    clock.now = T0 + timedelta(days=2)
    await retention.run([OTHER])
    assert [_rows(db_path, t, GUILD) for t in TABLES] == [0, 0, 0, 0]
    assert [_rows(db_path, t, OTHER) for t in TABLES] == [1, 0, 1, 0]
