"""SqliteStore: the ForumStore of bot/forum/ports.py on SQLite.

Writes are small synchronous functions, module-level and bound with functools.partial, handed to the
single Writer, which commits them in batches in its write process (they travel there by pickle); a
caller's await returns once its write is durable. Reads go to their own connections, so they
never queue behind writes, and see every acknowledged write (WAL snapshot per statement).
"""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import datetime
from functools import partial
from pathlib import Path

import aiosqlite

from bot.forum.import_rows import ImportRefused
from bot.forum.models import AuditEntry, GuildSettings, Post, PostKind, Question, QuestionStatus, Revision
from bot.forum.voting import VoteOutcome, VoteVia, day_start

from . import catchup_queries as cq
from . import convert as cv
from . import moderation_queries as mq
from . import queries as q
from . import vote_queries as vq
from .acceptance import drop_acceptance_of, set_acceptance
from .bot_state import BotStateStore
from .connection import check_writable, open_reader, open_writer, run_on_connection_thread
from .erasure import ErasureStore
from .export_reader import ExportSnapshot
from .followups import FollowupsStore
from .import_writes import ImportProgress, ImportSummary, import_file
from .member_export import MemberExportStore
from .member_stats import MemberStatsStore
from .migrate import migrate
from .moderation import set_status
from .notifications import NotificationStore
from .readers import Readers
from .retention import RetentionStore
from .search import SearchStore
from .search_budget import lower_priority
from .search_index import IndexFiles, IndexReader, index_root
from .search_index_queries import STORE_ID
from .search_indexer import Indexer, Progress, rebuild
from .similar_offers import SimilarOfferStore
from .thread_page import ThreadPageStore
from .votes import (
    Recount,
    RecountProgress,
    apply_vote,
    ensure_member,
    recount,
    settle_unreaction,
    take_back_votes,
)
from .web_directory import WebDirectoryStore
from .writer import Writer

SETUP_ACTION = "setup"
REPLAY_REPUTATION = "replay_reputation"  # meta key set by migration 0009
PROBE_KEY = "store:write_probe"


class SqliteStore(Readers, SearchStore, MemberStatsStore, ThreadPageStore, WebDirectoryStore, ErasureStore,
                  RetentionStore, MemberExportStore, SimilarOfferStore, FollowupsStore,
                  NotificationStore, BotStateStore):  # fmt: skip
    """Implements bot.forum.ports.ForumStore. Build it with `await open_store(path)`."""

    def __init__(
        self, path: Path, writer: Writer, readers: list[aiosqlite.Connection],
        search_readers: list[aiosqlite.Connection] | None = None,
    ) -> None:  # fmt: skip
        super().__init__(path, readers, search_readers)
        self.writer = writer
        self.indexer: Indexer | None = None  # keeps search_index caught up (open_store starts it)

    async def rebuild_search_index(self, progress: Progress | None = None) -> int:
        """Build the search index anew from every live post and switch to it; the posts indexed.
        `progress(done, total)` is called from another thread."""
        assert self.search_index is not None
        return await asyncio.to_thread(rebuild, self.path, self.search_index, progress)

    async def export_snapshot(self) -> ExportSnapshot:
        """One consistent read of the whole store for `quorum export`, on a connection of its own
        (db/export_reader.py); close it when done."""
        return await ExportSnapshot.open(self.path)

    async def close(self) -> None:
        """Commit what is queued, then close every connection."""
        try:
            await self.writer.close()
        finally:
            try:
                if self.indexer is not None:
                    await asyncio.to_thread(self.indexer.stop)
            finally:
                await self.close_readers()

    # -- guild setup

    async def get_settings(self, guild_id: int) -> GuildSettings | None:
        row = await self._fetchone(q.GET_SETTINGS, (guild_id,))
        return cv.settings_from_row(row) if row else None

    async def all_settings(self) -> list[GuildSettings]:
        return [cv.settings_from_row(r) for r in await self._fetchall(q.ALL_SETTINGS, ())]

    async def save_settings(self, settings: GuildSettings, actor_id: int, at: datetime) -> None:
        """Upsert the settings and write a "setup" audit entry in the same transaction."""
        entry = AuditEntry(settings.guild_id, actor_id, SETUP_ACTION, settings.forum_channel_id,
                           _describe(settings), at)  # fmt: skip
        await self.writer.run_sync(partial(_save_settings, cv.settings_params(settings, at), cv.audit_params(entry)))

    # -- questions and posts

    async def add_question(self, question: Question, starter: Post | None) -> bool:
        """Insert the question and revision 1 of its title unless the thread is known; then add the
        starter post (idempotently) if given. True if anything was written."""
        if starter is not None and starter.question_id != question.id:
            raise ValueError(f"starter {starter.id} belongs to question {starter.question_id}, not {question.id}")
        post = cv.post_params(starter) if starter is not None else None
        return await self.writer.run_sync(partial(_add_question, cv.question_params(question), post))

    async def get_question(self, thread_id: int) -> Question | None:
        row = await self._fetchone(q.GET_QUESTION, (thread_id,))
        return cv.question_from_row(row) if row else None

    async def list_questions(self, guild_id: int) -> list[Question]:
        """Oldest first."""
        return [cv.question_from_row(r) for r in await self._fetchall(q.LIST_QUESTIONS, (guild_id,))]

    async def add_post(self, post: Post) -> bool:
        """Insert unless the message id is known; revision 1 of its body is written with it. A
        question-kind post becomes its question's starter if the question had none. The question
        must already be stored (foreign key)."""
        return await self.writer.run_sync(partial(_add_post, cv.post_params(post)))

    async def get_post(self, post_id: int) -> Post | None:
        row = await self._fetchone(q.GET_POST, (post_id,))
        return cv.post_from_row(row) if row else None

    async def question_posts(self, thread_id: int, *, include_deleted: bool = False) -> list[Post]:
        """All posts of a thread (starter, answers, replies), oldest first."""
        sql = q.QUESTION_POSTS_WITH_DELETED if include_deleted else q.QUESTION_POSTS
        return [cv.post_from_row(r) for r in await self._fetchall(sql, (thread_id,))]

    async def edit_post(self, post_id: int, body: str, editor_id: int | None, at: datetime) -> bool:
        """New body as a revision, unless unchanged or `at` is not newer than the latest known edit."""
        return await self.writer.run_sync(partial(_edit_post, post_id, body, editor_id, cv.to_ms(at)))

    async def delete_post(self, post_id: int, at: datetime) -> bool:
        """Soft delete; False if unknown or already deleted."""
        return await self.writer.run_sync(partial(_delete_post, post_id, cv.to_ms(at)))

    async def rename_question(self, thread_id: int, title: str, editor_id: int | None, at: datetime) -> bool:
        """A rename is a revision of the title (under the thread id); same ordering rule as edit_post."""
        return await self.writer.run_sync(partial(_rename_question, thread_id, title, editor_id, cv.to_ms(at)))

    async def delete_question(self, thread_id: int, at: datetime) -> bool:
        """The thread was deleted: soft-delete the question and every post in it."""
        return await self.writer.run_sync(partial(_delete_question, thread_id, cv.to_ms(at)))

    async def remove_questions(self, thread_ids: list[int], at: datetime) -> int:
        """Remove questions that never were (private threads) with every row that came from them:
        their votes' and acceptance's effects are taken back first, as a deletion does, so scores and
        reputation stay what a recount finds. Unknown ids are skipped. Returns how many went."""
        return await self.writer.run_sync(partial(_remove_questions, list(thread_ids), cv.to_ms(at)))

    async def channels_of_unknown_thread_type(self, guild_id: int) -> list[int]:
        """Channels holding live questions stored before thread types were recorded."""
        return [r["channel_id"] for r in await self._fetchall(q.CHANNELS_OF_UNKNOWN_TYPE, (guild_id,))]

    async def record_thread_type(self, guild_id: int, channel_id: int, thread_type: int) -> int:
        """Set the thread type of the channel's live questions whose type is unknown."""
        op = partial(_count_changes, q.RECORD_THREAD_TYPE, (thread_type, guild_id, channel_id))
        return await self.writer.run_sync(op)

    async def revisions(self, post_id: int) -> list[Revision]:
        """Oldest first; for a question, title revisions are stored under its thread id."""
        return [cv.revision_from_row(r) for r in await self._fetchall(q.REVISIONS, (post_id,))]

    # -- votes

    async def apply_vote(self, post_id: int, voter_id: int, value: int, at: datetime, *, cap: int | None = None,
                         only_if: int | None = None, via: VoteVia = VoteVia.REACTION) -> VoteOutcome:  # fmt: skip
        """Set a member's vote on a post (-1, 0, 1) with its score and reputation effects, in one
        transaction. See db/votes.py for the checks (own post, deleted post, daily cap, ordering)."""
        op = partial(apply_vote, post_id, voter_id, value, cv.to_ms(at), cap, cv.to_ms(day_start(at)), only_if, via)
        return await self.writer.run_sync(op)

    async def set_acceptance(self, thread_id: int, answer_id: int | None, accepter_id: int | None, at: datetime,
                             audit: AuditEntry | None = None) -> bool:  # fmt: skip
        """Make `answer_id` (or nothing) the question's accepted answer, with its reputation effects and
        the audit entry in the same transaction. False when nothing changed."""
        params = cv.audit_params(audit) if audit is not None else None
        op = partial(set_acceptance, thread_id, answer_id, accepter_id, cv.to_ms(at), params)
        return await self.writer.run_sync(op)

    async def set_status(self, thread_id: int, status: QuestionStatus, duplicate_of: int | None, at: datetime,
                         audit: AuditEntry | None = None) -> bool:  # fmt: skip
        """Set the question's status (and what it duplicates) with the audit entry in one transaction.
        False when the question is unknown, deleted, or already so."""
        params = cv.audit_params(audit) if audit is not None else None
        op = partial(set_status, thread_id, str(status), duplicate_of, cv.to_ms(at), params)
        return await self.writer.run_sync(op)

    async def get_vote(self, post_id: int, voter_id: int) -> int:
        row = await self._fetchone(vq.GET_VOTE, (post_id, voter_id))
        return row["value"] if row else 0

    async def settle_unreaction(self, post_id: int, voter_id: int) -> None:
        """The old reaction of a switch is off in Discord (or was never there): nothing is owed."""
        await self.writer.run_sync(partial(settle_unreaction, post_id, voter_id))

    async def owed_unreactions(self, thread_id: int) -> dict[int, dict[int, int]]:
        """Reactions still owed removal after a switch: post id -> voter id -> the vote to take off."""
        owed: dict[int, dict[int, int]] = {}
        for row in await self._fetchall(vq.OWED_OF_QUESTION, (thread_id,)):
            owed.setdefault(row["post_id"], {})[row["voter_id"]] = row["value"]
        return owed

    async def questions_active_since(self, guild_id: int, channel_id: int, since_id: int) -> list[int]:
        """Live questions of the channel whose thread or any post has an id >= `since_id`."""
        rows = await self._fetchall(cq.QUESTIONS_ACTIVE_SINCE, (guild_id, channel_id, since_id))
        return sorted(r["id"] for r in rows)

    async def standing_votes(self, thread_id: int) -> dict[int, dict[int, int]]:
        """Standing votes (value -1 or 1) on the thread's live posts: post id -> voter id -> value."""
        votes: dict[int, dict[int, int]] = {}
        for row in await self._fetchall(cq.STANDING_VOTES_OF_QUESTION, (thread_id,)):
            votes.setdefault(row["post_id"], {})[row["voter_id"]] = row["value"]
        return votes

    async def command_votes(self, thread_id: int) -> dict[int, set[int]]:
        """Members whose vote on a live post of the thread was cast by /vote (a cleared one too):
        post id -> voter ids."""
        voters: dict[int, set[int]] = {}
        for row in await self._fetchall(cq.COMMAND_VOTES_OF_QUESTION, (thread_id,)):
            voters.setdefault(row["post_id"], set()).add(row["voter_id"])
        return voters

    async def import_file(self, path: Path, guild_id: int | None,
                          progress: ImportProgress) -> ImportSummary | ImportRefused:  # fmt: skip
        """`quorum import`: the export file at `path` (absolute: the write process reads it) in one
        transaction; an ImportRefused result means nothing of it was written."""
        return await self.writer.run_long(partial(import_file, path=str(path), guild_id=guild_id), progress)

    async def recount(self, *, fix: bool = False, progress: RecountProgress | None = None) -> Recount:
        """Rebuild scores and reputation from the votes; report (and with `fix`, repair) differences."""
        return await self.writer.run_long(partial(recount, fix=fix), progress or RecountProgress())

    # -- members

    async def reputations(self, guild_id: int) -> dict[int, int]:
        """Stored reputation of every member the guild has seen (members rows)."""
        return {r["user_id"]: r["reputation"] for r in await self._fetchall(q.REPUTATIONS, (guild_id,))}

    # -- bookkeeping

    async def guild_ids(self) -> list[int]:
        """Guilds with settings or questions, ascending."""
        return [r["guild_id"] for r in await self._fetchall(q.GUILD_IDS, ())]

    async def add_audit(self, entry: AuditEntry) -> None:
        await self.writer.run_sync(partial(_changes, q.INSERT_AUDIT, cv.audit_params(entry)))

    async def audit_log(
        self, guild_id: int, *, actor_id: int | None = None, limit: int = 20, offset: int = 0
    ) -> list[AuditEntry]:
        """Newest first."""
        if actor_id is None:
            rows = await self._fetchall(q.AUDIT_LOG, (guild_id, limit, offset))
        else:
            rows = await self._fetchall(q.AUDIT_LOG_BY_ACTOR, (guild_id, actor_id, limit, offset))
        return [cv.audit_from_row(r) for r in rows]

    async def audit_count(self, guild_id: int, *, actor_id: int | None = None) -> int:
        if actor_id is None:
            row = await self._fetchone(mq.AUDIT_COUNT, (guild_id,))
        else:
            row = await self._fetchone(mq.AUDIT_COUNT_BY_ACTOR, (guild_id, actor_id))
        return row["n"] if row else 0

    async def get_meta(self, key: str) -> str | None:
        row = await self._fetchone(q.GET_META, (key,))
        return row["value"] if row else None

    async def set_meta(self, key: str, value: str) -> None:
        await self.writer.run_sync(partial(_changes, q.SET_META, (key, value)))

    async def probe_write(self, at: datetime) -> None:
        """A write of one small row (the probe's time): StoreUnavailable while nothing can be written."""
        await self.set_meta(PROBE_KEY, at.isoformat())


async def open_store(
    path: Path, *, readers: int = 2, search_readers: int = 2, follow_search_index: bool = True
) -> SqliteStore:
    """Create the database if needed, bring its schema up to date, open the readers (and the
    searches' own) and start the writer (its process opens the write connection once the
    migrations' one is closed). With `follow_search_index` (what mirrors posts: the bot), the
    indexer keeps the search index caught up, building it first if needed; tools that do not write
    posts leave it to the bot."""
    check_writable(path)
    write_conn = await open_writer(path)
    try:
        await migrate(write_conn)
        replay_pending = bool(await write_conn.execute_fetchall(q.GET_META, (REPLAY_REPUTATION,)))
        store_id = (await write_conn.execute_fetchall(STORE_ID))[0][0]
    finally:
        await write_conn.close()
    opened: list[aiosqlite.Connection] = []
    try:
        for _ in range(max(1, readers) + max(0, search_readers)):
            opened.append(await open_reader(path))
        for conn in opened[max(1, readers) :]:
            await run_on_connection_thread(conn, lower_priority)
        writer = Writer(path)
        await writer.start()
    except BaseException:
        for conn in opened:
            await conn.close()
        raise
    general = max(1, readers)
    store = SqliteStore(path, writer, opened[:general], opened[general:])
    store.search_index = IndexReader(IndexFiles(index_root(path)), store_id)
    if replay_pending:
        await writer.run_long(_replay_reputation_once, RecountProgress())
    if follow_search_index:
        store.indexer = Indexer(path, store.search_index)
        store.indexer.start()
    return store


def _describe(s: GuildSettings) -> str:
    # The audit entry says what was set, so the log alone answers "who changed what".
    return (
        f"forum channel {s.forum_channel_id}, moderator role {s.moderator_role_id}, "
        f"votes {s.upvote_emoji} / {s.downvote_emoji}, daily vote cap {s.daily_vote_cap}, "
        f"idle nudge {s.idle_nudge_hours} h, archive after accept {s.archive_after_accept_hours} h"
    )


# -- write operations: run in the write process, inside a batch (db/batch.py: undone alone if they fail)


def _replay_reputation_once(conn: sqlite3.Connection, progress: RecountProgress) -> None:
    """Migration 0009 changed the reputation rules (a running floor, who an acceptance pays): replay
    every member's reputation under them once, in the same transaction that clears the request."""
    recount(conn, fix=True, progress=progress)
    conn.execute(q.DELETE_META, (REPLAY_REPUTATION,))


def _changes(sql: str, params: tuple, conn: sqlite3.Connection) -> bool:
    return conn.execute(sql, params).rowcount > 0


def _save_settings(settings: tuple, audit: tuple, conn: sqlite3.Connection) -> None:
    conn.execute(q.UPSERT_SETTINGS, settings)
    conn.execute(q.INSERT_AUDIT, audit)


def _add_question(question: tuple, starter: tuple | None, conn: sqlite3.Connection) -> bool:
    thread_id, title, author_id, created_at = question[0], question[3], question[4], question[10]
    added = conn.execute(q.INSERT_QUESTION, question).rowcount > 0
    if added:
        # Revision 1 of the title: the asker wrote it when the thread was created.
        conn.execute(q.INSERT_FIRST_REVISION, (thread_id, "title", title, author_id, created_at))
    if starter is not None:
        added = _add_post(starter, conn) or added
    return added


def _add_post(post: tuple, conn: sqlite3.Connection) -> bool:
    post_id, question_id, kind, author_id, body, created_at = post[0], post[1], post[3], post[6], post[7], post[10]
    if conn.execute(q.INSERT_POST, post).rowcount == 0:
        return False  # a replayed event: the message is known
    conn.execute(q.INSERT_FIRST_REVISION, (post_id, "body", body, author_id, created_at))
    ensure_member(conn, post[2], author_id)
    if kind == PostKind.QUESTION:
        conn.execute(q.SET_STARTER_IF_UNKNOWN, (post_id, question_id))
    return True


def _edit_post(post_id: int, body: str, editor_id: int | None, at: int, conn: sqlite3.Connection) -> bool:
    if conn.execute(q.EDIT_POST, (body, at, post_id)).rowcount == 0:
        return False  # unknown post, same text, or an older view of it
    conn.execute(q.INSERT_NEXT_REVISION, (post_id, "body", body, editor_id, at))
    return True


def _delete_post(post_id: int, at: int, conn: sqlite3.Connection) -> bool:
    row = conn.execute(q.POST_OWNER, (post_id,)).fetchone()
    if row is None or row[3] is not None:
        return False  # unknown, or already deleted
    kind, author_id, guild_id, _ = row
    drop_acceptance_of(conn, post_id, at)  # while the answer still counts, so its effects are taken back
    conn.execute(q.SOFT_DELETE_POST, (at, post_id))
    take_back_votes(conn, post_id, PostKind(kind), author_id, guild_id)
    return True


def _delete_question(thread_id: int, at: int, conn: sqlite3.Connection) -> bool:
    if conn.execute(q.SOFT_DELETE_QUESTION, (at, thread_id)).rowcount == 0:
        return False
    for (post_id,) in conn.execute(q.LIVE_POST_IDS_OF_QUESTION, (thread_id,)).fetchall():
        _delete_post(post_id, at, conn)
    return True


def _remove_questions(thread_ids: list[int], at: int, conn: sqlite3.Connection) -> int:
    removed = 0
    for thread_id in thread_ids:
        row = conn.execute(q.QUESTION_GUILD, (thread_id,)).fetchone()
        if row is None:
            continue
        _delete_question(thread_id, at, conn)  # takes back what its votes and acceptance gave
        authors = [r[0] for r in conn.execute(q.AUTHORS_OF_QUESTION, (thread_id,)).fetchall()]
        for sql in q.PURGE_QUESTION:
            conn.execute(sql, (thread_id,))
        for author_id in authors:
            conn.execute(q.FORGET_UNSEEN_MEMBER, (row[0], author_id))
        removed += 1
    return removed


def _count_changes(sql: str, params: tuple, conn: sqlite3.Connection) -> int:
    return conn.execute(sql, params).rowcount


def _rename_question(thread_id: int, title: str, editor_id: int | None, at: int, conn: sqlite3.Connection) -> bool:
    if conn.execute(q.RENAME_QUESTION, (title, at, thread_id)).rowcount == 0:
        return False
    conn.execute(q.INSERT_NEXT_REVISION, (thread_id, "title", title, editor_id, at))
    return True
