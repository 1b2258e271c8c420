-- 0014: the solved similar questions Quorum offers once in a member's own forum post
-- (bot/forum/similar_offer.py): what was decided for each question, so it is never offered twice,
-- across restarts and catch-up. The row goes with its question.
BEGIN IMMEDIATE;

CREATE TABLE similar_offers (
    question_id INTEGER PRIMARY KEY REFERENCES questions (id) ON DELETE CASCADE,
    outcome     TEXT NOT NULL CHECK (outcome IN ('deciding', 'offered', 'none', 'too_old', 'failed')),
    decided_at  INTEGER NOT NULL,  -- unix ms
    message_id  INTEGER,           -- Quorum's reply in the thread, when offered
    shown       TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(shown) AND json_type(shown) = 'array')
) STRICT;

PRAGMA user_version = 14;
COMMIT;
