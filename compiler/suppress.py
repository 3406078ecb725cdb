"""Inline suppressions: `# virtc: ignore[CODE] reason` and `# virtc: ignore-file[CODE] reason`.

`ignore` applies to one element: the statement or block that a trailing comment sits on,
or that starts on the next line after a comment on its own line. `ignore-file` applies to
the whole file. CODE may be a rule code or its name, several separated by commas. A
suppression needs a reason; one that names no rule, or suppresses nothing, is reported.
"""
from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
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

_XML_NAME = re.compile(r"[A-Za-z_][\w.:-]*")


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


class _LineElements:
    """The element starting at each line of a file of lines (comments: `leaders`): the line,
    its backslash continuations, a block it opens, or a GRUB title entry. Built once per
    file, in one pass from the end: a scan per directive to the element's end was
    quadratic (a thousand directives on lines that open brackets never closed)."""

    def __init__(self, lines: list[str], leaders: str):
        self.code = [_code(line, leaders) for line in lines]
        n = len(lines)
        self._entries: dict[int, tuple[int, int]] = {}
        # the next line (1-based, from k on) that holds more than a comment, or None
        self.next_code: list[int | None] = [None] * (n + 2)
        for k in range(n, 0, -1):
            self.next_code[k] = k if self.code[k - 1].strip() else self.next_code[k + 1]
        # a block's end: the first line L >= first, not continued by a backslash, where the
        # brackets opened from `first` on are closed (depth[L] <= depth[first - 1]); else
        # the last line. Candidates kept nearest last, their depths increasing with nearness.
        depth = [0] * (n + 1)
        for k in range(1, n + 1):
            depth[k] = depth[k - 1] + _depth(self.code[k - 1])
        self.block_end = [n] * (n + 1)
        values: list[int] = []
        places: list[int] = []
        for k in range(n, 0, -1):
            if not self.code[k - 1].rstrip().endswith("\\"):
                while values and values[-1] >= depth[k]:
                    values.pop()
                    places.pop()
                values.append(depth[k])
                places.append(k)
            i = bisect_right(values, depth[k - 1]) - 1
            self.block_end[k] = places[i] if i >= 0 else n

    def element(self, first: int) -> tuple[int, int]:
        """(first, last) line numbers (1-based) of the element starting on line `first`."""
        code = self.code
        if code[first - 1].split()[:1] == ["title"]:  # a GRUB entry: up to the next title
            if first not in self._entries:
                last = first
                while last < len(code) and code[last].split()[:1] != ["title"]:
                    last += 1
                while last > first and not code[last - 1].strip():
                    last -= 1
                self._entries[first] = (first, last)
            return self._entries[first]
        return first, self.block_end[first]


def _xml_comments(text: str):
    """(start, end, body) of each `<!-- ... -->`, as re's `<!--(.*?)-->` finds them, found
    with str.find: the regex read to the file's end from every '<!--' after one left open."""
    pos = 0
    while (i := text.find("<!--", pos)) >= 0 and (j := text.find("-->", i + 4)) >= 0:
        yield i, j + 3, text[i + 4:j]
        pos = j + 3


def _xml_tags(text: str) -> list[tuple[int, int, str, str | None, bool]]:
    """(start, end, kind, name, empty) of each tag (kind '/', '!', '?' or ''; '!--' for a
    comment), as the regex `<!--.*?-->|<([/!?]?)(NAME)?[^>]*?(/?)>` finds them, found
    with str.find: the regex read to the file's end from every '<' after the last '>'."""
    out, pos, n = [], 0, len(text)
    while (i := text.find("<", pos)) >= 0:
        if text.startswith("<!--", i) and (j := text.find("-->", i + 4)) >= 0:
            out.append((i, j + 3, "!--", None, False))
            pos = j + 3
            continue
        j = text.find(">", i + 1)
        if j < 0:
            break
        at = i + 1
        kind = text[at] if at < n and text[at] in "/!?" else ""
        m = _XML_NAME.match(text, at + len(kind), j)
        body = m.end() if m else at + len(kind)
        out.append((i, j + 1, kind, m.group() if m else None, j - 1 >= body and text[j - 1] == "/"))
        pos = j + 1
    return out


class _XmlElements:
    """The element that starts at or after each offset of an XML text: its first and last
    lines. The tags are listed and matched once per file (the element of each directive
    was found by a scan from it, a file's length per directive)."""

    def __init__(self, text: str):
        self.tags = [t for t in _xml_tags(text) if t[2] not in ("!", "?", "!--") and t[3] is not None]
        self.starts = [t[0] for t in self.tags]
        self.closed_by: list[int | None] = [None] * len(self.tags)
        open_tags: list[int] = []
        for i, (_, _, kind, _, empty) in enumerate(self.tags):
            if kind == "/":
                if open_tags:
                    self.closed_by[open_tags.pop()] = i
            elif empty:
                self.closed_by[i] = i
            else:
                open_tags.append(i)

    def element(self, offset: int, src) -> tuple[int, int] | None:
        i = bisect_left(self.starts, offset)
        if i == len(self.tags) or self.tags[i][2] == "/":
            return None  # the parent closes first: nothing follows the comment
        j = self.closed_by[i]
        if j is None:
            return None
        return src.line_col(self.tags[i][0])[0], src.line_col(self.tags[j][1] - 1)[0]


def collect_in_file(src, comments: str, resolve_code, trailing: bool = False) -> tuple[list[Suppression], list[Diagnostic]]:
    """Suppressions written in an existing file's own comments (`comments`: the characters
    that start a comment, or "xml"; `trailing`: a comment may follow text on a line, else
    only a whole line is a comment, as in grub.conf, where `#` later on is an argument)."""
    found: list[tuple[str, Span, bool, tuple[int, int]]] = []  # (directive, span, on its own line, element)
    if comments == "xml":
        elements = None
        for start, end, body in _xml_comments(src.text):
            body = body.strip()
            if not LOOKS_LIKE.match("#" + body.lstrip("#")):
                continue
            line = src.line_col(start)[0]
            own = src.line(line)[:src.line_col(start)[1] - 1].strip() == ""
            if own and elements is None:
                elements = _XmlElements(src.text)
            element = elements.element(end, src) if own else (line, line)
            found.append(("# " + body.lstrip("#").strip(), src.span(start, end), own, element or (line, line)))
    elif comments:
        lines = src.text.split("\n")
        elements = None
        for n, line in enumerate(lines, start=1):
            at = _comment_start(line, comments)
            if at is None or (not trailing and line[:at].strip()):
                continue
            body = line[at + 1:].strip()
            if not LOOKS_LIKE.match("#" + body):
                continue
            start = src.line_starts[n - 1] + at
            own = line[:at].strip() == ""
            if elements is None:
                elements = _LineElements(lines, comments)
            if own:  # the next line that holds more than a comment (and the comments before it)
                nxt = elements.next_code[n + 1]
                element = (n + 1, elements.element(nxt)[1]) if nxt else (n, min(n + 1, len(lines)))
            else:
                element = elements.element(n)
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
