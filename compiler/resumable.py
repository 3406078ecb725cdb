"""The reader of one chunk of a broken .virt file for virtc.parse's recovery: the parse
of a text that resumes, after an error, from just before the failed statement (kept
parser states) instead of from the chunk's start. Lark's types, with virtc.parse."""
from __future__ import annotations

import bisect
import re

from lark import Token
from lark.exceptions import UnexpectedEOF, UnexpectedInput
from lark.lexer import LexerState, LexerThread, LineCounter
from lark.parsers.lalr_analysis import Shift
from lark.parsers.lalr_interactive_parser import InteractiveParser
from lark.parsers.lalr_parser_state import ParseConf, ParserState
from lark.utils import TextSlice

from . import parsetree
from .blanking import SEPARATOR_AFTER, blanked, separator_before, statement_extent
from .parsetree import Node


def refused(conf: ParseConf, stack: list, terminal: str):
    """Lark's feed_token of a `terminal` (or "$END") at `stack` (a copy, changed), without
    trees or exceptions: the actions of the state that refuses it, or None if it is taken."""
    states = conf.states
    while True:
        actions = states[stack[-1]]
        if terminal not in actions:
            return actions
        action, rule = actions[terminal]
        if action is Shift:
            return None
        if rule.expansion:
            del stack[-len(rule.expansion):]
        stack.append(states[stack[-1]][rule.origin.name][1])
        if terminal == "$END" and stack[-1] == conf.end_state:
            return None


_BLANKS = re.compile(r"[ \t\f\r\n]*")
_SPACES = re.compile(r"[ \t\f]*")
_SEPARATORS = frozenset({"_NL", "SEMICOLON", "LBRACE", "RBRACE"})


class Reader:
    """One chunk parsed by Lark's LALR parser, token by token, so that after an error the
    parse can resume from just before the failed statement instead of from the chunk's
    start: re-reading from the start cost the chunk's length per error (seconds for a
    chunk of a thousand broken lines).

    The parser's state is kept before each end of line and after each ';', '{' and '}'
    (an end of line takes in the blank lines after it; the others are one character). A
    failed statement starts after the last separator character before the error, so
    after it is blanked (or the text is changed from some offset on) the text before a
    kept separator is what it was: its tokens, the parser's state there and the comments
    before it stay the same, and lexing resumes there in the new text. The tree and
    comments are then those of parsing the new text from its start."""

    KEPT = 3  # separators kept: the error's statement starts after one of the last two

    def __init__(self, text: str, comments: list, carry=None):
        self.text = text
        self.comments = comments  # the list grammar.collecting fills: trimmed on resuming
        self.parser, self.lexer, conf = parsetree.lalr()
        state, sizes = (ParserState(conf, None), []) if carry is None else carry[:2]
        self.start = (0, 0, 1, 1, state, 0, sizes, False, 0, False)
        self.final = None  # the parser's state (and its trees' sizes) before the end of the text
        self.kept: list = []
        # (start, end) of the statements blanked (blank) since the text was last made
        # whole: sorted, apart. The text is theirs with these blanked (composed).
        self.pending: list[tuple[int, int]] = []
        # counter(token, state, offset): set by the caller while errors are only counted;
        # True when it counted the error at that token (see _skip)
        self.counter = None
        self._sep = None  # (the last separator taken, the state after it, the stack's depth)
        self._restart(self.start)

    @staticmethod
    def _untake(snap) -> None:
        """Lark's LALR tree builder extends a list of statements in place (the children of
        the tree on the stack that a left-recursive rule reduces again): what the parse
        after the snapshot added to the trees it holds is taken back out."""
        for value, size in zip(snap[4].value_stack, snap[6]):
            if size >= 0:
                del value.children[size:]

    def _restart(self, snap) -> None:
        _, pos, line, column, state, n = snap[:6]
        self._untake(snap)
        self.at = (pos, line, pos - column + 1)  # where the parse goes on from (run)
        # a copy (Lark's copy(deepcopy_values=False), without its calls of copy.copy): the
        # snapshot stays usable
        self.state = ParserState(state.parse_conf, state.lexer, list(state.state_stack), list(state.value_stack))
        del self.comments[n:]

    def _snap(self, tok: Token, again: bool) -> tuple:
        """A place to resume from before separator `tok` (read `again`) or after it: its offset,
        where lexing resumes, the state, trees' sizes and comments there, `again`, its end,
        and False (not a place inside an end of line: _inside)."""
        at = (tok.start_pos, tok.line, tok.column) if again else (tok.end_pos, tok.end_line, tok.end_column)
        return (tok.start_pos, *at, self.state.copy(deepcopy_values=False), len(self.comments),
                [len(v.children) if isinstance(v, Node) else -1 for v in self.state.value_stack], again, tok.end_pos,
                False)

    def _inside(self, tok: Token) -> None:
        """After an end of line `tok` over several lines was taken: a place to resume from at
        its last line break, with the state kept before it. Blanked statements leave blank
        lines, which one end of line takes in; resuming before it read all of them again
        at each error after them (quadratic in a block of broken lines). From its last line
        break the text is the same but for blanks and line breaks the parser takes as one
        end of line in the same state, so what is read from there is what it was; the
        position of a kept separator (statement_start) is that of the whole one."""
        value, kept = tok.value, self.kept
        if value.count("\n") < 2 or not kept or kept[-1][0] != tok.start_pos or not kept[-1][7]:
            return
        i = value.rindex("\n")
        if value[i - 1] == "\r":
            i -= 1
        pos = tok.start_pos + i
        line_start = tok.start_pos + value.rindex("\n", 0, i) + 1
        before = kept[-1]
        kept.append((pos, pos, tok.line + value.count("\n", 0, i), pos - line_start + 1, *before[4:7], True,
                      tok.end_pos, True))

    def _trim(self) -> None:
        """Keep the last KEPT separators (and the places inside their ends of line)."""
        kept = self.kept
        if len(kept) <= self.KEPT:  # nothing to drop (and the first is not a place inside)
            return
        real = len(kept)
        for snap in kept:  # a loop: for so few, cheaper than sum() over a generator
            real -= snap[9]
        while real > self.KEPT:
            real -= not kept[0][9]
            del kept[0]
        while kept and kept[0][9]:  # its end of line is no longer kept
            del kept[0]

    def resume(self, text: str, same_before: int) -> None:
        """Go on with `text`, which is the text read so far (whole) up to `same_before`."""
        assert not self.pending, "make the text whole first"
        self.text = text
        self._back_to(same_before)

    def blank(self, start: int, end: int) -> None:
        """Go on with text[start:end] blanked (blanking.blanked), without copying the text:
        a copy a statement cost a block of thousands of broken lines its length per line.
        The region is kept in `pending` until the text is made whole (whole)."""
        self._pend(start, end)
        self._back_to(start)

    def _pend(self, start: int, end: int) -> None:
        """Add text[start:end] to the regions blanked (merged with those it touches)."""
        pending = self.pending
        if not pending or pending[-1][1] < start:  # after every region (the common case)
            pending.append((start, end))
            return
        i = bisect.bisect_left(pending, (start,))
        if i and pending[i - 1][1] >= start:  # it runs on from the one before
            i -= 1
            start = pending[i][0]
        j = i
        while j < len(pending) and pending[j][0] <= end:  # those it reaches
            end = max(end, pending[j][1])
            j += 1
        pending[i:j] = [(start, end)]

    def composed(self, lo: int, hi: int) -> str:
        """text[lo:hi] with the pending regions blanked."""
        pending, text = self.pending, self.text
        i = bisect.bisect_left(pending, (lo,))
        if i and pending[i - 1][1] > lo:
            i -= 1
        parts, at = [], lo
        while i < len(pending) and pending[i][0] < hi:
            a, b = max(pending[i][0], at), min(pending[i][1], hi)
            parts += (text[at:a], blanked(text[a:b]))
            at = b
            i += 1
        if not parts:
            return text[lo:hi]
        parts.append(text[at:hi])
        return "".join(parts)

    def whole(self) -> str:
        """The text with the pending regions blanked, made the text (one copy)."""
        if self.pending:
            self.text = self.composed(0, len(self.text))
            self.pending = []
        return self.text

    def _back_to(self, same_before: int) -> None:
        while self.kept and self.kept[-1][0] >= same_before:
            self.kept.pop()
        # a separator kept before it is read again, and kept again, from there
        self._restart((self.kept.pop() if self.kept[-1][7] else self.kept[-1]) if self.kept else self.start)

    def statement_start(self, pos: int) -> int | None:
        """Where the last separator token lexed before `pos` ends (None: none is kept)."""
        for snap in reversed(self.kept):
            if snap[0] < pos:
                return snap[8]
        return None

    def run(self, more: bool = False, lean: bool = False):
        """The tree; or Lark's UnexpectedInput, as Lark's own parse raises it. With `more` (the
        caller reads on into text after), an end refused is an UnexpectedEOF, not Lark's error.
        With `lean`, a refusal is raised as parsetree's Refused (lark_error makes Lark's).

        The text is read by parsetree's loop, which keeps the same states at the same
        separators as Lark's (_run_lark) and, where it refuses, makes the error Lark's
        loop raises there (test_recovery_loops checks the two against each other)."""
        kept, comments, conf = self.kept, self.comments, self.state.parse_conf
        states, values = self.state.state_stack, self.state.value_stack

        def separator(tok: Token, again: bool | None) -> None:  # _snap, on the loop's lists
            if again is None:
                self._sep = (tok, states[-1], len(states))
                self._inside(tok)
                return
            at = (tok.start_pos, tok.line, tok.column) if again else (tok.end_pos, tok.end_line, tok.end_column)
            kept.append((tok.start_pos, *at, ParserState(conf, None, list(states), list(values)), len(comments),
                         [len(v.children) if type(v) is Node else -1 for v in values], again, tok.end_pos, False))
            self._trim()
            if again is False:
                self._sep = (tok, states[-1], len(states))

        try:
            pos, line, line_start = self.at
            last = None
            if self.pending and self.pending[-1][1] > pos:
                # the text as blanked, from here to the first character after the last region
                # that is not a blank or a line break: no token read before it runs on past it
                # (only blanks and line ends span lines; no token starts with a blank but
                # them), so the rest is read from the text itself, which is the same there
                sync = _BLANKS.match(self.text, self.pending[-1][1]).end()
                piece = self.composed(pos, sync)
                if piece.strip(" \t\f"):  # blanks alone are one ignored token: nothing to feed
                    last = parsetree.feed(piece, states, values, 0, line, line_start - pos, separator, pos)
                    nl = piece.rfind("\n")
                    if nl >= 0:
                        line, line_start = line + piece.count("\n"), pos + nl + 1
                pos = sync
            last = parsetree.feed(self.text, states, values, pos, line, line_start, separator=separator,
                                  refused=self._skip if self.counter is not None else None) or last
            self.final = (ParserState(conf, None, list(states), list(values)),
                          [len(v.children) if type(v) is Node else -1 for v in values])
            if more and refused(conf, list(states), "$END") is not None:
                raise _eof(self.parser, ParserState(conf, None, states, values))
            return parsetree.feed_end(states, values, last)
        except parsetree.Refused as stop:
            if lean:
                raise
            raise self.lark_error(stop) from None

    def _skip(self, tok: Token | None, states: list, values: list, rel: int, line: int, line_start: int):
        """An error only counted, where the statement's first token (`tok`; None: no terminal
        of the state matches, at `rel`, on `line` starting at `line_start`) is refused right
        after a separator: blank the statement and read on, inside the parser's loop. What
        the caller's blank() and run() again would do there (virtc.counting's region,
        resuming from the separator kept), without leaving the loop. Returns where feed
        reads on (pos, line, line_start, the last token lexed), or None where the shape is
        another (the caller's general path then takes it).

        After a ';', '{' or '}' (kept after it was taken) and only blanks (statements
        blanked before, too): the statement runs from the separator to where statement_extent
        ends it, on its line; the parser's lists go back to the separator's (as resuming
        there does, where the refused token made it reduce first), and lexing reads on from
        the statement's end: what lexing the blanks again would give. After an end of line
        (kept before it), lexing it again from there takes in the blanks (and the line
        breaks after them): one longer end of line, taken in the same state, which
        replaces the one on the stack, with its kept places made as the separator callback
        makes them."""
        if tok is not None and (tok.type in _SEPARATORS or tok.type == "$END"):
            return None
        text, pending, kept = self.text, self.pending, self.kept
        if not kept or (pending and rel < pending[-1][1]):
            return None
        snap = kept[-1]  # the separator's (statement_start)
        if snap[0] >= rel or snap[5] != len(self.comments):
            return None
        if not snap[7]:
            return self._skip_after(tok, states, values, rel, line, line_start, snap)
        sep = self._sep
        if sep is None or values[-1] is not sep[0] or states[-1] != sep[1] or len(states) != sep[2]:
            return None  # not the statement's first token, or the parser reduced before refusing it
        sep = sep[0]
        # the separator right before the statement's first word (a line of its own, the
        # dense case), else the nearest before it
        x = rel - 1 if text[rel - 1] in "\n;{}" else separator_before(text, rel)
        if x >= 0 and pending and pending[-1][1] > x:  # a separator blanked is none
            i = bisect.bisect_right(pending, (x, len(text))) - 1
            if i >= 0 and pending[i][0] <= x < pending[i][1]:
                return None
        if snap[8] <= x:
            return None
        after = SEPARATOR_AFTER.search(text, rel)
        if after is None:
            return None
        a, b = x + 1, after.start()
        if b <= rel or b >= len(text) or text.find("{", a, b) >= 0 or text.find("\r", a, b) >= 0:
            return None
        # before an end of line (or at the last line break of one over several lines)
        if snap[9] and snap[8] != sep.end_pos or not snap[9] and snap[0] != sep.start_pos:
            return None
        at = snap[1]
        sync = _BLANKS.match(text, b).end()
        # text[a:b] holds no line break: blanked, it is spaces
        before = text[at:a] if not pending or pending[-1][1] <= at else self.composed(at, a)
        piece = before + " " * (b - a) + text[b:sync]
        lexed = parsetree.lex_one(snap[4].state_stack[-1], piece)
        value = "" if lexed is None or lexed[0] != "_NL" else lexed[1]
        if at + len(value) < b or not self.counter(tok, states[-1], rel):
            return None
        self._pend(a, b)
        end = at + len(value)
        breaks, last = value.count("\n"), value.rindex("\n")
        line, line_start = snap[2] + breaks, at + last + 1
        token = parsetree._new_token("_NL", value, at, snap[2], snap[3], line, end - line_start + 1, end)
        kept[-1] = (at, at, snap[2], snap[3], snap[4], snap[5], snap[6], True, end, False)
        if snap[9]:  # a place inside an end of line became a separator kept: one more of them
            self._trim()
        values[-1] = token
        self._sep = (token, states[-1], len(states))
        if breaks > 1:  # _inside(token), written out: the place at its last line break
            i = last - 1 if value[last - 1] == "\r" else last
            pos = at + i
            kept.append((pos, pos, snap[2] + breaks - 1, pos - at - value.rindex("\n", 0, i), *snap[4:7], True, end,
                         True))
        return end, line, line_start, token

    def _skip_after(self, tok, states: list, values: list, rel: int, line: int, line_start: int, snap):
        """_skip after a ';', '{' or '}' kept (`snap`)."""
        text = self.text
        a = snap[8]
        if not self._blank(a, rel):
            return None
        # where the statement ends: the text from `rel` on is the chunk's own, and no
        # separator lies between `a` and `rel` (blanks), so statement_extent of the text
        # itself there gives what it gives of the text as blanked
        _, b, depth = statement_extent(text, rel)
        if depth is not None or b <= rel or b >= len(text) or "\n" in text[rel:b] or "\r" in text[rel:b]:
            return None
        if not self.counter(tok, states[-1], rel):
            return None
        self._pend(a, b)
        state = snap[4]
        if len(states) != len(state.state_stack) or states[-1] != state.state_stack[-1] \
                or values[-1] is not state.value_stack[-1]:
            # the refused token made the parser reduce first: back to the separator's lists
            # (_restart, in place: they are the loop's)
            self._untake(snap)
            states[:] = state.state_stack
            values[:] = state.value_stack
            self._sep = (values[-1], states[-1], len(states))
        return b, line, line_start, None  # lexed again, nothing before b is a token

    def _blank(self, lo: int, hi: int) -> bool:
        """Whether text[lo:hi] as blanked is only what the lexer ignores on one line: the
        regions blanked in it (a line break in one would have been lexed, and kept after
        the separator) and spaces, tabs and form feeds between them."""
        pending, text = self.pending, self.text
        j = bisect.bisect_left(pending, (lo,))
        if j and pending[j - 1][1] > lo:
            j -= 1
        while lo < hi:
            gap = pending[j][0] if j < len(pending) and pending[j][0] < hi else hi
            if gap > lo and _SPACES.fullmatch(text, lo, gap) is None:
                return False
            if gap >= hi:
                return True
            lo = max(lo, pending[j][1])
            j += 1
        return True

    def lark_error(self, stop: parsetree.Refused) -> UnexpectedInput:
        """The error Lark's loop raises where run(lean=True) raised `stop` (the text is made
        whole)."""
        return stop.lark_error(self.whole(), self.state.state_stack, self.state.value_stack)

    def _run_lark(self, more: bool):
        """run(), by Lark's own lexer and parser loop."""
        state, kept = self.state, self.kept
        token = None
        counter = LineCounter("\n")
        counter.char_pos, counter.line, counter.line_start_pos = self.at
        counter.column = counter.char_pos - counter.line_start_pos + 1
        thread = LexerThread(self.lexer, LexerState(TextSlice(self.whole(), 0, len(self.text)), counter))
        state.lexer = thread
        try:
            for token in thread.lex(state):
                if token.type == "_NL":  # kept before it: it takes in the blank lines after it
                    kept.append(self._snap(token, True))
                    self._trim()
                    state.feed_token(token)
                    self._inside(token)
                else:
                    state.feed_token(token)
                    if token.type not in _SEPARATORS:
                        continue
                    # one character, kept after it: resuming does not reduce the statement before it again
                    kept.append(self._snap(token, False))
                    self._trim()
            end = Token.new_borrow_pos("$END", "", token) if token else Token("$END", "", 0, 1, 1)
            self.final = (state.copy(deepcopy_values=False),
                          [len(v.children) if isinstance(v, Node) else -1 for v in state.value_stack])
            if more and refused(state.parse_conf, list(state.state_stack), "$END") is not None:
                raise UnexpectedEOF([])
            return state.feed_token(end, True)
        except UnexpectedInput as exc:
            exc.interactive_parser = InteractiveParser(self.parser, state, thread)
            raise


def _eof(parser, state: ParserState) -> UnexpectedEOF:
    # made here, not in a local of the frame that raises it: the exception's traceback
    # holds that frame, and a cycle through it is left to the cyclic collector (15% of
    # a check of a file of broken blocks)
    exc = UnexpectedEOF([])
    exc.interactive_parser = InteractiveParser(parser, state, None)
    return exc
