-- 0007: reserved for another branch's migration (this branch's is 0008). Placeholder only, so the
-- numbering has no gap here; drop it when merging, where the real 0007 takes its place.
BEGIN IMMEDIATE;
PRAGMA user_version = 7;
COMMIT;
