"""The language's keywords for the editor, read from the grammar itself (so a statement added
to virtc.lark is completed without touching this module) and their one-line meaning from
the language reference (grammar/README.md)."""
from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files

from virtc.grammar import parser

# The rules of virtc.lark that list what may appear in each kind of block.
_BLOCK_RULES = {"top": "item", "host": "host_stmt", "guest": "guest_stmt"}
# First values that are names in the grammar but keywords to a reader.
NIC_KINDS = ("bridge", "network")


@dataclass(frozen=True)
class Keyword:
    word: str
    block: str  # top, host or guest (template bodies are guest bodies)
    options: tuple[str, ...]  # keywords that may follow inside the statement
    syntax: str = ""  # from the language reference: `vcpus N [max M]`
    meaning: str = ""


def _grammar():
    p = parser()
    rules = defaultdict(list)
    for r in p.rules:
        rules[r.origin.name].append(r.expansion)
    literal = {t.name: t.pattern.value for t in p.terminals if t.pattern.type == "str"}
    return rules, literal


def _first_literal(rules, literal, name: str) -> str | None:
    for expansion in rules[name]:
        if expansion and expansion[0].is_term and expansion[0].name in literal:
            return literal[expansion[0].name]
    return None


def _literals_within(rules, literal, name: str) -> list[str]:
    """Every keyword that can appear inside rule `name` (through its helper and option rules)."""
    seen, out, todo = set(), [], [name]
    while todo:
        rule = todo.pop()
        if rule in seen:
            continue
        seen.add(rule)
        for expansion in rules[rule]:
            for sym in expansion:
                if sym.is_term:
                    word = literal.get(sym.name)
                    if word and re.fullmatch(r"[a-z][a-z0-9-]*", word) and word not in out:
                        out.append(word)
                elif sym.name.startswith("__") or sym.name.endswith("_opt"):
                    todo.append(sym.name)
    return out


@lru_cache(maxsize=1)
def keywords() -> dict[str, dict[str, Keyword]]:
    """block -> statement keyword -> Keyword. A template's body is a guest body."""
    rules, literal = _grammar()
    docs = reference()
    out: dict[str, dict[str, Keyword]] = {}
    for block, rule in _BLOCK_RULES.items():
        found: dict[str, Keyword] = {}
        for expansion in rules[rule]:
            stmt = expansion[0].name
            word = _first_literal(rules, literal, stmt)
            if word is None or word in found:
                continue
            options = tuple(w for w in _literals_within(rules, literal, stmt) if w != word)
            if stmt == "nic_stmt":
                options = NIC_KINDS + options
            syntax, meaning = docs.get((block, word), ("", ""))
            found[word] = Keyword(word, block, options, syntax, meaning)
        out[block] = found
    guest = out["top"]["guest"]
    out["host"]["guest"] = guest  # a host block may hold guests
    return out


def block_keywords(block: str) -> dict[str, Keyword]:
    return keywords()["guest" if block == "template" else block] if block in ("top", "host", "guest",
                                                                              "template") else {}


_CELL_SPLIT = re.compile(r"(?<!\\)\|")
_CODE = re.compile(r"`([^`]+)`")


@lru_cache(maxsize=1)
def reference() -> dict[tuple[str, str], tuple[str, str]]:
    """(block, keyword) -> (syntax, meaning) from the statement tables of grammar/README.md.
    A row may document several statements: `| `memory SIZE` / `swap SIZE` | ... |`."""
    text = (files("virtc.grammar") / "README.md").read_text(encoding="utf-8")
    block, out = None, {}
    for line in text.splitlines():
        if line.startswith("#"):
            title = line.lstrip("#").strip()
            block = {"Hosts": "host", "Guest statements": "guest"}.get(title)
            continue
        if block is None or not line.startswith("| `"):
            continue
        cells = [c.strip().replace("\\|", "|") for c in _CELL_SPLIT.split(line)[1:-1]]
        if len(cells) < 2:
            continue
        for syntax in _CODE.findall(cells[0]):
            syntax = syntax.replace("\\|", "|")
            out.setdefault((block, syntax.split()[0]), (syntax, cells[1]))
    out.setdefault(("top", "include"), ('include "PATH"', "reads another file; relative paths are "
                                                          "relative to the including file"))
    out.setdefault(("top", "host"), ("host NAME { ... }", "a Xen or KVM host and its guests"))
    out.setdefault(("top", "template"), ("template NAME [from PARENT] { ... }",
                                         "guest statements that guests take with `from`"))
    out.setdefault(("top", "guest"), ("guest NAME[FIRST..LAST] [from TEMPLATE] [on HOST] { ... }",
                                      "a guest, or a range of numbered guests"))
    return out
