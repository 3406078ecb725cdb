"""Reading /etc/modprobe.conf and /etc/sysctl.conf (their emitters are in hostfiles.py),
and the entry points of the other host-configuration readers, for `virtc lint`.

Both files become host Settings the way the language's `modprobe MODULE "OPTIONS"` and
`sysctl KEY VALUE` statements make them, so that what virtc wrote reads back as the model
it came from: `options loop max_loop=64` is Setting("loop", "max_loop=64"), and
`net.ipv4.ip_forward = 1` is Setting("net.ipv4.ip_forward", "1").
"""
from __future__ import annotations

import difflib
import re

from virtc.documents import Document, Entry
from virtc.model import Setting
from virtc.readback import Found
from virtc.source import SourceFile

from .cpuspeed import read as read_cpuspeed  # noqa: F401  (lint's entry points)
from .exports import read as read_exports  # noqa: F401
from .hostread import Unmodelled, line_span, logical_lines, report, words
from .iptables import read as read_iptables  # noqa: F401
from .selinux import read_booleans as read_sebool  # noqa: F401
from .selinux import read_commands as read_selinux_commands  # noqa: F401
from .selinux import read_fcontext  # noqa: F401

# ---------------------------------------------------------------- sysctl.conf

# The first component of every sysctl key (/proc/sys/...); `xen` exists on RHEL 5's
# kernel-xen (xen.independent_wallclock).
SYSCTL_ROOTS = frozenset(("abi", "crypto", "debug", "dev", "fs", "kernel", "net", "sunrpc", "user", "vm", "xen"))
# Keys the guide sets (§7.3, §10.1) and those of RHEL 5's stock sysctl.conf, for "did you mean".
SYSCTL_KNOWN = (
    "net.bridge.bridge-nf-call-ip6tables", "net.bridge.bridge-nf-call-iptables",
    "net.bridge.bridge-nf-call-arptables", "net.ipv4.ip_forward", "net.ipv4.conf.default.rp_filter",
    "net.ipv4.conf.default.accept_source_route", "net.ipv4.conf.all.rp_filter", "net.ipv4.tcp_syncookies",
    "kernel.sysrq", "kernel.core_uses_pid", "kernel.msgmnb", "kernel.msgmax", "kernel.shmmax",
    "kernel.shmall", "kernel.shmmni", "kernel.sem", "kernel.panic", "fs.file-max", "vm.swappiness",
    "vm.nr_hugepages", "vm.overcommit_memory", "net.core.rmem_max", "net.core.wmem_max",
    "net.ipv4.ip_local_port_range", "net.ipv4.conf.all.forwarding", "net.ipv4.conf.default.forwarding",
    "net.ipv6.conf.all.forwarding", "net.ipv6.conf.default.forwarding", "net.ipv4.conf.all.accept_source_route",
    "net.ipv4.conf.all.send_redirects", "net.ipv4.conf.default.send_redirects", "net.ipv4.icmp_echo_ignore_broadcasts",
    "net.ipv6.conf.all.disable_ipv6", "net.ipv6.conf.default.disable_ipv6", "xen.independent_wallclock",
)
# A key this close to a known one, but not it, is taken for a misspelling.
_CLOSE = 0.9
_COMMENT_IN_VALUE = re.compile(r"\s[#;]")


def read_sysctl(text: str, path: str) -> Found:
    """sysctl.conf as `sysctl -p` (procps 3.2.7) reads it: comments are whole lines
    starting with # or ;, each other line is KEY = VALUE with blanks around both trimmed."""
    found = Found(SourceFile(path, text), "sysctl")
    src = found.source
    settings, entries = [], []
    for offset, line in logical_lines(text, continuation=False):
        body = line.lstrip()
        if body.startswith(("#", ";")):
            continue
        span = line_span(found, offset, line)
        lead = offset + len(line) - len(body)
        if "=" not in body:
            report(found, "VF801", f"'{body.strip()}' has no '='; sysctl -p skips it (\"invalid syntax\")", span,
                   hint="write KEY = VALUE, e.g. net.ipv4.ip_forward = 1")
            continue
        raw_key, _, raw_value = body.partition("=")
        key, value = raw_key.strip(), raw_value.strip()
        key_start = lead + len(raw_key) - len(raw_key.lstrip())
        key_span = src.span(key_start, key_start + max(1, len(key)))
        value_start = lead + len(raw_key) + 1 + len(raw_value) - len(raw_value.lstrip())
        value_span = src.span(value_start, value_start + max(1, len(value)))
        if not key or not value or " " in key:
            report(found, "VF801", "a sysctl setting is KEY = VALUE with one key and a value" if key
                   else "a value with no key", span, hint="write KEY = VALUE, e.g. net.ipv4.ip_forward = 1")
            continue
        key = key.replace("/", ".")  # sysctl also accepts net/ipv4/ip_forward
        _sysctl_key(found, key, key_span)
        m = _COMMENT_IN_VALUE.search(value)
        if m:
            report(found, "VF803", f"the value of {key} is '{value}': sysctl.conf has no comments after a value, "
                                   "so the kernel is given the comment too and refuses it",
                   src.span(value_start + m.start() + 1, value_start + len(value)),
                   hint=f"put the comment on a line of its own: {key} = {value[:m.start()].strip()}")
        setting = Setting(key, value, span)
        settings.append(setting)
        entries.append(Entry(key, value, span, key_span, value_span))
    found.document = Document("sysctl", path, tuple(entries))
    if settings:
        found.add("sysctl", *settings)
    return found


def _sysctl_key(found: Found, key: str, span) -> None:
    root = key.split(".", 1)[0]
    if root not in SYSCTL_ROOTS:
        report(found, "VF802", f"'{key}' is not a sysctl key: keys start with one of "
                               f"{', '.join(sorted(SYSCTL_ROOTS))}", span,
               hint=_suggest(key) or "see `sysctl -a` for the keys of the running kernel")
    elif key not in SYSCTL_KNOWN:
        close = _suggest(key)
        if close:
            report(found, "VF802", f"unknown sysctl key '{key}'", span, hint=close)


def _suggest(key: str) -> str | None:
    match = difflib.get_close_matches(key, SYSCTL_KNOWN, n=1, cutoff=_CLOSE)
    return f"did you mean '{match[0]}'?" if match else None


# ---------------------------------------------------------------- modprobe.conf

# module-init-tools 3.3 (RHEL 5) commands; anything else is ignored with a warning.
MODPROBE_COMMANDS = ("alias", "options", "install", "remove", "include", "blacklist")
# The fewest words each command needs after its name.
_MODPROBE_ARGS = {"alias": 2, "options": 2, "install": 2, "remove": 2, "include": 1, "blacklist": 1}
_MODULE = re.compile(r"^[A-Za-z0-9_*?\[\]-]+$")
_PARAM = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*(=.*)?$")
# pciback's hide list: (dddd:bb:ss.f) or (bb:ss.f) groups, one per device (guide §14.4).
_HIDE = re.compile(r"^(\((?:[0-9a-fA-F]{1,4}:)?[0-9a-fA-F]{1,2}:[0-9a-fA-F]{1,2}\.[0-7]\))+$")


def read_modprobe(text: str, path: str) -> Found:
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
        span = line_span(found, offset, line)
        cmd, cstart, cend = ws[0]
        cmd_span = src.span(cstart, cend)
        if cmd not in MODPROBE_COMMANDS:
            _unknown_command(found, cmd, ws, cmd_span)
            continue
        args = ws[1:]
        comment = next((w for w in args if w[0].startswith("#")), None)
        if comment is not None:
            report(found, "VF812", f"'{cmd}' lines have no comments after them: modprobe takes "
                                   f"'{text[comment[1]:ws[-1][2]]}' as arguments",
                   src.span(comment[1], ws[-1][2]), hint="put the comment on a line of its own")
            continue
        if len(args) < _MODPROBE_ARGS[cmd]:
            want = {"alias": "alias NAME MODULE", "options": "options MODULE NAME=VALUE ...",
                    "install": "install MODULE COMMAND...", "remove": "remove MODULE COMMAND...",
                    "include": "include FILE", "blacklist": "blacklist MODULE"}[cmd]
            report(found, "VF812", f"'{cmd}' needs {want}; modprobe ignores this line", span, hint=f"write {want}")
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
    found.document = Document("modprobe", path, tuple(entries))
    if settings:
        found.add("modprobe", *settings)
    return found


def _unknown_command(found: Found, cmd: str, ws, span) -> None:
    from virtc.suggest import did_you_mean

    if len(ws) == 1 and _MODULE.match(cmd):
        report(found, "VF811", f"'{cmd}' alone is not a modprobe command; modprobe ignores the line", span,
               hint=f"to keep the module from loading write `blacklist {cmd}` (in /etc/modprobe.d/blacklist)")
    else:
        report(found, "VF811", f"unknown modprobe.conf command '{cmd}'; modprobe ignores the line", span,
               hint=did_you_mean(cmd, MODPROBE_COMMANDS) or f"commands are {', '.join(MODPROBE_COMMANDS)}")


def _options_ok(found: Found, module: str, params) -> bool:
    src = found.source
    ok = True
    for i, (word, start, end) in enumerate(params):
        if not _PARAM.match(word):
            before = params[i - 1][0] if i else ""
            hint = f"write {before}={word}" if before and "=" not in before else "write NAME=VALUE"
            report(found, "VF812", f"'{word}' is not a module parameter (NAME=VALUE) of {module}",
                   src.span(start, end), hint=hint)
            ok = False
        elif module == "pciback" and word.startswith("hide=") and not _HIDE.match(word[len("hide="):]):
            report(found, "VF812", f"pciback's hide list '{word[len('hide='):]}' is not a run of "
                                   "(dddd:bb:ss.f) device groups", src.span(start, end),
                   hint="hide=(0000:09:00.0)(0000:0a:04.1), one group per device, no spaces or commas")
            ok = False
    return ok
