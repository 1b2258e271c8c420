"""The statements of `quorum export` (db/export_reader.py). Every list is read in pages in a fixed
order, each page continuing after the last key of the one before (keyset pagination), so an export
reads each row once, whatever the forum's size, and two exports of one store read the same order."""

# Every guild the store holds anything of.
GUILD_IDS = """
SELECT guild_id FROM guild_settings
UNION SELECT guild_id FROM questions
UNION SELECT guild_id FROM members
UNION SELECT guild_id FROM audit_log
ORDER BY guild_id
"""

POSTS_IN = "SELECT count(*) FROM posts WHERE guild_id = ?"

SETTINGS = """
SELECT forum_channel_id, moderator_role_id, upvote_emoji, downvote_emoji, daily_vote_cap, updated_at,
       idle_nudge_hours, archive_after_accept_hours
FROM guild_settings WHERE guild_id = ?
"""

WEB_GUILD = "SELECT name, updated_at FROM web_guilds WHERE guild_id = ?"

WEB_CHANNELS = """
SELECT channel_id, everyone_can_read, published, published_by, published_at, updated_at
FROM web_channels WHERE guild_id = ? ORDER BY channel_id
"""

# Live and deleted questions are two lists, each oldest first (questions_by_guild).
_QUESTIONS = """
SELECT id, channel_id, title, author_id, starter_id, status, accepted_answer_id, tags, score, created_at,
       deleted_at, accepted_by, duplicate_of, thread_type, accepted_at, updated_at
FROM questions WHERE guild_id = ?1 AND (created_at, id) > (?2, ?3) AND deleted_at IS {} NULL
ORDER BY created_at, id LIMIT ?4
"""
LIVE_QUESTIONS = _QUESTIONS.format("")
DELETED_QUESTIONS = _QUESTIONS.format("NOT")

# The page's posts, votes and revisions, for the question ids of one page (bound as a JSON array).
POSTS_OF = """
SELECT id, question_id, kind, parent_id, reply_to_id, author_id, body, attachments, score, created_at,
       edited_at, deleted_at
FROM posts WHERE question_id IN (SELECT value FROM json_each(?1)) ORDER BY question_id, created_at, id
"""
VOTES_OF = """
SELECT p.question_id, v.post_id, v.voter_id, v.value, v.at, v.via
FROM posts p JOIN votes v ON v.post_id = p.id
WHERE p.question_id IN (SELECT value FROM json_each(?1)) ORDER BY v.post_id, v.voter_id
"""
BODY_REVISIONS_OF = """
SELECT p.question_id, r.post_id, r.field, r.number, r.text, r.editor_id, r.at
FROM posts p JOIN revisions r ON r.post_id = p.id AND r.field = 'body'
WHERE p.question_id IN (SELECT value FROM json_each(?1)) ORDER BY r.post_id, r.number
"""
TITLE_REVISIONS_OF = """
SELECT post_id AS question_id, post_id, field, number, text, editor_id, at
FROM revisions WHERE field = 'title' AND post_id IN (SELECT value FROM json_each(?1)) ORDER BY post_id, number
"""

MEMBERS = """
SELECT user_id, reputation FROM members WHERE guild_id = ?1 AND user_id > ?2 ORDER BY user_id LIMIT ?3
"""

NAMES = """
SELECT kind, id, name, updated_at FROM names
WHERE guild_id = ?1 AND (kind, id) > (?2, ?3) ORDER BY kind, id LIMIT ?4
"""

WEB_PRIVACY = """
SELECT user_id, hidden, at FROM web_privacy WHERE guild_id = ?1 AND user_id > ?2 ORDER BY user_id LIMIT ?3
"""

AUDIT = """
SELECT id, actor_id, action, target_id, reason, at FROM audit_log
WHERE guild_id = ?1 AND id > ?2 ORDER BY id LIMIT ?3
"""
