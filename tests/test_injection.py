"""Injection-proof output (acceptance point).

Every value that reaches a generated file is validated or escaped so that it cannot add a
line, key, option or command to grub.conf, an ifcfg file (sourced by bash), a udev rule,
multipath.conf, xend-config.sxp, an xm file (executed as Python by xend), modprobe.conf,
sysctl.conf, rc.local (run by sh) or XML; values that cannot be carried are rejected with a
diagnostic on the statement's line.

How it is proved:

* ``test_hostile_fleet``: a small fleet (a Xen host with PV and HVM guests, a KVM host with
  a guest, a migration peer) has ~60 user-controlled positions. Up to 14 of them get a
  hostile but *acceptable* value (the characters their check lets through: ``#``, ``;``,
  ``=``, ``,``, braces, ``..`` inside names, ``+``, ``%``, ``~``, ``$(`` in patterns, ...),
  and up to three get arbitrary hostile text (quotes, backslashes, newlines, tabs, CR,
  ``$()``, backticks, non-ASCII, ``{name}``, ``touch pwned`` payloads) or an acceptable
  value with one such character put in. Then:
  compiling never raises; on error, every error names a line holding a hostile value,
  every value with a character no file can carry is diagnosed on its own line, and
  ``virtc build`` writes nothing; without errors, every artifact is read back the way its
  consumer reads it (bash sources the ifcfg files and runs rc.local with a stub tgtadm,
  ``ast`` parses the xm files *as bytes* like Python's execfile, lxml parses the XML,
  virtc's readers and emulations of procps / module-init-tools / xend's sxp parser read
  the line formats) and must give exactly the model's values, the model must hold
  exactly what the .virt file said, and no ``pwned`` marker file may appear.
* ``test_every_position_rejects_or_carries``: each of ~60 characters and payloads is put
  into every position at once; each position either carries a diagnostic on its own line
  (always, for quotes, control characters, non-ASCII) or the fleet with the piece in all
  the accepting positions compiles and reads back exactly (the same checks as above).
* ``test_shell_value_*``, ``test_sxp_value_*``, ``test_xm_q_*``: the escaping helpers over
  arbitrary text (bash, an emulation of xend's sxp parser, Python's ast).
* ``test_reported_injection_is_refused_or_carried`` / ``test_empty_value_is_refused``: the
  injections, crashes and gaps found while writing this file, each kept as an exact input
  (all fixed; the strategies range over every value).
"""
from __future__ import annotations

import ast
import ipaddress
import os
import posixpath
import re
import string
import subprocess
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from lxml import etree

import virtc.grammar
from virtc import api
from virtc.build import artifacts, unsafe_path, write_tree
from virtc.readers import read_text
from virtc.resolve import compile_text
from virtc.targets import grub, ifcfg, multipath, rclocal, scsi_id, udev, xend, xm

from conftest import examples

SETTINGS = dict(deadline=None, derandomize=False,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.filter_too_much])
MARKER = "pwned"
GRAMMAR = Path(virtc.grammar.__file__).with_name("virtc.lark").read_text()
KEYWORDS = set(re.findall(r'"([A-Za-z][A-Za-z0-9_-]*)"', GRAMMAR)) | {
    "on", "off", "yes", "no", "true", "false", "pae", "auto"} | set(
    "file phy virtio qemu".split())
# output file names: no value may add a blank, a quote or a control character to one
SAFE_PATH = re.compile(r"[A-Za-z0-9_.+@%:~-]+(/[A-Za-z0-9_.+@%:~-]+)*")
# no generated file can carry these in any value
FORBIDDEN = "\"'`\t\r\0\n\x0b\x0c\x7f"
READER_ERRORS = {"VF001", "VF101", "VF102", "VF301", "VF401", "VF411"}

# ---------------------------------------------------------------- hostile text

HOSTILE_CHARS = ("aZ09_-./ '\"\\\n\t$()`#;=,{}:@%+~!&|<>*?[]^\r\x0b\x0c\x7f\x00"
                 "\u00e9\u00df\u2603\u2028\u0085\U0001f600")
FRAGMENTS = [
    f"$(touch {MARKER})", f"`touch {MARKER}`", f"; touch {MARKER}", f"\ntouch {MARKER}\n",
    f"' ; touch {MARKER} ; '", f'"; import os; os.system("touch {MARKER}"); x = "',
    f"')(touch {MARKER})('", "..", "../..", "/..", "#", '"', "'", "\\", "\\\n", "\n", "\t",
    " ", "=", ",", "</name><x/>", "]]>", "&amp;", "${IFS}", "$HOME", "{", "}", "\r\n",
    "+ACI-", "coding: utf-7", "\u00e9", "\x00", "\\x41", "\\101", "(", ")", "*",
]
# DSL-level pieces put into a string verbatim (not escaped): interpolation and escapes.
RAW_PIECES = ["{name}", "{host}", "{nosuch}", "{", "}", "\\q", "\\n", "{{", "}}"]


def dsl_escape(value: str, interp: bool) -> str:
    out = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t")
    if interp:
        out = out.replace("{", "{{").replace("}", "}}")
    return out


@st.composite
def hostile_string(draw):
    """(the string's body as written in the .virt file, an approximation of its value)."""
    body, approx = [], []
    for _ in range(draw(st.integers(0, 6))):
        kind = draw(st.integers(0, 9))
        if kind < 4:
            piece = draw(st.sampled_from(FRAGMENTS))
        elif kind < 8:
            piece = draw(st.text(HOSTILE_CHARS, min_size=1, max_size=4))
        else:
            raw = draw(st.sampled_from(RAW_PIECES))
            body.append(raw)
            approx.append({"\\q": "q", "\\n": "\n"}.get(raw, raw))
            continue
        body.append(dsl_escape(piece, interp=False))
        approx.append(piece)
    return '"' + "".join(body) + '"', "".join(approx)


NEAR_MISSES = list(HOSTILE_CHARS) + ["..", "/..", "//", "/./", "$(", "${", "\\\n", "\r\n", "+ACI-",
                                      f"$(touch {MARKER})", f"; touch {MARKER}", "coding: x"]


@st.composite
def near_miss(draw, key):
    """An acceptable value of the position with one hostile character or fragment put in."""
    kind, interp = POSITIONS[key]
    value = draw(KINDS[kind])
    at = draw(st.integers(0, len(value)))
    value = value[:at] + draw(st.sampled_from(NEAR_MISSES)) + value[at:]
    return '"' + dsl_escape(value, interp) + '"', value


TOKEN_CHARS = string.ascii_letters + string.digits + "_.-"


@st.composite
def hostile_token(draw):
    """Something in a NAME position: NAME-ish text, keywords, leading digits, long names."""
    text = draw(st.one_of(st.text(TOKEN_CHARS, min_size=1, max_size=20),
                          st.sampled_from(sorted(KEYWORDS)),
                          st.sampled_from(["..", "a..b", "_x", "x" * 16, "x" * 70, "1abc", "-"])))
    return text, text


# ---------------------------------------------------------------- acceptable values

def _comp():
    return st.one_of(st.text(string.ascii_letters + string.digits + "_.:+@%~-", min_size=1, max_size=8),
                     st.sampled_from(["a..b", "..x", "x..", "~", "+ACI-", "%s", "@", ":", "-", "x.y"])
                     ).filter(lambda c: c not in (".", ".."))


PATHS = st.lists(_comp(), min_size=1, max_size=4).map(lambda cs: "/" + "/".join(cs))
TEXT_ALPHABET = "".join(c for c in map(chr, range(0x20, 0x7f)) if c not in "\"'\\`$")
PATTERN_ALPHABET = "".join(c for c in map(chr, range(0x20, 0x7f)) if c not in "\"'`")
TEXT = st.one_of(st.text(TEXT_ALPHABET, max_size=25),
                 st.lists(st.sampled_from([f"; touch {MARKER}", "#", f"&& touch {MARKER}", "|", ">x",
                                           "(", ")", "..", "=", ",", "{", "}", " ", "a=b", "title x",
                                           "  "]), max_size=5).map("".join))
PATTERN = st.one_of(st.text(PATTERN_ALPHABET, max_size=25),
                    st.lists(st.sampled_from([f"$(touch {MARKER})", "\\", "\\\\", "$", "#", ";", "(",
                                              ")", " ", "\\x41", "\\101", "\\n", "=", "..", "{", "}"]),
                             max_size=5).map("".join))


def _regex_ok(text: str, pieces: bool = False) -> bool:
    try:
        for p in (text.split() if pieces else [text]):
            re.compile(p)
    except re.error:
        return False
    return True


NAMES = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,20}", fullmatch=True).filter(
    lambda s: ".." not in s)
NAME_TOKENS = st.from_regex(r"[A-Za-z][A-Za-z0-9_.\-]{0,20}", fullmatch=True).filter(
    lambda s: ".." not in s and s not in KEYWORDS)
IFNAMES = st.from_regex(r"[A-Za-z][A-Za-z0-9_.\-]{0,14}", fullmatch=True).filter(
    lambda s: s not in KEYWORDS)
KEY_TOKENS = st.from_regex(r"[A-Za-z_][A-Za-z0-9_.\-]{0,20}", fullmatch=True).filter(
    lambda s: s not in KEYWORDS)
PASSWORDS = st.from_regex(r"[A-Za-z0-9_.@%+\-!#^*]{1,20}", fullmatch=True)
VERSIONS = st.from_regex(r"[0-9][0-9A-Za-z._\-]{0,20}", fullmatch=True)
SHELL_SAFE = st.from_regex(r"[A-Za-z0-9.:,=+@%/_\-]{1,30}", fullmatch=True)
# an IQN may hold only [A-Za-z0-9.:_-]; an iSCSI allow is ALL or an address/CIDR
IQNS = st.from_regex(r"[A-Za-z0-9.:_\-]{1,30}", fullmatch=True)
ALLOWS = st.one_of(st.just("ALL"), st.ip_addresses(v=4).map(str),
                   st.builds(lambda a, n: f"{a}/{n}", st.ip_addresses(v=4), st.integers(0, 32)))
_RANGE = st.builds(lambda a, b, neg: ("^" if neg else "") + str(a) + (f"-{b}" if b is not None else ""),
                   st.integers(0, 64), st.none() | st.integers(0, 64), st.booleans())
CPUSETS = st.lists(_RANGE, min_size=1, max_size=4).map(",".join)
UUIDS = st.builds(lambda u, dash, up: (str(u) if dash else u.hex).upper() if up else (str(u) if dash else u.hex),
                  st.uuids(), st.booleans(), st.booleans())


def _mp_misread(t: str) -> bool:
    # multipath.conf would read these as a comment, a negation or a blank: refused (VR011)
    return t[:1] in ("", " ", "\t", "#", "!")


# kind -> hostile but acceptable values (what the position's check lets through)
KINDS = {
    "name": NAMES, "name_tok": NAME_TOKENS, "ifname_tok": IFNAMES, "key_tok": KEY_TOKENS,
    "path": PATHS, "text": TEXT, "pattern": PATTERN, "password": PASSWORDS, "version": VERSIONS,
    "uuid": UUIDS, "cpuset": CPUSETS, "iqn": IQNS, "allow": ALLOWS,
    "regex": PATTERN.filter(lambda t: t not in ("", "{") and _regex_ok(t) and not _mp_misread(t)),
    "regexes": PATTERN.filter(lambda t: _regex_ok(t, True)), "text1": TEXT.filter(bool),
    "desc": TEXT,
    "script": st.one_of(PATHS, NAMES),
}
TOKEN_KINDS = {"name_tok", "ifname_tok", "key_tok"}

# ---------------------------------------------------------------- the fleet
# key -> (kind, interpolated?); @KEY@ in the template is the value as a string (or a NAME
# token for token kinds), @KEY:s@ always as a string. One position per line (statements
# are continued with a backslash), so a diagnostic's line names its position.
POSITIONS = {
    "XHOST": ("name", False), "XKVER": ("version", False), "ROOTFS": ("path", False),
    "GARGS": ("text", False), "XARGS": ("text", False), "BRIDGE": ("ifname_tok", False),
    "NIC": ("ifname_tok", False), "MPNAME": ("name_tok", False), "DEVNODE": ("regex", False),
    "SYSKEY": ("key_tok", False), "SYSVAL": ("text", False), "XENDKEY": ("key_tok", False),
    "XENDVAL": ("pattern", False), "MOD1": ("key_tok", False), "MODVAL": ("text", False),
    "IQN": ("iqn", False), "LUNPATH": ("path", False), "ALLOW": ("allow", False),
    "EXPORT": ("path", False), "CLIENTS": ("text1", False), "MIGALLOW": ("regexes", False),
    "PV": ("name", False), "OSKVER": ("version", False), "BOOTLOADER": ("path", False),
    "BLARGS": ("text", True), "KARGS": ("text", True), "DISK1": ("path", True),
    "DISK2": ("path", True), "VIFNAME": ("ifname_tok", False), "SCRIPT": ("script", True),
    "PW1": ("password", False), "DESC1": ("desc", True), "HOSTNAME": ("pattern", True),
    "UUID": ("uuid", False), "CPUSET": ("cpuset", False),
    "PV2": ("name", False), "KPATH": ("path", True), "INITRD": ("path", True),
    "KARGS2": ("text", True), "DISK3": ("path", True),
    "HVM": ("name", False), "DISK4": ("path", True), "ISO": ("path", True),
    "FLOPPY": ("path", True), "PW2": ("password", False), "SERIAL": ("path", True),
    "DESC2": ("desc", True),
    "KHOST": ("name", False), "KKVER": ("version", False), "KGARGS": ("text", False),
    "LUNNAME": ("name_tok", False), "KSYSVAL": ("text", False),
    "KVM": ("name", False), "KDISK": ("path", True), "PW3": ("password", False),
    "DESC3": ("text", True), "KARGS3": ("text", True),
}

TEMPLATE = """\
host peer1 { hypervisor xen; memory 8G }
host @XHOST@ {
  hypervisor xen; arch x86_64; release 5.8
  kernel @XKVER@
  cpu intel cores 8 threads 16 flags vmx nx pae constant_tsc
  memory 32G; swap 8G
  dom0 memory 2G vcpus 2
  grub rootfs @ROOTFS@ serial com1
  grub args @GARGS@
  grub xen-args @XARGS@
  bridge @BRIDGE@ \\
    on @NIC@ ip 10.0.0.1/24 gateway 10.0.0.254 mtu 9000
  multipath @MPNAME@ wwid 3600805f30015987000000000768a0019
  blacklist devnode @DEVNODE@
  sysctl @SYSKEY@ \\
    @SYSVAL@
  xend @XENDKEY@ \\
    @XENDVAL@
  modprobe @MOD1@ \\
    @MODVAL@
  modprobe zz_second "opt=2"
  iscsi-target @IQN@ \\
    lun 1 @LUNPATH@ \\
    allow @ALLOW@
  export @EXPORT@ \\
    to @CLIENTS@ options "rw,sync"
  migration peers peer1 port 8002 address 10.0.0.1 allow @MIGALLOW@
  guest @PV@ {
    type xen-pv; os rhel5.8 x86_64; memory 1G; autostart
    os-kernel @OSKVER@
    bootloader @BOOTLOADER@ \\
      args @BLARGS@
    kernel-args @KARGS@
    disk xvda tap:aio @DISK1@
    disk xvdb phy @DISK2@
    nic bridge @BRIDGE:s@ \\
      vifname @VIFNAME@ \\
      script @SCRIPT@
    vnc password @PW1@
    description @DESC1@
    hostname @HOSTNAME@
    uuid @UUID@
    cpuset @CPUSET@
  }
  guest @PV2@ {
    type xen-pv; os rhel5.8 x86_64; memory 1G
    kernel @KPATH@ \\
      initrd @INITRD@ \\
      args @KARGS2@
    disk xvda file @DISK3@
    nic bridge @BRIDGE:s@
  }
  guest @HVM@ {
    type xen-hvm; os rhel5.8 x86_64; memory 1G
    disk hda file @DISK4@
    cdrom hdc @ISO@
    floppy fda @FLOPPY@
    nic bridge @BRIDGE:s@
    vnc password @PW2@
    serial file @SERIAL@
    description @DESC2@
  }
}
host @KHOST@ {
  hypervisor kvm; arch x86_64; release 5.8
  kernel @KKVER@
  cpu intel cores 4 threads 8 flags vmx nx constant_tsc
  memory 16G; swap 8G
  grub args @KGARGS@
  bridge br0 on eth0 ip 10.0.1.2/24
  lun @LUNNAME@ wwid 3600a0b800013275100000015427b625e
  sysctl vm.swappiness @KSYSVAL@
  guest @KVM@ {
    os rhel5.8 x86_64; memory 1G; autostart
    disk vda virtio @KDISK@
    nic bridge br0 model virtio
    vnc password @PW3@
    description @DESC3@
    kernel-args @KARGS3@
  }
}
"""
DEFAULTS = {
    "XHOST": "xen1", "XKVER": "2.6.18-308.el5", "ROOTFS": "/dev/VolGroup00/LogVol00",
    "GARGS": "quiet", "XARGS": "loglvl=all", "BRIDGE": "xenbr0", "NIC": "eth0", "MPNAME": "mp1",
    "DEVNODE": "^(ram|raw|loop)[0-9]*", "SYSKEY": "kernel.sysrq", "SYSVAL": "1",
    "XENDKEY": "xend-unix-server", "XENDVAL": "yes", "MOD1": "foo", "MODVAL": "opt=1",
    "IQN": "iqn.2001-04.com.example:tgt", "LUNPATH": "/dev/sdb", "ALLOW": "10.0.0.2",
    "EXPORT": "/srv/images", "CLIENTS": "10.0.0.0/24", "MIGALLOW": "^peer1$",
    "PV": "pv1", "OSKVER": "2.6.18-308.el5", "BOOTLOADER": "/usr/bin/pygrub",
    "BLARGS": "--entry=1", "KARGS": "console=xvc0", "DISK1": "/var/lib/xen/images/pv1.img",
    "DISK2": "/dev/mpath/mp1", "VIFNAME": "vif1", "SCRIPT": "vif-bridge", "PW1": "secret",
    "DESC1": "web server", "HOSTNAME": "pv1.example", "UUID": "12345678-1234-1234-1234-123456789abc",
    "CPUSET": "0-3", "PV2": "pv2", "KPATH": "/boot/vmlinuz-xen", "INITRD": "/boot/initrd-xen.img",
    "KARGS2": "ro root=/dev/xvda1", "DISK3": "/var/lib/xen/images/pv2.img", "HVM": "hvm1",
    "DISK4": "/var/lib/xen/images/hvm1.img", "ISO": "/srv/iso/rhel.iso", "FLOPPY": "/srv/floppy.img",
    "PW2": "pw2", "SERIAL": "/var/log/hvm1.log", "DESC2": "hvm", "KHOST": "kvm1",
    "KKVER": "2.6.18-308.el5", "KGARGS": "quiet", "LUNNAME": "lun1", "KSYSVAL": "10",
    "KVM": "kvm01", "KDISK": "/var/lib/libvirt/images/kvm01.img", "PW3": "pw3", "DESC3": "kvm guest",
    "KARGS3": "quiet",
}
assert set(DEFAULTS) == set(POSITIONS)
NAME_KEYS = ("XHOST", "KHOST", "PV", "PV2", "HVM", "KVM")


def render(values_: dict[str, str], raw: dict[str, str] | None = None) -> tuple[str, dict[str, set[int]]]:
    """The .virt text, and for each position the lines it appears on. `values_` are values
    (escaped here); `raw` are DSL texts put in verbatim."""
    raw = raw or {}
    lines_of: dict[str, set[int]] = {k: set() for k in POSITIONS}
    out = []
    for number, line in enumerate(TEMPLATE.split("\n"), start=1):
        def sub(m):
            key, as_string = m.group(1), m.group(2) is not None
            lines_of[key].add(number)
            if key in raw:
                text = raw[key]
                return f'"{text}"' if as_string and not text.startswith('"') else text
            kind, interp = POSITIONS[key]
            if kind in TOKEN_KINDS and not as_string:
                return values_[key]
            return '"' + dsl_escape(values_[key], interp) + '"'
        out.append(re.sub(r"@([A-Z0-9]+)(:s)?@", sub, line))
    return "\n".join(out), lines_of


# ---------------------------------------------------------------- consumers' readers

def read_sxp(text: str) -> list:
    """xend's sxp.Parser (xen/xend/sxp.py) for what virtc writes: comments, lists, atoms,
    strings in ' or " with xend's escapes."""
    escapes = {"a": "\a", "b": "\b", "t": "\t", "n": "\n", "v": "\v", "f": "\f", "r": "\r",
               "\\": "\\", "'": "'", '"': '"'}
    pos, stack, top = 0, [], []
    cur = top
    while pos < len(text):
        c = text[pos]
        if c in " \t\n\v\f\r":
            pos += 1
        elif c == "#":
            end = text.find("\n", pos)
            pos = len(text) if end < 0 else end
        elif c == "(":
            stack.append(cur)
            cur.append([])
            cur = cur[-1]
            pos += 1
        elif c == ")":
            assert stack, "sxp: ')' closes nothing"
            cur = stack.pop()
            pos += 1
        elif c in "'\"":
            buf, pos = [], pos + 1
            while True:
                assert pos < len(text), "sxp: unterminated string"
                ch = text[pos]
                if ch == c:
                    pos += 1
                    break
                if ch == "\\":
                    nxt = text[pos + 1]
                    assert nxt in escapes, f"sxp: escape \\{nxt} (xend would read it differently)"
                    buf.append(escapes[nxt])
                    pos += 2
                else:
                    buf.append(ch)
                    pos += 1
            cur.append("".join(buf))
        else:
            assert c in string.printable, f"sxp: invalid character {c!r}"
            m = re.compile(r"[^{}()<>\[\];\s#]+").match(text, pos)
            cur.append(m.group(0))
            pos = m.end()
    assert not stack, "sxp: unclosed list"
    return top


C_SPACE = " \t\n\v\f\r"
MP_BLOCKS = {"defaults", "blacklist", "blacklist_exceptions", "multipaths", "multipath", "devices", "device"}


def _mp_strvec(line: str) -> list[str] | None:
    """device-mapper-multipath's alloc_strvec() (libmultipath/parser.c, RHEL 5 era)."""
    cp, n = 0, len(line)
    while cp < n and line[cp] in C_SPACE:
        cp += 1
    if cp == n or line[cp] in "!#":
        return None
    vec, in_string = [], False
    while True:
        start = cp
        if line[cp] == '"':
            cp += 1
            vec.append('"')
            in_string = not in_string
        else:
            while cp < n and (in_string or line[cp] not in C_SPACE) and line[cp] != '"':
                cp += 1
            vec.append(line[start:cp])
        while cp < n and line[cp] in C_SPACE:
            cp += 1
        if cp == n or line[cp] in "!#":
            return vec


def _mp_set_value(vec: list[str]) -> str | None:
    """set_value(): a quoted value is the tokens up to the closing quote."""
    if vec[1][0] != '"':
        return vec[1]
    out = None
    for i in range(2, len(vec)):
        out = out or ""
        if i > 2 and vec[i][0] != '"' and vec[i - 1][0] != '"':
            out += " "
        if i != len(vec) - 1:
            out += vec[i]
    return out


def read_multipath(text: str) -> list[tuple[str, str | None]]:
    entries, stack = [], []
    for line in re.split(r"[\r\n]", text):
        vec = _mp_strvec(line)
        if vec is None:
            continue
        if vec[0] == "}":
            stack.pop()
        elif vec[0] in MP_BLOCKS:
            assert vec[1:] == ["{"], vec
            stack.append(vec[0])
            entries.append(("/".join(stack), "{"))
        else:
            entries.append(("/".join(stack + [vec[0]]), _mp_set_value(vec) if len(vec) > 1 else None))
    assert not stack
    return entries


def read_modprobe(text: str) -> list[tuple[str, str | None]]:
    """module-init-tools 3.3 (RHEL 5) getline_wrapped(): a backslash-newline joins lines and a
    backslash before any other character is dropped; then `options MODULE ARGS`."""
    entries = []
    for line in re.sub(r"\\(.)", r"\1", text.replace("\\\n", ""), flags=re.S).split("\n"):
        ptr = line.lstrip(" \t")
        cmd, _, ptr = _strsep(ptr)
        if not cmd or cmd.startswith("#"):
            continue
        assert cmd == "options", f"modprobe.conf: unexpected command {cmd!r}"
        mod, found, rest = _strsep(ptr.lstrip(" \t"))
        entries.append((mod, rest.lstrip(" \t") if found else None))
    return entries


def _strsep(s: str) -> tuple[str, bool, str]:
    m = re.search(r"[ \t]", s)
    return (s, False, "") if not m else (s[:m.start()], True, s[m.end():])


def read_sysctl(text: str) -> list[tuple[str, str]]:
    """procps 3.2.7 `sysctl -p`: strip, skip short and #/; lines, split at the first '='."""
    entries = []
    for line in text.split("\n"):
        t = line.strip()
        if len(t) < 2 or t[0] in "#;":
            continue
        name, _, rest = t.partition("=")
        entries.append((name.strip(), rest.lstrip(" \t")))
    return entries


def _kv(spec: str) -> dict[str, str]:
    out = {}
    for part in spec.split(","):
        key, eq, value = part.partition("=")
        assert eq and "=" not in value, f"{spec!r}: {part!r} is not key=value"
        assert key not in out, f"{spec!r}: {key} twice"
        out[key] = value
    return out


XML_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)

BASH = r"""
root=$1; out=$2; shift 2
cd "$root" || exit 97
n=0
for f in "$@"; do
  n=$((n+1))
  case "$f" in
    rc:*)
      ( tgtadm() { printf '%s\0' tgtadm "$@" >> "$out/$n.calls"; printf '\001\0' >> "$out/$n.calls"; }
        start_udev() { printf '%s\0' start_udev "$@" >> "$out/$n.calls"; printf '\001\0' >> "$out/$n.calls"; }
        : > "$out/$n.calls"
        . "${f#rc:}" ) > "$out/$n.stdout" 2> "$out/$n.stderr" ;;
    *)
      ( env -0 > "$out/$n.before"; set -a; . "./$f"; set +a; env -0 > "$out/$n.after"
      ) > "$out/$n.stdout" 2> "$out/$n.stderr" ;;
  esac
done
"""


def run_bash(root: str, out: str, jobs: list[str]) -> None:
    subprocess.run(["env", "-i", "/bin/bash", "--noprofile", "--norc", "-c", BASH, "bash", root, out, *jobs],
                   check=True, timeout=60)


def _env(path: str) -> dict[str, str]:
    data = Path(path).read_bytes().decode("utf-8")
    return dict(item.split("=", 1) for item in data.split("\0") if item)


# ---------------------------------------------------------------- the properties

def model_strings(obj, path="model"):
    """(path, str) for every string in the model (spans and sources left out)."""
    from dataclasses import fields, is_dataclass

    from virtc.source import Span

    if isinstance(obj, str):
        yield path, obj
    elif isinstance(obj, Span):
        return
    elif is_dataclass(obj):
        for f in fields(obj):
            if f.name not in ("sources", "span", "fields", "expansion"):
                yield from model_strings(getattr(obj, f.name), f"{path}.{f.name}")
    elif isinstance(obj, (tuple, list)):
        for i, x in enumerate(obj):
            yield from model_strings(x, f"{path}[{i}]")


def expected_ifcfg(h) -> dict[str, dict[str, str]]:
    out = {}
    for b in h.bridges:
        s = {"DEVICE": b.name, "TYPE": "Bridge", "BOOTPROTO": b.bootproto, "ONBOOT": "yes"}
        if b.ip:
            iface = ipaddress.ip_interface(b.ip)
            s.update(IPADDR=str(iface.ip), NETMASK=str(iface.network.netmask))
            if b.gateway:
                s["GATEWAY"] = b.gateway
        s.update(DELAY=str(b.delay), STP="on" if b.stp else "off", NM_CONTROLLED="no")
        if b.mtu:
            s["MTU"] = str(b.mtu)
        out[f"ifcfg-{b.name}"] = s
        if b.nic:
            n = {"DEVICE": b.nic, "ONBOOT": "yes", "BRIDGE": b.name, "NM_CONTROLLED": "no"}
            if b.hwaddr:
                n["HWADDR"] = b.hwaddr.upper()
            if b.mtu:
                n["MTU"] = str(b.mtu)
            out[f"ifcfg-{b.nic}"] = n
    return out


def expected_rc_calls(h) -> list[list[str]]:
    calls = []
    if any(lun.kind == "udev" for lun in h.luns):
        calls.append(["start_udev"])
    for tid, t in enumerate(h.iscsi_targets, start=1):
        base = ["tgtadm", "--lld", "iscsi", "--op"]
        calls.append(base + ["new", "--mode", "target", "--tid", str(tid), "--targetname", t.iqn])
        for lun, path in t.luns:
            calls.append(base + ["new", "--mode", "logicalunit", "--tid", str(tid), "--lun", str(lun),
                                 "--backing-store", path])
        if t.allow:
            calls.append(base + ["bind", "--mode", "target", "--tid", str(tid), "--initiator-address", t.allow])
    return calls


def expected_sxp(h) -> list[list[str]]:
    out: dict[str, str] = {}
    m = h.migration
    if m is not None and m.peers:
        out.update({"xend-relocation-server": "yes", "xend-relocation-port": str(m.port or 8002),
                    "xend-relocation-address": m.address or "", "xend-relocation-hosts-allow": m.allow or ""})
    for s in h.xend:
        out[s.key] = s.value
    return [[k, v] for k, v in out.items()]


def check_xm(text: str, g) -> None:
    # xend runs execfile(): Python reads the bytes and honours a PEP 263 coding cookie.
    assert text.isascii(), "xm file is not ASCII"
    tree = ast.parse(text.encode("ascii"))
    got = {}
    for node in tree.body:
        assert isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name), \
            f"not a plain assignment: {ast.dump(node)[:200]}"
        key = node.targets[0].id
        assert key not in got, f"{key} assigned twice"
        got[key] = ast.literal_eval(node.value)
    lines = text.split("\n")
    assert lines[-1] == ""
    code_lines = [line for line in lines[:-1] if not line.startswith("#")]
    assert len(code_lines) == len(tree.body), "a line holds more or less than one assignment"
    comments = [line for line in lines[:-1] if line.startswith("#")]
    # two fixed header lines (so no description can be a PEP 263 cookie), then the description
    assert len(comments) >= 2 and "virtc" in comments[0]
    assert comments[2:] == ([f"# {g.description}"] if g.description else [])
    assert got["name"] == g.name and got["uuid"] == g.uuid
    if g.cpuset:
        assert got["cpus"] == g.cpuset
    if g.type == "xen-pv":
        for key, value in (("bootloader", g.boot.bootloader), ("bootargs", g.boot.bootloader_args),
                           ("kernel", g.boot.kernel), ("ramdisk", g.boot.kernel and g.boot.initrd),
                           ("extra", g.boot.cmdline)):
            assert got.get(key) == (value or None), key
    disks = [d for d in g.disks if d.device != "floppy"]
    specs = got.get("disk", [])
    assert len(specs) == len(disks)
    for spec, d in zip(specs, disks):
        parts = spec.split(",")
        assert len(parts) == 3, spec
        assert parts[0] == (f"{d.driver}:{d.path}" if d.path else "")
        assert parts[1] == (f"{d.target}:cdrom" if d.device == "cdrom" else d.target)
        assert parts[2] in ("r", "w", "w!")
    for d in g.disks:
        if d.device == "floppy":
            assert got[d.target] == d.path
    vifs = got.get("vif", [])
    assert len(vifs) == len(g.nics)
    for spec, n in zip(vifs, g.nics):
        kv = _kv(spec)
        assert kv["mac"] == n.mac and kv.get("bridge") == n.source
        assert kv.get("vifname") == n.vifname and kv.get("script") == n.script
    gr = g.graphics[0] if g.graphics else None
    if gr is not None and g.type == "xen-pv":
        (vfb,) = got["vfb"]
        assert _kv(vfb).get("vncpasswd") == gr.password
    elif gr is not None:
        assert got.get("vncpasswd") == gr.password
    if g.type == "xen-hvm" and len(g.serials) == 1 and g.serials[0].path:
        assert got["serial"] == f"{g.serials[0].kind}:{g.serials[0].path}"


def check_domain_xml(text: str, g) -> None:
    root = etree.fromstring(text.encode("utf-8"), XML_PARSER)
    assert root.tag == "domain"
    assert root.findtext("name") == g.name and root.findtext("uuid") == g.uuid
    assert root.findtext("description") == (g.description or None)
    assert len(root.findall("description")) == (1 if g.description else 0)
    if g.type == "xen-pv":
        assert root.findtext("bootloader") == (g.boot.bootloader or None)
        assert root.findtext("bootloader_args") == (g.boot.bootloader_args or None)
    assert root.findtext("os/kernel") == (g.boot.kernel or None)
    assert root.findtext("os/initrd") == ((g.boot.initrd or None) if g.boot.kernel else None)
    if g.boot.cmdline and (g.boot.kernel or g.type == "xen-pv"):
        assert root.findtext("os/cmdline") == g.boot.cmdline
    disks = root.findall("devices/disk")
    assert len(disks) == len(g.disks)
    for el, d in zip(disks, g.disks):
        src = el.find("source")
        got = None if src is None else (src.get("file") if src.get("file") is not None else src.get("dev"))
        assert got == (d.path or None) and el.find("target").get("dev") == d.target
    nics = root.findall("devices/interface")
    assert len(nics) == len(g.nics)
    for el, n in zip(nics, g.nics):
        assert el.find("source").get(n.kind) == n.source
        assert (el.find("target").get("dev") if el.find("target") is not None else None) == n.vifname
        if g.is_xen:
            assert (el.find("script").get("path") if el.find("script") is not None else None) == n.script
    graphics = root.findall("devices/graphics")
    assert [x.get("passwd") for x in graphics] == [x.password for x in g.graphics]
    if g.type != "xen-pv":
        serials = root.findall("devices/serial")
        assert [None if s.find("source") is None else s.find("source").get("path") for s in serials] == \
               [s.path for s in g.serials]


def _doc(reader, path):
    src, problems = read_text(path)
    assert src is not None and not problems, problems
    doc, diags = reader(src)
    assert not [d for d in diags if d.severity.name == "ERROR"], diags
    return doc


def check_host_grub(doc, h) -> None:
    cmds = [e.key for e in doc.entries]
    head = ["default", "timeout"] + (["serial", "terminal"] if h.grub.serial else ["splashimage", "hiddenmenu"])
    body = ["title", "root", "kernel", "module", "module"] if h.hypervisor == "xen" else \
           ["title", "root", "kernel", "initrd"]
    assert cmds == head + body, cmds
    assert h.kernel.removesuffix("xen") in doc.entries[len(head)].value
    kernel = doc.entries[len(head) + 2].value.split()
    if h.hypervisor == "xen":
        dom0 = doc.entries[len(head) + 3].value.split()
        xen_args = (h.grub.xen_args or "").split()
        assert kernel[len(kernel) - len(xen_args):] == xen_args
    else:
        dom0 = kernel
    args = (h.grub.args or "").split()
    assert dom0[len(dom0) - len(args):] == args
    assert f"root={h.grub.rootfs or grub.DEFAULT_ROOTFS}" in dom0


def check_guest_grub(doc, g) -> None:
    assert [e.key for e in doc.entries] == ["default", "timeout", "title", "root", "kernel", "initrd"]
    kernel = doc.entries[4].value.split()
    assert all(a in kernel for a in (g.boot.cmdline or "").split())
    assert g.kernel_release in doc.entries[2].value


def check_outputs(model, arts, tmp: str) -> None:
    """Every artifact read back the way its consumer reads it equals the model."""
    for where, text in model_strings(model):
        assert text.isascii() and text.isprintable(), f"{where} = {text!r} is not printable ASCII"
    for a in arts:
        assert unsafe_path(a.path) is None and SAFE_PATH.fullmatch(a.path), a.path
    out = os.path.join(tmp, "out")
    write_tree(arts, out)
    hosts = {h.name: h for h in model.hosts}
    guests = {g.name: g for g in model.guests}
    jobs, checks, paths = [], [], []
    seen = set()
    for a in arts:
        full = os.path.join(out, a.path)
        parts = a.path.split("/")
        if a.link is not None:
            assert os.readlink(full) == a.link and os.path.isfile(full), a.path
            seen.add(a.path)
            continue
        paths.append(full)
        h = hosts.get(parts[0])
        name = parts[-1]
        if parts[1:4] == ["etc", "sysconfig", "network-scripts"]:
            jobs.append(a.path)
            checks.append(("ifcfg", len(jobs), expected_ifcfg(h)[name], a.path))
        elif parts[1:] == ["etc", "rc.local"]:
            calls = expected_rc_calls(h)
            lines = [e.value for e in _doc(rclocal.parse_lines, full).entries]
            assert len(lines) == len(calls), lines
            if calls and calls[0] == ["start_udev"]:
                assert lines[0] == "/sbin/start_udev"
            runnable = os.path.join(tmp, f"rc-{len(jobs)}.sh")
            text = a.text.split("\n")
            if calls and calls[0] == ["start_udev"]:
                assert text.count("/sbin/start_udev") == 1
                text[text.index("/sbin/start_udev")] = "start_udev"
            Path(runnable).write_text("\n".join(text))
            jobs.append("rc:" + runnable)
            checks.append(("rc", len(jobs), calls, a.path))
        elif parts[0] == "guests" and parts[2:] == ["boot", "grub", "grub.conf"]:
            check_guest_grub(_doc(grub.parse_document, full), guests[parts[1]])
        elif parts[1:] == ["boot", "grub", "grub.conf"]:
            check_host_grub(_doc(grub.parse_document, full), h)
        elif parts[1:] == ["etc", "xen", "xend-config.sxp"]:
            assert read_sxp(a.text) == expected_sxp(h)
        elif parts[1:3] == ["etc", "xen"] and len(parts) == 4:
            check_xm(a.text, guests[name])
        elif parts[1:3] == ["etc", "libvirt"] and name.endswith(".xml") and "networks" not in parts:
            g = guests[name[:-4]]
            assert g.host == h.name
            check_domain_xml(a.text, g)
        elif parts[1:] == ["etc", "modprobe.conf"]:
            assert read_modprobe(a.text) == [(s.key, s.value.lstrip(" \t")) for s in h.modprobe]
        elif parts[1:] == ["etc", "sysctl.conf"]:
            assert read_sysctl(a.text) == [(s.key, s.value.strip()) for s in h.sysctl]
        elif parts[1:] == ["etc", "multipath.conf"]:
            doc = _doc(multipath.parse_document, full)
            luns = [lun for lun in h.luns if lun.kind == "multipath"]
            keys = ["defaults"] + [f"defaults/{k}" for k, _ in multipath.DEFAULTS]
            if h.multipath_blacklist:
                keys += ["blacklist"] + [f"blacklist/{k}" for k, _ in h.multipath_blacklist]
            keys += ["multipaths"] + ["multipaths/multipath", "multipaths/multipath/wwid",
                                      "multipaths/multipath/alias"] * len(luns)
            assert [e.key for e in doc.entries] == keys
            mp = read_multipath(a.text)
            assert [k for k, _ in mp] == keys
            assert [v for k, v in mp if k.startswith("blacklist/")] == [v for _, v in h.multipath_blacklist]
            assert [v for k, v in mp if k.endswith("/alias")] == [x.name for x in luns]
            assert [e.value for e in doc.entries if e.key.startswith("blacklist/")] == \
                   [v for _, v in h.multipath_blacklist]
            assert [e.value for e in doc.entries if e.key == "multipaths/multipath/alias"] == [x.name for x in luns]
        elif parts[1:] == ["etc", "udev", "rules.d", "20-names.rules"]:
            doc = _doc(udev.parse_rules, full)
            luns = [lun for lun in h.luns if lun.kind == "udev"]
            rules = {}
            for e in doc.entries:
                rules.setdefault(e.group, {})[e.key] = e.value
            assert len(doc.entries) == 5 * len(luns)
            assert [(r["NAME"], r["RESULT"]) for r in rules.values()] == \
                   [(("=", x.name), ("==", x.wwid)) for x in luns]
        elif parts[1:] == ["etc", "scsi_id.config"]:
            doc = _doc(scsi_id.parse_document, full)
            assert [(e.key, e.value) for e in doc.entries] == [("options", "-g")]
        else:
            raise AssertionError(f"no reader checks {a.path}")
        seen.add(a.path)
    assert seen == {a.path for a in arts}
    # bash: source each ifcfg file, run each rc.local with a stub tgtadm
    results = os.path.join(tmp, "results")
    os.mkdir(results)
    if jobs:
        run_bash(out, results, jobs)
    for kind, n, expected, path in checks:
        base = os.path.join(results, str(n))
        assert Path(base + ".stdout").read_bytes() == b"" and Path(base + ".stderr").read_bytes() == b"", \
            (path, Path(base + ".stderr").read_bytes()[:300])
        if kind == "ifcfg":
            before, after = _env(base + ".before"), _env(base + ".after")
            changed = {k: v for k, v in after.items() if before.get(k) != v and k != "_"}
            assert changed == expected, path
            assert set(before) - set(after) <= {"_"}, path
        else:
            data = Path(base + ".calls").read_bytes().decode("utf-8")
            calls = [c.split("\0")[:-1] for c in data.split("\x01\0")[:-1]]
            assert calls == expected, path
    for dirpath, dirnames, filenames in os.walk(tmp):
        assert MARKER not in filenames and MARKER not in dirnames, f"{MARKER} created in {dirpath}"
    # virtc's own linter reads every file it can without a reader error
    lint = api.lint(paths)
    assert not [d for d in lint.diagnostics if d.code in READER_ERRORS], \
        [(d.code, d.message) for d in lint.diagnostics if d.code in READER_ERRORS]


def model_value(model, key, vals):
    host = {h.name: h for h in model.hosts}
    guest = {g.name: g for g in model.guests}
    X, K = host[vals["XHOST"]], host[vals["KHOST"]]
    P, P2, H, V = (guest[vals[k]] for k in ("PV", "PV2", "HVM", "KVM"))
    it = type("Lazy", (), {"__getattr__": lambda self, a: getattr(X.iscsi_targets[0], a)})()
    table = {
        "XHOST": lambda: X.name, "XKVER": lambda: X.kernel, "ROOTFS": lambda: X.grub.rootfs,
        "GARGS": lambda: X.grub.args, "XARGS": lambda: X.grub.xen_args, "BRIDGE": lambda: X.bridges[0].name,
        "NIC": lambda: X.bridges[0].nic, "MPNAME": lambda: X.luns[0].name,
        "DEVNODE": lambda: X.multipath_blacklist[0][1], "SYSKEY": lambda: X.sysctl[0].key,
        "SYSVAL": lambda: X.sysctl[0].value, "XENDKEY": lambda: X.xend[0].key,
        "XENDVAL": lambda: X.xend[0].value, "MOD1": lambda: X.modprobe[0].key,
        "MODVAL": lambda: X.modprobe[0].value, "IQN": lambda: it.iqn, "LUNPATH": lambda: it.luns[0][1],
        "ALLOW": lambda: it.allow, "EXPORT": lambda: X.exports[0].path, "CLIENTS": lambda: X.exports[0].clients,
        "MIGALLOW": lambda: X.migration.allow, "PV": lambda: P.name, "OSKVER": lambda: P.kernel_release,
        "BOOTLOADER": lambda: P.boot.bootloader, "BLARGS": lambda: P.boot.bootloader_args,
        "KARGS": lambda: P.boot.cmdline, "DISK1": lambda: P.disks[0].path, "DISK2": lambda: P.disks[1].path,
        "VIFNAME": lambda: P.nics[0].vifname, "SCRIPT": lambda: P.nics[0].script,
        "PW1": lambda: P.graphics[0].password, "DESC1": lambda: P.description, "HOSTNAME": lambda: P.hostname,
        "UUID": lambda: P.uuid.replace("-", ""), "CPUSET": lambda: P.cpuset, "PV2": lambda: P2.name,
        "KPATH": lambda: P2.boot.kernel, "INITRD": lambda: P2.boot.initrd, "KARGS2": lambda: P2.boot.cmdline,
        "DISK3": lambda: P2.disks[0].path, "HVM": lambda: H.name, "DISK4": lambda: H.disks[0].path,
        "ISO": lambda: H.disks[1].path, "FLOPPY": lambda: H.disks[2].path, "PW2": lambda: H.graphics[0].password,
        "SERIAL": lambda: H.serials[0].path, "DESC2": lambda: H.description, "KHOST": lambda: K.name,
        "KKVER": lambda: K.kernel, "KGARGS": lambda: K.grub.args, "LUNNAME": lambda: K.luns[0].name,
        "KSYSVAL": lambda: K.sysctl[0].value, "KVM": lambda: V.name, "KDISK": lambda: V.disks[0].path,
        "PW3": lambda: V.graphics[0].password, "DESC3": lambda: V.description, "KARGS3": lambda: V.boot.cmdline,
    }
    return table[key]()


def intended(key, value):
    if key == "UUID":
        return value.lower().replace("-", "")
    return value


def statement_lines(src: str, lines_of: dict[str, set[int]]) -> dict[str, set[int]]:
    """Each position's lines widened to its whole statement (lines joined by a backslash)."""
    group, groups, current = {}, [], []
    for number, line in enumerate(src.split("\n"), start=1):
        current.append(number)
        if not line.endswith("\\"):
            groups.append(current)
            current = []
    for g in groups:
        for number in g:
            group[number] = set(g)
    return {k: set().union(*(group[n] for n in v)) if v else set() for k, v in lines_of.items()}


def check_fleet(src: str, lines_of: dict[str, set[int]], bad: dict[str, str], vals: dict[str, str]) -> bool:
    """The acceptance property for one fleet. bad: position -> approximate value of the
    hostile text put there. Returns whether the fleet compiled."""
    result = compile_text(src, "fleet.virt")
    errors = [d for d in result.diagnostics if d.severity.name == "ERROR"]
    lines_of = statement_lines(src, lines_of)
    tainted = set().union(*(lines_of[k] for k in bad)) if bad else set()
    if errors or result.model is None:
        assert errors, "no model and no error"
        # (after a syntax error the parser's recovery may report later statements too: only
        # the first syntax error has to be on a hostile statement)
        syntax = [d for d in errors if d.code.startswith("VP")][1:]
        for d in errors:
            assert d.span is not None, f"{d.code} {d.message}: no line"
            assert d.span.line in tainted or d in syntax, \
                f"{d.code} on line {d.span.line} ({d.message}); hostile lines {tainted}"
        err_lines = {d.span.line for d in errors}
        # A syntax error stops compilation, and a rejected host or guest name skips what is
        # inside it; otherwise every value no file can carry is diagnosed on its own line.
        name_lines = set().union(*(lines_of[k] for k in NAME_KEYS))
        preempted = any(d.code.startswith("VP") for d in errors) or bool(err_lines & name_lines)
        for key, approx in bad.items():
            if POSITIONS[key][0] in TOKEN_KINDS or preempted:
                continue
            if any(c in approx for c in FORBIDDEN) or not approx.isascii():
                assert err_lines & lines_of[key], f"{key}={approx!r} was not diagnosed on its line"
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "fleet.virt")
            Path(path).write_text(src, encoding="utf-8")
            outcome = api.build([path], os.path.join(tmp, "out"))
            assert outcome.has_errors
            assert sorted(os.listdir(tmp)) == ["fleet.virt"], "virtc build wrote something"
        return False
    for key, approx in bad.items():
        if POSITIONS[key][0] not in TOKEN_KINDS:
            assert not any(c in approx for c in FORBIDDEN) and approx.isascii(), \
                f"{key}={approx!r} was accepted"
    arts, diags = artifacts(result.model)
    assert not diags, diags
    for key in POSITIONS:
        # (a statement with an accepted odd value may drop its other values: `export "/p"
        # to ""` is ignored without a diagnostic)
        if key not in bad and not lines_of[key] & tainted:
            assert model_value(result.model, key, vals) == intended(key, vals[key]), key
            if POSITIONS[key][0] == "path" or (key == "SCRIPT" and vals[key].startswith("/")):
                assert posixpath.normpath(vals[key]) == vals[key] and ".." not in vals[key].split("/"), key
    with tempfile.TemporaryDirectory() as tmp:
        check_outputs(result.model, arts, tmp)
    return True


# ---------------------------------------------------------------- strategies for a fleet

@st.composite
def fleets(draw):
    # a dozen positions get hostile but acceptable values (all of them, over a run), the
    # rest keep their defaults; up to three get arbitrary hostile text
    vals = dict(DEFAULTS)
    for key in draw(st.lists(st.sampled_from(sorted(POSITIONS)), max_size=14, unique=True)):
        vals[key] = draw(KINDS[POSITIONS[key][0]])
    bad_keys = draw(st.lists(st.sampled_from(sorted(POSITIONS)), max_size=3, unique=True))
    raw, bad = {}, {}
    for key in bad_keys:
        kind, _ = POSITIONS[key]
        body, approx = draw(hostile_token() if kind in TOKEN_KINDS else
                            st.one_of(hostile_string(), near_miss(key)))
        raw[key], bad[key] = body, approx
        vals[key] = approx
    names = [vals[k] for k in NAME_KEYS]
    assume(len(set(names)) == len(names) and "peer1" not in names and "guests" not in names)
    assume(vals["BRIDGE"] != vals["NIC"])
    src, lines_of = render(vals, raw)
    return src, lines_of, bad, vals


COMPILED = []


@settings(max_examples=examples(200), **SETTINGS)
@given(fleets())
def test_hostile_fleet(fleet):
    src, lines_of, bad, vals = fleet
    COMPILED.append(check_fleet(src, lines_of, bad, vals))


def test_hostile_fleet_reached_both_outcomes():
    """The property above is only worth something if both branches ran."""
    if not COMPILED:
        pytest.skip("run together with test_hostile_fleet")
    assert any(COMPILED) and not all(COMPILED), (sum(COMPILED), len(COMPILED))


def test_default_fleet_compiles_and_reads_back():
    vals = dict(DEFAULTS)
    src, lines_of = render(vals)
    assert check_fleet(src, lines_of, {}, vals)


# ---------------------------------------------------------------- every position x every character

SWEEP = list(FORBIDDEN) + [
    "\u00e9", "\u2028", "\\", " ", ",", "=", ":", ";", "#", "$", "(", ")", "{", "}", "[", "]", "*", "?",
    "!", "&", "|", "<", ">", "~", "%", "@", "+", "^", "/", ".", "-", "_", "..", "/..", "//", "/./", "../",
    "./",
    f"$(touch {MARKER})", f"`touch {MARKER}`", f"; touch {MARKER}", f"&& touch {MARKER} #", "\\\n",
    "+ACI-", "coding: utf-7", "{name}", "a=b,c=d", "</name><x/>",
]
STRING_KEYS = [k for k, (kind, _) in POSITIONS.items() if kind not in TOKEN_KINDS and k not in NAME_KEYS]
TOKEN_KEYS = [k for k, (kind, _) in POSITIONS.items() if kind in TOKEN_KINDS]


def _insert(key: str, piece: str) -> str:
    value = DEFAULTS[key]
    return value[:1] + piece + value[1:]


def _diagnosed(vals: dict[str, str], keys: list[str]) -> set[str]:
    """Compile with `piece` put into `keys`; the keys whose line carries an error."""
    src, lines_of = render(vals)
    result = compile_text(src, "fleet.virt")
    key_of_line = {line: k for k in keys for line in lines_of[k]}
    found = set()
    for d in result.diagnostics:
        if d.severity.name == "ERROR":
            assert d.span is not None and d.span.line in key_of_line, \
                f"{d.code} line {d.span and d.span.line}: {d.message} (no hostile value there)"
            found.add(key_of_line[d.span.line])
    return found


@pytest.mark.parametrize("piece", SWEEP, ids=[repr(p)[1:-1][:20] for p in SWEEP])
def test_every_position_rejects_or_carries(piece):
    """`piece` put into every user-controlled position of the fleet at once: each position
    either has a diagnostic on its own line (always, for what no file can carry), or the
    fleet compiles with the piece in all the positions that took it and every file reads
    back to exactly the values written."""
    tokenish = all(c in TOKEN_CHARS for c in piece)
    groups = [STRING_KEYS + (TOKEN_KEYS if tokenish else []), ["XHOST", "KHOST"], ["PV", "PV2", "HVM", "KVM"]]
    accepted = []
    for keys in groups:
        vals = dict(DEFAULTS, **{k: _insert(k, piece) for k in keys})
        diagnosed = _diagnosed(vals, keys)
        if any(c in FORBIDDEN for c in piece) or not piece.isascii():
            assert diagnosed == set(keys), f"{piece!r} accepted in {sorted(set(keys) - diagnosed)}"
        accepted += [k for k in keys if k not in diagnosed]
    vals = dict(DEFAULTS, **{k: _insert(k, piece) for k in accepted})
    src, lines_of = render(vals)
    assert check_fleet(src, lines_of, {}, vals)


# ---------------------------------------------------------------- the escaping helpers

def _source_values(values_: list[str]) -> list[bytes]:
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "f").write_text("".join(f"V{i}={ifcfg.shell_value(v)}\n" for i, v in enumerate(values_)),
                                  encoding="utf-8")
        script = ". ./f; " + "".join(f'printf "%s\\0" "$V{i}"; ' for i in range(len(values_)))
        out = subprocess.run(["env", "-i", "/bin/bash", "--noprofile", "--norc", "-c", script], cwd=tmp,
                             capture_output=True, check=True, timeout=30)
        assert out.stderr == b""
        assert not os.path.exists(os.path.join(tmp, MARKER))
        return out.stdout.split(b"\0")[:-1]


_SHELL_TEXT = st.one_of(st.text(), st.text(HOSTILE_CHARS), st.sampled_from(FRAGMENTS),
                        st.lists(st.sampled_from(FRAGMENTS)).map("".join))


@settings(max_examples=examples(200), **SETTINGS)
@given(st.lists(_SHELL_TEXT, min_size=1, max_size=8))
def test_shell_value_reads_back_in_bash(texts):
    ok = []
    for t in texts:
        if any(c in t for c in "\n\r\0"):
            with pytest.raises(ValueError):
                ifcfg.shell_value(t)
        else:
            ok.append(t)
    if ok:
        assert _source_values(ok) == [t.encode("utf-8") for t in ok]


@settings(max_examples=examples(200), **SETTINGS)
@given(_SHELL_TEXT)
def test_sxp_value_reads_back_in_xend(text):
    if any(c in text for c in "'\n\r"):
        with pytest.raises(ValueError):
            xend.sxp_value(text)
        return
    if not text:
        return  # written as '' by emit()
    written = xend.sxp_value(text)
    # no unbalanced quote: xend's parser reads exactly one value back, unchanged
    assert read_sxp(f"(key {written})") == [["key", text]]


@settings(max_examples=examples(200), **SETTINGS)
@given(_SHELL_TEXT)
def test_xm_q_reads_back_in_python_and_virconf(text):
    """An xm string reads back as written in xend's Python and in libvirt's virConf (which
    knows "...", '...' and triple-quoted strings, each ending at its delimiter, no escapes)."""
    try:
        written = xm._q(text)
    except ValueError:
        both = '"' in text and "'" in text and ('"""' in text or text.endswith('"'))
        assert any(c in text for c in "\\\n\r") or not text.isascii() or not text.isprintable() or both
        return
    tree = ast.parse(f"x = {written}\n".encode("ascii"))
    assert len(tree.body) == 1 and ast.literal_eval(tree.body[0].value) == text
    delim = next(d for d in ('"""', '"', "'") if written.startswith(d) and written.endswith(d))
    inner = written[len(delim):-len(delim)]
    assert inner == text and delim not in inner


# ---------------------------------------------------------------- reported injections

def _fleet_with(**raw) -> tuple[str, dict, dict, dict]:
    vals = dict(DEFAULTS)
    bad = {}
    for key, body in raw.items():
        vals[key] = bad[key] = re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t"}.get(m.group(1), m.group(1)),
                                      body.strip('"'))
    src, lines_of = render(vals, {k: v if v.startswith('"') or POSITIONS[k][0] in TOKEN_KINDS else f'"{v}"'
                                  for k, v in raw.items()})
    return src, lines_of, bad, vals


KNOWN = [
    # (id, positions -> DSL text, reason)
    ("kernel-version-newline", {"XKVER": r'"2.6.18-308.el5\n"'},
     "host `kernel \"2.6.18-308.el5\\n\"` passes `^[0-9][0-9A-Za-z._-]*$` (re `$` matches before a "
     "final newline): HOST/boot/grub/grub.conf gets lines 'xen)', 'xen ro root=...' (dom0 args "
     "as a GRUB command) and 'xen.img'"),
    ("os-kernel-newline", {"OSKVER": r'"2.6.18-308.el5\n"'},
     "guest `os-kernel \"2.6.18-308.el5\\n\"`: guests/NAME/boot/grub/grub.conf gets the line "
     "'xen ro root=/dev/VolGroup00/LogVol00' (the kernel arguments as a GRUB command)"),
    ("guest-name-newline", {"PV": r'"pv1\n"'},
     "guest \"pv1\\n\" passes check_name (NAME_RE `$`): artifacts() raises ValueError in xm._q; "
     "on KVM the file is qemu/pv1\\n.xml with <name>pv1\\n</name>"),
    ("host-name-newline", {"KHOST": r'"kvm1\n"'},
     "host \"kvm1\\n\" passes check_name: every output path starts with 'kvm1\\n/' "
     "(build.unsafe_path does not refuse control characters)"),
    ("uuid-newline", {"UUID": r'"12345678-1234-1234-1234-123456789abc\n"'},
     "uuid \"...\\n\" passes UUID_RE: xm._q raises ValueError (crash); XML <uuid> ends in a newline"),
    ("cpuset-newline", {"CPUSET": r'"0-3\n"'}, "cpuset \"0-3\\n\" passes CPUSET_RE: xm._q raises ValueError"),
    ("vnc-password-newline", {"PW1": r'"secret\n"'},
     "vnc password \"secret\\n\" passes PASSWORD_RE: xm._q raises ValueError; XML passwd ends in a newline"),
    ("vif-script-newline", {"SCRIPT": r'"vif-bridge\n"'},
     "nic script \"vif-bridge\\n\" passes check_name: xm._q raises ValueError on the vif spec"),
    ("iqn-shell-command", {"IQN": f'"iqn.2001-04.com.example:x; touch {MARKER}"'},
     "iscsi-target IQN is only check_text'ed (';', '&', '|', '>', spaces allowed) and pasted "
     "unquoted into HOST/etc/rc.local: `--targetname iqn...:x; touch pwned` runs touch at boot"),
    ("iscsi-allow-newline", {"ALLOW": f'"ALL\\ntouch {MARKER}"'},
     "iscsi-target `allow` is not checked at all: a \\n escape adds the command line "
     "'touch pwned' to HOST/etc/rc.local (quotes, $(), backticks get through too)"),
    ("modprobe-backslash", {"MODVAL": r'"opt=1 \\"'},
     "modprobe value 'opt=1 \\' passes check_pattern; in modprobe.conf the trailing backslash "
     "joins the next line (module-init-tools getline_wrapped), so `options zz_second opt=2` "
     "becomes an argument of module foo"),
    ("modprobe-backslash-escape", {"MODVAL": r'"path=C:\\dir"'},
     "modprobe value 'path=C:\\dir' is written as is; module-init-tools' getline_wrapped() drops a "
     "backslash before any other character, so the module gets 'path=C:dir'"),
    ("xm-coding-cookie-utf7", {"DESC1": '"coding: utf-7"',
                               "KARGS": '"+ACIAOw-import os+ADs-os.system(+ACI-touch pwned+ACI-)+ADs-x+AD0AIg-"'},
     "description is line 1 of the xm file ('# coding: utf-7'), a PEP 263 cookie: xend's "
     "execfile() then decodes the UTF-7 in `extra` into '\"; import os; os.system(\"touch "
     "pwned\"); x=\"' (paths may carry the same: + / - and letters are path characters)"),
    ("xm-coding-cookie-unknown", {"DESC1": '"Decoding: fast"'},
     "description 'Decoding: fast' makes line 1 a coding cookie for an unknown encoding: "
     "Python refuses the xm file (SyntaxError: unknown encoding: fast), xm create fails"),
    ("multipath-devnode-comment", {"DEVNODE": '"!^sd[a-c]"'},
     "blacklist devnode \"!^sd[a-c]\" (or \"#...\", or a leading blank) passes check_pattern and is "
     "written as devnode \"!^sd[a-c]\"; multipath's alloc_strvec() skips blanks after the opening "
     "quote and then takes '!' or '#' as the start of a comment, so the blacklist entry is empty"),
    ("lint-devnode-brace", {"DEVNODE": '"{"'},
     "blacklist devnode \"{\" is written correctly, but virtc's multipath reader returns the value '{' "
     "like a block opener, so `virtc lint` of virtc's own multipath.conf reports VF411 unknown "
     "section 'devnode' (a linter false positive, not an injection)"),
    ("xen-guest-named-auto", {"HVM": '"auto"'},
     "a Xen guest named 'auto' is written to HOST/etc/xen/auto while autostart links need the "
     "folder HOST/etc/xen/auto/: build raises BuildError (no diagnostic), and on the host the "
     "file would replace xendomains' folder (likewise 'scripts' replaces /etc/xen/scripts)"),
]


@pytest.mark.parametrize("raw", [pytest.param(r, id=i) for i, r, why in KNOWN])
def test_reported_injection_is_refused_or_carried(raw):
    """Each input once found to inject (see KNOWN for what it did): now refused with a
    diagnostic on its line, or carried unchanged into every file."""
    src, lines_of, bad, vals = _fleet_with(**raw)
    check_fleet(src, lines_of, bad, vals)


EMPTY = [
    # (id, position, why)
    ("disk-path", "DISK1", "disk xvda tap:aio \"\" compiles to a disk with no source (xm ',xvda,w', "
                           "XML <disk> without <source>): `t and check_path(t)` skips the check for ''"),
    ("kernel-path", "KPATH", "kernel \"\" initrd \"/boot/initrd-xen.img\" compiles; the initrd is "
                             "then silently left out of the xm file and the XML (PV guest with no kernel "
                             "and no boot loader)"),
    ("serial-path", "SERIAL", "serial file \"\" compiles to xm serial = \"file:\" and <source path=''/>"),
    ("iqn", "IQN", "iscsi-target \"\" lun 1 ... is dropped without a diagnostic"),
    ("export-clients", "CLIENTS", "export \"/srv/images\" to \"\" is dropped without a diagnostic"),
    ("devnode", "DEVNODE", "blacklist devnode \"\" is dropped without a diagnostic"),
]


@pytest.mark.parametrize("key", [pytest.param(k, id=i) for i, k, why in EMPTY])
def test_empty_value_is_refused(key):
    """An empty string where a path or name belongs gets a diagnostic (it was once dropped
    or written as an empty field: see EMPTY)."""
    vals = dict(DEFAULTS, **{key: ""})
    src, lines_of = render(vals)
    result = compile_text(src, "fleet.virt")
    assert any(d.severity.name == "ERROR" and d.span and d.span.line in lines_of[key]
               for d in result.diagnostics), f"{key} = '' compiled without a diagnostic on its line"
