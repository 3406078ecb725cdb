"""Inline suppressions: `# virtc: ignore[CODE] reason` and `# virtc: ignore-file[CODE] reason`.

`ignore` applies to one element: the statement or block that a trailing comment sits on,
or that starts on the next line after a comment on its own line. `ignore-file` applies to
the whole file. CODE may be a rule code or its name, several separated by commas. A
suppression needs a reason; one that names no rule, or suppresses nothing, is reported.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from .diagnostics import Diagnostic, Edit, Fix, warning
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
    src: object = None  # the file's SourceFile: what the fix of an unused suppression edits


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
        sup, problems = _directive(c.text.strip(), c.span, resolve_code)
        diags += problems
        if sup is None:
            continue
        sup.src = src
        if not sup.whole_file:
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


def _directive(text: str, span: Span, resolve_code) -> tuple[Suppression | None, list[Diagnostic]]:
    """A `# virtc: ignore[...] reason` comment as a Suppression (its lines not yet set), and
    what is wrong with it: malformed (VR032), an unknown code (VR032), no reason (VR031)."""
    m = DIRECTIVE.match(text)
    if not m:
        if LOOKS_LIKE.match(text):
            return None, [warning("VR032", "malformed virtc directive", span,
                                  hint="write `# virtc: ignore[CODE] reason` or `# virtc: ignore-file[CODE] reason`")]
        return None, []
    diags, codes = [], []
    for raw in (x.strip() for x in m.group("codes").split(",")):
        code = resolve_code(raw) if raw else None
        if code is None:
            diags.append(warning("VR032", f"suppression names unknown rule '{raw}'", span,
                                 hint=did_you_mean(raw, resolve_code.known()) or "see `virtc rules`"))
        else:
            codes.append(code)
    if not m.group("reason").strip():
        diags.append(warning("VR031", "suppression without a reason", span,
                             hint="say why after the brackets: # virtc: ignore[VS101] legacy target kept for ..."))
    if not codes:
        return None, diags
    return Suppression(tuple(codes), span, m.group("kind") == "ignore-file"), diags


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
                                          hint="nothing here triggers it any more; remove the comment",
                                          fix=_unused_fix(s, code, active_codes)))
    return kept, unused


def _unused_fix(s: Suppression, code: str, active: set[str]) -> Fix | None:
    """Remove the unused code from the comment's list; the whole comment when nothing in
    it is used (its line too, when the comment is alone on it). Comments in `#` style only."""
    src = s.src
    if src is None:
        return None
    text = src.text[s.span.start:s.span.end]
    if not text.startswith(("#", ";", "!")):
        return None
    if all(c in active and c not in s.used for c in s.codes):
        line = src.line(s.span.line)
        starts = src.line_starts
        if line.strip() == text.strip() and s.span.line == s.span.end_line:
            end = starts[s.span.line] if s.span.line < len(starts) else len(src.text)
            start = starts[s.span.line - 1]
        else:
            start, end = s.span.start, s.span.end
            while start > 0 and src.text[start - 1] in " \t":
                start -= 1
        return Fix("remove the suppression", src.path, (Edit(start, end, ""),))
    m = re.search(r"\[([^\]]*)\]", text)
    items = [x.strip() for x in m.group(1).split(",")] if m else []
    if [x.upper() for x in items].count(code) != 1:
        return None
    kept = ", ".join(x for x in items if x.upper() != code)
    at = s.span.start + m.start(1)
    return Fix(f"remove {code} from the suppression", src.path, (Edit(at, s.span.start + m.end(1), kept),))


# ---------------------------------------------------------------- existing files
#
# The same directives inside the files `virtc lint` reads, written in each format's own
# comments: `# virtc: ignore[VF103] reason` in an xm config, grub.conf, ifcfg, udev rules,
# multipath.conf (also after `!`), sysctl.conf (also after `;`) ..., and
# `<!-- virtc: ignore[VF705] reason -->` in libvirt XML. A directive on a line of its own
# covers the element that starts next (a line, with its continuation lines, a bracketed
# block, a GRUB title entry, an XML element with its content); one after text on a line
# covers that line's element.

_XML_COMMENT = re.compile(r"<!--(.*?)-->", re.S)
_TAG = re.compile(r"<!--.*?-->|<([/!?]?)([A-Za-z_][\w.:-]*)?[^>]*?(/?)>", re.S)


def _comment_start(line: str, leaders: str) -> int | None:
    """Where a line's comment starts (outside quotes), or None."""
    quote = None
    for i, ch in enumerate(line):
        if quote:
            if ch == "\\":
                continue
            if ch == quote:
                quote = None
        elif ch in "\"'":
            quote = ch
        elif ch in leaders and (i == 0 or line[i - 1] in " \t" or line[:i].strip() == ""):
            return i
    return None


def _code(line: str, leaders: str) -> str:
    """A line without its comment."""
    at = _comment_start(line, leaders)
    return line if at is None else line[:at]


def _depth(text: str) -> int:
    depth, quote = 0, None
    for ch in text:
        if quote:
            if ch == quote:
                quote = None
        elif ch in "\"'":
            quote = ch
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
    return depth


def _line_element(lines: list[str], leaders: str, first: int) -> tuple[int, int]:
    """(first, last) line numbers (1-based) of the element starting on line `first`: the
    line, its backslash continuations, a block it opens, or a GRUB title entry."""
    def code(n: int) -> str:
        return _code(lines[n - 1], leaders)

    last = first
    if code(first).split()[:1] == ["title"]:  # a GRUB entry: up to the next title
        while last < len(lines) and code(last + 1).split()[:1] != ["title"]:
            last += 1
        while last > first and not code(last).strip():
            last -= 1
        return first, last
    depth = _depth(code(first))
    while last < len(lines) and (code(last).rstrip().endswith("\\") or depth > 0):
        last += 1
        depth += _depth(code(last))
    return first, last


def _xml_element(text: str, offset: int, src) -> tuple[int, int] | None:
    """(first, last) lines of the XML element that starts at or after `offset`."""
    depth, start = 0, None
    for m in _TAG.finditer(text, offset):
        kind, name, empty = m.group(1), m.group(2), m.group(3)
        if m.group(0).startswith("<!--") or kind in ("!", "?") or name is None:
            continue
        if start is None:
            if kind == "/":
                return None  # the parent closes first: nothing follows the comment
            start = m.start()
        if kind == "/":
            depth -= 1
        elif not empty:
            depth += 1
        if depth == 0:
            return src.line_col(start)[0], src.line_col(m.end() - 1)[0]
    return None


def collect_in_file(src, comments: str, resolve_code, trailing: bool = False) -> tuple[list[Suppression], list[Diagnostic]]:
    """Suppressions written in an existing file's own comments (`comments`: the characters
    that start a comment, or "xml"; `trailing`: a comment may follow text on a line, else
    only a whole line is a comment, as in grub.conf, where `#` later on is an argument)."""
    found: list[tuple[str, Span, bool, tuple[int, int]]] = []  # (directive, span, on its own line, element)
    if comments == "xml":
        for m in _XML_COMMENT.finditer(src.text):
            body = m.group(1).strip()
            if not LOOKS_LIKE.match("#" + body.lstrip("#")):
                continue
            line = src.line_col(m.start())[0]
            own = src.line(line)[:src.line_col(m.start())[1] - 1].strip() == ""
            element = _xml_element(src.text, m.end(), src) if own else (line, line)
            found.append(("# " + body.lstrip("#").strip(), src.span(m.start(), m.end()), own, element or (line, line)))
    elif comments:
        lines = src.text.split("\n")
        for n, line in enumerate(lines, start=1):
            at = _comment_start(line, comments)
            if at is None or (not trailing and line[:at].strip()):
                continue
            body = line[at + 1:].strip()
            if not LOOKS_LIKE.match("#" + body):
                continue
            start = src.line_starts[n - 1] + at
            own = line[:at].strip() == ""
            if own:  # the next line that holds more than a comment (and the comments before it)
                nxt = next((k for k in range(n + 1, len(lines) + 1) if _code(lines[k - 1], comments).strip()), None)
                element = (n + 1, _line_element(lines, comments, nxt)[1]) if nxt else (n, min(n + 1, len(lines)))
            else:
                element = _line_element(lines, comments, n)
            found.append(("# " + body, src.span(start, start + len(line) - at), own, element))
    sups, diags = [], []
    for text, span, _own, (first, last) in found:
        sup, problems = _directive(text, span, resolve_code)
        diags += problems
        if sup is not None:
            sup.first_line, sup.last_line = first, last
            sup.src = src
            sups.append(sup)
    return sups, diags
