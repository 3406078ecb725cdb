"""The virtc grammar (virtc.lark), the one Lark parser built from it, and the two ways the
compiler runs it: `parse` (a tree) and `lex` (the tokens the parser sees), each returning
the comments of that one call."""
from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache
from importlib.resources import files
from typing import Iterator


def grammar_text() -> str:
    return (files(__package__) / "virtc.lark").read_text(encoding="utf-8")


# Comments are ignored by the grammar but kept for suppressions and the formatter. Lark
# hands an ignored token only to a lexer callback, and callbacks are fixed when the parser
# is built (or loaded with Lark.load, or a standalone parser is made: each takes
# lexer_callbacks), while the parser is shared by every caller. So the callback appends to
# the list of the call running in this thread (or asyncio task): a ContextVar is set per
# call, and nothing is shared between calls.
_comments: ContextVar["list | None"] = ContextVar("virtc_comments", default=None)


def _keep_comment(token):
    kept = _comments.get()
    if kept is not None:  # a parse outside parse() / lex() keeps nothing
        kept.append(token)
    return token


@contextmanager
def _collecting() -> Iterator[list]:
    kept: list = []
    reset = _comments.set(kept)
    try:
        yield kept
    finally:
        _comments.reset(reset)


@lru_cache(maxsize=1)
def parser():
    from lark import Lark

    return Lark(grammar_text(), parser="lalr", lexer="contextual",
                propagate_positions=True, maybe_placeholders=False,
                lexer_callbacks={"COMMENT": _keep_comment})


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
