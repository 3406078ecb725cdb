"""/etc/exports, the NFS server's export table (exports(5) of RHEL 5's nfs-utils). Read
only: virtc does not write it.

Each client of a line becomes one Export, as the language's `export "DIR" to "CLIENTS"
options "..."` makes it: `/var/lib/libvirt/images *.example.com(rw,no_root_squash,async)`
is Export("/var/lib/libvirt/images", "*.example.com", "rw,no_root_squash,async"). A line
read the way exportfs reads it, mistakes included: `host (rw)` exports to host with the
default options and to every host ("*") read-write.
"""
from __future__ import annotations

import re

from virtc.documents import Document, Entry
from virtc.model import Export
from virtc.readback import Found
from virtc.source import SourceFile

from .hostread import line_span, logical_lines, report

# exports(5) of nfs-utils 1.0.9 (RHEL 5); name=value options are listed by name.
OPTIONS = ("rw", "ro", "sync", "async", "secure", "insecure", "wdelay", "no_wdelay", "hide", "nohide",
           "crossmnt", "subtree_check", "no_subtree_check", "secure_locks", "insecure_locks", "auth_nlm",
           "no_auth_nlm", "acl", "no_acl", "root_squash", "no_root_squash", "all_squash", "no_all_squash",
           "anonuid", "anongid", "fsid", "mountpoint", "mp", "sec", "refer", "replicas")
_WORD = re.compile(r'"[^"]*"?|[^\s"]+')
_OCTAL = re.compile(r"\\([0-7]{3})")


def _strip_comment(line: str) -> str:
    quoted = False
    for i, c in enumerate(line):
        if c == '"':
            quoted = not quoted
        elif c == "#" and not quoted:
            return line[:i]
    return line


def read(text: str, path: str) -> Found:
    found = Found(SourceFile(path, text), "exports")
    src = found.source
    exports, entries = [], []
    for offset, line in logical_lines(text):
        line = _strip_comment(line)
        ws = [(m.group(0), offset + m.start(), offset + m.end()) for m in _WORD.finditer(line)]
        if not ws:
            continue
        span = line_span(found, offset, line)
        raw, pstart, pend = ws[0]
        if raw.startswith('"') and (len(raw) < len('""') or not raw.endswith('"')):
            report(found, "VF832", "this quote is never closed", src.span(pstart, pstart + 1), hint='close it with "')
            continue
        directory = _OCTAL.sub(lambda m: chr(int(m.group(1), 8)), raw.strip('"'))
        if not directory.startswith("/"):
            report(found, "VF832", f"'{raw}' is not an absolute path; each line starts with the directory "
                                   "to export", src.span(pstart, pend),
                   hint="/var/lib/libvirt/images *.example.com(rw,no_root_squash,async)")
            continue
        rest = ws[1:]
        defaults = None
        if rest and rest[0][0].startswith("-") and len(rest[0][0]) > 1:
            defaults = rest[0][0][1:]
            if not _options_ok(found, defaults, src.span(rest[0][1], rest[0][2])):
                continue
            rest = rest[1:]
        clients: list[tuple[str, str | None, int]] = []  # (client, options, end offset)
        bad = False
        i = 0
        while i < len(rest):
            word, start, end = rest[i]
            wspan = src.span(start, end)
            name, paren, opts = word.partition("(")
            if paren and not opts.endswith(")") or word.count("(") != word.count(")"):
                report(found, "VF832", f"'{word}': the option list is not closed, or has a space in it",
                       wspan, hint="write client(option,option) with no spaces")
                bad = True
                break
            opts = opts[:-1] if paren else None
            if paren and not opts:
                report(found, "VF832", f"'{word}' has an empty option list", wspan, hint="e.g. (rw,sync)")
                bad = True
                break
            if opts is not None and not _options_ok(found, opts, wspan):
                bad = True
                break
            if not paren and i + 1 < len(rest) and rest[i + 1][0].startswith("("):
                nxt = rest[i + 1]
                report(found, "VF831", f"'{word} {nxt[0]}': the space makes these two clients: {word} with the "
                                       f"default options (read-only) and every host with {nxt[0]}",
                       src.span(start, nxt[2]), hint=f"write {word}{nxt[0]} with no space")
            clients.append((name or "*", _merge(defaults, opts), end))
            i += 1
        if bad:
            continue
        if not clients:
            report(found, "VF834", f"{directory} names no client, so exportfs exports it to every host", span,
                   hint=f"{raw} *.example.com(rw,no_root_squash,async)")
            clients.append(("*", defaults, span.end))
        for client, opts, end in clients:
            espan = src.span(pstart, end)
            exports.append(Export(directory, client, opts, espan))
            entries.append(Entry(directory, f"{client}({opts or ''})", espan, src.span(pstart, pend), espan))
    found.document = Document("exports", path, tuple(entries))
    if exports:
        found.add("exports", *exports)
    return found


def _merge(defaults: str | None, opts: str | None) -> str | None:
    if defaults and opts:
        return f"{defaults},{opts}"
    return opts if opts is not None else defaults


def _options_ok(found: Found, opts: str, span) -> bool:
    from virtc.suggest import did_you_mean

    for opt in opts.split(","):
        name = opt.split("=", 1)[0]
        if name not in OPTIONS:
            report(found, "VF833", f"unknown export option '{opt}'; exportfs refuses the line" if opt
                   else "an empty option (two commas in a row)", span,
                   hint=did_you_mean(name, OPTIONS) or "e.g. rw,no_root_squash,async")
            return False
    return True
