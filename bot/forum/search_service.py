"""Searching the forum, similar questions while asking, drafts waiting on that step, and tags that
members change in Discord. Adapters pass plain data in; the store does the matching."""

from __future__ import annotations

import contextlib
import difflib
import math
import secrets
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from .asking import Draft
from .errors import BadInput, NotAllowed, NotFound
from .ports import ForumStore
from .search import Hit, SearchPage, SearchQuery, TooBroad, parse_query, rank
from .similar import SHOWN, PendingAsk, SimilarCandidate, SimilarQuestion, key_terms, pick_similar
from .visibility import Readable

CANDIDATES = 300  # matching posts ranked per search without the search index (the newest); see bench/RESULTS.md
FILTERED = 500  # questions listed by a search of filters alone (newest first)
PER_PAGE = 5
SIMILAR_CANDIDATES = 200
DRAFT_TTL = timedelta(hours=1)


def _utcnow() -> datetime:
    return datetime.now(UTC)


class SearchService:
    def __init__(self, store: ForumStore, clock: Callable[[], datetime] = _utcnow) -> None:
        self.store = store
        self.clock = clock

    # ----- /search ------------------------------------------------------------------------------
    async def search(
        self, guild_id: int, text: str, *, page: int, available_tags: Sequence[str] | None, readable: Readable
    ) -> SearchPage:
        query = parse_query(text)
        query = replace(query, tags=tuple(canonical_tag(t, available_tags) for t in query.tags))
        limit = CANDIDATES if query.has_text else FILTERED
        # Hidden channels are filtered in the store's query, before the limit and the paging, so a
        # page, its count and the candidates ranked are all of what the member may read.
        walk = await self.store.search_candidates(guild_id, query, limit, readable=readable)
        capped = not walk.complete or (not walk.by_relevance and len(walk.found) >= limit)
        hits = _hits(query, walk.found)
        pages = max(1, math.ceil(len(hits) / PER_PAGE))
        page = min(max(page, 0), pages - 1)
        shown = hits[page * PER_PAGE : (page + 1) * PER_PAGE]
        results = await self.store.search_results(shown, query)
        notes = []
        if query.ignored:
            notes.append(f"Ignored (no letters or digits): {' '.join(query.ignored)[:60]}")
        newest_only = capped and query.has_text and not walk.by_relevance
        return SearchPage(query, results, page, pages, len(hits), capped, notes, newest_only)

    # ----- similar questions while asking -------------------------------------------------------
    async def similar_questions(self, guild_id: int, draft: Draft, readable: Readable) -> list[SimilarQuestion]:
        """The few existing questions closest to a new one (none when nothing is close enough), among
        those the asker may read."""
        return await self._similar(guild_id, draft.title, draft.body, readable, lambda c: True)

    async def solved_similar(
        self, guild_id: int, question_id: int, title: str, body: str, readable: Readable
    ) -> list[SimilarQuestion]:
        """As similar_questions, for a question already posted: only questions with an accepted
        answer, the question itself left out."""
        return await self._similar(guild_id, title, body, readable,
                                   lambda c: c.accepted and c.question_id != question_id)  # fmt: skip

    async def _similar(self, guild_id: int, title: str, body: str, readable: Readable,
                       keep: Callable[[SimilarCandidate], bool]) -> list[SimilarQuestion]:  # fmt: skip
        title_terms, body_terms = key_terms(title, body)
        if not title_terms:
            return []
        # Questions with every title word first (precise and cheap), then any of the title and body
        # words when that found too few; pick_similar decides what is close enough.
        # A hint, not a gate: a step past its time budget (TooBroad) adds nothing, and the question is posted.
        found: list[SimilarCandidate] = []
        with contextlib.suppress(TooBroad):
            every = await self.store.similar_candidates(guild_id, title_terms, SIMILAR_CANDIDATES, readable=readable,
                                                        every=True)  # fmt: skip
            found = [c for c in every if keep(c)]
            if len({c.question_id for c in found}) < SHOWN:
                more = await self.store.similar_candidates(guild_id, title_terms + body_terms, SIMILAR_CANDIDATES,
                                                           readable=readable)  # fmt: skip
                found += [c for c in more if keep(c)]
        return pick_similar(title_terms, found)

    async def hold_draft(self, guild_id: int, user_id: int, draft: Draft) -> PendingAsk:
        now = self.clock()
        pending = PendingAsk(
            id=secrets.randbits(62) or 1, guild_id=guild_id, user_id=user_id, title=draft.title, body=draft.body,
            tags=draft.tags, created_at=now, expires_at=now + DRAFT_TTL,
        )  # fmt: skip
        await self.store.save_pending_ask(pending)
        return pending

    async def take_draft(self, draft_id: int, user_id: int) -> PendingAsk:
        """The member's draft, removed from the store so it is posted (or cancelled) once."""
        pending = await self.store.take_pending_ask(draft_id, user_id)
        if pending is None:
            if await self.store.get_pending_ask(draft_id) is not None:
                raise NotAllowed("That question is someone else's draft.")
            raise NotFound("That question was already posted or cancelled.")
        if pending.expires_at < self.clock():
            raise NotFound("That draft expired: run `/ask` again.")
        return pending

    async def restore_draft(self, pending: PendingAsk) -> None:
        """Put a taken draft back (posting it failed), so the member can try again."""
        await self.store.save_pending_ask(pending)

    # ----- tags ---------------------------------------------------------------------------------
    async def tags_changed(self, thread_id: int, tags: tuple[str, ...]) -> bool:
        """A member (or the bot) changed a post's tags in Discord."""
        return await self.store.set_question_tags(thread_id, tags, self.clock())

    async def tag_names(self, guild_id: int) -> list[str]:
        return await self.store.tag_names(guild_id)


def _hits(query: SearchQuery, candidates) -> list[Hit]:
    if query.has_text:
        return rank(candidates)
    return [Hit(c.question_id, c.post_id, c.channel_id, 0.0) for c in candidates]  # newest first already


def canonical_tag(name: str, available: Sequence[str] | None) -> str:
    """A forum's tag by its exact name (any case), or a clear refusal with suggestions. Where tags
    are free-form (text channels) they are stored in lower case by /ask."""
    if available is None:
        return name.lower()
    by_fold = {a.casefold(): a for a in available}
    if name.casefold() in by_fold:
        return by_fold[name.casefold()]
    close = difflib.get_close_matches(name.casefold(), list(by_fold), n=3, cutoff=0.6)
    hint = f" Did you mean {', '.join(repr(by_fold[c]) for c in close)}?" if close else ""
    listed = ", ".join(sorted(available, key=str.casefold)) or "none"
    raise BadInput(f"There is no tag {name[:40]!r} here.{hint} Tags: {listed}.")
