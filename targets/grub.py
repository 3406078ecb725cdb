"""GRUB legacy (grub.conf / menu.lst): reading existing files into documents.

Writing host boot entries is the host-files issue; this module already owns the format's
other direction. A document entry is one command line: key = command, value = its
arguments, group = the number of the `title` block it belongs to (-1 before the first).
"""
from __future__ import annotations

import re

from virtc.documents import Document, Entry

# Commands written `name=value` in grub.conf (anaconda writes default=0, timeout=5 ...).
_ASSIGNABLE = frozenset(("default", "timeout", "fallback", "splashimage", "password", "color",
                         "hiddenmenu", "gfxmenu"))
_LINE = re.compile(r"^(?P<indent>[ \t]*)(?P<cmd>[^\s=]+)(?P<sep>[ \t]*=?[ \t]*)(?P<args>.*?)[ \t]*$")


def parse_document(src) -> tuple[Document, list]:
    entries = []
    group = -1
    for start, body in src.lines():
        stripped = body.strip()
        if not stripped or stripped.startswith("#"):
            continue
        m = _LINE.match(body)
        cmd = m.group("cmd")
        if "=" in m.group("sep") and cmd not in _ASSIGNABLE:
            cmd = stripped.split()[0]  # "console=ttyS0,115200": an argument, not a command
        if cmd == "title":
            group += 1
        cmd_start = start + len(m.group("indent"))
        args_start = cmd_start + len(m.group("cmd")) + len(m.group("sep"))
        span = src.span(cmd_start, start + len(body.rstrip()))
        entries.append(Entry(cmd, m.group("args") if cmd == m.group("cmd") else "", span,
                             src.span(cmd_start, cmd_start + len(cmd)),
                             src.span(args_start, max(args_start + 1, start + len(body.rstrip()))),
                             group=group))
    return Document("grub", src.path, tuple(entries)), []
