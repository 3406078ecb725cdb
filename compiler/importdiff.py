"""What differs when an imported .virt builds a file otherwise than the files read (VF006):
the file read and its line, what that line says, and what the file built from the .virt
says instead.

Both sides are built files (one from the model as read, one from the .virt compiled
again), so the first line where they part is found there; the line of the file read is
then the one the first side wrote it from: the same text, else the line of the same
key (xm `memory = ...`, ifcfg `KEY=`, grub `kernel`, xend `(key ...)`, XML `<element`)
that is most alike.
"""
from __future__ import annotations

import difflib
import re

from .source import SourceFile, Span

_KEY = re.compile(r"^\s*[(<]?\s*(?P<key>[A-Za-z_][\w.:\-]*)")
SHOWN = 120  # characters of a line a message quotes


def _quoted(line: str) -> str:
    line = line.strip()
    return f"`{line if len(line) <= SHOWN else line[:SHOWN - 3] + '...'}`"


def _change(was: str, now: str) -> str:
    """What a line gains and loses, word by word: ' (adds `x`; drops `y`)'."""
    from collections import Counter

    a, b = Counter(was.split()), Counter(now.split())
    added, dropped = list((b - a).elements()), list((a - b).elements())
    if not added and not dropped:
        return " (the same words in another order)" if was.split() != now.split() else ""
    if len(added) + len(dropped) > len(b) // 2 + 1:
        return ""  # most of the line: the two lines say it
    parts = [f"adds {_quoted(' '.join(added))}"] if added else []
    parts += [f"drops {_quoted(' '.join(dropped))}"] if dropped else []
    return f" ({'; '.join(parts)})"


def _key(line: str) -> str | None:
    m = _KEY.match(line)
    return m.group("key") if m else None


def first_difference(mine: str, theirs: str) -> tuple[int, str | None, str | None, int]:
    """(line number in `mine`, 1-based; that line, or None past its end; the line of
    `theirs` in its place, or None when it has none; how many more lines differ)."""
    a, b = mine.splitlines(), theirs.splitlines()
    changes = [op for op in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes() if op[0] != "equal"]
    tag, i1, i2, j1, j2 = changes[0]
    more = sum(max(x2 - x1, y2 - y1) for _, x1, x2, y1, y2 in changes) - 1
    return (i1 + 1, a[i1] if i1 < i2 else None, b[j1] if j1 < j2 else None, max(more, 0))


def original_file(built: str, sources: dict[str, SourceFile], fallback: str | None) -> SourceFile | None:
    """The file read that a built path ('HOST/etc/xen/web01', 'guests/g/boot/grub/grub.conf')
    stands for: the one whose path ends like it, else `fallback` (the file the guest or host
    was read from) when it has the built file's name."""
    parts = built.split("/")
    for n in range(len(parts), 1, -1):
        tail = "/" + "/".join(parts[-n:])
        hits = [src for path, src in sources.items() if ("/" + path.replace("\\", "/")).endswith(tail)]
        if len(hits) == 1:
            return hits[0]
    if fallback in sources and fallback.replace("\\", "/").rsplit("/", 1)[-1] == parts[-1]:
        return sources[fallback]
    return None


def _line_in(src: SourceFile, line: str) -> int | None:
    """The line of `src` the built `line` was written from."""
    lines = src.text.splitlines()
    want = line.strip()
    for i, text in enumerate(lines):
        if text.strip() == want:
            return i + 1
    key = _key(line)
    if key is None:
        return None
    same = [(difflib.SequenceMatcher(None, text.strip(), want).ratio(), i) for i, text in enumerate(lines)
            if _key(text) == key and not text.lstrip().startswith("#")]
    return max(same)[1] + 1 if same else None


def describe(built: str, mine: str, theirs: str | None, sources: dict[str, SourceFile],
             fallback: str | None) -> tuple[str, Span | None]:
    """The message of VF006 for a built file that comes out differently, and the span of
    the line of the file read it is about (None when no file read holds it)."""
    if theirs is None:
        return f"the imported .virt no longer builds {built}: a value of the files read has no .virt form", None
    number, ours, rebuilt, more = first_difference(mine, theirs)
    now = _quoted(rebuilt) if rebuilt is not None else "nothing"
    also = f" ({more} more line(s) differ)" if more else ""
    src = original_file(built, sources, fallback)
    line = _line_in(src, ours) if src is not None and ours is not None else None
    if line is not None:
        text = src.line(line)
        start = src.line_starts[line - 1]
        indent = len(text) - len(text.lstrip())
        span = src.span(start + indent, start + len(text))
        change = _change(text, rebuilt) if rebuilt is not None else ""
        return (f"{src.path} line {line} says {_quoted(text)}; built from the imported .virt, {built} says "
                f"{now} there{change}{also}"), span
    said = _quoted(ours) if ours is not None else "nothing"
    change = _change(ours, rebuilt) if ours is not None and rebuilt is not None else ""
    return (f"{built} built from the files read says {said} at line {number}; built from the imported .virt, it "
            f"says {now} there{change}{also}"), None
