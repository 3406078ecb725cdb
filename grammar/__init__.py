"""The virtc grammar (virtc.lark), the one Lark parser built from it, and the two ways the
compiler runs it: `parse` (a tree) and `lex` (the tokens the parser sees), each returning
the comments of that one call.

Building the LALR tables from the grammar takes longer than everything else a small
`virtc check` does, so they ship built, in virtc.lalr (`python -m virtc.grammar` writes
it): a first line saying what they were built from (the grammar's SHA-256, Lark's version,
the parser's options), then Lark's own serialization of the parser (`Lark.save`). The
parser is loaded from it only when that first line matches this grammar, this Lark and
these options; otherwise (a grammar edited without regenerating, another Lark) it is
built from the grammar as before, so the tables can make a start slow, never a parse
wrong. tests/test_grammar_tables.py checks that the shipped tables are current."""
from __future__ import annotations

import hashlib
import json
import sys
from contextvars import ContextVar
from functools import lru_cache
from pathlib import Path

TABLES = "virtc.lalr"
# The grammar's files sit beside this module (package data, installed as files, never
# zipped); read with pathlib, as importlib.resources costs a small check 1% more (it
# imports zipfile and tempfile to serve zipped packages).
HERE = Path(__file__).parent
OPTIONS = {"parser": "lalr", "lexer": "contextual", "propagate_positions": True, "maybe_placeholders": False}


def grammar_text() -> str:
    return (HERE / "virtc.lark").read_text(encoding="utf-8")


# Comments are ignored by the grammar but kept for suppressions and the formatter. Lark
# hands an ignored token only to a lexer callback, and callbacks are fixed when the parser
# is built (or loaded with Lark.load, or a standalone parser is made: each takes
# lexer_callbacks), while the parser is shared by every caller. So the callback appends to
# the list of the call running in this thread (or asyncio task): a ContextVar is set per
# call, and nothing is shared between calls.
_comments: ContextVar[list | None] = ContextVar("virtc_comments", default=None)


def _keep_comment(token):
    kept = _comments.get()
    if kept is not None:  # a parse outside parse() / lex() keeps nothing
        kept.append(token)
    return token


class _collecting:
    """The context of one call's comments (a class, not a generator: recovery enters one
    per chunk of a broken file, thousands of times)."""

    __slots__ = ("kept", "reset")

    def __enter__(self) -> list:
        self.kept: list = []
        self.reset = _comments.set(self.kept)
        return self.kept

    def __exit__(self, *exc) -> None:
        _comments.reset(self.reset)


def collecting() -> _collecting:
    """A context in which the lexer's comments go to the list it gives (for a parse run
    token by token, as syntax-error recovery does)."""
    return _collecting()


@lru_cache(maxsize=1)
def parser():
    """The parser: from the shipped tables when they are current, else built."""
    return load_tables() or build()


def build():
    """The parser, built from the grammar (what the shipped tables save building)."""
    from lark import Lark

    return Lark(grammar_text(), **OPTIONS, lexer_callbacks={"COMMENT": _keep_comment})


def stamp(text: str | None = None) -> dict:
    """What tables built now from the grammar (or `text`) are built from."""
    import lark

    text = grammar_text() if text is None else text
    return {"grammar_sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(), "lark": lark.__version__,
            "options": OPTIONS}


def stamp_line(text: str | None = None) -> bytes:
    return json.dumps(stamp(text), sort_keys=True).encode("ascii") + b"\n"


def read_stamp() -> dict | None:
    """The first line of the shipped tables (None when there are none)."""
    try:
        with (HERE / TABLES).open("rb") as fh:
            return json.loads(fh.readline())
    except (OSError, ValueError):
        return None


def load_tables(path=None):
    """The parser from the shipped tables (or the tables file at `path`), or None when they
    are missing, unreadable or not built from this grammar with this Lark and these options."""
    from lark import Lark

    try:
        with (HERE / TABLES if path is None else Path(path)).open("rb") as fh:
            if fh.readline() != stamp_line():
                return None
            # Lark.load with the one option that is code, not data (what Lark's own
            # cache does); the version in the stamp is the Lark that wrote the tables.
            return Lark.__new__(Lark)._load(fh, lexer_callbacks={"COMMENT": _keep_comment})
    except Exception:  # noqa: BLE001  (any failure to load means: build instead)
        return None


def tables_bytes() -> bytes:
    """The tables file for the grammar as it is now: the stamp line, then what Lark.save
    writes, with the LALR states and terminals numbered in a canonical order (Lark numbers
    them as its sets iterate, which differs from run to run), so the same grammar and Lark
    always give the same bytes."""
    import pickle

    from lark import Lark
    from lark.grammar import Rule
    from lark.lexer import TerminalDef

    built: Lark = build()
    data, memo = built.memo_serialize([TerminalDef, Rule])
    data["options"] = {k: v for k, v in data["options"].items() if k != "lexer_callbacks"}
    data["parser"]["parser"] = _canonical_table(data["parser"]["parser"])
    data, memo = _canonical_memo(data, memo)
    return stamp_line() + pickle.dumps({"data": data, "memo": memo}, protocol=pickle.HIGHEST_PROTOCOL)


def _canonical_memo(data: dict, memo: dict) -> tuple[dict, dict]:
    """Lark's memo (number -> a rule or terminal, referred to as {'@': number}) numbered by
    what each entry says, not by when the serializer met it; data and memo copied afresh."""
    order = sorted(memo, key=lambda n: repr(memo[n]))
    new = {old: i for i, old in enumerate(order)}

    def renumber(x):  # a fresh copy, equal strings one object: pickle then writes the same bytes
        if isinstance(x, dict):
            if set(x) == {"@"}:
                return {"@": new[x["@"]]}
            return {renumber(k): renumber(v) for k, v in x.items()}
        if isinstance(x, (list, tuple)):
            return type(x)(renumber(v) for v in x)
        if isinstance(x, str):
            return sys.intern(x)
        return x

    return renumber(data), {i: renumber(memo[old]) for i, old in enumerate(order)}


def _canonical_table(table: dict) -> dict:
    """A serialized LALR table (Lark's ParseTable.serialize) renumbered: terminals by name,
    states in the order a walk from the start states meets them, each state's actions by
    terminal name. The same automaton, whatever order Lark built it in."""
    names = table["tokens"]  # number -> terminal name
    states = table["states"]
    number: dict[int, int] = {}
    queue = [table["start_states"][s] for s in sorted(table["start_states"])]
    queue += [table["end_states"][s] for s in sorted(table["end_states"])]
    walked = 0
    while walked < len(queue):
        state = queue[walked]
        walked += 1
        if state in number:
            continue
        number[state] = len(number)
        for tok, (kind, arg) in sorted(states[state].items(), key=lambda kv: names[kv[0]]):
            if kind == 0:  # shift: arg is the next state
                queue.append(arg)
    for state in sorted(set(states) - set(number)):  # none in an LALR table; kept all the same
        number[state] = len(number)
    tokens = {name: i for i, name in enumerate(sorted(set(names.values())))}
    new_states = {}
    for state in sorted(states, key=number.__getitem__):
        actions = sorted(states[state].items(), key=lambda kv: names[kv[0]])
        new_states[number[state]] = {tokens[names[tok]]: (kind, number[arg] if kind == 0 else arg)
                                     for tok, (kind, arg) in actions}
    return {"tokens": {i: name for name, i in tokens.items()}, "states": new_states,
            "start_states": {s: number[v] for s, v in sorted(table["start_states"].items())},
            "end_states": {s: number[v] for s, v in sorted(table["end_states"].items())}}


def write_tables(path) -> None:
    """Write the tables file for the grammar as it is now at `path`."""
    with open(path, "wb") as fh:
        fh.write(tables_bytes())


def parse(text: str):
    """(Lark tree, COMMENT tokens) of the text; Lark's UnexpectedInput on a syntax error."""
    with _collecting() as comments:
        return parser().parse(text), comments


def lex(text: str):
    """(tokens, COMMENT tokens): the tokens as the parser consumes them, terminators
    included (a contextual lexer's choice depends on the parser state, so they come from
    the interactive parser, which also checks that the text parses: UnexpectedInput)."""
    with _collecting() as comments:
        interactive = parser().parse_interactive(text)
        tokens = list(interactive.iter_parse())
        interactive.feed_eof()
        return tokens, comments
