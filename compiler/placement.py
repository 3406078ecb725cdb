"""Which files `virtc lint` reads, for which host, as which format.

A host tree (`--root DIR`, a folder holding etc/ or boot/, or a copy of /etc alone:
is_etc_copy) is a copy of one host's files: a file in it is read only when it sits where the format registry says a format
lives on a RHEL 5 host (etc/xen/*, etc/sysconfig/network-scripts/ifcfg-* ...). Init
scripts, programs' other files and binaries are not configurations virtc reads; they are
counted and named once per host, never opened. A folder of host trees (a `virtc build`
output, or several hosts' copies side by side) is one host per sub-folder, and the
guests/NAME/boot/grub/grub.conf files beside them go with the host that runs NAME.

Files given by name, and the files of a folder that is not laid out as a host, are
loose: their format comes from their path, name or content (targets.recognised), and
all of them are one host, named after the folder they share.

A file reached twice (a link, or given twice) is read once.
"""
from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass, field

from virtc import targets
from virtc.targets.format import Format

from .diagnostics import Diagnostic, info
from . import values
from .owner import Owner
from .walk import files_under

SKIP_DIRS = {".git", "__pycache__", ".virtc-manifest"}
# Folders a copy of /etc is often named after, which say nothing about the host.
_NOT_HOST_NAMES = {"etc", "xen", "libvirt", "qemu", "boot", "grub", "sysconfig", "network-scripts"}
SKIPPED_SHOWN = 8  # how many skipped files the per-host note names


@dataclass
class Placed:
    path: str  # where it is, as diagnostics name it
    format: Format | None  # None: a loose file, recognised once its text is read
    rank: int = 0  # which of its format's places it is in (0: the canonical one)
    target: str | None = None  # the file to open when `path` is a link (None: path itself)
    walked: bool = False  # a loose file found in a folder given, not named on the command line
    missing: str | None = None  # a link of a tree that leads to no file of a folder the tree holds: where

    @property
    def opened(self) -> str:
        return self.target or self.path


@dataclass
class HostFiles:
    name: str
    root: str | None
    files: list[Placed] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # tree paths that are no format's
    rc_links: list[str] = field(default_factory=list)  # chkconfig's runlevel links (RC_LINK): services
    tree: bool = False  # a copy of one host's tree (not loose files): what it lacks, the host lacks
    mount: str = ""  # where root is on the host ("etc": a copy of /etc alone; "": the host's /)


@dataclass
class Collection:
    hosts: list[HostFiles]
    shared: list[Placed]  # guests/NAME/boot/grub/grub.conf beside several host trees
    diagnostics: list[Diagnostic]


def is_host_tree(path: str) -> bool:
    return os.path.isdir(os.path.join(path, "etc")) or os.path.isdir(os.path.join(path, "boot"))


# What every RHEL 5 /etc holds and no folder of virtualization configs does (virtc reads
# none of them): three of them make a folder a copy of a host's /etc, whatever its name.
_ETC_MARKERS = frozenset({"passwd", "group", "shadow", "inittab", "nsswitch.conf", "login.defs",
                          "profile", "bashrc", "rc.d", "init.d", "ld.so.conf", "services", "protocols",
                          "shells", "mtab", "issue"})
# Folders of a host's /etc that virtc reads from: a folder named etc with one of them (or
# one marker) is a copy of /etc, not a folder of loose configs that happens to be named so.
_ETC_FOLDERS = ("xen", "libvirt", "sysconfig", "udev", "selinux", "modprobe.d")


def is_etc_copy(path: str) -> bool:
    """A copy of one host's /etc given by itself (`virtc lint copy/etc`, or `cp -a /etc
    web01-etc`): a host tree whose folder is the tree's etc/. Its files are then read at
    their places only, as in any host tree: the thousand other files of an /etc (init
    scripts, other programs' settings) are never opened, where as loose files each would
    be recognised by its content (initramfs.conf's DEVICE= is no interface file)."""
    try:
        names = set(os.listdir(path))
    except OSError:
        return False
    if "etc" in names or "boot" in names:
        return False  # a host tree itself
    markers = len(names & _ETC_MARKERS)
    if markers >= 3:
        return True
    return os.path.basename(os.path.abspath(path)) == "etc" and (
        markers >= 1 or any(os.path.isdir(os.path.join(path, d)) for d in _ETC_FOLDERS))


def _host_name(path: str) -> str:
    """A host tree's host: the name of its folder, or of the nearest folder above it whose
    name says something about the host (an /etc copy at web01/etc is web01's)."""
    parts = [x for x in os.path.abspath(path).split(os.sep) if x]
    named = [x for x in parts if x not in _NOT_HOST_NAMES]
    if named:
        return named[-1]
    if parts[:1] == ["etc"]:  # /etc, /etc/xen ...: this machine's own (`virtc lint /etc` on the host)
        node = os.uname().nodename.split(".")[0]
        if node and not values.check_name(node):
            return node
    return parts[-1] if parts else "host"


def _walk(root: str) -> list[str]:
    return files_under(root, SKIP_DIRS)


def _step(root: str, link: str, mount: str) -> str | None:
    """Where the link at `link` (absolute, in the tree at `root`) leads, as the host reads
    it: an absolute target (/etc/xen/web01) is the tree's own file; `mount` is where the
    tree's folder is on the host ("etc" for a copy of /etc alone, so that /usr/... is not
    in the copy). None: a target outside the tree, or no link to read."""
    try:
        target = os.readlink(link)
    except (OSError, ValueError):
        return None
    top = f"/{mount}/" if mount else "/"
    if os.path.isabs(target):
        if not (target + "/").startswith(top):
            return None
        where = os.path.join(root, target[len(top):].lstrip("/"))
    else:
        where = os.path.normpath(os.path.join(os.path.dirname(link), target))
    return where if os.path.commonpath([root, where]) == root else None


def in_tree(root: str, path: str, mount: str = "") -> str | None:
    """The file a path of a host tree stands for, following links the way the host would
    (_step). None for a link that leads nowhere, out of the tree, or round in a circle."""
    root = os.path.abspath(root)
    current = os.path.abspath(path)
    for _ in range(40):
        if not os.path.islink(current):
            return current if os.path.exists(current) else None
        current = _step(root, current, mount)
        if current is None:
            return None
    return None


def missing_target(root: str, path: str, mount: str = "") -> str | None:
    """Where in the tree a link leads that leads nowhere, when the folder it would be in
    is one the tree holds (a file removed, its link left behind); None otherwise: no link,
    a target that exists, or one outside what the tree copies (another file system, a
    folder the copy left out)."""
    where = _step(os.path.abspath(root), os.path.abspath(path), mount)
    if where is None or os.path.lexists(where):
        return None
    return where if os.path.isdir(os.path.dirname(where)) else None


def not_a_file(path: str) -> str | None:
    """What a path that is not a regular file is, links followed ("a named pipe", "a
    socket", "a device"); None for a file, or for no file at all (reported where it is
    read). Such a path in a tree is never opened: opening a named pipe waits for a writer
    that never comes (a copy of RHEL 5's /etc holds one, /etc/initctl)."""
    try:
        mode = os.stat(path).st_mode
    except (OSError, ValueError):
        return None
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISFIFO(mode):
        return "a named pipe"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "a folder" if stat.S_ISDIR(mode) else "not a file"


# chkconfig's links: etc/rc.d/rc3.d/S10network starts network in runlevel 3, K20nfs stops
# nfs. Never opened: their names are what lint reads (lint._services).
RC_LINK = re.compile(r"(?:^|/)etc/(?:rc\.d/)?rc(?P<level>[35])\.d/(?P<state>[SK])[0-9]+(?P<name>[^/]+)\Z")


def _tree(root: str, seen: set[str], mount: str = "") -> HostFiles:
    """The files of a host tree; `mount`: where its folder is on the host ("etc": a copy
    of /etc alone, whose xen/web01 is the host's etc/xen/web01)."""
    h = HostFiles(_host_name(root) if mount else os.path.basename(os.path.abspath(root)) or "host", root,
                  tree=True, mount=mount)
    by_file: dict[str, Placed] = {}  # one file reached by several paths (links): its canonical one
    for path in _walk(root):
        rel = os.path.relpath(path, root).replace(os.sep, "/")
        if mount:
            rel = f"{mount}/{rel}"
        fmt = targets.placed(rel)
        if fmt is None:
            (h.rc_links if RC_LINK.search(rel) else h.skipped).append(rel)
        elif fmt.link:  # never opened: its name counts, and which file of the tree it leads to
            real = in_tree(root, path, mount)
            h.files.append(Placed(path, fmt, target=real if real and real != os.path.abspath(path) else None,
                                  missing=None if real else missing_target(root, path, mount)))
        else:
            real = in_tree(root, path, mount)
            if real is None:
                h.skipped.append(f"{rel} (a link that leads nowhere in the tree)")
                continue
            if (kind := not_a_file(real)) is not None:
                h.skipped.append(f"{rel} ({kind}, not a file)")
                continue
            p = Placed(path, fmt, fmt.rank(rel), real if real != os.path.abspath(path) else None)
            key = os.path.realpath(real)
            if key not in by_file or (p.rank, p.path) < (by_file[key].rank, by_file[key].path):
                by_file[key] = p
    h.files += [p for key, p in by_file.items() if _first_time(key, seen, real=True)]
    return h


def _first_time(path: str, seen: set[str], real: bool = False) -> bool:
    """False for a file already placed (the same file by another path or link); `real`:
    the path is a real path already (resolving it again costs a stat per folder)."""
    key = path if real else os.path.realpath(path)
    if key in seen:
        return False
    seen.add(key)
    return True


def collect(paths: list[str], roots: list[str], taken: set[str] = frozenset()) -> Collection:
    """The hosts and their files; `taken` are files already read (real paths)."""
    hosts: list[HostFiles] = []
    shared: list[Placed] = []
    diags: list[Diagnostic] = []
    seen: set[str] = set(taken)
    loose = HostFiles("files", None)
    for root in list(roots) + [p for p in paths if os.path.isdir(p)]:
        root = root.rstrip("/") or "/"
        if not os.path.isdir(root):
            diags.append(info("VF001", f"{root}: no such folder", None))
            continue
        if is_host_tree(root):
            hosts.append(_tree(root, seen))
            continue
        if is_etc_copy(root):
            hosts.append(_tree(root, seen, "etc"))
            continue
        subs = [os.path.join(root, d) for d in sorted(os.listdir(root))
                if os.path.isdir(os.path.join(root, d)) and is_host_tree(os.path.join(root, d))]
        if not subs:
            # not laid out as a host: its files are loose files of one host named after it
            h = HostFiles(_host_name(root), root)
            for p in _walk(root):
                if (kind := not_a_file(p)) is not None:
                    h.skipped.append(f"{os.path.relpath(p, root)} ({kind}, not a file)")
                elif _first_time(p, seen):
                    h.files.append(Placed(p, None, walked=True))
            hosts.append(h)
            continue
        hosts += [_tree(sub, seen) for sub in subs]
        guests = os.path.join(root, "guests")
        if os.path.isdir(guests):
            for p in _walk(guests):
                rel = os.path.relpath(p, root).replace(os.sep, "/")
                if targets.placed(rel) is not None and not_a_file(p) is None and _first_time(p, seen):
                    shared.append(Placed(p, targets.placed(rel)))
    for p in paths:
        if not os.path.isdir(p) and _first_time(p, seen):
            loose.files.append(Placed(p, None))
    if loose.files:
        # named after the folder the files share (a copy of /etc is named after its host)
        common = os.path.commonpath([os.path.abspath(os.path.dirname(f.path)) for f in loose.files])
        parts = [x for x in common.split(os.sep) if x and x not in _NOT_HOST_NAMES]
        loose.name = parts[-1] if parts else "host"
        hosts.append(loose)
    for h in hosts:
        if h.skipped:
            shown = ", ".join(h.skipped[:SKIPPED_SHOWN]) + (f" and {len(h.skipped) - SKIPPED_SHOWN:,} more"
                                                           if len(h.skipped) > SKIPPED_SHOWN else "")
            diags.append(info("VF002", f"host {h.name}: {len(h.skipped):,} file(s) of the tree are at no place "
                                       f"a configuration virtc reads lives, and were not read: {shown}", None,
                              owner=Owner(h.name),
                              hint="`virtc formats` lists where each format lives; give a loose file by name "
                                   "to have it recognised by its content"))
    return Collection(hosts, shared, diags)
