"""/etc/modprobe.conf (and /etc/modprobe.d/*): module options at load time. The guide's
procedures set loop devices, pciback hiding and module options (§5.3, §14.4, §15.2).
Settings read the way the language's `modprobe MODULE "OPTIONS"` makes them: `options
loop max_loop=64` is Setting("loop", "max_loop=64")."""
from __future__ import annotations

import re

from virtc import fixes
from virtc.diagnostics import Severity
from virtc.documents import Document, Entry
from virtc.model import Setting
from virtc.readback import Found
from virtc.rules.base import Rule, Scope, rules_in
from virtc.source import SourceFile

from .format import Artifact, Format
from .lines import Unmodelled, line_span, logical_lines, report, words

# module-init-tools 3.3 (RHEL 5) commands; anything else is ignored with a warning.
MODPROBE_COMMANDS = ("alias", "options", "install", "remove", "include", "blacklist")
# The fewest words each command needs after its name.
_MODPROBE_ARGS = {"alias": 2, "options": 2, "install": 2, "remove": 2, "include": 1, "blacklist": 1}
_MODULE = re.compile(r"^[A-Za-z0-9_*?\[\]-]+$")
_PARAM = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*(=.*)?$")
# pciback's hide list: (dddd:bb:ss.f) or (bb:ss.f) groups, one per device (guide §14.4).
_HIDE = re.compile(r"^(\((?:[0-9a-fA-F]{1,4}:)?[0-9a-fA-F]{1,2}:[0-9a-fA-F]{1,2}\.[0-7]\))+$")


def read(text: str, path: str) -> Found:
    """modprobe.conf (also a file of /etc/modprobe.d): `options MODULE ARGS` lines become
    Settings; alias, install, remove, include and blacklist lines are checked and named
    as not modelled."""
    found = Found(SourceFile(path, text), "modprobe")
    src = found.source
    settings, entries = [], []
    skipped = Unmodelled()
    for offset, line in logical_lines(text):
        ws = words(line, offset)
        if not ws or ws[0][0].startswith("#"):
            continue
        cmd, cstart, cend = ws[0]
        if cmd not in MODPROBE_COMMANDS:
            _unknown_command(found, cmd, ws, src.span(cstart, cend))
            continue
        span = line_span(found, offset, line)
        args = ws[1:]
        comment = next((w for w in args if w[0].startswith("#")), None)
        if comment is not None:
            report(found, ModprobeArguments, f"'{cmd}' lines have no comments after them: modprobe takes "
                                   f"'{text[comment[1]:ws[-1][2]]}' as arguments",
                   src.span(comment[1], ws[-1][2]), hint="put the comment on a line of its own",
                   fix=fixes.Fix("move the comment above the line", src.path, (
                       fixes.Edit(offset, offset, text[comment[1]:ws[-1][2]] + fixes.newline(src)),
                       fixes.Edit(args[args.index(comment) - 1][2], ws[-1][2], ""))))
            continue
        if len(args) < _MODPROBE_ARGS[cmd]:
            want = {"alias": "alias NAME MODULE", "options": "options MODULE NAME=VALUE ...",
                    "install": "install MODULE COMMAND...", "remove": "remove MODULE COMMAND...",
                    "include": "include FILE", "blacklist": "blacklist MODULE"}[cmd]
            report(found, ModprobeArguments, f"'{cmd}' needs {want}; modprobe ignores this line", span, hint=f"write {want}")
            continue
        if cmd in ("blacklist", "alias", "install", "remove") and _NOT_A_MODULE.search(args[-1 if cmd == "alias" else 0][0]):
            word = args[-1 if cmd == "alias" else 0]
            report(found, ModprobeArguments, f"'{word[0]}' is a file, not a module name: modprobe compares "
                                             f"'{cmd}' with module names, so this line does nothing",
                   src.span(word[1], word[2]),
                   hint=f"write the module's name: {cmd} {_module_of(word[0])}" if cmd != "alias"
                   else f"write the module's name: alias {args[0][0]} {_module_of(word[0])}")
            continue
        if cmd != "options":
            skipped.add(f"modprobe.conf's `{cmd}` command", span)
            continue
        module = args[0][0]
        value = text[args[1][1]:ws[-1][2]]
        value = re.sub(r"\s+", " ", value) if "\n" in value else value
        if not _options_ok(found, module, args[1:]):
            continue
        setting = Setting(module, value, span)
        settings.append(setting)
        entries.append(Entry(module, value, span, src.span(args[0][1], args[0][2]),
                             src.span(args[1][1], ws[-1][2])))
    skipped.flush(found)
    found.later = _later_module(text, src)
    found.document = Document("modprobe", path, tuple(entries))
    if settings:
        found.add("modprobe", *settings)
    return found


# Modules RHEL 5's kernel (2.6.18) never had, named by today's modprobe.d files: VFIO (Linux
# 3.6), nouveau (2.6.33), amdgpu (4.2), vhost_net (2.6.34), NVMe (3.3), zram (3.14).
_LATER_MODULES = re.compile(r"(?<![\w-])(vfio(?:[-_]\w+)?|nouveau|amdgpu|vhost[-_]net|nvme|zram)(?![\w-])")


def _later_module(text: str, src: SourceFile):
    """A module of a later kernel named on a line that is no comment (Found.later): the file
    is a later system's, where softdep and its other commands are modprobe's own."""
    for offset, line in logical_lines(text):
        body = line.split("#", 1)[0]
        m = _LATER_MODULES.search(body)
        if m is not None:
            at = offset + m.start()
            return (f"the module {m.group(1)}, which RHEL 5's kernel (2.6.18) does not have",
                    src.span(at, at + len(m.group(1))))
    return None


# A path or a module's file (/lib/modules/.../e1000.ko) where a module's name belongs.
_MODULE_FILE = re.compile(r"\.k?o(?:\.[gx]z)?\Z")  # e1000.ko, e1000.ko.xz, 2.4's e1000.o
_NOT_A_MODULE = re.compile(r"/|" + _MODULE_FILE.pattern)


def _module_of(word: str) -> str:
    """The module a file path names (/lib/modules/.../iwl3945.ko -> iwl3945)."""
    return _MODULE_FILE.sub("", word.rsplit("/", 1)[-1]) or word


def _unknown_command(found: Found, cmd: str, ws, span) -> None:
    from virtc.suggest import closest, did_you_mean

    if len(ws) == 1 and _MODULE.match(cmd):
        report(found, ModprobeUnknownCommand, f"'{cmd}' alone is not a modprobe command; modprobe ignores the line", span,
               hint=f"to keep the module from loading write `blacklist {cmd}` (in /etc/modprobe.d/blacklist)",
               fix=fixes.replace(f"write blacklist {cmd}", span, f"blacklist {cmd}", safe=False))
    else:
        guess = closest(cmd, MODPROBE_COMMANDS)
        report(found, ModprobeUnknownCommand, f"unknown modprobe.conf command '{cmd}'; modprobe ignores the line", span,
               hint=did_you_mean(cmd, MODPROBE_COMMANDS) or f"commands are {', '.join(MODPROBE_COMMANDS)}",
               fix=fixes.replace(f"write {guess}", span, guess, safe=False) if guess else None)


def _options_ok(found: Found, module: str, params) -> bool:
    src = found.source
    ok = True
    for i, (word, start, end) in enumerate(params):
        if not _PARAM.match(word):
            before = params[i - 1][0] if i else ""
            hint = f"write {before}={word}" if before and "=" not in before else "write NAME=VALUE"
            report(found, ModprobeArguments, f"'{word}' is not a module parameter (NAME=VALUE) of {module}",
                   src.span(start, end), hint=hint)
            ok = False
        elif module == "pciback" and word.startswith("hide=") and not _HIDE.match(word[len("hide="):]):
            report(found, ModprobeArguments, f"pciback's hide list '{word[len('hide='):]}' is not a run of "
                                   "(dddd:bb:ss.f) device groups", src.span(start, end),
                   hint="hide=(0000:09:00.0)(0000:0a:04.1), one group per device, no spaces or commas")
            ok = False
    return ok


# ---------------------------------------------------------------- writing

def emit(model) -> list[Artifact]:
    """Lines for /etc/modprobe.conf, written only when the host needs them: loop devices,
    pciback hiding and module options (guide §5.3, §14.4, §15.2)."""
    out = []
    for h in model.hosts:
        if h.modprobe:
            lines = ["# Written by virtc: append to /etc/modprobe.conf; takes effect when the",
                     "# module is next loaded (or at reboot)."]
            lines += [f"options {s.key} {s.value}" for s in h.modprobe]
            out.append(Artifact(f"{h.name}/etc/modprobe.conf", "\n".join(lines) + "\n", source=h.owner))
    return out


# ---------------------------------------------------------------- format-level rules

class ModprobeUnknownCommand(Rule):
    """Each line of modprobe.conf starts with a modprobe command.

    What it checks: lines whose first word is not alias, options, install, remove,
    include or blacklist; a bare module name gets the hint to blacklist it.

    Why: modprobe ignores such lines with a warning. The guide writes the loop and pciback
    settings as `options` lines (§5.3, line 534; §14.4, lines 2697-2700), and its list of
    NICs to hide after installing the para-virtualized drivers is three bare module
    names, `8139cp`, `8139too`, `e1000` (§12.3.4, lines 2224-2226), which hide nothing:
    each needs `blacklist` in front.

    Example:
        8139cp

    Fix: `blacklist 8139cp` (in /etc/modprobe.d/blacklist).
    """

    code, name, severity = "VF811", "modprobe-unknown-command", Severity.ERROR
    checklist, section, lines = ("NET-34", "STO-12", "PCI-20"), "§12.3.4", "534, 2224-2226, 2697-2700"
    scope = Scope.READER
    fix, fix_title = "unsafe", 'a module name alone becomes `blacklist NAME`; a misspelt command the closest one'


class ModprobeArguments(Rule):
    """modprobe.conf commands have the arguments they need, in the form modules read.

    What it checks: `options MODULE NAME=VALUE...` with a module and at least one
    parameter, each NAME or NAME=VALUE; `alias NAME MODULE`, `install MODULE COMMAND`,
    `blacklist MODULE`, `include FILE` complete, with a module's name where one belongs (a
    path or a .ko file there matches no module: `blacklist /lib/modules/.../e1000.ko` does
    nothing); no comment after the arguments (modprobe would pass it to the module);
    pciback's hide list as (dddd:bb:ss.f) groups.

    Why: "options loop max_loop=64" (§5.3, line 534); "options pciback
    hide=(0000:09:00.0)", several devices as "hide=(0000:09:00.0)(0000:0a:04.1)" (§14.4,
    lines 2697-2700). A module refuses an argument it cannot parse and does not load: the
    loop driver then has its default 8 devices, and pciback hides nothing.

    Example:
        options loop max_loop 64

    Fix: `options loop max_loop=64`.
    """

    code, name, severity = "VF812", "modprobe-arguments", Severity.ERROR
    checklist, section, lines = ("STO-12", "PCI-20"), "§14.4", "534, 2697-2700"
    scope = Scope.READER
    fix, fix_title = "safe", 'move a trailing comment to a line of its own above'


def recognise(text: str, name: str = "") -> bool:
    """Every line is a modprobe command (alias, options, install ...) naming a module, and
    one at least is about a module (ld.so.conf's lone `include` line is not)."""
    lines = [x.strip() for x in text.splitlines() if x.strip() and not x.strip().startswith("#")]
    return (bool(lines) and all(x.split()[0] in MODPROBE_COMMANDS and len(x.split()) >= 2 for x in lines)
            and any(x.split()[0] != "include" for x in lines))


FORMAT = Format(
    "modprobe", "module options (/etc/modprobe.conf, /etc/modprobe.d/*)",
    paths=("etc/modprobe.conf", "etc/modprobe.d/*"), names=("*modprobe.conf",), recognise=recognise,
    read=read, emit=emit, target="hostfiles", rules=rules_in(globals()), facts=("modprobe",))
