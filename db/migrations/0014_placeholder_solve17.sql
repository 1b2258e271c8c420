-- TEMP placeholder: migration 0014 belongs to another branch. It lets 0015 apply on this branch;
-- drop this file when merging the branch that owns 0014.
BEGIN IMMEDIATE;
PRAGMA user_version = 14;
COMMIT;
