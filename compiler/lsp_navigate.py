"""Completion and go-to-definition: what may be written at the cursor, and where a name is
declared. Both work on the lexical view (virtc.lsp_scan) of the document and of the files
it includes, so they keep working while the text has syntax errors."""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Callable

from .lsp_keywords import block_keywords
from .lsp_scan import Decl, Scan, Statement, Token, declarations, scan
from .rules.base import Scope
from .ruleset import all_rules

Reader = Callable[[str], "str | None"]  # path -> text (an open buffer, else the file), or None

MAX_INCLUDED_FILES = 200


@dataclass(frozen=True)
class Found:
    """A declaration and the file it is in."""

    path: str
    text: str
    decl: Decl


def fleet_declarations(path: str, text: str, read: Reader, sc: Scan | None = None) -> list[Found]:
    """Declarations of a file and of every file it includes (each file once)."""
    out, seen = [], set()
    todo: list[tuple[str, str | None, Scan | None]] = [(path, text, sc)]
    while todo and len(seen) < MAX_INCLUDED_FILES:
        p, t, s = todo.pop(0)
        key = os.path.normpath(p)
        if key in seen:
            continue
        seen.add(key)
        t = t if t is not None else read(p)
        if t is None:
            continue
        for d in declarations(s or scan(t)):
            out.append(Found(p, t, d))
            if d.kind == "include":
                todo.append((os.path.normpath(os.path.join(os.path.dirname(p), d.name)), None, None))
    return out


@dataclass(frozen=True)
class Item:
    label: str
    kind: str  # keyword, template, host, bridge, network, rule
    detail: str = ""
    documentation: str = ""


def _header_host(st: Statement) -> str | None:
    """The host of the guest whose body holds statement st (from `on HOST` or the host
    block around it)."""
    header = st.owner
    if header is None or header.keyword != "guest":
        return None
    words = [w.value for w in header.words]
    if "on" in words[:-1]:
        return words[words.index("on") + 1]
    if header.owner is not None and header.owner.keyword == "host" and len(header.owner.words) > 1:
        return header.owner.words[1].value
    return None


def _names(found: list[Found], kind: str, host: str | None = None) -> list[Item]:
    items, seen = [], set()
    for f in found:
        d = f.decl
        if d.kind != kind or d.name in seen or (host is not None and d.host not in (host, None)):
            continue
        seen.add(d.name)
        where = os.path.basename(f.path) + (f", host {d.host}" if d.host else "")
        items.append(Item(d.name, kind, f"{kind} in {where}"))
    return items


def _keyword_items(block: str) -> list[Item]:
    return [Item(k.word, "keyword", k.syntax, k.meaning) for k in block_keywords(block).values()]


def complete(sc: Scan, offset: int, found: list[Found]) -> tuple[list[Item], int]:
    """What may be written at offset, and where the word being completed starts."""
    comment = sc.comment_at(offset)
    if comment is not None:
        return _complete_directive(comment, offset)
    st = sc.statement_at(offset)
    typing: Token | None = None
    before: list[Token] = []
    if st is not None:
        for w in st.words:
            if w.end < offset:
                before.append(w)
            elif w.start <= offset <= w.end:
                typing = w
    start = typing.start if typing is not None else offset
    if st is None or not before:
        block = st.block if st is not None else sc.block_at(offset)[0]
        return _keyword_items(block), start
    keyword, last = st.keyword, before[-1].text
    if keyword in ("guest", "template") and st.block in ("top", "host"):
        if last == "from":
            return _names(found, "template"), start
        if last == "on" and keyword == "guest":
            return _names(found, "host"), start
        if len(before) >= 2:
            words = ["from", "on"] if keyword == "guest" else ["from"]
            return [Item(w, "keyword") for w in words if w not in {b.text for b in before}], start
        return [], start
    if keyword == "nic" and len(before) == 2 and last in ("bridge", "network"):
        host = _header_host(st)
        names = _names(found, last, host) or _names(found, last)
        if last == "network" and "default" not in {i.label for i in names}:
            names.append(Item("default", "network", "libvirt's default network (always exists)"))
        return names, start
    if keyword == "migration" and last == "peers" or (keyword == "migration" and _after(before, "peers")):
        return _names(found, "host"), start
    known = block_keywords(st.block).get(keyword)
    if known is None:
        return [], start
    used = {b.text for b in before}
    options = [o for o in known.options if o not in used]
    if keyword == "nic" and len(before) > 1:
        options = [o for o in options if o not in ("bridge", "network")]
    return [Item(o, "keyword", f"{keyword} ... {o}") for o in options], start


def _after(before: list[Token], word: str) -> bool:
    """All words since `word` are names (a list such as `peers a b c`)."""
    texts = [b.text for b in before]
    return word in texts and all(t not in ("port", "address", "allow") for t in texts[texts.index(word):])


def _complete_directive(comment: Token, offset: int) -> tuple[list[Item], int]:
    """Rule codes inside the brackets of `# virtc: ignore[...]`."""
    text = comment.text
    bracket = text.find("[")
    close = text.find("]")
    rel = offset - comment.start
    if bracket < 0 or rel <= bracket or (0 <= close < rel) or not text.lstrip("# ").startswith("virtc"):
        return [], offset
    word_start = rel
    while word_start > bracket + 1 and text[word_start - 1] not in ", [":
        word_start -= 1
    items = [Item(r.code, "rule", r.name, r.doc().summary) for r in all_rules() if r.scope is not Scope.LANGUAGE]
    return items, comment.start + word_start


def definition(sc: Scan, offset: int, path: str, found: list[Found]) -> list[tuple[str, str, int, int]]:
    """(path, text, start, end) of the declarations the word at offset names."""
    st = sc.statement_at(offset)
    if st is None:
        return []
    index = next((i for i, w in enumerate(st.words) if w.start <= offset <= w.end), None)
    if index is None:
        return []
    word, prev = st.words[index], st.words[index - 1].text if index > 0 else None
    keyword = st.keyword
    kind = None
    if keyword == "include" and index == 1:
        target = os.path.normpath(os.path.join(os.path.dirname(path), word.value))
        return [(target, "", 0, 0)]
    if keyword in ("guest", "template") and st.block in ("top", "host"):
        kind = {"from": "template", "on": "host" if keyword == "guest" else None}.get(prev)
    elif keyword == "nic" and prev in ("bridge", "network") and index == 2:
        kind = prev
    elif keyword == "migration" and _after(st.words[:index], "peers"):
        kind = "host"
    if kind is None:
        return []
    hits = [f for f in found if f.decl.kind == kind and f.decl.name == word.value]
    if kind in ("bridge", "network"):
        host = _header_host(st)
        on_host = [f for f in hits if f.decl.host == host]
        hits = on_host or hits
    return [(f.path, f.text, f.decl.start, f.decl.end) for f in hits]

