"""/etc/xen/xend-config.sxp: the xend settings a Xen host needs (guide §19, §20, §10.2).

Written: (network-script /bin/true) when the host's bridges are ifcfg bridges, the
relocation settings of a migration peer, and the `xend` settings stated in the host.
S-expression syntax: `(key value)`; strings in single quotes, a backslash written twice
(guide line 3115). Values were checked by the compiler (no quotes, no line breaks).

Read (`read`, for `virtc lint`): the file is tokenized the way xend's own S-expression
parser reads it, never evaluated; each setting becomes a `xend` Setting, and the
relocation settings also a Migration, so a file virtc wrote reads back as its model.
"""
from __future__ import annotations

import re

from . import Artifact

NAME = "xend"
# Symbols and numbers are written bare, as the guide does ((xend-relocation-port 8002),
# (network-script /bin/true)); anything else, addresses and patterns included, is a quoted
# string ((xend-relocation-address '10.0.0.1')).
_BARE = re.compile(r"^(yes|no|[0-9]+|/[A-Za-z0-9_./-]*|[a-z][a-z0-9-]*)$")


def sxp_value(value: str) -> str:
    if any(c in value for c in "'\n\r"):
        raise ValueError(f"value cannot be written to xend-config.sxp: {value!r}")
    if _BARE.match(value):
        return value
    return "'" + value.replace("\\", "\\\\") + "'"


def settings(h) -> list[tuple[str, str]]:
    out: dict[str, str] = {}
    m = h.migration
    if m is not None and m.peers:
        out["xend-relocation-server"] = "yes"
        out["xend-relocation-port"] = str(m.port or 8002)
        out["xend-relocation-address"] = m.address or ""
        out["xend-relocation-hosts-allow"] = m.allow or ""
    for s in h.xend:  # stated (and derived) settings win
        out[s.key] = s.value
    return list(out.items())


def emit(model) -> list:
    out = []
    for h in model.hosts:
        if h.hypervisor != "xen":
            continue
        items = settings(h)
        if not items:
            continue
        lines = ["# Written by virtc: these settings go into /etc/xen/xend-config.sxp (replace the",
                 "# lines of the same name); then restart xend (service xend restart)."]
        for key, value in items:
            lines.append(f"({key} {sxp_value(value) if value else chr(39) * 2})")
        out.append(Artifact(f"{h.name}/etc/xen/xend-config.sxp", "\n".join(lines) + "\n", source=h.owner))
    return out


# ---------------------------------------------------------------- reading

# xend's S-expression syntax (xen/xend/sxp.py, RHEL 5): these characters end an atom;
# `#` starts a comment outside strings; strings are in '...' or "..." with backslash
# escapes. A backslash before any other character keeps the backslash and loses that
# character, which is why the guide doubles the backslashes of a regex (line 3115).
_SEPARATORS = "{}()<>[];"
_SPACE = " \t\n\v\f\r"
_ESCAPES = {"a": "\a", "b": "\b", "t": "\t", "n": "\n", "v": "\v", "f": "\f", "r": "\r",
            "\\": "\\", "'": "'", '"': '"'}
_OCTAL = "01234567"
_HEX = "0123456789abcdefABCDEF"
# xend reads a setting with child_value(): the first element of that name, its first value.


class _Atom:
    """An atom or a string of the file: its value and where it is."""

    __slots__ = ("text", "start", "end", "quoted")

    def __init__(self, text: str, start: int, end: int, quoted: bool):
        self.text, self.start, self.end, self.quoted = text, start, end, quoted


class _List:
    __slots__ = ("items", "start", "end")

    def __init__(self, start: int):
        self.items: list = []
        self.start, self.end = start, start + 1


def _string(text: str, i: int, found) -> tuple[_Atom | None, int]:
    """The string opening at text[i]; None (and VF501) when it never closes."""
    from .hostread import report

    src = found.source
    delim, j, out, n = text[i], i + 1, [], len(text)
    while j < n:
        c = text[j]
        if c == delim:
            return _Atom("".join(out), i, j + 1, True), j + 1
        if c != "\\":
            out.append(c)
            j += 1
            continue
        if j + 1 >= n:
            break
        e = text[j + 1]
        if e in _ESCAPES:
            out.append(_ESCAPES[e])
            j += 2
        elif e == "x" and j + 2 < n and text[j + 2] in _HEX:
            k = j + 2
            while k < n and k < j + 4 and text[k] in _HEX:
                k += 1
            out.append(chr(int(text[j + 2:k], 16)))
            j = k
        elif e in _OCTAL:
            k = j + 1
            while k < n and k < j + 4 and text[k] in _OCTAL:
                k += 1
            out.append(chr(int(text[j + 1:k], 8) % 256))
            j = k
        else:
            report(found, "VF506", f"xend reads '\\{e}' in a string as a lone backslash and drops '{e}'",
                   src.span(j, j + 2), hint=f"write '\\\\{e}' (a backslash is doubled in xend-config.sxp)")
            out.append("\\")
            j += 2
    report(found, "VF501", "this string is never closed; xend stops reading the file with a parse error",
           src.span(i, i + 1), hint=f"close it with {delim}")
    return None, n


def _parse_sxp(found) -> list:
    """Top-level items (_Atom or _List) of the file, with VF501/VF506 for what xend's
    parser rejects or misreads."""
    from .hostread import report

    src = found.source
    text = src.text
    top: list = []
    stack: list[_List] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        into = stack[-1].items if stack else top
        if c in _SPACE:
            i += 1
        elif c == "#":
            nl = text.find("\n", i)
            i = n if nl < 0 else nl
        elif c == "(":
            stack.append(_List(i))
            i += 1
        elif c == ")":
            if not stack:
                report(found, "VF501", "')' closes nothing; xend stops with \"syntax error: )\"",
                       src.span(i, i + 1), hint="remove it or add the '(' it belongs to")
                i += 1
                continue
            done = stack.pop()
            done.end = i + 1
            (stack[-1].items if stack else top).append(done)
            i += 1
        elif c in "'\"":
            atom, i = _string(text, i, found)
            if atom is not None:
                into.append(atom)
        elif c.isascii() and c.isprintable():
            j = i + 1
            while j < n and text[j] not in _SEPARATORS and text[j] not in _SPACE and text[j] != "#":
                j += 1
            into.append(_Atom(text[i:j], i, j, False))
            i = j
        else:
            report(found, "VF501", f"character U+{ord(c):04X} outside a string; xend stops with \"invalid "
                                   "character\"", src.span(i, i + 1), hint="remove it, or put the value in quotes")
            i += 1
    for lst in stack:
        report(found, "VF501", "this '(' is never closed; xend stops reading the file with a parse error",
               src.span(lst.start, lst.start + 1), hint="add the missing ')'")
    return top


def _show(atom: _Atom) -> str:
    return ("'" + atom.text + "'") if atom.quoted else atom.text


def read(text: str, path: str):
    """/etc/xen/xend-config.sxp: one Setting per key as xend reads it (the first element of
    that name, its first value), and Migration when the relocation server is on. Never
    evaluates anything."""
    from virtc.documents import Document, Entry
    from virtc.limits import limits
    from virtc.model import Migration, Setting
    from virtc.readback import Found
    from virtc.source import SourceFile

    from .hostread import Unmodelled, report

    src = SourceFile(path, text)
    found = Found(src, "xend")
    top = _parse_sxp(found)
    seen: dict[str, Setting | _List] = {}
    settings: list[Setting] = []
    entries: list[Entry] = []
    skipped = Unmodelled()
    loose: list[_Atom] = []

    def flush_loose():
        if loose:
            first, last = loose[0], loose[-1]
            words = " ".join(_show(a) for a in loose)
            report(found, "VF502", f"'{words}' is not inside parentheses; xend ignores it",
                   src.span(first.start, last.end),
                   hint=f"write ({words})" if len(loose) > 1 else "remove it")
            loose.clear()

    for item in top:
        if isinstance(item, _Atom):
            if loose and src.span(loose[-1].start, loose[-1].end).line != src.span(item.start, item.end).line:
                flush_loose()
            loose.append(item)
            continue
        flush_loose()
        span = src.span(item.start, item.end)
        if not item.items:
            report(found, "VF501", "an empty () is not a setting", span, severity=_warning(), hint="remove it")
            continue
        head = item.items[0]
        if not isinstance(head, _Atom):
            report(found, "VF501", "a setting starts with its name, not with a list", span,
                   hint="write (NAME VALUE)")
            continue
        key = head.text
        values = item.items[1:]
        key_span = src.span(head.start, head.end)
        if key in seen:
            first = seen[key]
            first_span = first.span if isinstance(first, Setting) else src.span(first.start, first.end)
            same = isinstance(first, Setting) and values and isinstance(values[0], _Atom) \
                and values[0].text == first.value
            report(found, "VF505", f"({key} ...) is set again; xend reads only the first, at line "
                                   f"{first_span.line}", span, severity=_warning() if same else None,
                   hint="keep one line per setting: remove the first one or this one")
            continue
        if not values:
            report(found, "VF503", f"({key}) has no value; xend uses its default", span,
                   hint=f"write ({key} '') for an empty value, or remove the line")
            seen[key] = item
            continue
        value = values[0]
        if len(values) > 1:
            rest = " ".join(_show(v) if isinstance(v, _Atom) else "(...)" for v in values)
            report(found, "VF504", f"({key} {rest}) has {len(values)} values; xend reads only the first",
                   span, hint=f"quote them as one string: ({key} '{rest}')" if all(
                       isinstance(v, _Atom) and not v.quoted for v in values) else "keep one value")
        if not isinstance(value, _Atom):
            skipped.add(f"the nested list value of ({key} ...)", span)
            seen[key] = item
            continue
        setting = Setting(key, value.text, span)
        seen[key] = setting
        settings.append(setting)
        entries.append(Entry(key, value.text, span, key_span, src.span(value.start, value.end)))
    flush_loose()
    skipped.flush(found)
    found.document = Document("xend", path, tuple(entries))
    if settings:
        found.add("xend", *settings)
    bools = limits()["xend.bool_values"].value
    server = next((s for s in settings if s.key == "xend-relocation-server"), None)
    if server is not None and server.value.lower() in bools["true"]:
        by_key = {s.key: s for s in settings}
        port = by_key.get("xend-relocation-port")
        address = by_key.get("xend-relocation-address")
        allow = by_key.get("xend-relocation-hosts-allow")
        # The file cannot name the peers (hosts-allow holds patterns, not hosts).
        found.set("migration", Migration(
            peers=(), port=_port(port.value) if port else None,
            address=(address.value or None) if address else None,
            allow=(allow.value or None) if allow else None, span=server.span), server.span)
    return found


def _port(value: str) -> int | None:
    """A TCP port number as written, or None (VX107 reports a bad one)."""
    return int(value) if value.isdigit() and len(value) <= len("65535") else None


def _warning():
    from virtc.diagnostics import Severity

    return Severity.WARNING
