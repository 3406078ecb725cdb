"""An xm config as a Document (targets/xm/read.py turns it into the model; the format
rules check it): its literal assignments, read with Python's `ast` and never executed,
each with spans into the file.
"""
from __future__ import annotations

import ast
import re
import warnings
from bisect import bisect_right

from virtc.bounds import BOUNDS
from virtc.diagnostics import error, warning
from virtc.documents import Document, Entry
from virtc.source import Span


def _too_deep(text: str, limit: int) -> int | None:
    """The offset where brackets ((, [, {) outside strings and comments first nest deeper
    than `limit`, or None. Python's own parser stops near 200 levels with an error that
    reads like a typing mistake; this says what the limit is. Linear, one pass."""
    if sum(map(text.count, "([{")) <= limit:
        return None  # too few brackets to nest that deep: the usual file, without the scan
    depth, i, n = 0, 0, len(text)
    while i < n:
        c = text[i]
        if c == "#":
            nl = text.find("\n", i)
            i = n if nl < 0 else nl
            continue
        if c in "'\"":
            quote = c * 3 if text.startswith(c * 3, i) else c
            i += len(quote)
            while i < n and not text.startswith(quote, i):
                if len(quote) == 1 and text[i] == "\n":
                    break
                i += 2 if text[i] == "\\" else 1
            i += len(quote)
            continue
        if c in "([{":
            depth += 1
            if depth > limit:
                return i
        elif c in ")]}":
            depth = max(0, depth - 1)
        i += 1
    return None



def quiet_parse(source, filename: str = "<unknown>") -> ast.Module:
    """ast.parse without the SyntaxWarnings Python prints on stderr for some literals
    (`512if x else 2`): the user's file is reported through diagnostics, not Python's."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ast.parse(source, filename=filename)


_CODING = re.compile(r"^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)")


def parse_document(src) -> tuple["Document | None", list]:
    """An xm config as a document: literal assignments only, read with Python's `ast` and
    never executed. Diagnostics: VF101 (not valid Python for xend), VF102 (a statement
    other than `name = literal`)."""

    text = src.text
    diags = []
    lines = text.splitlines()
    if not text.isascii() and not any(_CODING.match(line) for line in lines[:2]):
        pos = next(i for i, ch in enumerate(text) if not ch.isascii())
        # RHEL 5's Python 2.4 warns and reads on (guide §35.11 shows the DeprecationWarning),
        # so a warning: only the Python 2.5 and later of a later xend refuse the file
        diags.append(warning("VF101", "non-ASCII character in an xm config without an encoding "
                                      "declaration: RHEL 5's Python 2.4 prints a DeprecationWarning at every "
                                      "`xm create`, and Python 2.5 and later refuse the file",
                             src.span(pos, pos + 1),
                             hint="write the file in ASCII (guide §35.11, lines 6149-6160)"))
    deep = _too_deep(text, BOUNDS["xm_nesting"].value)
    if deep is not None:
        limit = BOUNDS["xm_nesting"]
        diags.append(error(limit.code, f"brackets nest more than {limit.shown} deep here, more than virtc "
                                       "reads in an xm config; the file was not read", src.span(deep, deep + 1),
                           hint="an xm config is a short list of `name = value` lines, nested 3 deep at most"))
        return None, diags
    try:
        # Bytes, as xend's execfile() reads them: a coding cookie on line 1 or 2 then
        # changes how the rest is decoded, for virtc too.
        tree = quiet_parse(text.encode("utf-8", errors="surrogatepass"), src.path)
    except SyntaxError as exc:
        line = exc.lineno or 1
        col = max(1, exc.offset or 1)
        start = _offset(src, line, col - 1, chars=True)
        diags.append(error("VF101", f"not valid Python, which xend executes: {exc.msg}",
                           src.span(start, start + 1),
                           hint="check quotes, commas and brackets on this line and the one before"))
        return None, diags
    except (ValueError, RecursionError, MemoryError) as exc:
        # A NUL byte (ValueError before Python 3.12), or nesting too deep for the parser.
        what = "a NUL byte" if "\0" in text else "nesting too deep to read"
        at = text.find("\0") if "\0" in text else 0
        diags.append(error("VF101", f"not valid Python, which xend executes: {what} ({type(exc).__name__})",
                           src.span(at, at + 1), hint="an xm config is a short list of `name = value` lines"))
        return None, diags
    entries, computed, code = [], [], []
    node_span = _node_spans(src)
    for node in tree.body:
        if (isinstance(node, ast.Assign) and len(node.targets) == 1
                and isinstance(node.targets[0], ast.Name)):
            try:
                value = _literal(node.value)
            except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
                diags.append(warning("VF102", f"the value of {node.targets[0].id} is computed by code, which xend "
                                              "runs and virtc does not: the value goes unchecked",
                                     node_span(node.value), hint="write a string, a number or a list of them"))
                computed.append(node.targets[0].id)
                code.append(node.value)
                continue
            items = ()
            if isinstance(node.value, (ast.List, ast.Tuple)):
                items = tuple(node_span(e) for e in node.value.elts)
            entries.append(Entry(node.targets[0].id, value, node_span(node),
                                 node_span(node.targets[0]), node_span(node.value), items))
        elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
            continue  # a docstring-like string: harmless
        else:
            diags.append(warning("VF102", "a statement other than `name = value`: xend runs it when the guest "
                                          "starts, virtc does not", node_span(node),
                                 hint="keep only assignments; virtc reads configs without executing them"))
            code.append(node)
            for target in ast.walk(node):  # what it assigns (a for loop, a def) is set by code too
                if isinstance(target, ast.Name) and isinstance(target.ctx, ast.Store):
                    computed.append(target.id)
    # names the file's own code reads (arch_libdir in device_model = "/usr/" + arch_libdir + ...):
    # only in code, since a value literal_eval took has no name in it
    helpers = sorted({n.id for part in code for n in ast.walk(part)
                      if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)})
    return Document("xm", src.path, tuple(entries), src, computed=tuple(computed), helpers=tuple(helpers)), diags


def _literal(node):
    """ast.literal_eval(node), with the usual values (a constant, a list or tuple of
    constants) taken directly: literal_eval makes a knot of closures at each call, garbage
    that only the cyclic collector frees (a lint of 1,000 configs left 130,000 objects)."""
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, (ast.List, ast.Tuple)) and all(isinstance(e, ast.Constant) for e in node.elts):
        values = [e.value for e in node.elts]
        return values if isinstance(node, ast.List) else tuple(values)
    return ast.literal_eval(node)


def _offset(src, line: int, col: int, chars: bool = False) -> int:
    starts = src.line_starts
    if line - 1 >= len(starts):
        return len(src.text)
    base = starts[line - 1]
    if chars:
        return min(base + col, len(src.text))
    text = src.text
    if line >= 1 and text.isascii() and "\r" not in text:  # one byte a character, lines end at "\n"
        end = starts[line] - 1 if line < len(starts) else len(text)
        return base + min(col, end - base)
    # ast columns count UTF-8 bytes; convert to characters on that line
    raw = src.line(line).encode("utf-8")[:col]
    return base + len(raw.decode("utf-8", errors="ignore"))


def _node_span(src, node):
    start = _offset(src, node.lineno, node.col_offset)
    end = _offset(src, getattr(node, "end_lineno", node.lineno), getattr(node, "end_col_offset", node.col_offset))
    return src.span(start, max(end, start + 1))


def _node_spans(src):
    """_node_span for the nodes of one file: the same spans, in one call each for the usual
    file (ASCII, lines ending at "\n", where a column is a character), instead of four
    (a config of 20 keys has about 60 nodes to place)."""
    text, starts = src.text, src.line_starts
    if not (text.isascii() and "\r" not in text):
        return lambda node: _node_span(src, node)
    size, lines, path = len(text), len(starts), src.path

    def span(node):
        line, end_line = node.lineno, getattr(node, "end_lineno", None)
        if end_line is None or not (0 < line <= lines and 0 < end_line <= lines):
            return _node_span(src, node)
        # _offset(): the column, within its line
        base = starts[line - 1]
        start = base + min(node.col_offset, (starts[line] - 1 if line < lines else size) - base)
        last = starts[end_line - 1]
        end = last + min(node.end_col_offset, (starts[end_line] - 1 if end_line < lines else size) - last)
        end = max(end, start + 1)
        # src.span(start, end): start is on `line`; end - 1 may be on an earlier line than end_line
        end_line = bisect_right(starts, end - 1)
        return Span(path, line, start - base + 1, end_line, end - starts[end_line - 1] + 1, start, end)
    return span
