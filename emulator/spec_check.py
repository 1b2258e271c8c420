"""Check requests against Discord's OpenAPI description with openapi-core.

The 1.2 MB description is parsed once per process (module cache). Validating the description itself
(openapi-spec-validator, ~15 s) is skipped: it is Discord's published file, and that check would
dominate every test run. Per request, openapi-core finds the operation, checks path and query
parameters, security presence and the request body schema (validation only, no unmarshalling;
measured 4-7 ms per request, e.g. POST messages 4.4 ms, GET history 7.1 ms; loading ~0.9 s once).

Relaxations (everything else is checked strictly):
- Security: openapi-core warns on the spec's `BotToken` apiKey-in-header scheme and needs the
  Authorization header; the emulator checks the token itself, so we always pass the header through.
- `X-Audit-Log-Reason` etc. are headers openapi-core does not reject; nothing to relax there.
- ChannelTypes: the description's enum stops at 15 (GUILD_FORUM) and lacks 16 (GUILD_MEDIA), a real
  channel type that discord.py puts in `channel_types` of every ForumChannel-typed command option
  ([15, 16]). We add exactly that one const to the in-memory copy (see `_relax`); nothing else
  in the schema changes.
- SnowflakeType: described as a numeric string, but Discord accepts a JSON integer wherever it takes
  a snowflake, and discord.py sends one for `recipient_id` when it opens a DM. The in-memory copy
  accepts either form; the string form keeps its pattern.
- multipart/form-data bodies (file uploads) are validated as their `payload_json` JSON, because
  that is the part the description's schema describes for JSON requests.
"""

from __future__ import annotations

import json
import os
import threading
import warnings
from dataclasses import dataclass
from pathlib import Path

_cache: dict[str, object] = {}
_lock = threading.Lock()

HOST = "https://discord.com"


def default_spec_path() -> Path | None:
    env = os.environ.get("QUORUM_DISCORD_SPEC")
    if env:
        return Path(env)
    candidate = Path(__file__).resolve().parent.parent.parent / "shared" / "discord-api" / "openapi.json"
    return candidate if candidate.exists() else None


def _snowflake(value) -> bool:
    return isinstance(value, str) and value.isdigit() and int(value) < 1 << 64


def _nonce(value) -> bool:
    # Discord: an integer or a string of at most 25 characters.
    return isinstance(value, int) or (isinstance(value, str) and len(value) <= 25)


# Discord's own formats. openapi-core's unmarshaller has no formatter for them and reports the
# *parameter* as invalid ("FormatterNotFoundError"); validating (not unmarshalling) with these
# validators keeps the check as strict as the description means it.
FORMATS = {"snowflake": _snowflake, "nonce": _nonce}


def _relax(raw: dict) -> None:
    """The documented, minimal relaxations (module docstring)."""
    schemas = raw.get("components", {}).get("schemas", {})
    snowflake = schemas.get("SnowflakeType")
    if snowflake is not None and snowflake.get("type") == "string":
        schemas["SnowflakeType"] = {"oneOf": [snowflake, {"type": "integer", "minimum": 0}]}
    ctypes = schemas.get("ChannelTypes", {})
    consts = {o.get("const") for o in ctypes.get("oneOf", [])}
    if ctypes.get("oneOf") is not None and 16 not in consts:
        ctypes["oneOf"].append({"title": "GUILD_MEDIA", "description": "Channel that can only contain threads, "
                                "similar to GUILD_FORUM (missing from the description)", "const": 16})


def _load(path: Path):
    from jsonschema_path import SchemaPath
    from openapi_core import Config, OpenAPI

    key = str(Path(path).resolve())
    with _lock:
        if key not in _cache:
            with open(path, encoding="utf-8") as f:
                raw = json.load(f)
            _relax(raw)
            config = Config(spec_validator_cls=None, extra_format_validators=FORMATS)
            _cache[key] = (OpenAPI(SchemaPath.from_dict(raw), config=config), raw)
        return _cache[key]


@dataclass
class SpecResult:
    ok: bool
    route: str | None
    message: str = ""
    errors: dict | None = None


class SpecChecker:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.openapi, raw = _load(self.path)
        self.templates = list(raw["paths"])

    def check(self, method: str, path: str, query: dict, body: bytes | None, content_type: str | None,
              headers: dict) -> SpecResult:
        from openapi_core.templating.paths.exceptions import PathNotFound
        from openapi_core.testing import MockRequest

        req = MockRequest(HOST, method.lower(), "/api/v10" + path, args=dict(query), data=body,
                          content_type=content_type, headers=headers)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # "Unsupported scheme type" for BotToken, every call
                errors = list(self.openapi.request_validator.iter_errors(req))
        except Exception as exc:  # openapi-core raises for path/method lookups it cannot do
            return SpecResult(False, None, f"{type(exc).__name__}: {exc}")
        route = self._route(method, path)
        if not errors:
            return SpecResult(True, route)
        if any(isinstance(e, PathNotFound) for e in errors):
            return SpecResult(False, None, "path not in the OpenAPI description")
        messages = []
        for e in errors:
            detail = str(e)
            cause = getattr(e, "__cause__", None)
            for sub in getattr(cause, "schema_errors", ()) or getattr(e, "schema_errors", ()) or ():
                detail += f" | {getattr(sub, 'message', sub)} at {list(getattr(sub, 'path', []))}"
            messages.append(detail)
        return SpecResult(False, route, "; ".join(messages), {"_errors": [{"code": "OPENAPI", "message": m}
                                                                         for m in messages]})

    def _route(self, method: str, path: str) -> str | None:
        segs = path.strip("/").split("/")
        best = None
        for tpl in self.templates:
            t = tpl.strip("/").split("/")
            if len(t) != len(segs):
                continue
            score = 0
            for a, b in zip(t, segs, strict=True):
                if a.startswith("{"):
                    continue
                if a != b:
                    break
                score += 1
            else:
                if best is None or score > best[0]:
                    best = (score, tpl)
        return best[1] if best else None
