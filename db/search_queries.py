"""SQL of search, tags and pending /ask drafts. Values are always bound as parameters, and every
statement is fixed text.

Searches rank with the search index (db/search_engine.py) and confirm its hits here. The store's own
FTS index (migration 0005) serves snippets, and searches while there is no search index: it has one
row per live post, the starter post's row also carrying the question's title; bm25 weighs a title
match 4x a body match.
"""

# Filters are bound parameters that switch a condition off (NULL or 0) or on, so every statement is
# fixed text (no SQL is put together at run time): `:tags` is a JSON array of tag names a question
# must all carry, each probed by the primary key of question_tags. `:channels` is the JSON array of
# channels the member may read (bot/forum/visibility.py); filtered here, a hidden question never
# takes one of the `:limit` places, so pages and counts are those of what the member can see.

# The fallback while there is no search index (db/search_index.py) bounds the candidates: the newest
# :limit matching posts (FTS5 walks a doclist in rowid order and stops; rowids are message ids, so
# newest first). bm25 is computed for those rows only, instead of for every match as ORDER BY rank
# would (DESIGN §3: 749 ms p99 for common terms at 1M posts).
# bm25's first call scans the whole doclist of every phrase to count the documents holding it (its
# IDF): for a word in most posts that alone takes longer than the whole search may. Such a word
# says almost nothing about relevance (its IDF is near zero), so it only filters: the candidates
# are found without bm25 (CANDIDATES with :ranked = 0: CASE never calls it), then ranked by bm25 over the
# informative terms alone, computed only for the candidate rows within the candidates' rowid range.
CANDIDATES = """
SELECT p.id, p.question_id, q.channel_id, CASE WHEN :ranked THEN bm25(post_fts, 4.0, 1.0) ELSE 0.0 END,
       q.score, q.accepted_answer_id IS NOT NULL
FROM post_fts
JOIN posts p ON p.id = post_fts.rowid
JOIN questions q ON q.id = p.question_id
WHERE post_fts MATCH :match AND p.guild_id = :guild AND q.deleted_at IS NULL
  AND (:channels IS NULL OR q.channel_id IN (SELECT value FROM json_each(:channels)))
  AND (:user IS NULL OR p.author_id = :user)
  AND (:accepted = 0 OR q.accepted_answer_id IS NOT NULL)
  AND (:unanswered = 0 OR NOT EXISTS (
      SELECT 1 FROM posts a WHERE a.question_id = q.id AND a.kind = 'answer' AND a.deleted_at IS NULL))
  AND (:open = 0 OR q.status = 'open')
  AND (:score_ge IS NULL OR q.score >= :score_ge) AND (:score_gt IS NULL OR q.score > :score_gt)
  AND (:score_le IS NULL OR q.score <= :score_le) AND (:score_lt IS NULL OR q.score < :score_lt)
  AND (:score_eq IS NULL OR q.score = :score_eq)
  AND NOT EXISTS (SELECT 1 FROM json_each(:tags) w WHERE NOT EXISTS (
      SELECT 1 FROM question_tags t WHERE t.guild_id = :guild AND t.tag = w.value AND t.question_id = q.id))
ORDER BY post_fts.rowid DESC LIMIT :limit
"""

# The questions of the search index's hits (:questions, a JSON array of ids) that the filters let
# through, with what the blend needs. A hit is confirmed by its question: a question deleted or
# hidden since it was indexed never shows; a post deleted in the moment before the index heard of it
# may still be ranked, but is not shown (LIVE_POSTS). CROSS JOIN keeps the ids the outer loop.
CONFIRMED = """
SELECT q.id, q.channel_id, q.score, q.accepted_answer_id IS NOT NULL
FROM json_each(:questions) h
CROSS JOIN questions q ON q.id = h.value
WHERE q.guild_id = :guild AND q.deleted_at IS NULL
  AND (:channels IS NULL OR q.channel_id IN (SELECT value FROM json_each(:channels)))
  AND (:accepted = 0 OR q.accepted_answer_id IS NOT NULL)
  AND (:unanswered = 0 OR NOT EXISTS (
      SELECT 1 FROM posts a WHERE a.question_id = q.id AND a.kind = 'answer' AND a.deleted_at IS NULL))
  AND (:open = 0 OR q.status = 'open')
  AND (:score_ge IS NULL OR q.score >= :score_ge) AND (:score_gt IS NULL OR q.score > :score_gt)
  AND (:score_le IS NULL OR q.score <= :score_le) AND (:score_lt IS NULL OR q.score < :score_lt)
  AND (:score_eq IS NULL OR q.score = :score_eq)
  AND NOT EXISTS (SELECT 1 FROM json_each(:tags) w WHERE NOT EXISTS (
      SELECT 1 FROM question_tags t WHERE t.guild_id = :guild AND t.tag = w.value AND t.question_id = q.id))
"""

# `+rowid` keeps the candidate list a filter on the walk over the range: as a constraint on the FTS
# table, each id would become a query of its own (with an IDF pass of its own). Only the candidates'
# rows come back (a range can hold tens of thousands of other matches), and bm25, a result column,
# is computed for them alone.
RELEVANCE_OF = """
SELECT rowid, bm25(post_fts, 4.0, 1.0)
FROM post_fts WHERE post_fts MATCH ?2 AND rowid BETWEEN ?3 AND ?4 AND +rowid IN (SELECT value FROM json_each(?1))
"""
# Is a term "very common"? Its PROBE_DEPTH-th newest match is among the newest posts (found by
# walking at most that many entries of its doclist, and that many posts of the table).
NTH_NEWEST_MATCH = "SELECT rowid FROM post_fts WHERE post_fts MATCH ? ORDER BY rowid DESC LIMIT 1 OFFSET ?"
NTH_NEWEST_POST = "SELECT id FROM posts ORDER BY id DESC LIMIT 1 OFFSET ?"

# Without words to match: questions newest first, stopping at :limit (a rare tag or member can
# make this walk many questions: see bench/RESULTS.md). `user:` means the member posted in the thread.
FILTERED = """
SELECT coalesce(q.starter_id, q.id), q.id, q.channel_id, 0.0, q.score, q.accepted_answer_id IS NOT NULL
FROM questions q
WHERE q.guild_id = :guild AND q.deleted_at IS NULL
  AND (:channels IS NULL OR q.channel_id IN (SELECT value FROM json_each(:channels)))
  AND (:user IS NULL OR q.id IN (
      SELECT question_id FROM posts WHERE guild_id = :guild AND author_id = :user AND deleted_at IS NULL))
  AND (:accepted = 0 OR q.accepted_answer_id IS NOT NULL)
  AND (:unanswered = 0 OR NOT EXISTS (
      SELECT 1 FROM posts a WHERE a.question_id = q.id AND a.kind = 'answer' AND a.deleted_at IS NULL))
  AND (:open = 0 OR q.status = 'open')
  AND (:score_ge IS NULL OR q.score >= :score_ge) AND (:score_gt IS NULL OR q.score > :score_gt)
  AND (:score_le IS NULL OR q.score <= :score_le) AND (:score_lt IS NULL OR q.score < :score_lt)
  AND (:score_eq IS NULL OR q.score = :score_eq)
  AND NOT EXISTS (SELECT 1 FROM json_each(:tags) w WHERE NOT EXISTS (
      SELECT 1 FROM question_tags t WHERE t.guild_id = :guild AND t.tag = w.value AND t.question_id = q.id))
ORDER BY q.created_at DESC, q.id DESC LIMIT :limit
"""

# What a result line shows, for one page of question ids.
RESULTS = """
SELECT q.id, q.title, q.score, q.accepted_answer_id IS NOT NULL AS accepted, q.created_at,
       (SELECT count(*) FROM posts a
        WHERE a.question_id = q.id AND a.kind = 'answer' AND a.deleted_at IS NULL) AS answers
FROM questions q WHERE q.id IN (SELECT value FROM json_each(?))
"""

# A short passage of the body around the matches, marked with private-use characters (U+E000/E001)
# that the renderer turns into bold after escaping the member's own markdown.
SNIPPETS = """
SELECT rowid, snippet(post_fts, 1, char(57344), char(57345), '…', 24)
FROM post_fts WHERE post_fts MATCH ? AND rowid IN (SELECT value FROM json_each(?))
"""
PLAIN_SNIPPETS = "SELECT id, substr(body, 1, 200) FROM posts WHERE id IN (SELECT value FROM json_each(?))"
LIVE_POSTS = "SELECT id FROM posts WHERE id IN (SELECT value FROM json_each(?)) AND deleted_at IS NULL"

# Similar questions: question posts only, bounded the same way; bodies come along for the overlap check.
SIMILAR = """
SELECT q.id, q.channel_id, q.title, p.body, bm25(post_fts, 4.0, 1.0), q.score, q.accepted_answer_id IS NOT NULL
FROM post_fts
JOIN posts p ON p.id = post_fts.rowid
JOIN questions q ON q.id = p.question_id
WHERE post_fts MATCH ?1 AND p.kind = 'question' AND p.guild_id = ?2 AND q.deleted_at IS NULL
  AND (?4 IS NULL OR q.channel_id IN (SELECT value FROM json_each(?4)))
ORDER BY post_fts.rowid DESC LIMIT ?3
"""
# The search index's similar questions (?1: their starter posts' ids), as the store has them now.
SIMILAR_CONFIRMED = """
SELECT p.id, q.id, q.channel_id, q.title, p.body, q.score, q.accepted_answer_id IS NOT NULL
FROM json_each(?1) h
CROSS JOIN posts p ON p.id = h.value
CROSS JOIN questions q ON q.id = p.question_id
WHERE p.kind = 'question' AND p.deleted_at IS NULL AND p.guild_id = ?2 AND q.deleted_at IS NULL
  AND (?3 IS NULL OR q.channel_id IN (SELECT value FROM json_each(?3)))
"""

# -- tags

SET_TAGS = "UPDATE questions SET tags = ?1, updated_at = max(updated_at, ?2) WHERE id = ?3 AND tags IS NOT ?1"
TAG_NAMES = "SELECT DISTINCT tag FROM question_tags WHERE guild_id = ? ORDER BY tag LIMIT 500"
# For `/top tag:`: members by the score of their live answers to the tag's live questions.
TAG_LEADERS = """
SELECT a.author_id, sum(a.score) AS score, count(*) AS answers
FROM question_tags t
JOIN questions q ON q.id = t.question_id AND q.deleted_at IS NULL
JOIN posts a ON a.question_id = t.question_id AND a.kind = 'answer' AND a.deleted_at IS NULL
WHERE t.guild_id = ? AND t.tag = ?
GROUP BY a.author_id ORDER BY score DESC, a.author_id LIMIT ?
"""

# -- pending /ask drafts

INSERT_PENDING = """
INSERT INTO pending_asks (id, guild_id, user_id, title, body, tags, created_at, expires_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?)
"""
DROP_EXPIRED = "DELETE FROM pending_asks WHERE expires_at < ?"
# Taking a draft deletes it in the same statement: two clicks on "Post anyway" cannot both post.
TAKE_PENDING = """
DELETE FROM pending_asks WHERE id = ? AND user_id = ?
RETURNING id, guild_id, user_id, title, body, tags, created_at, expires_at
"""
GET_PENDING = "SELECT id, guild_id, user_id, title, body, tags, created_at, expires_at FROM pending_asks WHERE id = ?"
