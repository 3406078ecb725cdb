"""What a Red Hat kernel's name says: its release and variant, and which RHEL update
shipped it. The readers use it to know a guest's operating system from the kernel its
files boot (an xm `kernel`, a domain XML's <os><kernel>, a guest's own grub.conf), so the
rules that depend on a guest's RHEL release apply to existing guests too.
"""
from __future__ import annotations

import re

from .model import GuestOS

# A kernel release and its variant, as RHEL names kernel packages: 2.6.18-308.el5 + xen,
# 2.6.18-128.el5 + PAE, 2.6.9-89.EL + smp.
_RELEASE = re.compile(r"^(?P<release>.+?\.(?:el[0-9]+|EL))(?P<variant>[A-Za-z][A-Za-z0-9]*)?$")
# The image a boot loader or xm config names: vmlinuz-RELEASE[VARIANT] in some folder.
_IMAGE = re.compile(r"(?:^|/)vmlinu[xz]-(?P<version>[0-9][0-9A-Za-z._-]+)$")
_RED_HAT = re.compile(r"^(?P<kernel>2\.[46]\.[0-9]+)-(?P<build>[0-9]+)(?:\.[0-9]+)*\.(?:el(?P<major>[0-9])|EL)")

# The first kernel build of each update, by RHEL major release and kernel (the updates'
# release notes): a guest booting 2.6.18-308.el5 runs RHEL 5.8, 2.6.9-89.EL RHEL 4.8.
UPDATES = {
    "5": ((8, "5.0"), (53, "5.1"), (92, "5.2"), (128, "5.3"), (164, "5.4"), (194, "5.5"), (238, "5.6"),
          (274, "5.7"), (308, "5.8"), (348, "5.9"), (371, "5.10"), (398, "5.11")),
    "4": ((5, "4.0"), (11, "4.1"), (22, "4.2"), (34, "4.3"), (42, "4.4"), (55, "4.5"), (67, "4.6"),
          (78, "4.7"), (89, "4.8"), (100, "4.9")),
    "3": ((4, "3.0"), (9, "3.1"), (15, "3.2"), (20, "3.3"), (27, "3.4"), (32, "3.5"), (37, "3.6"),
          (47, "3.7"), (50, "3.8"), (52, "3.9")),
    "6": ((71, "6.0"), (131, "6.1"), (220, "6.2"), (279, "6.3"), (358, "6.4"), (431, "6.5"), (504, "6.6"),
          (573, "6.7"), (642, "6.8"), (696, "6.9"), (754, "6.10")),
}
# RHEL 3 and 4 name their kernels .EL; the kernel line tells them apart.
_EL_MAJOR = {"2.4.21": "3", "2.6.9": "4"}


def split_release(version: str) -> tuple[str, str | None]:
    """'2.6.18-308.el5xen' -> ('2.6.18-308.el5', 'xen'): what `os-kernel R variant V` says."""
    m = _RELEASE.match(version)
    return (m.group("release"), m.group("variant")) if m else (version, None)


def image_release(path: str | None) -> tuple[str, str | None] | None:
    """The release and variant a kernel image's file name says (/boot/vmlinuz-2.6.9-89.ELxenU
    -> ('2.6.9-89.EL', 'xenU')), or None when the name is not a Red Hat kernel's."""
    m = _IMAGE.search(path or "")
    if not m or not _RED_HAT.match(m.group("version")):
        return None
    return split_release(m.group("version"))


# The file names Linux kernel images have: vmlinuz-2.6.18-8.el5xen, vmlinux, bzImage, an
# install tree's images/xen/vmlinuz.
_LINUX_IMAGE = re.compile(r"(?:^|/)(?:vmlinu[xz]|bzImage)(?:[-.][^/]*)?$")


def is_linux_image(path: str | None) -> bool:
    """Whether a PV guest's `kernel` is a Linux kernel by its name. Other PV kernels exist
    (Xen's own Mini-OS, mini-os.elf; stub domains): rules about Linux guests leave them be."""
    return bool(_LINUX_IMAGE.search(path or ""))


def guest_os(release: str) -> GuestOS | None:
    """The RHEL update a Red Hat kernel release shipped in, or None."""
    m = _RED_HAT.match(release)
    if not m:
        return None
    major = m.group("major") or _EL_MAJOR.get(m.group("kernel"))
    if major is None:
        return None
    build = int(m.group("build"))
    updates = UPDATES.get(major)
    if not updates:
        return GuestOS("rhel", None, f"rhel{major}")
    update = updates[0][1]  # an earlier build (a beta): the first update
    for first, name in updates:
        if build >= first:
            update = name
    return GuestOS("rhel", update, f"rhel{update}")


# The first Linux release that runs as a Xen PV guest on its own (pv_ops), on both i686 PAE
# and x86_64: 2.6.27. Distribution kernels from then on (RHEL 6's 2.6.32-*.el6, Debian's
# 3.2.0-4-amd64, Ubuntu's 5.0.0-29-generic) boot as PV guests of RHEL 5's Xen without
# being a kernel-xen; RHEL 5's own 2.6.18 needs its xen variant.
_PVOPS = (2, 6, 27)
_VERSION = re.compile(r"^(?P<a>[0-9]+)\.(?P<b>[0-9]+)(?:\.(?P<c>[0-9]+))?")


def image_version(path: str | None) -> tuple[int, int, int] | None:
    """The Linux version a kernel image's file name says (vmlinuz-5.0.0-29-generic ->
    (5, 0, 0)), or None when the name carries none (an install tree's vmlinuz)."""
    m = _IMAGE.search(path or "")
    v = _VERSION.match(m.group("version")) if m else None
    return (int(v["a"]), int(v["b"]), int(v["c"] or 0)) if v else None


def named_for_its_kernel(path: str) -> bool:
    """Whether a kernel image's name says which kernel it is: a version or variant after
    vmlinuz (vmlinuz-2.6.18-308.el5), or the place of an install tree's boot kernels
    (images/pxeboot/vmlinuz, isolinux/vmlinuz: never kernel-xen). A bare `vmlinuz` or
    `vmlinux` elsewhere may be a link to any kernel."""
    parts = path.replace("\\", "/").rstrip("/").lower().split("/")
    if parts[-1] not in ("vmlinuz", "vmlinux", "bzimage"):
        return True
    return len(parts) > 1 and parts[-2] in ("pxeboot", "isolinux")


def runs_pv_on_its_own(path: str | None) -> bool:
    """Whether a kernel image is of a Linux that runs as a Xen PV guest without a xen
    variant (2.6.27 and later: pv_ops)."""
    version = image_version(path)
    return version is not None and version >= _PVOPS

