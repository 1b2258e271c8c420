"""SQL of catch-up. Values are always bound as parameters."""

# Standing votes on a thread's live posts: which posts "had" vote reactions when the bot last saw
# them (posts_by_question, then the votes primary key by post).
STANDING_VOTES_OF_QUESTION = """
SELECT v.post_id, v.voter_id, v.value
FROM posts p JOIN votes v ON v.post_id = p.id
WHERE p.question_id = ? AND p.deleted_at IS NULL AND v.value != 0
"""

# Votes cast by /vote on a thread's live posts, cleared ones too: no reaction stands behind them.
COMMAND_VOTES_OF_QUESTION = """
SELECT v.post_id, v.voter_id
FROM posts p JOIN votes v ON v.post_id = p.id
WHERE p.question_id = ? AND p.deleted_at IS NULL AND v.via = 'command'
"""

# Live questions of a watched channel with any activity since an id (a snowflake, so a time): the
# thread itself, or a post in it. A complete listing of the channel's threads back to that time must
# show each of them, unless its thread was deleted. Two primary-key ranges: only recent rows are read.
QUESTIONS_ACTIVE_SINCE = """
SELECT id FROM questions
WHERE id >= ?3 AND guild_id = ?1 AND channel_id = ?2 AND deleted_at IS NULL
UNION
SELECT q.id FROM posts p JOIN questions q ON q.id = p.question_id
WHERE p.id >= ?3 AND q.guild_id = ?1 AND q.channel_id = ?2 AND q.deleted_at IS NULL
"""
