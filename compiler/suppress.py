"""Inline suppressions: `# virtc: ignore[CODE] reason` and `# virtc: ignore-file[CODE] reason`.

`ignore` applies to one element: the statement or block that a trailing comment sits on,
or that starts on the next line after a comment on its own line. `ignore-file` applies to
the whole file. CODE may be a rule code or its name, several separated by commas. A
suppression needs a reason; one that names no rule, or suppresses nothing, is reported.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from .diagnostics import Diagnostic, warning
from .source import Span
from .suggest import did_you_mean
from .syntax import FileSyntax, GuestDecl, HostDecl, TemplateDecl

DIRECTIVE = re.compile(r"^#\s*virtc:\s*(?P<kind>ignore-file|ignore)\s*\[(?P<codes>[^\]]*)\]\s*(?P<reason>.*)$")
LOOKS_LIKE = re.compile(r"^#\s*virtc\s*(:|ignore)")


@dataclass
class Suppression:
    codes: tuple[str, ...]  # normalised rule codes
    span: Span  # the comment
    whole_file: bool
    first_line: int = 0  # element range (ignored for whole_file)
    last_line: int = 0
    used: set = field(default_factory=set)


def _elements(tree: FileSyntax) -> list[tuple[int, int]]:
    """(first line, last line) of every statement and block, outermost first per line."""
    out = []

    def add_block(decl):
        out.append((decl.span.line, decl.span.end_line))
        for st in decl.stmts:
            out.append((st.span.line, st.span.end_line))
        for g in getattr(decl, "guests", ()):
            add_block(g)

    for item in tree.items:
        if isinstance(item, (HostDecl, TemplateDecl, GuestDecl)):
            add_block(item)
        else:
            out.append((item.span.line, item.span.end_line))
    return out


def collect(tree: FileSyntax, src, resolve_code) -> tuple[list[Suppression], list[Diagnostic]]:
    """Suppressions of one file; resolve_code(name) -> code or None."""
    sups, diags = [], []
    elements = _elements(tree)
    for c in tree.comments:
        m = DIRECTIVE.match(c.text.strip())
        if not m:
            if LOOKS_LIKE.match(c.text.strip()):
                diags.append(warning("VR032", "malformed virtc directive", c.span,
                                     hint="write `# virtc: ignore[CODE] reason` or "
                                          "`# virtc: ignore-file[CODE] reason`"))
            continue
        codes = []
        for raw in (x.strip() for x in m.group("codes").split(",")):
            code = resolve_code(raw) if raw else None
            if code is None:
                diags.append(warning("VR032", f"suppression names unknown rule '{raw}'", c.span,
                                     hint=did_you_mean(raw, resolve_code.known()) or "see `virtc rules`"))
            else:
                codes.append(code)
        if not m.group("reason").strip():
            diags.append(warning("VR031", "suppression without a reason", c.span,
                                 hint="say why after the brackets: # virtc: ignore[VS101] legacy target kept for ..."))
        if not codes:
            continue
        whole = m.group("kind") == "ignore-file"
        sup = Suppression(tuple(codes), c.span, whole)
        if not whole:
            line = c.span.line
            own_line = src.line(line)[:c.span.col - 1].strip() == ""
            if own_line:  # the element that starts next
                later = [first for first, _ in elements if first > line]
                target = min(later) if later else line
            else:  # the element on this line: the outermost one starting here, else the line
                target = line
            ends = [last for first, last in elements if first == target]
            sup.first_line = target
            sup.last_line = max(ends) if ends else target
        sups.append(sup)
    return sups, diags


def apply(diags: list[Diagnostic], sups: dict[str, list[Suppression]],
          active_codes: set[str]) -> tuple[list[Diagnostic], list[Diagnostic]]:
    """Drop suppressed diagnostics; report suppressions that suppressed nothing."""
    kept = []
    for d in diags:
        suppressed = False
        if d.span is not None:
            for s in sups.get(d.span.file, ()):
                if d.code in s.codes and (s.whole_file or s.first_line <= d.span.line <= s.last_line):
                    s.used.add(d.code)
                    suppressed = True
        if not suppressed:
            kept.append(d)
    unused = []
    for file_sups in sups.values():
        for s in file_sups:
            for code in s.codes:
                if code in active_codes and code not in s.used:
                    unused.append(warning("VR030", f"suppression of {code} is unused", s.span,
                                          hint="nothing here triggers it any more; remove the comment"))
    return kept, unused
