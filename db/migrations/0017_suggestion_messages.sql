-- 0017: a suggestion's message in its thread (Suggest as solution, issue 17), so that an answer accepted
-- another way (/accept, a pin, the menu, another suggestion) closes the question's open suggestions
-- by editing their messages: their Accept / Not this one buttons go. NULL: posted before this
-- migration, or not posted yet.
BEGIN IMMEDIATE;

ALTER TABLE suggestions ADD COLUMN message_id INTEGER;

PRAGMA user_version = 17;
COMMIT;
