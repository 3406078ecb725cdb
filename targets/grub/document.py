"""GRUB legacy (grub.conf / menu.lst) as a document: one entry per command line,
key = command, value = its arguments, group = the number of the `title` block it belongs
to (-1 before the first). The format rules check documents; read.py makes the model."""
from __future__ import annotations

import re
from bisect import bisect_right

from virtc.documents import Document, Entry

# Commands written `name=value` in grub.conf (anaconda writes default=0, timeout=5 ...).
_ASSIGNABLE = frozenset(("default", "timeout", "fallback", "splashimage", "password", "color",
                         "hiddenmenu", "gfxmenu"))
# the arguments greedy, their trailing blanks stripped after: a lazy group before [ \t]*$
# tried every split of each run of blanks (quadratic on a long line of blank runs)
_LINE = re.compile(r"^(?P<indent>[ \t]*)(?P<cmd>[^\s=]+)(?P<sep>[ \t]*=?[ \t]*)(?P<args>.*)$")


def parse_document(src) -> tuple[Document, list]:
    entries = []
    group = -1
    starts, span_in = src.line_starts, src.span_in
    for start, body in src.lines():
        stripped = body.strip()
        if not stripped or stripped.startswith("#"):
            continue
        # each span of an entry is on its line: found once, not searched for three times
        # (a file of 20,000 short unknown lines spent a third of its read on the searches)
        row = bisect_right(starts, start)
        base = starts[row - 1]
        m = _LINE.match(body)
        if m is None:  # starts with '=' or an unusual blank: an unknown command (VF201)
            k0 = start + len(body) - len(body.lstrip())
            word = stripped.split()[0]
            end = start + len(body.rstrip())
            entries.append(Entry(word, "", span_in(row, base, k0, end), span_in(row, base, k0, k0 + len(word)),
                                 span_in(row, base, k0 + len(word), k0 + len(word) + 1), group=group))
            continue
        indent, word, sep, args = m.groups()  # one call: a file of 20,000 short lines spent a tenth on group()
        cmd = word
        if "=" in sep and cmd not in _ASSIGNABLE:
            cmd = stripped.split()[0]  # "console=ttyS0,115200": an argument, not a command
        if cmd == "title":
            group += 1
        cmd_start = start + len(indent)
        args_start = cmd_start + len(word) + len(sep)
        end = start + len(body.rstrip())
        span = span_in(row, base, cmd_start, end)
        key_end = cmd_start + len(cmd)
        entries.append(Entry(cmd, args.rstrip(" \t") if cmd == word else "", span,
                             span if key_end == end else span_in(row, base, cmd_start, key_end),  # a bare command
                             span_in(row, base, args_start, max(args_start + 1, end)), group=group))
    return Document("grub", src.path, tuple(entries), src), []
