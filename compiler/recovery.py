"""What is reported after a syntax error. The parser blanks out the statements it cannot
read and reads the rest (virtc.parse), so the rest of the file is compiled too and
independent mistakes come out in one run. What the blanked statements leave behind is
not reported: in a declaration (host, template or guest) that holds a syntax error, what
it lacks (a required setting, a device's source) and what is said of it as a whole (at
its header); and an unknown template, host or bridge whose name is written on a line
that failed (its declaration may be the statement that was blanked). The build still
writes nothing, and the rules that need a whole model wait for a clean file."""
from __future__ import annotations

import bisect
import re

from .diagnostics import Diagnostic
from .parse import is_count
from .syntax import FileSyntax, GuestDecl, HostDecl, TemplateDecl

_WORD = re.compile(r"[A-Za-z0-9_.:-]+")

# A name a blanked statement may have declared.
DANGLING = ("VR001", "VR002", "VR003")
# What a declaration lacks when one of its statements was blanked.
ABSENT = ("VR013", "VR015")


def _declarations(syntax: FileSyntax):
    for item in syntax.items:
        if isinstance(item, (HostDecl, TemplateDecl, GuestDecl)):
            yield item
        if isinstance(item, HostDecl):
            yield from item.guests


def _logical_lines(text: str) -> tuple[list[str], list[int], list[int]]:
    """The text's lines, and for each (0-based) the first and last line of the line it is
    part of when lines ending in a backslash go on into the next one."""
    lines = text.splitlines()
    first, last = [], [0] * len(lines)
    for i in range(len(lines)):
        first.append(first[i - 1] if i and lines[i - 1].rstrip().endswith("\\") else i)
    for i in reversed(range(len(lines))):
        last[i] = last[i + 1] if i + 1 < len(lines) and lines[i].rstrip().endswith("\\") else i
    return lines, first, last


def after_syntax_errors(diags: list[Diagnostic], trees: dict[str, FileSyntax],
                        texts: dict[str, str]) -> list[Diagnostic]:
    """`diags` without what the syntax errors among them make unreliable; `texts` are the
    files' contents by path."""
    # (VP004, a block left open, blanks nothing: the parser closes the block and reads on)
    errors = [(d.span.file, d.span.line) for d in diags
              if d.code.startswith("VP") and d.code != "VP004" and d.span is not None]
    if not errors:
        return diags
    # Indexed by file, so each check costs a lookup, not a pass over every error: a file
    # may hold thousands of them (only the first are reported, all are passed in).
    failed_words: set[str] = set()
    failed_text: list[str] = []
    lines_of: dict[str, tuple[list[str], list[int], list[int]]] = {}
    error_lines: dict[str, list[int]] = {}
    read: set[tuple[str, int]] = set()  # (file, first line) of the lines taken: once each
    for f, line in errors:
        if f not in lines_of:
            lines_of[f] = _logical_lines(texts.get(f, ""))
        lines, first, last = lines_of[f]
        error_lines.setdefault(f, []).append(line)
        # the whole statement's line, continuation lines ('\\' at a line's end) included:
        # `bridge xenbr0 \\` above a failed `on 0` declared the bridge the error took away.
        # A line of many errors is taken once: its words again per error cost a 1 MB line
        # 25 passes over it.
        key = (f, first[line - 1] if 0 < line <= len(lines) else -1)
        if key in read:
            continue
        read.add(key)
        text = " ".join(lines[first[line - 1]:last[line - 1] + 1]) if 0 < line <= len(lines) else ""
        failed_text.append(text)
        failed_words.update(_WORD.findall(text))
    for ls in error_lines.values():
        ls.sort()
    # Past the errors reported one by one (virtc.parse.MAX_ERRORS) the others are only
    # counted: from the count's line on, every declaration of that file may hold one, and
    # any name may have been declared on a line that failed.
    counted = {d.span.file: d.span.line for d in diags if is_count(d)}

    def has_error(f: str, first: int, last: int) -> bool:
        if f in counted and last >= counted[f]:
            return True
        ls = error_lines.get(f)
        if not ls:
            return False
        i = bisect.bisect_left(ls, first)
        return i < len(ls) and ls[i] <= last

    # file -> line -> the first declaration holding an error that spans that line (a
    # line may be in a host and in one of its guests: the host comes first). A map of
    # lines, not a list searched per diagnostic: that cost diagnostics x declarations,
    # 6 s for an 800 KB file of broken guests.
    poisoned: dict[str, dict[int, object]] = {}
    for syntax in trees.values():
        for decl in _declarations(syntax):
            s = decl.span
            if has_error(s.file, s.line, s.end_line):
                at = poisoned.setdefault(s.file, {})
                for line in range(s.line, s.end_line + 1):
                    at.setdefault(line, decl)

    failed_lines = "\n".join(failed_text)

    def written_where_it_failed(d: Diagnostic) -> bool:
        s = d.span
        text = texts.get(s.file, "") if s is not None else ""
        name = text[s.start:s.end] if s is not None and s.end > s.start else ""
        if len(name) >= 2 and name[0] == name[-1] == '"':
            name = name[1:-1]  # a name written as a string: `nic bridge "xenbr0"`
        if not name:
            return False
        if _WORD.fullmatch(name):  # a name: one of the words of the failed lines?
            return name in failed_words
        # within one failed line (one search of them all, not one per line and diagnostic)
        return "\n" not in name and name in failed_lines

    def unreliable(d: Diagnostic) -> bool:
        if d.code.startswith("VP"):
            return False
        if d.code in DANGLING:
            return bool(counted) or written_where_it_failed(d)
        s = d.span
        decl = poisoned.get(s.file, {}).get(s.line) if s is not None else None
        if decl is None:
            return False
        return d.code in ABSENT or s.line == getattr(decl, "header", decl.span).line

    return [d for d in diags if not unreliable(d)]
