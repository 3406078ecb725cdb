"""Text -> syntax tree (virtc.syntax), with readable, recoverable syntax errors.

With virtc.parsetree (the parse loop and its nodes, on Lark's tables), the only module
that touches Lark. Errors name what was expected in words
("a size such as 512M", "'}'"), never Lark's terminal names. To report more than
one error per file, a failed statement is blanked out (positions kept) and the
parse resumes just before it (a top-level declaration at a time, so the cost stays
linear, but for one copy of the declaration's text per error inside it: quadratic in a
single block of thousands of broken lines); the first MAX_ERRORS errors are reported
and one more diagnostic counts the rest.
"""
from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from functools import lru_cache
from itertools import pairwise
from types import SimpleNamespace

from lark import Token
from lark.exceptions import (
    UnexpectedCharacters,
    UnexpectedEOF,
    UnexpectedInput,
    UnexpectedToken,
)
from lark.parsers.lalr_parser_state import ParserState
from virtc import grammar

from . import counting, parsetree
from .blanking import (
    DECLARATIONS,
    blank,
    blanked,
    block_end,
    header_line_errors,
    statement_extent,
    stray_line_errors,
)
from .bounds import BOUNDS
from .diagnostics import Diagnostic, Fix, error
from .parsetree import Node
from .resumable import Reader, refused
from .source import SourceFile, Span
from .suggest import closest, did_you_mean
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

MAX_ERRORS = BOUNDS["syntax_errors"].value  # reported one by one; the rest are counted
MORE_ERRORS = "more syntax errors"  # the end of the message that counts them


def is_count(d: Diagnostic) -> bool:
    """Whether `d` is the VP001 that counts the errors past MAX_ERRORS."""
    return d.code == "VP001" and d.message.startswith("and ") and d.message.endswith(MORE_ERRORS)

# Words for terminals; keywords are shown as themselves.
TERMINAL_WORDS = {
    "NAME": "a name",
    "STRING": 'a string in double quotes',
    "INT": "a whole number",
    "SIZE": "a size such as 512M or 8G",
    "VERSION": "a version such as 5.8",
    "ADDRESS": "an IPv4 address such as 10.0.0.1",
    "MAC": "a MAC address such as 00:16:3e:12:34:56",
    "PCIADDR": "a PCI address such as 0000:09:00.0",
    "WWID": "a WWID such as 3600805f30015987000000000768a0019",
    "UUID": "a UUID",
    "RATE": "a rate such as 10MB/s",
    "CPUSET": "a CPU list such as 0-3,6",
    "GRUBDEV": "a GRUB device such as (hd0,0)",
    "ENDPOINT": "host:port",
    "DRIVER": "a driver (file, phy, tap:aio, virtio, qemu)",
    "PAE": "'pae'",
    "_NL": "end of line",
    "SEMICOLON": "';'",
    "$END": "end of file",
}


def _terminal_word(name: str) -> str:
    if name in TERMINAL_WORDS:
        return TERMINAL_WORDS[name]
    term = _terminal_defs().get(name)
    if term is not None and term.pattern.type == "str":
        return f"'{term.pattern.value}'"
    return name.lower()


@lru_cache(maxsize=1)
def _terminal_defs():
    """The grammar's terminals by name (built once: every syntax error looks up dozens)."""
    return {t.name: t for t in grammar.parser().terminals}


def _expected_phrase(names) -> str:
    words = sorted({_terminal_word(n) for n in names if n != "COMMENT"},
                   key=lambda w: (not w.startswith("'"), w))
    keywords = [w for w in words if w.startswith("'") and w not in ("'}'", "';'")]
    others = [w for w in words if w not in keywords]
    if len(keywords) > 8:
        keywords = [f"a keyword ({', '.join(keywords[:6])}, ... {len(keywords)} in all)"]
    items = keywords + others
    if not items:
        return "nothing more"
    if len(items) == 1:
        return items[0]
    return ", ".join(items[:-1]) + " or " + items[-1]


def _keywords(names) -> list[str]:
    """The keywords among the terminals Lark expected (the statements of the block)."""
    words = {_terminal_word(n) for n in names}
    return sorted(w[1:-1] for w in words if w.startswith("'") and w not in ("'}'", "';'", "'{'"))


def _braces(text: str, i: int, j: int):
    """(offset, '{' or '}') of each brace of text[i:j] outside strings and comments."""
    while i < j:
        c = text[i]
        if c == '"':
            i += 1
            while i < j and text[i] not in '"\n':
                i += 2 if text[i] == "\\" else 1
        elif c == "#":
            nl = text.find("\n", i, j)
            i = j if nl < 0 else nl
            continue
        elif c in "{}":
            yield i, c
        i += 1


def _open_block(text: str, pos: int, start: int = 0) -> int | None:
    """Offset of the last '{' before `pos` that no '}' closes (strings and comments are
    skipped), or None. `start` is a place outside every block (a chunk's start)."""
    stack: list[int] = []
    for i, c in _braces(text, start, pos):
        if c == "{":
            stack.append(i)
        elif stack:
            stack.pop()
    return stack[-1] if stack else None


def _unclosed(src: SourceFile, brace: int, before: str) -> Diagnostic:
    """VP004 at the header of the block opened at offset `brace`."""
    start = src.text.rfind("\n", 0, brace) + 1
    header = " ".join(src.text[start:brace].split())
    return error("VP004", f"block `{header} {{` is not closed: '}}' is missing before {before}",
                 src.span(_header_start(src.text, start, brace), brace + 1), hint="add '}' where the block ends")


def _header_start(text: str, line_start: int, brace: int) -> int:
    """Where the header of the block opened at `brace` starts: its line's first non-blank."""
    return line_start + len(text[line_start:brace]) - len(text[line_start:brace].lstrip())


def _describe_token(tok: Token) -> str:
    if tok.type == "$END":
        return "end of file"
    if tok.type == "_NL":
        return "end of line"
    if tok.type == "STRING":
        return f"string {tok.value}"
    return f"'{tok.value}'"


def _unescape(body: str) -> str:
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t"}.get(m.group(1), m.group(1)), body)


def _word_before(text: str, pos: int) -> str:
    """The word that ends before `pos`, over blanks and line continuations; reads back only
    as far as that word (not the whole prefix: that made building quadratic)."""
    i = pos
    while i > 0 and (text[i - 1] in " \t\r\n" or (text[i - 1] == "\\")):
        i -= 1
    end = i
    while i > 0 and not text[i - 1].isspace() and text[i - 1] not in "{};":
        i -= 1
    return text[i:end]


class _Builder:
    """Parse tree (parsetree.Node) -> syntax dataclasses."""

    VALUE_RULES = {"size", "version", "version_or_string", "name_or_string", "switch"}

    def __init__(self, src: SourceFile, offset: int = 0):
        self.src = src
        self.offset = offset  # where the text Lark parsed starts in the file (a chunk's start)

    def span(self, node) -> Span:
        o = self.offset
        if isinstance(node, Token):
            if not o:  # the file's own lines and columns, as the lexer counted them
                return Span(self.src.path, node.line, node.column, node.end_line, node.end_column, node.start_pos,
                            node.end_pos)
            return self.src.span(o + node.start_pos, o + node.end_pos)
        if node.start is None:
            return self.src.span(0, 0)
        return self.src.span(o + node.start, o + node.end)

    def value(self, tok: Token) -> Value:
        text = tok.value
        if tok.type == "STRING":
            text = _unescape(text[1:-1])
        return Value(tok.type, text, self.span(tok))

    def values(self, children) -> list[Value]:
        out = []
        for c in children:
            if isinstance(c, Token):
                out.append(self.value(c))
            elif c.data in self.VALUE_RULES or c.data in ("name_list", "port_list"):
                out.extend(self.values(c.children))
        return out

    def stmt(self, tree: Node) -> Stmt:
        keyword = tree.data.removesuffix("_stmt").replace("_", "-")
        args, opts = [], []
        for c in tree.children:
            if isinstance(c, Token):
                args.append(self.value(c))
            elif c.data in self.VALUE_RULES or c.data in ("name_list", "port_list"):
                args.extend(self.values(c.children))
            else:  # an option such as disk_size -> "size"
                name = c.data.split("_", 1)[1] if "_" in c.data else c.data
                opts.append(Opt(name, tuple(self.values(c.children)), self.span(c)))
        return Stmt(keyword, tuple(args), tuple(opts), self.span(tree))

    def header(self, tree: Node) -> Span:
        """The declaration up to its opening brace."""
        start, stop = self.offset + tree.start, self.offset + tree.end
        brace = self.src.text.find("{", start, stop)
        end = brace if brace > 0 else stop
        while end > start and self.src.text[end - 1] in " \t":
            end -= 1
        return self.src.span(start, end)

    def body(self, tree: Node) -> tuple[Stmt, ...]:
        return tuple(self.stmt(c) for c in tree.children if isinstance(c, Node))

    def guest(self, tree: Node) -> GuestDecl:
        name_tree = tree.children[0]
        name = self.value(name_tree.children[0])
        rng = None
        if len(name_tree.children) > 1:
            r = name_tree.children[1]
            rng = Range(self.value(r.children[0]), self.value(r.children[1]), self.span(r))
        template = host = None
        rest = tree.children[1:-1]
        # "from" and "on" are anonymous; tell them apart by position in the source.
        for tok in rest:
            if _word_before(self.src.text, self.offset + tok.start_pos).endswith("from"):
                template = self.value(tok)
            else:
                host = self.value(tok)
        return GuestDecl(name, rng, template, host, self.body(tree.children[-1]),
                         self.span(tree), self.header(tree))

    def item(self, tree: Node):
        if tree.data == "include":
            return Include(self.value(tree.children[0]), self.span(tree))
        if tree.data == "host":
            stmts, guests = [], []
            for c in tree.children[1:]:
                if isinstance(c, Node):
                    (guests.append(self.guest(c)) if c.data == "guest" else stmts.append(self.stmt(c)))
            return HostDecl(self.value(tree.children[0]), tuple(stmts), tuple(guests),
                            self.span(tree), self.header(tree))
        if tree.data == "template":
            parent = self.value(tree.children[1]) if len(tree.children) == 3 else None
            return TemplateDecl(self.value(tree.children[0]), parent, self.body(tree.children[-1]),
                                self.span(tree), self.header(tree))
        if tree.data == "guest":
            return self.guest(tree)
        raise AssertionError(tree.data)


def _syntax_diagnostic(src: SourceFile, exc: UnexpectedInput, base: int = 0,
                       parsed: str | None = None, counted: bool = False) -> tuple[Diagnostic, int]:
    """A diagnostic for one Lark error, and the offset in the file where it happened. Lark
    parsed `parsed`, the file's text from `base` on (a chunk, with failed statements
    blanked and perhaps a '}' put at its end; by default the whole file)."""
    if parsed is None:
        parsed = src.text[base:]
    # an offset past the file's end is the '}' recovery put there: the error is at the end
    eof = min(base + len(parsed), len(src.text))
    if isinstance(exc, UnexpectedCharacters):
        pos = base + exc.pos_in_stream
        if pos >= len(src.text):  # at the '}' recovery put after the file's end
            return error("VP003", f"unexpected end of file; expected {_expected_phrase(exc.allowed or ())}",
                         src.span(max(eof - 1, 0), eof)), eof
        ch = src.text[pos]
        span = src.span(pos, pos + 1)
        if ch == '"':
            return error("VP002", "unterminated string", span,
                         hint='close the string with " on the same line'), pos
        what = repr(ch) if ch.strip() else "whitespace"
        if counted:  # only counted: the words for what was expected are never shown
            return error("VP001", f"unexpected character {what}", span), pos
        expected = _expected_phrase(exc.allowed or ())
        hint = None
        if ch == "=":
            hint = "virtc statements have no '=': write `keyword value`, e.g. `memory 1G`"
        elif ch == "'":
            hint = "strings use double quotes"
        return error("VP001", f"unexpected character {what}; expected {expected}", span, hint=hint), pos
    if isinstance(exc, UnexpectedToken):
        tok = exc.token
        # accepts (what the parser could really take) tries each terminal on a copy of the
        # parser: milliseconds per error. An error past MAX_ERRORS is only counted, so the
        # parse table's own list does there.
        expected = exc.expected if counted else (_accepts(exc) or exc.expected)
        if tok.type == "$END":
            pos = eof
            # the braces of the text Lark read: a '}' recovery added closes a block
            brace = _open_block(parsed, len(parsed)) if "RBRACE" in expected else None
            brace = None if brace is None else base + brace
            if brace is not None:
                return _unclosed(src, brace, "the end of the file"), pos
            span = src.span(max(pos - 1, 0), pos)
            return error("VP003", f"unexpected end of file; expected {_expected_phrase(expected)}", span), pos
        pos = base + tok.start_pos
        if "RBRACE" in expected and str(tok.value) in DECLARATIONS:
            brace = _open_block(parsed, tok.start_pos)
            if brace is not None:
                brace += base
                line = src.line_col(pos)[0]
                return _unclosed(src, brace, f"`{tok.value}` on line {line}"), pos
        end = base + (tok.end_pos if tok.type != "_NL" else tok.start_pos + 1)
        span = src.span(pos, end)
        if counted:  # only counted: spare the words and the 'did you mean' (a ms each)
            return error("VP001", f"unexpected {_describe_token(tok)}", span), pos
        hint = None
        keywords = _keywords(expected)
        if keywords and tok.type not in ("_NL", "STRING", "$END"):
            hint = did_you_mean(str(tok.value), keywords)
        if hint:  # name the close keyword first: the list may be long
            guess = closest(str(tok.value), keywords)
            fix = Fix.replace(f"write {guess}", span, guess, safe=False) \
                if guess and src.text[span.start:span.end] == str(tok.value) else None
            return error("VP001", f"unexpected {_describe_token(tok)}: not a keyword here; {hint}", span,
                         hint=f"the keywords here: {', '.join(keywords)}", fix=fix), pos
        return error("VP001", f"unexpected {_describe_token(tok)}; expected {_expected_phrase(expected)}", span), pos
    if isinstance(exc, UnexpectedEOF):
        pos = eof
        return error("VP003", "unexpected end of file", src.span(max(pos - 1, 0), pos)), pos
    raise exc


def _accepts(exc: UnexpectedToken) -> set[str]:
    """The terminals the parser could take where it stopped: Lark's `exc.accepts`, without
    its copy of the lexer's state for each of a hundred terminals (5 ms an error)."""
    state = exc.interactive_parser.parser_state if exc.interactive_parser else None
    if state is None:
        return set()
    return set(_taken(state.parse_conf, tuple(state.state_stack)))


@lru_cache(maxsize=4096)
def _taken(conf, stack: tuple) -> frozenset:
    """The terminals the LALR table takes at `stack` (walked without trees or exceptions:
    a statement that fails again and again in one place, as a block of thousands of
    broken lines has, asks the same question each time)."""
    return frozenset(name for name in conf.states[stack[-1]]
                     if name.isupper() and refused(conf, list(stack), name) is None)


def parse(src: SourceFile) -> tuple[FileSyntax | None, list[Diagnostic]]:
    """Parse one file. Returns the syntax tree and the syntax errors. With errors, the tree
    is the rest of the file (the statements that failed left out), or None when a part of
    the file could not be read past its error at all.

    A file that parses is parsed once. One with errors is read again a top-level
    declaration (or stray line) at a time (_chunks); within one, the parse resumes after
    each error from just before the failed statement (Reader), so each error costs about
    a statement's reading: the cost stays proportional to the file, whatever its number
    of errors. The first MAX_ERRORS are reported; one last VP001 counts the others, found
    without words (plain stray lines and blocks left open: without Lark's error at all)."""
    try:
        tree, comments = parsetree.parse(src.text)
    except UnexpectedInput:
        return _recover(src)
    builder = _Builder(src)
    items = tuple(builder.item(c) for c in tree.children if isinstance(c, Node))
    return FileSyntax(src.path, items, tuple(Comment(t.value, builder.span(t)) for t in comments)), []


_DECLARATION_LINE = re.compile(r"(?:host|guest|template|include)\b")
_DECLARATION_LINES = re.compile(r"^(?:host|guest|template|include)\b", re.MULTILINE)


def _chunks(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """[start, end) cut before each line that starts (in its first column) a declaration
    while no block is open: the top-level declarations, each with the comments and blank
    lines before the next. Strings and comments are skipped; one pass.

    A line outside every block that is not a declaration's (stray text after a block) is
    cut off too, when the line above does not go on with a backslash: recovery copies its
    chunk's text at each error, and a chunk of thousands of stray lines cost its length
    per line. Such a chunk is read on from where the chunk before it ended (_stray), so
    it is parsed as if it were still part of that chunk."""
    return _scan(text, start, end)[0]


def _scan(text: str, start: int, end: int) -> tuple[list[tuple[int, int]], int, int]:
    """_chunks(text, start, end), the braces open at `end`, and where the scan stopped."""
    cuts, depth, i = [start], 0, start
    line_start = True
    while i < end:
        c = text[i]
        if line_start and depth == 0 and i > start and (_DECLARATION_LINE.match(text, i) or _stray_line(text, i)):
            cuts.append(i)
        line_start = False
        if c == '"':
            i += 1
            while i < end and text[i] not in '"\n':
                i += 2 if text[i] == "\\" else 1
            if i < end and text[i] == "\n":
                continue
        elif c == "#":
            nl = text.find("\n", i, end)
            i = end if nl < 0 else nl
            continue
        elif c == "{":
            depth += 1
        elif c == "}" and depth:
            depth -= 1
        elif c == "\n":
            line_start = True
        i += 1
    cuts.append(end)
    return [(a, b) for a, b in pairwise(cuts) if b > a], depth, i


def _stray_line(text: str, i: int) -> bool:
    """The line at `i`, outside every block, holds more than blanks and a comment, and the
    line above does not go on into it (a backslash at its end)."""
    j = i
    while j < len(text) and text[j] in " \t\f\r":
        j += 1
    if j >= len(text) or text[j] in "\n#":
        return False
    k = i - 1  # the newline that ends the line above
    if k > 0 and text[k - 1] == "\r":
        k -= 1
    while k > 0 and text[k - 1] in " \t\f":
        k -= 1
    return not (k > 0 and text[k - 1] == "\\")


def _stray(text: str, start: int) -> bool:
    """Whether the chunk at `start` is stray lines (the file's first chunk is not)."""
    return start > 0 and not _DECLARATION_LINE.match(text, start)


def _recover(src: SourceFile) -> tuple[FileSyntax | None, list[Diagnostic]]:
    text = src.text
    diags: list[Diagnostic] = []
    # (start, end, whether the chunk is stray lines), last first
    todo = [(a, b, _stray(text, a)) for a, b in reversed(_chunks(text, 0, len(text)))]
    lines = [m.start() for m in _DECLARATION_LINES.finditer(text)]  # in the first column
    more, first_more, items, comments, lost = _read_chunks(src, todo, lines, diags)
    if more:
        diags.append(error("VP001", f"and {more:,} {MORE_ERRORS}", first_more,
                           hint=f"virtc reports the first {MAX_ERRORS} syntax errors of a file one by one; "
                                "fix these and check again"))
    if lost:
        return None, diags
    return FileSyntax(src.path, tuple(items), tuple(comments)), diags


def recover_piece(src: SourceFile, start: int, end: int, after: int, diags: list[Diagnostic]):
    """What _recover of all of `src` makes of text[start:end], an item with syntax errors
    (virtc.lsp_parsecache): its (items, comments), its errors added to `diags` (those of
    the items above it). `after`: the end of the item below. None (`diags` as it was)
    where the whole file's recovery could read it otherwise: it is not a chunk of the
    whole file's (_chunks), it reads on into the item below, or its errors pass MAX_ERRORS
    or cannot be read past."""
    text = src.text
    cuts, depth, stop = _scan(text, start, end)
    if (start and text[start - 1] != "\n") or not _DECLARATION_LINE.match(text, start) or depth or stop != end:
        return None
    todo = []
    if end < len(text):  # the chunk below, as the whole file's chunking cuts it
        below, depth, stop = _scan(text, end, after)
        if text[end - 1] != "\n" or not _DECLARATION_LINE.match(text, end) or len(below) < 2 and (depth or stop != after):
            return None  # (where it ends would depend on what follows the item below)
        todo.append((*below[0], False))
    following = todo[0] if todo else None
    todo += [(a, b, _stray(text, a)) for a, b in reversed(cuts)]
    lines = [m.start() for m in _DECLARATION_LINES.finditer(text, start, end)]
    known = len(diags)
    more, _, items, comments, lost = _read_chunks(src, todo, lines, diags, following)
    if more or lost or (following is not None and (not todo or todo[-1] is not following)):
        del diags[known:]
        return None
    return items, comments


def _read_chunks(src: SourceFile, todo: list, lines: list[int], diags: list[Diagnostic], stop=None):
    """Read the chunks of `todo` (last first) with recovery, up to `stop` (None: all), errors
    to `diags` up to MAX_ERRORS, counted past that. Returns the count, the first counted
    one's span, the items and comments, and whether a chunk could not be read past one."""
    text = src.text
    more = 0  # errors past MAX_ERRORS: counted, not reported one by one
    first_more: Span | None = None
    items: list = []
    comments: list = []
    lost = False
    carry = None  # how the chunk before ended, for a chunk of stray lines to read on from
    while todo and todo[-1] is not stop:
        start, end, stray = todo.pop()
        if stray and carry is None:
            continue  # it belongs to the chunk before, which could not be read past an error
        if stray and first_more is not None and (errors := stray_line_errors(text, start, end)) is not None:
            # only counted: a match instead of a parse, an exception and a diagnostic (120 us
            # each, thousands in a fuzzer's input); the state to read on from stays `carry`
            more += errors
            continue
        if not stray and first_more is not None and (not todo or not todo[-1][2]) \
                and (errors := header_line_errors(text, start, end)) is not None:
            # a declaration's line that opens no block, counted in the same way; no stray
            # line follows to read on from it
            more += errors
            carry = None
            continue
        if not stray and first_more is not None and todo and not todo[-1][2] \
                and (opened := _opened_line(src, start, end, todo[-1])) is not None:
            more += 1  # its VP004, counted
            items.extend(opened)
            carry = None  # (a declaration follows: nothing reads on from here)
            continue
        found, result, rest, end, carry = _parse_chunk(src, start, end, todo, room=MAX_ERRORS - len(diags),
                                                       carry=carry if stray else None)
        for d in found:
            if len(diags) < MAX_ERRORS:
                diags.append(d)
            else:
                more += 1
                first_more = first_more or d.span
        if rest is not None:  # a block was closed before a declaration: read on from there
            # cut at every declaration line below: re-chunking the rest by its braces would
            # scan to the end again for each of a thousand unclosed blocks. A cut inside a
            # block (a guest written in its host's first column) is mended by "merge".
            first, last = bisect_right(lines, rest), bisect_left(lines, end)
            cuts = [rest, *lines[first:last], end]
            todo.extend(reversed([(a, b, False) for a, b in pairwise(cuts) if b > a]))
        if result is None:
            lost = True
            continue
        items.extend(result[0])
        comments.extend(result[1])
    return more, first_more, items, comments, lost


def _parse_chunk(src: SourceFile, start: int, end: int, todo: list, room: int = MAX_ERRORS, carry=None):
    """Parse text[start:end], blanking each statement that fails (offsets kept) and reading
    on. When the chunk ends inside a statement (and is not the file's last), the next chunk
    of `todo` is taken into it. Returns its diagnostics (past `room`, some are counting.Counted),
    (items, comments) or None when it cannot be read past an error, where to read on when
    a block was closed early (or None), where the chunk ended, and how it ended (for stray
    lines after it to read on from; None when it cannot be). `room`: how many more of the
    file's errors are reported one by one; the others are only counted. `carry`: for a chunk of stray lines,
    how the chunk before ended: the parse goes on from there, as if the two were one chunk.

    The result is that of parsing the chunk again from its start after each blanking (or
    taking in the next chunk), but each time the parse resumes (Reader) just before
    the failed statement."""
    diags: list[Diagnostic] = []
    seen_positions: set[int] = set()
    rest = None  # set once the block was closed before a declaration (rest: that declaration)
    to_end = None  # (start, its diagnostic's index, its offset): a statement blanked to the chunk's end
    with grammar.collecting() as comments:
        reader = Reader(src.text[start:end], comments, carry)
        counter = counting.counter(src, start, reader, diags, seen_positions)
        while True:
            reader.counter = counter if len(diags) >= room else None
            try:
                tree = reader.run(more=rest is None and bool(todo), lean=True)
            except UnexpectedInput as exc:
                if isinstance(exc, parsetree.Refused):
                    quick = counting.counted(src, start, reader, exc) if len(diags) >= room else None
                    if quick is not None:  # only counted, on its line: blanked without a copy
                        diag, pos, a, b = quick
                        if pos in seen_positions:
                            return diags, None, rest, end, None
                        seen_positions.add(pos)
                        diags.append(diag)
                        reader.blank(a, b)
                        continue
                    exc = reader.lark_error(exc)
                text = reader.whole()
                if rest is None and todo and _at_chunk_end(exc):
                    closed = None if to_end or len(diags) < room else _closed_before(src, start, reader, todo[-1])
                    if closed is not None:  # what reading on into the next chunk would give
                        end = todo.pop()[1]
                        if closed[1] in seen_positions:
                            return diags, None, rest, end, None
                        seen_positions.add(closed[1])
                        diags.append(closed[0])
                        rest = closed[1]
                        reader.resume(text[:-1] + "}", len(text) - 1)
                        continue
                    # the chunk ended inside a statement: read it with the next one
                    taken = _still_open(src.text, start + len(text), todo, to_end, len(diags))
                    if taken is not None:
                        # the block blanked to the chunk's end is not closed in what is taken in
                        # either: its statement read again fails where it did and is blanked to
                        # the new end, so only what is taken in is blanked, and read on from the
                        # end (not from the statement: the whole block per chunk taken in)
                        end, depth = taken
                        to_end = (*to_end[:3], depth)
                        reader.resume(text + blanked(src.text[start + len(text):end]), len(text))
                        continue
                    end = todo.pop()[1]
                    if to_end:  # a blanked block ran to the chunk's end: it may end further now,
                        # so its statement is read again from where it starts (the text before
                        # it, and what was found there, stay as they were)
                        a, n, pos, _ = to_end
                        del diags[n:]
                        seen_positions.discard(pos)
                        to_end = None
                        reader.resume(text[:a] + src.text[start + a:end], a)
                    else:
                        reader.resume(text + src.text[start + len(text):end], len(text))
                    continue
                diag, pos = _syntax_diagnostic(src, exc, start, text, counted=len(diags) >= room)
                rel = pos - start
                if pos in seen_positions:
                    return diags, None, rest, end, None
                seen_positions.add(pos)
                diags.append(diag)
                if rest is None and diag.code == "VP004" and rel >= len(text) and not text.endswith("}"):
                    reader.resume(text + "}", len(text))  # close the block at the end, and read what it holds
                    continue
                if rel >= len(text):
                    return diags, None, rest, end, None
                if rest is None and diag.code == "VP004" and rel > 0 and text[rel - 1] in " \t\n":
                    # close the block where the next declaration starts, read this part, and
                    # read the declarations below as chunks of their own
                    rest = pos
                    reader.resume(text[:rel - 1] + "}", rel - 1)
                    continue
                floor = reader.statement_start(rel)
                read = len(text)
                a, b, depth = statement_extent(text, rel, floor)
                while b >= len(text) and todo and todo[-1][2]:
                    # the failed statement runs on into the stray lines below: one chunk
                    end = todo.pop()[1]
                    text = text + src.text[start + len(text):end]
                    a, b, depth = statement_extent(text, rel, floor)
                if b <= a:
                    b, depth = min(len(text), rel + 1), None
                if to_end is None and b >= len(text):
                    # depth (braces open at the end) kept only where the statement read again
                    # after taking in more is sure to fail as it did (_still_open): what it
                    # covers is the file's text, and no token read before the chunk's end
                    # could run on into what is taken in (the next line starts with no blank)
                    if depth is not None and (src.text[start + read:start + read + 1] in " \t\f\r\n"
                                              or text[a:] != src.text[start + a:start + len(text)]):
                        depth = None
                    to_end = (a, len(diags) - 1, pos, depth)
                reader.resume(blank(text, a, b), a)
                continue
            if carry is not None:  # the chunk before's declarations, read there already
                before = carry[2]
                tree = Node(tree.data, [c for c in tree.children if id(c) not in before], tree.start, tree.end)
            final = reader.final + ({id(c) for c in tree.children} | (carry[2] if carry else set()),)
            return diags, _built(_Builder(src, start), tree, list(comments)), rest, end, final


def _closed_before(src: SourceFile, start: int, reader: Reader, following) -> tuple[counting.Counted, int] | None:
    """The chunk at `start` stopped at its end inside a block: the VP004 (and where) that
    reading on into the chunk `following` would report at its declaration, or None. That
    would lex the word in the parser's state at the end (reader.final; a line end ends
    every chunk, so the word starts a token) and fail there: this lexes the word alone
    and walks the parse table (thousands of unclosed blocks took 3.4x a parse). Only
    past MAX_ERRORS: what was expected is then the table's either way, never _accepts';
    and the VP004 is only counted (a counting.Counted at its span)."""
    text, (nxt, nxt_end, stray) = reader.text, following
    if stray or nxt != start + len(text) or not text.endswith("\n"):
        return None
    state = reader.final[0]
    word = parsetree.word_at(state.position, src.text, nxt, nxt_end)
    if word is None:
        return None
    kind, value, expected = word
    if expected is None:
        expected = refused(state.parse_conf, list(state.state_stack), kind)
        if expected is None:
            return None
    brace = _open_block(text, len(text))
    if "RBRACE" not in expected or value not in DECLARATIONS or brace is None:
        return None
    # past MAX_ERRORS: only counted (VP004's span, for the count to point at)
    brace += start
    return counting.Counted(src, _header_start(src.text, src.text.rfind("\n", 0, brace) + 1, brace), brace + 1), nxt


# A declaration's line that opens a block and ends there, with blank lines after it.
_OPENED_LINE = re.compile(r"(?:host|guest|template)\b[^\n{};\"#\\\r]*\{[ \t\f]*\n[ \t\f\n]*")


def _opened_line(src: SourceFile, start: int, end: int, following) -> list | None:
    """The chunk text[start:end], past MAX_ERRORS, when it is a declaration's line that opens
    a block and nothing more (a file of them, one a line, cost 6x its parse): what
    _parse_chunk makes of it when its header reads and the declaration below closes the
    block (_closed_before, one VP004, only counted), the declaration with an empty block;
    without its reading on, resuming and second reading (None where it is another case)."""
    text = src.text[start:end]
    if not _OPENED_LINE.fullmatch(text):
        return None
    # The header is read once, to its '{' (one line, no comment: _OPENED_LINE); from there
    # the text as it is (for _closed_before) and as _parse_chunk closes it, the '}' in place
    # of its last character, are read on from copies of the lists (the header's nodes are
    # not changed by what follows a '{': a block is a node of its own).
    brace = text.index("{") + 1
    states, values = [parsetree.start_state()], []
    try:
        parsetree.feed(text[:brace], states, values)
        opened = list(states), list(values)
        parsetree.feed(text, states, values, brace)
    except parsetree.Refused:
        return None
    _, lexer, conf = parsetree.lalr()
    at_end = SimpleNamespace(text=text, final=(ParserState(conf, None, states, values),), lexer=lexer)
    if _closed_before(src, start, at_end, following) is None:
        return None
    closed = text[:-1] + "}"  # what _parse_chunk reads on from, the block closed at the chunk's end
    states, values = opened
    try:
        tree = parsetree.feed_end(states, values, parsetree.feed(closed, states, values, brace))
    except parsetree.Refused:
        return None
    return _built(_Builder(src, start), tree, [])[0]


def _still_open(text: str, at: int, todo: list, to_end, found: int) -> tuple[int, int] | None:
    """A statement blanked from a block left open to its chunk's end (`to_end`, at offset
    `at` of the file), and the chunk ends: where the chunks taken in end and the braces
    then open, if no '}' in the next chunk (and the stray lines read with it) closes the
    block; else None (or when the statement could read otherwise: _parse_chunk). Then
    reading the statement again would blank it to their end again, found as it was (its
    diagnostic the last of the `found`).

    The chunks after it are taken in at once while the block stays open in them: blanked,
    they are spaces and line breaks, one end of line after the statement's blank, so the
    parse would stop at the end of each in the same state, and take in the next. (One at
    a time, each cost a copy of the whole text.) A lone carriage return is not a line
    break: the parse stops at the chunk holding one, to read it."""
    if not to_end or to_end[3] is None or found != to_end[1] + 1:
        return None
    depth, k, taken = to_end[3], len(todo), None
    while k:
        last = k - 1  # the next chunk, and the stray lines read with it
        while last > 0 and todo[last - 1][2]:
            last -= 1
        closed, after = None, depth
        for i in range(k - 1, last - 1, -1):
            closed, after = block_end(text, todo[i][0], todo[i][1], after)
            if closed is not None:
                break
        if closed is not None:
            break
        taken, depth = (last, after), after
        if _LONE_CR.search(text, todo[k - 1][0], todo[last][1]):
            break
        k = last
    if taken is None:
        return None
    end = todo[taken[0]][1]
    del todo[taken[0]:]
    return end, taken[1]


_LONE_CR = re.compile(r"\r(?!\n)")


def _at_chunk_end(exc: UnexpectedInput) -> bool:
    """Lark stopped at the end of a chunk that is not the end of the file."""
    return isinstance(exc, UnexpectedEOF) or (isinstance(exc, UnexpectedToken) and exc.token.type == "$END")


def _built(builder: _Builder, tree, comments) -> tuple[list, list]:
    items = [builder.item(c) for c in tree.children if isinstance(c, Node)]
    return items, [Comment(t.value, builder.span(t)) for t in comments]
