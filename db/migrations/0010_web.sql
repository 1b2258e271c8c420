-- 0010: what the public web pages need that only Discord knows. The bot writes these rows from what
-- it sees in Discord; the web server never talks to Discord and only reads them.
-- Nothing is published until a member with Manage Server publishes a questions channel, and a
-- published channel shows only while Discord lets @everyone view it and read its history.
BEGIN IMMEDIATE;

CREATE TABLE web_guilds (
    guild_id   INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    updated_at INTEGER NOT NULL
) STRICT;

CREATE TABLE web_channels (
    channel_id        INTEGER PRIMARY KEY,
    guild_id          INTEGER NOT NULL,
    -- @everyone may View Channel and Read Message History there; NULL until the bot has looked.
    everyone_can_read INTEGER CHECK (everyone_can_read IN (0, 1)),
    published         INTEGER NOT NULL DEFAULT 0 CHECK (published IN (0, 1)),
    published_by      INTEGER,  -- who last published or unpublished it (NULL: an operator's CLI)
    published_at      INTEGER,
    updated_at        INTEGER NOT NULL
) STRICT;
CREATE INDEX web_channels_by_guild ON web_channels (guild_id);

-- Display names as Discord showed them, learnt from messages (authors and mentions) and events:
-- the web shows names, never raw ids.
CREATE TABLE names (
    guild_id   INTEGER NOT NULL,
    kind       TEXT NOT NULL CHECK (kind IN ('user', 'role', 'channel')),
    id         INTEGER NOT NULL,
    name       TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (guild_id, kind, id)
) STRICT, WITHOUT ROWID;

-- A member's choice for the web (`/privacy web:off`): hidden members appear under an anonymous name,
-- with their text withheld. No row: shown.
CREATE TABLE web_privacy (
    guild_id INTEGER NOT NULL,
    user_id  INTEGER NOT NULL,
    hidden   INTEGER NOT NULL CHECK (hidden IN (0, 1)),
    at       INTEGER NOT NULL,
    PRIMARY KEY (guild_id, user_id)
) STRICT, WITHOUT ROWID;

-- The last change of what a question page shows in words (a post added, edited or deleted; the title,
-- tags, status or accepted answer changed: everything that moves questions.updated_at), for the
-- sitemap's lastmod. Votes are left out: they change scores, not what the page says.
ALTER TABLE questions ADD COLUMN changed_at INTEGER;
UPDATE questions SET changed_at = max(updated_at, coalesce((
    SELECT max(max(created_at, coalesce(edited_at, 0), coalesce(deleted_at, 0))) FROM posts
    WHERE question_id = questions.id), 0));
CREATE INDEX questions_by_channel_changed ON questions (channel_id, changed_at, id) WHERE deleted_at IS NULL;

CREATE TRIGGER questions_changed_by_post_insert AFTER INSERT ON posts BEGIN
    UPDATE questions SET changed_at = max(coalesce(changed_at, 0), new.created_at) WHERE id = new.question_id;
END;
CREATE TRIGGER questions_changed_by_post_edit AFTER UPDATE OF body, deleted_at ON posts BEGIN
    UPDATE questions SET changed_at = max(coalesce(changed_at, 0), coalesce(new.deleted_at, 0), coalesce(new.edited_at, 0))
    WHERE id = new.question_id;
END;
CREATE TRIGGER questions_changed_by_question AFTER UPDATE OF updated_at ON questions BEGIN
    UPDATE questions SET changed_at = max(coalesce(changed_at, 0), new.updated_at) WHERE id = new.id;
END;
CREATE TRIGGER questions_changed_at_insert AFTER INSERT ON questions BEGIN
    UPDATE questions SET changed_at = max(coalesce(new.changed_at, 0), new.updated_at) WHERE id = new.id;
END;

PRAGMA user_version = 10;
COMMIT;
