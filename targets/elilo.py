"""ELILO (Itanium) boot configuration, elilo.conf: read into a document of stanza lines.

key = option (image, vmm, label, initrd, read-only, root, append, ...), value = its
value without quotes, group = the image stanza's number (-1 for global options).
"""
from __future__ import annotations

import re

from virtc.documents import Document, Entry

_OPTION = re.compile(r'^(?P<indent>[ \t]*)(?P<key>[A-Za-z_-]+)(?:[ \t]*=[ \t]*(?P<value>"[^"]*"|\S*))?[ \t]*$')


def parse_document(src) -> tuple[Document, list]:
    entries, group = [], -1
    for start, body in src.lines():
        s = body.strip()
        if not s or s.startswith("#"):
            continue
        m = _OPTION.match(body)
        if not m:
            k0 = start + len(body) - len(body.lstrip())
            entries.append(Entry(s.split()[0], s, src.span(k0, start + len(body.rstrip())),
                                 src.span(k0, k0 + len(s.split()[0])), src.span(k0, start + len(body.rstrip())),
                                 group=group))
            continue
        key = m.group("key")
        if key == "image":
            group += 1
        raw = m.group("value") or ""
        k0 = start + len(m.group("indent"))
        v0 = start + m.start("value") if m.group("value") is not None else k0
        entries.append(Entry(key, raw.strip('"'), src.span(k0, start + len(body.rstrip())),
                             src.span(k0, k0 + len(key)), src.span(v0, max(v0 + 1, start + len(body.rstrip()))),
                             group=group))
    return Document("elilo", src.path, tuple(entries)), []
