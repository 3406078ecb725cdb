"""initscripts interface files, /etc/sysconfig/network-scripts/ifcfg-DEVICE.

Read side: shell variable assignments are parsed, never sourced (quotes and escapes are
undone the way bash would for plain assignments; anything that would run a command is
reported instead of evaluated). Writing bridges is the host-files issue.
"""
from __future__ import annotations

import re
import shlex

from virtc.diagnostics import error
from virtc.documents import Document, Entry

_ASSIGN = re.compile(r"^(?P<indent>[ \t]*)(?:export[ \t]+)?(?P<key>[A-Za-z_][A-Za-z0-9_]*)=(?P<value>.*?)[ \t]*$")


def parse_document(src) -> tuple[Document, list]:
    entries, diags = [], []
    for start, body in src.lines():
        stripped = body.strip()
        if not stripped or stripped.startswith("#"):
            continue
        m = _ASSIGN.match(body)
        line_span = src.span(start + len(body) - len(body.lstrip()), start + len(body))
        if not m:
            diags.append(error("VF301", "not a KEY=value assignment; initscripts source this file with bash",
                               line_span, hint="write KEY=value with no spaces around '='"))
            continue
        raw = m.group("value")
        if re.search(r"\$\(|`|\$\{|;|&&|\|\|", raw):
            diags.append(error("VF301", f"the value of {m.group('key')} would run a command when the file is sourced",
                               line_span, hint="write a plain value"))
            continue
        try:
            parts = shlex.split(raw, comments=True, posix=True)
        except ValueError as exc:
            diags.append(error("VF301", f"{m.group('key')}: {exc} (bash would fail to source the file)", line_span))
            continue
        value = " ".join(parts)
        key_start = start + len(m.group("indent"))
        value_start = start + m.start("value")
        entries.append(Entry(m.group("key"), value, line_span,
                             src.span(key_start, key_start + len(m.group("key"))),
                             src.span(value_start, max(value_start + 1, start + m.end("value")))))
    return Document("ifcfg", src.path, tuple(entries)), diags
