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

from functools import lru_cache

from lark import Token
from lark.lexer import LexerThread
from lark.parsers.lalr_parser_state import ParseConf, ParserState
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
    rely on that, see parse._Reader._restart)."""
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
    """(the start Node, COMMENT tokens) of the text; Lark's UnexpectedInput on an error."""
    parser, lexer, conf = lalr()
    with grammar.collecting() as comments:
        state = ParserState(conf, LexerThread.from_text(lexer, text))
        return parser.parse_from_state(state), comments
