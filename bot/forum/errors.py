"""Errors carrying the sentence a member sees. Anything else that escapes is a bug."""


class ForumError(Exception):
    """A rule was broken or input was bad; `message` is shown to the member as it is."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(ForumError):
    pass


class NotAllowed(ForumError):
    pass


class BadInput(ForumError):
    pass


class NotConfigured(ForumError):
    pass


NOT_SAVED = "Quorum could not save this right now (storage unavailable); try again in a minute."


class StoreUnavailable(ForumError):
    """The store cannot write now (disk full, an I/O error, its write process gone): the write was
    not saved. `reason` is for the log; `message` tells the member what that means for them. The
    store raises it (db/ classifies its own failures), so nothing above the store knows SQLite.
    `thread_id`: the question thread to catch up from Discord once writes work again, when the caller
    knows better than the event or command it came from (bot/forum/repair.py)."""

    def __init__(self, reason: str, message: str = NOT_SAVED, *, thread_id: int | None = None) -> None:
        super().__init__(message)
        self.reason = reason
        self.thread_id = thread_id

    def __str__(self) -> str:
        return self.reason

    def __reduce__(self):  # it travels from the write process by pickle, with both texts
        return type(self), (self.reason, self.message)
