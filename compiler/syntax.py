"""The syntax tree: what a .virt file says, before templates, ranges and units are resolved.

Plain frozen dataclasses; the parser is the only module that sees Lark types.
A statement is a keyword with positional values and named options, which keeps the
tree regular: `disk xvda tap:aio "/img" size 8G` is Stmt("disk", [xvda, tap:aio, "/img"],
[Opt("size", [8G])]).
"""
from __future__ import annotations

from dataclasses import dataclass

from .source import Span


@dataclass(frozen=True, slots=True)
class Value:
    kind: str  # terminal name: NAME, STRING, INT, SIZE, MAC, ...
    text: str  # as written (STRING keeps its quotes off, escapes undone)
    span: Span


@dataclass(frozen=True, slots=True)
class Opt:
    name: str
    values: tuple[Value, ...]
    span: Span


@dataclass(frozen=True, slots=True)
class Stmt:
    keyword: str
    args: tuple[Value, ...]
    opts: tuple[Opt, ...]
    span: Span

    def opt(self, name: str) -> Opt | None:
        for o in self.opts:
            if o.name == name:
                return o
        return None


@dataclass(frozen=True, slots=True)
class Include:
    path: Value
    span: Span


@dataclass(frozen=True, slots=True)
class Range:
    start: Value
    end: Value
    span: Span


@dataclass(frozen=True, slots=True)
class GuestDecl:
    name: Value
    range: Range | None
    template: Value | None
    host: Value | None
    stmts: tuple[Stmt, ...]
    span: Span
    header: Span  # "guest web[01..12] from t on h" without the body


@dataclass(frozen=True, slots=True)
class TemplateDecl:
    name: Value
    parent: Value | None
    stmts: tuple[Stmt, ...]
    span: Span
    header: Span


@dataclass(frozen=True, slots=True)
class HostDecl:
    name: Value
    stmts: tuple[Stmt, ...]
    guests: tuple[GuestDecl, ...]
    span: Span
    header: Span


@dataclass(frozen=True, slots=True)
class Comment:
    text: str
    span: Span


@dataclass(frozen=True, slots=True)
class FileSyntax:
    path: str
    items: tuple[Include | HostDecl | TemplateDecl | GuestDecl, ...]
    comments: tuple[Comment, ...]
