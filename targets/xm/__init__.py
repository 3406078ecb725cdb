"""Xen xm domain configs, /etc/xen/NAME: the Python-syntax files xend executes, and the
/etc/xen/auto links that start a guest with the host (the xendomains service).

emit.py writes them, read.py reads them back (with `ast`, never executed), spec.py
parses the specs inside values (disk, vif, vfb, pci, serial), rules.py holds the
format-level rules (VF1xx).
"""
from __future__ import annotations

import ast
import re

from virtc.readback import Found
from virtc.schemas import load
from virtc.source import SourceFile

from ..format import Format
from . import rules
from .document import quiet_parse
from .emit import config, disk_spec, emit, serial_value, vif_spec, _q  # noqa: F401  (the format's API)
from .read import parse_document, read  # noqa: F401
from .spec import VIF_KEYS  # noqa: F401

# What else lives in /etc/xen: xend's own files, the shipped examples, scripts. (libvirt's
# xen driver skips the same by prefix: xend-config*, xend-pci-*, xmexample*, qemu-ifup*.)
NOT_GUESTS = ("*.sxp", "xend-config*", "xend-pci-*", "xmexample*", "qemu-ifup*", "README*", "*.py", "*.pyc",
              "*.sh", "*.db", "*.xml",
              # what later Xen packages keep in /etc/xen beside the guests: xl's settings and
              # examples, a CPU pool's definition, oxenstored's settings, Xen-API's users
              "xl.conf", "xlexample*", "cpupool", "oxenstored.conf", "xenstored.conf", "xenapiusers")
_ASSIGN = re.compile(r"^[ \t]*([A-Za-z_][A-Za-z0-9_]*)[ \t]*=", re.M)


def recognise(text: str, name: str = "") -> bool:
    """Python assignments, at least two of them (and most) to keys xend knows; a file that
    is not Python (a broken config) still names `name` and another key xend knows."""
    keys = set(load("xm-keys.json")["keys"])
    try:
        tree = quiet_parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        named = set(_ASSIGN.findall(text))  # a broken config still names its keys
        return len(named & keys) >= 2 and "name" in named
    assigned = [t.id for n in tree.body if isinstance(n, ast.Assign) for t in n.targets if isinstance(t, ast.Name)]
    known = [a for a in assigned if a in keys]
    return len(set(known)) >= 2 and len(known) * 2 >= len(assigned)


def _autostart(text: str, path: str) -> Found:
    """/etc/xen/auto/NAME: xendomains starts with the host the guest the file defines (it
    runs `xm create` on each file there). A link is followed by lint to the file it leads
    to; `text` is that of a copy kept there instead (`cp`, not `ln -s`), whose own
    `name = "..."` names the guest (a copy named web01.cfg starts web01); else NAME."""
    found = Found(SourceFile(path, ""), "xm-autostart")
    name = _defined_name(text) or path.replace("\\", "/").rsplit("/", 1)[-1]
    found.host["autostart"] = (("guest", name),)
    return found


def _defined_name(text: str) -> str | None:
    """The string a config's top-level `name = "..."` assigns (the last one), read with ast."""
    if not text:
        return None
    try:
        tree = quiet_parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    name = None
    for node in tree.body:
        if (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)
                and node.targets[0].id == "name" and isinstance(node.value, ast.Constant)
                and isinstance(node.value.value, str) and node.value.value):
            name = node.value.value
    return name


FORMAT = Format(
    "xm", "Xen xm domain config (Python syntax, executed by xend)",
    paths=("etc/xen/*",), exclude=NOT_GUESTS + ("xend-config.sxp", "auto", "scripts"),
    names=("*.cfg", "*.xm"), recognise=recognise, read=read, emit=emit, target="xm",
    rules=rules.RULES, comments="#", trailing=True)

AUTOSTART = Format(
    "xm-autostart", "/etc/xen/auto link: start the guest with the host",
    paths=("etc/xen/auto/*",), read=_autostart, emit=emit, target="xm", link=True, comments="",
    copies_read=True)
