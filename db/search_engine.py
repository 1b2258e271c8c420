"""The search index's engine: tantivy (BM25 with block-max WAND, so the top k comes back without
scoring every match). Everything tantivy-specific lives here: the schema, how text is split into
words, how a member's query becomes a tantivy query, and the marker document that records which
store change the index has seen.

One document per live post: ids as integer fields (the guild, channel, author and kind filter
inside the engine; the question's id comes back with each hit), the title (the starter post
carries its question's title) and the body as text, the question's tags as exact terms. Question
state that changes with every vote or answer (score, acceptance, status) is not here: the store
confirms and blends every hit by its question (db/search.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import tantivy

from bot.forum.search import SearchQuery

VERSION = 1  # bump when the schema or the tokenizer changes: an index of another version is rebuilt
TITLE_BOOST = 4.0  # a title match weighs 4x a body match, as FTS5's bm25(post_fts, 4.0, 1.0) did
MARKER_ID = 0  # the post_id of the marker document (no message has id 0)
TOKENIZER = "forum"
TEXT_FIELDS = ("title", "body")
THREAD_FLAGS = ("accepted", "open", "answered")  # the thread's, on each of its posts (is: filters)


@dataclass(frozen=True, slots=True)
class Marker:
    """What the index has seen: store changes up to `seq` of the store `store_id`, by this `version`."""

    seq: int
    store_id: str
    version: int = VERSION


@dataclass(frozen=True, slots=True)
class PostDoc:
    post_id: int
    question_id: int
    guild_id: int
    channel_id: int
    author_id: int
    is_question: bool
    title: str
    body: str
    tags: tuple[str, ...]
    accepted: bool
    open: bool
    answered: bool


def schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    builder.add_integer_field("post_id", stored=True, indexed=True, fast=True)
    builder.add_integer_field("question_id", fast=True)
    builder.add_integer_field("guild_id", indexed=True)
    builder.add_integer_field("channel_id", indexed=True)
    builder.add_integer_field("author_id", indexed=True)
    builder.add_integer_field("is_question", indexed=True)
    builder.add_text_field("title", tokenizer_name=TOKENIZER)
    builder.add_text_field("body", tokenizer_name=TOKENIZER)
    builder.add_text_field("tags", tokenizer_name="raw")
    for flag in THREAD_FLAGS:
        builder.add_integer_field(flag, indexed=True)
    builder.add_integer_field("seq", stored=True)  # the marker's
    builder.add_text_field("store_id", stored=True, tokenizer_name="raw")
    builder.add_integer_field("version", stored=True)
    return builder.build()


def _analyzer() -> tantivy.TextAnalyzer:
    """Words as FTS5's `unicode61 remove_diacritics 2` sees them, as closely as tantivy allows: runs of
    letters and digits, lower case, accents folded ("cafe" finds "café")."""
    return (
        tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
        .filter(tantivy.Filter.lowercase())
        .filter(tantivy.Filter.ascii_fold())
        .build()
    )


_ANALYZER = _analyzer()
_SCHEMA = schema()


def open_index(path: Path, *, create: bool = False) -> tantivy.Index:
    """The index in `path` (created there, empty, with `create`). Raises OSError or ValueError when
    it is missing or unreadable."""
    if not create and not tantivy.Index.exists(str(path)):
        raise FileNotFoundError(f"no search index in {path}")
    index = tantivy.Index(_SCHEMA, path=str(path), reuse=not create)
    index.register_tokenizer(TOKENIZER, _ANALYZER)
    return index


def document(doc: PostDoc) -> tantivy.Document:
    return tantivy.Document(
        post_id=doc.post_id, question_id=doc.question_id, guild_id=doc.guild_id, channel_id=doc.channel_id,
        author_id=doc.author_id, is_question=int(doc.is_question), title=doc.title, body=doc.body,
        tags=list(doc.tags), accepted=int(doc.accepted), open=int(doc.open), answered=int(doc.answered),
    )  # fmt: skip


def forget(writer: tantivy.IndexWriter, post_id: int) -> None:
    """Drop a post's document (an upsert is forget + add in the same commit)."""
    writer.delete_documents_by_term("post_id", post_id)


def mark(writer: tantivy.IndexWriter, marker: Marker) -> None:
    """Replace the marker document: committed with the posts, it says exactly what the index holds."""
    forget(writer, MARKER_ID)
    writer.add_document(tantivy.Document(post_id=MARKER_ID, guild_id=0, seq=marker.seq, store_id=marker.store_id,
                                         version=marker.version))  # fmt: skip


def read_marker(searcher: tantivy.Searcher) -> Marker | None:
    hits = searcher.search(tantivy.Query.term_query(_SCHEMA, "post_id", MARKER_ID), limit=1, count=False).hits
    if not hits:
        return None
    fields = searcher.doc(hits[0][1]).to_dict()
    return Marker(fields["seq"][0], fields["store_id"][0], fields["version"][0])


# ----- queries ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Scope:
    """Where a search looks: the guild, the channels the member may read (None: every channel), and
    the filters the engine applies itself."""

    guild_id: int
    channels: frozenset[int] | None
    author_id: int | None = None
    tags: tuple[str, ...] = ()
    questions_only: bool = False
    flags: tuple[tuple[str, bool], ...] = ()  # (one of THREAD_FLAGS, the value a post must have)


def search_query(searcher: tantivy.Searcher, query: SearchQuery, scope: Scope) -> tantivy.Query:
    """Every word and phrase in the title or the body (title boosted), none of the excluded ones."""
    clauses = [(tantivy.Occur.Must, _text(t)) for t in query.positive]
    clauses += [(tantivy.Occur.MustNot, _text(t)) for t in query.excluded]
    return tantivy.Query.boolean_query(clauses + _filters(searcher, scope))


def similar_query(
    searcher: tantivy.Searcher, terms: tuple[str, ...], scope: Scope, *, title_only: bool, every: bool
) -> tantivy.Query:
    """Questions sharing any (with `every`: all) of the terms, in their titles only with `title_only`."""
    occur = tantivy.Occur.Must if every else tantivy.Occur.Should
    clauses = [(occur, _text(t, fields=("title",) if title_only else TEXT_FIELDS)) for t in terms]
    matching = tantivy.Query.boolean_query(clauses)
    return tantivy.Query.boolean_query([(tantivy.Occur.Must, matching)] + _filters(searcher, scope))


def _text(text: str, fields: tuple[str, ...] = TEXT_FIELDS) -> tantivy.Query:
    """A word or phrase, as the index's own words, in any of the fields. Text that holds no word the
    index keeps (the parser lets punctuation-only phrases through as ignored, not here) matches
    nothing."""
    words = [token for token in _ANALYZER.analyze(text)]
    if not words:
        return tantivy.Query.empty_query()
    per_field = []
    for name in fields:
        if len(words) == 1:
            one = tantivy.Query.term_query(_SCHEMA, name, words[0])
        else:
            one = tantivy.Query.phrase_query(_SCHEMA, name, words)
        boosted = tantivy.Query.boost_query(one, TITLE_BOOST) if name == "title" else one
        per_field.append((tantivy.Occur.Should, boosted))
    return tantivy.Query.boolean_query(per_field)


def _filters(searcher: tantivy.Searcher, scope: Scope) -> list[tuple[tantivy.Occur, tantivy.Query]]:
    """Filters add nothing to the score (a constant of 0). A filter that every document passes still
    costs a walk of its postings beside the words' (at 1M posts it doubled a common word's search),
    so the guild and channel filters are left out when the index's own counts show they would keep
    everything: channels are a guild's own, so the channel filter is the guild filter too."""
    terms = []
    guild_docs = searcher.doc_freq("guild_id", scope.guild_id)
    if scope.channels is not None and sum(searcher.doc_freq("channel_id", c) for c in scope.channels) < guild_docs:
        terms.append(tantivy.Query.term_set_query(_SCHEMA, "channel_id", sorted(scope.channels)))
    elif guild_docs < searcher.doc_freq("is_question", 0) + searcher.doc_freq("is_question", 1):
        terms.append(tantivy.Query.term_query(_SCHEMA, "guild_id", scope.guild_id))
    if scope.author_id is not None:
        terms.append(tantivy.Query.term_query(_SCHEMA, "author_id", scope.author_id))
    if scope.questions_only:
        terms.append(tantivy.Query.term_query(_SCHEMA, "is_question", 1))
    terms += [tantivy.Query.term_query(_SCHEMA, "tags", tag) for tag in scope.tags]
    terms += [tantivy.Query.term_query(_SCHEMA, flag, int(value)) for flag, value in scope.flags]
    return [(tantivy.Occur.Must, tantivy.Query.const_score_query(t, 0.0)) for t in terms]


def top(searcher: tantivy.Searcher, query: tantivy.Query, limit: int, offset: int = 0) -> list[tuple[int, int, float]]:
    """(post id, question id, bm25) of the best matches, best first."""
    hits = searcher.search(query, limit=limit, offset=offset, count=False).hits
    if not hits:
        return []
    addresses = [address for _, address in hits]
    posts = searcher.fast_field_values("post_id", addresses)
    questions = searcher.fast_field_values("question_id", addresses)
    return [(post, question, score) for (score, _), post, question in zip(hits, posts, questions, strict=True)]
