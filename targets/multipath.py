"""device-mapper multipath configuration (/etc/multipath.conf), read into a document of
`section/.../keyword value` entries. Writing it is the host-files issue."""
from __future__ import annotations

import re

from virtc.diagnostics import error
from virtc.documents import Document, Entry

_TOKEN = re.compile(r'"[^"]*"|\{|\}|[^\s{}"#]+|#.*')


def parse_document(src) -> tuple[Document, list]:
    entries, diags = [], []
    stack: list[tuple[str, object]] = []  # (section name, span)
    block_no = -1
    for start, line in src.lines():
        tokens = [(m.group(0), start + m.start()) for m in _TOKEN.finditer(line)
                  if not m.group(0).startswith("#")]
        i = 0
        while i < len(tokens):
            tok, pos = tokens[i]
            if tok == "}":
                if not stack:
                    diags.append(error("VF411", "'}' closes no section", src.span(pos, pos + 1)))
                else:
                    stack.pop()
                i += 1
            elif i + 1 < len(tokens) and tokens[i + 1][0] == "{":
                block_no += 1
                path = "/".join([s for s, _ in stack] + [tok])
                entries.append(Entry(path, "{", src.span(pos, tokens[i + 1][1] + 1), src.span(pos, pos + len(tok)),
                                     src.span(pos, pos + len(tok)), group=block_no))
                stack.append((tok, src.span(pos, pos + len(tok))))
                i += 2
            else:
                rest = tokens[i + 1:]
                value = " ".join(t.strip('"') for t, _ in rest)
                end = rest[-1][1] + len(rest[-1][0]) if rest else pos + len(tok)
                path = "/".join([s for s, _ in stack] + [tok])
                vstart = rest[0][1] if rest else pos
                entries.append(Entry(path, value, src.span(pos, end), src.span(pos, pos + len(tok)),
                                     src.span(vstart, max(end, vstart + 1)), group=block_no))
                i = len(tokens)
    for name, span in stack:
        diags.append(error("VF411", f"section '{name}' is not closed", span, hint="add the missing '}'"))
    return Document("multipath", src.path, tuple(entries)), diags
