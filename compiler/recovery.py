"""What is reported after a syntax error. The parser blanks out the statements it cannot
read and reads the rest (virtc.parse), so the rest of the file is compiled too and
independent mistakes come out in one run. What the blanked statements leave behind is
not reported: in a declaration (host, template or guest) that holds a syntax error, what
it lacks (a required setting, a device's source) and what is said of it as a whole (at
its header); and an unknown template, host or bridge whose name is written on a line
that failed (its declaration may be the statement that was blanked). The build still
writes nothing, and the rules that need a whole model wait for a clean file."""
from __future__ import annotations

from .diagnostics import Diagnostic
from .syntax import FileSyntax, GuestDecl, HostDecl, TemplateDecl

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


def after_syntax_errors(diags: list[Diagnostic], trees: dict[str, FileSyntax],
                        texts: dict[str, str]) -> list[Diagnostic]:
    """`diags` without what the syntax errors among them make unreliable; `texts` are the
    files' contents by path."""
    # (VP004, a block left open, blanks nothing: the parser closes the block and reads on)
    errors = [(d.span.file, d.span.line) for d in diags
              if d.code.startswith("VP") and d.code != "VP004" and d.span is not None]
    if not errors:
        return diags
    failed_lines = {}
    for f, line in errors:
        lines = texts.get(f, "").splitlines()
        failed_lines.setdefault(f, []).append(lines[line - 1] if 0 < line <= len(lines) else "")
    poisoned = []
    for syntax in trees.values():
        for decl in _declarations(syntax):
            s = decl.span
            if any(f == s.file and s.line <= line <= s.end_line for f, line in errors):
                poisoned.append(decl)

    def written_where_it_failed(d: Diagnostic) -> bool:
        s = d.span
        text = texts.get(s.file, "") if s is not None else ""
        name = text[s.start:s.end] if s is not None and s.end > s.start else ""
        return bool(name) and any(name in line for lines in failed_lines.values() for line in lines)

    def unreliable(d: Diagnostic) -> bool:
        if d.code.startswith("VP"):
            return False
        if d.code in DANGLING:
            return written_where_it_failed(d)
        s = d.span
        for decl in poisoned:
            p = decl.span
            if s is not None and p.file == s.file and p.line <= s.line <= p.end_line:
                header = getattr(decl, "header", p)
                return d.code in ABSENT or s.line == header.line
        return False

    return [d for d in diags if not unreliable(d)]
