"""A JSON document read as a stream: its outer objects and arrays are walked a token at a time, and each
value inside them is decoded whole by the standard library's C decoder, so memory holds one value (a
question of an export), never the document, and the decoding runs at C speed.

Any layout is read (the export's one value per line is not relied on). A value is decoded from a
window of the file; when the window ends inside it, more is read and the value is decoded again.
"""

from __future__ import annotations

import codecs
import json
from collections.abc import Iterator
from typing import BinaryIO

CHUNK = 1 << 20
_WHITESPACE = " \t\n\r"
# A scalar (number, true, false, null) decoded at the window's end might be cut short: decode it only
# with this much of the document after it, or at the end of the file.
_SCALAR_MARGIN = 64
_DECODER = json.JSONDecoder()


class NotJson(ValueError):
    """The file is not one JSON document (or not UTF-8); the message says where."""


class JsonStream:
    def __init__(self, file: BinaryIO) -> None:
        self._file = file
        self._utf8 = codecs.getincrementaldecoder("utf-8")()
        self._buffer = ""
        self._pos = 0
        self._eof = False
        self._dropped = 0  # characters dropped from the window's front (for positions in messages)
        self.bytes_read = 0

    # -- the window

    def _more(self) -> bool:
        """Read another chunk into the window; False at the end of the file."""
        if self._eof:
            return False
        data = self._file.read(CHUNK)
        self.bytes_read += len(data)
        try:
            text = self._utf8.decode(data, final=not data)
        except UnicodeDecodeError as exc:
            raise NotJson(f"not UTF-8 text near byte {self.bytes_read - len(data) + exc.start:,}") from None
        if not data:
            self._eof = True
        if self._pos > len(self._buffer) // 2:
            self._dropped += self._pos
            self._buffer = self._buffer[self._pos :]
            self._pos = 0
        self._buffer += text
        return True

    def _where(self, pos: int | None = None) -> str:
        return f"at character {self._dropped + (self._pos if pos is None else pos):,}"

    def peek(self) -> str | None:
        """The next character that is not whitespace (not consumed), None at the end of the file."""
        while True:
            buffer, pos = self._buffer, self._pos
            while pos < len(buffer) and buffer[pos] in _WHITESPACE:
                pos += 1
            self._pos = pos
            if pos < len(buffer):
                return buffer[pos]
            if not self._more():
                return None

    def take(self, expected: str) -> None:
        found = self.peek()
        if found != expected:
            shown = "the end of the file" if found is None else repr(found)
            raise NotJson(f"expected {expected!r} {self._where()}, found {shown}")
        self._pos += 1

    def value(self):
        """The next value, decoded whole."""
        first = self.peek()
        if first is None:
            raise NotJson(f"expected a value {self._where()}, found the end of the file")
        if first not in '{["':
            while len(self._buffer) - self._pos < _SCALAR_MARGIN and self._more():
                pass
        while True:
            try:
                value, end = _DECODER.raw_decode(self._buffer, self._pos)
            except json.JSONDecodeError as exc:
                if self._cut_short(exc) and self._more():
                    continue
                raise NotJson(f"{exc.msg} {self._where(exc.pos)}") from None
            self._pos = end
            return value

    def _cut_short(self, exc: json.JSONDecodeError) -> bool:
        """Whether the error may only mean that the window ends inside the value."""
        return exc.msg.startswith("Unterminated string") or exc.pos >= len(self._buffer) - 8

    # -- structure

    def _key(self) -> str:
        key = self.value()
        self.take(":")
        return key

    def keys(self) -> Iterator[str]:
        """members() with each key's colon taken."""
        self.take("{")
        if self.peek() == "}":
            self._pos += 1
            return
        while True:
            if self.peek() != '"':
                raise NotJson(f"expected a key {self._where()}")
            yield self._key()
            if self.peek() == "}":
                self._pos += 1
                return
            self.take(",")

    def items(self) -> Iterator[None]:
        """Steps through an array: before each step, the caller reads one element."""
        self.take("[")
        if self.peek() == "]":
            self._pos += 1
            return
        while True:
            yield None
            if self.peek() == "]":
                self._pos += 1
                return
            self.take(",")

    def values(self) -> Iterator:
        """An array's elements, each decoded whole."""
        for _ in self.items():
            yield self.value()

    def end(self) -> None:
        """Nothing but whitespace may follow the document."""
        if self.peek() is not None:
            raise NotJson(f"more after the end of the document {self._where()}")
