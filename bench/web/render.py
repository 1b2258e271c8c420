"""Phase 1: question pages rendered in-process through the handler's own code.

The aiohttp app is built as `quorum web` builds it (web.app.build_app over PublicSite over the
read-only WebStore); each page is one call of the site's middleware around the question handler
(web.question.question_page) on a mocked request: the store's reads, the consent rules, the
markdown, the template and the ETag hash. Not counted: HTTP parsing and gzip (phase 2 has them; the
request here accepts no encoding).
"Warm" renders each page once first, so the markdown cache holds its posts; "cold" empties the
markdown caches before every render. Each figure is given as wall time and as the process's CPU
time (time.process_time: the event loop and the store's reader threads), which other processes on a
busy machine inflate less; garbage collections during the measured renders are counted and timed.
"""

from __future__ import annotations

import gc
import html
import sys
import time
from pathlib import Path

from aiohttp.test_utils import make_mocked_request

from bot.forum.public_site import PublicSite
from bot.web_cli import freeze_start_up_heap
from db.web_store import open_web_store

from .prepare import Page
from .stats import summary_ms

CACHED_MODULES = ("web.markdown", "web.md_", "web.question_model")


def clear_markdown_caches() -> int:
    """Empty every functools cache of the markdown and the page model; how many there were."""
    cleared = 0
    for name, module in list(sys.modules.items()):
        if module is None or not name.startswith(CACHED_MODULES):
            continue
        for value in vars(module).values():
            if callable(value) and hasattr(value, "cache_clear") and getattr(value, "__module__", "") == name:
                value.cache_clear()
                cleared += 1
    return cleared


async def run(path: Path, big: list[Page], sample: list[Page], *, big_repeats: int, cold_big_repeats: int) -> dict:
    from web.app import build_app
    from web.middleware import site_middleware
    from web.question import question_page

    store = await open_web_store(path)
    try:
        app = build_app(PublicSite(store), public_url="https://forum.example.org")
        freeze_start_up_heap()  # as `quorum web` does once its app is built

        async def render(page: Page) -> float:
            _, _, thread_id, slug = page.path.split("/")
            # No Accept-Encoding: the render itself; compression (cached per ETag by the middleware) is
            # part of phase 2, where pages are asked for with gzip.
            request = make_mocked_request("GET", page.path, app=app,
                                          match_info={"thread_id": thread_id, "slug": slug})  # fmt: skip
            cpu_started, started = time.process_time(), time.perf_counter()
            response = await site_middleware(request, question_page)
            elapsed = time.perf_counter() - started
            cpu_times.append(time.process_time() - cpu_started)
            body = response.body.decode()
            if response.status != 200 or html.escape(page.title, quote=False) not in body:
                raise RuntimeError(f"{page.path}: status {response.status}, title found: {page.title in body}")
            return elapsed

        async def cold(page: Page) -> float:
            clear_markdown_caches()
            return await render(page)

        cpu_times: list[float] = []  # the process's CPU time per render (reader threads included)

        def measured(name: str, walls: list[float]) -> None:
            result[name] = summary_ms(walls) | {"cpu": summary_ms(cpu_times[-len(walls) :])}

        caches = clear_markdown_caches()
        if caches == 0:
            raise RuntimeError("no markdown cache found to clear: the cold figures would be warm")
        for page in big + sample[:50]:  # imports, templates compiled, SQLite's pages read once
            await render(page)
        result: dict = {"markdown_caches_cleared": caches}
        pauses: dict[int, list[float]] = {0: [], 1: [], 2: []}
        started: list[float] = []

        def timed_collection(phase: str, info: dict) -> None:
            if phase == "start":
                started[:] = [time.perf_counter()]
            elif started:
                pauses[info["generation"]].append(time.perf_counter() - started[0])

        gc.callbacks.append(timed_collection)
        measured("big_cold", [await cold(p) for _ in range(cold_big_repeats) for p in big])
        for page in big:  # the cold phase left only the last page cached: warm means each page was seen once
            await render(page)
        measured("big_warm", [await render(p) for _ in range(big_repeats) for p in big])
        measured("random_cold", [await cold(p) for p in sample])
        for page in sample:
            await render(page)
        measured("random_warm", [await render(p) for p in sample])
        gc.callbacks.remove(timed_collection)
        result["gc_pauses_while_measuring"] = {
            f"gen{g}": {"n": len(p), "max_ms": round(max(p, default=0) * 1000, 2)} for g, p in pauses.items()
        }
        result["gc_frozen_objects"] = gc.get_freeze_count()
        mean = round(sum(p.answers for p in sample) / max(1, len(sample)), 2)
        result["pages"] = {"big": len(big), "big_answers": sorted({p.answers for p in big}), "random": len(sample),
                           "random_answers_mean": mean}  # fmt: skip
        return result
    finally:
        await store.close()
