-- 0003: votes keep a row after they are cleared (value 0), so the time of the latest vote event per
-- member and post is known: a catch-up reading an older snapshot of the reactions never overrides
-- what a live event did after it. Questions remember who accepted their answer (reputation +2).
BEGIN IMMEDIATE;

-- No version of Quorum wrote votes before this one, so the table is rebuilt rather than copied.
DROP TABLE votes;
CREATE TABLE votes (
    post_id  INTEGER NOT NULL REFERENCES posts (id),
    voter_id INTEGER NOT NULL,
    guild_id INTEGER NOT NULL,
    value    INTEGER NOT NULL CHECK (value IN (-1, 0, 1)),  -- 0: the vote was withdrawn
    at       INTEGER NOT NULL,                                -- the latest event for this pair
    PRIMARY KEY (post_id, voter_id)
) STRICT, WITHOUT ROWID;
-- The daily cap: votes a member cast in a guild since the start of the day.
CREATE INDEX votes_by_voter ON votes (guild_id, voter_id, at);

ALTER TABLE questions ADD COLUMN accepted_by INTEGER;

PRAGMA user_version = 3;
COMMIT;
