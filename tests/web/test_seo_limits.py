"""The JSON-LD of a long thread names its best answers, not all of them: answerCount counts every one."""

from datetime import UTC, datetime

from markupsafe import Markup

from web.question_model import PostModel
from web.seo import COMMENTS_PER_POST, SUGGESTED_ANSWERS, question_data

AT = datetime(2026, 1, 1, tzinfo=UTC)


def post(post_id: int, score: int = 0, *, accepted: bool = False, replies: int = 0) -> PostModel:
    return PostModel(
        post_id, f"member {post_id}", f"/u/1/{post_id}", Markup("<p>x</p>"), f"text {post_id}", AT, False, score, (),
        accepted, [post(post_id * 1000 + i) for i in range(replies)],
    )  # fmt: skip


def test_a_long_thread_lists_its_best_answers_and_counts_them_all():
    answers = [post(1, 50, accepted=True, replies=30)] + [post(100 + i, 40 - i) for i in range(SUGGESTED_ANSWERS + 9)]
    data = question_data(title="t", question=post(9), answers=answers, comments=[], url="/q/9/t", base="")
    entity = data["mainEntity"]
    assert entity["answerCount"] == SUGGESTED_ANSWERS + 10
    assert [a["url"] for a in entity["suggestedAnswer"]] == [
        f"/q/9/t#answer-{100 + i}" for i in range(SUGGESTED_ANSWERS)
    ]
    assert len(entity["acceptedAnswer"]["comment"]) == COMMENTS_PER_POST
