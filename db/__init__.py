"""The store: SQLite behind bot.forum.ports.ForumStore.

connection.py  DATABASE_URL parsing, writability check, connection PRAGMAs
migrate.py     numbered migrations/NNNN_name.sql, version in PRAGMA user_version
writer.py      the single writer task (group commit)
queries.py     every SQL statement, parameterised
convert.py     datetimes <-> unix ms, models <-> rows
store.py       SqliteStore and open_store(path)
"""
