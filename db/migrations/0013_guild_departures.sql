-- 0013: when the bot was removed from a guild (kicked, or the guild deleted; never an outage). The
-- guild's data is kept QUORUM_GUILD_RETENTION_DAYS after left_at, then deleted (db/retention.py);
-- the row goes when the bot is back in the guild. Also what the hourly purge of deleted text looks
-- through: the deleted posts and questions, in order of deletion.
BEGIN IMMEDIATE;

CREATE TABLE guild_departures (
    guild_id INTEGER PRIMARY KEY,
    left_at  INTEGER NOT NULL  -- unix ms
) STRICT;

CREATE INDEX posts_deleted ON posts (deleted_at) WHERE deleted_at IS NOT NULL;
CREATE INDEX questions_deleted ON questions (deleted_at) WHERE deleted_at IS NOT NULL;

PRAGMA user_version = 13;
COMMIT;
