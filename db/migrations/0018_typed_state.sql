-- 0018: the bot's structured state leaves the key/value meta table for tables of its own (issue 18):
-- where each live summary is, the told-once marks, the catch-up watermarks and the hashes of the
-- registered commands. meta keeps only single values of the whole store (the retention's application,
-- the write probe, a pending reputation replay). Every row is copied over; a value the code before
-- this could not read either (hand-edited) is left out, which it treated as absent too.
BEGIN IMMEDIATE;

-- Where a question's live summary is (bot/forum/summary.py, Place): in the /ask starter ('starter'),
-- or in a message of its own in the thread ('own'; message_id NULL until there was something to
-- summarise). Was meta 'summary:<question id>' = '<kind>:<channel id>:<message id or empty>'.
CREATE TABLE summary_places (
    question_id INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL CHECK (kind IN ('starter', 'own')),
    channel_id  INTEGER NOT NULL,
    message_id  INTEGER
) STRICT;
INSERT INTO summary_places (question_id, kind, channel_id, message_id)
SELECT CAST(id AS INTEGER), kind, CAST(channel AS INTEGER), CAST(nullif(message, '') AS INTEGER)
FROM (
    SELECT id, kind,
           CASE WHEN instr(rest, ':') > 0 THEN substr(rest, 1, instr(rest, ':') - 1) ELSE rest END AS channel,
           CASE WHEN instr(rest, ':') > 0 THEN substr(rest, instr(rest, ':') + 1) ELSE '' END AS message
    FROM (
        SELECT substr(key, 9) AS id, substr(value, 1, instr(value, ':') - 1) AS kind,
               substr(value, instr(value, ':') + 1) AS rest
        FROM meta WHERE key GLOB 'summary:*' AND instr(value, ':') > 0
    )
)
WHERE kind IN ('starter', 'own')
  AND id GLOB '[0-9]*' AND id NOT GLOB '*[^0-9]*'
  AND channel GLOB '[0-9]*' AND channel NOT GLOB '*[^0-9]*'
  AND message NOT GLOB '*[^0-9]*';

-- Archived threads archived before a guild's watermark need no reading at the next catch-up
-- (bot/forum/catchup.py). Unix ms. Was meta 'catchup:since:<guild id>' = an ISO time with its offset.
CREATE TABLE catchup_watermarks (
    guild_id INTEGER PRIMARY KEY,
    since    INTEGER NOT NULL
) STRICT;
INSERT INTO catchup_watermarks (guild_id, since)
SELECT CAST(substr(key, 15) AS INTEGER), CAST(round((julianday(value) - 2440587.5) * 86400000.0) AS INTEGER)
FROM meta
WHERE key GLOB 'catchup:since:[0-9]*' AND substr(key, 15) NOT GLOB '*[^0-9]*'
  AND julianday(value) IS NOT NULL AND (value GLOB '*[+-][0-9][0-9]:[0-9][0-9]' OR value GLOB '*Z');

-- What a member is told once (bot/forum/vote_service.py): 'own_post' (a vote on their own post is
-- taken off) for good, 'capped' (their daily vote cap) until the next midnight UTC, when the mark
-- expires (expires_at, unix ms) and they may be told again; expired marks are deleted by the hourly
-- retention purge. Was meta 'told:own_post:<guild>:<member>' and 'told:capped:<guild>:<member>:<day>'.
CREATE TABLE told_once (
    guild_id   INTEGER NOT NULL,
    user_id    INTEGER NOT NULL,
    about      TEXT NOT NULL CHECK (about IN ('own_post', 'capped')),
    expires_at INTEGER,
    PRIMARY KEY (guild_id, user_id, about)
) STRICT, WITHOUT ROWID;
CREATE INDEX told_once_expiring ON told_once (expires_at) WHERE expires_at IS NOT NULL;
INSERT INTO told_once (guild_id, user_id, about, expires_at)
SELECT CAST(substr(rest, 1, instr(rest, ':') - 1) AS INTEGER), CAST(substr(rest, instr(rest, ':') + 1) AS INTEGER),
       'own_post', NULL
FROM (SELECT substr(key, 15) AS rest FROM meta WHERE key GLOB 'told:own_post:*')
WHERE rest GLOB '[0-9]*:[0-9]*' AND rest NOT GLOB '*[^0-9:]*' AND rest NOT GLOB '*:*:*';
INSERT INTO told_once (guild_id, user_id, about, expires_at)
SELECT CAST(guild AS INTEGER), CAST(substr(rest, 1, instr(rest, ':') - 1) AS INTEGER), 'capped',
       max(CAST(round((julianday(substr(rest, instr(rest, ':') + 1), '+1 day') - 2440587.5) * 86400000.0) AS INTEGER))
FROM (
    SELECT substr(tail, 1, instr(tail, ':') - 1) AS guild, substr(tail, instr(tail, ':') + 1) AS rest
    FROM (SELECT substr(key, 13) AS tail FROM meta WHERE key GLOB 'told:capped:*')
)
WHERE guild GLOB '[0-9]*' AND guild NOT GLOB '*[^0-9]*'
  AND rest GLOB '[0-9]*:[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'
  AND substr(rest, 1, instr(rest, ':') - 1) NOT GLOB '*[^0-9]*'
  AND julianday(substr(rest, instr(rest, ':') + 1)) IS NOT NULL
GROUP BY guild, substr(rest, 1, instr(rest, ':') - 1);

-- The hash of the slash commands last registered, per application and place (bot/client.py): they
-- are registered again only when it changes. guild_id: the development guild; 0: globally.
-- Was meta 'commands_hash:<guild id or global>:<application id>'.
CREATE TABLE command_syncs (
    application_id INTEGER NOT NULL,
    guild_id       INTEGER NOT NULL,
    digest         TEXT NOT NULL,
    PRIMARY KEY (application_id, guild_id)
) STRICT, WITHOUT ROWID;
INSERT INTO command_syncs (application_id, guild_id, digest)
SELECT CAST(substr(rest, instr(rest, ':') + 1) AS INTEGER),
       CASE WHEN substr(rest, 1, instr(rest, ':') - 1) = 'global' THEN 0
            ELSE CAST(substr(rest, 1, instr(rest, ':') - 1) AS INTEGER) END,
       value
FROM (SELECT substr(key, 15) AS rest, value FROM meta WHERE key GLOB 'commands_hash:*')
WHERE rest GLOB '*:[0-9]*' AND substr(rest, instr(rest, ':') + 1) NOT GLOB '*[^0-9]*'
  AND (substr(rest, 1, instr(rest, ':') - 1) = 'global'
       OR (substr(rest, 1, instr(rest, ':') - 1) GLOB '[0-9]*'
           AND substr(rest, 1, instr(rest, ':') - 1) NOT GLOB '*[^0-9]*'));

DELETE FROM meta
WHERE key GLOB 'summary:*' OR key GLOB 'catchup:since:*' OR key GLOB 'told:*' OR key GLOB 'commands_hash:*';

PRAGMA user_version = 18;
COMMIT;
