"""SQL of the follow-ups (migration 0015): nudges due, archives due, and /unanswered. Values are
always bound as parameters. The WHERE terms that name a partial index's condition are written
exactly as the index's (SQLite uses a partial index only when the query names its terms)."""

# Nudges come due when the newest answer is `hours` old: walked on questions_nudge_due from the
# oldest answer still worth a nudge (`:oldest`) up to `:cutoff`.
NUDGES_DUE = """
SELECT id, guild_id, channel_id, author_id, last_answer_id FROM questions INDEXED BY questions_nudge_due
WHERE guild_id = :guild AND last_answer_at BETWEEN :oldest AND :cutoff
  AND status = 'open' AND deleted_at IS NULL AND accepted_answer_id IS NULL AND last_answer_id IS NOT NULL
  AND (nudged_answer_id IS NULL OR nudged_answer_id < last_answer_id)
  AND (asker_post_id IS NULL OR asker_post_id < last_answer_id)
ORDER BY last_answer_at LIMIT :limit
"""

# Claimed before the message is sent, in the writer's transaction, with every condition checked
# again (the asker may have written since the read): only one claim can win, and never twice for
# the same answer. RETURNING says which answer the nudge is about.
CLAIM_NUDGE = """
UPDATE questions SET nudged_answer_id = last_answer_id, nudge_message_id = NULL
WHERE id = :id AND last_answer_at <= :cutoff
  AND status = 'open' AND deleted_at IS NULL AND accepted_answer_id IS NULL AND last_answer_id IS NOT NULL
  AND (nudged_answer_id IS NULL OR nudged_answer_id < last_answer_id)
  AND (asker_post_id IS NULL OR asker_post_id < last_answer_id)
RETURNING last_answer_id
"""

NUDGE_SENT = "UPDATE questions SET nudge_message_id = :message WHERE id = :id AND nudged_answer_id = :answer"
NUDGE_MESSAGE = "SELECT nudge_message_id FROM questions WHERE id = :id"
# Its buttons were removed (an answer was accepted): not edited again.
NUDGE_CLOSED = "UPDATE questions SET nudge_message_id = NULL WHERE id = :id AND nudge_message_id = :message"

HELP_WANTED = """
UPDATE questions SET help_wanted_at = :at
WHERE id = :id AND deleted_at IS NULL AND help_wanted_at IS NULL
"""

ARCHIVES_DUE = """
SELECT id, guild_id, channel_id, accepted_at FROM questions INDEXED BY questions_archive_due
WHERE guild_id = :guild AND accepted_at BETWEEN :oldest AND :cutoff
  AND status = 'open' AND deleted_at IS NULL AND accepted_answer_id IS NOT NULL
  AND archived_accept_at IS NOT accepted_at
ORDER BY accepted_at LIMIT :limit
"""

# Done for this acceptance only: accepted again later (another answer, or the same after a clear),
# it is due again.
ARCHIVE_DONE = """
UPDATE questions SET archived_accept_at = accepted_at
WHERE id = :id AND accepted_at = :accepted_at AND accepted_answer_id IS NOT NULL
"""

FOLLOWUP_STATE = """
SELECT id, author_id, last_answer_id, nudged_answer_id, nudge_message_id, help_wanted_at, archived_accept_at,
       accepted_at
FROM questions WHERE id = ?
"""

# /unanswered, a page: the ids read in index order (LIMIT/OFFSET over index entries), then the rows
# of the page alone. The member's channels (`:channels`) and the tag filter the walk.
UNANSWERED_OLDEST = """
WITH page AS MATERIALIZED (
    SELECT id FROM questions INDEXED BY questions_unanswered_oldest
    WHERE guild_id = :guild
      AND status = 'open' AND deleted_at IS NULL AND accepted_answer_id IS NULL AND thread_type IN (10, 11)
      AND +channel_id IN (SELECT value FROM json_each(:channels))
      AND (:tag IS NULL OR EXISTS (SELECT 1 FROM question_tags t
                                   WHERE t.guild_id = :guild AND t.tag = :tag AND t.question_id = questions.id))
    ORDER BY CASE WHEN help_wanted_at IS NOT NULL THEN 0 WHEN last_answer_id IS NULL THEN 1 ELSE 2 END, id
    LIMIT :limit OFFSET :offset)
SELECT q.id, q.guild_id, q.channel_id, q.title, q.author_id, q.score, q.tags, q.created_at,
       q.help_wanted_at, q.last_answer_id IS NOT NULL AS answered,
       (SELECT count(*) FROM posts a
        WHERE a.question_id = q.id AND a.kind = 'answer' AND a.deleted_at IS NULL AND a.author_id != q.author_id)
            AS answers
FROM page JOIN questions q ON q.id = page.id
ORDER BY CASE WHEN q.help_wanted_at IS NOT NULL THEN 0 WHEN q.last_answer_id IS NULL THEN 1 ELSE 2 END, q.id
"""

UNANSWERED_VOTES = """
WITH page AS MATERIALIZED (
    SELECT id FROM questions INDEXED BY questions_unanswered_votes
    WHERE guild_id = :guild
      AND status = 'open' AND deleted_at IS NULL AND accepted_answer_id IS NULL AND thread_type IN (10, 11)
      AND +channel_id IN (SELECT value FROM json_each(:channels))
      AND (:tag IS NULL OR EXISTS (SELECT 1 FROM question_tags t
                                   WHERE t.guild_id = :guild AND t.tag = :tag AND t.question_id = questions.id))
    ORDER BY CASE WHEN help_wanted_at IS NOT NULL THEN 0 WHEN last_answer_id IS NULL THEN 1 ELSE 2 END,
             score DESC, id
    LIMIT :limit OFFSET :offset)
SELECT q.id, q.guild_id, q.channel_id, q.title, q.author_id, q.score, q.tags, q.created_at,
       q.help_wanted_at, q.last_answer_id IS NOT NULL AS answered,
       (SELECT count(*) FROM posts a
        WHERE a.question_id = q.id AND a.kind = 'answer' AND a.deleted_at IS NULL AND a.author_id != q.author_id)
            AS answers
FROM page JOIN questions q ON q.id = page.id
ORDER BY CASE WHEN q.help_wanted_at IS NOT NULL THEN 0 WHEN q.last_answer_id IS NULL THEN 1 ELSE 2 END,
         q.score DESC, q.id
"""
