-- 0001: the initial schema.
-- Ids are Discord snowflakes (INTEGER). Times are INTEGER unix milliseconds, UTC.
-- The script carries its own transaction: executescript() commits whatever is open before it runs,
-- so only a BEGIN inside the script makes the migration all-or-nothing.
BEGIN IMMEDIATE;

CREATE TABLE guild_settings (
    guild_id          INTEGER PRIMARY KEY,
    forum_channel_id  INTEGER,
    moderator_role_id INTEGER,
    upvote_emoji      TEXT NOT NULL,
    downvote_emoji    TEXT NOT NULL,
    daily_vote_cap    INTEGER NOT NULL CHECK (daily_vote_cap >= 0),
    updated_at        INTEGER NOT NULL
) STRICT;

-- Reputation is a maintained counter (updated in the vote's own transaction); a recount rebuilds it
-- from votes. Everyone starts at 1, as on classic Q&A sites.
CREATE TABLE members (
    guild_id   INTEGER NOT NULL,
    user_id    INTEGER NOT NULL,
    reputation INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (guild_id, user_id)
) STRICT, WITHOUT ROWID;
-- The leaderboard reads this index in order and stops after a page.
CREATE INDEX members_by_reputation ON members (guild_id, reputation DESC, user_id);

CREATE TABLE questions (
    id                 INTEGER PRIMARY KEY,  -- the thread id
    guild_id           INTEGER NOT NULL,
    channel_id         INTEGER NOT NULL,     -- the forum or text channel holding the thread
    title              TEXT NOT NULL,
    author_id          INTEGER NOT NULL,     -- the asker, never the bot
    -- Message/thread references below are not foreign keys: the starter may be learnt after the
    -- thread, catch-up may know the accepted answer before its post, and a duplicate's original may
    -- predate the bot. The service keeps them consistent.
    starter_id         INTEGER,
    status             TEXT NOT NULL DEFAULT 'open'
                       CHECK (status IN ('open', 'closed', 'locked', 'duplicate')),
    accepted_answer_id INTEGER,
    duplicate_of       INTEGER,
    tags               TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(tags) AND json_type(tags) = 'array'),
    score              INTEGER NOT NULL DEFAULT 0,  -- maintained: the starter post's score
    created_at         INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL
) STRICT;
CREATE INDEX questions_by_guild ON questions (guild_id, created_at, id);

CREATE TABLE posts (
    id          INTEGER PRIMARY KEY,  -- the message id
    question_id INTEGER NOT NULL REFERENCES questions (id),
    guild_id    INTEGER NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('question', 'answer', 'reply')),
    -- Replies hang under an answer (or the question); not foreign keys, because catch-up may meet a
    -- reply before the message it replies to, or one whose target is gone.
    parent_id   INTEGER,
    reply_to_id INTEGER,
    author_id   INTEGER NOT NULL,
    body        TEXT NOT NULL,
    attachments TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(attachments)),
    score       INTEGER NOT NULL DEFAULT 0,  -- maintained counter: sum of votes.value
    created_at  INTEGER NOT NULL,
    edited_at   INTEGER,
    deleted_at  INTEGER                      -- soft delete: the post keeps its history
) STRICT;
-- The thread page: every post of one question in time order.
CREATE INDEX posts_by_question ON posts (question_id, created_at, id);
-- Profiles and reputation recounts: a member's posts in a guild.
CREATE INDEX posts_by_author ON posts (guild_id, author_id);

-- One vote per member per post; the latest reaction wins (upsert on the key).
CREATE TABLE votes (
    post_id  INTEGER NOT NULL REFERENCES posts (id),
    voter_id INTEGER NOT NULL,
    guild_id INTEGER NOT NULL,  -- the daily vote cap is per guild
    value    INTEGER NOT NULL CHECK (value IN (-1, 1)),
    at       INTEGER NOT NULL,
    PRIMARY KEY (post_id, voter_id)
) STRICT, WITHOUT ROWID;
-- The daily cap: how many votes a member cast in a guild since a time.
CREATE INDEX votes_by_voter ON votes (guild_id, voter_id, at);

-- Revisions of a post's body, and of a question's title stored under its thread id. A forum post's
-- starter message has the same id as its thread, hence `field` in the key.
CREATE TABLE revisions (
    post_id   INTEGER NOT NULL,
    field     TEXT NOT NULL CHECK (field IN ('body', 'title')),
    number    INTEGER NOT NULL CHECK (number >= 1),  -- 1 is the original text
    text      TEXT NOT NULL,
    editor_id INTEGER,
    at        INTEGER NOT NULL,
    PRIMARY KEY (post_id, field, number)
) STRICT;

CREATE TABLE audit_log (
    id        INTEGER PRIMARY KEY,
    guild_id  INTEGER NOT NULL,
    actor_id  INTEGER NOT NULL,
    action    TEXT NOT NULL,
    target_id INTEGER,
    reason    TEXT,
    at        INTEGER NOT NULL
) STRICT;
CREATE INDEX audit_by_guild ON audit_log (guild_id, id);
CREATE INDEX audit_by_actor ON audit_log (guild_id, actor_id, id);

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT, WITHOUT ROWID;

PRAGMA user_version = 1;
COMMIT;
