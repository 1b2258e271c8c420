"""Acceptance as a writer operation: the question's accepted answer, who accepted it and when, the
reputation it gives (bot.forum.voting.acceptance_effect) and the audit entry change together."""

from __future__ import annotations

import sqlite3

from bot.forum.voting import acceptance_effect

from . import queries as q
from . import vote_queries as vq
from .reputation import add_contribution, replay_member


def set_acceptance(thread_id: int, answer_id: int | None, accepter_id: int | None, at: int,
                   audit: tuple | None, conn: sqlite3.Connection) -> bool:  # fmt: skip
    """Make `answer_id` (None: nothing) the accepted answer; False if that is already so."""
    row = conn.execute(vq.GET_ACCEPTANCE, (thread_id,)).fetchone()
    if row is None:
        return False
    guild_id, current, current_by, asker_id, question_deleted_at = row
    if (current, current_by) == (answer_id, accepter_id):
        return False
    before = _acceptance_effects(conn, current, current_by, asker_id)
    conn.execute(vq.SET_ACCEPTANCE, (answer_id, accepter_id, at, thread_id))
    after = _acceptance_effects(conn, answer_id, accepter_id, asker_id) if question_deleted_at is None else {}
    for user_id in sorted(before):  # their contribution went: replay them (with the new one, if any)
        replay_member(conn, guild_id, user_id)
    for user_id, change in sorted(after.items()):
        if user_id not in before:
            add_contribution(conn, guild_id, user_id, change, at)
    if audit is not None:
        conn.execute(q.INSERT_AUDIT, audit)
    return True


def drop_acceptance_of(conn: sqlite3.Connection, post_id: int, at: int) -> None:
    """An accepted answer was deleted: its question has no accepted answer any more."""
    row = conn.execute(vq.QUESTION_ACCEPTING, (post_id,)).fetchone()
    if row is not None:
        set_acceptance(row[0], None, None, at, None, conn)


def _acceptance_effects(conn: sqlite3.Connection, answer_id: int | None, accepter_id: int | None,
                        asker_id: int) -> dict[int, int]:  # fmt: skip
    if answer_id is None:
        return {}
    post = conn.execute(vq.ANSWER_AUTHOR, (answer_id,)).fetchone()
    if post is None or post[1] is not None:
        return {}  # unknown or deleted answers give nothing (and their effects were taken back on delete)
    return acceptance_effect(post[0], accepter_id, asker_id)
