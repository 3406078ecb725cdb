"""/etc/sysctl.conf: kernel settings at boot (`sysctl -p`). The guide's procedures set IP
forwarding and bridge netfilter (§7.3, §10.1). Settings read the way the language's
`sysctl KEY VALUE` makes them: `net.ipv4.ip_forward = 1` is
Setting("net.ipv4.ip_forward", "1"), so what virtc wrote reads back as its model."""
from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from functools import lru_cache

from virtc import fixes
from virtc.bounds import BOUNDS
from virtc.diagnostics import Severity
from virtc.documents import Document, Entry
from virtc.model import Setting
from virtc.readback import Found
from virtc.rules.base import Rule, Scope, rules_in
from virtc.schemas import load
from virtc.source import SourceFile
from virtc.suggest import close_match

from .format import Artifact, Format
from .lines import line_span, logical_lines, report

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


def read(text: str, path: str) -> Found:
    """sysctl.conf as `sysctl -p` (procps 3.2.7) reads it: comments are whole lines
    starting with # or ;, each other line is KEY = VALUE with blanks around both trimmed."""
    found = Found(SourceFile(path, text), "sysctl")
    src = found.source
    settings, entries = [], []
    # the unknown keys compared with the kernel's for a misspelling, and those past the bound:
    # a real sysctl.conf has a few dozen lines, and each comparison is difflib's against
    # hundreds of keys (a file of thousands of unknown keys took seconds)
    looked: set[str] = set()
    unjudged: set[str] = set()
    for offset, line in logical_lines(text, continuation=False):
        body = line.lstrip()
        if body.startswith(("#", ";")):
            continue
        span = line_span(found, offset, line)
        lead = offset + len(line) - len(body)
        if "=" not in body:
            report(found, SysctlSyntax, f"'{body.strip()}' has no '='; sysctl -p skips it (\"invalid syntax\")", span,
                   hint="write KEY = VALUE, e.g. net.ipv4.ip_forward = 1")
            continue
        raw_key, _, raw_value = body.partition("=")
        key, value = raw_key.strip(), raw_value.strip()
        key_start = lead + len(raw_key) - len(raw_key.lstrip())
        key_span = src.span(key_start, key_start + max(1, len(key)))
        value_start = lead + len(raw_key) + 1 + len(raw_value) - len(raw_value.lstrip())
        value_span = src.span(value_start, value_start + max(1, len(value)))
        if not key or not value or " " in key:
            report(found, SysctlSyntax, "a sysctl setting is KEY = VALUE with one key and a value" if key
                   else "a value with no key", span, hint="write KEY = VALUE, e.g. net.ipv4.ip_forward = 1")
            continue
        key = key.replace("/", ".")  # sysctl also accepts net/ipv4/ip_forward
        _sysctl_key(found, key, key_span, looked, unjudged)
        m = _COMMENT_IN_VALUE.search(value)
        if m:
            cut = value_start + len(value[:m.start()].rstrip())
            line_start = src.line_starts[span.line - 1]
            fix = fixes.Fix("move the comment above the setting", src.path, (
                fixes.Edit(line_start, line_start, value[m.start():].strip() + fixes.newline(src)),
                fixes.Edit(cut, value_start + len(value), "")))
            # A number is taken, then the rest refused: the kernel parses the value as numbers
            # and stops at the '#', and procps' sysctl -p writes the rest again and reports the
            # EINVAL. Text (core_pattern) keeps the comment as part of itself.
            numbers = re.fullmatch(r"[\s0-9-]+", value[:m.start()]) is not None
            effect = ("the kernel takes the number before it, refuses the rest, and `sysctl -p` reports an error"
                      if numbers else "the kernel is given the comment as part of the value")
            report(found, SysctlTrailingComment, f"the value of {key} is '{value}': sysctl.conf has no comments "
                                                 f"after a value, so {effect}",
                   src.span(value_start + m.start() + 1, value_start + len(value)),
                   hint=f"put the comment on a line of its own: {key} = {value[:m.start()].strip()}", fix=fix)
        setting = Setting(key, value, span)
        settings.append(setting)
        entries.append(Entry(key, value, span, key_span, value_span))
    if unjudged:
        limit = BOUNDS["sysctl_misspellings"]
        report(found, SysctlUnknownKey, f"{len(unjudged):,} more unknown keys were not compared with the kernel's "
                                        f"for a misspelling: virtc compares the first {limit.shown} of a file",
               None, severity=Severity.INFO, hint="a sysctl.conf of that many unknown keys is no kernel's")
    found.document = Document("sysctl", path, tuple(entries))
    if settings:
        found.add("sysctl", *settings)
    return found


def _sysctl_key(found: Found, key: str, span, looked: set[str], unjudged: set[str]) -> None:
    root = key.split(".", 1)[0]
    if root not in SYSCTL_ROOTS:
        report(found, SysctlUnknownKey, f"'{key}' is not a sysctl key: keys start with one of "
                               f"{', '.join(sorted(SYSCTL_ROOTS))}", span,
               hint=(_suggest(key) if _look(key, looked, unjudged) else None)
               or "see `sysctl -a` for the keys of the running kernel")
    elif not _known(key) and _look(key, looked, unjudged):
        guess = close_match(key, _candidates(key), _CLOSE)
        if guess:
            report(found, SysctlUnknownKey, f"unknown sysctl key '{key}'", span, hint=f"did you mean '{guess}'?",
                   fix=fixes.replace(f"write {guess}", span, guess, safe=False))


def _look(key: str, looked: set[str], unjudged: set[str]) -> bool:
    """Whether to compare `key` with the kernel's keys: within the bound's first distinct
    unknown keys of the file (BOUNDS["sysctl_misspellings"]); the others are counted."""
    if key in looked or len(looked) < BOUNDS["sysctl_misspellings"].value:
        looked.add(key)
        return True
    unjudged.add(key)
    return False


def _suggest(key: str) -> str | None:
    match = close_match(key, _candidates(key), _CLOSE)
    return f"did you mean '{match}'?" if match else None


@lru_cache(maxsize=1)
def _table() -> tuple[frozenset, dict[str, frozenset], dict[str, tuple]]:
    """The kernel's keys (schemas/sysctl-keys.json and the guide's), the parameters every
    network interface has under each of net.ipv4.conf, net.ipv6.conf ... and the keys by
    the key they are in (net.ipv4.tcp_rmem under "net.ipv4")."""
    data = load("sysctl-keys.json")
    keys = frozenset(data["keys"]) | frozenset(SYSCTL_KNOWN)
    by_parent: dict[str, list] = {}
    for k in sorted(keys):
        by_parent.setdefault(k.rpartition(".")[0], []).append(k)
    return (keys, {pre: frozenset(params) for pre, params in data["interface_params"].items()},
            {parent: tuple(ks) for parent, ks in by_parent.items()})


def _interface_setting(key: str) -> tuple[str, str, str] | None:
    """(net.ipv4.conf, eth0, rp_filter) for an interface's setting, whatever the interface."""
    parts = key.split(".")
    pre = ".".join(parts[:3])
    if len(parts) >= 5 and pre in _table()[1]:
        return pre, parts[3], ".".join(parts[4:])
    return None


def _known(key: str) -> bool:
    keys, interfaces, _ = _table()
    if key in keys:
        return True
    setting = _interface_setting(key)
    return setting is not None and setting[2] in interfaces[setting[0]]


def _candidates(key: str) -> tuple[str, ...]:
    """The known keys a misspelling of `key` would be: the same interface's settings, the
    keys beside it (same parent), else those of its depth (a misspelt parent, net.brige...,
    or root, ne.ipv4...); of them, only those of a length a close match can have."""
    keys, interfaces, by_parent = _table()
    setting = _interface_setting(key)
    if setting is not None:
        pre, iface, params = setting
        # the parameter alone is compared: the interface's name is the key's own
        return tuple(f"{pre}.{iface}.{p}" for p in _near(params, tuple(sorted(interfaces[pre]))))
    parent = key.rpartition(".")[0]
    if parent in by_parent:
        return _near(key, by_parent[parent])
    return _near(key, _by_depth(key.count(".")))


@lru_cache(maxsize=None)
def _by_depth(dots: int) -> tuple[str, ...]:
    return tuple(k for k in sorted(_table()[0]) if k.count(".") == dots)


def _near(word: str, choices: tuple[str, ...]) -> tuple[str, ...]:
    """The choices whose length allows a match of _CLOSE (difflib's ratio is at most
    2*min/(a+b)): a file of thousands of unknown keys compares each with few keys."""
    lengths, ordered = _by_length(choices)
    lo = bisect_left(lengths, len(word) * _CLOSE / (2 - _CLOSE))
    hi = bisect_right(lengths, len(word) * (2 - _CLOSE) / _CLOSE)
    return ordered[lo:hi]


@lru_cache(maxsize=None)
def _by_length(choices: tuple[str, ...]) -> tuple[list[int], tuple[str, ...]]:
    ordered = tuple(sorted(choices, key=lambda k: (len(k), k)))
    return [len(k) for k in ordered], ordered


# ---------------------------------------------------------------- writing

def emit(model) -> list[Artifact]:
    """Lines for /etc/sysctl.conf, written only when the host needs them: bridge netfilter
    and IP forwarding (guide §7.3, §10)."""
    out = []
    for h in model.hosts:
        if h.sysctl:
            lines = ["# Written by virtc: append to /etc/sysctl.conf, then run sysctl -p."]
            lines += [f"{s.key} = {s.value}" for s in h.sysctl]
            out.append(Artifact(f"{h.name}/etc/sysctl.conf", "\n".join(lines) + "\n", source=h.owner))
    return out


# ---------------------------------------------------------------- format-level rules

class SysctlSyntax(Rule):
    """Each line of sysctl.conf is KEY = VALUE.

    What it checks: lines that are not comments (# or ;) and have no '=', no key or no
    value.

    Why: the guide's bridge and forwarding settings are `key = value` lines appended to
    /etc/sysctl.conf and loaded with `sysctl -p /etc/sysctl.conf` (§7.3, lines 850-855;
    §10.2, lines 1587-1591; §10.1, line 1515). sysctl skips a line without '=' ("invalid
    syntax"), so the setting never reaches the kernel.

    Example:
        net.ipv4.ip_forward 1

    Fix: `net.ipv4.ip_forward = 1`.
    """

    code, name, severity = "VF801", "sysctl-syntax", Severity.ERROR
    checklist, section, lines = ("NET-08", "NET-19"), "§7.3", "850-855, 1515, 1587-1591"
    scope = Scope.READER


class SysctlUnknownKey(Rule):
    """sysctl.conf keys are kernel parameters, spelt as the kernel spells them.

    What it checks: a key whose first part is not one of /proc/sys's (net, kernel, vm,
    fs, dev, ...), an error; and a key that is no kernel key (schemas/sysctl-keys.json:
    RHEL 5's and later kernels' keys, any interface's settings) a letter or two away from
    one that is (net.ipv4.ip_forward, net.bridge.bridge-nf-call-iptables ...), a warning
    with the key meant.

    Why: sysctl -p reports "unknown key" and goes on, so a misspelt bridge setting leaves
    bridged traffic filtered by iptables (§7.3, lines 848-852; §10.2, lines 1585-1589) and
    a misspelt ip_forward leaves NAT networks without forwarding (§18.4, line 3018).

    Example:
        net.bridge.bridge-nf-call-iptable = 0

    Fix: `net.bridge.bridge-nf-call-iptables = 0`.
    """

    code, name, severity = "VF802", "sysctl-unknown-key", Severity.WARNING
    checklist, section, lines = ("NET-08", "NET-19"), "§7.3", "848-852, 1585-1589, 3018"
    scope = Scope.READER
    fix, fix_title = "unsafe", 'replace the key with the known key it is closest to (a guess: check it)'


class SysctlTrailingComment(Rule):
    """A comment in sysctl.conf is a line of its own.

    What it checks: a '#' or ';' after a value.

    Why: sysctl.conf comments are whole lines; sysctl passes everything after '=' to the
    kernel. Of `0  # no netfilter on bridges` the kernel takes the 0 and refuses the rest,
    so `sysctl -p` (rc.sysinit's "Configuring kernel parameters") fails on every boot for
    the bridge setting of the guide (§7.3, lines 850-852); a text value (core_pattern)
    takes the comment in as part of itself.

    Example:
        net.bridge.bridge-nf-call-iptables = 0   # let bridged traffic through

    Fix: put the comment on the line above.
    """

    code, name, severity = "VF803", "sysctl-trailing-comment", Severity.ERROR
    checklist, section, lines = ("NET-19",), "§7.3", "850-855"
    scope = Scope.READER
    fix, fix_title = "safe", 'move the comment to a line of its own above the setting'


def recognise(text: str, name: str = "") -> bool:
    """Every setting line is `a.dotted.key = value` under a /proc/sys root."""
    lines = [x.strip() for x in text.splitlines() if x.strip() and not x.strip().startswith(("#", ";"))]
    return bool(lines) and all(re.match(r"^(%s)\.[\w.-]+\s*=" % "|".join(SYSCTL_ROOTS), x) for x in lines)


FORMAT = Format(
    "sysctl", "kernel settings (/etc/sysctl.conf)",
    paths=("etc/sysctl.conf",), names=("*sysctl.conf",), recognise=recognise, read=read, emit=emit,
    target="hostfiles", rules=rules_in(globals()), facts=("sysctl",), single=True, comments="#;")
