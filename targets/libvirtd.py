"""libvirtd's own configuration: /etc/libvirt/libvirtd.conf and /etc/sysconfig/libvirtd.
Read only: virtc does not write them.

What they decide (guide §22.2, §22.3): whether libvirtd listens on the network, and over
which transports. libvirtd opens no network socket at all unless it is started with
--listen, which RHEL 5's init script takes from LIBVIRTD_ARGS in /etc/sysconfig/libvirtd
(shipped commented out). With --listen it serves TLS (listen_tls, on by default, port
16514) with the CA, server certificate and key that ca_file, cert_file and key_file name,
and unencrypted TCP (listen_tcp, off by default, port 16509) when libvirtd.conf turns it on.

libvirtd.conf is libvirt's configuration syntax (virConfParse): `name = value`, a value
being a number, a string in "..." or '...', or a list [v, v]; `#` starts a comment.
Each setting becomes a `libvirtd` Setting; /etc/sysconfig/libvirtd (shell, never sourced)
gives its LIBVIRTD_ARGS assignment as `libvirtd_args`. Nothing is evaluated.
"""
from __future__ import annotations

import re

from virtc.diagnostics import Severity
from virtc.documents import Document, Entry
from virtc.model import Setting
from virtc.readback import Found, whole_file
from virtc.rules.base import Rule, Scope, rules_in
from virtc.source import SourceFile

from .format import Format
from .lines import comment_stripped, report

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*")
_NUMBER = re.compile(r"[+-]?[0-9]+")
_BLANK = " \t\r"


class _Text:
    """A cursor over libvirtd.conf that skips blanks, comments and (inside lists) line breaks."""

    def __init__(self, text: str):
        self.text, self.i, self.n = text, 0, len(text)

    def skip(self, newlines: bool = False) -> None:
        while self.i < self.n:
            c = self.text[self.i]
            if c in _BLANK or (newlines and c == "\n"):
                self.i += 1
            elif c == "#":
                nl = self.text.find("\n", self.i)
                self.i = self.n if nl < 0 else nl
            else:
                return

    def rest_of_line(self) -> None:
        nl = self.text.find("\n", self.i)
        self.i = self.n if nl < 0 else nl + 1


def _value(t: _Text, in_list: bool = False):
    """A value at the cursor: (value, start, end), or None where the syntax is wrong."""
    text, start = t.text, t.i
    if start >= t.n:
        return None
    c = text[start]
    if c in "\"'":
        close = text.find(c, start + 1)
        nl = text.find("\n", start + 1)
        if close < 0 or (0 <= nl < close):
            return None
        t.i = close + 1
        return text[start + 1:close], start, close + 1
    m = _NUMBER.match(text, start)
    if m:
        t.i = m.end()
        return m.group(0), start, m.end()
    if c == "[" and not in_list:
        t.i += 1
        items = []
        while True:
            t.skip(newlines=True)
            if t.i < t.n and text[t.i] == "]":
                t.i += 1
                return items, start, t.i
            item = _value(t, in_list=True)
            if item is None:
                return None
            items.append(item[0])
            t.skip(newlines=True)
            if t.i < t.n and text[t.i] == ",":
                t.i += 1
            elif not (t.i < t.n and text[t.i] == "]"):
                return None
    return None


def _line(src: SourceFile, start: int):
    """The span from `start` to the end of its line, without trailing blanks."""
    nl = src.text.find("\n", start)
    end = len(src.text[:len(src.text) if nl < 0 else nl].rstrip())
    return src.span(start, max(start + 1, end))


def read_conf(text: str, path: str) -> Found:
    """/etc/libvirt/libvirtd.conf: one Setting per `name = value` (a list value is its
    items joined by commas); a line libvirtd's parser refuses is VF881."""
    src = SourceFile(path, text)
    found = Found(src, "libvirtd-conf")
    t = _Text(text)
    entries: list[Entry] = []
    settings: list[Setting] = []
    while True:
        t.skip(newlines=True)
        if t.i >= t.n:
            break
        start = t.i
        m = _NAME.match(text, start)
        if m:
            t.i = m.end()
            t.skip()
        if not m or t.i >= t.n or text[t.i] != "=":
            report(found, LibvirtdConfSyntax, "not a `name = value` setting; libvirtd stops at start with a "
                   "configuration error", _line(src, start),
                   hint='write name = value: a number, a "string" or a list ["a", "b"]')
            t.i = start
            t.rest_of_line()
            continue
        t.i += 1
        t.skip()
        value = _value(t)
        t.skip()
        if value is None or (t.i < t.n and text[t.i] != "\n"):
            report(found, LibvirtdConfSyntax, f"the value of {m.group(0)} is not a number, a quoted string or a "
                   "list; libvirtd stops at start with a configuration error", _line(src, start),
                   hint=f'e.g. {m.group(0)} = 1, or {m.group(0)} = "text"')
            t.i = start
            t.rest_of_line()
            continue
        raw, v0, v1 = value
        shown = ",".join(raw) if isinstance(raw, list) else raw
        span = src.span(start, v1)
        entries.append(Entry(m.group(0), raw, span, src.span(start, m.end()), src.span(v0, v1)))
        settings.append(Setting(m.group(0), shown, span))
    found.document = Document("libvirtd-conf", path, tuple(entries), src)
    if settings:
        found.add("libvirtd", *settings)
    return found


_ASSIGN = re.compile(r"^(?P<key>[A-Za-z_][A-Za-z0-9_]*)=(?P<value>.*)$")
_SHELL_CODE = re.compile(r"\$|`|;|&|\|")


def read_sysconfig(text: str, path: str) -> Found:
    """/etc/sysconfig/libvirtd: its LIBVIRTD_ARGS assignment (the last one, as the shell
    would keep it), never sourced. Unset, libvirtd starts without --listen."""
    src = SourceFile(path, text)
    found = Found(src, "sysconfig-libvirtd")
    entries = []
    args, unknown = None, False
    for _, start, line in comment_stripped(src):
        m = _ASSIGN.match(line)
        if not m:
            continue
        raw = m.group("value").strip()
        value = raw[1:-1] if len(raw) > 1 and raw[0] == raw[-1] and raw[0] in "\"'" else raw
        span = src.span(start, start + len(line))
        v0 = start + m.start("value")
        entries.append(Entry(m.group("key"), value, span, src.span(start, start + len(m.group("key"))),
                             src.span(v0, max(v0 + 1, start + len(line)))))
        if m.group("key") == "LIBVIRTD_ARGS":
            if _SHELL_CODE.search(value):
                found.ignored("LIBVIRTD_ARGS built by shell code", span,
                              hint="write the options as plain words, e.g. LIBVIRTD_ARGS=\"--listen\"")
                args, unknown = None, True
            else:
                args, unknown = Setting("LIBVIRTD_ARGS", value, span), False
    found.document = Document("sysconfig-libvirtd", path, tuple(entries), src)
    # Stated either way: a file without LIBVIRTD_ARGS says libvirtd starts without options.
    if unknown:
        return found  # what libvirtd starts with is not known
    if args is None:
        args = Setting("LIBVIRTD_ARGS", "", whole_file(src))
    found.set("libvirtd_args", args, args.span)
    return found


class LibvirtdConfSyntax(Rule):
    """/etc/libvirt/libvirtd.conf is `name = value` lines libvirtd's parser accepts.

    What it checks: a line that is not `name = value`, and a value that is not a number,
    a string in quotes or a list in brackets.

    Why: libvirtd reads this file at start and refuses to run when it cannot parse it;
    remote management over TLS or TCP (§22.2, §22.3, lines 3589-3592, 3617-3627) and every
    local virsh command then fail with a connection error.

    Example:
        listen_tcp = yes

    Fix: `listen_tcp = 1` (strings in quotes: `auth_tcp = "sasl"`).
    """

    code, name, severity = "VF881", "libvirtd-conf-syntax", Severity.ERROR
    checklist, section, lines = ("MGMT-06",), "§22.3", "3617-3627"
    scope = Scope.READER


CONF = Format(
    "libvirtd-conf", "libvirtd's settings (/etc/libvirt/libvirtd.conf)",
    paths=("etc/libvirt/libvirtd.conf",), names=("libvirtd.conf",), read=read_conf, rules=rules_in(globals()),
    facts=("libvirtd",), single=True, trailing=True)

SYSCONFIG = Format(
    "sysconfig-libvirtd", "libvirtd's start options (/etc/sysconfig/libvirtd)",
    paths=("etc/sysconfig/libvirtd",), names=("*sysconfig-libvirtd",), read=read_sysconfig,
    facts=("libvirtd-args",), single=True, trailing=True)
