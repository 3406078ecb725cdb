"""Saved command output that describes a host's hardware: `xm info` (on a Xen host) and
`virsh nodeinfo`. RHEL 5's `virsh capabilities` has no memory element, so a host tree
states the host's RAM (and its CPU counts and architecture) only through one of these,
saved beside the tree's etc/ (`xm info > xm-info.txt`, `virsh nodeinfo > nodeinfo.txt`).
Read only.
"""
from __future__ import annotations

import re

from virtc.readback import Found
from virtc.source import SourceFile

from .format import Format

# possessive and greedy: a lazy key or value beside `[ \t]*` made each blank of a long run
# of blanks try every split of the run (a 17 KB line of blanks and colons took 0.7 s)
_LINE = re.compile(r"^(?P<key>[A-Za-z_()][A-Za-z0-9_() -]*+)[ \t]*+:[ \t]*+(?P<value>.*)$", re.M)
_ARCHES = {"x86_64": "x86_64", "i686": "i686", "i586": "i686", "i386": "i686", "ia64": "ia64"}


def _fields(src: SourceFile) -> dict[str, tuple[str, object]]:
    """key -> (value, span of the value)."""
    out = {}
    for m in _LINE.finditer(src.text):
        value, start = m.group("value").rstrip(" \t"), m.start("value")
        out.setdefault(m.group("key").strip(), (value, src.span(start, start + max(len(value), 1))))
    return out


def _number(text: str) -> int | None:
    m = re.match(r"^([0-9]{1,12})\b", text)
    return int(m.group(1)) if m else None


def _facts(found: Found, memory_kib, arch, sockets, cores, threads, mhz) -> Found:
    memory, memory_span = memory_kib
    if memory:
        found.set("memory_kib", memory, memory_span)
        found.spans["memory"] = memory_span
    machine, arch_span = arch
    if machine in _ARCHES:
        found.set("arch", _ARCHES[machine], arch_span)
    counts = (sockets, cores, threads, mhz)
    if any(counts[:3]):
        found.host["cpu_counts"] = counts  # readback.assemble fills the Cpu's unknowns with them
    return found


def read_xm_info(text: str, path: str) -> Found:
    src = SourceFile(path, text)
    f = _fields(src)
    found = Found(src, "xm-info")
    total = f.get("total_memory", ("", None))
    nodes = _number(f.get("nr_nodes", ("1",))[0]) or 1
    sockets = _number(f.get("sockets_per_node", ("",))[0])
    per_socket = _number(f.get("cores_per_socket", ("",))[0])
    per_core = _number(f.get("threads_per_core", ("",))[0])
    sockets = sockets * nodes if sockets else None
    cores = sockets * per_socket if sockets and per_socket else None
    threads = _number(f.get("nr_cpus", ("",))[0]) or (cores * per_core if cores and per_core else None)
    mib = _number(total[0])
    return _facts(found, (mib * 1024 if mib else None, total[1]), f.get("machine", ("", None)), sockets, cores,
                  threads, _number(f.get("cpu_mhz", ("",))[0]))


def read_nodeinfo(text: str, path: str) -> Found:
    src = SourceFile(path, text)
    f = _fields(src)
    found = Found(src, "nodeinfo")
    size = f.get("Memory size", ("", None))
    kib = _number(size[0])
    cells = _number(f.get("NUMA cell(s)", ("1",))[0]) or 1
    sockets = _number(f.get("CPU socket(s)", ("",))[0])
    per_socket = _number(f.get("Core(s) per socket", ("",))[0])
    sockets = sockets * cells if sockets else None  # RHEL 5's libvirt counts sockets per cell
    cores = sockets * per_socket if sockets and per_socket else None
    threads = _number(f.get("CPU(s)", ("",))[0])
    return _facts(found, (kib, size[1]), f.get("CPU model", ("", None)), sockets, cores, threads,
                  _number(f.get("CPU frequency", ("",))[0]))


def _xm_info(text: str, name: str = "") -> bool:
    return bool(re.search(r"^total_memory\s*:", text, re.M)) and bool(re.search(r"^xen_major\s*:", text, re.M))


def _nodeinfo(text: str, name: str = "") -> bool:
    return bool(re.search(r"^Memory size:", text, re.M)) and bool(re.search(r"^CPU\(s\):", text, re.M))


XM_INFO = Format(
    "xm-info", "`xm info` output saved with the host's files (memory, CPUs, architecture)",
    paths=("xm-info", "xm-info.txt", "xm_info.txt"), names=("*xm-info*", "*xm_info*"), recognise=_xm_info,
    read=read_xm_info, single=True, comments="")
NODEINFO = Format(
    "nodeinfo", "`virsh nodeinfo` output saved with the host's files (memory, CPUs, architecture)",
    paths=("nodeinfo", "nodeinfo.txt", "virsh-nodeinfo", "virsh-nodeinfo.txt"), names=("*nodeinfo*",),
    recognise=_nodeinfo, read=read_nodeinfo, single=True, comments="")
