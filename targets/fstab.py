"""/etc/fstab: the host's shared storage. Read only: virtc does not write it.

Migration needs guests' images on storage every peer mounts at the same path (§21, lines
3414-3445): on RHEL 5 an NFS export mounted through /etc/fstab
(`nfs1:/images /var/lib/xen/images nfs defaults 0 0`), or a GFS2 file system on a shared
LUN. Each such line becomes the host's SharedStorage, as the language's
`shared "DIR" from "SRC" nfs` makes it. Local file systems, swap and pseudo file systems
are the host's own business and are not modelled (nor noted: every fstab has them).
"""
from __future__ import annotations

from virtc.model import SharedStorage
from virtc.readback import Found
from virtc.source import SourceFile

from .format import Format
from .lines import comment_stripped

# fstab's type field -> the model's kind of shared storage
SHARED_TYPES = {"nfs": "nfs", "nfs4": "nfs", "gfs2": "gfs2", "gfs": "gfs2"}


def _unescape(field: str) -> str:
    """fstab writes a blank in a path as \\040."""
    return field.replace("\\040", " ").replace("\\011", "\t")


def read(text: str, path: str) -> Found:
    src = SourceFile(path, text)
    found = Found(src, "fstab")
    shared = []
    for _, start, line in comment_stripped(src):
        fields = line.split()
        if len(fields) < len(("spec", "file", "vfstype")):
            continue  # mount(8) skips such a line too
        spec, mount, vfstype = fields[:3]
        kind = SHARED_TYPES.get(vfstype)
        if kind is None or not mount.startswith("/"):
            continue
        shared.append(SharedStorage(_unescape(mount), _unescape(spec), kind, src.span(start, start + len(line))))
    # the host's shared storage is known once its fstab is read, even when it has none
    found.add("shared", *shared)
    return found


FORMAT = Format(
    "fstab", "file systems mounted at boot (/etc/fstab)",
    paths=("etc/fstab",), names=("fstab",), read=read, single=True, facts=("shared",))
