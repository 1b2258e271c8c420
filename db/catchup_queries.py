"""SQL of catch-up. Values are always bound as parameters."""

# Standing votes on a thread's live posts: which posts "had" vote reactions when the bot last saw
# them (posts_by_question, then the votes primary key by post).
STANDING_VOTES_OF_QUESTION = """
SELECT v.post_id, v.voter_id, v.value
FROM posts p JOIN votes v ON v.post_id = p.id
WHERE p.question_id = ? AND p.deleted_at IS NULL AND v.value != 0
"""
