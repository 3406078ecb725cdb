"""Where a host keeps the certificate files virtc looks for, shared by the certificate
format (targets/certificates.py, which notes the files a host tree holds there) and the
rules that need them (MGMT-12: libvirtd's TLS files; XEN-12: xend's VNC TLS files).

Only the presence of a file counts: virtc never opens a certificate or a private key.
A path outside these places is one a host tree does not tell about: a rule that needs
it says nothing, rather than guess.
"""
from __future__ import annotations

import posixpath

# Folders (relative to a host's root) whose files a host tree is taken to hold completely:
# /etc/pki (libvirtd's CA, server certificate and key, guide §22.2 lines 3589-3592, 3604)
# and /etc/xen/vnc (xend's VNC TLS files, lines 3597-3603).
PLACES = ("etc/pki/", "etc/xen/vnc/")


def known(path: str) -> bool:
    """Would a host tree show whether the file at this host path (/etc/pki/CA/cacert.pem)
    exists? Only for a normalised absolute path under one of PLACES."""
    if not path.startswith("/"):
        return False
    norm = posixpath.normpath(path)
    return any((norm.lstrip("/") + "/").startswith(p) and norm.lstrip("/") + "/" != p for p in PLACES)


def missing(host, paths: list[str]) -> list[str] | None:
    """The paths among `paths` that the host's tree does not hold; None when that cannot
    be told (the host's certificates are not known, or a path is outside PLACES)."""
    have = host.certificates
    if have is None or not all(known(p) for p in paths):
        return None
    present = {posixpath.normpath(p) for p in have}
    gone = [p for p in paths if posixpath.normpath(p) not in present]
    if len(gone) < len(paths):
        # A private key is readable by root alone (0600, in a 0700 private/ folder): a copy
        # of /etc made without root holds the certificates and not the keys. A key missing
        # beside certificates that are there is taken as not copied, not as missing.
        gone = [p for p in gone if not private_key(p)]
    return gone


def private_key(path: str) -> bool:
    """A private key by its place or name (/etc/pki/libvirt/private/serverkey.pem,
    /etc/xen/vnc/server-key.pem)."""
    folder, name = posixpath.split(posixpath.normpath(path))
    return posixpath.basename(folder) == "private" or "key" in name.lower()
