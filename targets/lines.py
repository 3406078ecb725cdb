"""Shared pieces of the readers of small line-oriented host files (modprobe.conf,
sysctl.conf, /etc/exports, iptables-save, SELinux files, /etc/sysconfig/cpuspeed,
rc.local, /etc/hosts).

Readers report what they find through the rule classes that own each code (so a
diagnostic carries the rule's severity and the guide's citation), walk files by logical
line with spans that stay exact across backslash continuations, and say once per kind
what they did not model instead of once per line.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from virtc.diagnostics import Diagnostic, Severity
from virtc.readback import Found
from virtc.source import Span

_WORD = re.compile(r"\S+")


def report(found: Found, rule: type, message: str, span: Span | None, *, hint: str | None = None,
           severity: Severity | None = None, fix=None) -> Diagnostic:
    """A finding of the format's own rule class (its code, its severity unless given, its
    guide reference), added to what the file says."""
    d = rule().report(message, span, hint=hint, severity=severity, fix=fix)
    found.diagnostics.append(d)
    return d


def comment_stripped(src):
    """(line number, offset of the first character, text) of each line that holds more
    than a `#` comment, the comment cut off."""
    for number, (start, body) in enumerate(src.lines()):
        text = body.split("#", 1)[0].rstrip()
        if text.strip():
            lead = len(text) - len(text.lstrip())
            yield number, start + lead, text.strip()


def logical_lines(text: str, continuation: bool = True):
    """(offset, line) for each line that is not blank. With `continuation`, a line ending
    in a backslash goes on with the next; the backslash and line break are replaced by
    spaces of the same length, so an index into the line plus its offset is a file offset."""
    pos, n = 0, len(text)
    while pos < n:
        end = pos
        while True:
            nl = text.find("\n", end)
            stop = n if nl < 0 else nl
            body = text[pos:stop].rstrip("\r")
            if continuation and body.endswith("\\") and nl >= 0:
                end = nl + 1
                continue
            break
        raw = text[pos:stop]
        line = re.sub(r"\\\r?\n", lambda m: " " * len(m.group(0)), raw) if continuation else raw
        line = line.rstrip("\r")
        if line.strip():
            yield pos, line
        pos = stop + 1


def words(line: str, offset: int = 0) -> list[tuple[str, int, int]]:
    """Whitespace-separated words with their file offsets [start, end)."""
    return [(m.group(0), offset + m.start(), offset + m.end()) for m in _WORD.finditer(line)]


def line_span(found: Found, offset: int, line: str) -> Span:
    """The span of a line without its leading and trailing blanks."""
    lead = len(line) - len(line.lstrip())
    return found.source.span(offset + lead, offset + max(lead + 1, len(line.rstrip())))


@dataclass
class Unmodelled:
    """Constructs a reader does not model, counted by kind: one VF003 each, at the first."""

    kinds: dict[str, list] = field(default_factory=dict)

    def add(self, kind: str, span: Span | None) -> None:
        self.kinds.setdefault(kind, [span, 0])[1] += 1

    def flush(self, found: Found, hint: str | None = None) -> None:
        for kind, (span, count) in self.kinds.items():
            what = kind if count == 1 else f"{kind} ({count} times; the first is here)"
            found.ignored(what, span, hint)
        self.kinds.clear()
