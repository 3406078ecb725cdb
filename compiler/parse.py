"""Text -> syntax tree (virtc.syntax), with readable, recoverable syntax errors.

The only module that touches Lark. Errors name what was expected in words
("a size such as 512M", "'}'"), never Lark's terminal names. To report more than
one error per file, a failed statement is blanked out (positions kept) and the
file is parsed again, up to MAX_ERRORS times.
"""
from __future__ import annotations

import re

from lark import Token, Tree
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from virtc import grammar

from .diagnostics import Diagnostic, Fix, error
from .source import SourceFile, Span
from .suggest import closest, did_you_mean
from .syntax import (Comment, FileSyntax, GuestDecl, HostDecl, Include, Opt, Range, Stmt,
                     TemplateDecl, Value)

MAX_ERRORS = 25

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


def _terminal_defs():
    p = grammar.parser()
    return {t.name: t for t in p.terminals}


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


# The words that start a declaration at the top of a file: met inside a block, they show
# that the block above was not closed.
DECLARATIONS = ("host", "guest", "template", "include")


def _open_block(text: str, pos: int) -> int | None:
    """Offset of the last '{' before `pos` that no '}' closes (strings and comments are
    skipped), or None."""
    stack: list[int] = []
    i = 0
    while i < pos:
        c = text[i]
        if c == '"':
            i += 1
            while i < pos and text[i] not in '"\n':
                i += 2 if text[i] == "\\" else 1
        elif c == "#":
            nl = text.find("\n", i, pos)
            i = pos if nl < 0 else nl
            continue
        elif c == "{":
            stack.append(i)
        elif c == "}" and stack:
            stack.pop()
        i += 1
    return stack[-1] if stack else None


def _unclosed(src: SourceFile, brace: int, before: str) -> Diagnostic:
    """VP004 at the header of the block opened at offset `brace`."""
    start = src.text.rfind("\n", 0, brace) + 1
    header = " ".join(src.text[start:brace].split())
    return error("VP004", f"block `{header} {{` is not closed: '}}' is missing before {before}",
                 src.span(start + len(src.text[start:brace]) - len(src.text[start:brace].lstrip()), brace + 1),
                 hint="add '}' where the block ends")


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


class _Builder:
    """Tree -> syntax dataclasses."""

    VALUE_RULES = {"size", "version", "version_or_string", "name_or_string", "switch"}

    def __init__(self, src: SourceFile):
        self.src = src

    def span(self, node) -> Span:
        if isinstance(node, Token):
            return self.src.span(node.start_pos, node.end_pos)
        meta = node.meta
        if getattr(meta, "empty", True):
            return self.src.span(0, 0)
        return self.src.span(meta.start_pos, meta.end_pos)

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

    def stmt(self, tree: Tree) -> Stmt:
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

    def header(self, tree: Tree) -> Span:
        """The declaration up to its opening brace."""
        start = tree.meta.start_pos
        brace = self.src.text.find("{", start, tree.meta.end_pos)
        end = brace if brace > 0 else tree.meta.end_pos
        while end > start and self.src.text[end - 1] in " \t":
            end -= 1
        return self.src.span(start, end)

    def body(self, tree: Tree) -> tuple[Stmt, ...]:
        return tuple(self.stmt(c) for c in tree.children if isinstance(c, Tree))

    def guest(self, tree: Tree) -> GuestDecl:
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
            before = self.src.text[:tok.start_pos].rstrip()
            while before.endswith("\\"):  # a line continuation between keyword and name
                before = before[:-1].rstrip()
            if before.endswith("from"):
                template = self.value(tok)
            else:
                host = self.value(tok)
        return GuestDecl(name, rng, template, host, self.body(tree.children[-1]),
                         self.span(tree), self.header(tree))

    def item(self, tree: Tree):
        if tree.data == "include":
            return Include(self.value(tree.children[0]), self.span(tree))
        if tree.data == "host":
            stmts, guests = [], []
            for c in tree.children[1:]:
                if isinstance(c, Tree):
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


def _blank(text: str, start: int, end: int) -> str:
    return text[:start] + "".join(ch if ch in "\r\n" else " " for ch in text[start:end]) + text[end:]


def _statement_region(text: str, pos: int) -> tuple[int, int]:
    """The failed statement around offset pos: from the previous separator to the next one.
    A region that opens a block takes the whole block, so no stray '}' follows."""
    start = pos
    while start > 0 and text[start - 1] not in ";\n{}":
        start -= 1
    end = pos
    if end < len(text) and text[end] in "}":
        return start, end
    while end < len(text) and text[end] not in ";\n}":
        end += 1
    if "{" in text[start:end] or (end < len(text) and text[end] == "\n" and "{" in text[start:end + 1]):
        depth, i = 0, start
        while i < len(text):
            if text[i] == "{":
                depth += 1
            elif text[i] == "}":
                depth -= 1
                if depth <= 0 and i >= pos:
                    return start, i + 1
            i += 1
        return start, len(text)
    return start, end


def _syntax_diagnostic(src: SourceFile, exc: UnexpectedInput) -> tuple[Diagnostic, int]:
    """A diagnostic for one Lark error, and the offset where it happened."""
    if isinstance(exc, UnexpectedCharacters):
        pos = exc.pos_in_stream
        ch = src.text[pos]
        span = src.span(pos, pos + 1)
        if ch == '"':
            return error("VP002", "unterminated string", span,
                         hint='close the string with " on the same line'), pos
        expected = _expected_phrase(exc.allowed or ())
        what = repr(ch) if ch.strip() else "whitespace"
        hint = None
        if ch == "=":
            hint = "virtc statements have no '=': write `keyword value`, e.g. `memory 1G`"
        elif ch == "'":
            hint = "strings use double quotes"
        return error("VP001", f"unexpected character {what}; expected {expected}", span, hint=hint), pos
    if isinstance(exc, UnexpectedToken):
        tok = exc.token
        expected = exc.accepts or exc.expected
        if tok.type == "$END":
            pos = len(src.text)
            brace = _open_block(src.text, pos) if "RBRACE" in expected else None
            if brace is not None:
                return _unclosed(src, brace, "the end of the file"), pos
            span = src.span(max(pos - 1, 0), pos)
            return error("VP003", f"unexpected end of file; expected {_expected_phrase(expected)}", span), pos
        pos = tok.start_pos
        if "RBRACE" in expected and str(tok.value) in DECLARATIONS:
            brace = _open_block(src.text, pos)
            if brace is not None:
                line = src.text.count("\n", 0, pos) + 1
                return _unclosed(src, brace, f"`{tok.value}` on line {line}"), pos
        end = tok.end_pos if tok.type != "_NL" else tok.start_pos + 1
        span = src.span(pos, end)
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
        pos = len(src.text)
        return error("VP003", "unexpected end of file", src.span(max(pos - 1, 0), pos)), pos
    raise exc


def parse(src: SourceFile) -> tuple[FileSyntax | None, list[Diagnostic]]:
    """Parse one file. Returns the syntax tree and the syntax errors. With errors, the tree
    is the rest of the file (the statements that failed left out), or None when too many
    errors stopped the reading."""
    text = src.text
    diags: list[Diagnostic] = []
    seen_positions: set[int] = set()
    while True:
        try:
            tree, comments = grammar.parse(text)
        except UnexpectedInput as exc:
            diag, pos = _syntax_diagnostic(src, exc)
            if pos in seen_positions or len(diags) >= MAX_ERRORS:
                break
            seen_positions.add(pos)
            diags.append(diag)
            if diag.code == "VP004" and pos >= len(text) and not text.endswith("}"):
                text = text + "}"  # close the block at the end, and read what it holds
                continue
            if pos >= len(text):
                break
            if diag.code == "VP004" and pos > 0 and text[pos - 1] in " \t\n":
                # close the block where the next declaration starts (offsets kept), and
                # read on: the declarations below get their own findings
                text = text[:pos - 1] + "}" + text[pos:]
                continue
            start, end = _statement_region(text, pos)
            if end <= start:
                end = min(len(text), pos + 1)
            text = _blank(text, start, end)
            continue
        # With errors, the tree is what remains of the file once the statements that failed
        # are blanked out (offsets kept): compiled and checked too (virtc.recovery).
        builder = _Builder(src)
        items = tuple(builder.item(c) for c in tree.children if isinstance(c, Tree))
        comment_nodes = tuple(Comment(t.value, builder.span(t)) for t in comments)
        return FileSyntax(src.path, items, comment_nodes), diags
    return None, diags
