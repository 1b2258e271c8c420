"""`quorum import`: an export file loaded into the store in one transaction of the store's writer.

`import_file` runs in the write process (Writer.run_long): it reads the file itself as a stream
(bot/forum/importing.py), so the document never travels between processes and memory holds a
thousand questions at a time. All of it happens under one savepoint: a file refused halfway (bad JSON,
a value the schema refuses, an id that is not a snowflake, a post the store keeps under another
question) is rolled back whole and the refusal is returned as the result, so the writer's batch still
commits nothing of it. A file not laid out as `quorum export` writes it is read a second time, as any
JSON, what the first reading wrote rolled back to the savepoint.

A question the store does not have yet (every question, importing into an empty store) is buffered
and written with its posts, votes and revisions by executemany, a thousand questions at a time, with
the insert triggers set aside (db/import_bulk.py); its posts' scores are the sums of the file's votes.
A question the store has is merged row by row, the newer side winning (db/import_queries.py). When a
guild is done, question scores follow their starters and the guild's reputations are replayed from
its votes and acceptances, as `quorum recount` would count them.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from typing import BinaryIO

from bot.forum.import_rows import (
    AuditRow,
    GuildBegins,
    GuildEnds,
    ImportRefused,
    MemberRow,
    NameRow,
    PostRow,
    SettingsRow,
    Thread,
    WebChannelRow,
    WebGuildRow,
    WebPrivacyRow,
)
from bot.forum.importing import NotFramed, read_export
from bot.forum.voting import START_REP

from . import import_queries as iq
from .convert import attachments_json
from .import_bulk import trigger_texts, without_insert_triggers, write_derived
from .reputation import fix_reputations, recount_reputations

BUFFERED_QUESTIONS = 1000  # new questions written together (db/import_bulk.py): ~5,000 posts
# The writer's page cache while an import runs, a ceiling like the readers' (db/connection.py): the
# votes' and FTS index's pages are written again and again; then SQLite's default again.
IMPORT_CACHE = "PRAGMA cache_size = -262144"
DEFAULT_CACHE = "PRAGMA cache_size = -2000"


class ImportProgress:
    """What a running import has read; the writer copies it back to the CLI a few times a second."""

    def __init__(self, total_bytes: int = 0) -> None:
        self.phase = "reading"
        self.bytes_read = 0
        self.total_bytes = total_bytes
        self.questions = 0
        self.posts = 0


@dataclass
class ImportSummary:
    guilds: list[int] = field(default_factory=list)
    questions_added: int = 0
    questions_updated: int = 0
    posts_added: int = 0
    posts_updated: int = 0
    votes_written: int = 0
    rows_kept: int = 0  # rows of the file not written because the store's were as new or newer
    other_rows: int = 0  # settings, names, audit entries, … written


def import_file(conn: sqlite3.Connection, path: str, guild_id: int | None,
                progress: ImportProgress) -> ImportSummary | ImportRefused:  # fmt: skip
    conn.execute("SAVEPOINT import")
    conn.execute(IMPORT_CACHE)
    try:
        with open(path, "rb") as file:
            try:
                summary = _Import(conn, file, progress).run(guild_id, framed=True)
            except NotFramed:
                # Not laid out as `quorum export` writes it: what was written of it undone, the file is
                # read again as any JSON.
                conn.execute("ROLLBACK TO import")
                file.seek(0)
                progress.__init__(progress.total_bytes)
                summary = _Import(conn, file, progress).run(guild_id, framed=False)
    except ImportRefused as refused:
        _undo(conn)
        return refused
    except sqlite3.IntegrityError as exc:
        _undo(conn)
        return ImportRefused(f"the file contradicts the store or itself ({exc}): a row it holds twice, or a post "
                             f"the store keeps under another question")  # fmt: skip
    except BaseException:
        _undo(conn)
        raise
    finally:
        conn.execute(DEFAULT_CACHE)
    conn.execute("RELEASE import")
    return summary


def _undo(conn: sqlite3.Connection) -> None:
    conn.execute("ROLLBACK TO import")
    conn.execute("RELEASE import")


class _Import:
    def __init__(self, conn: sqlite3.Connection, file: BinaryIO, progress: ImportProgress) -> None:
        self.conn = conn
        self.file = file
        self.progress = progress
        self.summary = ImportSummary()
        self.new_threads: list[Thread] = []
        self.trigger_texts: list[str] | None = None

    def run(self, guild_id: int | None, *, framed: bool) -> ImportSummary:
        handlers = {
            Thread: self._thread, SettingsRow: self._settings, WebGuildRow: self._other(iq.UPSERT_WEB_GUILD),
            WebChannelRow: self._other(iq.UPSERT_WEB_CHANNEL), MemberRow: self._member,
            NameRow: self._other(iq.UPSERT_NAME), WebPrivacyRow: self._other(iq.UPSERT_WEB_PRIVACY),
            AuditRow: self._audit, GuildBegins: self._guild_begins, GuildEnds: self._guild_ends,
        }  # fmt: skip
        for row in read_export(self.file, guild_id, framed=framed):
            handlers[type(row)](row)
        return self.summary

    def _written(self, rowcount: int) -> None:
        if rowcount:
            self.summary.other_rows += 1
        else:
            self.summary.rows_kept += 1

    def _other(self, sql: str):
        return lambda row: self._written(self.conn.execute(sql, row).rowcount)

    def _settings(self, row: SettingsRow) -> None:
        self._written(self.conn.execute(iq.UPSERT_SETTINGS, row).rowcount)

    def _member(self, row: MemberRow) -> None:
        self.conn.execute(iq.ENSURE_MEMBER, row)

    def _audit(self, row: AuditRow) -> None:
        if self.conn.execute(iq.AUDIT_KNOWN, row).fetchone():
            self.summary.rows_kept += 1
        elif not self.conn.execute(iq.INSERT_AUDIT, row).rowcount:
            self.conn.execute(iq.APPEND_AUDIT, row[1:])  # its id is another entry's here: a new id
            self.summary.other_rows += 1
        else:
            self.summary.other_rows += 1

    def _guild_begins(self, row: GuildBegins) -> None:
        self.summary.guilds.append(row.guild_id)

    def _guild_ends(self, row: GuildEnds) -> None:
        self._flush()
        self.progress.phase = "recounting"
        self.conn.execute(iq.RESCORE_QUESTIONS, (row.guild_id,))
        _recount_guild(self.conn, row.guild_id, self.progress)
        self.progress.phase = "reading"

    # -- questions

    def _thread(self, thread: Thread) -> None:
        q = thread.question
        self.progress.questions += 1
        self.progress.posts += len(thread.posts)
        if self.progress.questions % 100 == 0:
            self.progress.bytes_read = self.file.tell()
        stored = self.conn.execute(iq.QUESTION_STATE, (q.id,)).fetchone()
        if stored is None:  # (a question twice in the file fails its second INSERT: refused)
            self.new_threads.append(thread)
            if len(self.new_threads) >= BUFFERED_QUESTIONS:
                self._flush()
            return
        self._flush()  # in file order: the buffered questions before this one
        if stored[0] != q.guild_id:
            raise ImportRefused(f"question {q.id} is stored under guild {stored[0]}, the file has it in {q.guild_id}")
        self._merge(thread)

    def _flush(self) -> None:
        """Write the buffered new questions with everything in them."""
        threads, self.new_threads = self.new_threads, []
        if not threads:
            return
        questions, posts, votes, revisions = [], [], [], []
        for thread in threads:
            scores: dict[int, int] = {}
            for vote in thread.votes:
                scores[vote.post_id] = scores.get(vote.post_id, 0) + vote.value
            q = thread.question
            questions.append((*q[:9], _tags(q.tags), *q[10:], scores.get(q.starter_id, 0)))
            posts += [_post_params(p, scores.get(p.id, 0)) for p in thread.posts]
            votes += thread.votes
            revisions += thread.revisions
        conn = self.conn
        if self.trigger_texts is None:
            self.trigger_texts = trigger_texts(conn)
        with without_insert_triggers(conn, self.trigger_texts):
            conn.executemany(iq.INSERT_QUESTION, questions)
            conn.executemany(iq.INSERT_POST, posts)
            write_derived(conn, [q[0] for q in questions])
        conn.executemany(iq.INSERT_VOTE, votes)
        conn.executemany(iq.INSERT_REVISION, revisions)
        self.summary.questions_added += len(questions)
        self.summary.posts_added += len(posts)
        self.summary.votes_written += len(votes)

    def _merge(self, thread: Thread) -> None:
        """A question the store has: each row written only where the file's is newer."""
        conn, summary = self.conn, self.summary
        q = thread.question
        if conn.execute(iq.UPDATE_QUESTION, (*q[:9], _tags(q.tags), *q[10:])).rowcount:
            summary.questions_updated += 1
        else:
            summary.rows_kept += 1
        rescore: set[int] = set()
        for post in thread.posts:
            stored = conn.execute(iq.POST_STATE, (post.id,)).fetchone()
            if stored is None:
                conn.execute(iq.INSERT_POST, _post_params(post, 0))
                summary.posts_added += 1
                continue
            if stored[0] != q.id:
                raise ImportRefused(f"post {post.id} is stored under question {stored[0]}, the file has it in {q.id}")
            if _last_change(post.created_at, post.edited_at, post.deleted_at) > _last_change(*stored[1:]):
                conn.execute(iq.UPDATE_POST, _post_params(post, 0)[:12])
                summary.posts_updated += 1
            else:
                summary.rows_kept += 1
        for vote in thread.votes:
            if conn.execute(iq.UPSERT_VOTE, vote).rowcount:
                summary.votes_written += 1
                rescore.add(vote.post_id)
            else:
                summary.rows_kept += 1
        conn.executemany(iq.INSERT_REVISION, thread.revisions)
        conn.executemany(iq.RESCORE_POST, [(pid,) for pid in sorted(rescore)])


def _recount_guild(conn: sqlite3.Connection, guild_id: int, progress: ImportProgress) -> None:
    """The guild's reputations replayed from its votes and acceptances, written where they differ."""
    replayed = recount_reputations(conn, progress, 10_000, guild_id)
    stored = dict(conn.execute(iq.GUILD_REPUTATIONS, (guild_id,)).fetchall())
    fixes = []
    for user_id in stored.keys() | {u for g, u in replayed}:
        reputation, latest = replayed.get((guild_id, user_id), (START_REP, 0))
        # A member at START_REP needs no row (recount reads no row as START_REP); one with a row gets
        # the time of their latest contribution too, so the next vote knows whether it is newer.
        if user_id in stored or reputation != START_REP:
            fixes.append((guild_id, user_id, reputation, latest))
    fix_reputations(conn, fixes)


def _last_change(created_at: int, edited_at: int | None, deleted_at: int | None) -> int:
    return max(created_at, edited_at or 0, deleted_at or 0)


def _tags(tags: tuple[str, ...]) -> str:
    return json.dumps(list(tags), ensure_ascii=False)


def _post_params(p: PostRow, score: int) -> tuple:
    attachments = "[]" if not p.attachments else attachments_json(p.attachments)
    return (*p[:8], attachments, *p[9:], score)
