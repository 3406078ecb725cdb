"""What one check of a document keeps for the next check of it (the editor's): the
compiler's per-declaration results (virtc.resolve.memo) and the rules' per-element
findings (virtc.rulememo). Both reuse only what is provably the same; a check with a memo
reports exactly what a check without one reports."""
from __future__ import annotations

from .resolve.memo import CompileMemo
from .rulememo import RuleMemo


class CheckMemo:
    def __init__(self):
        self.compile = CompileMemo()
        self.rules = RuleMemo()
