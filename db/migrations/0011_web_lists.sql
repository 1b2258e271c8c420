-- 0011: what the web's list pages read (db/web_lists.py). A question is listed when it is live
-- (deleted_at IS NULL) and its thread is known to be public (thread_type IN (10, 11)); which
-- channels are published is decided per request, so every structure here is kept per channel.
-- The conditions below must stay written exactly so in the statements, or SQLite will not use the
-- partial indexes.
BEGIN IMMEDIATE;

-- A guild's newest questions (thread ids are creation times) and its best-scored ones, read in
-- index order; channel_id rides along so a channel's publication is checked without the table.
-- deleted_at and thread_type are columns too: SQLite 3.40 counts a partial index as covering only
-- if it holds every column the query names, its own condition's included (as 0004 found).
-- The score index moves with every vote on a question's starter: one more b-tree entry per such vote.
CREATE INDEX questions_listed_newest ON questions (guild_id, id, channel_id, deleted_at, thread_type)
WHERE deleted_at IS NULL AND thread_type IN (10, 11);
CREATE INDEX questions_listed_top ON questions (guild_id, score, id, channel_id, deleted_at, thread_type)
WHERE deleted_at IS NULL AND thread_type IN (10, 11);

-- Answer counts and "unanswered" from the index alone (a list row, a search line, a profile).
CREATE INDEX posts_live_answers ON posts (question_id, kind, deleted_at) WHERE kind = 'answer' AND deleted_at IS NULL;

-- Maintained counts of listed questions, per channel and per (channel, tag): a home page's tag list
-- and a guild's total are a few rows summed instead of a walk over every question. Kept by the
-- triggers below in the question's own transaction; rows may reach 0 and stay.
CREATE TABLE channel_question_counts (
    channel_id INTEGER PRIMARY KEY,
    questions  INTEGER NOT NULL
) STRICT;
CREATE TABLE channel_tag_counts (
    channel_id INTEGER NOT NULL,
    tag        TEXT NOT NULL,
    questions  INTEGER NOT NULL,
    PRIMARY KEY (channel_id, tag)
) STRICT, WITHOUT ROWID;

-- Every change takes the row's old contribution away (if it was listed) and adds its new one (if it
-- is): correct whatever changed together, in any order with the other triggers on questions.
-- Tags come from the row's JSON (distinct, as question_tags keeps them), not from question_tags,
-- whose own triggers run in an order SQLite does not promise.
CREATE TRIGGER questions_counts_insert AFTER INSERT ON questions
WHEN new.deleted_at IS NULL AND new.thread_type IN (10, 11) BEGIN
    INSERT INTO channel_question_counts (channel_id, questions) VALUES (new.channel_id, 1)
    ON CONFLICT (channel_id) DO UPDATE SET questions = questions + 1;
    INSERT INTO channel_tag_counts (channel_id, tag, questions)
    SELECT new.channel_id, value, 1 FROM (SELECT DISTINCT value FROM json_each(new.tags)) WHERE true
    ON CONFLICT (channel_id, tag) DO UPDATE SET questions = questions + 1;
END;

CREATE TRIGGER questions_counts_update AFTER UPDATE OF deleted_at, thread_type, tags, channel_id ON questions
WHEN old.deleted_at IS NOT new.deleted_at OR old.thread_type IS NOT new.thread_type
  OR old.tags IS NOT new.tags OR old.channel_id IS NOT new.channel_id BEGIN
    UPDATE channel_question_counts SET questions = questions - 1
    WHERE channel_id = old.channel_id AND old.deleted_at IS NULL AND old.thread_type IN (10, 11);
    UPDATE channel_tag_counts SET questions = questions - 1
    WHERE channel_id = old.channel_id AND tag IN (SELECT value FROM json_each(old.tags))
      AND old.deleted_at IS NULL AND old.thread_type IN (10, 11);
    INSERT INTO channel_question_counts (channel_id, questions)
    SELECT new.channel_id, 1 WHERE new.deleted_at IS NULL AND new.thread_type IN (10, 11)
    ON CONFLICT (channel_id) DO UPDATE SET questions = questions + 1;
    INSERT INTO channel_tag_counts (channel_id, tag, questions)
    SELECT new.channel_id, value, 1 FROM (SELECT DISTINCT value FROM json_each(new.tags))
    WHERE new.deleted_at IS NULL AND new.thread_type IN (10, 11)
    ON CONFLICT (channel_id, tag) DO UPDATE SET questions = questions + 1;
END;

CREATE TRIGGER questions_counts_delete AFTER DELETE ON questions
WHEN old.deleted_at IS NULL AND old.thread_type IN (10, 11) BEGIN
    UPDATE channel_question_counts SET questions = questions - 1 WHERE channel_id = old.channel_id;
    UPDATE channel_tag_counts SET questions = questions - 1
    WHERE channel_id = old.channel_id AND tag IN (SELECT value FROM json_each(old.tags));
END;

INSERT INTO channel_question_counts (channel_id, questions)
SELECT channel_id, count(*) FROM questions WHERE deleted_at IS NULL AND thread_type IN (10, 11)
GROUP BY channel_id;
INSERT INTO channel_tag_counts (channel_id, tag, questions)
SELECT q.channel_id, t.value, count(DISTINCT q.id)
FROM questions q, json_each(q.tags) AS t
WHERE q.deleted_at IS NULL AND q.thread_type IN (10, 11)
GROUP BY q.channel_id, t.value;

PRAGMA user_version = 11;
COMMIT;
