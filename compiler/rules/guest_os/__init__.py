"""Guest OS, architecture and driver rules (checklist area GOS).

Release numbers ("5.8", "4.6") are compared as tuples of integers (`below`); a release
written without its update level ("rhel5") cannot be compared with "5.1" and is not
judged. Every release threshold comes from schemas/limits.json.

The modules: virtualization (para-virtualization and architectures), windows, install,
hypervisors, pv_drivers (the Xen PV drivers), virtio (KVM's drivers), services (what
runs in guests), and common (what they share, with timekeeping). virtc.ruleset lists
each of them.
"""
from __future__ import annotations

from . import (common, hypervisors, install, pv_drivers, services, virtio,  # noqa: F401  (virtc.ruleset)
               virtualization, windows)

# Checklist items of this area that no rule implements, and why.
NOT_CHECKABLE: dict[str, str] = {
    "GOS-11": "operational: choosing the HAL (F5 during Windows XP / 2003 setup) is a step of the installation",
    "GOS-19": "no field: the packages installed inside a guest (kmod-xenpv, modules-init-tools, modversions); "
              "would need a guest `packages NAME...` statement",
    "GOS-20": "no field: free space in the guest's /lib file system; would need a guest `free-disk /lib SIZE` statement",
    "GOS-27": "no field: which kmod-xenpv package (UP, SMP, hugemem, arch) is installed in the guest; would need "
              "a guest `packages` statement to compare with `os-kernel ... variant`",
    "GOS-30": "operational: the PV drivers are installed after the guest OS, inside the running guest",
    "GOS-34": "emitter: which virtio-win files (RHEV-Block.msi, viostor.vfd) to attach during a Windows install",
    "GOS-35": "no field: the virtio-win network driver's TCP option (0-3); would need a NIC `tcp-option N` setting",
    "GOS-43": "explain: Hyper-V certification of RHEL 5 guests; virtc describes Xen and KVM hosts only",
    "GOS-44": "emitter: the guest-side check that the four PV modules loaded (lsmod, /var/log/messages)",
    "GOS-45": "no field: the Xen ABI a PV guest kernel was built for (Xen 3.0 vs 2.0); would need an "
              "`os-kernel ... xen-abi 3.0` attribute",
}
