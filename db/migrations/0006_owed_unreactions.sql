-- 0006: a vote switch commits before the bot takes the member's old reaction off in Discord. Until
-- it has, the removal is owed and recorded here, in the switch's own transaction: after a crash in
-- between, catch-up finds the member holding both reactions and knows the stored vote is the newer
-- one (otherwise a pair means the member switched while the bot was away).
BEGIN IMMEDIATE;

CREATE TABLE owed_unreactions (
    post_id  INTEGER NOT NULL,
    voter_id INTEGER NOT NULL,
    value    INTEGER NOT NULL CHECK (value IN (-1, 1)),  -- the vote whose reaction is to come off
    PRIMARY KEY (post_id, voter_id)
) STRICT, WITHOUT ROWID;

PRAGMA user_version = 6;
COMMIT;
