"""Plain data the forum works with. Ids are Discord snowflakes as ints; times are aware UTC datetimes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

DEFAULT_UPVOTE = "\N{THUMBS UP SIGN}"
DEFAULT_DOWNVOTE = "\N{THUMBS DOWN SIGN}"


class PostKind(StrEnum):
    QUESTION = "question"  # the thread's starter message: the question's body
    ANSWER = "answer"
    REPLY = "reply"  # a Discord reply to another post in the thread, nested under an answer


class QuestionStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"
    LOCKED = "locked"
    DUPLICATE = "duplicate"


@dataclass(frozen=True, slots=True)
class GuildSettings:
    guild_id: int
    forum_channel_id: int | None = None
    moderator_role_id: int | None = None
    upvote_emoji: str = DEFAULT_UPVOTE
    downvote_emoji: str = DEFAULT_DOWNVOTE
    daily_vote_cap: int = 40
    idle_nudge_hours: int = 24  # nudge the asker this long after the newest answer, none accepted (0: off)
    archive_after_accept_hours: int = 24  # archive a question's thread this long after an accept (0: off)


@dataclass(frozen=True, slots=True)
class Attachment:
    id: int
    filename: str
    url: str
    content_type: str | None = None
    size: int = 0


# Not frozen, unlike the other models: a thread page builds hundreds of Posts per view, and a frozen
# dataclass's __init__ costs about 6x more (each field set through object.__setattr__). Treat it as
# a value all the same.
@dataclass(slots=True)
class Post:
    id: int  # the Discord message id
    question_id: int  # the thread id
    guild_id: int
    kind: PostKind
    author_id: int
    body: str
    created_at: datetime
    parent_id: int | None = None  # for replies: the answer (or question) they hang under
    reply_to_id: int | None = None  # for replies: the message actually replied to
    score: int = 0
    edited_at: datetime | None = None
    deleted_at: datetime | None = None
    attachments: tuple[Attachment, ...] = ()


@dataclass(frozen=True, slots=True)
class Question:
    id: int  # the thread id
    guild_id: int
    channel_id: int  # the forum or text channel holding the thread
    title: str
    author_id: int  # the asker, never the bot
    created_at: datetime
    starter_id: int | None = None  # message id of the post holding the question's body
    status: QuestionStatus = QuestionStatus.OPEN
    accepted_answer_id: int | None = None
    tags: tuple[str, ...] = ()
    score: int = 0
    deleted_at: datetime | None = None  # the thread was deleted; kept for its history
    accepted_by: int | None = None  # who accepted the accepted answer (None: unknown or nobody)
    duplicate_of: int | None = None  # the original question's thread, when status is duplicate
    # Discord's channel type of the thread (events.PUBLIC_THREAD...); None: stored before Quorum
    # recorded it (start-up catch-up asks Discord, see cogs/private_threads.py)
    thread_type: int | None = None


@dataclass(frozen=True, slots=True)
class Revision:
    post_id: int
    number: int  # 1 is the original text
    field: str  # "body" or "title"
    text: str
    editor_id: int | None
    at: datetime


@dataclass(frozen=True, slots=True)
class AuditEntry:
    guild_id: int
    actor_id: int
    action: str
    target_id: int | None
    reason: str | None
    at: datetime
    id: int | None = None


@dataclass(frozen=True, slots=True)
class ThreadView:
    """The classic forum thread page: the question, then answers with their replies."""

    question: Question
    body: Post | None  # the starter post; None until its message has been seen
    answers: list[AnswerView] = field(default_factory=list)
    comments: list[Post] = field(default_factory=list)  # replies to the question itself


@dataclass(slots=True)  # not frozen, for the same reason as Post: one per answer on every page view
class AnswerView:
    answer: Post
    accepted: bool
    replies: list[Post] = field(default_factory=list)


# ----- member statistics: /profile and /top ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MemberCounts:
    """A member's activity as the store counts it: live posts only."""

    questions: int
    answers: int
    accepted: int  # their answers that are the accepted answer of their question
    reputation: int | None  # stored (never below 1 since migration 0009); None when the forum never saw them


@dataclass(frozen=True, slots=True)
class TopPost:
    """One of a member's best posts, with what a link to it needs."""

    post_id: int
    question_id: int
    guild_id: int
    channel_id: int  # the channel holding the question, to keep hidden channels hidden
    kind: PostKind  # QUESTION or ANSWER
    score: int
    title: str  # the question's title


@dataclass(frozen=True, slots=True)
class Profile:
    guild_id: int
    user_id: int
    reputation: int  # as shown: never below 1
    rank: int | None  # None when the member is not on the leaderboard
    questions: int
    answers: int
    accepted: int
    best: tuple[TopPost, ...] = ()


@dataclass(frozen=True, slots=True)
class RankedMember:
    rank: int  # members with the same shown reputation share a rank
    user_id: int
    reputation: int  # as shown


@dataclass(frozen=True, slots=True)
class Leaderboard:
    guild_id: int
    page: int  # 0-based
    entries: tuple[RankedMember, ...]
    has_next: bool
    caller: RankedMember | None  # the member who asked; None when they are not on the board


class ToldAbout(StrEnum):
    """What a member is told only once (bot/forum/vote_service.py)."""

    OWN_POST = "own_post"  # votes on their own posts don't count: for good
    CAPPED = "capped"  # their daily vote cap is reached: once a day


@dataclass(frozen=True, slots=True)
class ToldOnce:
    """The mark that a member was told something: while it stands, they are not told again."""

    guild_id: int
    user_id: int
    about: ToldAbout
    expires_at: datetime | None  # they may be told again from then on; None: never
    at: datetime  # now: a mark expired by then is replaced


@dataclass(frozen=True, slots=True)
class CommandSync:
    """The slash commands last registered with Discord, as a hash (bot/client.py)."""

    application_id: int
    guild_id: int | None  # the development guild they were registered in; None: globally
    digest: str
