"""A page of `quorum export`'s questions as read (rows), and its decoding into models.

Reading and decoding are apart so that the export can decode and shape pages in worker processes
(bot/export_workers.py) while its one read transaction goes on reading the next: a `ThreadPage` is
plain data that pickles, and this module imports neither aiosqlite nor the store, so a worker starts
light. Only db/ knows what the rows hold; bot/ gets models from `decode_thread_page`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from bot.forum.archive import StoredVote, ThreadRecord
from bot.forum.models import Attachment, Post, Question, QuestionStatus, Revision
from bot.forum.voting import VoteVia

from .convert import EPOCH, KINDS, MS

_VIAS = {via.value: via for via in VoteVia}  # a dict lookup: VoteVia(value) costs 15x more, per vote


@dataclass(frozen=True, slots=True)
class ThreadPage:
    """A page of questions with their posts, votes and revisions, as rows (db/export_queries.py)."""

    guild_id: int
    questions: list[tuple]
    posts: list[tuple]
    votes: list[tuple]
    revisions: list[tuple]  # title revisions, then body revisions

    def last_key(self) -> tuple[int, int]:
        """(created_at, id) of the page's last question: where the next page starts."""
        last = self.questions[-1]
        return last[9], last[0]


def decode_thread_page(page: ThreadPage) -> list[ThreadRecord]:
    guild_id = page.guild_id
    posts: dict[int, list[Post]] = {}
    for row in page.posts:
        posts.setdefault(row[1], []).append(_post(row, guild_id))
    votes: dict[int, list[StoredVote]] = {}
    for qid, post_id, voter_id, value, at, via in page.votes:
        votes.setdefault(qid, []).append(StoredVote(post_id, voter_id, value, EPOCH + at * MS, _VIAS[via]))
    revisions: dict[int, list[Revision]] = {}
    for qid, post_id, field, number, text, editor_id, at in page.revisions:
        revisions.setdefault(qid, []).append(Revision(post_id, number, field, text, editor_id, EPOCH + at * MS))
    records = []
    for (qid, channel_id, title, author_id, starter_id, status, accepted_answer_id, tags, score, created_at,
         deleted_at, accepted_by, duplicate_of, thread_type, accepted_at, updated_at) in page.questions:  # fmt: skip
        question = Question(
            qid, guild_id, channel_id, title, author_id, EPOCH + created_at * MS, starter_id, QuestionStatus(status),
            accepted_answer_id, tuple(json.loads(tags)), score, _opt_dt(deleted_at), accepted_by, duplicate_of,
            thread_type,
        )  # fmt: skip
        records.append(ThreadRecord(question, _opt_dt(accepted_at), EPOCH + updated_at * MS, posts.get(qid, []),
                                    votes.get(qid, []), revisions.get(qid, [])))  # fmt: skip
    return records


def _post(row: tuple, guild_id: int) -> Post:
    (post_id, question_id, kind, parent_id, reply_to_id, author_id, body, attachments, score, created_at, edited_at,
     deleted_at) = row  # fmt: skip
    return Post(
        post_id, question_id, guild_id, KINDS[kind], author_id, body, EPOCH + created_at * MS, parent_id, reply_to_id,
        score, _opt_dt(edited_at), _opt_dt(deleted_at),
        () if attachments == "[]" else tuple(Attachment(**a) for a in json.loads(attachments)),
    )  # fmt: skip


def _opt_dt(ms: int | None):
    return None if ms is None else EPOCH + ms * MS
