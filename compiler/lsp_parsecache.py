"""Parsing for the editor: a big file is re-parsed on every keystroke, so it is cut into its
top-level items (host, template, guest, include blocks, at line starts) and only items
whose text changed are parsed again; the others come from a cache and are moved to their
new lines and offsets.

The result is the same as virtc.parse.parse on the whole text: every piece starts where
the grammar is between items, in the same parser state as at the start of a file, so when
every piece parses, the whole text parses to the concatenation of the pieces (a test
checks this on every example). A piece with a syntax error is read by the CLI's own
recovery (virtc.parse.recover_piece), on the whole text but from the piece's start to
its end, where that reads it as recovering the whole text would; elsewhere (a block left
open into the piece below, a string run over a line break, more than MAX_ERRORS errors)
the whole text is parsed as the CLI parses it. Either way the errors and the tree are
the CLI's.
"""
from __future__ import annotations

import re
from itertools import pairwise

from .lsp_relocate import moved_span
from .parse import parse as parse_whole
from .parse import recover_piece
from .source import SourceFile, Span
from .syntax import (
    Comment,
    FileSyntax,
    GuestDecl,
    HostDecl,
    Include,
    Opt,
    Range,
    Stmt,
    TemplateDecl,
    Value,
)

_PIECE = "<piece>"


# What decides where a top-level item may start: strings and comments (which may hold
# braces), braces, line continuations, and item keywords at the start of a line.
_CUT = re.compile(r"""
    (?P<string>"(?:[^"\\\n]|\\.)*"?)
  | (?P<comment>\#[^\n]*)
  | (?P<open>\{)
  | (?P<close>\})
  | (?P<cont>\\[ \t\f]*\r?\n)
  | (?P<item>^[ \t]*(?:include|host|template|guest)(?![A-Za-z0-9_.\-]))
""", re.VERBOSE | re.MULTILINE)


def item_starts(text: str, since: int = 0) -> list[int]:
    """Offsets of the line starts where a top-level item begins (outside any block), from
    offset `since` on: a line start outside any block (0, or an item start found before)."""
    depth, after_cont, out = 0, -1, []
    for m in _CUT.finditer(text, since):
        kind = m.lastgroup
        if kind == "open":
            depth += 1
        elif kind == "close":
            depth = max(depth - 1, 0)
        elif kind == "cont":
            after_cont = m.end()
        elif kind == "item" and depth == 0 and m.start() != after_cont:
            out.append(m.start())
    return out


def _first_difference(a: str, b: str) -> int:
    """The first offset where a and b differ (len of the shorter when one starts the other)."""
    lo, hi = 0, min(len(a), len(b))
    while lo < hi:  # a[:lo] == b[:lo]; halve the rest (slice comparisons run in C)
        mid = (lo + hi + 1) // 2
        if a[lo:mid] == b[lo:mid]:
            lo = mid
        else:
            hi = mid - 1
    return lo


def pieces(text: str, starts: list[int] | None = None) -> list[tuple[int, int, str]]:
    """(offset, 0-based line, text) of each top-level item with the comments and blank
    lines after it; the first piece also holds whatever precedes the first item.
    `starts`: item_starts(text) when known."""
    bounds = [0, *(s for s in (item_starts(text) if starts is None else starts) if s > 0), len(text)]
    out, line = [], 0
    for a, b in pairwise(bounds):
        chunk = text[a:b]
        out.append((a, line, chunk))
        line += chunk.count("\n")
    return out


def starts_of(text: str, before: tuple[str, list[int]] | None = None) -> list[int]:
    """item_starts(text), reusing those of an earlier text (`before`: the text and its
    starts) up to the last one before the first difference: what precedes it is the same,
    so the scan from there on finds what a scan from the start would."""
    if before is None:
        return item_starts(text)
    old_text, old_starts = before
    same = _first_difference(old_text, text)
    kept = [s for s in old_starts if s <= same]
    since = kept.pop() if kept else 0  # an item start, or the start: depth 0 there
    return kept + item_starts(text, since)


class _Mover:
    """Copies a piece's syntax tree with its spans moved to the piece's place in the file.
    Columns do not change: pieces start at line starts."""

    def __init__(self, path: str, line: int, offset: int):
        self.path, self.dl, self.do = path, line, offset

    def span(self, s: Span) -> Span:
        return moved_span(s, self.dl, self.do, self.path)

    def value(self, v: Value | None) -> Value | None:
        return None if v is None else Value(v.kind, v.text, self.span(v.span))

    def stmt(self, st: Stmt) -> Stmt:
        val, sp = self.value, self.span
        return Stmt(st.keyword, tuple(val(a) for a in st.args),
                    tuple(Opt(o.name, tuple(val(v) for v in o.values), sp(o.span)) for o in st.opts),
                    sp(st.span))

    def guest(self, g: GuestDecl) -> GuestDecl:
        rng = g.range and Range(self.value(g.range.start), self.value(g.range.end), self.span(g.range.span))
        return GuestDecl(self.value(g.name), rng, self.value(g.template), self.value(g.host),
                         tuple(self.stmt(s) for s in g.stmts), self.span(g.span), self.span(g.header))

    def item(self, item):
        if isinstance(item, GuestDecl):
            return self.guest(item)
        if isinstance(item, HostDecl):
            return HostDecl(self.value(item.name), tuple(self.stmt(s) for s in item.stmts),
                            tuple(self.guest(g) for g in item.guests), self.span(item.span),
                            self.span(item.header))
        if isinstance(item, TemplateDecl):
            return TemplateDecl(self.value(item.name), self.value(item.parent),
                                tuple(self.stmt(s) for s in item.stmts), self.span(item.span),
                                self.span(item.header))
        if isinstance(item, Include):
            return Include(self.value(item.path), self.span(item.span))
        raise TypeError(item)

    def comment(self, c: Comment) -> Comment:
        return Comment(c.text, self.span(c.span))


class ParseCache:
    """virtc.parse.parse with memory: call it as parse(src). Per file it keeps the pieces
    of the last text it saw, so memory stays at one parsed copy of each file."""

    def __init__(self):
        self._relative: dict[str, dict[str, tuple | None]] = {}  # path -> piece -> tree at line 0 (None: fails)
        self._placed: dict[str, dict[tuple, tuple]] = {}  # path -> (piece, line, offset) -> tree
        self._starts: dict[str, tuple[str, list[int]]] = {}  # path -> last text, its item starts
        # path -> (offset, line, text, tree) of each piece of the tree the last parse returned;
        # None when it was the whole file's (a syntax error): what virtc.lsp_relocate moves from
        self._layouts: dict[str, tuple | None] = {}
        # path -> the pieces (relative, placed) of its last text without syntax errors, kept
        # while errors are typed: once fixed, the text's pieces are those objects again
        self._good: dict[str, tuple[dict, dict]] = {}
        # recovered: pieces with errors read alone; whole: texts with errors parsed whole
        self.stats = {"pieces": 0, "parsed": 0, "moved": 0, "recovered": 0, "whole": 0}

    def parse(self, src: SourceFile):
        path, text = src.path, src.text
        old_rel = self._relative.get(path, {})
        old_placed = self._placed.get(path, {})
        rel: dict[str, tuple | None] = {}
        placed: dict[tuple, tuple] = {}
        items, comments, failing, layout = [], [], [], []
        starts = starts_of(text, self._starts.get(path))
        self._starts[path] = (text, starts)
        all_pieces = pieces(text, starts)
        for index, (offset, line, chunk) in enumerate(all_pieces):
            self.stats["pieces"] += 1
            key = (chunk, line, offset)
            done = old_placed.get(key) or placed.get(key)
            if done is not None:
                placed[key] = done
                rel[chunk] = old_rel.get(chunk) or rel.get(chunk) or _relative_of(done, line, offset)
            else:
                tree = old_rel[chunk] if chunk in old_rel else rel[chunk] if chunk in rel else self._parse_piece(chunk)
                rel[chunk] = tree
                if tree is None:
                    failing.append(index)
                    layout.append(None)
                    continue
                self.stats["moved"] += 1
                mover = _Mover(path, line, offset)
                done = placed[key] = (tuple(mover.item(i) for i in tree[0]),
                                      tuple(mover.comment(c) for c in tree[1]))
            layout.append((offset, line, chunk, done))
        if failing:  # its errors, and the rest of it read (virtc.recovery)
            good_rel, good_placed = self._good.get(path, ({}, {}))
            self._relative[path] = good_rel | rel
            self._placed[path] = good_placed | placed
            self._layouts[path] = None
            return self._recovered(src, all_pieces, layout)
        for _offset, _line, _chunk, done in layout:
            items.extend(done[0])
            comments.extend(done[1])
        self._relative[path] = rel
        self._placed[path] = placed
        self._good[path] = (rel, placed)
        self._layouts[path] = tuple(layout)
        return FileSyntax(path, tuple(items), tuple(comments)), []

    def _recovered(self, src: SourceFile, all_pieces: list, layout: list):
        """The parse of a text whose pieces marked None in `layout` have syntax errors: each
        of those read with the whole file's recovery on its own text (parse.recover_piece),
        the others as parsed; or, where a piece's recovery could depend on the text around
        it, the whole file parsed as the CLI parses it. Either way what parse(src) gives."""
        items, comments, diags = [], [], []
        ends = [offset for offset, _, _ in all_pieces[1:]] + [len(src.text)] * 2
        for i, ((offset, _, _), placed) in enumerate(zip(all_pieces, layout)):
            done = placed and placed[3]
            if done is None:
                done = recover_piece(src, offset, ends[i], ends[i + 1], diags)
                if done is None:
                    self.stats["whole"] += 1
                    return parse_whole(src)
                self.stats["recovered"] += 1
            items.extend(done[0])
            comments.extend(done[1])
        return FileSyntax(src.path, tuple(items), tuple(comments)), diags

    def layout(self, path: str) -> tuple | None:
        """(offset, 0-based line, text, (items, comments)) of each piece of the tree the last
        parse of `path` returned, in order; None if that tree was the whole file's."""
        return self._layouts.get(path)

    def _parse_piece(self, chunk: str) -> tuple | None:
        self.stats["parsed"] += 1
        syntax, diags = parse_whole(SourceFile(_PIECE, chunk))
        return None if syntax is None or diags else (syntax.items, syntax.comments)

    def forget(self, path: str) -> None:
        self._relative.pop(path, None)
        self._placed.pop(path, None)
        self._starts.pop(path, None)
        self._layouts.pop(path, None)
        self._good.pop(path, None)


_NOT_NEWLINE = re.compile(r"[^\r\n]+")


def _balanced(chunk: str) -> bool:
    """Braces match within the piece, counted both as the lexer sees them (outside strings
    and comments) and as raw characters (as parse's error recovery scans for the end of
    a block)."""
    depth = 0
    for m in _CUT.finditer(chunk):
        depth += {"open": 1, "close": -1}.get(m.lastgroup, 0)
        if depth < 0:
            return False
    raw = 0
    for ch in chunk:
        if ch in "{}":
            raw += 1 if ch == "{" else -1
            if raw < 0:
                return False
    return depth == 0 and raw == 0


def _relative_of(done: tuple, line: int, offset: int) -> tuple:
    mover = _Mover(_PIECE, -line, -offset)
    return (tuple(mover.item(i) for i in done[0]), tuple(mover.comment(c) for c in done[1]))
