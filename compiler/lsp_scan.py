"""A lexical view of a .virt text for the editor: tokens, statements, the block each one is
in, and the names it declares. It never fails, so hover, completion and go-to-definition
work while the text does not parse (which is most of the time while typing)."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

_TOKEN = re.compile(r"""
    (?P<comment>\#[^\n]*)
  | (?P<string>"(?:[^"\\\n]|\\.)*"?)
  | (?P<cont>\\[ \t\f]*\r?\n)
  | (?P<nl>\r?\n)
  | (?P<punct>[{};\[\]])
  | (?P<word>[^\s{};#"\[\]]+)
  | (?P<space>[ \t\f\r]+|\\)
""", re.VERBOSE)

BLOCK_WORDS = frozenset(("host", "template", "guest"))


@dataclass(frozen=True, slots=True)
class Token:
    kind: str  # comment, string, nl, punct, word
    text: str
    start: int
    end: int

    @property
    def value(self) -> str:
        """A string's text without its quotes (escapes kept: names rarely have any)."""
        if self.kind == "string":
            return self.text[1:-1] if self.text.endswith('"') and len(self.text) > 1 else self.text[1:]
        return self.text


def tokens(text: str) -> list[Token]:
    out = []
    for m in _TOKEN.finditer(text):
        kind = m.lastgroup
        if kind in ("space", "cont"):
            continue
        out.append(Token(kind, m.group(), m.start(), m.end()))
    return out


@dataclass
class Statement:
    """The words (and strings) of one statement, with the block it is in: "top", "host",
    "guest", "template", or "other" (a block this scanner does not know)."""

    block: str
    words: list[Token]
    owner: "Statement | None" = None  # the header of the enclosing block
    opens: str | None = None  # the kind of block this statement opens with '{'
    start: int = 0
    end: int = 0  # the end of its last word
    stop: int = 0  # where the next separator (newline, ';', braces) or comment starts

    @property
    def keyword(self) -> str:
        return self.words[0].text if self.words and self.words[0].kind == "word" else ""


@dataclass
class Scan:
    text: str
    toks: list[Token]
    statements: list[Statement]
    comments: list[Token]
    # '{' (with the kind of block it opens and its header) and '}' (kind None), in order
    braces: list[tuple[int, str | None, Statement | None]] = field(default_factory=list)

    def statement_at(self, offset: int) -> Statement | None:
        """The statement the offset is in, counting the spaces after its last word (where
        the cursor is when the next word is about to be typed)."""
        best = None
        for st in self.statements:
            if st.start <= offset <= st.stop:
                best = st
            elif st.start > offset:
                break
        return best

    def comment_at(self, offset: int) -> Token | None:
        for c in self.comments:
            if c.start <= offset <= c.end:
                return c
        return None

    def block_at(self, offset: int) -> tuple[str, Statement | None]:
        """The kind of block the offset is in, and that block's header statement."""
        stack: list[tuple[str, Statement | None]] = [("top", None)]
        for pos, kind, header in self.braces:
            if pos >= offset:
                break
            if kind is None:
                if len(stack) > 1:
                    stack.pop()
            else:
                stack.append((kind, header))
        return stack[-1]


def scan(text: str) -> Scan:
    toks = tokens(text)
    statements: list[Statement] = []
    comments: list[Token] = []
    stack: list[tuple[str, Statement | None]] = [("top", None)]
    current: Statement | None = None
    braces: list[tuple[int, str | None, Statement | None]] = []

    def close(stop: int):
        nonlocal current
        if current is not None and current.words:
            current.stop = current.stop or stop
            statements.append(current)
        current = None

    for t in toks:
        if t.kind == "comment":
            comments.append(t)
            if current is not None and not current.stop:
                current.stop = t.start
            continue
        if t.kind == "nl":
            close(t.start)
            continue
        if t.kind == "punct" and t.text in "{};":
            if t.text == "{":
                kind = "other"
                if current is not None and current.words:
                    kw = current.keyword
                    kind = kw if kw in BLOCK_WORDS else "other"
                    current.opens = kind
                    current.end = t.start
                header = current
                close(t.start)
                stack.append((kind, header))
                braces.append((t.start, kind, header))
            elif t.text == "}":
                close(t.start)
                braces.append((t.start, None, None))
                if len(stack) > 1:
                    stack.pop()
            else:
                close(t.start)
            continue
        if current is None:
            block, owner = stack[-1]
            current = Statement(block, [], owner, start=t.start)
        if t.kind in ("word", "string") or t.text in "[]":
            current.words.append(t)
        current.end = t.end
    close(len(text))
    return Scan(text, toks, statements, comments, braces)


@dataclass(frozen=True)
class Decl:
    """A name a file declares: kind is host, template, guest, bridge, network or include."""

    kind: str
    name: str
    start: int
    end: int
    host: str | None = None  # the host a bridge or network (or nested guest) belongs to


def declarations(sc: Scan) -> list[Decl]:
    out = []
    for st in sc.statements:
        words = st.words
        if len(words) < 2:
            continue
        kw, name = st.keyword, words[1]
        if st.block == "top" and kw == "include" and name.kind == "string":
            out.append(Decl("include", name.value, name.start, name.end))
        elif kw in ("host", "template") and st.block == "top":
            out.append(Decl(kw, name.value, name.start, name.end))
        elif kw == "guest" and st.block in ("top", "host"):
            host = st.owner.words[1].value if st.owner and len(st.owner.words) > 1 else None
            out.append(Decl("guest", name.value, name.start, name.end, host))
        elif kw in ("bridge", "network") and st.block == "host" and name.kind == "word":
            host = st.owner.words[1].value if st.owner and len(st.owner.words) > 1 else None
            out.append(Decl(kw, name.value, name.start, name.end, host))
    return out


def word_at(sc: Scan, offset: int) -> Token | None:
    """The word or string token under the cursor (or just before it)."""
    for t in sc.toks:
        if t.start <= offset <= t.end and t.kind in ("word", "string"):
            return t
        if t.start > offset:
            break
    return None
