"""The tree the compiler parses into: Lark's LALR tables and lexer, with reductions of
virtc's own in place of Lark's tree builder.

Lark's tree builder, with the positions a linter needs (propagate_positions), spends
about 40% of a parse working out each node's position from its children's meta objects.
A `Node` here holds the same shape as Lark's tree for this grammar (the same rule names,
the same children: anonymous tokens filtered out, `_rule`s and Lark's helper rules
inlined, `?rule`s with one child replaced by it) and its start and end offsets, taken
from its first and last child as Lark takes them, at about the cost of a tree without
positions. tests/test_parsetree.py checks both against each other.

Only the parser (virtc.parse) uses this module."""
from __future__ import annotations

import re
import re._constants as _c  # re's own parser of patterns, for _first_chars
import re._parser as _sre_parser
from functools import lru_cache

from lark import Token
from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken
from lark.lexer import LexerState, LexerThread, LineCounter
from lark.parsers.lalr_analysis import Shift
from lark.parsers.lalr_interactive_parser import InteractiveParser
from lark.parsers.lalr_parser_state import ParseConf, ParserState
from lark.utils import TextSlice
from virtc import grammar


class Node:
    """A rule's node: its name, its children (tokens and nodes), and its [start, end)
    offsets in the text parsed (None: a node of no text, as an empty file's start)."""

    __slots__ = ("children", "data", "end", "start")

    def __init__(self, data: str, children: list, start: int | None, end: int | None):
        self.data = data
        self.children = children
        self.start = start
        self.end = end

    def __repr__(self) -> str:
        return f"Node({self.data!r}, {self.children!r}, {self.start}, {self.end})"


def _reduction(name: str, expansion, keep_all: bool, expand1: bool):
    """The callback reducing one rule: the raw children (every symbol of the expansion)
    to its Node. What is kept and inlined follows Lark's ChildFilterLALR_NoPlaceholders,
    including its reuse of the first inlined child's list (a left-recursive list of
    statements grows in place, not copied at each item: the recovery's parser snapshots
    rely on that, see resumable.Reader._restart)."""
    include = [(i, not sym.is_term and sym.name.startswith("_")) for i, sym in enumerate(expansion)
               if keep_all or not (sym.is_term and sym.filter_out)]
    plain = len(include) == len(expansion) and not any(inline for _, inline in include)

    def reduce(s: list):
        start = end = None
        for c in s:
            if type(c) is Node:
                if c.start is not None:
                    start = c.start
                    break
            else:
                start = c.start_pos
                break
        if start is not None:
            for c in reversed(s):
                if type(c) is Node:
                    if c.end is not None:
                        end = c.end
                        break
                else:
                    end = c.end_pos
                    break
        if plain:
            kept = s
        else:
            kept = []
            for i, inline in include:
                if inline:
                    if kept:
                        kept += s[i].children
                    else:
                        kept = s[i].children
                else:
                    kept.append(s[i])
        if expand1 and len(kept) == 1:
            return kept[0]
        return Node(name, kept, start, end)

    return reduce


@lru_cache(maxsize=1)
def callbacks() -> dict:
    """Rule -> its reduction, for every rule of the grammar's parser."""
    lark = grammar.parser()
    out = {}
    for rule in lark.rules:
        options = rule.options
        if options.expand1 and len(rule.expansion) != 1:
            # a `?rule` whose one kept child has tokens around it: Lark's node would then
            # start where that child's container does, which Node does not track
            raise AssertionError(f"?{rule.origin.name}: an alternative of more than one symbol")
        out[rule] = _reduction(rule.alias or rule.origin.name, rule.expansion,
                               options.keep_all_tokens, bool(options.expand1 and not rule.alias))
    return out


@lru_cache(maxsize=1)
def lalr():
    """The LALR parser proper (Lark's _Parser), its lexer, and the configuration a parse
    from the grammar's start begins with, reducing to Nodes (read only)."""
    frontend = grammar.parser().parser
    parser = frontend.parser.parser
    return parser, frontend.lexer, ParseConf(parser.parse_table, callbacks(), "start")


def parse(text: str) -> tuple[Node, list[Token]]:
    """(the start Node, COMMENT tokens) of the text. On a syntax error, Refused: the
    caller reads the file again with Lark's own loop (virtc.parse's recovery), which
    says what went wrong."""
    states, values = [start_state()], []
    with grammar.collecting() as comments:
        feed(text, states, values)
        return feed_end(states, values), comments


def lark_parse(text: str) -> tuple[Node, list[Token]]:
    """parse(), run by Lark's own lexer and parser loop (what feed is checked against):
    Lark's UnexpectedInput on a syntax error."""
    parser, lexer, conf = lalr()
    with grammar.collecting() as comments:
        state = ParserState(conf, LexerThread.from_text(lexer, text))
        return parser.parse_from_state(state), comments


class Refused(UnexpectedInput):
    """A syntax error met by feed or feed_end: `token` refused in LALR `state` (None: no
    terminal of that state's lexer matches at `pos`, on `line` at `column`); `last`, the
    last token this feed lexed. lark_error() makes the error Lark's loop raises there."""

    def __init__(self, token: Token | None, state: int, pos: int = 0, line: int = 1, column: int = 1,
                 last: Token | None = None):
        super().__init__()
        self.token, self.state, self.pos, self.line, self.column, self.last = token, state, pos, line, column, last

    def lark_error(self, text: str, states: list, values: list) -> UnexpectedInput:
        """The exception Lark's loop raises at this error of a feed of `text`, the parser at
        `states` and `values` there; its interactive parser holds that parser state (as
        Lark's does, without a lexer: nothing here lexes on from an error)."""
        parser, lexer, conf = lalr()
        state = ParserState(conf, None, states, values)
        if self.token is not None:  # Lark's ParserState.feed_token
            expected = {t for t in conf.states[self.state] if t.isupper()}
            exc = UnexpectedToken(self.token, expected, state=state)
        else:  # Lark's ContextualLexer.lex: no terminal of the state's lexer matches here
            basic = lexer.lexers[self.state]
            allowed = (basic.scanner.allowed_types - basic.ignore_types) or {"<END-OF-FILE>"}
            exc = UnexpectedCharacters(text, self.pos, self.line, self.column, allowed=allowed,
                                       token_history=self.last and [self.last], state=state,
                                       terminals_by_name=basic.terminals_by_name)
            counter = LineCounter("\n")
            counter.char_pos, counter.line, counter.column = self.pos, self.line, self.column
            counter.line_start_pos = self.pos - self.column + 1
            try:  # what the parser's whole lexer reads there, for a better message
                token = lexer.root_lexer.next_token(LexerState(TextSlice(text, 0, len(text)), counter, self.last),
                                                    state)
            except UnexpectedCharacters:
                pass
            else:
                exc = UnexpectedToken(token, allowed, state=state, token_history=[self.last],
                                      terminals_by_name=lexer.root_lexer.terminals_by_name)
        exc.interactive_parser = InteractiveParser(parser, state, None)
        return exc


def _new_token(type_: str, value: str, start: int, line: int, column: int, end_line: int,
               end_column: int, end: int) -> Token:
    # Lark's Token, its fields set as Token() sets them, without its two calls of argument
    # handling (a tenth of a parse)
    t = _str_new(Token, value)
    t.type, t.value, t.start_pos, t.line, t.column = type_, value, start, line, column
    t.end_line, t.end_column, t.end_pos = end_line, end_column, end
    return t


_str_new = str.__new__


class _Lexing(dict):
    """LALR state -> its contextual lexer's (patterns, ignored terminals, terminals that
    may hold a newline, callbacks, patterns by first character), made on first use: Lark
    compiles a state's patterns when a parse first reaches it, and compiling all 130
    lexers up front would cost a small check 25 ms."""

    def __init__(self, lexers: dict):
        super().__init__()
        self.lexers = lexers
        self.by_lexer: dict[int, tuple] = {}

    def __missing__(self, state: int) -> tuple:
        basic = self.lexers[state]
        made = self.by_lexer.get(id(basic))
        if made is None:
            scanner = basic.scanner  # builds the scanner (and basic.callback) if not yet built
            made = self.by_lexer[id(basic)] = (scanner._mres, basic.ignore_types, basic.newline_types,
                                               basic.callback, _ByFirst(scanner))
        self[state] = made
        return made


class _ByFirst(dict):
    """A character -> the patterns of a lexer (a Lark Scanner) that can match a text starting
    with it: its terminals that can start with that character, in the scanner's order, in
    one alternation as the scanner makes them (Scanner._build_mres). Lark's alternation of
    all of a state's terminals tries each in turn, and a state at the start of a statement
    has about 80 of them: 1 to 4 us a token, where the few that can start there take a
    tenth of that. The first match among those is the first among all, since the others
    cannot match there. Made per character on first use; a character that is not ASCII
    gets all of them."""

    SMALL = 12  # a lexer of at most this many terminals keeps its one alternation

    def __init__(self, scanner):
        super().__init__()
        self.scanner = scanner
        self.first = None

    def __missing__(self, char: str) -> list:
        scanner = self.scanner
        if len(char) != 1 or ord(char) > 127 or len(scanner.terminals) <= self.SMALL:
            mres = scanner._mres
        else:
            if self.first is None:
                self.first = [_first_chars(t.pattern.to_regexp(), scanner.g_regex_flags) for t in scanner.terminals]
            terminals = [t for t, first in zip(scanner.terminals, self.first) if first is None or char in first]
            if len(terminals) == len(scanner.terminals):
                mres = scanner._mres
            else:
                key = (tuple(t.name for t in terminals), scanner.g_regex_flags)
                mres = _SUBSETS.get(key)
                if mres is None:
                    mres = _SUBSETS[key] = scanner._build_mres(terminals, len(terminals)) if terminals else []
        self[char] = mres
        return mres


_SUBSETS: dict[tuple, list] = {}  # the alternations _ByFirst compiled, shared by the lexers


@lru_cache(maxsize=None)
def _first_chars(regex: str, flags: int) -> frozenset[str] | None:
    """The ASCII characters a match of `regex` can start with; None where it may start with
    any (or the pattern is one this does not follow: the answer must never leave one out)."""
    if flags & re.IGNORECASE:
        return None
    try:
        parsed = _sre_parser.parse(regex, flags)
    except Exception:  # noqa: BLE001 - a pattern it cannot read is one that may start anywhere
        return None
    if parsed.state.flags & re.IGNORECASE:  # a (?i) for the whole pattern
        return None
    chars, empty = _first_of(list(parsed))
    return None if chars is None or empty else frozenset(chars)


def _first_of(items: list) -> tuple[set | None, bool]:
    """The first characters of a sequence of re's parsed items, and whether it can match
    the empty text (None: any character)."""
    out: set = set()
    for op, av in items:
        if op is _c.LITERAL:
            if av < 128:
                out.add(chr(av))
            return out, False
        if op is _c.IN:
            chars = _charset(av)
            return (None, False) if chars is None else (out | chars, False)
        if op is _c.SUBPATTERN:
            _, add, _, sub = av
            if add & re.IGNORECASE:
                return None, False
            chars, empty = _first_of(list(sub))
        elif op is _c.BRANCH:
            chars, empty = set(), False
            for branch in av[1]:
                first, may = _first_of(list(branch))
                if first is None:
                    return None, False
                chars |= first
                empty = empty or may
        elif op in (_c.MAX_REPEAT, _c.MIN_REPEAT, _c.POSSESSIVE_REPEAT):
            low, _, sub = av
            chars, empty = _first_of(list(sub))
            empty = empty or low == 0
        elif op is _c.AT:  # an anchor matches no character
            continue
        else:  # any character, a reference, a look-around ...: anything
            return None, False
        if chars is None:
            return None, False
        out |= chars
        if not empty:
            return out, False
    return out, True


def _charset(items: list) -> set | None:
    """The ASCII characters of a parsed [...] (None: a negated set, or a category)."""
    out = set()
    for op, av in items:
        if op is _c.LITERAL:
            if av < 128:
                out.add(chr(av))
        elif op is _c.RANGE:
            out.update(chr(c) for c in range(av[0], min(av[1], 127) + 1))
        else:
            return None
    return out


@lru_cache(maxsize=1)
def _tables():
    """What feed reads, from Lark's parser: for each LALR state, its actions by terminal
    (a shift: the next state, an int; a reduction: (callback, size, the rule's name)) and
    its contextual lexer (the patterns to try in order, the ignored terminals, the
    terminals that may hold a newline, the callbacks by terminal); the start and end states."""
    _, lexer, conf = lalr()
    reductions: dict[int, tuple] = {}
    actions = {}
    for state, row in conf.states.items():
        out = {}
        for terminal, (action, arg) in row.items():
            if action is Shift:
                out[terminal] = arg
            else:
                key = id(arg)
                if key not in reductions:
                    reductions[key] = (conf.callbacks[arg], len(arg.expansion), arg.origin.name)
                out[terminal] = reductions[key]
        actions[state] = out
    lexing = _Lexing(lexer.lexers)
    return actions, lexing, conf.start_state, conf.end_state


# The tokens that end a statement or open or close a block (see feed's `separator`).
SEPARATORS = frozenset({"_NL", "SEMICOLON", "LBRACE", "RBRACE"})


def start_state() -> int:
    return _tables()[2]


def feed(text: str, states: list, values: list, pos: int = 0, line: int = 1, line_start: int = 0,
         separator=None, offset: int = 0, refused=None) -> Token | None:
    """Lark's ParserState.feed_token fed by its ContextualLexer from `pos` (on `line`, which
    starts at `line_start`) to the end of `text`, in one loop: the same tokens (types,
    values, positions; ignored ones skipped, callbacks applied), the same reductions on
    the parser's `states` and `values` (changed in place), and Refused exactly where
    Lark's loop fails. `separator(token, again)`, when given, is called for each of
    SEPARATORS: before an end of line is fed (again=True) and after it was taken
    (again=None), after the others are (again=False). `text` may be a piece of a longer
    text that starts at `offset` of it: the tokens' and errors' offsets are the longer
    text's (`line_start` is one of `text`). `refused(token, states, values, pos, line,
    line_start)`, when given, is asked first where a token is refused (token None: where
    no terminal matches, at pos): it returns where to read on from (pos, line, line_start,
    the last token lexed), having put the parser's lists as they are to be there, or None
    for Refused. Returns the last token it lexed (None: none)."""
    actions, lexing = _tables()[:2]
    end = len(text)
    token = None
    while pos < end:
        _, ignore, newline, callback, by_first = lexing[states[-1]]
        for pattern in by_first[text[pos]]:
            m = pattern.match(text, pos)
            if m is not None:
                break
        else:
            on = None if refused is None else refused(None, states, values, pos + offset, line, line_start + offset)
            if on is None:
                raise Refused(None, states[-1], pos + offset, line, pos - line_start + 1, token)
            pos, line, line_start, token = on
            continue
        terminal, value = m.lastgroup, m.group(0)
        start, start_line, column = pos, line, pos - line_start + 1
        pos = m.end()
        if terminal in newline:
            n = value.count("\n")
            if n:
                line += n
                line_start = start + value.rindex("\n") + 1
        if terminal in ignore:
            if terminal in callback:
                callback[terminal](_new_token(terminal, value, start + offset, start_line, column,
                                              line, pos - line_start + 1, pos + offset))
            continue
        token = _new_token(terminal, value, start + offset, start_line, column, line, pos - line_start + 1,
                           pos + offset)
        if terminal in callback:
            token = callback[terminal](token)
            terminal = token.type
        after = separator if separator is not None and terminal in SEPARATORS else None
        if after is not None and terminal == "_NL":
            after(token, True)
        while True:
            try:
                action = actions[states[-1]][terminal]
            except KeyError:
                if refused is not None:
                    on = refused(token, states, values, start + offset, start_line, start - column + 1 + offset)
                    if on is not None:
                        pos, line, line_start, token = on
                        break
                raise Refused(token, states[-1]) from None
            if type(action) is int:  # a shift
                states.append(action)
                values.append(token)
                break
            reduce, size, origin = action
            if size:
                children = values[-size:]
                del states[-size:]
                del values[-size:]
            else:
                children = []
            values.append(reduce(children))
            states.append(actions[states[-1]][origin])
        if after is not None:
            after(token, False if terminal != "_NL" else None)
    return token


def lex_one(state: int, text: str) -> tuple[str, str] | None:
    """The first token feed lexes from the start of `text` in LALR `state`: its terminal and
    text (None: none matches, or the terminal has a callback)."""
    if text[:1] in ("\n", "\r") and "_NL" in _tables()[0][state]:
        # an end of line, the one terminal that starts with a line break (grammar/virtc.lark;
        # test_parsetree checks it): its own pattern, not the state's alternation of them all
        m = _nl_pattern().match(text)
        return None if m is None else ("_NL", m.group(0))
    patterns, _, _, callback, _ = _tables()[1][state]
    for pattern in patterns:
        m = pattern.match(text)
        if m is not None:
            return None if m.lastgroup in callback else (m.lastgroup, m.group(0))
    return None


@lru_cache(maxsize=1)
def _nl_pattern() -> re.Pattern:
    return re.compile(lalr()[1].root_lexer.terminals_by_name["_NL"].pattern.to_regexp())


def word_at(state: int, text: str, pos: int, end: int) -> tuple[str, str, frozenset | None] | None:
    """The token Lark's contextual lexer reads at `pos` of text[:end] in LALR `state`, as its
    terminal, text, and None; where no terminal of the state matches, the word the whole
    lexer reads there, and the terminals the state's lexer allowed (what Lark's loop puts
    in the UnexpectedToken it raises there). None where Lark reads no token starting at
    `pos`: a blank or a comment there (it reads on past them), or nothing matches."""
    patterns, ignore, _, callback, _ = _tables()[1][state]
    allowed = None
    for pattern in patterns:
        m = pattern.match(text, pos, end)
        if m is not None:
            break
    else:
        lexer = lalr()[1]
        root = lexer.root_lexer
        scanner = root.scanner  # built on first use, with root.callback
        ignore, callback = root.ignore_types, root.callback
        for pattern in scanner._mres:
            m = pattern.match(text, pos, end)
            if m is not None:
                break
        else:
            return None
        basic = lexer.lexers[state]
        allowed = frozenset(basic.scanner.allowed_types - basic.ignore_types) or frozenset({"<END-OF-FILE>"})
    kind, value = m.lastgroup, m.group(0)
    if kind in ignore:
        return None
    if kind in callback:  # a keyword read as a NAME becomes the keyword's terminal
        token = callback[kind](_new_token(kind, value, pos, 0, 0, 0, 0, m.end()))
        kind, value = token.type, str(token.value)
    return kind, value, allowed


def feed_end(states: list, values: list, last: Token | None = None) -> Node:
    """The end of the text fed to the parser at `states` and `values` (`last`: the last
    token fed): the start Node, or Refused where Lark's loop fails. (Its reductions are
    feed's, written out again: feed keeps them inline, out of a call per reduction in its
    loop over every token.)"""
    actions, _, _, end_state = _tables()
    while True:
        try:
            action = actions[states[-1]]["$END"]
        except KeyError:
            end = Token.new_borrow_pos("$END", "", last) if last else Token("$END", "", 0, 1, 1)
            raise Refused(end, states[-1]) from None
        if type(action) is int:  # never, in an LALR table: Lark's loop fails an assertion
            raise AssertionError("a shift of the end of the text")
        reduce, size, origin = action
        if size:
            children = values[-size:]
            del states[-size:]
            del values[-size:]
        else:
            children = []
        values.append(reduce(children))
        states.append(actions[states[-1]][origin])
        if states[-1] == end_state:
            return values[-1]
