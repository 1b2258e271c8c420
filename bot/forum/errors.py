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
