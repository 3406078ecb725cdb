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

from virtc import fixes
from virtc.diagnostics import Severity
from virtc.documents import Document, Entry
from virtc.limits import limits
from virtc.model import Migration, Setting
from virtc.readback import Found
from virtc.rules.base import Rule, Scope, rules_in
from virtc.source import SourceFile

from .format import Artifact, Format
from .lines import Unmodelled, report

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
            report(found, XendStringEscape, f"xend reads '\\{e}' in a string as a lone backslash and drops '{e}'",
                   src.span(j, j + 2), hint=f"write '\\\\{e}' (a backslash is doubled in xend-config.sxp)",
                   fix=fixes.Fix("double the backslash", src.path, (fixes.Edit(j, j, "\\"),),
                                 fixes.Applicability.UNSAFE))
            out.append("\\")
            j += 2
    report(found, XendSxpSyntax, "this string is never closed; xend stops reading the file with a parse error",
           src.span(i, i + 1), hint=f"close it with {delim}")
    return None, n


def _parse_sxp(found) -> list:
    """Top-level items (_Atom or _List) of the file, with VF501/VF506 for what xend's
    parser rejects or misreads."""
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
            if not stack:  # a run of them is one finding (a thousand on a line: one each was noise)
                j = i + 1
                while j < n and text[j] == ")":
                    j += 1
                what = "')' closes" if j == i + 1 else f"{j - i:,} ')' close"
                report(found, XendSxpSyntax, f"{what} nothing; xend stops with \"syntax error: )\"",
                       src.span(i, j), hint="remove it or add the '(' it belongs to")
                i = j
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
            report(found, XendSxpSyntax, f"character U+{ord(c):04X} outside a string; xend stops with \"invalid "
                                   "character\"", src.span(i, i + 1), hint="remove it, or put the value in quotes")
            i += 1
    for lst in stack:
        report(found, XendSxpSyntax, "this '(' is never closed; xend stops reading the file with a parse error",
               src.span(lst.start, lst.start + 1), hint="add the missing ')'")
    return top


def _show(atom: _Atom) -> str:
    return ("'" + atom.text + "'") if atom.quoted else atom.text


def read(text: str, path: str):
    """/etc/xen/xend-config.sxp: one Setting per key as xend reads it (the first element of
    that name, its first value), and Migration when the relocation server is on. Never
    evaluates anything."""
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
            fix = fixes.Fix("put the setting in parentheses", src.path, (
                fixes.Edit(first.start, first.start, "("), fixes.Edit(last.end, last.end, ")")),
                fixes.Applicability.UNSAFE) if len(loose) > 1 else None
            report(found, XendSettingWithoutParentheses, f"'{words}' is not inside parentheses; xend ignores it",
                   src.span(first.start, last.end),
                   hint=f"write ({words})" if len(loose) > 1 else "remove it", fix=fix)
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
            report(found, XendSxpSyntax, "an empty () is not a setting", span, severity=_warning(), hint="remove it")
            continue
        head = item.items[0]
        if not isinstance(head, _Atom):
            report(found, XendSxpSyntax, "a setting starts with its name, not with a list", span,
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
            alone = src.line(span.line).strip() == src.text[item.start:item.end] and span.line == span.end_line
            report(found, XendDuplicateSetting, f"({key} ...) is set again; xend reads only the first, at line "
                                   f"{first_span.line}", span, severity=_warning() if same else None,
                   hint="keep one line per setting: remove the first one or this one",
                   fix=fixes.delete_lines("remove the repeated line", src, span) if same and alone else None)
            continue
        if not values and key == "network-script":
            # xend runs no network script for an empty value (XendOptions.get_network_script:
            # None), as SUSE's stock file has it, whose bridges YaST makes: what /bin/true does
            setting = Setting(key, limits()["xen.network_script_off"].value, span)
            seen[key] = setting
            settings.append(setting)
            continue
        if not values:
            report(found, XendSettingWithoutValue, f"({key}) has no value; xend uses its default", span,
                   hint=f"write ({key} '') for an empty value, or remove the line")
            seen[key] = item
            continue
        value = values[0]
        if len(values) > 1:
            rest = " ".join(_show(v) if isinstance(v, _Atom) else "(...)" for v in values)
            plain = all(isinstance(v, _Atom) and not v.quoted for v in values)
            fix = fixes.replace("quote the values as one string", src.span(values[0].start, values[-1].end),
                                f"'{src.text[values[0].start:values[-1].end]}'", safe=False) \
                if plain and "'" not in src.text[values[0].start:values[-1].end] else None
            report(found, XendSeveralValues, f"({key} {rest}) has {len(values)} values; xend reads only the first",
                   span, hint=f"quote them as one string: ({key} '{rest}')" if plain else "keep one value", fix=fix)
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
    found.document = Document("xend", path, tuple(entries), found.source)
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
    return Severity.WARNING


# ---------------------------------------------------------------- format-level rules

class XendSxpSyntax(Rule):
    """xend-config.sxp is made of balanced S-expressions that xend's parser accepts.

    What it checks: a ')' that closes nothing, a '(' or a quoted string that is never
    closed, a character outside strings that xend's parser refuses (anything but
    printable ASCII), and elements that are not settings: an empty `()` (a warning) or a
    list where the setting's name belongs.

    Why: xend reads its parameters from /etc/xen/xend-config.sxp before it starts (§19,
    line 3026); a parse error there stops xend, and with it every guest operation. The
    guide's own §20.2 example ends with a stray character after the closing parenthesis,
    `(xend-relocation-hosts-allow- '^localhost\\\\.localdomain$' )>` (line 3402,
    contradiction C-30: parsers must reject unbalanced S-expressions).

    Example:
        (xend-relocation-hosts-allow '^peer\\\\.example\\\\.com$'

    Fix: balance the parentheses and quotes: one `(name value)` per setting.
    """

    code, name, severity = "VF501", "xend-sxp-syntax", Severity.ERROR
    checklist, section, lines = ("XEN-01",), "§19", "3026, 3402"
    scope = Scope.READER


class XendSettingWithoutParentheses(Rule):
    """Every setting of xend-config.sxp is in parentheses.

    What it checks: words at the top level of the file, outside any `( )`: a setting
    written without its parentheses, or stray text such as a trailing '>'.

    Why: xend looks its settings up as `(name value)` elements and skips anything else,
    so an unparenthesised line is silently ignored and the default stays in force. §11.1
    tells the reader to change the "typical" line `network-script network-bridge` into
    `network-script network-xen-multi-bridge` (lines 1630, 1633-1634), both without
    parentheses, and §20.2 ends a line with `)>` (line 3402); §10.2 writes the same
    setting correctly, `(network-script /bin/true)` (lines 1535-1537).

    Example:
        network-script network-xen-multi-bridge

    Fix: `(network-script network-xen-multi-bridge)`.
    """

    code, name, severity = "VF502", "xend-setting-without-parentheses", Severity.ERROR
    checklist, section, lines = ("XEN-01", "NET-24"), "§11.1", "1535-1537, 1630, 1633-1634, 3402"
    scope = Scope.READER
    fix, fix_title = "unsafe", 'put the words in parentheses, (NAME VALUE): xend then reads the setting'


class XendSettingWithoutValue(Rule):
    """A setting of xend-config.sxp has a value; an empty one is written ''.

    What it checks: `(name)` with nothing after the name. Not `(network-script )`: xend
    runs no network script then, which is what it says (SUSE's stock file, whose bridges
    YaST makes), as (network-script /bin/true) does.

    Why: xend takes the first value of a setting; with none it uses its default, so the
    line does nothing, and it also hides any later line of the same name (xend reads only
    the first). §20.2 prints `(xend-relocation-address )` and `(xend-relocation-hosts-allow
    )` (lines 3398, 3400) where §20 writes the empty string `''` (lines 3105, 3109); the
    guide wants a single IP address and a list of patterns there (lines 3107, 3113).

    Example:
        (xend-relocation-address )

    Fix: `(xend-relocation-address '10.0.0.1')`, or `''` for the default.
    """

    code, name, severity = "VF503", "xend-setting-without-value", Severity.WARNING
    checklist, section, lines = ("MIG-17", "MIG-18"), "§20.2", "3105-3113, 3398-3400"
    scope = Scope.READER


class XendSeveralValues(Rule):
    """A setting of xend-config.sxp has one value; a script with arguments is one quoted string.

    What it checks: `(name value1 value2 ...)`.

    Why: xend reads only the first value of a setting, so `(network-script network-bridge
    bridge=xenbr0 netdev=dummy0)` runs network-bridge without its arguments. The guide
    binds xenbr0 to dummy0 with the arguments in one quoted string, `(network-script
    'network-bridge bridge=xenbr0 netdev=dummy0')` (§11.2, line 1706).

    Example:
        (network-script network-bridge bridge=xenbr0 netdev=dummy0)

    Fix: `(network-script 'network-bridge bridge=xenbr0 netdev=dummy0')`.
    """

    code, name, severity = "VF504", "xend-several-values", Severity.ERROR
    checklist, section, lines = ("XEN-08", "NET-26"), "§11.2", "1706"
    scope = Scope.READER
    fix, fix_title = "unsafe", 'quote the values as one string: xend then reads all of them'


class XendDuplicateSetting(Rule):
    """Each xend-config.sxp setting appears once: xend reads only the first.

    What it checks: a second `(name ...)` of a name already set (an error when its value
    differs from the first, a warning when it repeats it).

    Why: the guide's procedures change settings in place: "change the following line
    (network-script network-bridge) to (network-script /bin/true)" (§10.2, lines
    1533-1537), "modify the following entries ... or remove the comment sign in front of
    them" (§20, line 3097). Appending a line instead leaves the old one first, and xend
    keeps using it: the bridges stay under Xen's script, or migration stays off.

    Example:
        (network-script network-bridge)
        (network-script /bin/true)

    Fix: edit the existing line (or comment it out with #) instead of adding another.
    """

    code, name, severity = "VF505", "xend-duplicate-setting", Severity.ERROR
    checklist, section, lines = ("NET-10", "MIG-15"), "§10.2", "1533-1537, 3097"
    scope = Scope.READER
    fix, fix_title = "safe", 'remove a repeated line that says the same as the first'


class XendStringEscape(Rule):
    """A backslash in an xend-config.sxp string is doubled.

    What it checks: a backslash inside a quoted value followed by a character that is not
    one of xend's escapes (\\\\, \\', \\", \\n, \\t, ... octal, \\x hex).

    Why: xend's parser keeps such a backslash and drops the character after it: '\\.'
    becomes a lone backslash, so `'^peer\\.example\\.com$'` is read as
    `^peer\\example\\com$` and the peer is refused. The guide writes a regex dot as two
    backslashes and a dot, `(xend-relocation-hosts-allow '^localhost$
    ^localhost\\\\.localdomain$')` (§20, lines 3113-3115).

    Example:
        (xend-relocation-hosts-allow '^peer\\.example\\.com$')

    Fix: `(xend-relocation-hosts-allow '^peer\\\\.example\\\\.com$')`.
    """

    code, name, severity = "VF506", "xend-string-escape", Severity.WARNING
    checklist, section, lines = ("MIG-18",), "§20", "3113-3115"
    scope = Scope.READER
    fix, fix_title = "unsafe", 'double the backslash, so that xend reads a backslash followed by the character'

_SETTING = re.compile(r"^[ \t]*\((xend-|network-script|vif-script|dom0-|vnc-|console-|enable-dump|external-migration)", re.M)


def recognise(text: str, name: str = "") -> bool:
    """S-expression settings that only xend-config.sxp has."""
    return bool(_SETTING.search(text))


FORMAT = Format(
    "xend", "xend's configuration (/etc/xen/xend-config.sxp)",
    paths=("etc/xen/xend-config.sxp",), names=("*xend-config.sxp", "*.sxp"), recognise=recognise, read=read,
    emit=emit, target="xend", rules=rules_in(globals()), trailing=True, facts=("xend",), single=True)
