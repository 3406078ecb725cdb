"""/etc/hosts: the names of this host and its peers. The guide's migration and
networking procedures need the host's name to resolve to its address, not to 127.0.0.1.
A document entry is one line: key = the address, value = the names."""
from __future__ import annotations

import ipaddress

from virtc import fixes
from virtc.diagnostics import Severity
from virtc.documents import Document, Entry
from virtc.readback import Found
from virtc.rules.base import Rule, Scope, rules_in
from virtc.source import SourceFile

from .format import Format
from .lines import comment_stripped


def parse_document(src) -> tuple[Document, list]:
    """/etc/hosts: key = the first field (an address), value = the names."""
    entries = []
    for _, s, text in comment_stripped(src):
        # fields are separated by any run of blanks: RHEL writes a tab after the address
        first, rest = (text.split(None, 1) + [""])[:2]
        entries.append(Entry(first, rest, src.span(s, s + len(text)), src.span(s, s + len(first)),
                             src.span(s, s + len(text))))
    return Document("hosts", src.path, tuple(entries), src), []


def read(text: str, path: str) -> Found:
    """/etc/hosts states no model fact; its document is checked by the format rules."""
    src = SourceFile(path, text)
    doc, problems = parse_document(src)
    return Found(src, "hosts", doc, diagnostics=list(problems))


# ---------------------------------------------------------------- format-level rules

class EtcHostsLocalhost(Rule):
    """/etc/hosts maps 127.0.0.1 to localhost, and every line starts with an address.

    What it checks: a hosts file without `127.0.0.1 ... localhost`, and lines whose first
    field is not an IP address.

    Why: without the entry virt-manager fails with "Unable to open a connection to the Xen
    hypervisor/daemon" (§34.13, lines 5979-5988; §35.9, lines 6128-6138). The guide's
    "correct" examples end with a line that has no address (lines 5989, 6138).

    Example:
        localhost.localdomain localhost

    Fix: 127.0.0.1 localhost.localdomain localhost
    """

    code, name, severity = "VF421", "etc-hosts-localhost", Severity.ERROR
    checklist, section, lines = ("HOST-12",), "§35.9", "5979-5989, 6128-6138"
    scope = Scope.DOCUMENT
    formats = ("hosts",)
    fix, fix_title = "safe", 'add the line 127.0.0.1 localhost.localdomain localhost'

    def document(self, doc: Document):
        ok = False
        for e in doc.entries:
            names = e.value.split()
            try:
                ipaddress.ip_address(e.key)
                address = True
            except ValueError:
                address = False
            if not address:
                yield self.report(f"'{e.key}' is not an address: each line is ADDRESS NAME...", e.span,
                                  hint=f"127.0.0.1 {e.key} {e.value}".strip())
            elif e.key == "127.0.0.1" and "localhost" in names:
                ok = True
        if not ok:
            first = doc.entries[0].span if doc.entries else None
            line = "127.0.0.1\tlocalhost.localdomain localhost"
            fix = (fixes.insert_line("add the localhost line", doc.source, first, line) if first else
                   fixes.append_line("add the localhost line", doc.source, line)) if doc.source else None
            yield self.report("no line maps 127.0.0.1 to localhost", first,
                              hint="127.0.0.1 localhost.localdomain localhost", fix=fix)


FORMAT = Format(
    "hosts", "static host names (/etc/hosts)",
    paths=("etc/hosts",), names=("*-hosts",), read=read, rules=rules_in(globals()), trailing=True, single=True)
