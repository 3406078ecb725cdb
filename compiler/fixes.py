"""The arithmetic of fixes: applying the edits of several fixes to one file's text.

As ruff does it: the fixes are taken in the order of their first edit; a fix whose edits
overlap an edit already applied (or each other) is left for the next pass, when the file
has been read and checked again and the finding, if it is still there, carries offsets
into the new text. Nothing else of the text changes: every character outside the edits
stays where it was.
"""
from __future__ import annotations

from collections.abc import Iterable
from itertools import pairwise

from .diagnostics import Applicability, Diagnostic, Edit, Fix

# How often a command reads, checks and fixes again before it stops (ruff stops at 100;
# virtc's fixes do not feed each other much, and each pass re-reads the whole input).
MAX_PASSES = 10


def wanted(d: Diagnostic, unsafe: bool) -> bool:
    """Does this finding carry a fix the command applies (safe ones, unsafe with --unsafe-fixes)?"""
    return d.fix is not None and (unsafe or d.fix.applicability is Applicability.SAFE)


def _edits(fix: Fix) -> list[Edit]:
    return sorted(fix.edits, key=lambda e: (e.start, e.end))


def _overlap(a: Edit, b: Edit) -> bool:
    """Edits touch the same text: they overlap, or both insert at one place (whose text
    would come first is not for virtc to say)."""
    if a.start == a.end == b.start == b.end:
        return True
    return a.start < b.end and b.start < a.end


def _valid(fix: Fix, size: int) -> bool:
    edits = _edits(fix)
    if any(not 0 <= e.start <= e.end <= size for e in edits):
        return False
    return all(not _overlap(x, y) for x, y in pairwise(edits))


def apply(text: str, fixes: Iterable[Fix]) -> tuple[str, list[Fix]]:
    """The text with the fixes applied that do not overlap one another, and those fixes.
    Two findings with the same fix (one mistake seen twice) have its edits made once."""
    taken: list[Fix] = []
    done: list[Edit] = []
    seen: set[tuple[Edit, ...]] = set()
    for fix in sorted(fixes, key=lambda f: (_edits(f)[0].start, _edits(f)[0].end) if f.edits else (-1, -1)):
        edits = tuple(_edits(fix))
        if edits in seen:  # a second finding with the very same fix: fixed by the first
            taken.append(fix)
            continue
        if not edits or not _valid(fix, len(text)):
            continue
        if any(_overlap(e, d) for e in edits for d in done):
            continue
        seen.add(edits)
        taken.append(fix)
        done.extend(edits)
    out, pos = [], 0
    for e in sorted(done, key=lambda e: (e.start, e.end)):
        out.append(text[pos:e.start])
        out.append(e.text)
        pos = e.end
    out.append(text[pos:])
    return "".join(out), taken


def spans_after(fixes: Iterable[Fix]) -> list[tuple[int, int, int, int]]:
    """(start, end) in the old text and (start, end) in the new text of each edit, in
    order: what a test compares to show the rest of the file did not change."""
    out, shift = [], 0
    for e in sorted({e for f in fixes for e in f.edits}, key=lambda e: (e.start, e.end)):
        out.append((e.start, e.end, e.start + shift, e.start + shift + len(e.text)))
        shift += len(e.text) - (e.end - e.start)
    return out


# -- building fixes: the edits rules write most ------------------------------------------

def _applicability(safe: bool) -> Applicability:
    return Applicability.SAFE if safe else Applicability.UNSAFE


def replace(message: str, span, text: str, *, safe: bool = True) -> Fix:
    """Write `text` in place of the span."""
    return Fix(message, span.file, (Edit(span.start, span.end, text),), _applicability(safe))


def replace_value(message: str, src, span, value: str, *, safe: bool = True) -> Fix:
    """Write `value` in place of the value at `span`, inside the quotes it has there."""
    old = src.text[span.start:span.end]
    q = old[0] if len(old) >= 2 and old[0] in "'\"" and old[-1] == old[0] else ""
    return replace(message, span, f"{q}{value}{q}", safe=safe)


def line_bounds(src, span) -> tuple[int, int]:
    """The offsets of the start of the span's first line and past the break of its last."""
    starts = src.line_starts
    start = starts[span.line - 1]
    end = starts[span.end_line] if span.end_line < len(starts) else len(src.text)
    return start, end


def newline(src) -> str:
    """The line break the file uses (a Windows-edited file keeps its CRLF)."""
    return "\r\n" if "\r\n" in src.text else "\n"


def insert_line(message: str, src, span, line: str, *, safe: bool = True, after: bool = False) -> Fix:
    """A line of its own, before (or after) the lines of `span`."""
    start, end = line_bounds(src, span)
    at = end if after else start
    nl = newline(src)
    text = line + nl
    if after and at == len(src.text) and src.text and not src.text.endswith("\n"):
        text = nl + line
    return Fix(message, src.path, (Edit(at, at, text),), _applicability(safe))


def append_line(message: str, src, line: str, *, safe: bool = True) -> Fix:
    """A line at the end of the file."""
    at = len(src.text)
    nl = newline(src)
    lead = nl if src.text and not src.text.endswith("\n") else ""
    return Fix(message, src.path, (Edit(at, at, f"{lead}{line}{nl}"),), _applicability(safe))


def delete_lines(message: str, src, span, *, safe: bool = True) -> Fix:
    """Remove the whole lines the span is on."""
    start, end = line_bounds(src, span)
    return Fix(message, src.path, (Edit(start, end, ""),), _applicability(safe))
