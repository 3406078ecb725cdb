"""Existing configuration files as read, before they become model elements.

A document keeps what a file says in that file's own terms, with spans: the entries of
an xm config, the lines of a grub.conf. Format-level rules (syntax, unknown keys, value
forms) check documents; the readers then turn documents into the model, which the
ordinary rules check.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import re

from .source import SourceFile, Span


@dataclass(frozen=True, slots=True)
class Entry:
    """One `key = value` of a document."""

    key: str
    value: object  # the literal value (str, int, float, list ...)
    span: Span  # the whole assignment
    key_span: Span
    value_span: Span
    item_spans: tuple[Span, ...] = ()  # for list values: each element
    group: int = -1  # which block the entry belongs to (a grub entry number); -1: global

    def __reduce__(self):
        # `virtc lint --jobs` sends every file's entries back from its workers: as the
        # constructor's arguments they unpickle in a fraction of a frozen slots state's time
        return Entry, (self.key, self.value, self.span, self.key_span, self.value_span, self.item_spans,
                       self.group)


@dataclass(frozen=True, slots=True)
class Document:
    format: str  # xm | ...
    path: str
    entries: tuple[Entry, ...]
    source: SourceFile | None = None  # the text, for what the entries leave out (commented lines)
    host: str | None = None  # the host whose file it is (lint sets it once hosts are assembled)
    computed: tuple[str, ...] = ()  # keys the file sets by code (xm): set, to a value nobody read
    helpers: tuple[str, ...] = ()  # names the file's own code uses (xm): its variables, not settings
    # lint: why the host whose file it is is no RHEL 5 host (it runs release 7.9, it has
    # /etc/debian_version), which later programs than RHEL 5's wrote; None: RHEL 5, or not known
    later_system: str | None = None
    # lint: the file was named by itself (not found in a host tree or a folder given), so the
    # files beside it were not read: a reference to one of them is not known to be broken
    alone: bool = False
    # key -> the entry that takes effect, built at the first get(): rules ask hundreds of
    # keys of a document, and a scan of the entries per key grew with the file
    _last: dict | None = field(default=None, init=False, compare=False, hash=False, repr=False)

    def states(self, key: str) -> bool:
        """Does the file set `key`, to a literal or by code?"""
        return self.get(key) is not None or key in self.computed

    def commented(self, pattern: re.Pattern) -> Span | None:
        """Where a line that was commented out matches `pattern` (`#options=-g`): the place
        a missing setting belongs."""
        if self.source is None:
            return None
        for start, line in self.source.lines():
            body = line.lstrip()
            if body[:1] in ("#", ";") and pattern.match(body.lstrip("#;").strip()):
                lead = start + len(line) - len(body)
                return self.source.span(lead, start + len(line.rstrip()))
        return None

    def get(self, key: str) -> Entry | None:
        """The entry that takes effect: the last assignment of key."""
        last = self._last
        if last is None:
            last = {e.key: e for e in self.entries}  # a later assignment replaces an earlier one
            object.__setattr__(self, "_last", last)  # a cache: same for every thread that builds it
        return last.get(key)

    def value(self, key: str, default=None):
        e = self.get(key)
        return default if e is None else e.value
