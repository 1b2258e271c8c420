"""All SQL text of the store, as constants. Values are always bound as parameters, never formatted in."""

# -- guild settings

UPSERT_SETTINGS = """
INSERT INTO guild_settings
    (guild_id, forum_channel_id, moderator_role_id, upvote_emoji, downvote_emoji, daily_vote_cap, updated_at,
     idle_nudge_hours, archive_after_accept_hours)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (guild_id) DO UPDATE SET
    forum_channel_id = excluded.forum_channel_id,
    moderator_role_id = excluded.moderator_role_id,
    upvote_emoji = excluded.upvote_emoji,
    downvote_emoji = excluded.downvote_emoji,
    daily_vote_cap = excluded.daily_vote_cap,
    updated_at = excluded.updated_at,
    idle_nudge_hours = excluded.idle_nudge_hours,
    archive_after_accept_hours = excluded.archive_after_accept_hours
"""

GET_SETTINGS = """
SELECT guild_id, forum_channel_id, moderator_role_id, upvote_emoji, downvote_emoji, daily_vote_cap,
       idle_nudge_hours, archive_after_accept_hours
FROM guild_settings WHERE guild_id = ?
"""
ALL_SETTINGS = """
SELECT guild_id, forum_channel_id, moderator_role_id, upvote_emoji, downvote_emoji, daily_vote_cap,
       idle_nudge_hours, archive_after_accept_hours
FROM guild_settings ORDER BY guild_id
"""

# -- questions

# DO NOTHING + rowcount tells an insert from a replay in one statement.
INSERT_QUESTION = """
INSERT INTO questions
    (id, guild_id, channel_id, title, author_id, starter_id, status, accepted_answer_id, tags, score,
     created_at, updated_at, thread_type)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (id) DO NOTHING
"""

GET_QUESTION = """
SELECT id, guild_id, channel_id, title, author_id, starter_id, status, accepted_answer_id, tags, score, created_at,
       deleted_at, accepted_by, duplicate_of, thread_type
FROM questions WHERE id = ?
"""
# Deleted threads are kept for their history but are no longer part of the forum.
LIST_QUESTIONS = """
SELECT id, guild_id, channel_id, title, author_id, starter_id, status, accepted_answer_id, tags, score, created_at,
       deleted_at, accepted_by, duplicate_of, thread_type
FROM questions WHERE guild_id = ? AND deleted_at IS NULL ORDER BY created_at, id
"""

SOFT_DELETE_QUESTION = "UPDATE questions SET deleted_at = ?1, updated_at = ?1 WHERE id = ?2 AND deleted_at IS NULL"
LIVE_POST_IDS_OF_QUESTION = "SELECT id FROM posts WHERE question_id = ? AND deleted_at IS NULL"

# The starter post may arrive after its thread: remember it, but never replace a known starter.
SET_STARTER_IF_UNKNOWN = "UPDATE questions SET starter_id = ? WHERE id = ? AND starter_id IS NULL"

# A rename applies only if the title changed and is not older than the latest known title revision.
RENAME_QUESTION = """
UPDATE questions SET title = ?1, updated_at = max(updated_at, ?2)
WHERE id = ?3 AND title IS NOT ?1
  AND ?2 >= coalesce((SELECT max(at) FROM revisions WHERE post_id = ?3 AND field = 'title'), created_at)
"""

# -- questions that never were: private threads (migration 0008)

# Channels whose live questions were stored before Quorum recorded thread types (partial index).
CHANNELS_OF_UNKNOWN_TYPE = """
SELECT DISTINCT channel_id FROM questions WHERE guild_id = ? AND thread_type IS NULL AND deleted_at IS NULL
ORDER BY channel_id
"""
RECORD_THREAD_TYPE = """
UPDATE questions SET thread_type = ? WHERE guild_id = ? AND channel_id = ? AND thread_type IS NULL
  AND deleted_at IS NULL
"""
QUESTION_GUILD = "SELECT guild_id FROM questions WHERE id = ?"
AUTHORS_OF_QUESTION = "SELECT DISTINCT author_id FROM posts WHERE question_id = ?"
# Rows go children first (votes and posts have foreign keys). The posts' search rows went when they
# were soft-deleted (the 0005 triggers); the title's revisions live under the thread id.
PURGE_QUESTION = (
    "DELETE FROM votes WHERE post_id IN (SELECT id FROM posts WHERE question_id = ?1)",
    "DELETE FROM owed_unreactions WHERE post_id IN (SELECT id FROM posts WHERE question_id = ?1)",
    "DELETE FROM revisions WHERE post_id IN (SELECT id FROM posts WHERE question_id = ?1) OR post_id = ?1",
    "DELETE FROM posts WHERE question_id = ?1",
    "DELETE FROM question_tags WHERE question_id = ?1",
    "DELETE FROM summary_places WHERE question_id = ?1",
    "DELETE FROM questions WHERE id = ?1",
)
# A member the forum knew only from the removed thread is forgotten (the start value means nothing
# was earned or lost elsewhere; a recount expects no row for them either way).
FORGET_UNSEEN_MEMBER = """
DELETE FROM members WHERE guild_id = ?1 AND user_id = ?2 AND reputation = 1
  AND NOT EXISTS (SELECT 1 FROM posts WHERE guild_id = ?1 AND author_id = ?2)
"""

# -- posts

INSERT_POST = """
INSERT INTO posts
    (id, question_id, guild_id, kind, parent_id, reply_to_id, author_id, body, attachments, score,
     created_at, edited_at, deleted_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (id) DO NOTHING
"""

GET_POST = """
SELECT id, question_id, guild_id, kind, parent_id, reply_to_id, author_id, body, attachments, score,
       created_at, edited_at, deleted_at
FROM posts WHERE id = ?
"""
QUESTION_POSTS = """
SELECT id, question_id, guild_id, kind, parent_id, reply_to_id, author_id, body, attachments, score,
       created_at, edited_at, deleted_at
FROM posts WHERE question_id = ? AND deleted_at IS NULL ORDER BY created_at, id
"""
# The thread page's read (db/thread_page.py): live posts only, so neither the thread id (the
# parameter) nor deleted_at (NULL) is read back; every column fewer is work saved on 200-post pages.
THREAD_PAGE_POSTS = """
SELECT id, guild_id, kind, parent_id, reply_to_id, author_id, body, attachments, score, created_at, edited_at
FROM posts WHERE question_id = ? AND deleted_at IS NULL ORDER BY created_at, id
"""
QUESTION_POSTS_WITH_DELETED = """
SELECT id, question_id, guild_id, kind, parent_id, reply_to_id, author_id, body, attachments, score,
       created_at, edited_at, deleted_at
FROM posts WHERE question_id = ? ORDER BY created_at, id
"""

# An edit applies only if the text changed and is not older than the post's latest known version, so
# a late-delivered older edit never overwrites a newer one. Times are kept to the millisecond: two
# edits within one millisecond both apply, in the order they arrive.
EDIT_POST = """
UPDATE posts SET body = ?1, edited_at = ?2
WHERE id = ?3 AND body IS NOT ?1 AND ?2 >= coalesce(edited_at, created_at)
"""

SOFT_DELETE_POST = "UPDATE posts SET deleted_at = ? WHERE id = ? AND deleted_at IS NULL"
POST_OWNER = "SELECT kind, author_id, guild_id, deleted_at FROM posts WHERE id = ?"

# -- revisions

INSERT_FIRST_REVISION = """
INSERT INTO revisions (post_id, field, number, text, editor_id, at) VALUES (?, ?, 1, ?, ?, ?)
ON CONFLICT (post_id, field, number) DO NOTHING
"""

INSERT_NEXT_REVISION = """
INSERT INTO revisions (post_id, field, number, text, editor_id, at)
VALUES (?1, ?2, (SELECT coalesce(max(number), 0) + 1 FROM revisions WHERE post_id = ?1 AND field = ?2), ?3, ?4, ?5)
"""

# A question whose starter shares the thread's id has body and title revisions under one id.
REVISIONS = """
SELECT post_id, field, number, text, editor_id, at FROM revisions WHERE post_id = ?
ORDER BY at, field, number
"""

# -- members

REPUTATIONS = "SELECT user_id, reputation FROM members WHERE guild_id = ? ORDER BY user_id"

# -- guilds: those set up, and those with questions mirrored before (or without) setup

GUILD_IDS = """
SELECT guild_id FROM guild_settings
UNION
SELECT DISTINCT guild_id FROM questions
ORDER BY guild_id
"""

# -- audit log (newest first: what a moderator looking at it wants)

INSERT_AUDIT = "INSERT INTO audit_log (guild_id, actor_id, action, target_id, reason, at) VALUES (?, ?, ?, ?, ?, ?)"
AUDIT_LOG = """
SELECT id, guild_id, actor_id, action, target_id, reason, at
FROM audit_log WHERE guild_id = ? ORDER BY id DESC LIMIT ? OFFSET ?
"""
AUDIT_LOG_BY_ACTOR = """
SELECT id, guild_id, actor_id, action, target_id, reason, at
FROM audit_log WHERE guild_id = ? AND actor_id = ? ORDER BY id DESC LIMIT ? OFFSET ?
"""

# -- meta: single values of the whole store (structured state has tables of its own: db/bot_state.py)

GET_META = "SELECT value FROM meta WHERE key = ?"
SET_META = "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value"
DELETE_META = "DELETE FROM meta WHERE key = ?"
