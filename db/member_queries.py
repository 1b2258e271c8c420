"""SQL of member statistics: /profile and the /top leaderboard. Values are always bound as parameters.

Everything here reads maintained counters (members.reputation, posts.score) through an index range,
never an aggregate over votes: members_by_reputation (0001) for the leaderboard and ranks,
posts_live_by_author (0004, partial: live posts only) for a member's posts. `deleted_at IS NULL`
must stay written exactly so in these statements: that is how SQLite knows the partial index applies.
"""

# A member's counts and stored reputation in one round trip. An accepted answer is a live answer of
# the member that its (live) question names as accepted; the member's answers come from the index
# and each question is a primary-key lookup.
MEMBER_COUNTS = """
SELECT
    (SELECT count(*) FROM posts
     WHERE guild_id = ?1 AND author_id = ?2 AND kind = 'question' AND deleted_at IS NULL) AS questions,
    (SELECT count(*) FROM posts
     WHERE guild_id = ?1 AND author_id = ?2 AND kind = 'answer' AND deleted_at IS NULL) AS answers,
    (SELECT count(*) FROM posts p JOIN questions q ON q.id = p.question_id
     WHERE p.guild_id = ?1 AND p.author_id = ?2 AND p.kind = 'answer' AND p.deleted_at IS NULL
       AND q.accepted_answer_id = p.id AND q.deleted_at IS NULL) AS accepted,
    (SELECT reputation FROM members WHERE guild_id = ?1 AND user_id = ?2) AS reputation
"""

# The member's best questions and answers: the top of each kind's index range (already in score
# order), merged. Two bounded ranges instead of `kind IN (...)`, which would sort every post of the
# member. Replies earn no reputation and are not "posts" a profile shows. Each range looks its
# questions up by id as it walks, so a post in a deleted question or in a channel the viewer may not
# read (?4: a JSON array of channel ids, NULL for every channel) never takes one of the places.
BEST_POSTS = """
SELECT b.id, b.question_id, b.kind, b.score, b.title, b.channel_id
FROM (
    SELECT * FROM (
        SELECT p.id, p.question_id, p.kind, p.score, q.title, q.channel_id
        FROM posts p JOIN questions q ON q.id = p.question_id
        WHERE p.guild_id = ?1 AND p.author_id = ?2 AND p.kind = 'question' AND p.deleted_at IS NULL
          AND q.deleted_at IS NULL AND (?4 IS NULL OR q.channel_id IN (SELECT value FROM json_each(?4)))
        ORDER BY p.score DESC LIMIT ?3)
    UNION ALL
    SELECT * FROM (
        SELECT p.id, p.question_id, p.kind, p.score, q.title, q.channel_id
        FROM posts p JOIN questions q ON q.id = p.question_id
        WHERE p.guild_id = ?1 AND p.author_id = ?2 AND p.kind = 'answer' AND p.deleted_at IS NULL
          AND q.deleted_at IS NULL AND (?4 IS NULL OR q.channel_id IN (SELECT value FROM json_each(?4)))
        ORDER BY p.score DESC LIMIT ?3)
) AS b
ORDER BY b.score DESC, b.id
LIMIT ?3
"""

# One page of the leaderboard, in the index's own order (ties by user id, so pages never overlap).
# No count of all members for "page x of y": that walks the whole guild's index (16 ms at 100k
# members); the caller asks for one row more than a page to know whether there is a next one.
LEADERBOARD = """
SELECT user_id, reputation FROM members WHERE guild_id = ?
ORDER BY reputation DESC, user_id LIMIT ? OFFSET ?
"""
# Rank is 1 + this count (members tied share a rank): a range of the index, as long as the rank.
MEMBERS_ABOVE = "SELECT count(*) FROM members WHERE guild_id = ? AND reputation > ?"
MEMBER_REPUTATION = "SELECT reputation FROM members WHERE guild_id = ? AND user_id = ?"
