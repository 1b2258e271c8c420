-- 0012: a journal of the posts whose searchable text or place changed, which the search index
-- (db/search_indexer.py) follows. The store stays the truth: the index records the last change it
-- has seen, replays what came after at start, and is rebuilt from the posts when it cannot.
BEGIN IMMEDIATE;

-- seq is AUTOINCREMENT so a number is never handed out twice, even after the rows below it are gone.
CREATE TABLE search_changes (
    seq     INTEGER PRIMARY KEY AUTOINCREMENT,
    post_id INTEGER NOT NULL
) STRICT;

-- Which store an index was built from: an index beside a different database (a copy, a restore) is
-- rebuilt rather than trusted.
CREATE TABLE search_store (
    id       INTEGER PRIMARY KEY CHECK (id = 1),
    store_id TEXT NOT NULL
) STRICT;
INSERT INTO search_store (id, store_id) VALUES (1, lower(hex(randomblob(16))));

CREATE TRIGGER search_post_added AFTER INSERT ON posts BEGIN
    INSERT INTO search_changes (post_id) VALUES (new.id);
END;
CREATE TRIGGER search_post_edited AFTER UPDATE OF body ON posts WHEN old.body IS NOT new.body BEGIN
    INSERT INTO search_changes (post_id) VALUES (new.id);
END;
CREATE TRIGGER search_post_deleted AFTER UPDATE OF deleted_at ON posts
WHEN old.deleted_at IS NOT new.deleted_at BEGIN
    INSERT INTO search_changes (post_id) VALUES (new.id);
END;
CREATE TRIGGER search_post_removed AFTER DELETE ON posts BEGIN
    INSERT INTO search_changes (post_id) VALUES (old.id);
END;
-- The title lives in the starter post's document; tags in every post's of the thread.
CREATE TRIGGER search_title_changed AFTER UPDATE OF title ON questions WHEN old.title IS NOT new.title BEGIN
    INSERT INTO search_changes (post_id)
        SELECT id FROM posts WHERE question_id = new.id AND kind = 'question';
END;
CREATE TRIGGER search_tags_changed AFTER UPDATE OF tags ON questions WHEN old.tags IS NOT new.tags BEGIN
    INSERT INTO search_changes (post_id) SELECT id FROM posts WHERE question_id = new.id;
END;

-- What the index filters on besides (is:accepted, is:open, is:unanswered) is the thread's: every post
-- of it is indexed again when the question turns accepted or not, open or not, answered or not.
CREATE TRIGGER search_acceptance_changed AFTER UPDATE OF accepted_answer_id ON questions
WHEN (old.accepted_answer_id IS NULL) != (new.accepted_answer_id IS NULL) BEGIN
    INSERT INTO search_changes (post_id) SELECT id FROM posts WHERE question_id = new.id;
END;
CREATE TRIGGER search_openness_changed AFTER UPDATE OF status ON questions
WHEN (old.status = 'open') != (new.status = 'open') BEGIN
    INSERT INTO search_changes (post_id) SELECT id FROM posts WHERE question_id = new.id;
END;
CREATE TRIGGER search_first_answer AFTER INSERT ON posts
WHEN new.kind = 'answer' AND new.deleted_at IS NULL AND NOT EXISTS (
    SELECT 1 FROM posts WHERE question_id = new.question_id AND kind = 'answer' AND deleted_at IS NULL AND id != new.id)
BEGIN
    INSERT INTO search_changes (post_id) SELECT id FROM posts WHERE question_id = new.question_id AND id != new.id;
END;
CREATE TRIGGER search_only_answer_comes_or_goes AFTER UPDATE OF deleted_at ON posts
WHEN new.kind = 'answer' AND (old.deleted_at IS NULL) != (new.deleted_at IS NULL) AND NOT EXISTS (
    SELECT 1 FROM posts WHERE question_id = new.question_id AND kind = 'answer' AND deleted_at IS NULL AND id != new.id)
BEGIN
    INSERT INTO search_changes (post_id) SELECT id FROM posts WHERE question_id = new.question_id AND id != new.id;
END;

-- The journal keeps the last 100,000 changes: an index further behind than that is rebuilt.
CREATE TRIGGER search_changes_window AFTER INSERT ON search_changes BEGIN
    DELETE FROM search_changes WHERE seq <= new.seq - 100000;
END;

PRAGMA user_version = 12;
COMMIT;
