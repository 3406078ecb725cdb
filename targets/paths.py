"""Where RHEL 5 keeps the hypervisor's own programs, which several formats name (the xm
config and the domain XML of an HVM guest both point at hvmloader and qemu-dm)."""
from __future__ import annotations

HVMLOADER = "/usr/lib/xen/boot/hvmloader"
QEMU_KVM = "/usr/libexec/qemu-kvm"


def qemu_dm(host_arch: str) -> str:
    """The Xen device model: lib64 on 64-bit hosts (guide L5934)."""
    return "/usr/lib64/xen/bin/qemu-dm" if host_arch == "x86_64" else "/usr/lib/xen/bin/qemu-dm"
