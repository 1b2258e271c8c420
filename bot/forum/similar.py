"""Similar questions while asking: which words of a new question to look for, and when an existing
question is close enough to show. Pure functions; the store finds the candidates.

A question is shown as similar when it shares most of the new title's meaningful words (in its own
title; a word only in its body counts half), not merely one common word: otherwise nearly every
question would stop at the "similar questions" step and members would learn to click through it."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from .search import blended, index_tokens

MAX_TITLE_TERMS = 8
MAX_BODY_TERMS = 6
MIN_SHARED_RATIO = 0.6
SHOWN = 3

# Words that say nothing about a question's subject. Short, English, and deliberately conservative:
# a missing stopword only costs a little ranking, a wrong one could hide the word that matters.
STOPWORDS = frozenset(
    """a about after all also am an and any are as at be been but by can cannot could did do does doesn
    don for from get gets getting got has have how i if in into is isn it its just like me my need no not
    of on or our should so some than that the their them then there these they this to too try trying
    use using was we were what when where which while who why will with without would you your help
    please thanks question problem issue work works working""".split()
)


def words(text: str) -> list[str]:
    """As the index splits them (a term of several index words would be a costly phrase)."""
    return [w.casefold() for w in index_tokens(text)]


def key_terms(title: str, body: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(title terms, extra body terms): distinct, stopwords and one-letter words dropped; the body
    adds its longest words (long words tend to be the rare, specific ones: error names, APIs)."""
    title_terms = tuple(dict.fromkeys(w for w in words(title) if _meaningful(w)))[:MAX_TITLE_TERMS]
    body_words = dict.fromkeys(w for w in words(body) if _meaningful(w) and w not in title_terms)
    body_terms = tuple(sorted(body_words, key=lambda w: (-len(w), w))[:MAX_BODY_TERMS])
    return title_terms, body_terms


def _meaningful(word: str) -> bool:
    return len(word) > 1 and word not in STOPWORDS and not word.isdigit()


@dataclass(frozen=True, slots=True)
class SimilarCandidate:
    question_id: int
    channel_id: int
    title: str
    body: str
    relevance: float  # -bm25 of the question's post against the new question's terms
    score: int
    accepted: bool


@dataclass(frozen=True, slots=True)
class SimilarQuestion:
    question_id: int
    channel_id: int
    title: str
    score: int
    accepted: bool


@dataclass(frozen=True, slots=True)
class PendingAsk:
    """A checked /ask waiting for its asker to choose "Post anyway" or "Cancel"."""

    id: int
    guild_id: int
    user_id: int
    title: str
    body: str
    tags: tuple[str, ...]
    created_at: datetime
    expires_at: datetime


def needed(title_terms: tuple[str, ...]) -> int:
    """How many title terms a question must share: most of them, and at least one."""
    return max(1, math.ceil(MIN_SHARED_RATIO * len(title_terms)))


def pick_similar(title_terms: tuple[str, ...], candidates: list[SimilarCandidate]) -> list[SimilarQuestion]:
    """The few closest questions, accepted answers ranking higher (see search.blended)."""
    if not title_terms:
        return []
    want = needed(title_terms)
    kept: dict[int, tuple[float, SimilarCandidate]] = {}
    for c in candidates:
        in_title, in_body = set(words(c.title)), set(words(c.body))
        # A word in the other question's title counts fully, one only in its body half: common
        # words turn up in most long bodies.
        shared = sum(1.0 if t in in_title else 0.5 if t in in_body else 0.0 for t in title_terms)
        if shared < want:
            continue
        # Sharing every title word matters more than bm25's view of a few long bodies.
        rank = blended(c.relevance, c.score, c.accepted) * (1 + shared / len(title_terms))
        if c.question_id not in kept or rank > kept[c.question_id][0]:
            kept[c.question_id] = (rank, c)
    best = sorted(kept.values(), key=lambda rc: (-rc[0], -rc[1].question_id))[:SHOWN]
    return [SimilarQuestion(c.question_id, c.channel_id, c.title, c.score, c.accepted) for _, c in best]
