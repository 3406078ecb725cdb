"""Small host files the guide's procedures touch (/etc/rc.local, /etc/hosts), read into
documents. Writing them is the host-files issue."""
from __future__ import annotations

from virtc.documents import Document, Entry


def _lines(src):
    for number, (start, body) in enumerate(src.lines()):
        text = body.split("#", 1)[0].rstrip()
        if text.strip():
            lead = len(text) - len(text.lstrip())
            yield number, start + lead, text.strip()


def parse_lines(src, fmt: str = "rc.local") -> tuple[Document, list]:
    """One entry per command line: key = line number, value = the line."""
    entries = [Entry(str(n), text, src.span(s, s + len(text)), src.span(s, s + len(text)),
                     src.span(s, s + len(text))) for n, s, text in _lines(src)]
    return Document(fmt, src.path, tuple(entries)), []


def parse_hosts(src) -> tuple[Document, list]:
    """/etc/hosts: key = the first field (an address), value = the names."""
    entries = []
    for _, s, text in _lines(src):
        first, _, rest = text.partition(" ") if " " in text else text.partition("\t")
        rest = rest.strip()
        entries.append(Entry(first, rest, src.span(s, s + len(text)), src.span(s, s + len(first)),
                             src.span(s, s + len(text))))
    return Document("hosts", src.path, tuple(entries)), []
