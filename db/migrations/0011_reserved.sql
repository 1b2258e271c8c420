-- 0011: TEMP placeholder on branch web-lists so 0012 applies (numbers may have no gap); 0011 belongs to
-- the consent helper's branch. The integrator drops this file when that branch brings its 0011.
BEGIN IMMEDIATE;
PRAGMA user_version = 11;
COMMIT;
