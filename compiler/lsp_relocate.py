"""Moving what the document's last check made to where its declarations are now.

A keystroke moves every top-level item after it: a line typed shifts their lines, a
character their offsets. The parse cache (virtc.lsp_parsecache) re-parses none of them,
but their trees are new objects with new spans, so the check memo (virtc.checkmemo), which
reuses by identity (the compiler's results) and by equality (the rules' findings), would
make everything after the edit again. Instead, before the compiler runs, the memo's
results are moved: every span (and fix edit) in them that lies in a piece of text the edit
did not touch is shifted by that piece's move, and the old declarations are swapped for
the new ones, so the memo finds them as if nothing had moved.

Moving a piece keeps its columns (pieces start at line starts), and only unchanged pieces
that stayed in the same order are used, so every comparison of positions the compiler or
a rule makes (which comes first, which contains which, a span's length) comes out as it
did: a moved result equals the one a fresh check makes. A result with a position in text
that changed cannot be moved (Stale): it is dropped and made again.
"""
from __future__ import annotations

import bisect
import dataclasses
import enum
import functools
import re
from operator import is_not

from .diagnostics import Edit, Fix
from .model import FieldSpans
from .source import Span
from .syntax import GuestDecl, HostDecl, TemplateDecl

_ATOMS = frozenset({str, int, float, bool, type(None), bytes})
_DECLS = (HostDecl, GuestDecl, TemplateDecl)
_CONTAINERS = (tuple, list, dict)


class Stale(Exception):
    """A result points into text the edit changed: it cannot be moved, only made again."""


def _kept(old: tuple, new: tuple) -> list[tuple[int, int]]:
    """(old index, new index) of the pieces of the same text in both layouts, paired in
    order of occurrence, then cut to the longest run that keeps their order."""
    where: dict[str, list[int]] = {}
    for i in range(len(old) - 1, -1, -1):
        where.setdefault(old[i][2], []).append(i)  # last first: pop() gives the first
    pairs = [(where[piece[2]].pop(), j) for j, piece in enumerate(new) if where.get(piece[2])]
    # the longest run of pairs with increasing old indices (patience sorting)
    tails: list[int] = []  # tails[k]: the smallest old index ending a run of k + 1 pairs
    ends: list[int] = []  # ... and that pair's place in pairs
    before = [-1] * len(pairs)
    for n, (i, _) in enumerate(pairs):
        k = bisect.bisect_left(tails, i)
        before[n] = ends[k - 1] if k else -1
        if k == len(tails):
            tails.append(i)
            ends.append(n)
        else:
            tails[k], ends[k] = i, n
    out, n = [], ends[-1] if ends else -1
    while n >= 0:
        out.append(pairs[n])
        n = before[n]
    return out[::-1]


class Move:
    """Old positions in one file -> new ones, for the pieces an edit left alone; call it on
    a result to get the result moved (raises Stale). One Move is used for every result of
    one memo, so what the results share stays shared (a builder and the guest frozen from
    it keep pointing at one host)."""

    def __init__(self, path: str, old: tuple, new: tuple):
        self.path = path
        self.starts = [p[0] for p in old]
        self.ends = [p[0] + len(p[2]) for p in old]
        self.first_lines = [p[1] + 1 for p in old]  # 1-based, as spans count
        self.last_lines = [p[1] + 1 + p[2].count("\n") for p in old]
        self.shifts: list[tuple[int, int] | None] = [None] * len(old)
        self.done: dict[int, tuple[object, object]] = {}  # id -> (old object, its move)
        self.moved = False  # anything to do at all
        for i, j in _kept(old, new):
            (o_off, o_line, _, o_tree), (n_off, n_line, _, n_tree) = old[i], new[j]
            self.shifts[i] = (n_line - o_line, n_off - o_off)
            if o_tree is not n_tree:  # else the same objects at the same place
                self.moved = True
            for a, b in zip(o_tree[0], n_tree[0]):
                self._same(a, b)
                if isinstance(a, HostDecl):
                    for ga, gb in zip(a.guests, b.guests):
                        self._same(ga, gb)
        self._piece = (0, -1, 0, 0, (0, 0))  # the piece last looked up: start, end, lines, shift
        self._movers: dict[type, object] = {}  # dataclass -> its _mover
        self.plain: set[type] = set()  # types whose values hold no span

    def _same(self, old: object, new: object) -> None:
        self.done[id(old)] = (old, new)

    def shift(self, start: int, end: int, lines: tuple[int, int] | None = None) -> tuple[int, int]:
        """(lines, characters) the text from start to end (on `lines`, first and last, when
        known) moved by; Stale if it changed."""
        i = bisect.bisect_right(self.starts, start) - 1
        if i < 0 or end > self.ends[i]:
            raise Stale
        if lines is not None and not self.first_lines[i] <= lines[0] <= lines[1] <= self.last_lines[i]:
            raise Stale  # not where its offsets say: trust neither
        shift = self.shifts[i]
        if shift is None or start == end == self.starts[i] and i and self.shifts[i - 1] != shift:
            raise Stale  # changed, or an empty span between two pieces that moved apart
        self._piece = (self.starts[i], self.ends[i], self.first_lines[i], self.last_lines[i], shift)
        return shift

    def span(self, s: Span) -> Span:
        if s.file != self.path:
            return s
        start, end, first, last, shift = self._piece  # most spans lie in the piece of the last
        # (strictly inside it: a span at a piece's edge may belong to the next piece too)
        if start < s.start < end and s.end <= end and first <= s.line and s.end_line <= last:
            dl, do = shift
        else:
            dl, do = self.shift(s.start, s.end, (s.line, s.end_line))
        if not dl and not do:
            return s
        return moved_span(s, dl, do)

    def fix(self, f: Fix) -> Fix:
        if f.file != self.path:
            return f
        edits = []
        for e in f.edits:
            _, do = self.shift(e.start, e.end)
            edits.append(Edit(e.start + do, e.end + do, e.text) if do else e)
        return Fix(f.message, f.file, tuple(edits), f.applicability)

    def __call__(self, obj):
        t = type(obj)
        if t in _ATOMS or t in self.plain:
            return obj
        if t is Span:
            return self.span(obj)  # not kept in done: making one again costs no more
        got = self.done.get(id(obj))
        if got is not None:
            return got[1]
        if t is FieldSpans and all(type(v) is Span for _, v in obj.items):  # most of a guest's spans
            span, items = self.span, obj.items
            moved = [span(v) for _, v in items]
            new = FieldSpans(tuple(zip((k for k, _ in items), moved))) if any(
                map(is_not, moved, (v for _, v in items))) else obj
        elif t is tuple or t is list:
            span = self.span
            items = [x if type(x) in _ATOMS else span(x) if type(x) is Span else self(x) for x in obj]
            new = t(items) if any(map(is_not, items, obj)) else obj
        elif t is dict:
            items = {k: self(v) for k, v in obj.items()}
            new = obj if all(items[k] is v for k, v in obj.items()) else items
        elif t is Fix:
            new = self.fix(obj)
        elif isinstance(obj, _DECLS):  # not one of the moved ones: unmoved, or changed (Stale)
            if obj.span.file == self.path and self.shift(obj.span.start, obj.span.end) != (0, 0):
                raise Stale  # in a piece that moved, but not the one the new piece holds
            new = obj
        elif isinstance(obj, enum.Enum):
            self.plain.add(t)
            return obj
        else:
            new = self._dataclass(t, obj)
        self.done[id(obj)] = (obj, new)
        return new

    def entry(self, entry: tuple, deps: int) -> tuple | None:
        """A memo entry moved, or None if it cannot be (Stale). Its first `deps` items are
        what the rest was made from, so when none of those moved, neither did the rest
        (and it is not walked)."""
        try:
            head = [self(x) for x in entry[:deps]]
            if deps and not any(map(is_not, head, entry)):
                for x in entry[deps:]:
                    self.done.setdefault(id(x), (x, x))
                return entry
            return (*head, *(self(x) for x in entry[deps:]))
        except Stale:
            return None

    def _dataclass(self, t: type, obj):
        mover = self._movers.get(t)
        if mover is None:
            if not dataclasses.is_dataclass(t) or t is Edit:  # Edit: only inside a Fix, which knows its file
                raise Stale
            mover = self._movers[t] = _mover(t)
            if mover is None:  # nothing in it can move
                self.plain.add(t)
                return obj
        return mover(obj, self)


@functools.cache  # one per class for the server's life
def _mover(t: type):
    """A function (obj, move) -> obj with its span-holding fields moved, or obj itself when
    none moved; None if no field can hold a span (by its declared type)."""
    fields = [f.name for f in dataclasses.fields(t)]
    walk = [f.name for f in dataclasses.fields(t) if not _plain(f.type)]
    if not walk:
        return None
    setters = [(name, _setter(t, name)) for name in fields]

    def move(obj, m: Move):
        changed = None
        for name in walk:
            value = getattr(obj, name)
            kind = type(value)
            if kind in _ATOMS or kind in m.plain or not value and kind in _CONTAINERS:
                continue
            new = m.span(value) if kind is Span else m(value)
            if new is not value:
                changed = changed or {}
                changed[name] = new
        if changed is None:
            return obj
        x = object.__new__(t)  # a copy with the moved fields, its slots filled directly
        for name, put in setters:
            put(x, changed[name] if name in changed else getattr(obj, name))
        return x

    return move


def _setter(t: type, name: str):
    """(obj, value) -> None setting a field of a frozen dataclass: its slot's own setter
    (twice as fast as object.__setattr__, which a frozen __init__ calls per field)."""
    slot = t.__dict__.get(name) if "__slots__" in t.__dict__ else None
    if slot is not None and hasattr(slot, "__set__"):
        return slot.__set__
    return lambda obj, value: object.__setattr__(obj, name, value)


_SPAN_SET = [_setter(Span, f.name) for f in dataclasses.fields(Span)]


def moved_span(s: Span, lines: int, chars: int, file: str | None = None) -> Span:
    """s moved down `lines` lines and `chars` characters (columns stay), into `file` if given."""
    x = object.__new__(Span)
    set_file, line, col, end_line, end_col, start, end = _SPAN_SET
    set_file(x, s.file if file is None else file)
    line(x, s.line + lines)
    col(x, s.col)
    end_line(x, s.end_line + lines)
    end_col(x, s.end_col)
    start(x, s.start + chars)
    end(x, s.end + chars)
    return x


_PLAIN = re.compile(r"(?:str|int|bool|float|bytes|None|tuple\[|list\[|frozenset\[|, \.\.\.|[\] |,])*")


def _plain(annotation) -> bool:
    """The field's declared type holds no spans: str, int, bool, None, and tuples or lists
    of those (the model is annotated; tests/test_lsp_incremental.py checks that the values
    of such fields are plain in a fleet's model)."""
    return isinstance(annotation, str) and _PLAIN.fullmatch(annotation) is not None


def check_buffers(path: str, buffers: dict[str, str], cache, memo=None):
    """What `virtc check PATH` reports, with the open buffers' text instead of the files,
    parsed through `cache` (a virtc.lsp_parsecache.ParseCache), reusing through `memo` (a
    virtc.checkmemo.CheckMemo) what the document's last check made, moved to where the
    declarations are now."""
    from . import api
    from .loading import buffers_first

    def parse(src):
        out = cache.parse(src)
        if memo is not None:
            memo.moved(src.path, cache.layout(src.path))
        return out

    try:
        return api.check([path], loader=buffers_first(buffers), parser=parse, memo=memo)
    finally:
        if memo is not None:
            memo.done()
