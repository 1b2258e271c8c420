"""SQL of the web's list pages, profiles and sitemap. Values are always bound as parameters.

A listed question is live and known to be in a public thread: `deleted_at IS NULL AND thread_type
IN (10, 11)`, written exactly so, which is how SQLite knows the partial indexes of migration 0012
apply. Which channels are public the caller decides (bot/forum/public.py) and binds as a JSON array
(`:channels`). `+channel_id` keeps that list a filter on the index walk: as an index constraint it
would make SQLite read each channel's range and sort them all.

Each page reads its question ids from an index in order (LIMIT/OFFSET over index entries only), and
only then the rows of those ids (MATERIALIZED: the row reads, and the answer counts, are for the
page alone, never for the entries skipped by the offset).
"""

NEWEST = """
WITH page AS MATERIALIZED (
    SELECT id FROM questions
    WHERE guild_id = :guild AND deleted_at IS NULL AND thread_type IN (10, 11)
      AND +channel_id IN (SELECT value FROM json_each(:channels))
    ORDER BY id DESC LIMIT :limit OFFSET :offset)
SELECT q.id, q.guild_id, q.channel_id, q.title, q.author_id, q.score, q.status, q.tags, q.created_at,
       q.accepted_answer_id IS NOT NULL AS solved,
       (SELECT count(*) FROM posts a
        WHERE a.question_id = q.id AND a.kind = 'answer' AND a.deleted_at IS NULL) AS answers
FROM page JOIN questions q ON q.id = page.id ORDER BY q.id DESC
"""

TOP = """
WITH page AS MATERIALIZED (
    SELECT id, score FROM questions
    WHERE guild_id = :guild AND deleted_at IS NULL AND thread_type IN (10, 11)
      AND +channel_id IN (SELECT value FROM json_each(:channels))
    ORDER BY score DESC, id DESC LIMIT :limit OFFSET :offset)
SELECT q.id, q.guild_id, q.channel_id, q.title, q.author_id, q.score, q.status, q.tags, q.created_at,
       q.accepted_answer_id IS NOT NULL AS solved,
       (SELECT count(*) FROM posts a
        WHERE a.question_id = q.id AND a.kind = 'answer' AND a.deleted_at IS NULL) AS answers
FROM page JOIN questions q ON q.id = page.id ORDER BY page.score DESC, q.id DESC
"""

# Newest first, skipping the questions with a live answer (one probe of posts_live_answers each).
UNANSWERED = """
WITH page AS MATERIALIZED (
    SELECT id FROM questions
    WHERE guild_id = :guild AND deleted_at IS NULL AND thread_type IN (10, 11)
      AND +channel_id IN (SELECT value FROM json_each(:channels))
      AND NOT EXISTS (SELECT 1 FROM posts a
                      WHERE a.question_id = questions.id AND a.kind = 'answer' AND a.deleted_at IS NULL)
    ORDER BY id DESC LIMIT :limit OFFSET :offset)
SELECT q.id, q.guild_id, q.channel_id, q.title, q.author_id, q.score, q.status, q.tags, q.created_at,
       q.accepted_answer_id IS NOT NULL AS solved,
       (SELECT count(*) FROM posts a
        WHERE a.question_id = q.id AND a.kind = 'answer' AND a.deleted_at IS NULL) AS answers
FROM page JOIN questions q ON q.id = page.id ORDER BY q.id DESC
"""

# A tag's questions, newest first: question_tags' own key range walked backwards, each question
# looked up by its id (CROSS JOIN keeps that order: the tag's range drives).
TAGGED = """
WITH page AS MATERIALIZED (
    SELECT t.question_id AS id FROM question_tags t CROSS JOIN questions q ON q.id = t.question_id
    WHERE t.guild_id = :guild AND t.tag = :tag AND q.deleted_at IS NULL AND q.thread_type IN (10, 11)
      AND +q.channel_id IN (SELECT value FROM json_each(:channels))
    ORDER BY t.question_id DESC LIMIT :limit OFFSET :offset)
SELECT q.id, q.guild_id, q.channel_id, q.title, q.author_id, q.score, q.status, q.tags, q.created_at,
       q.accepted_answer_id IS NOT NULL AS solved,
       (SELECT count(*) FROM posts a
        WHERE a.question_id = q.id AND a.kind = 'answer' AND a.deleted_at IS NULL) AS answers
FROM page JOIN questions q ON q.id = page.id ORDER BY q.id DESC
"""

# -- counts (maintained by 0012's triggers)

CHANNEL_COUNTS = """
SELECT channel_id, questions FROM channel_question_counts
WHERE channel_id IN (SELECT value FROM json_each(?)) AND questions > 0
"""
TAG_COUNTS = """
SELECT tag, sum(questions) AS n FROM channel_tag_counts
WHERE channel_id IN (SELECT value FROM json_each(?1))
GROUP BY tag HAVING n > 0 ORDER BY n DESC, tag LIMIT ?2
"""
TAG_COUNT = """
SELECT coalesce(sum(questions), 0) FROM channel_tag_counts
WHERE channel_id IN (SELECT value FROM json_each(?1)) AND tag = ?2
"""

# -- publication across guilds (the consent rule itself is applied by the caller)

PUBLISHED_CHANNELS = """
SELECT channel_id, guild_id, published, everyone_can_read, published_by, published_at FROM web_channels
WHERE published = 1 ORDER BY guild_id, channel_id
"""
GUILD_NAMES = "SELECT guild_id, name FROM web_guilds WHERE guild_id IN (SELECT value FROM json_each(?))"

# Which of these questions are listed (a page of search results, a profile's best posts), and their askers.
LISTED_AMONG = """
SELECT id, author_id FROM questions
WHERE id IN (SELECT value FROM json_each(?1)) AND deleted_at IS NULL AND thread_type IN (10, 11)
  AND channel_id IN (SELECT value FROM json_each(?2))
"""
POST_AUTHORS = "SELECT id, author_id, kind FROM posts WHERE id IN (SELECT value FROM json_each(?))"

# -- a member's public profile: the member's live questions, answers and replies (posts_live_by_author, 0004)
# in listed questions of public channels (each question by its id).
MEMBER_PUBLIC_COUNTS = """
SELECT
    (SELECT count(*) FROM posts p JOIN questions q ON q.id = p.question_id
     WHERE p.guild_id = ?1 AND p.author_id = ?2 AND p.kind = 'question' AND p.deleted_at IS NULL
       AND q.deleted_at IS NULL AND q.thread_type IN (10, 11)
       AND q.channel_id IN (SELECT value FROM json_each(?3))) AS questions,
    (SELECT count(*) FROM posts p JOIN questions q ON q.id = p.question_id
     WHERE p.guild_id = ?1 AND p.author_id = ?2 AND p.kind = 'answer' AND p.deleted_at IS NULL
       AND q.deleted_at IS NULL AND q.thread_type IN (10, 11)
       AND q.channel_id IN (SELECT value FROM json_each(?3))) AS answers,
    (SELECT count(*) FROM posts p JOIN questions q ON q.id = p.question_id
     WHERE p.guild_id = ?1 AND p.author_id = ?2 AND p.kind = 'reply' AND p.deleted_at IS NULL
       AND q.deleted_at IS NULL AND q.thread_type IN (10, 11)
       AND q.channel_id IN (SELECT value FROM json_each(?3))) AS replies
"""

# -- sitemap: every listed question of public channels, all guilds, by id; duplicates left out
# (their canonical page is the original's). The table is walked by its primary key (a sitemap needs
# each row's title anyway, for the URL's slug). lastmod is written by SQLite as the W3C datetime a
# sitemap takes: at 200k questions, each Python step per row counts.

# The chunks of the index: position n (from 1) goes to chunk (n - 1) / :size.
SITEMAP_CHUNKS = """
SELECT (n - 1) / :size AS chunk, count(*) AS urls,
       strftime('%Y-%m-%dT%H:%M:%SZ', max(changed_at) / 1000, 'unixepoch') AS lastmod
FROM (SELECT row_number() OVER (ORDER BY id) AS n, changed_at FROM questions
      WHERE deleted_at IS NULL AND thread_type IN (10, 11) AND status != 'duplicate'
        AND +channel_id IN (SELECT value FROM json_each(:channels)))
GROUP BY chunk ORDER BY chunk
"""
# The id a chunk starts from (NULL: past the end).
SITEMAP_CHUNK_START = """
SELECT id FROM questions
WHERE deleted_at IS NULL AND thread_type IN (10, 11) AND status != 'duplicate'
  AND +channel_id IN (SELECT value FROM json_each(:channels))
ORDER BY id LIMIT 1 OFFSET :skip
"""
# A batch of a chunk, by keyset on id, with whether each asker hides from the web (web_privacy's key).
SITEMAP_BATCH = """
SELECT q.id, q.title, strftime('%Y-%m-%dT%H:%M:%SZ', q.changed_at / 1000, 'unixepoch'),
       EXISTS (SELECT 1 FROM web_privacy w WHERE w.guild_id = q.guild_id AND w.user_id = q.author_id AND w.hidden = 1)
FROM questions q
WHERE q.id >= :from AND q.deleted_at IS NULL AND q.thread_type IN (10, 11) AND q.status != 'duplicate'
  AND +q.channel_id IN (SELECT value FROM json_each(:channels))
ORDER BY q.id LIMIT :limit
"""
