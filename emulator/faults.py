"""Injected faults: 429s, error statuses, delayed answers. Matched against method and the request path
(without /api/v10)."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass

from aiohttp import web

from .httputil import dumps


@dataclass
class _Rule:
    method: str
    pattern: re.Pattern
    remaining: int
    kind: str  # "rate_limit" | "fail" | "delay"
    retry_after: float = 0.0
    scope: str = "user"
    status: int = 0
    code: int = 0
    message: str = ""
    hits: int = 0
    seconds: float = 0.0

    def matches(self, method: str, path: str) -> bool:
        return self.remaining > 0 and self.method in ("*", method) and bool(self.pattern.search(path))


class Faults:
    def __init__(self) -> None:
        self.rules: list[_Rule] = []

    def rate_limit(self, method: str, path_regex: str, retry_after: float = 0.3, count: int = 1,
                   scope: str = "user") -> _Rule:
        rule = _Rule(method.upper(), re.compile(path_regex), count, "rate_limit", retry_after=retry_after,
                     scope=scope)
        self.rules.append(rule)
        return rule

    def fail(self, method: str, path_regex: str, status: int, code: int = 0, message: str = "Injected failure",
             count: int = 1) -> _Rule:
        rule = _Rule(method.upper(), re.compile(path_regex), count, "fail", status=status, code=code,
                     message=message)
        self.rules.append(rule)
        return rule

    def delay(self, method: str, path_regex: str, seconds: float, count: int = 1) -> _Rule:
        """Hold the answer for `seconds` after the handler ran: the world was read (or changed) at
        request time, and members can act before the client sees the answer, as with a slow network.
        `hits` counts requests whose answer is being or was held."""
        rule = _Rule(method.upper(), re.compile(path_regex), count, "delay", seconds=seconds)
        self.rules.append(rule)
        return rule

    def clear(self) -> None:
        self.rules.clear()

    def take(self, method: str, path: str) -> web.Response | None:
        for rule in self.rules:
            if rule.kind != "delay" and rule.matches(method, path):
                rule.remaining -= 1
                rule.hits += 1
                return self._respond(rule)
        return None

    async def hold(self, method: str, path: str) -> None:
        """Called with the handler's answer in hand: wait as the first matching delay rule says."""
        for rule in self.rules:
            if rule.kind == "delay" and rule.matches(method, path):
                rule.remaining -= 1
                rule.hits += 1
                await asyncio.sleep(rule.seconds)
                return

    @staticmethod
    def _respond(rule: _Rule) -> web.Response:
        if rule.kind == "fail":
            return web.Response(body=dumps({"message": rule.message, "code": rule.code}), status=rule.status,
                                headers={"Content-Type": "application/json"})
        is_global = rule.scope == "global"
        headers = {
            "Content-Type": "application/json",
            "Retry-After": str(max(1, round(rule.retry_after))),
            # Discord answers through Google's frontends; discord.py treats a 429 without Via as a
            # Cloudflare ban and raises instead of retrying.
            "Via": "1.1 google",
            "X-RateLimit-Scope": rule.scope,
        }
        if is_global:
            headers["X-RateLimit-Global"] = "true"
        else:
            headers.update({"X-RateLimit-Limit": "5", "X-RateLimit-Remaining": "0",
                            "X-RateLimit-Reset-After": f"{rule.retry_after:.3f}",
                            "X-RateLimit-Bucket": "emulator-fault"})
        body = {"message": "You are being rate limited.", "retry_after": rule.retry_after, "global": is_global}
        if is_global:
            body["code"] = 0
        return web.Response(body=dumps(body), status=429, headers=headers)
