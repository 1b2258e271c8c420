"""SQL of votes, scores and reputation. Values are always bound as parameters."""

# What a vote needs to know about its post, in one read.
VOTE_TARGET = """
SELECT p.kind, p.author_id, p.guild_id, p.question_id, p.deleted_at, q.deleted_at AS question_deleted_at
FROM posts p JOIN questions q ON q.id = p.question_id WHERE p.id = ?
"""
GET_VOTE = "SELECT value, at, via FROM votes WHERE post_id = ? AND voter_id = ?"
UPSERT_VOTE = """
INSERT INTO votes (post_id, voter_id, guild_id, value, at, via) VALUES (?, ?, ?, ?, ?, ?)
ON CONFLICT (post_id, voter_id) DO UPDATE SET value = excluded.value, at = excluded.at, via = excluded.via
"""
SET_VOTE_VIA = "UPDATE votes SET via = ?, at = ? WHERE post_id = ? AND voter_id = ?"
# The daily cap counts votes standing now that were cast since the start of the day.
VOTES_CAST_SINCE = "SELECT count(*) FROM votes WHERE guild_id = ? AND voter_id = ? AND at >= ? AND value != 0"

ADD_POST_SCORE = "UPDATE posts SET score = score + ? WHERE id = ?"
ADD_QUESTION_SCORE = "UPDATE questions SET score = score + ? WHERE id = ? AND starter_id = ?"
# Every member who posted is a member of the forum, with the starting reputation.
ENSURE_MEMBER = "INSERT INTO members (guild_id, user_id) VALUES (?, ?) ON CONFLICT (guild_id, user_id) DO NOTHING"

# Votes standing on a post (a deleted post's votes stop counting: their effects are taken back).
POST_VOTES = "SELECT voter_id, value FROM votes WHERE post_id = ? AND value != 0"

# -- recount: rebuild every counter from the votes and compare

# Scores count every standing vote, a deleted post's too (reputation is replayed: reputation_queries).
ALL_STANDING_VOTES = "SELECT post_id, value FROM votes WHERE value != 0"
ALL_POST_SCORES = "SELECT id, score FROM posts"
ALL_QUESTION_SCORES = "SELECT id, score, starter_id FROM questions"
ALL_REPUTATIONS = "SELECT guild_id, user_id, reputation FROM members"
SET_POST_SCORE = "UPDATE posts SET score = ? WHERE id = ?"
SET_QUESTION_SCORE = "UPDATE questions SET score = ? WHERE id = ?"

# -- acceptance

GET_ACCEPTANCE = "SELECT guild_id, accepted_answer_id, accepted_by, author_id, deleted_at FROM questions WHERE id = ?"
SET_ACCEPTANCE = """
UPDATE questions SET accepted_answer_id = ?1, accepted_by = ?2, accepted_at = iif(?1 IS NULL, NULL, ?3), updated_at = ?3
WHERE id = ?4
"""
QUESTION_ACCEPTING = "SELECT id FROM questions WHERE accepted_answer_id = ?"
ANSWER_AUTHOR = "SELECT author_id, deleted_at FROM posts WHERE id = ?"

# -- reactions the bot still has to take off after a switch (migration 0006)

OWE_UNREACTION = "INSERT OR REPLACE INTO owed_unreactions (post_id, voter_id, value) VALUES (?, ?, ?)"
SETTLE_UNREACTION = "DELETE FROM owed_unreactions WHERE post_id = ? AND voter_id = ?"
SETTLE_UNREACTION_OF = "DELETE FROM owed_unreactions WHERE post_id = ? AND voter_id = ? AND value = ?"
OWED_UNREACTION = "SELECT value FROM owed_unreactions WHERE post_id = ? AND voter_id = ?"
OWED_OF_QUESTION = """
SELECT o.post_id, o.voter_id, o.value
FROM posts p JOIN owed_unreactions o ON o.post_id = p.id
WHERE p.question_id = ?
"""
