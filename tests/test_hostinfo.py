"""A host's memory and CPU counts from saved `xm info` or `virsh nodeinfo` output: RHEL 5's
`virsh capabilities` has no memory element, so a host tree states its RAM this way."""
from __future__ import annotations

from virtc import api

XM_INFO = """host                   : xen1.example.com
release                : 2.6.18-308.el5xen
version                : #1 SMP Fri Jan 27 17:21:15 EST 2012
machine                : x86_64
nr_cpus                : 16
nr_nodes               : 2
sockets_per_node       : 1
cores_per_socket       : 4
threads_per_core       : 2
cpu_mhz                : 2400
hw_caps                : bfebfbff:28100800:00000000:00000940:0098e3fd:00000000:00000001
total_memory           : 32767
free_memory            : 1024
xen_major              : 3
xen_minor              : 1
xen_extra              : .2-308.el5
"""
NODEINFO = """CPU model:           ia64
CPU(s):              4
CPU frequency:       1600 MHz
CPU socket(s):       2
Core(s) per socket:  2
Thread(s) per core:  1
NUMA cell(s):        1
Memory size:         8388608 kB
"""
GRUB = """default=0
timeout=5
title Red Hat Enterprise Linux Server (2.6.18-308.el5xen)
\troot (hd0,0)
\tkernel /xen.gz-2.6.18-308.el5 dom0_mem=2048M
\tmodule /vmlinuz-2.6.18-308.el5xen ro root=/dev/VolGroup00/LogVol00
\tmodule /initrd-2.6.18-308.el5xen.img
"""
GUEST = 'name = "big"\nmemory = 40000\nvcpus = 2\nbootloader = "/usr/bin/pygrub"\n' \
        'disk = [ "phy:/dev/VolGroup00/big,xvda,w" ]\nvif = [ "mac=00:16:3e:00:44:01,bridge=xenbr0" ]\n'


def test_xm_info_states_memory_cpus_and_architecture(tmp_path):
    root = tmp_path / "xen1"
    (root / "etc" / "xen").mkdir(parents=True)
    (root / "xm-info.txt").write_text(XM_INFO)
    (root / "etc" / "xen" / "big").write_text(GUEST)
    (root / "boot" / "grub").mkdir(parents=True)
    (root / "boot" / "grub" / "grub.conf").write_text(GRUB)
    result = api.lint([], [str(root)])
    (h,) = result.model.hosts
    assert h.memory_kib == 32767 * 1024 and h.arch == "x86_64"
    assert (h.cpu.sockets, h.cpu.cores, h.cpu.threads, h.cpu.mhz) == (2, 8, 16, 2400)
    notes = [d.message for d in result.diagnostics if d.code == "VF004"]
    assert not any("its memory" in m for m in notes)
    # the guest wants more memory than the host has: now a rule can say so
    assert [d.code for d in result.diagnostics if d.code == "VM105"] == ["VM105"]


def test_nodeinfo_states_memory_and_architecture(tmp_path):
    (tmp_path / "virsh-nodeinfo.txt").write_text(NODEINFO)
    (h,) = api.lint([str(tmp_path / "virsh-nodeinfo.txt")]).model.hosts
    assert h.memory_kib == 8388608 and h.arch == "ia64" and h.cpu.threads == 4
