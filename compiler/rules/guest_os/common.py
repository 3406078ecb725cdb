"""What the guest OS rules share, and timekeeping's rules too: releases and kernel
versions compared as numbers, where a guest's or host's setting was made, the kernel
command line and flavour, virtio devices."""
from __future__ import annotations

import posixpath

from ...diagnostics import Related
from ...model import Guest, Host
from ...numbers import version, version_parts
from ...source import Span

# Words that start an RHEL 3 / 4 / 5 kernel variant name that already names the CPU
# family (table 12.1): `variant athlon-SMP` is complete, `variant smp` needs the arch.
_ARCH_WORDS = ("athlon", "i32e", "ia32e", "i386", "i686", "x86_64", "ia64")


def release_tuple(text: str | None) -> tuple[int, ...] | None:
    """'5.8' -> (5, 8); 'xp', '2008r2' or None -> None."""
    return version(text)


def below(release: str | None, minimum: str) -> bool | None:
    """release < minimum; None when either is not a number or the release lacks the
    update level the comparison needs ('5' against '5.1')."""
    r, m = release_tuple(release), release_tuple(minimum)
    if r is None or m is None:
        return None
    if len(r) < len(m) and r == m[:len(r)]:
        return None
    return r < m


def major(release: str | None) -> int | None:
    r = release_tuple(release)
    return r[0] if r else None


def rhel_release(g: Guest) -> str | None:
    """The RHEL release of a RHEL guest ('5.8'), else None."""
    if g.os and g.os.family == "rhel" and g.os.release:
        return g.os.release
    return None


def kernel_tuple(text: str) -> tuple[int, ...]:
    """'2.4.21-60.EL' -> (2, 4, 21, 60)."""
    return version_parts(text)


def span_of(g: Guest, *keys: str) -> Span:
    """The span of the first of these guest statements that was written, else the guest."""
    for k in keys:
        s = g.fields.get(k)
        if s is not None:
            return s
    return g.span


def host_span(h: Host, *keys: str) -> Span:
    for k in keys:
        s = h.fields.get(k)
        if s is not None:
            return s
    return h.span


def cmdline_tokens(g: Guest) -> list[str]:
    return (g.boot.cmdline or "").split()


def has_arg(tokens: list[str], wanted: str) -> bool:
    """Whether a kernel argument is present; 'lpj=n' (the guide's placeholder) matches
    lpj= with any number."""
    key, eq, value = wanted.partition("=")
    if eq and value == "n":
        return any(t.startswith(key + "=") and t[len(key) + 1:].isdigit() for t in tokens)
    return wanted in tokens


def kernel_flavour(g: Guest) -> str:
    """The kernel name of table 12.1: 'i686-SMP', 'athlon', 'x86_64-LARGESMP' ..."""
    v = g.kernel_variant
    if not v:
        return g.arch
    if v.lower().split("-")[0] in _ARCH_WORDS:
        return v
    return f"{g.arch}-{v}"


def is_xen_kernel(path: str) -> bool:
    """A kernel-xen image: vmlinuz-2.6.18-308.el5xen, or an install tree's images/xen/vmlinuz."""
    path = path.lower()
    return "xen" in posixpath.basename(path) or posixpath.basename(posixpath.dirname(path)) == "xen"


def virtio_devices(g: Guest) -> list[tuple[Span, str, str]]:
    """(span, path, label) of each virtio disk and NIC of a guest."""
    out = [(d.span, d.owner, f"disk {d.target}") for d in g.disks if d.bus == "virtio"]
    out += [(n.span, n.owner, f"NIC {n.index}") for n in g.nics if n.model == "virtio"]
    return out


def uses_pv_io(g: Guest) -> bool:
    """Para-virtualized I/O: a PV guest, an HVM guest with PV drivers, a KVM guest with virtio."""
    if g.type == "xen-pv" or g.pv_drivers:
        return True
    return g.type == "kvm" and bool(virtio_devices(g))


def host_related(h: Host, key: str, text: str) -> tuple[Related, ...]:
    return (Related(host_span(h, key), text),)


HYPERVISOR_NAMES = {"xen": "Xen", "kvm": "KVM"}
