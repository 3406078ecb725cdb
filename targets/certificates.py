"""Certificate and key files of a host tree (/etc/pki/..., /etc/xen/vnc/...): only that
each exists at its path counts. Like an autostart link, such a file is never opened:
virtc reads no certificate and no private key.

A host tree (`--root`) is taken to hold these folders completely, so a file missing from
the tree is missing on the host; for loose files nothing is known (virtc.certificates).
The rules that need them: VA111 (libvirtd's TLS files), VX112 (xend's VNC TLS files).
"""
from __future__ import annotations

from virtc.certificates import PLACES
from virtc.readback import Found
from virtc.source import SourceFile

from .format import Format


def read(text: str, path: str) -> Found:
    """A certificate file, by its path alone (`text` is always empty: it is not opened)."""
    found = Found(SourceFile(path, ""), "certificate")
    found.host["certificate"] = True  # lint notes its path relative to the tree's root
    return found


FORMAT = Format(
    "certificate", "a certificate or key file (/etc/pki, /etc/xen/vnc): only its presence counts, never opened",
    paths=tuple(p + "**/*" for p in PLACES), read=read, link=True, comments="")
