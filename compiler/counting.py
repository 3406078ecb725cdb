"""Syntax errors past MAX_ERRORS (virtc.parse's recovery): only counted, not reported.

Each is found where the reported ones are and its statement blanked the same way, so the
count is what reporting them all would give; but none becomes a Diagnostic, and the
statement is found on the chunk's own text (no Lark exception, no copy of the chunk).
Two ways in: `counted`, from the error run() raised, and `counter`, the reader's hook for
those it blanks inside its loop (Reader._skip). Both leave to the general path the same
cases: an end of the text, a declaration's word where a '}' is missing (VP004), an ignored
word, an error in or before a statement blanked, one that runs to the end.
"""
from __future__ import annotations

from bisect import bisect_right

from . import parsetree
from .blanking import DECLARATIONS, SEPARATOR_AFTER, separator_before, statement_extent
from .resumable import Reader
from .source import SourceFile, Span


class Counted:
    """A syntax error only counted: only the first one's span is used (the last VP001 points
    there), so none is made a diagnostic (a tenth of each one's cost). `end` None: where the
    error ends is found when the span is asked for (the whole lexer's match there cost a
    tenth of each error's count again, for a span never shown but for one). No token but
    an end of line runs past a line's end, so the file's text at `start` gives the match the
    chunk's text gave."""

    __slots__ = ("end", "src", "start")

    def __init__(self, src: SourceFile, start: int, end: int | None):
        self.src, self.start, self.end = src, start, end

    @property
    def span(self) -> Span:
        if self.end is None:
            self.end = self.start + _root_length(self.src.text, self.start)
        return self.src.span(self.start, self.end)


def _root_match(text: str, rel: int):
    """The whole lexer's match at text[rel] (Lark's Scanner.match), or None."""
    for pattern in parsetree.lalr()[1].root_lexer.scanner._mres:
        m = pattern.match(text, rel)
        if m is not None:
            return m
    return None


def _root_length(text: str, rel: int) -> int:
    """The length of the error at text[rel] where no terminal of the state matched: the
    word the whole lexer reads there (one character of an end of line), else one."""
    m = _root_match(text, rel)
    return 1 if m is None or m.lastgroup == "_NL" else len(m.group(0))


# The first characters of what makes _error_end leave an error to the general path where no
# terminal of the state matched: a declaration's word, and what the lexer ignores (blanks,
# a line continuation, a comment; grammar/virtc.lark's %ignore). At any other character
# `counter` counts the error without _error_end, and leaves its end to Counted.span.
_DECIDES = frozenset(w[0] for w in DECLARATIONS) | frozenset(" \t\f\\#")


def _error_end(src: SourceFile, start: int, reader: Reader, tok, state: int, rel: int) -> int | None:
    """Where the error at `tok` (None: no terminal of `state`'s lexer matched at `rel`) ends,
    as an offset of the file; None where the general path decides."""
    pos = start + rel
    if pos >= len(src.text):
        return None
    if tok is None:  # the word the whole lexer reads there (Lark's Scanner.match)
        m = _root_match(reader.text, rel)
        if m is None:  # Lark's UnexpectedCharacters
            return pos + 1
        # Lark's UnexpectedToken, of what the contextual lexer allowed
        root = reader.lexer.root_lexer
        kind, word = m.lastgroup, m.group(0)
        if kind in root.ignore_types or (
                word in DECLARATIONS and "RBRACE" in reader.lexer.lexers[state].scanner.allowed_types):
            return None
        end = pos + (len(word) if kind != "_NL" else 1)
    else:
        if tok.type == "$END" or ("RBRACE" in parsetree.lalr()[2].states[state] and str(tok.value) in DECLARATIONS):
            return None
        end = start + (tok.end_pos if tok.type != "_NL" else tok.start_pos + 1)
    return None if end > len(src.text) else end


def counted(src: SourceFile, start: int, reader: Reader, stop: parsetree.Refused):
    """The error reader.run(lean=True) raised (`stop`) in the chunk at `start`: the error (a
    Counted) and its offset in the file, and the statement to blank (offsets in the chunk),
    where virtc.parse's _syntax_diagnostic and statement_extent put them; or None."""
    text, tok, pending = reader.text, stop.token, reader.pending
    rel = stop.pos if tok is None else tok.start_pos
    if rel >= len(text) or (pending and rel < pending[-1][1]):
        return None
    # the text from `rel` on is the chunk's own (nothing blanked after the last region)
    end = _error_end(src, start, reader, tok, stop.state, rel)
    if end is None:
        return None
    # statement_extent on the statement's own text: from the separator before it (each search
    # stops at the nearest found so far, as there) or `floor`, to the separator after it
    x = separator_before(text, rel)
    if x >= 0 and pending:  # a separator blanked is none: the general path
        i = bisect_right(pending, (x, len(text))) - 1
        if i >= 0 and pending[i][0] <= x < pending[i][1]:
            return None
    floor = reader.statement_start(rel)
    after = SEPARATOR_AFTER.search(text, rel)
    if after is None:  # it runs to the end
        return None
    a, b = x + 1, (rel if text[rel] == "}" else after.start())
    if (floor is not None and floor <= x) or "{" in text[a:b]:
        # the statement starts before x, or opens a block: statement_extent on its text as
        # blanked (with no '{' between x and `after`, the text itself is that: x is the last
        # separator before the error, after it is blanked only what is before the error)
        lo = max(x, 0) if floor is None or floor >= x else floor
        piece = reader.composed(lo, after.end())
        a, b, depth = statement_extent(piece, rel - lo, None if floor is None else floor - lo)
        if depth is not None or b >= len(piece):
            return None
        a, b = a + lo, b + lo
    if b <= a:
        b = rel + 1
    if b >= len(text):
        return None
    return Counted(src, start + rel, end), start + rel, a, b


def counter(src: SourceFile, start: int, reader: Reader, found: list, seen: set):
    """The reader's hook (Reader.counter) for the chunk at `start`: counts the error at a
    token refused in a state at an offset of the chunk, where `counted` would, adding it
    to `found` and its offset to `seen` (the chunk's); False where it would not, or where
    that offset failed before (the caller stops there)."""

    text = src.text

    def count(tok, state: int, rel: int) -> bool:
        pos = start + rel
        if tok is None and pos < len(text) and text[pos] not in _DECIDES:
            end = None  # counted; where it ends is left to Counted.span (the dense case)
        else:
            end = _error_end(src, start, reader, tok, state, rel)
            if end is None:
                return False
        if pos in seen:
            return False
        seen.add(pos)
        found.append(Counted(src, pos, end))
        return True

    return count
