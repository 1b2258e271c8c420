"""Moderation as a writer operation: a question's status and its audit entry change together."""

from __future__ import annotations

import sqlite3

from . import moderation_queries as mq
from . import queries as q


def set_status(thread_id: int, status: str, duplicate_of: int | None, at: int, audit: tuple | None,
               conn: sqlite3.Connection) -> bool:  # fmt: skip
    """False (and no audit entry) when the question is unknown, deleted, or already so."""
    if conn.execute(mq.SET_STATUS, (status, duplicate_of, at, thread_id)).rowcount == 0:
        return False
    if audit is not None:
        conn.execute(q.INSERT_AUDIT, audit)
    return True
