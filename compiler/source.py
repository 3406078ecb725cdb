"""Source files and spans: every model element and diagnostic points back here."""
from __future__ import annotations

import bisect
from dataclasses import dataclass
from functools import cached_property

from .frozen import frozen


@frozen
class Span:
    """A region of one file. Lines and columns are 1-based; offsets are 0-based."""

    file: str
    line: int
    col: int
    end_line: int
    end_col: int
    start: int = 0
    end: int = 0

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"

    def to_json(self) -> dict:
        return {"file": self.file, "line": self.line, "col": self.col,
                "end_line": self.end_line, "end_col": self.end_col}

    def __reduce__(self):
        # `virtc lint --jobs` sends many spans back from its workers: as the constructor's
        # arguments they pickle and unpickle in two thirds of the time of a slots state
        return Span, (self.file, self.line, self.col, self.end_line, self.end_col, self.start, self.end)


@dataclass(frozen=True)
class SourceFile:
    path: str
    text: str

    @cached_property
    def line_starts(self) -> list[int]:
        starts = [0]
        find, at = self.text.find, self.text.find("\n")
        while at >= 0:
            starts.append(at + 1)
            at = find("\n", at + 1)
        return starts

    def line(self, number: int) -> str:
        starts = self.line_starts
        if not 0 < number <= len(starts):
            return ""
        end = starts[number] - 1 if number < len(starts) else len(self.text)
        return self.text[starts[number - 1]:end].rstrip("\r")

    def lines(self):
        """(offset of the line's first character, the line without its line break)."""
        offset = 0
        for line in self.text.splitlines(keepends=True):
            yield offset, line.rstrip("\r\n")
            offset += len(line)

    def line_col(self, offset: int) -> tuple[int, int]:
        """The 1-based line and column of a character offset."""
        line = bisect.bisect_right(self.line_starts, offset)
        return line, offset - self.line_starts[line - 1] + 1

    def span_in(self, row: int, base: int, start: int, end: int) -> Span:
        """span(start, end) of offsets on one line, `row` starting at `base`: no
        search (a reader of thousands of one-line findings made two for each)."""
        return Span(self.path, row, start - base + 1, row, max(start, end) - base + 1, start, end)

    def span(self, start: int, end: int) -> Span:
        """Span for the character offsets [start, end)."""
        starts = self.line_starts
        line = bisect.bisect_right(starts, start)
        if end <= start:
            end_line, end_col = line, start - starts[line - 1] + 1
        else:
            # most spans are one line's: its end is before the next line's start (one search)
            end_line = line if line == len(starts) or end - 1 < starts[line] else bisect.bisect_right(starts, end - 1)
            end_col = end - starts[end_line - 1] + 1
        return Span(self.path, line, start - starts[line - 1] + 1, end_line, end_col, start, end)
