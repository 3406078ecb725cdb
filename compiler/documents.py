"""Existing configuration files as read, before they become model elements.

A document keeps what a file says in that file's own terms, with spans: the entries of
an xm config, the lines of a grub.conf. Format-level rules (syntax, unknown keys, value
forms) check documents; the readers then turn documents into the model, which the
ordinary rules check.
"""
from __future__ import annotations

from dataclasses import dataclass

from .source import Span


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


@dataclass(frozen=True, slots=True)
class Document:
    format: str  # xm | ...
    path: str
    entries: tuple[Entry, ...]

    def get(self, key: str) -> Entry | None:
        """The entry that takes effect: the last assignment of key."""
        found = None
        for e in self.entries:
            if e.key == key:
                found = e
        return found

    def value(self, key: str, default=None):
        e = self.get(key)
        return default if e is None else e.value
