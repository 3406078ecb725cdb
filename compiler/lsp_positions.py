"""Positions between virtc and the editor. virtc's spans count characters (code points)
from 1; LSP positions count from 0, in UTF-16 code units unless the client and server
agreed on UTF-8 or UTF-32 (the `positionEncoding` of the initialize handshake). A
character outside the Basic Multilingual Plane (an emoji in a comment) is two UTF-16
units, and any non-ASCII character is several UTF-8 bytes."""
from __future__ import annotations

import bisect

from .source import SourceFile, Span

UTF8, UTF16, UTF32 = "utf-8", "utf-16", "utf-32"


def units(prefix: str, encoding: str) -> int:
    """How many code units of `encoding` the characters of `prefix` take."""
    if encoding == UTF32 or prefix.isascii():
        return len(prefix)
    if encoding == UTF8:
        return len(prefix.encode("utf-8", "surrogatepass"))
    return len(prefix) + sum(1 for ch in prefix if ord(ch) > 0xFFFF)


def chars(line: str, count: int, encoding: str) -> int:
    """How many characters of `line` the first `count` code units cover (clamped)."""
    if encoding == UTF32 or line.isascii():
        return min(count, len(line))
    used = 0
    for i, ch in enumerate(line):
        if used >= count:
            return i
        cp = ord(ch)
        if encoding == UTF8:
            used += 1 if cp < 0x80 else 2 if cp < 0x800 else 3 if cp < 0x10000 else 4
        else:
            used += 2 if cp > 0xFFFF else 1
    return len(line)


class Text:
    """A text with its line starts, to turn offsets into LSP positions and back."""

    def __init__(self, text: str):
        self.text = text
        self.starts = [0]
        i = text.find("\n")
        while i >= 0:
            self.starts.append(i + 1)
            i = text.find("\n", i + 1)

    def line(self, n: int) -> str:
        """Line n (0-based) without its line break."""
        if not 0 <= n < len(self.starts):
            return ""
        end = self.starts[n + 1] - 1 if n + 1 < len(self.starts) else len(self.text)
        return self.text[self.starts[n]:end].rstrip("\r")

    def offset(self, line: int, character: int, encoding: str) -> int:
        if line >= len(self.starts):
            return len(self.text)
        return self.starts[line] + chars(self.line(line), character, encoding)

    def position(self, offset: int, encoding: str) -> tuple[int, int]:
        line = bisect.bisect_right(self.starts, offset) - 1
        return line, units(self.text[self.starts[line]:offset], encoding)


def span_range(src: SourceFile, span: Span, encoding: str) -> tuple[tuple[int, int], tuple[int, int]]:
    """A span's ((line, character), (line, character)) in LSP terms, clamped to its lines."""
    first = src.line(span.line)
    last = first if span.end_line == span.line else src.line(span.end_line)
    start_col = min(span.col - 1, len(first))
    end_col = min(max(span.end_col - 1, 0), len(last))
    if span.end_line == span.line:
        end_col = max(end_col, start_col)
    return ((span.line - 1, units(first[:start_col], encoding)),
            (span.end_line - 1, units(last[:end_col], encoding)))
