"""SQL of moderation: a question's status and the audit log's size. Values are always parameters."""

# Changes only what differs, so a replayed or repeated change reports False and writes no audit entry.
SET_STATUS = """
UPDATE questions SET status = ?1, duplicate_of = ?2, updated_at = max(updated_at, ?3)
WHERE id = ?4 AND deleted_at IS NULL AND (status IS NOT ?1 OR duplicate_of IS NOT ?2)
"""

# Both counts read the audit log's indexes (audit_by_guild, audit_by_actor).
AUDIT_COUNT = "SELECT count(*) AS n FROM audit_log WHERE guild_id = ?"
AUDIT_COUNT_BY_ACTOR = "SELECT count(*) AS n FROM audit_log WHERE guild_id = ? AND actor_id = ?"
