"""The list pages: / (the guilds that publish), a guild's home (newest, top, unanswered; its tags), a
tag's questions, search, and members' profiles. Thin: PublicLists (bot/forum/public_lists.py) decides
what may be shown; this turns requests into its calls and its answers into templates."""

from __future__ import annotations

from urllib.parse import urlencode

from aiohttp import web

from bot.forum.errors import BadInput
from bot.forum.listing import ListSort
from bot.forum.models import PostKind
from bot.forum.public_lists import MAX_WEB_QUERY, FoundQuestion, GuildSummary, Paged, PublicLists, clamp_page
from bot.forum.search import HELP, HIGHLIGHT, TooBroad
from bot.forum.search_service import PER_PAGE as SEARCH_PER_PAGE
from bot.forum.search_service import SearchService

from .keys import PUBLIC_URL, SITE
from .question import parse_id
from .templating import render
from .urls import guild_path, profile_path, question_path, search_path, tag_path

LISTS = web.AppKey("lists", PublicLists)
SORT_LABELS = {ListSort.NEWEST: "Newest", ListSort.TOP: "Top", ListSort.UNANSWERED: "Unanswered"}
SNIPPET_MAX = 300


def lists_of(app: web.Application) -> PublicLists:
    """The app's PublicLists, made from its site's store the first time (before the app is frozen)."""
    if LISTS not in app:
        store = app[SITE].store
        app[LISTS] = PublicLists(store, SearchService(store))  # type: ignore[arg-type]  # the WebStore
    return app[LISTS]


def add_list_routes(app: web.Application) -> None:
    lists_of(app)
    app.router.add_get("/", front_page)
    app.router.add_get("/g/{guild_id}", guild_home)
    app.router.add_get("/g/{guild_id}/tags/{tag:.+}", tag_page)
    app.router.add_get("/g/{guild_id}/search", search_page)
    app.router.add_get("/u/{guild_id}/{user_id}", profile_page)


# ----- pages -------------------------------------------------------------------------------------


async def front_page(request: web.Request) -> web.StreamResponse:
    guilds = await request.app[LISTS].publishing_guilds()
    if len(guilds) == 1:  # one community: its home is the site's home (canonical /g/{id})
        return await _home(request, guilds[0].guild_id)
    return render(request, "front.html", title="Quorum forums", guilds=guilds,
                  canonical=_absolute(request, "/"),
                  description="Questions and answers from Discord communities.")  # fmt: skip


async def guild_home(request: web.Request) -> web.StreamResponse:
    return await _home(request, parse_id(request.match_info["guild_id"]))


async def _home(request: web.Request, guild_id: int) -> web.StreamResponse:
    sort = _sort(request.query.get("sort"))
    page = clamp_page(request.query.get("page"))
    home = await request.app[LISTS].home(guild_id, sort, page)
    if home is None:
        raise web.HTTPNotFound()
    base = guild_path(guild_id)
    params = {"sort": sort.value} if sort is not ListSort.NEWEST else {}
    tabs = [(label, _with(base, {"sort": s.value} if s is not ListSort.NEWEST else {}), s is sort)
            for s, label in SORT_LABELS.items()]  # fmt: skip
    title = f"{SORT_LABELS[sort]} questions" + (f", page {page}" if page > 1 else "")
    return render(
        request, "home.html", **_guild_context(home.guild), title=title, tabs=tabs, sort=sort,
        rows=_rows(guild_id, home.listing), pager_links=_pager(base, params, home.listing),
        total_line=_count(home.guild.questions, "public question"),
        tags=[(t.tag, t.questions, tag_path(guild_id, t.tag)) for t in home.tags],
        canonical=_absolute(request, _with(base, params, home.listing.page)),
        description=f"Questions and answers of {home.guild.name or 'a Discord community'}, from Discord.",
    )  # fmt: skip


async def tag_page(request: web.Request) -> web.StreamResponse:
    guild_id = parse_id(request.match_info["guild_id"])
    tag = request.match_info["tag"]
    page = clamp_page(request.query.get("page"))
    found = await request.app[LISTS].tag(guild_id, tag, page)
    if found is None:
        raise web.HTTPNotFound()
    base = tag_path(guild_id, tag)
    count = _count(found.questions, "question")
    return render(
        request, "tag.html", **_guild_context(found.guild), tag=tag, count=count,
        title=f"Questions tagged {tag}" + (f", page {page}" if page > 1 else ""),
        rows=_rows(guild_id, found.listing), pager_links=_pager(base, {}, found.listing),
        canonical=_absolute(request, _with(base, {}, found.listing.page)),
        description=f"{count} tagged {tag} in {found.guild.name or 'a Discord community'}.",
    )  # fmt: skip


async def search_page(request: web.Request) -> web.StreamResponse:
    guild_id = parse_id(request.match_info["guild_id"])
    lists = request.app[LISTS]
    text = request.query.get("q", "")
    page = clamp_page(request.query.get("page"))
    context = {"title": "Search", "noindex": True, "help": HELP, "query": text[:MAX_WEB_QUERY]}
    if not text.strip():
        found = await lists.guild(guild_id)
        if found is None:
            raise web.HTTPNotFound()
        return render(request, "search.html", **_guild_context(found[0]), **context)
    try:
        result = await lists.search(guild_id, text, page)
    except TooBroad as exc:  # a fair question that ran out of time: the page says so, no error
        return await _search_refused(request, guild_id, context, exc.message, 200)
    except BadInput as exc:
        return await _search_refused(request, guild_id, context, exc.message, 400)
    if result is None:
        raise web.HTTPNotFound()
    shown = result.page
    base = search_path(guild_id)
    first = shown.page * SEARCH_PER_PAGE + 1
    results = [
        {"title": f.title, "path": question_path(f.result.question_id, f.slug) + _anchor(f),
         "score": f.result.score, "answers": f.result.answers, "accepted": f.result.accepted,
         "created_at": f.result.created_at, "snippet": snippet_parts(f.result.snippet)}
        for f in result.found
    ]  # fmt: skip
    pager = {
        "newer": _with(base, {"q": text}, shown.page) if shown.page > 0 else None,
        "older": _with(base, {"q": text}, shown.page + 2) if shown.page + 1 < shown.pages else None,
        "page": shown.page + 1, "pages": shown.pages,
    }  # fmt: skip
    return render(
        request, "search.html", **_guild_context(result.guild), **{**context, "title": f"Search: {text[:60]}"},
        results=results, pager_links=pager, total=shown.total, capped=shown.capped, newest_only=shown.newest_only,
        first=first, notes=shown.notes, searched=True,
    )  # fmt: skip


async def _search_refused(request: web.Request, guild_id: int, context: dict, message: str, status: int):
    found = await request.app[LISTS].guild(guild_id)
    if found is None:
        raise web.HTTPNotFound()
    return render(request, "search.html", status=status, **_guild_context(found[0]), **context,
                  error=message.replace("`", ""))  # fmt: skip


async def profile_page(request: web.Request) -> web.StreamResponse:
    guild_id = parse_id(request.match_info["guild_id"])
    user_id = parse_id(request.match_info["user_id"])
    profile = await request.app[LISTS].profile(guild_id, user_id)
    if profile is None:
        raise web.HTTPNotFound()
    best = [
        {"title": b.title, "kind": b.post.kind.value, "score": b.post.score,
         "path": question_path(b.post.question_id, b.slug)
         + (f"#answer-{b.post.post_id}" if b.post.kind is PostKind.ANSWER else "")}
        for b in profile.best
    ]  # fmt: skip
    return render(
        request, "profile.html", **_guild_context(profile.guild), title=profile.name, noindex=True,
        profile=profile, best=best, canonical=_absolute(request, profile_path(guild_id, user_id)),
    )  # fmt: skip


# ----- helpers -----------------------------------------------------------------------------------


def _sort(raw: str | None) -> ListSort:
    try:
        return ListSort(raw or ListSort.NEWEST)
    except ValueError:
        return ListSort.NEWEST


def _guild_context(guild: GuildSummary) -> dict:
    return {"guild_id": guild.guild_id, "guild_name": guild.name or "Quorum", "guild_path": guild_path(guild.guild_id)}


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _with(path: str, params: dict, page: int = 1) -> str:
    query = {**params, **({"page": str(page)} if page > 1 else {})}
    return f"{path}?{urlencode(query)}" if query else path


def _absolute(request: web.Request, path: str) -> str:
    return request.app[PUBLIC_URL] + path


def _rows(guild_id: int, listing: Paged) -> list[dict]:
    return [
        {"id": q.id, "title": q.title, "path": question_path(q.id, q.slug), "score": q.score, "answers": q.answers,
         "solved": q.solved, "status": q.status.value, "created_at": q.created_at,
         "tags": [(t, tag_path(guild_id, t)) for t in q.tags], "author": q.author.name,
         "author_path": profile_path(guild_id, q.author.user_id) if q.author.user_id is not None else None}
        for q in listing.questions
    ]  # fmt: skip


def _pager(base: str, params: dict, listing: Paged) -> dict:
    return {
        "newer": _with(base, params, listing.page - 1) if listing.page > 1 else None,
        "older": _with(base, params, listing.page + 1) if listing.has_older else None,
        "page": listing.page,
    }


def _anchor(found: FoundQuestion) -> str:
    """Where the best match is on the question page (the question page's own ids)."""
    if found.kind is PostKind.ANSWER:
        return f"#answer-{found.result.post_id}"
    return f"#post-{found.result.post_id}" if found.kind is PostKind.REPLY else ""


def snippet_parts(snippet: str) -> list[tuple[str, bool]]:
    """The search index's snippet as (text, is_match) runs, on one line, at most SNIPPET_MAX characters."""
    start, end = HIGHLIGHT
    text = " ".join(snippet.split())
    text = text.replace(end + " " + start, " ").replace(end + start, "")  # neighbouring matches: one run
    parts: list[tuple[str, bool]] = []
    left = SNIPPET_MAX
    for i, piece in enumerate(text.split(start)):
        match, _, rest = piece.partition(end) if i else ("", "", piece)
        for run, is_match in ((match, True), (rest, False)):
            run = run.replace(start, "").replace(end, "")
            if run and left > 0:
                parts.append((run[:left] + ("…" if len(run) > left else ""), is_match))
                left -= len(run)
    return parts
