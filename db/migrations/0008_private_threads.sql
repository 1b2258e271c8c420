-- 0008: private threads (Discord channel type 12) are never questions. Quorum now records each
-- question's thread type when it stores the question and refuses private threads. Questions stored
-- before this version have no recorded type (NULL), and nothing stored tells a private thread from a
-- public one, so this migration cannot remove them itself: the bot's start-up catch-up asks Discord
-- once per channel holding such questions (its active threads and its archived private threads),
-- removes the questions whose thread is private with everything in them (posts, votes, revisions,
-- the search index's rows, tags; scores and reputation corrected as a recount would find them:
-- SqliteStore.remove_questions), and records the others' type (cogs/private_threads.py).
BEGIN IMMEDIATE;

ALTER TABLE questions ADD COLUMN thread_type INTEGER;  -- 10 announcement, 11 public thread; NULL: unknown

-- The channels whose questions still wait for that check: a range of this index, empty once done.
CREATE INDEX questions_type_unknown ON questions (guild_id, channel_id) WHERE thread_type IS NULL;

PRAGMA user_version = 8;
COMMIT;
