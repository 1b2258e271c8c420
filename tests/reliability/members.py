"""Simulated members acting at a steady rate through the emulator: questions, answers, replies,
edits, deletions, renames, votes (switches and withdrawals too, and some on their own posts), pins
by a moderator. Every action is one Discord allows; what the emulator refuses (a thread archived in
the meantime) is skipped."""

from __future__ import annotations

import asyncio
import random
from collections import Counter

from emulator.httputil import DiscordError

from .support import DOWN, UP


class Members:
    def __init__(self, emulator, rng: random.Random, *, members: int = 6, max_threads: int = 6,
                 pause: tuple[float, float] = (0.005, 0.025)) -> None:  # fmt: skip
        self.emu = emulator
        self.rng = rng
        w = emulator.world
        self.ids = [w.add_member(f"member{i}", _quiet=True) for i in range(members)]
        self.mod = w.members["mod"].id
        self.max_threads = max_threads
        self.pause = pause
        self.done = Counter()  # action -> how many were carried out
        self.running = asyncio.Event()
        self._task: asyncio.Task | None = None
        self._stop = False

    # ----- lifecycle -------------------------------------------------------------------------
    def start(self) -> None:
        self.running.set()
        self._task = asyncio.create_task(self._loop())

    def hold(self) -> None:
        self.running.clear()

    def resume(self) -> None:
        self.running.set()

    async def stop(self) -> None:
        self._stop = True
        self.running.set()
        if self._task is not None:
            await self._task

    async def _loop(self) -> None:
        while not self._stop:
            await self.running.wait()
            if self._stop:
                return
            try:
                await self.act()
            except (DiscordError, LookupError):
                self.done["refused"] += 1
            await asyncio.sleep(self.rng.uniform(*self.pause))

    # ----- the world as members see it ----------------------------------------------------------
    def threads(self) -> list[int]:
        w = self.emu.world
        return [tid for tid, t in w.threads.items()
                if int(t["parent_id"]) == w.forum_channel_id and not t["thread_metadata"]["archived"]]  # fmt: skip

    def posts(self, tid: int, *, by: int | None = None) -> list[int]:
        msgs = self.emu.world.messages.get(tid, {})
        return [mid for mid, m in msgs.items() if m["type"] in (0, 19) and not m["author"].get("bot")
                and (by is None or int(m["author"]["id"]) == by)]  # fmt: skip

    # ----- one action ----------------------------------------------------------------------------
    async def act(self) -> None:
        rng, emu = self.rng, self.emu
        threads = self.threads()
        who = rng.choice(self.ids)
        n = self._n = getattr(self, "_n", 0) + 1
        if not threads or (len(threads) < self.max_threads and rng.random() < 0.03):
            await emu.create_forum_post(who, f"Question {n} from {who}", f"body {n}")
            self.done["question"] += 1
            return
        tid = rng.choice(threads)
        posts = self.posts(tid)
        roll = rng.random()
        if roll < 0.45:  # a vote: up, down (a switch if the other is held), or taken back
            mid = rng.choice(posts)
            emoji = rng.choice((UP, DOWN))
            held = who in self.emu.world.reactions.get(mid, {}).get(emoji, [])
            if held:
                await emu.remove_reaction(who, tid, mid, emoji)
                self.done["unvote"] += 1
            else:
                await emu.add_reaction(who, tid, mid, emoji)
                self.done["vote"] += 1
        elif roll < 0.65:
            await emu.post_message(who, tid, f"answer {n}")
            self.done["answer"] += 1
        elif roll < 0.72:
            await emu.post_message(who, tid, f"reply {n}", reply_to=rng.choice(posts))
            self.done["reply"] += 1
        elif roll < 0.84:
            mine = [m for m in posts if self._author(tid, m) == who] or posts
            await emu.edit_message(tid, rng.choice(mine), f"edited {n}")
            self.done["edit"] += 1
        elif roll < 0.89:
            doomed = [m for m in posts if m != tid]
            if doomed:
                await emu.delete_message(tid, rng.choice(doomed))
                self.done["delete"] += 1
        elif roll < 0.95:
            answers = [m for m in posts if m != tid and self.emu.world.messages[tid][m]["type"] == 0]
            if answers:
                await emu.pin(self.mod, tid, rng.choice(answers))
                self.done["pin"] += 1
        elif roll < 0.97:
            pinned = self.emu.world.pinned_ids(tid)
            if pinned:
                await emu.unpin(self.mod, tid, rng.choice(pinned))
                self.done["unpin"] += 1
        else:
            await emu.rename_thread(tid, f"Question {tid % 1000} renamed {n}")
            self.done["rename"] += 1

    def _author(self, tid: int, mid: int) -> int:
        return int(self.emu.world.messages[tid][mid]["author"]["id"])
