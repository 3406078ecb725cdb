"""What one check of a document keeps for the next check of it (the editor's): the
compiler's per-declaration results (virtc.resolve.memo) and the rules' per-element
findings (virtc.rulememo). Both reuse only what is provably the same; a check with a memo
reports exactly what a check without one reports. Between checks, what they keep is
moved to where the declarations went (virtc.lsp_relocate)."""
from __future__ import annotations

from .resolve.memo import CompileMemo
from .rulememo import RuleMemo


class CheckMemo:
    def __init__(self):
        self.compile = CompileMemo()
        self.rules = RuleMemo()
        self.layouts: dict[str, tuple | None] = {}  # path -> its pieces at the last check
        self._saved = None  # the compile memo as it was before a check of text with syntax errors

    def done(self) -> None:
        """The check is over. One of text with syntax errors (the whole file parsed, every
        declaration a new object) would fill the compile memo with results the next check
        cannot use; the results from before it are put back, for when the error is fixed."""
        if self._saved is not None:
            self.compile.restore(self._saved)
            self._saved = None

    def moved(self, path: str, layout: tuple | None) -> None:
        """`path` was parsed again into `layout` (virtc.lsp_parsecache.ParseCache.layout):
        move what the last check kept to the pieces' new places."""
        from .lsp_relocate import Move

        if self._saved is not None:
            return  # this check is not kept: the next one moves from the layouts kept
        if layout is None:  # a syntax error: this check's results are not kept (done())
            self._saved = self.compile.state()
            return  # and the next check moves from the last layout without errors
        old, self.layouts[path] = self.layouts.get(path), layout
        if old is None or len(old) == len(layout) and all(
                a[3] is b[3] for a, b in zip(old, layout)):
            return  # the same trees at the same places: nothing to move
        move = Move(path, old, layout)
        if move.moved:
            self.compile.relocate(move)
            self.rules.relocate(move)
