-- 0015: the help forum's follow-ups (bot/forum/followups.py). A question with answers but none
-- accepted, whose asker went quiet, gets one nudge after the guild's idle_nudge_hours; an accepted
-- question's thread is archived after archive_after_accept_hours; /unanswered lists what is open.
-- What they need is kept on the question itself, so each is one partial index walked in order:
--   last_answer_id/_at  the newest live answer by someone other than the asker (kept by the triggers
--                       below, whatever writes posts: live events, catch-up, deletion, import, purge)
--   asker_post_id       the asker's newest post in the thread (written since that answer? no nudge)
--   nudged_answer_id    the last_answer_id a nudge was claimed for (before sending: never twice)
--   nudge_message_id    the nudge once Discord has it
--   help_wanted_at      the asker pressed "Still need help" (top of /unanswered)
--   archived_accept_at  the accepted_at whose archive was done (a new acceptance archives again)
-- Ids are snowflakes: "after" is compared by id, which Discord orders by time, never with the app's
-- clock. The conditions of the partial indexes must stay written exactly so in db/followup_queries.py.
BEGIN IMMEDIATE;

ALTER TABLE guild_settings ADD COLUMN idle_nudge_hours INTEGER NOT NULL DEFAULT 24
    CHECK (idle_nudge_hours BETWEEN 0 AND 8760);
ALTER TABLE guild_settings ADD COLUMN archive_after_accept_hours INTEGER NOT NULL DEFAULT 24
    CHECK (archive_after_accept_hours BETWEEN 0 AND 8760);

ALTER TABLE questions ADD COLUMN last_answer_id INTEGER;
ALTER TABLE questions ADD COLUMN last_answer_at INTEGER;
ALTER TABLE questions ADD COLUMN asker_post_id INTEGER;
ALTER TABLE questions ADD COLUMN nudged_answer_id INTEGER;
ALTER TABLE questions ADD COLUMN nudge_message_id INTEGER;
ALTER TABLE questions ADD COLUMN help_wanted_at INTEGER;
ALTER TABLE questions ADD COLUMN archived_accept_at INTEGER;

-- A new answer by someone else is the newest one (an older message met late by catch-up is not).
CREATE TRIGGER followups_answer_added AFTER INSERT ON posts
WHEN new.kind = 'answer' AND new.deleted_at IS NULL BEGIN
    UPDATE questions SET last_answer_id = new.id, last_answer_at = new.created_at
    WHERE id = new.question_id AND author_id != new.author_id
      AND (last_answer_id IS NULL OR last_answer_id < new.id);
END;

CREATE TRIGGER followups_asker_wrote AFTER INSERT ON posts BEGIN
    UPDATE questions SET asker_post_id = new.id
    WHERE id = new.question_id AND author_id = new.author_id
      AND (asker_post_id IS NULL OR asker_post_id < new.id);
END;

-- An answer deleted (or restored, or changed kind): the newest live answer is looked up again, among
-- the thread's own posts (posts_by_question); a deleted answer only when it was the newest (deleting a
-- whole guild's posts stays linear).
CREATE TRIGGER followups_answer_changed AFTER UPDATE OF deleted_at, kind ON posts
WHEN (old.kind = 'answer' OR new.kind = 'answer')
  AND (old.deleted_at IS NOT new.deleted_at OR old.kind IS NOT new.kind) BEGIN
    UPDATE questions SET
        last_answer_id = (SELECT p.id FROM posts p WHERE p.question_id = questions.id AND p.kind = 'answer'
                          AND p.deleted_at IS NULL AND p.author_id != questions.author_id
                          ORDER BY p.id DESC LIMIT 1),
        last_answer_at = (SELECT p.created_at FROM posts p WHERE p.question_id = questions.id AND p.kind = 'answer'
                          AND p.deleted_at IS NULL AND p.author_id != questions.author_id
                          ORDER BY p.id DESC LIMIT 1)
    WHERE id = new.question_id AND (new.deleted_at IS NULL OR last_answer_id = old.id);
END;

CREATE TRIGGER followups_answer_removed AFTER DELETE ON posts WHEN old.kind = 'answer' BEGIN
    UPDATE questions SET
        last_answer_id = (SELECT p.id FROM posts p WHERE p.question_id = questions.id AND p.kind = 'answer'
                          AND p.deleted_at IS NULL AND p.author_id != questions.author_id
                          ORDER BY p.id DESC LIMIT 1),
        last_answer_at = (SELECT p.created_at FROM posts p WHERE p.question_id = questions.id AND p.kind = 'answer'
                          AND p.deleted_at IS NULL AND p.author_id != questions.author_id
                          ORDER BY p.id DESC LIMIT 1)
    WHERE id = old.question_id AND last_answer_id = old.id;
END;

-- What is stored already: the same values, computed once.
UPDATE questions SET
    last_answer_id = (SELECT p.id FROM posts p WHERE p.question_id = questions.id AND p.kind = 'answer'
                      AND p.deleted_at IS NULL AND p.author_id != questions.author_id
                      ORDER BY p.id DESC LIMIT 1),
    last_answer_at = (SELECT p.created_at FROM posts p WHERE p.question_id = questions.id AND p.kind = 'answer'
                      AND p.deleted_at IS NULL AND p.author_id != questions.author_id
                      ORDER BY p.id DESC LIMIT 1),
    asker_post_id = (SELECT max(p.id) FROM posts p WHERE p.question_id = questions.id
                     AND p.author_id = questions.author_id);
-- Follow-ups start with what happens after this version: no burst of nudges and archives for every
-- old question the first time the bot starts with it.
UPDATE questions SET nudged_answer_id = last_answer_id, archived_accept_at = accepted_at;

-- Nudges waiting to come due, by when their answer came (a question leaves it once nudged, accepted,
-- closed or deleted, or when its asker writes).
CREATE INDEX questions_nudge_due ON questions (guild_id, last_answer_at)
WHERE status = 'open' AND deleted_at IS NULL AND accepted_answer_id IS NULL AND last_answer_id IS NOT NULL
  AND (nudged_answer_id IS NULL OR nudged_answer_id < last_answer_id)
  AND (asker_post_id IS NULL OR asker_post_id < last_answer_id);

-- Accepted questions whose thread is still to be archived, by when the answer was accepted.
CREATE INDEX questions_archive_due ON questions (guild_id, accepted_at)
WHERE status = 'open' AND deleted_at IS NULL AND accepted_answer_id IS NOT NULL
  AND archived_accept_at IS NOT accepted_at;

-- /unanswered: open questions without an accepted answer in public threads, "Still need help" first,
-- then those without any answer, then the rest; oldest first, or best scored first. (The score index
-- moves with each vote on such a question's starter, as questions_listed_top does.)
CREATE INDEX questions_unanswered_oldest ON questions
    (guild_id, (CASE WHEN help_wanted_at IS NOT NULL THEN 0 WHEN last_answer_id IS NULL THEN 1 ELSE 2 END), id)
WHERE status = 'open' AND deleted_at IS NULL AND accepted_answer_id IS NULL AND thread_type IN (10, 11);
CREATE INDEX questions_unanswered_votes ON questions
    (guild_id, (CASE WHEN help_wanted_at IS NOT NULL THEN 0 WHEN last_answer_id IS NULL THEN 1 ELSE 2 END),
     score DESC, id)
WHERE status = 'open' AND deleted_at IS NULL AND accepted_answer_id IS NULL AND thread_type IN (10, 11);

PRAGMA user_version = 15;
COMMIT;
