"""The store: SQLite behind bot.forum.ports.ForumStore.

connection.py  DATABASE_URL parsing, writability check, connection PRAGMAs
migrate.py     numbered migrations/NNNN_name.sql, version in PRAGMA user_version
writer.py      the single writer: queues writes, feeds batches to the write process (group commit)
write_process.py / write_server.py   that process: the bot's side / its own (the only write connection)
batch.py       one batch: BEGIN IMMEDIATE, every operation, one COMMIT
queries.py     every SQL statement, parameterised
convert.py     datetimes <-> unix ms, models <-> rows
store.py       SqliteStore and open_store(path)
search.py, search_queries.py   searches: the search index's hits confirmed by the store, or FTS5 alone
search_engine.py   the search index's engine (tantivy): schema, words, queries, the marker document
search_index.py    where the index lives (CURRENT names the one in use) and the side that searches it
search_indexer.py  the thread that keeps it caught up with the store's journal, and rebuilds it
(and more modules, each named for what it stores)
"""
