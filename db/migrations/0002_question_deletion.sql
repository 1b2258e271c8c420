-- 0002: a deleted thread soft-deletes its question (kept with its history, hidden from views).
BEGIN IMMEDIATE;

ALTER TABLE questions ADD COLUMN deleted_at INTEGER;

PRAGMA user_version = 2;
COMMIT;
