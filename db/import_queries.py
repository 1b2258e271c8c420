"""The statements of `quorum import` (db/import_writes.py). Every upsert writes the file's row only when
it is newer than the stored one (docs/export.md, "Importing"): an older file never overwrites a newer
live state, and the same file twice changes nothing. Triggers on questions and posts keep the search
journal, the FTS index, question_tags, changed_at and the web's counts, as for every other write."""

QUESTION_STATE = "SELECT guild_id, updated_at FROM questions WHERE id = ?"

INSERT_QUESTION = """
INSERT INTO questions (id, guild_id, channel_id, title, author_id, starter_id, status, accepted_answer_id,
                       duplicate_of, tags, created_at, updated_at, deleted_at, accepted_by, accepted_at,
                       thread_type, score)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)
"""

UPDATE_QUESTION = """
UPDATE questions SET channel_id = ?3, title = ?4, author_id = ?5, starter_id = ?6, status = ?7,
    accepted_answer_id = ?8, duplicate_of = ?9, tags = ?10, created_at = ?11, updated_at = ?12,
    deleted_at = ?13, accepted_by = ?14, accepted_at = ?15, thread_type = ?16
WHERE id = ?1 AND guild_id = ?2 AND updated_at < ?12
"""

POST_STATE = "SELECT question_id, created_at, edited_at, deleted_at FROM posts WHERE id = ?"

INSERT_POST = """
INSERT INTO posts (id, question_id, guild_id, kind, parent_id, reply_to_id, author_id, body, attachments,
                   created_at, edited_at, deleted_at, score)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)
"""

# Only what changes in a post's life: its text (an edit), its place, its deletion.
UPDATE_POST = """
UPDATE posts SET kind = ?4, parent_id = ?5, reply_to_id = ?6, body = ?8, attachments = ?9, edited_at = ?11,
    deleted_at = ?12
WHERE id = ?1
"""

INSERT_VOTE = "INSERT INTO votes (post_id, voter_id, guild_id, value, at, via) VALUES (?, ?, ?, ?, ?, ?)"

# The time of a member's latest vote event on a post decides (a withdrawn vote keeps its time too).
UPSERT_VOTE = """
INSERT INTO votes (post_id, voter_id, guild_id, value, at, via) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
ON CONFLICT (post_id, voter_id) DO UPDATE SET value = excluded.value, at = excluded.at, via = excluded.via
WHERE excluded.at > votes.at
"""

# Revisions never change once written: a number the store has keeps its text.
INSERT_REVISION = """
INSERT OR IGNORE INTO revisions (post_id, field, number, text, editor_id, at) VALUES (?, ?, ?, ?, ?, ?)
"""

RESCORE_POST = "UPDATE posts SET score = (SELECT coalesce(sum(value), 0) FROM votes WHERE post_id = ?1) WHERE id = ?1"

# A question's score is its starter's (what recount expects), for every question of the guild.
RESCORE_QUESTIONS = """
UPDATE questions SET score = coalesce((SELECT score FROM posts WHERE id = questions.starter_id), 0)
WHERE guild_id = ?1 AND score IS NOT coalesce((SELECT score FROM posts WHERE id = questions.starter_id), 0)
"""

UPSERT_SETTINGS = """
INSERT INTO guild_settings (guild_id, forum_channel_id, moderator_role_id, upvote_emoji, downvote_emoji,
                            daily_vote_cap, updated_at, idle_nudge_hours, archive_after_accept_hours)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (guild_id) DO UPDATE SET forum_channel_id = excluded.forum_channel_id,
    moderator_role_id = excluded.moderator_role_id, upvote_emoji = excluded.upvote_emoji,
    downvote_emoji = excluded.downvote_emoji, daily_vote_cap = excluded.daily_vote_cap,
    updated_at = excluded.updated_at, idle_nudge_hours = excluded.idle_nudge_hours,
    archive_after_accept_hours = excluded.archive_after_accept_hours
WHERE excluded.updated_at > guild_settings.updated_at
"""

UPSERT_WEB_GUILD = """
INSERT INTO web_guilds (guild_id, name, updated_at) VALUES (?, ?, ?)
ON CONFLICT (guild_id) DO UPDATE SET name = excluded.name, updated_at = excluded.updated_at
WHERE excluded.updated_at > web_guilds.updated_at
"""

UPSERT_WEB_CHANNEL = """
INSERT INTO web_channels (channel_id, guild_id, everyone_can_read, published, published_by, published_at,
                          updated_at)
VALUES (?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (channel_id) DO UPDATE SET everyone_can_read = excluded.everyone_can_read,
    published = excluded.published, published_by = excluded.published_by, published_at = excluded.published_at,
    updated_at = excluded.updated_at
WHERE excluded.updated_at > web_channels.updated_at AND web_channels.guild_id = excluded.guild_id
"""

ENSURE_MEMBER = "INSERT INTO members (guild_id, user_id) VALUES (?, ?) ON CONFLICT (guild_id, user_id) DO NOTHING"

UPSERT_NAME = """
INSERT INTO names (guild_id, kind, id, name, updated_at) VALUES (?, ?, ?, ?, ?)
ON CONFLICT (guild_id, kind, id) DO UPDATE SET name = excluded.name, updated_at = excluded.updated_at
WHERE excluded.updated_at > names.updated_at
"""

UPSERT_WEB_PRIVACY = """
INSERT INTO web_privacy (guild_id, user_id, hidden, at) VALUES (?, ?, ?, ?)
ON CONFLICT (guild_id, user_id) DO UPDATE SET hidden = excluded.hidden, at = excluded.at
WHERE excluded.at > web_privacy.at
"""

# An audit entry is already there when the guild holds one saying the same (ids are the exporting
# store's row ids: another store may have given that id to an entry of its own).
AUDIT_KNOWN = """
SELECT 1 FROM audit_log WHERE guild_id = ?2 AND actor_id = ?3 AND action = ?4 AND target_id IS ?5
    AND reason IS ?6 AND at = ?7
"""
INSERT_AUDIT = """
INSERT OR IGNORE INTO audit_log (id, guild_id, actor_id, action, target_id, reason, at) VALUES (?, ?, ?, ?, ?, ?, ?)
"""
APPEND_AUDIT = "INSERT INTO audit_log (guild_id, actor_id, action, target_id, reason, at) VALUES (?, ?, ?, ?, ?, ?)"

GUILD_REPUTATIONS = "SELECT user_id, reputation FROM members WHERE guild_id = ?"
