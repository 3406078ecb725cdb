"""The syntax tree: what a .virt file says, before templates, ranges and units are resolved.

Plain frozen dataclasses (virtc.frozen); the parser is the only module that sees Lark types.
A statement is a keyword with positional values and named options, which keeps the
tree regular: `disk xvda tap:aio "/img" size 8G` is Stmt("disk", [xvda, tap:aio, "/img"],
[Opt("size", [8G])]).
"""
from __future__ import annotations

from .frozen import frozen
from .source import Span


@frozen
class Value:
    """One value as written: its terminal (NAME, STRING, SIZE ...) and text."""

    kind: str  # terminal name: NAME, STRING, INT, SIZE, MAC, ...
    text: str  # as written (STRING keeps its quotes off, escapes undone)
    span: Span


@frozen
class Opt:
    """A named option of a statement (`size 8G`) and its values."""

    name: str
    values: tuple[Value, ...]
    span: Span


@frozen
class Stmt:
    """One statement: a keyword, its positional values and its named options."""

    keyword: str
    args: tuple[Value, ...]
    opts: tuple[Opt, ...]
    span: Span

    def opt(self, name: str) -> Opt | None:
        for o in self.opts:
            if o.name == name:
                return o
        return None


@frozen
class Include:
    """An `include "FILE"` line."""

    path: Value
    span: Span


@frozen
class Range:
    """The range of a guest declaration, `web[01..12]`: its bounds as written."""

    start: Value
    end: Value
    span: Span


@frozen
class GuestDecl:
    """A `guest` declaration: its name or range, its template, its host and its statements."""

    name: Value
    range: Range | None
    template: Value | None
    host: Value | None
    stmts: tuple[Stmt, ...]
    span: Span
    header: Span  # "guest web[01..12] from t on h" without the body


@frozen
class TemplateDecl:
    """A `template` declaration: its name, the template it extends and its statements."""

    name: Value
    parent: Value | None
    stmts: tuple[Stmt, ...]
    span: Span
    header: Span


@frozen
class HostDecl:
    """A `host` declaration: its statements and the guests declared in it."""

    name: Value
    stmts: tuple[Stmt, ...]
    guests: tuple[GuestDecl, ...]
    span: Span
    header: Span


@frozen
class Comment:
    """A comment, kept for suppressions and the formatter."""

    text: str
    span: Span


@frozen
class FileSyntax:
    """Everything one file says: its includes, declarations and comments."""

    path: str
    items: tuple[Include | HostDecl | TemplateDecl | GuestDecl, ...]
    comments: tuple[Comment, ...]
