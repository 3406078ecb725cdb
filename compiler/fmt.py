"""`virtc fmt`: one canonical layout for .virt files, comments kept.

The layout:

* two spaces of indentation per block level; one statement per line (`;` lists are
  split); `{` ends its header line and `}` stands on its own line (an empty block is `{}`);
* single spaces between words, none inside a range (`web[01..12]`); line continuations
  (`\\`) are joined;
* strings are re-escaped canonically (only `\\\\`, `\\"`, `\\n`, `\\t`), which keeps
  their value;
* at most one blank line in a row, none at the start or end of a block; exactly one
  between a top-level block and what is around it (a block's leading comments stay with
  it); trailing whitespace removed; `\n` line ends, no byte order mark, and one
  newline at the end;
* comments are kept verbatim. A full-line comment is indented like the code around it.
  A trailing comment stays at the end of the line where the first statement or block
  that started on its line starts (the same element a `# virtc: ignore[...]` directive
  there applies to). After a statement it starts at column 32 (COMMENT_COLUMN) when the
  code leaves two spaces before it; after longer code it starts two spaces after the
  code, lined up with the comments of the long lines directly above and below. After
  a `{` or `}` it starts two spaces after the brace.

Suppressions are line based (virtc.suppress): a directive covers the lines from the
line it aims at to the last line of the elements starting there. So where moving code
between lines would change what a directive covers, the source's lines are kept
(_kept_layout): statements that share the line a directive aims at stay together
(`memory 1G; vcpus 2  # virtc: ignore[...] reason`), so does code after a covered block's
`}` on its line, and line continuations in or around the covered lines stay.

The formatter works on the token stream Lark's contextual lexer produces for the parser
(so every token is the one the parser sees) and the comments the lexer sets aside.
Before returning, it lexes its own output again and checks that the tokens, the
comments and what each `ignore` directive covers are unchanged (FormatBug otherwise).
"""
from __future__ import annotations

import bisect
import difflib
import re
import sys
from dataclasses import dataclass

from lark.exceptions import UnexpectedInput

from virtc import grammar

from .atomic import write_file
from .diagnostics import Diagnostic
from .loading import expand, read_source
from .parse import _unescape, parse
from .report import render
from .source import SourceFile
from .suppress import DIRECTIVE

INDENT = "  "
COMMENT_COLUMN = 31  # 0-based: trailing comments start at the 32nd character or later
_TERMINATORS = ("_NL", "SEMICOLON")
_NO_SPACE_AFTER = ("[", "..")
_NO_SPACE_BEFORE = ("[", "..", "]")


class FormatError(Exception):
    """The text does not parse; fmt leaves such a file alone. Carries the diagnostics and
    the source they point into, for rendering."""

    def __init__(self, path: str, diagnostics: list[Diagnostic], source: SourceFile):
        self.path = path
        self.diagnostics = diagnostics
        self.source = source
        first = diagnostics[0] if diagnostics else None
        where = f"{first.span}: {first.code} {first.message}" if first and first.span else path
        super().__init__(f"{path} does not parse ({len(diagnostics)} syntax error"
                         f"{'s' if len(diagnostics) != 1 else ''}; first: {where})")


class FormatBug(AssertionError):
    """fmt's own check found that its output would mean something else. A bug in virtc."""


@dataclass
class _Tok:
    type: str
    value: str
    start: int
    line: int
    sep: str | None = None  # ";" or "nl": the (first) terminator between it and the token before


@dataclass
class _Comment:
    text: str
    start: int
    line: int


@dataclass
class _Lexed:
    toks: list[_Tok]
    comments: list[_Comment]
    blank: list[bool]  # blank[n]: source line n (1-based) holds nothing but whitespace
    starts: list[int]  # each token's offset, for bisect
    lines: list[int]  # each token's line, for bisect
    braces: list[int]  # the indices of "{" and "}" tokens


def _lex(text: str) -> _Lexed:
    """The parser's own tokens and the comments beside them."""
    starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def line_of(pos: int) -> int:
        return bisect.bisect_right(starts, pos)

    raw, comment_tokens = grammar.lex(text)
    toks: list[_Tok] = []
    sep = None
    for t in raw:
        if t.type in _TERMINATORS:
            sep = sep or (";" if t.type == "SEMICOLON" else "nl")
            continue
        toks.append(_Tok(t.type, t.value, t.start_pos, line_of(t.start_pos), sep))
        sep = None
    comments = [_Comment(c.value.rstrip(), c.start_pos, line_of(c.start_pos)) for c in comment_tokens]
    lines = text.split("\n")
    blank = [False] + [not ln.strip() for ln in lines]
    return _Lexed(toks, comments, blank, [t.start for t in toks], [t.line for t in toks],
                  [k for k, t in enumerate(toks) if _is(t, "{") or _is(t, "}")])


@dataclass
class _Element:
    parent: int | None  # index of the first token of the enclosing block's header
    last: int = -1  # index of its last token (a block's "}")
    is_block: bool = False


def _elements(toks: list[_Tok]) -> dict[int, _Element]:
    """Statements and blocks, keyed by their first token."""
    elems: dict[int, _Element] = {}
    open_blocks: list[int] = []
    current: int | None = None
    for i, t in enumerate(toks):
        if _is(t, "}"):
            if current is not None:
                elems[current].last = i - 1
                current = None
            header = open_blocks.pop()
            elems[header].last = i
            continue
        if _is(t, "{"):
            elems[current].is_block = True
            open_blocks.append(current)
            current = None
            continue
        if current is None or t.sep is not None:  # a new statement or header
            if current is not None:
                elems[current].last = i - 1
            current = i
            elems[i] = _Element(open_blocks[-1] if open_blocks else None)
    if current is not None:
        elems[current].last = len(toks) - 1
    return elems


def _is(t: _Tok, brace: str) -> bool:
    return t.value == brace and t.type == ("LBRACE" if brace == "{" else "RBRACE")


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t")


def _token_text(t: _Tok) -> str:
    if t.type == "STRING":
        return '"' + _escape(_unescape(t.value[1:-1])) + '"'
    return t.value


def _trailing(lexed: _Lexed, c: _Comment) -> bool:
    """A comment is trailing when a token precedes it on its line."""
    i = bisect.bisect_left(lexed.starts, c.start) - 1
    return i >= 0 and lexed.toks[i].line == c.line


def _directives(lexed: _Lexed, start_lines: list[int]):
    """The line each `ignore` directive targets, as virtc.suppress decides it: its own
    line for a trailing comment, else the line where the next element starts."""
    for c in lexed.comments:
        m = DIRECTIVE.match(c.text.strip())
        if not m or m.group("kind") != "ignore":
            continue
        if _trailing(lexed, c):
            yield c.line, True
        else:
            k = bisect.bisect_right(start_lines, c.line)
            yield (start_lines[k] if k < len(start_lines) else c.line), False


def _directive_coverage(lexed: _Lexed, elems: dict[int, _Element]) -> list[tuple[str, ...]]:
    """For each `ignore` directive, the tokens it covers (braces aside: no diagnostic
    points at one): those on the lines from its target line to the last line of the
    elements that start there. Every span a diagnostic can have starts at a token."""
    toks = lexed.toks
    start_lines = [toks[i].line for i in sorted(elems)]
    last_line: dict[int, int] = {}
    for i, e in elems.items():
        line = toks[i].line
        last_line[line] = max(last_line.get(line, line), toks[e.last].line)
    out = []
    for target, _ in _directives(lexed, start_lines):
        last = last_line.get(target, target)
        lo, hi = bisect.bisect_left(lexed.lines, target), bisect.bisect_right(lexed.lines, last)
        out.append((lo - _braces_before(lexed, lo), hi - _braces_before(lexed, hi)))
    return out


def _braces_before(lexed: _Lexed, k: int) -> int:
    return bisect.bisect_left(lexed.braces, k)


def _boundary(toks: list[_Tok], elems: dict[int, _Element], k: int) -> bool:
    """Whether tokens k and k+1 belong to different statements (or a brace lies between)."""
    a, b = toks[k], toks[k + 1]
    return k + 1 in elems or _is(b, "}") or _is(a, "{") or _is(a, "}")


def _kept_layout(lexed: _Lexed, elems: dict[int, _Element]) -> tuple[set[int], set[int]]:
    """Where the layout must follow the source so that each `ignore` directive covers the
    same code. A directive covers the lines from its target line T to the last line E of
    the elements starting on T (virtc.suppress). Returns two sets of token indices k:
    `frozen`, no line break between token k and k+1; `continued`, a line continuation
    (`\\`) between them. For each directive:
    * when more than one element starts on T (not nested in another one there), T stays
      one line (`memory 1G; vcpus 2  # virtc: ignore[...] reason`);
    * when E goes on after the end of the covered element (`} guest b { ... }`), that
      tail stays on the line of the closing brace;
    * when a line continuation (`\\`) enters, leaves or lies inside lines T to E, those
      lines keep their line breaks and continuations exactly (joining would move code
      into or out of what is covered)."""
    toks = lexed.toks
    outermost: dict[int, int] = {}
    ends: dict[int, int] = {}  # T -> the last token of the element that ends last
    for i, e in elems.items():
        line = toks[i].line
        if e.parent is None or toks[e.parent].line != line:
            outermost[line] = outermost.get(line, 0) + 1
        if line not in ends or (toks[e.last].line, e.last) > (toks[ends[line]].line, ends[line]):
            ends[line] = e.last
    start_lines = sorted(toks[i].line for i in elems)
    frozen: set[int] = set()
    continued: set[int] = set()

    def line_end(k: int) -> int:
        return bisect.bisect_right(lexed.lines, toks[k].line) - 1

    def is_continuation(k: int) -> bool:
        return 0 <= k < len(toks) - 1 and toks[k + 1].line > toks[k].line and not _boundary(toks, elems, k)

    for line, _ in set(_directives(lexed, start_lines)):
        first = bisect.bisect_left(lexed.lines, line)
        if first >= len(toks) or toks[first].line != line:
            continue  # no code on the line
        last = line_end(ends[line]) if line in ends else line_end(first)
        around = [k for k in range(first - 1, last + 1) if is_continuation(k)]
        if around:
            continued.update(around)
            frozen.update(k for k in range(first, last) if toks[k + 1].line == toks[k].line)
            continue
        if outermost.get(line, 0) > 1:
            frozen.update(range(min(i for i in elems if toks[i].line == line), line_end(first)))
        if line in ends:
            end = ends[line]
            tail_end = line_end(end)
            if any(not (_is(t, "{") or _is(t, "}")) for t in toks[end + 1:tail_end + 1]):
                frozen.update(range(end, tail_end))
    return frozen, continued


@dataclass
class _Line:
    depth: int
    code: str = ""  # "" for a full-line comment or a blank line
    comment: str | None = None
    blank: bool = False


class _Writer:
    def __init__(self, lexed: _Lexed):
        self.lexed = lexed
        self.toks = lexed.toks
        self.elems = _elements(self.toks)
        self.frozen, self.continued = _kept_layout(lexed, self.elems)
        self.lines: list[_Line] = []
        self.line_of: dict[int, int] = {}  # token index -> output line
        self.first_on_line: dict[int, int] = {}  # source line -> first element starting there
        for j in sorted(self.elems, reverse=True):
            self.first_on_line[self.toks[j].line] = j

    # -- blank lines
    def blanks_between(self, a: int, b: int) -> int:
        """Blank source lines strictly between lines a and b."""
        return sum(self.lexed.blank[a + 1:b])

    def blank(self) -> None:
        if self.lines and not self.lines[-1].blank:
            self.lines.append(_Line(0, blank=True))

    # -- the main loop
    def run(self) -> str:
        toks, comments = self.toks, self.lexed.comments
        ci = 0
        depth = 0
        prev: int | None = None
        for i, t in enumerate(toks):
            gap = []
            while ci < len(comments) and comments[ci].start < t.start:
                gap.append(comments[ci])
                ci += 1
            if _is(t, "}"):
                depth -= 1
            self.gap(prev, i, gap, depth + (1 if _is(t, "}") else 0), depth)
            self.line_of[i] = len(self.lines) - 1
            if _is(t, "{"):
                depth += 1
            prev = i
        self.gap(prev, None, comments[ci:], depth, depth)
        while self.lines and self.lines[-1].blank:
            self.lines.pop()
        return self.render()

    def breaks(self, prev: int, i: int, has_comments: bool) -> bool:
        a, b = self.toks[prev], self.toks[i]
        if not _boundary(self.toks, self.elems, prev):
            return False
        if has_comments:
            return True
        if prev in self.frozen:
            return False
        return not (_is(a, "{") and _is(b, "}"))

    def separator(self, prev: int, i: int) -> str:
        a, b = self.toks[prev], self.toks[i]
        if _is(a, "{") and _is(b, "}"):
            return ""
        if _is(a, "{") or _is(b, "}") or _is(a, "}"):
            return " "
        if b.sep is not None:
            return "; "
        if (a.value in _NO_SPACE_AFTER or b.value in _NO_SPACE_BEFORE) and a.type != "STRING" \
                and b.type != "STRING":
            return ""
        return " "

    def gap(self, prev: int | None, i: int | None, comments: list[_Comment], inner: int,
            depth: int) -> None:
        """Everything between token prev and token i: a line break or not, the comments,
        blank lines. inner: the depth of comments here; depth: the depth of token i."""
        toks = self.toks
        if prev in self.continued:
            self.lines[-1].code += " \\"
            self.lines.append(_Line(depth + 1, code=_token_text(toks[i])))
            return
        if prev is not None and i is not None and not self.breaks(prev, i, bool(comments)):
            self.lines[-1].code += self.separator(prev, i) + _token_text(toks[i])
            return
        own = list(comments)
        if prev is not None and own and _trailing(self.lexed, own[0]):
            self.attach_trailing(own.pop(0), prev)
        # Blank lines: at most one, from the source, except where the layout decides.
        last_line = toks[prev].line if prev is not None else 0
        after_open = prev is not None and _is(toks[prev], "{")
        after_top_block = prev is not None and depth == 0 and _is(toks[prev], "}") and inner == 0
        before_close = i is not None and _is(toks[i], "}")
        events = [(c.line, c) for c in own] + ([(toks[i].line, None)] if i is not None else [])
        # The comments right above a top-level block go with it.
        lead = len(events)
        top_header = i is not None and depth == 0 and self.elems.get(i) and self.elems[i].is_block
        if top_header and (self.lines or own):
            lead = len(events) - 1
            while lead > 0 and self.blanks_between(events[lead - 1][0], events[lead][0]) == 0:
                lead -= 1
        for n, (line, comment) in enumerate(events):
            if n == 0 and prev is None:
                blanks = False  # nothing above the first line
            elif n == 0 and after_top_block:
                blanks = True
            elif top_header and n == lead:
                blanks = True
            elif n == len(events) - 1 and before_close:
                blanks = False
            elif n == 0 and after_open:
                blanks = False
            else:
                blanks = self.blanks_between(last_line, line) > 0
            if blanks:
                self.blank()
            if comment is not None:
                self.lines.append(_Line(inner, comment=comment.text))
            else:
                self.lines.append(_Line(depth, code=_token_text(toks[i])))
            last_line = line

    def attach_trailing(self, c: _Comment, prev: int) -> None:
        """At the end of the line where the first element starting on c's line now is
        (else where the token before it is)."""
        target = self.first_on_line.get(c.line, prev)
        n = self.line_of[target]
        if self.lines[n].comment is None:
            self.lines[n].comment = c.text
        else:  # cannot happen: one comment per source line, and such lines are not joined
            self.lines.insert(n + 1, _Line(self.lines[n].depth, comment=c.text))
            self.line_of = {k: v + (v > n) for k, v in self.line_of.items()}

    @staticmethod
    def long_with_comment(ln: _Line) -> bool:
        return bool(ln.code) and ln.comment is not None and not ln.code.endswith("{") \
            and not ln.code.startswith("}") and len(INDENT * ln.depth + ln.code) + 2 > COMMENT_COLUMN

    def render(self) -> str:
        out: list[str] = []
        lines = self.lines
        n = 0
        while n < len(lines):
            ln = lines[n]
            if ln.blank:
                out.append("")
                n += 1
                continue
            if not ln.code:
                out.append(INDENT * ln.depth + ln.comment)
                n += 1
                continue
            if ln.comment is None:
                out.append(INDENT * ln.depth + ln.code)
                n += 1
                continue
            code = INDENT * ln.depth + ln.code
            if ln.code.endswith("{") or ln.code.startswith("}"):
                out.append(f"{code}  {ln.comment}")  # a block's own lines are not a column
                n += 1
                continue
            if len(code) + 2 <= COMMENT_COLUMN:
                out.append(code.ljust(COMMENT_COLUMN) + ln.comment)
                n += 1
                continue
            # Longer lines: two spaces after the code, lined up with the long lines
            # next to it that carry a comment too.
            run = n
            while run < len(lines) and self.long_with_comment(lines[run]):
                run += 1
            codes = [INDENT * x.depth + x.code for x in lines[n:run]]
            column = max(len(c) for c in codes) + 2
            out.extend(c.ljust(column) + x.comment for c, x in zip(codes, lines[n:run]))
            n = run
        return "\n".join(out) + "\n" if out else ""


def _signature(lexed: _Lexed) -> tuple:
    toks = tuple((t.type, _unescape(t.value[1:-1]) if t.type == "STRING" else t.value)
                 for t in lexed.toks)
    return toks, tuple(c.text for c in lexed.comments)


def format_text(text: str, path: str = "<text>") -> str:
    """The canonical layout of a .virt file's text. Raises FormatError (with the syntax
    diagnostics) when the text does not parse."""
    text = text.removeprefix("\ufeff")
    try:
        lexed = _lex(text)
    except UnexpectedInput:
        src = SourceFile(path, text)
        _, diags = parse(src)  # the parser's own words for what is wrong, and where
        raise FormatError(path, diags, src) from None
    writer = _Writer(lexed)
    out = writer.run()
    # fmt must never change what a file means: same tokens, same comments, same
    # suppressions. Checked on every run; it costs one more lex.
    try:
        again = _lex(out)
    except UnexpectedInput as exc:
        raise FormatBug(f"{path}: the formatted text does not parse: {exc}") from exc
    if _signature(again) != _signature(lexed):
        raise FormatBug(f"{path}: formatting would change the tokens or comments")
    if _directive_coverage(again, _elements(again.toks)) != _directive_coverage(lexed, writer.elems):
        raise FormatBug(f"{path}: formatting would change what a `# virtc: ignore` comment covers")
    return out


# ---------------------------------------------------------------- text a program writes

@dataclass
class Block:
    """A block as a program that writes .virt text (virtc.dslwrite) builds it: `head {
    body }`. The body holds statements and full-line comments (one line of text each),
    nested blocks, and "" where the author wants a blank line."""

    head: str
    body: list[str | Block]


def plain_text(items: list[str | Block]) -> str:
    """The items one per line, each block as `head {`, its body, `}`: .virt text with no
    layout of its own. format_text gives it the canonical one, as to any file."""
    lines: list[str] = []

    def put(item: str | Block) -> None:
        if isinstance(item, Block):
            lines.append(item.head + " {")
            for x in item.body:
                put(x)
            lines.append("}")
        else:
            lines.append(item)

    for item in items:
        put(item)
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- files (`virtc fmt`)

def _diff(before: str, after: str, name: str) -> str:
    lines = difflib.unified_diff(before.splitlines(keepends=True), after.splitlines(keepends=True),
                                 f"{name}\t(original)", f"{name}\t(formatted)")
    return "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n"
                   for line in lines)


def run(paths: list[str], check: bool = False, diff: bool = False, report: str = "full",
        stdin_name: str = "<stdin>", stdin=None, stdout=None, stderr=None, color: bool = False) -> int:
    """`virtc fmt`: format files in place (only those that change), or with `check` / `diff`
    write nothing. `-` is stdin, formatted to stdout. Exit status as ruff format's:
    0 done (or nothing would change), 1 with check/diff when a file would change,
    2 when a file could not be read or does not parse (such a file is left alone)."""
    stdin, stdout, stderr = stdin or sys.stdin, stdout or sys.stdout, stderr or sys.stderr
    changed = unchanged = failed = 0
    files = expand(paths)
    for path in files:
        name = stdin_name if path == "-" else path
        if path == "-":
            text = stdin.read()
        else:
            src, problem = read_source(path)
            if src is None:
                stderr.write(f"error: {path}: {problem}\n")
                failed += 1
                continue
            with open(path, "rb") as fh:  # as stored: CRLF or a BOM is a change too
                text = fh.read().decode("utf-8")
        try:
            out = format_text(text, name)
        except FormatError as exc:
            stderr.write(render(exc.diagnostics, {name: exc.source}, report, color=color))
            failed += 1
            continue
        if out == text:
            unchanged += 1
        else:
            changed += 1
        if diff and out != text:
            stdout.write(_diff(text, out, name))
        if path == "-":
            if not check and not diff:
                stdout.write(out)
        elif out != text and not check and not diff:
            try:
                write_file(path, out, newline="")
            except OSError as exc:
                stderr.write(f"error: cannot write {path}: {exc.strerror or exc}\n")
                changed -= 1
                failed += 1
                continue
            stderr.write(f"reformatted {path}\n")
        elif out != text and check and not diff:
            stderr.write(f"would reformat {path}\n")
    if files != ["-"]:  # formatting stdin to stdout is a filter: no chatter
        stderr.write(_summary(changed, unchanged, failed, check or diff))
    if failed:
        return 2
    return 1 if (check or diff) and changed else 0


def _summary(changed: int, unchanged: int, failed: int, dry: bool) -> str:
    def n(k: int) -> str:
        return f"{k} file{'s' if k != 1 else ''}"

    parts = []
    if changed:
        parts.append(f"{n(changed)} would be reformatted" if dry else f"{n(changed)} reformatted")
    if unchanged:
        parts.append(f"{n(unchanged)} already formatted" if dry else f"{n(unchanged)} left unchanged")
    if failed:
        parts.append(f"{n(failed)} could not be formatted")
    return (", ".join(parts) or "no files") + "\n"
