-- 0007: a vote remembers how it was cast. Catch-up compares reaction votes with the reactions
-- Discord shows; a /vote has no reaction behind it, so catch-up leaves it alone (a reaction the member
-- adds after it replaces it, live or while the bot was away). Votes stored before cannot be told
-- apart: they count as reactions, as catch-up has treated them so far.
BEGIN IMMEDIATE;

ALTER TABLE votes ADD COLUMN via TEXT NOT NULL DEFAULT 'reaction' CHECK (via IN ('reaction', 'command'));

PRAGMA user_version = 7;
COMMIT;
