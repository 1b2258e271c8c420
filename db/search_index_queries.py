"""SQL the search index reads (db/search_indexer.py): the journal of changes, and the posts as the
index documents them."""

STORE_ID = "SELECT store_id FROM search_store WHERE id = 1"
# The journal's ends: the newest change, and the oldest one still kept (see migration 0012).
JOURNAL_ENDS = "SELECT coalesce(max(seq), 0), coalesce(min(seq), 0) FROM search_changes"
NEWEST_CHANGE = "SELECT coalesce(max(seq), 0) FROM search_changes"
CHANGES_AFTER = "SELECT seq, post_id FROM search_changes WHERE seq > ? ORDER BY seq LIMIT ?"

# Posts as the index holds them; a post DOCS_OF does not return (deleted, removed, its question
# deleted) leaves the index. Columns in the order of search_engine.PostDoc.
ALL_DOCS = """
SELECT p.id, p.question_id, p.guild_id, q.channel_id, p.author_id, p.kind = 'question',
       CASE WHEN p.kind = 'question' THEN q.title ELSE '' END, p.body, q.tags,
       q.accepted_answer_id IS NOT NULL, q.status = 'open',
       EXISTS (SELECT 1 FROM posts a WHERE a.question_id = q.id AND a.kind = 'answer' AND a.deleted_at IS NULL)
FROM posts p JOIN questions q ON q.id = p.question_id
WHERE p.deleted_at IS NULL AND q.deleted_at IS NULL
"""
DOCS_OF = """
SELECT p.id, p.question_id, p.guild_id, q.channel_id, p.author_id, p.kind = 'question',
       CASE WHEN p.kind = 'question' THEN q.title ELSE '' END, p.body, q.tags,
       q.accepted_answer_id IS NOT NULL, q.status = 'open',
       EXISTS (SELECT 1 FROM posts a WHERE a.question_id = q.id AND a.kind = 'answer' AND a.deleted_at IS NULL)
FROM json_each(?) h
CROSS JOIN posts p ON p.id = h.value
CROSS JOIN questions q ON q.id = p.question_id
WHERE p.deleted_at IS NULL AND q.deleted_at IS NULL
"""
LIVE_POSTS = "SELECT count(*) FROM posts WHERE deleted_at IS NULL"
