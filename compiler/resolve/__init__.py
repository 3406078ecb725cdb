"""Syntax trees (read with their includes by virtc.loading) -> resolved model: templates,
ranges, interpolation, units, defaults.

Semantic errors (unknown names, duplicates, malformed values) are reported here with the
span of the statement or value at fault. Limits from the guide are not checked here;
they are rules that run on the finished model.

The modules, in the order a compile uses them: compiler (the fleet's declarations, and
compile_sources), scalars (single values), hosts and guests (their statements),
templates (ranges, template chains, interpolation), drafts (a guest being built) and
defaults (finishing and freezing guests).
"""
from .compiler import Compiler, Result, compile_sources, compile_text

__all__ = ["Compiler", "Result", "compile_sources", "compile_text"]
