"""The store: SQLite behind the forum's ports (bot/forum/ports.py). Each group's SQL sits in its
*_queries.py, or in queries.py for the core tables.

The store and its database
  store.py         SqliteStore (its core methods, the mixins below) and open_store(path)
  connection.py    DATABASE_URL parsing, writability check, connections and their PRAGMAs
  migrate.py       numbered migrations/NNNN_name.sql, version in PRAGMA user_version
  integrity.py     the damage check at start, under a time budget
  lock.py          one running Quorum per database (<database>.lock)
  readers.py       the reader connections, shared with the web's store
  convert.py       datetimes <-> unix ms, models <-> rows
  unavailable.py   which write failures mean "storage unavailable"

Writing (SQLite only)
  writer.py        the single writer: queues writes, commits them in batches (group commit)
  write_process.py / write_server.py   the write process: the bot's side / its own (the only write connection)
  batch.py         one batch: BEGIN IMMEDIATE, every operation, one COMMIT
  checkpointer.py  WAL checkpoints off the commit path, in the write process

The forum's state (writer operations and read mixins)
  queries.py                          questions, posts, settings, audit log, meta (single values)
  bot_state.py                        summary places, told-once marks, catch-up watermarks, command hashes
  votes.py, vote_queries.py           votes and scores; recount
  reputation.py, reputation_queries.py    reputation under the running floor
  acceptance.py; moderation.py, moderation_queries.py
  catchup_queries.py                  what catch-up compares with Discord
  thread_page.py                      /question's read in one hop
  member_stats.py, member_queries.py  /profile and /top
  followups.py, followup_queries.py   idle nudges, archives, /unanswered
  notifications.py                    notifications and suggestions
  similar_offers.py                   similar questions offered in members' own posts
  erasure.py, member_export.py        a member's data: erased, or copied for them
  retention.py                        deleted text and departed guilds past their periods

Search
  search.py, search_queries.py    searches, tags, pending /ask drafts; FTS5 when there is no index
  search_engine.py                the search index's engine (tantivy)
  search_index.py                 where the index lives, and the side that searches it
  search_indexer.py, search_index_queries.py   the thread that keeps it caught up, and rebuilds it
  search_budget.py                a search's time budget and CPU share

Export and import
  export_reader.py, export_queries.py            `quorum export`: one snapshot, read in pages
  import_writes.py, import_queries.py, import_bulk.py   `quorum import`: one transaction

The web (read-only)
  web_store.py                        the web server's store
  web_directory.py                    names, channel publication, members' web choices (the bot writes them)
  web_lists.py, web_lists_queries.py  list pages, profiles, sitemap
"""
