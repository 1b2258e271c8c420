"""The store's search, tag and pending-draft methods (mixed into SqliteStore).

FTS5 has a query language of its own (AND, OR, NOT, NEAR, *, ^, column filters, parentheses). The
member's text never becomes that language: every term is written as an FTS string ("..." with
quotes doubled), so it can only ever be a phrase of tokens, and the operators between terms are ours.
"""

from __future__ import annotations

import asyncio
import json
import math
import sqlite3
import time
from collections.abc import Awaitable, Callable, Iterator
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING, TypeVar

import aiosqlite

from bot.forum.search import Candidate, Candidates, Hit, SearchQuery, SearchResult
from bot.forum.similar import PendingAsk, SimilarCandidate
from bot.forum.visibility import Readable

from . import convert as cv
from . import search_engine as engine
from . import search_queries as sq
from .connection import run_on_connection_thread
from .search_budget import PROGRESS_STEPS, SEARCH_BUDGET, out_of_time, time_budget, work_limit
from .search_index_queries import NEWEST_CHANGE

if TYPE_CHECKING:
    import tantivy

    from .search_index import IndexReader
    from .writer import Writer

T = TypeVar("T")


# The work a candidate walk may do, in SQLite virtual-machine instructions (counted by a progress
# handler). A walk that finds its 300 candidates among the newest matches takes about 16k; one whose
# matches are nearly all in channels the member may not read, or that a filter leaves out, walks
# every match (up to 2.8M and 250 ms for common words at 200k posts, growing with the forum).
# Stopped at the budget, it keeps what it found and says it is not complete, which the search shows
# as a ranking among the newest matches. At 200k posts, with
# the budget: no typical or common search of a member who reads the questions channel is cut, and
# a member who reads none searching common words takes p99 77 ms (bench/RESULTS.md).
WALK_STEPS = 250_000
PROBE_DEPTH = 80
COMMON_SHARE = 0.02  # a term in more of the newest posts than this only filters (IDF < ln 50)
HORIZON_TTL = 5.0  # seconds the newest-posts horizon is reused: it moves by a few posts at most

# With the search index: the TOP_K best posts by bm25 are ranked by the blend (votes, acceptance).
# The blend lifts a post by at most a few times its bm25, so on bench.generate's 1M-post forum the
# exact blended top 10 over every match was always within the top 1000 for typical queries, and
# nearly always for common words (bench/RESULTS.md). A filter the index does not hold (score:) is
# applied by the store, reading further down the index's ranking, up to READ_AT_MOST hits.
TOP_K = 1000
READ_AT_MOST = 16_000
READ_AT_MOST_SHARE = TOP_K / READ_AT_MOST


def fts_string(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def match_all(query: SearchQuery) -> str:
    """Every word and phrase must match; none of the excluded ones may."""
    expression = " AND ".join(fts_string(t) for t in query.positive)
    if query.excluded:
        expression = f"({expression}) NOT ({' OR '.join(fts_string(t) for t in query.excluded)})"
    return expression


def match_any(terms: tuple[str, ...], *, title_only: bool = False) -> str:
    expression = " OR ".join(fts_string(t) for t in terms)
    return f"title : ({expression})" if title_only else expression


def _filters(query: SearchQuery, guild_id: int, readable: Readable | None) -> dict:
    """The named parameters that switch the fixed statements' filters on (search_queries.py)."""
    scores = dict.fromkeys(("score_ge", "score_gt", "score_le", "score_lt", "score_eq"))
    if query.score is not None:
        scores[_SCORE_PARAM[query.score[0]]] = query.score[1]
    return {
        "guild": guild_id, "user": query.user_id, "accepted": int(query.accepted),
        "unanswered": int(query.unanswered), "open": int(query.open),
        "tags": json.dumps(list(query.tags), ensure_ascii=False), **scores,
        "channels": None if readable is None else readable.as_json(),
    }  # fmt: skip


def _flags(query: SearchQuery) -> tuple[tuple[str, bool], ...]:
    """The is: filters, for the search index (the store checks them again on every hit)."""
    wanted = (("accepted", query.accepted, True), ("open", query.open, True), ("answered", query.unanswered, False))
    return tuple((flag, value) for flag, asked, value in wanted if asked)


def _channels(readable: Readable | None) -> frozenset[int] | None:
    return None if readable is None else readable.channel_ids


_SCORE_PARAM = {">=": "score_ge", ">": "score_gt", "<=": "score_le", "<": "score_lt", "=": "score_eq"}


class SearchStore:
    """Needs the SqliteStore's `_fetchall`, `_next_search_reader` (connections for searches only) and
    `writer`.

    A search is a few statements in a row (probes, candidates, relevance; then result lines and
    snippets): each group runs in one function on a search connection's own thread, since every
    aiosqlite call is a round trip between threads that costs as much as a small statement. Searches
    have connections of their own (aiosqlite runs one thread per connection, in order), so the reads
    that mirroring needs never queue behind one; and each group has a time budget (search_budget.py)."""

    writer: Writer
    _next_search_reader: Iterator[aiosqlite.Connection]
    search_budget: float = SEARCH_BUDGET
    search_index: IndexReader | None = None  # None: the store's own FTS index serves every search

    _fetchall: Callable[[str, tuple | dict], Awaitable[list[sqlite3.Row]]]  # SqliteStore's

    async def search_candidates(self, guild_id: int, query: SearchQuery, limit: int, *,
                                readable: Readable | None) -> Candidates:  # fmt: skip
        """Matching posts (the newest `limit` of them when the query has words) with bm25 relevance;
        without words, the newest `limit` questions the filters allow (relevance 0). Only questions
        in `readable` channels (None: every channel, for tools no member uses). The walk stops at
        WALK_STEPS, keeping what it found (not `complete`); past the time budget, TooBroad."""
        params = {**_filters(query, guild_id, readable), "limit": limit}
        if not query.has_text:
            rows, complete = await self._search_read(lambda conn: walk(conn, sq.FILTERED, params))
            return Candidates([_candidate(r, 0.0) for r in rows], complete)
        if (searcher := await self._index_searcher()) is not None:
            scope = engine.Scope(guild_id, _channels(readable), query.user_id, query.tags, flags=_flags(query))
            found = await self._search_read(lambda conn: self._indexed_candidates(conn, searcher, query, scope, params))
            if found is not None:
                return found
        params["match"] = match_all(query)
        return await self._search_read(lambda conn: self._ranked_candidates(conn, query, params))

    def _indexed_candidates(
        self, conn: sqlite3.Connection, searcher: tantivy.Searcher, query: SearchQuery, scope: engine.Scope,
        params: dict,
    ) -> Candidates | None:  # fmt: skip
        """On the reader's thread: the index's best posts, confirmed and filtered by the store, until
        TOP_K are found or every match was read (None: the index failed)."""
        cursor = conn.cursor()
        cursor.row_factory = None
        found: list[Candidate] = []
        read, page = 0, TOP_K
        try:
            expression = engine.search_query(searcher, query, scope)
            while True:
                hits = engine.top(searcher, expression, page, read)
                questions = json.dumps(list({question for _, question, _ in hits}))
                passed = {r[0]: r for r in cursor.execute(sq.CONFIRMED, {**params, "questions": questions})}
                found += [
                    Candidate(post, question, q[1], bm25, q[2], bool(q[3]))
                    for post, question, bm25 in hits
                    if (q := passed.get(question)) is not None
                ]
                read += len(hits)
                if len(hits) < page:
                    return Candidates(found, complete=True, by_relevance=True)
                if len(found) >= TOP_K or read >= READ_AT_MOST:
                    return Candidates(found, complete=False, by_relevance=True)
                # Read on as far as the share of hits that passed so far says the rest needs, in one
                # more call: each call collects the top (offset + limit) again.
                passing = max(len(found) / read, READ_AT_MOST_SHARE)
                page = min(math.ceil((TOP_K - len(found)) / passing * 1.25), READ_AT_MOST - read)
        except ValueError as exc:  # tantivy's error for a failed search
            self.search_index.damaged(exc)
            return None

    async def _search_read(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """`fn(connection)` on a search connection's thread; TooBroad once it takes longer than the budget."""
        budget = self.search_budget

        def bounded(conn: sqlite3.Connection) -> T:
            with time_budget(conn, budget):
                return fn(conn)

        return await run_on_connection_thread(next(self._next_search_reader), bounded)

    def _ranked_candidates(self, conn: sqlite3.Connection, query: SearchQuery, params: dict) -> Candidates:
        """On the reader's thread: which terms are very common, the candidates, their relevance."""
        cursor = conn.cursor()
        cursor.row_factory = None
        common = self._common_terms(conn, query.positive)
        if not common:
            rows, complete = walk(conn, sq.CANDIDATES, {**params, "ranked": 1})
            return Candidates([_candidate(r, -float(r[3])) for r in rows], complete)
        rows, complete = walk(conn, sq.CANDIDATES, {**params, "ranked": 0})
        informative = tuple(t for t in query.positive if t not in common)
        if not rows or not informative:
            return Candidates([_candidate(r, 1.0) for r in rows], complete)  # only very common words: votes, age
        ids = [r[0] for r in rows]
        args = (json.dumps(ids), " AND ".join(map(fts_string, informative)), min(ids), max(ids))
        relevance = {rowid: -bm for rowid, bm in cursor.execute(sq.RELEVANCE_OF, args) if bm is not None}
        return Candidates([_candidate(r, relevance.get(r[0], 0.0)) for r in rows], complete)

    def _common_terms(self, conn: sqlite3.Connection, terms: tuple[str, ...]) -> set[str]:
        """Terms in more than COMMON_SHARE of the newest posts (see search_queries.RELEVANCE_OF)."""
        horizon = self._horizon(conn)
        if horizon is None:
            return set()  # a young forum: bm25 over everything is cheap
        common = set()
        for term in terms:
            nth = conn.execute(sq.NTH_NEWEST_MATCH, (fts_string(term), PROBE_DEPTH - 1)).fetchone()
            if nth and nth[0] >= horizon:
                common.add(term)
        return common

    def _horizon(self, conn: sqlite3.Connection) -> int | None:
        """The id of the (PROBE_DEPTH / COMMON_SHARE)-th newest post, cached briefly: finding it walks
        that many rows of the posts table."""
        cached = getattr(self, "_horizon_cache", None)
        now = time.monotonic()
        if cached is not None and cached[1] > now:
            return cached[0]
        row = conn.execute(sq.NTH_NEWEST_POST, (round(PROBE_DEPTH / COMMON_SHARE) - 1,)).fetchone()
        horizon = row[0] if row else None
        self._horizon_cache = (horizon, now + HORIZON_TTL)
        return horizon

    async def search_results(self, hits: list[Hit], query: SearchQuery) -> list[SearchResult]:
        """Result lines for ranked hits, in the order given, with snippets of their best posts."""
        if not hits:
            return []
        return await self._search_read(lambda conn: _results(conn, hits, query))

    async def similar_candidates(
        self, guild_id: int, terms: tuple[str, ...], limit: int, *, readable: Readable | None,
        title_only: bool = False, every: bool = False,
    ) -> list[SimilarCandidate]:
        """Question posts matching any (with `every`: all) of the terms, newest `limit` first, in
        `readable` channels only (None: every channel)."""
        if not terms:
            return []
        channels = None if readable is None else readable.as_json()
        if (searcher := await self._index_searcher()) is not None:
            scope = engine.Scope(guild_id, _channels(readable), questions_only=True)
            expression = engine.similar_query(searcher, terms, scope, title_only=title_only, every=every)
            where = (guild_id, channels)
            similar = await self._search_read(
                lambda conn: self._indexed_similar(conn, searcher, expression, limit, where)
            )
            if similar is not None:
                return similar
        match = " AND ".join(map(fts_string, terms)) if every else match_any(terms, title_only=title_only)
        params = (match, guild_id, limit, channels)
        # Bounded as a search's walk is: a cut walk only offers fewer similar questions.
        rows, _ = await self._search_read(lambda conn: walk(conn, sq.SIMILAR, params))
        return [SimilarCandidate(r[0], r[1], r[2], r[3], -float(r[4]), r[5], bool(r[6])) for r in rows]

    async def _index_searcher(self) -> tantivy.Searcher | None:
        """A searcher over the search index once it holds the store's latest change (or after a
        moment: see IndexReader.searcher), outside any search's time budget; None: no usable index."""
        if (index := self.search_index) is None:
            return None
        newest = (await self._fetchall(NEWEST_CHANGE, ()))[0][0]
        return await asyncio.to_thread(index.searcher, newest)

    def _indexed_similar(
        self, conn: sqlite3.Connection, searcher: tantivy.Searcher, expression: tantivy.Query, limit: int,
        where: tuple,
    ) -> list[SimilarCandidate] | None:  # fmt: skip
        assert self.search_index is not None
        try:
            relevance = {post: bm25 for post, _, bm25 in engine.top(searcher, expression, limit)}
        except ValueError as exc:
            self.search_index.damaged(exc)
            return None
        rows = conn.execute(sq.SIMILAR_CONFIRMED, (json.dumps(list(relevance)), *where)).fetchall()
        found = [SimilarCandidate(r[1], r[2], r[3], r[4], relevance[r[0]], r[5], bool(r[6])) for r in rows]
        return sorted(found, key=lambda c: -c.relevance)

    # -- tags

    async def set_question_tags(self, thread_id: int, tags: tuple[str, ...], at: datetime) -> bool:
        """Replace a question's tags (a member edited them in Discord); False if unknown or unchanged."""
        params = (json.dumps(list(tags), ensure_ascii=False), cv.to_ms(at), thread_id)
        return await self.writer.run_sync(partial(_changes, sq.SET_TAGS, params))

    async def tag_names(self, guild_id: int) -> list[str]:
        """Tags used on the guild's questions (for text channels, which have no tag list)."""
        return [r[0] for r in await self._fetchall(sq.TAG_NAMES, (guild_id,))]

    async def tag_leaders(self, guild_id: int, tag: str, limit: int = 10) -> list[tuple[int, int, int]]:
        """For `/top tag:`: (member id, summed score, answers) of the best answerers in a tag."""
        return [(r[0], r[1], r[2]) for r in await self._fetchall(sq.TAG_LEADERS, (guild_id, tag, limit))]

    # -- pending /ask drafts

    async def save_pending_ask(self, draft: PendingAsk) -> None:
        """Store a draft (and drop expired ones: nobody can post them any more)."""
        params = (
            draft.id, draft.guild_id, draft.user_id, draft.title, draft.body,
            json.dumps(list(draft.tags), ensure_ascii=False), cv.to_ms(draft.created_at), cv.to_ms(draft.expires_at),
        )  # fmt: skip
        await self.writer.run_sync(partial(_save_pending, params, cv.to_ms(draft.created_at)))

    async def get_pending_ask(self, draft_id: int) -> PendingAsk | None:
        rows = await self._fetchall(sq.GET_PENDING, (draft_id,))
        return _pending(rows[0]) if rows else None

    async def take_pending_ask(self, draft_id: int, user_id: int) -> PendingAsk | None:
        """Remove and return the member's draft; None if it is gone (posted, cancelled, dropped)."""
        row = await self.writer.run_sync(partial(_take_pending, draft_id, user_id))
        return _pending(row) if row else None


def walk(conn: sqlite3.Connection, sql: str, params: dict | tuple) -> tuple[list[tuple], bool]:
    """The rows of a candidate statement, read until it ends or until WALK_STEPS steps of work;
    whether it ended. Rows come one step at a time, so a stopped walk keeps every row it found. Past
    the time budget (search_budget.py) it is stopped too, and that raises TooBroad."""
    steps = 0

    def spent() -> bool:
        nonlocal steps
        steps += PROGRESS_STEPS
        return steps > WALK_STEPS  # True interrupts the statement

    cursor = conn.cursor()
    cursor.row_factory = None
    rows: list[tuple] = []
    with work_limit(conn, spent):
        try:
            rows.extend(cursor.execute(sql, params))
        except sqlite3.OperationalError:
            if steps <= WALK_STEPS or out_of_time():
                raise  # not the walk's own stop
            return rows, False
    return rows, True


def _results(conn: sqlite3.Connection, hits: list[Hit], query: SearchQuery) -> list[SearchResult]:
    cursor = conn.cursor()
    cursor.row_factory = None
    question_ids = json.dumps([h.question_id for h in hits])
    post_ids = json.dumps([h.post_id for h in hits])
    rows = {r[0]: r for r in cursor.execute(sq.RESULTS, (question_ids,))}
    live = {r[0] for r in cursor.execute(sq.LIVE_POSTS, (post_ids,))}
    if query.has_text:
        match = " OR ".join(fts_string(t) for t in query.positive)  # highlight every positive term
        snippets = dict(cursor.execute(sq.SNIPPETS, (match, post_ids)))
    else:
        snippets = dict(cursor.execute(sq.PLAIN_SNIPPETS, (post_ids,)))
    results = []
    for hit in hits:
        row = rows.get(hit.question_id)
        if row is None:
            continue  # deleted between ranking and rendering
        post_id = hit.post_id if hit.post_id in live else hit.question_id  # deleted a moment ago: the thread
        results.append(SearchResult(
            question_id=hit.question_id, post_id=post_id, channel_id=hit.channel_id, title=row[1],
            score=row[2], accepted=bool(row[3]), answers=row[5], created_at=cv.from_ms(row[4]),
            snippet=snippets.get(post_id) or "",
        ))  # fmt: skip
    return results


def _candidate(row, relevance: float) -> Candidate:
    return Candidate(row[0], row[1], row[2], relevance, row[4], bool(row[5]))


def _changes(sql: str, params: tuple, conn: sqlite3.Connection) -> bool:
    return conn.execute(sql, params).rowcount > 0


def _save_pending(params: tuple, now: int, conn: sqlite3.Connection) -> None:
    conn.execute(sq.DROP_EXPIRED, (now,))
    conn.execute(sq.INSERT_PENDING, params)


def _take_pending(draft_id: int, user_id: int, conn: sqlite3.Connection) -> tuple | None:
    row = conn.execute(sq.TAKE_PENDING, (draft_id, user_id)).fetchone()
    return tuple(row) if row else None


def _pending(row) -> PendingAsk:
    return PendingAsk(
        id=row[0], guild_id=row[1], user_id=row[2], title=row[3], body=row[4], tags=tuple(json.loads(row[5])),
        created_at=cv.from_ms(row[6]), expires_at=cv.from_ms(row[7]),
    )  # fmt: skip
