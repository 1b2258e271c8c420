-- 0016: notifications (issue 17). What each member asked to hear (/notify, /follow), what they were
-- told already (so a message is never sent twice, nor lost, across restarts), and the suggestions
-- of "Suggest as solution" with the state of their buttons. No table of another migration is
-- needed beyond 0013's.
BEGIN IMMEDIATE;

-- One row per member per guild that used /notify or /follow.
CREATE TABLE notify_members (
    guild_id       INTEGER NOT NULL,
    user_id        INTEGER NOT NULL,
    answers        INTEGER NOT NULL DEFAULT 0 CHECK (answers IN (0, 1)),  -- /notify answers:on
    -- Since when: answers with a larger id (Discord's time: the /notify interaction's id) and
    -- acceptances from this time on (the app's clock, as acceptances are recorded) are told.
    answers_after  INTEGER,
    answers_since  INTEGER,  -- unix ms
    via            TEXT NOT NULL DEFAULT 'dm' CHECK (via IN ('dm', 'thread')),  -- 'thread': DMs refused
    -- Digests: questions with a larger id than digest_after are new to the member (the first
    -- /follow's interaction id, then the newest question at the last digest); the next digest is
    -- due a period after digest_at (the app's clock).
    digest_after   INTEGER,
    digest_at      INTEGER,  -- unix ms
    PRIMARY KEY (guild_id, user_id)
) STRICT, WITHOUT ROWID;

CREATE TABLE tag_follows (
    guild_id INTEGER NOT NULL,
    user_id  INTEGER NOT NULL,
    tag      TEXT NOT NULL,
    PRIMARY KEY (guild_id, user_id, tag)
) STRICT, WITHOUT ROWID;

-- Per question: what its asker was told (the newest answer, the accepted answer) and when.
CREATE TABLE answer_notices (
    question_id  INTEGER PRIMARY KEY,
    guild_id     INTEGER NOT NULL,
    told_through INTEGER NOT NULL DEFAULT 0,  -- the newest answer id told
    told_accept  INTEGER,                     -- the accepted answer id told
    sent_at      INTEGER                      -- unix ms of the last message (one per 10 minutes)
) STRICT;

-- One suggestion per answer, ever: an open one has buttons; a dismissed answer is not suggested again.
CREATE TABLE suggestions (
    answer_id    INTEGER PRIMARY KEY,
    question_id  INTEGER NOT NULL,
    guild_id     INTEGER NOT NULL,
    suggester_id INTEGER NOT NULL,
    state        TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'accepted', 'dismissed')),
    created_at   INTEGER NOT NULL
) STRICT;
CREATE INDEX suggestions_by_suggester ON suggestions (question_id, suggester_id);

-- The notification run finds an opted-in asker's questions.
CREATE INDEX questions_by_author ON questions (guild_id, author_id);

PRAGMA user_version = 16;
COMMIT;
