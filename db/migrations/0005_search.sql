-- 0005: full-text search, question tags as rows, and drafts waiting on the similar-questions step.
BEGIN IMMEDIATE;

-- What is searchable: every live post, the starter post carrying its question's title too (a
-- question's title and body are one document, so a title word and a body word can both match it).
-- FTS5 reads this view only for snippet() and 'rebuild'; the index is kept by the triggers below.
CREATE VIEW search_docs AS
SELECT p.id AS id,
       CASE WHEN p.kind = 'question' THEN q.title ELSE '' END AS title,
       p.body AS body
FROM posts p JOIN questions q ON q.id = p.question_id
WHERE p.deleted_at IS NULL;

-- External content: the text is stored once (in posts), the index only holds tokens. diacritics
-- folded so "cafe" finds "café".
CREATE VIRTUAL TABLE post_fts USING fts5(
    title, body, content = 'search_docs', content_rowid = 'id', tokenize = 'unicode61 remove_diacritics 2'
);

-- An external-content index must be told the exact old values on delete, or it silently corrupts:
-- every trigger derives the title the same way the view does, from the question's current title.
CREATE TRIGGER posts_fts_insert AFTER INSERT ON posts WHEN new.deleted_at IS NULL BEGIN
    INSERT INTO post_fts (rowid, title, body) VALUES (
        new.id,
        CASE WHEN new.kind = 'question' THEN (SELECT title FROM questions WHERE id = new.question_id) ELSE '' END,
        new.body);
END;

CREATE TRIGGER posts_fts_edit AFTER UPDATE OF body ON posts
WHEN old.deleted_at IS NULL AND new.deleted_at IS NULL AND old.body IS NOT new.body BEGIN
    INSERT INTO post_fts (post_fts, rowid, title, body) VALUES ('delete', old.id,
        CASE WHEN old.kind = 'question' THEN (SELECT title FROM questions WHERE id = old.question_id) ELSE '' END,
        old.body);
    INSERT INTO post_fts (rowid, title, body) VALUES (new.id,
        CASE WHEN new.kind = 'question' THEN (SELECT title FROM questions WHERE id = new.question_id) ELSE '' END,
        new.body);
END;

-- Deleted posts leave the index (a thread deletion soft-deletes each of its posts).
CREATE TRIGGER posts_fts_delete AFTER UPDATE OF deleted_at ON posts
WHEN old.deleted_at IS NULL AND new.deleted_at IS NOT NULL BEGIN
    INSERT INTO post_fts (post_fts, rowid, title, body) VALUES ('delete', old.id,
        CASE WHEN old.kind = 'question' THEN (SELECT title FROM questions WHERE id = old.question_id) ELSE '' END,
        old.body);
END;

CREATE TRIGGER posts_fts_undelete AFTER UPDATE OF deleted_at ON posts
WHEN old.deleted_at IS NOT NULL AND new.deleted_at IS NULL BEGIN
    INSERT INTO post_fts (rowid, title, body) VALUES (new.id,
        CASE WHEN new.kind = 'question' THEN (SELECT title FROM questions WHERE id = new.question_id) ELSE '' END,
        new.body);
END;

-- A rename re-indexes the starter post (found through posts_by_question).
CREATE TRIGGER questions_fts_title AFTER UPDATE OF title ON questions WHEN old.title IS NOT new.title BEGIN
    INSERT INTO post_fts (post_fts, rowid, title, body)
        SELECT 'delete', id, old.title, body FROM posts
        WHERE question_id = old.id AND kind = 'question' AND deleted_at IS NULL;
    INSERT INTO post_fts (rowid, title, body)
        SELECT id, new.title, body FROM posts
        WHERE question_id = new.id AND kind = 'question' AND deleted_at IS NULL;
END;

INSERT INTO post_fts (post_fts) VALUES ('rebuild');

-- questions.tags (a JSON array) stays the source of truth; this index of it lets `tag:` and a tag
-- leaderboard read one b-tree range instead of parsing JSON in every question row.
CREATE TABLE question_tags (
    guild_id    INTEGER NOT NULL,
    tag         TEXT NOT NULL,
    question_id INTEGER NOT NULL,
    PRIMARY KEY (guild_id, tag, question_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX question_tags_by_question ON question_tags (question_id);

CREATE TRIGGER questions_tags_insert AFTER INSERT ON questions BEGIN
    INSERT OR IGNORE INTO question_tags (guild_id, tag, question_id)
        SELECT new.guild_id, value, new.id FROM json_each(new.tags);
END;

CREATE TRIGGER questions_tags_update AFTER UPDATE OF tags ON questions WHEN old.tags IS NOT new.tags BEGIN
    DELETE FROM question_tags WHERE question_id = old.id;
    INSERT OR IGNORE INTO question_tags (guild_id, tag, question_id)
        SELECT new.guild_id, value, new.id FROM json_each(new.tags);
END;

INSERT OR IGNORE INTO question_tags (guild_id, tag, question_id)
    SELECT q.guild_id, t.value, q.id FROM questions q, json_each(q.tags) t;

-- /ask's draft while the asker looks at similar questions: the buttons carry only its id, so
-- "Post anyway" still works after a restart. Ids are random (not rowids that a deleted draft would
-- hand to the next one), and drafts expire.
CREATE TABLE pending_asks (
    id         INTEGER PRIMARY KEY,
    guild_id   INTEGER NOT NULL,
    user_id    INTEGER NOT NULL,
    title      TEXT NOT NULL,
    body       TEXT NOT NULL,
    tags       TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(tags)),
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
) STRICT;
CREATE INDEX pending_asks_by_expiry ON pending_asks (expires_at);

PRAGMA user_version = 5;
COMMIT;
