-- 0009: reputation never goes below 1 at any moment (a running floor), so it depends on the order
-- of what changed it: a member's reputation is their contributions (votes, acceptances) replayed in
-- time order (bot/forum/voting.py). Acceptances get their time; members remember the time of their
-- latest contribution (rep_at), so a newer one is a single step and an older one replays the member.
-- The stored reputations are replayed under the new rule (which also changed who an acceptance
-- pays) at the first start after this migration: the store runs a recount with --fix when it finds
-- the meta key below, then removes it.
BEGIN IMMEDIATE;

ALTER TABLE questions ADD COLUMN accepted_at INTEGER;
-- The best time known for an acceptance made before this version: the question's last change.
UPDATE questions SET accepted_at = updated_at WHERE accepted_answer_id IS NOT NULL;

-- Never earlier than any contribution the member has (0: none). Upgraded members get "now" (or the
-- newest vote, if later), which is at least as late as anything they have.
ALTER TABLE members ADD COLUMN rep_at INTEGER NOT NULL DEFAULT 0;
UPDATE members SET rep_at = max(CAST(strftime('%s', 'now') AS INTEGER) * 1000 + 999, coalesce((SELECT max(at) FROM votes), 0));

-- A member's replay reads their accepted answers and the acceptances of their questions.
CREATE INDEX questions_by_accepted_answer ON questions (accepted_answer_id) WHERE accepted_answer_id IS NOT NULL;
CREATE INDEX questions_by_asker ON questions (guild_id, author_id) WHERE accepted_answer_id IS NOT NULL;

-- Only a database that has members has reputations to replay (a new one starts empty).
INSERT INTO meta (key, value) SELECT 'replay_reputation', '0009' WHERE EXISTS (SELECT 1 FROM members)
ON CONFLICT (key) DO UPDATE SET value = excluded.value;

PRAGMA user_version = 9;
COMMIT;
