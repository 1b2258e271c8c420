"""`quorum recount [--fix]`: rebuild every score and reputation from the stored votes and compare
them with the maintained counters. No Discord connection: only the store is opened.

Scores and reputation are counters updated in each vote's transaction (DESIGN §3); this is the
check that they still agree with the votes. Reputation never goes below 1 at any moment, so it is
recounted by replaying each member's votes and acceptances in time order (bot/forum/voting.py).
Exit 0 when they agree (or were repaired with --fix), 1 when differences were found and left alone.
The recount runs in one transaction of the store's writer, so a bot running on the same database only
waits for it; --fix repairs in that transaction.
"""

from __future__ import annotations

import asyncio
import sys
from typing import TextIO

from bot.config import Settings
from bot.progress import with_progress
from db.store import open_store
from db.votes import Recount, RecountProgress

SHOW_AFTER = 1.0  # seconds before a progress display appears: a small forum recounts at once
LISTED = 20  # differences listed one by one; the rest are counted


def progress_line(progress: RecountProgress, elapsed: float) -> str:
    what = {"votes": "votes read", "reputation": "votes and acceptances replayed"}.get(
        progress.phase, "counters compared"
    )
    return f"recount: {progress.phase}… {progress.rows:,} {what} ({elapsed:.0f} s)"


async def run_recount(settings: Settings, *, fix: bool, stream: TextIO | None = None) -> Recount:
    progress = RecountProgress()
    store = await open_store(settings.database_path, readers=1, follow_search_index=False)
    try:
        return await with_progress(store.recount(fix=fix, progress=progress),
                                   lambda elapsed: progress_line(progress, elapsed), stream or sys.stderr,
                                   show_after=SHOW_AFTER)  # fmt: skip
    finally:
        await store.close()


def report(found: Recount, *, fix: bool) -> str:
    """What people read: one line when all is well, otherwise each difference (up to LISTED)."""
    checked = f"{found.votes:,} vote(s) counted, {found.checked:,} counter(s) compared"
    if not found.differences:
        return f"Recount: {checked}: scores and reputation agree with the votes."
    rows = [f"  post {pid}: score {old} stored, {new} by the votes" for pid, (old, new) in found.posts.items()]
    rows += [f"  question {qid}: score {old} stored, {new} by the votes" for qid, (old, new) in found.questions.items()]
    rows += [
        f"  member {uid} in guild {gid}: reputation {old} stored, {new} by the votes"
        for (gid, uid), (old, new) in found.members.items()
    ]
    more = [f"  … and {len(rows) - LISTED} more"] if len(rows) > LISTED else []
    kinds = f"{len(found.posts)} post(s), {len(found.questions)} question(s), {len(found.members)} member(s)"
    outcome = "repaired" if fix else "not repaired (run `quorum recount --fix` to repair them)"
    return "\n".join([f"Recount: {checked}: {found.differences} difference(s) ({kinds}), {outcome}:",
                      *rows[:LISTED], *more])  # fmt: skip


def recount_command(settings: Settings, *, fix: bool) -> int:
    if not settings.database_path.exists():
        # Opening would create an empty database, which would "agree" and hide a wrong DATABASE_URL.
        print(f"quorum: no database at {settings.database_path} (check DATABASE_URL)", file=sys.stderr)
        return 2
    found = asyncio.run(run_recount(settings, fix=fix))
    print(report(found, fix=fix))
    return 0 if fix or not found.differences else 1
