"""Response helpers: Discord's JSON error shape and an exact `application/json` content type.

aiohttp's json_response sends "application/json; charset=utf-8"; discord.py's json_or_text compares
the header to "application/json" exactly and would hand the body back as a str, breaking login.
"""

from __future__ import annotations

import json

from aiohttp import web


def dumps(data) -> bytes:
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode()


def ok(data, status: int = 200) -> web.Response:
    return web.Response(body=dumps(data), status=status, headers={"Content-Type": "application/json"})


def no_content() -> web.Response:
    return web.Response(status=204)


class DiscordError(Exception):
    def __init__(self, status: int, code: int, message: str, errors: dict | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.errors = status, code, message, errors

    def response(self) -> web.Response:
        body = {"message": self.message, "code": self.code}
        if self.errors is not None:
            body["errors"] = self.errors
        return ok(body, self.status)


# Discord's JSON error codes used here.
def unknown_channel():
    return DiscordError(404, 10003, "Unknown Channel")


def unknown_message():
    return DiscordError(404, 10008, "Unknown Message")


def unknown_user():
    return DiscordError(404, 10013, "Unknown User")


def unknown_member():
    return DiscordError(404, 10007, "Unknown Member")


def unknown_webhook():
    return DiscordError(404, 10015, "Unknown Webhook")


def unknown_interaction():
    return DiscordError(404, 10062, "Unknown interaction")


def unknown_emoji():
    return DiscordError(400, 10014, "Unknown Emoji")


def missing_access():
    return DiscordError(403, 50001, "Missing Access")


def cannot_message_user():
    """A user's privacy settings refuse the DM (Discord: 403, "Cannot send messages to this user")."""
    return DiscordError(403, 50007, "Cannot send messages to this user")


def missing_permissions():
    return DiscordError(403, 50013, "Missing Permissions")


def thread_archived():
    return DiscordError(400, 50083, "Thread is archived")


def invalid_form(errors: dict | None = None, message: str = "Invalid Form Body"):
    return DiscordError(400, 50035, message, errors or {})


def field_error(field: str, code: str, message: str) -> DiscordError:
    return invalid_form({field: {"_errors": [{"code": code, "message": message}]}})


def snowflake(value, field: str = "id") -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise field_error(field, "NUMBER_TYPE_COERCE", f"Value \"{value}\" is not snowflake.") from None


async def body(request: web.Request) -> dict:
    """The JSON body, or for multipart (files) the `payload_json` part plus attachment stubs."""
    if request.content_type == "multipart/form-data":
        return parse_multipart(request.headers.get("Content-Type", ""), await request.read())
    if not request.body_exists:  # can_read_body is False once the middleware has read it
        return {}
    raw = await request.read()
    if not raw:
        return {}
    try:
        parsed = json.loads(raw)
    except ValueError:
        raise DiscordError(400, 50109, "The request body contains invalid JSON.") from None
    return parsed if isinstance(parsed, dict) else {"_list": parsed}


def parse_multipart(content_type: str, raw: bytes) -> dict:
    """payload_json plus attachment stubs from a multipart body (discord.py's file uploads): Discord's
    form of `payload_json` and `files[n]` parts. Each stub keeps the file's bytes for the tests to read
    (never put into a message).

    Parsed from the already-read bytes because the middleware has consumed the stream."""
    import email.parser
    import email.policy

    head = f"Content-Type: {content_type}\r\n\r\n".encode()
    msg = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + raw)
    data: dict = {}
    files = []
    for part in msg.iter_parts():
        name = part.get_param("name", header="content-disposition")
        content = part.get_payload(decode=True) or b""
        if name == "payload_json":
            data = json.loads(content.decode())
        else:
            files.append({"filename": part.get_filename() or "file", "size": len(content),
                          "content_type": part.get_content_type(), "content": content})
    data["_files"] = files
    return data
