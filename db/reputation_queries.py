"""SQL of reputation under the running floor (bot/forum/voting.py). Every query that replays
contributions orders them by the same key: (at, source, first id, second id), votes being source 0
(post id, voter id) and acceptances source 1 (question id, 0)."""

# A contribution newer than everything the member has: one floored step. Changes nothing (rowcount 0)
# when the member already has a contribution this late: the caller then replays the member.
APPEND = """
INSERT INTO members (guild_id, user_id, reputation, rep_at) VALUES (?1, ?2, max(1, 1 + ?3), ?4)
ON CONFLICT (guild_id, user_id) DO UPDATE SET reputation = max(1, reputation + ?3), rep_at = ?4
WHERE rep_at < ?4
"""
SET_REPLAYED = "UPDATE members SET reputation = ?3, rep_at = max(rep_at, ?4) WHERE guild_id = ?1 AND user_id = ?2"

# Every contribution of one member, oldest first: votes on their live posts, their downvotes on live
# answers, acceptances of their live answers, and their acceptances of others' answers on their
# questions. Each part reads an index of the member (posts_by_author, votes_by_voter,
# questions_by_accepted_answer, questions_by_asker). Columns: at, source, first id, second id, post
# kind, vote value, post author, voter or accepter, asker.
MEMBER_CONTRIBUTIONS = """
SELECT v.at, 0, v.post_id, v.voter_id, p.kind, v.value, p.author_id, v.voter_id, NULL
FROM posts p JOIN votes v ON v.post_id = p.id JOIN questions q ON q.id = p.question_id
WHERE p.guild_id = ?1 AND p.author_id = ?2 AND p.kind != 'reply' AND p.deleted_at IS NULL
  AND q.deleted_at IS NULL AND v.value != 0
UNION ALL
SELECT v.at, 0, v.post_id, v.voter_id, p.kind, v.value, p.author_id, v.voter_id, NULL
FROM votes v JOIN posts p ON p.id = v.post_id JOIN questions q ON q.id = p.question_id
WHERE v.guild_id = ?1 AND v.voter_id = ?2 AND v.value = -1 AND p.kind = 'answer' AND p.deleted_at IS NULL
  AND q.deleted_at IS NULL
UNION ALL
SELECT coalesce(q.accepted_at, 0), 1, q.id, 0, p.kind, 0, p.author_id, q.accepted_by, q.author_id
FROM posts p JOIN questions q ON q.accepted_answer_id = p.id
WHERE p.guild_id = ?1 AND p.author_id = ?2 AND p.deleted_at IS NULL AND q.deleted_at IS NULL
UNION ALL
SELECT coalesce(q.accepted_at, 0), 1, q.id, 0, p.kind, 0, p.author_id, q.accepted_by, q.author_id
FROM questions q JOIN posts p ON p.id = q.accepted_answer_id
WHERE q.guild_id = ?1 AND q.author_id = ?2 AND q.accepted_answer_id IS NOT NULL AND q.accepted_by = ?2
  AND p.author_id != ?2 AND p.deleted_at IS NULL AND q.deleted_at IS NULL
ORDER BY 1, 2, 3, 4
"""

# -- recount: every member's contributions, as two streams in the replay order (merged in Python)

_ORDERED_VOTES = """
SELECT v.at, 0, v.post_id, v.voter_id, p.kind, v.value, p.author_id, p.guild_id
FROM votes v JOIN posts p ON p.id = v.post_id JOIN questions q ON q.id = p.question_id
WHERE v.value != 0 AND p.kind != 'reply' AND p.deleted_at IS NULL AND q.deleted_at IS NULL {}
ORDER BY v.at, v.post_id, v.voter_id
"""
_ORDERED_ACCEPTANCES = """
SELECT coalesce(q.accepted_at, 0), 1, q.id, 0, q.guild_id, p.author_id, q.accepted_by, q.author_id
FROM questions q JOIN posts p ON p.id = q.accepted_answer_id
WHERE q.deleted_at IS NULL AND p.deleted_at IS NULL {}
ORDER BY 1, q.id
"""
ORDERED_VOTES = _ORDERED_VOTES.format("")
ORDERED_ACCEPTANCES = _ORDERED_ACCEPTANCES.format("")
# The same, for one guild (?1): what `quorum import` recounts after loading a guild.
# Reached through the guild's questions and their posts: through votes_by_voter it took 4.7 times as
# long (two random reads per vote, at 100k posts).
GUILD_ORDERED_VOTES = """
SELECT v.at, 0, v.post_id, v.voter_id, p.kind, v.value, p.author_id, p.guild_id
FROM questions q CROSS JOIN posts p ON p.question_id = q.id CROSS JOIN votes v ON v.post_id = p.id
WHERE q.guild_id = ?1 AND v.value != 0 AND p.kind != 'reply' AND p.deleted_at IS NULL AND q.deleted_at IS NULL
ORDER BY v.at, v.post_id, v.voter_id
"""
GUILD_ORDERED_ACCEPTANCES = _ORDERED_ACCEPTANCES.format("AND q.guild_id = ?1")
# Repairs a member's reputation (and makes rep_at cover everything the recount replayed).
FIX_REPUTATION = """
INSERT INTO members (guild_id, user_id, reputation, rep_at) VALUES (?1, ?2, ?3, ?4)
ON CONFLICT (guild_id, user_id) DO UPDATE SET reputation = ?3, rep_at = max(rep_at, ?4)
"""
