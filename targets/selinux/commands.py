"""`semanage fcontext -a -t TYPE [-f FTYPE] 'REGEX'` and `setsebool [-P] NAME VALUE` in a
shell script (a kickstart %post, a host setup script): the commands the guide gives
(§18.2, §18.3), read as the file contexts and booleans they make."""
from __future__ import annotations

from virtc import fixes
from virtc.diagnostics import Severity
from virtc.documents import Document, Entry
from virtc.model import ImageDir, Setting
from virtc.readback import Found
from virtc.rules.base import Rule, Scope, rules_in
from virtc.source import SourceFile

from ..lines import Unmodelled, logical_lines, report
from .booleans import SeboolNotPersistent, SeboolSyntax, _boolean_name
from .common import (
    FALSE,
    TRUE,
)
from .fcontext import FcontextSyntax, _context


def _shell_words(found: Found, line: str, offset: int) -> list[list[tuple[str, int, int, bool]]]:
    """The simple commands of a shell line (split at ; && || |), each a list of words
    (text after quote removal, start, end, has an unquoted parenthesis). Nothing is run."""
    commands: list[list] = [[]]
    i, n = 0, len(line)
    while i < n:
        c = line[i]
        if c.isspace():
            i += 1
            continue
        if c == "#":
            break
        if c in ";&|":
            commands.append([])
            i += 1
            continue
        start, buf, paren = i, [], False
        while i < n and not line[i].isspace() and line[i] not in ";&|":
            c = line[i]
            if c in "'\"":
                close = line.find(c, i + 1)
                if close < 0:
                    report(found, FcontextSyntax, "this quote is never closed; the shell stops at this line",
                           found.source.span(offset + i, offset + i + 1), hint=f"close it with {c}")
                    return [w for w in commands if w]
                buf.append(line[i + 1:close])
                i = close + 1
            elif c == "\\" and i + 1 < n:
                buf.append(line[i + 1])
                i += 2
            else:
                paren = paren or c in "()"
                buf.append(c)
                i += 1
        commands[-1].append(("".join(buf), offset + start, offset + i, paren))
    return [w for w in commands if w]


def read(text: str, path: str) -> Found:
    """`semanage fcontext -a -t TYPE [-f FTYPE] 'REGEX'` and `setsebool [-P] NAME VALUE`
    in a shell script (a kickstart %post, a host setup script); its other commands are
    named once as not modelled."""
    found = Found(SourceFile(path, text), "selinux-commands")
    skipped = Unmodelled()
    dirs, settings, entries = [], [], []
    for offset, line in logical_lines(text):
        for ws in _shell_words(found, line, offset):
            prog = ws[0][0].rsplit("/", 1)[-1]
            span = found.source.span(ws[0][1], ws[-1][2])
            if prog == "semanage" and len(ws) > 1 and ws[1][0] == "fcontext":
                item = _semanage(found, ws[2:], span, skipped)
                if item is not None:
                    dirs.append(item)
                    entries.append(Entry(item.path, item.label, span, span, span))
            elif prog == "setsebool":
                for s in _setsebool(found, ws[1:], span):
                    settings.append(s)
                    entries.append(Entry(s.key, s.value, span, span, span))
            else:
                skipped.add("a script command other than semanage fcontext and setsebool", span)
    skipped.flush(found)
    found.document = Document("selinux-commands", path, tuple(entries))
    if dirs:
        found.add("image_dirs", *dirs)
    if settings:
        found.add("sebools", *settings)
    return found


_SEMANAGE_ACTIONS = ("a", "d", "m", "l", "D", "C")  # add, delete, modify, list, delete all, customised
_SEMANAGE_VALUE = ("-t", "--type", "-f", "--ftype", "-s", "--seuser", "-r", "--range", "-e", "--equal")


def _semanage(found: Found, args, span, skipped: Unmodelled) -> ImageDir | None:
    src = found.source
    opts: dict[str, tuple] = {}
    action = None
    files = []
    i = 0
    while i < len(args):
        word = args[i]
        if word[0] in _SEMANAGE_VALUE:
            if i + 1 >= len(args):
                report(found, FcontextSyntax, f"semanage {word[0]} needs a value", src.span(word[1], word[2]))
                return None
            opts[word[0].lstrip("-")[0]] = args[i + 1]  # RHEL 5 writes the file type as -f -b
            i += 2
            continue
        if word[0].startswith("-") and len(word[0]) > 1:
            flag = word[0].lstrip("-")[:1]
            if flag in _SEMANAGE_ACTIONS:
                action = action or flag
        else:
            files.append(word)
        i += 1
    if action != "a":
        skipped.add("a semanage fcontext command other than -a (add)", span)
        return None
    if "t" not in opts or len(files) != 1:
        report(found, FcontextSyntax, "semanage fcontext -a needs -t TYPE and one path pattern" if "t" not in opts
               else f"semanage fcontext -a takes one path pattern, not {len(files)}", span,
               hint="semanage fcontext -a -t xen_image_t \"/virtstorage(/.*)?\"")
        return None
    regex, start, end, paren = files[0]
    if paren:
        report(found, SemanageUnquotedPattern, f"the pattern {src.text[start:end]} is not quoted: the shell stops at its "
                               "parentheses (\"syntax error near unexpected token\")", src.span(start, end),
               hint=f"quote it: \"{regex}\"",
               fix=fixes.replace("quote the pattern", src.span(start, end), f'"{regex}"') if '"' not in regex else None)
        return None
    ftype = opts.get("f")
    label = opts["t"]
    return _context(found, regex, src.span(start, end), label[0], src.span(label[1], label[2]),
                    ftype[0] if ftype else None, span, skipped)


def _setsebool(found: Found, args, span) -> list[Setting]:
    src = found.source
    persistent = any(a[0] == "-P" for a in args)
    rest = [a for a in args if not a[0].startswith("-")]
    pairs = []
    if any("=" in a[0] for a in rest):
        for a in rest:
            name, _, value = a[0].partition("=")
            pairs.append((name, value, src.span(a[1], a[2])))
    elif len(rest) == len(("NAME", "VALUE")):
        pairs.append((rest[0][0], rest[1][0], src.span(rest[0][1], rest[1][2])))
    else:
        report(found, SeboolSyntax, "setsebool takes NAME VALUE (or NAME=VALUE ...)", span,
               hint="setsebool -P virt_use_sysfs 1")
        return []
    if not persistent:
        at = args[0][1]
        report(found, SeboolNotPersistent, "setsebool without -P changes the boolean until the next reboot only", span,
               hint="setsebool -P ...", fix=fixes.Fix("add -P", src.path, (fixes.Edit(at, at, "-P "),),
                                                      fixes.Applicability.UNSAFE))
    out = []
    for name, value, pspan in pairs:
        v = value.lower()
        if v not in TRUE + FALSE:
            report(found, SeboolSyntax, f"'{value}' is not a boolean value", pspan, hint="on or off (1 or 0)")
            continue
        if not _boolean_name(found, name, pspan):
            continue
        out.append(Setting(name, "on" if v in TRUE else "off", span))
    return out


# ---------------------------------------------------------------- format-level rules

class SemanageUnquotedPattern(Rule):
    """A semanage pattern with parentheses is quoted in a shell script.

    What it checks: `semanage fcontext` whose pattern has an unquoted '(' or ')'.

    Why: the guide quotes it, `semanage fcontext -a -t xen_image_t "/virtstorage(/.*)?"`
    (§18.2, lines 2975, 2978); unquoted, the shell stops at the parenthesis ("syntax
    error near unexpected token `('") and the directory is never labelled.

    Example:
        semanage fcontext -a -t xen_image_t /virtstorage(/.*)?

    Fix: `semanage fcontext -a -t xen_image_t "/virtstorage(/.*)?"`.
    """

    code, name, severity = "VF844", "semanage-unquoted-pattern", Severity.ERROR
    checklist, section, lines = ("SEC-05",), "§18.2", "2975, 2978"
    scope = Scope.READER
    fix, fix_title = "safe", 'put the pattern in double quotes'

RULES = rules_in(globals())
