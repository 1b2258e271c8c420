-- 0004: /profile reads a member's live posts from one index, without touching the table: counts by
-- kind are index ranges, the best posts are the first entries of a kind's range (score descending),
-- and question_id rides along so the accepted-answer count only looks up questions by primary key.
-- Partial (live posts only), so deleted posts are not even in it; deleted_at (always NULL in it) is
-- still a column because SQLite 3.40 counts a partial index as covering only if it holds every column
-- the query names, the partial index's own condition included. The score column makes a vote update
-- this index too: one more b-tree entry moved per vote, the price of index-only profiles.
BEGIN IMMEDIATE;

CREATE INDEX posts_live_by_author ON posts (guild_id, author_id, kind, score DESC, question_id, deleted_at)
WHERE deleted_at IS NULL;

PRAGMA user_version = 4;
COMMIT;
