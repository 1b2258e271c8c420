"""Every kind of page in a real browser (Debian's Chromium driven by Playwright): no serious or
critical accessibility violation (axe-core), structured data read back from the page, readable
without JavaScript, dark by the reader's preference, no sideways scrolling on a phone.

Without Chromium these tests are skipped with one line saying so, unless QUORUM_REQUIRE_BROWSER=1
(CI sets it): then they fail, because there they must run."""

from __future__ import annotations

import asyncio
import base64
import json
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

CHROMIUM = Path(os.environ.get("QUORUM_CHROMIUM", "/usr/bin/chromium"))
if not CHROMIUM.is_file():
    _missing = f"no Chromium at {CHROMIUM}; install it with `apt-get install chromium` and run pytest again"
    if os.environ.get("QUORUM_REQUIRE_BROWSER") == "1":
        pytest.fail(f"the browser tests must run here (QUORUM_REQUIRE_BROWSER=1) but found {_missing}", pytrace=False)
    pytest.skip(f"browser tests did not run: {_missing}", allow_module_level=True)

from axe_playwright_python.sync_playwright import Axe  # noqa: E402
from playwright.sync_api import Browser, BrowserContext, Page, Route, sync_playwright  # noqa: E402

from tests.web.browser_site import Forum, ServedSite, build_forum  # noqa: E402

CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]  # fmt: skip
PAGES = [
    "guilds", "home", "home-top", "home-unanswered", "home-page-2", "tag", "search", "search-form", "profile",
    "question", "question-markdown", "question-unanswered", "question-duplicate", "question-closed",
    "question-locked", "not-found", "gone",
]  # fmt: skip
STATUS = {"not-found": 404, "gone": 410}
BLOCKING = ("serious", "critical")
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def database(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("browser") / "quorum.db"


@pytest.fixture(scope="module")
def forum(database: Path) -> Forum:
    # In a thread of its own: Playwright's sync API runs an event loop in this one once started.
    with ThreadPoolExecutor(1) as thread:
        return thread.submit(asyncio.run, build_forum(database)).result(timeout=60)


@pytest.fixture(scope="module")
def origin(forum: Forum, database: Path) -> str:
    with ServedSite(database) as site:
        yield site.origin


@pytest.fixture(scope="module")
def browser() -> Browser:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            yield chromium
        finally:
            chromium.close()


# A 1x1 transparent PNG: what Discord's CDN (custom emoji, attachments) answers in these tests.
PIXEL = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNgYGD4DwABBAEAwS2OUAAAAABJRU5ErkJggg=="
)


def offline(context: BrowserContext, origin: str) -> BrowserContext:
    """Nothing leaves the machine: the site itself, Discord's CDN answered with a pixel, the rest refused."""

    def answer(route: Route) -> None:
        url = route.request.url
        if url.startswith(origin + "/"):
            route.continue_()
        elif url.startswith("https://cdn.discordapp.com/"):
            route.fulfill(status=200, content_type="image/png", body=PIXEL)
        else:
            route.abort()

    context.route("**/*", answer)
    return context


def open_page(browser: Browser, origin: str, forum: Forum, kind: str, **context_options) -> Page:
    context = offline(browser.new_context(**context_options), origin)
    page = context.new_page()
    response = page.goto(origin + forum.paths[kind])
    assert response is not None and response.status == STATUS.get(kind, 200), (kind, response and response.status)
    return page


def json_ld(page: Page) -> dict:
    scripts = page.locator('script[type="application/ld+json"]')
    assert scripts.count() == 1
    return json.loads(scripts.text_content() or "")


# Moderate in axe's scale, but a page's outline is how screen reader users move through answers.
ALWAYS_CHECKED = {"heading-order"}


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("kind", PAGES)
def test_no_serious_accessibility_violation(browser, origin, forum, kind, scheme):
    page = open_page(browser, origin, forum, kind, color_scheme=scheme)
    try:
        violations = Axe().run(page).response["violations"]
    finally:
        page.context.close()
    for v in violations:
        if v["impact"] not in BLOCKING:  # reported, not failed: see the test run's output (-rA or -s)
            print(f"axe {kind} ({scheme}): {v['impact']} {v['id']}: {v['help']} ({len(v['nodes'])} elements)")
    blocking = [
        f"{v['impact']} {v['id']}: {v['help']} at {[n['target'] for n in v['nodes']][:5]}"
        for v in violations
        if v["impact"] in BLOCKING or v["id"] in ALWAYS_CHECKED
    ]
    assert blocking == [], f"{kind} ({scheme}): " + "\n".join(blocking)


def check_author(author: dict, *, url: bool = True) -> None:
    assert author["@type"] == "Person" and author["name"]
    assert ("url" in author) == url
    if url:
        assert author["url"].startswith("/u/")


def check_answer(page: Page, answer: dict, question_path: str) -> None:
    assert answer["@type"] == "Answer" and answer["text"]
    assert isinstance(answer["upvoteCount"], int) and answer["dateCreated"]
    path, anchor = answer["url"].split("#")
    assert path == question_path and anchor.startswith("answer-")
    assert page.locator(f"article#{anchor}").count() == 1, "the url's anchor is on the page"
    assert answer["author"]["@type"] == "Person" and answer["author"]["name"]


@pytest.mark.parametrize("kind", ["question", "question-markdown"])
def test_a_question_with_answers_is_a_qa_page(browser, origin, forum, kind):
    page = open_page(browser, origin, forum, kind)
    try:
        data = json_ld(page)
        assert data["@context"] == "https://schema.org" and data["@type"] == "QAPage"
        question = data["mainEntity"]
        assert question["@type"] == "Question"
        assert question["name"] == page.locator("h1").text_content()
        assert question["text"] and question["dateCreated"]
        assert isinstance(question["upvoteCount"], int)
        check_author(question["author"])
        answers = [question["acceptedAnswer"], *question.get("suggestedAnswer", [])]
        assert question["answerCount"] == len(answers) == page.locator("article.answer").count() == 2
        for answer in answers:
            check_answer(page, answer, forum.paths[kind])
        accepted = question["acceptedAnswer"]["url"].split("#")[1]
        assert page.locator(f"article#{accepted}").get_attribute("class") == "answer accepted"
        replies = [c for a in answers for c in a.get("comment", [])] + question.get("comment", [])
        assert replies, "replies are comments"
        for reply in replies:
            assert reply["@type"] == "Comment" and reply["text"] and reply["dateCreated"]
            assert reply["author"]["@type"] == "Person" and reply["author"]["name"]
    finally:
        page.context.close()


def test_the_demo_thread_says_who_wrote_what(browser, origin, forum):
    page = open_page(browser, origin, forum, "question")
    try:
        question = json_ld(page)["mainEntity"]
        assert question["author"]["name"] == "Bob"
        assert question["acceptedAnswer"]["author"]["name"] == "Carol"
        assert question["acceptedAnswer"]["upvoteCount"] == 2
        assert [c["author"]["name"] for c in question["acceptedAnswer"]["comment"]] == ["Bob", "Carol", "Dave"]
        assert [a["upvoteCount"] for a in question["suggestedAnswer"]] == [-1]
    finally:
        page.context.close()


def test_a_hidden_members_answer_has_no_name_nor_text_in_structured_data(browser, origin, forum):
    page = open_page(browser, origin, forum, "question-markdown")
    try:
        (hidden,) = json_ld(page)["mainEntity"]["suggestedAnswer"]
        assert hidden["text"] == "hidden at the author's request" and "url" not in hidden["author"]
        assert "Shy Person" not in page.content()
    finally:
        page.context.close()


def test_a_question_without_answers_is_a_discussion_posting(browser, origin, forum):
    page = open_page(browser, origin, forum, "question-unanswered")
    try:
        data = json_ld(page)
        assert data["@type"] == "DiscussionForumPosting"
        assert data["headline"] == page.locator("h1").text_content()
        assert data["text"] and data["datePublished"] and data["url"] == forum.paths["question-unanswered"]
        check_author(data["author"])
        assert page.locator("article.answer").count() == 0
    finally:
        page.context.close()


def test_a_duplicate_links_its_original_which_is_its_canonical(browser, origin, forum):
    page = open_page(browser, origin, forum, "question-duplicate")
    try:
        assert page.locator(".badge.duplicate a").get_attribute("href") == forum.paths["question"]
        assert page.locator('link[rel="canonical"]').get_attribute("href") == forum.paths["question"]
        assert json_ld(page)["mainEntity"]["answerCount"] == 1
    finally:
        page.context.close()


def test_pages_read_without_javascript(browser, origin, forum):
    context = offline(browser.new_context(java_script_enabled=False), origin)
    try:
        page = context.new_page()
        page.goto(origin + forum.paths["question"])
        assert page.evaluate("1 + 1") == 2, "Playwright's own evaluation still works"  # the page's scripts do not
        answers = page.locator("article.answer")
        assert answers.count() == 2
        assert answers.first.locator(".accepted-mark").is_visible()
        assert page.get_by_text("Use a database. SQLite with aiosqlite").is_visible()
        assert page.get_by_text("Turn on WAL mode.").is_visible(), "a reply to a reply, nested under the answer"
        page.goto(origin + forum.paths["home"])
        assert page.get_by_role("link", name="How do I keep my bot's data when it restarts?").is_visible()
        page.get_by_role("searchbox").fill("sqlite")
        page.get_by_role("button", name="Search").click()  # a plain GET form works without scripts
        assert "/search?q=sqlite" in page.url and page.locator(".results > li").count() > 0
    finally:
        context.close()


@pytest.mark.parametrize("kind", ["question", "home", "not-found"])
def test_dark_mode_follows_the_readers_preference(browser, origin, forum, kind):
    colours = {}
    for scheme in ("light", "dark"):
        page = open_page(browser, origin, forum, kind, color_scheme=scheme)
        try:
            colours[scheme] = page.evaluate(
                "[getComputedStyle(document.body).backgroundColor, getComputedStyle(document.body).color]"
            )
        finally:
            page.context.close()
    assert colours["light"][0] != colours["dark"][0], colours
    assert colours["light"][1] != colours["dark"][1], colours
    assert colours["light"][0] == "rgb(255, 255, 255)", "light: a white page"


@pytest.mark.parametrize("kind", PAGES)
def test_no_sideways_scrolling_on_a_phone(browser, origin, forum, kind):
    page = open_page(browser, origin, forum, kind, viewport=PHONE, is_mobile=True, has_touch=True)
    try:
        width, inner = page.evaluate("[document.scrollingElement.scrollWidth, window.innerWidth]")
        assert width <= inner, f"{kind}: the page is {width}px wide on a {inner}px phone"
    finally:
        page.context.close()


def test_a_keyboard_reaches_the_content_first(browser, origin, forum):
    page = open_page(browser, origin, forum, "question")
    try:
        page.keyboard.press("Tab")
        focused = page.evaluate("[document.activeElement.textContent, document.activeElement.getAttribute('href')]")
        assert focused == ["Skip to content", "#main"]
        assert page.locator("a.skip").is_visible(), "the skip link shows when focused"
    finally:
        page.context.close()
