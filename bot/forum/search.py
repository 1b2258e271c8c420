"""What a member typed into /search, parsed into plain terms and filters, and how results rank.
Pure functions: the store turns a SearchQuery into SQL and an FTS expression of its own making, so
nothing typed here ever reaches SQLite as syntax.

Query language: bare words (all must match), "quoted phrases", -word (must not match), and the
operators tag:name (or tag:"two words"), user:<mention or id>, is:accepted, is:unanswered, is:open,
score:>=N (also >, <=, <, = and a bare N meaning >=).
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime

from .errors import BadInput
from .ids import parse_snowflake

MAX_QUERY = 200
MAX_TERMS = 12  # words as the index counts them: each is one more doclist to walk (see index_tokens)
OPERATORS = ("tag", "user", "is", "score")
IS_VALUES = ("accepted", "unanswered", "open")
HELP = (
    'Search with words, "quoted phrases", -word to leave one out, and tag:name, user:@member, '
    "is:accepted, is:unanswered, is:open, score:>=N."
)

_OPERATOR = re.compile(r"([A-Za-z]+):(.*)", re.DOTALL)
_USER = re.compile(r"<@!?(\d+)>|(\d+)")
_SCORE = re.compile(r"(>=|<=|>|<|=)?(-?\d{1,6})")


@dataclass(frozen=True, slots=True)
class SearchQuery:
    words: tuple[str, ...] = ()
    phrases: tuple[str, ...] = ()
    excluded: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    user_id: int | None = None
    accepted: bool = False
    unanswered: bool = False
    open: bool = False
    score: tuple[str, int] | None = None  # (comparison, value) on the question's score
    ignored: tuple[str, ...] = ()  # fragments with nothing searchable in them, e.g. "(" or "*"

    @property
    def has_text(self) -> bool:
        return bool(self.words or self.phrases)

    @property
    def positive(self) -> tuple[str, ...]:
        return self.words + self.phrases


class TooBroad(BadInput):
    """The search did not finish within its time budget (the store stops it)."""


TOO_BROAD = (
    "This search is too broad to answer quickly: add words, or narrow it with `tag:`, `user:` or `is:`. "
    "Long phrases of very common words are the slowest."
)


def parse_query(text: str) -> SearchQuery:
    """Parse a query or raise BadInput saying exactly what is wrong with it."""
    text = clean_query(text)
    if len(text) > MAX_QUERY:
        raise BadInput(f"Searches are at most {MAX_QUERY} characters; yours has {len(text)}.")
    parts: dict[str, list] = {k: [] for k in ("words", "phrases", "excluded", "tags", "ignored")}
    flags: dict[str, object] = {}
    for token, quoted in _tokens(text):
        if quoted:
            (parts["phrases"] if searchable(token) else parts["ignored"]).append(token)
            continue
        match = _OPERATOR.fullmatch(token)
        if match and not match.group(1).isdigit():
            _operator(match.group(1).casefold(), _unquote(match.group(2)), parts, flags)
        elif token.startswith("-") and searchable(token[1:]):
            parts["excluded"].append(token[1:])
        elif searchable(token):
            parts["words"].append(token)
        else:
            parts["ignored"].append(token)
    query = SearchQuery(
        words=tuple(dict.fromkeys(parts["words"])),
        phrases=tuple(dict.fromkeys(parts["phrases"])),
        excluded=tuple(dict.fromkeys(parts["excluded"])),
        tags=tuple(dict.fromkeys(parts["tags"])),
        ignored=tuple(parts["ignored"]),
        **flags,  # type: ignore[arg-type]
    )
    _check_size(query)
    if query.excluded and not query.has_text:
        raise BadInput("Say what to search for, not only what to leave out (-word).")
    if not query.has_text and query == SearchQuery(ignored=query.ignored):
        shown = f" (`{' '.join(query.ignored)[:50]}` has no letters or digits)" if query.ignored else ""
        raise BadInput(f"There is nothing to search for{shown}. {HELP}")
    return query


def clean_query(text: str) -> str:
    """The query with control and format characters (NUL, line breaks, bidi overrides, zero-width
    marks) turned into spaces: the index only ever splits on them, and Discord shows them badly."""
    text = unicodedata.normalize("NFC", text)  # "e" + U+0301 is one word, as "é" is (diacritics fold)
    return "".join(" " if unicodedata.category(ch) in _INVISIBLE else ch for ch in text).strip()


_INVISIBLE = ("Cc", "Cf", "Zl", "Zp", "Cs")


def index_tokens(text: str) -> list[str]:
    """The words the search index surely sees in `text`: runs of letters, digits and private-use
    characters, as FTS5's unicode61 tokenizer (db/migrations/0005_search.sql) keeps them; anything
    else separates, so `a.b-c_d` is four words."""
    return _INDEX_WORD.findall(text)


def index_word_count(text: str) -> int:
    """How many words the index may see in `text`, never fewer than it does. SQLite's Unicode tables
    are older than Python's: a character assigned since (a newer emoji, a bidi isolate) or a mark
    may be part of a word there, so each such character counts as one more word here."""
    count = len(_INDEX_WORD.findall(text))
    if not text.isascii():
        count += sum(1 for ch in text if not ch.isascii() and _uncertain(ch))
    return count


# Letters and digits (what str.isalnum() accepts: Unicode L* and N*) and private use (Co), as
# unicode61's default categories "L* N* Co"; a few vowel signs (Mc in SQLite's tables) excepted.
_INDEX_WORD = re.compile(r"(?:[^\W_\u19b0-\u19c9\u1cf2\u1cf3]|[\ue000-\uf8ff\U000f0000-\U0010fffd])+")


def _uncertain(ch: str) -> bool:
    """Neither surely in a word (_INDEX_WORD) nor surely a separator to SQLite: a separator it knows is
    punctuation, a symbol or a space both today and in Unicode 3.2 (whose table Python keeps)."""
    if _INDEX_WORD.fullmatch(ch):
        return False
    then = unicodedata.ucd_3_2_0.category(ch)
    return unicodedata.category(ch)[0] in "MC" or then == "Cn" or then[0] in "LNMC"


def _check_size(query: SearchQuery) -> None:
    """Every word the index sees costs a doclist walk: count them as it does, not by spaces."""
    terms = query.positive + query.excluded
    counted = sum(index_word_count(t) for t in terms)
    if counted > MAX_TERMS:
        longest = max(terms, key=index_word_count)
        parts = index_word_count(longest)
        shown = longest[:30].replace("`", "'")
        split = f" (`{shown}` alone counts as {parts}: words split at . - _ ' and other marks)" if parts > 1 else ""
        raise BadInput(f"Too many words: use at most {MAX_TERMS} in one search; yours has {counted}{split}.")


def searchable(text: str) -> bool:
    """Whether the index could match anything in it: it only keeps letters and digits."""
    return any(ch.isalnum() for ch in text)


def _tokens(text: str):
    """(token, quoted) pairs. A quote opens a phrase anywhere; `op:"a b"` keeps its quoted value."""
    i, n = 0, len(text)
    while i < n:
        if text[i].isspace():
            i += 1
            continue
        if text[i] == '"':
            end = text.find('"', i + 1)
            if end < 0:
                raise BadInput(f"A quote is never closed: `{text[i : i + 40]}`. Close it, or leave the quote out.")
            yield text[i + 1 : end], True
            i = end + 1
            continue
        j = i
        while j < n and not text[j].isspace() and text[j] != '"':
            j += 1
        if j < n and text[j] == '"' and _OPERATOR.fullmatch(text[i:j]) and text[j - 1] == ":":
            end = text.find('"', j + 1)
            if end < 0:
                raise BadInput(f"A quote is never closed: `{text[i : i + 40]}`. Close it, or leave the quote out.")
            j = end + 1
        yield text[i:j], False
        i = j


def _unquote(value: str) -> str:
    return value[1:-1] if len(value) >= 2 and value[0] == value[-1] == '"' else value


def _operator(name: str, value: str, parts: dict[str, list], flags: dict[str, object]) -> None:
    value = value.strip()
    if name not in OPERATORS:
        known = ", ".join(f"{op}:" for op in OPERATORS)
        raise BadInput(
            f"`{name[:20]}:` is not a search operator (there are {known}). To search for the text itself, "
            f'put it in quotes: "{name[:20]}:{value[:20]}".'
        )
    if not value:
        raise BadInput(f"`{name}:` needs a value right after the colon, like {_EXAMPLE[name]}.")
    if name == "tag":
        parts["tags"].append(value)
    elif name == "user":
        match = _USER.fullmatch(value)
        if match is None:
            raise BadInput(f"`user:` takes a mention or a member id, like {_EXAMPLE['user']}; not `{value[:30]}`.")
        flags["user_id"] = parse_snowflake(match.group(1) or match.group(2), what="a member id")
    elif name == "is":
        if value.casefold() not in IS_VALUES:
            raise BadInput(f"`is:{value[:20]}` is not a filter: use is:accepted, is:unanswered or is:open.")
        flags[value.casefold()] = True
    else:
        match = _SCORE.fullmatch(value)
        if match is None:
            raise BadInput(f"`score:` takes a number with an optional comparison, like score:>=3; not `{value[:20]}`.")
        flags["score"] = (match.group(1) or ">=", int(match.group(2)))


_EXAMPLE = {"tag": "tag:python", "user": "user:@member", "is": "is:accepted", "score": "score:>=3"}


# ----- ranking --------------------------------------------------------------------------------

SCORE_WEIGHT = 0.25  # a question at score +10 ranks as if ~1.6x as relevant; +100 ~2.2x
ACCEPTED_BOOST = 1.3


@dataclass(frozen=True, slots=True)
class Candidate:
    """A post that matched, with what ranking needs. `relevance` is -bm25: higher is better."""

    post_id: int
    question_id: int
    channel_id: int
    relevance: float
    score: int
    accepted: bool


@dataclass(frozen=True, slots=True)
class Candidates:
    """What a search's candidate walk found, in the store's order. `by_relevance`: the most relevant
    matches (the search index's ranking); otherwise the newest ones. `complete` is False when more
    matches were left unread: beyond the most relevant ones read, or, among the newest, when the
    store's work bound stopped the walk before it had `limit` candidates (matches the member may not
    see, or that a filter leaves out, took it that far)."""

    found: list[Candidate]
    complete: bool = True
    by_relevance: bool = False


@dataclass(frozen=True, slots=True)
class Hit:
    question_id: int
    post_id: int  # the best-matching post: its snippet is shown and the link jumps to it
    channel_id: int
    rank: float


def blended(relevance: float, score: int, accepted: bool) -> float:
    """bm25 relevance scaled by the question's votes (logarithmically, so a popular question cannot
    bury a far better match) and by having an accepted answer."""
    votes = 1 + SCORE_WEIGHT * math.log1p(abs(score))
    factor = votes if score >= 0 else 1 / votes
    return relevance * factor * (ACCEPTED_BOOST if accepted else 1.0)


def rank(candidates: list[Candidate]) -> list[Hit]:
    """One hit per question, its best post (of equally good ones, the oldest), best first (ties:
    newer questions first)."""
    best: dict[int, Hit] = {}
    for c in candidates:
        hit = Hit(c.question_id, c.post_id, c.channel_id, blended(c.relevance, c.score, c.accepted))
        current = best.get(c.question_id)
        if current is None or (hit.rank, -hit.post_id) > (current.rank, -current.post_id):
            best[c.question_id] = hit
    return sorted(best.values(), key=lambda h: (-h.rank, -h.question_id))


# ----- results ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SearchResult:
    question_id: int
    post_id: int
    channel_id: int
    title: str
    score: int
    accepted: bool
    answers: int
    created_at: datetime
    snippet: str = ""  # matches are wrapped in HIGHLIGHT marks


HIGHLIGHT = ("\ue000", "\ue001")  # private-use characters: cannot occur in what members typed


@dataclass(frozen=True, slots=True)
class SearchPage:
    query: SearchQuery
    results: list[SearchResult]
    page: int
    pages: int
    total: int
    capped: bool  # more matched than were ranked (`total` counts what was)
    notes: list[str] = field(default_factory=list)
    newest_only: bool = False  # capped, and what was ranked are the newest matches, not the most relevant
