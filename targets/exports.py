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

from virtc import fixes
from virtc.diagnostics import Severity
from virtc.documents import Document, Entry
from virtc.model import Export
from virtc.readback import Found
from virtc.rules.base import Rule, Scope, rules_in
from virtc.source import SourceFile

from .format import Format
from .lines import line_span, logical_lines, report

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
            report(found, ExportsSyntax, "this quote is never closed", src.span(pstart, pstart + 1), hint='close it with "')
            continue
        directory = _OCTAL.sub(lambda m: chr(int(m.group(1), 8)), raw.strip('"'))
        if not directory.startswith("/"):
            report(found, ExportsSyntax, f"'{raw}' is not an absolute path; each line starts with the directory "
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
                report(found, ExportsSyntax, f"'{word}': the option list is not closed, or has a space in it",
                       wspan, hint="write client(option,option) with no spaces")
                bad = True
                break
            opts = opts[:-1] if paren else None
            if paren and not opts:
                report(found, ExportsSyntax, f"'{word}' has an empty option list", wspan, hint="e.g. (rw,sync)")
                bad = True
                break
            if opts is not None and not _options_ok(found, opts, wspan):
                bad = True
                break
            if not paren and i + 1 < len(rest) and rest[i + 1][0].startswith("("):
                nxt = rest[i + 1]
                report(found, ExportsSpaceBeforeOptions, f"'{word} {nxt[0]}': the space makes these two clients: {word} with the "
                                       f"default options (read-only) and every host with {nxt[0]}",
                       src.span(start, nxt[2]), hint=f"write {word}{nxt[0]} with no space",
                       fix=fixes.replace("remove the space", src.span(end, nxt[1]), "", safe=False))
            clients.append((name or "*", _merge(defaults, opts), end))
            i += 1
        if bad:
            continue
        if not clients:
            report(found, ExportsNoClient, f"{directory} names no client, so exportfs exports it to every host", span,
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
    from virtc.suggest import closest, did_you_mean

    for opt in opts.split(","):
        name = opt.split("=", 1)[0]
        if name not in OPTIONS:
            guess = closest(name, OPTIONS) if name else None
            text = found.source.text[span.start:span.end]
            fix = None
            if guess and "=" not in opt and text.count(f"({opt}") + text.count(f",{opt}") == 1:
                fixed = re.sub(rf"(?<=[(,]){re.escape(opt)}(?=[,)])", guess, text, count=1)
                fix = fixes.replace(f"write {guess}", span, fixed, safe=False)
            report(found, ExportsUnknownOption, f"unknown export option '{opt}'; exportfs refuses the line" if opt
                   else "an empty option (two commas in a row)", span,
                   hint=did_you_mean(name, OPTIONS) or "e.g. rw,no_root_squash,async", fix=fix)
            return False
    return True


# ---------------------------------------------------------------- format-level rules

class ExportsSpaceBeforeOptions(Rule):
    """In /etc/exports a client and its options are written together: host(rw).

    What it checks: a client followed by a space and then its parenthesised options.

    Why: exportfs reads `host (rw,no_root_squash)` as two clients: host with the default
    options (read-only, root squashed) and every host on the network with the options,
    read-write. The guide writes the client and options together,
    `*.example.com(rw,no_root_squash,async)` (§21.2, line 3443; §20.1, line 3132), and
    asks to restrict the export to the migration hosts (line 3445).

    Example:
        /var/lib/libvirt/images *.example.com (rw,no_root_squash,async)

    Fix: `/var/lib/libvirt/images *.example.com(rw,no_root_squash,async)`.
    """

    code, name, severity = "VF831", "exports-space-before-options", Severity.ERROR
    checklist, section, lines = ("MIG-22",), "§21.2", "3132, 3443-3445"
    scope = Scope.READER
    fix, fix_title = "unsafe", "remove the space, so that the options are the client's (it changes who gets which access)"


class ExportsSyntax(Rule):
    """Each /etc/exports line is an absolute directory and its clients with closed option lists.

    What it checks: a line that does not start with an absolute path (or an unclosed
    quote in it), a client whose option list is not closed or has a space inside, an
    empty option list.

    Why: "add the default image directory to /etc/exports:
    /var/lib/libvirt/images *.example.com(rw,no_root_squash,async)" (§21.2, lines
    3441-3443). exportfs refuses a line it cannot parse, so the directory is not
    exported and migration between the hosts that mount it fails.

    Example:
        /var/lib/libvirt/images *.example.com(rw, no_root_squash)

    Fix: `/var/lib/libvirt/images *.example.com(rw,no_root_squash)`.
    """

    code, name, severity = "VF832", "exports-syntax", Severity.ERROR
    checklist, section, lines = ("MIG-22",), "§21.2", "3441-3443"
    scope = Scope.READER


class ExportsUnknownOption(Rule):
    """/etc/exports options are ones exportfs knows.

    What it checks: each option of a client's list (and of a line's -defaults) against
    exports(5) of RHEL 5's nfs-utils, with the option probably meant.

    Why: the guide's options are rw, no_root_squash and async (§20.1, line 3132; §21.2,
    line 3443). exportfs refuses a line with an unknown option, so a misspelt
    no_root_squash loses the whole export.

    Example:
        /var/lib/libvirt/images *.example.com(rw,no_root_sqash,async)

    Fix: `no_root_squash`.
    """

    code, name, severity = "VF833", "exports-unknown-option", Severity.ERROR
    checklist, section, lines = ("MIG-22",), "§21.2", "3132, 3443"
    scope = Scope.READER
    fix, fix_title = "unsafe", 'replace the option with the known option it is closest to'


class ExportsNoClient(Rule):
    """An /etc/exports line names its clients.

    What it checks: a line with a directory and nothing after it.

    Why: exportfs then exports the directory to every host with the default options;
    the guide names the clients and tells the reader to "change the host parameter to
    suit your environment" (§21.2, lines 3443-3445).

    Example:
        /var/lib/libvirt/images

    Fix: `/var/lib/libvirt/images *.example.com(rw,no_root_squash,async)`.
    """

    code, name, severity = "VF834", "exports-no-client", Severity.WARNING
    checklist, section, lines = ("MIG-22",), "§21.2", "3443-3445"
    scope = Scope.READER


FORMAT = Format(
    "exports", "NFS exports (/etc/exports)",
    paths=("etc/exports",), names=("*exports",), read=read, rules=rules_in(globals()), trailing=True, single=True)
