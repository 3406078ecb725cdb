"""The text side of the parser's error recovery (compiler/parse.py): where a failed
statement starts and ends, and blanking it with spaces, line breaks and offsets kept; and
the errors of a line outside every block that can be counted without the parser.
Plain string work, in C where it can be: recovery calls these once per syntax error."""
from __future__ import annotations

import re

# The words that start a declaration at the top of a file (the patterns below spell them
# out too): met inside a block, they show that the block above was not closed.
DECLARATIONS = ("host", "guest", "template", "include")

_NOT_LINE_END = re.compile(r"[^\r\n]")
_NOT_BLANK = re.compile(r"[^ \r\n]")
# A brace of the text's structure. Strings and comments are matched whole (as the lexer
# and parse._chunks read them), so a brace inside one is not taken for a block's: a
# failed statement whose value was the string "{" took the rest of its host's block into
# its region, and the host lost its closing brace (VP004 at its header). An unclosed
# string (a lone '"') matches nothing and its braces count, as the lexer reads no string.
_BRACE = re.compile(r'"(?:[^"\\\n]|\\.)*"|#[^\n]*|[{}]')


def _opens_block(text: str, start: int, end: int) -> bool:
    """Whether a '{' outside strings and comments starts in text[start:end] (a string that
    starts there is read whole, past `end` too, as the brace scans read it)."""
    if "{" not in text[start:end]:
        return False
    for m in _BRACE.finditer(text, start):
        if m.start() >= end:
            return False
        if m.group() == "{":
            return True
    return False


def blank(text: str, start: int, end: int) -> str:
    # Scans in C, from the first character not blank yet: on a long line each error's
    # region runs back over the statements blanked before it, and a Python loop per
    # character over it cost seconds (1,000 errors on one 45 KB line: 3.5 s)
    first = _NOT_BLANK.search(text, start, end)
    if first is None:
        return text
    start = first.start()
    # one join: `a + b + c` copies the text before the region twice (a whole chunk per error)
    return "".join((text[:start], blanked(text[start:end]), text[end:]))


def blanked(part: str) -> str:
    """`part` with every character but the line breaks (CR and LF) made a space."""
    # line by line (a sub per character cost 1.4 ms per 60 KB region)
    return "\n".join(_NOT_LINE_END.sub(" ", x) if "\r" in x else " " * len(x) for x in part.split("\n"))


def statement_region(text: str, pos: int, floor: int | None = None) -> tuple[int, int]:
    return statement_extent(text, pos, floor)[:2]


def statement_extent(text: str, pos: int, floor: int | None = None) -> tuple[int, int, int | None]:
    """The failed statement around offset pos: from the previous separator to the next one.
    A region that opens a block takes the whole block, so no stray '}' follows. `floor`:
    where the lexer's last separator token before pos ended; a separator character after
    it is inside a string or a comment, and the statement starts at the floor (blanking
    from inside a string made the string run on over every statement blanked after it:
    quadratic on a line of unbalanced quotes).

    The third value is None but for a region that runs to the text's end through a block
    left open: it is then the depth of braces at the end. With more text after, the region
    is the same but that it ends where block_end finds the block closed in the text added
    (the braces before are read the same way): taking in the next chunk then costs that
    chunk's braces, not the block's again."""
    # the separators are looked for in C (str.rfind, str.find): see blank. Back, near first
    # (separator_before): searched alone, a '{' or '}' was looked for back to the block's
    # start for every error inside a long block, and a line break back to the line's start
    # for every error on a long line: quadratic in the block's or the line's length
    start = separator_before(text, pos) + 1
    if floor is not None and floor < start:
        start = floor
    end = pos
    if end < len(text) and text[end] in "}":
        return start, end, None
    after = SEPARATOR_AFTER.search(text, pos)  # the nearest (a find of each ran to the end)
    end = len(text) if after is None else after.start()
    if _opens_block(text, start, end + 1 if end < len(text) and text[end] == "\n" else end):
        depth = 0
        for m in _BRACE.finditer(text, start):  # only the braces: a block can run to the file's end
            brace = m.group()
            if brace == "{":
                depth += 1
            elif brace == "}":
                depth -= 1
                if depth <= 0 and m.start() >= pos:
                    return start, m.start() + 1, None
        return start, len(text), depth
    return start, end, None


def block_end(text: str, i: int, j: int, depth: int) -> tuple[int | None, int]:
    """statement_extent's scan of the braces of text[i:j] (all after the error) with `depth`
    open: the offset just after the '}' that closes the region's block, or None, and the
    depth at j."""
    for m in _BRACE.finditer(text, i, j):
        brace = m.group()
        if brace == "{":
            depth += 1
        elif brace == "}":
            depth -= 1
            if depth <= 0:
                return m.start() + 1, depth
    return None, depth


# A stray line read without the parser: outside every block (the chunk before was read to
# its end), words or strings that do not start with a declaration's keyword (the lexer
# takes `host` out of `hosts` where no name may stand) with no separator (not even inside
# a string), comment, continuation or carriage return (blanked whole; a blank line changes
# nothing below), or a lone '}' at its start (blanked alone); blank lines may follow.
# Either is one syntax error, and adds no declaration or comment.
_ONE_ERROR_LINE = re.compile(r"(?:[ \t]*(?!host|guest|template|include)[^\s#\\{};][^\r\n#\\{};]*\n"
                             r"|\}[ \t]*\n)(?:[ \t]*\n)*")
# Such a line of statements separated by ';': each that is not blank is one syntax error.
# Outside every block only a declaration's keyword may start a statement, so the parser
# fails at each statement's first token and blanks it to the next ';' (a ';' inside a
# string too: the statement after it starts there, and fails in the same way).
_STATEMENT = r"[ \t]*(?:(?!host|guest|template|include)[^\s#\\{};][^\r\n#\\{};]*)?"
_ERROR_STATEMENTS_LINE = re.compile(rf"({_STATEMENT}(?:;{_STATEMENT})+)\n(?:[ \t]*\n)*")


# A declaration's line that opens no block (no '{', nor anything that could stand for one
# or hide one), with blank lines after it: it cannot be whole (only an include is whole
# without a block, and it names a string), so the parser fails on that line; the
# statement it blanks runs from the line's start to its end, and nothing is left.
_HEADER_ONLY_LINE = re.compile(r"(?:host|guest|template)\b[^\n{};\"#\\\r]*\n[ \t\f\n]*")


def header_line_errors(text: str, start: int, end: int) -> int | None:
    """The syntax errors the parser finds in the declaration text[start:end] (a chunk of
    its own, with no stray line after it to read on into), when it is a line that opens
    no block (one); else None: it needs the parser."""
    return 1 if _HEADER_ONLY_LINE.fullmatch(text, start, end) else None


def stray_line_errors(text: str, start: int, end: int) -> int | None:
    """The syntax errors the parser finds in the stray line text[start:end] (read on from
    the end of a block, past the file's first errors), when it is one of those above (else
    None: it needs the parser)."""
    if _ONE_ERROR_LINE.fullmatch(text, start, end):
        return 1
    m = _ERROR_STATEMENTS_LINE.fullmatch(text, start, end)
    if m is None:
        return None
    return sum(1 for statement in m.group(1).split(";") if statement.strip(" \t"))


def separator_before(text: str, pos: int) -> int:
    """The offset of the last of statement_extent's separators before `pos`, or -1. Looked
    for near first: on a line of thousands of statements with no line break, a search of
    the whole line for each of them made the line's errors quadratic."""
    lo = pos
    while lo:
        lo = max(0, lo - 256 * (pos - lo + 1))
        found = max(text.rfind("\n", lo, pos), text.rfind(";", lo, pos), text.rfind("}", lo, pos),
                    text.rfind("{", lo, pos))
        if found >= 0:
            return found
    return -1


# where a failed statement ends (statement_extent's separators after it)
SEPARATOR_AFTER = re.compile(r"[\n;}]")
