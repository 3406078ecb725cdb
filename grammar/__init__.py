"""The virtc grammar (virtc.lark) and the one Lark parser built from it."""
from __future__ import annotations

from functools import lru_cache
from importlib.resources import files


def grammar_text() -> str:
    return (files(__package__) / "virtc.lark").read_text(encoding="utf-8")


# Comments are ignored by the grammar but kept for suppressions and the formatter:
# the lexer hands each one to this list, which the parser module drains per parse.
COMMENT_SINK: list = []


@lru_cache(maxsize=1)
def parser():
    from lark import Lark

    return Lark(grammar_text(), parser="lalr", lexer="contextual",
                propagate_positions=True, maybe_placeholders=False,
                lexer_callbacks={"COMMENT": COMMENT_SINK.append})
