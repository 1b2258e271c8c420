"""Phase 2's bot process: what `quorum run` with QUORUM_WEB_BIND starts (bot/cli.py `_run`): the web
server as its child process (bot.web_child.WebChild, `python -m bot web`), and QuorumApp on the same
database, here connected to the paced gateway. The store's apply_vote is wrapped to stamp each
vote's return (after its COMMIT) with time.monotonic(), keyed by (post, voter).

Protocol (a multiprocessing pipe): -> ("ready", web server pid); <- ("stop",); -> ("done", {...}).
"""

from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path

TOKEN = "bench-token"


def main(pipe, api_base: str, gateway_url: str, database: str, web_port: int, summary_delay: float) -> None:
    asyncio.run(_main(pipe, api_base, gateway_url, Path(database), web_port, summary_delay))


async def _main(pipe, api_base: str, gateway_url: str, database: Path, web_port: int, summary_delay: float) -> None:
    from bot.app import QuorumApp
    from bot.config import Settings
    from bot.web_child import WebChild

    logging.basicConfig(level=logging.WARNING)
    settings = Settings(token=TOKEN, database_url=f"sqlite:///{database}", api_base=api_base,
                        gateway_url=gateway_url, log_level="WARNING", summary_delay=summary_delay,
                        web_bind=("127.0.0.1", web_port), public_url="https://forum.example.org")  # fmt: skip
    child = WebChild(settings)
    await child.start()
    app = QuorumApp(settings)
    try:
        await app.start()
        await app.wait_until_ready()
        assert app.store is not None and child.process is not None
        await asyncio.sleep(0.5)  # on_ready handlers have nothing to do: let them finish
        store = app.store
        committed: list[tuple[int, int, float, str]] = []
        apply_vote = store.apply_vote

        async def timed_apply_vote(post_id, voter_id, value, at, **kwargs):
            outcome = await apply_vote(post_id, voter_id, value, at, **kwargs)
            committed.append((post_id, voter_id, time.monotonic(), type(outcome).__name__))
            return outcome

        store.apply_vote = timed_apply_vote  # type: ignore[method-assign]
        writer = store.writer
        base = {"ops": writer.ops, "commits": writer.commits, "failed_ops": writer.failed_ops}
        pipe.send(("ready", child.process.pid))
        loop = asyncio.get_running_loop()
        message = await loop.run_in_executor(None, pipe.recv)
        assert message == ("stop",), message
        await asyncio.sleep(0.5)  # the last votes' commits
        result = {
            "committed": committed,
            "writer": {k: getattr(writer, k) - v for k, v in base.items()},
            "gateway_task_done": app.task.done() if app.task else None,
        }
        pipe.send(("done", result))
    finally:
        await app.close()
        await child.stop()
