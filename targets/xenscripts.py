"""/etc/xen/scripts/*: the scripts xend runs (network-script, vif-script, a vif's script=).

Read only, and only for two things: which scripts the host has (a tree that holds the
folder says so; one without it says nothing), and the bridges a wrapper script makes by
calling network-bridge (or the guide's copy, network-bridge.xen) with bridge=, netdev=
and vifnum= arguments, once per bridge (§11.1, lines 1635-1662), or by `brctl addbr`.
Scripts are shell: the text is read, never run. Only simple command lines are read (a
variable set to a literal, a call whose script and arguments are written out); a call
whose bridge depends on anything else (a loop variable, a command's output) leaves the
script's bridges unknown, and virtc then guesses nothing.
"""
from __future__ import annotations

import re
import shlex
from dataclasses import dataclass

from virtc.limits import limits
from virtc.model import Bridge, Host
from virtc.netscript import NO_BRIDGE, XENBR, is_network_bridge, network_bridge, script_name, split
from virtc.readback import Found
from virtc.source import SourceFile, Span

from .format import Format
from .lines import logical_lines

NAME = "xen-scripts"


@dataclass(frozen=True, slots=True)
class MadeBridge:
    """A bridge a script makes: its name, the interface in it (None: not said) and the
    command line that makes it."""

    bridge: str
    netdev: str | None
    span: Span


@dataclass(frozen=True, slots=True)
class XenScript:
    """One file of /etc/xen/scripts, as found.host["xen_script"]."""

    name: str
    bridges: tuple[MadeBridge, ...]  # from network-bridge calls and `brctl addbr`, first call of each
    unknown: bool  # a call whose bridge the text does not spell out (or none recognised)


_ASSIGN = re.compile(r"^(?:export\s+|local\s+|readonly\s+)?([A-Za-z_][A-Za-z0-9_]*)=(\S*)\s*$")
_CASE_LABEL = re.compile(r"^\s*[A-Za-z0-9_|*\"'-]+\)\s*")  # `start)` before a command on one line
_REF = re.compile(r"^\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))\Z")
_RUNNERS = {"exec", "command", "sh", "bash", "/bin/sh", "/bin/bash", "/usr/bin/env", "env"}
_SEPARATORS = {";", ";;", "&&", "||", "|", "&"}
_ARGS = ("vifnum", "bridge", "netdev")
# An explicit operation other than start makes nothing ("$@" and $1 pass xend's start on).
_NOT_START = {"stop", "status"}


def _words(line: str) -> list[str] | None:
    """The line's words and separators as sh splits them (quotes removed), or None for a
    line sh would read on (an open quote)."""
    lex = shlex.shlex(line, posix=True, punctuation_chars=";&|")
    lex.whitespace_split = True
    lex.commenters = "#"
    try:
        return list(lex)
    except ValueError:
        return None


def _code_end(line: str) -> int:
    """Where the line's command ends: before a `#` comment outside quotes, blanks cut."""
    quote, i = "", 0
    while i < len(line):
        c = line[i]
        if c == "\\" and quote != "'":
            i += 2
            continue
        if quote:
            quote = "" if c == quote else quote
        elif c in "'\"":
            quote = c
        elif c == "#" and (i == 0 or line[i - 1] in " \t;"):
            break
        i += 1
    return len(line[:i].rstrip())


def _expand(word: str, variables: dict[str, str]) -> str:
    """$NAME or ${NAME} alone, as the literal the script set it to; anything else as is."""
    m = _REF.match(word)
    if m:
        return variables.get(m.group(1) or m.group(2), word)
    return word


def _commands(words: list[str]):
    current: list[str] = []
    for w in words:
        if w in _SEPARATORS:
            if current:
                yield current
            current = []
        else:
            current.append(w)
    if current:
        yield current


def read(text: str, path: str) -> Found:
    src = SourceFile(path, text)
    found = Found(src, NAME)
    name = path.replace("\\", "/").rsplit("/", 1)[-1]
    variables: dict[str, str] = {}
    made: dict[str, MadeBridge] = {}
    unknown = False
    for offset, line in logical_lines(text):
        stripped = line.strip()
        m = _ASSIGN.match(stripped)
        if m:
            value = _words(m.group(2))
            variables[m.group(1)] = value[0] if value and len(value) == 1 else "$?"
            continue
        body = _CASE_LABEL.sub("", line) if _CASE_LABEL.match(line) and not stripped.startswith("#") else line
        words = _words(body)
        if not words:
            continue
        lead = len(line) - len(line.lstrip())
        span = src.span(offset + lead, offset + _code_end(line))
        for cmd in _commands(words):
            env = {}
            while cmd and "=" in cmd[0] and not cmd[0].startswith(("=", "$")):
                key, value = cmd.pop(0).split("=", 1)
                env[key] = value
            while cmd and cmd[0] in _RUNNERS:
                cmd.pop(0)
            if not cmd:
                continue
            program = _expand(cmd[0], variables)
            if program == "brctl" and len(cmd) >= 3 and cmd[1] in ("addbr", "addif"):
                bridge = _expand(cmd[2], variables)
                if "$" in bridge or "`" in bridge:
                    unknown = True
                elif cmd[1] == "addbr":
                    made.setdefault(bridge, MadeBridge(bridge, None, span))
                elif len(cmd) >= 4 and bridge in made and made[bridge].netdev is None:
                    dev = _expand(cmd[3], variables)
                    if "$" not in dev:
                        made[bridge] = MadeBridge(bridge, dev, made[bridge].span)
                continue
            if not is_network_bridge(program) or program.rsplit("/", 1)[-1] == name:
                continue
            args = cmd[1:]
            if args and args[0] in _NOT_START:
                continue
            given = dict(env)
            for a in args:
                if "=" in a:
                    key, value = a.split("=", 1)
                    given[key] = _expand(value, variables)
            pair = network_bridge({k: v for k, v in given.items() if k in _ARGS})
            if pair is None:
                unknown = True
                continue
            made.setdefault(pair[0], MadeBridge(pair[0], pair[1], span))
    found.host["xen_script"] = XenScript(name, tuple(made.values()), unknown or not made)
    return found


def scripts(founds) -> list[XenScript]:
    """The scripts of /etc/xen/scripts read for one host."""
    return [f.host["xen_script"] for f in founds if isinstance(f.host.get("xen_script"), XenScript)]


def xend_bridges(host: Host, found: list[XenScript], used: set[str], interfaces=()) -> tuple[Bridge, ...]:
    """The bridges the network-script of a Xen host's xend-config.sxp makes, as Bridges
    whose `xend_script` is the span of that line; those an ifcfg file defines already are
    left out. network-bridge (or a copy) makes the one its arguments name; a script of
    the tree is read for its calls; network-route and network-nat make none, and so does
    xend without a network-script (it then runs none). When the script's bridges cannot
    be read (the script is not in the tree, or its calls depend on the shell), the xenbrN
    bridges the guests use are taken as the script's, as xen's scripts name them: virtc
    does not call a bridge missing on a guess. `interfaces` are the host's ifcfg records:
    the address of the interface a bridge takes in is the host's address on it (§11.2,
    lines 1689-1713, a static address on dummy0 for xenbr0)."""
    setting = host.setting("xend", "network-script") if host.hypervisor == "xen" else None
    if setting is None:
        return ()
    script, args = split(setting.value)
    name = script_name(script)
    if script == limits()["xen.network_script_off"].value or name in NO_BRIDGE:
        return ()
    made: list[tuple[str, str | None, Span]] = []
    if is_network_bridge(name):
        pair = network_bridge(args)
        known = pair is not None
        made = [(pair[0], pair[1], setting.span)] if pair else []
    else:
        wrapper = next((s for s in found if s.name == name), None)
        known = wrapper is not None and not wrapper.unknown
        made = [(b.bridge, b.netdev, b.span) for b in wrapper.bridges] if known else []
    if not known:
        made = [(b, None, setting.span) for b in sorted(used) if XENBR.match(b)]
    have = {b.name for b in host.bridges}
    nics = {r.device: r for r in interfaces if not r.bridge_type}
    out = []
    for bridge, netdev, span in made:
        if bridge in have:
            continue
        have.add(bridge)
        nic = nics.get(netdev) if netdev else None
        out.append(Bridge(bridge, netdev, None, nic.bootproto if nic else "none", nic.ip if nic else None,
                          nic.gateway if nic else None, None, False, 0, span, host.owner.of(f"bridge {bridge}"),
                          xend_script=setting.span))
    return tuple(out)


FORMAT = Format(
    NAME, "xend's scripts (/etc/xen/scripts): which exist, and the bridges a wrapper of network-bridge makes",
    paths=("etc/xen/scripts/*",), exclude=("*.pyc", "*.pyo", "*.so", "*.o"), read=read,
    comments="#", trailing=True,
    notes=("read as text, never run: only which scripts exist and the network-bridge calls of a wrapper",))
