-- 0014: a placeholder on branch notify17 only, so 0016 applies here (numbers must have no gap).
-- Number 14 belongs to another branch: DELETE THIS FILE when merging that branch's 0014.
BEGIN IMMEDIATE;
PRAGMA user_version = 14;
COMMIT;
