"""Notifications (issue 17): an asker hears of answers and acceptances (`/notify answers:on`), a helper
gets a digest of new questions in the tags they follow (`/follow`).

Nothing is queued in memory: what is due is computed from the store (the posts, the questions, and
per question / per member what was told already) by a periodic run of the application (bot/app.py,
bot/notifier.py), so a message due while the bot was down is sent once it is back, and a restart
sends nothing twice. The "told" marks are written BEFORE the message is sent (a claim): a crash
between the two loses that one message rather than repeating it at every start; a send that fails
for a passing reason (Discord's 5xx, the network) gives the claim back, so the next run retries it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol

from .errors import BadInput
from .visibility import Readable

FOLD_WINDOW = timedelta(minutes=10)  # at most one message per question in this time
MAX_FOLLOWS = 25  # tags a member may follow in a guild
MAX_TAG_LENGTH = 20  # Discord's forum tags have at most 20 characters
DIGEST_LISTED = 10  # questions a digest lists; the rest are counted
RUN_LIMIT = 100  # questions and members one run looks at; the rest wait for the next run
DEFAULT_DIGEST_MINUTES = 60


class Via(StrEnum):
    DM = "dm"
    THREAD = "thread"  # the member's DMs refused the bot: mention them in the question's thread


@dataclass(frozen=True, slots=True)
class NoticeMarks:
    """What a question's asker was told: the newest answer, the accepted answer, and when."""

    question_id: int
    guild_id: int
    told_through: int = 0
    told_accept: int | None = None
    sent_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class NoticeState:
    """A question of an opted-in asker with something untold, as the store finds it."""

    question_id: int
    guild_id: int
    title: str
    asker_id: int
    via: Via
    new_answers: int  # live answers by others after told_through (and after the member opted in)
    newest_answer: int | None
    accepted_answer_id: int | None
    accepted_by: int | None
    accepted_at: datetime | None
    answers_since: datetime
    marks: NoticeMarks


@dataclass(frozen=True, slots=True)
class AnswerNotice:
    """One message to send (text None: only marks to write, e.g. the asker accepted themselves)."""

    guild_id: int
    question_id: int
    asker_id: int
    via: Via
    text: str | None
    marks: NoticeMarks  # written before sending
    previous: NoticeMarks  # written back if the send fails for a passing reason


@dataclass(frozen=True, slots=True)
class NotifySetting:
    guild_id: int
    user_id: int
    answers: bool
    at: datetime  # the app's clock: acceptances recorded from then on are told
    after: int  # a snowflake of that moment in Discord's time (the command's): answers after it are told


@dataclass(frozen=True, slots=True)
class FollowRequest:
    guild_id: int
    user_id: int
    tag: str
    at: datetime  # the app's clock: the first digest is due a period after the first follow
    after: int  # a snowflake of that moment in Discord's time: questions after it are new
    cap: int = MAX_FOLLOWS


class Followed(StrEnum):
    ADDED = "added"
    ALREADY = "already"
    FULL = "full"


@dataclass(frozen=True, slots=True)
class DigestMark:
    """Where a member's digests stand: questions with a larger id are new to them; the last digest
    (or the first follow) was at `at`."""

    after: int
    at: datetime


@dataclass(frozen=True, slots=True)
class DueDigest:
    guild_id: int
    user_id: int
    mark: DigestMark


@dataclass(frozen=True, slots=True)
class DigestQuery:
    guild_id: int
    user_id: int
    after: int  # question ids (snowflakes) above this
    readable: Readable
    limit: int = DIGEST_LISTED


@dataclass(frozen=True, slots=True)
class DigestItem:
    question_id: int
    title: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Digest:
    guild_id: int
    user_id: int
    items: tuple[DigestItem, ...]
    total: int
    mark: DigestMark  # the new mark once sent
    previous: DigestMark


class NotificationStore(Protocol):
    async def set_answers_notify(self, setting: NotifySetting) -> None: ...
    async def answers_notify(self, guild_id: int, user_id: int) -> tuple[bool, Via]: ...
    async def set_via(self, guild_id: int, user_id: int, via: Via) -> None: ...
    async def follow_tag(self, request: FollowRequest) -> Followed: ...
    async def unfollow_tag(self, guild_id: int, user_id: int, tag: str) -> bool: ...
    async def followed_tags(self, guild_id: int, user_id: int) -> list[str]: ...
    async def untold_questions(self, quiet_before: datetime, limit: int) -> list[NoticeState]: ...
    async def save_notice_marks(self, marks: NoticeMarks) -> None: ...
    async def due_digests(self, due_before: datetime, limit: int) -> list[DueDigest]: ...
    async def digest_questions(self, query: DigestQuery) -> tuple[list[DigestItem], int]: ...
    async def newest_question(self, guild_id: int) -> int | None: ...
    async def set_digest_mark(self, guild_id: int, user_id: int, mark: DigestMark) -> None: ...
    async def tag_names(self, guild_id: int) -> list[str]: ...


def jump(guild_id: int, channel_id: int, message_id: int | None = None) -> str:
    tail = f"/{message_id}" if message_id is not None else ""
    return f"https://discord.com/channels/{guild_id}/{channel_id}{tail}"


def plan_notice(state: NoticeState, now: datetime) -> AnswerNotice:
    """What to tell the asker of one question: new answers folded into one line, an acceptance by
    someone else (their own they know of). The marks cover what the message covers."""
    title = _one_line(state.title)
    said: str | None = None
    link = jump(state.guild_id, state.question_id)
    if state.new_answers == 1:
        said = f"A new answer on **{title}**"
        link = jump(state.guild_id, state.question_id, state.newest_answer)
    elif state.new_answers > 1:
        said = f"{state.new_answers} new answers on **{title}**"
    accepted = state.accepted_answer_id
    newly_accepted = accepted is not None and accepted != state.marks.told_accept
    if newly_accepted and state.accepted_by != state.asker_id and _after(state.accepted_at, state.answers_since):
        if said is None:
            said = f"An answer to **{title}** was accepted"
            link = jump(state.guild_id, state.question_id, accepted)
        elif state.new_answers == 1 and state.newest_answer == accepted:  # the title once
            said = f"{said}, and it was accepted"
        else:  # the thread's link: the accepted answer may be an older one
            said = f"{said}, and an answer was accepted"
            link = jump(state.guild_id, state.question_id)
    previous = state.marks
    marks = replace(
        previous,
        told_through=max(previous.told_through, state.newest_answer or 0),
        told_accept=accepted if accepted is not None else previous.told_accept,
        sent_at=now if said is not None else previous.sent_at,
    )
    text = f"{said}: {link}" if said is not None else None
    return AnswerNotice(state.guild_id, state.question_id, state.asker_id, state.via, text, marks, previous)


def describe_digest(digest: Digest, guild_name: str) -> str:
    count = "a new question" if digest.total == 1 else f"{digest.total} new questions"
    lines = [f"**{_one_line(guild_name)}**: {count} in the tags you follow"]
    for item in digest.items:
        lines.append(f"- [{_one_line(item.title)}]({jump(digest.guild_id, item.question_id)})")
    if digest.total > len(digest.items):
        lines.append(f"…and {digest.total - len(digest.items)} more")
    lines.append("(`/following` lists your tags, `/unfollow` stops one.)")
    return "\n".join(lines)[:2000]


def _one_line(text: str) -> str:
    return " ".join(text.split()).replace("*", "").replace("[", "(").replace("]", ")")[:100]


def _after(at: datetime | None, since: datetime) -> bool:
    return at is None or at >= since


def match_tag(tag: str, known: Sequence[str]) -> str:
    """The guild's own spelling of a tag the member typed; BadInput if the guild has no such tag."""
    wanted = tag.strip()
    if not wanted or len(wanted) > MAX_TAG_LENGTH:
        raise BadInput(f"A tag has 1 to {MAX_TAG_LENGTH} characters.")
    for name in known:
        if name.casefold() == wanted.casefold():
            return name
    raise BadInput(f"This server has no tag `{wanted[:MAX_TAG_LENGTH]}`.")


class Notices:
    def __init__(self, store: NotificationStore, clock: Callable[[], datetime], digest_minutes: int) -> None:
        self.store = store
        self.clock = clock
        self.digest_every = timedelta(minutes=digest_minutes)
        self._wake: Callable[[], None] | None = None

    # ----- the periodic run is woken when something may be due (an answer, an acceptance) -------
    def on_change(self, wake: Callable[[], None] | None) -> None:
        self._wake = wake

    def nudge(self) -> None:
        if self._wake is not None:
            self._wake()

    # ----- members' choices ---------------------------------------------------------------------
    async def set_answers(self, guild_id: int, user_id: int, on: bool, after: int) -> None:
        """On: told from now on (`after`: the command's id), by DM first (again, if DMs had been
        refused: they may be open now)."""
        await self.store.set_answers_notify(NotifySetting(guild_id, user_id, on, self.clock(), after))

    async def answers(self, guild_id: int, user_id: int) -> tuple[bool, Via]:
        return await self.store.answers_notify(guild_id, user_id)

    async def known_tags(self, guild_id: int, forum_tags: Sequence[str]) -> list[str]:
        """The forum's tags and those the guild's stored questions carry (text channels have no list)."""
        return [*forum_tags, *await self.store.tag_names(guild_id)]

    async def follow(self, guild_id: int, user_id: int, tag: str, known: Sequence[str],
                     after: int) -> tuple[str, Followed, bool]:  # fmt: skip
        """`after`: the command's id; a first follow starts the member's digests with what comes after.
        A follow (also of a tag followed already) tries DMs again when Discord had refused one: digests
        are paused then (they have no thread to go to), and the member may have opened their DMs since.
        The last value: True when DMs are tried again."""
        name = match_tag(tag, known)
        followed = await self.store.follow_tag(FollowRequest(guild_id, user_id, name, self.clock(), after))
        if followed is Followed.FULL or not await self.digests_paused(guild_id, user_id):
            return name, followed, False
        await self.store.set_via(guild_id, user_id, Via.DM)
        return name, followed, True

    async def digests_paused(self, guild_id: int, user_id: int) -> bool:
        """Discord refused a DM to the member: no digest is sent until `/follow` (or `/notify
        answers:on`) tries DMs again."""
        _, via = await self.store.answers_notify(guild_id, user_id)
        return via is Via.THREAD

    async def unfollow(self, guild_id: int, user_id: int, tag: str) -> tuple[str, bool]:
        wanted = tag.strip()[:MAX_TAG_LENGTH]
        followed = await self.store.followed_tags(guild_id, user_id)
        name = next((t for t in followed if t.casefold() == wanted.casefold()), wanted)
        return name, await self.store.unfollow_tag(guild_id, user_id, name)

    async def following(self, guild_id: int, user_id: int) -> list[str]:
        return await self.store.followed_tags(guild_id, user_id)

    # ----- answers and acceptances --------------------------------------------------------------
    async def due_notices(self) -> list[AnswerNotice]:
        now = self.clock()
        return [plan_notice(s, now) for s in await self.store.untold_questions(now - FOLD_WINDOW, RUN_LIMIT)]

    async def claim(self, notice: AnswerNotice) -> None:
        await self.store.save_notice_marks(notice.marks)

    async def give_back(self, notice: AnswerNotice) -> None:
        await self.store.save_notice_marks(notice.previous)

    async def dms_refused(self, guild_id: int, user_id: int) -> None:
        """Discord refused a DM (the member's privacy settings): mention them in threads from now on."""
        await self.store.set_via(guild_id, user_id, Via.THREAD)

    # ----- digests of followed tags -------------------------------------------------------------
    async def due_digests(self) -> list[DueDigest]:
        return await self.store.due_digests(self.clock() - self.digest_every, RUN_LIMIT)

    async def digest(self, due: DueDigest, readable: Readable) -> Digest | None:
        """The new questions in the member's tags they may read, not their own; None: nothing new
        (the mark stays, so the next question goes out at the next run)."""
        newest = await self.store.newest_question(due.guild_id)
        items, total = await self.store.digest_questions(DigestQuery(due.guild_id, due.user_id, due.mark.after,
                                                                     readable))  # fmt: skip
        if not items:
            return None
        # Everything up to the guild's newest question was looked at (also what was not listed:
        # theirs, hidden from them, in other tags).
        mark = DigestMark(max(due.mark.after, newest or 0, items[-1].question_id), self.clock())
        return Digest(due.guild_id, due.user_id, tuple(items), total, mark, due.mark)

    async def claim_digest(self, digest: Digest) -> None:
        await self.store.set_digest_mark(digest.guild_id, digest.user_id, digest.mark)

    async def give_back_digest(self, digest: Digest) -> None:
        await self.store.set_digest_mark(digest.guild_id, digest.user_id, digest.previous)

    async def skip_digest(self, due: DueDigest) -> None:
        """The member cannot get it (left the guild, DMs refused): move on without sending."""
        newest = await self.store.newest_question(due.guild_id)
        await self.store.set_digest_mark(due.guild_id, due.user_id,
                                         DigestMark(max(due.mark.after, newest or 0), self.clock()))  # fmt: skip
